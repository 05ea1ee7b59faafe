# ranks: 1 2
"""mpi4py.bench: helloworld output (exact, complete, in rank order),
ringtest and pingpong."""
import contextlib
import io
import unittest

import mpitest
from mpi4py import MPI, bench

comm = MPI.COMM_WORLD


def run(function, *args, **kwargs):
    """Call function(...) capturing stdout; return (result, output)."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        result = function(*args, **kwargs)
    return result, output.getvalue()


class TestHelloworld(unittest.TestCase):

    def test_output(self):
        size, rank = comm.Get_size(), comm.Get_rank()
        name = MPI.Get_processor_name()
        greeting, output = run(bench.helloworld, comm, [])
        self.assertEqual(
            greeting, f'Hello, World! I am process {rank} of {size} on {name}.')
        if rank == 0:
            self.assertEqual(output.splitlines(), [
                f'Hello, World! I am process {r} of {size} on {name}.'
                for r in range(size)])
        else:
            self.assertEqual(output, '')

    def test_quiet(self):
        for args, verbose in ((['-q'], True), (['--quiet'], True), ([], False)):
            greeting, output = run(bench.helloworld, comm, args, verbose)
            self.assertEqual(output, '')
            self.assertIn(f'process {comm.Get_rank()} of', greeting)

    def test_self(self):
        greeting, _ = run(bench.helloworld, MPI.COMM_SELF, verbose=False)
        self.assertIn('I am process 0 of 1 on', greeting)

    def test_main(self):
        _, output = run(bench.main, ['helloworld'])
        expected = comm.Get_size() if comm.Get_rank() == 0 else 0
        self.assertEqual(len(output.splitlines()), expected)

    def test_bad_command(self):
        with contextlib.redirect_stderr(io.StringIO()):
            with self.assertRaises(SystemExit):
                bench.main(['nosuchbench'])


class TestRingtest(unittest.TestCase):

    def test_ring(self):
        elapsed, output = run(bench.ringtest, comm,
                              ['-n', '1000', '-s', '2', '-l', '5'])
        self.assertGreater(elapsed, 0.0)
        if comm.Get_rank() == 0:
            self.assertRegex(output, r'^time for 5 loops = \S+ seconds '
                             rf'\({comm.Get_size()} processes, 1000 bytes\)\n$')

    def test_quiet_and_defaults(self):
        elapsed, output = run(bench.ringtest, comm, ['-q'])
        self.assertEqual(output, '')
        self.assertGreaterEqual(elapsed, 0.0)

    def test_bad_options(self):
        with self.assertRaises(ValueError):
            bench.ringtest(comm, ['--loop', '0'])


class TestPingpong(unittest.TestCase):

    @unittest.skipUnless(comm.Get_size() >= 2, 'needs 2 processes')
    def test_pingpong(self):
        results, output = run(bench.pingpong, comm,
                              ['-n', '8', '-N', '1024', '-l', '5', '-s', '1'])
        if comm.Get_rank() == 0:
            self.assertEqual([r[0] for r in results],
                             [8, 16, 32, 64, 128, 256, 512, 1024])
            self.assertTrue(all(r[1] > 0 and r[2] > 0 for r in results))
            self.assertEqual(len(output.splitlines()), 1 + len(results))
        else:
            self.assertEqual((results, output), ([], ''))

    @unittest.skipUnless(comm.Get_size() == 1, 'needs 1 process')
    def test_needs_two(self):
        with self.assertRaises(ValueError):
            bench.pingpong(comm, [])


if __name__ == '__main__':
    mpitest.main()
