/* dynproc.c: dynamic process management: Spawn, ports, names, Join, Get_parent. */
#include "pympi.h"

PyMethodDef pympi_intracomm_dyn_methods[] = {{NULL}};
PyMethodDef pympi_comm_dyn_methods[] = {{NULL}};
PyMethodDef pympi_module_dyn_methods[] = {{NULL}};

int pympi_init_dynproc(PyObject *m)
{
    return PyModule_AddFunctions(m, pympi_module_dyn_methods);
}
