# ranks: 0
# timeout: 240
"""The python-mpi launcher, from outside: the argv MPI_Init_thread receives, parity with
Debian's python3.11 for every flag (as a singleton and under `mpiexec -n 1`), exit statuses and
the abort policy on 1 and 2 ranks, output flushing, the thread level, the built-in module."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

import mpitest

PYTHON_MPI = os.path.abspath(mpitest.PYTHON_MPI)
PYTHON = mpitest.PYTHON
PACKAGE = os.path.join(mpitest.SRCDIR, 'lib', 'python', 'mpi4py')


def env_without(*names, **extra):
    e = dict(os.environ)
    for n in names:
        e.pop(n, None)
    e.pop('PYTHONUNBUFFERED', None)
    e.update(extra)
    return e


def run(cmd, timeout=60, env=None, input=None, cwd=None):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          env=env if env is not None else env_without(), input=input, cwd=cwd)


# Prints what Python made of its command line, as JSON (sys.executable left out: it differs).
PROBE = textwrap.dedent('''\
    import json, sys, warnings
    print(json.dumps({
        'argv': sys.argv, 'path0': sys.path[0], 'flags': list(sys.flags),
        'warnoptions': sys.warnoptions, 'xoptions': sys._xoptions,
        'name': __name__, 'write_through': sys.stdout.write_through,
        'encoding': sys.stdout.encoding, 'filters': [f[0] for f in warnings.filters[:1]],
    }))
    ''')


class Tmp(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='pympi-launch-')
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(textwrap.dedent(text))
        return path


class TestArgv(Tmp):
    """MPI_Init_thread gets the real argv (recorded by the argvspy PMPI interposer)."""

    def test_init_thread_argv(self):
        spy = os.environ.get('ARGVSPY')
        if not spy or not os.path.exists(spy):
            self.skipTest('ARGVSPY (tests/argvspy library) not set by CTest')
        script = self.write('s.py', 'import sys; print(sys.argv)\n')
        out_file = os.path.join(self.tmp, 'argv.txt')
        out = mpitest.job(1, [script, 'a', 'b c', '-x'],
                          env={'LD_PRELOAD': spy, 'ARGVSPY_OUT': out_file})
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), repr([script, 'a', 'b c', '-x']))
        with open(out_file) as f:
            recorded = f.read().splitlines()
        self.assertEqual(recorded, [PYTHON_MPI, script, 'a', 'b c', '-x'])

    def test_init_thread_argv_with_flags(self):
        spy = os.environ.get('ARGVSPY')
        if not spy or not os.path.exists(spy):
            self.skipTest('ARGVSPY (tests/argvspy library) not set by CTest')
        out_file = os.path.join(self.tmp, 'argv.txt')
        out = run([PYTHON_MPI, '-u', '-X', 'dev', '-c', 'pass', 'z'],
                  env=env_without(LD_PRELOAD=spy, ARGVSPY_OUT=out_file))
        self.assertEqual(out.returncode, 0, out.stderr)
        with open(out_file) as f:
            self.assertEqual(f.read().splitlines(),
                             [PYTHON_MPI, '-u', '-X', 'dev', '-c', 'pass', 'z'])


class TestParity(Tmp):
    """python-mpi, alone and under `mpiexec -n 1`, does what /usr/bin/python3.11 does."""

    def three(self, args, input=None, env=None, cwd=None):
        """Run python3.11, python-mpi and mpiexec -n 1 python-mpi with args; return the results."""
        env = env if env is not None else env_without()
        ref = run([PYTHON] + args, input=input, env=env, cwd=cwd)
        alone = run([PYTHON_MPI] + args, input=input, env=env, cwd=cwd)
        job = run([mpitest.MPIEXEC, '-n', '1', PYTHON_MPI] + args, input=input, env=env, cwd=cwd)
        return ref, alone, job

    def same(self, args, input=None, env=None, cwd=None, stderr=False, status=None):
        ref, alone, job = self.three(args, input, env, cwd)
        if status is not None:
            self.assertEqual(ref.returncode, status, ref.stderr)
        for how, out in (('python-mpi', alone), ('mpiexec -n 1 python-mpi', job)):
            with self.subTest(args=args, how=how):
                self.assertEqual(out.returncode, ref.returncode, out.stderr)
                self.assertEqual(out.stdout, ref.stdout)
                if stderr:
                    self.assertEqual(out.stderr, ref.stderr)
        return ref

    def probe(self, flags, tail=(), **kw):
        script = self.write('probe.py', PROBE)
        ref = self.same(list(flags) + [script] + list(tail), cwd=self.tmp, **kw)
        self.assertEqual(ref.returncode, 0, ref.stderr)
        return json.loads(ref.stdout)

    def test_script_args(self):
        info = self.probe([], ['a', '-b', '--c=d', ''])
        self.assertEqual(info['argv'][1:], ['a', '-b', '--c=d', ''])
        self.assertEqual(info['path0'], self.tmp)

    def test_flags(self):
        for flags in (['-u'], ['-E'], ['-I'], ['-s'], ['-S'], ['-O'], ['-OO'], ['-B'], ['-b'],
                      ['-q'], ['-X', 'dev'], ['-X', 'utf8'], ['-X', 'utf8=0'], ['-W', 'error'],
                      ['-W', 'ignore::DeprecationWarning'], ['-P'], ['-u', '-E', '-X', 'dev']):
            self.probe(flags, ['x'])
        self.assertTrue(self.probe(['-u'])['write_through'])
        self.assertEqual(self.probe(['-X', 'dev'])['xoptions'], {'dev': True})
        self.assertEqual(self.probe(['-W', 'error'])['filters'], ['error'])

    def test_env_flags(self):
        env = env_without(PYTHONDONTWRITEBYTECODE='1', PYTHONOPTIMIZE='2', PYTHONUNBUFFERED='1')
        plain = self.probe([], env=env)
        ignored = self.probe(['-E'], env=env)
        self.assertNotEqual(plain['flags'], ignored['flags'])

    def test_command(self):
        self.same(['-c', 'import sys; print(sys.argv, sys.path[0] == "", __name__)', 'a', 'b'])

    def test_module_stdlib(self):
        data = self.write('d.json', '{"b": [1, 2], "a": null}\n')
        ref = self.same(['-m', 'json.tool', '--sort-keys', data])
        self.assertIn('"a": null', ref.stdout)

    def test_module_in_dir(self):
        self.write('pkgx/__init__.py', '')
        self.write('pkgx/__main__.py', 'import sys; print("main", __name__, sys.argv[1:])\n')
        self.write('modx.py', 'import sys; print("modx", __name__, sys.argv[1:], sys.path[0] == __import__("os").getcwd())\n')
        ref = self.same(['-m', 'modx', '1', '2'], cwd=self.tmp)
        self.assertIn("modx __main__ ['1', '2'] True", ref.stdout)
        self.same(['-m', 'pkgx', 'q'], cwd=self.tmp)
        self.same(['-m', 'no_such_module_xyz'], cwd=self.tmp, status=1)

    def test_interactive_piped(self):
        ref = self.same(['-i', '-c', 'x = 5'], input='print(6 * 7)\nx\n', stderr=True)
        self.assertEqual(ref.stdout, '42\n5\n')
        self.same(['-q', '-i'], input='import sys\nprint(sys.flags.inspect)\n')

    def test_stdin_script(self):
        ref = self.same(['-', 'q', 'r'], input='import sys; print(sys.argv, sys.path[0])\n')
        self.assertEqual(ref.stdout, "['-', 'q', 'r'] \n")
        self.same([], input='print("from stdin")\n')

    def test_version_help_usage(self):
        self.same(['--version'], stderr=True, status=0)
        self.same(['-V'], stderr=True, status=0)
        for args, status in ((['-h'], 0), (['--help'], 0), (['-Z'], 2), (['-c'], 2)):
            ref, alone, job = self.three(args)
            self.assertEqual(ref.returncode, status)
            self.assertEqual(alone.returncode, status)
            self.assertEqual(job.returncode, status)
        self.assertIn('-c cmd', alone.stdout + alone.stderr)

    def test_exit_statuses(self):
        self.same(['-c', 'pass'], status=0)
        self.same(['-c', 'import sys; sys.exit(0)'], status=0)
        self.same(['-c', 'import sys; sys.exit(3)'], status=3)
        self.same(['-c', 'import sys; sys.exit("bye")'], status=1, stderr=True)
        self.same(['-c', 'raise SystemExit(7)'], status=7)
        self.same(['-c', 'raise ValueError'], status=1)
        script = self.write('ex.py', 'import sys\nprint("before")\nsys.exit(4)\n')
        self.same([script], status=4)
        self.same(['-m', 'ex'], cwd=self.tmp, status=4)
        # os._exit() skips every exit hook, MPI_Finalize included: alone it is python3's status;
        # under mpiexec hydra sees a rank vanish without finalizing and reports 5 or 1 (a race
        # in hydra), never success.
        ref, alone, job = self.three(['-c', 'import os; os._exit(5)'])
        self.assertEqual((ref.returncode, alone.returncode), (5, 5))
        self.assertIn(job.returncode, (1, 5), job.stderr)
        self.same(['nonexistent_script.py'], status=2)

    def test_keyboard_interrupt_one_rank(self):
        # python3 re-raises an unhandled KeyboardInterrupt as SIGINT on itself (status -2);
        # under mpiexec, compare with python3.11 under mpiexec (hydra reports the signal).
        args = ['-c', 'raise KeyboardInterrupt']
        ref, alone, job = self.three(args)
        self.assertEqual(ref.returncode, -2)
        self.assertEqual(alone.returncode, -2)
        self.assertEqual(alone.stderr, ref.stderr)
        ref_job = run([mpitest.MPIEXEC, '-n', '1', PYTHON] + args)
        self.assertNotEqual(ref_job.returncode, 0)
        self.assertEqual(job.returncode, ref_job.returncode)
        self.assertIn('KeyboardInterrupt', job.stderr)
        self.assertNotIn('aborting', job.stderr)

    def test_executable(self):
        code = 'import sys; print(sys.executable)'
        self.assertEqual(run([PYTHON_MPI, '-c', code]).stdout.strip(), PYTHON_MPI)
        out = mpitest.job(1, ['-c', code])
        self.assertEqual(out.stdout.strip(), PYTHON_MPI)
        out = mpitest.job(2, ['-c', code])
        self.assertEqual(out.stdout.split(), [PYTHON_MPI] * 2)


LAUNCHER_LINE = 'python-mpi: rank {} of {} exited with status {}: aborting the job'


class TestAbort(Tmp):
    """Exits on 2 ranks: status 0 finalizes, anything else aborts the job with a line."""

    def test_normal_end_two_ranks(self):
        out = mpitest.job(2, ['-c', 'from mpi4py import MPI; MPI.COMM_WORLD.Barrier()'])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertNotIn('aborting', out.stderr)
        out = mpitest.job(2, ['-c', 'import sys; sys.exit(0)'])
        self.assertEqual(out.returncode, 0, out.stderr)

    def test_sys_exit_on_rank1(self):
        # Repeated: the other rank's MPI_Finalize must not win against the exit.
        code = ('import sys; from mpi4py import MPI; '
                'sys.exit(3 if MPI.COMM_WORLD.Get_rank() == 1 else 0)')
        script = self.write('exit3.py', code + '\n')
        for args in (['-c', code], [script], ['-c', code], [script]):
            out = mpitest.job(2, args)
            self.assertEqual(out.returncode, 3, out.stderr)  # mpiexec: the MPI_Abort code
            self.assertIn(LAUNCHER_LINE.format(1, 2, 3), out.stderr)
            self.assertNotIn('rank 0 of 2', out.stderr)

    def test_exception_while_other_rank_waits(self):
        script = self.write('exc.py', '''\
            from mpi4py import MPI
            comm = MPI.COMM_WORLD
            if comm.Get_rank() == 0:
                raise ValueError("boom on rank 0")
            comm.recv(source=0)
            ''')
        start = time.monotonic()
        out = mpitest.job(2, [script], timeout=30)
        elapsed = time.monotonic() - start
        self.assertLess(elapsed, 10)
        self.assertEqual(out.returncode, 1, out.stderr)
        self.assertIn('Traceback (most recent call last)', out.stderr)
        self.assertIn('ValueError: boom on rank 0', out.stderr)
        self.assertIn(LAUNCHER_LINE.format(0, 2, 1), out.stderr)

    def kbi(self, how):
        script = self.write('kbi.py', '''\
            import os, signal, sys, time
            from mpi4py import MPI
            comm = MPI.COMM_WORLD
            if comm.Get_rank() == 1:
                if sys.argv[1] == 'raise':
                    raise KeyboardInterrupt
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(30)
            comm.recv(source=1)
            ''')
        start = time.monotonic()
        out = mpitest.job(2, [script, how], timeout=40)
        self.assertLess(time.monotonic() - start, 10)
        self.assertEqual(out.returncode, 130, out.stderr)
        self.assertIn('KeyboardInterrupt', out.stderr)
        self.assertIn(LAUNCHER_LINE.format(1, 2, 130), out.stderr)

    def test_keyboard_interrupt_raised(self):
        self.kbi('raise')

    def test_keyboard_interrupt_sigint(self):
        self.kbi('signal')

    def test_comm_abort(self):
        # MPI_Abort exits the process itself: the launcher's exit handler must stay out of it.
        code = 'from mpi4py import MPI; MPI.COMM_WORLD.Abort(5)'
        for out in (run([PYTHON_MPI, '-c', code]), mpitest.job(1, ['-c', code])):
            self.assertEqual(out.returncode, 5, out.stderr)
            self.assertNotIn('Assertion failed', out.stderr)
            self.assertNotIn('python-mpi:', out.stderr)
        code = ('import time; from mpi4py import MPI; c = MPI.COMM_WORLD\n'
                'if c.Get_rank() == 1: c.Abort(6)\n'
                'time.sleep(30)\n')
        start = time.monotonic()
        out = mpitest.job(2, ['-c', code], timeout=40)
        self.assertLess(time.monotonic() - start, 10)
        self.assertEqual(out.returncode, 6, out.stderr)
        self.assertNotIn('Assertion failed', out.stderr)

    def test_fatal_signal(self):
        script = self.write('segv.py', '''\
            import os, signal
            from mpi4py import MPI
            comm = MPI.COMM_WORLD
            if comm.Get_rank() == 1:
                os.kill(os.getpid(), signal.SIGSEGV)
            comm.recv(source=1)
            ''')
        start = time.monotonic()
        out = mpitest.job(2, [script], timeout=40)
        self.assertLess(time.monotonic() - start, 10)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn('python-mpi: rank 1 of 2: fatal signal 11', out.stderr)

    def test_no_lost_output(self):
        script = self.write('many.py', '''\
            from mpi4py import MPI
            comm = MPI.COMM_WORLD
            if comm.Get_rank() == 1:
                for i in range(1000):
                    print(f"line {i}")
                print("tail-without-newline", end='')
                raise RuntimeError("after the output")
            comm.recv(source=1)
            ''')
        for env in ({}, {'PYTHONUNBUFFERED': '1'}):
            out = mpitest.job(2, [script], env=env, timeout=30)
            self.assertNotEqual(out.returncode, 0)
            lines = out.stdout.splitlines()
            self.assertEqual(lines[:1000], [f'line {i}' for i in range(1000)])
            self.assertEqual(lines[1000:], ['tail-without-newline'])
            self.assertIn('RuntimeError: after the output', out.stderr)
            self.assertIn(LAUNCHER_LINE.format(1, 2, 1), out.stderr)


class TestFinalizedByProgram(Tmp):
    """A program that calls MPI.Finalize() itself: the launcher does not call MPI again."""

    SCRIPT = '''\
        import sys
        from mpi4py import MPI
        comm = MPI.COMM_WORLD
        rank = comm.Get_rank()
        comm.Barrier()
        MPI.Finalize()
        print("finalized", rank, MPI.Is_finalized(), flush=True)
        sys.exit(int(sys.argv[1]) if rank == int(sys.argv[2]) else 0)
        '''

    def test_status_zero(self):
        script = self.write('fin.py', self.SCRIPT)
        for n in (1, 2):
            out = mpitest.job(n, [script, '0', '0'])
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertEqual(sorted(out.stdout.splitlines()),
                             [f'finalized {r} True' for r in range(n)])
            self.assertEqual(out.stderr, '')
        out = run([PYTHON_MPI, script, '0', '0'])
        self.assertEqual((out.returncode, out.stderr), (0, ''))

    def test_failure_after_finalize(self):
        # No abort is possible any more: the rank says so and exits with its status.
        script = self.write('fin.py', self.SCRIPT)
        out = mpitest.job(2, [script, '4', '1'])
        self.assertEqual(out.returncode, 4, out.stderr)
        self.assertIn('python-mpi: rank 1 of 2 exited with status 4 after MPI_Finalize: '
                      'the job cannot be aborted', out.stderr)
        self.assertNotIn('Attempting to use an MPI routine', out.stderr)
        out = mpitest.job(1, [script, '4', '0'])  # one rank: as python3
        self.assertEqual((out.returncode, out.stderr), (4, ''))

    def test_mpi4py_run_after_finalize(self):
        code = 'from mpi4py import MPI; MPI.Finalize(); 1/0'
        out = mpitest.job(2, ['-m', 'mpi4py', '-c', code])
        self.assertEqual(out.returncode, 1, out.stderr)
        self.assertIn('ZeroDivisionError', out.stderr)
        self.assertIn('after MPI_Finalize: the job cannot be aborted', out.stderr)
        self.assertNotIn('Attempting to use an MPI routine', out.stderr)


class TestOwnPackage(Tmp):
    """python-mpi always imports its own mpi4py package, whatever else comes first on the path
    (an mpi4py installed for python3 on PYTHONPATH, or in the script's directory)."""

    CODE = 'import mpi4py; from mpi4py import MPI; print(mpi4py.__file__, MPI.COMM_WORLD.Get_size())'

    def fake(self, where):
        self.write(os.path.join(where, 'mpi4py', '__init__.py'),
                   'raise ImportError("the fake mpi4py was imported")\n')
        self.write(os.path.join(where, 'mpi4py', 'MPI.py'), 'raise ImportError("fake MPI")\n')
        return os.path.join(self.tmp, where)

    def check(self, out, nprocs):
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.splitlines(),
                         [f'{PACKAGE}/__init__.py {nprocs}'] * nprocs)

    def test_pythonpath_first(self):
        env = {'PYTHONPATH': self.fake('site')}
        self.check(mpitest.job(2, ['-c', self.CODE], env=env), 2)
        self.check(run([PYTHON_MPI, '-c', self.CODE], env=env_without(**env)), 1)
        self.check(mpitest.job(1, ['-m', 'mpi4py', '-c', self.CODE], env=env), 1)

    def test_script_directory(self):
        where = self.fake('app')
        script = self.write('app/main.py', self.CODE + '\n')
        self.check(mpitest.job(2, [script]), 2)
        self.check(run([PYTHON_MPI, '-c', self.CODE], cwd=where), 1)

    def test_submodules_are_ours(self):
        env = {'PYTHONPATH': self.fake('site')}
        code = 'import mpi4py.bench, mpi4py.run as r; print(r.__file__)'
        out = run([PYTHON_MPI, '-c', code], env=env_without(**env))
        self.assertEqual(out.stdout.strip(), os.path.join(PACKAGE, 'run.py'), out.stderr)


class TestChildren(Tmp):
    """Issue 15's example: a spawn-context multiprocessing pool under mpiexec -n 2."""

    def test_spawn_pool_example(self):
        script = self.write('mp.py', '''\
            import multiprocessing as mp
            def sq(x): return x * x
            if __name__ == "__main__":
                from mpi4py import MPI
                with mp.get_context("spawn").Pool(1) as p:
                    print(MPI.COMM_WORLD.rank, p.map(sq, [1, 2, 3]), flush=True)
            ''')
        out = mpitest.job(2, [script], timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(sorted(out.stdout.splitlines()), ['0 [1, 4, 9]', '1 [1, 4, 9]'])

    def test_multiprocessing_helper_of_a_singleton(self):
        # Without mpiexec too, a multiprocessing helper runs as plain Python: MPI only if it
        # imports mpi4py.MPI.
        script = self.write('mp1.py', '''\
            import multiprocessing as mp
            def initialized():
                flag = ctypes.c_int()
                ctypes.CDLL(None).MPI_Initialized(ctypes.byref(flag))
                return flag.value
            def probe(_):
                before = initialized()
                from mpi4py import MPI
                return before, MPI.COMM_WORLD.Get_size()
            import ctypes
            if __name__ == "__main__":
                with mp.get_context("spawn").Pool(1) as p:
                    print(initialized(), p.map(probe, [0]))
            ''')
        out = run([PYTHON_MPI, script])
        self.assertEqual((out.returncode, out.stdout.strip()), (0, '1 [(0, 1)]'), out.stderr)


class TestThreadLevel(unittest.TestCase):

    def level(self, value, nprocs=1):
        code = 'from mpi4py import MPI; print(MPI.Query_thread())'
        env = {'MPI4PY_RC_THREAD_LEVEL': value} if value is not None else {}
        return mpitest.job(nprocs, ['-c', code], env=env)

    def test_levels(self):
        from_name = {'single': 0, 'funneled': 1, 'serialized': 2, 'multiple': 3}  # MPICH values
        probe = mpitest.job(1, ['-c', 'from mpi4py import MPI; print(MPI.THREAD_SINGLE, '
                                'MPI.THREAD_FUNNELED, MPI.THREAD_SERIALIZED, MPI.THREAD_MULTIPLE)'])
        values = [int(v) for v in probe.stdout.split()]
        from_name = dict(zip(from_name, values))
        for name, value in (('serialized', from_name['serialized']),
                            ('SERIALIZED', from_name['serialized']),
                            ('funneled', from_name['funneled']),
                            ('single', from_name['single']),
                            (None, from_name['multiple'])):
            out = self.level(name)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertEqual(int(out.stdout), value, name)
        out = self.level('serialized', 2)
        self.assertEqual(out.stdout.split(), [str(from_name['serialized'])] * 2)

    def test_unknown_value(self):
        out = self.level('bogus')
        self.assertEqual(out.returncode, 2)
        self.assertEqual(out.stdout, '')
        self.assertEqual(len(out.stderr.strip().splitlines()), 1, out.stderr)
        self.assertIn("MPI4PY_RC_THREAD_LEVEL='bogus'", out.stderr)
        alone = run([PYTHON_MPI, '-c', 'print(1)'], env=env_without(MPI4PY_RC_THREAD_LEVEL='x'))
        self.assertEqual(alone.returncode, 2)
        self.assertEqual(len(alone.stderr.strip().splitlines()), 1, alone.stderr)


class TestBuiltinModule(Tmp):
    """`from mpi4py import MPI` under python-mpi is the built-in even with an MPI*.so around."""

    def test_builtin_wins(self):
        so = os.path.join(mpitest.BUILDDIR, '.libs', 'MPI.so')
        if not os.path.exists(so):
            self.skipTest('no .libs/MPI.so in the build tree')
        pkg = os.path.join(self.tmp, 'site', 'mpi4py')
        shutil.copytree(os.path.join(mpitest.SRCDIR, 'lib', 'python', 'mpi4py'), pkg,
                        ignore=shutil.ignore_patterns('__pycache__'))
        shutil.copy(so, os.path.join(pkg, 'MPI.so'))
        shutil.copy(so, os.path.join(pkg, 'MPI.cpython-311-x86_64-linux-gnu.so'))
        code = ('import sys, mpi4py, importlib.machinery as m; from mpi4py import MPI; '
                'print(mpi4py.__file__, MPI.__spec__.origin, "mpi4py.MPI" in sys.builtin_module_names, '
                'issubclass(MPI.__loader__, m.BuiltinImporter) and "BuiltinImporter", '
                'MPI.COMM_WORLD.Get_size())')
        site = os.path.dirname(pkg)
        out = mpitest.job(2, ['-c', code], env={'PYTHONPATH': site})
        self.assertEqual(out.returncode, 0, out.stderr)
        for line in out.stdout.splitlines():
            init, origin, builtin, loader, size = line.split()
            self.assertEqual(init, os.path.join(PACKAGE, '__init__.py'))  # ours, not the copy
            self.assertEqual(origin, 'built-in')
            self.assertEqual(builtin, 'True')
            self.assertEqual(loader, 'BuiltinImporter')
            self.assertEqual(size, '2')
        # The copy is loadable: a plain python3 gets the .so from the same directory.
        out = mpitest.job(1, ['-c', 'from mpi4py import MPI; print(MPI.__spec__.origin)'],
                          env={'PYTHONPATH': site}, executable=PYTHON)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertTrue(out.stdout.strip().startswith(pkg), out.stdout)


if __name__ == '__main__':
    mpitest.main()
