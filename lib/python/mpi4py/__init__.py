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
    if len(value) >= 2 and value[0] == value[-1] and value[0] in '\'"':
        value = value[1:-1]  # a Python string literal, as mpi4py's -rc takes
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


def _package_files(name):
    """The paths of `name` in the package directories (__path__: under
    python-mpi's build tree, the sources and what the build made)."""
    return [os.path.join(d, name) for d in __path__]


def get_config():
    """Return a dict describing the MPI installation mpi4py was built with.

    It is the ``[mpi]`` section of ``mpi.cfg``, written by configure and
    installed next to ``MPI.so``: the MPI compiler wrappers (``mpicc``,
    and ``mpicxx``/``mpifort`` where that MPI has them) and ``mpiexec`` of
    the build.
    """
    parser = _read_cfg()
    if not parser.has_section('mpi'):
        return {}
    return {key: value for key, value in parser.items('mpi') if value}


def _python_mpi_version():
    """The version of python-mpi this package belongs to (from mpi.cfg)."""
    return _read_cfg().get('python-mpi', 'version', fallback='unknown')


def _read_cfg():
    import configparser
    parser = configparser.ConfigParser()
    parser.read(_package_files('mpi.cfg'))
    return parser


# Profiling libraries loaded by profile(), in the order of the calls.
_profile_libraries = []

# Environment variables naming the log file (prefix) of known profilers.
_PROFILE_LOGFILE_ENV = {
    'mpe': 'MPE_LOGFILE_PREFIX',
    'vt': 'VT_FILE_PREFIX',
    'mpiprof': 'MPIPROF_OUTPUT',
}


def _find_profiler(name, path):
    """The file of profiling library `name`: lib<name>.so in the
    directories of `path`, else (path None) in the package's lib-pmpi
    directory, else through the system's library search."""
    import ctypes.util
    if path is None:
        dirs = _package_files('lib-pmpi')
    elif isinstance(path, (str, os.PathLike)):
        dirs = os.fspath(path).split(os.pathsep)
    else:
        dirs = [os.fspath(d) for d in path]
    for d in dirs:
        filename = os.path.join(d, f'lib{name}.so')
        if os.path.isfile(filename):
            return filename
    return ctypes.util.find_library(name) if path is None else None


def _loaded(filename):
    """Whether the shared library `filename` is already in the process."""
    import ctypes
    try:
        ctypes.CDLL(filename, mode=os.RTLD_NOLOAD | os.RTLD_LAZY)
    except OSError:
        return False
    return True


def profile(name, *, path=None, logfile=None):
    """Use the MPI profiling (PMPI) library ``lib<name>.so``.

    The library is looked up in the directories `path` (a directory, a
    list of them, or a string of them separated by os.pathsep) or, when
    `path` is None, in the package's ``lib-pmpi`` directory (python-mpi
    installs its own profiler there: ``profile('mpiprof')`` counts calls
    and time per MPI function and prints a table at MPI_Finalize), then
    with the system's library search.  ValueError if it is not found.
    `logfile` names the log file (prefix) of tools that take one through
    the environment (mpiprof, MPE, VampirTrace).

    Under a plain Python the library is loaded with RTLD_GLOBAL, which
    must happen before ``mpi4py.MPI`` is imported (else RuntimeWarning).
    Under python-mpi, MPI is linked into the interpreter and initialized
    before Python starts: only a preloaded library works, as
    ``python-mpi -m mpi4py --profile NAME`` does; otherwise a
    RuntimeWarning says so.  Returns the library's file name.
    """
    import warnings
    if not isinstance(name, str) or not name:
        raise ValueError(f'invalid profiling library name {name!r}')
    filename = _find_profiler(name, path)
    if filename is None:
        raise ValueError(f'profiler {name!r} not found (lib{name}.so)')
    if logfile is not None and name in _PROFILE_LOGFILE_ENV:
        os.environ[_PROFILE_LOGFILE_ENV[name]] = logfile
    if f'{__name__}.MPI' in sys.builtin_module_names:
        if not _loaded(filename):
            warnings.warn(f'profile({name!r}) cannot take effect: python-mpi '
                          f'has MPI linked in; run "python-mpi -m {__name__} '
                          f'--profile {name}" instead', RuntimeWarning,
                          stacklevel=2)
            return filename
    else:
        import ctypes
        if f'{__name__}.MPI' in sys.modules:
            warnings.warn(f'profile({name!r}) called after mpi4py.MPI was '
                          f'imported: MPI calls will not be profiled',
                          RuntimeWarning, stacklevel=2)
        ctypes.CDLL(filename, mode=ctypes.RTLD_GLOBAL)
    _profile_libraries.append(filename)
    return filename


def _check_rc_applied(MPI):
    """Under python-mpi: say in one line which rc settings MPI could not
    follow, having been initialized before Python started."""
    late = []
    if not rc.initialize:
        late.append('initialize=False')
    if rc.finalize is False:
        late.append('finalize=False')
    wanted = rc.thread_level if rc.threads else 'single'
    levels = ('single', 'funneled', 'serialized', 'multiple')
    provided = [getattr(MPI, f'THREAD_{n.upper()}') for n in levels].index(
        MPI.Query_thread())
    if wanted in levels and wanted != levels[provided]:
        late.append(f'thread_level={rc.thread_level!r}' if rc.threads
                    else 'threads=False')
    if late:
        sys.stderr.write(
            f'python-mpi: warning: mpi4py.rc {", ".join(late)} ignored: MPI '
            f'was initialized (thread level {levels[provided]!r}) before '
            f'Python started; use MPI4PY_RC_THREAD_LEVEL, MPI4PY_RC_THREADS '
            f'or "-m mpi4py -rc"\n')
        sys.stderr.flush()


if f'{__name__}.MPI' in sys.builtin_module_names:
    from importlib.machinery import BuiltinImporter as _BuiltinImporter

    class _BuiltinMPILoader(_BuiltinImporter):
        """The built-in importer, then a check that MPI follows mpi4py.rc
        where python-mpi initialized it (PYTHON_MPI_RANK is the pid of the
        process whose launcher did; in a helper child started by a rank,
        the module initializes MPI itself, following rc)."""

        @staticmethod
        def exec_module(module):
            _BuiltinImporter.exec_module(module)
            if os.environ.get('PYTHON_MPI_RANK') == str(os.getpid()):
                _check_rc_applied(module)

    class _BuiltinMPIFinder:
        """Import hook for a built-in ``mpi4py.MPI`` (python-mpi).

        The launcher registers ``mpi4py.MPI`` and ``mpi4py.dl`` in the
        table of built-in modules, but the regular import system only looks
        up built-ins for top-level names: for a submodule it searches the
        package directory.  This finder, first on sys.meta_path, asks the
        built-in importer for the dotted names directly, so the compiled-in
        modules win over any MPI*.so or dl*.so file that may also be in the
        package directory.
        """

        @staticmethod
        def find_spec(fullname, path=None, target=None):
            if fullname == f'{__name__}.dl':
                return _BuiltinImporter.find_spec(fullname)
            if fullname != f'{__name__}.MPI':
                return None
            spec = _BuiltinMPILoader.find_spec(fullname)
            spec.loader = _BuiltinMPILoader
            return spec

    if not any(getattr(finder, '__name__', '') == '_BuiltinMPIFinder'
               for finder in sys.meta_path):
        sys.meta_path.insert(0, _BuiltinMPIFinder)
