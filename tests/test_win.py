# ranks: 1 2
"""One-sided communication: Win creation flavors, RMA calls, every synchronisation mode, errors."""
import unittest

import mpitest
from mpi4py import MPI

try:
    import numpy
except ImportError:
    numpy = None


def group_incl_or_all(win):
    """The group of the window: each rank exposes to and accesses every rank (itself included)."""
    return win.Get_group()


@unittest.skipIf(numpy is None, 'NumPy is needed')
class TestWin(unittest.TestCase):

    def setUp(self):
        self.comm = MPI.COMM_WORLD
        self.rank, self.size = self.comm.rank, self.comm.size

    def tearDown(self):
        self.comm.Barrier()

    # ---- creation ---------------------------------------------------------
    def test_create_attrs(self):
        buf = numpy.zeros(8, 'i')
        win = MPI.Win.Create(buf, disp_unit=buf.itemsize, comm=self.comm)
        try:
            self.assertIsInstance(win, MPI.Win)
            self.assertTrue(win)
            base, size, unit = win.attrs
            self.assertEqual(base, buf.ctypes.data)
            self.assertEqual((size, unit), (32, 4))
            self.assertEqual(win.flavor, MPI.WIN_FLAVOR_CREATE)
            self.assertIn(win.model, (MPI.WIN_SEPARATE, MPI.WIN_UNIFIED))
            self.assertEqual(win.Get_errhandler(), MPI.ERRORS_RETURN)
            mem = win.tomemory()
            self.assertEqual((mem.address, len(mem)), (base, 32))
            mv = memoryview(win)
            self.assertEqual(mv.nbytes, 32)
            mv.cast('i')[3] = 7
            self.assertEqual(buf[3], 7)
            grp = win.Get_group()
            self.assertEqual(grp.Get_size() if hasattr(grp, 'Get_size') else self.size, self.size)
            self.assertIsInstance(win.group, MPI.Group)
            win.name = 'mywin'
            self.assertEqual(win.Get_name(), 'mywin')
            info = win.Get_info()
            self.assertIsInstance(info, MPI.Info)
            win.Set_info(info)
            with self.assertRaises(MPI.Exception):
                win.Set_info(MPI.INFO_NULL)     # MPICH: 'Null MPI_Info'
            if hasattr(MPI.Win, 'Get_attr'):
                self.assertEqual(win.Get_attr(MPI.WIN_SIZE), 32)
                self.assertEqual(win.Get_attr(MPI.WIN_DISP_UNIT), 4)
                self.assertEqual(win.Get_attr(MPI.WIN_BASE), base)
                self.assertEqual(win.Get_attr(MPI.WIN_CREATE_FLAVOR), MPI.WIN_FLAVOR_CREATE)
        finally:
            win.Free()
        self.assertFalse(win)
        self.assertEqual(win, MPI.WIN_NULL)

    def test_create_none_bottom(self):
        for mem in (None, MPI.BOTTOM):
            win = MPI.Win.Create(mem, comm=self.comm)
            self.assertEqual(win.attrs[1], 0)
            self.assertEqual(len(win.tomemory()), 0)
            win.Free()

    def test_create_readonly_buffer(self):
        with self.assertRaises(BufferError):
            MPI.Win.Create(b'abc', comm=MPI.COMM_SELF)
        with self.assertRaises(TypeError):
            MPI.Win.Create(3.5, comm=MPI.COMM_SELF)
        with self.assertRaises(ValueError):
            MPI.Win.Create(bytearray(4), disp_unit=0, comm=MPI.COMM_SELF)

    def test_allocate(self):
        win = MPI.Win.Allocate(64, disp_unit=8, comm=self.comm)
        try:
            self.assertEqual(win.flavor, MPI.WIN_FLAVOR_ALLOCATE)
            self.assertEqual(win.attrs[1:], (64, 8))
            a = numpy.frombuffer(win.tomemory(), 'd')
            a[:] = self.rank
            win.Fence()
            out = numpy.zeros(8, 'd')
            peer = (self.rank + 1) % self.size
            win.Get(out, peer)
            win.Fence()
            self.assertTrue((out == peer).all())
        finally:
            win.Free()

    def test_allocate_shared(self):
        comm = self.comm.Split_type(MPI.COMM_TYPE_SHARED) if hasattr(self.comm, 'Split_type') else self.comm
        win = MPI.Win.Allocate_shared(4 * (comm.rank + 1), disp_unit=4, comm=comm)
        try:
            self.assertEqual(win.flavor, MPI.WIN_FLAVOR_SHARED)
            numpy.frombuffer(win.tomemory(), 'i')[:] = comm.rank + 1
            win.Fence()
            for r in range(comm.size):
                mem, unit = win.Shared_query(r)
                self.assertEqual((len(mem), unit), (4 * (r + 1), 4))
                self.assertTrue((numpy.frombuffer(mem, 'i') == r + 1).all())
            win.Fence()
            with self.assertRaises(MPI.Exception):
                win.Shared_query(comm.size)
        finally:
            win.Free()
            if comm is not self.comm:
                comm.Free()

    def test_dynamic(self):
        win = MPI.Win.Create_dynamic(comm=self.comm)
        try:
            self.assertEqual(win.flavor, MPI.WIN_FLAVOR_DYNAMIC)
            buf = numpy.full(4, self.rank, 'i')
            win.Attach(buf)
            addr = MPI.Get_address(buf) if hasattr(MPI, 'Get_address') else buf.ctypes.data
            addrs = self.comm.allgather(addr)
            win.Fence()
            peer = (self.rank + 1) % self.size
            out = numpy.zeros(4, 'i')
            win.Get([out, MPI.INT], peer, (addrs[peer], 4, MPI.INT))
            win.Fence()
            self.assertTrue((out == peer).all())
            win.Detach(buf)
        finally:
            win.Free()

    # ---- communication and synchronisation ---------------------------------
    def _win(self, n=8, typecode='i'):
        buf = numpy.zeros(n, typecode)
        win = MPI.Win.Create(buf, disp_unit=buf.itemsize, comm=self.comm)
        return buf, win

    def test_fence_put_get_accumulate(self):
        buf, win = self._win()
        try:
            rank, size = self.rank, self.size
            peer = (rank + 1) % size
            win.Fence()
            win.Put(numpy.full(2, rank + 1, 'i'), peer, 1)             # int target
            win.Fence()
            self.assertEqual(list(buf[1:3]), [(rank - 1) % size + 1] * 2)
            win.Accumulate([numpy.full(2, 10, 'i'), MPI.INT], peer, (1, 2, MPI.INT), MPI.SUM)
            win.Fence()
            self.assertEqual(list(buf[1:3]), [(rank - 1) % size + 11] * 2)
            out = numpy.zeros(8, 'i')
            win.Get(out, peer)                                          # target None
            win.Fence()
            self.assertEqual(list(out[1:3]), [rank + 11] * 2)
            win.Fence(MPI.MODE_NOPRECEDE)
            win.Fence(MPI.MODE_NOSUCCEED)
        finally:
            win.Free()

    def test_start_complete_post_wait(self):
        buf, win = self._win()
        try:
            grp = group_incl_or_all(win)
            win.Post(grp)
            win.Start(grp)
            for r in range(self.size):
                win.Put(numpy.array([self.rank + 5], 'i'), r, self.rank)
            win.Complete()
            self.assertTrue(win.Wait())
            self.assertEqual(list(buf[:self.size]), [r + 5 for r in range(self.size)])
            win.Post(grp, MPI.MODE_NOPUT)
            win.Start(grp)
            win.Complete()
            while not win.Test():
                pass
        finally:
            win.Free()

    def test_lock_unlock_atomics(self):
        buf, win = self._win(4, 'l')
        try:
            win.Fence()
            win.Fence()
            one = numpy.array([1], 'l')
            res = numpy.zeros(1, 'l')
            win.Lock(0)
            win.Fetch_and_op(one, res, 0, 0, MPI.SUM)
            win.Flush(rank=0)
            win.Accumulate(one, 0, 1, op=MPI.SUM)
            win.Flush_local(0)
            win.Unlock(rank=0)
            self.comm.Barrier()
            if self.rank == 0:
                self.assertEqual(buf[0], self.size)
                self.assertEqual(buf[1], self.size)
            self.comm.Barrier()
            win.Lock(0, MPI.LOCK_SHARED)
            cmp = numpy.array([self.size], 'l')
            new = numpy.array([100], 'l')
            win.Compare_and_swap(new, cmp, res, 0, 0)
            win.Flush_all()
            win.Unlock(0)
            self.comm.Barrier()
            if self.rank == 0:
                self.assertEqual(buf[0], 100)
            self.comm.Barrier()
            win.Lock_all()
            out = numpy.zeros(1, 'l')
            win.Get_accumulate(numpy.array([1], 'l'), out, 0, 2, MPI.SUM)
            win.Get_accumulate(None, out, 0, 3, MPI.NO_OP)
            win.Flush_local_all()
            win.Sync()
            win.Unlock_all()
        finally:
            win.Free()

    def test_request_based(self):
        buf, win = self._win()
        try:
            peer = (self.rank + 1) % self.size
            win.Lock_all()
            req = win.Rput(numpy.full(2, self.rank + 1, 'i'), peer, (0, 2, MPI.INT))
            self.assertIsInstance(req, MPI.Request)
            req.Wait()
            win.Flush(peer)
            out = numpy.zeros(2, 'i')
            win.Rget(out, peer, 0).Wait()
            win.Raccumulate(numpy.ones(2, 'i'), peer, 0, MPI.SUM).Wait()
            res = numpy.zeros(2, 'i')
            win.Rget_accumulate(numpy.ones(2, 'i'), res, peer, 0, MPI.SUM).Wait()
            win.Flush_all()
            win.Unlock_all()
            self.comm.Barrier()
            self.assertEqual(list(buf[:2]), [(self.rank - 1) % self.size + 3] * 2)
        finally:
            win.Free()

    # ---- errors -----------------------------------------------------------
    def test_errors(self):
        buf, win = self._win(4)
        try:
            one = numpy.ones(1, 'i')
            win.Fence()
            with self.assertRaises(MPI.Exception) as cm:          # target rank out of range
                win.Put(one, self.size)
            self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_RANK)
            with self.assertRaises(MPI.Exception) as cm:          # displacement past the window
                win.Put(one, 0, 4)
            self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_RMA_RANGE)
            with self.assertRaises(MPI.Exception) as cm:          # a copy of the object knows too
                MPI.Win(win).Put(one, 0, 4)
            self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_RMA_RANGE)
            with self.assertRaises(MPI.Exception) as cm:          # count past the window
                win.Get(numpy.zeros(5, 'i'), 0, 0)
            self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_RMA_RANGE)
            with self.assertRaises(MPI.Exception):
                win.Fetch_and_op(one, numpy.zeros(1, 'i'), 0, 100)
            with self.assertRaises(ValueError):
                win.Put(one, 0, -1)
            with self.assertRaises(ValueError):
                win.Put(one, 0, (0, 1, MPI.INT, 0))
            with self.assertRaises(ValueError):  # mpi4py 3.1's class for a bad target
                win.Put(one, 0, 'x')
            with self.assertRaises(BufferError):
                win.Get(bytes(4), 0)
            win.Fence()
            win.Put(one, MPI.PROC_NULL, 100)                     # PROC_NULL: no-op
            win.Fence()
            with self.assertRaises(MPI.Exception) as cm:          # sync outside an epoch
                win.Unlock(0)
        finally:
            win.Free()
        for call in (win.Fence, win.Free, win.Get_group, lambda: win.Put(one, 0), win.tomemory):
            with self.assertRaises(MPI.Exception) as cm:
                call()
            self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_WIN)
        with self.assertRaises(MPI.Exception) as cm:
            MPI.WIN_NULL.Free()
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_WIN)

    def test_errhandler(self):
        win = MPI.Win.Create(None, comm=MPI.COMM_SELF)
        try:
            win.Set_errhandler(MPI.ERRORS_RETURN)
            eh = win.Get_errhandler()
            self.assertEqual(eh, MPI.ERRORS_RETURN)
            # ERRORS_RETURN "handles" the error by returning: MPI_Win_call_errhandler succeeds.
            self.assertIsNone(win.Call_errhandler(MPI.ERR_OTHER))
            with self.assertRaises(TypeError):
                win.Set_errhandler(None)
        finally:
            win.Free()

    def test_gil_released(self):
        # A rank blocked in Fence (rank 0 arrives late) must let its other Python threads run.
        if self.size < 2:
            self.skipTest('needs 2 ranks')
        import threading
        import time
        win = MPI.Win.Create(None, comm=self.comm)
        try:
            win.Fence()
            if self.rank == 0:
                time.sleep(0.5)
                win.Fence()
            else:
                done = threading.Event()
                t = threading.Thread(target=lambda: (win.Fence(), done.set()))
                t.start()
                spins = 0
                while not done.is_set():
                    spins += 1
                    time.sleep(0.001)
                t.join()
                self.assertGreater(spins, 50)
        finally:
            win.Free()

    def test_keyval(self):
        win = MPI.Win.Create(None, comm=MPI.COMM_SELF)
        k = MPI.Win.Create_keyval()
        try:
            win.Set_attr(k, 'value')
            self.assertEqual(win.Get_attr(k), 'value')
            win.Delete_attr(k)
            self.assertIsNone(win.Get_attr(k))
        finally:
            MPI.Win.Free_keyval(k)
            win.Free()


if __name__ == '__main__':
    mpitest.main()
