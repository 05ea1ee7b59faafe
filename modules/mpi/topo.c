/* topo.c: Intracomm/Intercomm constructors and the topology classes (Cartcomm, Graphcomm,
 * Distgraphcomm, Topocomm neighbourhood properties), Compute_dims.
 *
 * Bad topology arguments (negative dimensions, mismatched lengths, out-of-range ranks, edges or
 * coordinates) raise ValueError before MPI is called; what only MPI can judge comes back as
 * MPI.Exception. */
#include "pympi.h"

#define COMM(o) (((PyMPICommObject *)(o))->ob_mpi)
#define FASTKW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS

static int notnull(PyObject *self)
{
    if (COMM(self) != MPI_COMM_NULL) return 0;
    return pympi_raise(MPI_ERR_COMM);
}
#define NOTNULL(self) if (notnull(self) < 0) return NULL

/* An owned object of class tp around a new communicator (ERRORS_RETURN set). */
static PyObject *topo_own(PyTypeObject *tp, MPI_Comm comm)
{
    if (comm != MPI_COMM_NULL) MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
    PyObject *o = pympi_comm_new(tp, comm, comm != MPI_COMM_NULL ? PYMPI_OWNED : 0);
    if (!o && comm != MPI_COMM_NULL) MPI_Comm_free(&comm);
    return o;
}

static int comm_size(MPI_Comm comm, int *size) { return CHKERR(MPI_Comm_size(comm, size)) ? -1 : 0; }

/* dims: non-negative ints; periods: None (all false), one bool for every dimension (as mpi4py
 * 3.1) or a sequence of bools of the same length. */
static int dims_periods(PyObject *dobj, PyObject *pobj, int **dims, int **periods, int *ndims)
{
    int np = 0;
    *dims = *periods = NULL;
    if (pympi_int_array(dobj, dims, ndims, "dims must be a sequence of int") < 0) return -1;
    for (int i = 0; i < *ndims; i++)
        if ((*dims)[i] < 0) {
            PyErr_Format(PyExc_ValueError, "dims[%d] = %d: dimensions must be non-negative", i, (*dims)[i]);
            goto fail;
        }
    *periods = PyMem_Calloc((size_t)(*ndims ? *ndims : 1), sizeof(int));
    if (!*periods) { PyErr_NoMemory(); goto fail; }
    if (pobj && PyBool_Check(pobj)) {
        for (int i = 0; i < *ndims; i++) (*periods)[i] = pobj == Py_True;
    } else if (pobj && pobj != Py_None) {
        PyObject *fast = PySequence_Fast(pobj, "periods must be a sequence of bool");
        if (!fast) goto fail;
        np = (int)PySequence_Fast_GET_SIZE(fast);
        if (np != *ndims) {
            Py_DECREF(fast);
            PyErr_Format(PyExc_ValueError, "periods has %d items, dims has %d", np, *ndims);
            goto fail;
        }
        for (int i = 0; i < np; i++) {
            int v = PyObject_IsTrue(PySequence_Fast_GET_ITEM(fast, i));
            if (v < 0) { Py_DECREF(fast); goto fail; }
            (*periods)[i] = v;
        }
        Py_DECREF(fast);
    }
    return 0;
fail:
    PyMem_Free(*dims);
    PyMem_Free(*periods);
    *dims = *periods = NULL;
    return -1;
}

/* The grid must fit in the communicator. */
static int check_grid(MPI_Comm comm, const int *dims, int ndims)
{
    int size;
    long long n = 1;
    if (comm_size(comm, &size) < 0) return -1;
    for (int i = 0; i < ndims; i++) n *= dims[i] ? dims[i] : 1;
    for (int i = 0; i < ndims; i++)
        if (dims[i] == 0) {
            PyErr_Format(PyExc_ValueError, "dims[%d] = 0: Create_cart needs positive dimensions (use Compute_dims)", i);
            return -1;
        }
    if (n > size) {
        PyErr_Format(PyExc_ValueError, "a grid of %lld processes does not fit a communicator of %d", n, size);
        return -1;
    }
    return 0;
}

/* ---- Intracomm: topology constructors ------------------------------------- */
static PyObject *intra_Create_cart(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"dims", "periods", "reorder", NULL};
    PyObject *a[3];
    int *dims, *periods, ndims, reorder, ierr;
    MPI_Comm c = MPI_COMM_NULL;
    if (pympi_parse("Create_cart", kwlist, 1, args, nargs, kw, a) < 0 || pympi_bool(a[2], 0, &reorder) < 0) return NULL;
    NOTNULL(self);
    if (dims_periods(a[0], a[1], &dims, &periods, &ndims) < 0) return NULL;
    if (check_grid(COMM(self), dims, ndims) < 0) ierr = -1;
    else PYMPI_NOGIL(ierr = MPI_Cart_create(COMM(self), ndims, dims, periods, reorder, &c));
    PyMem_Free(dims);
    PyMem_Free(periods);
    if (ierr == -1 || CHKERR(ierr)) return NULL;
    return topo_own(&PyMPICartcomm_Type, c);
}

static PyObject *intra_Cart_map(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"dims", "periods", NULL};
    PyObject *a[2];
    int *dims, *periods, ndims, rank = MPI_UNDEFINED, ierr;
    if (pympi_parse("Cart_map", kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    NOTNULL(self);
    if (dims_periods(a[0], a[1], &dims, &periods, &ndims) < 0) return NULL;
    if (check_grid(COMM(self), dims, ndims) < 0) ierr = -1;
    else ierr = MPI_Cart_map(COMM(self), ndims, dims, periods, &rank);
    PyMem_Free(dims);
    PyMem_Free(periods);
    if (ierr == -1 || CHKERR(ierr)) return NULL;
    return PyLong_FromLong(rank);
}

/* index (cumulative degrees) and edges of a graph of len(index) nodes, checked. As in mpi4py
 * 3.1, the index may also be the "standard" adjacency index with a leading 0
 * ([0, d0, d0+d1, ..., nedges]): the 0 is then dropped (*index points past it; *base is what
 * to PyMem_Free). */
static int graph_args(MPI_Comm comm, PyObject *iobj, PyObject *eobj, int **base, int **index, int **edges,
                      int *nnodes, int *nedges)
{
    int size;
    *base = *index = *edges = NULL;
    if (comm_size(comm, &size) < 0) return -1;
    if (pympi_int_array(iobj, base, nnodes, "index must be a sequence of int") < 0) return -1;
    if (pympi_int_array(eobj, edges, nedges, "edges must be a sequence of int") < 0) goto fail;
    *index = *base;
    if (*nnodes > 1 && (*index)[0] == 0 && (*index)[*nnodes - 1] == *nedges) {
        (*index)++;
        (*nnodes)--;
    }
    if (*nnodes > size) {
        PyErr_Format(PyExc_ValueError, "a graph of %d nodes does not fit a communicator of %d", *nnodes, size);
        goto fail;
    }
    for (int i = 0; i < *nnodes; i++)
        if ((*index)[i] < 0 || (i > 0 && (*index)[i] < (*index)[i - 1])) {
            PyErr_SetString(PyExc_ValueError, "index must be non-decreasing non-negative cumulative degrees");
            goto fail;
        }
    if (*nnodes > 0 && (*index)[*nnodes - 1] != *nedges) {
        PyErr_Format(PyExc_ValueError, "index[-1] = %d but there are %d edges", (*index)[*nnodes - 1], *nedges);
        goto fail;
    }
    for (int i = 0; i < *nedges; i++)
        if ((*edges)[i] < 0 || (*edges)[i] >= *nnodes) {
            PyErr_Format(PyExc_ValueError, "edges[%d] = %d is not a node of a graph of %d nodes", i, (*edges)[i], *nnodes);
            goto fail;
        }
    return 0;
fail:
    PyMem_Free(*base);
    PyMem_Free(*edges);
    *base = *index = *edges = NULL;
    return -1;
}

static PyObject *intra_Create_graph(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"index", "edges", "reorder", NULL};
    PyObject *a[3];
    int *base, *index, *edges, nnodes, nedges, reorder, ierr;
    MPI_Comm c = MPI_COMM_NULL;
    if (pympi_parse("Create_graph", kwlist, 2, args, nargs, kw, a) < 0 || pympi_bool(a[2], 0, &reorder) < 0) return NULL;
    NOTNULL(self);
    if (graph_args(COMM(self), a[0], a[1], &base, &index, &edges, &nnodes, &nedges) < 0) return NULL;
    PYMPI_NOGIL(ierr = MPI_Graph_create(COMM(self), nnodes, index, edges, reorder, &c));
    PyMem_Free(base);
    PyMem_Free(edges);
    if (CHKERR(ierr)) return NULL;
    return topo_own(&PyMPIGraphcomm_Type, c);
}

static PyObject *intra_Graph_map(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"index", "edges", NULL};
    PyObject *a[2];
    int *base, *index, *edges, nnodes, nedges, rank = MPI_UNDEFINED, ierr;
    if (pympi_parse("Graph_map", kwlist, 2, args, nargs, kw, a) < 0) return NULL;
    NOTNULL(self);
    if (graph_args(COMM(self), a[0], a[1], &base, &index, &edges, &nnodes, &nedges) < 0) return NULL;
    ierr = MPI_Graph_map(COMM(self), nnodes, index, edges, &rank);
    PyMem_Free(base);
    PyMem_Free(edges);
    if (CHKERR(ierr)) return NULL;
    return PyLong_FromLong(rank);
}

/* weights: None or UNWEIGHTED -> MPI_UNWEIGHTED, WEIGHTS_EMPTY -> MPI_WEIGHTS_EMPTY, else a
 * sequence of n ints. *buf is what to PyMem_Free. */
static int weights_arg(PyObject *obj, int n, const char *what, int **w, int **buf)
{
    *buf = NULL;
    if (!obj || obj == Py_None) { *w = MPI_UNWEIGHTED; return 0; }
    if (PyLong_Check(obj)) {
        long long v = PyLong_AsLongLong(obj);
        if (v == -1 && PyErr_Occurred()) return -1;
        if (v == (long long)(intptr_t)MPI_UNWEIGHTED) { *w = MPI_UNWEIGHTED; return 0; }
        if (v == (long long)(intptr_t)MPI_WEIGHTS_EMPTY) { *w = MPI_WEIGHTS_EMPTY; return 0; }
        PyErr_Format(PyExc_ValueError, "%s: expected a sequence, None, UNWEIGHTED or WEIGHTS_EMPTY", what);
        return -1;
    }
    int len;
    if (pympi_int_array(obj, buf, &len, what) < 0) return -1;
    if (len != n) {
        PyErr_Format(PyExc_ValueError, "%s has %d items, expected %d", what, len, n);
        PyMem_Free(*buf);
        *buf = NULL;
        return -1;
    }
    for (int i = 0; i < len; i++)
        if ((*buf)[i] < 0) {
            PyErr_Format(PyExc_ValueError, "%s[%d] = %d: weights must be non-negative", what, i, (*buf)[i]);
            PyMem_Free(*buf);
            *buf = NULL;
            return -1;
        }
    *w = *buf;
    return 0;
}

static int check_ranks(const int *r, int n, int size, const char *what)
{
    for (int i = 0; i < n; i++)
        if (r[i] < 0 || r[i] >= size) {
            PyErr_Format(PyExc_ValueError, "%s[%d] = %d is not a rank of a communicator of %d", what, i, r[i], size);
            return -1;
        }
    return 0;
}

/* Ranks (sources or destinations of a dist graph) in [0, size); None means none, as in mpi4py
 * 3.1. *r is PyMem_Malloc'ed. */
static int ranks_arg(PyObject *obj, int size, const char *what, int **r, int *n)
{
    if (obj == Py_None) {
        *n = 0;
        *r = PyMem_Malloc(sizeof(int));
        if (!*r) PyErr_NoMemory();
        return *r ? 0 : -1;
    }
    if (pympi_int_array(obj, r, n, "sources and destinations must be sequences of int (or None)") < 0) return -1;
    return check_ranks(*r, *n, size, what);
}

static PyObject *intra_Create_dist_graph_adjacent(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"sources", "destinations", "sourceweights", "destweights", "info", "reorder", NULL};
    PyObject *a[6], *res = NULL;
    int *src = NULL, *dst = NULL, *sw, *dw, *swbuf = NULL, *dwbuf = NULL, nsrc = 0, ndst = 0, reorder, size, ierr;
    MPI_Info info;
    MPI_Comm c = MPI_COMM_NULL;
    if (pympi_parse("Create_dist_graph_adjacent", kwlist, 2, args, nargs, kw, a) < 0 ||
        pympi_as_info(a[4], MPI_INFO_NULL, &info) < 0 || pympi_bool(a[5], 0, &reorder) < 0)
        return NULL;
    NOTNULL(self);
    if (comm_size(COMM(self), &size) < 0) return NULL;
    if (ranks_arg(a[0], size, "sources", &src, &nsrc) < 0 || ranks_arg(a[1], size, "destinations", &dst, &ndst) < 0)
        goto done;
    if (weights_arg(a[2], nsrc, "sourceweights", &sw, &swbuf) < 0) goto done;
    if (weights_arg(a[3], ndst, "destweights", &dw, &dwbuf) < 0) goto done;
    if ((sw == MPI_UNWEIGHTED) != (dw == MPI_UNWEIGHTED)) {
        PyErr_SetString(PyExc_ValueError, "sourceweights and destweights must be both given or both omitted");
        goto done;
    }
    PYMPI_NOGIL(ierr = MPI_Dist_graph_create_adjacent(COMM(self), nsrc, src, sw, ndst, dst, dw, info, reorder, &c));
    if (CHKERR(ierr)) goto done;
    res = topo_own(&PyMPIDistgraphcomm_Type, c);
done:
    PyMem_Free(src);
    PyMem_Free(dst);
    PyMem_Free(swbuf);
    PyMem_Free(dwbuf);
    return res;
}

static PyObject *intra_Create_dist_graph(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"sources", "degrees", "destinations", "weights", "info", "reorder", NULL};
    PyObject *a[6], *res = NULL;
    int *src = NULL, *deg = NULL, *dst = NULL, *w, *wbuf = NULL, nsrc = 0, ndeg = 0, ndst = 0, reorder, size, ierr;
    MPI_Info info;
    MPI_Comm c = MPI_COMM_NULL;
    if (pympi_parse("Create_dist_graph", kwlist, 3, args, nargs, kw, a) < 0 ||
        pympi_as_info(a[4], MPI_INFO_NULL, &info) < 0 || pympi_bool(a[5], 0, &reorder) < 0)
        return NULL;
    NOTNULL(self);
    if (comm_size(COMM(self), &size) < 0) return NULL;
    if (pympi_int_array(a[0], &src, &nsrc, "sources must be a sequence of int") < 0) goto done;
    if (pympi_int_array(a[1], &deg, &ndeg, "degrees must be a sequence of int") < 0) goto done;
    if (pympi_int_array(a[2], &dst, &ndst, "destinations must be a sequence of int") < 0) goto done;
    if (ndeg != nsrc) {
        PyErr_Format(PyExc_ValueError, "degrees has %d items, sources has %d", ndeg, nsrc);
        goto done;
    }
    long long total = 0;
    for (int i = 0; i < ndeg; i++) {
        if (deg[i] < 0) {
            PyErr_Format(PyExc_ValueError, "degrees[%d] = %d: degrees must be non-negative", i, deg[i]);
            goto done;
        }
        total += deg[i];
    }
    if (total != ndst) {
        PyErr_Format(PyExc_ValueError, "degrees add up to %lld but there are %d destinations", total, ndst);
        goto done;
    }
    if (check_ranks(src, nsrc, size, "sources") < 0 || check_ranks(dst, ndst, size, "destinations") < 0) goto done;
    if (weights_arg(a[3], ndst, "weights", &w, &wbuf) < 0) goto done;
    PYMPI_NOGIL(ierr = MPI_Dist_graph_create(COMM(self), nsrc, src, deg, dst, w, info, reorder, &c));
    if (CHKERR(ierr)) goto done;
    res = topo_own(&PyMPIDistgraphcomm_Type, c);
done:
    PyMem_Free(src);
    PyMem_Free(deg);
    PyMem_Free(dst);
    PyMem_Free(wbuf);
    return res;
}

static PyObject *intra_Create_intercomm(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"local_leader", "peer_comm", "remote_leader", "tag", NULL};
    PyObject *a[4];
    int lleader, rleader, tag, size, ierr;
    MPI_Comm peer, c = MPI_COMM_NULL;
    if (pympi_parse("Create_intercomm", kwlist, 3, args, nargs, kw, a) < 0 || pympi_int(a[0], 0, &lleader) < 0 ||
        pympi_as_comm(a[1], &peer) < 0 || pympi_int(a[2], 0, &rleader) < 0 || pympi_int(a[3], 0, &tag) < 0)
        return NULL;
    NOTNULL(self);
    if (comm_size(COMM(self), &size) < 0) return NULL;
    if (lleader < 0 || lleader >= size) {
        PyErr_Format(PyExc_ValueError, "local_leader %d is not a rank of a communicator of %d", lleader, size);
        return NULL;
    }
    if (tag < 0) {
        PyErr_Format(PyExc_ValueError, "tag must be non-negative, got %d", tag);
        return NULL;
    }
    PYMPI_NOGIL(ierr = MPI_Intercomm_create(COMM(self), lleader, peer, rleader, tag, &c));
    if (CHKERR(ierr)) return NULL;
    return topo_own(&PyMPIIntercomm_Type, c);
}

PyMethodDef pympi_intracomm_methods[] = {
    {"Create_cart", FASTKW(intra_Create_cart), "Create_cart(dims, periods=None, reorder=False): Cartesian topology."},
    {"Cart_map", FASTKW(intra_Cart_map), "Cart_map(dims, periods=None): rank of this process in an optimal grid."},
    {"Create_graph", FASTKW(intra_Create_graph), "Create_graph(index, edges, reorder=False): graph topology."},
    {"Graph_map", FASTKW(intra_Graph_map), "Graph_map(index, edges): rank of this process in an optimal graph."},
    {"Create_dist_graph", FASTKW(intra_Create_dist_graph),
     "Create_dist_graph(sources, degrees, destinations, weights=None, info=INFO_NULL, reorder=False)."},
    {"Create_dist_graph_adjacent", FASTKW(intra_Create_dist_graph_adjacent),
     "Create_dist_graph_adjacent(sources, destinations, sourceweights=None, destweights=None, info=INFO_NULL, reorder=False)."},
    {"Create_intercomm", FASTKW(intra_Create_intercomm),
     "Create_intercomm(local_leader, peer_comm, remote_leader, tag=0): intercommunicator between two groups."},
    {NULL}};

/* ---- Topocomm: neighbourhood ------------------------------------------------ */
static int topo_kind(PyObject *self, int *topo)
{
    if (notnull(self) < 0) return -1;
    if (CHKERR(MPI_Topo_test(COMM(self), topo))) return -1;
    if (*topo == MPI_UNDEFINED) {
        PyErr_SetString(PyExc_TypeError, "not a topology communicator");
        return -1;
    }
    return 0;
}

static PyObject *cart_neighbors(MPI_Comm comm)
{
    int ndims = 0;
    if (CHKERR(MPI_Cartdim_get(comm, &ndims))) return NULL;
    int *v = PyMem_Malloc(sizeof(int) * (size_t)(2 * ndims + 1));
    if (!v) return PyErr_NoMemory();
    for (int d = 0; d < ndims; d++)
        if (CHKERR(MPI_Cart_shift(comm, d, 1, &v[2 * d], &v[2 * d + 1]))) { PyMem_Free(v); return NULL; }
    PyObject *l = pympi_int_list(v, 2 * ndims);
    PyMem_Free(v);
    return l;
}

static PyObject *graph_neighbors(MPI_Comm comm, int rank)
{
    int n = 0;
    if (CHKERR(MPI_Graph_neighbors_count(comm, rank, &n))) return NULL;
    int *v = PyMem_Malloc(sizeof(int) * (size_t)(n + 1));
    if (!v) return PyErr_NoMemory();
    if (CHKERR(MPI_Graph_neighbors(comm, rank, n, v))) { PyMem_Free(v); return NULL; }
    PyObject *l = pympi_int_list(v, n);
    PyMem_Free(v);
    return l;
}

/* (inedges, outedges) and, for a weighted distributed graph, (inweights, outweights). */
static int dist_neighbors(MPI_Comm comm, PyObject **in, PyObject **out, PyObject **weights)
{
    int indeg = 0, outdeg = 0, weighted = 0;
    *in = *out = NULL;
    if (weights) *weights = NULL;
    if (CHKERR(MPI_Dist_graph_neighbors_count(comm, &indeg, &outdeg, &weighted))) return -1;
    int *s = PyMem_Malloc(sizeof(int) * (size_t)(indeg + 1)), *sw = PyMem_Malloc(sizeof(int) * (size_t)(indeg + 1));
    int *d = PyMem_Malloc(sizeof(int) * (size_t)(outdeg + 1)), *dw = PyMem_Malloc(sizeof(int) * (size_t)(outdeg + 1));
    int rc = -1;
    if (!s || !sw || !d || !dw) { PyErr_NoMemory(); goto done; }
    if (CHKERR(MPI_Dist_graph_neighbors(comm, indeg, s, weighted ? sw : MPI_UNWEIGHTED, outdeg, d,
                                        weighted ? dw : MPI_UNWEIGHTED)))
        goto done;
    *in = pympi_int_list(s, indeg);
    *out = pympi_int_list(d, outdeg);
    if (!*in || !*out) goto done;
    if (weights) {
        if (weighted) *weights = Py_BuildValue("(NN)", pympi_int_list(sw, indeg), pympi_int_list(dw, outdeg));
        else { Py_INCREF(Py_None); *weights = Py_None; }
        if (!*weights) goto done;
    }
    rc = 0;
done:
    PyMem_Free(s);
    PyMem_Free(sw);
    PyMem_Free(d);
    PyMem_Free(dw);
    if (rc < 0) { Py_CLEAR(*in); Py_CLEAR(*out); }
    return rc;
}

/* which: 0 in, 1 out, 2 both */
static PyObject *topo_edges(PyObject *self, int which)
{
    int topo, rank;
    PyObject *in = NULL, *out = NULL;
    if (topo_kind(self, &topo) < 0) return NULL;
    if (topo == MPI_CART) {
        if (!(in = cart_neighbors(COMM(self)))) return NULL;
        out = PySequence_List(in);
    } else if (topo == MPI_GRAPH) {
        if (CHKERR(MPI_Comm_rank(COMM(self), &rank)) || !(in = graph_neighbors(COMM(self), rank))) return NULL;
        out = PySequence_List(in);
    } else if (dist_neighbors(COMM(self), &in, &out, NULL) < 0) return NULL;
    if (!out) { Py_DECREF(in); return NULL; }
    if (which == 0) { Py_DECREF(out); return in; }
    if (which == 1) { Py_DECREF(in); return out; }
    return Py_BuildValue("(NN)", in, out);
}

static PyObject *topo_degrees_(PyObject *self, int which)
{
    int topo, in = 0, out = 0, weighted, rank;
    if (topo_kind(self, &topo) < 0) return NULL;
    if (topo == MPI_CART) {
        if (CHKERR(MPI_Cartdim_get(COMM(self), &in))) return NULL;
        out = in = 2 * in;
    } else if (topo == MPI_GRAPH) {
        if (CHKERR(MPI_Comm_rank(COMM(self), &rank)) || CHKERR(MPI_Graph_neighbors_count(COMM(self), rank, &in)))
            return NULL;
        out = in;
    } else if (CHKERR(MPI_Dist_graph_neighbors_count(COMM(self), &in, &out, &weighted))) return NULL;
    if (which == 0) return PyLong_FromLong(in);
    if (which == 1) return PyLong_FromLong(out);
    return Py_BuildValue("(ii)", in, out);
}

static PyObject *topo_degrees(PyObject *self, void *c) { return topo_degrees_(self, 2); }
static PyObject *topo_indegree(PyObject *self, void *c) { return topo_degrees_(self, 0); }
static PyObject *topo_outdegree(PyObject *self, void *c) { return topo_degrees_(self, 1); }
static PyObject *topo_inoutedges(PyObject *self, void *c) { return topo_edges(self, 2); }
static PyObject *topo_inedges(PyObject *self, void *c) { return topo_edges(self, 0); }
static PyObject *topo_outedges(PyObject *self, void *c) { return topo_edges(self, 1); }

PyMethodDef pympi_topocomm_methods[] = {{NULL}};
PyGetSetDef pympi_topocomm_getset[] = {
    {"degrees", topo_degrees, NULL, "(indegree, outdegree)", NULL},
    {"indegree", topo_indegree, NULL, "number of in-neighbors", NULL},
    {"outdegree", topo_outdegree, NULL, "number of out-neighbors", NULL},
    {"inoutedges", topo_inoutedges, NULL, "(inedges, outedges)", NULL},
    {"inedges", topo_inedges, NULL, "in-neighbors", NULL},
    {"outedges", topo_outedges, NULL, "out-neighbors", NULL},
    {NULL}};

/* ---- Cartcomm --------------------------------------------------------------- */
static int cart_ndims(PyObject *self, int *ndims)
{
    if (notnull(self) < 0) return -1;
    return CHKERR(MPI_Cartdim_get(COMM(self), ndims)) ? -1 : 0;
}

static PyObject *cart_Get_dim(PyObject *self, PyObject *u)
{
    int ndims;
    if (cart_ndims(self, &ndims) < 0) return NULL;
    return PyLong_FromLong(ndims);
}

/* which: 0 dims, 1 periods, 2 coords, 3 all three */
static PyObject *cart_topo_(PyObject *self, int which)
{
    int ndims;
    if (cart_ndims(self, &ndims) < 0) return NULL;
    size_t n = (size_t)(ndims ? ndims : 1);
    int *dims = PyMem_Malloc(sizeof(int) * n), *periods = PyMem_Malloc(sizeof(int) * n),
        *coords = PyMem_Malloc(sizeof(int) * n);
    PyObject *res = NULL, *d = NULL, *p = NULL, *c = NULL;
    if (!dims || !periods || !coords) { PyErr_NoMemory(); goto done; }
    if (CHKERR(MPI_Cart_get(COMM(self), ndims, dims, periods, coords))) goto done;
    d = pympi_int_list(dims, ndims);
    c = pympi_int_list(coords, ndims);
    p = PyList_New(ndims);
    if (!d || !c || !p) goto done;
    for (int i = 0; i < ndims; i++) PyList_SET_ITEM(p, i, PyBool_FromLong(periods[i]));
    if (which == 0) res = (Py_INCREF(d), d);
    else if (which == 1) res = (Py_INCREF(p), p);
    else if (which == 2) res = (Py_INCREF(c), c);
    else res = PyTuple_Pack(3, d, p, c);
done:
    Py_XDECREF(d);
    Py_XDECREF(p);
    Py_XDECREF(c);
    PyMem_Free(dims);
    PyMem_Free(periods);
    PyMem_Free(coords);
    return res;
}

static PyObject *cart_Get_topo(PyObject *self, PyObject *u) { return cart_topo_(self, 3); }

static PyObject *cart_Get_cart_rank(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"coords", NULL};
    PyObject *a[1];
    int ndims, n, *coords, rank = MPI_UNDEFINED;
    if (pympi_parse("Get_cart_rank", kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    if (cart_ndims(self, &ndims) < 0) return NULL;
    if (pympi_int_array(a[0], &coords, &n, "coords must be a sequence of int") < 0) return NULL;
    if (n != ndims) {
        PyErr_Format(PyExc_ValueError, "coords has %d items, the grid has %d dimensions", n, ndims);
        PyMem_Free(coords);
        return NULL;
    }
    PyObject *t = cart_topo_(self, 3);
    if (!t) { PyMem_Free(coords); return NULL; }
    for (int i = 0; i < n; i++) {
        int dim = (int)PyLong_AsLong(PyList_GET_ITEM(PyTuple_GET_ITEM(t, 0), i));
        int per = PyList_GET_ITEM(PyTuple_GET_ITEM(t, 1), i) == Py_True;
        if (!per && (coords[i] < 0 || coords[i] >= dim)) {
            PyErr_Format(PyExc_ValueError, "coords[%d] = %d is outside the non-periodic dimension of size %d", i, coords[i], dim);
            Py_DECREF(t);
            PyMem_Free(coords);
            return NULL;
        }
    }
    Py_DECREF(t);
    int ierr = MPI_Cart_rank(COMM(self), coords, &rank);
    PyMem_Free(coords);
    if (CHKERR(ierr)) return NULL;
    return PyLong_FromLong(rank);
}

static PyObject *cart_Get_coords(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"rank", NULL};
    PyObject *a[1];
    int ndims, rank, size;
    if (pympi_parse("Get_coords", kwlist, 1, args, nargs, kw, a) < 0 || pympi_int(a[0], 0, &rank) < 0) return NULL;
    if (cart_ndims(self, &ndims) < 0 || comm_size(COMM(self), &size) < 0) return NULL;
    if (rank < 0 || rank >= size)
        return PyErr_Format(PyExc_ValueError, "rank %d is not a rank of a communicator of %d", rank, size);
    int *coords = PyMem_Malloc(sizeof(int) * (size_t)(ndims ? ndims : 1));
    if (!coords) return PyErr_NoMemory();
    if (CHKERR(MPI_Cart_coords(COMM(self), rank, ndims, coords))) { PyMem_Free(coords); return NULL; }
    PyObject *l = pympi_int_list(coords, ndims);
    PyMem_Free(coords);
    return l;
}

static PyObject *cart_Shift(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"direction", "disp", NULL};
    PyObject *a[2];
    int ndims, direction, disp, source = MPI_PROC_NULL, dest = MPI_PROC_NULL;
    if (pympi_parse("Shift", kwlist, 2, args, nargs, kw, a) < 0 || pympi_int(a[0], 0, &direction) < 0 ||
        pympi_int(a[1], 0, &disp) < 0)
        return NULL;
    if (cart_ndims(self, &ndims) < 0) return NULL;
    if (direction < 0 || direction >= ndims)
        return PyErr_Format(PyExc_ValueError, "direction %d is not a dimension of a %d-dimensional grid", direction, ndims);
    if (CHKERR(MPI_Cart_shift(COMM(self), direction, disp, &source, &dest))) return NULL;
    return Py_BuildValue("(ii)", source, dest);
}

static PyObject *cart_Sub(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"remain_dims", NULL};
    PyObject *a[1];
    int ndims, ierr;
    MPI_Comm c = MPI_COMM_NULL;
    if (pympi_parse("Sub", kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    if (cart_ndims(self, &ndims) < 0) return NULL;
    PyObject *fast = PySequence_Fast(a[0], "remain_dims must be a sequence of bool");
    if (!fast) return NULL;
    if (PySequence_Fast_GET_SIZE(fast) != ndims) {
        PyErr_Format(PyExc_ValueError, "remain_dims has %zd items, the grid has %d dimensions",
                     PySequence_Fast_GET_SIZE(fast), ndims);
        Py_DECREF(fast);
        return NULL;
    }
    int *remain = PyMem_Malloc(sizeof(int) * (size_t)(ndims ? ndims : 1));
    if (!remain) { Py_DECREF(fast); return PyErr_NoMemory(); }
    for (int i = 0; i < ndims; i++) {
        int v = PyObject_IsTrue(PySequence_Fast_GET_ITEM(fast, i));
        if (v < 0) { Py_DECREF(fast); PyMem_Free(remain); return NULL; }
        remain[i] = v;
    }
    Py_DECREF(fast);
    PYMPI_NOGIL(ierr = MPI_Cart_sub(COMM(self), remain, &c));
    PyMem_Free(remain);
    if (CHKERR(ierr)) return NULL;
    return topo_own(&PyMPICartcomm_Type, c);
}

PyMethodDef pympi_cartcomm_methods[] = {
    {"Get_dim", cart_Get_dim, METH_NOARGS, "Number of dimensions."},
    {"Get_topo", cart_Get_topo, METH_NOARGS, "(dims, periods, coords)."},
    {"Get_cart_rank", FASTKW(cart_Get_cart_rank), "Get_cart_rank(coords): rank of the process at coords."},
    {"Get_coords", FASTKW(cart_Get_coords), "Get_coords(rank): coordinates of a rank."},
    {"Shift", FASTKW(cart_Shift), "Shift(direction, disp): (source, dest) ranks of a shift."},
    {"Sub", FASTKW(cart_Sub), "Sub(remain_dims): Cartesian subgrids keeping the dimensions marked true."},
    {NULL}};

static PyObject *cart_dim(PyObject *self, void *c) { return cart_Get_dim(self, NULL); }
static PyObject *cart_topo(PyObject *self, void *c) { return cart_topo_(self, 3); }
static PyObject *cart_dims(PyObject *self, void *c) { return cart_topo_(self, 0); }
static PyObject *cart_periods(PyObject *self, void *c) { return cart_topo_(self, 1); }
static PyObject *cart_coords(PyObject *self, void *c) { return cart_topo_(self, 2); }

PyGetSetDef pympi_cartcomm_getset[] = {
    {"dim", cart_dim, NULL, "number of dimensions", NULL},
    {"ndim", cart_dim, NULL, "number of dimensions", NULL},
    {"topo", cart_topo, NULL, "(dims, periods, coords)", NULL},
    {"dims", cart_dims, NULL, "dimensions", NULL},
    {"periods", cart_periods, NULL, "periodicity", NULL},
    {"coords", cart_coords, NULL, "coordinates of this process", NULL},
    {NULL}};

/* ---- Graphcomm ---------------------------------------------------------------- */
static int graph_dims(PyObject *self, int *nnodes, int *nedges)
{
    if (notnull(self) < 0) return -1;
    return CHKERR(MPI_Graphdims_get(COMM(self), nnodes, nedges)) ? -1 : 0;
}

static PyObject *graph_Get_dims(PyObject *self, PyObject *u)
{
    int nnodes, nedges;
    if (graph_dims(self, &nnodes, &nedges) < 0) return NULL;
    return Py_BuildValue("(ii)", nnodes, nedges);
}

/* which: 0 index, 1 edges, 2 both */
static PyObject *graph_topo_(PyObject *self, int which)
{
    int nnodes, nedges;
    if (graph_dims(self, &nnodes, &nedges) < 0) return NULL;
    int *index = PyMem_Malloc(sizeof(int) * (size_t)(nnodes + 1)), *edges = PyMem_Malloc(sizeof(int) * (size_t)(nedges + 1));
    PyObject *res = NULL;
    if (!index || !edges) { PyErr_NoMemory(); goto done; }
    if (CHKERR(MPI_Graph_get(COMM(self), nnodes, nedges, index, edges))) goto done;
    if (which == 0) res = pympi_int_list(index, nnodes);
    else if (which == 1) res = pympi_int_list(edges, nedges);
    else res = Py_BuildValue("(NN)", pympi_int_list(index, nnodes), pympi_int_list(edges, nedges));
done:
    PyMem_Free(index);
    PyMem_Free(edges);
    return res;
}

static PyObject *graph_Get_topo(PyObject *self, PyObject *u) { return graph_topo_(self, 2); }

static int graph_rank_arg(PyObject *self, PyObject *obj, int *rank)
{
    int nnodes, nedges;
    if (pympi_int(obj, 0, rank) < 0 || graph_dims(self, &nnodes, &nedges) < 0) return -1;
    if (*rank < 0 || *rank >= nnodes) {
        PyErr_Format(PyExc_ValueError, "rank %d is not a node of a graph of %d nodes", *rank, nnodes);
        return -1;
    }
    return 0;
}

static PyObject *graph_Get_neighbors(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"rank", NULL};
    PyObject *a[1];
    int rank;
    if (pympi_parse("Get_neighbors", kwlist, 1, args, nargs, kw, a) < 0 || graph_rank_arg(self, a[0], &rank) < 0)
        return NULL;
    return graph_neighbors(COMM(self), rank);
}

static PyObject *graph_Get_neighbors_count(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"rank", NULL};
    PyObject *a[1];
    int rank, n = 0;
    if (pympi_parse("Get_neighbors_count", kwlist, 1, args, nargs, kw, a) < 0 || graph_rank_arg(self, a[0], &rank) < 0)
        return NULL;
    if (CHKERR(MPI_Graph_neighbors_count(COMM(self), rank, &n))) return NULL;
    return PyLong_FromLong(n);
}

PyMethodDef pympi_graphcomm_methods[] = {
    {"Get_dims", graph_Get_dims, METH_NOARGS, "(nnodes, nedges)."},
    {"Get_topo", graph_Get_topo, METH_NOARGS, "(index, edges)."},
    {"Get_neighbors", FASTKW(graph_Get_neighbors), "Get_neighbors(rank): neighbors of a node."},
    {"Get_neighbors_count", FASTKW(graph_Get_neighbors_count), "Get_neighbors_count(rank): number of neighbors of a node."},
    {NULL}};

static PyObject *graph_dims_get(PyObject *self, void *c) { return graph_Get_dims(self, NULL); }
static PyObject *graph_nnodes(PyObject *self, void *c)
{
    int nnodes, nedges;
    if (graph_dims(self, &nnodes, &nedges) < 0) return NULL;
    return PyLong_FromLong(nnodes);
}
static PyObject *graph_nedges(PyObject *self, void *c)
{
    int nnodes, nedges;
    if (graph_dims(self, &nnodes, &nedges) < 0) return NULL;
    return PyLong_FromLong(nedges);
}
static PyObject *graph_index(PyObject *self, void *c) { return graph_topo_(self, 0); }
static PyObject *graph_edges(PyObject *self, void *c) { return graph_topo_(self, 1); }
static PyObject *graph_topo(PyObject *self, void *c) { return graph_topo_(self, 2); }
static PyObject *graph_neighbors_get(PyObject *self, void *c)
{
    int rank;
    if (notnull(self) < 0 || CHKERR(MPI_Comm_rank(COMM(self), &rank))) return NULL;
    return graph_neighbors(COMM(self), rank);
}
static PyObject *graph_nneighbors(PyObject *self, void *c)
{
    int rank, n = 0;
    if (notnull(self) < 0 || CHKERR(MPI_Comm_rank(COMM(self), &rank)) ||
        CHKERR(MPI_Graph_neighbors_count(COMM(self), rank, &n)))
        return NULL;
    return PyLong_FromLong(n);
}

PyGetSetDef pympi_graphcomm_getset[] = {
    {"dims", graph_dims_get, NULL, "(nnodes, nedges)", NULL},
    {"nnodes", graph_nnodes, NULL, "number of nodes", NULL},
    {"nedges", graph_nedges, NULL, "number of edges", NULL},
    {"index", graph_index, NULL, "cumulative degrees", NULL},
    {"edges", graph_edges, NULL, "edges", NULL},
    {"topo", graph_topo, NULL, "(index, edges)", NULL},
    {"neighbors", graph_neighbors_get, NULL, "neighbors of this process", NULL},
    {"nneighbors", graph_nneighbors, NULL, "number of neighbors of this process", NULL},
    {NULL}};

/* ---- Distgraphcomm ------------------------------------------------------------ */
static PyObject *dist_Get_dist_neighbors_count(PyObject *self, PyObject *u)
{
    int in = 0, out = 0, weighted = 0;
    NOTNULL(self);
    if (CHKERR(MPI_Dist_graph_neighbors_count(COMM(self), &in, &out, &weighted))) return NULL;
    return Py_BuildValue("(iiO)", in, out, weighted ? Py_True : Py_False);
}

static PyObject *dist_Get_dist_neighbors(PyObject *self, PyObject *u)
{
    PyObject *in, *out, *w;
    NOTNULL(self);
    if (dist_neighbors(COMM(self), &in, &out, &w) < 0) return NULL;
    return Py_BuildValue("(NNN)", in, out, w);
}

PyMethodDef pympi_distgraphcomm_methods[] = {
    {"Get_dist_neighbors_count", dist_Get_dist_neighbors_count, METH_NOARGS, "(indegree, outdegree, weighted)."},
    {"Get_dist_neighbors", dist_Get_dist_neighbors, METH_NOARGS,
     "(sources, destinations, (sourceweights, destweights) or None)."},
    {NULL}};

/* ---- Intercomm ------------------------------------------------------------------ */
static PyObject *inter_Get_remote_group(PyObject *self, PyObject *u)
{
    MPI_Group g;
    NOTNULL(self);
    if (CHKERR(MPI_Comm_remote_group(COMM(self), &g))) return NULL;
    return pympi_group_new(g);
}

static PyObject *inter_Get_remote_size(PyObject *self, PyObject *u)
{
    int size = 0;
    NOTNULL(self);
    if (CHKERR(MPI_Comm_remote_size(COMM(self), &size))) return NULL;
    return PyLong_FromLong(size);
}

static PyObject *inter_Merge(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"high", NULL};
    PyObject *a[1];
    int high, ierr;
    MPI_Comm c = MPI_COMM_NULL;
    if (pympi_parse("Merge", kwlist, 0, args, nargs, kw, a) < 0 || pympi_bool(a[0], 0, &high) < 0) return NULL;
    NOTNULL(self);
    PYMPI_NOGIL(ierr = MPI_Intercomm_merge(COMM(self), high, &c));
    if (CHKERR(ierr)) return NULL;
    return topo_own(&PyMPIIntracomm_Type, c);
}

PyMethodDef pympi_intercomm_methods[] = {
    {"Get_remote_group", inter_Get_remote_group, METH_NOARGS, "The group of the remote side."},
    {"Get_remote_size", inter_Get_remote_size, METH_NOARGS, "The number of processes of the remote side."},
    {"Merge", FASTKW(inter_Merge), "Merge(high=False): intracommunicator of both sides."},
    {NULL}};

static PyObject *inter_remote_group(PyObject *self, void *c) { return inter_Get_remote_group(self, NULL); }
static PyObject *inter_remote_size(PyObject *self, void *c) { return inter_Get_remote_size(self, NULL); }

PyGetSetDef pympi_intercomm_getset[] = {
    {"remote_group", inter_remote_group, NULL, "remote group", NULL},
    {"remote_size", inter_remote_size, NULL, "number of remote processes", NULL},
    {NULL}};

/* ---- module functions ------------------------------------------------------------ */
static PyObject *mod_Compute_dims(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"nnodes", "dims", NULL};
    PyObject *a[2];
    int nnodes, ndims, *dims = NULL;
    if (pympi_parse("Compute_dims", kwlist, 2, args, nargs, kw, a) < 0 || pympi_int(a[0], 0, &nnodes) < 0) return NULL;
    if (nnodes < 1) return PyErr_Format(PyExc_ValueError, "nnodes must be positive, got %d", nnodes);
    if (PyLong_Check(a[1]) || PyIndex_Check(a[1])) {
        if (pympi_int(a[1], 0, &ndims) < 0) return NULL;
        if (ndims < 0) return PyErr_Format(PyExc_ValueError, "number of dimensions must be non-negative, got %d", ndims);
        dims = PyMem_Calloc((size_t)(ndims ? ndims : 1), sizeof(int));
        if (!dims) return PyErr_NoMemory();
    } else if (pympi_int_array(a[1], &dims, &ndims, "dims must be an int or a sequence of int") < 0) return NULL;
    long long fixed = 1;
    for (int i = 0; i < ndims; i++) {
        if (dims[i] < 0) {
            PyErr_Format(PyExc_ValueError, "dims[%d] = %d: dimensions must be non-negative", i, dims[i]);
            PyMem_Free(dims);
            return NULL;
        }
        /* capped above nnodes: a long list of dimensions would overflow the product */
        if (dims[i] > 0 && fixed <= nnodes) fixed *= dims[i];
    }
    if (fixed > nnodes || nnodes % fixed != 0) {
        PyErr_Format(PyExc_ValueError, "%d nodes cannot be divided by the fixed dimensions (product %lld)", nnodes, fixed);
        PyMem_Free(dims);
        return NULL;
    }
    if (CHKERR(MPI_Dims_create(nnodes, ndims, dims))) { PyMem_Free(dims); return NULL; }
    PyObject *l = pympi_int_list(dims, ndims);
    PyMem_Free(dims);
    return l;
}

static PyMethodDef topo_module_methods[] = {
    {"Compute_dims", FASTKW(mod_Compute_dims), "Compute_dims(nnodes, dims): a balanced grid of nnodes processes."},
    {NULL}};

int pympi_init_topo(PyObject *m) { return PyModule_AddFunctions(m, topo_module_methods); }
