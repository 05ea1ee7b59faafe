# ranks: 1 2
"""MPI.Status: fields, setters, properties, counts, copy, comparison, Fortran conversion."""
import unittest

import numpy

import mpitest
from mpi4py import MPI


class TestStatus(unittest.TestCase):

    def test_default(self):
        s = MPI.Status()
        self.assertEqual((s.Get_source(), s.Get_tag(), s.Get_error()), (MPI.ANY_SOURCE, MPI.ANY_TAG, MPI.SUCCESS))
        self.assertEqual((s.source, s.tag, s.error), (MPI.ANY_SOURCE, MPI.ANY_TAG, MPI.SUCCESS))
        self.assertEqual(s.Get_count(), 0)
        self.assertEqual(s.count, 0)
        self.assertEqual(s.Get_elements(MPI.BYTE), 0)
        self.assertFalse(s.Is_cancelled())
        self.assertFalse(s.cancelled)
        self.assertEqual(MPI.Status(None), s)

    def test_setters(self):
        s = MPI.Status()
        s.Set_source(3)
        s.Set_tag(tag=7)
        s.Set_error(MPI.ERR_OTHER)
        self.assertEqual((s.Get_source(), s.Get_tag(), s.Get_error()), (3, 7, MPI.ERR_OTHER))
        s.source, s.tag, s.error = 1, 2, MPI.SUCCESS
        self.assertEqual((s.source, s.tag, s.error), (1, 2, MPI.SUCCESS))
        s.Set_cancelled(True)
        self.assertTrue(s.Is_cancelled())
        s.cancelled = False
        self.assertFalse(s.cancelled)
        s.Set_source(source=5)
        s.Set_error(error=MPI.ERR_TAG)
        self.assertEqual((s.source, s.error), (5, MPI.ERR_TAG))
        s.Set_elements(datatype=MPI.INT, count=2)
        self.assertEqual(s.count, 8)
        s.Set_cancelled(flag=1)
        self.assertTrue(s.cancelled)
        s.Set_source(2.0)  # floats are truncated, as in mpi4py 3.1
        self.assertEqual(s.source, 2)
        for bad in ('1', None, [1]):
            with self.assertRaises(TypeError):
                s.Set_source(bad)
            with self.assertRaises(TypeError):
                s.tag = bad
        with self.assertRaises(OverflowError):
            s.Set_error(1 << 40)
        with self.assertRaises(TypeError):
            del s.source
        with self.assertRaises(TypeError):
            del s.cancelled
        with self.assertRaises(TypeError):
            s.Set_tag()
        with self.assertRaises(TypeError):
            s.Set_tag(1, tag=2)

    def test_elements_and_count(self):
        s = MPI.Status()
        s.Set_elements(MPI.INT, 6)
        self.assertEqual(s.Get_count(MPI.INT), 6)
        self.assertEqual(s.Get_count(), 24)
        self.assertEqual(s.count, 24)
        self.assertEqual(s.Get_elements(MPI.INT), 6)
        self.assertEqual(s.Get_elements(datatype=MPI.SHORT), 12)
        self.assertEqual(s.Get_count(datatype=MPI.DOUBLE), 3)
        five = MPI.BYTE.Create_contiguous(5).Commit()
        self.assertEqual(s.Get_count(five), MPI.UNDEFINED)   # 24 bytes: not whole elements
        self.assertEqual(s.Get_elements(five), 24)
        five.Free()
        pair = MPI.INT.Create_contiguous(4).Commit()
        self.assertEqual(s.Get_count(pair), MPI.UNDEFINED)
        self.assertEqual(s.Get_elements(pair), 6)
        s.Set_elements(pair, 2)
        self.assertEqual((s.Get_count(pair), s.count, s.Get_elements(MPI.INT)), (2, 32, 8))
        pair.Free()
        s.count = 10
        self.assertEqual(s.Get_count(MPI.BYTE), 10)
        big = 1 << 40
        s.Set_elements(MPI.BYTE, big)            # large counts do not wrap
        self.assertEqual(s.count, big)
        self.assertEqual(s.Get_count(MPI.INT), big // 4)
        with self.assertRaises(ValueError):
            s.Set_elements(MPI.INT, -1)
        with self.assertRaises(ValueError):
            s.count = -5
        with self.assertRaises(TypeError):
            s.Set_elements(MPI.INT)
        with self.assertRaises(TypeError):
            s.Get_count('i')
        with self.assertRaises(TypeError):
            s.Get_elements()
        with self.assertRaises(TypeError):
            s.Get_elements(None)
        with self.assertRaises(MPI.Exception) as cm:
            s.Get_count(MPI.DATATYPE_NULL)
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_TYPE)
        with self.assertRaises(MPI.Exception):
            s.Set_elements(MPI.DATATYPE_NULL, 1)
        t = MPI.INT.Create_contiguous(2)
        t.Free()
        with self.assertRaises(MPI.Exception):
            s.Get_elements(t)

    def test_copy_and_compare(self):
        s = MPI.Status()
        s.source, s.tag = 4, 5
        s.Set_elements(MPI.BYTE, 9)
        c = MPI.Status(s)
        self.assertIsNot(c, s)
        self.assertEqual(c, s)
        self.assertFalse(c != s)
        self.assertEqual((c.source, c.tag, c.count), (4, 5, 9))
        c.tag = 6
        self.assertNotEqual(c, s)
        self.assertEqual(s.tag, 5)
        c = MPI.Status(status=s)
        c.count = 10
        self.assertNotEqual(c, s)
        c = MPI.Status(s)
        c.cancelled = True
        self.assertNotEqual(c, s)
        c = MPI.Status(s)
        c.error = MPI.ERR_TRUNCATE
        self.assertTrue(c != s)
        self.assertFalse(s == 4)
        self.assertTrue(s != 'status')
        with self.assertRaises(TypeError):
            s < c
        with self.assertRaises(TypeError):
            s >= c
        with self.assertRaises(TypeError):
            hash(s)
        self.assertIsNone(MPI.Status.__hash__)
        with self.assertRaises(TypeError):
            MPI.Status(42)
        with self.assertRaises(TypeError):
            MPI.Status(MPI.COMM_WORLD)

    def test_subclass(self):
        class MyStatus(MPI.Status):
            pass
        s = MyStatus()
        s.tag = 3
        self.assertEqual(MPI.Status(s).tag, 3)
        self.assertIsInstance(MyStatus.f2py(s.py2f()), MyStatus)

    def test_fortran(self):
        s = MPI.Status()
        s.source, s.tag, s.error = 2, 11, MPI.ERR_OTHER
        s.Set_elements(MPI.BYTE, 17)
        s.cancelled = True
        f = s.py2f()
        self.assertIsInstance(f, list)
        self.assertTrue(all(isinstance(x, int) for x in f))
        self.assertGreaterEqual(len(f), 3)
        b = MPI.Status.f2py(f)
        self.assertEqual(b, s)
        self.assertEqual((b.source, b.tag, b.error, b.count, b.cancelled), (2, 11, MPI.ERR_OTHER, 17, True))
        self.assertEqual(MPI.Status.f2py(arg=tuple(f)), s)
        with self.assertRaises(ValueError):
            MPI.Status.f2py(f[:-1])
        with self.assertRaises(ValueError):
            MPI.Status.f2py(f + [0])
        with self.assertRaises(TypeError):
            MPI.Status.f2py(42)
        with self.assertRaises(TypeError):
            MPI.Status.f2py(['a'] * len(f))
        with self.assertRaises(TypeError):
            MPI.Status.f2py()

    def test_received(self):
        comm = MPI.COMM_WORLD
        if comm.size < 2:
            # no message to oneself with blocking calls: PROC_NULL gives the empty status
            s = MPI.Status()
            comm.Recv(bytearray(4), source=MPI.PROC_NULL, tag=3, status=s)
            self.assertEqual((s.source, s.tag, s.count), (MPI.PROC_NULL, MPI.ANY_TAG, 0))
            return
        if comm.rank == 0:
            comm.Send([numpy.arange(5, dtype='i4'), MPI.INT], dest=1, tag=42)
        elif comm.rank == 1:
            s = MPI.Status()
            buf = numpy.zeros(10, dtype='i4')
            comm.Recv([buf, MPI.INT], source=MPI.ANY_SOURCE, tag=MPI.ANY_TAG, status=s)
            self.assertEqual((s.source, s.tag, s.error), (0, 42, MPI.SUCCESS))
            self.assertEqual((s.Get_count(MPI.INT), s.count, s.Get_elements(MPI.SHORT)), (5, 20, 10))
            self.assertFalse(s.cancelled)
            self.assertEqual(MPI.Status(s), s)
            self.assertEqual(list(buf[:5]), list(range(5)))
        comm.Barrier()


if __name__ == '__main__':
    mpitest.main()
