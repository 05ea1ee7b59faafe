"""Run Python code using mpi4py, aborting MPI on unhandled exceptions.

Usage::

    mpiexec -n N python -m mpi4py [options] pyfile [arg] ...
    mpiexec -n N python -m mpi4py [options] -m mod [arg] ...
    mpiexec -n N python -m mpi4py [options] -c cmd [arg] ...
    mpiexec -n N python -m mpi4py [options] - [arg] ...

If the code raises an unhandled exception (or exits with a non-zero
status) in one process, MPI_Abort() is called on MPI_COMM_WORLD at exit
instead of MPI_Finalize(), so that the other processes are terminated
rather than left waiting forever for messages that never come.
"""

import os
import sys

_USAGE = """\
usage: {prog} [options] <pyfile> [arg] ...
   or: {prog} [options] -m <mod> [arg] ...
   or: {prog} [options] -c <cmd> [arg] ...
   or: {prog} [options] - [arg] ..."""

_HELP = """
Run Python code under MPI; an unhandled exception aborts the whole job.

  <pyfile>   run the code in a Python file, or in a directory or zip file
             containing a __main__.py file
  -m <mod>   run the library module <mod> as a script
  -c <cmd>   run the code in the string <cmd>
  -          read the code from standard input

options:
  -h, --help                 show this help message and exit
  --version                  show the mpi4py version and exit
  --prefix                   show the mpi4py package directory and exit
  --mpi-std-version          show the MPI standard version and exit
  --mpi-lib-version          show the MPI library version and exit
  -rc <key=value,...>        set mpi4py.rc options before MPI is initialized
                             (e.g. -rc thread_level=serialized)
  -p, --profile <name>       profile MPI calls with the PMPI library <name>
                             (python-mpi's own: mpiprof, a table of calls and
                             times per MPI function at exit)
  --mpe, --vt                profile with MPE, VampirTrace"""


def _prog():
    """The command name to show in messages (as seen by the user)."""
    return f'{os.path.basename(sys.executable) or "python"} -m {__spec__.parent}'


class _UsageExit(SystemExit):
    """Exit on a command line error: every process fails alike, no abort."""


def _usage_error(message):
    """Print a usage error to stderr and exit with status 2."""
    sys.stderr.write(_USAGE.format(prog=_prog()) + '\n')
    sys.stderr.write(f'{_prog()}: error: {message}\n')
    sys.stderr.flush()
    raise _UsageExit(2)


def _set_rc(text):
    """Apply a '-rc key=value[,key=value]...' option to mpi4py.rc."""
    from . import rc, _RC_CHOICES, _rc_parse
    for item in text.split(','):
        key, sep, value = item.partition('=')
        key = key.strip()
        if not sep or key not in _RC_CHOICES:
            _usage_error(f'-rc: invalid option {item!r} (known options: '
                         f'{", ".join(_RC_CHOICES)})')
        try:
            setattr(rc, key, _rc_parse(key, value))
        except ValueError as exc:
            _usage_error(f'-rc: {exc}')


def _show(what):
    """--version, --prefix, --mpi-std-version, --mpi-lib-version."""
    from . import __version__, _python_mpi_version
    if what == 'version':
        text = f'mpi4py {__version__} (python-mpi {_python_mpi_version()})'
    elif what == 'prefix':
        text = os.path.dirname(os.path.abspath(__spec__.origin))
    else:
        from . import MPI
        text = ('MPI {}.{}'.format(*MPI.Get_version()) if what == 'mpi-std-version'
                else MPI.Get_library_version().rstrip())
    sys.stdout.write(text + '\n')
    raise SystemExit(0)


# Options without a value: what they do.
_FLAGS = {
    '-h': 'help', '--help': 'help',
    '--version': 'version', '--prefix': 'prefix',
    '--mpi-std-version': 'mpi-std-version', '--mpi-lib-version': 'mpi-lib-version',
    '--mpe': 'mpe', '--vt': 'vt',
}

# Options with a value (given next, or as --name=value).
_VALUED = {'-rc': 'rc', '--rc': 'rc', '-p': 'profile', '--profile': 'profile'}


def _parse_args(args):
    """Return (kind, target, argv, profile) from the command line arguments.

    kind is 'path', 'module', 'command' or 'stdin'; argv becomes sys.argv
    of the code that is run; profile is the PMPI library to use, or None.
    Options after the target belong to it.  -rc options are applied.
    """
    args = list(args)
    profile = None
    while args:
        arg = args.pop(0)
        name, eq, value = arg.partition('=')
        if not name.startswith('--') and (f'-{name}' in _FLAGS or f'-{name}' in _VALUED):
            arg, name = f'-{arg}', f'-{name}'  # mpi4py also takes -version, -profile...
        if arg in _FLAGS:
            what = _FLAGS[arg]
            if what == 'help':
                sys.stdout.write(_USAGE.format(prog=_prog()) + '\n' + _HELP + '\n')
                raise SystemExit(0)
            if what in ('mpe', 'vt'):
                profile = what
            else:
                _show(what)
        elif arg in _VALUED or (eq and name.startswith('--') and name in _VALUED):
            if not eq:
                if not args:
                    _usage_error(f'argument {arg} requires a value')
                value = args.pop(0)
            if _VALUED[name] == 'rc':
                _set_rc(value)
            elif not value:
                _usage_error(f'argument {name}: empty profiler name')
            else:
                profile = value
        elif arg in ('-m', '-c'):
            if not args:
                _usage_error(f'argument {arg} requires a value')
            target = args.pop(0)
            if arg == '-m':
                return 'module', target, [target] + args, profile
            return 'command', target, ['-c'] + args, profile
        elif arg.startswith('-m') or arg.startswith('-c'):
            # Python's own spelling: -mmod, -c'code'
            return _parse_args([arg[:2], arg[2:]] + args)[:3] + (profile,)
        elif arg == '-':
            return 'stdin', None, ['-'] + args, profile
        elif arg.startswith('-'):
            _usage_error(f'unknown option {arg}')
        else:
            return 'path', arg, [arg] + args, profile
    _usage_error('no Python code to run (give a file, -m, -c or -)')


def _run_code(code, filename, argv):
    """Run source `code` as the __main__ module with sys.argv = argv."""
    import types
    main = types.ModuleType('__main__')
    main.__dict__['__builtins__'] = __builtins__
    saved_main, saved_argv = sys.modules.get('__main__'), sys.argv
    sys.modules['__main__'], sys.argv = main, argv
    try:
        exec(compile(code, filename, 'exec'), main.__dict__)
    finally:
        sys.modules['__main__'], sys.argv = saved_main, saved_argv


def run_command_line(args=None):
    """Run Python code as given by a python-like command line.

    `args` defaults to sys.argv[1:].  mpi4py.MPI is imported (which
    initializes MPI) after the -rc and profiling options are applied and
    before the code runs.  Exceptions raised by the code propagate to the
    caller.
    """
    import runpy
    kind, target, argv, profile = _parse_args(sys.argv[1:] if args is None else args)
    if profile is not None:
        from . import profile as use_profiler
        use_profiler(profile)
    from . import MPI  # noqa: F401  (initialize MPI with the rc options)
    if kind == 'path':
        # Like python: the script's directory comes first on sys.path
        # (runpy.run_path itself handles directories and zip files).
        if not os.path.isdir(target) and os.path.isfile(target):
            sys.path[0] = os.path.dirname(os.path.abspath(target))
        saved_argv = sys.argv
        sys.argv = argv
        try:
            runpy.run_path(target, run_name='__main__')
        finally:
            sys.argv = saved_argv
    elif kind == 'module':
        saved_argv = sys.argv
        sys.argv = argv
        try:
            runpy.run_module(target, run_name='__main__', alter_sys=True)
        finally:
            sys.argv = saved_argv
    elif kind == 'command':
        sys.path[0] = ''
        _run_code(target, '<string>', argv)
    else:
        sys.path[0] = ''
        _run_code(sys.stdin.read(), '<stdin>', argv)


# The status recorded by set_abort_status(), used by the fallback exit hook.
_abort_status = 0
_abort_hook_installed = False


def _exit_status(code):
    """The process exit status Python uses for SystemExit(code)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    return 1


def _abort_at_exit():
    """Exit hook: abort the MPI job if a non-zero status was recorded."""
    if not _abort_status:
        return
    MPI = sys.modules.get(f'{__spec__.parent}.MPI')
    if MPI is None or not MPI.Is_initialized() or MPI.Is_finalized():
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # a closed or broken stream: nothing to flush
            pass
    if MPI.COMM_WORLD.Get_size() > 1:
        MPI.COMM_WORLD.Abort(_abort_status)


def set_abort_status(status):
    """Make MPI abort with `status` at exit instead of finalizing.

    `status` is interpreted like the argument of SystemExit (None means
    0, a non-integer means 1).  With a non-zero status and more than one
    process in MPI_COMM_WORLD, MPI_Abort() is called when the process
    exits, after the output has been flushed.  The MPI module does this
    when it provides _set_abort_status(); otherwise an exit hook of this
    module does it.
    """
    global _abort_status, _abort_hook_installed
    _abort_status = _exit_status(status)
    MPI = sys.modules.get(f'{__spec__.parent}.MPI')
    if MPI is not None and hasattr(MPI, '_set_abort_status'):
        MPI._set_abort_status(_abort_status)
    elif not _abort_hook_installed:
        # Registered after the MPI module's own exit handlers, so it
        # runs before MPI is finalized.
        import atexit
        atexit.register(_abort_at_exit)
        _abort_hook_installed = True


def main():
    """Entry point of ``python -m mpi4py``."""
    try:
        run_command_line()
    except _UsageExit:
        raise
    except SystemExit as exc:
        status = _exit_status(exc.code)
        if status:
            set_abort_status(status)
        raise
    except BaseException:
        set_abort_status(1)
        raise


if __name__ == '__main__':
    main()
