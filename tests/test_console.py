# ranks: 0
# timeout: 300
"""The parallel console with piped input: `mpiexec -n 2|3 python-mpi` reading statements from
stdin; exact grouped output, exceptions, blocks, exit statuses, end of input, Ctrl-C."""
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

PYTHON_MPI = os.environ.get('PYTHON_MPI', './python-mpi')
MPIEXEC = os.environ.get('MPIEXEC', 'mpiexec')
TIMEOUT = 60

TRACEBACK_ZERO = ('Traceback (most recent call last):\n'
                  '  File "<stdin>", line 1, in <module>\n'
                  'ZeroDivisionError: division by zero\n')


def console(n, text, *args, timeout=TIMEOUT):
    """Run `mpiexec -n N python-mpi ARGS` with text on stdin: (status, stdout, stderr)."""
    proc = subprocess.run([MPIEXEC, '-n', str(n), PYTHON_MPI, *args], input=text,
                          capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr


def prefixed(label, text):
    return ''.join(f'{label} {line}\n' for line in text.splitlines())


class TwoRanks(unittest.TestCase):

    def check(self, text, expected, status=0, *args):
        rc, out, err = console(2, text, *args)
        self.assertEqual(out, expected, err)
        self.assertEqual(rc, status, err)
        return err

    def test_values(self):
        self.check('x = rank * 2\nprint(x)\nx + 1\n', '[0] 0\n[1] 2\n[0] 1\n[1] 3\n')

    def test_namespace(self):
        self.check('print(MPI.COMM_WORLD is comm or comm == MPI.COMM_WORLD, size,'
                   ' rank == comm.Get_rank(), __name__)\n'
                   'import sys; print(repr(sys.argv[0]), repr(sys.path[0]))\n'
                   "print(sorted(k for k in globals() if not k.startswith('__')))\n",
                   "[0-1] True 2 True __main__\n[0-1] '' ''\n"
                   "[0-1] ['MPI', 'comm', 'rank', 'size', 'sys']\n")

    def test_grouping(self):
        self.check('print("hello")\n'
                   'print("start"); print(rank); print("end")\n'
                   'None\n'
                   'if rank == 1: print("only one")\n',      # end of input ends the block
                   '[0-1] hello\n[0-1] start\n[0] 0\n[1] 1\n[0-1] end\n[1] only one\n')

    def test_stdout_stderr_and_fd_level_output(self):
        self.check('import sys, os\n'
                   'print("out"); print("err", file=sys.stderr); print(rank)\n'
                   'os.write(1, b"raw %d\\n" % rank); sys.stdout.flush()\n'
                   'print("partial", end="")\n',
                   '[0-1] out\n[0-1] err\n[0] 0\n[1] 1\n'
                   '[0] raw 0\n[1] raw 1\n[0-1] 6\n[0-1] partial\n')

    def test_exception_on_one_rank(self):
        self.check('y = 1 / rank\nprint("next", rank)\n',
                   prefixed('[0]', TRACEBACK_ZERO) + '[0] next 0\n[1] next 1\n')

    def test_syntax_error(self):
        rc, out, err = console(2, '1 +\nprint("ok")\n')
        self.assertTrue(out.startswith('[0-1]   File "<stdin>", line 1\n[0-1]     1 +\n'), out)
        self.assertTrue(out.endswith('[0-1] SyntaxError: invalid syntax\n[0-1] ok\n'), out)
        self.assertEqual(rc, 0, err)

    def test_blocks(self):
        self.check('for i in range(2):\n    print(i + 10 * rank)\n\n'
                   'def f(a):\n    return a * rank\n\n'
                   'f(3)\n'
                   'if rank:\n    print("tail")\n',       # end of input completes the block
                   '[0] 0\n[0] 1\n[1] 10\n[1] 11\n[0] 0\n[1] 3\n[1] tail\n')

    def test_messages_between_ranks(self):
        # Console traffic uses its own communicator: user messages on COMM_WORLD are unaffected.
        self.check('if rank == 0: comm.send({"a": 1}, dest=1, tag=1)\n\n'
                   'if rank == 1: print(comm.recv(source=0, tag=1))\n\n'
                   'print(comm.bcast(rank + 7, root=1))\n',
                   "[1] {'a': 1}\n[0-1] 8\n")

    def test_end_of_input(self):
        self.check('', '')
        self.check('x = 1\n\n\n# a comment\n', '')

    def test_sys_exit(self):
        self.check('print(1)\nimport sys; sys.exit(3)\nprint("not run")\n', '[0-1] 1\n', 3)

    def test_exit_on_one_rank(self):
        self.check('if rank == 1: exit(5)\n\nprint("not run")\n', '', 5)
        # A one-line 'if' is a block: it needs an empty line, like in the REPL.
        self.check('if rank == 1: print(1)\nprint(2)\n',
                   '[0-1]   File "<stdin>", line 2\n[0-1]     print(2)\n[0-1]     ^^^^^\n'
                   '[0-1] SyntaxError: invalid syntax\n')

    def test_exit_zero_and_message(self):
        self.check('exit()\nprint("not run")\n', '')
        self.check('import sys; sys.exit("bye " + str(rank))\n', '[0] bye 0\n[1] bye 1\n', 1)

    def test_inspect_script(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, 'prog.py')
            with open(path, 'w') as f:
                f.write('import sys\ny = 100 + rank if "rank" in dir() else None\n'
                        'from mpi4py import MPI\nz = MPI.COMM_WORLD.Get_rank() + 10\n')
            self.check('import os\nprint(z, os.path.basename(sys.argv[0]), sys.argv[1:], y)\n',
                       "[0] 10 prog.py ['a1'] None\n[1] 11 prog.py ['a1'] None\n", 0,
                       '-i', path, 'a1')

    def test_inspect_command_error(self):
        rc, out, err = console(2, 'print(v)\n', '-i', '-c', 'v = 5\n1/0')
        self.assertEqual(out, '[0-1] 5\n', err)
        self.assertEqual(rc, 0, err)
        self.assertEqual(err.count('ZeroDivisionError: division by zero'), 2, err)

    def test_ctrl_c_interrupts_the_statement(self):
        # Ctrl-C typed at mpiexec: hydra forwards SIGINT to the ranks (once per job).
        proc = subprocess.Popen([MPIEXEC, '-n', '2', PYTHON_MPI], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            proc.stdin.write('print("ready")\n')
            proc.stdin.flush()
            self.assertEqual(proc.stdout.readline(), '[0-1] ready\n')
            proc.stdin.write('import time; time.sleep(100)\n')
            proc.stdin.flush()
            time.sleep(1.5)
            proc.send_signal(signal.SIGINT)
            proc.stdin.write('print("after", rank)\n')
            proc.stdin.close()
            out = proc.stdout.read()
            proc.wait(TIMEOUT)
            # hydra's own notice ('Sending Ctrl-C to processes as requested') is on stdout.
            out = ''.join(line for line in out.splitlines(True)
                          if not line.startswith('[mpiexec@'))
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            proc.stderr.close()
        self.assertEqual(out, '[0-1] Traceback (most recent call last):\n'
                              '[0-1]   File "<stdin>", line 1, in <module>\n'
                              '[0-1] KeyboardInterrupt\n'
                              '[0] after 0\n[1] after 1\n')
        self.assertEqual(proc.returncode, 0)


class ThreeRanks(unittest.TestCase):

    def test_issue_example(self):
        rc, out, err = console(3, 'x = rank * 2\nprint(x)\n')
        self.assertEqual(out, '[0] 0\n[1] 2\n[2] 4\n', err)
        self.assertEqual(rc, 0, err)

    def test_session(self):
        text = textwrap.dedent('''\
            print("hello")
            x = 1 / (rank - 1)
            for i in range(2):
                if rank != 1:
                    print(i)

            print(rank % 2)
            import sys
            sys.exit(3)
            print("not run")
            ''')
        rc, out, err = console(3, text)
        self.assertEqual(out, '[0-2] hello\n' + prefixed('[1]', TRACEBACK_ZERO) +
                         '[0,2] 0\n[0,2] 1\n[0,2] 0\n[1] 1\n', err)
        self.assertEqual(rc, 3, err)


class OneRank(unittest.TestCase):

    def test_like_python3(self):
        # One rank: no console, stdin is read as a script exactly like python3 does.
        text = 'x = 2\nfor i in range(2):\n    print(i)\nprint(x)\n'
        rc, out, err = console(1, text)
        ref = subprocess.run(['/usr/bin/python3.11'], input=text, capture_output=True,
                             text=True, timeout=TIMEOUT)
        self.assertEqual((rc, out), (ref.returncode, ref.stdout), err)
        self.assertEqual(out, '0\n1\n2\n')


class Grouping(unittest.TestCase):
    """The grouping of outputs, without MPI (mpi4py._console imports nothing of MPI)."""

    @classmethod
    def setUpClass(cls):
        src = os.environ.get('SRCDIR', '.')
        sys.path.insert(0, os.path.join(src, 'lib', 'python'))
        from mpi4py import _console
        cls.fmt = staticmethod(_console.format_output)
        cls.label = staticmethod(_console._rank_label)

    def test_labels(self):
        self.assertEqual(self.label([0, 1, 2]), '[0-2]')
        self.assertEqual(self.label([0, 2, 3, 4, 7]), '[0,2-4,7]')
        self.assertEqual(self.label([5]), '[5]')

    def test_format(self):
        self.assertEqual(self.fmt(['a\n', 'a\n', 'a\n']), '[0-2] a\n')
        self.assertEqual(self.fmt(['', '', '']), '')
        self.assertEqual(self.fmt(['x\n0\ny\n', 'x\n1\ny\n', 'x\n0\ny\n']),
                         '[0-2] x\n[0,2] 0\n[1] 1\n[0-2] y\n')
        self.assertEqual(self.fmt(['', 'e\n']), '[1] e\n')
        self.assertEqual(self.fmt(['no newline', 'no newline']), '[0-1] no newline\n')


if __name__ == '__main__':
    unittest.main(verbosity=2)
