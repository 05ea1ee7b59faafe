/* msgvector.c: the buffer specs of collectives that address one block per process.
 *
 *  B specs (Gather, Scatter, Allgather, Alltoall, Neighbor_*): any single-buffer spec
 *  (msgbuffer.c); the buffer holds one equal block per process. Without an explicit count the
 *  block count is the buffer's count divided by the number of blocks; [data, count, type]
 *  gives the count of one block.
 *
 *  V specs (the v-variants), counts and displacements in elements of the datatype:
 *    data                                 equal blocks, packed
 *    [data, datatype]                     equal blocks, packed
 *    [data, count, datatype]              `count` elements for every block, packed
 *    [data, counts, datatype]             a count per block, packed
 *    [data, (counts, displs), datatype]   displs None means packed
 *    [data, counts, displs, datatype]
 *  counts may be None (equal blocks) or an int (the same count for every block).
 *
 *  W specs (Alltoallw, Neighbor_alltoallw), displacements in bytes:
 *    [data, counts, displs, datatypes]    [data, (counts, displs), datatypes]
 *    [data, counts, datatypes]            displs None or omitted: packed by extent
 *  datatypes is a sequence of one datatype per block, or a single datatype for all.
 *
 * data may be MPI.BOTTOM (absolute addresses, no bounds checks) or None (no data: every count
 * must be 0). Counts, displacements and datatypes are checked against the buffer before MPI
 * is called: ValueError for negative values or blocks that do not fit, TypeError for wrong
 * kinds of objects. */
#include "pympi.h"

int pympi_spec_datatype(PyObject *o, MPI_Datatype *t)
{
    if (PyUnicode_Check(o)) {
        const char *s = PyUnicode_AsUTF8(o);
        if (!s) return -1;
        *t = pympi_format_datatype(s);
        return *t == MPI_DATATYPE_NULL ? -1 : 0;
    }
    if (pympi_as_datatype(o, t) < 0) return -1;
    if (*t == MPI_DATATYPE_NULL) {
        PyErr_SetString(PyExc_ValueError, "message: datatype is DATATYPE_NULL");
        return -1;
    }
    return 0;
}

static int is_seq(PyObject *o) { return PyList_Check(o) || PyTuple_Check(o); }

/* Bytes from the start of the buffer up to the end of `count` elements of t placed `displ`
 * bytes in (the last element may end before its extent does). */
static int span(MPI_Datatype t, MPI_Aint displ, MPI_Count count, MPI_Count *end)
{
    MPI_Count lb, extent, tlb, textent;
    if (CHKERR(MPI_Type_get_extent_x(t, &lb, &extent)) ||
        CHKERR(MPI_Type_get_true_extent_x(t, &tlb, &textent)))
        return -1;
    *end = count > 0 ? displ + (count - 1) * extent + tlb + textent : displ;
    if (count > 0 && displ + tlb < 0) *end = -1;
    return 0;
}

/* ---- B specs ------------------------------------------------------------------------ */
int pympi_msg_get_blocks(PyObject *spec, int role, int blocks, pympi_msg *m)
{
    if (pympi_msg_get(spec, role, m) < 0) return -1;
    if (m->addr == MPI_IN_PLACE) return 0;
    PyObject *ocount = NULL;
    if (is_seq(spec)) {
        Py_ssize_t n = PySequence_Fast_GET_SIZE(spec);
        PyObject **items = PySequence_Fast_ITEMS(spec);
        if (n == 4) ocount = items[1];
        else if (n == 3) ocount = is_seq(items[1]) ? PySequence_Fast_ITEMS(items[1])[0] : items[1];
        if (ocount == Py_None) ocount = NULL;
    }
    if (!ocount) {
        /* the buffer is split into equal blocks */
        if (blocks <= 0) { m->count = 0; return 0; }
        if (m->count % blocks) {
            PyErr_Format(PyExc_ValueError,
                         "message: buffer of %lld elements does not split into %d equal blocks",
                         (long long)m->count, blocks);
            goto fail;
        }
        m->count /= blocks;
        return 0;
    }
    if (m->view.obj && blocks > 1 && m->count > 0) {
        MPI_Count end;
        MPI_Aint offset = (char *)m->addr - (char *)m->view.buf;
        if (span(m->type, offset, m->count * blocks, &end) < 0) goto fail;
        if (end > m->view.len || end < 0) {
            PyErr_Format(PyExc_ValueError,
                         "message: %d blocks of %lld elements need %lld bytes, buffer has %zd",
                         blocks, (long long)m->count, (long long)end, m->view.len);
            goto fail;
        }
    }
    return 0;
fail:
    pympi_msg_release(m);
    return -1;
}

/* ---- V and W specs ------------------------------------------------------------------ */
void pympi_vmsg_release(pympi_vmsg *m)
{
    if (m->view.obj) PyBuffer_Release(&m->view);
    Py_CLEAR(m->arrays);
}

PyObject *pympi_vmsg_keep(pympi_vmsg *m)
{
    PyObject *view = NULL;
    if (m->view.obj) {
        view = pympi_memory_from_view(&m->view);
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

/* A sequence of `blocks` integers (or, for counts, one int for all) into v[]. */
static int fill_ints(PyObject *o, int blocks, int is_counts, MPI_Count *cv, MPI_Aint *av,
                     const char *what)
{
    if (PyLong_Check(o) || (!is_seq(o) && PyIndex_Check(o))) {
        if (!is_counts) {
            PyErr_Format(PyExc_TypeError, "message: %s must be a sequence of integers", what);
            return -1;
        }
        MPI_Count c;
        if (pympi_count(o, 0, &c) < 0) return -1;
        if (c < 0) {
            PyErr_Format(PyExc_ValueError, "message: negative %s", what);
            return -1;
        }
        for (int i = 0; i < blocks; i++) cv[i] = c;
        return 0;
    }
    if (PyUnicode_Check(o) || PyBytes_Check(o) || PyByteArray_Check(o)) {
        PyErr_Format(PyExc_TypeError, "message: %s must be a sequence of integers, not '%.200s'", what,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    PyObject *fast = PySequence_Fast(o, "message: counts and displacements must be sequences of integers");
    if (!fast) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    if (n != blocks) {
        PyErr_Format(PyExc_ValueError, "message: expected %d %s, got %zd", blocks, what, n);
        Py_DECREF(fast);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        MPI_Count v;
        if (pympi_count(PySequence_Fast_GET_ITEM(fast, i), 0, &v) < 0) { Py_DECREF(fast); return -1; }
        if (v < 0) {
            PyErr_Format(PyExc_ValueError, "message: negative %s", what);
            Py_DECREF(fast);
            return -1;
        }
        if (cv) cv[i] = v;
        else av[i] = (MPI_Aint)v;
    }
    Py_DECREF(fast);
    return 0;
}

/* Split a spec list into data, counts, displs, type(s). */
static int split_spec(PyObject *spec, PyObject **data, PyObject **counts, PyObject **displs,
                      PyObject **types)
{
    Py_ssize_t n = PySequence_Fast_GET_SIZE(spec);
    PyObject **items = PySequence_Fast_ITEMS(spec);
    if (n < 2 || n > 4) {
        PyErr_Format(PyExc_ValueError, "message: expected 2 to 4 items, got %zd", n);
        return -1;
    }
    *data = items[0];
    *counts = *displs = NULL;
    *types = items[n - 1];
    if (n == 3) {
        PyObject *c = items[1];
        /* (counts, displs): a pair whose first item is a sequence (or None) */
        if (is_seq(c) && PySequence_Fast_GET_SIZE(c) == 2 &&
            (PySequence_Fast_ITEMS(c)[0] == Py_None || is_seq(PySequence_Fast_ITEMS(c)[0]) ||
             !PyIndex_Check(PySequence_Fast_ITEMS(c)[0]))) {
            *counts = PySequence_Fast_ITEMS(c)[0];
            *displs = PySequence_Fast_ITEMS(c)[1];
        } else *counts = c;
    } else if (n == 4) {
        *counts = items[1];
        *displs = items[2];
    }
    if (*counts == Py_None) *counts = NULL;
    if (*displs == Py_None) *displs = NULL;
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
        MPI_Aint disp = (MPI_Aint)(m->displs[i] * extent);
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
    if (is_seq(spec) && split_spec(spec, &data, &ocounts, &odispls, &otype) < 0) return -1;
    if (otype && pympi_spec_datatype(otype, &m->type) < 0) return -1;
    if (alloc_arrays(m, blocks, 0) < 0) return -1;
    if (get_data(data, role, m, &unchecked) < 0) goto fail;
    if (!otype) {
        m->type = pympi_format_datatype(m->view.format);
        if (m->type == MPI_DATATYPE_NULL) goto fail;
    }
    MPI_Count lb, extent;
    if (CHKERR(MPI_Type_get_extent_x(m->type, &lb, &extent))) goto fail;
    if (ocounts) {
        if (fill_ints(ocounts, blocks, 1, m->counts, NULL, "counts") < 0) goto fail;
    } else if (blocks > 0) {
        /* equal blocks filling the buffer */
        MPI_Count total = 0;
        if (m->view.obj) {
            if (extent <= 0 || m->view.len % extent) {
                PyErr_Format(PyExc_ValueError,
                             "message: buffer length %zd is not a multiple of datatype extent %lld",
                             m->view.len, (long long)extent);
                goto fail;
            }
            total = m->view.len / extent;
        }
        if (total % blocks) {
            PyErr_Format(PyExc_ValueError,
                         "message: buffer of %lld elements does not split into %d equal blocks",
                         (long long)total, blocks);
            goto fail;
        }
        for (int i = 0; i < blocks; i++) m->counts[i] = total / blocks;
    }
    if (odispls) {
        if (fill_ints(odispls, blocks, 0, NULL, m->displs, "displacements") < 0) goto fail;
    } else {
        MPI_Aint d = 0;
        for (int i = 0; i < blocks; i++) { m->displs[i] = d; d += (MPI_Aint)m->counts[i]; }
    }
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
    if ((role & PYMPI_ALLOW_INPLACE) && spec == pympi_IN_PLACE) {
        m->addr = MPI_IN_PLACE;
        if (alloc_arrays(m, blocks, 1) < 0) return -1;
        for (int i = 0; i < blocks; i++) m->types[i] = MPI_BYTE;
        return 0;
    }
    if (spec == Py_None) {
        if (alloc_arrays(m, blocks, 1) < 0) return -1;
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
    if (split_spec(spec, &data, &ocounts, &odispls, &otypes) < 0) return -1;
    if (!ocounts) {
        PyErr_SetString(PyExc_ValueError, "message: a w spec needs counts");
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
    if (fill_ints(ocounts, blocks, 1, m->counts, NULL, "counts") < 0) goto fail;
    if (odispls) {
        if (fill_ints(odispls, blocks, 0, NULL, m->displs, "displacements") < 0) goto fail;
    } else {
        MPI_Aint d = 0;
        for (int i = 0; i < blocks; i++) {
            MPI_Count lb, extent;
            if (CHKERR(MPI_Type_get_extent_x(m->types[i], &lb, &extent))) goto fail;
            m->displs[i] = d;
            d += (MPI_Aint)(m->counts[i] * extent);
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
