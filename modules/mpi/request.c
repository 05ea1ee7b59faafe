/* request.c: MPI.Request, Prequest, Grequest.
 *
 * A request keeps what its operation uses alive in ob_buf (pinned buffers, a pickle being sent)
 * until the operation is known complete. For a lower-case receive (Comm.irecv, Message.irecv)
 * ob_buf is an ObjRecv: the object is unpickled from it by wait()/test() and friends. (ob_buf is
 * the only field besides the handle: mpi4py 3.1's layout, see pympi.h.)
 *
 * Comm.irecv never guesses a size: its receive is matched by probe. If the message is already
 * there when irecv() is called it is matched at once (MPI_Improbe + MPI_Imrecv into a buffer of
 * the right size); otherwise the request stays "pending" (ob_mpi is MPI_REQUEST_NULL, the ObjRecv
 * remembers comm/source/tag) and every completion call first tries to match it: blocking waits
 * with MPI_Mprobe, tests and waits on several requests with MPI_Improbe. The one difference from
 * a posted MPI_Irecv: a pending irecv does not take precedence over a receive posted after it
 * for the same source and tag before its message arrived.
 *
 * Completion calls release the GIL (MPICH may run Python callbacks of generalized requests from
 * inside them, on this or another thread); callbacks take the GIL back. A Python exception
 * raised by a callback is the one the completion call raises. */
#include "pympi.h"
#include <sched.h>

PYMPI_DEFINE_KIND(Request, MPI_Request, MPI_REQUEST_NULL, MPI_Request);

#define REQ(o) ((PyMPIRequestObject *)(o))
#define COMM(o) (((PyMPICommObject *)(o))->ob_mpi)
#define FASTKW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS

/* An MPI return code, or a Python error a callback left behind: -1 with the exception set. */
static inline int req_chk(int ierr)
{
    if (ierr != MPI_SUCCESS) return pympi_raise(ierr);
    return PyErr_Occurred() ? -1 : 0;
}
#define REQCHK(ierr) (req_chk(ierr) < 0)

/* ---- object receive state --------------------------------------------------------- */
enum { OBJ_PENDING, OBJ_MATCHED, OBJ_FAILED };

typedef struct {
    PyObject_HEAD
    int state;
    PyObject *comm;     /* pending: the Comm object to probe */
    int source, tag;    /* pending: what to match */
    PyObject *buf;      /* the user's receive buffer, or NULL */
    PyObject *owner;    /* matched: the memory receiving the pickle (bytes, or buf) */
    Py_buffer view;     /* matched into buf: the pinned view */
    void *addr;
    MPI_Count size;
    int busy;           /* a thread is probing for it (the GIL is released meanwhile) */
    int err;            /* OBJ_FAILED: the MPI error class matching it failed with */
} ObjRecv;

static void objrecv_dealloc(ObjRecv *self)
{
    if (self->view.obj) PyBuffer_Release(&self->view);
    Py_XDECREF(self->comm);
    Py_XDECREF(self->buf);
    Py_XDECREF(self->owner);
    PyObject_Free(self);
}

static PyTypeObject ObjRecv_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI._ObjRecv",
    .tp_basicsize = sizeof(ObjRecv),
    .tp_dealloc = (destructor)objrecv_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "State of a pickled-object receive request (internal)."};

static ObjRecv *objrecv_new(PyObject *buf)
{
    ObjRecv *o = PyObject_New(ObjRecv, &ObjRecv_Type);
    if (!o) return NULL;
    o->state = OBJ_PENDING;
    o->comm = NULL;
    o->source = o->tag = 0;
    o->buf = buf && buf != Py_None ? (Py_INCREF(buf), buf) : NULL;
    o->owner = NULL;
    o->view.obj = NULL;
    o->addr = NULL;
    o->size = 0;
    o->busy = 0;
    o->err = MPI_SUCCESS;
    return o;
}

#define OBJRECV(r) ((r)->ob_buf && Py_TYPE((r)->ob_buf) == &ObjRecv_Type ? (ObjRecv *)(r)->ob_buf : NULL)

static inline int is_pending(PyMPIRequestObject *r)
{
    ObjRecv *o = OBJRECV(r);
    return o && o->state == OBJ_PENDING;
}

/* Post the receive of a matched message of `size` bytes into the right buffer. */
static int objrecv_match(ObjRecv *o, MPI_Message *msg, MPI_Count size, MPI_Request *req)
{
    int ierr;
    if (pympi_objbuf_get(o->buf, size, &o->owner, &o->view, &o->addr) < 0) return -1;
    o->size = size;
    PYMPI_NOGIL(ierr = MPI_Imrecv_c(o->addr, size, MPI_BYTE, msg, req));
    if (CHKERR(ierr)) {
        if (o->view.obj) PyBuffer_Release(&o->view);
        Py_CLEAR(o->owner);
        return -1;
    }
    o->state = OBJ_MATCHED;
    Py_CLEAR(o->comm);
    return 0;
}

/* ---- pending object receives --------------------------------------------------------- *
 * Every pending irecv is registered here. While any exists, blocking calls of this module do
 * not block inside MPI: they poll (pympi_pwait) and try to match the pending receives meanwhile,
 * so that, as with a posted receive, a peer blocked in a send to us (ssend, a large send, a send
 * to self) can complete. */
static PyMPIRequestObject **pending;
static Py_ssize_t npending_cap;
Py_ssize_t pympi_npending;

static int pending_add(PyMPIRequestObject *r)
{
    if (pympi_npending == npending_cap) {
        Py_ssize_t cap = npending_cap ? 2 * npending_cap : 16;
        PyMPIRequestObject **p = PyMem_Realloc(pending, (size_t)cap * sizeof(*p));
        if (!p) { PyErr_NoMemory(); return -1; }
        pending = p;
        npending_cap = cap;
    }
    pending[pympi_npending++] = r;
    return 0;
}

static void pending_remove(PyMPIRequestObject *r)
{
    for (Py_ssize_t i = 0; i < pympi_npending; i++)
        if (pending[i] == r) {
            pending[i] = pending[--pympi_npending];
            return;
        }
}

/* Try to match a pending object receive (block: until the message is there). 1 matched, 0 not
 * yet, -1 error. */
static int req_resolve(PyMPIRequestObject *r, int block)
{
    ObjRecv *o = OBJRECV(r);
    if (!o || o->state != OBJ_PENDING) return 1;
    if (o->busy) return 0; /* another thread is probing for it */
    if (block && pympi_npending > 1) {
        /* other pending receives must progress too: poll */
        for (;;) {
            if (pympi_progress() < 0) return -1;
            if (!is_pending(r)) return 1;
            Py_BEGIN_ALLOW_THREADS
            sched_yield();
            Py_END_ALLOW_THREADS
        }
    }
    MPI_Message msg = MPI_MESSAGE_NULL;
    MPI_Status st;
    MPI_Comm comm = COMM(o->comm);
    int flag = 1, ierr;
    o->busy = 1;
    if (block) PYMPI_NOGIL(ierr = MPI_Mprobe(o->source, o->tag, comm, &msg, &st));
    else PYMPI_NOGIL(ierr = MPI_Improbe(o->source, o->tag, comm, &flag, &msg, &st));
    o->busy = 0;
    if (CHKERR(ierr)) return -1;
    if (!flag) return 0;
    MPI_Count size = 0;
    if (msg != MPI_MESSAGE_NO_PROC && CHKERR(MPI_Get_count_c(&st, MPI_BYTE, &size))) return -1;
    pending_remove(r);
    if (objrecv_match(o, &msg, size, &r->ob_mpi) < 0) return -1;
    return 1;
}

int pympi_progress(void)
{
    for (Py_ssize_t i = pympi_npending - 1; i >= 0; i--) {
        if (i >= pympi_npending) continue; /* the list shrank meanwhile */
        PyMPIRequestObject *r = pending[i];
        Py_INCREF(r);
        if (req_resolve(r, 0) < 0) {
            /* The error belongs to that request (e.g. its communicator was freed): it fails,
             * and completing it raises; the call that was progressing it goes on. */
            ObjRecv *o = OBJRECV(r);
            int code = MPI_ERR_OTHER;
            PyObject *et, *ev, *tb;
            PyErr_Fetch(&et, &ev, &tb);
            PyErr_NormalizeException(&et, &ev, &tb);
            if (ev && PyObject_TypeCheck(ev, (PyTypeObject *)pympi_Exception)) {
                PyObject *v = PyObject_GetAttrString(ev, "ierr");
                if (!v || pympi_int(v, MPI_ERR_OTHER, &code) < 0) code = MPI_ERR_OTHER;
                Py_XDECREF(v);
            }
            Py_XDECREF(et); Py_XDECREF(ev); Py_XDECREF(tb);
            PyErr_Clear();
            pending_remove(r);
            if (o && o->state == OBJ_PENDING) {
                o->state = OBJ_FAILED;
                o->err = code;
                Py_CLEAR(o->comm);
            }
        }
        Py_DECREF(r);
    }
    return 0;
}

int pympi_pwait(MPI_Request *req, MPI_Status *st)
{
    int flag = 0, ierr;
    for (;;) {
        if (pympi_progress() < 0) {
            /* the operation of *req is still running: report the error, keep waiting */
            PyErr_WriteUnraisable(NULL);
        }
        PYMPI_NOGIL(ierr = MPI_Test(req, &flag, st));
        if (ierr != MPI_SUCCESS || flag) return ierr;
        Py_BEGIN_ALLOW_THREADS
        sched_yield();
        Py_END_ALLOW_THREADS
    }
}

/* The operation is over: release what the request kept for it. */
static void req_drop_bufs(PyMPIRequestObject *r)
{
    Py_CLEAR(r->ob_buf);
}

/* After completion calls: once the handle is MPI_REQUEST_NULL the operation is over, so what the
 * request kept is released. Returns the received object (new reference) when `want`, else None
 * (new reference); NULL on error. */
static PyObject *req_finish(PyMPIRequestObject *r, int want)
{
    if (r->ob_mpi != MPI_REQUEST_NULL || is_pending(r)) Py_RETURN_NONE;
    PyObject *result = NULL;
    ObjRecv *o = OBJRECV(r);
    if (o && o->state == OBJ_FAILED) {
        int code = o->err;
        Py_CLEAR(r->ob_buf);
        pympi_raise(code);
        return NULL;
    }
    if (want && o && o->state == OBJ_MATCHED) {
        result = pympi_objbuf_load(o->owner, o->addr, o->size);
    } else {
        result = Py_None;
        Py_INCREF(result);
    }
    req_drop_bufs(r);
    return result;
}

static void req_finish_quiet(PyMPIRequestObject *r)
{
    if (r->ob_mpi != MPI_REQUEST_NULL || is_pending(r)) return;
    req_drop_bufs(r);
}

int pympi_pmprobe(int source, int tag, MPI_Comm comm, MPI_Message *msg, MPI_Status *st)
{
    int flag = 0, ierr;
    if (!pympi_npending) {
        PYMPI_NOGIL(ierr = msg ? MPI_Mprobe(source, tag, comm, msg, st) : MPI_Probe(source, tag, comm, st));
        return ierr;
    }
    for (;;) {
        if (pympi_progress() < 0) return -1;
        if (msg) PYMPI_NOGIL(ierr = MPI_Improbe(source, tag, comm, &flag, msg, st));
        else PYMPI_NOGIL(ierr = MPI_Iprobe(source, tag, comm, &flag, st));
        if (ierr != MPI_SUCCESS || flag) return ierr;
        Py_BEGIN_ALLOW_THREADS
        sched_yield();
        Py_END_ALLOW_THREADS
    }
}

/* ---- creation, deallocation --------------------------------------------------------- */
PyObject *pympi_request_new(PyTypeObject *tp, MPI_Request req, PyObject *buf)
{
    /* What pympi_handle_new() does, without its search for the family's handle layout: every
     * request class has the PyMPIRequestObject layout (made on every nonblocking call). */
    PyObject *o = tp->tp_alloc(tp, 0);
    if (!o) { Py_XDECREF(buf); return NULL; }
    REQ(o)->ob_mpi = req;
    REQ(o)->flags = PYMPI_OWNED;
    REQ(o)->ob_buf = buf; /* stolen */
    return o;
}

PyObject *pympi_request_new_msg(PyTypeObject *tp, MPI_Request req, pympi_msg *m)
{
    PyObject *keep = pympi_msg_keep(m);
    if (!keep) { pympi_msg_release(m); return NULL; }
    return pympi_request_new(tp, req, keep);
}

PyObject *pympi_request_objrecv(PyObject *comm, PyObject *buf, int source, int tag)
{
    PyObject *r = pympi_request_new(&PyMPIRequest_Type, MPI_REQUEST_NULL, NULL);
    ObjRecv *o = r ? objrecv_new(buf) : NULL;
    if (!o) { Py_XDECREF(r); return NULL; }
    Py_INCREF(comm);
    o->comm = comm;
    o->source = source;
    o->tag = tag;
    REQ(r)->ob_buf = (PyObject *)o;
    if (pending_add(REQ(r)) < 0) { Py_DECREF(r); return NULL; }
    if (req_resolve(REQ(r), 0) < 0) { Py_DECREF(r); return NULL; }
    return r;
}

PyObject *pympi_request_objmrecv(MPI_Message *msg, MPI_Count size, PyObject *buf)
{
    PyObject *r = pympi_request_new(&PyMPIRequest_Type, MPI_REQUEST_NULL, NULL);
    ObjRecv *o = r ? objrecv_new(buf) : NULL;
    if (!o) { Py_XDECREF(r); return NULL; }
    REQ(r)->ob_buf = (PyObject *)o;
    if (objrecv_match(o, msg, size, &REQ(r)->ob_mpi) < 0) { Py_DECREF(r); return NULL; }
    return r;
}

/* Free the MPI request of `r` (when `free_it`) and release its buffers if the operation is known
 * to be over; if it may still be running, the buffers are kept for good (MPI may still use
 * them). Used by Free() (free_it) and dealloc (not: handles are released only by Free()). */
static int req_release(PyMPIRequestObject *r, int free_it)
{
    int ierr = MPI_SUCCESS;
    if (r->ob_mpi != MPI_REQUEST_NULL && pympi_mpi_active()) {
        int done = 1;
        if (!PyObject_TypeCheck(r, &PyMPIGrequest_Type) && r->ob_buf) {
            done = 0;
            if (MPI_Request_get_status(r->ob_mpi, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS) done = 0;
        }
        if (free_it) PYMPI_NOGIL(ierr = MPI_Request_free(&r->ob_mpi));
        if (!done) {
            r->ob_buf = NULL; /* leaked on purpose: the buffer stays pinned for good */
        }
    }
    if (r->ob_mpi == MPI_REQUEST_NULL) req_drop_bufs(r);
    return ierr;
}

static void request_dealloc(PyMPIRequestObject *self)
{
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    if (self->ob_weakref) PyObject_ClearWeakRefs((PyObject *)self);
    if (is_pending(self)) { pending_remove(self); Py_CLEAR(self->ob_buf); }
    req_release(self, 0); /* only Free() frees the MPI request (a copy may still use it) */
    if (PyErr_Occurred()) PyErr_WriteUnraisable((PyObject *)self);
    PyErr_Restore(et, ev, tb);
    req_drop_bufs(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* A pending irecv is an active request although its handle is still MPI_REQUEST_NULL. */
static int request_bool(PyObject *self)
{
    return REQ(self)->ob_mpi != MPI_REQUEST_NULL || is_pending(REQ(self));
}

static PyObject *request_richcompare(PyObject *self, PyObject *other, int op)
{
    if ((op != Py_EQ && op != Py_NE) || !PyMPIRequest_Check(other)) Py_RETURN_NOTIMPLEMENTED;
    PyMPIRequestObject *a = REQ(self), *b = REQ(other);
    int same = a->ob_mpi == b->ob_mpi && is_pending(a) == is_pending(b) && (!is_pending(a) || a == b);
    return PyBool_FromLong(op == Py_EQ ? same : !same);
}

static PyNumberMethods request_as_number = {.nb_bool = request_bool};

/* ---- single-request methods ------------------------------------------------------------ */
static int parse_status(const char *fname, PyObject *const *args, Py_ssize_t nargs, PyObject *kw,
                        MPI_Status **st)
{
    static const char *const kwlist[] = {"status", NULL};
    PyObject *a[1];
    if (nargs == 0 && !kw) { *st = MPI_STATUS_IGNORE; return 0; }
    if (pympi_parse(fname, kwlist, 0, args, nargs, kw, a) < 0) return -1;
    return pympi_as_status(a[0], st);
}

static PyObject *req_wait(PyObject *self, MPI_Status *st, int want)
{
    PyMPIRequestObject *r = REQ(self);
    int ierr;
    while (is_pending(r)) {
        if (req_resolve(r, 1) < 0) return NULL;
        if (is_pending(r)) { /* another thread is matching it */
            Py_BEGIN_ALLOW_THREADS
            sched_yield();
            Py_END_ALLOW_THREADS
        }
    }
    if (pympi_npending) ierr = pympi_pwait(&r->ob_mpi, st);
    else PYMPI_NOGIL(ierr = MPI_Wait(&r->ob_mpi, st));
    if (REQCHK(ierr)) { req_finish_quiet(r); return NULL; }
    return req_finish(r, want);
}

/* 1 complete, 0 not, -1 error; *result (when result != NULL) gets the object or None. */
static int req_test(PyObject *self, MPI_Status *st, PyObject **result)
{
    PyMPIRequestObject *r = REQ(self);
    int flag = 0, ierr;
    if (result) *result = NULL;
    if (is_pending(r)) {
        int rc = req_resolve(r, 0);
        if (rc <= 0) return rc;
    }
    PYMPI_NOGIL(ierr = MPI_Test(&r->ob_mpi, &flag, st));
    if (REQCHK(ierr)) { req_finish_quiet(r); return -1; }
    if (!flag) return 0;
    PyObject *obj = req_finish(r, result != NULL);
    if (!obj) return -1;
    if (result) *result = obj; else Py_DECREF(obj);
    return 1;
}

static PyObject *request_Wait(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    MPI_Status *st;
    if (parse_status("Wait", args, nargs, kw, &st) < 0) return NULL;
    PyObject *r = req_wait(self, st, 0);
    if (!r) return NULL;
    Py_DECREF(r);
    Py_RETURN_TRUE;
}

static PyObject *request_wait(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    MPI_Status *st;
    if (parse_status("wait", args, nargs, kw, &st) < 0) return NULL;
    return req_wait(self, st, 1);
}

static PyObject *request_Test(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    MPI_Status *st;
    if (parse_status("Test", args, nargs, kw, &st) < 0) return NULL;
    int flag = req_test(self, st, NULL);
    if (flag < 0) return NULL;
    return PyBool_FromLong(flag);
}

static PyObject *request_test(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    MPI_Status *st;
    PyObject *obj;
    if (parse_status("test", args, nargs, kw, &st) < 0) return NULL;
    int flag = req_test(self, st, &obj);
    if (flag < 0) return NULL;
    if (!flag) return Py_BuildValue("(OO)", Py_False, Py_None);
    PyObject *t = Py_BuildValue("(ON)", Py_True, obj);
    return t;
}

static PyObject *req_get_status(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw,
                                const char *fname)
{
    PyMPIRequestObject *r = REQ(self);
    MPI_Status *st;
    int flag = 0, ierr;
    if (parse_status(fname, args, nargs, kw, &st) < 0) return NULL;
    if (is_pending(r)) {
        int rc = req_resolve(r, 0);
        if (rc < 0) return NULL;
        if (rc == 0) Py_RETURN_FALSE;
    }
    PYMPI_NOGIL(ierr = MPI_Request_get_status(r->ob_mpi, &flag, st));
    if (REQCHK(ierr)) return NULL;
    return PyBool_FromLong(flag);
}

static PyObject *request_Get_status(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    return req_get_status(self, args, nargs, kw, "Get_status");
}

static PyObject *request_get_status(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    return req_get_status(self, args, nargs, kw, "get_status");
}

/* A private communicator for cancelled pending receives (see request_Cancel). */
static MPI_Comm cancel_comm = MPI_COMM_NULL;

static PyObject *request_Cancel(PyObject *self, PyObject *u)
{
    PyMPIRequestObject *r = REQ(self);
    int ierr;
    if (is_pending(r)) {
        /* Nothing was posted yet. So that Wait/Test/Waitall... report a cancelled request as for
         * any MPI receive, the request becomes a receive that can never match, cancelled. */
        if (cancel_comm == MPI_COMM_NULL) {
            if (CHKERR(MPI_Comm_dup(MPI_COMM_SELF, &cancel_comm))) return NULL;
            MPI_Comm_set_errhandler(cancel_comm, MPI_ERRORS_RETURN);
        }
        MPI_Request req;
        if (CHKERR(MPI_Irecv(NULL, 0, MPI_BYTE, 0, 0, cancel_comm, &req))) return NULL;
        if (CHKERR(MPI_Cancel(&req))) return NULL;
        r->ob_mpi = req;
        pending_remove(r);
        Py_CLEAR(r->ob_buf);
        Py_RETURN_NONE;
    }
    PYMPI_NOGIL(ierr = MPI_Cancel(&r->ob_mpi));
    if (REQCHK(ierr)) return NULL;
    Py_RETURN_NONE;
}

static PyObject *request_Free(PyObject *self, PyObject *u)
{
    PyMPIRequestObject *r = REQ(self);
    if (is_pending(r)) { pending_remove(r); Py_CLEAR(r->ob_buf); Py_RETURN_NONE; }
    if (r->ob_mpi == MPI_REQUEST_NULL) {
        /* what MPI_Request_free says about MPI_REQUEST_NULL */
        pympi_raise(MPI_ERR_REQUEST);
        return NULL;
    }
    int ierr = req_release(r, 1);
    if (REQCHK(ierr)) return NULL;
    Py_RETURN_NONE;
}

/* ---- request arrays (class methods) ------------------------------------------------------- */
typedef struct {
    PyObject *fast;            /* the requests as a list or tuple */
    int n;
    PyMPIRequestObject **objs; /* borrowed from fast */
    MPI_Request *reqs;
    MPI_Status *sts;           /* MPI_STATUSES_IGNORE unless statuses are wanted */
    int *indices;
    char *pend;                /* entries still waiting for their message */
    int npending;
    void *mem;
} reqset;

static int reqset_get(reqset *rs, PyObject *requests, int want_statuses)
{
    rs->mem = NULL;
    rs->fast = PySequence_Fast(requests, "requests: expected a sequence of Request");
    if (!rs->fast) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(rs->fast);
    if (n > INT_MAX) {
        PyErr_SetString(PyExc_ValueError, "requests: too many");
        goto fail;
    }
    rs->n = (int)n;
    rs->objs = (PyMPIRequestObject **)PySequence_Fast_ITEMS(rs->fast);
    size_t sz = (size_t)(n ? n : 1) * (sizeof(MPI_Request) + sizeof(int) + 1 + (want_statuses ? sizeof(MPI_Status) : 0));
    rs->mem = PyMem_Malloc(sz);
    if (!rs->mem) { PyErr_NoMemory(); goto fail; }
    rs->sts = want_statuses ? (MPI_Status *)rs->mem : MPI_STATUSES_IGNORE;
    rs->reqs = (MPI_Request *)((char *)rs->mem + (want_statuses ? (size_t)(n ? n : 1) * sizeof(MPI_Status) : 0));
    rs->indices = (int *)(rs->reqs + (n ? n : 1));
    rs->pend = (char *)(rs->indices + (n ? n : 1));
    rs->npending = 0;
    for (int i = 0; i < rs->n; i++) {
        if (!PyMPIRequest_Check((PyObject *)rs->objs[i])) {
            PyErr_Format(PyExc_TypeError, "requests: expected Request, got '%.200s'",
                         Py_TYPE(rs->objs[i])->tp_name);
            goto fail;
        }
        rs->reqs[i] = rs->objs[i]->ob_mpi;
        rs->pend[i] = (char)is_pending(rs->objs[i]);
        rs->npending += rs->pend[i];
    }
    return 0;
fail:
    Py_CLEAR(rs->fast);
    PyMem_Free(rs->mem);
    rs->mem = NULL;
    return -1;
}

static void reqset_done(reqset *rs)
{
    Py_CLEAR(rs->fast);
    PyMem_Free(rs->mem);
}

/* Try to match the pending object receives. */
static int reqset_resolve(reqset *rs, int block)
{
    if (!rs->npending) return 0;
    for (int i = 0; i < rs->n; i++) {
        if (!rs->pend[i]) continue;
        /* (resolving one may have matched others: pympi_progress) */
        if (is_pending(rs->objs[i]) && req_resolve(rs->objs[i], block) < 0) return -1;
        if (!is_pending(rs->objs[i])) {
            rs->reqs[i] = rs->objs[i]->ob_mpi;
            rs->pend[i] = 0;
            rs->npending--;
        }
    }
    return 0;
}

/* Handles back into the objects; what completed releases its buffers (quietly). */
static void reqset_sync(reqset *rs)
{
    for (int i = 0; i < rs->n; i++) {
        if (rs->pend[i]) continue;
        rs->objs[i]->ob_mpi = rs->reqs[i];
    }
}

/* Release the GIL for a moment between polls; honour Ctrl-C. */
static int poll_pause(void)
{
    Py_BEGIN_ALLOW_THREADS
    sched_yield();
    Py_END_ALLOW_THREADS
    return PyErr_CheckSignals();
}

/* statuses: None, or a list (grown with new Status objects to `total` items); entry idx[k] (or k
 * when idx is NULL) gets sts[k]. */
static int statuses_check(PyObject *statuses)
{
    if (statuses && statuses != Py_None && !PyList_Check(statuses)) {
        PyErr_Format(PyExc_TypeError, "statuses: expected a list or None, got '%.200s'",
                     Py_TYPE(statuses)->tp_name);
        return -1;
    }
    return 0;
}

static int statuses_set(PyObject *statuses, int total, const MPI_Status *sts, const int *idx, int count)
{
    if (!statuses || statuses == Py_None || sts == MPI_STATUSES_IGNORE) return 0;
    while (PyList_GET_SIZE(statuses) < total) {
        MPI_Status empty;
        memset(&empty, 0, sizeof(empty));
        empty.MPI_SOURCE = MPI_ANY_SOURCE;
        empty.MPI_TAG = MPI_ANY_TAG;
        PyObject *s = pympi_status_new(&empty);
        if (!s || PyList_Append(statuses, s) < 0) { Py_XDECREF(s); return -1; }
        Py_DECREF(s);
    }
    for (int k = 0; k < count; k++) {
        PyObject *s = PyList_GET_ITEM(statuses, idx ? idx[k] : k);
        if (!PyMPIStatus_Check(s)) {
            PyErr_Format(PyExc_TypeError, "statuses: expected Status, got '%.200s'", Py_TYPE(s)->tp_name);
            return -1;
        }
        ((PyMPIStatusObject *)s)->ob_mpi = sts[k];
    }
    return 0;
}

/* (requests, statuses=None) when `plural`, else (requests, status=None) */
static int parse_set(const char *fname, int plural, PyObject *const *args, Py_ssize_t nargs,
                     PyObject *kw, PyObject **requests, PyObject **extra)
{
    static const char *const kwlist_statuses[] = {"requests", "statuses", NULL};
    static const char *const kwlist_status[] = {"requests", "status", NULL};
    PyObject *a[2];
    const char *const *kwlist = plural ? kwlist_statuses : kwlist_status;
    if (pympi_parse(fname, kwlist, 1, args, nargs, kw, a) < 0) return -1;
    *requests = a[0];
    *extra = a[1];
    return 0;
}

/* Objects of the requests at the given indices (all when idx is NULL). */
static PyObject *finish_list(reqset *rs, const int *idx, int count, int want)
{
    PyObject *list = want ? PyList_New(count) : NULL;
    if (want && !list) return NULL;
    for (int k = 0; k < count; k++) {
        PyObject *o = req_finish(rs->objs[idx ? idx[k] : k], want);
        if (!o) { Py_XDECREF(list); return NULL; }
        if (want) PyList_SET_ITEM(list, k, o);
        else Py_DECREF(o);
    }
    if (!want) Py_RETURN_NONE;
    return list;
}

static void finish_quiet_all(reqset *rs)
{
    for (int i = 0; i < rs->n; i++) req_finish_quiet(rs->objs[i]);
}

static PyObject *do_waitall(PyObject *const *args, Py_ssize_t nargs, PyObject *kw, const char *fname, int want)
{
    PyObject *requests, *statuses;
    reqset rs;
    int ierr;
    if (parse_set(fname, 1, args, nargs, kw, &requests, &statuses) < 0 || statuses_check(statuses) < 0)
        return NULL;
    if (reqset_get(&rs, requests, statuses && statuses != Py_None) < 0) return NULL;
    PyObject *result = NULL;
    if (reqset_resolve(&rs, 1) < 0) goto done;
    while (rs.npending) { /* busy in another thread */
        if (poll_pause() < 0 || reqset_resolve(&rs, 0) < 0) { reqset_sync(&rs); goto done; }
    }
    if (pympi_npending) {
        /* other pending receives must progress: poll */
        int flag = 0;
        for (;;) {
            if (pympi_progress() < 0) PyErr_WriteUnraisable(NULL);
            PYMPI_NOGIL(ierr = MPI_Testall(rs.n, rs.reqs, &flag, rs.sts));
            if (ierr != MPI_SUCCESS || flag) break;
            Py_BEGIN_ALLOW_THREADS
            sched_yield();
            Py_END_ALLOW_THREADS
        }
    } else
        PYMPI_NOGIL(ierr = MPI_Waitall(rs.n, rs.reqs, rs.sts));
    reqset_sync(&rs);
    if (REQCHK(ierr)) {
        statuses_set(statuses, rs.n, rs.sts, NULL, rs.n);
        finish_quiet_all(&rs);
        goto done;
    }
    if (statuses_set(statuses, rs.n, rs.sts, NULL, rs.n) < 0) { finish_quiet_all(&rs); goto done; }
    result = finish_list(&rs, NULL, rs.n, want);
    if (result && !want) { Py_DECREF(result); result = Py_True; Py_INCREF(result); }
done:
    reqset_done(&rs);
    return result;
}

static PyObject *do_testall(PyObject *const *args, Py_ssize_t nargs, PyObject *kw, const char *fname, int want)
{
    PyObject *requests, *statuses;
    reqset rs;
    int ierr, flag = 0;
    if (parse_set(fname, 1, args, nargs, kw, &requests, &statuses) < 0 || statuses_check(statuses) < 0)
        return NULL;
    if (reqset_get(&rs, requests, statuses && statuses != Py_None) < 0) return NULL;
    PyObject *result = NULL, *objs = NULL;
    if (reqset_resolve(&rs, 0) < 0) goto done;
    if (rs.npending == 0) {
        PYMPI_NOGIL(ierr = MPI_Testall(rs.n, rs.reqs, &flag, rs.sts));
        reqset_sync(&rs);
        if (REQCHK(ierr)) { finish_quiet_all(&rs); goto done; }
    }
    if (flag) {
        if (statuses_set(statuses, rs.n, rs.sts, NULL, rs.n) < 0) { finish_quiet_all(&rs); goto done; }
        objs = finish_list(&rs, NULL, rs.n, want);
        if (!objs) goto done;
    }
    if (want) result = Py_BuildValue("(OO)", flag ? Py_True : Py_False, objs ? objs : Py_None);
    else result = PyBool_FromLong(flag);
    Py_XDECREF(objs);
done:
    reqset_done(&rs);
    return result;
}

/* mode 0: Waitany, 1: Testany */
static PyObject *do_any(PyObject *const *args, Py_ssize_t nargs, PyObject *kw, const char *fname, int want, int test)
{
    PyObject *requests, *ostatus;
    MPI_Status *st;
    reqset rs;
    int ierr = MPI_SUCCESS, idx = MPI_UNDEFINED, flag = 0;
    if (parse_set(fname, 0, args, nargs, kw, &requests, &ostatus) < 0 || pympi_as_status(ostatus, &st) < 0)
        return NULL;
    if (reqset_get(&rs, requests, 0) < 0) return NULL;
    PyObject *result = NULL, *obj = NULL;
    if (!test && pympi_npending == 0) {
        PYMPI_NOGIL(ierr = MPI_Waitany(rs.n, rs.reqs, &idx, st));
        flag = 1;
    } else {
        for (;;) {
            if (pympi_progress() < 0 || reqset_resolve(&rs, 0) < 0) { reqset_sync(&rs); goto done; }
            PYMPI_NOGIL(ierr = MPI_Testany(rs.n, rs.reqs, &idx, &flag, st));
            if (ierr != MPI_SUCCESS || PyErr_Occurred()) break;
            /* all handles null but receives still pending: nothing completed yet */
            if (flag && idx == MPI_UNDEFINED && rs.npending) flag = 0;
            if (flag || test) break;
            if (poll_pause() < 0) { reqset_sync(&rs); goto done; }
        }
    }
    reqset_sync(&rs);
    if (REQCHK(ierr)) {
        if (idx != MPI_UNDEFINED && idx >= 0 && idx < rs.n) req_finish_quiet(rs.objs[idx]);
        goto done;
    }
    if (flag && idx != MPI_UNDEFINED) {
        obj = req_finish(rs.objs[idx], want);
        if (!obj) goto done;
    }
    if (!test) result = want ? Py_BuildValue("(iO)", idx, obj ? obj : Py_None) : PyLong_FromLong(idx);
    else if (want) result = Py_BuildValue("(iOO)", idx, flag ? Py_True : Py_False, obj ? obj : Py_None);
    else result = Py_BuildValue("(iO)", idx, flag ? Py_True : Py_False);
    Py_XDECREF(obj);
done:
    reqset_done(&rs);
    return result;
}

static PyObject *do_some(PyObject *const *args, Py_ssize_t nargs, PyObject *kw, const char *fname, int want, int test)
{
    PyObject *requests, *statuses;
    reqset rs;
    int ierr = MPI_SUCCESS, outcount = MPI_UNDEFINED;
    if (parse_set(fname, 1, args, nargs, kw, &requests, &statuses) < 0 || statuses_check(statuses) < 0)
        return NULL;
    if (reqset_get(&rs, requests, statuses && statuses != Py_None) < 0) return NULL;
    PyObject *result = NULL, *indices = NULL, *objs = NULL;
    if (!test && pympi_npending == 0) {
        PYMPI_NOGIL(ierr = MPI_Waitsome(rs.n, rs.reqs, &outcount, rs.indices, rs.sts));
    } else {
        for (;;) {
            if (pympi_progress() < 0 || reqset_resolve(&rs, 0) < 0) { reqset_sync(&rs); goto done; }
            PYMPI_NOGIL(ierr = MPI_Testsome(rs.n, rs.reqs, &outcount, rs.indices, rs.sts));
            if (ierr != MPI_SUCCESS || PyErr_Occurred()) break;
            if (outcount == MPI_UNDEFINED && rs.npending) outcount = 0;
            if (outcount != 0 || test) break;
            if (poll_pause() < 0) { reqset_sync(&rs); goto done; }
        }
    }
    reqset_sync(&rs);
    if (REQCHK(ierr)) { finish_quiet_all(&rs); goto done; }
    if (outcount == MPI_UNDEFINED) {
        result = want ? Py_BuildValue("(OO)", Py_None, Py_None) : (Py_INCREF(Py_None), Py_None);
        goto done;
    }
    if (statuses_set(statuses, rs.n, rs.sts, rs.indices, outcount) < 0) { finish_quiet_all(&rs); goto done; }
    indices = pympi_int_list(rs.indices, outcount);
    if (!indices) { finish_quiet_all(&rs); goto done; }
    objs = finish_list(&rs, rs.indices, outcount, want);
    if (!objs) { Py_DECREF(indices); goto done; }
    if (want) result = Py_BuildValue("(NN)", indices, objs);
    else { Py_DECREF(objs); result = indices; }
done:
    reqset_done(&rs);
    return result;
}

#define SET_METHOD(name, call)                                                                     \
    static PyObject *request_##name(PyObject *cls, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) \
    {                                                                                              \
        return call;                                                                               \
    }
SET_METHOD(Waitall, do_waitall(args, nargs, kw, "Waitall", 0))
SET_METHOD(waitall, do_waitall(args, nargs, kw, "waitall", 1))
SET_METHOD(Testall, do_testall(args, nargs, kw, "Testall", 0))
SET_METHOD(testall, do_testall(args, nargs, kw, "testall", 1))
SET_METHOD(Waitany, do_any(args, nargs, kw, "Waitany", 0, 0))
SET_METHOD(waitany, do_any(args, nargs, kw, "waitany", 1, 0))
SET_METHOD(Testany, do_any(args, nargs, kw, "Testany", 0, 1))
SET_METHOD(testany, do_any(args, nargs, kw, "testany", 1, 1))
SET_METHOD(Waitsome, do_some(args, nargs, kw, "Waitsome", 0, 0))
SET_METHOD(waitsome, do_some(args, nargs, kw, "waitsome", 1, 0))
SET_METHOD(Testsome, do_some(args, nargs, kw, "Testsome", 0, 1))
SET_METHOD(testsome, do_some(args, nargs, kw, "testsome", 1, 1))

#define CLSKW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS | METH_CLASS
static PyMethodDef request_methods[] = {
    {"Wait", FASTKW(request_Wait), "Wait for the operation to complete; returns True."},
    {"Test", FASTKW(request_Test), "Test whether the operation has completed."},
    {"Get_status", FASTKW(request_Get_status), "Whether the operation has completed (the request stays)."},
    {"Cancel", request_Cancel, METH_NOARGS, "Cancel the operation."},
    {"Free", request_Free, METH_NOARGS, "Free the request."},
    {"Waitall", CLSKW(request_Waitall), "Wait for all requests; returns True."},
    {"Waitany", CLSKW(request_Waitany), "Wait for any request; returns its index (UNDEFINED if none active)."},
    {"Waitsome", CLSKW(request_Waitsome), "Wait for some requests; returns their indices (None if none active)."},
    {"Testall", CLSKW(request_Testall), "Test whether all requests have completed."},
    {"Testany", CLSKW(request_Testany), "Test for any completed request: (index, flag)."},
    {"Testsome", CLSKW(request_Testsome), "Test for completed requests: indices (None if none active)."},
    {"wait", FASTKW(request_wait), "Wait for completion; returns the received object (None for sends)."},
    {"test", FASTKW(request_test), "Test for completion: (flag, object)."},
    {"get_status", FASTKW(request_get_status), "Whether the operation has completed (the request stays)."},
    {"cancel", request_Cancel, METH_NOARGS, "Cancel the operation."},
    {"waitall", CLSKW(request_waitall), "Wait for all requests; returns the list of objects."},
    {"waitany", CLSKW(request_waitany), "Wait for any request: (index, object)."},
    {"waitsome", CLSKW(request_waitsome), "Wait for some requests: (indices, objects)."},
    {"testall", CLSKW(request_testall), "Test all requests: (flag, objects or None)."},
    {"testany", CLSKW(request_testany), "Test any request: (index, flag, object)."},
    {"testsome", CLSKW(request_testsome), "Test some requests: (indices, objects)."},
    PYMPI_HANDLE_METHODS,
    {NULL}};

/* ---- Prequest ------------------------------------------------------------------------------ */
static PyObject *prequest_Start(PyObject *self, PyObject *u)
{
    int ierr;
    PYMPI_NOGIL(ierr = MPI_Start(&REQ(self)->ob_mpi));
    if (REQCHK(ierr)) return NULL;
    Py_RETURN_NONE;
}

static PyObject *prequest_Startall(PyObject *cls, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"requests", NULL};
    PyObject *a[1];
    reqset rs;
    int ierr;
    if (pympi_parse("Startall", kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    if (reqset_get(&rs, a[0], 0) < 0) return NULL;
    /* MPICH frees its scratch array twice when it rejects a null request in a long list. */
    for (int i = 0; i < rs.n; i++)
        if (rs.reqs[i] == MPI_REQUEST_NULL) {
            reqset_done(&rs);
            return pympi_raise(MPI_ERR_REQUEST), NULL;
        }
    PYMPI_NOGIL(ierr = MPI_Startall(rs.n, rs.reqs));
    reqset_sync(&rs);
    reqset_done(&rs);
    if (REQCHK(ierr)) return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef prequest_methods[] = {
    {"Start", prequest_Start, METH_NOARGS, "Start the persistent operation."},
    {"Startall", CLSKW(prequest_Startall), "Start several persistent operations."},
    {NULL}};

/* ---- Grequest ------------------------------------------------------------------------------ *
 * extra_state is a tuple (query_fn, free_fn, cancel_fn, args, kargs) the request owns until MPI
 * calls free_fn. */
static int callback_error(void)
{
    int code = MPI_ERR_OTHER;
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    PyErr_NormalizeException(&et, &ev, &tb);
    if (ev && PyObject_TypeCheck(ev, (PyTypeObject *)pympi_Exception)) {
        PyObject *v = PyObject_GetAttrString(ev, "ierr");
        int c;
        if (v && pympi_int(v, 0, &c) == 0 && c != MPI_SUCCESS) code = c;
        Py_XDECREF(v);
        PyErr_Clear();
    }
    PyErr_Restore(et, ev, tb); /* the completion call raises this exception */
    return code;
}

static int greq_call(PyObject *state, int which, PyObject *first)
{
    PyObject *fn = PyTuple_GET_ITEM(state, which);
    if (fn == Py_None) return MPI_SUCCESS;
    PyObject *args = PyTuple_GET_ITEM(state, 3), *kargs = PyTuple_GET_ITEM(state, 4);
    PyObject *all = args;
    Py_INCREF(all);
    if (first) {
        PyObject *head = PyTuple_Pack(1, first);
        Py_SETREF(all, head ? PySequence_Concat(head, args) : NULL);
        Py_XDECREF(head);
        if (!all) return callback_error();
    }
    PyObject *r = PyObject_Call(fn, all, kargs == Py_None ? NULL : kargs);
    Py_DECREF(all);
    if (!r) return callback_error();
    Py_DECREF(r);
    return MPI_SUCCESS;
}

static int greq_query(void *extra, MPI_Status *status)
{
    PyGILState_STATE g = PyGILState_Ensure();
    int ierr = MPI_SUCCESS;
    MPI_Status_set_elements_x(status, MPI_BYTE, 0);
    MPI_Status_set_cancelled(status, 0);
    status->MPI_SOURCE = MPI_ANY_SOURCE;
    status->MPI_TAG = MPI_ANY_TAG;
    status->MPI_ERROR = MPI_SUCCESS;
    PyObject *st = pympi_status_new(status);
    if (!st) ierr = callback_error();
    else {
        ierr = greq_call((PyObject *)extra, 0, st);
        if (ierr == MPI_SUCCESS) *status = ((PyMPIStatusObject *)st)->ob_mpi;
        Py_DECREF(st);
    }
    PyGILState_Release(g);
    return ierr;
}

static int greq_free(void *extra)
{
    PyGILState_STATE g = PyGILState_Ensure();
    int ierr = greq_call((PyObject *)extra, 1, NULL);
    Py_DECREF((PyObject *)extra);
    PyGILState_Release(g);
    return ierr;
}

static int greq_cancel(void *extra, int complete)
{
    PyGILState_STATE g = PyGILState_Ensure();
    int ierr = greq_call((PyObject *)extra, 2, complete ? Py_True : Py_False);
    PyGILState_Release(g);
    return ierr;
}

static PyObject *grequest_Start(PyObject *cls, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"query_fn", "free_fn", "cancel_fn", "args", "kargs", NULL};
    PyObject *a[5];
    if (pympi_parse("Start", kwlist, 3, args, nargs, kw, a) < 0) return NULL;
    for (int i = 0; i < 3; i++)
        if (a[i] != Py_None && !PyCallable_Check(a[i])) {
            PyErr_Format(PyExc_TypeError, "Start(): %s must be callable", kwlist[i]);
            return NULL;
        }
    PyObject *fargs = a[3] && a[3] != Py_None ? PySequence_Tuple(a[3]) : PyTuple_New(0);
    if (!fargs) return NULL;
    PyObject *kargs = a[4] && a[4] != Py_None ? PyDict_Copy(a[4]) : PyDict_New();
    if (!kargs) {
        Py_DECREF(fargs);
        if (PyErr_ExceptionMatches(PyExc_SystemError) || PyErr_ExceptionMatches(PyExc_AttributeError)) {
            PyErr_Clear();
            PyErr_SetString(PyExc_TypeError, "Start(): kargs must be a dict");
        }
        return NULL;
    }
    PyObject *state = PyTuple_Pack(5, a[0], a[1], a[2], fargs, kargs);
    Py_DECREF(fargs);
    Py_DECREF(kargs);
    if (!state) return NULL;
    PyObject *r = pympi_request_new((PyTypeObject *)cls, MPI_REQUEST_NULL, NULL);
    if (!r) { Py_DECREF(state); return NULL; }
    int ierr = MPI_Grequest_start(greq_query, greq_free, greq_cancel, state, &REQ(r)->ob_mpi);
    if (CHKERR(ierr)) { Py_DECREF(state); Py_DECREF(r); return NULL; }
    pympi_py_callbacks++;
    /* As mpi4py 3.1 does (C extensions may read it): the handle as started, which completion
     * calls do not reset. */
    ((PyMPIGrequestObject *)r)->ob_grequest = REQ(r)->ob_mpi;
    return r; /* state is released by greq_free */
}

/* MPICH does not check that a generalized request is completed once: a second Complete drops
 * a reference it does not hold, and the Wait that follows fails an assertion. */
#define GREQ_COMPLETED 0x100u

static PyObject *grequest_Complete(PyObject *self, PyObject *u)
{
    int ierr;
    if (REQ(self)->ob_mpi != MPI_REQUEST_NULL && (REQ(self)->flags & GREQ_COMPLETED))
        return pympi_raise(MPI_ERR_REQUEST), NULL;
    PYMPI_NOGIL(ierr = MPI_Grequest_complete(REQ(self)->ob_mpi));
    if (REQCHK(ierr)) return NULL;
    REQ(self)->flags |= GREQ_COMPLETED;
    Py_RETURN_NONE;
}

static PyMethodDef grequest_methods[] = {
    {"Start", CLSKW(grequest_Start), "Start a generalized request with Python callbacks."},
    {"Complete", grequest_Complete, METH_NOARGS, "Mark the generalized request complete."},
    {NULL}};

/* ---- types ---------------------------------------------------------------------------------- */
PyTypeObject PyMPIRequest_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI.Request",
    .tp_basicsize = sizeof(PyMPIRequestObject),
    .tp_dealloc = (destructor)request_dealloc,
    .tp_methods = request_methods,
    .tp_as_number = &request_as_number,
    .tp_richcompare = request_richcompare,
    .tp_doc = "Request object: a non-blocking operation in progress."};

PyTypeObject PyMPIPrequest_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI.Prequest",
    .tp_basicsize = sizeof(PyMPIRequestObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_methods = prequest_methods,
    .tp_doc = "Persistent request object."};

PyTypeObject PyMPIGrequest_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI.Grequest",
    .tp_basicsize = sizeof(PyMPIGrequestObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_methods = grequest_methods,
    .tp_doc = "Generalized request object."};

int pympi_init_request(PyObject *m)
{
    if (PyType_Ready(&ObjRecv_Type) < 0) return -1;
    pympi_handle_type_init(&PyMPIRequest_Type, &Request_kind);
    if (PyType_Ready(&PyMPIRequest_Type) < 0) return -1;
    PyMPIPrequest_Type.tp_base = &PyMPIRequest_Type;
    PyMPIGrequest_Type.tp_base = &PyMPIRequest_Type;
    if (PyType_Ready(&PyMPIPrequest_Type) < 0 || PyType_Ready(&PyMPIGrequest_Type) < 0) return -1;
    Py_INCREF(&PyMPIRequest_Type);
    Py_INCREF(&PyMPIPrequest_Type);
    Py_INCREF(&PyMPIGrequest_Type);
    if (PyModule_AddObject(m, "Request", (PyObject *)&PyMPIRequest_Type) < 0 ||
        PyModule_AddObject(m, "Prequest", (PyObject *)&PyMPIPrequest_Type) < 0 ||
        PyModule_AddObject(m, "Grequest", (PyObject *)&PyMPIGrequest_Type) < 0)
        return -1;
    MPI_Request null = MPI_REQUEST_NULL;
    return pympi_add(m, "REQUEST_NULL", pympi_handle_new(&PyMPIRequest_Type, &null, PYMPI_CONST));
}
