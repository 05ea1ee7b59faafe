"""The parallel console of python-mpi: an interactive Python session run by every rank.

``mpiexec -n N python-mpi`` with no program (or ``-i`` after one) ends up here, through the
launcher, when N > 1.  Rank 0 reads each statement with the rules of Python's own REPL
(``>>> `` and ``... `` prompts, a block ends with an empty line) and sends it to every rank;
every rank runs it in its own ``__main__``, where ``MPI``, ``comm``, ``rank`` and ``size`` are
defined, with its output (stdout, stderr, expression values, tracebacks) captured; rank 0
collects the outputs and shows them before the next prompt, each line prefixed with the ranks
that printed it (``[0-2] hello``, ``[1] 1``).

How the pieces fit under MPICH's hydra ``mpiexec`` (found by experiment, see the tests):

* Every rank runs in its own session with pipes for stdin/stdout/stderr; ``mpiexec`` reads its
  own stdin eagerly and forwards it to rank 0's stdin.  No rank has a controlling terminal.
* When ``mpiexec``'s stdin is a terminal, rank 0 opens that terminal (found through
  ``/proc``), puts it in non-canonical mode without echo nor signal keys, and runs GNU
  readline (the library that Python's ``readline`` module uses, driven through ``ctypes``)
  on the keystrokes, which still arrive in order through ``mpiexec``.  Prompts, echo and the
  outputs are written straight to the terminal.  A watchdog process puts the terminal back
  as it was if rank 0 dies without doing it.
* Ctrl-C: hydra's ``mpiexec`` forwards the first SIGINT it gets to all ranks and kills the job
  on the second.  So, on a terminal, Ctrl-C is read as a key: at the prompt it cancels the
  line; while a statement runs, rank 0 sends SIGINT itself to every rank (on its host), as
  often as needed.  With piped input, Ctrl-C typed at ``mpiexec`` reaches the ranks once.
  A rank that does not stop (blocked in MPI) is reported by rank number.
* Console traffic goes over a duplicate of COMM_WORLD, so user messages never mix with it;
  waiting ranks poll for the next command (with growing sleeps) instead of spinning in MPI.

``main()`` returns normally at end of input (status 0) and raises ``SystemExit(n)`` when a
statement called ``exit(n)``/``sys.exit(n)`` on some rank: every rank leaves together with the
same status (the one of the lowest such rank).
"""

import codeop
import code
import io
import os
import signal
import sys
import tempfile
import time
import traceback

# Tags on the console's own communicator.
_TAG_CMD = 1        # rank 0 -> all: ('run', source) | ('file', path) | ('eof',) | ('exit', n)
_TAG_RESULT = 2     # all -> rank 0: (output text, exit status or None)

# How long ranks may take to stop after Ctrl-C before the console calls them stuck (seconds).
_GRACE = 2.0

_CTRL_C = 0x03
_CTRL_BACKSLASH = 0x1c


def _rank_label(ranks):
    """[0-2,5]: a sorted list of ranks as compact ranges, in brackets."""
    parts = []
    start = prev = None
    for r in ranks:
        if prev is not None and r == prev + 1:
            prev = r
            continue
        if start is not None:
            parts.append(str(start) if start == prev else f'{start}-{prev}')
        start = prev = r
    if start is not None:
        parts.append(str(start) if start == prev else f'{start}-{prev}')
    return '[' + ','.join(parts) + ']'


def group_output(outputs):
    """Lines to show for the outputs of all ranks (a list of str indexed by rank).

    Returns a list of (ranks, line).  Lines that start (or end) the output of every rank alike
    are shown once for all ranks; in between, ranks whose remaining output is identical are
    shown once as a group, groups in the order of their lowest rank.
    """
    lines = []
    for text in outputs:
        split = text.split('\n')
        if split and split[-1] == '':
            split.pop()
        lines.append(split)
    everyone = list(range(len(outputs)))
    shortest = min(len(ls) for ls in lines)
    head = 0
    while head < shortest and all(ls[head] == lines[0][head] for ls in lines):
        head += 1
    tail = 0
    while tail < shortest - head and all(ls[-1 - tail] == lines[0][-1 - tail] for ls in lines):
        tail += 1
    shown = [(everyone, line) for line in lines[0][:head]]
    groups = {}
    for rank, ls in enumerate(lines):
        groups.setdefault(tuple(ls[head:len(ls) - tail]), []).append(rank)
    for middle, ranks in groups.items():   # dicts keep insertion order: lowest rank first
        shown.extend((ranks, line) for line in middle)
    shown.extend((everyone, line) for line in lines[0][len(lines[0]) - tail:])
    return shown


def format_output(outputs):
    """The text rank 0 shows for the outputs of all ranks: '[ranks] line' lines."""
    return ''.join(f'{_rank_label(ranks)} {line}\n' for ranks, line in group_output(outputs))


class _Capture:
    """Send everything a rank writes to its stdout and stderr (Python objects and file
    descriptors 1 and 2, so C code and child processes too) into one temporary file."""

    def __init__(self):
        self.file = tempfile.TemporaryFile()
        self.fd = self.file.fileno()

    def __enter__(self):
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os.ftruncate(self.fd, 0)
        os.lseek(self.fd, 0, os.SEEK_SET)
        self.saved_fds = (os.dup(1), os.dup(2))
        os.dup2(self.fd, 1)
        os.dup2(self.fd, 2)
        self.saved = (sys.stdout, sys.stderr)
        # Unbuffered text streams: whatever goes to stdout and stderr lands in program order.
        self.out = io.TextIOWrapper(io.FileIO(1, 'w', closefd=False), encoding='utf-8',
                                    errors='backslashreplace', write_through=True)
        self.err = io.TextIOWrapper(io.FileIO(2, 'w', closefd=False), encoding='utf-8',
                                    errors='backslashreplace', write_through=True)
        sys.stdout, sys.stderr = self.out, self.err
        return self

    def __exit__(self, *exc):
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        # A statement that rebinds sys.stdout/sys.stderr keeps its choice.
        if sys.stdout is self.out:
            sys.stdout = self.saved[0]
        if sys.stderr is self.err:
            sys.stderr = self.saved[1]
        os.dup2(self.saved_fds[0], 1)
        os.dup2(self.saved_fds[1], 2)
        os.close(self.saved_fds[0])
        os.close(self.saved_fds[1])
        return False

    def text(self):
        os.lseek(self.fd, 0, os.SEEK_SET)
        chunks = []
        while True:
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
        return b''.join(chunks).decode('utf-8', 'replace')


def _proc_stat(pid):
    """Fields of /proc/PID/stat after the command name: [state, ppid, pgrp, session,
    tty_nr, tpgid, ...]."""
    with open(f'/proc/{pid}/stat', 'rb') as f:
        stat = f.read()
    return stat[stat.rindex(b')') + 2:].split()


def _find_terminal():
    """The terminal the user types into, when rank 0's input comes from it.

    Returns (fd open on the terminal, its path, pid of the process that reads it for us or
    None), or
    None.  Either rank 0's own stdin is a terminal, or it is a pipe from the proxy of an
    ``mpiexec`` (``mpirun``) whose stdin is a terminal where that mpiexec is the foreground
    job.
    """
    if os.isatty(0):
        return os.dup(0), os.ttyname(0), None
    try:
        pid = os.getppid()
        for _ in range(3):
            if pid <= 1:
                return None
            with open(f'/proc/{pid}/comm') as f:
                name = f.read().strip()
            if name.startswith(('mpiexec', 'mpirun')):
                link = os.readlink(f'/proc/{pid}/fd/0')
                if not link.startswith('/dev/'):
                    return None
                stat = _proc_stat(pid)
                if stat[2] != stat[5]:      # mpiexec is not the terminal's foreground job
                    return None
                fd = os.open(link, os.O_RDWR | os.O_NOCTTY)
                if os.isatty(fd):
                    return fd, link, pid
                os.close(fd)
                return None
            pid = int(_proc_stat(pid)[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


class _Terminal:
    """Rank 0's terminal: its modes, a watchdog that restores them, and a readline editor
    reading the keystrokes from fd 0 (where mpiexec forwards them)."""

    def __init__(self, fd, path, reader_pid):
        import termios
        self.termios = termios
        self.fd = fd
        self.path = path
        self.reader_pid = reader_pid      # mpiexec, or None when fd 0 is the terminal itself
        self.saved = termios.tcgetattr(fd)
        self.out = open(os.dup(fd), 'w', encoding='utf-8', errors='backslashreplace')
        self.pending = bytearray()        # keystrokes read but not yet given to readline
        self.eof = False
        self.watchdog = self._start_watchdog()
        self.set_keys_mode()
        self.rl = None
        try:
            self.rl = _Readline(self)
        except Exception:
            if os.environ.get('PYTHON_MPI_CONSOLE_DEBUG'):
                traceback.print_exc()
            self.rl = None

    def _start_watchdog(self):
        """A small shell, in a session of its own, that puts the terminal back as it was
        unless rank 0 says 'ok' before exiting (rank 0 may be killed by an MPI abort)."""
        import subprocess
        script = 's=$(stty -g <"$1") || exit 0; echo ready; IFS= read -r x; ' \
                 '[ "$x" = ok ] || stty "$s" <"$1"'
        try:
            proc = subprocess.Popen(['/bin/sh', '-c', script, 'sh', self.path],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, start_new_session=True,
                                    env={'PATH': '/usr/bin:/bin'})
            if proc.stdout.readline() == b'ready\n':
                return proc
            proc.wait()
        except OSError:
            pass
        return None

    def set_keys_mode(self):
        """Keystrokes one by one, no echo, Ctrl-C and Ctrl-\\ as plain characters."""
        t = self.termios
        mode = t.tcgetattr(self.fd)
        mode[3] &= ~(t.ICANON | t.ECHO | t.ISIG | t.IEXTEN)
        mode[6][t.VMIN] = 1
        mode[6][t.VTIME] = 0
        t.tcsetattr(self.fd, t.TCSANOW, mode)

    def restore(self):
        try:
            self.termios.tcsetattr(self.fd, self.termios.TCSANOW, self.saved)
        except Exception:
            pass

    def close(self):
        if self.rl is not None:
            self.rl.close()
        self.restore()
        if self.watchdog is not None:
            try:
                self.watchdog.stdin.write(b'ok\n')
                self.watchdog.stdin.close()
                self.watchdog.wait(5)
            except Exception:
                pass
        try:
            self.out.close()
        except Exception:
            pass
        os.close(self.fd)

    def write(self, text):
        self.out.write(text)
        self.out.flush()

    def fill(self):
        """Block until some keystrokes came (or end of input)."""
        if self.pending or self.eof:
            return
        data = os.read(0, 4096)
        if data:
            self.pending += data
        else:
            self.eof = True

    def readline(self, prompt):
        """One line typed at the prompt; None at end of input; raises KeyboardInterrupt
        for Ctrl-C."""
        if self.rl is not None:
            return self.rl.readline(prompt)
        return self._plain_readline(prompt)

    def _plain_readline(self, prompt):
        """Without readline: echo, backspace, Ctrl-U, Ctrl-C, Ctrl-D."""
        self.write(prompt)
        line = bytearray()
        while True:
            self.fill()
            if not self.pending:
                if line:
                    self.write('\n')
                    return line.decode('utf-8', 'replace')
                return None
            c = self.pending.pop(0)
            if c in (0x0a, 0x0d):
                self.write('\n')
                return line.decode('utf-8', 'replace')
            if c == _CTRL_C:
                self.write('^C\n')
                raise KeyboardInterrupt
            if c == 0x04 and not line:
                return None
            if c in (0x7f, 0x08):
                if line:
                    while line and (line.pop() & 0xC0) == 0x80:
                        pass
                    self.write('\b \b')
            elif c == 0x15:
                self.write('\r\x1b[K' + prompt)
                line.clear()
            elif c >= 0x20 or c == 0x09:
                line.append(c)
                os.write(self.fd, bytes([c]))


class _Readline:
    """GNU readline's callback interface, through ctypes, on the keystrokes of _Terminal.

    Python's readline module only edits lines read from a terminal on fd 0; here fd 0 is a
    pipe, so this drives the same library (history and completion are shared with the
    readline module) with our own getc: readline reads keys from the terminal's pending
    buffer and draws on the terminal.
    """

    def __init__(self, term):
        import ctypes
        import readline
        self.ct = ctypes
        self.rlmod = readline
        self.term = term
        path = None
        with open('/proc/self/maps') as f:
            for line in f:
                if 'libreadline' in line:
                    path = line.split(None, 5)[-1].strip()
                    break
        if path is None:
            raise OSError('GNU readline is not loaded')
        lib = self.lib = ctypes.CDLL(path)
        libc = ctypes.CDLL(None)
        libc.fdopen.restype = ctypes.c_void_p
        libc.fdopen.argtypes = [ctypes.c_int, ctypes.c_char_p]
        libc.setvbuf.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_size_t]
        libc.free.argtypes = [ctypes.c_void_p]
        self.libc = libc
        self.handler_type = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
        lib.rl_callback_handler_install.argtypes = [ctypes.c_char_p, self.handler_type]
        lib.rl_callback_read_char.argtypes = []
        lib.rl_callback_handler_remove.argtypes = []
        lib.rl_set_screen_size.argtypes = [ctypes.c_int, ctypes.c_int]
        lib.rl_bind_key.argtypes = [ctypes.c_int, ctypes.c_void_p]

        def var(kind, name):
            return kind.in_dll(lib, name)

        self.vars = {name: var(ctypes.c_void_p, name) for name in (
            'rl_instream', 'rl_outstream', 'rl_getc_function', 'rl_input_available_hook',
            'rl_prep_term_function', 'rl_deprep_term_function')}
        self.saved = {name: v.value for name, v in self.vars.items()}
        self.rl_done = var(ctypes.c_int, 'rl_done')
        self.rl_point = var(ctypes.c_int, 'rl_point')
        self.rl_end = var(ctypes.c_int, 'rl_end')
        self.echoing = var(ctypes.c_int, '_rl_echoing_p')
        self.saved_echoing = self.echoing.value
        try:
            var(ctypes.c_int, 'rl_change_environment').value = 0
        except ValueError:
            pass
        # readline must not read the pipe itself nor touch its modes: its input stream is a
        # pipe of ours that never has data, its output stream the terminal.
        self.dummy_r, self.dummy_w = os.pipe()
        self.instream = libc.fdopen(self.dummy_r, b'r')
        self.outstream = libc.fdopen(os.dup(term.fd), b'w')
        libc.setvbuf(self.outstream, None, 2, 0)    # _IONBF
        self.callbacks = [
            ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)(self._getc),
            ctypes.CFUNCTYPE(ctypes.c_int)(self._input_available),
            ctypes.CFUNCTYPE(None, ctypes.c_int)(lambda meta: None),
            ctypes.CFUNCTYPE(None)(lambda: None),
        ]
        self.c_handler = self.handler_type(self._on_line)
        self.c_interrupt = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int)(
            self._on_ctrl_c)
        self.installed = False
        self.screen = None

    def _install(self):
        ct = self.ct
        v = self.vars
        v['rl_instream'].value = self.instream
        v['rl_outstream'].value = self.outstream
        for name, cb in zip(('rl_getc_function', 'rl_input_available_hook',
                             'rl_prep_term_function', 'rl_deprep_term_function'),
                            self.callbacks):
            v[name].value = ct.cast(cb, ct.c_void_p).value
        self.echoing.value = 1
        self.lib.rl_bind_key(_CTRL_C, ct.cast(self.c_interrupt, ct.c_void_p).value)
        try:
            size = os.get_terminal_size(self.term.fd)
            if size != self.screen:
                self.lib.rl_set_screen_size(size.lines, size.columns)
                self.screen = size
        except OSError:
            pass

    def _uninstall(self):
        for name, value in self.saved.items():
            self.vars[name].value = value
        self.echoing.value = self.saved_echoing

    def close(self):
        self._uninstall()

    def _getc(self, stream):
        try:
            self.term.fill()
        except BaseException:
            return _CTRL_C
        if not self.term.pending:
            return -1                       # EOF
        return self.term.pending.pop(0)

    def _input_available(self):
        return 1 if self.term.pending else 0

    def _on_line(self, ptr):
        self.lib.rl_callback_handler_remove()     # or readline shows the prompt again
        if ptr:
            self.line = self.ct.string_at(ptr).decode('utf-8', 'replace')
            self.libc.free(ptr)
        else:
            self.line = None
        self.done = True

    def _on_ctrl_c(self, count, key):
        self.cancelled = True
        self.rl_point.value = self.rl_end.value
        self.lib.rl_redisplay()
        self.rl_done.value = 1
        return 0

    def readline(self, prompt):
        self.line = None
        self.done = False
        self.cancelled = False
        self._install()
        self.lib.rl_callback_handler_install(prompt.encode('utf-8'), self.c_handler)
        try:
            while not self.done:
                self.term.fill()
                self.lib.rl_callback_read_char()
                if self.term.eof and not self.term.pending and not self.done:
                    # readline turned EOF on a non-empty line into Return; once more is EOF.
                    self.lib.rl_callback_read_char()
                    if not self.done:
                        self.line, self.done = None, True
        finally:
            self.lib.rl_callback_handler_remove()
            self._uninstall()
        if self.cancelled:
            self.term.write('^C\n')
            raise KeyboardInterrupt
        line = self.line
        if line is not None:
            rlmod = self.rlmod
            n = rlmod.get_current_history_length()
            if line.strip() and (n == 0 or rlmod.get_history_item(n) != line):
                rlmod.add_history(line)
        return line


class Console:
    """One rank's side of the parallel console."""

    def __init__(self, comm, namespace):
        self.comm = comm                  # the console's own communicator
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self.ns = namespace
        self.interp = code.InteractiveInterpreter(namespace)
        self.compiler = codeop.CommandCompiler()  # keeps __future__ flags, like the REPL
        self.capture = _Capture()
        self.interrupted_at = None        # rank 0: time of the last Ctrl-C of a statement
        self.term = None
        self.interactive = False
        self.watch = None
        self.state = None                 # rank 0: 'prompt', 'collect' or None
        self.places = []                  # rank 0: (host, pid) of every rank
        self.results = []                 # rank 0: outputs collected so far
        self.forwarded = False
        self.reported = False
        self.polls = hasattr(comm, 'iprobe') or hasattr(comm, 'Iprobe')

    # -- transport ------------------------------------------------------------------------

    def _probe(self, source, tag):
        if hasattr(self.comm, 'iprobe'):
            return self.comm.iprobe(source=source, tag=tag)
        return self.comm.Iprobe(source=source, tag=tag)

    def _wait_message(self, source, tag, idle=None):
        """Wait for a message without spinning in MPI (waiting ranks sleep, and Python signal
        handlers run).  idle() is called between polls."""
        if not self.polls:
            return
        delay = 0.0
        while not self._probe(source, tag):
            if idle is not None:
                idle()
            if delay:
                time.sleep(delay)
            delay = min(0.05, delay * 1.5 if delay else 0.0005)

    def post(self, cmd):
        for r in range(1, self.size):
            self.comm.send(cmd, dest=r, tag=_TAG_CMD)

    def next_command(self):
        self._wait_message(0, _TAG_CMD)
        return self.comm.recv(source=0, tag=_TAG_CMD)

    # -- running statements ---------------------------------------------------------------

    def _on_sigint(self, signum, frame):
        """SIGINT outside user code: cancels the line at the prompt, marks the time of the
        interrupt while rank 0 collects the outputs, is ignored otherwise."""
        if self.rank == 0 and self.state == 'prompt':
            raise KeyboardInterrupt
        if self.rank == 0 and self.state == 'collect':
            self.interrupted_at = time.monotonic()
            self.reported = False

    def run(self, cmd):
        """Run a statement (or a file) here; return (output, exit status or None)."""
        status = None
        stdin = sys.stdin
        with self.capture:
            if self.term is not None:
                sys.stdin = io.StringIO()     # the terminal's keys are for the console
            try:
                status = self._run(cmd)
            except KeyboardInterrupt:         # a signal just outside the user's code
                sys.stderr.write('KeyboardInterrupt\n')
            finally:
                if sys.stdin is not stdin and isinstance(sys.stdin, io.StringIO):
                    sys.stdin = stdin
        return self.capture.text(), status

    def _compile_statement(self, source):
        """Compile one statement of the console like the REPL does (keeping __future__
        flags); a SyntaxError is the one the REPL would show."""
        try:
            compiled = self.compiler(source, '<stdin>', 'single')
            if compiled is not None:
                return compiled
        except SyntaxError as e:
            if 'incomplete input' not in str(e):
                raise
        # A block left unfinished at end of input, or the 'incomplete input' of codeop in
        # Python 3.11.2 (its REPL says 'invalid syntax'): compile the text as it is.
        flags = self.compiler.compiler.flags & ~(
            codeop.PyCF_DONT_IMPLY_DEDENT | getattr(codeop, 'PyCF_ALLOW_INCOMPLETE_INPUT', 0))
        return compile(source, '<stdin>', 'single', flags, True)

    def _run(self, cmd):
        kind, arg = cmd
        filename = arg if kind == 'file' else '<stdin>'
        try:
            if kind == 'file':
                with open(arg, 'rb') as f:
                    compiled = compile(f.read(), arg, 'exec')
            else:
                compiled = self._compile_statement(arg)
        except (OverflowError, SyntaxError, ValueError):
            self.interp.showsyntaxerror(filename)
            return None
        # While user code runs, SIGINT is Python's own KeyboardInterrupt (no console frame
        # in the traceback); a handler the statement installs is replaced afterwards.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            exec(compiled, self.ns)
        except SystemExit as e:
            return _exit_status(e)
        except BaseException:
            self.interp.showtraceback()
        finally:
            signal.signal(signal.SIGINT, self._on_sigint)
        return None

    # -- rank 0 ---------------------------------------------------------------------------

    def write(self, text):
        if not text:
            return
        if self.term is not None:
            self.term.write(text)
        else:
            sys.stdout.write(text)
            sys.stdout.flush()

    def read_line(self, prompt):
        if self.term is not None:
            return self.term.readline(prompt)
        if self.interactive:
            self.write(prompt)
        if sys.stdin is None or sys.stdin.closed:
            return None
        line = sys.stdin.readline()
        if not line:
            return None
        return line[:-1] if line.endswith('\n') else line

    def read_statement(self):
        """The next complete statement, by the rules of the REPL; None at end of input."""
        lines = []
        while True:
            prompt = str(getattr(sys, 'ps2' if lines else 'ps1', '... ' if lines else '>>> '))
            self.state = 'prompt'
            try:
                line = self.read_line(prompt)
            except KeyboardInterrupt:
                self.state = None
                if self.term is None and self.interactive:
                    self.write('\n')
                self.write('KeyboardInterrupt\n')
                lines = []
                continue
            finally:
                self.state = None
            if line is None:
                if self.interactive:
                    self.write('\n')
                # Like the REPL, end of input completes a pending block.
                return '\n'.join(lines) + '\n' if lines else None
            lines.append(line)
            if all(not ln.strip() or ln.lstrip().startswith('#') for ln in lines):
                lines = []      # nothing to run, like the REPL
                continue
            source = '\n'.join(lines)
            try:
                if codeop.compile_command(source, '<stdin>', 'single') is None:
                    continue
            except (OverflowError, SyntaxError, ValueError):
                pass    # every rank compiles it and shows the error
            return source

    def collect(self, mine):
        """Rank 0: the results of every rank for the statement that just ran."""
        results = self.results = [mine] + [None] * (self.size - 1)
        self.state = 'collect'
        try:
            for r in range(1, self.size):
                self._wait_message(r, _TAG_RESULT, idle=lambda: self._check_stuck(results))
                results[r] = self.comm.recv(source=r, tag=_TAG_RESULT)
        finally:
            self.state = None
        return results

    def _check_stuck(self, results):
        if self.term is not None:
            return              # the key watcher reports
        if self.interrupted_at is None or self.reported:
            return
        if time.monotonic() - self.interrupted_at < _GRACE:
            return
        self.reported = True
        stuck = [r for r, res in enumerate(results) if res is None]
        how = ('Ctrl-C interrupts them again, Ctrl-\\ aborts the job' if self.term is not None
               else 'a second Ctrl-C makes mpiexec abort the job')
        self.write(f'[console] rank{"s" if len(stuck) > 1 else ""} '
                   f'{_rank_label(stuck)[1:-1]} did not stop after Ctrl-C '
                   f'(blocked, e.g. in MPI); still waiting: {how}\n')

    def serve_statement(self, cmd):
        """Rank 0: run cmd everywhere, show the outputs; return the exit status or None."""
        self.post(cmd)
        self.interrupted_at = None
        self.reported = False
        if self.term is not None:
            self.watch = _KeyWatcher(self)
        try:
            mine = self.run(cmd)
            if self.watch is not None:
                self.watch.phase = 'collect'
            results = self.collect(mine)
        finally:
            if self.watch is not None:
                self.watch.stop()
                self.watch = None
        self.write(format_output([out for out, _ in results]))
        for _, status in results:
            if status is not None:
                return status
        return None

    def banner(self):
        if sys.flags.quiet:
            return
        self.write(f'Python {sys.version} on {sys.platform}\n'
                   'Type "help", "copyright", "credits" or "license" for more information.\n'
                   f'Parallel console on {self.size} ranks: every rank runs each statement; '
                   'MPI, comm, rank and size are defined.\n')

    def serve(self, startup):
        """Rank 0's loop; returns the exit status of the session."""
        if startup and self.interactive:
            self.banner()
            path = os.environ.get('PYTHONSTARTUP') if not sys.flags.ignore_environment else None
            if path and os.path.isfile(path):
                status = self.serve_statement(('file', path))
                if status is not None:
                    self.post(('exit', status))
                    return status
        while True:
            source = self.read_statement()
            if source is None:
                self.post(('eof',))
                return 0
            status = self.serve_statement(('run', source))
            if status is not None:
                self.post(('exit', status))
                return status

    def interrupt_all(self):
        """Rank 0: SIGINT to every rank on this host (mpiexec for ranks elsewhere)."""
        host = os.uname().nodename
        remote = False
        for node, pid in self.places:
            if node == host:
                try:
                    os.kill(pid, signal.SIGINT)
                except OSError:
                    pass
            else:
                remote = True
        if remote and self.term.reader_pid and not self.forwarded:
            self.forwarded = True         # mpiexec forwards one SIGINT; a second kills the job
            os.kill(self.term.reader_pid, signal.SIGINT)

    # -- other ranks ----------------------------------------------------------------------

    def follow(self):
        """Loop of the ranks other than 0; returns the exit status of the session."""
        while True:
            cmd = self.next_command()
            if cmd[0] == 'eof':
                return 0
            if cmd[0] == 'exit':
                return cmd[1]
            self.comm.send(self.run(cmd), dest=0, tag=_TAG_RESULT)


class _KeyWatcher:
    """Rank 0, on a terminal, while a statement runs: reads the keys, turns Ctrl-C into
    SIGINT on every rank, keeps other keys for the next prompt, reports rank 0 stuck."""

    def __init__(self, console):
        import threading
        self.console = console
        self.term = console.term
        self.phase = 'exec'
        self.stop_r, self.stop_w = os.pipe()
        self.interrupted_at = None
        self.thread = threading.Thread(target=self._loop, name='console-keys', daemon=True)
        self.thread.start()

    def stop(self):
        os.write(self.stop_w, b'x')
        self.thread.join()
        os.close(self.stop_r)
        os.close(self.stop_w)

    def _loop(self):
        import select
        while True:
            timeout = None
            if self.interrupted_at is not None:
                timeout = max(0.0, self.interrupted_at + _GRACE - time.monotonic())
            ready, _, _ = select.select([0, self.stop_r], [], [], timeout)
            if self.stop_r in ready:
                return
            if not ready:
                self.interrupted_at = None
                if self.phase == 'exec':
                    stuck = [0]
                else:
                    stuck = [r for r, res in enumerate(self.console.results) if res is None]
                if stuck:
                    self.term.write(f'[console] rank{"s" if len(stuck) > 1 else ""} '
                                    f'{_rank_label(stuck)[1:-1]} did not stop after Ctrl-C '
                                    '(blocked, e.g. in MPI): Ctrl-C interrupts again, '
                                    'Ctrl-\\ aborts the job\n')
                continue
            data = os.read(0, 4096)
            if not data:
                self.term.eof = True
                return
            for c in data:
                if c == _CTRL_C:
                    self.term.pending.clear()
                    self.interrupted_at = time.monotonic()
                    self.console.interrupt_all()
                elif c == _CTRL_BACKSLASH:
                    self.term.write('[console] aborting the job\n')
                    self.term.close()
                    from . import MPI
                    MPI.COMM_WORLD.Abort(130)
                else:
                    self.term.pending.append(c)


def _exit_status(exc):
    """The process exit status for SystemExit exc, printing its message like Python does."""
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    sys.stderr.write(f'{code}\n')
    return 1


def _run_program(kind, target):
    """Run the program of 'python -i' in __main__, printing its traceback if it raises."""
    import runpy
    main_ns = sys.modules['__main__'].__dict__
    try:
        if kind == 'command':
            sys.argv[0] = '-c'
            exec(compile(target, '<string>', 'exec'), main_ns)
        elif kind == 'module':
            sys.path[0] = os.getcwd()
            runpy._run_module_as_main(target, alter_argv=True)
        elif os.path.isfile(target) and not target.endswith(('.zip', '.pyz')):
            sys.argv[0] = target
            sys.path[0] = os.path.dirname(os.path.realpath(target))
            with open(target, 'rb') as f:
                source = f.read()
            main_ns['__file__'] = target
            exec(compile(source, target, 'exec'), main_ns)
        else:
            sys.argv[0] = target
            sys.path[0] = target
            main_ns.update(runpy.run_path(target, run_name='__main__'))
    except BaseException:
        # Like 'python -i': show the error (SystemExit included) and go on interactively.
        etype, value, tb = sys.exc_info()
        traceback.print_exception(etype, value, tb.tb_next)
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass


def main(kind=None, target=None):
    """Entry point used by the python-mpi launcher (see the module docstring)."""
    main_module = sys.modules['__main__']
    ns = main_module.__dict__
    if ns.get('_c') is sys.modules.get(__name__):
        del ns['_c']
    if kind is None:
        sys.argv[0] = ''
    else:
        _run_program(kind, target)
    from . import MPI
    world = MPI.COMM_WORLD
    for name, value in (('MPI', MPI), ('comm', world), ('rank', world.Get_rank()),
                        ('size', world.Get_size())):
        ns.setdefault(name, value)
    try:
        comm = world.Dup()
    except (AttributeError, NotImplementedError):
        comm = world
    console = Console(comm, ns)
    status = 0
    old_handler = signal.signal(signal.SIGINT, console._on_sigint)
    try:
        # Who is where (to interrupt ranks with signals) and whether rank 0 has a terminal.
        me = (os.uname().nodename, os.getpid())
        if console.rank == 0:
            found = _find_terminal()
            if found is not None:
                try:
                    console.term = _Terminal(*found)
                except Exception:
                    if os.environ.get('PYTHON_MPI_CONSOLE_DEBUG'):
                        traceback.print_exc()
                    os.close(found[0])
                    console.term = None
            console.interactive = console.term is not None
        places = comm.gather(me, root=0)
        console.interactive = comm.bcast(console.interactive, root=0)
        if console.rank == 0:
            console.places = places
            if console.term is not None and kind is None:
                hook = getattr(sys, '__interactivehook__', None)
                if hook is not None:
                    try:
                        hook()      # readline history (~/.python_history) and completion
                    except Exception:
                        traceback.print_exc()
            status = console.serve(startup=kind is None)
        else:
            status = console.follow()
    finally:
        signal.signal(signal.SIGINT, old_handler)
        if console.term is not None:
            console.term.close()
        if comm is not world:
            try:
                comm.Free()
            except Exception:
                pass
    if status:
        raise SystemExit(status)

