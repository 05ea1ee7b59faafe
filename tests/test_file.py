# ranks: 1 2
"""MPI-IO: File open/close/delete, views, the thirty data-access methods, positions, errors."""
import gc
import os
import shutil
import tempfile
import unittest
import weakref

import mpitest
from mpi4py import MPI

try:
    import numpy
except ImportError:
    numpy = None


def shared_tempdir(comm):
    path = tempfile.mkdtemp(prefix='pympi-file-') if comm.rank == 0 else None
    return comm.bcast(path, root=0)


@unittest.skipIf(numpy is None, 'NumPy is needed')
class TestFile(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.comm = MPI.COMM_WORLD
        cls.dir = shared_tempdir(cls.comm)

    @classmethod
    def tearDownClass(cls):
        cls.comm.Barrier()
        if cls.comm.rank == 0:
            shutil.rmtree(cls.dir, ignore_errors=True)

    def setUp(self):
        self.rank, self.size = self.comm.rank, self.comm.size
        self.path = os.path.join(self.dir, self.id().rsplit('.', 1)[-1])
        self.fh = MPI.File.Open(self.comm, self.path, MPI.MODE_RDWR | MPI.MODE_CREATE)

    def tearDown(self):
        if self.fh:
            self.fh.Close()
        self.comm.Barrier()

    def test_properties(self):
        fh = self.fh
        self.assertEqual(fh.amode, MPI.MODE_RDWR | MPI.MODE_CREATE)
        self.assertEqual(fh.Get_amode(), fh.amode)
        self.assertEqual(fh.size, 0)
        self.assertEqual(fh.Get_errhandler(), MPI.ERRORS_RETURN)
        self.assertIsInstance(fh.group, MPI.Group)
        info = fh.info
        self.assertIsInstance(info, MPI.Info)
        fh.Set_info(info)
        fh.Set_size(size=100)
        self.assertEqual(fh.Get_size(), 100)
        fh.Preallocate(200)
        self.assertEqual(fh.size, 200)
        fh.Set_size(0)
        self.assertFalse(fh.atomicity)
        fh.atomicity = True
        self.assertTrue(fh.Get_atomicity())
        fh.Set_atomicity(False)
        disp, etype, ftype, rep = fh.Get_view()
        self.assertEqual((disp, rep), (0, 'native'))
        self.assertEqual(etype, MPI.BYTE)
        self.assertEqual(ftype, MPI.BYTE)
        self.assertEqual(fh.Get_type_extent(datatype=MPI.INT), 4)
        fh.Sync()

    def _data(self, n=4):
        return numpy.arange(n, dtype='i') + 100 * self.rank

    def _check_all(self, n=4):
        # MPI consistency semantics: sync-barrier-sync makes other ranks' writes visible.
        self.fh.Sync()
        self.comm.Barrier()
        self.fh.Sync()
        out = numpy.zeros(n * self.size, 'i')
        self.fh.Read_at(0, out)
        for r in range(self.size):
            self.assertEqual(list(out[r * n:(r + 1) * n]), list(range(100 * r, 100 * r + n)))

    def test_explicit_offsets(self):
        fh, data, off = self.fh, self._data(), self.rank * 16
        st = MPI.Status()
        fh.Write_at(off, data, st)
        self._check_all()
        fh.Write_at_all(off, data)
        out = numpy.zeros(4, 'i')
        fh.Read_at_all(off, out, st)
        self.assertEqual(list(out), list(data))
        fh.Iwrite_at(off, data).Wait()
        fh.Iwrite_at_all(off, data).Wait()
        out[:] = 0
        fh.Iread_at(off, out).Wait()
        self.assertEqual(list(out), list(data))
        out[:] = 0
        fh.Iread_at_all(off, out).Wait()
        self.assertEqual(list(out), list(data))
        fh.Write_at_all_begin(off, data)
        fh.Write_at_all_end(data)
        out[:] = 0
        fh.Read_at_all_begin(off, out)
        fh.Read_at_all_end(out, st)
        self.assertEqual(list(out), list(data))
        self._check_all()

    def test_split_collective_keeps_buffer(self):
        # The buffer of a split collective stays alive from _begin to _end, even when the
        # caller drops it and _begin was called through a temporary copy of the File object.
        fh, off = self.fh, self.rank * 16
        fh.Write_at_all(off, self._data())
        fh.Sync()
        buf = numpy.zeros(4, 'i')
        ref = weakref.ref(buf)
        MPI.File(fh).Read_at_all_begin(off, buf)
        del buf
        gc.collect()
        self.assertIsNotNone(ref())
        buf = ref()
        fh.Read_at_all_end(buf)
        self.assertEqual(list(buf), list(self._data()))
        del buf
        gc.collect()
        self.assertIsNone(ref())  # released at _end

    def test_individual_pointers(self):
        fh, data = self.fh, self._data()
        fh.Set_view(self.rank * 16, MPI.INT)
        fh.Write(data[:2])
        self.assertEqual(fh.Get_position(), 2)
        fh.Write_all(data[2:])
        fh.Seek(0)
        out = numpy.zeros(4, 'i')
        fh.Read(out[:2])
        fh.Read_all(out[2:])
        self.assertEqual(list(out), list(data))
        fh.Seek(-4, MPI.SEEK_CUR)
        self.assertEqual(fh.Get_position(), 0)
        self.assertEqual(fh.Get_byte_offset(1), self.rank * 16 + 4)
        fh.Iwrite(data).Wait()
        fh.Seek(0)
        fh.Iwrite_all(data).Wait()
        self.assertEqual(fh.Get_position(), 4)
        fh.Seek(0)
        out[:] = 0
        fh.Iread(out).Wait()
        self.assertEqual(list(out), list(data))
        fh.Seek(0)
        fh.Iread_all(out).Wait()
        fh.Seek(0)
        fh.Write_all_begin(data)
        fh.Write_all_end(data)
        fh.Seek(0)
        out[:] = 0
        fh.Read_all_begin(out)
        fh.Read_all_end(out)
        self.assertEqual(list(out), list(data))
        fh.Set_view(0, MPI.BYTE)
        self._check_all()

    def test_shared_pointer(self):
        fh, data = self.fh, self._data()
        fh.Set_view(0, MPI.INT)
        fh.Write_ordered(data)
        self.assertIsInstance(fh.Get_position_shared(), int)   # ROMIO may lag here on other ranks
        fh.Seek_shared(0)
        out = numpy.zeros(4, 'i')
        fh.Read_ordered(out)
        self.assertEqual(list(out), list(data))
        fh.Seek_shared(0)
        fh.Write_ordered_begin(data)
        fh.Write_ordered_end(data)
        fh.Seek_shared(0)
        out[:] = 0
        fh.Read_ordered_begin(out)
        fh.Read_ordered_end(out)
        self.assertEqual(list(out), list(data))
        fh.Set_view(0, MPI.BYTE)
        self._check_all()

    def test_shared_noncollective(self):
        fh = self.fh
        fh.Set_view(0, MPI.INT)
        fh.Seek_shared(0)
        fh.Write_shared(numpy.array([self.rank], 'i'))
        fh.Iwrite_shared(numpy.array([self.rank], 'i')).Wait()
        fh.Sync()
        self.comm.Barrier()
        fh.Sync()
        # (ROMIO's shared pointer, read by another rank right after, may lag: check the data.)
        out = numpy.zeros(2 * self.size, 'i')
        fh.Read_at_all(0, out)
        self.assertEqual(sorted(out), sorted(list(range(self.size)) * 2))
        fh.Seek_shared(0)
        one = numpy.zeros(1, 'i')
        fh.Read_shared(one)
        fh.Iread_shared(one).Wait()
        self.assertIn(one[0], range(self.size))
        self.comm.Barrier()

    def test_noncontiguous_view(self):
        fh, size, rank = self.fh, self.size, self.rank
        ftype = MPI.INT.Create_vector(3, 1, size) if hasattr(MPI.Datatype, 'Create_vector') else None
        if ftype is None:
            self.skipTest('Datatype.Create_vector is not in this build')
        ftype.Commit()
        fh.Set_view(rank * 4, MPI.INT, ftype)
        disp, etype, filetype, rep = fh.Get_view()
        self.assertEqual((disp, rep), (rank * 4, 'native'))
        self.assertEqual(etype, MPI.INT)
        self.assertEqual(filetype.Get_size(), 12)
        filetype.Free()
        fh.Write_all(numpy.full(3, rank, 'i'))
        ftype.Free()
        fh.Set_view(0, MPI.BYTE)
        fh.Sync()
        self.comm.Barrier()
        fh.Sync()
        out = numpy.zeros(3 * size, 'i')
        fh.Read_at(0, out)
        self.assertEqual(list(out), [i % size for i in range(3 * size)])

    def test_gil_released(self):
        # A rank blocked in a collective write (rank 0 arrives late) lets other threads run.
        if self.size < 2:
            self.skipTest('needs 2 ranks')
        import threading
        import time
        data = self._data()
        if self.rank == 0:
            time.sleep(0.5)
            self.fh.Write_at_all(0, data)
        else:
            done = threading.Event()
            t = threading.Thread(target=lambda: (self.fh.Write_at_all(16, data), done.set()))
            t.start()
            spins = 0
            while not done.is_set():
                spins += 1
                time.sleep(0.001)
            t.join()
            self.assertGreater(spins, 50)

    def test_short_read_past_end(self):
        # Reading past the end of the file is not an error in MPI: the status says how much was read.
        fh = self.fh
        if self.rank == 0:
            fh.Write_at(0, numpy.arange(3, dtype='i'))
        fh.Sync()
        self.comm.Barrier()
        fh.Sync()
        out = numpy.full(10, -1, 'i')
        st = MPI.Status()
        fh.Read_at(0, out, st)
        self.assertEqual(st.Get_count(MPI.INT) if hasattr(st, 'Get_count') else 3, 3)
        self.assertEqual(list(out[:4]), [0, 1, 2, -1])
        fh.Read_at(1000, out, st)
        if hasattr(st, 'Get_count'):
            self.assertEqual(st.Get_count(MPI.INT), 0)

    def test_errors(self):
        fh = self.fh
        t = MPI.INT.Create_contiguous(2)
        try:
            with self.assertRaises(MPI.Exception) as cm:        # view with an uncommitted type
                fh.Set_view(0, MPI.INT, t)
            self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_TYPE)
        finally:
            t.Free()
        with self.assertRaises(MPI.Exception) as cm:            # datarep ROMIO does not support
            fh.Set_view(0, MPI.INT, MPI.INT, 'no-such-datarep')
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_UNSUPPORTED_DATAREP)
        with self.assertRaises(MPI.Exception):                  # negative offset
            fh.Read_at(-8, bytearray(4))
        with self.assertRaises(BufferError):                    # read into read-only memory
            fh.Read_at(0, b'1234')
        with self.assertRaises(TypeError):
            fh.Write_at(0, 1.5)
        with self.assertRaises(ValueError):
            fh.Set_size(-1)
        with self.assertRaises(TypeError):
            fh.Set_errhandler('x')
        with self.assertRaises(MPI.Exception):                  # seek before the start
            fh.Seek(-1)
        # ERRORS_RETURN: calling the handler just returns
        self.assertIsNone(fh.Call_errhandler(MPI.ERR_OTHER))

    def test_open_errors(self):
        comm, base = self.comm, self.path + '-x'
        with self.assertRaises(MPI.Exception) as cm:            # RDONLY with WRONLY: bad amode
            MPI.File.Open(comm, base, MPI.MODE_RDONLY | MPI.MODE_WRONLY)
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_AMODE)
        with self.assertRaises(MPI.Exception) as cm:            # RDONLY with CREATE: bad amode
            MPI.File.Open(comm, base, MPI.MODE_RDONLY | MPI.MODE_CREATE)
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_AMODE)
        with self.assertRaises(MPI.Exception) as cm:
            MPI.File.Open(comm, base, MPI.MODE_RDONLY)
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_NO_SUCH_FILE)
        with self.assertRaises(TypeError):
            MPI.File.Open(comm, 42)
        with self.assertRaises(MPI.Exception) as cm:
            MPI.File.Open(comm, self.path, MPI.MODE_RDWR | MPI.MODE_CREATE | MPI.MODE_EXCL)
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_FILE_EXISTS)
        fh = MPI.File.Open(comm, self.path, MPI.MODE_RDONLY)
        with self.assertRaises(MPI.Exception) as cm:            # write to a read-only file
            fh.Write_at(0, bytearray(4))
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_READ_ONLY)
        fh.Close()

    def test_close_once_and_delete(self):
        fh = self.fh
        fh.Close()
        self.assertFalse(fh)
        self.assertEqual(fh, MPI.FILE_NULL)
        for call in (fh.Close, fh.Get_size, lambda: fh.Read_at(0, bytearray(4)), fh.Sync):
            with self.assertRaises(MPI.Exception) as cm:
                call()
            self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_FILE)
        with self.assertRaises(MPI.Exception) as cm:
            MPI.FILE_NULL.Close()
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_FILE)
        self.comm.Barrier()
        if self.rank == 0:
            MPI.File.Delete(self.path)
            self.assertFalse(os.path.exists(self.path))
            with self.assertRaises(MPI.Exception) as cm:
                MPI.File.Delete(self.path)
            self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_NO_SUCH_FILE)
        self.comm.Barrier()
        self.fh = MPI.File.Open(self.comm, self.path, MPI.MODE_RDWR | MPI.MODE_CREATE | MPI.MODE_DELETE_ON_CLOSE)

    def test_register_datarep(self):
        calls = []
        def extent(dt):
            calls.append(dt)
            return dt.extent
        def conv(ubuf, dt, count, fbuf, pos):
            calls.append(count)
        with self.assertRaises(TypeError):
            MPI.Register_datarep('bad', 1, None, extent)
        # ROMIO (MPICH 4.0) refuses conversion functions: MPI_ERR_CONVERSION.
        with self.assertRaises(MPI.Exception) as cm:
            MPI.Register_datarep('pympi-conv-%d' % self.rank, conv, conv, extent)
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_CONVERSION)
        name = 'pympi-null-%s' % self.id()
        MPI.Register_datarep(name, None, None, extent)
        with self.assertRaises(MPI.Exception) as cm:
            MPI.Register_datarep(name, None, None, extent)
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_DUP_DATAREP)
        # ... and only supports the 'native' representation in views.
        with self.assertRaises(MPI.Exception) as cm:
            self.fh.Set_view(0, MPI.INT, MPI.INT, name)
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_UNSUPPORTED_DATAREP)


if __name__ == '__main__':
    mpitest.main()
