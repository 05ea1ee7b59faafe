/* win.c: MPI.Win. */
#include "pympi.h"

PYMPI_DEFINE_KIND(Win, MPI_Win, MPI_WIN_NULL, MPI_Win);

#define H(o) (((PyMPIWinObject *)(o))->ob_mpi)

static void win_dealloc(PyMPIWinObject *self)
{
    if ((self->flags & PYMPI_OWNED) && self->ob_mpi != MPI_WIN_NULL && pympi_mpi_active())
        MPI_Win_free(&self->ob_mpi);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *win_Free(PyObject *self, PyObject *u)
{
    if (pympi_check_not_const(self, ((PyMPIWinObject *)self)->flags) < 0) return NULL;
    if (CHKERR(MPI_Win_free(&H(self)))) return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef win_methods[] = {
    {"Free", win_Free, METH_NOARGS, "Free the object."},
    PYMPI_HANDLE_METHODS,
    {NULL}};

PyTypeObject PyMPIWin_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI.Win",
    .tp_basicsize = sizeof(PyMPIWinObject),
    .tp_dealloc = (destructor)win_dealloc,
    .tp_methods = win_methods,
    .tp_doc = "Win object."};

static int add_const(PyObject *m, const char *name, MPI_Win h)
{
    return pympi_add(m, name, pympi_handle_new(&PyMPIWin_Type, &h, PYMPI_CONST));
}

int pympi_init_win(PyObject *m)
{
    pympi_handle_type_init(&PyMPIWin_Type, &Win_kind);
    if (PyType_Ready(&PyMPIWin_Type) < 0) return -1;
    Py_INCREF(&PyMPIWin_Type);
    if (PyModule_AddObject(m, "Win", (PyObject *)&PyMPIWin_Type) < 0) return -1;
    if (add_const(m, "WIN_NULL", MPI_WIN_NULL) < 0) return -1;
    return 0;
}
