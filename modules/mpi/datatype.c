/* datatype.c: MPI.Datatype, the predefined datatypes (datatypes.def), typecodes. */
#include "pympi.h"

PYMPI_DEFINE_KIND(Datatype, MPI_Datatype, MPI_DATATYPE_NULL, MPI_Type);

/* The module constants, in datatypes.def order, so a handle maps back to its constant object. */
static struct { MPI_Datatype handle; const char *name; const char *typechar; PyObject *obj; } predefined[] = {
#define PYMPI_DATATYPE(NAME, handle, typechar) {handle, #NAME, typechar, NULL},
#include "datatypes.def"
#undef PYMPI_DATATYPE
};
#define NPREDEFINED (sizeof(predefined) / sizeof(predefined[0]))

static int is_predefined_handle(MPI_Datatype t)
{
    for (size_t i = 0; i < NPREDEFINED; i++)
        if (predefined[i].handle == t) return 1;
    return 0;
}

PyObject *pympi_datatype_new(MPI_Datatype type, unsigned flags)
{
    return pympi_handle_new(&PyMPIDatatype_Type, &type, flags);
}

PyObject *pympi_datatype_ref(MPI_Datatype type)
{
    for (size_t i = 0; i < NPREDEFINED; i++)
        if (predefined[i].handle == type && predefined[i].obj) {
            Py_INCREF(predefined[i].obj);
            return predefined[i].obj;
        }
    return pympi_datatype_new(type, 0);
}

int pympi_as_datatype(PyObject *obj, MPI_Datatype *out)
{
    if (!PyMPIDatatype_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "expected a Datatype, got '%.200s'", Py_TYPE(obj)->tp_name);
        return -1;
    }
    *out = ((PyMPIDatatypeObject *)obj)->ob_mpi;
    return 0;
}

#define DT(o) (((PyMPIDatatypeObject *)(o))->ob_mpi)

static void datatype_dealloc(PyMPIDatatypeObject *self)
{
    if ((self->flags & PYMPI_OWNED) && self->ob_mpi != MPI_DATATYPE_NULL && pympi_mpi_active() &&
        !is_predefined_handle(self->ob_mpi))
        MPI_Type_free(&self->ob_mpi);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *datatype_Get_size(PyObject *self, PyObject *u)
{
    MPI_Count size = 0;
    if (CHKERR(MPI_Type_size_x(DT(self), &size))) return NULL;
    return PyLong_FromLongLong(size);
}

static PyObject *datatype_Get_extent(PyObject *self, PyObject *u)
{
    MPI_Count lb = 0, extent = 0;
    if (CHKERR(MPI_Type_get_extent_x(DT(self), &lb, &extent))) return NULL;
    return Py_BuildValue("(LL)", (long long)lb, (long long)extent);
}

static PyObject *datatype_Commit(PyObject *self, PyObject *u)
{
    if (CHKERR(MPI_Type_commit(&DT(self)))) return NULL;
    Py_INCREF(self);
    return self;
}

static PyObject *datatype_Free(PyObject *self, PyObject *u)
{
    PyMPIDatatypeObject *d = (PyMPIDatatypeObject *)self;
    if (pympi_check_not_const(self, d->flags) < 0) return NULL;
    if (CHKERR(MPI_Type_free(&d->ob_mpi))) return NULL;
    Py_RETURN_NONE;
}

static PyObject *datatype_Dup(PyObject *self, PyObject *u)
{
    MPI_Datatype t;
    if (CHKERR(MPI_Type_dup(DT(self), &t))) return NULL;
    return pympi_datatype_new(t, PYMPI_OWNED);
}

static PyObject *datatype_Create_contiguous(PyObject *self, PyObject *arg)
{
    int count;
    MPI_Datatype t;
    if (pympi_int(arg, 0, &count) < 0) return NULL;
    if (CHKERR(MPI_Type_contiguous(count, DT(self), &t))) return NULL;
    return pympi_datatype_new(t, PYMPI_OWNED);
}

static PyObject *datatype_size(PyObject *self, void *c) { return datatype_Get_size(self, NULL); }
static PyObject *datatype_extent(PyObject *self, void *c)
{
    MPI_Count lb = 0, extent = 0;
    if (CHKERR(MPI_Type_get_extent_x(DT(self), &lb, &extent))) return NULL;
    return PyLong_FromLongLong(extent);
}

static PyMethodDef datatype_methods[] = {
    {"Get_size", datatype_Get_size, METH_NOARGS, "Size in bytes of the data."},
    {"Get_extent", datatype_Get_extent, METH_NOARGS, "(lower bound, extent)."},
    {"Commit", datatype_Commit, METH_NOARGS, "Commit the datatype for communication."},
    {"Free", datatype_Free, METH_NOARGS, "Free the datatype."},
    {"Dup", datatype_Dup, METH_NOARGS, "Duplicate the datatype."},
    {"Create_contiguous", datatype_Create_contiguous, METH_O, "Contiguous datatype of count copies."},
    PYMPI_HANDLE_METHODS,
    {NULL}};

static PyGetSetDef datatype_getset[] = {
    {"size", datatype_size, NULL, "size in bytes", NULL},
    {"extent", datatype_extent, NULL, "extent in bytes", NULL},
    {NULL}};

PyTypeObject PyMPIDatatype_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI.Datatype",
    .tp_basicsize = sizeof(PyMPIDatatypeObject),
    .tp_dealloc = (destructor)datatype_dealloc,
    .tp_methods = datatype_methods,
    .tp_getset = datatype_getset,
    .tp_doc = "Datatype object: describes the layout of message data."};

int pympi_init_datatype(PyObject *m)
{
    pympi_handle_type_init(&PyMPIDatatype_Type, &Datatype_kind);
    if (PyType_Ready(&PyMPIDatatype_Type) < 0) return -1;
    Py_INCREF(&PyMPIDatatype_Type);
    if (PyModule_AddObject(m, "Datatype", (PyObject *)&PyMPIDatatype_Type) < 0) return -1;
    for (size_t i = 0; i < NPREDEFINED; i++) {
        PyObject *o = pympi_datatype_new(predefined[i].handle, PYMPI_CONST);
        if (!o) return -1;
        predefined[i].obj = o;
        Py_INCREF(o);
        if (PyModule_AddObject(m, predefined[i].name, o) < 0) return -1;
    }
    return 0;
}
