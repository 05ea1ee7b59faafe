/* p2p.c: point-to-point communication of buffers (upper-case Comm methods) and probes.
 *
 * Blocking calls parse their buffer spec into a pympi_msg on the stack (no Python objects are
 * made) and run without the GIL; the int-count MPI call is used when the count fits, the MPI-4
 * large-count (_c) call otherwise. Nonblocking and persistent calls keep the pinned buffer in the
 * request (ob_view). A buffer spec of None is only accepted with MPI.PROC_NULL as the peer. */
#include "pympi.h"

#define COMM(o) (((PyMPICommObject *)(o))->ob_mpi)
#define FASTKW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS

/* A buffer spec for a peer: None means "no data" and is only valid with PROC_NULL. */
static inline int p2p_msg(PyObject *spec, int role, int peer, pympi_msg *m)
{
    if (spec == Py_None && peer != MPI_PROC_NULL) {
        PyErr_SetString(PyExc_TypeError, "message: buffer None is only valid with MPI.PROC_NULL");
        return -1;
    }
    return pympi_msg_get(spec, role, m);
}

/* ---- sends: Send, Bsend, Ssend, Rsend and their I... and ..._init forms ---------------- */
typedef int (*send_fn)(const void *, int, MPI_Datatype, int, int, MPI_Comm);
typedef int (*send_c_fn)(const void *, MPI_Count, MPI_Datatype, int, int, MPI_Comm);
typedef int (*isend_fn)(const void *, int, MPI_Datatype, int, int, MPI_Comm, MPI_Request *);
typedef int (*isend_c_fn)(const void *, MPI_Count, MPI_Datatype, int, int, MPI_Comm, MPI_Request *);
static const send_fn send_i[] = {MPI_Send, MPI_Bsend, MPI_Ssend, MPI_Rsend};
static const send_c_fn send_c[] = {MPI_Send_c, MPI_Bsend_c, MPI_Ssend_c, MPI_Rsend_c};
static const isend_fn isend_i[] = {MPI_Isend, MPI_Ibsend, MPI_Issend, MPI_Irsend};
static const isend_c_fn isend_c[] = {MPI_Isend_c, MPI_Ibsend_c, MPI_Issend_c, MPI_Irsend_c};
static const isend_fn init_i[] = {MPI_Send_init, MPI_Bsend_init, MPI_Ssend_init, MPI_Rsend_init};
static const isend_c_fn init_c[] = {MPI_Send_init_c, MPI_Bsend_init_c, MPI_Ssend_init_c, MPI_Rsend_init_c};

static const char *const send_kwlist[] = {"buf", "dest", "tag", NULL};

static PyObject *p2p_send(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw,
                          const char *fname, int mode)
{
    PyObject *a[3];
    int dest, tag, ierr;
    pympi_msg m;
    if (pympi_parse(fname, send_kwlist, 2, args, nargs, kw, a) < 0) return NULL;
    if (pympi_int(a[1], 0, &dest) < 0 || pympi_int(a[2], 0, &tag) < 0) return NULL;
    if (p2p_msg(a[0], PYMPI_SEND, dest, &m) < 0) return NULL;
    MPI_Comm comm = COMM(self);
    if (PYMPI_FITS_INT(m.count))
        PYMPI_NOGIL(ierr = send_i[mode](m.addr, (int)m.count, m.type, dest, tag, comm));
    else
        PYMPI_NOGIL(ierr = send_c[mode](m.addr, m.count, m.type, dest, tag, comm));
    pympi_msg_release(&m);
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_NONE;
}

/* Isend & co. (persistent = 0) and Send_init & co. (persistent = 1): a request that keeps the
 * buffer. */
static PyObject *p2p_isend(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw,
                           const char *fname, int mode, int persistent)
{
    PyObject *a[3];
    int dest, tag, ierr;
    pympi_msg m;
    MPI_Request req;
    if (pympi_parse(fname, send_kwlist, 2, args, nargs, kw, a) < 0) return NULL;
    if (pympi_int(a[1], 0, &dest) < 0 || pympi_int(a[2], 0, &tag) < 0) return NULL;
    if (p2p_msg(a[0], PYMPI_SEND, dest, &m) < 0) return NULL;
    MPI_Comm comm = COMM(self);
    const isend_fn fi = persistent ? init_i[mode] : isend_i[mode];
    const isend_c_fn fc = persistent ? init_c[mode] : isend_c[mode];
    if (PYMPI_FITS_INT(m.count))
        PYMPI_NOGIL(ierr = fi(m.addr, (int)m.count, m.type, dest, tag, comm, &req));
    else
        PYMPI_NOGIL(ierr = fc(m.addr, m.count, m.type, dest, tag, comm, &req));
    if (CHKERR(ierr)) { pympi_msg_release(&m); return NULL; }
    return pympi_request_new_msg(persistent ? &PyMPIPrequest_Type : &PyMPIRequest_Type, req, &m);
}

#define SEND_METHOD(name, mode)                                                                    \
    static PyObject *comm_##name(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) \
    {                                                                                              \
        return p2p_send(self, args, nargs, kw, #name, mode);                                       \
    }
#define ISEND_METHOD(name, mode, persistent)                                                       \
    static PyObject *comm_##name(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) \
    {                                                                                              \
        return p2p_isend(self, args, nargs, kw, #name, mode, persistent);                          \
    }
SEND_METHOD(Send, PYMPI_MODE_STANDARD)
SEND_METHOD(Bsend, PYMPI_MODE_BUFFERED)
SEND_METHOD(Ssend, PYMPI_MODE_SYNCHRONOUS)
SEND_METHOD(Rsend, PYMPI_MODE_READY)
ISEND_METHOD(Isend, PYMPI_MODE_STANDARD, 0)
ISEND_METHOD(Ibsend, PYMPI_MODE_BUFFERED, 0)
ISEND_METHOD(Issend, PYMPI_MODE_SYNCHRONOUS, 0)
ISEND_METHOD(Irsend, PYMPI_MODE_READY, 0)
ISEND_METHOD(Send_init, PYMPI_MODE_STANDARD, 1)
ISEND_METHOD(Bsend_init, PYMPI_MODE_BUFFERED, 1)
ISEND_METHOD(Ssend_init, PYMPI_MODE_SYNCHRONOUS, 1)
ISEND_METHOD(Rsend_init, PYMPI_MODE_READY, 1)

/* ---- receives ----------------------------------------------------------------------------- */
static PyObject *comm_Recv(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"buf", "source", "tag", "status", NULL};
    PyObject *a[4];
    int source, tag, ierr;
    MPI_Status *st;
    pympi_msg m;
    if (pympi_parse("Recv", kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    if (pympi_int(a[1], MPI_ANY_SOURCE, &source) < 0 || pympi_int(a[2], MPI_ANY_TAG, &tag) < 0 ||
        pympi_as_status(a[3], &st) < 0)
        return NULL;
    if (p2p_msg(a[0], PYMPI_RECV, source, &m) < 0) return NULL;
    MPI_Comm comm = COMM(self);
    if (PYMPI_FITS_INT(m.count))
        PYMPI_NOGIL(ierr = MPI_Recv(m.addr, (int)m.count, m.type, source, tag, comm, st));
    else
        PYMPI_NOGIL(ierr = MPI_Recv_c(m.addr, m.count, m.type, source, tag, comm, st));
    pympi_msg_release(&m);
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_NONE;
}

static PyObject *p2p_irecv(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw,
                           const char *fname, int persistent)
{
    static const char *const kwlist[] = {"buf", "source", "tag", NULL};
    PyObject *a[3];
    int source, tag, ierr;
    pympi_msg m;
    MPI_Request req;
    if (pympi_parse(fname, kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    if (pympi_int(a[1], MPI_ANY_SOURCE, &source) < 0 || pympi_int(a[2], MPI_ANY_TAG, &tag) < 0) return NULL;
    if (p2p_msg(a[0], PYMPI_RECV, source, &m) < 0) return NULL;
    MPI_Comm comm = COMM(self);
    if (persistent) {
        if (PYMPI_FITS_INT(m.count))
            PYMPI_NOGIL(ierr = MPI_Recv_init(m.addr, (int)m.count, m.type, source, tag, comm, &req));
        else
            PYMPI_NOGIL(ierr = MPI_Recv_init_c(m.addr, m.count, m.type, source, tag, comm, &req));
    } else {
        if (PYMPI_FITS_INT(m.count))
            PYMPI_NOGIL(ierr = MPI_Irecv(m.addr, (int)m.count, m.type, source, tag, comm, &req));
        else
            PYMPI_NOGIL(ierr = MPI_Irecv_c(m.addr, m.count, m.type, source, tag, comm, &req));
    }
    if (CHKERR(ierr)) { pympi_msg_release(&m); return NULL; }
    return pympi_request_new_msg(persistent ? &PyMPIPrequest_Type : &PyMPIRequest_Type, req, &m);
}

static PyObject *comm_Irecv(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    return p2p_irecv(self, args, nargs, kw, "Irecv", 0);
}

static PyObject *comm_Recv_init(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    return p2p_irecv(self, args, nargs, kw, "Recv_init", 1);
}

/* ---- send-receive --------------------------------------------------------------------------- */
static PyObject *comm_Sendrecv(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"sendbuf", "dest", "sendtag", "recvbuf", "source", "recvtag",
                                         "status", NULL};
    PyObject *a[7];
    int dest, sendtag, source, recvtag, ierr;
    MPI_Status *st;
    pympi_msg s, r;
    if (pympi_parse("Sendrecv", kwlist, 2, args, nargs, kw, a) < 0) return NULL;
    if (pympi_int(a[1], 0, &dest) < 0 || pympi_int(a[2], 0, &sendtag) < 0 ||
        pympi_int(a[4], MPI_ANY_SOURCE, &source) < 0 || pympi_int(a[5], MPI_ANY_TAG, &recvtag) < 0 ||
        pympi_as_status(a[6], &st) < 0)
        return NULL;
    if (p2p_msg(a[0], PYMPI_SEND, dest, &s) < 0) return NULL;
    if (p2p_msg(a[3] ? a[3] : Py_None, PYMPI_RECV, source, &r) < 0) { pympi_msg_release(&s); return NULL; }
    MPI_Comm comm = COMM(self);
    if (PYMPI_FITS_INT(s.count) && PYMPI_FITS_INT(r.count))
        PYMPI_NOGIL(ierr = MPI_Sendrecv(s.addr, (int)s.count, s.type, dest, sendtag, r.addr, (int)r.count,
                                        r.type, source, recvtag, comm, st));
    else
        PYMPI_NOGIL(ierr = MPI_Sendrecv_c(s.addr, s.count, s.type, dest, sendtag, r.addr, r.count, r.type,
                                          source, recvtag, comm, st));
    pympi_msg_release(&s);
    pympi_msg_release(&r);
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_NONE;
}

static PyObject *comm_Sendrecv_replace(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"buf", "dest", "sendtag", "source", "recvtag", "status", NULL};
    PyObject *a[6];
    int dest, sendtag, source, recvtag, ierr;
    MPI_Status *st;
    pympi_msg m;
    if (pympi_parse("Sendrecv_replace", kwlist, 2, args, nargs, kw, a) < 0) return NULL;
    if (pympi_int(a[1], 0, &dest) < 0 || pympi_int(a[2], 0, &sendtag) < 0 ||
        pympi_int(a[3], MPI_ANY_SOURCE, &source) < 0 || pympi_int(a[4], MPI_ANY_TAG, &recvtag) < 0 ||
        pympi_as_status(a[5], &st) < 0)
        return NULL;
    if (a[0] == Py_None && (dest != MPI_PROC_NULL || source != MPI_PROC_NULL)) {
        PyErr_SetString(PyExc_TypeError, "message: buffer None is only valid with MPI.PROC_NULL");
        return NULL;
    }
    if (pympi_msg_get(a[0], PYMPI_RECV, &m) < 0) return NULL;
    MPI_Comm comm = COMM(self);
    if (PYMPI_FITS_INT(m.count))
        PYMPI_NOGIL(ierr = MPI_Sendrecv_replace(m.addr, (int)m.count, m.type, dest, sendtag, source, recvtag,
                                                comm, st));
    else
        PYMPI_NOGIL(ierr = MPI_Sendrecv_replace_c(m.addr, m.count, m.type, dest, sendtag, source, recvtag,
                                                  comm, st));
    pympi_msg_release(&m);
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_NONE;
}

/* ---- probes (upper- and lower-case: the same calls) -------------------------------------- */
static const char *const probe_kwlist[] = {"source", "tag", "status", NULL};

static int probe_args(const char *fname, PyObject *const *args, Py_ssize_t nargs, PyObject *kw,
                      int *source, int *tag, MPI_Status **st)
{
    PyObject *a[3];
    if (pympi_parse(fname, probe_kwlist, 0, args, nargs, kw, a) < 0) return -1;
    if (pympi_int(a[0], MPI_ANY_SOURCE, source) < 0 || pympi_int(a[1], MPI_ANY_TAG, tag) < 0 ||
        pympi_as_status(a[2], st) < 0)
        return -1;
    return 0;
}

static PyObject *p2p_probe(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw,
                           const char *fname)
{
    int source, tag, ierr;
    MPI_Status *st;
    if (probe_args(fname, args, nargs, kw, &source, &tag, &st) < 0) return NULL;
    PYMPI_NOGIL(ierr = MPI_Probe(source, tag, COMM(self), st));
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_TRUE;
}

static PyObject *p2p_iprobe(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw,
                            const char *fname)
{
    int source, tag, flag = 0, ierr;
    MPI_Status *st;
    if (probe_args(fname, args, nargs, kw, &source, &tag, &st) < 0) return NULL;
    MPI_Comm comm = COMM(self);
    PYMPI_NOGIL(ierr = MPI_Iprobe(source, tag, comm, &flag, st));
    if (CHKERR(ierr)) return NULL;
    return PyBool_FromLong(flag);
}

static PyObject *p2p_mprobe(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw,
                            const char *fname, int block)
{
    int source, tag;
    MPI_Status *st;
    if (probe_args(fname, args, nargs, kw, &source, &tag, &st) < 0) return NULL;
    return pympi_mprobe(NULL, COMM(self), source, tag, st, block);
}

#define PROBE_METHOD(name, call)                                                                   \
    static PyObject *comm_##name(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) \
    {                                                                                              \
        return call;                                                                               \
    }
PROBE_METHOD(Probe, p2p_probe(self, args, nargs, kw, "Probe"))
PROBE_METHOD(probe, p2p_probe(self, args, nargs, kw, "probe"))
PROBE_METHOD(Iprobe, p2p_iprobe(self, args, nargs, kw, "Iprobe"))
PROBE_METHOD(iprobe, p2p_iprobe(self, args, nargs, kw, "iprobe"))
PROBE_METHOD(Mprobe, p2p_mprobe(self, args, nargs, kw, "Mprobe", 1))
PROBE_METHOD(mprobe, p2p_mprobe(self, args, nargs, kw, "mprobe", 1))
PROBE_METHOD(Improbe, p2p_mprobe(self, args, nargs, kw, "Improbe", 0))
PROBE_METHOD(improbe, p2p_mprobe(self, args, nargs, kw, "improbe", 0))

PyMethodDef pympi_comm_p2p_methods[] = {
    {"Send", FASTKW(comm_Send), "Blocking send (standard mode)."},
    {"Bsend", FASTKW(comm_Bsend), "Blocking send (buffered mode: needs Attach_buffer)."},
    {"Ssend", FASTKW(comm_Ssend), "Blocking send (synchronous mode)."},
    {"Rsend", FASTKW(comm_Rsend), "Blocking send (ready mode: the receive must be posted)."},
    {"Isend", FASTKW(comm_Isend), "Nonblocking send."},
    {"Ibsend", FASTKW(comm_Ibsend), "Nonblocking send (buffered mode)."},
    {"Issend", FASTKW(comm_Issend), "Nonblocking send (synchronous mode)."},
    {"Irsend", FASTKW(comm_Irsend), "Nonblocking send (ready mode)."},
    {"Send_init", FASTKW(comm_Send_init), "Persistent send request (standard mode)."},
    {"Bsend_init", FASTKW(comm_Bsend_init), "Persistent send request (buffered mode)."},
    {"Ssend_init", FASTKW(comm_Ssend_init), "Persistent send request (synchronous mode)."},
    {"Rsend_init", FASTKW(comm_Rsend_init), "Persistent send request (ready mode)."},
    {"Recv", FASTKW(comm_Recv), "Blocking receive."},
    {"Irecv", FASTKW(comm_Irecv), "Nonblocking receive."},
    {"Recv_init", FASTKW(comm_Recv_init), "Persistent receive request."},
    {"Sendrecv", FASTKW(comm_Sendrecv), "Send and receive."},
    {"Sendrecv_replace", FASTKW(comm_Sendrecv_replace), "Send and receive with one buffer."},
    {"Probe", FASTKW(comm_Probe), "Blocking probe for a message; returns True."},
    {"Iprobe", FASTKW(comm_Iprobe), "Nonblocking probe for a message."},
    {"Mprobe", FASTKW(comm_Mprobe), "Blocking matched probe: a Message."},
    {"Improbe", FASTKW(comm_Improbe), "Nonblocking matched probe: a Message or None."},
    {"probe", FASTKW(comm_probe), "Blocking probe for a message; returns True."},
    {"iprobe", FASTKW(comm_iprobe), "Nonblocking probe for a message."},
    {"mprobe", FASTKW(comm_mprobe), "Blocking matched probe: a Message (for Message.recv)."},
    {"improbe", FASTKW(comm_improbe), "Nonblocking matched probe: a Message or None."},
    {NULL}};
