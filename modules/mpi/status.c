/* status.c: MPI.Status. */
#include "pympi.h"

PyObject *pympi_status_new(const MPI_Status *st)
{
    PyMPIStatusObject *self = PyObject_New(PyMPIStatusObject, &PyMPIStatus_Type);
    if (!self) return NULL;
    self->ob_mpi = *st;
    return (PyObject *)self;
}

int pympi_as_status(PyObject *obj, MPI_Status **out)
{
    if (!obj || obj == Py_None) { *out = MPI_STATUS_IGNORE; return 0; }
    if (!PyMPIStatus_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "status: expected Status or None, got '%.200s'", Py_TYPE(obj)->tp_name);
        return -1;
    }
    *out = &((PyMPIStatusObject *)obj)->ob_mpi;
    return 0;
}

static PyObject *status_new(PyTypeObject *tp, PyObject *args, PyObject *kw)
{
    PyObject *other = NULL;
    static char *kwlist[] = {"status", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:Status", kwlist, &other)) return NULL;
    PyMPIStatusObject *self = (PyMPIStatusObject *)tp->tp_alloc(tp, 0);
    if (!self) return NULL;
    self->ob_mpi.MPI_SOURCE = MPI_ANY_SOURCE;
    self->ob_mpi.MPI_TAG = MPI_ANY_TAG;
    self->ob_mpi.MPI_ERROR = MPI_SUCCESS;
    if (other && other != Py_None) {
        if (!PyMPIStatus_Check(other)) {
            Py_DECREF(self);
            PyErr_SetString(PyExc_TypeError, "Status(status): expected a Status");
            return NULL;
        }
        self->ob_mpi = ((PyMPIStatusObject *)other)->ob_mpi;
    }
    return (PyObject *)self;
}

#define ST(o) (((PyMPIStatusObject *)(o))->ob_mpi)
static PyObject *status_Get_source(PyObject *self, PyObject *u) { return PyLong_FromLong(ST(self).MPI_SOURCE); }
static PyObject *status_Get_tag(PyObject *self, PyObject *u) { return PyLong_FromLong(ST(self).MPI_TAG); }
static PyObject *status_Get_error(PyObject *self, PyObject *u) { return PyLong_FromLong(ST(self).MPI_ERROR); }

static PyObject *status_Get_count(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"datatype", NULL};
    PyObject *a[1];
    MPI_Datatype t = MPI_BYTE;
    MPI_Count count = 0;
    if (pympi_parse("Get_count", kwlist, 0, args, nargs, kw, a) < 0) return NULL;
    if (a[0] && pympi_as_datatype(a[0], &t) < 0) return NULL;
    if (CHKERR(MPI_Get_count_c(&ST(self), t, &count))) return NULL;
    return PyLong_FromLongLong(count);
}

static PyMethodDef status_methods[] = {
    {"Get_source", status_Get_source, METH_NOARGS, "Message source."},
    {"Get_tag", status_Get_tag, METH_NOARGS, "Message tag."},
    {"Get_error", status_Get_error, METH_NOARGS, "Message error."},
    {"Get_count", (PyCFunction)(void (*)(void))status_Get_count, METH_FASTCALL | METH_KEYWORDS,
     "Number of top-level elements of a datatype received."},
    {NULL}};

static PyObject *status_source(PyObject *self, void *c) { return status_Get_source(self, NULL); }
static PyObject *status_tag(PyObject *self, void *c) { return status_Get_tag(self, NULL); }
static PyObject *status_error(PyObject *self, void *c) { return status_Get_error(self, NULL); }
static PyObject *status_count(PyObject *self, void *c) { return status_Get_count(self, NULL, 0, NULL); }

static PyGetSetDef status_getset[] = {
    {"source", status_source, NULL, "source", NULL},
    {"tag", status_tag, NULL, "tag", NULL},
    {"error", status_error, NULL, "error", NULL},
    {"count", status_count, NULL, "byte count", NULL},
    {NULL}};

PyTypeObject PyMPIStatus_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI.Status",
    .tp_basicsize = sizeof(PyMPIStatusObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_new = status_new,
    .tp_methods = status_methods,
    .tp_getset = status_getset,
    .tp_hash = PyObject_HashNotImplemented,
    .tp_doc = "Status object: source, tag, error and count of a received message."};

int pympi_init_status(PyObject *m)
{
    if (PyType_Ready(&PyMPIStatus_Type) < 0) return -1;
    Py_INCREF(&PyMPIStatus_Type);
    return PyModule_AddObject(m, "Status", (PyObject *)&PyMPIStatus_Type);
}
