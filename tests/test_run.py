# ranks: 0
# timeout: 300
"""python -m mpi4py (mpi4py.run): targets, sys.argv and __name__, usage
errors, and aborting the job on unhandled exceptions and non-zero exits."""
import os
import unittest

import mpitest

TARGET = os.path.join(mpitest.SRCDIR, 'tests', 'pkg', 'run_target.py')


def lines(text):
    return sorted(line for line in text.splitlines() if line.startswith('rank='))


class TestTargets(unittest.TestCase):

    def test_futures_world(self):
        # mpiexec -n 2 python-mpi -m mpi4py.futures: rank 0 runs the program, rank 1 is a worker
        script = os.path.join(mpitest.SRCDIR, 'tests', 'pkg', 'futures_target.py')
        out = mpitest.job(2, ['-m', 'mpi4py.futures', script])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.splitlines(), ['[0, 1, 4, 9, 16]'])

    def test_pyfile(self):
        out = mpitest.job(2, ['-m', 'mpi4py', TARGET, 'ok', '-x'])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(lines(out.stdout), [
            "rank=0 name=__main__ argv=['ok', '-x']",
            "rank=1 name=__main__ argv=['ok', '-x']"])

    def test_module(self):
        out = mpitest.job(2, ['-m', 'mpi4py', '-m', 'mpi4py.bench',
                              'helloworld'])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(len(out.stdout.splitlines()), 2)
        self.assertTrue(out.stdout.startswith('Hello, World! I am process 0 of 2 on '))

    def test_command(self):
        code = ('import sys; from mpi4py import MPI; '
                'print(MPI.COMM_WORLD.Get_rank(), __name__, sys.argv)')
        out = mpitest.job(2, ['-m', 'mpi4py', '-c', code, 'a', 'b'])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(sorted(out.stdout.splitlines()), [
            "0 __main__ ['-c', 'a', 'b']", "1 __main__ ['-c', 'a', 'b']"])

    def test_stdin(self):
        code = 'import sys; print("stdin", __name__, sys.argv)\n'
        out = mpitest.job(1, ['-m', 'mpi4py', '-', 'x'], input=code)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), "stdin __main__ ['-', 'x']")

    def test_rc_option(self):
        code = 'import mpi4py; print(mpi4py.rc.thread_level, mpi4py.rc.finalize)'
        out = mpitest.job(1, ['-m', 'mpi4py', '-rc',
                              'thread_level=serialized,finalize=false',
                              '-c', code])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), 'serialized False')


class TestCommandLine(unittest.TestCase):

    def test_help(self):
        out = mpitest.job(1, ['-m', 'mpi4py', '--help'])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn('usage:', out.stdout)
        self.assertIn('-rc', out.stdout)

    def test_version(self):
        out = mpitest.job(1, ['-m', 'mpi4py', '--version'])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), 'mpi4py 3.1.0')

    def test_usage_errors(self):
        for args in ([], ['-m'], ['-c'], ['--bogus'], ['-rc'],
                     ['-rc', 'thread_level=bogus', '-c', 'pass'],
                     ['-rc', 'nosuch=1', '-c', 'pass']):
            out = mpitest.job(1, ['-m', 'mpi4py'] + args)
            self.assertEqual(out.returncode, 2, (args, out.stderr))
            self.assertIn('usage:', out.stderr)
            self.assertIn('error:', out.stderr)


class TestAbort(unittest.TestCase):

    def test_exception_aborts_job(self):
        # Without the abort, rank 1 would wait forever (the job timeout).
        out = mpitest.job(2, ['-m', 'mpi4py', TARGET, 'raise'], timeout=60)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn('ZeroDivisionError: failure on rank 0', out.stderr)
        self.assertIn('Traceback', out.stderr)

    def test_exit_status(self):
        out = mpitest.job(2, ['-m', 'mpi4py', TARGET, 'exit', '3'], timeout=60)
        self.assertNotEqual(out.returncode, 0)
        out = mpitest.job(2, ['-m', 'mpi4py', TARGET, 'exit', '0'], timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)

    def test_single_process_status(self):
        out = mpitest.job(1, ['-m', 'mpi4py', TARGET, 'exit', '5'])
        self.assertEqual(out.returncode, 5)
        out = mpitest.job(1, ['-m', 'mpi4py', '-c', '1/0'])
        self.assertEqual(out.returncode, 1)
        self.assertIn('ZeroDivisionError', out.stderr)

    def test_set_abort_status_records(self):
        code = ('import mpi4py.run as r; r.set_abort_status(None); '
                'print(r._abort_status); r.set_abort_status("msg"); '
                'print(r._abort_status); r.set_abort_status(0)')
        out = mpitest.job(1, ['-c', code])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.split(), ['0', '1'])


if __name__ == '__main__':
    unittest.main()
