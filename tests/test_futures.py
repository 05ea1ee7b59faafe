# ranks: 1 2
# timeout: 300
"""mpi4py.futures: MPICommExecutor (split communicator, or a worker thread for one process),
ThreadPoolExecutor, aplus (future chaining), and MPIPoolExecutor on spawned workers where the MPI
library can spawn (see also test_futures_run.py for the command-line modes)."""
import concurrent.futures
import os
import sys
import threading
import time
import unittest

import mpitest
from mpi4py import MPI
from mpi4py import futures
from mpi4py.futures import _lib, aplus


def _dynamic_processes():
    """Whether this MPI library can start processes (Debian's MPICH, ch4:ucx, cannot: its
    ports and spawn fail at once with MPI.Exception)."""
    try:
        MPI.Close_port(MPI.Open_port())
    except MPI.Exception:
        return False
    return True


HAVE_SPAWN = _dynamic_processes()
NO_SPAWN = 'this MPI library cannot spawn processes (Debian MPICH ch4:ucx)'

# Set by the initializers below, in the thread or process running the tasks.
STATE = threading.local()
INIT_VALUE = None


def square(x):
    return x * x


def check_cancel_futures(test, executor, seconds):
    """shutdown(cancel_futures=True) lets the running task finish and cancels the queued ones."""
    running = executor.submit(time.sleep, seconds)
    while not running.running():
        time.sleep(0.01)
    queued = [executor.submit(square, i) for i in range(5)]
    executor.shutdown(wait=True, cancel_futures=True)
    test.assertTrue(running.done() and not running.cancelled())
    test.assertTrue(all(future.cancelled() for future in queued))


def fail(message):
    raise ValueError(message)


def thread_init(value):
    STATE.value = value


def thread_state():
    return getattr(STATE, 'value', None), threading.current_thread().name


def process_init(value):
    global INIT_VALUE
    INIT_VALUE = value


def process_state():
    return INIT_VALUE, MPI.COMM_WORLD.Get_rank(), os.getpid()


def slow_bad_initializer():
    time.sleep(0.3)  # so that the first submission happens before the pool breaks
    raise RuntimeError('initializer failed')


def read_global(name):
    import __main__
    return getattr(__main__, name, None)


def environment(name):
    return os.environ.get(name), os.getcwd(), sys.path[-1]


class TestAPI(unittest.TestCase):

    def test_reexports(self):
        self.assertIs(futures.Future, concurrent.futures.Future)
        self.assertIs(futures.wait, concurrent.futures.wait)
        self.assertIs(futures.as_completed, concurrent.futures.as_completed)
        self.assertIs(futures.CancelledError, concurrent.futures.CancelledError)
        self.assertIs(futures.BrokenExecutor, concurrent.futures.BrokenExecutor)
        self.assertEqual(futures.ALL_COMPLETED, 'ALL_COMPLETED')
        self.assertTrue(issubclass(futures.MPIPoolExecutor, futures.Executor))
        self.assertTrue(issubclass(futures.ThreadPoolExecutor, futures.MPIPoolExecutor))
        self.assertTrue(issubclass(futures.ProcessPoolExecutor, futures.MPIPoolExecutor))
        self.assertIs(futures.MPIPoolExecutor.Future, futures.Future)

    def test_no_shared_pool(self):
        # Only `python -m mpi4py.futures` sets it (test_futures_run.py).
        self.assertIsNone(_lib.SharedPool)

    def test_bad_arguments(self):
        for bad in (0, -1, '0'):
            with self.assertRaises(ValueError):
                futures.MPIPoolExecutor(max_workers=bad)
        with self.assertRaises(TypeError):
            futures.MPIPoolExecutor(initializer=42)
        with self.assertRaises(TypeError):
            futures.MPIPoolExecutor(bogus_option=1)
        with self.assertRaises(ValueError):
            futures.MPICommExecutor(MPI.COMM_SELF, root=1)
        with self.assertRaises(ValueError):
            futures.MPICommExecutor(MPI.COMM_SELF, root=-1)
        with self.assertRaises(ValueError):
            executor = futures.ThreadPoolExecutor()
            executor.map(square, [1], chunksize=0)
        executor.shutdown()

    def test_shutdown_before_use(self):
        executor = futures.MPIPoolExecutor()
        executor.shutdown()
        with self.assertRaises(RuntimeError):
            executor.submit(square, 2)
        with self.assertRaises(RuntimeError):
            executor.bootup()


class TestCommExecutorSelf(unittest.TestCase):
    """A communicator of one process: the same executor class, tasks in a worker thread."""

    def test_executor(self):
        with futures.MPICommExecutor(MPI.COMM_SELF) as executor:
            self.assertIsInstance(executor, futures.MPIPoolExecutor)
            self.assertIs(executor.bootup(), executor)
            self.assertEqual(executor.submit(square, 7).result(), 49)
            self.assertEqual(executor.submit(pow, 2, exp=5).result(), 32)
            self.assertEqual(list(executor.map(square, range(4))), [0, 1, 4, 9])
            self.assertEqual(list(executor.starmap(pow, [(2, 3), (3, 2)])), [8, 9])
            self.assertEqual(list(executor.map(square, range(7), chunksize=3)),
                             [x * x for x in range(7)])
            self.assertEqual(sorted(executor.map(square, range(10), unordered=True)),
                             [x * x for x in range(10)])
            with self.assertRaisesRegex(ValueError, 'boom'):
                executor.submit(fail, 'boom').result()
            value, name = executor.submit(thread_state).result()
            self.assertNotEqual(name, threading.current_thread().name)

    def test_initializer(self):
        with futures.MPICommExecutor(MPI.COMM_SELF, initializer=thread_init,
                                     initargs=(42,)) as executor:
            self.assertEqual(executor.submit(thread_state).result()[0], 42)
        self.assertIsNone(getattr(STATE, 'value', None))  # not run in this thread

    def test_initializer_failure(self):
        with futures.MPICommExecutor(MPI.COMM_SELF,
                                     initializer=slow_bad_initializer) as executor:
            future = executor.submit(square, 2)
            with self.assertRaisesRegex(futures.BrokenExecutor, 'initializer failed'):
                future.result()
            with self.assertRaises(futures.BrokenExecutor):
                executor.submit(square, 2)

    def test_map_timeout(self):
        with futures.MPICommExecutor(MPI.COMM_SELF) as executor:
            results = executor.map(time.sleep, [0.5, 0], timeout=0.1)
            with self.assertRaises(futures.TimeoutError):
                next(results)

    def test_shutdown_cancel_futures(self):
        executor = futures.ThreadPoolExecutor()
        check_cancel_futures(self, executor, 0.3)
        with self.assertRaises(RuntimeError):
            executor.submit(square, 1)

    def test_thread_pool_executor(self):
        # ThreadPoolExecutor: max_workers threads, each running the initializer.
        barrier = threading.Barrier(3, timeout=10)
        with futures.ThreadPoolExecutor(max_workers=3, initializer=thread_init,
                                        initargs=('t',)) as executor:
            waits = [executor.submit(barrier.wait) for _ in range(3)]
            self.assertEqual(sorted(f.result() for f in waits), [0, 1, 2])
            states = {executor.submit(thread_state).result()[0] for _ in range(5)}
            self.assertEqual(states, {'t'})


@unittest.skipUnless(MPI.COMM_WORLD.Get_size() > 1, 'workers need 2 or more processes')
class TestCommExecutor(unittest.TestCase):

    def test_world(self):
        comm = MPI.COMM_WORLD
        with futures.MPICommExecutor(comm, root=0) as executor:
            if comm.Get_rank() == 0:
                self.assertIsInstance(executor, futures.MPIPoolExecutor)
                self.assertEqual(executor.submit(abs, -42).result(), 42)
                self.assertEqual(set(executor.map(abs, [-42, 42])), {42})
                self.assertEqual(list(executor.map(square, range(20), chunksize=3)),
                                 [x * x for x in range(20)])
                ranks = {executor.submit(process_state).result()[1] for _ in range(4)}
                self.assertNotIn(0, ranks)
                with self.assertRaisesRegex(ValueError, 'boom'):
                    executor.submit(fail, 'boom').result()
            else:
                self.assertIsNone(executor)

    def test_root_and_initializer(self):
        comm = MPI.COMM_WORLD
        root = comm.Get_size() - 1
        with futures.MPICommExecutor(comm, root=root, initializer=process_init,
                                     initargs=('init',), globals={'FROM_MASTER': 7}) as executor:
            if executor is not None:
                value, rank, _ = executor.submit(process_state).result()
                self.assertEqual((value, rank != root), ('init', True))
                self.assertEqual(executor.submit(read_global, 'FROM_MASTER').result(), 7)

    def test_initializer_failure(self):
        with futures.MPICommExecutor(MPI.COMM_WORLD, initializer=slow_bad_initializer) as executor:
            if executor is not None:
                with self.assertRaises(futures.BrokenExecutor):
                    executor.submit(square, 2).result()
                with self.assertRaises(futures.BrokenExecutor):
                    executor.submit(square, 2)

    def test_workers_back(self):
        # After the block the workers run the program again: the split is undone.
        comm = MPI.COMM_WORLD
        for _ in range(2):
            with futures.MPICommExecutor(comm) as executor:
                if executor is not None:
                    executor.submit(square, 1).result()
        self.assertEqual(comm.allreduce(1), comm.Get_size())


class TestAplus(unittest.TestCase):

    def test_then(self):
        future = aplus.ThenableFuture()
        chained = future.then(lambda x: x + 1).then(lambda x: x * 10)
        self.assertIsInstance(chained, aplus.ThenableFuture)
        future.set_result(1)
        self.assertEqual(chained.result(timeout=5), 20)

    def test_failure_paths(self):
        future = aplus.ThenableFuture()
        # on_success raising goes to on_failure; an exception returned by on_failure fails
        # the next future; a plain value returned by on_failure is a result.
        failed = future.then(lambda x: 1 / x, lambda e: KeyError('k'))
        recovered = future.then(lambda x: 1 / x, lambda e: type(e).__name__)
        passed = future.then(lambda x: 1 / x)
        future.set_result(0)
        self.assertIsInstance(failed.exception(timeout=5), KeyError)
        self.assertEqual(recovered.result(timeout=5), 'ZeroDivisionError')
        self.assertIsInstance(passed.exception(timeout=5), ZeroDivisionError)

    def test_catch(self):
        future = futures.Future()
        plain = aplus.catch(future)
        handled = aplus.catch(future, lambda e: str(e))
        skipped = aplus.then(future, lambda x: 'not called')
        future.set_exception(ValueError('bad'))
        self.assertIsNone(plain.result(timeout=5))
        self.assertEqual(handled.result(timeout=5), 'bad')
        self.assertIsInstance(skipped.exception(timeout=5), ValueError)
        self.assertIs(type(plain), futures.Future)

    def test_chain_future(self):
        inner = futures.Future()
        outer = futures.Future()
        chained = aplus.then(outer, lambda x: inner)
        outer.set_result(1)
        self.assertFalse(chained.done())
        inner.set_result('inner')
        self.assertEqual(chained.result(timeout=5), 'inner')

    def test_cycle(self):
        future = futures.Future()
        holder = []
        chained = aplus.then(future, lambda x: holder[0])
        holder.append(chained)
        future.set_result(1)
        with self.assertRaisesRegex(RuntimeError, 'cycle'):
            chained.result(timeout=5)

    def test_cancel(self):
        future = futures.Future()
        chained = aplus.then(future, lambda x: x)
        self.assertTrue(future.cancel())
        self.assertTrue(chained.cancelled())

    def test_with_executor(self):
        with futures.ThreadPoolExecutor() as executor:
            chained = aplus.then(executor.submit(square, 3), lambda x: x + 1)
            self.assertEqual(chained.result(timeout=5), 10)


@unittest.skipUnless(HAVE_SPAWN, NO_SPAWN)
class TestPoolExecutor(unittest.TestCase):
    """Spawned workers; every rank spawns its own pool (MPI_Comm_spawn on COMM_SELF)."""

    def test_submit_map_starmap(self):
        with futures.MPIPoolExecutor(max_workers=2) as executor:
            self.assertEqual(executor.submit(pow, 3, 4).result(), 81)
            self.assertEqual(list(executor.map(square, range(10))), [x * x for x in range(10)])
            self.assertEqual(sorted(executor.map(square, range(10), unordered=True)),
                             [x * x for x in range(10)])
            self.assertEqual(list(executor.starmap(pow, [(2, 3), (3, 2)], chunksize=2)), [8, 9])
            with self.assertRaisesRegex(ValueError, 'bad'):
                executor.submit(fail, 'bad').result()
            pids = {executor.submit(process_state).result()[2] for _ in range(4)}
            self.assertNotIn(os.getpid(), pids)

    def test_timeout(self):
        with futures.MPIPoolExecutor(max_workers=1) as executor:
            results = executor.map(time.sleep, [2], timeout=0.1)
            with self.assertRaises(futures.TimeoutError):
                next(results)

    def test_setup_options(self):
        here = os.getcwd()
        wdir = os.path.dirname(os.path.abspath(__file__))
        with futures.MPIPoolExecutor(max_workers=1, python_exe=sys.executable,
                                     python_args=['-B'], mpi_info={'wdir': here},
                                     globals={'VALUE': 'set'}, main=True,
                                     path=['/nonexistent/extra'], wdir=wdir,
                                     env={'FUTURES_TEST': 'yes'},
                                     initializer=process_init, initargs=(5,)) as executor:
            self.assertEqual(executor.submit(read_global, 'VALUE').result(), 'set')
            self.assertEqual(executor.submit(environment, 'FUTURES_TEST').result(),
                             ('yes', wdir, '/nonexistent/extra'))
            self.assertEqual(executor.submit(process_state).result()[0], 5)

    def test_initializer_failure(self):
        executor = futures.MPIPoolExecutor(max_workers=1, initializer=slow_bad_initializer)
        with self.assertRaises(futures.BrokenExecutor):
            executor.submit(square, 1).result()
        with self.assertRaises(futures.BrokenExecutor):
            executor.submit(square, 1)
        executor.shutdown()

    def test_bad_python_exe(self):
        executor = futures.MPIPoolExecutor(max_workers=1, python_exe='/nonexistent/python')
        with self.assertRaises(futures.BrokenExecutor):
            executor.bootup()
        with self.assertRaises(futures.BrokenExecutor):
            executor.submit(square, 1)
        executor.shutdown()

    def test_bootup_and_cancel(self):
        executor = futures.MPIPoolExecutor(max_workers=1)
        self.assertIs(executor.bootup(), executor)
        check_cancel_futures(self, executor, 0.5)

    def test_shutdown_nowait(self):
        executor = futures.MPIPoolExecutor(max_workers=1)
        future = executor.submit(time.sleep, 0.3)
        executor.shutdown(wait=False)
        self.assertFalse(future.done())
        self.assertIsNone(future.result(timeout=30))

    def test_process_pool_executor(self):
        with futures.ProcessPoolExecutor(max_workers=1) as executor:
            self.assertNotEqual(executor.submit(os.getpid).result(), os.getpid())


if __name__ == '__main__':
    mpitest.main()
