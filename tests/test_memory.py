# ranks: 1 2
"""MPI.memory, Alloc_mem/Free_mem, Attach_buffer/Detach_buffer."""
import gc
import sys
import unittest

import numpy

import mpitest
from mpi4py import MPI


class CAIArray:
    """A host array exposed only through __cuda_array_interface__."""

    def __init__(self, a):
        self.__cuda_array_interface__ = {'shape': a.shape, 'typestr': a.dtype.str, 'version': 3,
                                         'data': (a.ctypes.data, False)}
        self.a = a


class TestMemory(unittest.TestCase):

    def test_empty(self):
        m = MPI.memory()
        self.assertEqual((len(m), m.nbytes, m.address, m.obj, m.format, m.itemsize), (0, 0, 0, None, 'B', 1))
        self.assertFalse(m.readonly)
        self.assertEqual(m.tobytes(), b'')
        with self.assertRaises(IndexError):
            m[0]

    def test_allocate(self):
        m = MPI.memory.allocate(16, clear=True)
        self.assertEqual((len(m), m.nbytes, m.readonly, m.obj), (16, 16, False, None))
        self.assertNotEqual(m.address, 0)
        self.assertEqual(m.tobytes(), bytes(16))
        m2 = MPI.memory.allocate(nbytes=0)
        self.assertEqual(len(m2), 0)
        m3 = MPI.memory.allocate(8, True)
        self.assertEqual(m3.tobytes(), bytes(8))
        with self.assertRaises(ValueError):
            MPI.memory.allocate(-1)
        with self.assertRaises(TypeError):
            MPI.memory.allocate('8')
        with self.assertRaises(TypeError):
            MPI.memory.allocate()
        for k in range(100):   # owned memory is freed by release() or when the object dies
            MPI.memory.allocate(1 << 20).release()
            MPI.memory.allocate(1 << 20)

    def test_frombuffer(self):
        b = bytearray(b'abcdef')
        m = MPI.memory.frombuffer(b)
        self.assertIs(m.obj, b)
        self.assertEqual(len(m), 6)
        self.assertFalse(m.readonly)
        self.assertEqual(m.address, MPI.Get_address(b))
        m[0] = ord('X')
        self.assertEqual(b, bytearray(b'Xbcdef'))
        with self.assertRaises(BufferError):
            b.append(1)          # pinned while the view lives
        m.release()
        b.append(1)
        self.assertIsNone(m.obj)
        self.assertEqual(len(m), 0)
        r = MPI.memory.frombuffer(obj=b'xyz', readonly=True)
        self.assertTrue(r.readonly)
        self.assertEqual(r.tobytes(), b'xyz')
        with self.assertRaises(TypeError):
            r[0] = 1
        with self.assertRaises(BufferError):
            MPI.memory.frombuffer(b'xyz')            # writable access to bytes
        ro = MPI.memory.frombuffer(bytearray(3), readonly=True)
        self.assertTrue(ro.readonly)
        with self.assertRaises(TypeError):
            memoryview(ro)[0:1] = b'x'
        with self.assertRaises(TypeError):
            MPI.memory.frombuffer(42)
        a = numpy.arange(4, dtype='d')
        m = MPI.memory.frombuffer(a)
        self.assertEqual((m.nbytes, m.format, m.itemsize, len(m)), (32, '<d' if m.format.startswith('<') else 'd', 8, 32))
        self.assertEqual(m.address, a.ctypes.data)
        with self.assertRaises((ValueError, BufferError)):
            MPI.memory.frombuffer(a[::2])          # not contiguous
        self.assertEqual(MPI.memory(b'q').tobytes(), b'q')
        self.assertTrue(MPI.memory(b'q').readonly)
        self.assertFalse(MPI.memory(bytearray(1)).readonly)

    def test_fromaddress(self):
        a = numpy.arange(8, dtype='u1')
        m = MPI.memory.fromaddress(a.ctypes.data, 8)
        self.assertEqual(m.tobytes(), bytes(range(8)))
        self.assertIsNone(m.obj)
        m[7] = 200
        self.assertEqual(a[7], 200)
        r = MPI.memory.fromaddress(address=a.ctypes.data, nbytes=4, readonly=True)
        self.assertTrue(r.readonly)
        with self.assertRaises(TypeError):
            r[0] = 0
        self.assertEqual(len(MPI.memory.fromaddress(0, 0)), 0)
        with self.assertRaises(ValueError):
            MPI.memory.fromaddress(0, 8)
        with self.assertRaises(ValueError):
            MPI.memory.fromaddress(a.ctypes.data, -1)
        with self.assertRaises(TypeError):
            MPI.memory.fromaddress('0x10', 8)
        with self.assertRaises(TypeError):
            MPI.memory.fromaddress(1.5, 8)
        with self.assertRaises(OverflowError):
            MPI.memory.fromaddress(1 << 80, 8)

    def test_getitem(self):
        m = MPI.memory.frombuffer(bytearray(range(10)))
        self.assertEqual(m[0], 0)
        self.assertEqual(m[-1], 9)
        self.assertEqual(m[numpy.int64(3)], 3)
        for bad in (10, -11, 1 << 70):
            with self.assertRaises(IndexError):
                m[bad]
        s = m[2:5]
        self.assertIsInstance(s, MPI.memory)
        self.assertEqual(s.tobytes(), bytes([2, 3, 4]))
        self.assertEqual(s.address, m.address + 2)
        self.assertIs(s.obj, m)
        self.assertEqual(m[8:100].tobytes(), bytes([8, 9]))
        self.assertEqual(m[-3:].tobytes(), bytes([7, 8, 9]))
        self.assertEqual(len(m[5:2]), 0)
        with self.assertRaises(IndexError):
            m[::2]
        with self.assertRaises(TypeError):
            m['a']
        with self.assertRaises(TypeError):
            m[1.0]
        s[0] = 42       # slices share the memory
        self.assertEqual(m[2], 42)
        m.release()     # empties m at once (as in mpi4py) ...
        self.assertEqual((len(m), m.address, m.obj), (0, 0, None))
        self.assertEqual(s.tobytes(), bytes([42, 3, 4]))  # ... the slice still holds the bytes
        del s
        gc.collect()

    def test_setitem(self):
        b = bytearray(8)
        m = MPI.memory.frombuffer(b)
        m[1] = 255
        m[-1] = 7
        m[2:4] = b'ab'
        m[4:6] = memoryview(b'cd')
        m[6:7] = numpy.array([9], dtype='u1')
        self.assertEqual(bytes(b), bytes([0, 255]) + b'abcd' + bytes([9, 7]))
        m[:] = 0x11
        self.assertEqual(bytes(b), b'\x11' * 8)
        m[2:2] = b''
        with self.assertRaises(ValueError):
            m[0] = 256
        with self.assertRaises(ValueError):
            m[0] = -1
        with self.assertRaises(ValueError):
            m[0:2] = 300
        with self.assertRaises(TypeError):
            m[0] = b'x'
        with self.assertRaises(TypeError):
            m[0] = 1.0
        with self.assertRaises(ValueError):
            m[0:2] = b'abc'
        with self.assertRaises(ValueError):
            m[0:3] = b'a'
        with self.assertRaises(TypeError):
            m[0:2] = 'ab'
        with self.assertRaises(TypeError):
            m[0:2] = [1, 2]
        with self.assertRaises(IndexError):
            m[8] = 0
        with self.assertRaises(IndexError):
            m[::2] = b'abcd'
        with self.assertRaises(TypeError):
            m['x'] = 0
        with self.assertRaises(TypeError):
            del m[0]
        with self.assertRaises(TypeError):
            del m[0:2]
        self.assertEqual(bytes(b), b'\x11' * 8)

    def test_buffer_protocol(self):
        b = bytearray(b'hello')
        m = MPI.memory.frombuffer(b)
        v = memoryview(m)
        self.assertEqual((v.format, v.itemsize, v.nbytes, v.readonly), ('B', 1, 5, False))
        self.assertEqual(bytes(v), b'hello')
        v.release()
        a = numpy.frombuffer(m, dtype='u1')
        self.assertEqual(a.tobytes(), b'hello')
        del a
        gc.collect()
        r = m.toreadonly()
        self.assertTrue(r.readonly)
        self.assertIs(r.obj, b)         # the same exporter, as in mpi4py
        self.assertEqual(r.address, m.address)
        self.assertTrue(memoryview(r).readonly)
        with self.assertRaises(TypeError):
            r[0] = 1
        a = numpy.frombuffer(r, dtype='u1')
        self.assertFalse(a.flags.writeable)
        del a, r
        gc.collect()
        m.release()
        self.assertEqual(bytes(memoryview(m)), b'')
        raw = MPI.memory.allocate(4)
        self.assertIs(raw.toreadonly().obj, raw)   # raw memory: a read-only view of the object

    def test_release_while_exported(self):
        # release() empties the object even with live exports, as in mpi4py 3.1; what it held
        # (owned memory or an exporter's view) lives until the last export ends
        for make in (lambda: MPI.memory.allocate(16), lambda: MPI.Alloc_mem(16),
                     lambda: MPI.memory.frombuffer(bytearray(16))):
            m = make()
            m[:] = 7
            v = memoryview(m)
            a = numpy.frombuffer(m, dtype='u1')
            m.release()
            self.assertEqual((len(m), m.address, m.obj), (0, 0, None))
            junk = [bytearray(b'x' * 16) for k in range(1000)]  # reuse of freed memory would show
            self.assertEqual(bytes(v), b'\x07' * 16)
            self.assertEqual(a.tolist(), [7] * 16)
            del junk, a
            v.release()
            m.release()             # twice: nothing left to do
            self.assertEqual(len(m), 0)

    def test_constructor(self):
        b = bytearray(b'abc')
        m = MPI.memory(b)
        self.assertIs(m.obj, b)
        self.assertFalse(m.readonly)
        self.assertTrue(MPI.memory(b'abc').readonly)
        for bad in (None, 0, 0.0, [], ()):
            with self.assertRaises(TypeError):
                MPI.memory(bad)
        a = numpy.arange(4, dtype='i')
        self.assertEqual(MPI.memory(CAIArray(a)).address, a.ctypes.data)
        self.assertEqual(MPI.memory(CAIArray(a)).nbytes, a.nbytes)
        self.assertEqual(MPI.Get_address(CAIArray(a)), a.ctypes.data)
        if hasattr(a, '__dlpack__'):
            class DLPack:
                __dlpack__, __dlpack_device__ = a.__dlpack__, a.__dlpack_device__
            self.assertEqual(MPI.Get_address(DLPack()), a.ctypes.data)
            self.assertEqual(MPI.memory(DLPack()).nbytes, a.nbytes)

    def test_tobytes(self):
        m = MPI.memory.frombuffer(bytearray(b'abc'))
        self.assertEqual(m.tobytes(), b'abc')
        for order in (None, 'C', 'F', 'A'):
            self.assertEqual(m.tobytes(order), b'abc')
        self.assertEqual(m.tobytes(order='C'), b'abc')
        with self.assertRaises(ValueError):
            m.tobytes('Z')
        with self.assertRaises(TypeError):
            m.tobytes(1)

    def test_unhashable(self):
        with self.assertRaises(TypeError):
            hash(MPI.memory())

    def test_keeps_exporter_alive(self):
        m = MPI.memory.frombuffer(bytearray(b'xyz'))
        gc.collect()
        self.assertEqual(m.tobytes(), b'xyz')
        self.assertEqual(m.obj, bytearray(b'xyz'))


class TestAllocMem(unittest.TestCase):

    def test_alloc_free(self):
        m = MPI.Alloc_mem(64)
        self.assertIsInstance(m, MPI.memory)
        self.assertEqual((len(m), m.readonly, m.obj), (64, False, None))
        self.assertNotEqual(m.address, 0)
        m[:] = 3
        a = numpy.frombuffer(m, dtype='u1')
        self.assertEqual(int(a.sum()), 3 * 64)
        del a
        gc.collect()
        MPI.Free_mem(m)
        self.assertEqual((len(m), m.address), (0, 0))
        MPI.Free_mem(m)           # already freed: nothing to do (never freed twice)
        m = MPI.Alloc_mem(size=16, info=MPI.INFO_NULL)
        MPI.Free_mem(mem=m)
        m = MPI.Alloc_mem(8)
        m.release()               # release() frees it too, once
        MPI.Free_mem(m)
        for k in range(100):
            MPI.Alloc_mem(1 << 16)    # dropped: freed with MPI_Free_mem when the object dies
        z = MPI.Alloc_mem(0)
        self.assertEqual(len(z), 0)
        MPI.Free_mem(z)

    def test_errors(self):
        with self.assertRaises(ValueError):
            MPI.Alloc_mem(-1)
        with self.assertRaises(TypeError):
            MPI.Alloc_mem(8, info=42)
        with self.assertRaises(TypeError):
            MPI.Alloc_mem('8')
        with self.assertRaises(MPI.Exception) as cm:
            MPI.Alloc_mem(1 << 60)
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_NO_MEM)
        with self.assertRaises(TypeError):
            MPI.Free_mem(42)
        # memory MPI did not allocate is refused (MPI_Free_mem would pass it to free())
        m = MPI.Alloc_mem(8)
        for other in (bytearray(8), MPI.memory.allocate(8), m[2:4]):
            with self.assertRaises(MPI.Exception) as cm:
                MPI.Free_mem(other)
            self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_BASE)
        MPI.Free_mem(m)
        with self.assertRaises(MPI.Exception):
            MPI.Free_mem(MPI.memory.fromaddress(m.address or 1, 8))  # freed: no longer a block

    def test_free_however_passed(self):
        # as in mpi4py 3.1, Free_mem frees the block at the address of what it is given; the
        # owner then shows empty memory and never frees it a second time
        views = (lambda m: MPI.memory.frombuffer(m), lambda m: MPI.memory.fromaddress(m.address, len(m)),
                 lambda m: m[0:4], lambda m: memoryview(m), lambda m: numpy.frombuffer(m, 'u1'))
        for view in views:
            m = MPI.Alloc_mem(16)
            v = view(m)
            MPI.Free_mem(v)
            self.assertEqual((len(m), m.address), (0, 0))
            del v
            gc.collect()
            MPI.Free_mem(m)         # nothing left: a no-op
            del m
            gc.collect()
        m = MPI.Alloc_mem(16)
        win = MPI.Win.Create(m, 1, comm=MPI.COMM_SELF)
        mem = win.tomemory()
        self.assertEqual(mem.address, m.address)
        win.Free()
        MPI.Free_mem(mem)           # a window's memory object
        self.assertEqual(len(m), 0)
        win = MPI.Win.Allocate(16, comm=MPI.COMM_SELF)
        with self.assertRaises(MPI.Exception):
            MPI.Free_mem(win.tomemory())  # the window's own memory is not from Alloc_mem
        win.Free()

    def test_window_like_use(self):
        m = MPI.Alloc_mem(8 * 4)
        a = numpy.frombuffer(m, dtype='d')
        a[:] = [1, 2, 3, 4]
        self.assertEqual(MPI.Get_address(m), m.address)
        self.assertEqual(m.tobytes(), a.tobytes())
        del a
        MPI.Free_mem(m)


class TestBufferAttach(unittest.TestCase):

    def test_attach_detach(self):
        buf = bytearray(MPI.BSEND_OVERHEAD + 1024)
        MPI.Attach_buffer(buf)
        with self.assertRaises(BufferError):
            buf.append(0)       # pinned while attached
        with self.assertRaises(MPI.Exception):
            MPI.Attach_buffer(bytearray(100))   # one buffer at a time
        got = MPI.Detach_buffer()
        self.assertIs(got, buf)
        buf.append(0)
        mem = MPI.Alloc_mem(MPI.BSEND_OVERHEAD + 64)
        MPI.Attach_buffer(buf=mem)
        self.assertIs(MPI.Detach_buffer(), mem)
        MPI.Free_mem(mem)
        empty = MPI.Detach_buffer()       # nothing attached: an empty memory
        self.assertIsInstance(empty, MPI.memory)
        self.assertEqual(len(empty), 0)
        with self.assertRaises(BufferError):
            MPI.Attach_buffer(b'read-only')
        with self.assertRaises(TypeError):
            MPI.Attach_buffer(None)
        with self.assertRaises(TypeError):
            MPI.Attach_buffer()

    def test_bsend(self):
        comm = MPI.COMM_WORLD
        buf = bytearray(MPI.BSEND_OVERHEAD + 64)
        MPI.Attach_buffer(buf)
        try:
            comm.Bsend(bytearray(b'abc'), dest=comm.rank, tag=3)
            got = bytearray(3)
            comm.Recv(got, source=comm.rank, tag=3)
            self.assertEqual(got, b'abc')
        finally:
            self.assertIs(MPI.Detach_buffer(), buf)


if __name__ == '__main__':
    mpitest.main()
