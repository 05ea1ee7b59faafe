# ranks: 1 2
"""MPI.Errhandler and Comm.Get/Set/Call_errhandler: predefined handlers, ERRORS_RETURN on every
communicator the module creates, errors become MPI.Exception."""
import unittest

import mpitest
from mpi4py import MPI


class TestErrhandler(unittest.TestCase):

    def test_constants(self):
        self.assertFalse(MPI.ERRHANDLER_NULL)
        self.assertTrue(MPI.ERRORS_RETURN)
        self.assertTrue(MPI.ERRORS_ARE_FATAL)
        self.assertNotEqual(MPI.ERRORS_RETURN, MPI.ERRORS_ARE_FATAL)
        self.assertEqual(MPI.Errhandler(MPI.ERRORS_RETURN), MPI.ERRORS_RETURN)
        self.assertEqual(MPI.Errhandler(), MPI.ERRHANDLER_NULL)
        self.assertIsNone(MPI.Errhandler.__hash__)
        # MPI lets a predefined handler be freed; the constant keeps its handle (as in mpi4py 3.1)
        for eh in (MPI.ERRORS_RETURN, MPI.ERRORS_ARE_FATAL):
            eh.Free()
            self.assertTrue(eh)
            self.assertEqual(MPI.Errhandler.f2py(eh.py2f()), eh)
        with self.assertRaises(MPI.Exception) as cm:
            MPI.ERRHANDLER_NULL.Free()
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_ARG)
        self.assertEqual(MPI.COMM_SELF.Get_errhandler(), MPI.ERRORS_RETURN)
        with self.assertRaises(TypeError):
            MPI.ERRORS_RETURN < MPI.ERRORS_ARE_FATAL

    def test_predefined_comms(self):
        for comm in (MPI.COMM_WORLD, MPI.COMM_SELF):
            eh = comm.Get_errhandler()
            self.assertEqual(eh, MPI.ERRORS_RETURN)
            eh.Free()
            self.assertEqual(eh, MPI.ERRHANDLER_NULL)
            with self.assertRaises(MPI.Exception):
                eh.Free()

    def test_new_comms(self):
        w = MPI.COMM_WORLD
        comms = [w.Dup(), w.Clone(), w.Split(0, 0), w.Create(w.group), w.Create_cart([w.size]),
                 w.Split_type(MPI.COMM_TYPE_SHARED)]
        for comm in comms:
            self.assertEqual(comm.Get_errhandler(), MPI.ERRORS_RETURN)
            with self.assertRaises(MPI.Exception) as cm:
                comm.Send([bytearray(1), MPI.BYTE], dest=comm.size + 1)
            self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_RANK)
            comm.Free()

    def test_set_get(self):
        comm = MPI.COMM_WORLD.Dup()
        comm.Set_errhandler(MPI.ERRORS_ARE_FATAL)
        self.assertEqual(comm.Get_errhandler(), MPI.ERRORS_ARE_FATAL)
        # a duplicate inherits the handler (MPI rule) but the module sets ERRORS_RETURN
        dup = comm.Dup()
        self.assertEqual(dup.Get_errhandler(), MPI.ERRORS_RETURN)
        dup.Free()
        comm.Set_errhandler(errhandler=MPI.ERRORS_RETURN)
        self.assertEqual(comm.Get_errhandler(), MPI.ERRORS_RETURN)
        with self.assertRaises(MPI.Exception):
            comm.Set_errhandler(MPI.ERRHANDLER_NULL)
        with self.assertRaises(TypeError):
            comm.Set_errhandler(None)
        with self.assertRaises(TypeError):
            comm.Set_errhandler(MPI.INFO_NULL)
        comm.Free()
        with self.assertRaises(MPI.Exception):
            comm.Get_errhandler()
        with self.assertRaises(MPI.Exception):
            comm.Set_errhandler(MPI.ERRORS_RETURN)

    def test_call_errhandler(self):
        comm = MPI.COMM_WORLD.Dup()
        # with ERRORS_RETURN the handler returns: no exception, nothing aborts
        comm.Call_errhandler(MPI.SUCCESS)
        try:
            comm.Call_errhandler(MPI.ERR_OTHER)
        except MPI.Exception as exc:
            self.assertEqual(exc.Get_error_class(), MPI.ERR_OTHER)
        with self.assertRaises(TypeError):
            comm.Call_errhandler()
        with self.assertRaises(TypeError):
            comm.Call_errhandler('x')
        comm.Free()
        with self.assertRaises(MPI.Exception):
            comm.Call_errhandler(MPI.ERR_OTHER)

    def test_exception_fields(self):
        with self.assertRaises(MPI.Exception) as cm:
            MPI.COMM_WORLD.Get_attr(MPI.KEYVAL_INVALID)
        exc = cm.exception
        self.assertIsInstance(exc, RuntimeError)
        self.assertEqual(exc.Get_error_class(), MPI.ERR_KEYVAL)
        self.assertIsInstance(exc.Get_error_string(), str)


if __name__ == '__main__':
    mpitest.main()
