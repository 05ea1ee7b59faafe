# ranks: 0
"""The loadable MPI.so under a plain python3 imports with MPI not initialized (mpi4py.rc.initialize
= False) and the util modules import after MPI.Finalize(): building the module (its typecode
dictionaries included) and importing mpi4py.util call no MPI function. MPICH aborts a process that
calls one before MPI_Init or after MPI_Finalize."""
import os
import shutil
import subprocess
import tempfile
import unittest

import mpitest

BEFORE_INIT = '''
import mpi4py
mpi4py.rc.initialize = False
from mpi4py import MPI
from mpi4py.util import dtlib, pkl5
print(MPI.Is_initialized())
td, tf = MPI._typedict, MPI._typedict_f
print(td['i'] is MPI.INT, td['p'] is MPI.AINT, td['S'] is MPI.CHAR, tf['l'] is MPI.LOGICAL)
MPI.Init()
print(MPI.Is_initialized(), td['i4'].Get_size(), td['n'].Get_size())
MPI.Finalize()
'''

AFTER_FINALIZE = '''
from mpi4py import MPI
MPI.Finalize()
from mpi4py.util import dtlib, pkl5
print(MPI.Is_finalized(), isinstance(pkl5.pickle, pkl5.Pickle), callable(dtlib.to_numpy_dtype))
'''


@unittest.skipUnless(os.path.exists(os.path.join(mpitest.BUILDDIR, '.libs', 'MPI.so')),
                     'no .libs/MPI.so in the build tree')
class TestPlainImport(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix='pympi-plain-')
        pkg = os.path.join(cls.tmp, 'mpi4py')
        shutil.copytree(os.path.join(mpitest.SRCDIR, 'lib', 'python', 'mpi4py'), pkg,
                        ignore=shutil.ignore_patterns('__pycache__'))
        shutil.copy(os.path.join(mpitest.BUILDDIR, '.libs', 'MPI.so'), os.path.join(pkg, 'MPI.so'))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, True)

    def run_plain(self, code):
        env = dict(os.environ, PYTHONPATH=self.tmp)
        out = subprocess.run([mpitest.PYTHON, '-c', code], capture_output=True, text=True,
                             timeout=60, env=env)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertNotIn('Attempting to use an MPI routine', out.stderr)
        return out.stdout.split()

    def test_import_before_init(self):
        self.assertEqual(self.run_plain(BEFORE_INIT),
                         ['False', 'True', 'True', 'True', 'True', 'True', '4', '8'])

    def test_util_after_finalize(self):
        self.assertEqual(self.run_plain(AFTER_FINALIZE), ['True', 'True', 'True'])


if __name__ == '__main__':
    mpitest.main()
