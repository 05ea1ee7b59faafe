/* msgpickle.c: communication of Python objects (the lower-case Comm methods) and MPI.Pickle.
 *
 * Objects travel as pickles in MPI_BYTE messages. A blocking receive never guesses a size: it
 * matches the message with MPI_Mprobe, sizes a bytes object from the status and receives into it
 * with MPI_Mrecv. A nonblocking receive (irecv) posts a real receive at call time, as mpi4py 3.1
 * does, so that MPI's ordering guarantee holds for it: into the user's buffer, a new buffer of
 * the size given as an int, or one of IRECV_DEFAULT bytes; a larger message is MPI's truncation
 * error. Sizes are 64-bit and the large-count (_c) calls are used, so a pickle may exceed 2 GiB.
 * The object collectives are in collobj.c.
 *
 * While MPI.pickle is the default one (pickle.dumps/loads), a plain built-in value whose pickle
 * round trip is exactly a copy (collobj.c: None, bool, 64-bit int, float, str, bytes, flat
 * lists/tuples/dicts of those, at most NATIVE_MSG bytes) is sent in the compact native form
 * instead, behind the byte NATIVE_MARK: pickle.dumps never starts a stream with it (every
 * protocol starts with an ASCII opcode or PROTO, 0x80), so the receiver tells the two apart by
 * the first byte. It costs a fraction of pickle.dumps + pickle.loads. With a customized
 * MPI.pickle the user's dumps and loads see every object, as in mpi4py. */
#include "pympi.h"

#define COMM(o) (((PyMPICommObject *)(o))->ob_mpi)
#define FASTKW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS

/* ---- MPI.Pickle ---------------------------------------------------------------- *
 * Pickle(dumps=None, loads=None, protocol=None): None means pickle.dumps / pickle.loads; the
 * protocol defaults (for pickle.dumps) to MPI4PY_PICKLE_PROTOCOL from the environment at import
 * time, or pickle.HIGHEST_PROTOCOL. PROTOCOL None calls dumps(obj) without a protocol. */
typedef struct {
    PyObject_HEAD
    PyObject *ob_dumps;
    PyObject *ob_loads;
    PyObject *ob_PROTOCOL; /* int, or None for the dumps default */
} PyMPIPickleObject;

static PyMPIPickleObject *the_pickle; /* MPI.pickle: the one the lower-case methods use */
static PyObject *default_dumps, *default_loads, *default_protocol;

static int pickle_defaults(void)
{
    if (default_protocol) return 0;
    PyObject *mod = PyImport_ImportModule("pickle");
    if (!mod) return -1;
    default_dumps = PyObject_GetAttrString(mod, "dumps");
    default_loads = PyObject_GetAttrString(mod, "loads");
    PyObject *highest = PyObject_GetAttrString(mod, "HIGHEST_PROTOCOL");
    Py_DECREF(mod);
    if (!default_dumps || !default_loads || !highest) {
        Py_CLEAR(default_dumps); Py_CLEAR(default_loads); Py_XDECREF(highest);
        return -1;
    }
    const char *env = getenv("MPI4PY_PICKLE_PROTOCOL");
    if (env && *env) {
        PyObject *p = PyLong_FromString(env, NULL, 10);
        if (!p) {
            Py_DECREF(highest);
            return -1;
        }
        /* negative means HIGHEST_PROTOCOL, as for pickle.dumps; never above the highest */
        if (PyObject_RichCompareBool(p, highest, Py_GT) == 1 || PyLong_AsLong(p) < 0) Py_SETREF(p, (Py_INCREF(highest), highest));
        Py_SETREF(highest, p);
    }
    default_protocol = highest;
    return 0;
}

static PyObject *protocol_for(PyObject *dumps, PyObject *protocol)
{
    if (protocol && protocol != Py_None) {
        if (!PyLong_Check(protocol)) {
            PyErr_SetString(PyExc_TypeError, "Pickle: protocol must be an int or None");
            return NULL;
        }
        Py_INCREF(protocol);
        return protocol;
    }
    PyObject *p = dumps == default_dumps ? default_protocol : Py_None;
    Py_INCREF(p);
    return p;
}

static int pickle_init(PyMPIPickleObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"dumps", "loads", "protocol", NULL};
    PyObject *dumps = Py_None, *loads = Py_None, *protocol = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|OOO:Pickle", kwlist, &dumps, &loads, &protocol)) return -1;
    if (pickle_defaults() < 0) return -1;
    if (dumps == Py_None) dumps = default_dumps;
    if (loads == Py_None) loads = default_loads;
    if (!PyCallable_Check(dumps) || !PyCallable_Check(loads)) {
        PyErr_SetString(PyExc_TypeError, "Pickle: dumps and loads must be callable");
        return -1;
    }
    PyObject *p = protocol_for(dumps, protocol);
    if (!p) return -1;
    Py_INCREF(dumps);
    Py_INCREF(loads);
    Py_XSETREF(self->ob_dumps, dumps);
    Py_XSETREF(self->ob_loads, loads);
    Py_XSETREF(self->ob_PROTOCOL, p);
    return 0;
}

static PyObject *pickle_new(PyTypeObject *tp, PyObject *args, PyObject *kw)
{
    if (pickle_defaults() < 0) return NULL;
    PyMPIPickleObject *self = (PyMPIPickleObject *)tp->tp_alloc(tp, 0);
    if (!self) return NULL;
    Py_INCREF(default_dumps);
    Py_INCREF(default_loads);
    Py_INCREF(default_protocol);
    self->ob_dumps = default_dumps;
    self->ob_loads = default_loads;
    self->ob_PROTOCOL = default_protocol;
    return (PyObject *)self;
}

static void pickle_dealloc(PyMPIPickleObject *self)
{
    Py_XDECREF(self->ob_dumps);
    Py_XDECREF(self->ob_loads);
    Py_XDECREF(self->ob_PROTOCOL);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *pickle_do_dumps(PyMPIPickleObject *p, PyObject *obj, PyObject *buffer_callback)
{
    if (buffer_callback && buffer_callback != Py_None) {
        /* out-of-band buffers need protocol 5 at least */
        PyObject *protocol = p->ob_PROTOCOL == Py_None ? default_protocol : p->ob_PROTOCOL;
        PyObject *five = PyLong_FromLong(5);
        if (!five) return NULL;
        int lt = PyObject_RichCompareBool(protocol, five, Py_LT);
        if (lt < 0) { Py_DECREF(five); return NULL; }
        PyObject *args[3] = {obj, lt ? five : protocol, buffer_callback};
        PyObject *kwnames = Py_BuildValue("(s)", "buffer_callback");
        PyObject *r = kwnames ? PyObject_Vectorcall(p->ob_dumps, args, 2, kwnames) : NULL;
        Py_XDECREF(kwnames);
        Py_DECREF(five);
        return r;
    }
    PyObject *args[2] = {obj, p->ob_PROTOCOL};
    return PyObject_Vectorcall(p->ob_dumps, args, p->ob_PROTOCOL == Py_None ? 1 : 2, NULL);
}

static PyObject *pickle_dumps(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"obj", "buffer_callback", NULL};
    PyObject *a[2];
    if (pympi_parse("dumps", kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    return pickle_do_dumps((PyMPIPickleObject *)self, a[0], a[1]);
}

#define NATIVE_MARK '\xff'
#define NATIVE_MSG 1024

static int pickle_is_default(void)
{
    return the_pickle->ob_dumps == default_dumps && the_pickle->ob_loads == default_loads;
}

static int is_native(const char *buf, Py_ssize_t n)
{
    return n > 0 && buf[0] == NATIVE_MARK && pickle_is_default();
}

static PyObject *pickle_do_loads(PyMPIPickleObject *p, PyObject *data, PyObject *buffers)
{
    if (buffers && buffers != Py_None) {
        PyObject *args[2] = {data, buffers};
        PyObject *kwnames = Py_BuildValue("(s)", "buffers");
        PyObject *r = kwnames ? PyObject_Vectorcall(p->ob_loads, args, 1, kwnames) : NULL;
        Py_XDECREF(kwnames);
        return r;
    }
    if (p->ob_loads == default_loads && PyObject_CheckBuffer(data)) {
        /* a message of the lower-case methods may be in the native form: loads() reads it too */
        Py_buffer view;
        if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) return NULL;
        PyObject *r = view.len > 0 && ((char *)view.buf)[0] == NATIVE_MARK
                          ? pympi_native_decode((char *)view.buf + 1, view.len - 1)
                          : PyObject_CallOneArg(p->ob_loads, data);
        PyBuffer_Release(&view);
        return r;
    }
    return PyObject_CallOneArg(p->ob_loads, data);
}

static PyObject *pickle_loads(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"data", "buffers", NULL};
    PyObject *a[2];
    if (pympi_parse("loads", kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    return pickle_do_loads((PyMPIPickleObject *)self, a[0], a[1]);
}

static PyObject *pickle_get_protocol(PyMPIPickleObject *self, void *c)
{
    Py_INCREF(self->ob_PROTOCOL);
    return self->ob_PROTOCOL;
}

static int pickle_set_protocol(PyMPIPickleObject *self, PyObject *v, void *c)
{
    if (!v) { PyErr_SetString(PyExc_AttributeError, "cannot delete PROTOCOL"); return -1; }
    PyObject *p = protocol_for(self->ob_dumps, v);
    if (!p) return -1;
    Py_XSETREF(self->ob_PROTOCOL, p);
    return 0;
}

static PyMethodDef pickle_methods[] = {
    {"dumps", FASTKW(pickle_dumps), "Serialize an object to bytes (buffer_callback: out-of-band buffers, protocol 5)."},
    {"loads", FASTKW(pickle_loads), "Deserialize an object from bytes (and out-of-band buffers)."},
    {NULL}};

static PyGetSetDef pickle_getset[] = {
    {"PROTOCOL", (getter)pickle_get_protocol, (setter)pickle_set_protocol, "pickle protocol (None: the dumps default)", NULL},
    {NULL}};

PyTypeObject PyMPIPickle_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI.Pickle",
    .tp_basicsize = sizeof(PyMPIPickleObject),
    .tp_dealloc = (destructor)pickle_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_methods = pickle_methods,
    .tp_getset = pickle_getset,
    .tp_init = (initproc)pickle_init,
    .tp_new = pickle_new,
    .tp_doc = "Pickle(dumps=None, loads=None, protocol=None): object serializer (pickle.dumps/loads by default)."};

PyObject *pympi_dumps(PyObject *obj)
{
    PyObject *r = pickle_do_dumps(the_pickle, obj, NULL);
    if (r && !PyBytes_Check(r) && !PyObject_CheckBuffer(r)) {
        PyErr_SetString(PyExc_TypeError, "pickle dumps() must return a bytes-like object");
        Py_CLEAR(r);
    }
    return r;
}

PyObject *pympi_loads_obj(PyObject *bytes)
{
    if (PyBytes_CheckExact(bytes) && is_native(PyBytes_AS_STRING(bytes), PyBytes_GET_SIZE(bytes)))
        return pympi_native_decode(PyBytes_AS_STRING(bytes) + 1, PyBytes_GET_SIZE(bytes) - 1);
    return PyObject_CallOneArg(the_pickle->ob_loads, bytes);
}

PyObject *pympi_loads(const char *buf, Py_ssize_t n)
{
    if (is_native(buf, n)) return pympi_native_decode(buf + 1, n - 1);
    PyObject *mv = PyMemoryView_FromMemory((char *)buf, n, PyBUF_READ);
    if (!mv) return NULL;
    PyObject *r = pympi_loads_obj(mv);
    Py_DECREF(mv);
    return r;
}

/* ---- receive buffers of pickles ----------------------------------------------------- */
int pympi_objbuf_get(PyObject *buf, MPI_Count size, PyObject **owner, Py_buffer *view, void **addr)
{
    view->obj = NULL;
    *owner = NULL;
    *addr = NULL;
    if (size == 0) return 0;
    if (buf && buf != Py_None) {
        if (pympi_getbuffer(buf, view, 1) < 0) return -1;
        if (view->len >= size) {
            Py_INCREF(buf);
            *owner = buf;
            *addr = view->buf;
            return 0;
        }
        PyBuffer_Release(view); /* too small: receive into new memory */
    }
    if (size > PY_SSIZE_T_MAX) { PyErr_NoMemory(); return -1; }
    *owner = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size);
    if (!*owner) return -1;
    *addr = PyBytes_AS_STRING(*owner);
    return 0;
}

PyObject *pympi_objbuf_load(PyObject *owner, void *addr, MPI_Count size)
{
    if (size == 0 || !owner) Py_RETURN_NONE;
    if (PyBytes_CheckExact(owner) && PyBytes_GET_SIZE(owner) == size) return pympi_loads_obj(owner);
    return pympi_loads(addr, (Py_ssize_t)size);
}

/* ---- point-to-point ---------------------------------------------------------------- */
typedef int (*send_fn)(const void *, MPI_Count, MPI_Datatype, int, int, MPI_Comm);
typedef int (*isend_fn)(const void *, MPI_Count, MPI_Datatype, int, int, MPI_Comm, MPI_Request *);
static const send_fn send_modes[] = {MPI_Send_c, MPI_Bsend_c, MPI_Ssend_c, MPI_Rsend_c};
static const isend_fn isend_modes[] = {MPI_Isend_c, MPI_Ibsend_c, MPI_Issend_c, MPI_Irsend_c};

/* The pickle of obj as (address, length); *data owns it. Nothing is pickled for PROC_NULL. */
static int obj_dump(PyObject *obj, int dest, PyObject **data, char **addr, MPI_Count *len)
{
    *data = NULL; *addr = NULL; *len = 0;
    if (dest == MPI_PROC_NULL) return 0; /* nothing travels: do not pay for pickling */
    if (pickle_is_default()) {
        char native[NATIVE_MSG];
        Py_ssize_t n = pympi_native_encode(obj, native + 1, NATIVE_MSG - 1);
        if (n >= 0) {
            native[0] = NATIVE_MARK;
            *data = PyBytes_FromStringAndSize(native, n + 1);
            if (!*data) return -1;
            *addr = PyBytes_AS_STRING(*data);
            *len = n + 1;
            return 0;
        }
    }
    *data = pympi_dumps(obj);
    if (!*data) return -1;
    if (PyBytes_CheckExact(*data)) {
        *addr = PyBytes_AS_STRING(*data);
        *len = PyBytes_GET_SIZE(*data);
        return 0;
    }
    /* another bytes-like object (a custom dumps): keep a pinned view alive with it */
    Py_buffer view;
    if (PyObject_GetBuffer(*data, &view, PyBUF_SIMPLE) < 0) { Py_CLEAR(*data); return -1; }
    PyObject *mem = pympi_memory_from_view(&view);
    Py_SETREF(*data, mem);
    if (!mem) return -1;
    *addr = ((PyMPIMemoryObject *)mem)->view.buf;
    *len = ((PyMPIMemoryObject *)mem)->view.len;
    return 0;
}

PyObject *pympi_obj_send(MPI_Comm comm, PyObject *obj, int dest, int tag, int mode)
{
    PyObject *data;
    char *addr;
    MPI_Count len;
    int ierr;
    if (obj_dump(obj, dest, &data, &addr, &len) < 0) return NULL;
    PYMPI_NOGIL(ierr = send_modes[mode](addr, len, MPI_BYTE, dest, tag, comm));
    Py_XDECREF(data);
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_NONE;
}

static PyObject *obj_isend(MPI_Comm comm, PyObject *obj, int dest, int tag, int mode)
{
    PyObject *data;
    char *addr;
    MPI_Count len;
    MPI_Request req;
    int ierr;
    if (obj_dump(obj, dest, &data, &addr, &len) < 0) return NULL;
    PYMPI_NOGIL(ierr = isend_modes[mode](addr, len, MPI_BYTE, dest, tag, comm, &req));
    if (CHKERR(ierr)) { Py_XDECREF(data); return NULL; }
    return pympi_request_new(&PyMPIRequest_Type, req, data); /* the pickle lives in ob_buf */
}

PyObject *pympi_obj_mrecv(MPI_Message *msg, MPI_Count size, PyObject *buf, MPI_Status *st)
{
    PyObject *owner;
    Py_buffer view;
    void *addr;
    int ierr;
    if (*msg == MPI_MESSAGE_NO_PROC) size = 0;
    if ((!buf || buf == Py_None) && size > 0 && size <= NATIVE_MSG) {
        /* small, as native-form objects are: received on the stack and decoded from there; a
         * pickle is handed to loads() as bytes, as always (a loads() may keep what it gets) */
        char small[NATIVE_MSG];
        PYMPI_NOGIL(ierr = MPI_Mrecv_c(small, size, MPI_BYTE, msg, st));
        if (CHKERR(ierr)) return NULL;
        if (is_native(small, (Py_ssize_t)size)) return pympi_native_decode(small + 1, (Py_ssize_t)size - 1);
        PyObject *bytes = PyBytes_FromStringAndSize(small, (Py_ssize_t)size);
        PyObject *obj = bytes ? pympi_loads_obj(bytes) : NULL;
        Py_XDECREF(bytes);
        return obj;
    }
    if (pympi_objbuf_get(buf, size, &owner, &view, &addr) < 0) return NULL;
    PYMPI_NOGIL(ierr = MPI_Mrecv_c(addr, size, MPI_BYTE, msg, st));
    PyObject *obj = CHKERR(ierr) ? NULL : pympi_objbuf_load(owner, addr, size);
    if (view.obj) PyBuffer_Release(&view);
    Py_XDECREF(owner);
    return obj;
}

PyObject *pympi_obj_recv(MPI_Comm comm, PyObject *buf, int source, int tag, MPI_Status *st)
{
    MPI_Message msg;
    MPI_Status probe;
    MPI_Count size = 0;
    int ierr;
    PYMPI_NOGIL(ierr = MPI_Mprobe(source, tag, comm, &msg, &probe));
    if (CHKERR(ierr)) return NULL;
    if (msg != MPI_MESSAGE_NO_PROC && CHKERR(MPI_Get_count_c(&probe, MPI_BYTE, &size))) return NULL;
    return pympi_obj_mrecv(&msg, size, buf, st);
}

PyObject *pympi_request_objmrecv(MPI_Message *msg, MPI_Count size, PyObject *buf)
{
    PyObject *owner;
    Py_buffer view;
    void *addr;
    MPI_Request req;
    int ierr;
    if (pympi_objbuf_get(buf, size, &owner, &view, &addr) < 0) return NULL;
    PYMPI_NOGIL(ierr = MPI_Imrecv_c(addr, size, MPI_BYTE, msg, &req));
    if (CHKERR(ierr)) {
        if (view.obj) PyBuffer_Release(&view);
        Py_XDECREF(owner);
        return NULL;
    }
    return pympi_request_objrecv(req, owner, &view);
}

static PyObject *comm_send_mode(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw,
                                const char *name, int mode, int nonblocking)
{
    static const char *const kwlist[] = {"obj", "dest", "tag", NULL};
    PyObject *a[3];
    int dest, tag;
    if (pympi_parse(name, kwlist, 2, args, nargs, kw, a) < 0) return NULL;
    if (pympi_int(a[1], 0, &dest) < 0 || pympi_int(a[2], 0, &tag) < 0) return NULL;
    if (nonblocking) return obj_isend(COMM(self), a[0], dest, tag, mode);
    return pympi_obj_send(COMM(self), a[0], dest, tag, mode);
}

#define SEND_METHOD(name, mode, nb)                                                                \
    static PyObject *comm_##name(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) \
    {                                                                                              \
        return comm_send_mode(self, args, nargs, kw, #name, mode, nb);                             \
    }
SEND_METHOD(send, PYMPI_MODE_STANDARD, 0)
SEND_METHOD(bsend, PYMPI_MODE_BUFFERED, 0)
SEND_METHOD(ssend, PYMPI_MODE_SYNCHRONOUS, 0)
SEND_METHOD(isend, PYMPI_MODE_STANDARD, 1)
SEND_METHOD(ibsend, PYMPI_MODE_BUFFERED, 1)
SEND_METHOD(issend, PYMPI_MODE_SYNCHRONOUS, 1)

/* A receive buffer must be writable: checked before a message is matched (and then lost). */
static int check_recvbuf(PyObject *buf)
{
    Py_buffer view;
    if (!buf || buf == Py_None) return 0;
    if (pympi_getbuffer(buf, &view, 1) < 0) return -1;
    PyBuffer_Release(&view);
    return 0;
}

static PyObject *comm_recv(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"buf", "source", "tag", "status", NULL};
    PyObject *a[4];
    int source, tag;
    MPI_Status *st;
    if (pympi_parse("recv", kwlist, 0, args, nargs, kw, a) < 0) return NULL;
    if (pympi_int(a[1], MPI_ANY_SOURCE, &source) < 0 || pympi_int(a[2], MPI_ANY_TAG, &tag) < 0 ||
        pympi_as_status(a[3], &st) < 0)
        return NULL;
    if (check_recvbuf(a[0]) < 0) return NULL;
    return pympi_obj_recv(COMM(self), a[0], source, tag, st);
}

/* The receive buffer of irecv when none is given (mpi4py 3.1's size). */
#define IRECV_DEFAULT ((Py_ssize_t)1 << 15)

static PyObject *comm_irecv(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"buf", "source", "tag", NULL};
    PyObject *a[3], *buf, *owner = NULL;
    Py_buffer view = {0};
    Py_ssize_t len = 0;
    void *addr = NULL;
    MPI_Request req;
    int source, tag, ierr;
    if (pympi_parse("irecv", kwlist, 0, args, nargs, kw, a) < 0) return NULL;
    if (pympi_int(a[1], MPI_ANY_SOURCE, &source) < 0 || pympi_int(a[2], MPI_ANY_TAG, &tag) < 0) return NULL;
    buf = a[0] ? a[0] : Py_None;
    if (source == MPI_PROC_NULL) {
        /* nothing arrives: no buffer (wait() gives None) */
    } else if (buf == Py_None || (PyIndex_Check(buf) && !PySequence_Check(buf))) {
        /* as in mpi4py 3.1: an integer is the size of the buffer to allocate */
        len = buf == Py_None ? IRECV_DEFAULT : PyNumber_AsSsize_t(buf, PyExc_OverflowError);
        if (len == -1 && PyErr_Occurred()) return NULL;
        if (len < 0) return PyErr_Format(PyExc_RuntimeError, "irecv: memory allocation with negative size %zd", len);
        owner = PyBytes_FromStringAndSize(NULL, len);
        if (!owner) return NULL;
        addr = PyBytes_AS_STRING(owner);
    } else {
        if (pympi_getbuffer(buf, &view, 1) < 0) return NULL;
        Py_INCREF(buf);
        owner = buf;
        addr = view.buf;
        len = view.len;
    }
    PYMPI_NOGIL(ierr = MPI_Irecv_c(addr, len, MPI_BYTE, source, tag, COMM(self), &req));
    if (CHKERR(ierr)) {
        if (view.obj) PyBuffer_Release(&view);
        Py_XDECREF(owner);
        return NULL;
    }
    return pympi_request_objrecv(req, owner, &view);
}

/* What MPI would reject in a receive's source and tag, as MPI.Exception(ERR_RANK/ERR_TAG). */
static int check_source_tag(MPI_Comm comm, int source, int tag)
{
    int size, inter, flag, *ub;
    if (CHKERR(MPI_Comm_test_inter(comm, &inter)) ||
        CHKERR(inter ? MPI_Comm_remote_size(comm, &size) : MPI_Comm_size(comm, &size)) ||
        CHKERR(MPI_Comm_get_attr(comm, MPI_TAG_UB, &ub, &flag)))
        return -1;
    if (source != MPI_ANY_SOURCE && source != MPI_PROC_NULL && (source < 0 || source >= size))
        return pympi_raise(MPI_ERR_RANK);
    if (tag != MPI_ANY_TAG && (tag < 0 || (flag && tag > *ub))) return pympi_raise(MPI_ERR_TAG);
    return 0;
}

static PyObject *comm_sendrecv(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"sendobj", "dest", "sendtag", "recvbuf", "source", "recvtag",
                                         "status", NULL};
    PyObject *a[7];
    int dest, sendtag, source, recvtag, ierr;
    MPI_Status *st;
    MPI_Request req;
    PyObject *data;
    char *addr;
    MPI_Count len;
    if (pympi_parse("sendrecv", kwlist, 2, args, nargs, kw, a) < 0) return NULL;
    if (pympi_int(a[1], 0, &dest) < 0 || pympi_int(a[2], 0, &sendtag) < 0 ||
        pympi_int(a[4], MPI_ANY_SOURCE, &source) < 0 || pympi_int(a[5], MPI_ANY_TAG, &recvtag) < 0 ||
        pympi_as_status(a[6], &st) < 0)
        return NULL;
    /* The send is posted first, then the receive is matched by probe: no size is guessed. A
     * receive that fails would leave the send waiting for ever, so its side is checked first. */
    if (check_recvbuf(a[3]) < 0 || check_source_tag(COMM(self), source, recvtag) < 0) return NULL;
    if (obj_dump(a[0], dest, &data, &addr, &len) < 0) return NULL;
    PYMPI_NOGIL(ierr = MPI_Isend_c(addr, len, MPI_BYTE, dest, sendtag, COMM(self), &req));
    if (CHKERR(ierr)) { Py_XDECREF(data); return NULL; }
    PyObject *obj = pympi_obj_recv(COMM(self), a[3], source, recvtag, st);
    PYMPI_NOGIL(ierr = MPI_Wait(&req, MPI_STATUS_IGNORE));
    Py_XDECREF(data);
    if (!obj) return NULL;
    if (CHKERR(ierr)) { Py_DECREF(obj); return NULL; }
    return obj;
}

PyMethodDef pympi_comm_obj_methods[] = {
    {"send", FASTKW(comm_send), "Send a Python object (blocking, standard mode)."},
    {"bsend", FASTKW(comm_bsend), "Send a Python object (buffered mode)."},
    {"ssend", FASTKW(comm_ssend), "Send a Python object (synchronous mode)."},
    {"isend", FASTKW(comm_isend), "Nonblocking send of a Python object."},
    {"ibsend", FASTKW(comm_ibsend), "Nonblocking send of a Python object (buffered mode)."},
    {"issend", FASTKW(comm_issend), "Nonblocking send of a Python object (synchronous mode)."},
    {"recv", FASTKW(comm_recv), "Receive a Python object (buf: optional receive buffer, used when large enough)."},
    {"irecv", FASTKW(comm_irecv), "Nonblocking receive of a Python object; wait()/test() return it."},
    {"sendrecv", FASTKW(comm_sendrecv), "Send and receive Python objects."},
    {NULL}};

int pympi_init_pickle(PyObject *m)
{
    if (PyType_Ready(&PyMPIPickle_Type) < 0) return -1;
    Py_INCREF(&PyMPIPickle_Type);
    if (PyModule_AddObject(m, "Pickle", (PyObject *)&PyMPIPickle_Type) < 0) return -1;
    if (pickle_defaults() < 0) return -1;
    the_pickle = (PyMPIPickleObject *)PyObject_CallNoArgs((PyObject *)&PyMPIPickle_Type);
    if (!the_pickle) return -1;
    Py_INCREF(the_pickle);
    return PyModule_AddObject(m, "pickle", (PyObject *)the_pickle);
}
