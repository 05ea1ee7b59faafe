/* keyval.c: attribute keyvals with Python copy/delete callbacks (Comm, Datatype, Win). */
#include "pympi.h"

int pympi_init_keyval(PyObject *m)
{
    return 0;
}
