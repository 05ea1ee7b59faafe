"""Machinery of mpi4py.futures: pools of MPI worker processes.

A pool is a group of worker processes connected to the master process
by an intercommunicator (workers are ranks 0..n-1 of the remote group
seen from the master; the master is rank 0 of the remote group seen
from the workers).  A manager thread in the master hands out tasks to
idle workers and collects their results; it is the only thread of the
pool that makes MPI calls.  All messages are pickled with the
lower-case methods of MPI.Comm.

Master to worker (tag _TASK):  None to stop, or (client, setup, task)
  client -- id of the submitting executor
  setup  -- None, or the pickled executor setup, sent before the first
            task of each executor on each worker
  task   -- pickled (fn, args, kwargs)
Worker to master (tag _RESULT): pickled (kind, value) with kind
  'result' (value returned), 'error' (exception raised), or 'broken'
  (the executor setup failed on that worker: value is a message).
"""

import atexit
import contextlib
import itertools
import os
import pickle
import sys
import threading
import time
import types
import warnings
from concurrent.futures import BrokenExecutor

from .. import MPI

_TASK = 1
_RESULT = 2

# Idle polling: sleep between probes, growing up to this many seconds.
_MAX_POLL_SLEEP = 1e-3


def _dumps(obj):
    return pickle.dumps(obj, pickle.HIGHEST_PROTOCOL)


class _Poller:
    """Sleep between unsuccessful polls, longer and longer (capped), so
    that waiting does not keep a core busy."""

    def __init__(self):
        self.delay = 0.0

    def idle(self):
        time.sleep(self.delay)
        self.delay = min(2 * self.delay + 1e-5, _MAX_POLL_SLEEP)

    def reset(self):
        self.delay = 0.0


_mpi_lock = None


def _serialized():
    """Context serializing MPI calls when MPI is not THREAD_MULTIPLE."""
    global _mpi_lock
    if _mpi_lock is None:
        level = MPI.Query_thread()
        if level < MPI.THREAD_SERIALIZED:
            warnings.warn('mpi4py.futures: MPI is not initialized with '
                          'THREAD_SERIALIZED or THREAD_MULTIPLE support; '
                          'MPI calls from several threads may fail',
                          RuntimeWarning, stacklevel=3)
        if level < MPI.THREAD_MULTIPLE:
            _mpi_lock = threading.Lock()
        else:
            _mpi_lock = contextlib.nullcontext()
    return _mpi_lock


# ---------------------------------------------------------------------------
# Master side

class Client:
    """What a pool needs to know about one executor."""

    _ids = itertools.count()

    def __init__(self, setup):
        self.id = next(self._ids)
        self.setup = _dumps(setup)
        self.broken = None      # reason, once the setup failed somewhere
        self.futures = set()    # futures not done yet


class WorkItem:
    __slots__ = ('future', 'client', 'task')

    def __init__(self, future, client, task):
        self.future, self.client, self.task = future, client, task


# Pools whose manager thread is running; stopped at exit.
_pools = set()


class Pool:
    """Workers behind an intercommunicator, fed by a manager thread.

    `connect()` returns the intercommunicator and `disconnect(comm)`
    releases it; both are called in the manager thread.
    """

    def __init__(self, connect, disconnect):
        self._connect = connect
        self._disconnect = disconnect
        self._cond = threading.Condition()
        self._queue = []
        self._stopping = False
        self._broken = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._manage, daemon=True,
                                        name='mpi4py.futures manager')
        _pools.add(self)
        self._thread.start()

    def wait_ready(self):
        """Wait until the workers are connected; raise BrokenExecutor if
        they could not be started."""
        self._ready.wait()
        if self._broken is not None:
            raise BrokenExecutor(self._broken)

    def submit(self, item):
        with self._cond:
            if self._broken is not None:
                raise BrokenExecutor(self._broken)
            if item.client.broken is not None:
                raise BrokenExecutor(item.client.broken)
            if self._stopping:
                raise RuntimeError('cannot schedule new futures after '
                                   'shutdown')
            item.client.futures.add(item.future)
            item.future.add_done_callback(item.client.futures.discard)
            self._queue.append(item)
            self._cond.notify()

    def cancel(self, client):
        """Cancel the queued (not yet running) futures of `client`."""
        with self._cond:
            for item in self._queue:
                if item.client is client:
                    item.future.cancel()

    def stop(self, wait=True):
        """Stop the workers once all submitted tasks are done."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if wait:
            self._thread.join()

    def _fail_queued(self, reason, client=None):
        """Fail queued futures (of `client`, or all) with BrokenExecutor."""
        with self._cond:
            keep = []
            for item in self._queue:
                if client is None or item.client is client:
                    if item.future.set_running_or_notify_cancel():
                        item.future.set_exception(BrokenExecutor(reason))
                else:
                    keep.append(item)
            self._queue[:] = keep

    def _manage(self):
        try:
            try:
                with _serialized():
                    comm = self._connect()
            except BaseException as exc:
                self._broken = f'cannot start the worker processes: {exc!r}'
                self._fail_queued(self._broken)
                return
            finally:
                self._ready.set()
            try:
                self._serve(comm)
            finally:
                with _serialized():
                    self._disconnect(comm)
        finally:
            _pools.discard(self)

    def _next_items(self, idle, busy):
        """Wait for work; return the items to start on idle workers, or
        None when it is time to stop."""
        with self._cond:
            while not self._queue and not busy and not self._stopping:
                self._cond.wait()
            if self._stopping and not self._queue and not busy:
                return None
            items = []
            while idle and len(items) < len(idle) and self._queue:
                item = self._queue.pop(0)
                if item.client.broken is not None:
                    if item.future.set_running_or_notify_cancel():
                        item.future.set_exception(
                            BrokenExecutor(item.client.broken))
                elif item.future.set_running_or_notify_cancel():
                    items.append(item)
            return items

    def _serve(self, comm):
        nworkers = comm.Get_remote_size()
        idle = list(range(nworkers))
        busy = {}           # worker -> item
        configured = set()  # (worker, client id) pairs that got the setup
        status = MPI.Status()
        poller = _Poller()
        while True:
            items = self._next_items(idle, busy)
            if items is None:
                break
            progress = bool(items)
            for item in items:
                worker = idle.pop()
                key = (worker, item.client.id)
                setup = None if key in configured else item.client.setup
                try:
                    task = _dumps(item.task)
                except Exception as exc:  # e.g. a lambda cannot be pickled
                    item.future.set_exception(exc)
                    idle.append(worker)
                    continue
                with _serialized():
                    comm.send((item.client.id, setup, task), worker, _TASK)
                configured.add(key)
                busy[worker] = item
            while True:
                with _serialized():
                    if not comm.iprobe(MPI.ANY_SOURCE, _RESULT, status):
                        break
                    worker = status.Get_source()
                    reply = comm.recv(None, worker, _RESULT)
                progress = True
                item = busy.pop(worker)
                idle.append(worker)
                self._finish(item, reply)
            if progress:
                poller.reset()
            else:
                poller.idle()
        with _serialized():
            for worker in range(nworkers):
                comm.send(None, worker, _TASK)

    def _finish(self, item, reply):
        try:
            kind, value = pickle.loads(reply)
        except Exception as exc:  # e.g. the result's class is unknown here
            item.future.set_exception(exc)
            return
        if kind == 'result':
            item.future.set_result(value)
        elif kind == 'error':
            item.future.set_exception(value)
        else:
            item.client.broken = value
            item.future.set_exception(BrokenExecutor(value))
            self._fail_queued(value, item.client)


@atexit.register
def _stop_pools():
    """At exit, let every pool finish its tasks and stop its workers."""
    for pool in list(_pools):
        pool.stop()


def _interpreter_flags():
    """Command line flags reproducing this interpreter's settings."""
    flags = sys.flags
    args = []
    for flag, option in (('optimize', 'O'), ('dont_write_bytecode', 'B'),
                         ('ignore_environment', 'E'), ('no_user_site', 's'),
                         ('no_site', 'S'), ('isolated', 'I'),
                         ('bytes_warning', 'b'), ('quiet', 'q'),
                         ('safe_path', 'P')):
        args += ['-' + option] * getattr(flags, flag, 0)
    args += ['-W' + option for option in sys.warnoptions]
    for key, value in sys._xoptions.items():
        args += ['-X', key if value is True else f'{key}={value}']
    return args


def default_max_workers():
    """Number of workers to spawn: MPI4PY_MAX_WORKERS, else the MPI
    universe size minus the size of MPI_COMM_WORLD, else 1."""
    value = os.environ.get('MPI4PY_MAX_WORKERS')
    if value:
        return int(value)
    universe = MPI.COMM_WORLD.Get_attr(MPI.UNIVERSE_SIZE)
    if universe:
        return max(universe - MPI.COMM_WORLD.Get_size(), 1)
    return 1


def spawn_pool(max_workers, python_exe=None, python_args=(), mpi_info=()):
    """Start a pool of `max_workers` new processes with MPI_Comm_spawn."""
    if importing_main:
        raise RuntimeError('mpi4py.futures: the main script of a worker '
                           'process tried to spawn workers (recursive '
                           'spawn): protect the main script code with '
                           "\"if __name__ == '__main__':\"")
    executable = python_exe or sys.executable
    args = (_interpreter_flags() + list(python_args)
            + ['-m', f'{__spec__.parent}.server'])
    items = mpi_info.items() if isinstance(mpi_info, dict) else mpi_info

    def connect():
        info = MPI.Info.Create()
        try:
            for key, value in items:
                info.Set(key, str(value))
            return MPI.COMM_SELF.Spawn(executable, args, max_workers,
                                       info, root=0)
        finally:
            info.Free()

    return Pool(connect, lambda comm: comm.Disconnect())


# The pool of MPI_COMM_WORLD processes under `python -m mpi4py.futures`,
# shared by every executor of the master process.
shared_pool = None


def set_shared_pool(intercomm):
    global shared_pool
    shared_pool = Pool(lambda: intercomm, lambda comm: comm.Free())


def split(comm, root):
    """Split the intracommunicator `comm` into the master (rank `root`)
    and the workers (all other ranks); return the intercommunicator."""
    rank = comm.Get_rank()
    is_master = rank == root
    group = comm.Split(0 if is_master else 1, rank)
    try:
        if is_master:
            remote_leader = 1 if root == 0 else 0
        else:
            remote_leader = root
        return group.Create_intercomm(0, comm, remote_leader, _TASK)
    finally:
        group.Free()


def starmap_chunk(fn, chunk):
    """Task of MPIPoolExecutor.starmap() with chunksize > 1."""
    return [fn(*args) for args in chunk]


# ---------------------------------------------------------------------------
# Worker side

# True while a worker runs the master's main script.
importing_main = False


def main_info():
    """How workers can get the master's __main__ module: ('module', name),
    ('path', filename), or None (interactive, -c code)."""
    main = sys.modules.get('__main__')
    spec = getattr(main, '__spec__', None)
    if spec is not None and spec.name != '__main__':
        return ('module', spec.name)
    path = getattr(main, '__file__', None)
    if path:
        return ('path', os.path.abspath(path))
    return None


def _run_main(main):
    """Run the master's main script as module __worker__, which also
    becomes __main__, so that pickles referring to it can be loaded."""
    import runpy
    global importing_main
    if main is None or '__worker__' in sys.modules:
        return
    module = types.ModuleType('__worker__')
    kind, name = main
    importing_main = True
    try:
        if kind == 'module':
            namespace = runpy.run_module(name, run_name='__worker__')
        else:
            namespace = runpy.run_path(name, run_name='__worker__')
    finally:
        importing_main = False
    module.__dict__.update(namespace)
    sys.modules['__worker__'] = sys.modules['__main__'] = module


def _apply_setup(setup):
    """Prepare this worker for the tasks of an executor."""
    main, initializer, initargs, path, wdir, env, main_globals = setup
    os.environ.update(env)
    sys.path.extend(path)
    if wdir is not None:
        os.chdir(wdir)
    _run_main(main)
    vars(sys.modules['__main__']).update(main_globals)
    if initializer is not None:
        initializer(*initargs)


def _execute(task):
    """Run a pickled task; return the pickled reply."""
    try:
        fn, args, kwargs = pickle.loads(task)
        reply = ('result', fn(*args, **kwargs))
    except BaseException as exc:
        reply = ('error', exc)
    try:
        return _dumps(reply)
    except Exception as exc:
        return _dumps(('error', RuntimeError(
            f'cannot pickle the {reply[0]} of the task: {exc!r}')))


def serve(comm):
    """Execute tasks from the master through the intercommunicator
    `comm` until it says to stop."""
    failed = {}  # client id -> setup error message (None: setup fine)
    poller = _Poller()
    while True:
        while not comm.iprobe(0, _TASK):
            poller.idle()
        poller.reset()
        message = comm.recv(None, 0, _TASK)
        if message is None:
            return
        client, setup, task = message
        if setup is not None:
            try:
                _apply_setup(pickle.loads(setup))
                failed[client] = None
            except BaseException as exc:
                failed[client] = (f'executor setup failed in worker '
                                  f'{comm.Get_rank()}: {exc!r}')
        if failed.get(client) is not None:
            reply = _dumps(('broken', failed[client]))
        else:
            reply = _execute(task)
        comm.send(reply, 0, _RESULT)
