"""Worker process of a spawned MPIPoolExecutor pool.

Started by the master as ``python -m mpi4py.futures.server``: serves
the tasks of the parent process until told to stop, then disconnects.
"""

from .. import MPI
from . import _core


def main():
    parent = MPI.Comm.Get_parent()
    if not parent:
        raise SystemExit(f'{__spec__.name}: not started by '
                         f'MPIPoolExecutor (no parent process)')
    try:
        _core.serve(parent)
    finally:
        parent.Disconnect()


if __name__ == '__main__':
    main()
