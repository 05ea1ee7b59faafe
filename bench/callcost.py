"""callcost.py: the Python side of the per-call cost benchmark (run under callgrind by
callgrind.py). For every case, on COMM_SELF: a warm-up, MPI.Wtick() (the marker where callgrind
dumps its counters), N calls, MPI.Wtick(), 11N calls, MPI.Wtick(). Prints one line per case:
"name ok" when it ran, "name missing: reason" when the module lacks a method (no markers then).
usage: python-mpi callcost.py N"""
import sys

from mpi4py import MPI

try:
    import numpy
except ImportError:
    numpy = None

DICT = {'a': 1, 'b': 2.5, 'c': 'x'}
LIST = [1, 2, 3]


def cases(comm):
    """(name, function running n iterations) for every case, in the order of callcost.c."""
    a = numpy.ones(1, dtype='d') if numpy is not None else None
    b = numpy.zeros(1, dtype='d') if numpy is not None else None
    DOUBLE, SUM = MPI.DOUBLE, MPI.SUM

    def empty(n):
        for _ in range(n):
            pass

    def sendrecv(n):
        for _ in range(n):
            comm.Sendrecv(a, 0, 0, b, 0, 0)

    def sendrecv_typed(n):
        for _ in range(n):
            comm.Sendrecv([a, DOUBLE], 0, 0, [b, DOUBLE], 0, 0)

    def isend_recv_wait(n):
        for _ in range(n):
            r = comm.Isend(a, 0, 0)
            comm.Recv(b, 0, 0)
            r.Wait()

    def isend_recv_wait_dict(n):
        for _ in range(n):
            r = comm.isend(DICT, 0, 0)
            comm.recv(source=0, tag=0)
            r.wait()

    def allreduce(n):
        for _ in range(n):
            comm.Allreduce(a, b, SUM)

    def allreduce_int(n):
        for _ in range(n):
            comm.allreduce(1)

    def bcast_list(n):
        for _ in range(n):
            comm.bcast(LIST, 0)

    needs = {'Sendrecv': ('Sendrecv',), 'Sendrecv_typed': ('Sendrecv',),
             'Isend_Recv_Wait': ('Isend', 'Recv'), 'isend_recv_wait_dict': ('isend', 'recv'),
             'Allreduce': ('Allreduce',), 'allreduce_int': ('allreduce',),
             'bcast_list': ('bcast',)}
    numpy_cases = ('Sendrecv', 'Sendrecv_typed', 'Isend_Recv_Wait', 'Allreduce')
    for name, f in (('empty', empty), ('Sendrecv', sendrecv), ('Sendrecv_typed', sendrecv_typed),
                    ('Isend_Recv_Wait', isend_recv_wait),
                    ('isend_recv_wait_dict', isend_recv_wait_dict), ('Allreduce', allreduce),
                    ('allreduce_int', allreduce_int), ('bcast_list', bcast_list)):
        missing = [m for m in needs.get(name, ()) if not hasattr(comm, m)]
        if missing:
            yield name, None, 'missing ' + ', '.join(missing)
        elif numpy is None and name in numpy_cases:
            yield name, None, 'no NumPy'
        else:
            yield name, f, None


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    comm = MPI.COMM_SELF
    Wtick = MPI.Wtick
    for name, f, why in cases(comm):
        if f is None:
            print(name, why, flush=True)
            continue
        try:
            f(10)  # warm-up; also: does it work at all?
        except Exception as exc:  # a method that exists but fails: report, no markers
            print(name, 'failed:', type(exc).__name__, str(exc).replace('\n', ' ')[:60], flush=True)
            continue
        Wtick()
        f(n)
        Wtick()
        f(11 * n)
        Wtick()
        print(name, 'ok', flush=True)


if __name__ == '__main__':
    main()
