"""``mpiexec -n N python -m mpi4py.futures <pyfile | -m mod | -c cmd | ->``

Rank 0 of MPI_COMM_WORLD runs the code (like ``python -m mpi4py``,
aborting the job on an unhandled exception); the other N-1 ranks are
the workers of every MPIPoolExecutor it creates.  With N = 1 each
executor runs its tasks in threads of the one process.
"""

from .. import run
from ._lib import SharedPoolCtx


def main():
    with SharedPoolCtx() as context:
        if context is not None:
            run.main()


main()
