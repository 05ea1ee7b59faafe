/* msgpickle.c: communication of Python objects (the lower-case Comm methods) and MPI.Pickle.
 *
 * Objects travel as pickles in MPI_BYTE messages. A receive never guesses a size: it matches the
 * message with MPI_Mprobe, sizes a bytes object from the status and receives into it with
 * MPI_Mrecv. Sizes are 64-bit and the large-count (_c) calls are used, so a pickle may exceed
 * 2 GiB. The object collectives are in collobj.c. */
#include "pympi.h"

#define COMM(o) (((PyMPICommObject *)(o))->ob_mpi)
#define FASTKW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS

/* ---- MPI.Pickle ---------------------------------------------------------------- */
typedef struct {
    PyObject_HEAD
    PyObject *ob_dumps;
    PyObject *ob_loads;
    PyObject *ob_PROTOCOL; /* int, or None for the dumps default */
} PyMPIPickleObject;

static PyMPIPickleObject *the_pickle; /* MPI.pickle: the one the lower-case methods use */

static int pickle_init(PyMPIPickleObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"dumps", "loads", "protocol", NULL};
    PyObject *dumps = NULL, *loads = NULL, *protocol = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|OOO:Pickle", kwlist, &dumps, &loads, &protocol)) return -1;
    PyObject *mod = NULL;
    if (!dumps || !loads) {
        mod = PyImport_ImportModule("pickle");
        if (!mod) return -1;
    }
    if (!dumps) dumps = PyObject_GetAttrString(mod, "dumps"); else Py_INCREF(dumps);
    if (!loads) loads = PyObject_GetAttrString(mod, "loads"); else Py_INCREF(loads);
    if (!protocol) {
        /* MPI4PY_PICKLE_PROTOCOL overrides pickle's highest protocol. */
        const char *env = getenv("MPI4PY_PICKLE_PROTOCOL");
        if (env && *env) protocol = PyLong_FromString(env, NULL, 10);
        else if (mod || (mod = PyImport_ImportModule("pickle")))
            protocol = PyObject_GetAttrString(mod, "HIGHEST_PROTOCOL");
    } else Py_INCREF(protocol);
    Py_XDECREF(mod);
    if (!dumps || !loads || !protocol) {
        Py_XDECREF(dumps); Py_XDECREF(loads); Py_XDECREF(protocol);
        return -1;
    }
    Py_XSETREF(self->ob_dumps, dumps);
    Py_XSETREF(self->ob_loads, loads);
    Py_XSETREF(self->ob_PROTOCOL, protocol);
    return 0;
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
    PyObject *args[2] = {obj, p->ob_PROTOCOL};
    if (buffer_callback && buffer_callback != Py_None) {
        PyObject *kwargs = Py_BuildValue("{sO}", "buffer_callback", buffer_callback);
        if (!kwargs) return NULL;
        PyObject *t = PyTuple_Pack(2, obj, p->ob_PROTOCOL);
        PyObject *r = t ? PyObject_Call(p->ob_dumps, t, kwargs) : NULL;
        Py_XDECREF(t);
        Py_DECREF(kwargs);
        return r;
    }
    return PyObject_Vectorcall(p->ob_dumps, args, p->ob_PROTOCOL == Py_None ? 1 : 2, NULL);
}

static PyObject *pickle_dumps(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"obj", "buffer_callback", NULL};
    PyObject *a[2];
    if (pympi_parse("dumps", kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    return pickle_do_dumps((PyMPIPickleObject *)self, a[0], a[1]);
}

static PyObject *pickle_loads(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"data", "buffers", NULL};
    PyObject *a[2];
    if (pympi_parse("loads", kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    PyMPIPickleObject *p = (PyMPIPickleObject *)self;
    if (a[1] && a[1] != Py_None) {
        PyObject *t = PyTuple_Pack(1, a[0]);
        PyObject *kwargs = Py_BuildValue("{sO}", "buffers", a[1]);
        PyObject *r = t && kwargs ? PyObject_Call(p->ob_loads, t, kwargs) : NULL;
        Py_XDECREF(t);
        Py_XDECREF(kwargs);
        return r;
    }
    return PyObject_CallOneArg(p->ob_loads, a[0]);
}

static PyObject *pickle_get_protocol(PyMPIPickleObject *self, void *c)
{
    Py_INCREF(self->ob_PROTOCOL);
    return self->ob_PROTOCOL;
}

static int pickle_set_protocol(PyMPIPickleObject *self, PyObject *v, void *c)
{
    if (!v) { PyErr_SetString(PyExc_AttributeError, "cannot delete PROTOCOL"); return -1; }
    if (v != Py_None && !PyLong_Check(v)) { PyErr_SetString(PyExc_TypeError, "PROTOCOL must be an int or None"); return -1; }
    Py_INCREF(v);
    Py_XSETREF(self->ob_PROTOCOL, v);
    return 0;
}

static PyMethodDef pickle_methods[] = {
    {"dumps", FASTKW(pickle_dumps), "Serialize an object to bytes."},
    {"loads", FASTKW(pickle_loads), "Deserialize an object from bytes."},
    {NULL}};

static PyGetSetDef pickle_getset[] = {
    {"PROTOCOL", (getter)pickle_get_protocol, (setter)pickle_set_protocol, "pickle protocol", NULL},
    {NULL}};

PyTypeObject PyMPIPickle_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI.Pickle",
    .tp_basicsize = sizeof(PyMPIPickleObject),
    .tp_dealloc = (destructor)pickle_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_methods = pickle_methods,
    .tp_getset = pickle_getset,
    .tp_init = (initproc)pickle_init,
    .tp_new = PyType_GenericNew,
    .tp_doc = "Pickle(dumps=pickle.dumps, loads=pickle.loads, protocol=None): object serializer."};

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
    return PyObject_CallOneArg(the_pickle->ob_loads, bytes);
}

PyObject *pympi_loads(const char *buf, Py_ssize_t n)
{
    PyObject *mv = PyMemoryView_FromMemory((char *)buf, n, PyBUF_READ);
    if (!mv) return NULL;
    PyObject *r = pympi_loads_obj(mv);
    Py_DECREF(mv);
    return r;
}

/* ---- point-to-point ---------------------------------------------------------------- */
typedef int (*send_fn)(const void *, MPI_Count, MPI_Datatype, int, int, MPI_Comm);
static const send_fn send_modes[] = {MPI_Send_c, MPI_Bsend_c, MPI_Ssend_c, MPI_Rsend_c};

PyObject *pympi_obj_send(MPI_Comm comm, PyObject *obj, int dest, int tag, int mode)
{
    Py_buffer view;
    int ierr;
    if (dest == MPI_PROC_NULL) {
        /* nothing travels: do not pay for pickling */
        PYMPI_NOGIL(ierr = send_modes[mode](NULL, 0, MPI_BYTE, dest, tag, comm));
        if (CHKERR(ierr)) return NULL;
        Py_RETURN_NONE;
    }
    PyObject *data = pympi_dumps(obj);
    if (!data) return NULL;
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) { Py_DECREF(data); return NULL; }
    PYMPI_NOGIL(ierr = send_modes[mode](view.buf, view.len, MPI_BYTE, dest, tag, comm));
    PyBuffer_Release(&view);
    Py_DECREF(data);
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_NONE;
}

PyObject *pympi_obj_mrecv(MPI_Message *msg, MPI_Status *st)
{
    MPI_Status local;
    MPI_Count n = 0;
    int ierr;
    if (*msg == MPI_MESSAGE_NO_PROC) {
        PYMPI_NOGIL(ierr = MPI_Mrecv_c(NULL, 0, MPI_BYTE, msg, st));
        if (CHKERR(ierr)) return NULL;
        Py_RETURN_NONE;
    }
    if (st == MPI_STATUS_IGNORE) st = &local;
    PyObject *bytes = NULL;
    /* The size is known before the data arrives: probe status from Mprobe is in *st already
     * when called from Comm.recv; Message.recv asks for it again here. */
    if (CHKERR(MPI_Get_count_c(st, MPI_BYTE, &n))) return NULL;
    bytes = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)n);
    if (!bytes) return NULL;
    PYMPI_NOGIL(ierr = MPI_Mrecv_c(PyBytes_AS_STRING(bytes), n, MPI_BYTE, msg, st));
    if (CHKERR(ierr)) { Py_DECREF(bytes); return NULL; }
    PyObject *obj = n ? pympi_loads_obj(bytes) : (Py_INCREF(Py_None), Py_None);
    Py_DECREF(bytes);
    return obj;
}

PyObject *pympi_obj_recv(MPI_Comm comm, PyObject *buf, int source, int tag, MPI_Status *st)
{
    MPI_Message msg;
    MPI_Status local;
    int ierr;
    if (st == MPI_STATUS_IGNORE) st = &local;
    PYMPI_NOGIL(ierr = MPI_Mprobe(source, tag, comm, &msg, st));
    if (CHKERR(ierr)) return NULL;
    return pympi_obj_mrecv(&msg, st);
}

static PyObject *comm_send_mode(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw,
                                const char *name, int mode)
{
    static const char *const kwlist[] = {"obj", "dest", "tag", NULL};
    PyObject *a[3];
    int dest, tag;
    if (pympi_parse(name, kwlist, 2, args, nargs, kw, a) < 0) return NULL;
    if (pympi_int(a[1], 0, &dest) < 0 || pympi_int(a[2], 0, &tag) < 0) return NULL;
    return pympi_obj_send(COMM(self), a[0], dest, tag, mode);
}

static PyObject *comm_send(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    return comm_send_mode(self, args, nargs, kw, "send", PYMPI_MODE_STANDARD);
}
static PyObject *comm_bsend(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    return comm_send_mode(self, args, nargs, kw, "bsend", PYMPI_MODE_BUFFERED);
}
static PyObject *comm_ssend(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    return comm_send_mode(self, args, nargs, kw, "ssend", PYMPI_MODE_SYNCHRONOUS);
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
    return pympi_obj_recv(COMM(self), a[0], source, tag, st);
}

PyMethodDef pympi_comm_obj_methods[] = {
    {"send", FASTKW(comm_send), "Send a Python object (blocking, standard mode)."},
    {"bsend", FASTKW(comm_bsend), "Send a Python object (buffered mode)."},
    {"ssend", FASTKW(comm_ssend), "Send a Python object (synchronous mode)."},
    {"recv", FASTKW(comm_recv), "Receive a Python object."},
    {NULL}};

int pympi_init_pickle(PyObject *m)
{
    if (PyType_Ready(&PyMPIPickle_Type) < 0) return -1;
    Py_INCREF(&PyMPIPickle_Type);
    if (PyModule_AddObject(m, "Pickle", (PyObject *)&PyMPIPickle_Type) < 0) return -1;
    the_pickle = (PyMPIPickleObject *)PyObject_CallNoArgs((PyObject *)&PyMPIPickle_Type);
    if (!the_pickle) return -1;
    Py_INCREF(the_pickle);
    return PyModule_AddObject(m, "pickle", (PyObject *)the_pickle);
}
