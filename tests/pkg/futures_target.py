"""Target of test_run.py: an MPIPoolExecutor program run with -m mpi4py.futures."""
from mpi4py.futures import MPIPoolExecutor
def sq(x): return x * x
if __name__ == '__main__':
    with MPIPoolExecutor() as ex:
        print(list(ex.map(sq, range(5))))
