/* msgvector.c: vector (v) and w buffer specs of the collectives:
 * [data, counts, displs, datatype], [data, (counts, displs), datatype], w specs. */
#include "pympi.h"
