# ranks: 1 2 3
# timeout: 300
"""Collectives on intercommunicators, buffers and Python objects: root=MPI.ROOT at the root,
MPI.PROC_NULL in the rest of the root group, the root's remote rank elsewhere; results come
from the remote group. The intercommunicator joins the even and the odd ranks of COMM_WORLD
(with 3 processes the groups have 2 and 1 members)."""
import unittest

import numpy as np

import mpitest
from mpi4py import MPI

WORLD = MPI.COMM_WORLD


def make_intercomm():
    color = WORLD.rank % 2
    local = WORLD.Split(color, WORLD.rank)
    inter = local.Create_intercomm(0, WORLD, 1 - color, 7)
    return color, local, inter


def run(comm, nb, method, *args, **kw):
    if nb:
        req = getattr(comm, 'I' + method[0].lower() + method[1:])(*args, **kw)
        assert isinstance(req, MPI.Request)
        req.Wait()
    else:
        assert getattr(comm, method)(*args, **kw) is None


class InterFixture:
    """An intercommunicator between the even and odd ranks of COMM_WORLD."""

    @classmethod
    def setUpClass(cls):
        cls.color, cls.local, cls.inter = make_intercomm()

    @classmethod
    def tearDownClass(cls):
        cls.inter.Free()
        cls.local.Free()

    def setUp(self):
        self.rank, self.size = self.inter.rank, self.inter.size
        self.rsize = self.inter.Get_remote_size()
        self.assertTrue(self.inter.Is_inter())


@unittest.skipUnless(WORLD.size >= 2, 'needs 2 processes')
class BaseInter(InterFixture):
    NB = False

    def call(self, method, *args, **kw):
        run(self.inter, self.NB, method, *args, **kw)

    def roots(self):
        """(is root group, root argument) for each group in turn as the root group."""
        for rgroup in (0, 1):
            if self.color == rgroup:
                yield True, (MPI.ROOT if self.rank == 0 else MPI.PROC_NULL)
            else:
                yield False, 0

    def test_barrier(self):
        if self.NB:
            self.inter.Ibarrier().Wait()
        else:
            self.inter.Barrier()

    def test_bcast(self):
        for in_root, root in self.roots():
            if in_root:
                buf = np.arange(5, dtype='i') if root == MPI.ROOT else None
                self.call('Bcast', buf, root)
            else:
                buf = np.zeros(5, dtype='i')
                self.call('Bcast', buf, root)
                self.assertEqual(list(buf), list(range(5)))

    def test_gather_scatter(self):
        for in_root, root in self.roots():
            if in_root:
                rbuf = np.full((self.rsize, 2), -1, dtype='d') if root == MPI.ROOT else None
                self.call('Gather', None, rbuf, root)
                if root == MPI.ROOT:
                    self.assertEqual(rbuf.tolist(), [[r, r] for r in range(self.rsize)])
                sbuf = np.arange(2 * self.rsize, dtype='d') if root == MPI.ROOT else None
                self.call('Scatter', sbuf, None, root)
                counts = [r + 1 for r in range(self.rsize)]
                rbuf = np.full(sum(counts), -1, dtype='i') if root == MPI.ROOT else None
                self.call('Gatherv', None, [rbuf, counts, None, MPI.INT] if rbuf is not None else None, root)
                if root == MPI.ROOT:
                    self.assertEqual(list(rbuf), [r for r in range(self.rsize) for _ in range(r + 1)])
                sbuf = np.arange(sum(counts), dtype='i')
                self.call('Scatterv', [sbuf, counts, None, MPI.INT] if root == MPI.ROOT else None, None, root)
            else:
                self.call('Gather', np.full(2, self.rank, dtype='d'), None, root)
                rbuf = np.zeros(2, dtype='d')
                self.call('Scatter', None, rbuf, root)
                self.assertEqual(list(rbuf), [2 * self.rank, 2 * self.rank + 1])
                self.call('Gatherv', np.full(self.rank + 1, self.rank, dtype='i'), None, root)
                rbuf = np.zeros(self.rank + 1, dtype='i')
                self.call('Scatterv', None, rbuf, root)
                start = sum(r + 1 for r in range(self.rank))
                self.assertEqual(list(rbuf), list(range(start, start + self.rank + 1)))

    def test_allgather(self):
        sbuf = np.full(2, 10 * self.color + self.rank, dtype='i')
        rbuf = np.full(2 * self.rsize, -1, dtype='i')
        self.call('Allgather', sbuf, rbuf)
        other = 1 - self.color
        self.assertEqual(list(rbuf), [10 * other + r for r in range(self.rsize) for _ in range(2)])
        counts = [1] * self.rsize
        rbuf = np.full(self.rsize, -1, dtype='i')
        self.call('Allgatherv', sbuf[:1], [rbuf, counts, None, MPI.INT])
        self.assertEqual(list(rbuf), [10 * other + r for r in range(self.rsize)])

    def test_alltoall(self):
        me = 100 * self.color + 10 * self.rank
        sbuf = np.array([me + d for d in range(self.rsize)], dtype='i')
        rbuf = np.full(self.rsize, -1, dtype='i')
        self.call('Alltoall', sbuf, rbuf)
        other = 1 - self.color
        expect = [100 * other + 10 * s + self.rank for s in range(self.rsize)]
        self.assertEqual(list(rbuf), expect)
        rbuf[:] = -1
        self.call('Alltoallv', [sbuf, 1, None, MPI.INT], [rbuf, [1] * self.rsize, None, MPI.INT])
        self.assertEqual(list(rbuf), expect)
        rbuf[:] = -1
        self.call('Alltoallw', [sbuf, [1] * self.rsize, [4 * d for d in range(self.rsize)], MPI.INT],
                  [rbuf, [1] * self.rsize, [4 * d for d in range(self.rsize)], [MPI.INT] * self.rsize])
        self.assertEqual(list(rbuf), expect)

    def test_reduce(self):
        for in_root, root in self.roots():
            if in_root:
                rbuf = np.zeros(3, dtype='l') if root == MPI.ROOT else None
                self.call('Reduce', None, rbuf, MPI.SUM, root)
                if root == MPI.ROOT:
                    self.assertEqual(list(rbuf), [sum(range(self.rsize))] * 3)
            else:
                self.call('Reduce', np.full(3, self.rank, dtype='l'), None, op=MPI.SUM, root=root)

    def test_allreduce(self):
        sbuf = np.full(3, self.rank + 1, dtype='d')
        rbuf = np.zeros(3, dtype='d')
        self.call('Allreduce', sbuf, rbuf)
        self.assertEqual(list(rbuf), [self.rsize * (self.rsize + 1) / 2] * 3)
        self.call('Allreduce', sbuf, rbuf, MPI.MAX)
        self.assertEqual(list(rbuf), [self.rsize] * 3)

    def test_reduce_scatter(self):
        # each group's reduced vector (local size x recvcount elements) is scattered over the
        # other group: recvcount here is the remote size so both vectors have size*rsize items
        n = self.size * self.rsize
        sbuf = np.arange(n, dtype='i') + self.rank
        rbuf = np.zeros(self.rsize, dtype='i')
        self.call('Reduce_scatter_block', sbuf, rbuf)
        base = sum(range(self.rsize))
        start = self.rank * self.rsize
        self.assertEqual(list(rbuf), [self.rsize * (start + i) + base for i in range(self.rsize)])
        rbuf[:] = 0
        self.call('Reduce_scatter', sbuf, rbuf, [self.rsize] * self.size)
        self.assertEqual(list(rbuf), [self.rsize * (start + i) + base for i in range(self.rsize)])
        with self.assertRaises(ValueError):
            self.inter.Reduce_scatter(sbuf, rbuf)  # recvcounts required here

    def test_errors(self):
        with self.assertRaises(MPI.Exception):
            self.inter.Bcast(np.zeros(1), root=self.rsize)
        with self.assertRaises(MPI.Exception):
            self.inter.Gather(np.zeros(1), None, root=-7)
        with self.assertRaises(TypeError):
            self.inter.Allgather(MPI.IN_PLACE, np.zeros(self.rsize))
        self.assertFalse(hasattr(self.inter, 'Scan'))


class TestInterBlocking(BaseInter, unittest.TestCase):
    NB = False


class TestInterNonblocking(BaseInter, unittest.TestCase):
    NB = True


@unittest.skipUnless(WORLD.size >= 2, 'needs 2 processes')
class TestInterObjects(InterFixture, unittest.TestCase):

    def setUp(self):
        super().setUp()
        self.other = 1 - self.color

    def roots(self):
        for rgroup in (0, 1):
            if self.color == rgroup:
                yield True, (MPI.ROOT if self.rank == 0 else MPI.PROC_NULL)
            else:
                yield False, 0

    def test_barrier(self):
        self.assertIsNone(self.inter.barrier())

    def test_bcast(self):
        for in_root, root in self.roots():
            for obj in (7, 'x' * 3000, {'a': [1, 2]}):
                got = self.inter.bcast(obj if root == MPI.ROOT else None, root=root)
                if in_root:
                    self.assertIsNone(got)
                else:
                    self.assertEqual(got, obj)

    def test_gather(self):
        for in_root, root in self.roots():
            got = self.inter.gather((self.color, self.rank), root=root)
            if root == MPI.ROOT:
                self.assertEqual(got, [(self.other, r) for r in range(self.rsize)])
            else:
                self.assertIsNone(got)

    def test_scatter(self):
        for in_root, root in self.roots():
            send = [('s', r) for r in range(self.rsize)] if root == MPI.ROOT else None
            got = self.inter.scatter(send, root=root)
            self.assertEqual(got, None if in_root else ('s', self.rank))

    def test_allgather(self):
        got = self.inter.allgather((self.color, self.rank))
        self.assertEqual(got, [(self.other, r) for r in range(self.rsize)])
        got = self.inter.allgather('w' * (500 * self.rank))
        self.assertEqual(got, ['w' * (500 * r) for r in range(self.rsize)])

    def test_alltoall(self):
        got = self.inter.alltoall([(self.color, self.rank, d) for d in range(self.rsize)])
        self.assertEqual(got, [(self.other, s, self.rank) for s in range(self.rsize)])

    def test_reduce(self):
        for in_root, root in self.roots():
            got = self.inter.reduce(self.rank + 1, op=MPI.SUM, root=root)
            if root == MPI.ROOT:
                self.assertEqual(got, self.rsize * (self.rsize + 1) // 2)
            else:
                self.assertIsNone(got)
            got = self.inter.reduce([self.rank], op=lambda a, b: a + b, root=root)
            if root == MPI.ROOT:
                self.assertEqual(got, list(range(self.rsize)))

    def test_allreduce(self):
        self.assertEqual(self.inter.allreduce(self.rank + 1), self.rsize * (self.rsize + 1) // 2)
        self.assertEqual(self.inter.allreduce((self.rank, self.rank), MPI.MAXLOC), (self.rsize - 1, self.rsize - 1))
        self.assertEqual(self.inter.allreduce(10 * self.color + self.rank, op=MPI.MIN), 10 * self.other)

    def test_errors(self):
        with self.assertRaises(MPI.Exception):
            self.inter.bcast(1, root=self.rsize + 3)
        with self.assertRaises(MPI.Exception):
            self.inter.reduce(1, root=-9)
        self.assertFalse(hasattr(self.inter, 'scan'))


if __name__ == '__main__':
    mpitest.main()
