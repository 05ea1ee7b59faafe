# ranks: 1 2 3
# timeout: 300
"""Collective communication of Python objects on intracommunicators: barrier, bcast, gather,
scatter, allgather, alltoall, reduce, allreduce, scan, exscan; small and large objects, any Op,
user-defined Ops, plain callables, MINLOC/MAXLOC; bad input."""
import unittest

import numpy as np

import mpitest
from mpi4py import MPI

OBJECTS = [None, True, 0, -1, 7, 2 ** 70, -2 ** 63, 2 ** 63 - 1, 1.5, float('inf'), 'abc', b'xyz',
           [1, 2, 3], (1, 'a'), {'k': [1, 2]}, {1, 2}, 'x' * 10000, list(range(5000)),
           np.arange(10), [1, 'a', b'b', None, True, False, 2.5, -0.0], ('t', 1), {'a': 1, 2: 'b', None: 1.5},
           [[1], [2]], '\ud800', [2 ** 70, 1], (), [], {}, 'é€', [1.0] * 200]


class MyList(list):
    pass


def same(a, b):
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and (a == b).all()
    return type(a) is type(b) and a == b


class TestCollObj(unittest.TestCase):

    def setUp(self):
        self.comm = MPI.COMM_WORLD.Dup()
        self.rank, self.size = self.comm.rank, self.comm.size

    def tearDown(self):
        self.comm.Free()

    def test_barrier(self):
        self.assertIsNone(self.comm.barrier())

    def test_bcast(self):
        for obj in OBJECTS:
            for root in range(self.size):
                got = self.comm.bcast(obj if self.rank == root else None, root=root)
                self.assertTrue(same(got, obj), (got, obj))
        self.assertIsNone(self.comm.bcast())
        self.assertEqual(self.comm.bcast(obj=5), 5)
        # the root gets a copy
        lst = [1, 2]
        self.assertIsNot(self.comm.bcast(lst), lst)

    def test_copies_keep_types_and_sharing(self):
        inner = [1]
        got = self.comm.bcast([inner, inner])
        self.assertIs(got[0], got[1])
        got = self.comm.allgather(MyList([1, 2]))
        self.assertTrue(all(type(g) is MyList and g == [1, 2] for g in got))
        got = self.comm.bcast(float('nan'))
        self.assertNotEqual(got, got)
        got = self.comm.allreduce([True])
        self.assertEqual(got, [True] * self.size)
        self.assertIs(type(got[0]), bool)

    def test_gather(self):
        for obj in OBJECTS:
            for root in range(self.size):
                got = self.comm.gather(obj, root=root)
                if self.rank == root:
                    self.assertEqual(len(got), self.size)
                    for g in got:
                        self.assertTrue(same(g, obj))
                else:
                    self.assertIsNone(got)
        got = self.comm.gather(self.rank, 0)
        if self.rank == 0:
            self.assertEqual(got, list(range(self.size)))

    def test_scatter(self):
        for root in range(self.size):
            data = [(i, 'x' * (1000 * i)) for i in range(self.size)] if self.rank == root else None
            self.assertEqual(self.comm.scatter(data, root=root), (self.rank, 'x' * (1000 * self.rank)))
        data = [(i + 1) ** 2 for i in range(self.size)] if self.rank == 0 else None
        self.assertEqual(self.comm.scatter(data, root=0), (self.rank + 1) ** 2)
        data = tuple(range(self.size))
        self.assertEqual(self.comm.scatter(data if self.rank == 0 else None), self.rank)

    def test_allgather(self):
        for obj in OBJECTS:
            got = self.comm.allgather(obj)
            self.assertEqual(len(got), self.size)
            for g in got:
                self.assertTrue(same(g, obj))
        self.assertEqual(self.comm.allgather(self.rank), list(range(self.size)))
        # mixed sizes: small on some ranks, large on others
        obj = 'y' * (300 * self.rank)
        self.assertEqual(self.comm.allgather(obj), ['y' * (300 * r) for r in range(self.size)])
        self.assertEqual(self.comm.allgather(sendobj=float(self.rank)), [float(r) for r in range(self.size)])

    def test_alltoall(self):
        send = [(self.rank, d) for d in range(self.size)]
        self.assertEqual(self.comm.alltoall(send), [(s, self.rank) for s in range(self.size)])
        send = ['z' * (100 * self.rank + d) for d in range(self.size)]
        self.assertEqual(self.comm.alltoall(send), ['z' * (100 * s + self.rank) for s in range(self.size)])

    def test_reduce(self):
        for root in range(self.size):
            for op, expect in ((MPI.SUM, sum(range(self.size))), (MPI.MAX, self.size - 1), (MPI.MIN, 0),
                               (MPI.PROD, 0 if self.size > 1 else 0)):
                got = self.comm.reduce(self.rank, op=op, root=root)
                self.assertEqual(got, expect if self.rank == root else None)
        got = self.comm.reduce([self.rank], root=0)
        if self.rank == 0:
            self.assertEqual(got, list(range(self.size)))

    def test_allreduce(self):
        r, n = self.rank, self.size
        self.assertEqual(self.comm.allreduce(r), n * (n - 1) // 2)
        self.assertEqual(self.comm.allreduce(r + 0.5), sum(i + 0.5 for i in range(n)))
        self.assertEqual(self.comm.allreduce(2 ** 80 + r), sum(2 ** 80 + i for i in range(n)))
        self.assertEqual(self.comm.allreduce(r, MPI.MAX), n - 1)
        self.assertEqual(self.comm.allreduce(r, op=MPI.MIN), 0)
        self.assertEqual(self.comm.allreduce(r + 1, MPI.PROD), int(np.prod(range(1, n + 1))))
        self.assertEqual(self.comm.allreduce(r == 0, MPI.LAND), n == 1)
        self.assertEqual(self.comm.allreduce(r == 0, MPI.LOR), True)
        self.assertEqual(self.comm.allreduce(r == 0, MPI.LXOR), True)
        self.assertEqual(self.comm.allreduce(1 << r, MPI.BOR), (1 << n) - 1)
        self.assertEqual(self.comm.allreduce(1 << r, MPI.BXOR), (1 << n) - 1)
        self.assertEqual(self.comm.allreduce(7, MPI.BAND), 7)
        self.assertEqual(self.comm.allreduce([r]), list(range(n)))
        self.assertEqual(self.comm.allreduce('a' * 300), 'a' * 300 * n)
        # MINLOC / MAXLOC on (value, index) pairs; ties go to the lower index
        self.assertEqual(self.comm.allreduce((r % 2, r), MPI.MAXLOC), (1, 1) if n > 1 else (0, 0))
        self.assertEqual(self.comm.allreduce((r % 2, r), MPI.MINLOC), (0, 0))
        self.assertEqual(self.comm.allreduce((5, n - 1 - r), MPI.MINLOC), (5, 0))
        # plain Python callables, non-commutative: rank order
        self.assertEqual(self.comm.allreduce(str(r), op=lambda a, b: a + b), ''.join(map(str, range(n))))
        self.assertEqual(self.comm.allreduce([r], op=lambda a, b: b + a), list(range(n))[::-1])
        # numpy arrays
        got = self.comm.allreduce(np.full(3, r))
        self.assertEqual(list(got), [n * (n - 1) // 2] * 3)

    def test_user_op(self):
        def fn(x, y, datatype=None):
            return x * 10 + y

        op = MPI.Op.Create(fn, commute=False)
        try:
            want = int(''.join(str(i + 1) for i in range(self.size)))
            self.assertEqual(self.comm.allreduce(self.rank + 1, op), want)
            self.assertEqual(self.comm.reduce(self.rank + 1, op, root=0), want if self.rank == 0 else None)
            self.assertEqual(self.comm.scan(self.rank + 1, op), int(''.join(str(i + 1) for i in range(self.rank + 1))))
        finally:
            op.Free()

    def test_scan_exscan(self):
        r = self.rank
        self.assertEqual(self.comm.scan(r + 1), (r + 1) * (r + 2) // 2)
        self.assertEqual(self.comm.scan([r]), list(range(r + 1)))
        self.assertEqual(self.comm.scan(r, op=MPI.MAX), r)
        self.assertEqual(self.comm.scan(str(r), op=lambda a, b: a + b), ''.join(map(str, range(r + 1))))
        self.assertEqual(self.comm.scan('q' * 400), 'q' * 400 * (r + 1))
        ex = self.comm.exscan(r + 1)
        self.assertEqual(ex, None if r == 0 else r * (r + 1) // 2)
        ex = self.comm.exscan([r], op=MPI.SUM)
        self.assertEqual(ex, None if r == 0 else list(range(r)))
        self.assertEqual(self.comm.exscan(sendobj=r, op=MPI.MIN), None if r == 0 else 0)

    def test_not_on_comm(self):
        self.assertFalse(hasattr(MPI.Comm, 'scan'))
        self.assertTrue(hasattr(MPI.Intracomm, 'scan'))
        self.assertTrue(hasattr(MPI.Intracomm, 'exscan'))

    def test_self(self):
        comm = MPI.COMM_SELF
        self.assertEqual(comm.bcast('a'), 'a')
        self.assertEqual(comm.gather(1), [1])
        self.assertEqual(comm.scatter([2]), 2)
        self.assertEqual(comm.allgather(3), [3])
        self.assertEqual(comm.alltoall([4]), [4])
        self.assertEqual(comm.reduce(5), 5)
        self.assertEqual(comm.allreduce(6), 6)
        self.assertEqual(comm.scan(7), 7)
        self.assertIsNone(comm.exscan(8))


class Unpicklable:
    def __reduce__(self):
        raise TypeError('cannot pickle me')


class TestCollObjErrors(unittest.TestCase):

    def setUp(self):
        self.comm = MPI.COMM_WORLD
        self.rank, self.size = self.comm.rank, self.comm.size

    def test_bad_root(self):
        for root in (self.size, -3):
            for call in (lambda: self.comm.bcast(1, root=root),
                         lambda: self.comm.gather(1, root=root),
                         lambda: self.comm.scatter([1] * self.size, root=root),
                         lambda: self.comm.reduce(1, root=root)):
                with self.assertRaises(MPI.Exception) as cm:
                    call()
                self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_ROOT)
        with self.assertRaises(TypeError):
            self.comm.bcast(1, root='0')

    def test_bad_op(self):
        with self.assertRaises(TypeError):
            self.comm.allreduce(1, op=42)
        with self.assertRaises(ValueError):
            self.comm.allreduce(1, op=MPI.OP_NULL)
        with self.assertRaises(TypeError):
            self.comm.reduce(1, op='max')
        # an op that does not apply to the objects: every process raises
        if self.size > 1:
            with self.assertRaises(TypeError):
                self.comm.allreduce(None, op=MPI.SUM)

    def test_scatter_wrong_length(self):
        # only the root can tell: use COMM_SELF so nobody waits
        with self.assertRaises(ValueError):
            MPI.COMM_SELF.scatter([1, 2])
        with self.assertRaises(TypeError):
            MPI.COMM_SELF.scatter(5)
        with self.assertRaises(ValueError):
            self.comm.alltoall([1] * (self.size + 1))
        with self.assertRaises(TypeError):
            self.comm.alltoall(None)

    def test_unpicklable(self):
        # allgather/allreduce/bcast: the failing process still takes part, the others learn of it
        bad = Unpicklable() if self.rank == 0 else self.rank
        with self.assertRaises((TypeError, RuntimeError)) as cm:
            self.comm.allgather(bad)
        if self.rank == 0:
            self.assertIsInstance(cm.exception, TypeError)
        with self.assertRaises((TypeError, RuntimeError)):
            self.comm.bcast(bad, root=0)
        with self.assertRaises((TypeError, RuntimeError)):
            self.comm.allreduce([bad])
        self.assertEqual(self.comm.allreduce(1), self.size)

    def test_null_comm(self):
        with self.assertRaises(MPI.Exception):
            MPI.COMM_NULL.bcast(1)
        with self.assertRaises(MPI.Exception):
            MPI.COMM_NULL.allreduce(1)
        with self.assertRaises(MPI.Exception):
            MPI.COMM_NULL.barrier()
        comm = self.comm.Dup()
        comm.Free()
        with self.assertRaises(MPI.Exception):
            comm.allgather(1)


if __name__ == '__main__':
    mpitest.main()
