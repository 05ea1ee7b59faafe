# ranks: 1 2
# timeout: 300
"""mpi4py.util.pkl5: pickle protocol 5 with out-of-band buffers."""
import os
import unittest

import numpy

import mpitest
from mpi4py import MPI
from mpi4py.util import pkl5


class TestPickle(unittest.TestCase):

    def test_out_of_band(self):
        big = numpy.arange(100000, dtype='f8')
        small = numpy.arange(10)
        data, bufs = pkl5.pickle.dumps({'big': big, 'small': small})
        self.assertEqual([b.nbytes for b in bufs], [big.nbytes])
        self.assertLess(len(data), 1000)
        obj = pkl5.pickle.loads(data, bufs)
        self.assertTrue(numpy.array_equal(obj['big'], big))
        self.assertTrue(numpy.array_equal(obj['small'], small))
        # Loading from the buffers does not copy the array data.
        self.assertTrue(numpy.shares_memory(obj['big'], big))

    def test_threshold(self):
        pickler = pkl5.Pickle()
        pickler.THRESHOLD = 16
        data, bufs = pickler.dumps(numpy.arange(4, dtype='i8'))
        self.assertEqual([b.nbytes for b in bufs], [32])
        self.assertEqual(pkl5.Pickle.THRESHOLD, pkl5.pickle.THRESHOLD)

    def test_noncontiguous_in_band(self):
        array = numpy.arange(200000, dtype='i4')[::2]
        data, bufs = pkl5.pickle.dumps(array)
        self.assertEqual(bufs, [])
        self.assertTrue(numpy.array_equal(pkl5.pickle.loads(data, bufs), array))

    def test_wire_format(self):
        big = numpy.ones(1 << 16)
        header, parts = pkl5._encode([big, 'text'])
        sizes, inline = pkl5._decode(header)
        self.assertEqual(sizes, [big.nbytes])
        received = [bytearray(p) for p in parts]
        obj = pkl5._load(inline, received)
        self.assertEqual(obj[1], 'text')
        self.assertTrue(numpy.array_equal(obj[0], big))
        # A large pickle stream travels as the first data message.
        header, parts = pkl5._encode(b'x' * (pkl5._INLINE_MAX + 1))
        sizes, inline = pkl5._decode(header)
        self.assertEqual(len(inline), 0)
        self.assertEqual(len(sizes), 1)
        self.assertEqual(pkl5._load(inline, parts), b'x' * (pkl5._INLINE_MAX + 1))


class TestComm(unittest.TestCase):

    def setUp(self):
        self.comm = pkl5.Intracomm(MPI.COMM_WORLD)
        self.size = self.comm.Get_size()
        self.rank = self.comm.Get_rank()
        self.dest = (self.rank + 1) % self.size
        self.source = (self.rank - 1) % self.size

    def objects(self):
        return [None, 42, 'text', {'a': [1, 2]},
                numpy.arange(10),
                numpy.full(1 << 18, self.rank, dtype='i4'),
                [numpy.ones((64, 1024)), numpy.zeros(3), b'bytes' * 100000]]

    def check(self, got, expected):
        if isinstance(expected, numpy.ndarray):
            self.assertTrue(numpy.array_equal(got, expected))
        elif isinstance(expected, list) and expected and \
                isinstance(expected[0], numpy.ndarray):
            for g, e in zip(got, expected):
                self.check(g, e)
        else:
            self.assertEqual(got, expected)

    def test_send_recv_modes(self):
        for send in (self.comm.isend, self.comm.issend):
            for obj in self.objects():
                request = send(obj, self.dest, tag=7)
                status = MPI.Status()
                got = self.comm.recv(None, self.source, 7, status)
                request.wait()
                self.assertEqual(status.Get_source(), self.source)
                self.assertEqual(status.Get_tag(), 7)
                expected = (numpy.full(1 << 18, self.source, dtype='i4')
                            if isinstance(obj, numpy.ndarray)
                            and obj.size == 1 << 18 else obj)
                self.check(got, expected)

    def test_sendrecv(self):
        obj = numpy.full(1 << 18, self.rank, dtype='f8')
        got = self.comm.sendrecv(obj, self.dest, 3, None, self.source, 3)
        self.assertTrue((got == self.source).all())

    def test_mprobe_irecv(self):
        sobj = numpy.full(1 << 18, self.rank, dtype='i4')
        sreq = self.comm.isend(sobj, self.dest, tag=42)
        status = MPI.Status()
        message = self.comm.mprobe(status=status)
        self.assertIsInstance(message, pkl5.Message)
        self.assertTrue(message)
        self.assertEqual(status.Get_source(), self.source)
        self.assertEqual(status.Get_tag(), 42)
        rreq = message.irecv()
        robj = rreq.wait()
        sreq.wait()
        self.assertEqual(robj.min(), self.source)
        self.assertEqual(robj.max(), self.source)

    def test_improbe_and_test(self):
        self.assertIsNone(self.comm.improbe(self.source, 99))
        sreq = self.comm.isend('hello', self.dest, 5)
        message = None
        while message is None:
            message = self.comm.improbe(self.source, 5)
        request = message.irecv()
        flag, obj = request.test()
        while not flag:
            flag, obj = request.test()
        self.assertEqual(obj, 'hello')
        self.assertEqual(pkl5.Request.waitall([sreq]), [None])

    def test_waitall_testall(self):
        sreqs = [self.comm.isend(numpy.arange(i * 100000), self.dest, i)
                 for i in range(3)]
        rreqs = [self.comm.mprobe(self.source, i).irecv() for i in range(3)]
        statuses = []
        objs = pkl5.Request.waitall(rreqs, statuses)
        self.assertEqual([s.Get_tag() for s in statuses], [0, 1, 2])
        for i, obj in enumerate(objs):
            self.assertTrue(numpy.array_equal(obj, numpy.arange(i * 100000)))
        flag, objs = pkl5.Request.testall(sreqs)
        while not flag:
            flag, objs = pkl5.Request.testall(sreqs)
        self.assertEqual(objs, [None] * 3)

    def test_irecv_unsupported(self):
        with self.assertRaises(RuntimeError):
            self.comm.irecv()

    def test_proc_null(self):
        self.comm.send('lost', MPI.PROC_NULL)
        self.assertIsNone(self.comm.recv(None, MPI.PROC_NULL))

    def test_bcast(self):
        obj = [numpy.arange(1 << 17), 'root'] if self.rank == 0 else None
        got = self.comm.bcast(obj, root=0)
        self.assertEqual(got[1], 'root')
        self.assertTrue(numpy.array_equal(got[0], numpy.arange(1 << 17)))

    @unittest.skipUnless(os.environ.get('PYMPI_TEST_BIGMEM') == '1',
                         'set PYMPI_TEST_BIGMEM=1 to send arrays > 2 GiB '
                         '(needs ~10 GiB of memory)')
    def test_over_2gib(self):
        sobj = numpy.full((1 << 29) + 7, self.rank, dtype='i4')  # > 2 GiB
        sreq = self.comm.isend(sobj, self.dest, tag=1)
        robj = self.comm.recv(None, self.source, tag=1)
        sreq.wait()
        self.assertEqual(robj.size, sobj.size)
        self.assertEqual((robj.min(), robj.max()), (self.source, self.source))


if __name__ == '__main__':
    mpitest.main()
