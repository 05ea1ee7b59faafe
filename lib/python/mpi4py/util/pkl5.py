"""Communication of Python objects with pickle protocol 5 (PEP 574).

The wrapper classes Comm, Intracomm and Intercomm reimplement the
pickle-based point-to-point methods (send, recv, isend, mprobe, ...)
and bcast.  Objects are pickled with protocol 5, and the large buffers
they expose (e.g. NumPy arrays, Pickle.THRESHOLD bytes or more) are
not copied into the pickle stream: they are sent as MPI messages of
their own, straight from the object's memory.  Messages of any size
work, including those beyond the 2 GiB limit of an MPI count.

Wire format of one object sent from a process to another: a header
message holding the int64 byte sizes of the messages that follow, then
the pickle stream, then one message per out-of-band buffer, all with
the same tag.  MPI's non-overtaking rule keeps them in order (sends are
posted under a per-communicator lock, so threads sending concurrently
do not interleave their messages).  A probe (mprobe, improbe, and the
probe in recv) matches the header, receives it, and then matches the
other messages of the object with matched probes from the header's
source and tag, so the returned Message owns every part of the object.
A receive in another thread with a wildcard source or tag could still
match a part between the header and the rest: receives of the same
communicator and tag should not run concurrently in several threads.
"""

import pickle as _pickle
from array import array as _array

from .. import MPI
from ..MPI import ANY_SOURCE, ANY_TAG, PROC_NULL, Status
# Names the API listing has in this module too (mpi4py 3.1 has them here).
from ..MPI import _comm_lock, _commctx_inter, _typedict  # noqa: F401

__all__ = ['Pickle', 'Request', 'Message', 'Comm', 'Intracomm', 'Intercomm']

# The protocol a negative Pickle.PROTOCOL stands for, as in pickle.dumps().
_PROTOCOL = _pickle.HIGHEST_PROTOCOL

# Key of the per-communicator lock that serializes the posting of sends.
_SEND_LOCK = 'mpi4py.util.pkl5.send'


class Pickle(MPI.Pickle):
    """Pickle with protocol 5, keeping large buffers out of band."""

    #: Buffers of at least this many bytes are sent as separate messages.
    THRESHOLD = 1 << 18

    def __init__(self, dumps=_pickle.dumps, loads=_pickle.loads, protocol=5):
        super().__init__(dumps, loads, protocol)

    def _protocol(self):
        """The protocol dumps() uses, or None when unknown (a custom
        dumps() with PROTOCOL None)."""
        protocol = self.PROTOCOL
        if protocol is not None and protocol < 0:
            return _PROTOCOL
        return protocol

    def dumps(self, obj):
        """Return (data, buffers): the pickle stream of `obj` and the
        list of its out-of-band buffers (byte memoryviews).  There are
        no out-of-band buffers below protocol 5."""
        protocol = self._protocol()
        if protocol is None or protocol < 5:
            return super().dumps(obj), []
        buffers = []
        threshold = self.THRESHOLD

        def in_band(buffer):
            # pickle keeps a buffer in the stream when this returns true
            try:
                raw = buffer.raw()
            except BufferError:  # not contiguous: pickle copies it anyway
                return True
            if raw.nbytes < threshold:
                return True
            buffers.append(raw)
            return False

        return super().dumps(obj, in_band), buffers

    def loads(self, data, bufs):
        """Rebuild an object from its pickle stream and buffers."""
        return super().loads(data, bufs)


pickle = Pickle()


class _BigMPI:
    """Message specs for buffers of any size.

    A buffer of at most `blocksize` bytes is sent as that many
    MPI.BYTE; a larger one as one item of a struct datatype made of
    `blocksize`-byte blocks and the remaining bytes, so that no count
    exceeds `blocksize`.  Use it as a context manager: the datatypes
    made inside the block are freed on exit (operations already started
    keep them as long as they need them).
    """

    blocksize = 1 << 30

    def __init__(self):
        self._datatypes = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        datatypes, self._datatypes = self._datatypes, {}
        for datatype in datatypes.values():
            datatype.Free()

    def __call__(self, buf):
        """Return the message spec [buf, count, datatype] of `buf`."""
        buf = memoryview(buf).cast('B')
        nbytes, blocksize = buf.nbytes, self.blocksize
        if nbytes <= blocksize:
            return [buf, nbytes, MPI.BYTE]
        key = (nbytes, blocksize)
        datatype = self._datatypes.get(key)
        if datatype is None:
            blocks, rest = divmod(nbytes, blocksize)
            block = MPI.BYTE.Create_contiguous(blocksize)
            datatype = MPI.Datatype.Create_struct(
                [blocks, rest], [0, blocks * blocksize], [block, MPI.BYTE])
            datatype.Commit()
            block.Free()
            self._datatypes[key] = datatype
        return [buf, 1, datatype]


_bigmpi = _BigMPI()


def _isend(comm, start, obj, dest, tag):
    """Post the messages of `obj` with `start` (comm.Isend, ...);
    return the Request."""
    data, buffers = pickle.dumps(obj)
    parts = [data] + buffers
    header = _array('q', [memoryview(part).nbytes for part in parts])
    with _comm_lock(comm, _SEND_LOCK), _bigmpi as bigmpi:
        return Request([start(bigmpi(part), dest, tag)
                        for part in [header] + parts])


def _statuses_for(request, status):
    """Statuses for the MPI requests of `request`: `status` (if any)
    receives the status of the first one, the pickle stream's."""
    statuses = [Status() for _ in request]
    if status is not None and statuses:
        statuses[0] = status
    return statuses


class Request(tuple):
    """Nonblocking send or receive of one object (not an MPI.Request):
    the tuple of the MPI requests of its messages.

    The status that wait(), test() and get_status() report is the one
    of the pickle stream's message (source, tag, error, cancelled).
    """

    def __new__(cls, request=None):
        if request is None:
            request = (MPI.Request(),)
        elif isinstance(request, MPI.Request):
            request = (request,)
        self = super().__new__(cls, request)
        self._load = None  # receives: builds the object once complete
        return self

    def __eq__(self, other):
        if isinstance(other, Request):
            return tuple(self) == tuple(other)
        if isinstance(other, MPI.Request):
            return all(request == other for request in self)
        return NotImplemented

    def __ne__(self, other):
        if isinstance(other, Request):
            return tuple(self) != tuple(other)
        if isinstance(other, MPI.Request):
            return not all(request == other for request in self)
        return NotImplemented

    __hash__ = None

    def __bool__(self):
        return any(self)

    def _result(self):
        """The received object, once (None for sends and afterwards)."""
        load, self._load = self._load, None
        return None if load is None else load()

    def Free(self) -> None:
        """Free the MPI requests (the operation goes on unobserved)."""
        for request in self:
            if request:
                request.Free()

    def cancel(self):
        """Request the cancellation of the operation."""
        for request in self:
            if request:
                request.Cancel()

    def get_status(self, status=None):
        """Return whether the operation completed, without freeing it;
        `status` is filled when it did."""
        statuses = _statuses_for(self, None)
        done = all([request.Get_status(st)
                    for request, st in zip(self, statuses)])
        if done and status is not None:
            self[0].Get_status(status)
        return done

    def test(self, status=None):
        """Return (True, object) if complete, else (False, None)."""
        if not MPI.Request.Testall(list(self), _statuses_for(self, status)):
            return (False, None)
        return (True, self._result())

    def wait(self, status=None):
        """Wait for completion; return the received object (None for
        a send)."""
        MPI.Request.Waitall(list(self), _statuses_for(self, status))
        return self._result()

    @staticmethod
    def _flatten(requests, statuses):
        """The MPI requests of `requests` and their statuses: statuses[i]
        (if present) receives the status of requests[i].  A list of
        statuses is extended to one per request; a tuple is not."""
        if isinstance(statuses, list):
            statuses.extend(Status() for _ in range(len(statuses),
                                                     len(requests)))
        flat, flat_statuses = [], []
        for i, request in enumerate(requests):
            status = statuses[i] if statuses and i < len(statuses) else None
            flat += request
            flat_statuses += _statuses_for(request, status)
        return flat, flat_statuses

    @classmethod
    def testall(cls, requests, statuses=None):
        """Return (True, objects) if all completed, else (False, None)."""
        if not MPI.Request.Testall(*cls._flatten(requests, statuses)):
            return (False, None)
        return (True, [request._result() for request in requests])

    @classmethod
    def waitall(cls, requests, statuses=None):
        """Wait for all requests; return the list of objects."""
        MPI.Request.Waitall(*cls._flatten(requests, statuses))
        return [request._result() for request in requests]


class Message(tuple):
    """A message matched by a probe, to be received with recv() or
    irecv() (not an MPI.Message): the tuple of the matched MPI messages
    of one object."""

    def __new__(cls, message=None):
        if message is None:
            message = (MPI.Message(),)
        elif isinstance(message, MPI.Message):
            message = (message,)
        self = super().__new__(cls, message)
        self._sizes = None  # byte sizes of the messages, once probed
        return self

    def __eq__(self, other):
        if isinstance(other, Message):
            return tuple(self) == tuple(other)
        if isinstance(other, MPI.Message):
            return all(message == other for message in self)
        return NotImplemented

    def __ne__(self, other):
        if isinstance(other, Message):
            return tuple(self) != tuple(other)
        if isinstance(other, MPI.Message):
            return not all(message == other for message in self)
        return NotImplemented

    __hash__ = None

    def __bool__(self):
        return any(self)

    @classmethod
    def _matched(cls, comm, header, status):
        """The Message of the object whose header message (matched,
        not yet received) is `header`; `status` is its probe status."""
        if header == MPI.MESSAGE_NO_PROC:
            return cls(header)
        sizes = _array('q', bytes(status.Get_count(MPI.BYTE)))
        header.Recv([sizes, MPI.BYTE])
        source, tag = status.Get_source(), status.Get_tag()
        self = cls([comm.Mprobe(source, tag) for _ in sizes])
        self._sizes = sizes.tolist()
        return self

    @classmethod
    def probe(cls, comm, source=ANY_SOURCE, tag=ANY_TAG, status=None):
        """Wait for an object's messages and match them; return a
        Message."""
        status = Status() if status is None else status
        return cls._matched(comm, comm.Mprobe(source, tag, status), status)

    @classmethod
    def iprobe(cls, comm, source=ANY_SOURCE, tag=ANY_TAG, status=None):
        """Match an object if one has arrived; return a Message, or
        None if none."""
        status = Status() if status is None else status
        header = comm.Improbe(source, tag, status)
        if header is None:
            return None
        return cls._matched(comm, header, status)

    def _buffers(self):
        """Receive buffers: one per message (empty for a message from
        PROC_NULL or one not obtained from a probe)."""
        sizes = self._sizes or [0] * len(self)
        return [bytearray(size) for size in sizes]

    def _load(self, buffers):
        if self._sizes is None:
            return None
        return pickle.loads(buffers[0], buffers[1:])

    def recv(self, status=None):
        """Receive the matched object; return it."""
        buffers = self._buffers()
        statuses = _statuses_for(self, status)
        with _bigmpi as bigmpi:
            for message, buf, st in zip(self, buffers, statuses):
                message.Recv(bigmpi(buf), st)
        return self._load(buffers)

    def irecv(self):
        """Start receiving the matched object; return a Request."""
        buffers = self._buffers()
        with _bigmpi as bigmpi:
            request = Request([message.Irecv(bigmpi(buf))
                               for message, buf in zip(self, buffers)])
        request._load = lambda: self._load(buffers)
        return request


class Comm(MPI.Comm):
    """Communicator wrapper: pickle-based methods use protocol 5 with
    out-of-band buffers.  Construct it from an existing communicator:
    ``pkl5.Intracomm(MPI.COMM_WORLD)`` (the handle is shared)."""

    def send(self, obj, dest, tag=0):
        """Blocking send of `obj` (standard mode)."""
        _isend(self, self.Isend, obj, dest, tag).wait()

    def bsend(self, obj, dest, tag=0):
        """Blocking send of `obj` in buffered mode (Attach_buffer)."""
        _isend(self, self.Ibsend, obj, dest, tag).wait()

    def ssend(self, obj, dest, tag=0):
        """Blocking send of `obj` in synchronous mode."""
        _isend(self, self.Issend, obj, dest, tag).wait()

    def isend(self, obj, dest, tag=0):
        """Nonblocking send of `obj` (standard mode); return a Request."""
        return _isend(self, self.Isend, obj, dest, tag)

    def ibsend(self, obj, dest, tag=0):
        """Nonblocking send of `obj` in buffered mode; return a Request."""
        return _isend(self, self.Ibsend, obj, dest, tag)

    def issend(self, obj, dest, tag=0):
        """Nonblocking send of `obj` in synchronous mode; return a Request."""
        return _isend(self, self.Issend, obj, dest, tag)

    def recv(self, buf=None, source=ANY_SOURCE, tag=ANY_TAG, status=None):
        """Receive an object.  `buf` is accepted for compatibility with
        MPI.Comm.recv and not used: buffers are sized from the header."""
        return Message.probe(self, source, tag, status).recv(status)

    def irecv(self, buf=None, source=ANY_SOURCE, tag=ANY_TAG):
        """Not supported: raises RuntimeError.

        The sizes of an object's messages are only known once its header
        has arrived.  Use ``mprobe()`` and ``Message.irecv()`` instead.
        """
        raise RuntimeError('pkl5.Comm.irecv() is not supported: '
                           'use mprobe(...).irecv() instead')

    def sendrecv(self, sendobj, dest, sendtag=0, recvbuf=None,
                 source=ANY_SOURCE, recvtag=ANY_TAG, status=None):
        """Send `sendobj` and receive an object, without deadlock."""
        request = self.isend(sendobj, dest, sendtag)
        obj = self.recv(recvbuf, source, recvtag, status)
        request.wait()
        return obj

    def mprobe(self, source=ANY_SOURCE, tag=ANY_TAG, status=None):
        """Wait for an object and match it; return a Message."""
        return Message.probe(self, source, tag, status)

    def improbe(self, source=ANY_SOURCE, tag=ANY_TAG, status=None):
        """Match an object if one has arrived; return a Message or
        None."""
        return Message.iprobe(self, source, tag, status)

    def bcast(self, obj, root=0):
        """Broadcast `obj` from `root`; return it at every process.

        On an intercommunicator the processes of the root group (root
        is MPI.ROOT or MPI.PROC_NULL) get None.  A bad root raises
        MPI.Exception at every process.
        """
        if self.Is_inter():
            sending = root == MPI.ROOT
            receiving = root not in (MPI.ROOT, PROC_NULL)
        else:
            sending = self.Get_rank() == root
            receiving = not sending
        if not (sending or receiving):
            return None
        count = _array('q', [0])
        if sending:
            data, buffers = pickle.dumps(obj)
            parts = [data] + buffers
            sizes = _array('q', [memoryview(part).nbytes for part in parts])
            count[0] = len(sizes)
        self.Bcast([count, MPI.INT64_T], root)
        if receiving:
            sizes = _array('q', bytes(8 * count[0]))
        self.Bcast([sizes, MPI.INT64_T], root)
        if receiving:
            parts = [bytearray(size) for size in sizes]
        with _bigmpi as bigmpi:
            for part in parts:
                self.Bcast(bigmpi(part), root)
        if receiving:
            return pickle.loads(parts[0], parts[1:])
        return None if self.Is_inter() else obj


class Intracomm(Comm, MPI.Intracomm):
    """Intracommunicator wrapper (see Comm)."""


class Intercomm(Comm, MPI.Intercomm):
    """Intercommunicator wrapper (see Comm)."""
