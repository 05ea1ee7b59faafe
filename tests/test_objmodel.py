# ranks: 1 2
"""The object model extension authors rely on, as in mpi4py 3.1: weak references to every MPI
object, _sizeof/_addressof/_handleof for ctypes and cffi users, the C API in __pyx_capi__ (names,
signatures, behaviour) and the object layouts (sizes, weak-reference slots, type names)."""
import ctypes
import gc
import unittest
import weakref

import mpitest
from mpi4py import MPI

# class -> name of its MPI handle type, as in __pyx_capi__
HANDLE_TYPES = {
    MPI.Datatype: 'MPI_Datatype', MPI.Status: 'MPI_Status', MPI.Request: 'MPI_Request',
    MPI.Message: 'MPI_Message', MPI.Op: 'MPI_Op', MPI.Group: 'MPI_Group', MPI.Info: 'MPI_Info',
    MPI.Errhandler: 'MPI_Errhandler', MPI.Comm: 'MPI_Comm', MPI.Win: 'MPI_Win', MPI.File: 'MPI_File',
}
# extra fields after the weak-reference slot (pointers or handles), per class
EXTRA = {MPI.Request: 8, MPI.Prequest: 8, MPI.Grequest: 16, MPI.Message: 8, MPI.Op: 16, MPI.Win: 8}


def objects():
    """One object of every class (module constants and new ones)."""
    comm = MPI.COMM_WORLD
    return [MPI.Status(), MPI.INT, MPI.Datatype(), MPI.REQUEST_NULL, MPI.Prequest(),
            MPI.Grequest(), MPI.MESSAGE_NO_PROC, MPI.SUM, MPI.GROUP_EMPTY, MPI.INFO_ENV,
            MPI.ERRORS_RETURN, comm, MPI.COMM_SELF, MPI.Intracomm(), MPI.Cartcomm(),
            MPI.Intercomm(), MPI.WIN_NULL, MPI.FILE_NULL]


def family(cls):
    return next(base for base in cls.__mro__ if base in HANDLE_TYPES)


class TestWeakRef(unittest.TestCase):

    def test_every_class(self):
        for obj in objects():
            ref = weakref.ref(obj)
            self.assertIs(ref(), obj)
            proxy = weakref.proxy(obj)
            self.assertIn(ref, weakref.getweakrefs(obj))
            self.assertIn(proxy, weakref.getweakrefs(obj))

    def test_cleared_when_the_object_dies(self):
        comm = MPI.COMM_WORLD.Dup()
        dead = []
        objs = [MPI.Status(), MPI.INT.Dup(), comm, comm.Get_group(), MPI.Info.Create(),
                comm.Isend(b'', MPI.PROC_NULL), MPI.Op.Create(lambda a, b, t: b)]
        refs = [weakref.ref(o, dead.append) for o in objs]
        for o in objs[1:]:
            o.Free() if not isinstance(o, MPI.Request) else o.Wait()
        del objs, o, comm
        gc.collect()
        self.assertEqual([r() for r in refs], [None] * len(refs))
        self.assertEqual(len(dead), len(refs))

    def test_subclass(self):
        class MyComm(MPI.Intracomm):
            pass
        comm = MyComm(MPI.COMM_WORLD)
        ref = weakref.ref(comm)
        self.assertIs(ref(), comm)
        del comm
        gc.collect()
        self.assertIsNone(ref())


class TestIntrospection(unittest.TestCase):

    def test_sizeof_instance_and_class(self):
        for obj in objects():
            size = MPI._sizeof(obj)
            self.assertEqual(MPI._sizeof(type(obj)), size, type(obj))
            if isinstance(obj, MPI.Status):
                self.assertGreaterEqual(size, 3 * ctypes.sizeof(ctypes.c_int))
            else:
                self.assertIn(size, (4, 8))

    def test_handle_at_address(self):
        """What ctypes reads at _addressof() is _handleof(), an unsigned of _sizeof() bytes."""
        uint = {4: ctypes.c_uint32, 8: ctypes.c_uint64}
        comm = MPI.COMM_WORLD.Dup()
        try:
            for obj in objects() + [comm, comm.Get_group()]:
                if isinstance(obj, MPI.Status):
                    self.assertRaises(NotImplementedError, MPI._handleof, obj)
                    continue
                value = uint[MPI._sizeof(obj)].from_address(MPI._addressof(obj)).value
                self.assertEqual(MPI._handleof(obj), value, obj)
                self.assertGreaterEqual(value, 0)
        finally:
            comm.Free()

    def test_copy_through_address(self):
        """Bytes copied from one object's handle into a new object make an equal object."""
        status = MPI.Status()
        status.source, status.tag = 3, 7
        for obj in objects() + [status]:
            new = family(type(obj))()
            size = MPI._sizeof(obj)
            ctypes.memmove(MPI._addressof(new), MPI._addressof(obj), size)
            self.assertEqual(new, obj)

    def test_wrong_types(self):
        for fn in (MPI._sizeof, MPI._addressof, MPI._handleof):
            for wrong in (None, 1, 'abc', object(), int):
                self.assertRaises(TypeError, fn, wrong)
        self.assertRaises(TypeError, MPI._addressof, MPI.Comm)   # a class has no handle
        self.assertRaises(TypeError, MPI._handleof, MPI.Comm)


class TestCAPI(unittest.TestCase):
    """The functions of __pyx_capi__, called through ctypes as a C extension would."""

    def capsule(self, name):
        cap = MPI.__pyx_capi__[name]
        get_name = ctypes.pythonapi.PyCapsule_GetName
        get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
        signature = get_name(cap)
        get_ptr = ctypes.pythonapi.PyCapsule_GetPointer
        get_ptr.restype, get_ptr.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
        return signature.decode(), get_ptr(cap, signature)

    def test_names_and_signatures(self):
        expected = {}
        for cls, ctype in HANDLE_TYPES.items():
            name = cls.__name__
            arg = ctype + ' *' if cls is MPI.Status else ctype
            expected[f'PyMPI{name}_New'] = f'PyObject *({arg})'
            expected[f'PyMPI{name}_Get'] = f'{ctype} *(PyObject *)'
        self.assertEqual(set(MPI.__pyx_capi__), set(expected))
        for name, signature in expected.items():
            self.assertEqual(self.capsule(name)[0], signature)

    def test_get(self):
        for obj in objects():
            cls = family(type(obj))
            _, ptr = self.capsule(f'PyMPI{cls.__name__}_Get')
            get = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.py_object)(ptr)
            self.assertEqual(get(obj), MPI._addressof(obj))
            wrong = MPI.COMM_SELF if cls is not MPI.Comm else MPI.INT
            for bad in (None, wrong, 42):
                self.assertRaises(TypeError, get, bad)  # NULL with TypeError set

    def test_new(self):
        handle_t = {4: ctypes.c_uint32, 8: ctypes.c_uint64}
        comm = MPI.COMM_WORLD.Create_cart([MPI.COMM_WORLD.size])
        try:
            for obj in objects() + [comm]:
                cls = family(type(obj))
                _, ptr = self.capsule(f'PyMPI{cls.__name__}_New')
                if cls is MPI.Status:
                    new = ctypes.PYFUNCTYPE(ctypes.py_object, ctypes.c_void_p)(ptr)
                    copy = new(MPI._addressof(obj))
                    self.assertEqual(new(None), MPI.Status())  # NULL: an empty status
                else:
                    new = ctypes.PYFUNCTYPE(ctypes.py_object, handle_t[MPI._sizeof(obj)])(ptr)
                    copy = new(MPI._handleof(obj))
                self.assertEqual(copy, obj)
                self.assertIsNot(copy, obj)
                # communicators get the class of their kind; others the family class
                self.assertIs(type(copy), type(obj) if cls is MPI.Comm and obj else cls)
        finally:
            comm.Free()


class TestLayout(unittest.TestCase):
    """mpi4py 3.1's layouts: header, handle, unsigned flags, weak-reference list, extras."""

    def test_sizes(self):
        head = object.__basicsize__
        for obj in objects():
            tp = type(obj)
            weaklist = head + MPI._sizeof(tp) + ctypes.sizeof(ctypes.c_uint)
            weaklist = (weaklist + 7) // 8 * 8
            self.assertEqual(tp.__weakrefoffset__, weaklist, tp)
            self.assertEqual(tp.__basicsize__, weaklist + 8 + EXTRA.get(tp, 0), tp)

    def test_type_names(self):
        for obj in objects():
            tp = type(obj)
            self.assertEqual(tp.__module__, 'mpi4py.MPI')
            self.assertEqual(getattr(MPI, tp.__name__), tp)


if __name__ == '__main__':
    mpitest.main()
