/* topo.c: Intracomm/Intercomm constructors and the topology classes (Cartcomm, Graphcomm,
 * Distgraphcomm, Topocomm neighbourhood properties), Compute_dims. */
#include "pympi.h"

PyMethodDef pympi_intracomm_methods[] = {{NULL}};
PyMethodDef pympi_topocomm_methods[] = {{NULL}};
PyMethodDef pympi_cartcomm_methods[] = {{NULL}};
PyMethodDef pympi_graphcomm_methods[] = {{NULL}};
PyMethodDef pympi_distgraphcomm_methods[] = {{NULL}};
PyMethodDef pympi_intercomm_methods[] = {{NULL}};
PyGetSetDef pympi_topocomm_getset[] = {{NULL}};
PyGetSetDef pympi_cartcomm_getset[] = {{NULL}};
PyGetSetDef pympi_graphcomm_getset[] = {{NULL}};
PyGetSetDef pympi_intercomm_getset[] = {{NULL}};
