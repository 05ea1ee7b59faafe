"""Communication of Python objects with pickle protocol 5 (PEP 574).

The wrapper classes Comm, Intracomm and Intercomm reimplement the
pickle-based point-to-point methods (send, recv, isend, mprobe, ...)
and bcast.  Objects are pickled with protocol 5, and the large buffers
they expose (e.g. NumPy arrays, Pickle.THRESHOLD bytes or more) are
not copied into the pickle stream: they are sent as MPI messages of
their own, straight from the object's memory.  Messages of any size
work, including those beyond the 2 GiB limit of an MPI count.

Wire format of one object sent from a process to another: a header
message, then zero or more data messages, all with the same tag.  The
header holds an int64 N, the N int64 sizes of the data messages, and
then the pickle stream itself, unless that stream is large, in which
case it is the first data message.  MPI's non-overtaking rule keeps the
data messages in order behind their header.  A receive matches the
header with a matched probe and then receives the data messages from
the header's source and tag.  Receives of the same communicator should
therefore not run concurrently in several threads with wildcard source
or tag, as one of them could match another's data messages.
"""

import pickle as _pickle
from array import array

from .. import MPI
from ..MPI import ANY_SOURCE, ANY_TAG, PROC_NULL, Status
# Names the API listing has in this module too (mpi4py re-exports them here).
from ..MPI import _comm_lock, _commctx_inter, _typedict  # noqa: F401

__all__ = ['Pickle', 'Request', 'Message', 'Comm', 'Intracomm', 'Intercomm']

# Pickle streams up to this size travel inside the header message.
_INLINE_MAX = 1 << 20
# Largest byte count of a single MPI message using the MPI_BYTE datatype.
_INT_MAX = (1 << 31) - 1
# Large messages are described as blocks of this many bytes.
_BLOCK = 1 << 30


class Pickle(MPI.Pickle):
    """Pickle with protocol 5, keeping large buffers out of band."""

    #: Buffers of at least this many bytes are sent as separate messages.
    THRESHOLD = 1 << 18

    def __init__(self, dumps=_pickle.dumps, loads=_pickle.loads, protocol=5):
        super().__init__(dumps, loads, protocol)

    def dumps(self, obj):
        """Return (data, buffers): the pickle stream of `obj` and the
        list of its out-of-band buffers (byte memoryviews)."""
        buffers = []

        def out_of_band(buffer):
            # The callback returns true to keep a buffer in the stream.
            try:
                raw = buffer.raw()
            except BufferError:  # not contiguous: must be copied anyway
                return True
            if raw.nbytes < self.THRESHOLD:
                return True
            buffers.append(raw)
            return False

        data = super().dumps(obj, out_of_band)
        return data, buffers

    def loads(self, data, bufs):
        """Rebuild an object from its pickle stream and buffers."""
        return super().loads(data, bufs)


pickle = Pickle()


def _encode(obj):
    """Pickle `obj`; return (header, parts): the messages to send."""
    data, parts = pickle.dumps(obj)
    if len(data) > _INLINE_MAX:
        parts.insert(0, data)
        data = b''
    sizes = array('q', [len(parts)] + [memoryview(p).nbytes for p in parts])
    header = bytearray(sizes.tobytes())
    header += data
    return header, parts


def _decode(header):
    """Return (sizes of the data messages, inline pickle stream)."""
    view = memoryview(header)
    sizes = array('q')
    sizes.frombytes(view[:8])
    end = 8 * (1 + sizes.pop())
    sizes.frombytes(view[8:end])
    return sizes.tolist(), view[end:]


def _load(inline, parts):
    """Unpickle from the inline stream (if any) and the data messages."""
    if len(inline) == 0:
        return pickle.loads(parts[0], parts[1:])
    return pickle.loads(inline, parts)


def _bufspec(buf):
    """Return (message spec, datatype to free or None) for `buf`.

    Messages beyond the int range of an MPI count are sent as one item
    of a datatype made of 1 GiB blocks plus the remaining bytes.
    """
    nbytes = memoryview(buf).nbytes
    if nbytes <= _INT_MAX:
        return [buf, nbytes, MPI.BYTE], None
    blocks, rest = divmod(nbytes, _BLOCK)
    block = MPI.BYTE.Create_contiguous(_BLOCK)
    datatype = MPI.Datatype.Create_struct(
        [blocks, rest], [0, blocks * _BLOCK], [block, MPI.BYTE]).Commit()
    block.Free()
    return [buf, 1, datatype], datatype


def _post(start, buffers, peer, tag):
    """Start a nonblocking operation per buffer; return the requests.

    Datatypes may be freed right away: pending operations keep them.
    """
    requests = []
    for buf in buffers:
        spec, datatype = _bufspec(buf)
        requests.append(start(spec, peer, tag))
        if datatype is not None:
            datatype.Free()
    return requests


def _isend(start, obj, dest, tag):
    """Send `obj` with the nonblocking send `start`; return a Request."""
    header, parts = _encode(obj)
    request = Request(_post(start, [header] + parts, dest, tag))
    request._buffers = (header, parts)  # keep the memory until completion
    return request


def _copy_status(source, target):
    """Copy the fields of MPI status `source` into `target`."""
    target.Set_source(source.Get_source())
    target.Set_tag(source.Get_tag())
    target.Set_error(source.Get_error())
    target.Set_elements(MPI.BYTE, source.Get_elements(MPI.BYTE))


class Request(tuple):
    """Nonblocking send or receive of one object (not an MPI.Request).

    A tuple of the MPI requests of its messages.  The status reported by
    wait(), test() and get_status() of a receive is the status of the
    header message (source, tag; count: header bytes).
    """

    def __new__(cls, request=None):
        if request is None:
            request = (MPI.Request(),)
        elif isinstance(request, MPI.Request):
            request = (request,)
        self = super().__new__(cls, request)
        self._status = None    # header status (receives), once known
        self._loader = None    # builds the received object when complete
        self._result = None
        self._buffers = ()
        return self

    def __eq__(self, other):
        if not isinstance(other, Request):
            return NotImplemented
        return tuple(self) == tuple(other)

    def __ne__(self, other):
        if not isinstance(other, Request):
            return NotImplemented
        return tuple(self) != tuple(other)

    __hash__ = None

    def __bool__(self):
        return any(self)

    def _complete(self, statuses, status):
        """Finish after all MPI requests completed; return the object."""
        if self._status is None:
            self._status = statuses[0]
        if status is not None:
            _copy_status(self._status, status)
        if self._loader is not None:
            self._result = self._loader()
            self._loader = None
        self._buffers = ()
        return self._result

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
        """Return whether the operation completed, without freeing it."""
        statuses = [Status() for _ in self]
        done = all(req.Get_status(st) for req, st in zip(self, statuses))
        if done and status is not None:
            _copy_status(self._status or statuses[0], status)
        return done

    def test(self, status=None):
        """Return (True, object) if complete, else (False, None)."""
        statuses = [Status() for _ in self]
        if not MPI.Request.Testall(list(self), statuses):
            return (False, None)
        return (True, self._complete(statuses, status))

    def wait(self, status=None):
        """Wait for completion; return the received object (None for
        a send)."""
        statuses = [Status() for _ in self]
        MPI.Request.Waitall(list(self), statuses)
        return self._complete(statuses, status)

    @staticmethod
    def _status_for(statuses, index):
        """The index-th entry of `statuses`, appended if missing."""
        if statuses is None:
            return None
        while len(statuses) <= index:
            statuses.append(Status())
        return statuses[index]

    @classmethod
    def testall(cls, requests, statuses=None):
        """Return (True, objects) if all completed, else (False, None)."""
        mpi_statuses = [[Status() for _ in req] for req in requests]
        flat = [r for req in requests for r in req]
        if not MPI.Request.Testall(flat, [s for sts in mpi_statuses
                                          for s in sts]):
            return (False, None)
        return (True, [req._complete(sts, cls._status_for(statuses, i))
                       for i, (req, sts) in enumerate(zip(requests,
                                                          mpi_statuses))])

    @classmethod
    def waitall(cls, requests, statuses=None):
        """Wait for all requests; return the list of objects."""
        mpi_statuses = [[Status() for _ in req] for req in requests]
        MPI.Request.Waitall([r for req in requests for r in req],
                            [s for sts in mpi_statuses for s in sts])
        return [req._complete(sts, cls._status_for(statuses, i))
                for i, (req, sts) in enumerate(zip(requests, mpi_statuses))]


class Message(tuple):
    """A message matched by a probe, to be received with recv() or
    irecv() (not an MPI.Message: it also remembers the communicator,
    source and tag of its data messages)."""

    def __new__(cls, message=None):
        if message is None:
            message = (MPI.Message(),)
        elif isinstance(message, MPI.Message):
            message = (message,)
        self = super().__new__(cls, message)
        self._comm = None
        self._status = None
        return self

    def __eq__(self, other):
        if not isinstance(other, Message):
            return NotImplemented
        return tuple(self) == tuple(other)

    def __ne__(self, other):
        if not isinstance(other, Message):
            return NotImplemented
        return tuple(self) != tuple(other)

    __hash__ = None

    def __bool__(self):
        return any(self)

    @classmethod
    def _matched(cls, comm, message, status):
        self = cls(message)
        self._comm = comm
        self._status = status
        return self

    @classmethod
    def probe(cls, comm, source=ANY_SOURCE, tag=ANY_TAG, status=None):
        """Wait for a message and match it; return a Message."""
        status = Status() if status is None else status
        return cls._matched(comm, comm.Mprobe(source, tag, status), status)

    @classmethod
    def iprobe(cls, comm, source=ANY_SOURCE, tag=ANY_TAG, status=None):
        """Match a pending message; return a Message, or None if none."""
        status = Status() if status is None else status
        message = comm.Improbe(source, tag, status)
        if message is None:
            return None
        return cls._matched(comm, message, status)

    def _receive_header(self, status):
        """Receive the header; return (sizes, inline stream), or None
        for a message from PROC_NULL."""
        if self._comm is None:
            raise RuntimeError('pkl5.Message: not obtained from a probe')
        header = bytearray(self._status.Get_count(MPI.BYTE))
        self[0].Recv([header, MPI.BYTE], status)
        if not header:
            return None
        return _decode(header)

    def _post_receives(self, sizes):
        """Start receiving the data messages; return (requests, buffers)."""
        buffers = [bytearray(n) for n in sizes]
        requests = _post(self._comm.Irecv, buffers,
                         self._status.Get_source(), self._status.Get_tag())
        return requests, buffers

    def recv(self, status=None):
        """Receive the matched message; return the object."""
        decoded = self._receive_header(status)
        if decoded is None:
            return None
        sizes, inline = decoded
        requests, buffers = self._post_receives(sizes)
        MPI.Request.Waitall(requests)
        return _load(inline, buffers)

    def irecv(self):
        """Start receiving the matched message; return a Request.

        The header is received at once (it has been matched, so it is
        at hand); the data messages are received in the background.
        """
        header_status = Status()
        decoded = self._receive_header(header_status)
        if decoded is None:
            request = Request()
            request._status = header_status
            return request
        sizes, inline = decoded
        requests, buffers = self._post_receives(sizes)
        request = Request(requests or None)
        request._status = header_status
        request._loader = lambda: _load(inline, buffers)
        return request


class Comm(MPI.Comm):
    """Communicator wrapper: pickle-based methods use protocol 5 with
    out-of-band buffers.  Construct it from an existing communicator:
    ``pkl5.Intracomm(MPI.COMM_WORLD)`` (the handle is shared)."""

    def send(self, obj, dest, tag=0):
        """Blocking send of `obj` (standard mode)."""
        _isend(self.Isend, obj, dest, tag).wait()

    def bsend(self, obj, dest, tag=0):
        """Blocking send of `obj` in buffered mode (Attach_buffer)."""
        _isend(self.Ibsend, obj, dest, tag).wait()

    def ssend(self, obj, dest, tag=0):
        """Blocking send of `obj` in synchronous mode."""
        _isend(self.Issend, obj, dest, tag).wait()

    def isend(self, obj, dest, tag=0):
        """Nonblocking send of `obj` (standard mode); return a Request."""
        return _isend(self.Isend, obj, dest, tag)

    def ibsend(self, obj, dest, tag=0):
        """Nonblocking send of `obj` in buffered mode; return a Request."""
        return _isend(self.Ibsend, obj, dest, tag)

    def issend(self, obj, dest, tag=0):
        """Nonblocking send of `obj` in synchronous mode; return a Request."""
        return _isend(self.Issend, obj, dest, tag)

    def recv(self, buf=None, source=ANY_SOURCE, tag=ANY_TAG, status=None):
        """Receive an object.  `buf` is accepted for compatibility with
        MPI.Comm.recv and not used: buffers are sized from the header."""
        return Message.probe(self, source, tag, status).recv(status)

    def irecv(self, buf=None, source=ANY_SOURCE, tag=ANY_TAG):
        """Not supported: raises RuntimeError.

        Sizes of the data messages are only known once the header has
        arrived.  Use ``mprobe()`` and ``Message.irecv()`` instead.
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
        """Wait for a message and match it; return a Message."""
        return Message.probe(self, source, tag, status)

    def improbe(self, source=ANY_SOURCE, tag=ANY_TAG, status=None):
        """Match a pending message; return a Message or None."""
        return Message.iprobe(self, source, tag, status)

    def bcast(self, obj, root=0):
        """Broadcast `obj` from `root`; return it at every process.

        On an intercommunicator, processes of the root group (root is
        MPI.ROOT or MPI.PROC_NULL) get None.
        """
        if self.Is_inter():
            sending = root == MPI.ROOT
            receiving = root not in (MPI.ROOT, PROC_NULL)
        else:
            sending = self.Get_rank() == root
            receiving = not sending
        if not (sending or receiving):
            return None
        length = array('q', [0])
        if sending:
            header, parts = _encode(obj)
            length[0] = len(header)
        self.Bcast([length, MPI.INT64_T], root)
        if receiving:
            header = bytearray(length[0])
        self.Bcast([header, MPI.BYTE], root)
        if receiving:
            sizes, inline = _decode(header)
            parts = [bytearray(n) for n in sizes]
        for part in parts:
            spec, datatype = _bufspec(part)
            self.Bcast(spec, root)
            if datatype is not None:
                datatype.Free()
        if receiving:
            return _load(inline, parts)
        return None if self.Is_inter() else obj


class Intracomm(Comm, MPI.Intracomm):
    """Intracommunicator wrapper (see Comm)."""


class Intercomm(Comm, MPI.Intercomm):
    """Intercommunicator wrapper (see Comm)."""
