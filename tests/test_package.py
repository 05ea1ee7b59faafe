# ranks: 1 2
"""The mpi4py package: version, rc (and its environment overrides),
get_include/get_config, profile, and the finder of the built-in MPI."""
import importlib.machinery
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import warnings

import mpitest
import mpi4py
from mpi4py import MPI


class TestRc(unittest.TestCase):

    def test_version(self):
        # The mpi4py API level; python-mpi's own version comes from configure.
        self.assertEqual(mpi4py.__version__, '3.1.0')
        with open(os.path.join(mpitest.BUILDDIR, 'config.h')) as f:
            self.assertIn(f'#define PACKAGE_VERSION "{mpi4py._python_mpi_version()}"\n',
                          f.read())

    def test_defaults(self):
        rc = mpi4py.Rc()
        self.assertIs(rc.initialize, True)
        self.assertIs(rc.threads, True)
        empty = mpi4py.Rc()
        mpi4py._rc_from_environ(empty, {'MPI4PY_RC_THREAD_LEVEL': ''})  # empty: unset
        self.assertEqual(empty.thread_level, 'multiple')
        self.assertEqual(rc.thread_level, 'multiple')
        self.assertIsNone(rc.finalize)
        self.assertIs(rc.fast_reduce, True)
        self.assertIs(rc.recv_mprobe, True)
        self.assertEqual(rc.errors, 'exception')

    def test_call_and_init(self):
        rc = mpi4py.Rc(thread_level='serialized')
        self.assertEqual(rc.thread_level, 'serialized')
        rc(initialize=False, errors='fatal')
        self.assertIs(rc.initialize, False)
        self.assertEqual(rc.errors, 'fatal')
        self.assertEqual(mpi4py.Rc().thread_level, 'multiple')

    def test_unknown_option(self):
        rc = mpi4py.Rc()
        with self.assertRaises(TypeError):
            rc(thread_levels='single')
        with self.assertRaises(TypeError):
            mpi4py.Rc(bogus=1)
        with self.assertRaises(TypeError):
            rc.bogus = 1

    def test_repr(self):
        text = repr(mpi4py.Rc(thread_level='funneled'))
        self.assertIn("thread_level='funneled'", text)
        self.assertIn('initialize=True', text)

    def test_environ(self):
        rc = mpi4py.Rc()
        mpi4py._rc_from_environ(rc, {
            'MPI4PY_RC_THREAD_LEVEL': 'Serialized',
            'MPI4PY_RC_INITIALIZE': 'false',
            'MPI4PY_RC_FINALIZE': 'yes',
            'MPI4PY_RC_FAST_REDUCE': '0',
            'MPI4PY_RC_ERRORS': 'fatal',
        })
        self.assertEqual(rc.thread_level, 'serialized')
        self.assertIs(rc.initialize, False)
        self.assertIs(rc.finalize, True)
        self.assertIs(rc.fast_reduce, False)
        self.assertEqual(rc.errors, 'fatal')
        self.assertIs(rc.threads, True)

    def test_environ_bad_values(self):
        for name, value in [('THREAD_LEVEL', 'bogus'), ('INITIALIZE', 'maybe'),
                            ('ERRORS', 'ignore'), ('FINALIZE', '2')]:
            with self.assertRaisesRegex(ValueError, name.lower()):
                mpi4py._rc_from_environ(mpi4py.Rc(),
                                        {f'MPI4PY_RC_{name}': value})

    def test_environ_at_import(self):
        # A fresh interpreter (no MPI: plain python) reads the variables.
        env = dict(os.environ, PYTHONPATH=os.path.dirname(mpi4py.__path__[0]),
                   MPI4PY_RC_THREAD_LEVEL='funneled',
                   MPI4PY_RC_RECV_MPROBE='off')
        code = ('import mpi4py; '
                'print(mpi4py.rc.thread_level, mpi4py.rc.recv_mprobe)')
        out = subprocess.run([mpitest.PYTHON, '-c', code], env=env,
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.stdout.split(), ['funneled', 'False'])
        env['MPI4PY_RC_THREAD_LEVEL'] = 'bogus'
        out = subprocess.run([mpitest.PYTHON, '-c', 'import mpi4py'], env=env,
                             capture_output=True, text=True, timeout=60)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn('ValueError: mpi4py.rc.thread_level', out.stderr)


class TestPackageFunctions(unittest.TestCase):

    def test_get_include(self):
        include = mpi4py.get_include()
        header = os.path.join(include, 'mpi4py', 'mpi4py.h')
        self.assertTrue(os.path.isfile(header), header)
        with open(header) as f:
            self.assertIn('PyMPICommObject', f.read())  # the object layout of mpi4py 3.1

    def test_get_config(self):
        # What configure found (mpi.cfg), not whatever is on PATH now.
        with open(os.path.join(mpitest.BUILDDIR, 'Makefile')) as f:
            made = dict(line.rstrip('\n').split(' = ', 1) for line in f
                        if line.startswith(('CC = ', 'MPIEXEC = ', 'MPICXX = ', 'MPIFORT = ')))
        saved = os.environ['PATH']
        os.environ['PATH'] = ''
        try:
            config = mpi4py.get_config()
        finally:
            os.environ['PATH'] = saved
        wrappers = {'mpicc': made['CC'], 'mpiexec': made['MPIEXEC'],
                    'mpicxx': made.get('MPICXX'), 'mpifort': made.get('MPIFORT')}
        self.assertEqual(config, {k: v for k, v in wrappers.items() if v})
        self.assertTrue(os.path.exists(config['mpicc']))

    def test_profile_not_found(self):
        with self.assertRaisesRegex(ValueError, "profiler 'no-such-profiler-lib' not found"):
            mpi4py.profile('no-such-profiler-lib')
        with self.assertRaises(ValueError):
            mpi4py.profile('mpiprof', path=['/nonexistent/dir'])
        with self.assertRaises(ValueError):
            mpi4py.profile('')

    def test_profile_lookup(self):
        # The project's profiler is in the package's lib-pmpi directory; path= looks only
        # where it says (a list, or a string of directories).
        pmpi = [os.path.join(d, 'lib-pmpi') for d in mpi4py.__path__]
        found = [os.path.join(d, 'libmpiprof.so') for d in pmpi
                 if os.path.isfile(os.path.join(d, 'libmpiprof.so'))]
        self.assertEqual(len(found), 1, pmpi)
        self.assertEqual(mpi4py._find_profiler('mpiprof', None), found[0])
        self.assertEqual(mpi4py._find_profiler('mpiprof', os.pathsep.join(['/nowhere'] + pmpi)),
                         found[0])
        self.assertEqual(mpi4py._find_profiler('mpiprof', pmpi), found[0])

    @unittest.skipUnless('mpi4py.MPI' in sys.builtin_module_names, 'not running python-mpi')
    def test_profile_under_python_mpi(self):
        # MPI is linked into python-mpi: a library that is not already in the process cannot
        # interpose (RuntimeWarning, not registered); one that is (preloaded) is registered.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            filename = mpi4py.profile('mpiprof')
        self.assertTrue(filename.endswith('lib-pmpi/libmpiprof.so'))
        self.assertNotIn(filename, mpi4py._profile_libraries)
        self.assertEqual([w.category for w in caught], [RuntimeWarning])
        self.assertIn('--profile mpiprof', str(caught[0].message))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            filename = mpi4py.profile('mpich')  # libmpich: in the process already
        self.assertEqual(caught, [])
        self.assertIn(filename, mpi4py._profile_libraries)

    def test_profile_logfile(self):
        saved = os.environ.pop('MPIPROF_OUTPUT', None)
        self.addCleanup(os.environ.pop, 'MPIPROF_OUTPUT', None)
        if saved is not None:
            self.addCleanup(os.environ.__setitem__, 'MPIPROF_OUTPUT', saved)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            mpi4py.profile('mpiprof', logfile='/tmp/somewhere.txt')
        self.assertEqual(os.environ['MPIPROF_OUTPUT'], '/tmp/somewhere.txt')

    def test_profile_with_plain_python(self):
        # Under python3 the loadable MPI.so resolves MPI calls through a profiler loaded
        # before it (RTLD_GLOBAL): mpiprof prints its table at MPI_Finalize.
        so = os.path.join(mpitest.BUILDDIR, '.libs', 'MPI.so')
        if not os.path.exists(so) or mpi4py.MPI.COMM_WORLD.Get_rank() != 0:
            self.skipTest('no .libs/MPI.so in the build tree, or not rank 0')
        tmp = tempfile.mkdtemp(prefix='pympi-prof-')
        self.addCleanup(shutil.rmtree, tmp, True)
        pkg = os.path.join(tmp, 'mpi4py')
        shutil.copytree(mpi4py.__path__[0], pkg, ignore=shutil.ignore_patterns('__pycache__'))
        for d in mpi4py.__path__[1:]:
            shutil.copytree(d, pkg, dirs_exist_ok=True)
        shutil.copy(so, os.path.join(pkg, 'MPI.so'))
        code = ('import mpi4py; mpi4py.profile("mpiprof"); from mpi4py import MPI; '
                '[MPI.COMM_WORLD.Barrier() for i in range(3)]')
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(('PMI_', 'MPI_LOCAL', 'PYTHON_MPI'))}  # a singleton
        out = subprocess.run([mpitest.PYTHON, '-c', code], capture_output=True, text=True,
                             timeout=60, env=dict(env, PYTHONPATH=tmp))
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn('mpiprof: 1 process,', out.stderr)
        self.assertRegex(out.stderr, r'\nMPI_Barrier +3 ')


@unittest.skipUnless('mpi4py.MPI' in sys.builtin_module_names,
                     'mpi4py.MPI is not built in (not running python-mpi)')
class TestBuiltinFinder(unittest.TestCase):

    def test_module_is_builtin(self):
        self.assertEqual(MPI.__spec__.origin, 'built-in')
        self.assertTrue(issubclass(MPI.__spec__.loader, importlib.machinery.BuiltinImporter))
        self.assertIs(mpi4py.MPI, MPI)

    def test_finder_first(self):
        finder = sys.meta_path[0]
        self.assertEqual(finder.__name__, '_BuiltinMPIFinder')
        self.assertEqual(
            sum(getattr(f, '__name__', '') == '_BuiltinMPIFinder'
                for f in sys.meta_path), 1)

    def test_finder_wins_over_extension(self):
        # Even when asked with the package path (where an MPI*.so could
        # be), the finder answers with the built-in module.
        spec = sys.meta_path[0].find_spec('mpi4py.MPI', mpi4py.__path__)
        self.assertEqual(spec.origin, 'built-in')
        self.assertIsNone(sys.meta_path[0].find_spec('mpi4py.bench'))
        self.assertIsNone(sys.meta_path[0].find_spec('MPI'))


if __name__ == '__main__':
    mpitest.main()
