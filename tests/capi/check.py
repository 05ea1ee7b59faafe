"""Run by test_capi.py on every rank: `check.py KIND MODULE`. KIND is `ext` (a C, C++, Cython or
SWIG module with sayhello/dup/get_comm), `f2py`, `ctypes` or `cffi`. Each rank prints
`MODULE: Hello, World! I am process R of N.` once every check passed (an assertion fails the job)."""
import importlib
import sys
import warnings

# Cython only warns when a class is larger than the layout it was compiled with: fail instead.
warnings.simplefilter('error')
from mpi4py import MPI  # noqa: E402

COMM = MPI.COMM_WORLD
HELLO = f'Hello, World! I am process {COMM.rank} of {COMM.size}.'


def raises_type_error(fn, *args):
    try:
        fn(*args)
    except TypeError:
        return True
    return False


def check_ext(name):
    mod = importlib.import_module(name)
    hello = mod.sayhello(COMM)
    assert hello == HELLO, hello
    new = mod.dup(COMM)  # made in C, handed over with PyMPIComm_New (or written into ob_mpi)
    assert type(new) is MPI.Intracomm and new != COMM, new
    assert new.allreduce(new.rank) == sum(range(COMM.size))
    if hasattr(mod, 'free_comm'):
        mod.free_comm(new)  # MPI_Comm_free on the handle inside the object
        assert new == MPI.COMM_NULL, new
    else:
        new.Free()
    for wrong in (None, MPI.INT, MPI.COMM_WORLD.Get_group(), 'abc'):
        assert raises_type_error(mod.get_comm, wrong), f'{name}: no TypeError for {wrong!r}'
    if hasattr(mod, 'sizes'):  # the C module: layouts and every class through New/Get
        for cls, size in mod.sizes().items():
            assert getattr(MPI, cls).__basicsize__ == size, (cls, size)
        objs = [MPI.Status(), MPI.INT, MPI.REQUEST_NULL, MPI.MESSAGE_NO_PROC, MPI.SUM,
                MPI.GROUP_EMPTY, MPI.INFO_ENV, MPI.ERRORS_RETURN, MPI.COMM_SELF, MPI.WIN_NULL,
                MPI.FILE_NULL]
        for obj in objs:
            copy = mod.roundtrip(obj)
            assert copy is not obj and copy == obj, (obj, copy)
        assert type(mod.roundtrip(MPI.COMM_WORLD)) is MPI.Intracomm
        cart = COMM.Create_cart([COMM.size])
        assert type(mod.roundtrip(cart)) is MPI.Cartcomm
        cart.Free()
    return hello


def check_f2py(name):
    mod = importlib.import_module(name)
    fcomm = COMM.py2f()
    assert mod.commsize(fcomm) == COMM.size
    assert raises_type_error(mod.commsize, COMM)  # the object, not its Fortran handle
    sys.stdout.flush()
    mod.sayhello(fcomm)  # the manual's example prints from Fortran
    return None


def libmpi_path():
    import ctypes.util
    return ctypes.util.find_library('mpich') or ctypes.util.find_library('mpi')


def check_ctypes(name):
    import ctypes
    lib = ctypes.CDLL(libmpi_path())
    handle_t = {ctypes.sizeof(ctypes.c_int): ctypes.c_int,
                ctypes.sizeof(ctypes.c_void_p): ctypes.c_void_p}[MPI._sizeof(MPI.Comm)]
    comm = COMM.Dup()
    size, rank = ctypes.c_int(-1), ctypes.c_int(-1)
    assert lib.MPI_Comm_size(handle_t(MPI._handleof(comm)), ctypes.byref(size)) == 0
    assert lib.MPI_Comm_rank(handle_t.from_address(MPI._addressof(comm)), ctypes.byref(rank)) == 0
    # a handle written through _addressof makes another object for the same communicator
    other = MPI.Comm()
    handle_t.from_address(MPI._addressof(other)).value = handle_t.from_address(MPI._addressof(comm)).value
    assert other == comm
    comm.Free()
    for fn, wrong in ((MPI._handleof, None), (MPI._addressof, 'abc'), (MPI._sizeof, 1)):
        assert raises_type_error(fn, wrong), (fn, wrong)
    return f'Hello, World! I am process {rank.value} of {size.value}.'


def check_cffi(name):
    import cffi
    ffi = cffi.FFI()
    ctype = {ffi.sizeof('int'): 'int', ffi.sizeof('void *'): 'void *'}[MPI._sizeof(MPI.Comm)]
    ffi.cdef(f'typedef {ctype} MPI_Comm; int MPI_Comm_size(MPI_Comm, int *); '
             'int MPI_Comm_rank(MPI_Comm, int *);')
    lib = ffi.dlopen(libmpi_path())
    comm = COMM.Dup()
    size, rank = ffi.new('int *', -1), ffi.new('int *', -1)
    assert lib.MPI_Comm_size(ffi.cast('MPI_Comm', MPI._handleof(comm)), size) == 0
    assert lib.MPI_Comm_rank(ffi.cast('MPI_Comm *', MPI._addressof(comm))[0], rank) == 0
    comm.Free()
    assert raises_type_error(MPI._addressof, None)
    return f'Hello, World! I am process {rank[0]} of {size[0]}.'


if __name__ == '__main__':
    kind, name = sys.argv[1], sys.argv[2]
    hello = globals()['check_' + kind](name)
    if hello is not None:
        assert hello == HELLO, hello
        print(f'{name}: {hello}', flush=True)
