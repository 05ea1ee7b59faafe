# ranks: 1 2
# timeout: 240
"""Child processes of a rank that run python-mpi (sys.executable): multiprocessing pools
(spawn, forkserver, fork), ProcessPoolExecutor, subprocess. They do not join the rank's job:
they run as plain Python processes, and one that imports mpi4py.MPI gets a singleton MPI."""
import concurrent.futures
import multiprocessing
import os
import subprocess
import sys
import unittest

import mpitest
from mpi4py import MPI

# What a child reports about MPI: initialized, size of COMM_WORLD, the process-manager variables
# it still sees.
CHILD_MPI = ('import os; from mpi4py import MPI; '
             'print(MPI.Is_initialized(), MPI.COMM_WORLD.Get_size(), '
             'sorted(k for k in os.environ if k.startswith(("PMI_", "MPI_LOCAL"))))')


def square(x):
    return x * x


def world_size_in_child(_):
    """Run in a pool worker: import mpi4py.MPI there (a singleton)."""
    from mpi4py import MPI as ChildMPI
    return ChildMPI.COMM_WORLD.Get_size(), os.getpid()


class TestPools(unittest.TestCase):

    def pool(self, method):
        with multiprocessing.get_context(method).Pool(2) as pool:
            self.assertEqual(pool.map(square, [1, 2, 3]), [1, 4, 9])
            sizes = pool.map(world_size_in_child, range(2))
        self.assertEqual({size for size, pid in sizes}, {1})
        self.assertNotIn(os.getpid(), {pid for size, pid in sizes})

    def test_spawn_pool(self):
        self.pool('spawn')

    def test_forkserver_pool(self):
        self.pool('forkserver')

    def test_fork_pool(self):
        # Forked workers are copies of the rank (MPI initialized): plain work only, as before.
        with multiprocessing.get_context('fork').Pool(2) as pool:
            self.assertEqual(pool.map(square, range(5)), [0, 1, 4, 9, 16])

    def test_process_pool_executor_spawn(self):
        ctx = multiprocessing.get_context('spawn')
        with concurrent.futures.ProcessPoolExecutor(2, mp_context=ctx) as ex:
            self.assertEqual(list(ex.map(square, [4, 5])), [16, 25])
            size, pid = ex.submit(world_size_in_child, 0).result()
        self.assertEqual(size, 1)
        self.assertNotEqual(pid, os.getpid())


class TestSubprocess(unittest.TestCase):

    def run_child(self, code, **kw):
        return subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                              timeout=60, **kw)

    def test_plain_child(self):
        out = self.run_child('import sys; print(sys.executable, 6 * 7)')
        self.assertEqual(out.returncode, 0, out.stderr)
        exe, answer = out.stdout.split()
        self.assertEqual((os.path.realpath(exe), answer), (os.path.realpath(sys.executable), '42'))

    def test_child_imports_mpi(self):
        out = self.run_child(CHILD_MPI)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), 'True 1 []')

    def test_child_inherits_pmi_fd(self):
        # close_fds=False: the rank's process-manager socket is open in the child too; the
        # child still must not use it (its parent is a python-mpi rank).
        out = self.run_child(CHILD_MPI, close_fds=False)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), 'True 1 []')

    def test_child_through_shell(self):
        # The shell forks (a command follows), so the child's parent is not the rank; what
        # gives it away is the inherited PMI_FD, which subprocess closed.
        out = subprocess.run(f'"{sys.executable}" -c \'{CHILD_MPI}\'; echo $PPID >&2',
                             shell=True, capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), 'True 1 []')
        self.assertEqual(out.stderr.strip(), str(os.getpid()))  # the shell's parent: this rank

    def test_failing_child_does_not_abort_the_job(self):
        out = self.run_child('import sys; from mpi4py import MPI; sys.exit(3)')
        self.assertEqual(out.returncode, 3, out.stderr)
        self.assertNotIn('aborting', out.stderr)
        out = self.run_child('from mpi4py import MPI; 1 / 0')
        self.assertEqual(out.returncode, 1)
        self.assertIn('ZeroDivisionError', out.stderr)
        # -m mpi4py in the child aborts its own singleton MPI only.
        out = subprocess.run([sys.executable, '-m', 'mpi4py', '-c', '1 / 0'],
                             capture_output=True, text=True, timeout=60)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn('ZeroDivisionError', out.stderr)
        # The job goes on: every rank still communicates.
        comm = MPI.COMM_WORLD
        self.assertEqual(comm.allreduce(1), comm.Get_size())

    def test_rank_environment_kept(self):
        # The rank itself keeps its process-manager variables (under mpiexec) and marks itself.
        self.assertEqual(os.environ.get('PYTHON_MPI_RANK'), str(os.getpid()))
        if MPI.COMM_WORLD.Get_size() > 1:
            self.assertIn('PMI_RANK', os.environ)


if __name__ == '__main__':
    mpitest.main()
