# ranks: 0
# timeout: 600
"""mpi4py.futures with dynamic processes, as whole jobs: how many workers MPIPoolExecutor spawns
(MPI4PY_MAX_WORKERS, `mpiexec -usize`), the manual's julia example, the client/server mode
(`python -m mpi4py.futures.server` with --bind/--port or a published service name), a worker
dying in a task and a recursive spawn reported as BrokenExecutor.  Needs an MPI library that can
spawn (MPIEXEC and PYTHON_MPI of a spawn-capable build); skipped, with the reason printed, on
Debian's MPICH (ch4:ucx)."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import mpitest

PKG = os.path.join(mpitest.SRCDIR, 'tests', 'pkg')
TARGET = os.path.join(PKG, 'futures_spawn.py')


def run(args, mpiexec_args=(), nprocs=1, env=None, timeout=120, cwd=None):
    """mpiexec [mpiexec_args] -n nprocs python-mpi args..."""
    e = dict(os.environ)
    e.update(env or {})
    cmd = [mpitest.MPIEXEC, *mpiexec_args, '-n', str(nprocs), mpitest.PYTHON_MPI, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=e, cwd=cwd)


def can_spawn():
    out = run(['-c', 'from mpi4py import MPI; MPI.Close_port(MPI.Open_port())'], timeout=60)
    return out.returncode == 0


CAN_SPAWN = can_spawn()
if not CAN_SPAWN:
    print(f'test_futures_spawn: skipped: {mpitest.MPIEXEC} with {mpitest.PYTHON_MPI} cannot open '
          f'ports or spawn (Debian MPICH ch4:ucx); run it with a spawn-capable MPI',
          file=sys.stderr, flush=True)

SQUARES = 'squares [0, 1, 4, 9, 16]'


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@unittest.skipUnless(CAN_SPAWN, 'this MPI library cannot spawn processes')
class TestSpawnedWorkers(unittest.TestCase):

    def test_default_one_worker(self):
        out = run([TARGET, 'workers'])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), f'workers 1 parent True {SQUARES}')

    def test_max_workers_environment(self):
        out = run([TARGET, 'workers'], env={'MPI4PY_MAX_WORKERS': '3'})
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), f'workers 3 parent True {SQUARES}')

    def test_universe_size(self):
        # mpiexec -usize 3: the universe minus the one process of COMM_WORLD.
        out = run([TARGET, 'workers'], mpiexec_args=['-usize', '3'])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), f'workers 2 parent True {SQUARES}')

    def test_julia(self):
        env = {'JULIA_SIZE': '48x32'}
        with tempfile.TemporaryDirectory() as tmp:
            image = os.path.join(tmp, 'julia.pgm')
            out = run([os.path.join(PKG, 'julia.py'), image], mpiexec_args=['-usize', '3'],
                      env=env)
            self.assertEqual(out.returncode, 0, out.stderr)
            with open(image, 'rb') as f:
                data = f.read()
            # The same lines computed in one process, without an executor.
            code = (f'import sys; sys.path.insert(0, {PKG!r}); import julia; '
                    f'sys.stdout.write(b"".join(julia.julia_line(k) for k in range(julia.h)).hex())')
            expected = run(['-c', code], env=env)
            self.assertEqual(expected.returncode, 0, expected.stderr)
        header = b'P5 48 32 255\n'
        self.assertEqual(data[:len(header)], header)
        self.assertEqual(data[len(header):].hex(), expected.stdout)
        self.assertGreater(len(set(data[len(header):])), 10)   # a picture, not a flat image

    def test_worker_dies(self):
        # Both futures fail, the executor is broken, and the master ends normally.
        out = run([TARGET, 'die'], timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = out.stdout.splitlines()
        self.assertEqual(len(lines), 3, out.stdout)
        for line in lines[:2]:
            self.assertRegex(line, r'^BrokenExecutor lost the worker processes: worker \d .*died')
        self.assertEqual(lines[2], 'submit: BrokenExecutor')

    def test_recursive_spawn(self):
        out = run([TARGET, 'recursive'], env={'FUTURES_RECURSIVE': '1'})
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn('BrokenExecutor', out.stdout)
        self.assertIn('recursive spawn', out.stdout)


@unittest.skipUnless(CAN_SPAWN, 'this MPI library cannot open ports')
class TestServer(unittest.TestCase):

    def serve(self, server_args, client_service, mpiexec_args=(), nprocs=2):
        server = subprocess.Popen(
            [mpitest.MPIEXEC, *mpiexec_args, '-n', str(nprocs), mpitest.PYTHON_MPI,
             '-m', 'mpi4py.futures.server', *server_args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            client = None
            for _ in range(50):     # until the server listens (or publishes)
                client = run([TARGET, 'service', client_service], mpiexec_args=mpiexec_args)
                if client.returncode == 0 or server.poll() is not None:
                    break
                time.sleep(0.2)
            out, err = server.communicate(timeout=60)
        finally:
            if server.poll() is None:
                server.kill()
                server.communicate()
        self.assertEqual(client.returncode, 0, client.stderr)
        self.assertEqual(client.stdout.strip(), f'workers {nprocs} parent False {SQUARES}')
        self.assertEqual(server.returncode, 0, err)   # the server ends with its client

    def test_bind_port(self):
        port = free_port()
        self.serve(['--bind', '127.0.0.1', '--port', str(port)], f'127.0.0.1:{port}')

    def test_service_name(self):
        nameserver = os.path.join(os.path.dirname(shutil.which(mpitest.MPIEXEC) or ''),
                                  'hydra_nameserver')
        if not os.access(nameserver, os.X_OK):
            self.skipTest(f'no hydra_nameserver next to {mpitest.MPIEXEC}')
        port = free_port()
        names = subprocess.Popen([nameserver, '-port', str(port)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(0.5)
            self.serve(['--service', 'futures-test'], 'futures-test',
                       mpiexec_args=['-nameserver', f'localhost:{port}'])
        finally:
            names.kill()
            names.wait()


if __name__ == '__main__':
    unittest.main()
