/* status.c: MPI.Status, an MPI_Status held by value.
 *
 * Status(status=None) starts as (ANY_SOURCE, ANY_TAG, SUCCESS, count 0, not cancelled) or copies
 * another Status. == and != compare every field (the whole MPI_Status); ordering is a TypeError
 * and __hash__ is None. py2f()/f2py() convert to and from the Fortran integer array
 * (MPI_F_STATUS_SIZE integers) with MPI_Status_c2f/MPI_Status_f2c. */
#include "pympi.h"

#define FASTKW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS
#define ARGS PyObject *const *args, Py_ssize_t nargs, PyObject *kw
#define ST(o) (((PyMPIStatusObject *)(o))->ob_mpi)

static void status_init(MPI_Status *st)
{
    memset(st, 0, sizeof(*st));
    st->MPI_SOURCE = MPI_ANY_SOURCE;
    st->MPI_TAG = MPI_ANY_TAG;
    st->MPI_ERROR = MPI_SUCCESS;
}

PyObject *pympi_status_new(const MPI_Status *st)
{
    PyMPIStatusObject *self = (PyMPIStatusObject *)PyMPIStatus_Type.tp_alloc(&PyMPIStatus_Type, 0);
    if (!self) return NULL;
    if (st) self->ob_mpi = *st;
    else status_init(&self->ob_mpi);
    return (PyObject *)self;
}

int pympi_as_status_slow(PyObject *obj, MPI_Status **out)
{
    if (!PyMPIStatus_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "status: expected Status or None, got '%.200s'", Py_TYPE(obj)->tp_name);
        return -1;
    }
    *out = &ST(obj);
    return 0;
}

static PyObject *status_new(PyTypeObject *tp, PyObject *args, PyObject *kw)
{
    PyObject *other = NULL;
    static char *kwlist[] = {"status", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:Status", kwlist, &other)) return NULL;
    if (other && other != Py_None && !PyMPIStatus_Check(other))
        return PyErr_Format(PyExc_TypeError, "Status(status): expected a Status, got '%.200s'",
                            Py_TYPE(other)->tp_name);
    PyMPIStatusObject *self = (PyMPIStatusObject *)tp->tp_alloc(tp, 0);
    if (!self) return NULL;
    if (other && other != Py_None) self->ob_mpi = ST(other);
    else status_init(&self->ob_mpi);
    return (PyObject *)self;
}

/* ---- fields ------------------------------------------------------------------------------ */
static PyObject *status_Get_source(PyObject *self, PyObject *u) { return PyLong_FromLong(ST(self).MPI_SOURCE); }
static PyObject *status_Get_tag(PyObject *self, PyObject *u) { return PyLong_FromLong(ST(self).MPI_TAG); }
static PyObject *status_Get_error(PyObject *self, PyObject *u) { return PyLong_FromLong(ST(self).MPI_ERROR); }

/* Set one int field from a method argument or a property value. */
static int set_field(PyObject *self, PyObject *value, const char *what, int *field)
{
    int v;
    if (!value) {
        PyErr_Format(PyExc_TypeError, "cannot delete the %s", what);
        return -1;
    }
    if (pympi_int(value, 0, &v) < 0) return -1;
    *field = v;
    return 0;
}

#define SETTER(name, FIELD)                                                                       \
    static PyObject *status_Set_##name(PyObject *self, ARGS)                                      \
    {                                                                                             \
        static const char *const kwlist[] = {#name, NULL};                                        \
        PyObject *a[1];                                                                           \
        if (pympi_parse("Set_" #name, kwlist, 1, args, nargs, kw, a) < 0) return NULL;            \
        if (set_field(self, a[0], #name, &ST(self).FIELD) < 0) return NULL;                       \
        Py_RETURN_NONE;                                                                           \
    }                                                                                             \
    static PyObject *status_get_##name(PyObject *self, void *c) { return PyLong_FromLong(ST(self).FIELD); } \
    static int status_set_##name(PyObject *self, PyObject *v, void *c) { return set_field(self, v, #name, &ST(self).FIELD); }
SETTER(source, MPI_SOURCE)
SETTER(tag, MPI_TAG)
SETTER(error, MPI_ERROR)
#undef SETTER

static PyObject *count_of(PyObject *self, MPI_Datatype t, int elements)
{
    MPI_Count count = 0, size = 0;
    if (elements && CHKERR(MPI_Type_size_c(t, &size))) return NULL;
    if (elements && size == 0) {
        /* MPICH divides by the size: a type of no data (LB, UB, empty) holds 0 elements of
         * an empty message and an undefined number of anything larger. */
        if (CHKERR(MPI_Get_count_c(&ST(self), MPI_BYTE, &count))) return NULL;
        return PyLong_FromLong(count == 0 ? 0 : MPI_UNDEFINED);
    }
    int ierr = elements ? MPI_Get_elements_c(&ST(self), t, &count) : MPI_Get_count_c(&ST(self), t, &count);
    if (CHKERR(ierr)) return NULL;
    return PyLong_FromLongLong(count);
}

static PyObject *status_Get_count(PyObject *self, ARGS)
{
    static const char *const kwlist[] = {"datatype", NULL};
    PyObject *a[1];
    MPI_Datatype t = MPI_BYTE;
    if (pympi_parse("Get_count", kwlist, 0, args, nargs, kw, a) < 0) return NULL;
    if (a[0] && pympi_as_datatype(a[0], &t) < 0) return NULL;
    return count_of(self, t, 0);
}

static PyObject *status_Get_elements(PyObject *self, ARGS)
{
    static const char *const kwlist[] = {"datatype", NULL};
    PyObject *a[1];
    MPI_Datatype t;
    if (pympi_parse("Get_elements", kwlist, 1, args, nargs, kw, a) < 0 || pympi_as_datatype(a[0], &t) < 0)
        return NULL;
    return count_of(self, t, 1);
}

static int set_elements(PyObject *self, MPI_Datatype t, PyObject *value)
{
    MPI_Count count;
    if (!value) {
        PyErr_SetString(PyExc_TypeError, "cannot delete the count");
        return -1;
    }
    if (pympi_count(value, 0, &count) < 0) return -1;
    if (count < 0) {
        PyErr_Format(PyExc_ValueError, "count must be non-negative, got %lld", (long long)count);
        return -1;
    }
    return CHKERR(MPI_Status_set_elements_x(&ST(self), t, count)) ? -1 : 0;
}

static PyObject *status_Set_elements(PyObject *self, ARGS)
{
    static const char *const kwlist[] = {"datatype", "count", NULL};
    PyObject *a[2];
    MPI_Datatype t;
    if (pympi_parse("Set_elements", kwlist, 2, args, nargs, kw, a) < 0 || pympi_as_datatype(a[0], &t) < 0)
        return NULL;
    if (set_elements(self, t, a[1]) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *status_Is_cancelled(PyObject *self, PyObject *u)
{
    int flag = 0;
    if (CHKERR(MPI_Test_cancelled(&ST(self), &flag))) return NULL;
    return PyBool_FromLong(flag);
}

static int set_cancelled(PyObject *self, PyObject *value)
{
    int flag;
    if (!value) {
        PyErr_SetString(PyExc_TypeError, "cannot delete the cancelled flag");
        return -1;
    }
    if (pympi_bool(value, 0, &flag) < 0) return -1;
    return CHKERR(MPI_Status_set_cancelled(&ST(self), flag)) ? -1 : 0;
}

static PyObject *status_Set_cancelled(PyObject *self, ARGS)
{
    static const char *const kwlist[] = {"flag", NULL};
    PyObject *a[1];
    if (pympi_parse("Set_cancelled", kwlist, 1, args, nargs, kw, a) < 0 || set_cancelled(self, a[0]) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* ---- Fortran conversion --------------------------------------------------------------------- */
static PyObject *status_py2f(PyObject *self, PyObject *u)
{
    MPI_Fint f[MPI_F_STATUS_SIZE] = {0}; /* untouched when MPI_Status_c2f is missing (pympi.h) */
    if (CHKERR(MPI_Status_c2f(&ST(self), f))) return NULL;
    PyObject *list = PyList_New(MPI_F_STATUS_SIZE);
    if (!list) return NULL;
    for (int i = 0; i < MPI_F_STATUS_SIZE; i++) {
        PyObject *v = PyLong_FromLong((long)f[i]);
        if (!v) { Py_DECREF(list); return NULL; }
        PyList_SET_ITEM(list, i, v);
    }
    return list;
}

static PyObject *status_f2py(PyObject *cls, ARGS)
{
    static const char *const kwlist[] = {"arg", NULL};
    PyObject *a[1];
    int *v = NULL, n = 0;
    MPI_Fint f[MPI_F_STATUS_SIZE];
    if (pympi_parse("f2py", kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    if (pympi_int_array(a[0], &v, &n, "f2py: expected a sequence of integers") < 0) return NULL;
    if (n != MPI_F_STATUS_SIZE) {
        PyMem_Free(v);
        return PyErr_Format(PyExc_ValueError, "f2py: expected %d integers, got %d", MPI_F_STATUS_SIZE, n);
    }
    for (int i = 0; i < n; i++) f[i] = (MPI_Fint)v[i];
    PyMem_Free(v);
    PyMPIStatusObject *self = (PyMPIStatusObject *)((PyTypeObject *)cls)->tp_alloc((PyTypeObject *)cls, 0);
    if (!self) return NULL;
    if (CHKERR(MPI_Status_f2c(f, &self->ob_mpi))) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

/* ---- comparison ------------------------------------------------------------------------------ */
static PyObject *status_richcompare(PyObject *self, PyObject *other, int op)
{
    if (!PyMPIStatus_Check(other)) Py_RETURN_NOTIMPLEMENTED;
    if (op != Py_EQ && op != Py_NE)
        return PyErr_Format(PyExc_TypeError, "unorderable type: '%.200s'", Py_TYPE(self)->tp_name);
    int same = memcmp(&ST(self), &ST(other), sizeof(MPI_Status)) == 0;
    return PyBool_FromLong(op == Py_EQ ? same : !same);
}

static PyMethodDef status_methods[] = {
    {"Get_source", status_Get_source, METH_NOARGS, "Message source."},
    {"Set_source", FASTKW(status_Set_source), "Set the message source."},
    {"Get_tag", status_Get_tag, METH_NOARGS, "Message tag."},
    {"Set_tag", FASTKW(status_Set_tag), "Set the message tag."},
    {"Get_error", status_Get_error, METH_NOARGS, "Message error code."},
    {"Set_error", FASTKW(status_Set_error), "Set the message error code."},
    {"Get_count", FASTKW(status_Get_count), "Number of top-level elements of datatype (default BYTE) received."},
    {"Get_elements", FASTKW(status_Get_elements), "Number of basic elements of datatype received."},
    {"Set_elements", FASTKW(status_Set_elements), "Set the number of elements of datatype."},
    {"Is_cancelled", status_Is_cancelled, METH_NOARGS, "Whether the communication was cancelled."},
    {"Set_cancelled", FASTKW(status_Set_cancelled), "Set the cancelled flag."},
    {"py2f", status_py2f, METH_NOARGS, "The Fortran status: a list of MPI_F_STATUS_SIZE integers."},
    {"f2py", FASTKW(status_f2py) | METH_CLASS, "Status from a Fortran status (list of integers)."},
    {NULL}};

static PyObject *status_count_get(PyObject *self, void *c) { return count_of(self, MPI_BYTE, 0); }
static int status_count_set(PyObject *self, PyObject *v, void *c) { return set_elements(self, MPI_BYTE, v); }
static PyObject *status_cancelled_get(PyObject *self, void *c) { return status_Is_cancelled(self, NULL); }
static int status_cancelled_set(PyObject *self, PyObject *v, void *c) { return set_cancelled(self, v); }

static PyGetSetDef status_getset[] = {
    {"source", status_get_source, status_set_source, "message source", NULL},
    {"tag", status_get_tag, status_set_tag, "message tag", NULL},
    {"error", status_get_error, status_set_error, "message error code", NULL},
    {"count", status_count_get, status_count_set, "byte count", NULL},
    {"cancelled", status_cancelled_get, status_cancelled_set, "cancelled flag", NULL},
    {NULL}};

static void status_dealloc(PyMPIStatusObject *self)
{
    if (self->ob_weakref) PyObject_ClearWeakRefs((PyObject *)self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

PyTypeObject PyMPIStatus_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI.Status",
    .tp_basicsize = sizeof(PyMPIStatusObject),
    .tp_weaklistoffset = offsetof(PyMPIStatusObject, ob_weakref),
    .tp_dealloc = (destructor)status_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_new = status_new,
    .tp_methods = status_methods,
    .tp_getset = status_getset,
    .tp_richcompare = status_richcompare,
    .tp_hash = PyObject_HashNotImplemented,
    .tp_doc = "Status(status=None): source, tag, error, count and cancelled flag of a message."};

int pympi_init_status(PyObject *m)
{
    if (PyType_Ready(&PyMPIStatus_Type) < 0) return -1;
    return PyModule_AddObjectRef(m, "Status", (PyObject *)&PyMPIStatus_Type);
}
