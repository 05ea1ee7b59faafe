/* msgpickle.c: communication of Python objects (the lower-case Comm methods) and MPI.Pickle.
 *
 * Objects travel as pickles in MPI_BYTE messages. A receive never guesses a size: it matches the
 * message with MPI_Mprobe, sizes a bytes object from the status and receives into it with
 * MPI_Mrecv. Collectives exchange pickle sizes first, then the bytes with the v-variants; sizes
 * are 64-bit and the large-count (_c) calls are used, so a pickle may exceed 2 GiB. */
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

/* ---- collectives ------------------------------------------------------------------- */
static int comm_size_rank(MPI_Comm comm, int *size, int *rank)
{
    int inter = 0;
    if (CHKERR(MPI_Comm_test_inter(comm, &inter))) return -1;
    if (inter) {
        PyErr_SetString(PyExc_NotImplementedError, "object collectives on intercommunicators");
        return -1;
    }
    if (CHKERR(MPI_Comm_size(comm, size)) || CHKERR(MPI_Comm_rank(comm, rank))) return -1;
    return 0;
}

static int check_root(int root, int size)
{
    if (root < 0 || root >= size) {
        PyErr_Format(PyExc_ValueError, "root %d out of range for a communicator of size %d", root, size);
        return -1;
    }
    return 0;
}

/* Pickled bytes of obj, pinned in view. */
static int dumps_view(PyObject *obj, PyObject **data, Py_buffer *view)
{
    *data = pympi_dumps(obj);
    if (!*data) return -1;
    if (PyObject_GetBuffer(*data, view, PyBUF_SIMPLE) < 0) { Py_CLEAR(*data); return -1; }
    return 0;
}

static void release_view(PyObject **data, Py_buffer *view)
{
    if (*data) { PyBuffer_Release(view); Py_CLEAR(*data); }
}

/* Unpickle n pieces laid out in one buffer as counts/displs into a new list. */
static PyObject *loads_list(const char *buf, const MPI_Count *counts, const MPI_Aint *displs, int n)
{
    PyObject *list = PyList_New(n);
    if (!list) return NULL;
    for (int i = 0; i < n; i++) {
        PyObject *o = pympi_loads(buf + displs[i], (Py_ssize_t)counts[i]);
        if (!o) { Py_DECREF(list); return NULL; }
        PyList_SET_ITEM(list, i, o);
    }
    return list;
}

/* Buffers for gathered pickles: counts, displacements and the bytes. */
typedef struct {
    MPI_Count *counts;
    MPI_Aint *displs;
    char *buf;
} gathered;

static int gathered_alloc(gathered *g, int n, int with_buf)
{
    g->counts = PyMem_Calloc((size_t)n + 1, sizeof(MPI_Count));
    g->displs = PyMem_Calloc((size_t)n + 1, sizeof(MPI_Aint));
    g->buf = NULL;
    if (!g->counts || !g->displs) { PyErr_NoMemory(); return -1; }
    (void)with_buf;
    return 0;
}

/* After counts are known: displacements and the receive buffer. */
static int gathered_layout(gathered *g, int n)
{
    MPI_Aint total = 0;
    for (int i = 0; i < n; i++) { g->displs[i] = total; total += (MPI_Aint)g->counts[i]; }
    g->buf = PyMem_Malloc(total ? (size_t)total : 1);
    if (!g->buf) { PyErr_NoMemory(); return -1; }
    return 0;
}

static void gathered_free(gathered *g)
{
    PyMem_Free(g->counts);
    PyMem_Free(g->displs);
    PyMem_Free(g->buf);
}

PyObject *pympi_obj_bcast(MPI_Comm comm, PyObject *obj, int root)
{
    int size, rank, ierr;
    PyObject *data = NULL, *result = NULL;
    Py_buffer view;
    MPI_Count n = 0;
    if (comm_size_rank(comm, &size, &rank) < 0 || check_root(root, size) < 0) return NULL;
    if (rank == root) {
        if (dumps_view(obj, &data, &view) < 0) return NULL;
        n = view.len;
    }
    PYMPI_NOGIL(ierr = MPI_Bcast(&n, 1, MPI_COUNT, root, comm));
    if (CHKERR(ierr)) goto done;
    if (rank == root) {
        PYMPI_NOGIL(ierr = MPI_Bcast_c(view.buf, n, MPI_BYTE, root, comm));
        if (CHKERR(ierr)) goto done;
        result = pympi_loads(view.buf, view.len); /* a copy, as every rank gets */
    } else {
        PyObject *bytes = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)n);
        if (!bytes) goto done;
        PYMPI_NOGIL(ierr = MPI_Bcast_c(PyBytes_AS_STRING(bytes), n, MPI_BYTE, root, comm));
        if (!CHKERR(ierr)) result = pympi_loads_obj(bytes);
        Py_DECREF(bytes);
    }
done:
    release_view(&data, &view);
    return result;
}

static PyObject *comm_bcast(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"obj", "root", NULL};
    PyObject *a[2];
    int root;
    if (pympi_parse("bcast", kwlist, 0, args, nargs, kw, a) < 0 || pympi_int(a[1], 0, &root) < 0) return NULL;
    return pympi_obj_bcast(COMM(self), a[0] ? a[0] : Py_None, root);
}

/* gather (root >= 0) or allgather (root < 0) of pickles: a list of the objects of all ranks. */
static PyObject *obj_gather(MPI_Comm comm, PyObject *obj, int root)
{
    int size, rank, ierr;
    PyObject *data = NULL, *result = NULL;
    Py_buffer view;
    gathered g = {0};
    if (comm_size_rank(comm, &size, &rank) < 0) return NULL;
    if (root >= 0 && check_root(root, size) < 0) return NULL;
    int receiver = root < 0 || rank == root;
    if (dumps_view(obj, &data, &view) < 0) return NULL;
    MPI_Count n = view.len;
    if (gathered_alloc(&g, size, receiver) < 0) goto done;
    if (root < 0) PYMPI_NOGIL(ierr = MPI_Allgather(&n, 1, MPI_COUNT, g.counts, 1, MPI_COUNT, comm));
    else PYMPI_NOGIL(ierr = MPI_Gather(&n, 1, MPI_COUNT, g.counts, 1, MPI_COUNT, root, comm));
    if (CHKERR(ierr)) goto done;
    if (receiver && gathered_layout(&g, size) < 0) goto done;
    if (root < 0)
        PYMPI_NOGIL(ierr = MPI_Allgatherv_c(view.buf, n, MPI_BYTE, g.buf, g.counts, g.displs, MPI_BYTE, comm));
    else
        PYMPI_NOGIL(ierr = MPI_Gatherv_c(view.buf, n, MPI_BYTE, g.buf, g.counts, g.displs, MPI_BYTE, root, comm));
    if (CHKERR(ierr)) goto done;
    if (receiver) result = loads_list(g.buf, g.counts, g.displs, size);
    else { Py_INCREF(Py_None); result = Py_None; }
done:
    release_view(&data, &view);
    gathered_free(&g);
    return result;
}

static PyObject *comm_gather(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"sendobj", "root", NULL};
    PyObject *a[2];
    int root;
    if (pympi_parse("gather", kwlist, 1, args, nargs, kw, a) < 0 || pympi_int(a[1], 0, &root) < 0) return NULL;
    if (root < 0) return PyErr_Format(PyExc_ValueError, "root %d out of range", root);
    return obj_gather(COMM(self), a[0], root);
}

static PyObject *comm_allgather(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"sendobj", NULL};
    PyObject *a[1];
    if (pympi_parse("allgather", kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    return obj_gather(COMM(self), a[0], -1);
}

static PyObject *comm_scatter(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"sendobj", "root", NULL};
    PyObject *a[2];
    int root, size, rank, ierr;
    if (pympi_parse("scatter", kwlist, 0, args, nargs, kw, a) < 0 || pympi_int(a[1], 0, &root) < 0) return NULL;
    MPI_Comm comm = COMM(self);
    if (comm_size_rank(comm, &size, &rank) < 0 || check_root(root, size) < 0) return NULL;
    gathered g = {0};
    PyObject *result = NULL, *fast = NULL, **pieces = NULL;
    MPI_Count n = 0;
    if (rank == root) {
        fast = PySequence_Fast(a[0] ? a[0] : Py_None, "scatter: sendobj must be a sequence at the root");
        if (!fast) goto done;
        if (PySequence_Fast_GET_SIZE(fast) != size) {
            PyErr_Format(PyExc_ValueError, "scatter: expected %d items at the root, got %zd", size,
                         PySequence_Fast_GET_SIZE(fast));
            goto done;
        }
        if (gathered_alloc(&g, size, 1) < 0) goto done;
        pieces = PyMem_Calloc((size_t)size, sizeof(PyObject *));
        if (!pieces) { PyErr_NoMemory(); goto done; }
        for (int i = 0; i < size; i++) {
            pieces[i] = pympi_dumps(PySequence_Fast_GET_ITEM(fast, i));
            if (!pieces[i] || !PyBytes_Check(pieces[i])) {
                if (pieces[i]) PyErr_SetString(PyExc_TypeError, "scatter: dumps() must return bytes");
                goto done;
            }
            g.counts[i] = PyBytes_GET_SIZE(pieces[i]);
        }
        if (gathered_layout(&g, size) < 0) goto done;
        for (int i = 0; i < size; i++)
            memcpy(g.buf + g.displs[i], PyBytes_AS_STRING(pieces[i]), (size_t)g.counts[i]);
    }
    PYMPI_NOGIL(ierr = MPI_Scatter(g.counts, 1, MPI_COUNT, &n, 1, MPI_COUNT, root, comm));
    if (CHKERR(ierr)) goto done;
    PyObject *bytes = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)n);
    if (!bytes) goto done;
    PYMPI_NOGIL(ierr = MPI_Scatterv_c(g.buf, g.counts, g.displs, MPI_BYTE, PyBytes_AS_STRING(bytes), n,
                                      MPI_BYTE, root, comm));
    if (!CHKERR(ierr)) result = pympi_loads_obj(bytes);
    Py_DECREF(bytes);
done:
    if (pieces)
        for (int i = 0; i < size; i++) Py_XDECREF(pieces[i]);
    PyMem_Free(pieces);
    Py_XDECREF(fast);
    gathered_free(&g);
    return result;
}

/* Reduce a list of objects left to right with op. Steals the list. */
static PyObject *reduce_list(PyObject *list, PyObject *op)
{
    if (!list) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(list);
    PyObject *acc = PyList_GET_ITEM(list, 0);
    Py_INCREF(acc);
    for (Py_ssize_t i = 1; i < n && acc; i++) {
        PyObject *next = pympi_op_apply(op, acc, PyList_GET_ITEM(list, i));
        Py_DECREF(acc);
        acc = next;
    }
    Py_DECREF(list);
    return acc;
}

static PyObject *get_op(PyObject *op) { return op ? op : pympi_op_SUM; }

static PyObject *comm_allreduce(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"sendobj", "op", NULL};
    PyObject *a[2];
    if (pympi_parse("allreduce", kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    PyObject *op = get_op(a[1]);
    if (!op) return NULL;
    return reduce_list(obj_gather(COMM(self), a[0], -1), op);
}

static PyObject *comm_reduce(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"sendobj", "op", "root", NULL};
    PyObject *a[3];
    int root;
    if (pympi_parse("reduce", kwlist, 1, args, nargs, kw, a) < 0 || pympi_int(a[2], 0, &root) < 0) return NULL;
    PyObject *op = get_op(a[1]);
    if (!op) return NULL;
    if (root < 0) return PyErr_Format(PyExc_ValueError, "root %d out of range", root);
    PyObject *list = obj_gather(COMM(self), a[0], root);
    if (list == Py_None) return list;
    return reduce_list(list, op);
}

static PyObject *comm_barrier(PyObject *self, PyObject *u)
{
    int ierr;
    PYMPI_NOGIL(ierr = MPI_Barrier(COMM(self)));
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_NONE;
}

PyMethodDef pympi_comm_obj_methods[] = {
    {"send", FASTKW(comm_send), "Send a Python object (blocking, standard mode)."},
    {"bsend", FASTKW(comm_bsend), "Send a Python object (buffered mode)."},
    {"ssend", FASTKW(comm_ssend), "Send a Python object (synchronous mode)."},
    {"recv", FASTKW(comm_recv), "Receive a Python object."},
    {"bcast", FASTKW(comm_bcast), "Broadcast a Python object from root."},
    {"gather", FASTKW(comm_gather), "Gather Python objects to root."},
    {"scatter", FASTKW(comm_scatter), "Scatter a sequence of Python objects from root."},
    {"allgather", FASTKW(comm_allgather), "Gather Python objects to all."},
    {"allreduce", FASTKW(comm_allreduce), "Reduce Python objects to all."},
    {"reduce", FASTKW(comm_reduce), "Reduce Python objects to root."},
    {"barrier", comm_barrier, METH_NOARGS, "Barrier synchronization."},
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
