# ranks: 1 2
"""MPI.Op: predefined ops, Op.Create with Python functions on buffers, Free, Is_commutative,
is_predefined, Reduce_local, Op.__call__ on Python objects, errors raised by user functions."""
import io
import sys
import unittest

import numpy as np

import mpitest
from mpi4py import MPI

PREDEFINED = ['MAX', 'MIN', 'SUM', 'PROD', 'LAND', 'BAND', 'LOR', 'BOR', 'LXOR', 'BXOR',
              'MAXLOC', 'MINLOC', 'REPLACE', 'NO_OP']


def add_times_two(invec, inoutvec, datatype):
    a = np.frombuffer(invec, dtype='d')
    b = np.frombuffer(inoutvec, dtype='d')
    b[:] = 2 * (a + b)


def concat_digits(invec, inoutvec, datatype):
    # non-commutative: inoutvec = invec "then" inoutvec, as decimal digits
    a = np.frombuffer(invec, dtype='i8')
    b = np.frombuffer(inoutvec, dtype='i8')
    b[:] = a * 10 + b


class TestPredefined(unittest.TestCase):

    def test_constants(self):
        for name in PREDEFINED:
            op = getattr(MPI, name)
            self.assertIsInstance(op, MPI.Op)
            self.assertTrue(op.is_predefined)
            self.assertTrue(op)
            if name not in ('REPLACE', 'NO_OP'):
                self.assertTrue(op.Is_commutative())
                self.assertTrue(op.is_commutative)
        self.assertTrue(MPI.OP_NULL.is_predefined)
        self.assertFalse(MPI.OP_NULL)
        self.assertEqual(MPI.Op(), MPI.OP_NULL)
        self.assertEqual(MPI.Op(MPI.SUM), MPI.SUM)
        self.assertNotEqual(MPI.SUM, MPI.PROD)
        self.assertEqual(MPI.Op.f2py(MPI.MAX.py2f()), MPI.MAX)

    def test_cannot_free_predefined(self):
        for op in (MPI.SUM, MPI.MAXLOC, MPI.OP_NULL, MPI.Op(MPI.PROD)):
            with self.assertRaises(MPI.Exception) as cm:
                op.Free()
            self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_OP)
        self.assertTrue(MPI.SUM)
        self.assertEqual(MPI.SUM(2, 3), 5)
        with self.assertRaises(ValueError):
            MPI.OP_NULL.Is_commutative()

    def test_call(self):
        self.assertEqual(MPI.SUM(2, 3), 5)
        self.assertEqual(MPI.SUM([1], [2]), [1, 2])
        self.assertEqual(MPI.PROD(4, 5), 20)
        self.assertEqual(MPI.MAX(4, 5), 5)
        self.assertEqual(MPI.MIN(4, 5), 4)
        self.assertIs(MPI.LAND(1, 0), False)
        self.assertIs(MPI.LOR(1, 0), True)
        self.assertIs(MPI.LXOR(1, 1), False)
        self.assertEqual(MPI.BAND(6, 3), 2)
        self.assertEqual(MPI.BOR(6, 3), 7)
        self.assertEqual(MPI.BXOR(6, 3), 5)
        self.assertEqual(MPI.MAXLOC((1, 5), (3, 2)), (3, 2))
        self.assertEqual(MPI.MAXLOC((3, 5), (3, 2)), (3, 2))
        self.assertEqual(MPI.MINLOC((1, 5), (3, 2)), (1, 5))
        self.assertEqual(MPI.MINLOC((1, 5), (1, 2)), (1, 2))
        # a tie gives the whole pair with the lower index: its value object too (mpi4py 3.1)
        x, y = [1], [1]
        for op in (MPI.MINLOC, MPI.MAXLOC):
            self.assertIs(op([x, 1], [y, 0])[0], y)
            self.assertIs(op([x, 0], [y, 1])[0], x)
        self.assertEqual(MPI.REPLACE(1, 2), 2)
        self.assertEqual(MPI.NO_OP(1, 2), 1)
        self.assertEqual(MPI.SUM(x=1, y=2), 3)
        with self.assertRaises(TypeError):
            MPI.SUM(1)
        with self.assertRaises(TypeError):
            MPI.SUM(1, 'a')

    def test_reduce_local(self):
        a = np.arange(5, dtype='d')
        b = np.ones(5, dtype='d')
        MPI.SUM.Reduce_local(a, b)
        self.assertEqual(list(b), [1, 2, 3, 4, 5])
        MPI.MAX.Reduce_local([a, MPI.DOUBLE], [b, MPI.DOUBLE])
        self.assertEqual(list(b), [1, 2, 3, 4, 5])
        MPI.PROD.Reduce_local(inbuf=a, inoutbuf=b)
        self.assertEqual(list(b), [0, 2, 6, 12, 20])
        i = np.array([6], dtype='i')
        j = np.array([3], dtype='i')
        MPI.BAND.Reduce_local(i, j)
        self.assertEqual(j[0], 2)

    def test_reduce_local_errors(self):
        with self.assertRaises(ValueError):
            MPI.SUM.Reduce_local(np.zeros(3), np.zeros(4))
        with self.assertRaises(ValueError):
            MPI.SUM.Reduce_local(np.zeros(3, 'i'), np.zeros(3, 'd'))
        with self.assertRaises(BufferError):
            MPI.SUM.Reduce_local(np.zeros(1), b'\0' * 8)
        with self.assertRaises(ValueError):
            MPI.OP_NULL.Reduce_local(np.zeros(1), np.zeros(1))
        with self.assertRaises(MPI.Exception):
            MPI.BAND.Reduce_local(np.zeros(1, 'd'), np.zeros(1, 'd'))
        with self.assertRaises(TypeError):
            MPI.SUM.Reduce_local(np.zeros(1))


class TestUserOp(unittest.TestCase):

    def test_create_free(self):
        op = MPI.Op.Create(add_times_two, commute=True)
        self.assertIsInstance(op, MPI.Op)
        self.assertTrue(op)
        self.assertFalse(op.is_predefined)
        self.assertTrue(op.Is_commutative())
        op.Free()
        self.assertFalse(op)
        self.assertEqual(op, MPI.OP_NULL)
        with self.assertRaises(MPI.Exception) as cm:
            op.Free()
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_OP)
        op = MPI.Op.Create(add_times_two)
        self.assertFalse(op.Is_commutative())
        self.assertFalse(op.is_commutative)
        op.Free()
        with self.assertRaises(TypeError):
            MPI.Op.Create(42)

    def test_many_ops(self):
        # slots are reused after Free
        for _ in range(100):
            op = MPI.Op.Create(add_times_two, True)
            op.Free()

    def test_copies(self):
        # only Free() releases an Op: a copy outlives the original object
        op = MPI.Op.Create(add_times_two, True)
        copy = MPI.Op.f2py(op.py2f())
        del op
        b = np.ones(2)
        copy.Reduce_local(np.ones(2), b)
        self.assertEqual(list(b), [4, 4])
        self.assertTrue(MPI.Op(copy).Is_commutative())
        copy.Free()
        self.assertFalse(copy)

    def test_reduce_local(self):
        op = MPI.Op.Create(add_times_two, commute=True)
        try:
            a = np.arange(4, dtype='d')
            b = np.ones(4, dtype='d')
            op.Reduce_local(a, b)
            self.assertEqual(list(b), [2, 4, 6, 8])
        finally:
            op.Free()

    def test_function_arguments(self):
        seen = []

        def fn(invec, inoutvec, datatype):
            seen.append((type(invec), len(invec), len(inoutvec), datatype))
            memoryview(inoutvec)[:] = memoryview(invec)

        op = MPI.Op.Create(fn, True)
        try:
            op.Reduce_local(np.arange(3, dtype='i'), np.zeros(3, dtype='i'))
        finally:
            op.Free()
        self.assertEqual(seen, [(MPI.memory, 12, 12, MPI.INT)])

    def test_allreduce(self):
        comm = MPI.COMM_WORLD
        op = MPI.Op.Create(add_times_two, commute=True)
        try:
            s = np.full(3, 1.0)
            r = np.zeros(3)
            comm.Allreduce(s, r, op=op)
            expect = 1.0
            for _ in range(comm.size - 1):
                expect = 2 * (expect + 1.0)
            self.assertEqual(list(r), [expect] * 3)
            req = comm.Iallreduce(s, r, op)
            req.Wait()
            self.assertEqual(list(r), [expect] * 3)
        finally:
            op.Free()

    def test_noncommutative_order(self):
        comm = MPI.COMM_WORLD
        op = MPI.Op.Create(concat_digits, commute=False)
        try:
            s = np.array([comm.rank + 1], dtype='i8')
            r = np.zeros(1, dtype='i8')
            comm.Allreduce(s, r, op)
            self.assertEqual(r[0], int(''.join(str(i + 1) for i in range(comm.size))))
            comm.Scan(s, r, op)
            self.assertEqual(r[0], int(''.join(str(i + 1) for i in range(comm.rank + 1))))
            r[:] = 0
            comm.Reduce(s, r if comm.rank == 0 else None, op, 0)
            if comm.rank == 0:
                self.assertEqual(r[0], int(''.join(str(i + 1) for i in range(comm.size))))
        finally:
            op.Free()

    def test_exception_in_function(self):
        def bad(invec, inoutvec, datatype):
            raise ZeroDivisionError('boom')

        op = MPI.Op.Create(bad, commute=True)
        try:
            with self.assertRaises(ZeroDivisionError):
                op.Reduce_local(np.zeros(2), np.zeros(2))
            comm = MPI.COMM_WORLD
            if comm.size > 1:
                # the function runs where data is combined; every process survives it
                try:
                    comm.Allreduce(np.zeros(2), np.zeros(2), op)
                except ZeroDivisionError:
                    pass
                comm.Barrier()
            # still usable afterwards
            self.assertEqual(MPI.SUM(1, 2), 3)
        finally:
            op.Free()

    def test_exception_in_nonblocking_is_printed(self):
        def bad(invec, inoutvec, datatype):
            raise KeyError('nonblocking')

        op = MPI.Op.Create(bad, commute=True)
        old = sys.stderr
        sys.stderr = io.StringIO()
        try:
            req = MPI.COMM_SELF.Iallreduce(np.zeros(2), np.zeros(2), op)
            req.Wait()
        finally:
            err, sys.stderr = sys.stderr.getvalue(), old
            op.Free()
        # with one process nothing is combined, or the error was reported as unraisable
        self.assertTrue(err == '' or 'KeyError' in err)

    def test_call_user_op(self):
        def fn(x, y, datatype):
            self.assertIsNone(datatype)
            return x * 10 + y

        op = MPI.Op.Create(fn)
        try:
            self.assertEqual(op(1, 2), 12)
            self.assertEqual(MPI.COMM_WORLD.allreduce(1, op=op), int('1' * MPI.COMM_WORLD.size))
        finally:
            op.Free()


if __name__ == '__main__':
    mpitest.main()
