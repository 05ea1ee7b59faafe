# ranks: 1 2
"""NumPy arrays as buffers. An exact, contiguous ndarray of a native builtin type is read from
its fields rather than exported (msgbuffer.c); every property an export gives must hold the same
way: datatype from the dtype, count from the size, read-only arrays refused as receive buffers,
Fortran order accepted, strided and byte-swapped arrays handled by the export path."""
import unittest

import mpitest
from mpi4py import MPI

try:
    import numpy as np
except ImportError:
    np = None

TYPES = '?bBhHiIlLqQfdgFDG'


@unittest.skipIf(np is None, 'needs NumPy')
class TestNdarray(mpitest.RingCase):

    def exchange(self, send, recv):
        self.comm.Sendrecv(send, self.dest, 7, recv, self.source, 7)

    def test_every_builtin_type(self):
        for code in TYPES:
            with self.subTest(code=code):
                s = (np.arange(5) + self.comm.rank).astype(code)
                r = np.zeros(5, dtype=code)
                self.exchange(s, r)
                want = (np.arange(5) + self.source).astype(code)
                self.assertTrue(np.array_equal(r, want))

    def test_datatype_and_count_of_a_status(self):
        s = np.arange(6, dtype='i4').reshape(2, 3)
        r = np.zeros(6, dtype='i4')
        st = MPI.Status()
        self.comm.Sendrecv(s, self.dest, 8, r, self.source, 8, st)
        self.assertEqual(st.Get_count(MPI.INT), 6)
        self.assertEqual(st.Get_count(MPI.BYTE), 24)

    def test_readonly_array_refused_as_receive_buffer(self):
        r = np.zeros(3)
        r.flags.writeable = False
        with self.assertRaises(ValueError):  # NumPy's own refusal of a writable export
            MPI.COMM_SELF.Recv(r, MPI.PROC_NULL)
        with self.assertRaises(ValueError):
            MPI.COMM_SELF.Recv([r, MPI.DOUBLE], MPI.PROC_NULL)
        MPI.COMM_SELF.Send(r, MPI.PROC_NULL)  # fine as a send buffer

    def test_fortran_order(self):
        s = np.asfortranarray(np.arange(6, dtype='d').reshape(2, 3))
        r = np.zeros(6)
        MPI.COMM_SELF.Sendrecv(s, 0, 1, r, 0, 1)
        self.assertEqual(list(r), list(s.ravel(order='K')))

    def test_strided_array_refused(self):
        s = np.arange(10, dtype='d')[::2]
        with self.assertRaises(ValueError):  # NumPy: "ndarray is not contiguous"
            MPI.COMM_SELF.Send(s, MPI.PROC_NULL)

    def test_byteswapped_and_subclass_arrays_take_the_export(self):
        s = np.arange(4, dtype='>i4')
        r = np.zeros(4, dtype='>i4')
        MPI.COMM_SELF.Sendrecv([s, MPI.INT], 0, 2, [r, MPI.INT], 0, 2)  # bytes as they are
        self.assertEqual(list(r), [0, 1, 2, 3])
        m = np.arange(3.0).view(np.matrix)
        rm = np.zeros(3)
        MPI.COMM_SELF.Sendrecv(m, 0, 3, rm, 0, 3)
        self.assertEqual(list(rm), [0.0, 1.0, 2.0])

    def test_zero_dimensional_and_empty(self):
        s, r = np.array(3.5), np.array(0.0)
        MPI.COMM_SELF.Sendrecv(s, 0, 4, r, 0, 4)
        self.assertEqual(float(r), 3.5)
        e = np.zeros(0, dtype='i')
        MPI.COMM_SELF.Sendrecv(e, 0, 5, np.zeros(0, dtype='i'), 0, 5)

    def test_structured_dtype_uses_the_export(self):
        s = np.zeros(2, dtype=[('a', 'i4'), ('b', 'f8')])
        r = np.zeros(2, dtype=s.dtype)
        s['a'] = [1, 2]
        MPI.COMM_SELF.Sendrecv([s, MPI.BYTE], 0, 6, [r, MPI.BYTE], 0, 6)
        self.assertEqual(list(r['a']), [1, 2])

    def test_array_kept_alive_by_a_pending_request(self):
        r = np.zeros(4, dtype='i')
        req = MPI.COMM_SELF.Irecv(r, 0, 9)
        import sys
        refs = sys.getrefcount(r)
        MPI.COMM_SELF.Send(np.arange(4, dtype='i'), 0, 9)
        req.Wait()
        self.assertEqual(list(r), [0, 1, 2, 3])
        self.assertLessEqual(sys.getrefcount(r), refs)

    def test_collective(self):
        s = np.full(3, self.comm.rank + 1, dtype='i8')
        r = np.zeros(3, dtype='i8')
        self.comm.Allreduce(s, r, MPI.SUM)
        n = self.comm.size
        self.assertEqual(list(r), [n * (n + 1) // 2] * 3)


if __name__ == '__main__':
    mpitest.main()
