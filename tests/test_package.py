# ranks: 1 2
"""The mpi4py package: version, rc (and its environment overrides),
get_include/get_config, profile, and the finder of the built-in MPI."""
import importlib.machinery
import os
import subprocess
import sys
import unittest
import warnings

import mpitest
import mpi4py
from mpi4py import MPI


class TestRc(unittest.TestCase):

    def test_version(self):
        self.assertEqual(mpi4py.__version__, '3.1.0')

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
            self.assertIn('PyMPIComm_Get', f.read())

    def test_get_config(self):
        config = mpi4py.get_config()
        self.assertIsInstance(config, dict)
        self.assertIn('mpicc', config)
        self.assertTrue(os.path.exists(config['mpicc']))

    def test_profile_not_found(self):
        with self.assertRaises(ValueError):
            mpi4py.profile('no-such-profiler-lib')
        with self.assertRaises(ValueError):
            mpi4py.profile('mpich', path=['/nonexistent/dir'])

    def test_profile_after_import_warns(self):
        # MPI is imported here, so loading a library warns it is too late.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            filename = mpi4py.profile('mpich')
        self.assertIn('mpich', filename)
        self.assertIn(filename, mpi4py._profile_libraries)
        self.assertTrue(any(issubclass(w.category, RuntimeWarning)
                            for w in caught))


@unittest.skipUnless('mpi4py.MPI' in sys.builtin_module_names,
                     'mpi4py.MPI is not built in (not running python-mpi)')
class TestBuiltinFinder(unittest.TestCase):

    def test_module_is_builtin(self):
        self.assertEqual(MPI.__spec__.origin, 'built-in')
        self.assertIs(MPI.__spec__.loader, importlib.machinery.BuiltinImporter)
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
