"""Target of test_futures_spawn.py: an MPIPoolExecutor with spawned workers, or the client of a
mpi4py.futures.server job.  Prints what the workers report.

    futures_spawn.py workers                 number of workers (their MPI_COMM_WORLD size)
    futures_spawn.py service NAME|HOST:PORT  the same, on the workers of a server
    futures_spawn.py die                     a worker exits in a task: BrokenExecutor
    futures_spawn.py recursive               with FUTURES_RECURSIVE=1 set: an unguarded main
                                             script, so a worker tries to spawn"""
import os
import sys
import time

from mpi4py import MPI
from mpi4py.futures import BrokenExecutor, MPIPoolExecutor


def world_size():
    return MPI.COMM_WORLD.Get_size()


def parent():
    return bool(MPI.Comm.Get_parent())


def die():
    sys.stdout.flush()
    os._exit(3)


def report(executor):
    print('workers', executor.submit(world_size).result(),
          'parent', executor.submit(parent).result(),
          'squares', list(executor.map(pow, range(5), [2] * 5)), flush=True)


if os.environ.get('FUTURES_RECURSIVE') and __name__ != '__main__':
    # Run by the workers when they import this script: the mistake the manual warns about.
    MPIPoolExecutor(max_workers=1).submit(world_size).result()

if __name__ == '__main__':
    mode = sys.argv[1]
    if mode == 'workers':
        with MPIPoolExecutor() as executor:
            report(executor)
    elif mode == 'service':
        service = sys.argv[2]
        if ':' in service:
            host, port = service.split(':')
            service = (host, int(port))
        with MPIPoolExecutor(service=service) as executor:
            report(executor)
    elif mode == 'die':
        # Two workers: one dies, the other is running a task.
        executor = MPIPoolExecutor(max_workers=2)
        for future in [executor.submit(time.sleep, 1), executor.submit(die)]:
            try:
                future.result(timeout=60)
            except BrokenExecutor as exc:
                print('BrokenExecutor', exc, flush=True)
        try:
            executor.submit(world_size)
        except BrokenExecutor:
            print('submit: BrokenExecutor', flush=True)
        executor.shutdown()
    elif mode == 'recursive':
        executor = MPIPoolExecutor(max_workers=1)
        try:
            executor.submit(world_size).result(timeout=60)
        except BrokenExecutor as exc:
            print('BrokenExecutor', exc, flush=True)
        executor.shutdown()
