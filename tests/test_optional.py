# ranks: 1
"""Optional MPI functions: configure checks each one; a method whose function the MPI library lacks
raises NotImplementedError, as mpi4py 3.1 does. Debian's MPICH has them all; the ch3 MPICH of
tests/mpich-dynproc.sh (built without Fortran) has none, and ./check runs this file with both.
What the library provides is read from the process itself (ctypes on the global symbols)."""
import ctypes
import unittest

import mpitest
from mpi4py import MPI

LIBRARY = ctypes.CDLL(None)


def provided(name):
    return hasattr(LIBRARY, name)


class TestOptional(unittest.TestCase):

    def test_library_is_visible(self):
        # The probe itself must see libmpi, or the tests below would prove nothing.
        self.assertTrue(provided('MPI_Comm_spawn'))

    def test_status_fortran(self):
        status = MPI.Status()
        status.Set_source(3)
        status.Set_tag(5)
        if provided('MPI_Status_c2f') and provided('MPI_Status_f2c'):
            f = status.py2f()
            self.assertIsInstance(f, list)
            back = MPI.Status.f2py(f)
            self.assertEqual((back.Get_source(), back.Get_tag()), (3, 5))
        else:
            with self.assertRaises(NotImplementedError):
                status.py2f()
            with self.assertRaises(NotImplementedError):
                MPI.Status.f2py([0] * 5)

    def test_f90_datatypes(self):
        calls = [('MPI_Type_create_f90_integer', lambda: MPI.Datatype.Create_f90_integer(9)),
                 ('MPI_Type_create_f90_real', lambda: MPI.Datatype.Create_f90_real(6, 30)),
                 ('MPI_Type_create_f90_complex', lambda: MPI.Datatype.Create_f90_complex(6, 30))]
        for name, call in calls:
            with self.subTest(name):
                if provided(name):
                    self.assertIsInstance(call(), MPI.Datatype)
                else:
                    with self.assertRaises(NotImplementedError):
                        call()


if __name__ == '__main__':
    mpitest.main()
