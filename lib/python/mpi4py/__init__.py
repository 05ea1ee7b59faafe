"""MPI for Python (python-mpi build). Minimal package init; see the full version."""
import sys

__version__ = '3.1.0'


class Rc:
    initialize = True
    threads = True
    thread_level = 'multiple'
    finalize = None
    fast_reduce = True
    recv_mprobe = True
    errors = 'exception'

    def __init__(self, **kwargs):
        self(**kwargs)

    def __call__(self, **kwargs):
        for key, value in kwargs.items():
            if not hasattr(self, key):
                raise TypeError(f"unexpected argument '{key}'")
            setattr(self, key, value)

    def __repr__(self):
        return f'<{__name__}.rc>'


rc = Rc()


class _BuiltinMPIFinder:
    """Find mpi4py.MPI as the interpreter's built-in module (python-mpi) before any MPI*.so."""

    @staticmethod
    def find_spec(fullname, path=None, target=None):
        if fullname == __name__ + '.MPI' and fullname in sys.builtin_module_names:
            import importlib.machinery
            return importlib.machinery.BuiltinImporter.find_spec(fullname)
        return None


if __name__ + '.MPI' in sys.builtin_module_names:
    sys.meta_path.insert(0, _BuiltinMPIFinder)
