"""dynproc.py: dynamic-process costs, run by `make bench BENCH=dynproc` under one process of a
spawn-capable MPI (Debian's ch4:ucx MPICH cannot spawn: build with ./check, then run it in
_build-ch3/build). Prints:
  - the latency of Spawn + Disconnect of 2 python-mpi children (each child only disconnects),
    best and median of ROUNDS;
  - MPIPoolExecutor(max_workers=2).map throughput of a trivial function, tasks per second, with
    chunksize 1 and 100 (the pool's start-up not counted).
usage: mpiexec -n 1 python-mpi dynproc.py [ROUNDS] [TASKS]"""
import statistics
import sys
import time

from mpi4py import MPI
from mpi4py.futures import MPIPoolExecutor


def square(x):
    return x * x


def spawn_latency(rounds):
    child = ['-c', 'from mpi4py import MPI; MPI.Comm.Get_parent().Disconnect()']
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        inter = MPI.COMM_SELF.Spawn(sys.executable, args=child, maxprocs=2)
        inter.Disconnect()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def map_throughput(tasks, chunksize):
    with MPIPoolExecutor(max_workers=2) as pool:
        pool.bootup(wait=True)
        list(pool.map(square, range(100)))  # warm up
        t0 = time.perf_counter()
        out = list(pool.map(square, range(tasks), chunksize=chunksize))
        elapsed = time.perf_counter() - t0
    assert out == [x * x for x in range(tasks)]
    return tasks / elapsed


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    tasks = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    if MPI.COMM_WORLD.size != 1:
        sys.exit('run it with one process (mpiexec -n 1)')
    best, median = spawn_latency(rounds)
    print(f'Spawn + Disconnect of 2 python-mpi children: best {best * 1e3:.1f} ms, '
          f'median {median * 1e3:.1f} ms ({rounds} rounds)')
    for chunksize in (1, 100):
        rate = map_throughput(tasks, chunksize)
        print(f'MPIPoolExecutor(max_workers=2).map, {tasks} trivial tasks, chunksize {chunksize}: '
              f'{rate:,.0f} tasks/s')


if __name__ == '__main__':
    main()
