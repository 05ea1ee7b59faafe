# ranks: 1 2
# timeout: 300
"""mpi4py.futures: MPIPoolExecutor (spawned workers) and MPICommExecutor."""
import concurrent.futures
import time
import unittest

import mpitest
from mpi4py import MPI
from mpi4py import futures

def _dynamic_processes():
    """Whether this MPI library can start processes (Debian's MPICH, ch4:ucx, cannot: its
    ports and spawn fail at once with MPI.Exception)."""
    try:
        MPI.Close_port(MPI.Open_port())
    except MPI.Exception:
        return False
    return True


HAVE_SPAWN = _dynamic_processes()


def square(x):
    return x * x


def fail(message):
    raise ValueError(message)


def bad_initializer():
    raise RuntimeError('initializer failed')


def read_global():
    import __main__
    return __main__.VALUE


class TestAPI(unittest.TestCase):

    def test_reexports(self):
        self.assertIs(futures.Future, concurrent.futures.Future)
        self.assertIs(futures.wait, concurrent.futures.wait)
        self.assertIs(futures.as_completed, concurrent.futures.as_completed)
        self.assertIs(futures.CancelledError, concurrent.futures.CancelledError)
        self.assertIs(futures.BrokenExecutor, concurrent.futures.BrokenExecutor)
        self.assertEqual(futures.ALL_COMPLETED, 'ALL_COMPLETED')
        self.assertTrue(issubclass(futures.MPIPoolExecutor, futures.Executor))
        self.assertTrue(issubclass(futures.ThreadPoolExecutor,
                                   futures.MPIPoolExecutor))
        self.assertIs(futures.MPIPoolExecutor.Future, futures.Future)

    def test_bad_arguments(self):
        with self.assertRaises(ValueError):
            futures.MPIPoolExecutor(max_workers=0)
        with self.assertRaises(TypeError):
            futures.MPIPoolExecutor(bogus_option=1)
        with self.assertRaises(ValueError):
            futures.MPICommExecutor(MPI.COMM_SELF, root=1)

    def test_shutdown_before_use(self):
        executor = futures.MPIPoolExecutor()
        executor.shutdown()
        with self.assertRaises(RuntimeError):
            executor.submit(square, 2)

    def test_comm_executor_self(self):
        # A communicator of one process: one local worker thread.
        with futures.MPICommExecutor(MPI.COMM_SELF) as executor:
            self.assertEqual(executor.submit(square, 7).result(), 49)
            self.assertEqual(list(executor.map(square, range(4))), [0, 1, 4, 9])


@unittest.skipUnless(MPI.COMM_WORLD.Get_size() > 1, 'workers need 2 or more processes')
class TestCommExecutor(unittest.TestCase):

    def test_world(self):
        comm = MPI.COMM_WORLD
        with futures.MPICommExecutor(comm, root=0) as executor:
            if comm.Get_rank() == 0:
                self.assertIsInstance(executor, futures.MPIPoolExecutor)
                self.assertEqual(executor.submit(abs, -42).result(), 42)
                self.assertEqual(set(executor.map(abs, [-42, 42])), {42})
                self.assertEqual(
                    list(executor.map(square, range(20), chunksize=3)),
                    [x * x for x in range(20)])
                future = executor.submit(fail, 'boom')
                with self.assertRaisesRegex(ValueError, 'boom'):
                    future.result()
            else:
                self.assertIsNone(executor)


@unittest.skipUnless(HAVE_SPAWN, 'this MPI library cannot spawn processes (MPICH ch4:ucx)')
@unittest.skipUnless(MPI.COMM_WORLD.Get_size() == 1,
                     'spawning from one process is enough')
class TestPoolExecutor(unittest.TestCase):

    def test_submit_map_starmap(self):
        with futures.MPIPoolExecutor(max_workers=2) as executor:
            self.assertEqual(executor.submit(pow, 3, 4).result(), 81)
            self.assertEqual(list(executor.map(square, range(10))),
                             [x * x for x in range(10)])
            self.assertEqual(sorted(executor.map(square, range(10),
                                                 unordered=True)),
                             [x * x for x in range(10)])
            self.assertEqual(list(executor.starmap(pow, [(2, 3), (3, 2)],
                                                   chunksize=2)), [8, 9])
            with self.assertRaisesRegex(ValueError, 'bad'):
                executor.submit(fail, 'bad').result()

    def test_timeout(self):
        with futures.MPIPoolExecutor(max_workers=1) as executor:
            results = executor.map(time.sleep, [2], timeout=0.1)
            with self.assertRaises(futures.TimeoutError):
                next(results)

    def test_globals_and_initializer(self):
        with futures.MPIPoolExecutor(max_workers=1,
                                     globals={'VALUE': 'set'}) as executor:
            self.assertEqual(executor.submit(read_global).result(), 'set')
        executor = futures.MPIPoolExecutor(max_workers=1,
                                           initializer=bad_initializer)
        with self.assertRaises(futures.BrokenExecutor):
            executor.submit(square, 1).result()
        executor.shutdown()

    def test_bootup_and_cancel(self):
        executor = futures.MPIPoolExecutor(max_workers=1).bootup()
        running = executor.submit(time.sleep, 0.5)
        queued = [executor.submit(square, i) for i in range(5)]
        executor.shutdown(wait=True, cancel_futures=True)
        self.assertTrue(running.done())
        self.assertTrue(all(f.done() for f in queued))


if __name__ == '__main__':
    mpitest.main()
