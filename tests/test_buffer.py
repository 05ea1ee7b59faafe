# ranks: 1 2
"""Buffer specifications of the upper-case methods (msgbuffer.c): automatic datatypes from
PEP 3118 formats, [data, count, displ, datatype] forms, BOTTOM, None with PROC_NULL,
__cuda_array_interface__ and DLPack providers, and every kind of bad input."""
import array
import gc
import sys
import unittest

import mpitest
from mpi4py import MPI

try:
    import numpy
except ImportError:
    numpy = None

needs_numpy = unittest.skipUnless(numpy, 'NumPy is not installed')


def ring(comm):
    return (comm.rank + 1) % comm.size, (comm.rank - 1) % comm.size


class CAIArray:
    """A host array exposed only through __cuda_array_interface__ (no buffer protocol)."""

    def __init__(self, a, readonly=False, **extra):
        self.a = a
        self.readonly = readonly
        self.extra = extra

    @property
    def __cuda_array_interface__(self):
        d = {'shape': self.a.shape, 'typestr': self.a.dtype.str,
             'data': (self.a.ctypes.data, self.readonly), 'version': 3, 'strides': None}
        d.update(self.extra)
        return d


class DLPackArray:
    """A host array exposed only through __dlpack__/__dlpack_device__ (NumPy's DLPack)."""

    def __init__(self, a, device=None):
        self.a = a
        self.device = device
        self.calls = []

    def __dlpack_device__(self):
        return self.device or self.a.__dlpack_device__()

    def __dlpack__(self, stream=None):
        self.calls.append(stream)
        return self.a.__dlpack__()


class TestBufferSpecs(unittest.TestCase):

    def setUp(self):
        self.comm = MPI.COMM_WORLD
        self.dest, self.source = ring(self.comm)

    def xchg(self, sendbuf, recvbuf, tag=0):
        st = MPI.Status()
        self.comm.Sendrecv(sendbuf, self.dest, tag, recvbuf, self.source, tag, st)
        return st

    def test_array_module_formats(self):
        for code in 'bBhHiIlLqQfd':
            a = array.array(code, range(1, 11))
            b = array.array(code, [0] * 10)
            st = self.xchg(a, b)
            self.assertEqual(b, a, code)
            self.assertEqual(st.Get_count(MPI.BYTE), a.itemsize * 10)
        # wchar_t: array('u') exports format 'w'
        a = array.array('u', 'hello')
        b = array.array('u', ' ' * 5)
        self.xchg(a, b)
        self.assertEqual(b.tounicode(), 'hello')

    @needs_numpy
    def test_numpy_formats(self):
        codes = ['b', 'B', 'h', 'H', 'i', 'I', 'l', 'L', 'q', 'Q', 'p', 'P',
                 'f', 'd', 'g', 'F', 'D', 'G', '?', 'i1', 'u1', 'i2', 'u2', 'i4', 'u4', 'i8', 'u8',
                 'f4', 'f8', 'c8', 'c16', 'S1']
        for code in codes:
            a = (numpy.arange(1, 13) % 7).astype(code)
            b = numpy.zeros_like(a)
            st = self.xchg(a, b)
            self.assertTrue((a == b).all(), code)
            self.assertEqual(st.Get_count(MPI.BYTE), a.nbytes, code)
        # 2-d, Fortran order, zero size
        a = numpy.arange(12.0).reshape(3, 4)
        b = numpy.zeros((3, 4))
        self.xchg(a, b)
        self.assertTrue((a == b).all())
        a = numpy.asfortranarray(a)
        b = numpy.zeros((3, 4), order='F')
        self.xchg(a, b)
        self.assertTrue((a == b).all())
        st = self.xchg(numpy.zeros(0), numpy.zeros(0))
        self.assertEqual(st.Get_count(MPI.BYTE), 0)

    def test_bytes_like(self):
        b = bytearray(5)
        self.xchg(b'hello', b)
        self.assertEqual(b, b'hello')
        m = memoryview(bytearray(b'0123456789'))
        b = bytearray(4)
        self.xchg(m[3:7], memoryview(b))
        self.assertEqual(b, b'3456')
        # a typed memoryview
        src = memoryview(array.array('i', [5, 6, 7]))
        dst = array.array('i', [0, 0, 0])
        self.xchg(src, dst)
        self.assertEqual(list(dst), [5, 6, 7])

    def test_spec_forms(self):
        a = array.array('d', [float(i) for i in range(10)])
        forms = [
            ([a, MPI.DOUBLE], slice(0, 10)),
            ((a, MPI.DOUBLE), slice(0, 10)),
            ([a, 4, MPI.DOUBLE], slice(0, 4)),
            ([a, (4, 3), MPI.DOUBLE], slice(3, 7)),
            ((a, [4, 3], MPI.DOUBLE), slice(3, 7)),
            ([a, 4, 3, MPI.DOUBLE], slice(3, 7)),
            ([a, None, 6, MPI.DOUBLE], slice(6, 10)),
            ([a, 'd'], slice(0, 10)),
            ([a, None], slice(0, 10)),
            ([a, 2, None], slice(0, 2)),
        ]
        for spec, sl in forms:
            n = sl.stop - sl.start
            b = array.array('d', [-1.0] * n)
            st = self.xchg(spec, [b, MPI.DOUBLE])
            self.assertEqual(list(b), list(a[sl]), spec)
            self.assertEqual(st.Get_count(MPI.DOUBLE), n)
        # receive side displacement
        b = array.array('d', [-1.0] * 10)
        self.xchg([a, 3, MPI.DOUBLE], [b, (3, 5), MPI.DOUBLE])
        self.assertEqual(list(b), [-1.0] * 5 + [0.0, 1.0, 2.0] + [-1.0] * 2)
        # a derived datatype
        pair = MPI.DOUBLE.Create_contiguous(2).Commit()
        try:
            b = array.array('d', [-1.0] * 10)
            self.xchg([a, 2, 1, pair], [b, 2, pair])
            self.assertEqual(list(b), [2.0, 3.0, 4.0, 5.0] + [-1.0] * 6)
            b = array.array('d', [-1.0] * 10)
            self.xchg([a, pair], [b, pair])
            self.assertEqual(b, a)
        finally:
            pair.Free()

    @needs_numpy
    def test_bottom(self):
        a = numpy.arange(8, dtype='i')
        b = numpy.zeros(8, dtype='i')
        # absolute addresses: BOTTOM plus a displacement of `address` bytes
        self.xchg([MPI.BOTTOM, (a.nbytes, a.ctypes.data), MPI.BYTE],
                  [MPI.BOTTOM, a.nbytes, b.ctypes.data, MPI.BYTE])
        self.assertTrue((a == b).all())
        if hasattr(MPI, 'Get_address') and hasattr(MPI.Datatype, 'Create_hindexed'):
            dt = MPI.INT.Create_hindexed([8], [MPI.Get_address(a)]).Commit()
            dr = MPI.INT.Create_hindexed([8], [MPI.Get_address(b)]).Commit()
            b[:] = 0
            self.xchg([MPI.BOTTOM, dt], [MPI.BOTTOM, 1, dr])
            self.assertTrue((a == b).all())
            dt.Free()
            dr.Free()

    def test_none_with_proc_null(self):
        comm = self.comm
        st = MPI.Status()
        comm.Send(None, MPI.PROC_NULL)
        comm.Recv(None, MPI.PROC_NULL, status=st)
        self.assertEqual(st.source, MPI.PROC_NULL)
        comm.Sendrecv(None, MPI.PROC_NULL, recvbuf=None, source=MPI.PROC_NULL)
        comm.Sendrecv_replace(None, MPI.PROC_NULL, source=MPI.PROC_NULL)
        comm.Isend(None, MPI.PROC_NULL).Wait()
        comm.Irecv(None, MPI.PROC_NULL).Wait()
        comm.Send([None, 0, MPI.INT], MPI.PROC_NULL)
        for f in (comm.Send, comm.Ssend, comm.Isend):
            with self.assertRaises(TypeError):
                f(None, self.dest)
        with self.assertRaises(TypeError):
            comm.Recv(None, self.source)
        with self.assertRaises(TypeError):
            comm.Sendrecv(b'', MPI.PROC_NULL, recvbuf=None, source=self.source)

    @needs_numpy
    def test_keep_alive_nonblocking(self):
        comm = self.comm
        rbuf = numpy.zeros(1 << 16, dtype='i')
        rreq = comm.Irecv([rbuf, MPI.INT], self.source, 3)
        sreq = comm.Isend(numpy.arange(1 << 16, dtype='i') * 3, self.dest, 3)  # a temporary
        gc.collect()
        MPI.Request.Waitall([sreq, rreq])
        self.assertTrue((rbuf == numpy.arange(1 << 16, dtype='i') * 3).all())
        # the request pins the exporter: a bytearray cannot be resized meanwhile
        b = bytearray(16)
        r = comm.Irecv(b, self.source, 4)
        with self.assertRaises(BufferError):
            b.extend(b'x')
        comm.Send(bytearray(b'y' * 16), self.dest, 4)
        r.Wait()
        b.extend(b'x')  # released at completion
        self.assertEqual(bytes(b), b'y' * 16 + b'x')


class TestBufferErrors(unittest.TestCase):

    def setUp(self):
        self.comm = MPI.COMM_WORLD

    def send(self, spec):
        self.comm.Send(spec, MPI.PROC_NULL)

    def recv(self, spec):
        self.comm.Recv(spec, MPI.PROC_NULL)

    def test_not_a_buffer(self):
        for bad in (12345, 1.5, 'text', object(), [1, 2, 3, 4, 5], {}, MPI.BOTTOM):
            with self.assertRaises((TypeError, ValueError), msg=repr(bad)):
                self.send(bad)
        with self.assertRaises(TypeError):
            self.send([object(), MPI.INT])
        with self.assertRaises(TypeError):
            self.send([bytearray(4), 'not-a-datatype-object'.encode()])
        with self.assertRaises(TypeError):
            self.send([bytearray(4), 3.5])
        with self.assertRaises(TypeError):
            self.send([bytearray(4), '1', MPI.INT])  # (a float count is truncated, as in mpi4py 3.1)
        with self.assertRaises(TypeError):
            self.send([MPI.BOTTOM, None])

    def test_bad_spec_length(self):
        with self.assertRaises(ValueError):
            self.send([bytearray(4)])
        with self.assertRaises(ValueError):
            self.send([bytearray(4), 1, 0, MPI.INT, 0])
        with self.assertRaises(ValueError):
            self.send([bytearray(4), (1, 2, 3), MPI.INT])

    def test_readonly_receive(self):
        with self.assertRaises(BufferError):
            self.recv(b'readonly')
        with self.assertRaises(BufferError):
            self.recv([b'abcd', MPI.BYTE])
        with self.assertRaises(BufferError):
            self.recv(memoryview(bytearray(4)).toreadonly())
        if numpy is not None:
            a = numpy.zeros(4)
            a.flags.writeable = False
            with self.assertRaises((BufferError, ValueError)):
                self.recv(a)

    def test_counts_and_displacements(self):
        b = bytearray(16)
        for spec in ([b, 5, MPI.INT], [b, (1, 4), MPI.INT], [b, 0, 5, MPI.INT], [b, (3, 2), MPI.INT],
                     [b, 2**62, MPI.INT], [b, (1, 2**62), MPI.DOUBLE]):
            with self.assertRaises(ValueError, msg=repr(spec[1:])):
                self.send(spec)
            with self.assertRaises(ValueError, msg=repr(spec[1:])):
                self.recv(spec)
        with self.assertRaises(ValueError):
            self.send([b, -1, MPI.INT])
        with self.assertRaises(ValueError):
            self.send([b, (1, -1), MPI.INT])
        with self.assertRaises(ValueError):
            self.send([bytearray(5), MPI.INT])  # not a multiple of the extent
        with self.assertRaises(OverflowError):
            self.send([b, 2**70, MPI.INT])
        # exactly at the end is fine
        self.send([b, 4, MPI.INT])
        self.send([b, (2, 2), MPI.INT])
        self.send([b, (0, 4), MPI.INT])

    @unittest.skipUnless(numpy, 'NumPy is not installed')
    def test_noncontiguous_and_formats(self):
        a = numpy.zeros((4, 4))[:, ::2]
        with self.assertRaises((ValueError, BufferError)):
            self.send(a)
        with self.assertRaises((ValueError, BufferError)):
            self.send([a, MPI.DOUBLE])
        for dtype in ('e', '>f8' if sys.byteorder == 'little' else '<f8', 'M8[s]', 'O', 'V3', [('a', 'i'), ('b', 'd')]):
            with self.assertRaises((ValueError, TypeError, BufferError), msg=str(dtype)):
                self.send(numpy.zeros(3, dtype=dtype))
        # an explicit datatype makes any bytes usable
        self.send([numpy.zeros(3, dtype='e'), MPI.SHORT])

    def test_datatypes(self):
        b = bytearray(16)
        with self.assertRaises(MPI.Exception) as cm:
            self.send([b, MPI.DATATYPE_NULL])
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_TYPE)
        dt = MPI.INT.Create_contiguous(2)
        with self.assertRaises(MPI.Exception) as cm:  # not committed
            self.send([b, 1, dt])
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_TYPE)
        dt.Commit()
        self.send([b, 1, dt])
        dt.Free()
        with self.assertRaises(MPI.Exception) as cm:  # freed
            self.send([b, 1, dt])
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_TYPE)
        with self.assertRaises(ValueError):
            self.send([b, 'e'])  # a typecode with no MPI datatype


@unittest.skipUnless(numpy, 'NumPy is not installed')
class TestProviders(unittest.TestCase):

    def setUp(self):
        self.comm = MPI.COMM_WORLD
        self.dest, self.source = ring(self.comm)

    def test_cuda_array_interface_host(self):
        comm = self.comm
        for dtype in ('i', 'd', 'u1', 'c16', '?'):
            a = (numpy.arange(10) % 2).astype(dtype)
            b = numpy.zeros_like(a)
            st = MPI.Status()
            comm.Sendrecv(CAIArray(a), self.dest, 1, CAIArray(b), self.source, 1, st)
            self.assertTrue((a == b).all(), dtype)
            self.assertEqual(st.Get_count(MPI.BYTE), a.nbytes)
        a = numpy.arange(6, dtype='d')
        b = numpy.zeros(6)
        comm.Sendrecv([CAIArray(a), 3, MPI.DOUBLE], self.dest, 2, [CAIArray(b), (3, 3), MPI.DOUBLE],
                      self.source, 2)
        self.assertEqual(list(b), [0, 0, 0, 0, 1, 2])
        # C-contiguous strides are fine
        a2 = numpy.arange(6, dtype='i').reshape(2, 3)
        comm.Send(CAIArray(a2, strides=a2.strides), MPI.PROC_NULL)
        req = comm.Isend(CAIArray(a), self.dest, 3)
        comm.Recv(b, self.source, 3)
        req.Wait()
        self.assertTrue((a == b).all())

    def test_cuda_array_interface_errors(self):
        comm = self.comm
        a = numpy.arange(8, dtype='i')
        with self.assertRaises(BufferError):
            comm.Recv(CAIArray(a, readonly=True), MPI.PROC_NULL)
        comm.Send(CAIArray(a, readonly=True), MPI.PROC_NULL)  # read-only is fine to send
        with self.assertRaises(BufferError):
            comm.Send(CAIArray(a, mask=numpy.ones(8, bool)), MPI.PROC_NULL)
        with self.assertRaises(BufferError):
            comm.Send(CAIArray(a.reshape(2, 4), strides=(4, 8)), MPI.PROC_NULL)
        with self.assertRaises(ValueError):
            comm.Send(CAIArray(a, typestr='<x9'), MPI.PROC_NULL)
        with self.assertRaises(ValueError):
            comm.Send(CAIArray(a, typestr='>i4' if sys.byteorder == 'little' else '<i4'), MPI.PROC_NULL)
        with self.assertRaises((TypeError, KeyError)):
            comm.Send(CAIArray(a, data=None), MPI.PROC_NULL)

        class Bad:
            __cuda_array_interface__ = 42
        with self.assertRaises(TypeError):
            comm.Send(Bad(), MPI.PROC_NULL)

    @unittest.skipUnless(numpy is not None and hasattr(numpy.ndarray, '__dlpack__'), 'no DLPack in NumPy')
    def test_dlpack_host(self):
        comm = self.comm
        for dtype in ('i', 'd', 'u2', 'c8', 'i8'):
            a = (numpy.arange(10) % 3).astype(dtype)
            b = numpy.zeros_like(a)
            comm.Sendrecv(DLPackArray(a), self.dest, 1, DLPackArray(b), self.source, 1)
            self.assertTrue((a == b).all(), dtype)
        a = numpy.arange(12, dtype='d').reshape(3, 4)
        b = numpy.zeros((3, 4))
        comm.Sendrecv([DLPackArray(a), MPI.DOUBLE], self.dest, 2, DLPackArray(b), self.source, 2)
        self.assertTrue((a == b).all())
        # NumPy's capsule keeps the array alive with the request
        req = comm.Isend(DLPackArray(numpy.arange(5, dtype='i') * 7), self.dest, 3)
        gc.collect()
        c = numpy.zeros(5, dtype='i')
        comm.Recv(c, self.source, 3)
        req.Wait()
        self.assertEqual(list(c), [0, 7, 14, 21, 28])

    @unittest.skipUnless(numpy is not None and hasattr(numpy.ndarray, '__dlpack__'), 'no DLPack in NumPy')
    def test_dlpack_errors_and_devices(self):
        comm = self.comm
        with self.assertRaises(BufferError):
            comm.Send(DLPackArray(numpy.zeros((4, 4))[:, ::2]), MPI.PROC_NULL)
        ro = numpy.zeros(4)
        ro.flags.writeable = False
        with self.assertRaises(BufferError):  # NumPy refuses read-only arrays
            comm.Send(DLPackArray(ro), MPI.PROC_NULL)
        with self.assertRaises(ValueError):  # float16: no MPI datatype
            comm.Send(DLPackArray(numpy.zeros(4, 'e')), MPI.PROC_NULL)
        comm.Send([DLPackArray(numpy.zeros(4, 'e')), MPI.SHORT], MPI.PROC_NULL)

        class NotCapsule(DLPackArray):
            def __dlpack__(self, stream=None):
                return object()
        with self.assertRaises(BufferError):
            comm.Send(NotCapsule(numpy.zeros(2)), MPI.PROC_NULL)
        # "device" memory is passed through as an address (here: host memory posing as CUDA)
        a = numpy.arange(4, dtype='i')
        b = numpy.zeros(4, dtype='i')
        dev = DLPackArray(a, device=(2, 0))
        comm.Sendrecv(dev, self.dest, 4, b, self.source, 4)
        self.assertEqual(dev.calls, [-1])  # stream=-1: no synchronization asked
        self.assertTrue((a == b).all())


if __name__ == '__main__':
    mpitest.main()
