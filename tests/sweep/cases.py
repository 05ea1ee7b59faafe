"""The cases of the bad-input sweep, run inside python-mpi (one rank, a singleton).

Every public callable of mpi4py.MPI is called on a live object of its class (a fresh one per
case) with valid arguments except one, which takes each value of the BAD palette in turn.
Parameter names and types come from signatures.txt (the mpi4py 3.1 API, one callable a line);
callables found by dir() but missing there are called with one and two bad positional values.
The case list is deterministic, so the driver (sweep.py) names cases by their index.

    python-mpi cases.py count            number of cases
    python-mpi cases.py list [i...]      describe cases
    python-mpi cases.py run < indices    run them; writes 'S i' before and 'R i result' after
"""
import os
import re
import sys

from mpi4py import MPI

HERE = os.path.dirname(os.path.abspath(__file__))

# Callables the sweep never calls, and why: they end the process or MPI by contract.
EXCLUDED = {
    'Abort': 'ends the job by contract (any integer is a valid error code)',
    'Finalize': 'finalizes MPI by contract; every later case would fail',
    'Init': 'MPI is initialized already; nothing left to test with bad input',
    'Init_thread': 'as Init',
    '_set_abort_status': "sets the process's exit status by contract (the launcher's hook)",
}


def parse_signatures():
    """[(owner, name, [(param, type, has_default)])] from signatures.txt."""
    sigs = []
    for line in open(os.path.join(HERE, 'signatures.txt')):
        m = re.match(r'(?:(\w+)\.)?(\w+)\((.*)\)$', line.strip())
        owner, name, text = m.group(1) or 'MPI', m.group(2), m.group(3)
        params, depth, cur = [], 0, ''
        for ch in text + ',':
            depth += (ch in '[(') - (ch in '])')
            if ch == ',' and depth == 0:
                p = cur.strip()
                cur = ''
                if not p or p in ('*', '/') or p.startswith('*'):
                    continue
                pname, _, rest = p.partition(':')
                ptype, _, dflt = rest.partition('=')
                if '=' in pname:
                    pname, dflt = pname.split('=', 1)
                params.append((pname.strip(), ptype.strip(), bool(dflt.strip())))
            else:
                cur += ch
        sigs.append((owner, name, params))
    return sigs


# ---- receivers: a fresh live object per case, and how to clean it up -------------------------

def _dupself():
    return MPI.COMM_SELF.Dup()


def _free(obj):
    try:
        obj.Free()
    except Exception:
        pass


def _win_cleanup(w):
    for end in (w.Unlock_all, lambda: w.Unlock(0), w.Complete, w.Wait,
                lambda: w.Fence(MPI.MODE_NOSUCCEED)):
        try:
            end()
        except Exception:
            pass
    _free(w)


def _file_open():
    return MPI.File.Open(MPI.COMM_SELF, 'sweep.dat', MPI.MODE_RDWR | MPI.MODE_CREATE)


def _file_cleanup(f):
    try:
        f.Close()
    except Exception:
        pass


def _request_done():
    c = _dupself()
    r = c.Irecv(bytearray(8), 0, 0)
    c.Isend(bytearray(8), 0, 0).Wait()  # a blocking Send to oneself may wait for the receive
    c.Free()
    return r


def _request_cleanup(r):
    try:
        r.Wait()
    except Exception:
        pass
    _free(r)


def _prequest():
    # a persistent receive: started by a case, it is cancelled by the cleanup (a send to
    # oneself could only complete by being received)
    c = _dupself()
    r = c.Recv_init(bytearray(8), 0, 0)
    c.Free()
    return r


def _prequest_cleanup(r):
    try:
        r.Cancel()
    except Exception:
        pass
    _request_cleanup(r)


def _grequest():
    r = MPI.Grequest.Start(lambda status: None, lambda: None, lambda completed: None)
    r.Complete()
    return r


PENDING_SENDS = []  # sends of the current case to itself, completed (or drained) after it


def _message():
    c = _dupself()
    PENDING_SENDS.append((c, c.Isend(bytearray(8), 0, 0), True))
    return c.Mprobe(0, 0)


def _message_cleanup(m):
    if m:
        try:
            m.Recv(bytearray(8))
        except Exception:
            pass


def complete_sends():
    """Receive what the case left of its own sends, then free their communicators."""
    while PENDING_SENDS:
        c, r, owned = PENDING_SENDS.pop()
        if not r.Test():
            c.Recv(bytearray(1 << 16), 0, 0)
            r.Wait()
        if owned:
            c.Free()


def _info():
    i = MPI.Info.Create()
    i.Set('k', 'v')
    return i


def _win_locked():
    w = MPI.Win.Allocate(64, comm=MPI.COMM_SELF)
    w.Lock_all()
    return w


def _struct_type():
    return MPI.Datatype.Create_struct([1, 1], [0, 8], [MPI.INT, MPI.DOUBLE]).Commit()


def _nothing(obj):
    pass


RECEIVERS = {  # label: (factory, cleanup)
    'module': (lambda: MPI, _nothing),
    'comm': (_dupself, _free),
    'cart': (lambda: MPI.COMM_SELF.Create_cart([1], [False]), _free),
    'graph': (lambda: MPI.COMM_SELF.Create_graph([1], [0]), _free),
    'distgraph': (lambda: MPI.COMM_SELF.Create_dist_graph_adjacent([0], [0]), _free),
    'type': (lambda: MPI.INT.Dup().Commit(), _free),
    'struct': (_struct_type, _free),
    'status': (MPI.Status, _nothing),
    'request': (_request_done, _request_cleanup),
    'prequest': (_prequest, _prequest_cleanup),
    'grequest': (_grequest, _request_cleanup),
    'message': (_message, _message_cleanup),
    'op': (lambda: MPI.Op.Create(lambda a, b, t: None), _free),
    'group': (lambda: MPI.COMM_SELF.Get_group(), _free),
    'info': (_info, _free),
    'errhandler': (lambda: MPI.ERRORS_RETURN, _nothing),
    'win': (lambda: MPI.Win.Allocate(64, comm=MPI.COMM_SELF), _win_cleanup),
    'win_locked': (_win_locked, _win_cleanup),
    'file': (_file_open, _file_cleanup),
    'memory': (lambda: MPI.memory.allocate(64), _nothing),
    'exception': (lambda: MPI.Exception(MPI.ERR_ARG), _nothing),
    'pickle': (MPI.Pickle, _nothing),
}

# Which receivers each class is swept on. An intercommunicator needs two processes, which a
# one-rank child does not have: Intercomm methods are called unbound on an intracommunicator.
CLASS_RECEIVERS = {
    'MPI': ['module'], 'Comm': ['comm'], 'Intracomm': ['comm'], 'Intercomm': ['comm'],
    'Topocomm': ['cart'], 'Cartcomm': ['cart'], 'Graphcomm': ['graph'],
    'Distgraphcomm': ['distgraph'], 'Datatype': ['type', 'struct'], 'Status': ['status'],
    'Request': ['request'], 'Prequest': ['prequest'], 'Grequest': ['grequest'],
    'Message': ['message'], 'Op': ['op'], 'Group': ['group'], 'Info': ['info'],
    'Errhandler': ['errhandler'], 'Win': ['win', 'win_locked'], 'File': ['file'],
    'memory': ['memory'], 'Exception': ['exception'], 'Pickle': ['pickle'],
}

# Freed (or closed) objects of each class, called with valid arguments.
FREED = {
    'Comm': 'comm', 'Intracomm': 'comm', 'Cartcomm': 'cart', 'Graphcomm': 'graph',
    'Distgraphcomm': 'distgraph', 'Datatype': 'type', 'Op': 'op', 'Group': 'group',
    'Info': 'info', 'Win': 'win', 'File': 'file', 'Request': 'request', 'Prequest': 'prequest',
}


def freed(label):
    obj, cleanup = RECEIVERS[label][0](), RECEIVERS[label][1]
    cleanup(obj)
    return obj


# ---- argument values --------------------------------------------------------------------------

def _bufv():
    return [bytearray(8), ([8], [0]), MPI.BYTE]


def _bufw():
    return [bytearray(8), ([8], [0]), [MPI.BYTE]]


# Valid values by parameter name (first) and by annotated type.
BY_NAME = {
    'filename': lambda: 'sweep.dat', 'datarep': lambda: 'native', 'command': lambda: '/bin/true',
    'key': lambda: 'k', 'value': lambda: 'v', 'dims': lambda: [1], 'periods': lambda: [False],
    'index': lambda: [1], 'edges': lambda: [0], 'sources': lambda: [0], 'destinations': lambda: [0],
    'ranks': lambda: [0], 'requests': lambda: [MPI.REQUEST_NULL], 'size': lambda: 8,
    'count': lambda: 1, 'nbytes': lambda: 8, 'maxprocs': lambda: 1, 'disp_unit': lambda: 1,
    'amode': lambda: MPI.MODE_RDWR | MPI.MODE_CREATE, 'nnodes': lambda: 1, 'ndims': lambda: 1,
    'blocklength': lambda: 1, 'blocklengths': lambda: [1], 'displacements': lambda: [0],
    'datatypes': lambda: [MPI.INT], 'sizes': lambda: [2], 'subsizes': lambda: [1],
    'starts': lambda: [0], 'gsizes': lambda: [2], 'distribs': lambda: [MPI.DISTRIBUTE_BLOCK],
    'dargs': lambda: [MPI.DISTRIBUTE_DFLT_DARG], 'psizes': lambda: [1], 'errorcode': lambda: 0,
    'errorclass': lambda: MPI.ERR_OTHER, 'string': lambda: 'x', 'name': lambda: 'x',
    'service_name': lambda: 'x', 'port_name': lambda: 'x', 'obj': lambda: 1,
    'sendobj': lambda: 1, 'buf': lambda: bytearray(8), 'recvbuf': lambda: bytearray(8),
    'status': lambda: None, 'comm': lambda: MPI.COMM_SELF, 'statuses': lambda: None,
}

BY_TYPE = {
    'int': lambda: 0, 'bool': lambda: False, 'str': lambda: 'x', 'Any': lambda: 1,
    'BufSpec': lambda: bytearray(8), 'BufSpecB': lambda: [bytearray(8), MPI.BYTE],
    'BufSpecV': _bufv, 'BufSpecW': _bufw, 'Buffer': lambda: bytearray(8),
    'Status': lambda: MPI.Status(), 'Datatype': lambda: MPI.INT, 'Op': lambda: MPI.SUM,
    'Info': lambda: MPI.INFO_NULL, 'Group': lambda: MPI.GROUP_EMPTY, 'Comm': lambda: MPI.COMM_SELF,
    'Intracomm': lambda: MPI.COMM_SELF, 'Intercomm': lambda: MPI.COMM_SELF,
    'Errhandler': lambda: MPI.ERRORS_RETURN, 'memory': lambda: MPI.memory.allocate(8),
    'Hashable': lambda: 'k', 'Sequence[int]': lambda: [1], 'Sequence[bool]': lambda: [False],
    'Sequence[Request]': lambda: [MPI.REQUEST_NULL], 'List[Prequest]': lambda: [],
    'Sequence[Datatype]': lambda: [MPI.INT], 'TargetSpec': lambda: None,
}


def valid(pname, ptype):
    if pname in BY_NAME:
        return BY_NAME[pname]()
    t = ptype
    m = re.match(r'(?:Optional|Union)\[(\w+(?:\[\w+\])?)', t)
    if m:
        t = m.group(1)
    if t.startswith('Callable') or 'Callable' in ptype:
        return lambda *a: None
    return BY_TYPE.get(t, lambda: 1)()


def _ragged():
    return [bytearray(8), (1,), MPI.INT]


# The bad values: label -> factory. Freed handles are made once per child and reused.
BAD = {
    'None': lambda: None,
    'zero': lambda: 0,
    'neg': lambda: -1,
    'neg_big': lambda: -2**31,
    'huge31': lambda: 2**31,
    'huge63': lambda: 2**63,
    'huge_neg64': lambda: -2**63 - 1,
    'undefined': lambda: MPI.UNDEFINED,
    'any_tag': lambda: MPI.ANY_TAG,
    'any_source': lambda: MPI.ANY_SOURCE,
    'proc_null': lambda: MPI.PROC_NULL,
    'root_const': lambda: MPI.ROOT,
    'tag_ub_plus': lambda: MPI.COMM_SELF.Get_attr(MPI.TAG_UB) + 1,
    'rank_1': lambda: 1,
    'float': lambda: 1.5,
    'str': lambda: 'x',
    'str_nul': lambda: 'a\0b',
    'surrogate': lambda: '\udcff',
    'str_long': lambda: 'x' * 5000,
    'bytes_ro': lambda: bytes(64),
    'bytes_empty': lambda: b'',
    'ba0': lambda: bytearray(0),
    'ba1': lambda: bytearray(1),
    'ba3': lambda: bytearray(3),
    'memview_ro': lambda: memoryview(bytearray(64)).toreadonly(),
    'memview_strided': lambda: memoryview(bytearray(64))[::2],
    'list_empty': lambda: [],
    'list_none': lambda: [None],
    'list_neg': lambda: [-1],
    'list_huge': lambda: [2**31],
    'list_big': lambda: [1] * 100000,
    'list_ragged': lambda: [[1, 2], [3]],
    'tuple_nested': lambda: ((1, 2), 3),
    'dict': lambda: {'a': 1},
    'object': lambda: object(),
    'spec_count_big': lambda: [bytearray(8), 100, MPI.INT],
    'spec_count_neg': lambda: [bytearray(8), -1, MPI.INT],
    'spec_count_zero': lambda: [bytearray(8), 0, MPI.INT],
    'spec_ragged': _ragged,
    'spec_long': lambda: [bytearray(8), 1, 0, MPI.INT, 5],
    'spec_none_type': lambda: [bytearray(8), None],
    'spec_wrong_handle': lambda: [bytearray(8), MPI.SUM],
    'spec_type_null': lambda: [bytearray(8), MPI.DATATYPE_NULL],
    'spec_lb': lambda: [bytearray(8), MPI.LB],
    'spec_pair': lambda: [bytearray(8), MPI.DOUBLE_INT],
    'spec_struct': lambda: [bytearray(64), _struct_type()],
    'spec_uncommitted': lambda: [bytearray(8), MPI.INT.Create_contiguous(2)],
    'spec_ro': lambda: [bytes(8), MPI.INT],
    'spec_v_ragged': lambda: [bytearray(8), ([8, 8], [0]), MPI.BYTE],
    'spec_v_neg': lambda: [bytearray(8), ([-8], [0]), MPI.BYTE],
    'spec_v_big': lambda: [bytearray(8), ([800], [0]), MPI.BYTE],
    'spec_v_displ': lambda: [bytearray(8), ([8], [2**40]), MPI.BYTE],
    'spec_w_types_none': lambda: [bytearray(8), ([8], [0]), [None]],
    'in_place': lambda: MPI.IN_PLACE,
    'bottom': lambda: MPI.BOTTOM,
    'comm_null': lambda: MPI.COMM_NULL,
    'type_null': lambda: MPI.DATATYPE_NULL,
    'op_null': lambda: MPI.OP_NULL,
    'group_null': lambda: MPI.GROUP_NULL,
    'info_null': lambda: MPI.INFO_NULL,
    'request_null': lambda: MPI.REQUEST_NULL,
    'errh_null': lambda: MPI.ERRHANDLER_NULL,
    'win_null': lambda: MPI.WIN_NULL,
    'file_null': lambda: MPI.FILE_NULL,
    'message_null': lambda: MPI.MESSAGE_NULL,
    'type_lb': lambda: MPI.LB,
    'type_ub': lambda: MPI.UB,
    'type_pair': lambda: MPI.DOUBLE_INT,
    'type_struct': _struct_type,
    'type_uncommitted': lambda: MPI.INT.Create_contiguous(2),
    'wrong_handle': lambda: MPI.SUM,
    'freed_comm': lambda: freed('comm'),
    'freed_type': lambda: freed('type'),
    'freed_op': lambda: freed('op'),
    'freed_group': lambda: freed('group'),
    'freed_info': lambda: freed('info'),
    'freed_win': lambda: freed('win'),
    'freed_file': lambda: freed('file'),
    'freed_request': lambda: freed('request'),
    'list_requests_null_big': lambda: [MPI.REQUEST_NULL] * 100000,
    'list_freed_comm': lambda: [freed('comm')],
    'status': lambda: MPI.Status(),
    'callable': lambda: (lambda *a: None),
}


def enumerate_cases():
    """[(owner, name, params, receiver, what)]; what: 'valid', 'noargs', 'extra',
    (param index, bad label), ('generic', n, bad label) or 'freed'."""
    sigs = parse_signatures()
    known = {(o, n) for o, n, _ in sigs}
    for owner in sorted(CLASS_RECEIVERS):
        if owner == 'MPI':
            continue
        cls = getattr(MPI, owner)
        for n in sorted(vars(cls)):
            if not n.startswith('_') and callable(getattr(cls, n)) and (owner, n) not in known:
                sigs.append((owner, n, None))
    for n in sorted(dir(MPI)):
        obj = getattr(MPI, n)
        if (not n.startswith('_') and callable(obj) and not isinstance(obj, type)
                and ('MPI', n) not in known):
            sigs.append(('MPI', n, None))
    cases = []
    for owner, name, params in sigs:
        if name in EXCLUDED or owner not in CLASS_RECEIVERS:
            continue
        for recv in CLASS_RECEIVERS[owner]:
            if params is None:
                for n in (1, 2):
                    for bad in BAD:
                        cases.append((owner, name, params, recv, ('generic', n, bad)))
                continue
            cases.append((owner, name, params, recv, 'valid'))
            if params:
                cases.append((owner, name, params, recv, 'noargs'))
            cases.append((owner, name, params, recv, 'extra'))
            for i in range(len(params)):
                for bad in BAD:
                    cases.append((owner, name, params, recv, (i, bad)))
        if owner in FREED:
            cases.append((owner, name, params or [], FREED[owner], 'freed'))
    return cases


def describe(case):
    owner, name, params, recv, what = case
    if isinstance(what, tuple) and what[0] == 'generic':
        what = '%d args=%s' % (what[1], what[2])
    elif isinstance(what, tuple):
        what = '%s=%s' % (params[what[0]][0], what[1])
    return '%s.%s on %s: %s' % (owner, name, recv, what)


# ---- running a case ---------------------------------------------------------------------------

SEND_PREFIXES = ('send', 'isend', 'ssend', 'issend', 'bsend', 'ibsend', 'rsend', 'irsend')
RECV_PREFIXES = ('recv', 'irecv', 'probe', 'iprobe', 'mprobe', 'improbe', 'mrecv')


def prelude(name, obj):
    """A pending message for receives and probes, a posted receive for sends, so that a case with
    valid arguments completes on one process; returns the cleanup."""
    low = name.lower()
    if not isinstance(obj, MPI.Comm) or low.startswith('sendrecv'):
        return None
    if low.startswith(RECV_PREFIXES):
        # not Send: with ch4:ucx a blocking send to oneself waits for the receive
        PENDING_SENDS.append((obj, obj.Isend(bytearray(8), 0, 0), False))
        return None
    if low.startswith(SEND_PREFIXES) and not low.endswith('_init'):
        r = obj.Irecv(bytearray(1 << 16), MPI.ANY_SOURCE, MPI.ANY_TAG)

        def cancel():
            try:
                if not r.Test():
                    r.Cancel()
                    r.Wait()
            except Exception:
                pass
        return cancel
    return None


def finish(ret, obj):
    """What a case returned that would keep its message or receive pending, or use up a
    limited resource (user Ops, communicators) over many cases: a matched message is received,
    a pending receive cancelled, a new handle freed."""
    try:
        if isinstance(ret, MPI.Message) and ret:
            ret.Recv(bytearray(1 << 16))
        elif isinstance(ret, MPI.Request) and ret and not ret.Test():
            ret.Cancel()
            ret.Test()
        elif isinstance(ret, (MPI.Op, MPI.Datatype, MPI.Comm, MPI.Group, MPI.Info, MPI.Win)) \
                and ret is not obj and ret:
            ret.Free()
        elif isinstance(ret, MPI.File) and ret:
            ret.Close()
    except Exception:
        pass


def run_case(case):
    owner, name, params, recv, what = case
    make, cleanup = RECEIVERS[recv]
    try:
        obj = freed(recv) if what == 'freed' else make()
    except Exception as e:  # the receiver cannot be made (a resource used up): no call
        return 'exc %s (making the %s)' % (type(e).__name__, recv)
    undo = prelude(name, obj) if what != 'freed' else None
    try:
        if isinstance(what, tuple) and what[0] == 'generic':
            args = [0] * (what[1] - 1) + [BAD[what[2]]()]
        elif what == 'noargs':
            args = []
        else:
            args = [valid(p, t) for p, t, _ in params]
            if what == 'extra':
                args.append(1)
            elif isinstance(what, tuple):
                args[what[0]] = BAD[what[1]]()
        try:
            if owner == 'MPI':
                fn = getattr(MPI, name)
            elif isinstance(obj, getattr(MPI, owner)):
                fn = getattr(obj, name)
            else:  # Intercomm methods on an intracommunicator: TypeError
                fn = getattr(getattr(MPI, owner), name).__get__(obj)
            ret = fn(*args)
            result = 'ok'
        except BaseException as e:
            ret, result = None, 'exc ' + type(e).__name__
        finish(ret, obj)
        return result
    finally:
        if undo:
            undo()
        if what == 'freed':
            complete_sends()
        elif recv == 'message':  # receive the message first: it is what the send waits for
            cleanup(obj)
            complete_sends()
        else:  # the receiver's pending message, before the communicator is freed
            complete_sends()
            cleanup(obj)


def main():
    cases = enumerate_cases()
    cmd = sys.argv[1] if len(sys.argv) > 1 else 'count'
    if cmd == 'count':
        print(len(cases))
    elif cmd == 'list':
        which = [int(a) for a in sys.argv[2:]] or range(len(cases))
        for i in which:
            print(i, describe(cases[i]))
    elif cmd == 'run':
        out = sys.stdout.fileno()
        for tok in sys.stdin.read().split():
            i = int(tok)
            os.write(out, b'S %d\n' % i)
            result = run_case(cases[i])
            os.write(out, ('R %d %s\n' % (i, result)).encode())
        os.write(out, b'END\n')


if __name__ == '__main__':
    main()
