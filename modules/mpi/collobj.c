/* collobj.c: collective communication of Python objects (lower-case Comm methods: bcast,
 * gather, scatter, allgather, alltoall, reduce, allreduce, scan, exscan, barrier, neighbor_*).
 * Pickle sizes are exchanged first, then the bytes with the v-variants; sizes are 64-bit and the
 * large-count (_c) calls are used, so a pickle may exceed 2 GiB. */
#include "pympi.h"

#define COMM(o) (((PyMPICommObject *)(o))->ob_mpi)
#define FASTKW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS

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

PyMethodDef pympi_comm_collobj_methods[] = {
    {"bcast", FASTKW(comm_bcast), "Broadcast a Python object from root."},
    {"gather", FASTKW(comm_gather), "Gather Python objects to root."},
    {"scatter", FASTKW(comm_scatter), "Scatter a sequence of Python objects from root."},
    {"allgather", FASTKW(comm_allgather), "Gather Python objects to all."},
    {"allreduce", FASTKW(comm_allreduce), "Reduce Python objects to all."},
    {"reduce", FASTKW(comm_reduce), "Reduce Python objects to root."},
    {"barrier", comm_barrier, METH_NOARGS, "Barrier synchronization."},
    {NULL}};
