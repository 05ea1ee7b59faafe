/* errhandler.c: MPI.Errhandler: ERRHANDLER_NULL, ERRORS_RETURN, ERRORS_ARE_FATAL, Free.
 * Comm.Get_errhandler/Set_errhandler/Call_errhandler live in comm.c (Win and File have theirs). */
#include "pympi.h"

PYMPI_DEFINE_KIND(Errhandler, MPI_Errhandler, MPI_ERRHANDLER_NULL, MPI_Errhandler);

#define H(o) (((PyMPIErrhandlerObject *)(o))->ob_mpi)

static PyObject *errhandler_Free(PyObject *self, PyObject *u)
{
    PyMPIErrhandlerObject *e = (PyMPIErrhandlerObject *)self;
    MPI_Errhandler tmp;
    if (e->ob_mpi == MPI_ERRHANDLER_NULL) { pympi_raise(MPI_ERR_ARG); return NULL; }
    if (CHKERR(MPI_Errhandler_free(PYMPI_FREE_TARGET(e, tmp)))) return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef errhandler_methods[] = {
    {"Free", errhandler_Free, METH_NOARGS, "Free the object."},
    PYMPI_HANDLE_METHODS,
    {NULL}};

PyTypeObject PyMPIErrhandler_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI.Errhandler",
    .tp_basicsize = sizeof(PyMPIErrhandlerObject),
    .tp_methods = errhandler_methods,
    .tp_doc = "Errhandler object."};

static int add_const(PyObject *m, const char *name, MPI_Errhandler h)
{
    return pympi_add(m, name, pympi_handle_new(&PyMPIErrhandler_Type, &h, PYMPI_CONST));
}

int pympi_init_errhandler(PyObject *m)
{
    pympi_handle_type_init(&PyMPIErrhandler_Type, &Errhandler_kind);
    if (PyType_Ready(&PyMPIErrhandler_Type) < 0) return -1;
    Py_INCREF(&PyMPIErrhandler_Type);
    if (PyModule_AddObject(m, "Errhandler", (PyObject *)&PyMPIErrhandler_Type) < 0) return -1;
    if (add_const(m, "ERRHANDLER_NULL", MPI_ERRHANDLER_NULL) < 0) return -1;
    if (add_const(m, "ERRORS_RETURN", MPI_ERRORS_RETURN) < 0) return -1;
    if (add_const(m, "ERRORS_ARE_FATAL", MPI_ERRORS_ARE_FATAL) < 0) return -1;
    return 0;
}

PyObject *pympi_errhandler_new(MPI_Errhandler eh) { return pympi_handle_new(&PyMPIErrhandler_Type, &eh, PYMPI_OWNED); }

int pympi_as_errhandler(PyObject *obj, MPI_Errhandler *out)
{
    if (!PyObject_TypeCheck(obj, &PyMPIErrhandler_Type)) {
        PyErr_Format(PyExc_TypeError, "expected an Errhandler, got '%.200s'", Py_TYPE(obj)->tp_name);
        return -1;
    }
    *out = H(obj);
    return 0;
}
