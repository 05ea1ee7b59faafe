# ranks: 2
# timeout: 300
"""Messages past 2 GiB (count over INT_MAX) go through the MPI-4 large-count (_c) calls:
a 2.1 GiB bytearray with Send/Recv and Isend/Irecv, and a pickled object over 2 GiB."""
import unittest

import mpitest
from mpi4py import MPI

try:
    import numpy
except ImportError:
    numpy = None

N = (1 << 31) + (1 << 27)  # 2.125 GiB: more than INT_MAX bytes
MARKS = [0, 1, (1 << 31) - 2, (1 << 31) - 1, 1 << 31, (1 << 31) + 1, N - 1]


def mark(buf, salt):
    for i, pos in enumerate(MARKS):
        buf[pos] = (i * 37 + salt) % 256


def check(test, buf, salt):
    test.assertEqual(len(buf), N)
    for i, pos in enumerate(MARKS):
        test.assertEqual(buf[pos], (i * 37 + salt) % 256, pos)


class TestLargeCount(unittest.TestCase):

    def setUp(self):
        self.comm = MPI.COMM_WORLD
        self.rank = self.comm.rank
        self.peer = 1 - self.rank

    def test_send_recv(self):
        comm = self.comm
        buf = bytearray(N)
        if self.rank == 0:
            mark(buf, 1)
            if numpy is not None:  # a pattern everywhere, checked with NumPy
                numpy.frombuffer(buf, 'u1')[1 << 20:(1 << 20) + 4096] = 7
            comm.Send(buf, 1, 1)
        else:
            st = MPI.Status()
            comm.Recv(buf, 0, 1, st)
            check(self, buf, 1)
            self.assertEqual(st.Get_count(MPI.BYTE), N)
            if numpy is not None:
                self.assertTrue((numpy.frombuffer(buf, 'u1')[1 << 20:(1 << 20) + 4096] == 7).all())
        del buf
        comm.Barrier()

    def test_isend_irecv(self):
        comm = self.comm
        buf = bytearray(N)
        if self.rank == 0:
            mark(buf, 2)
            comm.Isend([buf, MPI.BYTE], 1, 2).Wait()
        else:
            comm.Irecv([buf, N, MPI.BYTE], 0, 2).Wait()
            check(self, buf, 2)
        del buf
        comm.Barrier()

    def test_pickled_object(self):
        comm = self.comm
        if self.rank == 0:
            obj = bytearray(N)
            mark(obj, 3)
            comm.send(obj, 1, 3)
            del obj
        else:
            st = MPI.Status()
            obj = comm.recv(source=0, tag=3, status=st)
            self.assertGreater(st.Get_count(), N)
            self.assertIsInstance(obj, bytearray)
            check(self, obj, 3)
            del obj
        comm.Barrier()


if __name__ == '__main__':
    mpitest.main()
