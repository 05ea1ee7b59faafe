# ranks: 1 2
"""Pickled communication of Python objects and basic buffer Send/Recv."""
import unittest

import mpitest
from mpi4py import MPI

try:
    import numpy
except ImportError:
    numpy = None


class TestObjects(unittest.TestCase):

    def setUp(self):
        self.comm = MPI.COMM_WORLD
        self.rank, self.size = self.comm.rank, self.comm.size

    def test_sendrecv_ring(self):
        comm, rank, size = self.comm, self.rank, self.size
        obj = {'rank': rank, 'data': list(range(rank + 3)), 'blob': b'x' * (1000 * rank)}
        if size == 1:
            self.assertEqual(comm.recv(source=MPI.PROC_NULL), None)
            return
        dest, source = (rank + 1) % size, (rank - 1) % size
        if rank % 2 == 0:
            comm.send(obj, dest=dest, tag=7)
            got = comm.recv(source=source, tag=7)
        else:
            got = comm.recv(source=source, tag=7)
            comm.send(obj, dest=dest, tag=7)
        self.assertEqual(got['rank'], source)
        self.assertEqual(got['data'], list(range(source + 3)))
        self.assertEqual(len(got['blob']), 1000 * source)

    def test_recv_status(self):
        comm = self.comm
        if self.size < 2:
            return
        if self.rank == 0:
            comm.ssend([1, 2, 3], dest=1, tag=11)
        elif self.rank == 1:
            st = MPI.Status()
            self.assertEqual(comm.recv(source=MPI.ANY_SOURCE, tag=MPI.ANY_TAG, status=st), [1, 2, 3])
            self.assertEqual((st.source, st.tag), (0, 11))
            self.assertGreater(st.Get_count(), 0)

    def test_proc_null(self):
        self.comm.send('lost', dest=MPI.PROC_NULL)
        self.assertIsNone(self.comm.recv(source=MPI.PROC_NULL))

    def test_bcast(self):
        for root in range(self.size):
            obj = ('hello', root, [None] * 3) if self.rank == root else None
            self.assertEqual(self.comm.bcast(obj, root=root), ('hello', root, [None] * 3))
        with self.assertRaises(MPI.Exception) as cm:  # mpi4py 3.1: MPI's "Invalid root"
            self.comm.bcast(1, root=self.size)
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_ROOT)

    def test_gather_scatter(self):
        comm, rank, size = self.comm, self.rank, self.size
        for root in range(size):
            res = comm.gather(rank * 10, root=root)
            self.assertEqual(res, [r * 10 for r in range(size)] if rank == root else None)
            items = [(i, 'x' * i) for i in range(size)] if rank == root else None
            self.assertEqual(comm.scatter(items, root=root), (rank, 'x' * rank))
        self.assertEqual(comm.allgather({rank}), [{r} for r in range(size)])

    def test_scatter_wrong_length(self):
        if self.size == 1:
            with self.assertRaises(ValueError):
                self.comm.scatter([1, 2], root=0)

    def test_reductions(self):
        comm, rank, size = self.comm, self.rank, self.size
        self.assertEqual(comm.allreduce(rank), sum(range(size)))
        self.assertEqual(comm.allreduce(rank + 1, op=MPI.PROD), __import__('math').prod(range(1, size + 1)))
        self.assertEqual(comm.allreduce(rank, op=MPI.MAX), size - 1)
        self.assertEqual(comm.allreduce(rank, op=MPI.MIN), 0)
        self.assertEqual(comm.allreduce([rank]), list(range(size)))
        self.assertEqual(comm.allreduce((rank % 2, rank), op=MPI.MAXLOC), ((size > 1) * 1, int(size > 1)))
        self.assertEqual(comm.allreduce(rank, op=lambda a, b: a * 10 + b), int(''.join(map(str, range(size)))))
        self.assertEqual(comm.reduce(rank, op=MPI.SUM, root=0), sum(range(size)) if rank == 0 else None)
        comm.barrier()

    @unittest.skipUnless(numpy, 'NumPy is not installed')
    def test_Send_Recv_numpy(self):
        comm, rank, size = self.comm, self.rank, self.size
        if size < 2:
            return
        for dtype in ('b', 'B', 'h', 'i', 'l', 'q', 'f', 'd', 'g', 'F', 'D', '?', 'i8', 'u4'):
            if rank == 0:
                a = numpy.arange(10).astype(dtype)
                comm.Send(a, dest=1, tag=1)
                comm.Send([a, 5, MPI._typedict[a.dtype.char]] if hasattr(MPI, '_typedict') else a[:5], dest=1, tag=2)
            elif rank == 1:
                b = numpy.zeros(10, dtype=dtype)
                comm.Recv(b, source=0, tag=1)
                self.assertTrue((b == numpy.arange(10).astype(dtype)).all(), dtype)
                c = numpy.zeros(5, dtype=dtype)
                comm.Recv(c, source=0, tag=2)
                self.assertTrue((c == numpy.arange(5).astype(dtype)).all(), dtype)

    def test_Send_Recv_bytes(self):
        comm = self.comm
        if self.size < 2:
            return
        if self.rank == 0:
            comm.Send(b'hello world', dest=1)
            comm.Send([bytearray(b'abcdef'), 3, MPI.CHAR], dest=1)
        elif self.rank == 1:
            buf = bytearray(11)
            st = MPI.Status()
            comm.Recv(buf, source=0, status=st)
            self.assertEqual(bytes(buf), b'hello world')
            self.assertEqual(st.Get_count(MPI.BYTE), 11)
            buf = bytearray(3)
            comm.Recv([buf, MPI.CHAR], source=0)
            self.assertEqual(bytes(buf), b'abc')

    def test_bad_buffers(self):
        comm = self.comm
        with self.assertRaises(TypeError):
            comm.Send(12345, dest=MPI.PROC_NULL)
        with self.assertRaises((BufferError, TypeError)):
            comm.Recv(b'readonly', source=MPI.PROC_NULL)
        with self.assertRaises(ValueError):
            comm.Send([bytearray(4), 8, MPI.CHAR], dest=MPI.PROC_NULL)
        with self.assertRaises(ValueError):
            comm.Send([bytearray(5), MPI.INT], dest=MPI.PROC_NULL)
        with self.assertRaises(ValueError):
            comm.Send([bytearray(4), 1, 0, MPI.INT, 2], dest=MPI.PROC_NULL)
        with self.assertRaises(TypeError):
            comm.Send([bytearray(4), 3.5], dest=MPI.PROC_NULL)


if __name__ == '__main__':
    mpitest.main()
