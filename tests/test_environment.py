# ranks: 1 2
"""Environment management, constants and MPI.Exception (the foundation of the module)."""
import sys
import unittest

import mpitest
from mpi4py import MPI


class TestEnvironment(unittest.TestCase):

    def test_builtin_module(self):
        self.assertIn('mpi4py.MPI', sys.builtin_module_names)
        self.assertEqual(MPI.__name__, 'mpi4py.MPI')

    def test_init_state(self):
        self.assertTrue(MPI.Is_initialized())
        self.assertFalse(MPI.Is_finalized())
        self.assertEqual(MPI.Query_thread(), MPI.THREAD_MULTIPLE)
        self.assertTrue(MPI.Is_thread_main())
        with self.assertRaises(MPI.Exception):
            MPI.Init()  # already initialized by the launcher

    def test_versions(self):
        self.assertEqual(MPI.Get_version(), (MPI.VERSION, MPI.SUBVERSION))
        self.assertGreaterEqual(MPI.Get_version(), (4, 0))
        self.assertIn('MPICH', MPI.Get_library_version())
        name, version = MPI.get_vendor()
        self.assertEqual(name, 'MPICH')
        self.assertEqual(version[:2], (4, 0))
        self.assertIsInstance(MPI.Get_processor_name(), str)
        self.assertTrue(MPI.Get_processor_name())

    def test_timers(self):
        t0 = MPI.Wtime()
        t1 = MPI.Wtime()
        self.assertGreaterEqual(t1, t0)
        self.assertGreater(MPI.Wtick(), 0.0)
        self.assertLess(MPI.Wtick(), 1.0)

    def test_constants(self):
        # values from mpi.h (MPICH 4.0)
        self.assertEqual(MPI.ANY_SOURCE, -2)
        self.assertEqual(MPI.ANY_TAG, -1)
        self.assertEqual(MPI.PROC_NULL, -1)
        self.assertEqual(MPI.ROOT, -3)
        self.assertEqual(MPI.UNDEFINED, -32766)
        self.assertEqual(MPI.SUCCESS, 0)
        self.assertEqual(MPI.IDENT, 0)
        self.assertEqual(MPI.THREAD_SINGLE, 0)
        self.assertEqual(MPI.THREAD_MULTIPLE, 3)
        self.assertEqual(MPI.DISP_CUR, MPI.DISPLACEMENT_CURRENT)
        self.assertEqual(MPI.ORDER_F, MPI.ORDER_FORTRAN)
        self.assertLess(MPI.ERR_RANK, MPI.ERR_LASTCODE)
        self.assertEqual(MPI.BOTTOM, 0)
        self.assertEqual(repr(MPI.BOTTOM), 'BOTTOM')
        self.assertEqual(repr(MPI.IN_PLACE), 'IN_PLACE')
        for name in ('COMM_WORLD', 'COMM_SELF', 'COMM_NULL', 'INT', 'DOUBLE', 'SUM', 'MAXLOC',
                     'INFO_NULL', 'INFO_ENV', 'ERRORS_RETURN', 'GROUP_EMPTY', 'REQUEST_NULL',
                     'MESSAGE_NO_PROC', 'WIN_NULL', 'FILE_NULL', 'DATATYPE_NULL', 'OP_NULL'):
            self.assertTrue(hasattr(MPI, name), name)

    def test_predefined_handles(self):
        self.assertFalse(MPI.COMM_NULL)
        self.assertTrue(MPI.COMM_WORLD)
        self.assertIsInstance(MPI.COMM_WORLD, MPI.Intracomm)
        self.assertEqual(MPI.Comm(MPI.COMM_WORLD), MPI.COMM_WORLD)
        self.assertNotEqual(MPI.COMM_SELF, MPI.COMM_WORLD)
        self.assertFalse(MPI.Comm())
        self.assertEqual(MPI.DOUBLE.Get_size(), 8)
        self.assertEqual(MPI.INT.size, 4)
        self.assertEqual(MPI.SIGNED_INT, MPI.INT)
        self.assertFalse(MPI.DATATYPE_NULL)
        with self.assertRaises(TypeError):
            hash(MPI.COMM_WORLD)
        with self.assertRaises(MPI.Exception):
            MPI.COMM_WORLD.Free()  # predefined
        self.assertEqual(MPI.Comm.f2py(MPI.COMM_WORLD.py2f()), MPI.COMM_WORLD)

    def test_exception(self):
        self.assertTrue(issubclass(MPI.Exception, RuntimeError))
        e = MPI.Exception(MPI.ERR_RANK)
        self.assertEqual(e.Get_error_code(), MPI.ERR_RANK)
        self.assertEqual(e.Get_error_class(), MPI.ERR_RANK)
        self.assertEqual(e.error_code, MPI.ERR_RANK)
        self.assertEqual(int(e), MPI.ERR_RANK)
        self.assertEqual(e, MPI.ERR_RANK)
        self.assertEqual(hash(e), hash(MPI.ERR_RANK))
        self.assertTrue(e)
        self.assertFalse(MPI.Exception(MPI.SUCCESS))
        self.assertIn('rank', e.Get_error_string().lower())
        self.assertEqual(MPI.Get_error_string(MPI.ERR_RANK), e.error_string)
        self.assertEqual(repr(e), 'MPI.Exception(%d)' % MPI.ERR_RANK)

    def test_error_from_call(self):
        comm = MPI.COMM_WORLD
        with self.assertRaises(MPI.Exception) as cm:
            comm.Send(b'x', dest=comm.size + 5)
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_RANK)
        with self.assertRaises(MPI.Exception) as cm:
            comm.Send(b'x', dest=0, tag=-5)
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_TAG)

    def test_error_classes(self):
        cls = MPI.Add_error_class()
        code = MPI.Add_error_code(cls)
        MPI.Add_error_string(code, 'my own error')
        self.assertEqual(MPI.Get_error_class(code), cls)
        self.assertEqual(MPI.Get_error_string(code), 'my own error')

    def test_aint(self):
        self.assertEqual(MPI.Aint_add(100, 28), 128)
        self.assertEqual(MPI.Aint_diff(128, 100), 28)


if __name__ == '__main__':
    mpitest.main()
