/* msgbuffer.c: buffer specifications -> (address, count, datatype).
 *
 * Accepted forms for one buffer (upper-case methods):
 *   buf                            any contiguous buffer-protocol object; datatype from its
 *                                  PEP 3118 format, count = nbytes / itemsize
 *   [buf, datatype]                count = nbytes / extent(datatype)
 *   [buf, count, datatype]         explicit count (elements of datatype)
 *   [buf, (count, displ), datatype]  displacement in elements of datatype
 *   [buf, count, displ, datatype]
 *   (tuples are accepted wherever lists are; a datatype may be given as a typecode string 'd')
 *   None                           empty message (for PROC_NULL peers)
 *   MPI.BOTTOM as buf              absolute addresses: [BOTTOM, count, datatype]
 *   MPI.IN_PLACE                   where the caller allows it (collectives)
 * Errors: TypeError for a non-buffer, BufferError for a read-only receive buffer or a
 * non-contiguous object (from the exporter), ValueError for counts/displacements that do not
 * fit the buffer or lengths that are not a multiple of the datatype extent. */
#include "pympi.h"

int pympi_getbuffer(PyObject *obj, Py_buffer *view, int writable)
{
    int flags = PyBUF_ANY_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (!PyObject_CheckBuffer(obj)) {
        PyErr_Format(PyExc_TypeError, "message: expected a buffer object (or a buffer spec list), got '%.200s'",
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    return PyObject_GetBuffer(obj, view, flags);
}

/* ---- PEP 3118 format -> datatype ------------------------------------------- */
/* Native ('@' or no prefix): C types by code. Standard sizes ('<', '=' on little-endian): the
 * fixed-width types, since e.g. '<l' means 4 bytes whatever sizeof(long) is. */
static MPI_Datatype native_code(char c)
{
    switch (c) {
    case '?': return MPI_C_BOOL;
    case 'c': return MPI_CHAR;
    case 'b': return MPI_SIGNED_CHAR;
    case 'B': return MPI_UNSIGNED_CHAR;
    case 'h': return MPI_SHORT;
    case 'H': return MPI_UNSIGNED_SHORT;
    case 'i': return MPI_INT;
    case 'I': return MPI_UNSIGNED;
    case 'l': return MPI_LONG;
    case 'L': return MPI_UNSIGNED_LONG;
    case 'q': return MPI_LONG_LONG;
    case 'Q': return MPI_UNSIGNED_LONG_LONG;
    case 'n': return sizeof(Py_ssize_t) == sizeof(long) ? MPI_LONG : MPI_LONG_LONG;
    case 'N': return sizeof(size_t) == sizeof(long) ? MPI_UNSIGNED_LONG : MPI_UNSIGNED_LONG_LONG;
    case 'p': return MPI_AINT;
    case 'f': return MPI_FLOAT;
    case 'd': return MPI_DOUBLE;
    case 'g': return MPI_LONG_DOUBLE;
    case 'F': return MPI_C_FLOAT_COMPLEX;
    case 'D': return MPI_C_DOUBLE_COMPLEX;
    case 'G': return MPI_C_LONG_DOUBLE_COMPLEX;
    default: return MPI_DATATYPE_NULL;
    }
}

static MPI_Datatype standard_code(char c)
{
    switch (c) {
    case '?': return MPI_C_BOOL;
    case 'c': return MPI_CHAR;
    case 'b': return MPI_INT8_T;
    case 'B': return MPI_UINT8_T;
    case 'h': return MPI_INT16_T;
    case 'H': return MPI_UINT16_T;
    case 'i': case 'l': return MPI_INT32_T;
    case 'I': case 'L': return MPI_UINT32_T;
    case 'q': return MPI_INT64_T;
    case 'Q': return MPI_UINT64_T;
    case 'f': return MPI_FLOAT;
    case 'd': return MPI_DOUBLE;
    case 'F': return MPI_C_FLOAT_COMPLEX;
    case 'D': return MPI_C_DOUBLE_COMPLEX;
    default: return MPI_DATATYPE_NULL;
    }
}

/* Fixed-width typecodes of _typedict ('i4', 'f8', 'c16', ...). */
static MPI_Datatype sized_code(const char *s)
{
    char kind = s[0];
    int size = atoi(s + 1);
    switch (kind) {
    case 'i': return size == 1 ? MPI_INT8_T : size == 2 ? MPI_INT16_T : size == 4 ? MPI_INT32_T
                   : size == 8 ? MPI_INT64_T : MPI_DATATYPE_NULL;
    case 'u': return size == 1 ? MPI_UINT8_T : size == 2 ? MPI_UINT16_T : size == 4 ? MPI_UINT32_T
                   : size == 8 ? MPI_UINT64_T : MPI_DATATYPE_NULL;
    case 'f': return size == 4 ? MPI_FLOAT : size == 8 ? MPI_DOUBLE
                   : size == (int)sizeof(long double) ? MPI_LONG_DOUBLE : MPI_DATATYPE_NULL;
    case 'c': return size == 8 ? MPI_C_FLOAT_COMPLEX : size == 16 ? MPI_C_DOUBLE_COMPLEX
                   : size == 2 * (int)sizeof(long double) ? MPI_C_LONG_DOUBLE_COMPLEX : MPI_DATATYPE_NULL;
    case 'b': return size == 1 ? MPI_C_BOOL : MPI_DATATYPE_NULL;
    default: return MPI_DATATYPE_NULL;
    }
}

MPI_Datatype pympi_format_datatype(const char *fmt)
{
    const char *s = fmt ? fmt : "B";
    int standard = 0;
    static const int little = 1;
    int is_little = *(const char *)&little == 1;
    if (*s == '@') s++;
    else if (*s == '=' || *s == (is_little ? '<' : '>')) { s++; standard = 1; }
    else if (*s == '<' || *s == '>' || *s == '!') goto bad; /* foreign byte order */
    else if (*s == '|') s++;
    MPI_Datatype t = MPI_DATATYPE_NULL;
    if (s[0] && !s[1]) t = standard ? standard_code(s[0]) : native_code(s[0]);
    else if (s[0] == 'Z' && s[1] && !s[2]) t = (standard ? standard_code : native_code)((char)(s[1] - 32));
    else if (s[0] && s[1] >= '0' && s[1] <= '9') t = sized_code(s);
    if (t != MPI_DATATYPE_NULL) return t;
bad:
    PyErr_Format(PyExc_ValueError, "message: cannot infer an MPI datatype from format '%s'", fmt);
    return MPI_DATATYPE_NULL;
}

/* ---- buffer specs ------------------------------------------------------------- */
static int spec_datatype(PyObject *o, MPI_Datatype *t)
{
    if (PyUnicode_Check(o)) {
        const char *s = PyUnicode_AsUTF8(o);
        if (!s) return -1;
        *t = pympi_format_datatype(s);
        return *t == MPI_DATATYPE_NULL ? -1 : 0;
    }
    return pympi_as_datatype(o, t);
}

static int check_type_usable(MPI_Datatype t)
{
    if (t == MPI_DATATYPE_NULL) {
        PyErr_SetString(PyExc_ValueError, "message: datatype is DATATYPE_NULL");
        return -1;
    }
    return 0;
}

void pympi_msg_release(pympi_msg *m)
{
    if (m->view.obj) PyBuffer_Release(&m->view);
}

int pympi_msg_get(PyObject *spec, int role, pympi_msg *m)
{
    int writable = (role & 0xF) == PYMPI_RECV;
    m->view.obj = NULL;
    /* Fast path: a plain buffer object. */
    if (!PyList_Check(spec) && !PyTuple_Check(spec)) {
        if (spec == Py_None) {
            m->addr = NULL; m->count = 0; m->type = MPI_BYTE;
            return 0;
        }
        if ((role & PYMPI_ALLOW_INPLACE) && spec == pympi_IN_PLACE) {
            m->addr = MPI_IN_PLACE; m->count = 0; m->type = MPI_DATATYPE_NULL;
            return 0;
        }
        if (pympi_getbuffer(spec, &m->view, writable) < 0) return -1;
        MPI_Datatype t = pympi_format_datatype(m->view.format);
        if (t == MPI_DATATYPE_NULL) goto fail;
        m->addr = m->view.buf;
        m->type = t;
        m->count = m->view.itemsize > 0 ? m->view.len / m->view.itemsize : 0;
        return 0;
    }
    /* A spec list/tuple. */
    Py_ssize_t n = PySequence_Fast_GET_SIZE(spec);
    PyObject **items = PySequence_Fast_ITEMS(spec);
    if (n < 2 || n > 4) {
        PyErr_Format(PyExc_ValueError, "message: expected 2 to 4 items, got %zd", n);
        return -1;
    }
    PyObject *data = items[0], *ocount = NULL, *odispl = NULL, *otype = items[n - 1];
    if (n == 3) {
        if (PyTuple_Check(items[1]) || PyList_Check(items[1])) {
            if (PySequence_Fast_GET_SIZE(items[1]) != 2) {
                PyErr_SetString(PyExc_ValueError, "message: expected (count, displ)");
                return -1;
            }
            ocount = PySequence_Fast_ITEMS(items[1])[0];
            odispl = PySequence_Fast_ITEMS(items[1])[1];
        } else ocount = items[1];
    } else if (n == 4) {
        ocount = items[1];
        odispl = items[2];
    }
    MPI_Datatype t;
    if (spec_datatype(otype, &t) < 0 || check_type_usable(t) < 0) return -1;
    MPI_Count count = -1, displ = 0;
    if (ocount && ocount != Py_None && pympi_count(ocount, 0, &count) < 0) return -1;
    if (odispl && odispl != Py_None && pympi_count(odispl, 0, &displ) < 0) return -1;
    if (count < -1 || displ < 0 || (ocount && ocount != Py_None && count < 0)) {
        PyErr_SetString(PyExc_ValueError, "message: negative count or displacement");
        return -1;
    }
    MPI_Count lb = 0, extent = 0;
    if (CHKERR(MPI_Type_get_extent_x(t, &lb, &extent))) return -1;
    if (data == pympi_BOTTOM || data == Py_None) {
        /* Absolute addresses (BOTTOM) or nothing (None): no buffer to check against. */
        if (count < 0) count = 0;
        m->addr = data == pympi_BOTTOM ? MPI_BOTTOM : NULL;
        m->count = count;
        m->type = t;
        if (displ) m->addr = (char *)m->addr + displ * extent;
        return 0;
    }
    if (pympi_getbuffer(data, &m->view, writable) < 0) return -1;
    MPI_Count nbytes = m->view.len;
    if (count < 0) {
        /* infer from the length */
        if (extent <= 0) {
            if (nbytes == 0) count = 0;
            else { PyErr_SetString(PyExc_ValueError, "message: cannot infer count with a zero-extent datatype"); goto fail; }
        } else {
            if (nbytes % extent) {
                PyErr_Format(PyExc_ValueError,
                             "message: buffer length %lld is not a multiple of datatype extent %lld",
                             (long long)nbytes, (long long)extent);
                goto fail;
            }
            count = nbytes / extent - displ;
            if (count < 0) {
                PyErr_SetString(PyExc_ValueError, "message: displacement past the end of the buffer");
                goto fail;
            }
        }
    } else if (count > 0) {
        /* The last element may be shorter than the extent (true extent matters). */
        MPI_Count tlb = 0, textent = 0;
        if (CHKERR(MPI_Type_get_true_extent_x(t, &tlb, &textent))) goto fail;
        MPI_Count need = (displ + count - 1) * extent + tlb + textent;
        if (need > nbytes || tlb < 0) {
            PyErr_Format(PyExc_ValueError,
                         "message: count %lld and displacement %lld need %lld bytes, buffer has %lld",
                         (long long)count, (long long)displ, (long long)need, (long long)nbytes);
            goto fail;
        }
    }
    m->addr = (char *)m->view.buf + displ * extent;
    m->count = count;
    m->type = t;
    return 0;
fail:
    pympi_msg_release(m);
    return -1;
}

/* ---- keeping buffers alive for non-blocking operations ------------------------ */
PyObject *pympi_msg_keep(pympi_msg *m)
{
    if (!m->view.obj) Py_RETURN_NONE;
    return pympi_memory_from_view(&m->view); /* steals: m->view.obj becomes NULL */
}

PyObject *pympi_keep2(PyObject *a, PyObject *b)
{
    if (!a) return b;
    if (!b) return a;
    if (a == Py_None) { Py_DECREF(a); return b; }
    if (b == Py_None) { Py_DECREF(b); return a; }
    PyObject *t = PyTuple_Pack(2, a, b);
    Py_DECREF(a);
    Py_DECREF(b);
    return t;
}
