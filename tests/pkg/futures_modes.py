"""Target of test_futures_run.py: executors under `python -m mpi4py.futures`; prints where the
tasks ran.  Argument: 'ok', or 'raise' (fail with tasks of an executor still queued)."""
import os
import sys
import threading
import time

from mpi4py import MPI
from mpi4py.futures import MPICommExecutor, MPIPoolExecutor, _lib


def where(master_pid):
    in_main_thread = threading.current_thread() is threading.main_thread()
    return MPI.COMM_WORLD.Get_rank(), os.getpid() == master_pid, in_main_thread


def init():
    global MARK
    MARK = 'init'


def mark():
    return globals().get('MARK')


if __name__ == '__main__':
    print('shared', _lib.SharedPool is not None, flush=True)
    with MPICommExecutor(MPI.COMM_WORLD, root=0) as executor:
        print('comm', type(executor).__name__, *executor.submit(where, os.getpid()).result(), flush=True)
        print('starmap', list(executor.starmap(pow, [(2, 5), (3, 2)])), flush=True)
    with MPIPoolExecutor(initializer=init) as executor:
        print('pool', *executor.submit(where, os.getpid()).result(), executor.submit(mark).result(), flush=True)
    if sys.argv[1:] == ['raise']:
        executor = MPIPoolExecutor()
        for _ in range(20):
            executor.submit(time.sleep, 1)
        raise RuntimeError('failure in the master')
