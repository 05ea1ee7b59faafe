# ranks: 1 2
# timeout: 300
"""mpi4py.util.pkl5: pickle protocol 5 with out-of-band buffers."""
import os
import pickle
import threading
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

    def test_protocol(self):
        # Out-of-band buffers need protocol 5; a negative protocol is the highest one.
        pickler = pkl5.Pickle()
        pickler.THRESHOLD = 0
        array = numpy.zeros(64, 'i')
        for protocol in (-2, -1, 0, 2, 4, 5, None):
            pickler.PROTOCOL = protocol
            data, bufs = pickler.dumps(array)
            effective = pkl5._PROTOCOL if protocol is None or protocol < 0 else protocol
            self.assertEqual(len(bufs), 1 if effective >= 5 else 0, protocol)
            self.assertTrue(numpy.array_equal(pickler.loads(data, bufs), array))
        self.assertEqual(pkl5._PROTOCOL, pickle.HIGHEST_PROTOCOL)
        # THRESHOLD -1: even an empty buffer goes out of band
        pickler.PROTOCOL, pickler.THRESHOLD = 5, -1
        self.assertEqual(len(pickler.dumps(numpy.zeros(0))[1]), 1)

    def test_bigmpi_specs(self):
        bigmpi = pkl5._BigMPI()
        self.assertEqual(bigmpi.blocksize, 1 << 30)
        bigmpi.blocksize = 63
        with bigmpi:
            buf, count, datatype = bigmpi(bytearray(63))
            self.assertEqual((count, datatype), (63, MPI.BYTE))
            buf, count, datatype = bigmpi(numpy.zeros(100, 'i'))
            self.assertEqual((buf.nbytes, count), (400, 1))
            self.assertEqual((datatype.Get_size(), datatype.Get_extent()), (400, (0, 400)))
            # 6 blocks of 63 bytes and 22 bytes: no count exceeds the block size
            ints, _, types = datatype.Get_contents()
            self.assertEqual(ints, [2, 6, 22])
            self.assertEqual(types[0].Get_size(), 63)
            types[0].Free()
            self.assertIs(bigmpi(bytearray(400))[2], datatype)  # one datatype per size
        self.assertFalse(datatype)  # freed on exit


class TestHandles(unittest.TestCase):
    """pkl5.Request and pkl5.Message: tuples of MPI handles, equal to an MPI handle when every
    element is."""

    def test_request(self):
        self.assertFalse(pkl5.Request())
        self.assertEqual(pkl5.Request(), pkl5.Request(MPI.REQUEST_NULL))
        self.assertEqual(pkl5.Request(), MPI.REQUEST_NULL)
        self.assertTrue(pkl5.Request() != None)  # noqa: E711
        comm = pkl5.Intracomm(MPI.COMM_SELF)
        request = comm.isend('x', MPI.PROC_NULL)
        self.assertTrue(request)
        self.assertTrue(request != MPI.REQUEST_NULL)
        self.assertEqual(request, pkl5.Request(request))
        self.assertIsNone(request.wait())
        self.assertFalse(request)
        self.assertEqual(request, MPI.REQUEST_NULL)
        self.assertEqual(request.test(), (True, None))

    def test_message(self):
        self.assertFalse(pkl5.Message())
        self.assertEqual(pkl5.Message(MPI.MESSAGE_NULL), pkl5.Message())
        comm = pkl5.Intracomm(MPI.COMM_SELF)
        message = comm.mprobe(MPI.PROC_NULL)
        self.assertIsInstance(message, pkl5.Message)
        self.assertTrue(message)
        self.assertEqual(message, MPI.MESSAGE_NO_PROC)
        self.assertNotEqual(message, MPI.MESSAGE_NULL)
        request = message.irecv()
        self.assertEqual(message, MPI.MESSAGE_NULL)
        self.assertTrue(request != MPI.REQUEST_NULL)  # a real request, completed by wait()
        status = MPI.Status()
        self.assertIsNone(request.wait(status))
        self.assertEqual(request, MPI.REQUEST_NULL)
        self.assertEqual(status.Get_source(), MPI.PROC_NULL)
        self.assertEqual(comm.improbe(MPI.PROC_NULL), MPI.MESSAGE_NO_PROC)
        self.assertIsNone(comm.mprobe(MPI.PROC_NULL).recv())


class TestComm(unittest.TestCase):

    def setUp(self):
        self.comm = pkl5.Intracomm(MPI.COMM_WORLD.Dup())
        self.size = self.comm.Get_size()
        self.rank = self.comm.Get_rank()
        self.dest = (self.rank + 1) % self.size
        self.source = (self.rank - 1) % self.size

    def tearDown(self):
        self.comm.Free()

    def with_pickle(self, threshold=0, blocksize=None):
        """Use a pkl5.pickle with this THRESHOLD (and a _bigmpi with this blocksize) until the end
        of the test."""
        saved = pkl5.pickle, pkl5._bigmpi
        self.addCleanup(setattr, pkl5, 'pickle', saved[0])
        self.addCleanup(setattr, pkl5, '_bigmpi', saved[1])
        pkl5.pickle = pkl5.Pickle()
        pkl5.pickle.THRESHOLD = threshold
        pkl5._bigmpi = pkl5._BigMPI()
        if blocksize:
            pkl5._bigmpi.blocksize = blocksize

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

    def test_probe_matches_whole_object(self):
        # Every object has several messages (two arrays out of band): a wildcard mprobe matches
        # the next object's header, never a part of the previous one.
        self.with_pickle(threshold=0)
        sent = [(numpy.full(5, i), numpy.arange(i)) for i in range(4)]
        sreqs = [self.comm.issend(obj, self.dest, tag) for tag, obj in enumerate(sent)]
        rreqs = [self.comm.mprobe(self.source).irecv() for _ in sent]
        statuses = [MPI.Status()]
        got = pkl5.Request.waitall(rreqs, statuses)
        self.assertEqual(len(statuses), len(sent))  # a list is extended
        self.assertEqual([s.Get_tag() for s in statuses], list(range(len(sent))))
        for status in statuses:
            self.assertEqual(status.Get_source(), self.source)
            self.assertGreater(status.Get_count(), 0)
        for (a, b), (c, d) in zip(got, sent):
            self.assertTrue(numpy.array_equal(a, c) and numpy.array_equal(b, d))
        statuses = (MPI.Status(), MPI.Status())  # a tuple is filled, not extended
        statuses[1].Set_tag(99)
        pkl5.Request.waitall(sreqs, statuses)
        self.assertEqual(statuses[0].Get_error(), MPI.SUCCESS)
        self.assertEqual(statuses[1].Get_error(), MPI.SUCCESS)

    def test_small_blocksize(self):
        # Buffers larger than the block size travel as derived datatypes of blocks.
        for blocksize in (63, 64, 4095, 4097):
            self.with_pickle(threshold=0, blocksize=blocksize)
            a = numpy.full(1024, self.rank, dtype='i')
            status = MPI.Status()
            got = self.comm.sendrecv((a, a + 1), self.dest, 42, None, self.source, 42, status)
            self.assertTrue((got[0] == self.source).all() and (got[1] == self.source + 1).all())
            self.assertEqual((status.Get_source(), status.Get_tag()), (self.source, 42))
            request = self.comm.issend(a, self.dest, 7)
            got = self.comm.mprobe(self.source, 7).irecv().wait()
            request.wait()
            self.assertTrue((got == self.source).all())
            got = self.comm.bcast(a if self.rank == 0 else None, root=0)
            self.assertTrue((got == 0).all())

    def test_cancel(self):
        # A cancelled send leaves no message behind; one not cancelled is received whole.
        self.with_pickle(threshold=0)
        obj = [numpy.arange(10), 'x']
        request = self.comm.issend(obj, self.rank, 5)
        self.assertEqual(request.test(), (False, None))
        request.cancel()
        status = MPI.Status()
        # MPICH's ucx device does not cancel sends: then the message stays there to receive
        while not request.get_status(status) and not self.comm.iprobe(self.rank, 5):
            pass
        self.assertTrue(request)
        if status.Is_cancelled():
            request.Free()
            self.assertFalse(self.comm.iprobe(self.rank, 5))
        else:
            got = self.comm.recv(None, self.rank, 5)
            self.assertTrue(numpy.array_equal(got[0], obj[0]))
            request.wait()
        self.assertFalse(request)
        self.assertEqual(request, MPI.REQUEST_NULL)

    def test_threads_do_not_interleave(self):
        # Objects of several messages sent at once by two threads to the same process and tag
        # arrive whole.
        self.with_pickle(threshold=0)
        count = 40

        def send(first):
            requests = [self.comm.isend((first + i, numpy.full(3, first + i), numpy.arange(5)),
                                        self.dest, 3) for i in range(count)]
            pkl5.Request.waitall(requests)

        threads = [threading.Thread(target=send, args=(first,)) for first in (0, 1000)]
        for thread in threads:
            thread.start()
        got = [self.comm.recv(None, self.source, 3) for _ in range(2 * count)]
        for thread in threads:
            thread.join()
        self.assertEqual(sorted(n for n, _, _ in got),
                         list(range(count)) + list(range(1000, 1000 + count)))
        for n, a, b in got:
            self.assertTrue((a == n).all() and numpy.array_equal(b, numpy.arange(5)))

    def test_bcast_bad_root(self):
        with self.assertRaises(MPI.Exception) as cm:
            self.comm.bcast('x', root=self.size)
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_ROOT)

    @unittest.skipIf(MPI.COMM_WORLD.Get_size() < 2, 'needs 2 processes')
    def test_bcast_inter(self):
        color = self.rank % 2
        local = self.comm.Split(color, self.rank)
        inter = pkl5.Intercomm(local.Create_intercomm(0, self.comm, 1 - color))
        local.Free()
        try:
            obj = [numpy.arange(100), 'from the even group']
            for root_group in (0, 1):
                if color == root_group:
                    root = MPI.ROOT if inter.Get_rank() == 0 else MPI.PROC_NULL
                    self.assertIsNone(inter.bcast(obj, root=root))
                else:
                    got = inter.bcast(None, root=0)
                    self.assertTrue(numpy.array_equal(got[0], obj[0]))
                    self.assertEqual(got[1], obj[1])
            with self.assertRaises(MPI.Exception):
                inter.bcast(None, root=inter.Get_remote_size())
        finally:
            inter.Free()

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
