# ranks: 1 2
"""MPI.Message (message.c): matched probes from Comm and from the Message class methods,
Recv/Irecv of buffers, recv/irecv of objects, MESSAGE_NO_PROC, MESSAGE_NULL, bad input."""
import array
import unittest

import mpitest
from mpi4py import MPI


def ring(comm):
    return (comm.rank + 1) % comm.size, (comm.rank - 1) % comm.size


class TestMessage(unittest.TestCase):

    def setUp(self):
        self.comm = MPI.COMM_WORLD.Dup()
        self.dest, self.source = ring(self.comm)

    def tearDown(self):
        self.comm.Free()

    def test_constants(self):
        self.assertFalse(MPI.MESSAGE_NULL)
        self.assertTrue(MPI.MESSAGE_NO_PROC)
        self.assertEqual(MPI.Message(), MPI.MESSAGE_NULL)
        self.assertNotEqual(MPI.MESSAGE_NO_PROC, MPI.MESSAGE_NULL)
        self.assertIsNone(MPI.Message.__hash__)
        self.assertEqual(MPI.Message(MPI.MESSAGE_NO_PROC), MPI.MESSAGE_NO_PROC)
        self.assertEqual(MPI.Message.f2py(MPI.MESSAGE_NO_PROC.py2f()), MPI.MESSAGE_NO_PROC)
        # receiving from the constant does not change it
        MPI.MESSAGE_NO_PROC.Recv(None)
        self.assertIsNone(MPI.MESSAGE_NO_PROC.recv())
        self.assertIsNone(MPI.MESSAGE_NO_PROC.irecv().wait())
        MPI.MESSAGE_NO_PROC.Irecv(None).Wait()
        self.assertTrue(MPI.MESSAGE_NO_PROC)

    def test_buffers(self):
        comm = self.comm
        for probe in ('Mprobe', 'Improbe', 'Probe', 'Iprobe'):
            s = comm.Isend(array.array('d', [1.5, 2.5, 3.5]), self.dest, 1)
            st = MPI.Status()
            m = None
            while m is None:
                if probe in ('Mprobe', 'Improbe'):
                    m = getattr(comm, probe)(self.source, 1, st)
                else:
                    m = getattr(MPI.Message, probe)(comm, self.source, 1, st)
            self.assertIsInstance(m, MPI.Message)
            self.assertTrue(m)
            self.assertEqual(st.Get_count(MPI.DOUBLE), 3)
            b = array.array('d', [0.0] * 3)
            st2 = MPI.Status()
            if probe.startswith('I'):
                r = m.Irecv([b, MPI.DOUBLE])
                self.assertFalse(m)
                r.Wait(st2)
            else:
                m.Recv(buf=b, status=st2)
            self.assertFalse(m)
            self.assertEqual(list(b), [1.5, 2.5, 3.5])
            self.assertEqual((st2.source, st2.tag), (self.source, 1))
            s.Wait()

    def test_objects(self):
        comm = self.comm
        s = comm.isend({'k': 1}, self.dest, 2)
        m = comm.mprobe(self.source, 2)
        self.assertEqual(m.recv(), {'k': 1})
        self.assertFalse(m)
        s.wait()
        s = comm.isend([1] * 1000, self.dest, 3)
        st = MPI.Status()
        m = None
        while m is None:
            m = comm.improbe(source=self.source, tag=3, status=st)
        self.assertGreater(st.Get_count(), 1000)
        r = m.irecv()
        self.assertIsInstance(r, MPI.Request)
        self.assertEqual(r.wait(), [1] * 1000)
        s.wait()
        s = comm.isend('cls', self.dest, 4)
        m = MPI.Message.probe(comm, self.source, 4)
        st = MPI.Status()
        self.assertEqual(m.recv(st), 'cls')
        self.assertEqual(st.tag, 4)
        s.wait()
        s = comm.isend(b'\x00' * 70000, self.dest, 5)
        m = None
        while m is None:
            m = MPI.Message.iprobe(comm, tag=5)
        flag, obj = False, None
        r = m.irecv()
        while not flag:
            flag, obj = r.test()
        self.assertEqual(obj, b'\x00' * 70000)
        s.wait()
        # upper-case probe, lower-case receive (the size comes from the probe)
        s = comm.isend(('mixed', 1), self.dest, 6)
        m = comm.Mprobe(self.source, 6)
        self.assertEqual(m.recv(), ('mixed', 1))
        s.wait()

    def test_proc_null(self):
        comm = self.comm
        st = MPI.Status()
        m = comm.mprobe(MPI.PROC_NULL, status=st)
        self.assertEqual(m, MPI.MESSAGE_NO_PROC)
        self.assertEqual(st.source, MPI.PROC_NULL)
        self.assertIsNone(m.recv())
        self.assertEqual(m, MPI.MESSAGE_NULL)
        m = MPI.Message.Iprobe(comm, MPI.PROC_NULL)
        self.assertEqual(m, MPI.MESSAGE_NO_PROC)
        m.Recv(None)
        m = MPI.Message.probe(comm, source=MPI.PROC_NULL)
        self.assertIsNone(m.irecv().wait())

    def test_nothing_there(self):
        comm = self.comm
        self.assertIsNone(comm.Improbe(self.source, 77))
        self.assertIsNone(MPI.Message.Iprobe(comm, self.source, 77))
        self.assertIsNone(MPI.Message.iprobe(comm, self.source, 77))

    def test_errors(self):
        comm = self.comm
        for f in (lambda: MPI.Message().Recv(bytearray(1)), lambda: MPI.Message().recv(),
                  lambda: MPI.Message().Irecv(bytearray(1)), lambda: MPI.Message().irecv(),
                  lambda: MPI.MESSAGE_NULL.recv()):
            with self.assertRaises(MPI.Exception) as cm:
                f()
            self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_REQUEST)
        with self.assertRaises(TypeError):
            MPI.Message.Probe('not a comm')
        with self.assertRaises(TypeError):
            MPI.Message.Probe(comm, 'x')
        with self.assertRaises(MPI.Exception) as cm:
            MPI.Message.Probe(comm, comm.size + 1)
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_RANK)
        with self.assertRaises(TypeError):
            MPI.Message().Recv(None)  # None is for MESSAGE_NO_PROC only
        # a bad receive buffer leaves the message matched and receivable
        s = comm.Isend(b'abcd', self.dest, 9)
        m = comm.Mprobe(self.source, 9)
        with self.assertRaises(BufferError):
            m.Recv(b'read-only')
        with self.assertRaises(ValueError):
            m.Recv([bytearray(4), 8, MPI.BYTE])
        self.assertTrue(m)
        b = bytearray(4)
        m.Recv(b)
        self.assertEqual(b, b'abcd')
        s.Wait()
        # truncation
        s = comm.Isend(b'abcdefgh', self.dest, 10)
        m = comm.Mprobe(self.source, 10)
        with self.assertRaises(MPI.Exception) as cm:
            m.Recv(bytearray(2))
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_TRUNCATE)
        s.Wait()


if __name__ == '__main__':
    mpitest.main()
