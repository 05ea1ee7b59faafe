# ranks: 1 2
"""Bad input found by the sweep (tests/sweep, issue 14) raises instead of crashing or hanging."""
import unittest

from mpi4py import MPI

import mpitest


def struct_type():
    return MPI.Datatype.Create_struct([1, 1], [0, 8], [MPI.INT, MPI.DOUBLE]).Commit()


class TestBadInput(unittest.TestCase):

    def setUp(self):
        self.comm = MPI.COMM_SELF.Dup()

    def tearDown(self):
        self.comm.Free()

    def test_get_accumulate_origin_sizes(self):
        w = MPI.Win.Allocate(64, comm=MPI.COMM_SELF)
        w.Lock(0)
        try:
            # the target takes the origin's count and type (as mpi4py): an empty target
            w.Get_accumulate(None, [bytearray(8), MPI.INT], 0)
            w.Get_accumulate(bytearray(0), [bytearray(8), MPI.INT], 0)
            for origin, target in (([bytearray(4), MPI.INT], None),
                                   ([bytearray(8), MPI.INT], [0, 1, MPI.INT])):
                with self.assertRaises(MPI.Exception) as cm:
                    w.Get_accumulate(origin, [bytearray(8), MPI.INT], 0, target)
                self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_TYPE)
            res = bytearray(8)
            w.Get_accumulate([bytearray(8), MPI.INT], [res, MPI.INT], 0)
            w.Get_accumulate(None, [res, MPI.INT], 0, [0, 2, MPI.INT], MPI.NO_OP)
        finally:
            w.Unlock(0)
            w.Free()

    def test_accumulate_mixed_types(self):
        t = struct_type()
        w = MPI.Win.Allocate(64, comm=MPI.COMM_SELF)
        w.Lock(0)
        try:
            for call in (lambda: w.Accumulate([bytearray(64), t], 0),
                         lambda: w.Raccumulate([bytearray(64), t], 0),
                         lambda: w.Get_accumulate([bytearray(16), t], [bytearray(16), t], 0)):
                with self.assertRaises(MPI.Exception) as cm:
                    call()
                self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_TYPE)
            w.Accumulate([bytearray(16), MPI.DOUBLE_INT], 0, op=MPI.MAXLOC)  # pairs are fine
        finally:
            w.Unlock(0)
            w.Free()
            t.Free()

    def test_external32_mixed_types(self):
        t = struct_type()
        try:
            for call in (lambda: t.Pack_external_size('external32', 1),
                         lambda: t.Pack_external('external32', bytearray(16), bytearray(64), 0),
                         lambda: t.Unpack_external('external32', bytearray(64), 0, bytearray(16)),
                         lambda: MPI.DOUBLE_INT.Pack_external_size('external32', 1)):
                with self.assertRaises(MPI.Exception) as cm:
                    call()
                self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_TYPE)
        finally:
            t.Free()
        self.assertEqual(MPI.INT.Pack_external_size('external32', 3), 12)

    def test_sendrecv_bad_receive_side(self):
        for args, cls in (((1, 0, 0, None, 5, 0), MPI.ERR_RANK),
                          ((1, 0, 0, None, 0, MPI.UNDEFINED), MPI.ERR_TAG)):
            with self.assertRaises(MPI.Exception) as cm:
                self.comm.sendrecv(*args)
            self.assertEqual(cm.exception.Get_error_class(), cls)
        with self.assertRaises(BufferError):
            self.comm.sendrecv(1, 0, 0, bytes(64), 0, 0)
        self.assertEqual(self.comm.sendrecv(7, 0, 0, None, 0, 0), 7)  # nothing left pending

    def test_alltoallv_w_none_bottom(self):
        for fn in (self.comm.Alltoallv, self.comm.Alltoallw):
            for bad in (None, MPI.BOTTOM):
                self.assertRaises(TypeError, fn, bad, [bytearray(8), ([8], [0]), [MPI.BYTE]])
                self.assertRaises(TypeError, fn, [bytearray(8), ([8], [0]), [MPI.BYTE]], bad)

    def test_self_block_sizes(self):
        c = self.comm
        cases = [lambda: c.Scatter(b'x', [bytearray(8), MPI.INT], 0),
                 lambda: c.Gather(b'x', [bytearray(8), MPI.INT], 0),
                 lambda: c.Allgather([bytearray(8), MPI.INT], [bytearray(4), MPI.INT]),
                 lambda: c.Alltoall([bytearray(8), MPI.INT], [bytearray(4), MPI.INT]),
                 lambda: c.Alltoallv([bytearray(8), ([2], [0]), MPI.INT], [bytearray(8), ([1], [0]), MPI.INT]),
                 lambda: c.Alltoallw([bytearray(8), ([8], [0]), [MPI.BYTE]], [bytearray(8), ([1], [0]), [MPI.INT]]),
                 lambda: c.Iscatter(b'x', [bytearray(8), MPI.INT], 0)]
        for call in cases:
            self.assertRaises(ValueError, call)
        r = bytearray(8)
        c.Scatter([b'abcdefgh', MPI.BYTE], [r, MPI.INT], 0)
        self.assertEqual(r, b'abcdefgh')

    def test_error_strings(self):
        MPI.Add_error_class()
        self.assertRaises(MPI.Exception, MPI.Get_error_string, -1)
        self.assertRaises(MPI.Exception, MPI.Get_error_class, -1)
        self.assertIsInstance(str(MPI.Exception(-1)), str)
        with self.assertRaises(MPI.Exception) as cm:
            MPI.File.Delete('\udcff')
        self.assertIsInstance(str(cm.exception), str)  # not UnicodeDecodeError

    def test_status_elements_of_empty_types(self):
        for t in (MPI.UB, MPI.LB):
            self.assertEqual(MPI.Status().Get_elements(t), 0)

    def test_compute_dims_long(self):
        self.assertRaises(ValueError, MPI.Compute_dims, 1, tuple(range(100000)))
        self.assertEqual(MPI.Compute_dims(6, [0, 0]), [3, 2])

    def test_startall_null_requests(self):
        with self.assertRaises(MPI.Exception) as cm:
            MPI.Prequest.Startall([MPI.REQUEST_NULL] * 100000)
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_REQUEST)

    def test_grequest_completed_twice(self):
        r = MPI.Grequest.Start(lambda status: None, lambda: None, lambda completed: None)
        r.Complete()
        with self.assertRaises(MPI.Exception) as cm:
            r.Complete()
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_REQUEST)
        r.Wait()

    def test_file_pair_types(self):
        import os
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            f = MPI.File.Open(MPI.COMM_SELF, os.path.join(d, 'x'), MPI.MODE_RDWR | MPI.MODE_CREATE)
            try:
                for call in (lambda: f.Set_view(0, MPI.DOUBLE_INT),
                             lambda: f.Set_view(0, MPI.BYTE, MPI.SHORT_INT),
                             lambda: f.Write_at(0, [bytearray(32), MPI.DOUBLE_INT])):
                    with self.assertRaises(MPI.Exception) as cm:
                        call()
                    self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_TYPE)
                t = MPI.DOUBLE_INT.Create_contiguous(1).Commit()
                f.Set_view(0, MPI.BYTE, t)
                t.Free()  # the view keeps its own reference (MPI semantics)
            finally:
                f.Close()

    def test_f2py_of_a_stray_integer(self):
        # MPI_Op_free of such a handle fails an assertion inside MPICH
        for cls in (MPI.Op, MPI.Datatype, MPI.Group, MPI.Info, MPI.Errhandler, MPI.Win,
                    MPI.Request, MPI.Message):
            with self.assertRaises(ValueError, msg=cls.__name__):
                cls.f2py(-2 ** 31)
        # real handles, null ones included, still convert both ways
        op = MPI.Op.Create(lambda a, b, t: None)
        dt = MPI.INT.Create_contiguous(2)
        try:
            for obj in (MPI.SUM, op, MPI.OP_NULL, MPI.INT, dt, MPI.DATATYPE_NULL, MPI.GROUP_EMPTY,
                        MPI.INFO_NULL, MPI.ERRORS_RETURN, MPI.REQUEST_NULL, MPI.WIN_NULL,
                        MPI.MESSAGE_NULL):
                self.assertEqual(type(obj).f2py(obj.py2f()), obj)
        finally:
            op.Free()
            dt.Free()


if __name__ == '__main__':
    mpitest.main()
