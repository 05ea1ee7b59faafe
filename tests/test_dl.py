# ranks: 1
"""mpi4py.dl (modules/dl/dl.c): dlopen/dlsym/dlclose/dlerror and the RTLD_* constants, built into
python-mpi and loadable by a plain python3 as mpi4py/dl.so."""
import ctypes
import ctypes.util
import os
import shutil
import subprocess
import tempfile
import unittest

import mpitest
from mpi4py import dl

# What the module does, run under python-mpi here and under a plain python3 below.
CHECKS = r'''
import ctypes, ctypes.util
from mpi4py import dl
libm = ctypes.util.find_library('m')
h = dl.dlopen(libm, dl.RTLD_LOCAL | dl.RTLD_LAZY)
assert h != 0 and dl.dlerror() is None
sqrt = dl.dlsym(h, 'sqrt')
assert sqrt != 0 and dl.dlerror() is None
assert ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_double)(sqrt)(2.25) == 1.5
assert dl.dlsym(h, 'no_such_symbol') == 0
assert 'no_such_symbol' in dl.dlerror() and dl.dlerror() is None
assert dl.dlclose(h) == 0 and dl.dlerror() is None
'''


class TestDL(unittest.TestCase):

    def test_constants(self):
        self.assertEqual((dl.RTLD_LAZY, dl.RTLD_NOW, dl.RTLD_GLOBAL, dl.RTLD_LOCAL), (1, 2, 0x100, 0))
        self.assertEqual(dl.RTLD_DEFAULT, 0)
        self.assertIsInstance(dl.RTLD_NEXT, int)

    def test_library(self):
        exec(CHECKS, {})

    def test_program_and_default(self):
        for handle in (dl.dlopen(None, dl.RTLD_GLOBAL | dl.RTLD_NOW), None, dl.RTLD_DEFAULT):
            malloc = dl.dlsym(handle, 'malloc')
            self.assertEqual(malloc, ctypes.cast(ctypes.CDLL(None).malloc, ctypes.c_void_p).value)
            self.assertIsNone(dl.dlerror())
            self.assertEqual(dl.dlsym(handle, '!@#$'), 0)
            self.assertIsNotNone(dl.dlerror())
            self.assertEqual(dl.dlclose(handle), 0)
            self.assertIsNone(dl.dlerror())

    def test_failures(self):
        self.assertEqual(dl.dlopen('/no/such/libxxxxx.so', dl.RTLD_LAZY), 0)
        self.assertIn('libxxxxx', dl.dlerror())
        self.assertIsNone(dl.dlerror())
        with self.assertRaises(TypeError):
            dl.dlopen(42, dl.RTLD_LAZY)
        with self.assertRaises(TypeError):
            dl.dlsym(None, 42)
        with self.assertRaises(TypeError):
            dl.dlclose('handle')
        with self.assertRaises(TypeError):
            dl.dlopen(None)

    def test_builtin(self):
        import sys
        self.assertIn('mpi4py.dl', sys.builtin_module_names)
        self.assertEqual(dl.__spec__.origin, 'built-in')

    def test_plain_python(self):
        so = os.path.join(mpitest.BUILDDIR, '.libs', 'dl.so')
        if not os.path.exists(so):
            self.skipTest('no build tree')
        top = tempfile.mkdtemp(prefix='pympi-dl-')
        self.addCleanup(shutil.rmtree, top, True)
        pkg = os.path.join(top, 'mpi4py')  # a package holding only the extension
        os.mkdir(pkg)
        open(os.path.join(pkg, '__init__.py'), 'w').close()
        shutil.copy(so, os.path.join(pkg, 'dl.so'))
        env = dict(os.environ, PYTHONPATH=top)
        code = CHECKS + 'print(dl.__spec__.origin)\n'
        out = subprocess.run([mpitest.PYTHON, '-c', code], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout, os.path.join(pkg, 'dl.so') + '\n')


if __name__ == '__main__':
    mpitest.main()
