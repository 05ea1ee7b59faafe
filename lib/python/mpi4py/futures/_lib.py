"""Machinery of mpi4py.futures: the pools that run the tasks of executors.

Two kinds of pool, with one interface (submit, cancel, stop, release):

ProcessPool -- worker processes behind an intercommunicator (spawned,
  connected to a server, split from a communicator, or the processes of
  ``python -m mpi4py.futures``).  Workers are ranks 0..n-1 of the remote
  group seen from the master; the master is rank 0 of the remote group
  seen from the workers.  A manager thread of the master hands out tasks
  to idle workers and collects their results; it is the only thread that
  makes MPI calls for the pool.  Messages are pickled with the lower-case
  methods of MPI.Comm:
    master to worker (tag _TASK): None to stop, or (client, setup, task)
      client -- id of the submitting executor
      setup  -- None, or the executor setup, sent with the first task of
                each executor to each worker: two pickles, (main, path,
                wdir, env) and (globals, initializer, initargs), the second
                loaded once the main module is there
      task   -- pickled (fn, args, kwargs)
    worker to master (tag _RESULT): pickled (kind, value) with kind
      'result' (value returned), 'error' (exception raised), or 'broken'
      (the executor setup failed on that worker: value is a message).

ThreadPool -- threads of this process, for a communicator of one process,
  ``python -m mpi4py.futures`` at one rank, and ThreadPoolExecutor.

A pool that cannot go on (workers not started, connection lost) is broken:
its queued and later tasks fail with BrokenExecutor.  An executor whose
setup (initializer, main module...) failed is broken the same way, without
breaking a pool other executors share.
"""

import atexit
import collections
import contextlib
import itertools
import os
import pickle
import shutil
import socket
import sys
import threading
import time
import types
import warnings
from concurrent.futures import BrokenExecutor

from .. import MPI

_TASK = 1
_RESULT = 2

# Idle polling: sleep between probes, growing up to this many seconds
# (the executor option `backoff` changes it).
BACKOFF = 1e-3


def _dumps(obj):
    return pickle.dumps(obj, pickle.HIGHEST_PROTOCOL)


class _Poller:
    """Sleep between unsuccessful polls, longer and longer (capped), so
    that waiting does not keep a core busy."""

    def __init__(self, limit=BACKOFF):
        self.limit = limit
        self.delay = 0.0

    def idle(self):
        time.sleep(self.delay)
        self.delay = min(2 * self.delay + self.limit / 100, self.limit)

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

    def __init__(self, main, initializer, initargs, path, wdir, env,
                 main_globals):
        self.id = next(self._ids)
        self.initializer = initializer
        self.initargs = initargs
        self.setup = ((main, path, wdir, env),
                      (main_globals, initializer, initargs))
        self.broken = None      # reason, once the setup failed somewhere
        self.futures = set()    # futures not done yet


class WorkItem:
    __slots__ = ('future', 'client', 'task')

    def __init__(self, future, client, task):
        self.future, self.client, self.task = future, client, task


# Pools whose threads may still run; at exit each finishes its tasks.
_pools = set()


class Pool:
    """Queue of work items and the threads consuming it (subclasses)."""

    shared = False  # used by several executors: one does not stop it

    def __init__(self):
        self._cond = threading.Condition()
        self._queue = collections.deque()
        self._stopping = False
        self._broken = None
        self._ready = threading.Event()
        self._threads = []
        _pools.add(self)

    def _start_threads(self, target, count, name):
        for i in range(count):
            thread = threading.Thread(target=target, daemon=True,
                                      name=f'mpi4py.futures {name} {i}')
            self._threads.append(thread)
            thread.start()

    def wait_ready(self):
        """Wait until the pool can run tasks; raise BrokenExecutor if it
        never will."""
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
        """Stop the pool once all submitted tasks are done."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if wait:
            for thread in self._threads:
                if thread is not threading.current_thread():
                    thread.join()
            _pools.discard(self)

    def release(self, client, wait=True):
        """The executor of `client` shuts down: stop the pool, or, if it
        is shared, wait (if asked) for the tasks of `client` only."""
        if not self.shared:
            self.stop(wait)
        elif wait:
            import concurrent.futures
            concurrent.futures.wait(list(client.futures))

    def _break(self, reason, client=None):
        """Mark the pool (or only `client`) broken and fail the queued
        futures concerned with BrokenExecutor."""
        with self._cond:
            if client is None:
                self._broken = reason
            else:
                client.broken = reason
            keep = collections.deque()
            for item in self._queue:
                if client is None or item.client is client:
                    if item.future.set_running_or_notify_cancel():
                        item.future.set_exception(BrokenExecutor(reason))
                else:
                    keep.append(item)
            self._queue = keep
            self._cond.notify_all()


def _call(item):
    """Run a work item in this thread."""
    if not item.future.set_running_or_notify_cancel():
        return
    fn, args, kwargs = item.task
    try:
        result = fn(*args, **kwargs)
    except BaseException as exc:
        item.future.set_exception(exc)
    else:
        item.future.set_result(result)


# Seconds between checks that the workers running tasks are alive.
_CHECK_INTERVAL = 0.5


class _WorkerLost(Exception):
    """A worker process exited without a word."""


def _alive(pid):
    """Whether process `pid` of this host still runs (not a zombie)."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            state = f.read().rpartition(')')[2].split()[0]
    except FileNotFoundError:
        return False
    except OSError:     # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return True
    return state not in ('Z', 'X')


class ThreadPool(Pool):
    """`size` threads of this process running the tasks of one executor;
    each thread calls the executor's initializer first."""

    def __init__(self, client, size=1):
        super().__init__()
        self.size = size
        self._client = client
        self._start_threads(self._work, size, 'worker thread')
        self._ready.set()

    def _next(self):
        with self._cond:
            while not self._queue and not self._stopping \
                    and self._broken is None:
                self._cond.wait()
            if self._broken is not None or not self._queue:
                return None
            return self._queue.popleft()

    def _work(self):
        client = self._client
        if client.initializer is not None:
            try:
                client.initializer(*client.initargs)
            except BaseException as exc:
                self._break(f'initializer failed: {exc!r}')
                return
        while True:
            item = self._next()
            if item is None:
                return
            _call(item)
            del item


class ProcessPool(Pool):
    """Worker processes behind an intercommunicator, fed by a manager
    thread.  `connect()` returns the intercommunicator and
    `disconnect(comm)` releases it; both run in the manager thread."""

    def __init__(self, connect, disconnect, shared=False, backoff=BACKOFF):
        super().__init__()
        self.shared = shared
        self.size = None
        self._connect = connect
        self._disconnect = disconnect
        self._backoff = backoff
        self._busy = {}  # worker -> item running there
        self._start_threads(self._manage, 1, 'manager')

    def _manage(self):
        try:
            with _serialized():
                comm = self._connect()
                # Where each worker runs, to notice one that dies.
                self._procs = comm.gather(None, root=MPI.ROOT)
            self.size = comm.Get_remote_size()
        except BaseException as exc:
            self._break(f'cannot start the worker processes: {exc!r}')
            return
        finally:
            self._ready.set()
        try:
            self._serve(comm)
        except (MPI.Exception, _WorkerLost) as exc:
            # The tasks running and those still queued can only fail.  The
            # intercommunicator is left as it is: disconnecting from a dead
            # process could wait forever.
            reason = f'lost the worker processes: {exc}'
            for item in self._busy.values():
                item.future.set_exception(BrokenExecutor(reason))
            self._break(reason)
            self._release_live_workers(comm)
            return
        with _serialized():
            self._disconnect(comm)

    def _dead_workers(self, workers):
        """Those of `workers` (ranks) known to have exited: only workers
        on this host can be checked."""
        host = socket.gethostname()
        return [worker for worker in workers
                if self._procs[worker][0] == host
                and not _alive(self._procs[worker][1])]

    def _release_live_workers(self, comm):
        """Tell the workers still alive to stop (they do not wait for
        the disconnection of the dead ones, see serve())."""
        dead = set(self._dead_workers(range(comm.Get_remote_size())))
        with _serialized():
            for worker in range(comm.Get_remote_size()):
                if worker not in dead:
                    comm.send('lost', worker, _TASK)

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
                item = self._queue.popleft()
                if item.client.broken is not None:
                    if item.future.set_running_or_notify_cancel():
                        item.future.set_exception(
                            BrokenExecutor(item.client.broken))
                elif item.future.set_running_or_notify_cancel():
                    items.append(item)
            return items

    def _serve(self, comm):
        idle = list(reversed(range(comm.Get_remote_size())))
        self._busy = busy = {}  # worker -> item
        configured = set()      # (worker, client id) pairs that got the setup
        status = MPI.Status()
        poller = _Poller(self._backoff)
        next_check = time.monotonic() + _CHECK_INTERVAL
        while True:
            items = self._next_items(idle, busy)
            if items is None:
                break
            progress = bool(items)
            for item in items:
                worker = idle.pop()
                key = (worker, item.client.id)
                try:
                    setup = (None if key in configured else
                             tuple(map(_dumps, item.client.setup)))
                except Exception as exc:  # e.g. a lambda as initializer
                    reason = f'cannot pickle the executor setup: {exc!r}'
                    item.future.set_exception(BrokenExecutor(reason))
                    self._break(reason, item.client)
                    idle.append(worker)
                    continue
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
                if busy and time.monotonic() > next_check:
                    next_check = time.monotonic() + _CHECK_INTERVAL
                    dead = self._dead_workers(busy)
                    if dead:
                        raise _WorkerLost(f'worker {dead[0]} (process '
                                          f'{self._procs[dead[0]][1]}) died')
        dead = self._dead_workers(range(comm.Get_remote_size()))
        if dead:
            raise _WorkerLost(f'worker {dead[0]} died')
        with _serialized():
            for worker in range(comm.Get_remote_size()):
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
            item.future.set_exception(BrokenExecutor(value))
            self._break(value, item.client)


@atexit.register
def _stop_pools():
    """At exit, let every pool finish its tasks and stop its workers."""
    for pool in list(_pools):
        pool.stop()


# ---------------------------------------------------------------------------
# Starting worker processes

def _interpreter_flags():
    """Command line flags reproducing this interpreter's settings."""
    flags = sys.flags
    args = []
    for flag, option in (('debug', 'd'), ('optimize', 'O'),
                         ('dont_write_bytecode', 'B'),
                         ('ignore_environment', 'E'), ('no_user_site', 's'),
                         ('no_site', 'S'), ('isolated', 'I'),
                         ('verbose', 'v'), ('bytes_warning', 'b'),
                         ('quiet', 'q'), ('safe_path', 'P')):
        count = getattr(flags, flag, 0)
        if count:
            args.append('-' + option * count)
    args += ['-W' + option for option in sys.warnoptions]
    for key, value in sys._xoptions.items():
        args.append('-X' + (key if value is True else f'{key}={value}'))
    return args


def get_max_workers():
    """Number of workers to spawn: MPI4PY_MAX_WORKERS, else the MPI
    universe size minus the size of MPI_COMM_WORLD, else 1."""
    value = os.environ.get('MPI4PY_MAX_WORKERS')
    if value:
        return int(value)
    universe = MPI.COMM_WORLD.Get_attr(MPI.UNIVERSE_SIZE)
    if universe:
        return max(universe - MPI.COMM_WORLD.Get_size(), 1)
    return 1


def _info(items):
    """An MPI.Info from a dict or (key, value) pairs (MPI.INFO_NULL for
    none); the caller frees it."""
    if not items:
        return MPI.INFO_NULL
    info = MPI.Info.Create()
    pairs = items.items() if isinstance(items, dict) else items
    for key, value in pairs:
        info.Set(key, str(value))
    return info


def _free_info(info):
    if info != MPI.INFO_NULL:
        info.Free()


def _check_recursive_spawn():
    if importing_main:
        raise RuntimeError('mpi4py.futures: the main script of a worker '
                           'process tried to start workers itself '
                           '(recursive spawn): protect the main script code '
                           "with \"if __name__ == '__main__':\"")


def spawn_pool(max_workers=None, python_exe=None, python_args=None,
               mpi_info=None, backoff=BACKOFF):
    """A pool of `max_workers` new processes started with MPI_Comm_spawn."""
    _check_recursive_spawn()
    if max_workers is None:
        max_workers = get_max_workers()
    executable = python_exe or sys.executable
    args = (_interpreter_flags() + list(python_args or ())
            + ['-m', f'{__spec__.parent}.server'])

    def connect():
        info = _info(mpi_info)
        try:
            # MPICH's Spawn never returns when the program cannot be
            # started: check first, unless the workers go to other hosts.
            if not (info and {'host', 'hostfile'} & set(info.keys())) \
                    and shutil.which(executable) is None:
                raise FileNotFoundError(f'no executable {executable!r}')
            return MPI.COMM_SELF.Spawn(executable, args, max_workers,
                                       info, root=0)
        finally:
            _free_info(info)

    return ProcessPool(connect, lambda comm: comm.Disconnect(),
                       backoff=backoff)


# Client/server mode: `python -m mpi4py.futures.server` waits for one
# client executor (MPIPoolExecutor(service=...)).  The server either
# publishes its MPI port under a service name, or hands it out on a TCP
# socket (MPI.Comm.Join), for MPI libraries without a name service.

SERVICE = __spec__.parent
SERVER_HOST = 'localhost'
SERVER_BIND = ''
SERVER_PORT = 31415


def get_service():
    return os.environ.get('MPI4PY_SERVICE', SERVICE)


def get_server_host():
    return os.environ.get('MPI4PY_SERVER_HOST', SERVER_HOST)


def get_server_bind():
    return os.environ.get('MPI4PY_SERVER_BIND', SERVER_BIND)


def get_server_port():
    return int(os.environ.get('MPI4PY_SERVER_PORT', SERVER_PORT))


def _join(sock):
    """MPI.Comm.Join over a connected socket, which is then closed."""
    try:
        return MPI.Comm.Join(sock.fileno())
    finally:
        sock.close()


def client_lookup(address):
    """The MPI port name a server hands out at (host, port)."""
    host, port = address
    sock = socket.create_connection((host or get_server_host(),
                                     int(port or get_server_port())))
    peer = _join(sock)
    try:
        return peer.recv(None, 0)
    finally:
        peer.Disconnect()


def server_publish(address, port_name):
    """Hand out `port_name` to the first client connecting to the TCP
    address (bind, port)."""
    host, port = address
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host or get_server_bind(),
                       int(port or get_server_port())))
        listener.listen(1)
        sock = listener.accept()[0]
    peer = _join(sock)
    try:
        peer.send(port_name, 0)
    finally:
        peer.Disconnect()


def client_connect(service, mpi_info=None):
    """Connect to a server: `service` is a published service name (None:
    the default) or a (host, port) address."""
    info = _info(mpi_info)
    try:
        if isinstance(service, (tuple, list)):
            port_name = client_lookup(service)
        else:
            port_name = MPI.Lookup_name(service or get_service(), info)
        return MPI.COMM_SELF.Connect(port_name, info, root=0)
    finally:
        _free_info(info)


def server_accept(service, mpi_info=None, comm=None, root=0):
    """Collective over `comm` (default MPI.COMM_WORLD): wait for one
    client; return the intercommunicator to it."""
    comm = MPI.COMM_WORLD if comm is None else comm
    info = MPI.INFO_NULL
    port_name = None
    if comm.Get_rank() == root:
        info = _info(mpi_info)
        port_name = MPI.Open_port(info)
        if isinstance(service, (tuple, list)):
            server_publish(service, port_name)
            service = None
        else:
            service = service or get_service()
            MPI.Publish_name(service, port_name, info)
    try:
        return comm.Accept(port_name, info, root)
    finally:
        if port_name is not None:
            if service is not None:
                MPI.Unpublish_name(service, port_name, info)
            MPI.Close_port(port_name)
        _free_info(info)


def service_pool(service=None, mpi_info=None, backoff=BACKOFF):
    """A pool of the processes of a running server."""
    _check_recursive_spawn()
    return ProcessPool(lambda: client_connect(service, mpi_info),
                       lambda comm: comm.Disconnect(), backoff=backoff)


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


# Under `python -m mpi4py.futures`: the SharedPoolCtx (None otherwise).
# Called with an executor, it returns the pool for it: at the master, the
# worker processes of MPI_COMM_WORLD, or, in a job of one process (and
# on the workers), threads of its own.
SharedPool = None


class SharedPoolCtx:
    """Context of ``python -m mpi4py.futures``: split MPI_COMM_WORLD into
    the master (rank 0, which gets this object and runs the program) and
    the workers (which serve it until it leaves, and get None)."""

    def __init__(self):
        self._pool = None

    def __call__(self, executor):
        if self._pool is None:
            return ThreadPool(executor._client, executor._max_workers or 1)
        return self._pool

    def __enter__(self):
        global SharedPool
        # Set on the workers too: executors that a main script without
        # the __name__ guard creates while a worker imports it get
        # threads, rather than split or spawn from a worker.
        SharedPool = self
        world = MPI.COMM_WORLD
        if world.Get_size() == 1:
            return self
        intercomm = split(world, 0)
        if world.Get_rank() != 0:
            if serve(intercomm):
                intercomm.Free()
            return None
        self._pool = ProcessPool(lambda: intercomm, lambda comm: comm.Free(),
                                 shared=True)
        return self

    def __exit__(self, exc_type, exc, traceback):
        global SharedPool
        SharedPool = None
        if self._pool is not None:
            if exc_type is None or (issubclass(exc_type, SystemExit)
                                    and not exc.code):
                self._pool.stop()
            else:
                # The program failed and the job will be aborted: waiting
                # for the workers (at exit too) could only delay that.
                _pools.discard(self._pool)
        return False


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
    becomes __main__, so that pickles referring to it can be loaded (once
    per worker).  With no main script (main=False, or the workers of
    MPICommExecutor, which run the same program) __main__ stays."""
    import runpy
    global importing_main
    if main is None or '__worker__' in sys.modules:
        return
    kind, name = main
    importing_main = True
    try:
        if kind == 'module':
            namespace = runpy.run_module(name, run_name='__worker__')
        else:
            # As python does for a script (and multiprocessing for its spawned children): the
            # script's directory comes first on sys.path, so its sibling modules import.
            directory = os.path.dirname(name)
            if directory not in sys.path:
                sys.path.insert(0, directory)
            namespace = runpy.run_path(name, run_name='__worker__')
    finally:
        importing_main = False
    module = types.ModuleType('__worker__')
    module.__dict__.update(namespace)
    sys.modules['__worker__'] = sys.modules['__main__'] = module


def _apply_setup(setup):
    """Prepare this worker for the tasks of an executor."""
    main, path, wdir, env = pickle.loads(setup[0])
    os.environ.update(env)
    sys.path.extend(path)
    if wdir is not None:
        os.chdir(wdir)
    _run_main(main)
    # Loaded now: the initializer may be defined in the main module.
    main_globals, initializer, initargs = pickle.loads(setup[1])
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
    `comm` until it says to stop.  Return False if the master said that
    another worker died: `comm` must not be disconnected (nor freed,
    which could wait for the dead process) then."""
    failed = {}  # client id -> setup error message (None: setup fine)
    poller = _Poller()
    comm.gather((socket.gethostname(), os.getpid()), root=0)
    while True:
        while not comm.iprobe(0, _TASK):
            poller.idle()
        poller.reset()
        message = comm.recv(None, 0, _TASK)
        if message is None:
            return True
        if message == 'lost':
            return False
        client, setup, task = message
        if setup is not None:
            try:
                _apply_setup(setup)
                failed[client] = None
            except BaseException as exc:
                failed[client] = (f'executor setup failed in worker '
                                  f'{comm.Get_rank()}: {exc!r}')
        if failed.get(client) is not None:
            reply = _dumps(('broken', failed[client]))
        else:
            reply = _execute(task)
        comm.send(reply, 0, _RESULT)
