# ranks: 1 2
"""Point-to-point methods of Comm for buffers (p2p.c): every send mode, blocking, nonblocking
and persistent; receives; Sendrecv(_replace); probes; keywords; PROC_NULL; MPI errors."""
import array
import threading
import time
import unittest

import mpitest
from mpi4py import MPI

try:
    import numpy
except ImportError:
    numpy = None


class TestP2P(mpitest.RingCase):

    def data(self, n=10, k=None):
        k = self.rank if k is None else k
        return array.array('i', [k * 1000 + i for i in range(n)])

    def expect(self, n=10):
        return self.data(n, self.source)

    def test_send_modes_blocking(self):
        comm = self.comm
        MPI.Attach_buffer(bytearray(10 * 4 + MPI.BSEND_OVERHEAD))
        try:
            for i, send in enumerate([comm.Send, comm.Ssend, comm.Bsend]):
                rbuf = array.array('i', [0] * 10)
                rreq = comm.Irecv(rbuf, self.source, i)
                send(self.data(), self.dest, i)
                st = MPI.Status()
                rreq.Wait(st)
                self.assertEqual(rbuf, self.expect(), send.__name__)
                self.assertEqual((st.source, st.tag), (self.source, i))
        finally:
            MPI.Detach_buffer()

    def test_rsend(self):
        comm = self.comm
        rbuf = array.array('i', [0] * 10)
        rreq = comm.Irecv(rbuf, self.source, 5)
        comm.Barrier()  # every receive is posted before any ready send
        comm.Rsend(self.data(), self.dest, 5)
        rreq.Wait()
        self.assertEqual(rbuf, self.expect())
        rreq = comm.Irecv(rbuf, self.source, 6)
        comm.Barrier()
        comm.Irsend(self.data(), self.dest, 6).Wait()
        rreq.Wait()
        self.assertEqual(rbuf, self.expect())

    def test_bsend_attached(self):
        comm = self.comm
        buf = bytearray(1 << 16)
        MPI.Attach_buffer(buf)
        try:
            comm.Bsend(self.data(), self.dest, 1)
            r = comm.Ibsend(self.data(), self.dest, 2)
            p = comm.Bsend_init(self.data(), self.dest, 3)
            p.Start()
            for tag in (1, 2, 3):
                rbuf = array.array('i', [0] * 10)
                comm.Recv(rbuf, self.source, tag)
                self.assertEqual(rbuf, self.expect())
            r.Wait()
            p.Wait()
            p.Free()
        finally:
            MPI.Detach_buffer()

    def test_bsend_without_buffer(self):
        if hasattr(MPI, 'Attach_buffer'):
            return
        with self.assertRaises(MPI.Exception) as cm:
            self.comm.Bsend(self.data(), self.dest, 1)
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_BUFFER)
        self.comm.Bsend(self.data(), MPI.PROC_NULL)  # nothing to buffer

    def test_nonblocking_sends(self):
        comm = self.comm
        sends = [comm.Isend, comm.Issend]
        for i, isend in enumerate(sends):
            rbuf = array.array('i', [0] * 10)
            rreq = comm.Irecv([rbuf, MPI.INT], self.source, 10 + i)
            sreq = isend([self.data(), MPI.INT], self.dest, 10 + i)
            self.assertIsInstance(sreq, MPI.Request)
            self.assertTrue(sreq)
            MPI.Request.Waitall([sreq, rreq])
            self.assertFalse(sreq)
            self.assertEqual(sreq, MPI.REQUEST_NULL)
            self.assertEqual(rbuf, self.expect())

    def test_persistent(self):
        comm = self.comm
        sbuf = self.data()
        rbuf = array.array('i', [0] * 10)
        inits = [comm.Send_init, comm.Ssend_init, comm.Rsend_init]
        for i, init in enumerate(inits):
            rreq = comm.Recv_init(rbuf, self.source, 20 + i)
            sreq = init(sbuf, self.dest, 20 + i)
            self.assertIsInstance(rreq, MPI.Prequest)
            self.assertIsInstance(sreq, MPI.Prequest)
            for it in range(3):
                sbuf[0] = it
                rbuf[0] = -1
                rreq.Start()
                comm.Barrier()  # receives are posted (for Rsend_init)
                sreq.Start()
                MPI.Request.Waitall([rreq, sreq])
                self.assertEqual(rbuf[0], it)
                self.assertEqual(rbuf[1:], self.expect()[1:])
                self.assertTrue(sreq)  # inactive, not freed
            MPI.Prequest.Startall([rreq, sreq]) if init is not comm.Rsend_init else None
            if init is not comm.Rsend_init:
                MPI.Request.Waitall([rreq, sreq])
            rreq.Free()
            sreq.Free()
            self.assertFalse(rreq)
            self.assertFalse(sreq)

    def test_recv_keywords_and_status(self):
        comm = self.comm
        # (with one rank a blocking send to self needs the receive posted: Isend)
        sreq = comm.Isend(buf=self.data(3), dest=self.dest, tag=7)
        rbuf = array.array('i', [0] * 5)
        st = MPI.Status()
        comm.Recv(buf=rbuf, source=MPI.ANY_SOURCE, tag=MPI.ANY_TAG, status=st)
        self.assertEqual(rbuf[:3], self.expect(3))
        self.assertEqual(st.Get_count(MPI.INT), 3)
        self.assertEqual((st.source, st.tag), (self.source, 7))
        sreq.Wait()
        with self.assertRaises(TypeError):
            comm.Recv(rbuf, bogus=1)
        with self.assertRaises(TypeError):
            comm.Send(self.data(), self.dest, 0, 'extra')
        with self.assertRaises(TypeError):
            comm.Send(self.data())
        with self.assertRaises(TypeError):
            comm.Send(self.data(), dest='1')
        with self.assertRaises(TypeError):
            comm.Send(self.data(), self.dest, dest=1)

    def test_irecv_any(self):
        comm = self.comm
        rbuf = bytearray(8)
        r = comm.Irecv(rbuf)
        self.assertTrue(r)
        self.assertFalse(r.Test())
        comm.Barrier()  # nobody sends before every rank tested
        comm.Send(b'abcdefgh', self.dest, 99)
        st = MPI.Status()
        r.Wait(status=st)
        self.assertEqual((st.source, st.tag), (self.source, 99))
        self.assertEqual(rbuf, b'abcdefgh')

    def test_sendrecv(self):
        comm = self.comm
        rbuf = array.array('i', [0] * 10)
        st = MPI.Status()
        comm.Sendrecv(self.data(), self.dest, 3, rbuf, self.source, 3, st)
        self.assertEqual(rbuf, self.expect())
        self.assertEqual((st.source, st.tag), (self.source, 3))
        rbuf = array.array('i', [0] * 10)
        comm.Sendrecv(sendbuf=[self.data(), 4, MPI.INT], dest=self.dest, sendtag=4,
                      recvbuf=[rbuf, 4, MPI.INT], source=MPI.ANY_SOURCE, recvtag=MPI.ANY_TAG, status=st)
        self.assertEqual(rbuf[:4], self.expect(4))
        self.assertEqual(st.Get_count(MPI.INT), 4)
        comm.Sendrecv(self.data(), MPI.PROC_NULL, recvbuf=None, source=MPI.PROC_NULL, status=st)
        self.assertEqual(st.source, MPI.PROC_NULL)

    def test_sendrecv_replace(self):
        comm = self.comm
        buf = self.data()
        comm.Sendrecv_replace(buf, self.dest, 1, self.source, 1)
        self.assertEqual(buf, self.expect())
        buf = self.data()
        st = MPI.Status()
        comm.Sendrecv_replace([buf, 5, MPI.INT], dest=self.dest, sendtag=2, source=self.source,
                              recvtag=MPI.ANY_TAG, status=st)
        self.assertEqual(buf[:5], self.expect(5))
        self.assertEqual(buf[5:], self.data()[5:])
        self.assertEqual(st.tag, 2)
        with self.assertRaises(BufferError):
            comm.Sendrecv_replace(b'readonly', MPI.PROC_NULL, source=MPI.PROC_NULL)

    def test_probes(self):
        comm = self.comm
        self.assertFalse(comm.Iprobe(self.source, 42))
        self.assertFalse(comm.iprobe(self.source, 42))
        self.assertIsNone(comm.Improbe(self.source, 42))
        self.assertIsNone(comm.improbe(self.source, 42))
        comm.Barrier()  # nobody sends before every rank probed
        sreqs = [comm.Isend(self.data(4), self.dest, 42)]
        st = MPI.Status()
        self.assertIs(comm.Probe(self.source, 42, st), True)
        self.assertEqual((st.source, st.tag, st.Get_count(MPI.INT)), (self.source, 42, 4))
        st = MPI.Status()
        self.assertIs(comm.probe(source=self.source, tag=42, status=st), True)
        self.assertEqual(st.Get_count(MPI.INT), 4)
        while not comm.Iprobe(tag=42):
            pass
        self.assertTrue(comm.iprobe(MPI.ANY_SOURCE, MPI.ANY_TAG))
        m = comm.Mprobe(self.source, 42, st)
        self.assertIsInstance(m, MPI.Message)
        self.assertTrue(m)
        self.assertFalse(comm.Iprobe(self.source, 42))  # matched: no longer visible
        rbuf = array.array('i', [0] * 4)
        m.Recv(rbuf)
        self.assertFalse(m)
        self.assertEqual(rbuf, self.expect(4))
        sreqs.append(comm.Isend(self.data(2), self.dest, 43))
        m = None
        while m is None:
            m = comm.Improbe(self.source, 43, st)
        self.assertEqual(st.Get_count(MPI.INT), 2)
        rbuf = array.array('i', [0] * 2)
        m.Irecv(rbuf).Wait()
        self.assertEqual(rbuf, self.expect(2))
        MPI.Request.Waitall(sreqs)
        # PROC_NULL
        st = MPI.Status()
        self.assertTrue(comm.Probe(MPI.PROC_NULL, status=st))
        self.assertEqual(st.source, MPI.PROC_NULL)
        self.assertTrue(comm.Iprobe(MPI.PROC_NULL))
        self.assertEqual(comm.Mprobe(MPI.PROC_NULL), MPI.MESSAGE_NO_PROC)
        self.assertEqual(comm.Improbe(MPI.PROC_NULL), MPI.MESSAGE_NO_PROC)

    def test_proc_null(self):
        comm = self.comm
        b = bytearray(4)
        for f in (comm.Send, comm.Ssend, comm.Rsend, comm.Bsend):
            f(b, MPI.PROC_NULL)
        for f in (comm.Isend, comm.Issend, comm.Irsend, comm.Ibsend):
            f(b, MPI.PROC_NULL).Wait()
        for f in (comm.Send_init, comm.Ssend_init, comm.Rsend_init, comm.Bsend_init):
            p = f(b, MPI.PROC_NULL)
            p.Start()
            p.Wait()
            p.Free()
        st = MPI.Status()
        comm.Recv(b, MPI.PROC_NULL, status=st)
        self.assertEqual((st.source, st.tag, st.Get_count()), (MPI.PROC_NULL, MPI.ANY_TAG, 0))
        comm.Irecv(b, MPI.PROC_NULL).Wait()
        p = comm.Recv_init(b, MPI.PROC_NULL)
        p.Start()
        p.Wait()
        p.Free()

    def test_integer_arguments(self):
        # as in mpi4py 3.1 (Cython): any object with __index__ or __int__ is an integer
        class Index:
            def __init__(self, v): self.v = v
            def __index__(self): return self.v
        class Int:
            def __init__(self, v): self.v = v
            def __int__(self): return self.v
        comm, b = self.comm, bytearray(3)
        for dest, src, tag in ((float(self.dest), float(self.source), 1.0),
                               (Index(self.dest), Index(self.source), Int(2)),
                               (self.dest + 0.7, self.source + 0.2, 3.9)):  # truncated
            r = comm.Irecv(b, src, tag)
            comm.Send(b'abc', dest, tag)
            st = MPI.Status()
            r.Wait(st)
            self.assertEqual((b, st.source, st.tag), (b'abc', self.source, int(tag)))
            b[:] = b'...'
        if numpy is not None:
            r = comm.Isend(b'xyz', numpy.int64(self.dest), numpy.int32(4))
            comm.Recv(b, numpy.int16(self.source), numpy.uint8(4))
            r.Wait()
            self.assertEqual(b, b'xyz')
        for bad in ('1', None, [1], 1j):
            with self.assertRaises(TypeError):
                comm.Send(b, bad)
        with self.assertRaises(ValueError):
            comm.Send(b, float('nan'))
        with self.assertRaises(OverflowError):
            comm.Send(b, float('inf'))

    def test_errors(self):
        comm = self.comm
        b = bytearray(4)
        cases = [
            (lambda: comm.Send(b, self.size), MPI.ERR_RANK),
            (lambda: comm.Send(b, -7), MPI.ERR_RANK),
            (lambda: comm.Recv(b, self.size + 3), MPI.ERR_RANK),
            (lambda: comm.Isend(b, self.size), MPI.ERR_RANK),
            (lambda: comm.Irecv(b, self.size), MPI.ERR_RANK),
            (lambda: comm.Send_init(b, self.size), MPI.ERR_RANK),
            (lambda: comm.Probe(self.size), MPI.ERR_RANK),
            (lambda: comm.Iprobe(self.size), MPI.ERR_RANK),
            (lambda: comm.Mprobe(self.size), MPI.ERR_RANK),
            (lambda: comm.Sendrecv(b, self.size, recvbuf=bytearray(4), source=self.source), MPI.ERR_RANK),
            (lambda: comm.Send(b, self.dest, -5), MPI.ERR_TAG),
            (lambda: comm.Send(b, self.dest, 2**31 - 1), MPI.ERR_TAG),
            (lambda: comm.Isend(b, self.dest, -5), MPI.ERR_TAG),
            (lambda: comm.Recv(b, self.source, -5), MPI.ERR_TAG),
            (lambda: comm.Iprobe(self.source, -5), MPI.ERR_TAG),
        ]
        for f, cls in cases:
            with self.assertRaises(MPI.Exception) as cm:
                f()
            self.assertEqual(cm.exception.Get_error_class(), cls)
        with self.assertRaises(OverflowError):
            comm.Send(b, 2**40)
        with self.assertRaises(TypeError):
            comm.Send(b, None)
        with self.assertRaises(TypeError):
            comm.Recv(b, status='status')
        # truncation
        r = comm.Isend(b'12345678', self.dest, 8)
        with self.assertRaises(MPI.Exception) as cm:
            comm.Recv(bytearray(4), self.source, 8)
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_TRUNCATE)
        r.Wait()
        comm.Barrier()
        # a freed communicator
        c = comm.Dup()
        c.Free()
        with self.assertRaises(MPI.Exception):
            c.Send(b, 0)

    @unittest.skipUnless(numpy, 'NumPy is not installed')
    def test_numpy_large(self):
        comm = self.comm
        n = 1 << 20  # rendezvous protocol
        a = numpy.arange(n, dtype='d') + self.rank
        b = numpy.empty(n)
        r = comm.Irecv(b, self.source, 1)
        comm.Send(a, self.dest, 1)
        r.Wait()
        self.assertTrue((b == numpy.arange(n, dtype='d') + self.source).all())
        b[:] = 0
        comm.Sendrecv(a, self.dest, 2, b, self.source, 2)
        self.assertTrue((b == numpy.arange(n, dtype='d') + self.source).all())

    def test_intercomm(self):
        comm = self.comm
        if self.size < 2 or not hasattr(comm, 'Split'):
            return
        local = comm.Split(self.rank % 2, self.rank)
        if not hasattr(local, 'Create_intercomm'):
            local.Free()
            return
        inter = local.Create_intercomm(0, comm, 1 - self.rank % 2, 0)
        b = bytearray(3)
        inter.Sendrecv(bytes([self.rank] * 3), 0, 0, b, 0, 0)
        self.assertEqual(b, bytes([1 - self.rank] * 3))
        inter.Free()
        local.Free()

    def test_gil_released(self):
        # While the main thread blocks in Recv, another Python thread runs and sends.
        comm = self.comm
        b = bytearray(5)
        # (Not with one rank: MPICH 4.0 does not complete a blocked self-receive from a send made
        # by another thread.)
        if MPI.Query_thread() < MPI.THREAD_MULTIPLE or self.size < 2:
            return

        def later():
            time.sleep(0.2)  # the main thread is in Recv by now
            comm.Send(b'hello', self.dest, 77)
        t = threading.Thread(target=later)
        t.start()
        comm.Recv(b, self.source, 77)
        t.join()
        self.assertEqual(b, b'hello')


if __name__ == '__main__':
    mpitest.main()
