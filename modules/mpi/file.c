/* file.c: MPI.File. */
#include "pympi.h"

PYMPI_DEFINE_KIND(File, MPI_File, MPI_FILE_NULL, MPI_File);

#define H(o) (((PyMPIFileObject *)(o))->ob_mpi)

static void file_dealloc(PyMPIFileObject *self)
{
    if ((self->flags & PYMPI_OWNED) && self->ob_mpi != MPI_FILE_NULL && pympi_mpi_active())
        MPI_File_close(&self->ob_mpi);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *file_Free(PyObject *self, PyObject *u)
{
    if (pympi_check_not_const(self, ((PyMPIFileObject *)self)->flags) < 0) return NULL;
    if (CHKERR(MPI_File_close(&H(self)))) return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef file_methods[] = {
    {"Free", file_Free, METH_NOARGS, "Free the object."},
    PYMPI_HANDLE_METHODS,
    {NULL}};

PyTypeObject PyMPIFile_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI.File",
    .tp_basicsize = sizeof(PyMPIFileObject),
    .tp_dealloc = (destructor)file_dealloc,
    .tp_methods = file_methods,
    .tp_doc = "File object."};

static int add_const(PyObject *m, const char *name, MPI_File h)
{
    return pympi_add(m, name, pympi_handle_new(&PyMPIFile_Type, &h, PYMPI_CONST));
}

int pympi_init_file(PyObject *m)
{
    pympi_handle_type_init(&PyMPIFile_Type, &File_kind);
    if (PyType_Ready(&PyMPIFile_Type) < 0) return -1;
    Py_INCREF(&PyMPIFile_Type);
    if (PyModule_AddObject(m, "File", (PyObject *)&PyMPIFile_Type) < 0) return -1;
    if (add_const(m, "FILE_NULL", MPI_FILE_NULL) < 0) return -1;
    return 0;
}
