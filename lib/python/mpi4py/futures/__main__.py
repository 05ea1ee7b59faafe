"""``mpiexec -n N python -m mpi4py.futures <pyfile | -m mod | -c cmd | ->``

Rank 0 of MPI_COMM_WORLD runs the code (like ``python -m mpi4py``,
aborting the job on an unhandled exception); the other N-1 ranks are
the workers of every MPIPoolExecutor it creates.
"""

from .. import MPI
from .. import run
from . import _core


def main():
    world = MPI.COMM_WORLD
    if world.Get_size() == 1:   # no worker ranks: executors spawn them
        run.main()
        return
    intercomm = _core.split(world, 0)
    if world.Get_rank() != 0:
        try:
            _core.serve(intercomm)
        finally:
            intercomm.Free()
        return
    _core.set_shared_pool(intercomm)
    try:
        run.main()
    except SystemExit as exc:
        # A failure aborts the job (set by run.main); a clean exit must
        # release the workers first.
        if not exc.code:
            _core.shared_pool.stop()
        raise
    _core.shared_pool.stop()


main()
