"""pingpong.py: comm.Send/comm.Recv ping-pong between ranks 0 and 1 under python-mpi, the same
loop as pingpong.c. Prints, on rank 0, one line per size: "size one_way_seconds" (best of 5).
Buffers are NumPy uint8 arrays when NumPy is there, bytearrays otherwise. With a second argument
`obj`, the lower-case comm.send/comm.recv of a bytes object of that size (pickled on the way).
usage: python-mpi pingpong.py [MAXSIZE [obj]]"""
import sys

from mpi4py import MPI

REPS = 5
SIZES = [8, 64, 512, 4 << 10, 32 << 10, 256 << 10, 1 << 20, 8 << 20, 64 << 20]


def iterations(size):
    return max(10, min(10000, (1 << 26) // size))


def main():
    comm = MPI.COMM_WORLD
    rank = comm.Get_rank()
    maxsize = int(sys.argv[1]) if len(sys.argv) > 1 else 64 << 20
    objects = len(sys.argv) > 2 and sys.argv[2] == 'obj'
    try:
        import numpy
        # 2 MiB-aligned, as pingpong.c's buffer: NumPy asks for transparent huge pages for large
        # arrays, which back only whole aligned 2 MiB ranges (the first sizes would miss them)
        huge = 2 << 20
        raw = numpy.ones(maxsize + huge, dtype=numpy.uint8)
        skip = -raw.ctypes.data % huge
        whole = raw[skip:skip + maxsize]
    except ImportError:
        whole = bytearray(b'\1' * maxsize)
    for size in SIZES:
        if size > maxsize:
            break
        buf = memoryview(whole)[:size] if isinstance(whole, bytearray) else whole[:size]
        n = iterations(size)
        best = float('inf')
        Send, Recv = comm.Send, comm.Recv
        if objects:  # the same loop shape: send(obj, dest, tag); recv(source=..., tag=...)
            buf = bytes(size)
            Send = comm.send
            Recv = lambda _buf, source, tag: comm.recv(None, source, tag)  # noqa: E731
        for _ in range(REPS):
            comm.Barrier()
            t0 = MPI.Wtime()
            if rank == 0:
                for _ in range(n):
                    Send(buf, 1, 0)
                    Recv(buf, 1, 0)
            elif rank == 1:
                for _ in range(n):
                    Recv(buf, 0, 0)
                    Send(buf, 0, 0)
            best = min(best, (MPI.Wtime() - t0) / (2 * n))
        if rank == 0:
            print(size, f'{best:.9e}', flush=True)


if __name__ == '__main__':
    main()
