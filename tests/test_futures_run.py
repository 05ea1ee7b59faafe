# ranks: 0
# timeout: 300
"""`python-mpi -m mpi4py.futures`: at one process the executors run the tasks in threads of that
process; with more, rank 0 runs the program and MPICommExecutor and MPIPoolExecutor use the
other ranks (the shared pool, no new split); a failing program aborts the job at once.
Also the command line of mpi4py.futures.server (its serving is in test_futures_spawn.py)."""
import os
import time
import unittest

import mpitest

TARGET = os.path.join(mpitest.SRCDIR, 'tests', 'pkg', 'futures_modes.py')


class TestCommandLine(unittest.TestCase):

    def test_one_process(self):
        out = mpitest.job(1, ['-m', 'mpi4py.futures', TARGET, 'ok'])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.splitlines(), [
            'shared True',
            'comm MPIPoolExecutor 0 True False',    # same process, another thread
            'starmap [32, 9]',
            'pool 0 True False init'])

    def test_two_processes(self):
        out = mpitest.job(2, ['-m', 'mpi4py.futures', TARGET, 'ok'], timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.splitlines(), [
            'shared True',
            'comm MPIPoolExecutor 1 False True',    # rank 1, in its main thread
            'starmap [32, 9]',
            'pool 1 False True init'])

    def test_failure_aborts(self):
        start = time.monotonic()
        out = mpitest.job(2, ['-m', 'mpi4py.futures', TARGET, 'raise'], timeout=120)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn('RuntimeError: failure in the master', out.stderr)
        self.assertLess(time.monotonic() - start, 15)   # not after the 20 queued 1-s tasks

    def test_server_usage(self):
        for args in (['--port', 'x'], ['--info', 'novalue'], ['--service', 's', '--port', '1']):
            out = mpitest.job(1, ['-m', 'mpi4py.futures.server'] + args)
            self.assertEqual(out.returncode, 2, out.stderr)
            self.assertIn('usage:', out.stderr)
        out = mpitest.job(1, ['-m', 'mpi4py.futures.server', '--help'])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn('--bind', out.stdout)


if __name__ == '__main__':
    unittest.main()
