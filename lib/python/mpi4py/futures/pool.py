"""Executors running tasks in MPI processes."""

import concurrent.futures
import itertools
import sys
import threading
import time

from . import _core

_SETUP_OPTIONS = ('python_exe', 'python_args', 'mpi_info', 'globals',
                  'main', 'path', 'wdir', 'env')


class MPIPoolExecutor(concurrent.futures.Executor):
    """Executor running calls in a pool of at most `max_workers` MPI
    processes.

    Workers are spawned (MPI_Comm_spawn) on the first submission or on
    bootup(); their number is `max_workers`, else MPI4PY_MAX_WORKERS,
    else the MPI universe size minus the size of MPI_COMM_WORLD, else 1.
    Under ``python -m mpi4py.futures`` all executors share the processes
    of MPI_COMM_WORLD instead, and `max_workers` and the spawn options
    are not used.

    Keyword options: python_exe, python_args, mpi_info (for spawning),
    globals, main, path, wdir, env (for preparing the workers).
    """

    Future = concurrent.futures.Future

    def __init__(self, max_workers=None, initializer=None, initargs=(),
                 **kwargs):
        if max_workers is not None and max_workers <= 0:
            raise ValueError('max_workers must be greater than 0')
        if initializer is not None and not callable(initializer):
            raise TypeError('initializer must be a callable')
        unknown = set(kwargs) - set(_SETUP_OPTIONS)
        if unknown:
            raise TypeError(f'unexpected options: {", ".join(sorted(unknown))}')
        main = _core.main_info() if kwargs.get('main', True) else None
        setup = (main, initializer, tuple(initargs),
                 list(kwargs.get('path', ())), kwargs.get('wdir'),
                 dict(kwargs.get('env', {})), dict(kwargs.get('globals', {})))
        # Tasks and results may refer to the main module by either name.
        if '__main__' in sys.modules:
            sys.modules.setdefault('__worker__', sys.modules['__main__'])
        self._client = _core.Client(setup)
        self._max_workers = max_workers
        self._spawn_options = {key: kwargs[key] for key in
                               ('python_exe', 'python_args', 'mpi_info')
                               if key in kwargs}
        self._lock = threading.Lock()
        self._pool = None
        self._owns_pool = False
        self._shutdown = False

    def _start(self):
        """Get a pool (call with self._lock held)."""
        if self._shutdown:
            raise RuntimeError('cannot schedule new futures after shutdown')
        if self._pool is None:
            if _core.shared_pool is not None:
                self._pool = _core.shared_pool
            else:
                workers = self._max_workers or _core.default_max_workers()
                self._pool = _core.spawn_pool(workers, **self._spawn_options)
                self._owns_pool = True
        return self._pool

    def bootup(self, wait=True):
        """Start the worker processes now; if `wait`, until they are
        ready (raises BrokenExecutor if they could not be started)."""
        with self._lock:
            pool = self._start()
        if wait:
            pool.wait_ready()
        return self

    def submit(self, fn, *args, **kwargs):
        """Schedule fn(*args, **kwargs); return a Future."""
        with self._lock:
            pool = self._start()
            future = self.Future()
            pool.submit(_core.WorkItem(future, self._client,
                                       (fn, args, kwargs)))
        return future

    def map(self, fn, *iterables, timeout=None, chunksize=1, unordered=False):
        """Like map(fn, *iterables), calls running in the workers.

        Calls are grouped by `chunksize` into tasks.  Results come in
        order, or as soon as available if `unordered`.  The iterator
        raises TimeoutError if a result is not available `timeout`
        seconds after the call to map().
        """
        return self.starmap(fn, zip(*iterables), timeout, chunksize,
                            unordered)

    def starmap(self, fn, iterable, timeout=None, chunksize=1,
                unordered=False):
        """Like itertools.starmap(fn, iterable), calls running in the
        workers; see map() for the options."""
        if chunksize < 1:
            raise ValueError('chunksize must be >= 1')
        end = None if timeout is None else time.monotonic() + timeout
        if chunksize == 1:
            futures = [self.submit(fn, *args) for args in iterable]
        else:
            items = iter(iterable)
            chunks = iter(lambda: list(itertools.islice(items, chunksize)),
                          [])
            futures = [self.submit(_core.starmap_chunk, fn, chunk)
                       for chunk in chunks]
        return _results(futures, end, unordered, chunksize > 1)

    def shutdown(self, wait=True, *, cancel_futures=False):
        """Free the workers once the pending futures are done.

        With `wait`, return only then.  With `cancel_futures`, cancel the
        futures that have not started running.
        """
        with self._lock:
            self._shutdown = True
            pool = self._pool
        if pool is None:
            return
        if cancel_futures:
            pool.cancel(self._client)
        if self._owns_pool:
            pool.stop(wait)
        elif wait:
            concurrent.futures.wait(list(self._client.futures))


def _results(futures, end, unordered, chunked):
    """Iterate over the results of `futures` until time `end`; cancel
    the remaining ones when the iteration stops early."""
    def remaining():
        return None if end is None else end - time.monotonic()
    try:
        done = (concurrent.futures.as_completed(futures, remaining())
                if unordered else futures)
        for future in done:
            result = future.result(remaining())
            if chunked:
                yield from result
            else:
                yield result
    finally:
        for future in futures:
            future.cancel()


class ThreadPoolExecutor(MPIPoolExecutor):
    """MPIPoolExecutor under the name of concurrent.futures' executor."""


class ProcessPoolExecutor(MPIPoolExecutor):
    """MPIPoolExecutor under the name of concurrent.futures' executor."""


class MPICommExecutor:
    """Context manager turning the processes of an intracommunicator
    into one master and workers::

        with MPICommExecutor(MPI.COMM_WORLD, root=0) as executor:
            if executor is not None:   # only at the master
                ...executor.submit(...)

    It is collective over `comm` (default: MPI.COMM_WORLD).  At rank
    `root` the target is an MPIPoolExecutor using the other processes;
    those serve its tasks while entering the block and then get None.
    With a communicator of size one the master gets a
    concurrent.futures.ThreadPoolExecutor with a single thread.
    Keyword options are those of MPIPoolExecutor that prepare workers;
    the main module is not re-run (the workers run the same program).
    """

    def __init__(self, comm=None, root=0, **kwargs):
        from .. import MPI
        if comm is None:
            comm = MPI.COMM_WORLD
        if comm.Is_inter():
            raise ValueError('expecting an intracommunicator')
        if not 0 <= root < comm.Get_size():
            raise ValueError(f'root rank {root} out of range')
        self._comm = comm
        self._root = root
        self._options = dict(kwargs, main=False)
        self._executor = None

    def __enter__(self):
        if self._executor is not None:
            raise RuntimeError('MPICommExecutor is not reentrant')
        comm, root = self._comm, self._root
        if comm.Get_size() == 1:
            self._executor = concurrent.futures.ThreadPoolExecutor(1)
            return self._executor
        intercomm = _core.split(comm, root)
        if comm.Get_rank() != root:
            try:
                _core.serve(intercomm)
            finally:
                intercomm.Free()
            return None
        executor = MPIPoolExecutor(**self._options)
        executor._pool = _core.Pool(lambda: intercomm,
                                    lambda comm: comm.Free())
        executor._owns_pool = True
        self._executor = executor
        return executor

    def __exit__(self, *args):
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        return False
