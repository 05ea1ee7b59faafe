# ranks: 0
# timeout: 600
"""Extensions that use mpi4py.MPI from C: a C module (mpi4py/mpi4py.h, import_mpi4py and
PyMPI<Class>_New/_Get), a C++ one, a Cython one (`cimport` of MPI.pxd and libmpi.pxd), a SWIG
one (mpi4py.i), the manual's F2Py example, and ctypes and cffi calls of MPI_Comm_size on
_handleof/_addressof. Each is built here the way a user would (headers from
mpi4py.get_include(), compilers from mpi4py.get_config()) and run under `mpiexec -n 2`, by
python-mpi and by a plain python3 with the loadable MPI.so. The C, Cython and SWIG ones are also
built against mpi4py 3.1.6's own installed headers (the conformance fixture, when present):
binary compatibility of __pyx_capi__, the object layouts and the type names."""
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import unittest

import mpitest

CAPI_SRC = os.path.join(mpitest.SRCDIR, 'tests', 'capi')
FIXTURE = os.path.normpath(os.path.join(mpitest.SRCDIR, '..', 'shared', 'conformance',
                                        'mpi4py-3.1.6-include'))
EXT = sysconfig.get_config_var('EXT_SUFFIX')
PY_INCLUDE = sysconfig.get_paths()['include']


def run(cmd, cwd):
    out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise AssertionError(f'{cmd} failed ({out.returncode}):\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}')
    return out.stdout


def ask_mpi4py(expr):
    """What mpi4py tells a user (python-mpi runs without mpiexec as a singleton)."""
    return run([mpitest.PYTHON_MPI, '-c', f'import mpi4py; print({expr})'], cwd=None).strip()


class Extensions(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix='pympi-capi-')
        cls.build = os.path.join(cls.tmp, 'build')
        os.mkdir(cls.build)
        cls.include = ask_mpi4py('mpi4py.get_include()')
        config = eval(ask_mpi4py('mpi4py.get_config()'))
        cls.mpicc, cls.mpicxx = config['mpicc'], config['mpicxx']
        cls.fixture = FIXTURE if os.path.isdir(os.path.join(FIXTURE, 'mpi4py')) else None

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, True)

    # ---- building, as a user would -----------------------------------------------------------
    def compile(self, compiler, sources, module, include, extra=()):
        run([compiler, '-shared', '-fPIC', '-O1', '-Wall', '-Werror', f'-I{PY_INCLUDE}',
             f'-I{include}', *extra, *sources, '-o', os.path.join(self.build, module + EXT)],
            cwd=self.build)

    def build_c(self, module, include):
        self.compile(self.mpicc, [os.path.join(CAPI_SRC, 'cext.c')], module, include,
                     [f'-DMODULE={module}', '-Wno-unused-function', '-Wno-unused-parameter'])

    def build_cython(self, module, include):
        pyx = os.path.join(self.build, module + '.pyx')
        shutil.copy(os.path.join(CAPI_SRC, 'cyext.pyx'), pyx)
        run(['cython3', '-3', '-I', include, pyx, '-o', module + '.c'], cwd=self.build)
        self.compile(self.mpicc, [os.path.join(self.build, module + '.c')], module, include,
                     ['-Wno-error', '-w'])  # Cython's own C is not ours to lint

    def build_swig(self, module, include):
        v31 = ['-DMPI4PY31'] if include == self.fixture else []
        run(['swig', '-python', *v31, f'-I{include}', '-module', module, '-o', module + '_wrap.c',
             '-outdir', self.build, os.path.join(CAPI_SRC, 'swigext.i')], cwd=self.build)
        self.compile(self.mpicc, [os.path.join(self.build, module + '_wrap.c')], '_' + module,
                     include, ['-Wno-error', '-w'])

    # ---- running at 2 ranks ------------------------------------------------------------------
    def job(self, kind, module, executable=None, env=None):
        env = dict(env or {})
        env['PYTHONPATH'] = os.pathsep.join(p for p in (self.build, env.get('PYTHONPATH')) if p)
        out = mpitest.job(2, [os.path.join(CAPI_SRC, 'check.py'), kind, module], timeout=120,
                          env=env, executable=executable)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        return out

    def assert_hello(self, out, prefix):
        # Fortran's list-directed output pads numbers: compare with single spaces, none before '.'
        lines = sorted(re.sub(r' \.$', '.', ' '.join(line.split()))
                       for line in out.stdout.splitlines() if line.strip())
        expected = [f'{prefix}Hello, World! I am process {r} of 2.' for r in range(2)]
        self.assertEqual(lines, expected, out.stdout + out.stderr)

    def run_ext(self, module, executable=None, env=None):
        self.assert_hello(self.job('ext', module, executable, env), f'{module}: ')

    def need_fixture(self):
        if not self.fixture:
            self.skipTest(f'no mpi4py 3.1.6 headers at {FIXTURE}')

    # ---- the bindings ------------------------------------------------------------------------
    def test_c(self):
        self.build_c('cext', self.include)
        self.run_ext('cext')

    def test_c_mpi4py31_headers(self):
        self.need_fixture()
        self.build_c('cext31', self.fixture)
        self.run_ext('cext31')

    def test_cxx(self):
        self.compile(self.mpicxx, [os.path.join(CAPI_SRC, 'cppext.cpp')], 'cppext', self.include,
                     ['-Wno-unused-function'])
        self.run_ext('cppext')

    def test_cython(self):
        self.build_cython('cyext', self.include)
        self.run_ext('cyext')

    def test_cython_mpi4py31_headers(self):
        self.need_fixture()
        self.build_cython('cyext31', self.fixture)
        self.run_ext('cyext31')

    def test_swig(self):
        self.build_swig('swigext', self.include)
        self.run_ext('swigext')

    def test_swig_mpi4py31_headers(self):
        self.need_fixture()
        self.build_swig('swigext31', self.fixture)
        self.run_ext('swigext31')

    def test_f2py(self):
        f90 = os.path.join(self.build, 'helloworld.f90')
        shutil.copy(os.path.join(CAPI_SRC, 'helloworld.f90'), f90)
        run([mpitest.PYTHON, '-m', 'numpy.f2py', '-c', '--fcompiler=gnu95', '--f90exec=mpif90',
             '--f77exec=mpif77', 'helloworld.f90', '-m', 'helloworld'], cwd=self.build)
        self.assert_hello(self.job('f2py', 'helloworld'), '')

    def test_ctypes(self):
        self.assert_hello(self.job('ctypes', 'ctypes'), 'ctypes: ')

    def test_cffi(self):
        self.assert_hello(self.job('cffi', 'cffi'), 'cffi: ')

    def test_plain_python(self):
        """The same C, Cython and SWIG modules under python3 with the loadable mpi4py/MPI.so."""
        so = os.path.join(mpitest.BUILDDIR, '.libs', 'MPI.so')
        if not os.path.exists(so):
            self.skipTest('no .libs/MPI.so in the build tree')
        site = os.path.join(self.tmp, 'site')
        shutil.copytree(os.path.join(mpitest.SRCDIR, 'lib', 'python', 'mpi4py'),
                        os.path.join(site, 'mpi4py'), ignore=shutil.ignore_patterns('__pycache__'))
        shutil.copy(so, os.path.join(site, 'mpi4py', 'MPI.so'))
        builds = [(self.build_c, 'pycext'), (self.build_cython, 'pycyext'), (self.build_swig, 'pyswigext')]
        if self.fixture:
            builds += [(self.build_c, 'pycext31'), (self.build_cython, 'pycyext31'),
                       (self.build_swig, 'pyswigext31')]
        for build, module in builds:
            build(module, self.fixture if module.endswith('31') else self.include)
            with self.subTest(module=module):
                self.run_ext(module, executable=mpitest.PYTHON, env={'PYTHONPATH': site})


if __name__ == '__main__':
    unittest.main(verbosity=2)
