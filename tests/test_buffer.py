# ranks: 1 2
"""Buffer specifications of the upper-case methods (msgbuffer.c): automatic datatypes from
PEP 3118 formats, [data, count, displ, datatype] forms, BOTTOM, None with PROC_NULL,
__cuda_array_interface__ and DLPack providers, and every kind of bad input."""
import array
import ctypes
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
            # no datatype: it comes from the buffer's format (mpi4py 3.1)
            ([a, 4], slice(0, 4)),
            ([a, (4, 3)], slice(3, 7)),
            ([a, [4, 3]], slice(3, 7)),
            ([a, (None, 6)], slice(6, 10)),
            ([a, (4, None)], slice(0, 4)),
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
            self.xchg([MPI.BOTTOM, dt], [MPI.BOTTOM, dr])  # no count with BOTTOM: 0, as in mpi4py
            self.assertFalse(b.any())
            self.xchg([MPI.BOTTOM, 1, dt], [MPI.BOTTOM, 1, dr])
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

    def test_mpi4py_error_classes(self):
        # the exception classes mpi4py 3.1 raises for bad specs
        b = bytearray(16)
        with self.assertRaises(KeyError):
            self.send([b, 0, '\0'])          # a typecode with no datatype
        with self.assertRaises(KeyError):
            self.send([b, 'xyz'])
        with self.assertRaises(ValueError):
            self.send([None, 1, 0, 'i'])      # no buffer, but a count
        with self.assertRaises(ValueError):
            self.send([b, None, 0, MPI.DATATYPE_NULL])
        t = MPI.INT.Create_resized(0, -4).Commit()  # negative extent
        try:
            with self.assertRaises(ValueError):
                self.send([b, None, t])       # no count can be inferred
            with self.assertRaises(ValueError):
                self.send([b, 0, 1, t])       # nor a displacement applied
            with self.assertRaises(ValueError):
                self.send([b, 2, t])          # the second element would lie before the buffer
        finally:
            t.Free()
        with self.assertRaises(ValueError):
            self.send([b, (1, 5), MPI.INT])   # displacement out of bounds

    def test_bottom_without_count(self):
        # [BOTTOM, datatype]: count 0 (the buffer has no length), as in mpi4py
        st = MPI.Status()
        MPI.COMM_SELF.Sendrecv([MPI.BOTTOM, MPI.INT], 0, 0, [MPI.BOTTOM, MPI.INT], 0, 0, st)
        self.assertEqual(st.Get_count(MPI.INT), 0)
        MPI.COMM_SELF.Sendrecv([None, 'B'], 0, 0, [None, 0, 'B'], 0, 0, st)
        self.assertEqual(st.Get_count(MPI.BYTE), 0)

    def test_rma_target_errors(self):
        win = MPI.Win.Allocate(64, 1, comm=MPI.COMM_SELF)
        try:
            win.Fence()
            for bad in ({1: 2}, 'x', 1.5):
                with self.assertRaises(ValueError):
                    win.Put([bytearray(4), MPI.BYTE], 0, bad)
            with self.assertRaises(ValueError):
                win.Put([bytearray(4), MPI.BYTE], 0, (0, 4, MPI.BYTE, None))
            win.Fence()
        finally:
            win.Free()

    @unittest.skipUnless(numpy, 'NumPy is not installed')
    def test_noncontiguous_and_formats(self):
        a = numpy.zeros((4, 4))[:, ::2]
        with self.assertRaises((ValueError, BufferError)):
            self.send(a)
        with self.assertRaises((ValueError, BufferError)):
            self.send([a, MPI.DOUBLE])
        for dtype in ('e', '>f8' if sys.byteorder == 'little' else '<f8', 'M8[s]', 'O', 'V3', [('a', 'i'), ('b', 'd')]):
            with self.assertRaises((ValueError, TypeError, BufferError, KeyError), msg=str(dtype)):
                self.send(numpy.zeros(3, dtype=dtype))
        # an explicit datatype makes any bytes usable
        self.send([numpy.zeros(3, dtype='e'), MPI.SHORT])

    def test_datatypes(self):
        b = bytearray(16)
        with self.assertRaises(ValueError):  # no count can be inferred
            self.send([b, MPI.DATATYPE_NULL])
        with self.assertRaises(ValueError):  # nor a displacement applied
            self.send([b, 0, 1, MPI.DATATYPE_NULL])
        with self.assertRaises(MPI.Exception) as cm:  # given to MPI
            self.send([b, 1, MPI.DATATYPE_NULL])
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
        with self.assertRaises(KeyError):
            self.send([b, 'e'])  # a typecode with no MPI datatype
        with self.assertRaises(KeyError):
            self.send([b, '\0'])


class _DLDevice(ctypes.Structure):
    _fields_ = [('device_type', ctypes.c_int32), ('device_id', ctypes.c_int32)]


class _DLDataType(ctypes.Structure):
    _fields_ = [('code', ctypes.c_uint8), ('bits', ctypes.c_uint8), ('lanes', ctypes.c_uint16)]


class _DLTensor(ctypes.Structure):
    _fields_ = [('data', ctypes.c_void_p), ('device', _DLDevice), ('ndim', ctypes.c_int32),
                ('dtype', _DLDataType), ('shape', ctypes.POINTER(ctypes.c_int64)),
                ('strides', ctypes.POINTER(ctypes.c_int64)), ('byte_offset', ctypes.c_uint64)]


_DELETER = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


class _DLManaged(ctypes.Structure):
    _fields_ = [('dl_tensor', _DLTensor), ('manager_ctx', ctypes.c_void_p), ('deleter', _DELETER)]


_PyCapsule_New = ctypes.pythonapi.PyCapsule_New
_PyCapsule_New.restype = ctypes.py_object
_PyCapsule_New.argtypes = [ctypes.c_void_p, ctypes.c_char_p, _DELETER]


class PyDLPack:
    """A DLPack producer in pure Python (ctypes): its deleter and capsule destructor are Python
    functions, so they run inside the MPI call that consumes the capsule, as with the producers
    of some array libraries. The tensor fields can be changed to describe bad tensors."""

    def __init__(self, a, code=None, bits=None, lanes=1, shape=None, strides=None):
        self.a = a
        kind = {'i': 0, 'u': 1, 'f': 2, 'c': 5}[a.dtype.kind]
        shape = a.shape if shape is None else shape
        self.shape = (ctypes.c_int64 * max(len(shape), 1))(*shape)
        self.strides = None if strides is None else (ctypes.c_int64 * len(strides))(*strides)
        t = _DLTensor(a.ctypes.data, _DLDevice(1, 0), len(shape),
                      _DLDataType(kind if code is None else code, bits or 8 * a.itemsize, lanes),
                      self.shape, self.strides, 0)
        self.deleted = self.destroyed = 0
        self.deleter = _DELETER(self._delete)
        self.destructor = _DELETER(self._destroy)
        self.managed = _DLManaged(t, None, self.deleter)
        self.device = (1, 0)

    def _delete(self, ptr):
        self.deleted += 1

    def _destroy(self, capsule):
        self.destroyed += 1

    @property
    def tensor(self):
        return self.managed.dl_tensor

    def __dlpack_device__(self):
        return self.device

    def __dlpack__(self, stream=None):
        return _PyCapsule_New(ctypes.addressof(self.managed), b'dltensor', self.destructor)


@needs_numpy
class TestVectorSpecs(unittest.TestCase):
    """The v and w spec grammar of mpi4py 3.1 (msgvector.c)."""

    def alltoallv(self, sspec, rspec):
        MPI.COMM_SELF.Alltoallv(sspec, rspec)

    def test_v_forms(self):
        s = numpy.arange(4, dtype='i')
        cases = [
            (lambda b: [b, (2, 1), MPI.INT], [0, 1, -1, -1]),      # (count, displ) ints: strided
            (lambda b: [b, 4], [0, 1, 2, 3]),                      # [buf, counts]: type from format
            (lambda b: [b, 3, None], [0, 1, 2, -1]),                # None datatype: the format
            (lambda b: [b, 2, 1, MPI.INT], [0, 1, -1, -1]),         # int displacement: strided
            (lambda b: [b, ([2], [1])], [-1, 1, 2, -1]),            # [buf, (counts, displs)]
            (lambda b: [b, (2, None), 'i'], [0, 1, -1, -1]),
            (lambda b: [b, ([3], [1]), 'i'], [-1, 1, 2, 3]),
            (lambda b: (b, numpy.array([3])), [0, 1, 2, -1]),       # NumPy counts
            (lambda b: [b, numpy.array([2]), numpy.array([2]), MPI.INT], [-1, -1, 2, 3]),
            (lambda b: [b, (numpy.array([1], dtype='i8'), numpy.array([3], dtype='u2')), 'i'], [-1, -1, -1, 3]),
            (lambda b: [b, numpy.int32(2), MPI.INT], [0, 1, -1, -1]),
        ]
        for spec, expect in cases:
            r = numpy.full(4, -1, dtype='i')
            self.alltoallv(spec(s), spec(r))
            self.assertEqual(r.tolist(), expect, repr(spec(s)))

    def test_v_uneven_split_and_blocks(self):
        comm = MPI.COMM_WORLD
        n = comm.size
        # Allgatherv with counts and displacements given as NumPy arrays
        counts = numpy.arange(1, n + 1)
        displs = numpy.concatenate([[0], numpy.cumsum(counts)[:-1]])
        sbuf = numpy.full(comm.rank + 1, comm.rank, dtype='d')
        rbuf = numpy.zeros(int(counts.sum()))
        comm.Allgatherv(sbuf, [rbuf, (counts, displs), MPI.DOUBLE])
        self.assertEqual(rbuf.tolist(), [float(p) for p in range(n) for k in range(p + 1)])
        rbuf[:] = 0
        comm.Allgatherv(sbuf, (rbuf, counts))          # (buf, counts): packed, type from format
        self.assertEqual(rbuf.tolist(), [float(p) for p in range(n) for k in range(p + 1)])
        rbuf[:] = 0
        comm.Allgatherv(sbuf, [rbuf, (list(counts), None), MPI.DOUBLE])
        self.assertEqual(rbuf.tolist(), [float(p) for p in range(n) for k in range(p + 1)])
        # no counts: the buffer is split as evenly as possible, first blocks one longer
        if n == 2:
            s = numpy.arange(3, dtype='i') + 10 * comm.rank   # blocks of 2 and 1 elements
            r = numpy.zeros(4, dtype='i')
            comm.Alltoallv(s, [r, [2, 2] if comm.rank == 0 else [1, 1], 'i'])
            self.assertEqual(r.tolist(), [0, 1, 10, 11] if comm.rank == 0 else [2, 12, 0, 0])

    def test_w_forms(self):
        s = numpy.arange(3, dtype='i') + 5
        r = numpy.full(3, -1, dtype='i')
        MPI.COMM_SELF.Alltoallw([s, [MPI.INT]], [r, [MPI.INT]])      # one element at displacement 0
        self.assertEqual(r.tolist(), [5, -1, -1])
        r[:] = -1
        MPI.COMM_SELF.Alltoallw([s, None, None, [MPI.INT]], [r, ([1], [4]), [MPI.INT]])
        self.assertEqual(r.tolist(), [-1, 5, -1])
        MPI.COMM_SELF.Alltoallw([s, (numpy.array([3]), numpy.array([0])), MPI.INT], [r, [3], [0], ['i']])
        self.assertEqual(r.tolist(), [5, 6, 7])

    def test_errors(self):
        b = bytearray(16)
        empty = [None, 0, [0], 'B']
        with self.assertRaises(ValueError):
            self.alltoallv([b, 0, [0], 'i', None], empty)       # five items
        with self.assertRaises(KeyError):
            self.alltoallv([b, 0, [0], '\0'], empty)
        with self.assertRaises(ValueError):
            self.alltoallv([b, None, [0], MPI.DATATYPE_NULL], empty)
        with self.assertRaises(ValueError):
            self.alltoallv([bytearray(5), None, [0], 'i'], empty)
        with self.assertRaises(TypeError):
            self.alltoallv([[1, 2, 3, 4], 0, 0, 'i'], empty)    # a list is not a buffer
        with self.assertRaises(ValueError):
            self.alltoallv([b, (1, 2, 3), 'i'], empty)          # not a (counts, displs) pair
        with self.assertRaises(ValueError):
            self.alltoallv([b, [1, 1], 'i'], empty)             # two counts for one block
        with self.assertRaises(ValueError):
            self.alltoallv([b, [5], 'i'], empty)                # does not fit
        with self.assertRaises(ValueError):
            self.alltoallv([b, numpy.array([-1]), 'i'], empty)
        with self.assertRaises(ValueError):
            MPI.COMM_SELF.Alltoallw([b], [b])
        with self.assertRaises(ValueError):
            MPI.COMM_SELF.Alltoallw([MPI.BOTTOM, [MPI.INT]], [b, [MPI.INT]])  # BOTTOM needs counts
        for ok in ([MPI.BOTTOM, 0, [0], 'B'], [MPI.BOTTOM, 0, 'B'], [MPI.BOTTOM, 'B'], [None, 'B']):
            self.alltoallv(ok, ok)


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
            comm.Send(CAIArray(a.reshape(2, 4), strides=(32, 8)), MPI.PROC_NULL)
        comm.Send(CAIArray(a.reshape(2, 4), strides=(4, 8)), MPI.PROC_NULL)  # Fortran order is fine
        with self.assertRaises(ValueError):
            comm.Send(CAIArray(a, typestr='<iX'), MPI.PROC_NULL)
        with self.assertRaises(BufferError):
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

    def test_dlpack_lanes(self):
        # two lanes of a real type are its complex type (NumPy exports complex long double so)
        for dtype in ('F', 'D', 'G'):
            a = numpy.arange(3, dtype=dtype) * (1 + 2j)
            b = numpy.zeros(3, dtype=dtype)
            real = numpy.dtype(dtype).itemsize * 4
            MPI.COMM_SELF.Sendrecv(PyDLPack(a, code=2, bits=real, lanes=2), 0, 0, PyDLPack(b, code=2, bits=real, lanes=2), 0, 0)
            self.assertEqual(b.tolist(), a.tolist(), dtype)
        # any other vector type is plain bytes
        a = numpy.arange(4, dtype='i2')
        b = numpy.zeros(4, dtype='i2')
        st = MPI.Status()
        MPI.COMM_SELF.Sendrecv(PyDLPack(a, code=0, bits=16, lanes=2, shape=[2]), 0, 0, b, 0, 0, st)
        self.assertEqual(st.Get_count(MPI.BYTE), 8)
        self.assertEqual(b.tolist(), a.tolist())

    def test_dlpack_capsule_consumed(self):
        a = numpy.arange(4, dtype='i')
        p = PyDLPack(a)
        MPI.COMM_SELF.Send(p, MPI.PROC_NULL)
        gc.collect()
        self.assertEqual((p.deleted, p.destroyed), (1, 1))  # deleter called once, capsule dropped
        self.assertEqual(MPI.Get_address(p), a.ctypes.data)
        # a capsule handed out twice is refused the second time
        cap = p.__dlpack__()
        p.__dlpack__ = lambda *args, **kw: cap
        MPI.Get_address(p)
        with self.assertRaises(BufferError):
            MPI.Get_address(p)
        p.__dlpack__ = lambda *args, **kw: None
        with self.assertRaises(BufferError):
            MPI.Get_address(p)

    def test_dlpack_errors_keep_their_class(self):
        # errors raised while a capsule with a Python destructor is released stay what they are
        s, r = PyDLPack(numpy.zeros(3)), PyDLPack(numpy.zeros(3))
        with self.assertRaises(ValueError):
            MPI.SUM.Reduce_local([s, 2, MPI.DOUBLE], [r, 3, MPI.DOUBLE])
        with self.assertRaises(ValueError):
            MPI.COMM_SELF.Sendrecv([s, 4, MPI.DOUBLE], 0, 0, [r, 4, MPI.DOUBLE], 0, 0)
        bad = PyDLPack(numpy.zeros(3))
        bad.tensor.ndim = -1
        with self.assertRaises(BufferError):
            MPI.COMM_SELF.Send(bad, MPI.PROC_NULL)
        gc.collect()
        self.assertEqual((bad.deleted, bad.destroyed), (1, 1))

    def test_dlpack_validation(self):
        a = numpy.arange(8, dtype='i')
        for order in ('C', 'F'):
            p = PyDLPack(a, shape=[2, 2, 2], strides=[4, 2, 1] if order == 'C' else [1, 2, 4])
            self.assertEqual(MPI.Get_address(p), a.ctypes.data)
            self.assertEqual(len(MPI.memory(p)), 32)
            p.strides[0] = -1
            with self.assertRaises(BufferError):
                MPI.Get_address(p)
        for strides in ([4, 1, 2], [2, 4, 1]):
            with self.assertRaises(BufferError):
                MPI.Get_address(PyDLPack(a, shape=[2, 2, 2], strides=strides))
        MPI.Get_address(PyDLPack(a, shape=[1, 8, 1], strides=[5, 1, 7]))  # length-1 dimensions
        p = PyDLPack(a)
        p.tensor.ndim = 0
        self.assertEqual(len(MPI.memory(p)), 4)        # a scalar
        p.tensor.ndim = 1
        p.shape[0] = -1
        with self.assertRaises(BufferError):
            MPI.Get_address(p)
        p.shape[0] = 8
        p.tensor.shape = None
        with self.assertRaises(BufferError):
            MPI.Get_address(p)
        p = PyDLPack(numpy.arange(4, dtype='u1'))
        p.tensor.byte_offset = 2
        self.assertEqual(MPI.memory(p)[0], 2)
        for device, exc in ((None, TypeError), ((1,), ValueError), ((1, 0, 1), ValueError),
                            (('x', 0), TypeError), ((1, None), TypeError)):
            p.device = device
            with self.assertRaises(exc, msg=repr(device)):
                MPI.Get_address(p)
        p.__dlpack_device__ = None
        with self.assertRaises(TypeError):
            MPI.Get_address(p)

    @unittest.skipUnless(numpy is not None and hasattr(numpy.ndarray, '__dlpack__'), 'no DLPack in NumPy')
    def test_dlpack_errors_and_devices(self):
        comm = self.comm
        with self.assertRaises(BufferError):
            comm.Send(DLPackArray(numpy.zeros((4, 4))[:, ::2]), MPI.PROC_NULL)
        ro = numpy.zeros(4)
        ro.flags.writeable = False
        with self.assertRaises(BufferError):  # NumPy refuses read-only arrays
            comm.Send(DLPackArray(ro), MPI.PROC_NULL)
        with self.assertRaises(KeyError):  # float16: no MPI datatype
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
