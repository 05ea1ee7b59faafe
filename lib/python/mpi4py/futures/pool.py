"""Executors running tasks in MPI processes (or threads)."""

import concurrent.futures
import itertools
import sys
import threading
import time

from . import _lib

# Keyword options of MPIPoolExecutor besides max_workers and initializer.
_SPAWN_OPTIONS = ('python_exe', 'python_args', 'mpi_info')
_SETUP_OPTIONS = ('globals', 'main', 'path', 'wdir', 'env')
_OTHER_OPTIONS = ('service', 'backoff')


class MPIPoolExecutor(concurrent.futures.Executor):
    """Executor running calls in a pool of at most `max_workers` MPI
    processes.

    Workers are spawned (MPI_Comm_spawn) on the first submission or on
    bootup(); their number is `max_workers`, else MPI4PY_MAX_WORKERS,
    else the MPI universe size minus the size of MPI_COMM_WORLD, else 1.
    With `service` (a published service name, or a (host, port) address)
    the workers are the processes of a running ``mpi4py.futures.server``
    instead.  Under ``python -m mpi4py.futures`` all executors share the
    processes of MPI_COMM_WORLD (at one process: threads of their own),
    and `max_workers` and the spawn options are not used.

    Keyword options: python_exe, python_args, mpi_info (spawning or
    connecting), globals, main, path, wdir, env (preparing the workers),
    service, backoff (longest sleep between polls, in seconds).
    """

    Future = concurrent.futures.Future

    def __init__(self, max_workers=None, initializer=None, initargs=(),
                 **kwargs):
        if max_workers is not None:
            max_workers = int(max_workers)
            if max_workers <= 0:
                raise ValueError('max_workers must be greater than 0')
        if initializer is not None and not callable(initializer):
            raise TypeError('initializer must be a callable')
        unknown = (set(kwargs) - set(_SPAWN_OPTIONS) - set(_SETUP_OPTIONS)
                   - set(_OTHER_OPTIONS))
        if unknown:
            raise TypeError(f'unexpected options: {", ".join(sorted(unknown))}')
        main = _lib.main_info() if kwargs.get('main', True) else None
        self._client = _lib.Client(
            main, initializer, tuple(initargs),
            list(kwargs.get('path') or ()), kwargs.get('wdir'),
            dict(kwargs.get('env') or {}), dict(kwargs.get('globals') or {}))
        # Tasks and results may refer to the main module by either name.
        if '__main__' in sys.modules:
            sys.modules.setdefault('__worker__', sys.modules['__main__'])
        self._max_workers = max_workers
        self._options = {key: kwargs[key] for key in
                         _SPAWN_OPTIONS + _OTHER_OPTIONS if key in kwargs}
        self._lock = threading.Lock()
        self._pool = None
        self._shutdown = False

    def _make_pool(self):
        """The pool for this executor (called once, on first use)."""
        if _lib.SharedPool is not None:
            return _lib.SharedPool(self)
        options = dict(self._options)
        if 'service' in options:
            return _lib.service_pool(options.pop('service'),
                                     options.get('mpi_info'),
                                     options.get('backoff', _lib.BACKOFF))
        options.pop('service', None)
        return _lib.spawn_pool(self._max_workers, **options)

    def _start(self):
        """Get the pool (call with self._lock held)."""
        if self._shutdown:
            raise RuntimeError('cannot schedule new futures after shutdown')
        if self._pool is None:
            self._pool = self._make_pool()
        return self._pool

    def bootup(self, wait=True):
        """Start the workers now; if `wait`, until they are ready (raises
        BrokenExecutor if they could not be started)."""
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
            pool.submit(_lib.WorkItem(future, self._client,
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
            futures = [self.submit(_lib.starmap_chunk, fn, chunk)
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
        pool.release(self._client, wait)


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
    """MPIPoolExecutor whose workers are `max_workers` (default 1)
    threads of this process."""

    def _make_pool(self):
        return _lib.ThreadPool(self._client, self._max_workers or 1)


class ProcessPoolExecutor(MPIPoolExecutor):
    """MPIPoolExecutor that always spawns its workers (even under
    ``python -m mpi4py.futures``)."""

    def _make_pool(self):
        options = {key: self._options[key] for key in _SPAWN_OPTIONS
                   if key in self._options}
        return _lib.spawn_pool(self._max_workers, **options)


class MPICommExecutor:
    """Context manager turning the processes of an intracommunicator
    into one master and workers::

        with MPICommExecutor(MPI.COMM_WORLD, root=0) as executor:
            if executor is not None:   # only at the master
                ...executor.submit(...)

    It is collective over `comm` (default: MPI.COMM_WORLD).  At rank
    `root` the target is an MPIPoolExecutor using the other processes;
    those serve its tasks while entering the block and then get None.
    With a communicator of one process, the executor runs the tasks in
    a thread of that process (`max_workers` threads if given).  Under
    ``python -m mpi4py.futures`` (where only the master runs the
    program) the executor uses the shared pool of that command.
    Keyword options are those of MPIPoolExecutor that prepare workers;
    the main module is not re-run by workers that run the same program.
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
        self._options = kwargs
        self._executor = None

    def __enter__(self):
        if self._executor is not None:
            raise RuntimeError('MPICommExecutor is not reentrant')
        comm, root = self._comm, self._root
        if _lib.SharedPool is None and comm.Get_size() > 1:
            intercomm = _lib.split(comm, root)
            if comm.Get_rank() != root:
                if _lib.serve(intercomm):
                    intercomm.Free()
                return None
        options = self._options
        if _lib.SharedPool is None:
            # The workers run this same program: no main module to import.
            options = dict(options, main=False)
        executor = MPIPoolExecutor(**options)
        if _lib.SharedPool is not None:
            executor._pool = _lib.SharedPool(executor)
        elif comm.Get_size() == 1:
            executor._pool = _lib.ThreadPool(executor._client,
                                             executor._max_workers or 1)
        else:
            executor._pool = _lib.ProcessPool(
                lambda: intercomm, lambda comm: comm.Free(),
                backoff=options.get('backoff', _lib.BACKOFF))
        self._executor = executor
        return executor

    def __exit__(self, *exc_info):
        executor, self._executor = self._executor, None
        if executor is None:
            # A worker: its part of the block is over (as in mpi4py, an
            # exception raised there is not propagated).
            return True
        executor.shutdown(wait=True)
        return False
