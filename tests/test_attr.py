# ranks: 1 2
"""Attribute caching: keyvals with Python copy/delete callbacks on Comm, Datatype and Win,
predefined attributes of COMM_WORLD and of windows, _keyval_registry, bad keyvals."""
import io
import sys
import unittest

import mpitest
from mpi4py import MPI


class Capture:
    """Capture what callbacks print to sys.stderr (tracebacks)."""

    def __enter__(self):
        self.old, sys.stderr = sys.stderr, io.StringIO()
        return self

    def __exit__(self, *exc):
        self.text = sys.stderr.getvalue()
        sys.stderr = self.old


class BaseAttr:
    """Shared tests; subclasses provide cls, make() and free(obj)."""

    def setUp(self):
        self.log = []
        self.keyvals = []

    def tearDown(self):
        for k in self.keyvals:
            try:
                self.cls.Free_keyval(k)
            except MPI.Exception:
                pass

    def keyval(self, *args, **kw):
        k = self.cls.Create_keyval(*args, **kw)
        self.assertIsInstance(k, int)
        self.assertNotEqual(k, MPI.KEYVAL_INVALID)
        self.keyvals.append(k)
        return k

    def test_set_get_delete(self):
        obj = self.make()
        k = self.keyval()
        self.assertIsNone(obj.Get_attr(k))
        value = {'a': [1, 2]}
        obj.Set_attr(k, value)
        self.assertIs(obj.Get_attr(k), value)
        obj.Set_attr(k, None)
        self.assertIsNone(obj.Get_attr(k))
        obj.Set_attr(k, 7)
        self.assertEqual(obj.Get_attr(k), 7)
        obj.Delete_attr(k)
        self.assertIsNone(obj.Get_attr(k))
        obj.Delete_attr(k)  # no such attribute: MPICH does not complain
        self.free(obj)

    def test_refcounts(self):
        obj = self.make()
        k = self.keyval()
        value = object()
        before = sys.getrefcount(value)
        obj.Set_attr(k, value)
        self.assertEqual(sys.getrefcount(value), before + 1)
        obj.Set_attr(k, value)  # replace: old reference dropped
        self.assertEqual(sys.getrefcount(value), before + 1)
        obj.Delete_attr(k)
        self.assertEqual(sys.getrefcount(value), before)
        obj.Set_attr(k, value)
        self.free(obj)  # freeing the object deletes its attributes
        self.assertEqual(sys.getrefcount(value), before)

    def test_delete_callback(self):
        obj = self.make()
        k = self.keyval(delete_fn=lambda o, kv, v: self.log.append(('del', type(o), kv, v)))
        obj.Set_attr(k, 'one')
        obj.Set_attr(k, 'two')
        self.assertEqual(self.log, [('del', type(obj), k, 'one')])
        obj.Delete_attr(k)
        self.assertEqual(self.log[-1], ('del', type(obj), k, 'two'))
        obj.Set_attr(k, 'three')
        self.free(obj)
        self.assertEqual(self.log[-1][3], 'three')
        self.assertEqual(len(self.log), 3)

    def test_nopython(self):
        obj = self.make()
        k = self.keyval(nopython=True)
        obj.Set_attr(k, 12345)
        self.assertEqual(obj.Get_attr(k), 12345)
        with self.assertRaises(TypeError):
            obj.Set_attr(k, 'not an int')
        obj.Delete_attr(k)
        self.free(obj)

    def test_free_keyval(self):
        obj = self.make()
        k = self.cls.Create_keyval(delete_fn=lambda o, kv, v: self.log.append(v))
        registry = MPI._keyval_registry[self.cls.__name__]
        self.assertIn(k, registry)
        self.assertIsNone(registry[k].copy_fn)
        obj.Set_attr(k, 'kept')
        obj2 = self.make()
        self.assertEqual(self.cls.Free_keyval(k), MPI.KEYVAL_INVALID)
        self.assertNotIn(k, registry)
        # the attribute survives its freed keyval; its delete callback still runs
        self.free(obj)
        self.assertEqual(self.log, ['kept'])
        for call in (lambda: self.cls.Free_keyval(k), lambda: obj2.Get_attr(k),
                     lambda: obj2.Set_attr(k, 1), lambda: obj2.Delete_attr(k)):
            with self.assertRaises(MPI.Exception) as cm:
                call()
            self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_KEYVAL)
        self.free(obj2)

    def test_bad_keyvals(self):
        obj = self.make()
        for bad in (MPI.KEYVAL_INVALID, 123456):
            with self.assertRaises(MPI.Exception):
                obj.Get_attr(bad)
            with self.assertRaises(MPI.Exception):
                obj.Set_attr(bad, 1)
            with self.assertRaises(MPI.Exception):
                obj.Delete_attr(bad)
            with self.assertRaises(MPI.Exception):
                self.cls.Free_keyval(bad)
        with self.assertRaises(TypeError):
            obj.Get_attr('x')
        with self.assertRaises(TypeError):
            self.cls.Create_keyval(copy_fn=3)
        with self.assertRaises(TypeError):
            self.cls.Create_keyval(delete_fn='x')
        self.free(obj)

    def test_delete_callback_error(self):
        obj = self.make()
        failing = [True]
        k = self.keyval(delete_fn=lambda o, kv, v: 1 / 0 if failing[0] else None)
        obj.Set_attr(k, 'bad')
        with Capture() as cap:
            with self.assertRaises(MPI.Exception) as cm:
                obj.Delete_attr(k)
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_OTHER)
        self.assertIn('ZeroDivisionError', cap.text)
        self.assertEqual(obj.Get_attr(k), 'bad')  # MPI keeps it
        # Once the callback succeeds the object frees normally (a window left alive would
        # make MPI_Finalize fail).
        failing[0] = False
        self.free(obj)


class TestCommAttr(BaseAttr, unittest.TestCase):
    cls = MPI.Comm

    def make(self):
        return MPI.COMM_WORLD.Dup()

    def free(self, obj):
        obj.Free()

    def test_copy_callbacks(self):
        comm = self.make()
        k_none = self.keyval()                      # not copied
        k_true = self.keyval(copy_fn=True)          # same value shared
        k_fn = self.keyval(copy_fn=lambda c, kv, v: self.log.append(type(c)) or v + ['copied'])
        k_ni = self.keyval(copy_fn=lambda c, kv, v: NotImplemented)
        shared = ['shared']
        comm.Set_attr(k_none, 'none')
        comm.Set_attr(k_true, shared)
        comm.Set_attr(k_fn, ['orig'])
        comm.Set_attr(k_ni, 'ni')
        dup = comm.Dup()
        self.assertIsNone(dup.Get_attr(k_none))
        self.assertIs(dup.Get_attr(k_true), shared)
        self.assertEqual(dup.Get_attr(k_fn), ['orig', 'copied'])
        self.assertEqual(comm.Get_attr(k_fn), ['orig'])
        self.assertIsNone(dup.Get_attr(k_ni))
        self.assertEqual(self.log, [MPI.Intracomm])
        clone = comm.Clone()
        self.assertIs(clone.Get_attr(k_true), shared)
        idup, req = comm.Idup()
        req.Wait()
        self.assertIs(idup.Get_attr(k_true), shared)
        for c in (clone, idup, dup, comm):
            c.Free()

    def test_copy_nopython(self):
        comm = self.make()
        k = self.keyval(copy_fn=lambda c, kv, v: v + 1, nopython=True)
        comm.Set_attr(k, 41)
        dup = comm.Dup()
        self.assertEqual(dup.Get_attr(k), 42)
        dup.Free()
        comm.Free()

    def test_copy_callback_error(self):
        comm = self.make()
        k = self.keyval(copy_fn=lambda c, kv, v: [][1])
        comm.Set_attr(k, 'x')
        with Capture() as cap:
            with self.assertRaises(MPI.Exception) as cm:
                comm.Dup()
        self.assertIn('IndexError', cap.text)
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_OTHER)
        k2 = self.keyval(copy_fn=lambda c, kv, v: (_ for _ in ()).throw(MPI.Exception(MPI.ERR_ARG)))
        comm.Delete_attr(k)
        comm.Set_attr(k2, 'y')
        with Capture() as cap:
            with self.assertRaises(MPI.Exception) as cm:
                comm.Dup()
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_ARG)
        comm.Delete_attr(k2)
        dup = comm.Dup()  # works again
        dup.Free()
        comm.Free()

    def test_predefined(self):
        w = MPI.COMM_WORLD
        tag_ub = w.Get_attr(MPI.TAG_UB)
        self.assertIsInstance(tag_ub, int)
        self.assertGreaterEqual(tag_ub, 32767)
        for key in (MPI.HOST, MPI.IO, MPI.WTIME_IS_GLOBAL, MPI.LASTUSEDCODE):
            self.assertIsInstance(w.Get_attr(key), int)
        self.assertIn(w.Get_attr(MPI.WTIME_IS_GLOBAL), (0, 1))
        self.assertGreaterEqual(w.Get_attr(MPI.LASTUSEDCODE), MPI.ERR_LASTCODE)
        io_rank = w.Get_attr(MPI.IO)
        self.assertTrue(io_rank in (MPI.ANY_SOURCE, MPI.PROC_NULL) or 0 <= io_rank < w.size)
        appnum = w.Get_attr(MPI.APPNUM)
        self.assertTrue(appnum is None or appnum == 0)
        usize = w.Get_attr(MPI.UNIVERSE_SIZE)
        self.assertTrue(usize is None or usize >= w.size)
        # after Add_error_class the last used code moves
        before = w.Get_attr(MPI.LASTUSEDCODE)
        MPI.Add_error_class()
        self.assertGreater(w.Get_attr(MPI.LASTUSEDCODE), before)
        self.assertEqual(MPI.COMM_SELF.Get_attr(MPI.TAG_UB), tag_ub)
        with self.assertRaises(MPI.Exception):
            w.Set_attr(MPI.TAG_UB, 1)
        with self.assertRaises(MPI.Exception):
            w.Delete_attr(MPI.TAG_UB)
        with self.assertRaises(MPI.Exception):
            MPI.COMM_NULL.Get_attr(MPI.TAG_UB)

    def test_world_attribute(self):
        k = self.keyval(delete_fn=lambda *a: None)
        MPI.COMM_WORLD.Set_attr(k, 'world')
        self.assertEqual(MPI.COMM_WORLD.Get_attr(k), 'world')
        MPI.COMM_WORLD.Delete_attr(k)

    def test_intercomm_and_topology(self):
        comm = MPI.COMM_WORLD.Create_cart([MPI.COMM_WORLD.size])
        k = self.keyval(copy_fn=lambda c, kv, v: self.log.append(type(c)) or v)
        comm.Set_attr(k, 1)
        dup = comm.Dup()
        self.assertEqual(dup.Get_attr(k), 1)
        self.assertEqual(self.log, [MPI.Cartcomm])
        dup.Free()
        comm.Free()

    def test_lock_and_commctx_attributes_hidden(self):
        comm = self.make()
        MPI._comm_lock(comm)
        MPI._commctx_intra(comm)
        dup = comm.Dup()  # internal attributes are not copied
        self.assertEqual(MPI._commctx_intra(dup)[1], 0)
        dup.Free()
        comm.Free()


class TestDatatypeAttr(BaseAttr, unittest.TestCase):
    cls = MPI.Datatype

    def make(self):
        return MPI.INT.Dup()

    def free(self, obj):
        obj.Free()

    def test_copy_on_dup(self):
        t = self.make()
        k = self.keyval(copy_fn=lambda d, kv, v: self.log.append(type(d)) or v * 2)
        t.Set_attr(k, 21)
        t2 = t.Dup()
        self.assertEqual(t2.Get_attr(k), 42)
        self.assertEqual(self.log, [MPI.Datatype])
        t2.Free()
        t.Free()

    def test_predefined_type(self):
        k = self.keyval()
        MPI.DOUBLE.Set_attr(k, 'on a predefined type')
        self.assertEqual(MPI.DOUBLE.Get_attr(k), 'on a predefined type')
        MPI.DOUBLE.Delete_attr(k)
        with self.assertRaises(MPI.Exception):
            MPI.DATATYPE_NULL.Get_attr(k)


class TestWinAttr(BaseAttr, unittest.TestCase):
    cls = MPI.Win

    def make(self):
        self.mem = bytearray(16)
        return MPI.Win.Create(self.mem, 4, MPI.INFO_NULL, MPI.COMM_SELF)

    def free(self, obj):
        obj.Free()

    def test_predefined(self):
        win = self.make()
        self.assertEqual(win.Get_attr(MPI.WIN_SIZE), 16)
        self.assertEqual(win.Get_attr(MPI.WIN_DISP_UNIT), 4)
        import ctypes
        address = ctypes.addressof((ctypes.c_char * len(self.mem)).from_buffer(self.mem))
        self.assertEqual(win.Get_attr(MPI.WIN_BASE), address)
        self.assertEqual(win.Get_attr(MPI.WIN_CREATE_FLAVOR), MPI.WIN_FLAVOR_CREATE)
        self.assertIn(win.Get_attr(MPI.WIN_MODEL), (MPI.WIN_SEPARATE, MPI.WIN_UNIFIED))
        win.Free()


class TestWinAttrHelpers(unittest.TestCase):
    """The Win attribute methods exist (the Win class itself is another family's)."""

    def test_methods(self):
        for name in ('Create_keyval', 'Free_keyval', 'Get_attr', 'Set_attr', 'Delete_attr'):
            self.assertTrue(hasattr(MPI.Comm, name))
            self.assertTrue(hasattr(MPI.Intercomm, name))
        self.assertEqual(set(MPI._keyval_registry), {'Comm', 'Datatype', 'Win'})


if __name__ == '__main__':
    mpitest.main()
