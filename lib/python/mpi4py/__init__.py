"""MPI for Python.

This package provides Python bindings for the Message Passing Interface
(MPI) standard.  The bindings themselves live in the extension module
``mpi4py.MPI``; importing it initializes MPI (unless ``rc.initialize``
is false).  Under the ``python-mpi`` launcher that module is compiled
into the interpreter; under a plain Python it is the loadable extension
``MPI.so`` installed next to this file.

Runtime configuration is done through :data:`rc`, which must be set up
before ``mpi4py.MPI`` is imported.  Its defaults can be overridden with
environment variables ``MPI4PY_RC_<NAME>`` (e.g.
``MPI4PY_RC_THREAD_LEVEL=serialized``).
"""

import os
import sys

__version__ = '3.1.0'


# Accepted spellings of boolean options, in environment variables and in
# ``python -m mpi4py -rc key=value``.
_TRUE = ('true', 'yes', 'on', 'y', '1')
_FALSE = ('false', 'no', 'off', 'n', '0')

# For every option: its valid string values (None means a boolean).
_RC_CHOICES = {
    'initialize': None,
    'threads': None,
    'thread_level': ('single', 'funneled', 'serialized', 'multiple'),
    'finalize': None,
    'fast_reduce': None,
    'recv_mprobe': None,
    'errors': ('exception', 'default', 'fatal'),
}


def _rc_parse(name, text):
    """Convert the string `text` into a value for the rc option `name`.

    Raise ValueError (naming the option) when `text` is not valid.
    """
    choices = _RC_CHOICES[name]
    value = text.strip().lower()
    if choices is not None:
        if value in choices:
            return value
        raise ValueError(
            f"mpi4py.rc.{name}: invalid value {text!r} "
            f"(expected one of: {', '.join(choices)})")
    if name == 'finalize' and value in ('none', ''):
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(
        f"mpi4py.rc.{name}: invalid value {text!r} "
        f"(expected a boolean: true/false, yes/no, on/off, 1/0"
        + (", or none)" if name == 'finalize' else ")"))


class Rc:
    """Runtime configuration options, read when ``mpi4py.MPI`` is imported.

    initialize   -- call MPI_Init_thread() at import (if MPI is not
                    initialized yet)
    threads      -- initialize with MPI_Init_thread() (else MPI_Init())
    thread_level -- 'single', 'funneled', 'serialized' or 'multiple'
    finalize     -- call MPI_Finalize() at exit (None: only if mpi4py
                    initialized MPI)
    fast_reduce  -- use a tree-based algorithm for reduce()/allreduce()
    recv_mprobe  -- use matched probes to receive pickled objects
    errors       -- error handling: 'exception', 'default' or 'fatal'
    """

    initialize = True
    threads = True
    thread_level = 'multiple'
    finalize = None
    fast_reduce = True
    recv_mprobe = True
    errors = 'exception'

    def __init__(self, **kwargs):
        self(**kwargs)

    def __setattr__(self, name, value):
        # Reject misspelled options instead of silently adding attributes.
        if name not in _RC_CHOICES:
            raise TypeError(f"unexpected rc option '{name}'")
        super().__setattr__(name, value)

    def __call__(self, **kwargs):
        for name, value in kwargs.items():
            setattr(self, name, value)

    def __repr__(self):
        options = ', '.join(f'{name}={getattr(self, name)!r}'
                            for name in _RC_CHOICES)
        return f'{__name__}.rc({options})'


def _rc_from_environ(rc, environ):
    """Apply the MPI4PY_RC_<NAME> environment variables to `rc` (an empty one is unset, as the
    python-mpi launcher reads MPI4PY_RC_THREAD_LEVEL)."""
    for name in _RC_CHOICES:
        text = environ.get(f'MPI4PY_RC_{name.upper()}')
        if text:
            setattr(rc, name, _rc_parse(name, text))


rc = Rc()
_rc_from_environ(rc, os.environ)
# `import mpi4py.rc` and `from mpi4py import rc` give this same object, as in mpi4py 3.1.
sys.modules[f'{__name__}.rc'] = rc


def get_include():
    """Return the directory containing the C header ``mpi4py/mpi4py.h``."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), 'include')


def get_config():
    """Return a dict describing the MPI installation mpi4py was built with.

    The build may install a file ``mpi.cfg`` (INI syntax, section
    ``[mpi]``) next to this module; its entries are returned as they are.
    Without it, the MPI compiler wrappers found on PATH are reported.
    """
    import configparser
    import shutil
    cfgfile = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           'mpi.cfg')
    parser = configparser.ConfigParser()
    if parser.read(cfgfile) and parser.has_section('mpi'):
        return dict(parser.items('mpi'))
    config = {}
    for wrapper in ('mpicc', 'mpicxx', 'mpifort', 'mpiexec'):
        path = shutil.which(wrapper)
        if path is not None:
            config[wrapper] = path
    return config


# Profiling libraries loaded by profile(), in the order of the calls.
_profile_libraries = []

# Environment variables naming the log file prefix of known tools.
_PROFILE_LOGFILE_ENV = {
    'mpe': 'MPE_LOGFILE_PREFIX',
    'vt': 'VT_FILE_PREFIX',
}


def profile(name, *, path=None, logfile=None):
    """Load the MPI profiling library ``lib<name>.so``.

    The library is looked up in the directories `path` (a string or a
    list of strings) or, when `path` is None, with the system's library
    search (ctypes.util.find_library).  It is loaded with RTLD_GLOBAL so
    that its MPI_* symbols take precedence for libraries loaded later.
    `logfile` sets the log file prefix of tools that take one through
    the environment (MPE, VampirTrace).

    It must be called before ``mpi4py.MPI`` is imported; afterwards the
    MPI library is already bound and a RuntimeWarning is issued.  Note
    that under ``python-mpi`` the MPI library is linked into the
    interpreter, so profiling libraries are best preloaded through
    LD_PRELOAD there.
    """
    import ctypes
    import ctypes.util
    import warnings
    if not isinstance(name, str) or not name:
        raise ValueError(f'invalid profiling library name {name!r}')
    if path is None:
        filename = ctypes.util.find_library(name)
    else:
        dirs = [path] if isinstance(path, str) else list(path)
        candidates = [os.path.join(d, f'lib{name}.so') for d in dirs]
        filename = next((c for c in candidates if os.path.isfile(c)), None)
    if filename is None:
        where = 'the system library path' if path is None else repr(path)
        raise ValueError(f'profiling library lib{name}.so not found '
                         f'in {where}')
    if f'{__name__}.MPI' in sys.modules:
        warnings.warn(f'profile({name!r}) called after mpi4py.MPI was '
                      f'imported: MPI calls will not be profiled',
                      RuntimeWarning, stacklevel=2)
    if logfile is not None and name in _PROFILE_LOGFILE_ENV:
        os.environ[_PROFILE_LOGFILE_ENV[name]] = logfile
    ctypes.CDLL(filename, mode=ctypes.RTLD_GLOBAL)
    _profile_libraries.append(filename)
    return filename


class _BuiltinMPIFinder:
    """Import hook for a built-in ``mpi4py.MPI`` (the python-mpi launcher).

    The launcher registers ``mpi4py.MPI`` and ``mpi4py.dl`` in the table
    of built-in modules, but the regular import system only looks up
    built-ins for top-level names: for a submodule it searches the package
    directory. This finder, first on sys.meta_path, asks the built-in
    importer for the dotted names directly, so the compiled-in modules win
    over any MPI*.so or dl*.so file that may also be in the package
    directory.
    """

    @staticmethod
    def find_spec(fullname, path=None, target=None):
        if fullname in (f'{__name__}.MPI', f'{__name__}.dl'):
            from importlib.machinery import BuiltinImporter
            return BuiltinImporter.find_spec(fullname)
        return None


if (f'{__name__}.MPI' in sys.builtin_module_names
        and not any(getattr(finder, '__name__', '') == '_BuiltinMPIFinder'
                    for finder in sys.meta_path)):
    sys.meta_path.insert(0, _BuiltinMPIFinder)
