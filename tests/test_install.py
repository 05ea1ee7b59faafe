# ranks: 0
# timeout: 300
"""`make install`: DESTDIR staging of the build tree puts every file in place; a real
`configure --prefix` build of the distributed sources runs from its prefix (python-mpi and a plain
python3.11 with the installed extension), and `python3.11 -m mpi4py` aborts on an exception."""
import os
import shutil
import subprocess
import tempfile
import time
import unittest

import mpitest

PKG_SRC = os.path.join(mpitest.SRCDIR, 'lib', 'python', 'mpi4py')


def package_files():
    """The files under lib/python/mpi4py that make install must copy (relative paths)."""
    out = []
    for root, dirs, files in os.walk(PKG_SRC):
        dirs[:] = [d for d in dirs if d != '__pycache__']
        for f in files:
            if f.endswith(('.py', '.h', '.i', '.pxd')) or f == 'py.typed':
                out.append(os.path.relpath(os.path.join(root, f), PKG_SRC))
    return sorted(out)


def sh(cmd, cwd=None, timeout=240, env=None):
    e = dict(os.environ)
    e.pop('MAKEFLAGS', None)
    e.pop('MFLAGS', None)
    e.update(env or {})
    out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=e)
    if out.returncode != 0:
        raise AssertionError(f'{cmd} failed ({out.returncode}):\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}')
    return out


def find_one(top, suffix):
    hits = [os.path.join(r, f) for r, _, fs in os.walk(top) for f in fs
            if os.path.join(r, f).endswith(suffix)]
    if len(hits) != 1:
        raise AssertionError(f'expected one {suffix} under {top}, found {hits}')
    return hits[0]


class TestDestdir(unittest.TestCase):

    def test_staged_files(self):
        tmp = tempfile.mkdtemp(prefix='pympi-destdir-')
        self.addCleanup(shutil.rmtree, tmp, True)
        sh(['make', '-s', '-C', mpitest.BUILDDIR, 'install', 'DESTDIR=' + tmp])
        exe = find_one(tmp, '/bin/python-mpi')
        self.assertTrue(os.access(exe, os.X_OK))
        pkg = os.path.dirname(find_one(tmp, '/mpi4py/__init__.py'))
        self.assertTrue(os.path.isfile(os.path.join(pkg, 'MPI.so')))
        self.assertFalse(os.path.exists(os.path.join(pkg, 'MPI.la')))  # libtool's, of no use there
        for rel in package_files():
            self.assertTrue(os.path.isfile(os.path.join(pkg, rel)), rel)
        self.assertIn(os.path.join('include', 'mpi4py', 'mpi4py.h'), package_files())
        self.assertEqual([d for _, ds, _ in os.walk(tmp) for d in ds if d == '__pycache__'], [])
        # uninstall removes what install put there
        sh(['make', '-s', '-C', mpitest.BUILDDIR, 'uninstall', 'DESTDIR=' + tmp])
        left = [os.path.join(r, f) for r, _, fs in os.walk(tmp) for f in fs]
        self.assertEqual(left, [])


@unittest.skipUnless(os.path.exists(os.path.join(mpitest.BUILDDIR, 'Makefile')), 'no build tree')
class TestPrefix(unittest.TestCase):
    """A build of the distributed sources with --prefix, installed and run from there."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix='pympi-prefix-')
        src, cls.prefix = os.path.join(cls.tmp, 'src'), os.path.join(cls.tmp, 'inst')
        try:
            sh(['make', '-s', '-C', mpitest.BUILDDIR, 'distdir', 'distdir=' + src])
            build = os.path.join(cls.tmp, 'build')
            os.mkdir(build)
            sh([os.path.join(src, 'configure'), '-q', '--prefix=' + cls.prefix], cwd=build)
            sh(['make', '-s', '-j2'], cwd=build, timeout=400)
            sh(['make', '-s', 'install'], cwd=build)
        except BaseException:
            shutil.rmtree(cls.tmp, True)
            raise
        cls.exe = os.path.join(cls.prefix, 'bin', 'python-mpi')
        cls.site = os.path.dirname(os.path.dirname(find_one(cls.prefix, '/mpi4py/MPI.so')))
        # The build and source trees are gone: only the prefix is left to find things in.
        shutil.rmtree(src)
        shutil.rmtree(build)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, True)

    def test_layout(self):
        self.assertTrue(os.access(self.exe, os.X_OK))
        pkg = os.path.join(self.site, 'mpi4py')
        for rel in package_files() + ['MPI.so', 'mpi.cfg', 'lib-pmpi/libmpiprof.so']:
            self.assertTrue(os.path.isfile(os.path.join(pkg, rel)), rel)

    def test_installed_config_and_profiler(self):
        code = 'import mpi4py; print(sorted(mpi4py.get_config()))'
        out = mpitest.job(1, ['-m', 'mpi4py', '--profile', 'mpiprof', '-c', code],
                          executable=self.exe, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(out.stdout.strip(), ("['mpicc', 'mpiexec']", "['mpicc', 'mpicxx', 'mpiexec']",
                                           "['mpicc', 'mpicxx', 'mpiexec', 'mpifort']"))
        self.assertIn('mpiprof: 1 process,', out.stderr)

    def test_installed_python_mpi(self):
        code = ('import mpi4py; from mpi4py import MPI; '
                'print(MPI.COMM_WORLD.size, MPI.COMM_WORLD.rank, mpi4py.__file__, MPI.__spec__.origin)')
        out = mpitest.job(2, ['-c', code], executable=self.exe, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = sorted(out.stdout.splitlines())
        self.assertEqual(len(lines), 2, out.stdout)
        for rank, line in enumerate(lines):
            size, r, init, origin = line.split()
            self.assertEqual((size, r), ('2', str(rank)))
            self.assertEqual(init, os.path.join(self.site, 'mpi4py', '__init__.py'))
            self.assertEqual(origin, 'built-in')

    def test_plain_python(self):
        code = ('import mpi4py; from mpi4py import MPI; c = MPI.COMM_WORLD; '
                'print(c.Get_size(), c.Get_rank(), MPI.Is_initialized(), mpi4py.__file__, '
                'MPI.__spec__.origin, c.allreduce(c.Get_rank() + 1))')
        out = mpitest.job(2, ['-c', code], executable=mpitest.PYTHON,
                          env={'PYTHONPATH': self.site}, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = sorted(out.stdout.splitlines())
        self.assertEqual(len(lines), 2, out.stdout)
        for rank, line in enumerate(lines):
            size, r, init, path, origin, total = line.split()
            self.assertEqual((size, r, init, total), ('2', str(rank), 'True', '3'))
            self.assertTrue(path.startswith(self.site), path)
            self.assertEqual(origin, os.path.join(self.site, 'mpi4py', 'MPI.so'))
        # The module finalized MPI at exit: no complaint on stderr.
        self.assertEqual(out.stderr, '')

    def test_plain_python_run_aborts(self):
        if not os.path.exists(os.path.join(self.site, 'mpi4py', 'run.py')):
            self.skipTest('mpi4py.run is not there yet')
        tmp = tempfile.mkdtemp(prefix='pympi-run-')
        self.addCleanup(shutil.rmtree, tmp, True)
        script = os.path.join(tmp, 'exc.py')
        with open(script, 'w') as f:
            f.write('from mpi4py import MPI\n'
                    'comm = MPI.COMM_WORLD\n'
                    'if comm.Get_rank() == 0:\n'
                    '    raise ValueError("boom under python3 -m mpi4py")\n'
                    'comm.recv(source=0)\n')
        start = time.monotonic()
        out = mpitest.job(2, ['-m', 'mpi4py', script], executable=mpitest.PYTHON,
                          env={'PYTHONPATH': self.site}, timeout=60)
        self.assertLess(time.monotonic() - start, 10)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn('ValueError: boom under python3 -m mpi4py', out.stderr)


if __name__ == '__main__':
    mpitest.main()
