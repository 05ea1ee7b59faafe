# ranks: 0
# timeout: 300
"""The bad-input sweep's short form (tests/sweep/sweep.py, every 23rd case): no crash and no
unexplained hang; and the exit path with windows the program left open."""
import os
import subprocess
import sys
import unittest

import mpitest

HERE = os.path.dirname(os.path.abspath(__file__))


class TestSweep(unittest.TestCase):

    def test_short_sweep(self):
        p = subprocess.run([sys.executable, os.path.join(HERE, 'sweep', 'sweep.py'), '--hang', '5',
                            '--python-mpi', mpitest.PYTHON_MPI], capture_output=True, text=True,
                           timeout=280)
        summary = [l for l in p.stdout.splitlines() if l.startswith('sweep:')]
        self.assertEqual(p.returncode, 0, p.stdout[-3000:] + p.stderr[-2000:])
        self.assertRegex(summary[-1], r'^sweep: \d+ cases, 0 crashes, 0 unexplained hangs')


class TestWindowsAtExit(unittest.TestCase):

    def run_code(self, code, nprocs=1):
        return mpitest.job(nprocs, ['-c', 'from mpi4py import MPI\n' + code], timeout=60)

    def test_left_open(self):
        for code in ('w = MPI.Win.Allocate(64, comm=MPI.COMM_SELF)',
                     'w = MPI.Win.Allocate(64, comm=MPI.COMM_SELF); w.Lock(0)',
                     'w = MPI.Win.Allocate(64, comm=MPI.COMM_SELF); w.Lock_all()',
                     'w = MPI.Win.Create(bytearray(8), comm=MPI.COMM_WORLD); w.Fence()',
                     'g = MPI.COMM_SELF.group; w = MPI.Win.Allocate(64, comm=MPI.COMM_SELF)\n'
                     'w.Post(g); w.Start(g); w.Complete()'):
            for n in (1, 2):
                p = self.run_code(code, n)
                self.assertEqual((p.returncode, p.stderr), (0, ''), code)

    def test_post_never_matched(self):
        p = self.run_code('w = MPI.Win.Allocate(64, comm=MPI.COMM_SELF); w.Post(MPI.COMM_SELF.group)')
        self.assertEqual(p.returncode, 0)
        self.assertIn('left in a Start/Post epoch', p.stderr)


if __name__ == '__main__':
    unittest.main()
