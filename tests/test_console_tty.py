# ranks: 0
# timeout: 240
"""The parallel console in a real terminal: `mpiexec -n 2 python-mpi` runs on a pseudo-terminal
(Python's pty), the test types at the prompt (keys, arrows, Ctrl-C, Ctrl-D) and reads what the
terminal shows."""
import fcntl
import os
import pty
import re
import select
import signal
import struct
import tempfile
import termios
import time
import unittest

PYTHON_MPI = os.environ.get('PYTHON_MPI', './python-mpi')
MPIEXEC = os.environ.get('MPIEXEC', 'mpiexec')
TIMEOUT = 30

ANSI = re.compile(rb'\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\r')


class Session:
    """mpiexec on a pseudo-terminal; .screen is what it printed, escape sequences removed."""

    def __init__(self, n=2, *args, env=None):
        self.home = tempfile.TemporaryDirectory()
        environ = dict(os.environ, TERM='xterm', HOME=self.home.name, **(env or {}))
        environ.pop('PYTHONSTARTUP', None)
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                os.execvpe(MPIEXEC, [MPIEXEC, '-n', str(n), PYTHON_MPI, *args], environ)
            finally:
                os._exit(127)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack('HHHH', 40, 200, 0, 0))
        self.raw = b''
        self.seen = 0       # expect() searches the screen after this offset
        self.status = None

    @property
    def screen(self):
        return ANSI.sub(b'', self.raw).decode('utf-8', 'replace')

    def read(self, timeout):
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if ready:
            try:
                data = os.read(self.fd, 65536)
            except OSError:         # EIO: the other side is closed
                data = b''
            self.raw += data
            return bool(data)
        return True

    def expect(self, text, timeout=TIMEOUT):
        """Wait until text appears on the screen (after what earlier expects matched)."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen
            i = screen.find(text, self.seen)
            if i >= 0:
                self.seen = i + len(text)
                return screen
            left = deadline - time.monotonic()
            if left <= 0 or not self.read(min(left, 0.5)):
                raise AssertionError(f'{text!r} not shown; the screen is:\n{screen}')

    def type(self, keys):
        os.write(self.fd, keys.encode() if isinstance(keys, str) else keys)

    def wait(self, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.read(0.2)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(status)
                return self.status
        raise AssertionError(f'mpiexec did not end; the screen is:\n{self.screen}')

    def modes(self):
        return termios.tcgetattr(self.fd)[3]

    def close(self):
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
        os.close(self.fd)
        self.home.cleanup()


class Terminal(unittest.TestCase):

    def session(self, *args, **kw):
        s = Session(2, *args, **kw)
        self.addCleanup(s.close)
        return s

    def test_session(self):
        s = self.session()
        s.expect('Parallel console on 2 ranks')
        s.expect('>>> ')
        s.type('x = rank + 40\r')
        s.expect('>>> ')
        s.type('print(x)\r')
        s.expect('[0] 40\n[1] 41\n>>> ')
        # A block: continuation prompt, ended by an empty line.
        s.type('for i in range(2):\r')
        s.expect('... ')
        s.type('    print(i)\r')
        s.expect('... ')
        s.type('\r')
        s.expect('[0-1] 0\n[0-1] 1\n>>> ')
        # Line editing: Left arrow, Ctrl-A, Ctrl-E; then history with Up.
        s.type('rint(2)\x1b[D3\x01p\x05\r')
        s.expect('[0-1] 23\n>>> ')
        s.type('\x1b[A')
        s.expect('print(23)')
        s.type('\r')
        s.expect('[0-1] 23\n>>> ')
        # An exception on one rank; the console goes on.
        s.type('1 / rank\r')
        s.expect('[0] Traceback (most recent call last):\n[0]   File "<stdin>", line 1, '
                 'in <module>\n[0] ZeroDivisionError: division by zero\n[1] 1.0\n>>> ')
        # Ctrl-C at the prompt cancels the line.
        s.type('print("no")\x03')
        s.expect('^C\nKeyboardInterrupt\n>>> ')
        # Ctrl-C while a statement runs interrupts it on every rank, as often as needed
        # (hydra's mpiexec would kill the job on its second SIGINT).
        for statement in ('import time; time.sleep(100)\r', 'while True: pass\r\r'):
            s.type(statement)
            time.sleep(1.5)
            s.type('\x03')
            s.expect('[0-1] Traceback (most recent call last):\n'
                     '[0-1]   File "<stdin>", line 1, in <module>\n'
                     '[0-1] KeyboardInterrupt\n>>> ')
        # Keys typed while a statement runs are kept for the next prompt.
        s.type('time.sleep(1)\r')
        s.type('print("typed ahead")\r')
        s.expect('[0-1] typed ahead\n>>> ')
        self.assertNotIn('Sending Ctrl-C', s.screen)
        # The terminal is in the console's mode now; Ctrl-D ends the session with status 0
        # and puts it back.
        self.assertFalse(s.modes() & termios.ICANON)
        s.type('\x04')
        self.assertEqual(s.wait(), 0, s.screen)
        modes = s.modes()
        self.assertTrue(modes & termios.ICANON and modes & termios.ECHO and
                        modes & termios.ISIG)

    def test_exit_status(self):
        s = self.session('-q')
        s.expect('>>> ')
        self.assertNotIn('Parallel console', s.screen)      # -q: no banner
        s.type('if rank == 1:\r')
        s.expect('... ')
        s.type('    exit(3)\r\r')
        self.assertEqual(s.wait(), 3, s.screen)
        self.assertTrue(s.modes() & termios.ICANON)

    def test_stuck_rank(self):
        s = self.session('-q')
        s.expect('>>> ')
        s.type('if rank == 1: comm.recv(source=0, tag=77)\r\r')
        time.sleep(1)
        s.type('\x03')
        screen = s.expect('did not stop after Ctrl-C', timeout=15)
        stuck = screen.rsplit('[console]', 1)[1]
        if 'rank 1 did not stop' in stuck:
            # recv is blocked in MPI: Ctrl-\ aborts the job, the terminal is put back.
            s.type('\x1c')
            self.assertNotEqual(s.wait(), 0)
            self.assertTrue(s.modes() & termios.ISIG)
        else:
            self.fail(screen)

    def test_inspect_script(self):
        with tempfile.NamedTemporaryFile('w', suffix='.py') as f:
            f.write('value = 7 * (1 + __import__("mpi4py.MPI").MPI.COMM_WORLD.Get_rank())\n')
            f.flush()
            s = self.session('-i', f.name)
            s.expect('>>> ')
            s.type('value\r')
            s.expect('[0] 7\n[1] 14\n>>> ')
            s.type('\x04')
            self.assertEqual(s.wait(), 0, s.screen)


if __name__ == '__main__':
    unittest.main(verbosity=2)
