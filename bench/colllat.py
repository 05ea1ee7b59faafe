"""colllat.py: 2-rank latency of small collectives under python-mpi, the same loops as
colllat.c. Prints "case<TAB>microseconds" per line on rank 0 (best of 5 runs of N calls)."""
import pickle
import sys

import numpy
from mpi4py import MPI

N = 20000
REPS = 5


def best(call):
    comm = MPI.COMM_WORLD
    result = float('inf')
    for _ in range(REPS):
        comm.Barrier()
        t0 = MPI.Wtime()
        for _ in range(N):
            call()
        result = min(result, (MPI.Wtime() - t0) / N)
    return result


def main():
    comm = MPI.COMM_WORLD
    x, y = numpy.ones(1), numpy.zeros(1)
    small = [1, 2.0, 'three']
    cases = [
        ('Barrier', comm.Barrier),
        ('Allreduce(1 float64)', lambda: comm.Allreduce(x, y)),
        ('allreduce(int)', lambda: comm.allreduce(1)),
        ('bcast(small list)', lambda: comm.bcast(small, 0)),
    ]
    for name, call in cases:
        t = best(call)
        if comm.rank == 0:
            print(f'{name}\t{t * 1e6:.3f}')
    if comm.rank == 0 and len(sys.argv) > 1 and sys.argv[1] == '--pickle-size':
        print(len(pickle.dumps(small, pickle.HIGHEST_PROTOCOL)), file=sys.stderr)


if __name__ == '__main__':
    main()
