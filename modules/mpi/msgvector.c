/* msgvector.c: the buffer specs of collectives that address one block per process (mpi4py 3.1's
 * grammar). The B specs (Gather, Scatter, Allgather, Alltoall, Neighbor_*: equal blocks) are
 * single-buffer specs: pympi_msg_get_blocks() in msgbuffer.c.
 *
 *  V specs (the v-variants), counts and displacements in elements of the datatype:
 *    data                                 the buffer split into blocks as evenly as possible
 *    [data, datatype]                     (the first blocks get one element more), packed
 *    [data, counts]                       datatype from the buffer's format
 *    [data, (counts, displs)]
 *    [data, counts, datatype]             packed
 *    [data, (counts, displs), datatype]   (a tuple: a list there is the counts)
 *    [data, counts, displs, datatype]
 *  counts: None (even split), an int (the same count for every block) or a sequence of one
 *  integer per block (any sequence: lists, tuples, NumPy integer arrays); displs: None (packed),
 *  an int d (strided: block i at i*d) or a sequence; the datatype may be None (the format).
 *
 *  W specs (Alltoallw, Neighbor_alltoallw), displacements in bytes, a datatype per block:
 *    [data, datatypes]                    one element of each datatype at displacement 0
 *    [data, (counts, displs), datatypes]  [data, counts, displs, datatypes]
 *  datatypes: a sequence of one datatype per block, or a single datatype for all; counts may
 *  be an int, displs None (packed by extent).
 *
 * data may be MPI.BOTTOM (absolute addresses, no bounds checks) or None (no data: every count
 * must be 0). Counts, displacements and datatypes are checked against the buffer before MPI
 * is called: ValueError for negative values, sequences of the wrong length or blocks that do not
 * fit, TypeError for wrong kinds of objects, KeyError for an unknown typecode. */
#include "pympi.h"

static int is_seq(PyObject *o) { return PyList_Check(o) || PyTuple_Check(o); }

/* An integer that is not a sequence: a NumPy array has __index__ too (and fails it unless it
 * has one element), so it is an integer only when it has no length (0-d). */
static int is_integral(PyObject *o)
{
    if (!PyIndex_Check(o)) return 0;
    if (!PySequence_Check(o)) return 1;
    if (PySequence_Size(o) >= 0) return 0;
    PyErr_Clear();
    return 1;
}

/* Bytes from the start of the buffer up to the end of `count` elements of t placed `displ`
 * bytes in (the last element may end before its extent does). */
static int span(MPI_Datatype t, MPI_Aint displ, MPI_Count count, MPI_Count *end)
{
    pympi_extents e;
    if (pympi_type_extents(t, &e) < 0) return -1;
    MPI_Count extent = e.extent, tlb = e.true_lb, textent = e.true_extent;
    *end = count > 0 ? displ + (count - 1) * extent + tlb + textent : displ;
    if (count > 0 && (displ + tlb < 0 || displ + (count - 1) * extent + tlb < 0)) *end = -1;
    return 0;
}

void pympi_vmsg_release(pympi_vmsg *m)
{
    pympi_buffer_release(&m->view);
    Py_CLEAR(m->arrays);
}

PyObject *pympi_vmsg_keep(pympi_vmsg *m)
{
    PyObject *view = NULL;
    if (m->view.obj) {
        view = pympi_view_keep(&m->view);
        if (!view) { Py_CLEAR(m->arrays); return NULL; }
    }
    PyObject *arrays = m->arrays;
    m->arrays = NULL;
    return pympi_keep2(view, arrays ? arrays : (Py_INCREF(Py_None), Py_None));
}

/* counts, displs (and types) in one bytes object */
static int alloc_arrays(pympi_vmsg *m, int blocks, int with_types)
{
    size_t n = blocks > 0 ? (size_t)blocks : 1;
    size_t sz = n * (sizeof(MPI_Count) + sizeof(MPI_Aint) + (with_types ? sizeof(MPI_Datatype) : 0));
    m->arrays = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)sz);
    if (!m->arrays) return -1;
    char *p = PyBytes_AS_STRING(m->arrays);
    memset(p, 0, sz);
    m->counts = (MPI_Count *)p;
    m->displs = (MPI_Aint *)(p + n * sizeof(MPI_Count));
    m->types = with_types ? (MPI_Datatype *)(p + n * (sizeof(MPI_Count) + sizeof(MPI_Aint))) : NULL;
    return 0;
}

static int negative(const char *what)
{
    PyErr_Format(PyExc_ValueError, "message: negative %s", what);
    return -1;
}

/* Counts (cv) or displacements (av) of `blocks` blocks from an int or a sequence of integers.
 * An int is every count, or for displacements the stride between blocks. */
static int fill_ints(PyObject *o, int blocks, MPI_Count *cv, MPI_Aint *av, const char *what)
{
    MPI_Count v;
    if (is_integral(o)) {
        if (pympi_count(o, 0, &v) < 0) return -1;
        if (v < 0) return negative(what);
        for (int i = 0; i < blocks; i++) {
            if (cv) cv[i] = v;
            else if (__builtin_mul_overflow((MPI_Aint)v, (MPI_Aint)i, &av[i])) {
                PyErr_Format(PyExc_OverflowError, "message: %s too large", what);
                return -1;
            }
        }
        return 0;
    }
    if (PyUnicode_Check(o) || PyBytes_Check(o) || PyByteArray_Check(o)) {
        PyErr_Format(PyExc_TypeError, "message: %s must be an int or a sequence of integers, not '%.200s'", what,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    PyObject *fast = PySequence_Fast(o, "message: counts and displacements must be integers or sequences of them");
    if (!fast) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    if (n != blocks) {
        PyErr_Format(PyExc_ValueError, "message: expected %d %s, got %zd", blocks, what, n);
        Py_DECREF(fast);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (pympi_count(PySequence_Fast_GET_ITEM(fast, i), 0, &v) < 0 || (v < 0 && negative(what) < 0)) {
            Py_DECREF(fast);
            return -1;
        }
        if (cv) cv[i] = v;
        else av[i] = (MPI_Aint)v;
    }
    Py_DECREF(fast);
    return 0;
}

/* Split a v or w spec list into data, counts, displs, type(s) (NULL where not given). */
static int split_spec(PyObject *spec, int w, PyObject **data, PyObject **counts, PyObject **displs,
                      PyObject **types)
{
    PyObject **it;
    Py_ssize_t n = pympi_spec_items(spec, &it);
    *counts = *displs = *types = NULL;
    if (n < 0) return -1;
    *data = it[0];
    *types = it[n - 1];
    if (n == 4) {
        *counts = it[1];
        *displs = it[2];
    } else if (n == 3 || (!w && !PyMPIDatatype_Check(it[1]) && !PyUnicode_Check(it[1]) && it[1] != Py_None)) {
        /* the second item is the counts (a v spec's [data, counts] has no datatype), or the
         * (counts, displs) pair: any pair in a w spec, a tuple in a v spec (a list is counts) */
        if (n == 2) *types = NULL;
        if (w || PyTuple_Check(it[1])) {
            if (pympi_unpack_pair(it[1], "(counts, displacements)", counts, displs) < 0) return -1;
        } else *counts = it[1];
    }
    if (*counts == Py_None) *counts = NULL;
    if (*displs == Py_None) *displs = NULL;
    if (*types == Py_None) *types = NULL;
    return 0;
}

/* Pin the data buffer (or accept BOTTOM/None). */
static int get_data(PyObject *data, int role, pympi_vmsg *m, int *unchecked)
{
    *unchecked = 0;
    if (data == pympi_BOTTOM) { m->addr = MPI_BOTTOM; *unchecked = 1; return 0; }
    if (data == Py_None) { m->addr = NULL; return 0; }
    if (pympi_getbuffer(data, &m->view, (role & 0xF) == PYMPI_RECV) < 0) return -1;
    m->addr = m->view.buf;
    return 0;
}

/* Every non-empty block must lie inside the buffer. v specs: one datatype, displacements in
 * units of `extent`; w specs (m->types set): a datatype per block, byte displacements. */
static int check_blocks(const pympi_vmsg *m, int blocks, MPI_Aint extent)
{
    for (int i = 0; i < blocks; i++) {
        MPI_Count end;
        if (!m->counts[i]) continue;
        MPI_Datatype type = m->types ? m->types[i] : m->type;
        MPI_Aint disp;
        if (__builtin_mul_overflow(m->displs[i], extent, &disp)) disp = PY_SSIZE_T_MAX;
        if (span(type, disp, m->counts[i], &end) < 0) return -1;
        if (end > m->view.len || end < 0) {
            PyErr_Format(PyExc_ValueError,
                         "message: block %d (count %lld, byte displacement %lld) does not fit a "
                         "buffer of %zd bytes",
                         i, (long long)m->counts[i], (long long)disp, m->view.len);
            return -1;
        }
    }
    return 0;
}

static void vmsg_init(pympi_vmsg *m)
{
    m->addr = NULL;
    m->counts = NULL;
    m->displs = NULL;
    m->types = NULL;
    m->type = MPI_DATATYPE_NULL;
    m->view.obj = NULL;
    m->arrays = NULL;
}

static int check_none_empty(pympi_vmsg *m, int blocks)
{
    for (int i = 0; i < blocks; i++)
        if (m->counts[i]) {
            PyErr_SetString(PyExc_ValueError, "message: no buffer (None) for a non-zero count");
            return -1;
        }
    return 0;
}

int pympi_vmsg_get(PyObject *spec, int role, int blocks, pympi_vmsg *m)
{
    vmsg_init(m);
    if (blocks < 0) blocks = 0;
    if ((role & PYMPI_ALLOW_INPLACE) && spec == pympi_IN_PLACE) {
        m->addr = MPI_IN_PLACE;
        return alloc_arrays(m, blocks, 0);
    }
    PyObject *data = spec, *ocounts = NULL, *odispls = NULL, *otype = NULL;
    int unchecked = 0;
    if (spec == Py_None) {
        m->type = MPI_BYTE;
        return alloc_arrays(m, blocks, 0);
    }
    if (is_seq(spec) && split_spec(spec, 0, &data, &ocounts, &odispls, &otype) < 0) return -1;
    if (otype && pympi_spec_datatype(otype, &m->type) < 0) return -1;
    if (!otype && (data == pympi_BOTTOM || data == Py_None)) {
        PyErr_SetString(PyExc_TypeError, "message: a datatype is required with BOTTOM or None");
        return -1;
    }
    if (alloc_arrays(m, blocks, 0) < 0) return -1;
    if (get_data(data, role, m, &unchecked) < 0) goto fail;
    if (!otype && (m->type = pympi_format_datatype(m->view.format)) == MPI_DATATYPE_NULL) goto fail;
    MPI_Count lb, extent = 0;
    if (ocounts) {
        if (fill_ints(ocounts, blocks, m->counts, NULL, "counts") < 0) goto fail;
    } else if (m->view.len > 0 && blocks > 0) {
        /* the buffer split as evenly as possible, the first blocks one element longer */
        if (m->type == MPI_DATATYPE_NULL) {
            PyErr_SetString(PyExc_ValueError, "message: cannot infer count, datatype is null");
            goto fail;
        }
        if (CHKERR(MPI_Type_get_extent_x(m->type, &lb, &extent))) goto fail;
        if (extent <= 0 || m->view.len % extent) {
            PyErr_Format(PyExc_ValueError,
                         "message: cannot infer count, buffer length %zd is not a multiple of datatype extent %lld",
                         m->view.len, (long long)extent);
            goto fail;
        }
        MPI_Count total = m->view.len / extent;
        for (int i = 0; i < blocks; i++) m->counts[i] = total / blocks + (total % blocks > i);
    }
    if (odispls) {
        if (fill_ints(odispls, blocks, NULL, m->displs, "displacements") < 0) goto fail;
    } else {
        MPI_Aint d = 0;
        for (int i = 0; i < blocks; i++) { m->displs[i] = d; d += (MPI_Aint)m->counts[i]; }
    }
    if (m->type == MPI_DATATYPE_NULL) { pympi_raise(MPI_ERR_TYPE); goto fail; } /* as MPI would */
    if (!extent && CHKERR(MPI_Type_get_extent_x(m->type, &lb, &extent))) goto fail;
    if (data == Py_None) {
        if (check_none_empty(m, blocks) < 0) goto fail;
    } else if (!unchecked && check_blocks(m, blocks, extent) < 0) {
        goto fail;
    }
    return 0;
fail:
    pympi_vmsg_release(m);
    return -1;
}

int pympi_wmsg_get(PyObject *spec, int role, int blocks, pympi_vmsg *m)
{
    vmsg_init(m);
    if (blocks < 0) blocks = 0;
    if ((spec == Py_None || ((role & PYMPI_ALLOW_INPLACE) && spec == pympi_IN_PLACE))) {
        if (alloc_arrays(m, blocks, 1) < 0) return -1;
        m->addr = spec == Py_None ? NULL : MPI_IN_PLACE;
        for (int i = 0; i < blocks; i++) m->types[i] = MPI_BYTE;
        return 0;
    }
    if (!is_seq(spec)) {
        PyErr_Format(PyExc_TypeError,
                     "message: expected a w spec [data, counts, displs, datatypes], got '%.200s'",
                     Py_TYPE(spec)->tp_name);
        return -1;
    }
    PyObject *data, *ocounts, *odispls, *otypes;
    int unchecked = 0;
    if (split_spec(spec, 1, &data, &ocounts, &odispls, &otypes) < 0) return -1;
    if (!otypes) {
        PyErr_SetString(PyExc_TypeError, "message: a w spec needs datatypes");
        return -1;
    }
    if (data == pympi_BOTTOM && (!ocounts || !odispls)) {
        PyErr_SetString(PyExc_ValueError, "message: BOTTOM requires counts and displacements");
        return -1;
    }
    if (alloc_arrays(m, blocks, 1) < 0) return -1;
    /* datatypes: one for all, or one per block */
    if (PyMPIDatatype_Check(otypes) || PyUnicode_Check(otypes)) {
        MPI_Datatype t;
        if (pympi_spec_datatype(otypes, &t) < 0) goto fail;
        for (int i = 0; i < blocks; i++) m->types[i] = t;
    } else {
        PyObject *fast = PySequence_Fast(otypes, "message: datatypes must be a Datatype or a sequence of them");
        if (!fast) goto fail;
        if (PySequence_Fast_GET_SIZE(fast) != blocks) {
            PyErr_Format(PyExc_ValueError, "message: expected %d datatypes, got %zd", blocks,
                         PySequence_Fast_GET_SIZE(fast));
            Py_DECREF(fast);
            goto fail;
        }
        for (int i = 0; i < blocks; i++)
            if (pympi_spec_datatype(PySequence_Fast_GET_ITEM(fast, i), &m->types[i]) < 0) {
                Py_DECREF(fast);
                goto fail;
            }
        Py_DECREF(fast);
    }
    if (!ocounts && !odispls) {
        /* [data, datatypes]: one element of each at the start of the buffer */
        for (int i = 0; i < blocks; i++) m->counts[i] = 1;
    } else {
        if (!ocounts) {
            PyErr_SetString(PyExc_ValueError, "message: a w spec with displacements needs counts");
            goto fail;
        }
        if (fill_ints(ocounts, blocks, m->counts, NULL, "counts") < 0) goto fail;
        if (odispls) {
            if (fill_ints(odispls, blocks, NULL, m->displs, "displacements") < 0) goto fail;
        } else {
            MPI_Aint d = 0;
            for (int i = 0; i < blocks; i++) {
                MPI_Count lb, extent;
                if (CHKERR(MPI_Type_get_extent_x(m->types[i], &lb, &extent))) goto fail;
                m->displs[i] = d;
                d += (MPI_Aint)(m->counts[i] * extent);
            }
        }
    }
    if (get_data(data, role, m, &unchecked) < 0) goto fail;
    if (data == Py_None) {
        if (check_none_empty(m, blocks) < 0) goto fail;
    } else if (!unchecked && check_blocks(m, blocks, 1) < 0) {
        goto fail;
    }
    return 0;
fail:
    pympi_vmsg_release(m);
    return -1;
}
