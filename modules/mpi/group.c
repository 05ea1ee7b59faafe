/* group.c: MPI.Group. */
#include "pympi.h"

PYMPI_DEFINE_KIND(Group, MPI_Group, MPI_GROUP_NULL, MPI_Group);

#define H(o) (((PyMPIGroupObject *)(o))->ob_mpi)

static void group_dealloc(PyMPIGroupObject *self)
{
    if ((self->flags & PYMPI_OWNED) && self->ob_mpi != MPI_GROUP_NULL && pympi_mpi_active())
        MPI_Group_free(&self->ob_mpi);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *group_Free(PyObject *self, PyObject *u)
{
    if (pympi_check_not_const(self, ((PyMPIGroupObject *)self)->flags) < 0) return NULL;
    if (CHKERR(MPI_Group_free(&H(self)))) return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef group_methods[] = {
    {"Free", group_Free, METH_NOARGS, "Free the object."},
    PYMPI_HANDLE_METHODS,
    {NULL}};

PyTypeObject PyMPIGroup_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI.Group",
    .tp_basicsize = sizeof(PyMPIGroupObject),
    .tp_dealloc = (destructor)group_dealloc,
    .tp_methods = group_methods,
    .tp_doc = "Group object."};

static int add_const(PyObject *m, const char *name, MPI_Group h)
{
    return pympi_add(m, name, pympi_handle_new(&PyMPIGroup_Type, &h, PYMPI_CONST));
}

int pympi_init_group(PyObject *m)
{
    pympi_handle_type_init(&PyMPIGroup_Type, &Group_kind);
    if (PyType_Ready(&PyMPIGroup_Type) < 0) return -1;
    Py_INCREF(&PyMPIGroup_Type);
    if (PyModule_AddObject(m, "Group", (PyObject *)&PyMPIGroup_Type) < 0) return -1;
    if (add_const(m, "GROUP_NULL", MPI_GROUP_NULL) < 0) return -1;
    if (add_const(m, "GROUP_EMPTY", MPI_GROUP_EMPTY) < 0) return -1;
    return 0;
}

PyObject *pympi_group_new(MPI_Group group) { return pympi_handle_new(&PyMPIGroup_Type, &group, PYMPI_OWNED); }

int pympi_as_group(PyObject *obj, MPI_Group *out)
{
    if (!PyMPIGroup_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "expected a Group, got '%.200s'", Py_TYPE(obj)->tp_name);
        return -1;
    }
    *out = H(obj);
    return 0;
}
