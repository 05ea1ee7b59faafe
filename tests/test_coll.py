# ranks: 1 2 3
# timeout: 300
"""Collective operations on buffers (intracommunicators): Bcast ... Alltoallw, reductions,
Scan/Exscan, blocking and non-blocking, IN_PLACE, vector and w specs, bad input."""
import unittest

import numpy as np

import mpitest
from mpi4py import MPI

TYPECODES = ['i', 'l', 'f', 'd']


def run(comm, nb, method, *args, **kw):
    """Call the blocking method or its I-variant (then Wait on the request)."""
    if nb:
        req = getattr(comm, 'I' + method[0].lower() + method[1:])(*args, **kw)
        assert isinstance(req, MPI.Request)
        req.Wait()
    else:
        assert getattr(comm, method)(*args, **kw) is None


class BaseColl:
    NB = False

    def setUp(self):
        self.comm = MPI.COMM_WORLD.Dup()
        self.rank, self.size = self.comm.rank, self.comm.size

    def tearDown(self):
        self.comm.Free()

    def call(self, method, *args, **kw):
        run(self.comm, self.NB, method, *args, **kw)

    def test_barrier(self):
        if self.NB:
            req = self.comm.Ibarrier()
            self.assertIsInstance(req, MPI.Request)
            req.Wait()
        else:
            self.assertIsNone(self.comm.Barrier())

    def test_bcast(self):
        for tc in TYPECODES:
            for root in range(self.size):
                buf = np.arange(10, dtype=tc) if self.rank == root else np.zeros(10, dtype=tc)
                self.call('Bcast', buf, root=root)
                self.assertTrue((buf == np.arange(10, dtype=tc)).all())
                buf = np.zeros(5, dtype=tc) if self.rank != root else np.arange(5, dtype=tc)
                self.call('Bcast', [buf, 3, MPI.Datatype(self.mpitype(tc))], root)
                self.assertEqual(list(buf[:3]), [0, 1, 2])

    def mpitype(self, tc):
        return {'i': MPI.INT, 'l': MPI.LONG, 'f': MPI.FLOAT, 'd': MPI.DOUBLE}[tc]

    def test_gather(self):
        for root in range(self.size):
            sbuf = np.full(3, self.rank, dtype='i')
            rbuf = np.full((self.size, 3), -1, dtype='i') if self.rank == root else None
            self.call('Gather', sbuf, rbuf, root=root)
            if self.rank == root:
                for r in range(self.size):
                    self.assertEqual(list(rbuf[r]), [r] * 3)
            # explicit per-block count
            rbuf = np.full((self.size, 4), -1, dtype='d') if self.rank == root else None
            self.call('Gather', [sbuf.astype('d'), 2, MPI.DOUBLE],
                      [rbuf, 2, MPI.DOUBLE] if rbuf is not None else None, root)
            if self.rank == root:
                flat = rbuf.reshape(-1)
                for r in range(self.size):
                    self.assertEqual(list(flat[2 * r:2 * r + 2]), [r, r])

    def test_gather_in_place(self):
        root = self.size - 1
        if self.rank == root:
            rbuf = np.full((self.size, 2), -1, dtype='l')
            rbuf[root] = 42
            self.call('Gather', MPI.IN_PLACE, rbuf, root)
            for r in range(self.size):
                self.assertEqual(list(rbuf[r]), [42, 42] if r == root else [r, r])
        else:
            self.call('Gather', np.full(2, self.rank, dtype='l'), None, root)

    def test_scatter(self):
        for root in range(self.size):
            sbuf = np.arange(self.size * 4, dtype='f').reshape(self.size, 4) if self.rank == root else None
            rbuf = np.zeros(4, dtype='f')
            self.call('Scatter', sbuf, rbuf, root=root)
            self.assertEqual(list(rbuf), [self.rank * 4 + i for i in range(4)])
        root = 0
        if self.rank == root:
            sbuf = np.arange(self.size * 2, dtype='i')
            self.call('Scatter', sbuf, MPI.IN_PLACE, root)
            self.assertEqual(list(sbuf), list(range(self.size * 2)))
        else:
            rbuf = np.zeros(2, dtype='i')
            self.call('Scatter', None, rbuf, root)
            self.assertEqual(list(rbuf), [2 * self.rank, 2 * self.rank + 1])

    def test_allgather(self):
        for tc in TYPECODES:
            sbuf = np.full(2, self.rank, dtype=tc)
            rbuf = np.full(2 * self.size, -1, dtype=tc)
            self.call('Allgather', sbuf, rbuf)
            self.assertEqual(list(rbuf), [r for r in range(self.size) for _ in range(2)])
            rbuf = np.full(2 * self.size, -1, dtype=tc)
            rbuf[2 * self.rank:2 * self.rank + 2] = self.rank + 10
            self.call('Allgather', MPI.IN_PLACE, rbuf)
            self.assertEqual(list(rbuf), [r + 10 for r in range(self.size) for _ in range(2)])

    def test_alltoall(self):
        sbuf = np.array([100 * self.rank + d for d in range(self.size)], dtype='i')
        rbuf = np.full(self.size, -1, dtype='i')
        self.call('Alltoall', sbuf, rbuf)
        self.assertEqual(list(rbuf), [100 * s + self.rank for s in range(self.size)])
        rbuf = np.array([100 * self.rank + d for d in range(self.size)], dtype='i')
        self.call('Alltoall', MPI.IN_PLACE, rbuf)
        self.assertEqual(list(rbuf), [100 * s + self.rank for s in range(self.size)])

    def test_reduce(self):
        for tc in TYPECODES:
            for root in range(self.size):
                for op, expect in ((MPI.SUM, sum(range(self.size))), (MPI.MAX, self.size - 1),
                                   (MPI.MIN, 0), (MPI.PROD, 0 if self.size > 1 else 0)):
                    sbuf = np.full(3, self.rank, dtype=tc)
                    rbuf = np.full(3, -1, dtype=tc) if self.rank == root else None
                    self.call('Reduce', sbuf, rbuf, op=op, root=root)
                    if self.rank == root:
                        self.assertEqual(list(rbuf), [expect] * 3)
        root = 0
        buf = np.full(2, self.rank + 1, dtype='d')
        if self.rank == root:
            self.call('Reduce', MPI.IN_PLACE, buf, MPI.SUM, root)
            self.assertEqual(list(buf), [self.size * (self.size + 1) / 2] * 2)
        else:
            self.call('Reduce', buf, None, MPI.SUM, root)

    def test_allreduce(self):
        for tc in TYPECODES:
            sbuf = np.arange(5, dtype=tc) + self.rank
            rbuf = np.zeros(5, dtype=tc)
            self.call('Allreduce', sbuf, rbuf)
            self.assertEqual(list(rbuf), [self.size * i + sum(range(self.size)) for i in range(5)])
            buf = np.arange(5, dtype=tc) + self.rank
            self.call('Allreduce', MPI.IN_PLACE, buf, op=MPI.MAX)
            self.assertEqual(list(buf), [i + self.size - 1 for i in range(5)])
        flags = np.array([self.rank % 2 == 0], dtype='?')
        out = np.zeros(1, dtype='?')
        self.call('Allreduce', flags, out, MPI.LAND)
        self.assertEqual(bool(out[0]), self.size == 1)
        self.call('Allreduce', flags, out, MPI.LOR)
        self.assertTrue(out[0])
        bits = np.array([1 << self.rank], dtype='i')
        res = np.zeros(1, dtype='i')
        self.call('Allreduce', bits, res, MPI.BOR)
        self.assertEqual(res[0], (1 << self.size) - 1)
        self.call('Allreduce', bits, res, MPI.BXOR)
        self.assertEqual(res[0], (1 << self.size) - 1)

    def test_allreduce_minloc_maxloc(self):
        dt = np.dtype([('v', 'f8'), ('i', 'i4')], align=True)
        s = np.zeros(1, dtype=dt)
        s['v'], s['i'] = float(self.rank % 2), self.rank
        r = np.zeros(1, dtype=dt)
        self.call('Allreduce', [s, MPI.DOUBLE_INT], [r, MPI.DOUBLE_INT], MPI.MAXLOC)
        self.assertEqual((r['v'][0], r['i'][0]), (1.0, 1) if self.size > 1 else (0.0, 0))
        self.call('Allreduce', [s, MPI.DOUBLE_INT], [r, MPI.DOUBLE_INT], MPI.MINLOC)
        self.assertEqual((r['v'][0], r['i'][0]), (0.0, 0))

    def test_reduce_scatter_block(self):
        sbuf = np.array([self.rank + 10 * d for d in range(self.size) for _ in range(2)], dtype='i')
        rbuf = np.zeros(2, dtype='i')
        self.call('Reduce_scatter_block', sbuf, rbuf)
        expect = sum(range(self.size)) + 10 * self.rank * self.size
        self.assertEqual(list(rbuf), [expect] * 2)
        buf = sbuf.copy()
        self.call('Reduce_scatter_block', MPI.IN_PLACE, buf, op=MPI.SUM)
        self.assertEqual(list(buf[:2]), [expect] * 2)

    def test_reduce_scatter(self):
        counts = [r + 1 for r in range(self.size)]
        total = sum(counts)
        sbuf = np.full(total, self.rank + 1, dtype='d')
        rbuf = np.zeros(counts[self.rank], dtype='d')
        self.call('Reduce_scatter', sbuf, rbuf, counts)
        self.assertEqual(list(rbuf), [self.size * (self.size + 1) / 2] * counts[self.rank])
        # recvcounts omitted: taken from every process's receive buffer
        rbuf = np.zeros(counts[self.rank], dtype='d')
        self.call('Reduce_scatter', sbuf, rbuf, op=MPI.MAX)
        self.assertEqual(list(rbuf), [self.size] * counts[self.rank])
        buf = sbuf.copy()
        self.call('Reduce_scatter', MPI.IN_PLACE, buf, counts, MPI.SUM)
        self.assertEqual(list(buf[:counts[self.rank]]), [self.size * (self.size + 1) / 2] * counts[self.rank])

    def test_scan_exscan(self):
        sbuf = np.full(3, self.rank + 1, dtype='l')
        rbuf = np.zeros(3, dtype='l')
        self.call('Scan', sbuf, rbuf)
        self.assertEqual(list(rbuf), [(self.rank + 1) * (self.rank + 2) // 2] * 3)
        buf = sbuf.copy()
        self.call('Scan', MPI.IN_PLACE, buf, MPI.PROD)
        fact = 1
        for i in range(1, self.rank + 2):
            fact *= i
        self.assertEqual(list(buf), [fact] * 3)
        rbuf = np.full(3, -7, dtype='l')
        self.call('Exscan', sbuf, rbuf)
        if self.rank > 0:
            self.assertEqual(list(rbuf), [self.rank * (self.rank + 1) // 2] * 3)
        buf = sbuf.copy()
        self.call('Exscan', MPI.IN_PLACE, buf, op=MPI.MAX)
        if self.rank > 0:
            self.assertEqual(list(buf), [self.rank] * 3)

    # ---- vector variants ----
    def test_gatherv(self):
        counts = [r + 1 for r in range(self.size)]
        displs = [sum(counts[:r]) for r in range(self.size)]
        sbuf = np.full(self.rank + 1, self.rank, dtype='i')
        for root in range(self.size):
            for form in range(4):
                rbuf = np.full(sum(counts) + 2, -1, dtype='i')
                spec = [[rbuf, counts, displs, MPI.INT], [rbuf, (counts, displs), MPI.INT],
                        [rbuf, (counts, None), MPI.INT], [rbuf, counts, None, 'i']][form]
                self.call('Gatherv', sbuf, spec if self.rank == root else None, root)
                if self.rank == root:
                    self.assertEqual(list(rbuf[:sum(counts)]), [r for r in range(self.size) for _ in range(r + 1)])
                    self.assertEqual(list(rbuf[sum(counts):]), [-1, -1])
        # count as an int: the same for every process; gaps with displacements
        rbuf = np.full(3 * self.size, -1, dtype='d')
        sbuf = np.full(2, self.rank, dtype='d')
        spec = [rbuf, 2, [3 * r for r in range(self.size)], MPI.DOUBLE]
        self.call('Gatherv', sbuf, spec if self.rank == 0 else None, 0)
        if self.rank == 0:
            self.assertEqual(list(rbuf), [v for r in range(self.size) for v in (r, r, -1)])
        # IN_PLACE at the root
        rbuf = np.full(self.size * 2, self.rank, dtype='i')
        if self.rank == 0:
            self.call('Gatherv', MPI.IN_PLACE, [rbuf, 2, MPI.INT], 0)
            self.assertEqual(list(rbuf), [r for r in range(self.size) for _ in range(2)])
        else:
            self.call('Gatherv', rbuf[:2], None, 0)
        # plain buffer: equal blocks
        rbuf = np.zeros(self.size * 2, dtype='i')
        self.call('Gatherv', np.full(2, self.rank, dtype='i'), rbuf, 0)
        if self.rank == 0:
            self.assertEqual(list(rbuf), [r for r in range(self.size) for _ in range(2)])

    def test_scatterv(self):
        counts = [r + 1 for r in range(self.size)]
        displs = [sum(counts[:r]) for r in range(self.size)]
        for root in range(self.size):
            sbuf = np.arange(sum(counts), dtype='d')
            rbuf = np.zeros(self.rank + 1, dtype='d')
            self.call('Scatterv', [sbuf, counts, displs, MPI.DOUBLE] if self.rank == root else None, rbuf, root)
            self.assertEqual(list(rbuf), list(range(displs[self.rank], displs[self.rank] + counts[self.rank])))
        sbuf = np.arange(2 * self.size, dtype='i')
        if self.rank == 0:
            self.call('Scatterv', [sbuf, 2, MPI.INT], MPI.IN_PLACE, 0)
        else:
            rbuf = np.zeros(2, dtype='i')
            self.call('Scatterv', None, rbuf, 0)
            self.assertEqual(list(rbuf), [2 * self.rank, 2 * self.rank + 1])

    def test_allgatherv(self):
        counts = [r + 1 for r in range(self.size)]
        displs = [sum(counts[:r]) for r in range(self.size)]
        sbuf = np.full(self.rank + 1, self.rank, dtype='l')
        rbuf = np.full(sum(counts), -1, dtype='l')
        self.call('Allgatherv', sbuf, [rbuf, counts, displs, MPI.LONG])
        self.assertEqual(list(rbuf), [r for r in range(self.size) for _ in range(r + 1)])
        rbuf = np.full(sum(counts), -1, dtype='l')
        rbuf[displs[self.rank]:displs[self.rank] + counts[self.rank]] = self.rank
        self.call('Allgatherv', MPI.IN_PLACE, [rbuf, (counts, displs), MPI.LONG])
        self.assertEqual(list(rbuf), [r for r in range(self.size) for _ in range(r + 1)])

    def test_alltoallv(self):
        # process s sends s+1 items to everyone
        scounts = [self.rank + 1] * self.size
        sdispls = [d * (self.rank + 1) for d in range(self.size)]
        sbuf = np.array([100 * self.rank + d for d in range(self.size) for _ in range(self.rank + 1)], dtype='i')
        rcounts = [s + 1 for s in range(self.size)]
        rdispls = [sum(rcounts[:s]) for s in range(self.size)]
        rbuf = np.full(sum(rcounts), -1, dtype='i')
        self.call('Alltoallv', [sbuf, scounts, sdispls, MPI.INT], [rbuf, rcounts, rdispls, MPI.INT])
        self.assertEqual(list(rbuf), [100 * s + self.rank for s in range(self.size) for _ in range(s + 1)])
        # equal blocks, IN_PLACE
        buf = np.array([100 * self.rank + d for d in range(self.size)], dtype='i')
        self.call('Alltoallv', MPI.IN_PLACE, [buf, 1, MPI.INT])
        self.assertEqual(list(buf), [100 * s + self.rank for s in range(self.size)])

    def test_alltoallw(self):
        n = self.size
        # send ints to everyone; receive doubles-sized slots laid out by byte displacements
        sbuf = np.array([10 * self.rank + d for d in range(n)], dtype='i')
        rbuf = np.full(n, -1, dtype='i')
        self.call('Alltoallw', [sbuf, [1] * n, [4 * d for d in range(n)], [MPI.INT] * n],
                  [rbuf, [1] * n, [4 * s for s in range(n)], [MPI.INT] * n])
        self.assertEqual(list(rbuf), [10 * s + self.rank for s in range(n)])
        # mixed datatypes per block, displacements omitted (packed by extent)
        sbuf = np.zeros(n, dtype='d') + self.rank
        rbuf = np.zeros(n, dtype='d')
        self.call('Alltoallw', [sbuf, ([1] * n, None), MPI.DOUBLE], [rbuf, ([1] * n, None), [MPI.DOUBLE] * n])
        self.assertEqual(list(rbuf), [float(s) for s in range(n)])
        buf = np.array([10 * self.rank + d for d in range(n)], dtype='i')
        self.call('Alltoallw', MPI.IN_PLACE, [buf, [1] * n, [4 * d for d in range(n)], [MPI.INT] * n])
        self.assertEqual(list(buf), [10 * s + self.rank for s in range(n)])

    def test_typecode_specs(self):
        sbuf = np.full(2, self.rank, dtype='d')
        rbuf = np.zeros(2 * self.size, dtype='d')
        self.call('Allgather', [sbuf, 'd'], [rbuf, 'd'])
        self.assertEqual(list(rbuf), [r for r in range(self.size) for _ in range(2)])
        self.call('Allgather', [sbuf, MPI.DOUBLE], [rbuf, 2, MPI.DOUBLE])
        self.assertEqual(list(rbuf), [r for r in range(self.size) for _ in range(2)])
        out = bytearray(8)
        self.call('Allreduce', [bytearray(8), MPI.BYTE], [out, MPI.BYTE], MPI.BOR)
        self.assertEqual(out, bytearray(8))

    def test_empty(self):
        self.call('Bcast', None, 0)
        self.call('Allgather', None, None)
        self.call('Allreduce', np.zeros(0), np.zeros(0))


class TestCollBlocking(BaseColl, unittest.TestCase):
    NB = False


class TestCollNonblocking(BaseColl, unittest.TestCase):
    NB = True

    def test_keeps_buffers(self):
        # the request owns the buffers: dropping every other reference is safe
        sbuf = np.arange(1000, dtype='d') + self.rank
        rbuf = np.zeros(1000, dtype='d')
        req = self.comm.Iallreduce(sbuf, rbuf)
        del sbuf
        req.Wait()
        self.assertEqual(rbuf[1], self.size + sum(range(self.size)))
        counts = [2] * self.size
        rbuf = np.zeros(2 * self.size, dtype='i')
        req = self.comm.Iallgatherv(np.full(2, self.rank, dtype='i'), [rbuf, counts, None, MPI.INT])
        del counts
        req.Wait()
        self.assertEqual(list(rbuf), [r for r in range(self.size) for _ in range(2)])

    def test_many_outstanding(self):
        bufs = [np.full(4, self.rank + i, dtype='i') for i in range(5)]
        outs = [np.zeros(4, dtype='i') for _ in range(5)]
        reqs = [self.comm.Iallreduce(b, o, MPI.MAX) for b, o in zip(bufs, outs)]
        reqs.append(self.comm.Ibarrier())
        for r in reqs:
            r.Wait()
        for i, o in enumerate(outs):
            self.assertEqual(list(o), [self.size - 1 + i] * 4)


class TestCollErrors(unittest.TestCase):
    """Bad input raises on every process alike (so nothing hangs)."""

    def setUp(self):
        self.comm = MPI.COMM_WORLD
        self.rank, self.size = self.comm.rank, self.comm.size

    def test_bad_root(self):
        buf = np.zeros(2)
        for root in (self.size, -5, 1000):
            for call in (lambda: self.comm.Bcast(buf, root=root),
                         lambda: self.comm.Gather(buf, buf, root=root),
                         lambda: self.comm.Ireduce(buf, buf, root=root),
                         lambda: self.comm.Scatterv(buf, buf, root=root),
                         lambda: self.comm.bcast(None, root=root)):
                with self.assertRaises(MPI.Exception) as cm:
                    call()
                self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_ROOT)
            with self.assertRaises(TypeError):
                self.comm.Bcast(buf, root='0')

    def test_mismatched_counts(self):
        with self.assertRaises(ValueError):
            self.comm.Allreduce(np.zeros(3), np.zeros(4))
        with self.assertRaises(ValueError):
            self.comm.Iallreduce(np.zeros(3), np.zeros(4))
        with self.assertRaises(ValueError):
            self.comm.Scan(np.zeros(3, 'i'), np.zeros(3, 'd'))
        if self.size > 1:
            with self.assertRaises(ValueError):
                self.comm.Allgather(np.zeros(2), np.zeros(2 * self.size + 1))
        with self.assertRaises(ValueError):
            self.comm.Reduce_scatter_block(np.zeros(3 * self.size + 1), np.zeros(3))
        with self.assertRaises(ValueError):
            self.comm.Reduce_scatter(np.zeros(5), np.zeros(1), [1] * self.size if self.size != 5 else [2] * 5)
        with self.assertRaises(ValueError):
            self.comm.Reduce_scatter(np.zeros(5), np.zeros(1), [1, 2, 3, 4, 5, 6, 7])

    def test_short_buffers(self):
        with self.assertRaises(ValueError):
            self.comm.Allgather([np.zeros(2), 3, MPI.DOUBLE], np.zeros(3 * self.size))
        with self.assertRaises(ValueError):
            self.comm.Allgather(np.zeros(2), [np.zeros(2 * self.size), 3, MPI.DOUBLE])
        with self.assertRaises(ValueError):
            self.comm.Allgatherv(np.zeros(2), [np.zeros(2 * self.size), [3] * self.size, MPI.DOUBLE])
        with self.assertRaises(ValueError):
            self.comm.Allgatherv(np.zeros(2), [np.zeros(2 * self.size), [2] * (self.size + 1), MPI.DOUBLE])
        with self.assertRaises(ValueError):
            self.comm.Allgatherv(np.zeros(2), [np.zeros(2 * self.size), 2, [0] + [5] * (self.size - 1) + [0], MPI.DOUBLE])
        with self.assertRaises(ValueError):
            self.comm.Alltoallw([np.zeros(self.size, 'i'), [1] * self.size, [4 * self.size] * self.size, MPI.INT],
                                [np.zeros(self.size, 'i'), [1] * self.size, [0] * self.size, MPI.INT])
        with self.assertRaises(ValueError):
            self.comm.Alltoallw([np.zeros(self.size, 'i'), [1] * self.size, [0] * self.size, [MPI.INT] * (self.size + 1)],
                                [np.zeros(self.size, 'i'), [1] * self.size, [0] * self.size, MPI.INT])

    def test_negative_counts(self):
        with self.assertRaises(ValueError):
            self.comm.Bcast([np.zeros(4), -1, MPI.DOUBLE])
        with self.assertRaises(ValueError):
            self.comm.Allgatherv(np.zeros(2), [np.zeros(2 * self.size), [-1] * self.size, MPI.DOUBLE])
        with self.assertRaises(ValueError):
            self.comm.Allgatherv(np.zeros(2), [np.zeros(2 * self.size), 2, [-1] * self.size, MPI.DOUBLE])
        with self.assertRaises(ValueError):
            self.comm.Reduce_scatter(np.zeros(2), np.zeros(2), [-1] * self.size)

    def test_bad_types(self):
        with self.assertRaises(TypeError):
            self.comm.Bcast(12345)
        with self.assertRaises(TypeError):
            self.comm.Allreduce(np.zeros(1), np.zeros(1), op='sum')
        with self.assertRaises(TypeError):
            self.comm.Allgatherv(np.zeros(2), [np.zeros(2 * self.size), 'xx', None, MPI.DOUBLE])
        with self.assertRaises(BufferError):
            self.comm.Allreduce(np.zeros(1), b'12345678')
        with self.assertRaises(ValueError):  # no count can be inferred with DATATYPE_NULL
            self.comm.Allreduce(np.zeros(1), [np.zeros(1), MPI.DATATYPE_NULL])
        with self.assertRaises(MPI.Exception) as cm:
            self.comm.Allreduce(np.zeros(1), [np.zeros(1), 1, MPI.DATATYPE_NULL])
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_TYPE)

    def test_in_place_not_allowed(self):
        with self.assertRaises(TypeError):
            self.comm.Bcast(MPI.IN_PLACE)
        with self.assertRaises(TypeError):
            self.comm.Allreduce(np.zeros(1), MPI.IN_PLACE)

    def test_op_errors(self):
        with self.assertRaises(ValueError):
            self.comm.Allreduce(np.zeros(1), np.zeros(1), op=MPI.OP_NULL)
        # a predefined op on a datatype it does not apply to
        with self.assertRaises(MPI.Exception):
            self.comm.Allreduce(np.zeros(1, 'd'), np.zeros(1, 'd'), op=MPI.BAND)
        op = MPI.Op.Create(lambda a, b, t: None)
        op.Free()
        with self.assertRaises(ValueError):
            self.comm.Allreduce(np.zeros(1), np.zeros(1), op=op)

    def test_null_and_freed_comm(self):
        with self.assertRaises(MPI.Exception):
            MPI.COMM_NULL.Bcast(np.zeros(1))
        with self.assertRaises(MPI.Exception):
            MPI.COMM_NULL.Allreduce(np.zeros(1), np.zeros(1))
        with self.assertRaises(MPI.Exception):
            MPI.COMM_NULL.Ibarrier()
        comm = self.comm.Dup()
        comm.Free()
        with self.assertRaises(MPI.Exception):
            comm.Allgather(np.zeros(1), np.zeros(self.size))
        with self.assertRaises(MPI.Exception):
            comm.Scan(np.zeros(1), np.zeros(1))

    def test_root_only_errors(self):
        # errors only the root can see: on COMM_SELF there is nobody to leave waiting
        comm = MPI.COMM_SELF
        with self.assertRaises(ValueError):
            comm.Gather(np.zeros(2), [np.zeros(3), 4, MPI.DOUBLE])
        with self.assertRaises(ValueError):
            comm.Reduce(np.zeros(2), np.zeros(3))
        with self.assertRaises(ValueError):
            comm.Scatterv([np.zeros(3), [4], None, MPI.DOUBLE], np.zeros(4))


class TestGIL(unittest.TestCase):

    def test_blocking_releases_gil(self):
        # another thread keeps running while this one waits in a blocking collective
        import threading
        import time
        comm = MPI.COMM_WORLD
        if comm.size == 1:
            self.skipTest('needs 2 processes (nobody to wait for)')
        ticks = []
        stop = threading.Event()

        def tick():
            while not stop.is_set():
                ticks.append(1)
                time.sleep(0.001)

        t = threading.Thread(target=tick)
        t.start()
        try:
            for call in (lambda: comm.Barrier(),
                         lambda: comm.Allreduce(np.ones(1), np.zeros(1)),
                         lambda: comm.Bcast(np.zeros(1), root=0)):
                if comm.rank == 0:
                    time.sleep(0.3)
                    call()
                else:
                    before = len(ticks)
                    call()
                    self.assertGreater(len(ticks) - before, 5)
        finally:
            stop.set()
            t.join()


if __name__ == '__main__':
    mpitest.main()
