/* info.c: MPI.Info. */
#include "pympi.h"

PYMPI_DEFINE_KIND(Info, MPI_Info, MPI_INFO_NULL, MPI_Info);

#define H(o) (((PyMPIInfoObject *)(o))->ob_mpi)

static void info_dealloc(PyMPIInfoObject *self)
{
    if ((self->flags & PYMPI_OWNED) && self->ob_mpi != MPI_INFO_NULL && pympi_mpi_active())
        MPI_Info_free(&self->ob_mpi);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *info_Free(PyObject *self, PyObject *u)
{
    if (pympi_check_not_const(self, ((PyMPIInfoObject *)self)->flags) < 0) return NULL;
    if (CHKERR(MPI_Info_free(&H(self)))) return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef info_methods[] = {
    {"Free", info_Free, METH_NOARGS, "Free the object."},
    PYMPI_HANDLE_METHODS,
    {NULL}};

PyTypeObject PyMPIInfo_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI.Info",
    .tp_basicsize = sizeof(PyMPIInfoObject),
    .tp_dealloc = (destructor)info_dealloc,
    .tp_methods = info_methods,
    .tp_doc = "Info object."};

static int add_const(PyObject *m, const char *name, MPI_Info h)
{
    return pympi_add(m, name, pympi_handle_new(&PyMPIInfo_Type, &h, PYMPI_CONST));
}

int pympi_init_info(PyObject *m)
{
    pympi_handle_type_init(&PyMPIInfo_Type, &Info_kind);
    if (PyType_Ready(&PyMPIInfo_Type) < 0) return -1;
    Py_INCREF(&PyMPIInfo_Type);
    if (PyModule_AddObject(m, "Info", (PyObject *)&PyMPIInfo_Type) < 0) return -1;
    if (add_const(m, "INFO_NULL", MPI_INFO_NULL) < 0) return -1;
    if (add_const(m, "INFO_ENV", MPI_INFO_ENV) < 0) return -1;
    return 0;
}

PyObject *pympi_info_new(MPI_Info info) { return pympi_handle_new(&PyMPIInfo_Type, &info, PYMPI_OWNED); }

int pympi_as_info(PyObject *obj, MPI_Info dflt, MPI_Info *out)
{
    if (!obj || obj == Py_None) { *out = dflt; return 0; }
    if (!PyMPIInfo_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "expected an Info, got '%.200s'", Py_TYPE(obj)->tp_name);
        return -1;
    }
    *out = H(obj);
    return 0;
}
