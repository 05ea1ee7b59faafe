# ranks: 0
# timeout: 300
"""python -m mpi4py (mpi4py.run): targets, sys.argv and __name__, usage
errors, the query and profiling options, -rc acting before MPI_Init_thread, and
aborting the job on unhandled exceptions and non-zero exits."""
import os
import shutil
import subprocess
import tempfile
import unittest

import mpitest

TARGET = os.path.join(mpitest.SRCDIR, 'tests', 'pkg', 'run_target.py')
PYDIR = os.path.join(mpitest.SRCDIR, 'lib', 'python')
QUERY_THREAD = 'from mpi4py import MPI; print(MPI.Query_thread() == MPI.THREAD_{})'


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
        code = 'import mpi4py; print(mpi4py.rc.thread_level, mpi4py.rc.recv_mprobe)'
        out = mpitest.job(1, ['-m', 'mpi4py', '-rc',
                              'thread_level=serialized,recv_mprobe=false',
                              '-c', code])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), 'serialized False')


class TestBeforeInit(unittest.TestCase):
    """python-mpi initializes MPI before Python starts: it reads -rc thread_level / threads
    (and -m mpi4py.bench's thread options) from its command line first; an rc setting that
    comes too late is reported in one line."""

    def test_rc_thread_level(self):
        for rc, level in (('thread_level=serialized', 'SERIALIZED'),
                          ("thread_level='funneled'", 'FUNNELED'),
                          ('threads=false', 'SINGLE'),
                          ('threads=False,thread_level=funneled', 'SINGLE')):
            out = mpitest.job(2, ['-m', 'mpi4py', '-rc', rc, '-c', QUERY_THREAD.format(level)])
            self.assertEqual(out.returncode, 0, (rc, out.stderr))
            self.assertEqual(out.stdout.split(), ['True'] * 2, rc)
            self.assertEqual(out.stderr, '', rc)
        out = mpitest.job(1, ['-X', 'utf8', '-m', 'mpi4py', '--rc=thread_level=single',
                              '-c', QUERY_THREAD.format('SINGLE')])
        self.assertEqual((out.stdout.strip(), out.stderr), ('True', ''))

    def test_environment(self):
        out = mpitest.job(1, ['-m', 'mpi4py', '-c', QUERY_THREAD.format('SINGLE')],
                          env={'MPI4PY_RC_THREADS': 'no'})
        self.assertEqual((out.stdout.strip(), out.stderr), ('True', ''))

    def test_bench_thread_options(self):
        # bench sets mpi4py.rc from its options: an empty stderr means MPI was initialized
        # accordingly (else the one-line warning of test_late_rc_settings_warn_once).
        for opts in (['--thread-level', 'funneled'], ['--thread-level=serialized'],
                     ['--no-threads'], ['--threads'], ['--no-threads', '--thread-level', 'single']):
            out = mpitest.job(2, ['-m', 'mpi4py.bench'] + opts + ['helloworld'])
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertTrue(out.stdout.startswith('Hello, World!'), out.stdout)
            self.assertEqual(out.stderr, '', opts)
        out = mpitest.job(1, ['-m', 'mpi4py.bench', '--thread-level', 'funneled', 'helloworld'],
                          env={'MPI4PY_RC_THREAD_LEVEL': 'multiple'})
        self.assertEqual((out.returncode, out.stderr), (0, ''))
        out = mpitest.job(1, ['-m', 'mpi4py.bench', '--thread-level', 'bogus', 'helloworld'])
        self.assertEqual(out.returncode, 2)
        self.assertIn('invalid choice', out.stderr)

    def test_late_rc_settings_warn_once(self):
        code = ('import mpi4py; mpi4py.rc.thread_level = "single"; mpi4py.rc.finalize = False\n'
                'from mpi4py import MPI\nprint(MPI.Query_thread() == MPI.THREAD_MULTIPLE)')
        out = mpitest.job(2, ['-c', code])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.split(), ['True'] * 2)
        lines = out.stderr.splitlines()
        self.assertEqual(len(lines), 2, out.stderr)  # one per rank
        for line in lines:
            self.assertTrue(line.startswith('python-mpi: warning: mpi4py.rc '), line)
            self.assertIn("finalize=False, thread_level='single' ignored", line)
        # Settings that python-mpi followed say nothing.
        out = mpitest.job(1, ['-c', 'import mpi4py; mpi4py.rc.thread_level = "multiple"; '
                                    'mpi4py.rc.finalize = True; from mpi4py import MPI'])
        self.assertEqual((out.returncode, out.stderr), (0, ''))


class TestProfile(unittest.TestCase):
    """-p/--profile NAME: python-mpi re-executes itself with the PMPI library preloaded;
    the project's own profiler, mpiprof, prints a table of calls and times at MPI_Finalize."""

    CODE = ('import os; from mpi4py import MPI; c = MPI.COMM_WORLD\n'
            'for i in range(7): c.Barrier()\n'
            'c.Send([bytearray(4), MPI.BYTE], (c.rank + 1) % c.size) if c.size > 1 else None\n'
            'c.Recv([bytearray(4), MPI.BYTE], (c.rank - 1) % c.size) if c.size > 1 else None\n'
            'print(os.environ.get("LD_PRELOAD"))')

    def table(self, stderr):
        rows = {}
        for line in stderr.splitlines():
            if line.startswith('MPI_'):
                name, calls, total, most = line.split()
                rows[name] = (int(calls), float(total), float(most))
        return rows

    def test_mpiprof_two_ranks(self):
        for opts in (['--profile', 'mpiprof'], ['-p', 'mpiprof'], ['--profile=mpiprof'],
                     ['-profile', 'mpiprof']):
            out = mpitest.job(2, ['-m', 'mpi4py'] + opts + ['-c', self.CODE])
            self.assertEqual(out.returncode, 0, out.stderr)
            # Children of the profiled process are not profiled.
            self.assertEqual(out.stdout.split(), ['None'] * 2)
            self.assertEqual(out.stderr.count('mpiprof: 2 processes'), 1, out.stderr)
            rows = self.table(out.stderr)
            self.assertEqual(rows['MPI_Barrier'][0], 14)
            self.assertEqual(rows['MPI_Send'][0], 2)
            self.assertEqual(rows['MPI_Recv'][0], 2)
            self.assertGreaterEqual(rows['MPI_Barrier'][1], rows['MPI_Barrier'][2])

    def test_output_file(self):
        tmp = tempfile.mkdtemp(prefix='pympi-prof-')
        self.addCleanup(shutil.rmtree, tmp, True)
        path = os.path.join(tmp, 'table.txt')
        out = mpitest.job(1, ['-m', 'mpi4py', '-p', 'mpiprof', '-c', self.CODE],
                          env={'MPIPROF_OUTPUT': path})
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertNotIn('mpiprof:', out.stderr)
        with open(path) as f:
            self.assertEqual(self.table(f.read())['MPI_Barrier'][0], 7)

    def test_unknown_profiler(self):
        out = mpitest.job(1, ['-m', 'mpi4py', '--profile', 'no-such-profiler', '-c', 'pass'])
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("ValueError: profiler 'no-such-profiler' not found", out.stderr)

    def test_without_launcher_option(self):
        # In a running python-mpi, profile() cannot interpose: a RuntimeWarning says how.
        out = mpitest.job(1, ['-W', 'always', '-c', 'import mpi4py; mpi4py.profile("mpiprof")\n'
                              'from mpi4py import MPI; MPI.COMM_WORLD.Barrier()'])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn('RuntimeWarning', out.stderr)
        self.assertIn('-m mpi4py --profile mpiprof', out.stderr)
        self.assertNotIn('mpiprof:', out.stderr)


class TestCommandLine(unittest.TestCase):

    def test_help(self):
        out = mpitest.job(1, ['-m', 'mpi4py', '--help'])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn('usage:', out.stdout)
        self.assertIn('-rc', out.stdout)

    def test_version(self):
        # The API level and python-mpi's own version (configure's).
        with open(os.path.join(mpitest.BUILDDIR, 'config.h')) as f:
            version = next(line.split('"')[1] for line in f
                           if line.startswith('#define PACKAGE_VERSION'))
        for opt in ('--version', '-version'):
            out = mpitest.job(1, ['-m', 'mpi4py', opt])
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertEqual(out.stdout.strip(), f'mpi4py 3.1.0 (python-mpi {version})')

    def test_prefix(self):
        out = mpitest.job(1, ['-m', 'mpi4py', '--prefix'])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), os.path.join(mpitest.SRCDIR, 'lib', 'python', 'mpi4py'))

    def test_mpi_versions(self):
        out = mpitest.job(2, ['-m', 'mpi4py', '--mpi-std-version'])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.splitlines(), ['MPI 4.0'] * 2)
        out = mpitest.job(1, ['-m', 'mpi4py', '--mpi-lib-version'])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertTrue(out.stdout.startswith('MPICH Version:'), out.stdout)
        self.assertNotIn('warning', out.stderr)
        # A plain python3 with the loadable MPI.so (no MPI_Init needed for the query).
        so = os.path.join(mpitest.BUILDDIR, '.libs', 'MPI.so')
        if not os.path.exists(so):
            self.skipTest('no .libs/MPI.so in the build tree')
        tmp = tempfile.mkdtemp(prefix='pympi-run-')
        self.addCleanup(shutil.rmtree, tmp, True)
        shutil.copytree(os.path.join(PYDIR, 'mpi4py'), os.path.join(tmp, 'mpi4py'))
        shutil.copy(so, os.path.join(tmp, 'mpi4py', 'MPI.so'))
        out = subprocess.run([mpitest.PYTHON, '-m', 'mpi4py', '--mpi-std-version'],
                             env=dict(os.environ, PYTHONPATH=tmp), capture_output=True,
                             text=True, timeout=60)
        self.assertEqual((out.returncode, out.stdout), (0, 'MPI 4.0\n'), out.stderr)

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

    def test_single_process_aborts(self):
        # As python3 -m mpi4py: MPI_Abort at one rank too; plain python-mpi exits as python3.
        # (hydra reports the abort's status, or now and then 1: only the singleton is exact)
        out = mpitest.job(1, ['-m', 'mpi4py', TARGET, 'exit', '5'])
        self.assertIn(out.returncode, (1, 5))
        self.assertIn('MPI_Abort(MPI_COMM_WORLD, 5)', out.stderr)
        out = subprocess.run([mpitest.PYTHON_MPI, '-m', 'mpi4py', TARGET, 'exit', '5'],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 5)
        self.assertIn('MPI_Abort(MPI_COMM_WORLD, 5)', out.stderr)
        out = mpitest.job(1, ['-m', 'mpi4py', '-c', '1/0'])
        self.assertEqual(out.returncode, 1)
        self.assertIn('ZeroDivisionError', out.stderr)
        self.assertIn('MPI_Abort(MPI_COMM_WORLD, 1)', out.stderr)
        out = mpitest.job(1, ['-c', 'from mpi4py import MPI; 1/0'])
        self.assertEqual(out.returncode, 1)
        self.assertNotIn('MPI_Abort', out.stderr)
        self.assertNotIn('python-mpi:', out.stderr)

    def test_set_abort_status_records(self):
        code = ('import mpi4py.run as r; r.set_abort_status(None); '
                'print(r._abort_status); r.set_abort_status("msg"); '
                'print(r._abort_status); r.set_abort_status(0)')
        out = mpitest.job(1, ['-c', code])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.split(), ['0', '1'])


if __name__ == '__main__':
    unittest.main()
