/* coll.c: collective operations on buffers (Bcast ... Exscan, I-variants, Neighbor_*). */
#include "pympi.h"

PyMethodDef pympi_comm_coll_methods[] = {{NULL}};
PyMethodDef pympi_intracomm_coll_methods[] = {{NULL}};
PyMethodDef pympi_topocomm_coll_methods[] = {{NULL}};
