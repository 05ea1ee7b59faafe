# ranks: 1 2
"""Request, Prequest and Grequest (request.c): completion of single requests and request lists
(upper- and lower-case), object receives posted at call time (MPI's ordering, sizes, truncation),
status lists, cancel/free, handle protocol, generalized requests with Python callbacks, and bad
input."""
import array
import threading
import time
import unittest

import mpitest
from mpi4py import MPI



def cancelled(st):
    if hasattr(st, 'Is_cancelled'):
        return st.Is_cancelled()
    return None


class TestRequest(mpitest.RingCase):

    def test_handle_protocol(self):
        null = MPI.REQUEST_NULL
        self.assertFalse(null)
        self.assertEqual(MPI.Request(), null)
        self.assertFalse(MPI.Request() != null)
        self.assertIsNone(MPI.Request.__hash__)
        r = self.comm.Irecv(bytearray(1), MPI.PROC_NULL)
        self.assertTrue(r)
        self.assertNotEqual(r, null)
        copy = MPI.Request(r)
        self.assertEqual(copy, r)
        self.assertEqual(MPI.Request.f2py(r.py2f()), r)
        self.assertIsInstance(MPI.Prequest(), MPI.Request)
        self.assertIsInstance(MPI.Grequest(), MPI.Request)
        r.Wait()
        self.assertFalse(r)
        self.assertEqual(r, null)
        with self.assertRaises(TypeError):
            MPI.Request(42)
        # a posted object receive is active
        p = self.comm.irecv(source=self.source, tag=999)
        self.assertTrue(p)
        self.assertNotEqual(p, null)
        self.assertEqual(p, p)
        p.Cancel()
        p.Wait()
        self.assertFalse(p)

    def test_wait_test_get_status(self):
        comm = self.comm
        rbuf = bytearray(3)
        r = comm.Irecv(rbuf, self.source, 1)
        self.assertFalse(r.Get_status())
        self.assertFalse(r.get_status())
        self.assertEqual(r.test(), (False, None))
        self.assertFalse(r.Test())
        comm.Barrier()
        s = comm.Isend(b'abc', self.dest, 1)
        st = MPI.Status()
        while not r.Get_status(st):
            pass
        self.assertEqual((st.source, st.tag), (self.source, 1))
        self.assertTrue(r)  # Get_status does not free
        st = MPI.Status()
        self.assertIs(r.Test(st), True)
        self.assertEqual(st.Get_count(), 3)
        self.assertFalse(r)
        self.assertEqual(rbuf, b'abc')
        self.assertIs(s.Wait(), True)
        self.assertIsNone(s.wait())  # completed: returns at once
        self.assertIs(MPI.REQUEST_NULL.Wait(), True)
        self.assertEqual(MPI.Request().test(), (True, None))

    def test_lowercase_objects(self):
        comm = self.comm
        r = comm.irecv(source=self.source, tag=2)
        s = comm.isend({'a': [1, 2]}, self.dest, 2)
        self.assertEqual(r.wait(), {'a': [1, 2]})
        self.assertIsNone(s.wait())
        self.assertIsNone(r.wait())  # already delivered
        r = comm.irecv(200000, source=self.source, tag=3)  # an int: the buffer size
        s = comm.isend('x' * 100000, self.dest, 3)
        st = MPI.Status()
        while True:
            flag, obj = r.test(st)
            if flag:
                break
        self.assertEqual(obj, 'x' * 100000)
        self.assertEqual((st.source, st.tag), (self.source, 3))
        s.wait()
        # the user's buffer, used as it is
        buf = bytearray(64)
        r = comm.irecv(buf, source=self.source, tag=5)
        s = comm.isend(b'abc', self.dest, 5)
        self.assertEqual(r.wait(), b'abc')
        self.assertNotEqual(buf, bytearray(64))
        s.wait()
        # PROC_NULL: nothing arrives
        self.assertIsNone(comm.irecv(0, MPI.PROC_NULL).wait())
        self.assertIsNone(comm.irecv(source=MPI.PROC_NULL).wait())
        # more than the buffer holds (32 KiB by default): MPI's truncation error, as in mpi4py 3.1
        for size in (None, 16):
            r = comm.irecv(size, source=self.source, tag=6)
            s = comm.isend('y' * 40000, self.dest, 6)
            with self.assertRaises(MPI.Exception) as cm:
                r.wait()
            self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_TRUNCATE)
            s.wait()
        # the Isend of a buffer and Wait -> None from wait()
        r = comm.Irecv(bytearray(2), self.source, 4)
        s = comm.Isend(b'zz', self.dest, 4)
        self.assertIsNone(r.wait())
        self.assertIsNone(s.wait())

    def test_waitall_testall(self):
        comm = self.comm
        for lower in (False, True):
            bufs = [array.array('i', [0] * 4) for _ in range(3)]
            rr = [comm.Irecv(b, self.source, 10 + i) for i, b in enumerate(bufs)]
            rr.append(MPI.Request())  # null requests are allowed
            statuses = [] if lower else [MPI.Status()]
            if lower:
                flag, objs = MPI.Request.testall(rr, statuses)
                self.assertEqual((flag, objs), (False, None))
            else:
                self.assertFalse(MPI.Request.Testall(rr, statuses))
            comm.Barrier()
            ss = [comm.Isend(array.array('i', [i] * 4), self.dest, 10 + i) for i in range(3)]
            if lower:
                self.assertEqual(MPI.Request.waitall(rr, statuses), [None] * 4)
                self.assertEqual(MPI.Request.waitall(ss), [None] * 3)
            else:
                self.assertIs(MPI.Request.Waitall(rr, statuses), True)
                while not MPI.Request.Testall(ss):
                    pass
            self.assertEqual(len(statuses), 4)
            for i in range(3):
                self.assertEqual(list(bufs[i]), [i] * 4)
                self.assertEqual((statuses[i].source, statuses[i].tag), (self.source, 10 + i))
            self.assertFalse(any(rr) or any(ss))
        # objects
        rr = [comm.irecv(source=self.source, tag=20 + i) for i in range(3)]
        ss = [comm.isend(i * 'o', self.dest, 20 + i) for i in range(3)]
        self.assertEqual(MPI.Request.waitall(rr), ['', 'o', 'oo'])
        MPI.Request.Waitall(ss)
        rr = [comm.irecv(source=self.source, tag=30 + i) for i in range(2)]
        comm.Barrier()
        ss = [comm.isend((i,), self.dest, 30 + i) for i in range(2)]
        while True:
            flag, objs = MPI.Request.testall(rr)
            if flag:
                break
        self.assertEqual(objs, [(0,), (1,)])
        self.assertEqual(MPI.Request.testall([]), (True, []))
        self.assertIs(MPI.Request.Waitall([]), True)
        MPI.Request.waitall(ss)

    def test_waitany_testany(self):
        comm = self.comm
        null = [MPI.Request(), MPI.Request()]
        self.assertEqual(MPI.Request.Waitany(null), MPI.UNDEFINED)
        self.assertEqual(MPI.Request.Testany(null), (MPI.UNDEFINED, True))
        self.assertEqual(MPI.Request.waitany(null), (MPI.UNDEFINED, None))
        self.assertEqual(MPI.Request.testany([]), (MPI.UNDEFINED, True, None))
        # buffers
        b = bytearray(1)
        reqs = [MPI.Request(), comm.Irecv(b, self.source, 5)]
        self.assertEqual(MPI.Request.Testany(reqs), (MPI.UNDEFINED, False))
        comm.Barrier()
        s = comm.Isend(b'q', self.dest, 5)
        st = MPI.Status()
        self.assertEqual(MPI.Request.Waitany(reqs, st), 1)
        self.assertEqual(st.tag, 5)
        self.assertEqual(b, b'q')
        s.Wait()
        # objects
        reqs = [comm.irecv(source=self.source, tag=6), comm.irecv(source=self.source, tag=7)]
        self.assertEqual(MPI.Request.testany(reqs), (MPI.UNDEFINED, False, None))
        comm.Barrier()
        s = comm.isend('seven', self.dest, 7)
        st = MPI.Status()
        self.assertEqual(MPI.Request.waitany(reqs, st), (1, 'seven'))
        self.assertEqual(st.tag, 7)
        comm.Barrier()  # 'six' is sent only once every rank got 'seven'
        s2 = comm.isend('six', self.dest, 6)
        while True:
            idx, flag, obj = MPI.Request.testany(reqs)
            if flag:
                break
        self.assertEqual((idx, obj), (0, 'six'))
        self.assertEqual(MPI.Request.waitany(reqs), (MPI.UNDEFINED, None))
        MPI.Request.waitall([s, s2])
        # upper-case Waitany on an irecv: the object is dropped
        r = comm.irecv(source=self.source, tag=8)
        comm.Barrier()
        s = comm.isend(8, self.dest, 8)
        self.assertEqual(MPI.Request.Waitany([r]), 0)
        self.assertIsNone(r.wait())
        s.wait()

    def test_waitsome_testsome(self):
        comm = self.comm
        self.assertIsNone(MPI.Request.Waitsome([MPI.Request()]))
        self.assertIsNone(MPI.Request.Testsome([]))
        self.assertEqual(MPI.Request.waitsome([MPI.Request()]), (None, None))
        self.assertEqual(MPI.Request.testsome([]), (None, None))
        bufs = [bytearray(1) for _ in range(3)]
        reqs = [comm.Irecv(b, self.source, 40 + i) for i, b in enumerate(bufs)]
        self.assertEqual(MPI.Request.Testsome(reqs), [])
        comm.Barrier()
        ss = [comm.Isend(bytes([65 + i]), self.dest, 40 + i) for i in (0, 2)]
        done = []
        while len(done) < 2:
            # as in mpi4py 3.1: one status per completed request, in completion order
            statuses = []
            idx = MPI.Request.Waitsome(reqs, statuses)
            self.assertEqual(len(statuses), len(idx))
            for k, i in enumerate(idx):
                self.assertEqual((statuses[k].tag, statuses[k].error), (40 + i, MPI.SUCCESS))
            done += idx
        self.assertEqual(sorted(done), [0, 2])
        self.assertEqual((bufs[0], bufs[2]), (b'A', b'C'))
        self.assertTrue(reqs[1])
        reqs[1].Cancel()
        reqs[1].Wait()
        MPI.Request.Waitall(ss)
        # objects
        reqs = [comm.irecv(source=self.source, tag=50 + i) for i in range(3)]
        statuses = []
        self.assertEqual(MPI.Request.testsome(reqs, statuses), ([], []))
        self.assertEqual(statuses, [])
        comm.Barrier()
        ss = [comm.isend([i], self.dest, 50 + i) for i in range(3)]
        got = {}
        while len(got) < 3:
            idx, objs = MPI.Request.waitsome(reqs)
            got.update(zip(idx, objs))
        self.assertEqual(got, {0: [0], 1: [1], 2: [2]})
        MPI.Request.waitall(ss)
        reqs = [comm.irecv(source=self.source, tag=60)]
        comm.Barrier()
        s = comm.isend('t', self.dest, 60)
        got = []
        while not got:
            idx, objs = MPI.Request.testsome(reqs)
            got += objs
        self.assertEqual((idx, got), ([0], ['t']))
        s.wait()

    def test_cancel_and_free(self):
        comm = self.comm
        # a posted receive
        r = comm.Irecv(bytearray(4), self.source, 70)
        r.Cancel()
        st = MPI.Status()
        r.Wait(st)
        self.assertIn(cancelled(st), (True, None))
        self.assertFalse(r)
        # an object receive
        r = comm.irecv(source=self.source, tag=71)
        r.cancel()
        st = MPI.Status()
        self.assertIsNone(r.wait(st))
        self.assertIn(cancelled(st), (True, None))
        self.assertFalse(r)
        r = comm.irecv(source=self.source, tag=72)
        r.Cancel()
        self.assertEqual(MPI.Request.waitany([MPI.Request(), r]), (1, None))
        r = comm.irecv(source=self.source, tag=73)
        r.Cancel()
        r.Free()  # (a receive freed while still posted would stay posted, as in MPI)
        self.assertFalse(r)
        # Free an active send: it completes on its own
        rb = bytearray(2)
        rr = comm.Irecv(rb, self.source, 74)
        comm.Barrier()
        s = comm.Isend(bytearray(b'ok'), self.dest, 74)
        s.Free()
        self.assertFalse(s)
        rr.Wait()
        self.assertEqual(rb, b'ok')
        # errors
        for f in (MPI.Request().Free, MPI.Request().Cancel, MPI.Prequest().Start):
            with self.assertRaises(MPI.Exception) as cm:
                f()
            self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_REQUEST)
        with self.assertRaises(MPI.Exception):
            s.Free()  # freed twice
        with self.assertRaises(MPI.Exception) as cm:
            MPI.REQUEST_NULL.Free()
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_REQUEST)
        r = comm.Isend(b'', MPI.PROC_NULL)
        with self.assertRaises(MPI.Exception) as cm:
            MPI.Prequest(r).Start()  # not persistent
        r.Wait()

    def test_irecv_order(self):
        # irecv() posts its receive at once (as mpi4py 3.1): receives for the same source and tag
        # complete in the order posted, whatever collectives and blocking receives (recv, Recv)
        # come before or between them
        comm, src, tag = self.comm, self.source, 7
        early = [comm.irecv(source=src, tag=tag) for _ in range(2)]
        late = comm.irecv(source=src, tag=tag)
        comm.Barrier()  # every receive above is posted before any message is sent
        sends = [comm.isend(('obj', i), self.dest, tag) for i in range(4)]
        sends.append(comm.Isend(b'B', self.dest, tag))
        sends.append(comm.issend(('obj', 4), self.dest, tag))
        self.assertEqual(comm.recv(source=src, tag=tag), ('obj', 3))
        buf = bytearray(1)
        comm.Recv(buf, src, tag)
        self.assertEqual(buf, b'B')
        self.assertEqual(comm.recv(source=src, tag=tag), ('obj', 4))
        self.assertEqual(MPI.Request.waitall(early + [late]), [('obj', 0), ('obj', 1), ('obj', 2)])
        MPI.Request.waitall(sends)

    def test_statuses_sequence(self):
        # a tuple of statuses is filled in place (mpi4py 3.1)
        comm = self.comm
        statuses = (MPI.Status(), MPI.Status())
        bufs = [bytearray(1), bytearray(1)]
        rr = [comm.Irecv(bufs[i], self.source, 80 + i) for i in range(2)]
        ss = [comm.Isend(b'%d' % i, self.dest, 80 + i) for i in range(2)]
        MPI.Request.Waitall(rr, statuses)
        self.assertEqual([s.tag for s in statuses], [80, 81])
        MPI.Request.Waitall(ss)
        rr = [comm.irecv(source=self.source, tag=82)]
        ss = [comm.isend('x', self.dest, 82)]
        statuses = (MPI.Status(),)
        while not MPI.Request.Testall(rr, statuses):
            pass
        self.assertEqual(statuses[0].tag, 82)
        MPI.Request.Waitall(ss)

    def test_bad_arguments(self):
        comm = self.comm
        for f in (MPI.Request.Waitall, MPI.Request.Testall, MPI.Request.Waitany, MPI.Request.Testany,
                  MPI.Request.Waitsome, MPI.Request.Testsome, MPI.Request.waitall, MPI.Request.testall,
                  MPI.Request.waitany, MPI.Request.testany, MPI.Request.waitsome, MPI.Request.testsome,
                  MPI.Prequest.Startall):
            with self.assertRaises(TypeError, msg=f.__name__):
                f([MPI.Request(), 'not a request'])
            with self.assertRaises(TypeError, msg=f.__name__):
                f(42)
            with self.assertRaises(TypeError, msg=f.__name__):
                f()
        with self.assertRaises(TypeError):
            MPI.Request.Waitall([], statuses=42)
        with self.assertRaises(TypeError):
            MPI.Request.Waitall([MPI.Request()], ['not a status'])
        with self.assertRaises(TypeError):
            MPI.Request.Waitany([], status=[])
        with self.assertRaises(TypeError):
            MPI.Request().Wait('status')
        with self.assertRaises(TypeError):
            MPI.Request().Wait(status=MPI.Status(), bogus=1)
        with self.assertRaises(TypeError):
            comm.irecv('abc')  # not a writable buffer
        with self.assertRaises(RuntimeError):
            comm.irecv(-1)  # a negative size (mpi4py 3.1: RuntimeError)

    def test_prequest_startall(self):
        comm = self.comm
        n = 3
        rbufs = [bytearray(1) for _ in range(n)]
        rr = [comm.Recv_init(rbufs[i], self.source, 80 + i) for i in range(n)]
        sbufs = [bytearray([i]) for i in range(n)]
        ss = [comm.Send_init(sbufs[i], self.dest, 80 + i) for i in range(n)]
        for it in range(4):
            for b in sbufs:
                b[0] = (b[0] + 1) % 256
            MPI.Prequest.Startall(rr)
            MPI.Prequest.Startall(requests=ss)
            MPI.Request.Waitall(rr + ss)
            self.assertEqual(rbufs, sbufs)
            self.assertTrue(all(rr) and all(ss))
        for r in rr + ss:
            r.Free()


class TestGrequest(unittest.TestCase):

    def test_complete_from_thread(self):
        log = []

        def query(status, *args, **kargs):
            log.append(('query', args, kargs))
            if hasattr(status, 'Set_source'):
                status.Set_source(3)
                status.Set_tag(4)

        def free(*args, **kargs):
            log.append(('free', args, kargs))

        def cancel(completed, *args, **kargs):
            log.append(('cancel', completed))

        req = MPI.Grequest.Start(query, free, cancel, args=(1, 2), kargs={'k': 'v'})
        self.assertIsInstance(req, MPI.Grequest)
        self.assertTrue(req)
        self.assertFalse(req.Test())
        if MPI.Query_thread() == MPI.THREAD_MULTIPLE:
            t = threading.Thread(target=lambda: (time.sleep(0.1), req.Complete()))
            t.start()
            st = MPI.Status()
            req.Wait(st)  # the GIL is released: the thread completes it
            t.join()
        else:
            req.Complete()
            st = MPI.Status()
            req.Wait(st)
        self.assertFalse(req)
        self.assertIn(('query', (1, 2), {'k': 'v'}), log)
        self.assertIn(('free', (1, 2), {'k': 'v'}), log)
        if hasattr(st, 'Set_source'):
            self.assertEqual((st.source, st.tag), (3, 4))

    def test_cancel_and_lists(self):
        log = []
        req = MPI.Grequest.Start(None, lambda: log.append('free'), lambda c: log.append(('cancel', c)))
        req.Cancel()
        self.assertEqual(log, [('cancel', False)])
        req.Complete()
        comm = MPI.COMM_SELF
        r2 = comm.irecv(source=MPI.PROC_NULL)
        self.assertEqual(MPI.Request.waitall([req, r2]), [None, None])
        self.assertIn('free', log)
        req = MPI.Grequest.Start(lambda s: None, lambda: None, lambda c: None)
        self.assertEqual(MPI.Request.Testany([req]), (MPI.UNDEFINED, False))
        req.Complete()
        self.assertEqual(MPI.Request.Testany([req]), (0, True))

    def test_callback_errors(self):
        class Oops(Exception):
            pass

        def bad_query(status):
            raise Oops('query failed')

        req = MPI.Grequest.Start(bad_query, lambda: None, lambda c: None)
        req.Complete()
        with self.assertRaises(Oops):
            req.Wait()

        def mpi_error_query(status):
            raise MPI.Exception(MPI.ERR_OTHER)
        req = MPI.Grequest.Start(mpi_error_query, lambda: None, lambda c: None)
        req.Complete()
        with self.assertRaises(MPI.Exception):
            req.Wait()
        # a failing cancel callback
        req = MPI.Grequest.Start(None, None, lambda c: 1 / 0)
        with self.assertRaises(ZeroDivisionError):
            req.Cancel()
        req.Complete()
        req.Wait()
        with self.assertRaises(TypeError):
            MPI.Grequest.Start(1, 2, 3)
        with self.assertRaises(TypeError):
            MPI.Grequest.Start(None, None)
        with self.assertRaises(TypeError):
            MPI.Grequest.Start(None, None, None, args=5)

    def test_free_grequest(self):
        log = []
        req = MPI.Grequest.Start(None, lambda: log.append('free'), None)
        req.Complete()
        copy = MPI.Grequest(req)
        del req  # dropping an object never frees the MPI request: the copy stays valid
        self.assertEqual(log, [])
        copy.Free()  # Free() does: the free callback runs
        self.assertEqual(log, ['free'])
        self.assertFalse(copy)


if __name__ == '__main__':
    mpitest.main()
