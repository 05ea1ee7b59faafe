/* request.c: MPI.Request, Prequest, Grequest.
 *
 * A request keeps what its operation uses alive in ob_buf (pinned buffers, a pickle being sent)
 * until the operation is known complete (ob_buf is the only field besides the handle: mpi4py
 * 3.1's layout, see pympi.h). A lower-case receive (Comm.irecv, Message.irecv) is a posted
 * receive of bytes like any other: its ob_buf is a RecvBuf, the memory the pickle arrives in
 * (bytes made for it, or the user's buffer, pinned), and wait(), test() and friends unpickle the
 * object from the byte count of the completion status. As in
 * mpi4py 3.1, Comm.irecv posts its receive at call time, so MPI's ordering holds: receives
 * posted for the same source and tag complete in the order posted.
 *
 * Completion calls release the GIL (MPICH may run Python callbacks of generalized requests from
 * inside them, on this or another thread); callbacks take the GIL back. A Python exception
 * raised by a callback is the one the completion call raises. */
#include "pympi.h"

PYMPI_DEFINE_KIND(Request, MPI_Request, MPI_REQUEST_NULL, MPI_Request);

#define REQ(o) ((PyMPIRequestObject *)(o))
#define FASTKW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS

/* An MPI return code, or a Python error a callback left behind: -1 with the exception set. */
static inline int req_chk(int ierr)
{
    if (ierr != MPI_SUCCESS) return pympi_raise(ierr);
    return PyErr_Occurred() ? -1 : 0;
}
#define REQCHK(ierr) (req_chk(ierr) < 0)

/* The status MPI fills where the caller gave none: source ANY_SOURCE, tag ANY_TAG, error
 * SUCCESS, count 0 (MPICH leaves MPI_ERROR alone on success, and entries of Waitsome that did
 * not complete untouched). */
static void status_clear(MPI_Status *st)
{
    memset(st, 0, sizeof(*st));
    st->MPI_SOURCE = MPI_ANY_SOURCE;
    st->MPI_TAG = MPI_ANY_TAG;
    st->MPI_ERROR = MPI_SUCCESS;
}

/* ---- the memory of a lower-case receive ------------------------------------------------ */
typedef struct {
    PyObject_HEAD
    PyObject *owner; /* bytes made for the pickle, or the user's buffer */
    Py_buffer view;  /* the user's buffer, pinned (view.obj NULL for bytes) */
} RecvBuf;

static void recvbuf_dealloc(RecvBuf *self)
{
    if (self->view.obj) pympi_buffer_release(&self->view);
    Py_XDECREF(self->owner);
    PyObject_Free(self);
}

static PyTypeObject RecvBuf_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI._RecvBuf",
    .tp_basicsize = sizeof(RecvBuf),
    .tp_dealloc = (destructor)recvbuf_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Memory of a pickled-object receive request (internal)."};

#define RECVBUF(r) ((r)->ob_buf && Py_TYPE((r)->ob_buf) == &RecvBuf_Type ? (RecvBuf *)(r)->ob_buf : NULL)

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

PyObject *pympi_request_objrecv(MPI_Request req, PyObject *owner, Py_buffer *view)
{
    RecvBuf *b = PyObject_New(RecvBuf, &RecvBuf_Type);
    if (!b) {
        if (view->obj) PyBuffer_Release(view);
        Py_XDECREF(owner);
        return NULL;
    }
    b->owner = owner;
    b->view = *view;
    view->obj = NULL;
    return pympi_request_new(&PyMPIRequest_Type, req, (PyObject *)b);
}

/* The operation is over: release what the request kept for it. */
static void req_drop_bufs(PyMPIRequestObject *r)
{
    Py_CLEAR(r->ob_buf);
}

/* After a completion call: once the handle is MPI_REQUEST_NULL the operation is over, so what
 * the request kept is released. Returns the received object (new reference) when `want` (st is
 * then the completion status), else None (new reference); NULL on error. */
static PyObject *req_finish(PyMPIRequestObject *r, int want, const MPI_Status *st)
{
    if (r->ob_mpi != MPI_REQUEST_NULL) Py_RETURN_NONE;
    PyObject *result = Py_None;
    Py_INCREF(result);
    RecvBuf *b = RECVBUF(r);
    if (want && b && b->owner) {
        MPI_Count n = 0;
        int cancelled = 0;
        if (CHKERR(MPI_Test_cancelled(st, &cancelled)) || (!cancelled && CHKERR(MPI_Get_count_c(st, MPI_BYTE, &n))))
            Py_CLEAR(result);
        else if (n > 0 && n != MPI_UNDEFINED) {
            void *addr = b->view.obj ? b->view.buf : PyBytes_AS_STRING(b->owner);
            Py_SETREF(result, pympi_objbuf_load(b->owner, addr, n));
        }
    }
    req_drop_bufs(r);
    return result;
}

static void req_finish_quiet(PyMPIRequestObject *r)
{
    if (r->ob_mpi == MPI_REQUEST_NULL) req_drop_bufs(r);
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
    if (self->ob_weakref) PyObject_ClearWeakRefs((PyObject *)self);
    if (self->ob_mpi != MPI_REQUEST_NULL) { /* else there is nothing to ask MPI */
        PyObject *et, *ev, *tb;
        PyErr_Fetch(&et, &ev, &tb);
        req_release(self, 0); /* only Free() frees the MPI request (a copy may still use it) */
        if (PyErr_Occurred()) PyErr_WriteUnraisable((PyObject *)self);
        PyErr_Restore(et, ev, tb);
    }
    req_drop_bufs(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

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
    MPI_Status local;
    int ierr;
    if (st == MPI_STATUS_IGNORE && want) st = &local; /* an object receive needs the byte count */
    PYMPI_NOGIL(ierr = MPI_Wait(&r->ob_mpi, st));
    if (REQCHK(ierr)) { req_finish_quiet(r); return NULL; }
    return req_finish(r, want, st);
}

/* 1 complete, 0 not, -1 error; *result (when result != NULL) gets the object or None. */
static int req_test(PyObject *self, MPI_Status *st, PyObject **result)
{
    PyMPIRequestObject *r = REQ(self);
    MPI_Status local;
    int flag = 0, ierr;
    if (result) *result = NULL;
    if (st == MPI_STATUS_IGNORE && result) st = &local;
    PYMPI_NOGIL(ierr = MPI_Test(&r->ob_mpi, &flag, st));
    if (REQCHK(ierr)) { req_finish_quiet(r); return -1; }
    if (!flag) return 0;
    PyObject *obj = req_finish(r, result != NULL, st);
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
    return Py_BuildValue("(ON)", Py_True, obj);
}

static PyObject *req_get_status(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw,
                                const char *fname)
{
    MPI_Status *st;
    int flag = 0, ierr;
    if (parse_status(fname, args, nargs, kw, &st) < 0) return NULL;
    PYMPI_NOGIL(ierr = MPI_Request_get_status(REQ(self)->ob_mpi, &flag, st));
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

static PyObject *request_Cancel(PyObject *self, PyObject *u)
{
    int ierr;
    PYMPI_NOGIL(ierr = MPI_Cancel(&REQ(self)->ob_mpi));
    if (REQCHK(ierr)) return NULL;
    Py_RETURN_NONE;
}

static PyObject *request_Free(PyObject *self, PyObject *u)
{
    PyMPIRequestObject *r = REQ(self);
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
    void *mem;
} reqset;

/* statuses: with the user's statuses, and with the lower-case calls (an object receive needs
 * the byte count of its status). */
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
    size_t slots = (size_t)(n ? n : 1);
    rs->mem = PyMem_Malloc(slots * (sizeof(MPI_Request) + sizeof(int) + (want_statuses ? sizeof(MPI_Status) : 0)));
    if (!rs->mem) { PyErr_NoMemory(); goto fail; }
    rs->sts = want_statuses ? (MPI_Status *)rs->mem : MPI_STATUSES_IGNORE;
    rs->reqs = (MPI_Request *)((char *)rs->mem + (want_statuses ? slots * sizeof(MPI_Status) : 0));
    rs->indices = (int *)(rs->reqs + slots);
    for (int i = 0; i < rs->n; i++) {
        if (!PyMPIRequest_Check((PyObject *)rs->objs[i])) {
            PyErr_Format(PyExc_TypeError, "requests: expected Request, got '%.200s'",
                         Py_TYPE(rs->objs[i])->tp_name);
            goto fail;
        }
        rs->reqs[i] = rs->objs[i]->ob_mpi;
        if (want_statuses) status_clear(&rs->sts[i]);
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

/* Handles back into the objects. */
static void reqset_sync(reqset *rs)
{
    for (int i = 0; i < rs->n; i++) rs->objs[i]->ob_mpi = rs->reqs[i];
}

/* statuses: None, or a sequence of Status objects (a list, a tuple ...). As mpi4py 3.1 does: a
 * list shorter than `outcount` grows with new Status objects to `outcount` items, then entry i
 * gets sts[i] for every i below both the number of requests and its length (for Waitsome and
 * Testsome the first `outcount` entries are the completed requests, in completion order). */
static int statuses_check(PyObject *statuses)
{
    if (statuses && statuses != Py_None && !PySequence_Check(statuses)) {
        PyErr_Format(PyExc_TypeError, "statuses: expected a sequence of Status or None, got '%.200s'",
                     Py_TYPE(statuses)->tp_name);
        return -1;
    }
    return 0;
}

static int statuses_set(PyObject *statuses, const reqset *rs, int outcount)
{
    if (!statuses || statuses == Py_None || outcount == MPI_UNDEFINED) return 0;
    Py_ssize_t len = PySequence_Size(statuses);
    if (len < 0) return -1;
    if (PyList_Check(statuses)) {
        for (; len < outcount; len++) {
            PyObject *s = pympi_status_new(NULL);
            if (!s || PyList_Append(statuses, s) < 0) { Py_XDECREF(s); return -1; }
            Py_DECREF(s);
        }
    }
    for (Py_ssize_t i = 0; i < len && i < rs->n; i++) {
        PyObject *s = PySequence_GetItem(statuses, i);
        if (!s) return -1;
        if (!PyMPIStatus_Check(s)) {
            PyErr_Format(PyExc_TypeError, "statuses: expected Status, got '%.200s'", Py_TYPE(s)->tp_name);
            Py_DECREF(s);
            return -1;
        }
        ((PyMPIStatusObject *)s)->ob_mpi = rs->sts[i];
        Py_DECREF(s);
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

/* Objects of the requests at the given indices (all when idx is NULL), status k for entry k. */
static PyObject *finish_list(reqset *rs, const int *idx, int count, int want)
{
    PyObject *list = want ? PyList_New(count) : NULL;
    if (want && !list) return NULL;
    for (int k = 0; k < count; k++) {
        PyObject *o = req_finish(rs->objs[idx ? idx[k] : k], want, want ? &rs->sts[k] : NULL);
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

static int want_statuses(PyObject *statuses, int want)
{
    return want || (statuses && statuses != Py_None);
}

static PyObject *do_waitall(PyObject *const *args, Py_ssize_t nargs, PyObject *kw, const char *fname, int want)
{
    PyObject *requests, *statuses;
    reqset rs;
    int ierr;
    if (parse_set(fname, 1, args, nargs, kw, &requests, &statuses) < 0 || statuses_check(statuses) < 0)
        return NULL;
    if (reqset_get(&rs, requests, want_statuses(statuses, want)) < 0) return NULL;
    PyObject *result = NULL;
    PYMPI_NOGIL(ierr = MPI_Waitall(rs.n, rs.reqs, rs.sts));
    reqset_sync(&rs);
    if (statuses_set(statuses, &rs, rs.n) < 0 || REQCHK(ierr)) {
        finish_quiet_all(&rs);
        goto done;
    }
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
    if (reqset_get(&rs, requests, want_statuses(statuses, want)) < 0) return NULL;
    PyObject *result = NULL, *objs = NULL;
    PYMPI_NOGIL(ierr = MPI_Testall(rs.n, rs.reqs, &flag, rs.sts));
    reqset_sync(&rs);
    if (statuses_set(statuses, &rs, rs.n) < 0 || REQCHK(ierr)) {
        finish_quiet_all(&rs);
        goto done;
    }
    if (flag) {
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

/* test 0: Waitany, 1: Testany */
static PyObject *do_any(PyObject *const *args, Py_ssize_t nargs, PyObject *kw, const char *fname, int want, int test)
{
    PyObject *requests, *ostatus;
    MPI_Status *st, local;
    reqset rs;
    int ierr = MPI_SUCCESS, idx = MPI_UNDEFINED, flag = 0;
    if (parse_set(fname, 0, args, nargs, kw, &requests, &ostatus) < 0 || pympi_as_status(ostatus, &st) < 0)
        return NULL;
    if (st == MPI_STATUS_IGNORE && want) st = &local; /* an object receive needs the byte count */
    if (reqset_get(&rs, requests, 0) < 0) return NULL;
    PyObject *result = NULL, *obj = NULL;
    if (test) PYMPI_NOGIL(ierr = MPI_Testany(rs.n, rs.reqs, &idx, &flag, st));
    else {
        PYMPI_NOGIL(ierr = MPI_Waitany(rs.n, rs.reqs, &idx, st));
        flag = 1;
    }
    reqset_sync(&rs);
    if (REQCHK(ierr)) {
        if (idx != MPI_UNDEFINED && idx >= 0 && idx < rs.n) req_finish_quiet(rs.objs[idx]);
        goto done;
    }
    if (flag && idx != MPI_UNDEFINED) {
        obj = req_finish(rs.objs[idx], want, st);
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
    if (reqset_get(&rs, requests, want_statuses(statuses, want)) < 0) return NULL;
    PyObject *result = NULL, *indices = NULL, *objs = NULL;
    if (test) PYMPI_NOGIL(ierr = MPI_Testsome(rs.n, rs.reqs, &outcount, rs.indices, rs.sts));
    else PYMPI_NOGIL(ierr = MPI_Waitsome(rs.n, rs.reqs, &outcount, rs.indices, rs.sts));
    reqset_sync(&rs);
    if (statuses_set(statuses, &rs, outcount) < 0 || REQCHK(ierr)) { finish_quiet_all(&rs); goto done; }
    if (outcount == MPI_UNDEFINED) {
        result = want ? Py_BuildValue("(OO)", Py_None, Py_None) : (Py_INCREF(Py_None), Py_None);
        goto done;
    }
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
    if (PyType_Ready(&RecvBuf_Type) < 0) return -1;
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
