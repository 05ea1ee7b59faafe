/* keyval.c: attribute keyvals with Python copy/delete callbacks (Comm, Datatype, Win). */
#include "pympi.h"

int pympi_init_keyval(PyObject *m)
{
    return 0;
}

/* Attribute methods contributed to Comm, Datatype and Win (Get_attr, Set_attr, Delete_attr,
 * Create_keyval, Free_keyval). Filled in with the keyval implementation. */
PyMethodDef pympi_comm_attr_methods[] = {{NULL}};
PyMethodDef pympi_datatype_attr_methods[] = {{NULL}};
PyMethodDef pympi_win_attr_methods[] = {{NULL}};
