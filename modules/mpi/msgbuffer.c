/* msgbuffer.c: buffer specifications -> (address, count, datatype).
 *
 * Accepted forms for one buffer (upper-case methods), as in mpi4py 3.1:
 *   buf                              any contiguous buffer: datatype from its format (every
 *                                    C/C99 integer, real, complex, bool and char type MPICH has;
 *                                    'Ns' strings are MPI_CHAR), count from its length
 *   [buf, datatype]                  count = length / extent(datatype)
 *   [buf, count]                     datatype from the buffer's format
 *   [buf, (count, displ)]            (a list [count, displ] works too)
 *   [buf, count, datatype]
 *   [buf, (count, displ), datatype]
 *   [buf, count, displ, datatype]
 *   (tuples are accepted wherever lists are; a datatype is a Datatype, a typecode string
 *   ('d', 'i4': KeyError for an unknown one) or None for the buffer's own format; a count or
 *   displacement may be None; a displacement counts elements of the datatype, and an inferred
 *   count is what fits after it)
 *   None                             empty message (the p2p methods accept it with PROC_NULL only)
 *   [MPI.BOTTOM, count, datatype]    absolute addresses (count 0 if omitted)
 *   MPI.IN_PLACE                     where the caller allows it (collectives)
 * A "buffer" is a buffer-protocol object, else a DLPack provider (__dlpack__ and
 * __dlpack_device__), else a __cuda_array_interface__ provider (mpi4py's order). Their memory is
 * used by address: host memory works as any buffer; device memory is handed to MPI as is.
 * Errors (mpi4py 3.1's classes): TypeError for a non-buffer, BufferError for a read-only receive
 * buffer or a non-contiguous provider (or what the exporter raises), ValueError for negative
 * counts or displacements, counts that cannot be inferred and blocks that do not fit the buffer
 * (checked here so MPI never touches memory outside it), KeyError for a format or typecode with
 * no MPI datatype, MPI.Exception(ERR_TYPE) for DATATYPE_NULL where MPI would be handed it. */
#include "pympi.h"

/* Release a view without losing a pending exception: the exporter's release (or the last
 * reference to a DLPack or CAI provider) may run Python code, which must neither see nor clear
 * the error being raised. */
void pympi_buffer_release(Py_buffer *view)
{
    if (!view->obj) return;
    if (!PyErr_Occurred()) {
        PyBuffer_Release(view);
        return;
    }
    PyObject *t, *v, *tb;
    PyErr_Fetch(&t, &v, &tb);
    PyBuffer_Release(view);
    PyErr_Restore(t, v, tb);
}

/* ---- buffer providers --------------------------------------------------------- *
 * In the order mpi4py tries them: the buffer protocol, then DLPack (__dlpack__ and
 * __dlpack_device__), then __cuda_array_interface__. The last two describe memory by address;
 * the view keeps the provider object alive (its owner) and has one of the static formats below,
 * or 'B' (bytes, itemsize 1) for an element type with no C equivalent, as in mpi4py. */

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
 * 'b' bool) and byte size; NULL if no C type has it. Half precision has a format but no MPI
 * datatype: KeyError later, unless the spec names a datatype. */
static const char *sized_format(char kind, long size)
{
    switch (kind) {
    case 'i': return size == 1 ? "b" : size == 2 ? "h" : size == 4 ? "i" : size == 8 ? "q" : NULL;
    case 'u': return size == 1 ? "B" : size == 2 ? "H" : size == 4 ? "I" : size == 8 ? "Q" : NULL;
    case 'f': return size == 2 ? "e" : size == 4 ? "f" : size == 8 ? "d" : size == (long)sizeof(long double) ? "g" : NULL;
    case 'c': return size == 4 ? "Ze" : size == 8 ? "Zf" : size == 16 ? "Zd" : size == 2 * (long)sizeof(long double) ? "Zg" : NULL;
    case 'b': return size == 1 ? "?" : NULL;
    default: return NULL;
    }
}

/* A view of `nbytes` at `buf` owned by the provider `obj`, with a format of `itemsize` bytes
 * (NULL: plain bytes). PyBuffer_FillInfo refuses (BufferError) a read-only one for writing. */
static int fill_provider_view(Py_buffer *view, PyObject *obj, void *buf, Py_ssize_t nbytes, int readonly,
                              const char *format, Py_ssize_t itemsize, int flags)
{
    if (PyBuffer_FillInfo(view, obj, buf, nbytes, readonly, flags) < 0) return -1;
    if (format) {
        view->format = (char *)format;
        view->itemsize = itemsize;
    } else if (flags & PyBUF_FORMAT) view->format = "B";
    return 0;
}

static PyObject *str_dlpack, *str_dlpack_device, *str_cai; /* interned attribute names */

/* a, b = pair, both integers: TypeError/ValueError as Python's unpacking and int() raise them. */
static int unpack_int_pair(PyObject *pair, const char *what, long *a, long *b)
{
    PyObject *fast = PySequence_Fast(pair, what);
    if (!fast) return -1;
    int rc = -1;
    if (PySequence_Fast_GET_SIZE(fast) != 2)
        PyErr_Format(PyExc_ValueError, "%s: expected 2 values, got %zd", what, PySequence_Fast_GET_SIZE(fast));
    else {
        *a = PyLong_AsLong(PySequence_Fast_GET_ITEM(fast, 0));
        *b = *a == -1 && PyErr_Occurred() ? -1 : PyLong_AsLong(PySequence_Fast_GET_ITEM(fast, 1));
        rc = PyErr_Occurred() ? -1 : 0;
    }
    Py_DECREF(fast);
    return rc;
}

/* Strides (in elements) laid out in C order (fortran 0) or Fortran order; dimensions of
 * length 1 may have any stride. */
static int dl_contiguous(const pympi_DLTensor *t, int fortran)
{
    int64_t expect = 1;
    for (int k = 0; k < t->ndim; k++) {
        int i = fortran ? k : t->ndim - 1 - k;
        if (t->shape[i] > 1 && t->strides[i] != expect) return 0;
        expect *= t->shape[i];
    }
    return 1;
}

/* Check the tensor and find its size and element format. 0, or -1 with BufferError. */
static int dl_describe(const pympi_DLTensor *t, Py_ssize_t *nbytes, const char **format, Py_ssize_t *itemsize)
{
    if (t->ndim < 0) return PyErr_SetString(PyExc_BufferError, "dlpack: number of dimensions is negative"), -1;
    if (t->ndim > 0 && !t->shape) return PyErr_SetString(PyExc_BufferError, "dlpack: shape is NULL"), -1;
    Py_ssize_t n = 1;
    for (int i = 0; i < t->ndim; i++) {
        if (t->shape[i] < 0) return PyErr_SetString(PyExc_BufferError, "dlpack: shape item is negative"), -1;
        if (__builtin_mul_overflow(n, (Py_ssize_t)t->shape[i], &n))
            return PyErr_SetString(PyExc_BufferError, "dlpack: tensor too large"), -1;
        if (t->strides && t->strides[i] < 0)
            return PyErr_SetString(PyExc_BufferError, "dlpack: strides item is negative"), -1;
    }
    if (t->strides && !dl_contiguous(t, 0) && !dl_contiguous(t, 1))
        return PyErr_SetString(PyExc_BufferError, "dlpack: buffer is not contiguous"), -1;
    Py_ssize_t bytes = ((Py_ssize_t)t->dtype.bits * t->dtype.lanes + 7) / 8;
    *format = NULL;
    *itemsize = 1;
    if (t->dtype.lanes == 1) {
        char kind = t->dtype.code == kDLInt ? 'i' : t->dtype.code == kDLUInt ? 'u'
                  : t->dtype.code == kDLFloat ? 'f' : t->dtype.code == kDLComplex ? 'c'
                  : t->dtype.code == kDLBool ? 'b' : '?';
        *format = t->dtype.bits % 8 ? NULL : sized_format(kind, t->dtype.bits / 8);
    } else if (t->dtype.code == kDLFloat && t->dtype.lanes == 2 && t->dtype.bits % 8 == 0) {
        /* two lanes of a real type: its complex counterpart (NumPy exports complex long
         * double so); any other vector type is plain bytes */
        *format = sized_format('c', t->dtype.bits / 4);
    }
    if (*format) *itemsize = bytes;
    if (__builtin_mul_overflow(n, bytes, nbytes))
        return PyErr_SetString(PyExc_BufferError, "dlpack: tensor too large"), -1;
    return 0;
}

/* The capsule is consumed at once, as mpi4py 3.1 does: the producer's deleter is called and the
 * capsule renamed "used_dltensor" (a capsule handed out twice is refused). The memory stays
 * valid through the provider object, which the view keeps. Deleters and capsule destructors may
 * be Python code: the pending exception, if any, is set aside meanwhile. */
static void dl_consume(PyObject *capsule, pympi_DLManagedTensor *managed)
{
    PyObject *t, *v, *tb;
    PyErr_Fetch(&t, &v, &tb);
    if (managed) {
        if (managed->deleter) managed->deleter(managed);
        if (PyCapsule_SetName(capsule, "used_dltensor") < 0) PyErr_Clear();
    }
    Py_DECREF(capsule);
    PyErr_Restore(t, v, tb);
}

/* 1: not provided (no exception set), 0: view filled, -1: error. */
static int get_dlpack_buffer(PyObject *obj, Py_buffer *view, int flags)
{
    PyObject *dlpack = NULL, *device = NULL, *dev = NULL, *capsule = NULL;
    int rc = -1;
    if (_PyObject_LookupAttr(obj, str_dlpack, &dlpack) < 0) return -1;
    if (!dlpack) return 1;
    if (_PyObject_LookupAttr(obj, str_dlpack_device, &device) < 0) goto done;
    if (!device) { rc = 1; goto done; }
    long device_type, device_id;
    dev = PyObject_CallNoArgs(device);
    if (!dev || unpack_int_pair(dev, "dlpack: __dlpack_device__()", &device_type, &device_id) < 0) goto done;
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
        PyErr_SetString(PyExc_BufferError, "dlpack: invalid capsule object");
        dl_consume(capsule, NULL);
        goto done;
    }
    pympi_DLManagedTensor *managed = PyCapsule_GetPointer(capsule, "dltensor");
    const pympi_DLTensor *t = &managed->dl_tensor;
    Py_ssize_t nbytes, itemsize;
    const char *format;
    if (dl_describe(t, &nbytes, &format, &itemsize) == 0)
        rc = fill_provider_view(view, obj, (char *)t->data + t->byte_offset, nbytes, 0, format, itemsize, flags);
    dl_consume(capsule, managed);
done:
    Py_XDECREF(dlpack);
    Py_XDECREF(device);
    Py_XDECREF(dev);
    return rc;
}

/* __cuda_array_interface__ (version 0-3): a dict with 'data' (ptr, readonly), 'typestr',
 * 'shape' and optional 'strides', 'descr', 'mask'. Errors as mpi4py 3.1 raises them: KeyError for
 * a missing key, TypeError for a value of the wrong type, ValueError for a 'data' pair of the
 * wrong length or a bad item size, BufferError for a negative size, masks and non-contiguous
 * strides; a 'descr' that does not match 'typestr' is ignored with a RuntimeWarning. */
static PyObject *cai_item(PyObject *cai, const char *key, int required)
{
    PyObject *v = PyDict_GetItemString(cai, key);
    if (!v && required) PyErr_SetString(PyExc_KeyError, key);
    return v == Py_None && !required ? NULL : v;
}

static int cai_type_error(const char *key, const char *expected, PyObject *v)
{
    PyErr_Format(PyExc_TypeError, "__cuda_array_interface__: '%s' must be %s, not '%.200s'", key, expected,
                 Py_TYPE(v)->tp_name);
    return -1;
}

static int cai_contiguous(PyObject *shape, PyObject *strides, Py_ssize_t itemsize, int fortran)
{
    Py_ssize_t ndim = PyTuple_GET_SIZE(shape), expect = itemsize;
    for (Py_ssize_t k = 0; k < ndim; k++) {
        Py_ssize_t i = fortran ? k : ndim - 1 - k;
        Py_ssize_t dim = PyLong_AsSsize_t(PyTuple_GET_ITEM(shape, i));
        Py_ssize_t st = PyLong_AsSsize_t(PyTuple_GET_ITEM(strides, i));
        if ((dim == -1 || st == -1) && PyErr_Occurred()) return -1;
        if (dim > 1 && st != expect) return 0;
        expect *= dim;
    }
    return 1;
}

static int cai_view(PyObject *obj, PyObject *cai, Py_buffer *view, int flags)
{
    if (!PyDict_Check(cai)) return cai_type_error("__cuda_array_interface__", "a dict", cai);
    PyObject *data = cai_item(cai, "data", 1), *typestr, *shape, *strides, *descr, *mask;
    if (!data || !(typestr = cai_item(cai, "typestr", 1)) || !(shape = cai_item(cai, "shape", 1))) return -1;
    strides = cai_item(cai, "strides", 0);
    descr = cai_item(cai, "descr", 0);
    mask = cai_item(cai, "mask", 0);
    if (!PyTuple_Check(data)) return cai_type_error("data", "a tuple", data);
    if (PyTuple_GET_SIZE(data) != 2) {
        PyErr_Format(PyExc_ValueError, "__cuda_array_interface__: 'data' must be (pointer, readonly), got %zd items",
                     PyTuple_GET_SIZE(data));
        return -1;
    }
    if (!PyUnicode_Check(typestr)) return cai_type_error("typestr", "a str", typestr);
    if (!PyTuple_Check(shape)) return cai_type_error("shape", "a tuple", shape);
    if (strides && !PyTuple_Check(strides)) return cai_type_error("strides", "a tuple or None", strides);
    if (descr && !PyList_Check(descr)) return cai_type_error("descr", "a list or None", descr);
    Py_ssize_t size = 1, ndim = PyTuple_GET_SIZE(shape);
    for (Py_ssize_t i = 0; i < ndim; i++) {
        Py_ssize_t dim = PyLong_AsSsize_t(PyTuple_GET_ITEM(shape, i));
        if (dim == -1 && PyErr_Occurred()) return -1;
        if (__builtin_mul_overflow(size, dim, &size)) {
            PyErr_SetString(PyExc_BufferError, "__cuda_array_interface__: buffer too large");
            return -1;
        }
    }
    PyObject *ptr_obj = PyTuple_GET_ITEM(data, 0);
    void *ptr = ptr_obj == Py_None && size == 0 ? NULL : PyLong_AsVoidPtr(ptr_obj);
    if (!ptr && PyErr_Occurred()) return -1;
    int readonly = PyObject_IsTrue(PyTuple_GET_ITEM(data, 1));
    if (readonly < 0) return -1;
    /* typestr: byte order ('<', '>', '|'), kind, size in bytes: '<f8', '|u1', '<c16' */
    const char *ts = PyUnicode_AsUTF8(typestr);
    if (!ts) return -1;
    char order = ts[0], kind = order ? ts[1] : 0, *end = NULL;
    long itemsize = kind ? strtol(ts + 2, &end, 10) : 0;
    if (!kind || !end || end == ts + 2 || *end || itemsize <= 0) {
        PyErr_Format(PyExc_ValueError, "__cuda_array_interface__: invalid typestr '%s'", ts);
        return -1;
    }
    static const int one = 1;
    int little = *(const char *)&one;
    if ((order == '<' && !little) || (order == '>' && little) || !strchr("<>|", order)) {
        PyErr_Format(PyExc_BufferError, "__cuda_array_interface__: typestr '%s' with non-native byte order", ts);
        return -1;
    }
    if (mask) {
        PyErr_SetString(PyExc_BufferError, "__cuda_array_interface__: cannot handle masked arrays");
        return -1;
    }
    if (size < 0) {
        PyErr_SetString(PyExc_BufferError, "__cuda_array_interface__: buffer with negative size");
        return -1;
    }
    if (strides) {
        if (PyTuple_GET_SIZE(strides) != ndim) {
            PyErr_SetString(PyExc_ValueError, "__cuda_array_interface__: 'strides' and 'shape' differ in length");
            return -1;
        }
        int c = cai_contiguous(shape, strides, itemsize, 0);
        if (c == 0) c = cai_contiguous(shape, strides, itemsize, 1);
        if (c < 0) return -1;
        if (!c) {
            PyErr_SetString(PyExc_BufferError, "__cuda_array_interface__: buffer is not contiguous");
            return -1;
        }
    }
    if (descr) {
        /* the element type comes from typestr; a structured descr is not used */
        int plain = 0;
        if (PyList_GET_SIZE(descr) == 1) {
            PyObject *expect = Py_BuildValue("(sO)", "", typestr);
            if (!expect) return -1;
            plain = PyObject_RichCompareBool(PyList_GET_ITEM(descr, 0), expect, Py_EQ);
            Py_DECREF(expect);
            if (plain < 0) return -1;
        }
        if (!plain && PyErr_WarnEx(PyExc_RuntimeWarning, "__cuda_array_interface__: ignoring 'descr' key", 1) < 0)
            return -1;
    }
    const char *format = sized_format(kind, itemsize);
    Py_ssize_t nbytes;
    if (__builtin_mul_overflow(size, (Py_ssize_t)itemsize, &nbytes)) {
        PyErr_SetString(PyExc_BufferError, "__cuda_array_interface__: buffer too large");
        return -1;
    }
    return fill_provider_view(view, obj, ptr, nbytes, readonly, format, format ? itemsize : 1, flags);
}

static int get_cai_buffer(PyObject *obj, Py_buffer *view, int flags)
{
    PyObject *cai = NULL;
    if (_PyObject_LookupAttr(obj, str_cai, &cai) < 0) return -1;
    if (!cai) return 1;
    int rc = cai_view(obj, cai, view, flags);
    Py_DECREF(cai);
    return rc;
}

/* ---- NumPy arrays without a buffer export ------------------------------------ *
 * Exporting an ndarray through PEP 3118 rebuilds its format string every time (about 400
 * instructions, twice per Sendrecv). For an exact, contiguous ndarray of a native-order builtin
 * element type the view is filled from the array's fields instead; anything else takes the
 * export. Only NumPy's struct layout is used (no C-API table), so NumPy is never imported here.
 * The type is recognised by name when first seen; the fast path is then enabled only if NumPy
 * defines no releasebuffer (PyBuffer_Release must have nothing to undo) and the fields agree
 * with a real export of that first array (a NumPy of another ABI than the headers' disables
 * it). The view keeps a reference to the array, as an export does. */
#ifdef HAVE_NUMPY_HEADERS
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/ndarraytypes.h>

static PyTypeObject *ndarray_type; /* numpy.ndarray once seen */
static int ndarray_fast = -1;      /* -1 not yet checked, 0 off, 1 on */

/* A native-order builtin NumPy type, by its type character: its PEP 3118 format, and the MPI
 * datatype that format names (looked up once, when the layout is checked). */
typedef struct {
    const char *format;
    MPI_Datatype type;
} ndarray_kind;
static ndarray_kind ndarray_kinds[128] = {
    ['?'] = {"?"}, ['b'] = {"b"}, ['B'] = {"B"}, ['h'] = {"h"}, ['H'] = {"H"}, ['i'] = {"i"},
    ['I'] = {"I"}, ['l'] = {"l"}, ['L'] = {"L"}, ['q'] = {"q"}, ['Q'] = {"Q"}, ['f'] = {"f"},
    ['d'] = {"d"}, ['g'] = {"g"}, ['F'] = {"Zf"}, ['D'] = {"Zd"}, ['G'] = {"Zg"}};

static const ndarray_kind *ndarray_kind_of(const PyArray_Descr *d)
{
    if ((d->byteorder != '=' && d->byteorder != '|') || d->type_num >= NPY_NTYPES || d->subarray)
        return NULL;
    unsigned char c = (unsigned char)d->type;
    return c < 128 && ndarray_kinds[c].format ? &ndarray_kinds[c] : NULL;
}

/* 0 filled (and *kind set), 1 not a fast-path array (use the export). */
static int ndarray_view(PyObject *obj, Py_buffer *view, int writable, const ndarray_kind **kind)
{
    PyArrayObject *a = (PyArrayObject *)obj;
    PyArray_Descr *d = PyArray_DESCR(a);
    int fl = PyArray_FLAGS(a);
    const ndarray_kind *k = ndarray_kind_of(d);
    if (!k || !(fl & (NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_F_CONTIGUOUS)) ||
        (writable && !(fl & NPY_ARRAY_WRITEABLE)))
        return 1;
    Py_ssize_t n = d->elsize;
    for (int i = 0; i < PyArray_NDIM(a); i++) n *= PyArray_DIMS(a)[i];
    view->buf = PyArray_DATA(a);
    view->obj = Py_NewRef(obj);
    view->len = n;
    view->itemsize = d->elsize;
    view->readonly = !(fl & NPY_ARRAY_WRITEABLE);
    view->ndim = 1;
    view->format = (char *)k->format;
    view->shape = view->strides = view->suboffsets = NULL;
    view->internal = PYMPI_PLAIN_VIEW;
    *kind = k;
    return 0;
}

static int ndarray_check_layout(PyObject *obj)
{
    if (Py_TYPE(obj)->tp_as_buffer->bf_releasebuffer) return 0;
    Py_buffer real, mine;
    const ndarray_kind *k;
    if (PyObject_GetBuffer(obj, &real, PyBUF_FULL_RO) < 0) { PyErr_Clear(); return 0; }
    int ok = ndarray_view(obj, &mine, 0, &k) == 0;
    if (ok) {
        ok = mine.buf == real.buf && mine.len == real.len && mine.itemsize == real.itemsize &&
             mine.readonly == real.readonly;
        Py_DECREF(mine.obj);
    }
    PyBuffer_Release(&real);
    for (int c = 0; ok && c < 128; c++) {
        if (!ndarray_kinds[c].format) continue;
        ndarray_kinds[c].type = pympi_format_datatype(ndarray_kinds[c].format);
        if (ndarray_kinds[c].type == MPI_DATATYPE_NULL) PyErr_Clear(); /* left to the general path */
    }
    return ok;
}

/* 0 filled, 1 not handled here. */
static int ndarray_getbuffer(PyObject *obj, Py_buffer *view, int writable)
{
    PyTypeObject *tp = Py_TYPE(obj);
    const ndarray_kind *k;
    if (tp != ndarray_type) {
        if (ndarray_type || strcmp(tp->tp_name, "numpy.ndarray") != 0) return 1;
        ndarray_type = tp; /* a new exact ndarray type: check its layout once */
        Py_INCREF(tp);
    }
    if (ndarray_fast < 0) ndarray_fast = ndarray_check_layout(obj);
    return ndarray_fast ? ndarray_view(obj, view, writable, &k) : 1;
}

/* The usual specs, an ndarray alone or [ndarray, Datatype], the short way: 0 done, 1 not one of
 * those (nothing set; the general path then gives the same result, or the error), -1 error. */
static int msg_ndarray(PyObject *spec, int writable, pympi_msg *m)
{
    PyObject *data = spec, *otype = NULL;
    if (PyList_CheckExact(spec) || PyTuple_CheckExact(spec)) {
        if (Py_SIZE(spec) != 2) return 1;
        data = PySequence_Fast_ITEMS(spec)[0];
        otype = PySequence_Fast_ITEMS(spec)[1];
        if (!PyMPIDatatype_Check(otype)) return 1;
    }
    const ndarray_kind *k;
    if (Py_TYPE(data) != ndarray_type || ndarray_fast != 1 || ndarray_view(data, &m->view, writable, &k))
        return 1;
    MPI_Datatype t = otype ? ((PyMPIDatatypeObject *)otype)->ob_mpi : k->type;
    MPI_Count extent = m->view.itemsize;
    pympi_extents e;
    if (otype && t != MPI_DATATYPE_NULL) {
        if (pympi_type_extents(t, &e) < 0) { pympi_msg_release(m); return -1; }
        extent = e.extent;
    }
    if (t == MPI_DATATYPE_NULL || m->view.len == 0 || extent <= 0 || m->view.len % extent) {
        pympi_msg_release(m);
        return 1;
    }
    m->addr = m->view.buf;
    m->count = m->view.len / extent;
    m->type = t;
    return 0;
}
#else
static int ndarray_getbuffer(PyObject *obj, Py_buffer *view, int writable) { return 1; }
static int msg_ndarray(PyObject *spec, int writable, pympi_msg *m) { return 1; }
#endif

/* `want_format` 0: the caller has a datatype and never reads view->format, so it is not asked
 * for. Exporters may skip work then: NumPy builds its format string on every export. */
static int getbuffer_flags(PyObject *obj, Py_buffer *view, int writable, int want_format)
{
    int flags = PyBUF_ANY_CONTIGUOUS | (want_format ? PyBUF_FORMAT : 0) | (writable ? PyBUF_WRITABLE : 0);
    view->obj = NULL;
    if (ndarray_getbuffer(obj, view, writable) == 0) return 0;
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
    else if (*s == '<' || *s == '>' || *s == '!') {
        PyErr_Format(PyExc_ValueError, "message: format '%s' with non-native byte order", fmt);
        return MPI_DATATYPE_NULL;
    }
    else if (*s == '|') s++;
    MPI_Datatype t = MPI_DATATYPE_NULL;
    /* 's' / 'Ns': char[N] (NumPy 'S' strings); the count is then the byte length */
    const char *e = s;
    while (*e >= '0' && *e <= '9') e++;
    if (*e == 's' && !e[1]) return MPI_CHAR;
    if (s[0] && !s[1]) t = standard ? standard_code(s[0]) : native_code(s[0]);
    else if (s[0] == 'Z' && s[1] && !s[2]) t = (standard ? standard_code : native_code)((char)(s[1] - 32));
    else if (s[0] && s[1] >= '0' && s[1] <= '9') t = sized_code(s);
    if (t == MPI_DATATYPE_NULL) {
        /* what mpi4py raises for a key missing from its type dictionary */
        PyObject *key = PyUnicode_FromString(fmt);
        if (key) {
            PyErr_SetObject(PyExc_KeyError, key);
            Py_DECREF(key);
        }
    }
    return t;
}

/* ---- buffer specs ------------------------------------------------------------- */
/* A Datatype or a typecode string names a datatype; None (no datatype) gives NULL. */
static int is_datatype(PyObject *o) { return PyMPIDatatype_Check(o) || PyUnicode_Check(o); }

int pympi_spec_datatype(PyObject *o, MPI_Datatype *t)
{
    if (PyUnicode_Check(o)) {
        const char *s = PyUnicode_AsUTF8(o);
        if (!s) return -1;
        *t = pympi_format_datatype(s);
        return *t == MPI_DATATYPE_NULL ? -1 : 0;
    }
    return pympi_as_datatype(o, t);
}

int pympi_unpack_pair(PyObject *o, const char *what, PyObject **a, PyObject **b)
{
    if (!PyList_Check(o) && !PyTuple_Check(o)) {
        PyErr_Format(PyExc_TypeError, "message: expected %s, got '%.200s'", what, Py_TYPE(o)->tp_name);
        return -1;
    }
    if (PySequence_Fast_GET_SIZE(o) != 2) {
        PyErr_Format(PyExc_ValueError, "message: expected %s, got %zd items", what, PySequence_Fast_GET_SIZE(o));
        return -1;
    }
    *a = PySequence_Fast_ITEMS(o)[0];
    *b = PySequence_Fast_ITEMS(o)[1];
    return 0;
}

static PyObject *none_to_null(PyObject *o) { return o == Py_None ? NULL : o; }

/* [data, type] [data, count] [data, (count, displ)] [data, count, type]
 * [data, (count, displ), type] [data, count, displ, type]: the parts given (others NULL). */
Py_ssize_t pympi_spec_items(PyObject *spec, PyObject ***items)
{
    Py_ssize_t n = PySequence_Fast_GET_SIZE(spec);
    *items = PySequence_Fast_ITEMS(spec);
    if (n < 2 || n > 4) {
        PyErr_Format(PyExc_ValueError, "message: expected 2 to 4 items, got %zd", n);
        return -1;
    }
    return n;
}

static int split_simple(PyObject *spec, PyObject **data, PyObject **count, PyObject **displ, PyObject **type)
{
    PyObject **it;
    Py_ssize_t n = pympi_spec_items(spec, &it);
    *count = *displ = *type = NULL;
    if (n < 0) return -1;
    *data = it[0];
    if (n == 4) {
        *count = it[1];
        *displ = it[2];
        *type = it[3];
    } else {
        if (n == 3) *type = it[2];
        if (n == 2 && is_datatype(it[1])) *type = it[1];
        else if (PyList_Check(it[1]) || PyTuple_Check(it[1])) {
            if (pympi_unpack_pair(it[1], "(count, displacement)", count, displ) < 0) return -1;
        } else *count = it[1];
    }
    *count = none_to_null(*count);
    *displ = none_to_null(*displ);
    *type = none_to_null(*type);
    /* Counts and displacements in a spec are integers proper (mpi4py 3.1 tests __index__):
     * unlike an int argument of a method, a float here is an error, not truncated. */
    if ((*count && !PyIndex_Check(*count)) || (*displ && !PyIndex_Check(*displ))) {
        PyErr_Format(PyExc_TypeError, "message: expected an integer count or displacement, got '%.200s'",
                     Py_TYPE(*count && !PyIndex_Check(*count) ? *count : *displ)->tp_name);
        return -1;
    }
    return 0;
}

/* ValueError with a message of two integers. */
static int value_error(const char *fmt, MPI_Count a, MPI_Count b)
{
    PyErr_Format(PyExc_ValueError, fmt, (long long)a, (long long)b);
    return -1;
}

/* The extent of t; ValueError (saying `why`) when it is null or not positive. */
static int positive_extent(MPI_Datatype t, const char *why, MPI_Count *extent)
{
    pympi_extents e;
    if (t == MPI_DATATYPE_NULL) {
        PyErr_Format(PyExc_ValueError, "message: cannot %s, datatype is null", why);
        return -1;
    }
    if (pympi_type_extents(t, &e) < 0) return -1;
    *extent = e.extent;
    if (*extent <= 0) {
        PyErr_Format(PyExc_ValueError, "message: cannot %s, datatype extent %lld", why, (long long)*extent);
        return -1;
    }
    return 0;
}

/* One buffer spec, holding `blocks` equal blocks (1 for a plain message; 0: no block at all).
 * Without a count, the count of one block is what fits after the displacement, split evenly;
 * a given count is the count of one block, and all the blocks must fit the buffer. */
static int msg_parse(PyObject *spec, int role, int blocks, pympi_msg *m)
{
    int writable = (role & 0xF) == PYMPI_RECV;
    PyObject *data = spec, *ocount = NULL, *odispl = NULL, *otype = NULL;
    m->view.obj = NULL;
    m->view.internal = NULL;
    if (PyList_Check(spec) || PyTuple_Check(spec)) {
        if (split_simple(spec, &data, &ocount, &odispl, &otype) < 0) return -1;
    } else if (spec == Py_None) {
        m->addr = NULL; m->count = 0; m->type = MPI_BYTE;
        return 0;
    } else if ((role & PYMPI_ALLOW_INPLACE) && spec == pympi_IN_PLACE) {
        m->addr = MPI_IN_PLACE; m->count = 0; m->type = MPI_DATATYPE_NULL;
        return 0;
    } else if (spec == pympi_BOTTOM) {
        PyErr_SetString(PyExc_TypeError, "message: MPI.BOTTOM needs a datatype: [BOTTOM, count, datatype]");
        return -1;
    }
    MPI_Datatype t = MPI_DATATYPE_NULL;
    MPI_Count count = 0, displ = 0, extent = 0, offset = 0, length = 0;
    if (otype && pympi_spec_datatype(otype, &t) < 0) return -1;
    if (ocount && pympi_count(ocount, 0, &count) < 0) return -1;
    if (odispl && pympi_count(odispl, 0, &displ) < 0) return -1;
    if (count < 0 || displ < 0) return value_error("message: negative count %lld or displacement %lld", count, displ);
    int bottom = data == pympi_BOTTOM, none = data == Py_None;
    if (bottom || none) {
        /* absolute addresses, or nothing: the datatype says it all */
        if (!otype) {
            PyErr_SetString(PyExc_TypeError, "message: a datatype is required with BOTTOM or None");
            return -1;
        }
        if (none && count > 0) return value_error("message: buffer is None but count is %lld (displacement %lld)", count, displ);
    } else {
        /* the format is only needed when no datatype was given */
        if (getbuffer_flags(data, &m->view, writable, !otype) < 0) return -1;
        if (!otype && (t = pympi_format_datatype(m->view.format)) == MPI_DATATYPE_NULL) goto fail;
        length = m->view.len;
    }
    if (displ > 0) {
        if (positive_extent(t, "handle displacement", &extent) < 0) goto fail;
        if (__builtin_mul_overflow(displ, extent, &offset) || (!bottom && offset > length)) {
            value_error("message: displacement %lld out of bounds, buffer has %lld entries", displ, length / extent);
            goto fail;
        }
        length -= offset;
    }
    if (!ocount) {
        if (length > 0 && blocks > 0) {
            if (!extent && positive_extent(t, "infer count", &extent) < 0) goto fail;
            if (length % extent) {
                value_error("message: cannot infer count, buffer length %lld is not a multiple of datatype "
                            "extent %lld", length, extent);
                goto fail;
            }
            count = length / extent;
            if (count % blocks) {
                value_error("message: cannot infer count, %lld entries do not split into %lld blocks", count, blocks);
                goto fail;
            }
            count /= blocks;
        }
    } else if (count > 0 && m->view.obj) {
        /* Bytes touched by the blocks, relative to the address: from the true lower bound of
         * the first element to the true upper bound of the last (which may end before its
         * extent does); a negative extent lays the elements out backwards. */
        MPI_Count total, last, lo, hi;
        pympi_extents e;
        if (t == MPI_DATATYPE_NULL) { pympi_raise(MPI_ERR_TYPE); goto fail; }
        if (pympi_type_extents(t, &e) < 0) goto fail;
        MPI_Count tlb = e.true_lb, textent = e.true_extent;
        extent = e.extent;
        if (__builtin_mul_overflow(count, (MPI_Count)(blocks > 1 ? blocks : 1), &total) ||
            __builtin_mul_overflow(total - 1, extent, &last) ||
            __builtin_add_overflow(last > 0 ? last : 0, tlb + textent, &hi) ||
            (lo = (last < 0 ? last : 0) + tlb) < -offset || hi > length) {
            PyErr_Format(PyExc_ValueError, "message: %lld entries at displacement %lld do not fit a buffer of %zd bytes",
                         (long long)count, (long long)displ, m->view.len);
            goto fail;
        }
    }
    if (t == MPI_DATATYPE_NULL) { pympi_raise(MPI_ERR_TYPE); goto fail; } /* as MPI would report it */
    m->addr = (char *)(bottom ? MPI_BOTTOM : m->view.obj ? m->view.buf : NULL) + offset;
    m->count = blocks > 0 ? count : 0;
    m->type = t;
    return 0;
fail:
    pympi_msg_release(m);
    return -1;
}

int pympi_msg_get(PyObject *spec, int role, pympi_msg *m)
{
    m->view.internal = NULL;
    int rc = msg_ndarray(spec, (role & 0xF) == PYMPI_RECV, m);
    return rc <= 0 ? rc : msg_parse(spec, role, 1, m);
}

int pympi_msg_get_blocks(PyObject *spec, int role, int blocks, pympi_msg *m)
{
    return msg_parse(spec, role, blocks > 0 ? blocks : 0, m);
}

/* ---- keeping buffers alive for non-blocking operations ------------------------ */
PyObject *pympi_view_keep(Py_buffer *view)
{
    if (view->internal == PYMPI_PLAIN_VIEW) { /* releasing it is dropping the reference */
        PyObject *o = view->obj;
        view->obj = NULL;
        return o;
    }
    return pympi_memory_from_view(view); /* steals: view->obj becomes NULL */
}

PyObject *pympi_msg_keep(pympi_msg *m)
{
    if (!m->view.obj) Py_RETURN_NONE;
    return pympi_view_keep(&m->view);
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
