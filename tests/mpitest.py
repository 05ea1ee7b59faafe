"""Helpers shared by the tests: paths from CTest's environment, subprocess jobs with timeouts."""
import os
import subprocess
import sys
import unittest

SRCDIR = os.path.abspath(os.environ.get('SRCDIR', '.'))
BUILDDIR = os.path.abspath(os.environ.get('BUILDDIR', '.'))
PYTHON_MPI = os.environ.get('PYTHON_MPI', os.path.join(BUILDDIR, 'python-mpi'))
MPIEXEC = os.environ.get('MPIEXEC', 'mpiexec')
PYTHON = os.environ.get('PYTHON', '/usr/bin/python3.11')


def job(nprocs, args, timeout=60, env=None, input=None, executable=None):
    """Run `mpiexec -n nprocs python-mpi args...`; returns CompletedProcess (text)."""
    cmd = [MPIEXEC, '-n', str(nprocs), executable or PYTHON_MPI] + list(args)
    e = dict(os.environ)
    # Unbuffered stdio writes a line's text and its newline separately, so lines of different
    # ranks interleave in mpiexec's output; jobs run with Python's normal buffering unless asked.
    e.pop('PYTHONUNBUFFERED', None)
    e.update(env or {})
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=e, input=input)


class RingCase(unittest.TestCase):
    """A test on a private duplicate of COMM_WORLD, with ring neighbours `dest` and `source`."""

    def setUp(self):
        from mpi4py import MPI  # here: driver tests (ranks 0) import this module without MPI
        self.comm = MPI.COMM_WORLD.Dup()
        self.rank, self.size = self.comm.rank, self.comm.size
        self.dest, self.source = (self.rank + 1) % self.size, (self.rank - 1) % self.size

    def tearDown(self):
        self.comm.Free()


def main():
    """unittest.main() whose exit status is the same on every rank (failures fail the job)."""
    prog = unittest.main(exit=False, verbosity=1)
    sys.exit(0 if prog.result.wasSuccessful() else 1)
