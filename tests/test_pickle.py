# ranks: 1 2
"""MPI.Pickle / MPI.pickle (msgpickle.c) and the lower-case point-to-point methods of Comm:
send/bsend/ssend, isend/ibsend/issend, recv (matched probe, optional buffer), irecv (posted at once:
buffer, size or 32 KiB), sendrecv,
probe/iprobe/mprobe/improbe; protocols, custom serializers, out-of-band buffers, errors."""
import array
import os
import pickle
import unittest

import mpitest
from mpi4py import MPI

try:
    import numpy
except ImportError:
    numpy = None


def ring(comm):
    return (comm.rank + 1) % comm.size, (comm.rank - 1) % comm.size


class Unpicklable:
    def __reduce__(self):
        raise TypeError('cannot pickle me')


OBJECTS = [None, True, 42, -1.5, 2 ** 100, 'text', b'bytes', (1, 'a'), [1, [2, [3]]],
           {'k': {1, 2}}, frozenset('ab'), range(5), 'x' * 100000, list(range(10000))]


class TestPickle(unittest.TestCase):

    def tearDown(self):
        MPI.pickle.__init__()  # defaults back
        MPI.pickle.PROTOCOL = pickle.HIGHEST_PROTOCOL

    def test_defaults(self):
        self.assertIsInstance(MPI.pickle, MPI.Pickle)
        self.assertEqual(MPI.pickle.PROTOCOL, pickle.HIGHEST_PROTOCOL)
        p = MPI.Pickle()
        self.assertEqual(p.PROTOCOL, pickle.HIGHEST_PROTOCOL)
        data = p.dumps({'a': 1})
        self.assertIsInstance(data, bytes)
        self.assertEqual(pickle.loads(data), {'a': 1})
        self.assertEqual(p.loads(data), {'a': 1})
        self.assertEqual(p.loads(bytearray(data)), {'a': 1})
        self.assertEqual(p.loads(data=memoryview(data)), {'a': 1})

    def test_protocol(self):
        p = MPI.Pickle(protocol=2)
        self.assertEqual(p.PROTOCOL, 2)
        self.assertEqual(p.dumps(1)[:2], b'\x80\x02')
        p.PROTOCOL = 0
        self.assertEqual(p.dumps(1), pickle.dumps(1, 0))
        p.PROTOCOL = None  # None: the default protocol of the default dumps
        self.assertEqual(p.PROTOCOL, pickle.HIGHEST_PROTOCOL)
        with self.assertRaises(TypeError):
            p.PROTOCOL = 'five'
        with self.assertRaises(AttributeError):
            del p.PROTOCOL

    def test_custom_serializer(self):
        calls = []

        def dumps(obj, *args):
            calls.append(args)
            return b'J' + repr(obj).encode()

        def loads(data):
            data = bytes(data)
            assert data[:1] == b'J'
            return eval(data[1:].decode())
        p = MPI.Pickle(dumps, loads)
        self.assertIsNone(p.PROTOCOL)  # a custom dumps gets no protocol unless asked
        self.assertEqual(p.loads(p.dumps([1, 2])), [1, 2])
        self.assertEqual(calls, [()])
        p = MPI.Pickle(dumps=dumps, loads=loads, protocol=3)
        p.dumps(0)
        self.assertEqual(calls[-1], (3,))
        with self.assertRaises(TypeError):
            MPI.Pickle(42, loads)
        # the lower-case methods use MPI.pickle
        MPI.pickle.__init__(dumps, loads)
        comm = MPI.COMM_WORLD
        dest, source = ring(comm)
        r = comm.irecv(source=source, tag=5)
        comm.send({'custom': (1, 2)}, dest, 5)
        self.assertEqual(r.wait(), {'custom': (1, 2)})

    def test_bytes_like_dumps(self):
        MPI.pickle.__init__(lambda obj, *a: bytearray(pickle.dumps(obj)), pickle.loads)
        comm = MPI.COMM_WORLD
        dest, source = ring(comm)
        r = comm.irecv(source=source, tag=6)
        s = comm.isend([3, 4], dest, 6)
        self.assertEqual(r.wait(), [3, 4])
        s.wait()
        MPI.pickle.__init__(lambda obj, *a: 42, pickle.loads)
        with self.assertRaises(TypeError):
            comm.send(1, dest, 7)

    def test_out_of_band(self):
        p = MPI.Pickle(protocol=2)
        bufs = []
        payload = pickle.PickleBuffer(bytearray(b'0123456789'))
        data = p.dumps(payload, buffer_callback=bufs.append)  # protocol raised to 5
        self.assertEqual(len(bufs), 1)
        self.assertEqual(bytes(p.loads(data, bufs)), b'0123456789')
        self.assertEqual(bytes(p.loads(data, buffers=bufs)), b'0123456789')
        with self.assertRaises(pickle.UnpicklingError):
            p.loads(data)  # the buffers are needed
        if numpy is not None:
            a = numpy.arange(100.0)
            bufs = []
            data = MPI.pickle.dumps(a, bufs.append)
            self.assertLess(len(data), a.nbytes)
            self.assertTrue((MPI.pickle.loads(data, bufs) == a).all())
        data = MPI.pickle.dumps('inband', buffer_callback=None)
        self.assertEqual(MPI.pickle.loads(data, None), 'inband')

    def test_env_protocol(self):
        if MPI.COMM_WORLD.rank != 0 or MPI.COMM_WORLD.size != 1:
            return
        code = 'from mpi4py import MPI; print(MPI.pickle.PROTOCOL, MPI.Pickle().PROTOCOL)'
        for env, want in (('2', '2 2'), ('0', '0 0'), ('-1', '%d %d' % ((pickle.HIGHEST_PROTOCOL,) * 2))):
            r = mpitest.job(1, ['-c', code], env={'MPI4PY_PICKLE_PROTOCOL': env}, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout.strip(), want)


class TestObjectP2P(mpitest.RingCase):

    def test_send_recv_all_modes(self):
        comm = self.comm
        for i, obj in enumerate(OBJECTS):
            for mode in ('send', 'ssend', 'isend', 'issend'):
                r = comm.irecv(1 << 20, source=self.source, tag=i)  # room for the large ones
                s = getattr(comm, mode)(obj, self.dest, i)
                self.assertEqual(r.wait(), obj, (mode, i))
                if s is not None:
                    self.assertIsNone(s.wait())

    def test_blocking_recv(self):
        comm = self.comm
        for obj in OBJECTS:
            s = comm.isend(obj, dest=self.dest, tag=1)
            st = MPI.Status()
            self.assertEqual(comm.recv(source=self.source, tag=1, status=st), obj)
            self.assertEqual((st.source, st.tag), (self.source, 1))
            s.wait()
            # the count is the size of what travelled: a pickle, or the native form (test_objwire)
            s = comm.isend(obj, dest=self.dest, tag=1)
            raw = bytearray(st.Get_count())
            comm.Recv(raw, self.source, 1)
            s.wait()
            self.assertEqual(MPI.pickle.loads(raw), obj)
            if raw[:1] != b'\xff':
                self.assertEqual(pickle.loads(raw), obj)
        s = comm.isend('any', self.dest, 3)
        self.assertEqual(comm.recv(), 'any')
        s.wait()

    def test_recv_buffer(self):
        comm = self.comm
        # large enough: received into it
        buf = bytearray(1 << 12)
        s = comm.isend(('small', 1), self.dest, 2)
        st = MPI.Status()
        self.assertEqual(comm.recv(buf, self.source, 2, st), ('small', 1))
        s.wait()
        self.assertEqual(MPI.pickle.loads(buf[:st.Get_count()]), ('small', 1))
        # too small: a new buffer is used, no truncation
        small = bytearray(4)
        s = comm.isend('y' * 5000, self.dest, 3)
        self.assertEqual(comm.recv(small, self.source, 3), 'y' * 5000)
        self.assertEqual(small, bytearray(4))
        s.wait()
        # irecv with a buffer
        buf = memoryview(bytearray(1 << 12))
        r = comm.irecv(buf, self.source, 4)
        s = comm.isend({'z': 26}, self.dest, 4)
        self.assertEqual(r.wait(), {'z': 26})
        # too small for irecv: MPI's truncation error (the receive was posted into it)
        r = comm.irecv(bytearray(2), source=self.source, tag=5)
        s2 = comm.isend(list(range(100)), self.dest, 5)
        with self.assertRaises(MPI.Exception) as cm:
            r.wait()
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_TRUNCATE)
        MPI.Request.waitall([s, s2])
        if numpy is not None:
            s = comm.isend(7, self.dest, 6)
            self.assertEqual(comm.recv(numpy.zeros(64, 'u1'), self.source, 6), 7)
            s.wait()
        # bad buffers
        with self.assertRaises(TypeError):
            comm.recv(42, MPI.PROC_NULL)
        with self.assertRaises(TypeError):
            comm.irecv('text', self.source)
        s = comm.isend(8, self.dest, 7)
        with self.assertRaises(BufferError):
            comm.recv(b'read-only buffer', self.source, 7)  # checked before matching
        with self.assertRaises(BufferError):
            comm.irecv(b'read-only buffer', self.source, 7)
        self.assertEqual(comm.recv(None, self.source, 7), 8)
        s.wait()

    def test_irecv_before_and_after_send(self):
        comm = self.comm
        # posted before the message arrives
        r = comm.irecv(source=self.source, tag=10)
        comm.Barrier()
        s = comm.isend('late', self.dest, 10)
        self.assertEqual(r.wait(), 'late')
        s.wait()
        # message already there: matched at once
        s = comm.isend('early', self.dest, 11)
        comm.Barrier()
        while not comm.iprobe(self.source, 11):
            pass
        r = comm.irecv(source=self.source, tag=11)
        self.assertEqual(r.wait(), 'early')
        s.wait()
        # keywords, ANY_SOURCE
        r = comm.irecv(buf=None, source=MPI.ANY_SOURCE, tag=MPI.ANY_TAG)
        s = comm.isend(obj='kw', dest=self.dest, tag=12)
        st = MPI.Status()
        self.assertEqual(r.wait(status=st), 'kw')
        self.assertEqual((st.source, st.tag), (self.source, 12))
        s.wait()

    def test_irecv_then_blocking_send(self):
        # irecv posts a receive: a peer blocked in a send that needs it (ssend, a large send,
        # Ssend) completes while this rank blocks in a send, a Recv or a Wait.
        comm = self.comm
        big = 'b' * (1 << 20)
        for send in (comm.ssend, comm.send):
            r = comm.irecv(2 << 20, source=self.source, tag=13)
            send(big, self.dest, 13)
            self.assertEqual(r.wait(), big)
        if self.size == 2:
            if self.rank == 0:
                r = comm.irecv(source=1, tag=14)
                b = bytearray(3)
                comm.Recv(b, 1, 15)  # rank 1 sends this after its ssend completed
                self.assertEqual((b, r.wait()), (b'raw', 'obj'))
            else:
                comm.ssend('obj', 0, 14)
                comm.Send(b'raw', 0, 15)
        r1 = comm.irecv(source=self.source, tag=16)
        r2 = comm.irecv(source=self.source, tag=17)
        s = comm.issend(17, self.dest, 17)
        comm.ssend(16, self.dest, 16)
        self.assertEqual(r2.wait(), 17)
        self.assertEqual(r1.wait(), 16)
        s.wait()

    def test_sendrecv(self):
        comm = self.comm
        st = MPI.Status()
        got = comm.sendrecv({'from': self.rank}, self.dest, 1, None, self.source, 1, st)
        self.assertEqual(got, {'from': self.source})
        self.assertEqual((st.source, st.tag), (self.source, 1))
        got = comm.sendrecv(sendobj='x' * 200000, dest=self.dest, sendtag=2, recvbuf=bytearray(10),
                            source=MPI.ANY_SOURCE, recvtag=MPI.ANY_TAG, status=st)
        self.assertEqual(got, 'x' * 200000)
        self.assertIsNone(comm.sendrecv('lost', MPI.PROC_NULL, source=MPI.PROC_NULL))

    def test_bsend(self):
        comm = self.comm
        comm.bsend('nothing', MPI.PROC_NULL)
        comm.ibsend('nothing', MPI.PROC_NULL).wait()
        if hasattr(MPI, 'Attach_buffer'):
            MPI.Attach_buffer(bytearray(1 << 16))
            try:
                comm.bsend([1, 2], self.dest, 1)
                s = comm.ibsend([3, 4], self.dest, 2)
                self.assertEqual(comm.recv(source=self.source, tag=1), [1, 2])
                self.assertEqual(comm.recv(source=self.source, tag=2), [3, 4])
                s.wait()
            finally:
                MPI.Detach_buffer()
        else:
            with self.assertRaises(MPI.Exception) as cm:
                comm.bsend([1, 2], self.dest, 1)
            self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_BUFFER)

    def test_probes(self):
        comm = self.comm
        self.assertFalse(comm.iprobe(self.source, 20))
        self.assertIsNone(comm.improbe(self.source, 20))
        comm.Barrier()
        s = comm.isend('probed', self.dest, 20)
        st = MPI.Status()
        self.assertTrue(comm.probe(self.source, 20, st))
        self.assertGreater(st.Get_count(), len('probed'))
        self.assertTrue(comm.iprobe(self.source, 20))
        m = comm.mprobe(self.source, 20)
        self.assertEqual(m.recv(), 'probed')
        s.wait()
        self.assertTrue(comm.probe(MPI.PROC_NULL))

    def test_proc_null(self):
        comm = self.comm
        comm.send(Unpicklable(), MPI.PROC_NULL)  # nothing is pickled for PROC_NULL
        comm.ssend('x', MPI.PROC_NULL)
        self.assertIsNone(comm.isend('x', MPI.PROC_NULL).wait())
        self.assertIsNone(comm.recv(source=MPI.PROC_NULL))
        self.assertIsNone(comm.irecv(source=MPI.PROC_NULL).wait())
        self.assertEqual(comm.irecv(source=MPI.PROC_NULL).test(), (True, None))

    def test_errors(self):
        comm = self.comm
        with self.assertRaises((TypeError, pickle.PicklingError)):
            comm.send(Unpicklable(), self.dest, 1)
        with self.assertRaises((TypeError, pickle.PicklingError)):
            comm.isend(Unpicklable(), self.dest, 1)
        with self.assertRaises((TypeError, pickle.PicklingError)):
            comm.sendrecv(Unpicklable(), self.dest, 1, source=self.source)
        with self.assertRaises(MPI.Exception) as cm:
            comm.send(1, self.size)
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_RANK)
        with self.assertRaises(MPI.Exception) as cm:
            comm.recv(source=self.size)
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_RANK)
        with self.assertRaises(MPI.Exception) as cm:
            comm.irecv(source=self.source, tag=-3)
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_TAG)
        with self.assertRaises(MPI.Exception) as cm:
            comm.isend(1, self.dest, tag=-3)
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_TAG)
        with self.assertRaises(TypeError):
            comm.send(1)
        with self.assertRaises(TypeError):
            comm.recv(source='0')
        with self.assertRaises(TypeError):
            comm.recv(status=42)
        # a message that does not unpickle: the error is raised, the message consumed
        s = comm.Isend(b'not a pickle', self.dest, 9)
        with self.assertRaises(Exception):
            comm.recv(source=self.source, tag=9)
        s.Wait()
        self.assertFalse(comm.iprobe(self.source, 9))


if __name__ == '__main__':
    mpitest.main()
