/* extension.c: the entry point of the loadable extension mpi4py/MPI.so, for a plain python3.
 * python-mpi registers pympi_module_create() as the built-in mpi4py.MPI instead. */
#include "pympi.h"

PyObject *pympi_module_create(void);

PyMODINIT_FUNC PyInit_MPI(void)
{
    return pympi_module_create();
}
