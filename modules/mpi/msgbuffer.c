/* msgbuffer.c: buffer specifications -> (address, count, datatype).
 *
 * Accepted forms for one buffer (upper-case methods):
 *   buf                            any contiguous buffer: datatype from its PEP 3118 format (every
 *                                  C/C99 integer, real, complex, bool and char type MPICH has;
 *                                  'Ns' strings are MPI_CHAR), count = nbytes / itemsize
 *   [buf, datatype]                count = nbytes / extent(datatype)
 *   [buf, count, datatype]         explicit count (elements of datatype)
 *   [buf, (count, displ), datatype]  displacement in elements of datatype
 *   [buf, count, displ, datatype]
 *   (tuples are accepted wherever lists are; a datatype may be a typecode string 'd', or None
 *   for the buffer's own format; a count or displacement may be None)
 *   None                           empty message (the p2p methods accept it with PROC_NULL only)
 *   [MPI.BOTTOM, count, datatype]  absolute addresses (count 1 if omitted)
 *   MPI.IN_PLACE                   where the caller allows it (collectives)
 * A "buffer" is a buffer-protocol object, else a DLPack provider (__dlpack__ and
 * __dlpack_device__), else a __cuda_array_interface__ provider (mpi4py's order). Their memory is
 * used by address: host memory works as any buffer; device memory is handed to MPI as is.
 * Errors: TypeError for a non-buffer, BufferError for a read-only receive buffer or a
 * non-contiguous provider (or what the exporter raises), ValueError for counts/displacements that
 * do not fit the buffer, lengths that are not a multiple of the datatype extent, or formats with no
 * MPI datatype; MPI.Exception(ERR_TYPE) for DATATYPE_NULL (a freed datatype), as MPI would. */
#include "pympi.h"

/* ---- buffer providers --------------------------------------------------------- *
 * In the order mpi4py tries them: the buffer protocol, then DLPack (__dlpack__ and
 * __dlpack_device__), then __cuda_array_interface__. The last two describe memory by address;
 * host memory works as any buffer, device memory is passed through to MPI as an address (a
 * CUDA-aware MPI can use it). The view's format is one of the static strings below. */

/* The DLPack ABI (dlpack.h, stable since v0.2): only what a consumer reads. */
typedef struct { int32_t device_type, device_id; } pympi_DLDevice;
typedef struct { uint8_t code, bits; uint16_t lanes; } pympi_DLDataType;
typedef struct {
    void *data;
    pympi_DLDevice device;
    int32_t ndim;
    pympi_DLDataType dtype;
    int64_t *shape;
    int64_t *strides;
    uint64_t byte_offset;
} pympi_DLTensor;
typedef struct pympi_DLManagedTensor {
    pympi_DLTensor dl_tensor;
    void *manager_ctx;
    void (*deleter)(struct pympi_DLManagedTensor *);
} pympi_DLManagedTensor;
enum { kDLInt = 0, kDLUInt = 1, kDLFloat = 2, kDLBfloat = 4, kDLComplex = 5, kDLBool = 6 };
enum { kDLCPU = 1 };

/* Native format for a fixed-size kind ('i' signed, 'u' unsigned, 'f' real, 'c' complex,
 * 'b' bool) and byte size; NULL if no C type has it. */
static const char *sized_format(char kind, long size)
{
    switch (kind) {
    case 'i': return size == 1 ? "b" : size == 2 ? "h" : size == 4 ? "i" : size == 8 ? "q" : NULL;
    case 'u': return size == 1 ? "B" : size == 2 ? "H" : size == 4 ? "I" : size == 8 ? "Q" : NULL;
    case 'f': return size == 4 ? "f" : size == 8 ? "d" : size == (long)sizeof(long double) ? "g" : NULL;
    case 'c': return size == 8 ? "Zf" : size == 16 ? "Zd" : size == 2 * (long)sizeof(long double) ? "Zg" : NULL;
    case 'b': return size == 1 ? "?" : NULL;
    default: return NULL;
    }
}

/* Fill `view` over raw memory owned by `owner` (new reference taken). */
static int fill_raw_view(Py_buffer *view, PyObject *owner, void *buf, Py_ssize_t len, int readonly,
                         const char *format, Py_ssize_t itemsize, int flags)
{
    if (PyBuffer_FillInfo(view, owner, buf, len, readonly, flags & ~PyBUF_WRITABLE) < 0) return -1;
    if (format) {
        view->format = (char *)format;
        view->itemsize = itemsize;
    }
    return 0;
}

static PyObject *str_dlpack, *str_dlpack_device, *str_cai; /* interned attribute names */

/* 1: not provided (no exception set), 0: view filled, -1: error. */
static int get_dlpack_buffer(PyObject *obj, Py_buffer *view, int flags)
{
    PyObject *dlpack = NULL, *device = NULL, *dev = NULL, *capsule = NULL;
    int rc = -1;
    if (_PyObject_LookupAttr(obj, str_dlpack, &dlpack) < 0) return -1;
    if (!dlpack) return 1;
    if (_PyObject_LookupAttr(obj, str_dlpack_device, &device) < 0) goto done;
    if (!device) { Py_DECREF(dlpack); return 1; }
    long device_type;
    dev = PyObject_CallNoArgs(device);
    if (!dev) goto done;
    if (!PyTuple_Check(dev) || PyTuple_GET_SIZE(dev) != 2) {
        PyErr_SetString(PyExc_BufferError, "dlpack: __dlpack_device__() must return (device_type, device_id)");
        goto done;
    }
    device_type = PyLong_AsLong(PyTuple_GET_ITEM(dev, 0));
    if (device_type == -1 && PyErr_Occurred()) goto done;
    if (device_type == kDLCPU) capsule = PyObject_CallNoArgs(dlpack);
    else {
        /* device memory: ask for no stream synchronization (stream=-1), as mpi4py does */
        PyObject *kw = Py_BuildValue("{si}", "stream", -1);
        PyObject *noargs = PyTuple_New(0);
        capsule = kw && noargs ? PyObject_Call(dlpack, noargs, kw) : NULL;
        Py_XDECREF(kw);
        Py_XDECREF(noargs);
    }
    if (!capsule) goto done;
    if (!PyCapsule_IsValid(capsule, "dltensor")) {
        PyErr_SetString(PyExc_BufferError, "dlpack: __dlpack__() did not return a 'dltensor' capsule");
        goto done;
    }
    pympi_DLManagedTensor *managed = PyCapsule_GetPointer(capsule, "dltensor");
    pympi_DLTensor *t = &managed->dl_tensor;
    if (t->ndim < 0 || (t->ndim > 0 && !t->shape)) {
        PyErr_SetString(PyExc_BufferError, "dlpack: invalid tensor shape");
        goto done;
    }
    if (t->dtype.lanes != 1) {
        PyErr_SetString(PyExc_BufferError, "dlpack: vector (multi-lane) data types are not supported");
        goto done;
    }
    Py_ssize_t itemsize = t->dtype.bits / 8, n = 1;
    if (t->dtype.bits % 8 || itemsize == 0) {
        PyErr_SetString(PyExc_BufferError, "dlpack: data type bit width is not a whole number of bytes");
        goto done;
    }
    /* contiguity: C order, dimensions of length 1 may have any stride */
    int64_t expect = 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
        if (t->shape[i] < 0) { PyErr_SetString(PyExc_BufferError, "dlpack: negative extent"); goto done; }
        if (t->strides && t->shape[i] > 1 && t->strides[i] != expect) {
            PyErr_SetString(PyExc_BufferError, "dlpack: buffer is not contiguous");
            goto done;
        }
        expect *= t->shape[i];
        n *= (Py_ssize_t)t->shape[i];
    }
    char kind = t->dtype.code == kDLInt ? 'i' : t->dtype.code == kDLUInt ? 'u'
              : t->dtype.code == kDLFloat ? 'f' : t->dtype.code == kDLComplex ? 'c'
              : t->dtype.code == kDLBool ? 'b' : '?';
    const char *format = sized_format(kind, (long)itemsize);
    if (!format) format = "V"; /* no MPI datatype: fails later unless one is given */
    /* The capsule stays referenced by the view: the tensor (and what it keeps alive) outlives
     * every use of the memory; its destructor calls the producer's deleter. */
    rc = fill_raw_view(view, capsule, (char *)t->data + t->byte_offset, n * itemsize, 0, format,
                       itemsize, flags);
done:
    Py_XDECREF(dlpack);
    Py_XDECREF(device);
    Py_XDECREF(dev);
    Py_XDECREF(capsule);
    return rc;
}

static int get_cai_buffer(PyObject *obj, Py_buffer *view, int flags)
{
    PyObject *cai = NULL;
    int rc = -1;
    if (_PyObject_LookupAttr(obj, str_cai, &cai) < 0) return -1;
    if (!cai) return 1;
    if (!PyDict_Check(cai)) {
        PyErr_SetString(PyExc_TypeError, "__cuda_array_interface__: expected a dict");
        goto done;
    }
    PyObject *data = PyDict_GetItemString(cai, "data");
    PyObject *shape = PyDict_GetItemString(cai, "shape");
    PyObject *typestr = PyDict_GetItemString(cai, "typestr");
    PyObject *strides = PyDict_GetItemString(cai, "strides");
    PyObject *mask = PyDict_GetItemString(cai, "mask");
    if (!data || !shape || !typestr) {
        PyErr_SetString(PyExc_KeyError, "__cuda_array_interface__: 'data', 'shape' and 'typestr' are required");
        goto done;
    }
    if (mask && mask != Py_None) {
        PyErr_SetString(PyExc_BufferError, "__cuda_array_interface__: cannot handle masked arrays");
        goto done;
    }
    if (!PyTuple_Check(data) || PyTuple_GET_SIZE(data) != 2 || !PyTuple_Check(shape)) {
        PyErr_SetString(PyExc_TypeError, "__cuda_array_interface__: 'data' must be (ptr, readonly), 'shape' a tuple");
        goto done;
    }
    void *ptr = PyLong_AsVoidPtr(PyTuple_GET_ITEM(data, 0));
    if (!ptr && PyErr_Occurred()) goto done;
    int readonly = PyObject_IsTrue(PyTuple_GET_ITEM(data, 1));
    if (readonly < 0) goto done;
    const char *ts = pympi_str(typestr, "__cuda_array_interface__ 'typestr'");
    if (!ts) goto done;
    /* typestr: byte order ('<', '>', '|'), kind, size in bytes: '<f8', '|u1', '<c16' */
    static const int little = 1;
    char order = ts[0], kind = ts[0] ? ts[1] : 0;
    long size = kind ? strtol(ts + 2, NULL, 10) : 0;
    if ((order == '<' && !*(const char *)&little) || (order == '>' && *(const char *)&little)) {
        PyErr_Format(PyExc_ValueError, "__cuda_array_interface__: non-native byte order '%s'", ts);
        goto done;
    }
    const char *format = size > 0 ? sized_format(kind, size) : NULL;
    if (!format && size > 0) format = "V";
    if (!format) {
        PyErr_Format(PyExc_ValueError, "__cuda_array_interface__: invalid typestr '%s'", ts);
        goto done;
    }
    Py_ssize_t ndim = PyTuple_GET_SIZE(shape), n = 1;
    Py_ssize_t dims[64];
    if (ndim > 64) { PyErr_SetString(PyExc_ValueError, "__cuda_array_interface__: too many dimensions"); goto done; }
    for (Py_ssize_t i = 0; i < ndim; i++) {
        dims[i] = PyLong_AsSsize_t(PyTuple_GET_ITEM(shape, i));
        if (dims[i] < 0) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "__cuda_array_interface__: negative extent");
            goto done;
        }
        n *= dims[i];
    }
    if (strides && strides != Py_None) {
        if (!PyTuple_Check(strides) || PyTuple_GET_SIZE(strides) != ndim) {
            PyErr_SetString(PyExc_ValueError, "__cuda_array_interface__: 'strides' must match 'shape'");
            goto done;
        }
        Py_ssize_t expect = size;
        for (Py_ssize_t i = ndim - 1; i >= 0; i--) {
            Py_ssize_t st = PyLong_AsSsize_t(PyTuple_GET_ITEM(strides, i));
            if (st == -1 && PyErr_Occurred()) goto done;
            if (dims[i] > 1 && st != expect) {
                PyErr_SetString(PyExc_BufferError, "__cuda_array_interface__: buffer is not contiguous");
                goto done;
            }
            expect *= dims[i];
        }
    }
    if (readonly && (flags & PyBUF_WRITABLE)) {
        PyErr_SetString(PyExc_BufferError, "__cuda_array_interface__: buffer is not writable");
        goto done;
    }
    rc = fill_raw_view(view, obj, ptr, n * size, readonly, format, size, flags);
done:
    Py_XDECREF(cai);
    return rc;
}

/* `want_format` 0: the caller has a datatype and never reads view->format, so it is not asked
 * for. Exporters may skip work then: NumPy builds its format string on every export. */
static int getbuffer_flags(PyObject *obj, Py_buffer *view, int writable, int want_format)
{
    int flags = PyBUF_ANY_CONTIGUOUS | (want_format ? PyBUF_FORMAT : 0) | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_CheckBuffer(obj)) return PyObject_GetBuffer(obj, view, flags);
    if (!str_cai) {
        str_dlpack = PyUnicode_InternFromString("__dlpack__");
        str_dlpack_device = PyUnicode_InternFromString("__dlpack_device__");
        str_cai = PyUnicode_InternFromString("__cuda_array_interface__");
        if (!str_dlpack || !str_dlpack_device || !str_cai) { Py_CLEAR(str_cai); return -1; }
    }
    int rc = get_dlpack_buffer(obj, view, flags);
    if (rc <= 0) return rc;
    rc = get_cai_buffer(obj, view, flags);
    if (rc <= 0) return rc;
    PyErr_Format(PyExc_TypeError, "message: expected a buffer object (or a buffer spec list), got '%.200s'",
                 Py_TYPE(obj)->tp_name);
    return -1;
}

int pympi_getbuffer(PyObject *obj, Py_buffer *view, int writable)
{
    return getbuffer_flags(obj, view, writable, 1);
}

/* ---- PEP 3118 format -> datatype ------------------------------------------- */
/* Native ('@' or no prefix): C types by code. Standard sizes ('<', '=' on little-endian): the
 * fixed-width types, since e.g. '<l' means 4 bytes whatever sizeof(long) is. */
static MPI_Datatype native_code(char c)
{
    switch (c) {
    case '?': return MPI_C_BOOL;
    case 'c': return MPI_CHAR;
    case 'u': case 'w': return MPI_WCHAR; /* array('u'): wchar_t */
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
    /* 's' / 'Ns': char[N] (NumPy 'S' strings); the count is then the byte length */
    const char *e = s;
    while (*e >= '0' && *e <= '9') e++;
    if (*e == 's' && !e[1]) return MPI_CHAR;
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
    /* A freed (or never created) datatype: what MPI itself would report. */
    if (t == MPI_DATATYPE_NULL) return pympi_raise(MPI_ERR_TYPE);
    return 0;
}

void pympi_msg_release(pympi_msg *m)
{
    if (m->view.obj) PyBuffer_Release(&m->view);
}

static int msg_too_large(void)
{
    PyErr_SetString(PyExc_ValueError, "message: count or displacement too large");
    return -1;
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
        if (spec == pympi_BOTTOM) {
            PyErr_SetString(PyExc_TypeError, "message: MPI.BOTTOM needs a datatype: [BOTTOM, count, datatype]");
            return -1;
        }
        if (pympi_getbuffer(spec, &m->view, writable) < 0) return -1;
        MPI_Datatype t = pympi_format_datatype(m->view.format);
        if (t == MPI_DATATYPE_NULL) goto fail;
        m->addr = m->view.buf;
        m->type = t;
        m->count = m->view.itemsize > 1 && t != MPI_CHAR ? m->view.len / m->view.itemsize : m->view.len;
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
    int bottom = data == pympi_BOTTOM, none = data == Py_None;
    MPI_Datatype t = MPI_DATATYPE_NULL;
    if (otype == Py_None) {
        /* datatype from the buffer's format */
        if (bottom || none) {
            PyErr_SetString(PyExc_TypeError, "message: a datatype is required with BOTTOM or None");
            return -1;
        }
    } else if (spec_datatype(otype, &t) < 0 || check_type_usable(t) < 0) return -1;
    MPI_Count count = -1, displ = 0;
    if (ocount && ocount != Py_None && pympi_count(ocount, 0, &count) < 0) return -1;
    if (odispl && odispl != Py_None && pympi_count(odispl, 0, &displ) < 0) return -1;
    if (count < -1 || displ < 0 || (ocount && ocount != Py_None && count < 0)) {
        PyErr_SetString(PyExc_ValueError, "message: negative count or displacement");
        return -1;
    }
    if (!bottom && !none) {
        /* the format is only needed when no datatype was given */
        if (getbuffer_flags(data, &m->view, writable, t == MPI_DATATYPE_NULL) < 0) return -1;
        if (t == MPI_DATATYPE_NULL && (t = pympi_format_datatype(m->view.format)) == MPI_DATATYPE_NULL) goto fail;
    }
    MPI_Count lb = 0, extent = 0, off;
    if (CHKERR(MPI_Type_get_extent_x(t, &lb, &extent))) goto fail;
    if (__builtin_mul_overflow(displ, extent, &off)) { msg_too_large(); goto fail; }
    if (bottom || none) {
        /* Absolute addresses (BOTTOM: one element by default) or nothing (None). */
        if (count < 0) count = bottom ? 1 : 0;
        m->addr = (char *)(bottom ? MPI_BOTTOM : NULL) + off;
        m->count = count;
        m->type = t;
        return 0;
    }
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
        /* Bytes touched: from displ*extent + true_lb to (displ+count-1)*extent + true_lb +
         * true_extent (the last element may be shorter than the extent). */
        MPI_Count tlb = 0, textent = 0, span;
        if (CHKERR(MPI_Type_get_true_extent_x(t, &tlb, &textent))) goto fail;
        if (__builtin_mul_overflow(displ + count - 1, extent, &span) ||
            __builtin_add_overflow(span, tlb + textent, &span)) { msg_too_large(); goto fail; }
        if (span > nbytes || off + tlb < 0) {
            PyErr_Format(PyExc_ValueError,
                         "message: count %lld and displacement %lld need %lld bytes, buffer has %lld",
                         (long long)count, (long long)displ, (long long)span, (long long)nbytes);
            goto fail;
        }
    } else if (off > nbytes) {
        PyErr_SetString(PyExc_ValueError, "message: displacement past the end of the buffer");
        goto fail;
    }
    m->addr = (char *)m->view.buf + off;
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
