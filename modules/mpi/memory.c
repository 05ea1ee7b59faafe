/* memory.c: MPI.memory, a buffer object over raw memory or over another exporter; the module
 * functions Alloc_mem/Free_mem, Attach_buffer/Detach_buffer and Get_address.
 *
 * A memory object holds one Py_buffer `view`:
 *   - view.obj != NULL: a view of an exporter (memory(obj), frombuffer, slices, toreadonly,
 *     kept message buffers); release() releases it.
 *   - view.obj == NULL: raw memory at view.buf; owned (owns_mem) when allocate() or Alloc_mem()
 *     made it, then freed (PyMem_Free or MPI_Free_mem, exactly once) by release(), Free_mem()
 *     or when the object dies.
 * The object exports its bytes ('B', itemsize 1) through the buffer protocol and counts the live
 * exports. release() empties the object at once, as in mpi4py 3.1; while exports are alive, what
 * it held moves to a hidden memory object (`detached`) that is dropped with the last export, so
 * a memoryview or NumPy array made from it never points into freed memory.
 * Alloc_mem blocks are recorded by address with their owner: Free_mem() frees the block at the
 * address of whatever it is given (as mpi4py 3.1 does: a view, a window's tomemory()), empties
 * the owner, and refuses (MPI.Exception ERR_BASE) an address that is not a live block, which
 * MPI_Free_mem itself would pass to free(). */
#include "pympi.h"

#define FASTKW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS
#define ARGS PyObject *const *args, Py_ssize_t nargs, PyObject *kw
#define MEM(o) ((PyMPIMemoryObject *)(o))

/* ---- live Alloc_mem blocks ------------------------------------------------------------------ */
typedef struct { void *base; PyMPIMemoryObject *owner; } mpi_block;
static mpi_block *blocks;
static Py_ssize_t nblocks, blocks_cap;

static mpi_block *block_find(void *base)
{
    for (Py_ssize_t i = 0; i < nblocks; i++)
        if (blocks[i].base == base) return &blocks[i];
    return NULL;
}

static int block_add(void *base, PyMPIMemoryObject *owner)
{
    if (nblocks == blocks_cap) {
        Py_ssize_t cap = blocks_cap ? 2 * blocks_cap : 16;
        mpi_block *b = PyMem_Realloc(blocks, (size_t)cap * sizeof(mpi_block));
        if (!b) { PyErr_NoMemory(); return -1; }
        blocks = b;
        blocks_cap = cap;
    }
    blocks[nblocks].base = base;
    blocks[nblocks++].owner = owner;
    return 0;
}

static void block_remove(mpi_block *b) { *b = blocks[--nblocks]; }

static void memory_reset(PyMPIMemoryObject *self)
{
    memset(&self->view, 0, sizeof(Py_buffer));
    self->view.itemsize = 1;
    self->owns_mem = 0;
    self->mpi_mem = 0;
}

static PyMPIMemoryObject *memory_alloc(PyTypeObject *tp)
{
    PyMPIMemoryObject *self = (PyMPIMemoryObject *)tp->tp_alloc(tp, 0);
    if (!self) return NULL;
    memory_reset(self);
    self->exports = 0;
    self->detached = NULL;
    return self;
}

/* Give up the memory: release the exporter's view or free owned raw memory; the object is
 * empty afterwards. With live exports the memory is handed to a hidden object instead, freed
 * when the last export ends. -1 (MemoryError) only if that object cannot be made. */
static int memory_drop(PyMPIMemoryObject *self)
{
    if (self->exports > 0 && (self->view.obj || self->owns_mem)) {
        PyMPIMemoryObject *keep = memory_alloc(&PyMPIMemory_Type);
        if (!keep) return -1;
        keep->view = self->view;
        keep->owns_mem = self->owns_mem;
        keep->mpi_mem = self->mpi_mem;
        mpi_block *b = self->mpi_mem && self->owns_mem ? block_find(self->view.buf) : NULL;
        if (b) b->owner = keep;
        Py_XSETREF(self->detached, (PyObject *)keep);
    } else if (self->view.obj) {
        pympi_buffer_release(&self->view);
    } else if (self->owns_mem && self->view.buf) {
        if (self->mpi_mem) {
            mpi_block *b = block_find(self->view.buf);
            if (b) block_remove(b);
            if (pympi_mpi_active()) MPI_Free_mem(self->view.buf);
        } else PyMem_Free(self->view.buf);
    }
    memory_reset(self);
    return 0;
}

static void memory_dealloc(PyMPIMemoryObject *self)
{
    memory_drop(self); /* no export is alive: each holds a reference */
    Py_CLEAR(self->detached);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

PyObject *pympi_memory_from_view(Py_buffer *view)
{
    PyMPIMemoryObject *self = memory_alloc(&PyMPIMemory_Type);
    if (!self) { PyBuffer_Release(view); return NULL; }
    self->view = *view;
    view->obj = NULL;
    return (PyObject *)self;
}

PyObject *pympi_memory_new_raw(void *addr, Py_ssize_t nbytes, int readonly)
{
    PyMPIMemoryObject *self = memory_alloc(&PyMPIMemory_Type);
    if (!self) return NULL;
    self->view.buf = addr;
    self->view.len = nbytes;
    self->view.readonly = readonly;
    return (PyObject *)self;
}

/* A view of `obj`. writable: the exporter must grant write access; readonly: mark the view
 * read-only (neither: read-only exactly when the exporter is). */
static PyObject *memory_of(PyTypeObject *tp, PyObject *obj, int writable, int readonly)
{
    PyMPIMemoryObject *self = memory_alloc(tp);
    if (!self) return NULL;
    /* any buffer: the buffer protocol, DLPack or CUDA array interface */
    if (pympi_getbuffer(obj, &self->view, writable) < 0) {
        memory_reset(self);
        Py_DECREF(self);
        return NULL;
    }
    if (readonly) self->view.readonly = 1;
    return (PyObject *)self;
}

/* memory(): empty; memory(obj): a view of obj (read-only if obj is). */
static PyObject *memory_new(PyTypeObject *tp, PyObject *args, PyObject *kw)
{
    PyObject *obj = NULL;
    static char *kwlist[] = {"obj", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:memory", kwlist, &obj)) return NULL;
    if (!obj) return (PyObject *)memory_alloc(tp);
    return memory_of(tp, obj, 0, 0);
}

/* ---- constructors -------------------------------------------------------------------------- */
static PyObject *memory_allocate(PyObject *unused, ARGS)
{
    static const char *const kwlist[] = {"nbytes", "clear", NULL};
    PyObject *a[2];
    MPI_Aint nbytes;
    int clear;
    if (pympi_parse("allocate", kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    if (pympi_aint(a[0], 0, &nbytes) < 0 || pympi_bool(a[1], 0, &clear) < 0) return NULL;
    if (nbytes < 0) return PyErr_Format(PyExc_ValueError, "allocate: negative size %zd", (Py_ssize_t)nbytes);
    void *p = clear ? PyMem_Calloc((size_t)(nbytes ? nbytes : 1), 1) : PyMem_Malloc((size_t)(nbytes ? nbytes : 1));
    if (!p) return PyErr_NoMemory();
    PyObject *m = pympi_memory_new_raw(p, nbytes, 0);
    if (!m) { PyMem_Free(p); return NULL; }
    MEM(m)->owns_mem = 1;
    return m;
}

static PyObject *memory_frombuffer(PyObject *unused, ARGS)
{
    static const char *const kwlist[] = {"obj", "readonly", NULL};
    PyObject *a[2];
    int readonly;
    if (pympi_parse("frombuffer", kwlist, 1, args, nargs, kw, a) < 0 || pympi_bool(a[1], 0, &readonly) < 0)
        return NULL;
    return memory_of(&PyMPIMemory_Type, a[0], !readonly, readonly);
}

static PyObject *memory_fromaddress(PyObject *unused, ARGS)
{
    static const char *const kwlist[] = {"address", "nbytes", "readonly", NULL};
    PyObject *a[3];
    MPI_Aint nbytes;
    int readonly;
    if (pympi_parse("fromaddress", kwlist, 2, args, nargs, kw, a) < 0) return NULL;
    if (!PyLong_Check(a[0]) && !PyIndex_Check(a[0]))
        return PyErr_Format(PyExc_TypeError, "fromaddress: address must be an integer, got '%.200s'",
                            Py_TYPE(a[0])->tp_name);
    if (pympi_aint(a[1], 0, &nbytes) < 0 || pympi_bool(a[2], 0, &readonly) < 0) return NULL;
    PyObject *addr_obj = PyNumber_Index(a[0]);
    if (!addr_obj) return NULL;
    void *addr = PyLong_AsVoidPtr(addr_obj);
    Py_DECREF(addr_obj);
    if (!addr && PyErr_Occurred()) return NULL;
    if (nbytes < 0) return PyErr_Format(PyExc_ValueError, "fromaddress: negative size %zd", (Py_ssize_t)nbytes);
    if (nbytes > 0 && !addr) return PyErr_Format(PyExc_ValueError, "fromaddress: NULL address with size %zd",
                                                 (Py_ssize_t)nbytes);
    return pympi_memory_new_raw(addr, nbytes, readonly);
}

/* ---- buffer protocol ------------------------------------------------------------------------- */
static int memory_getbuffer(PyMPIMemoryObject *self, Py_buffer *view, int flags)
{
    if ((flags & PyBUF_WRITABLE) && self->view.readonly) {
        PyErr_SetString(PyExc_BufferError, "memory: buffer is read-only");
        return -1;
    }
    if (PyBuffer_FillInfo(view, (PyObject *)self, self->view.buf, self->view.len, self->view.readonly, flags) < 0)
        return -1;
    self->exports++;
    return 0;
}

static void memory_releasebuffer(PyMPIMemoryObject *self, Py_buffer *view)
{
    if (--self->exports == 0) Py_CLEAR(self->detached);
}

static PyBufferProcs memory_as_buffer = {(getbufferproc)memory_getbuffer, (releasebufferproc)memory_releasebuffer};

/* ---- sequence / mapping ------------------------------------------------------------------------ */
static Py_ssize_t memory_len(PyMPIMemoryObject *self) { return self->view.len; }

static int index_of(PyMPIMemoryObject *self, PyObject *item, Py_ssize_t *i)
{
    Py_ssize_t k = PyNumber_AsSsize_t(item, PyExc_IndexError);
    if (k == -1 && PyErr_Occurred()) return -1;
    if (k < 0) k += self->view.len;
    if (k < 0 || k >= self->view.len) {
        PyErr_SetString(PyExc_IndexError, "memory index out of range");
        return -1;
    }
    *i = k;
    return 0;
}

static int slice_of(PyMPIMemoryObject *self, PyObject *item, Py_ssize_t *start, Py_ssize_t *len)
{
    Py_ssize_t stop, step;
    if (PySlice_Unpack(item, start, &stop, &step) < 0) return -1;
    *len = PySlice_AdjustIndices(self->view.len, start, &stop, step);
    if (step != 1) {
        PyErr_SetString(PyExc_IndexError, "memory: slices with a step are not supported");
        return -1;
    }
    return 0;
}

static PyObject *memory_subscript(PyMPIMemoryObject *self, PyObject *item)
{
    unsigned char *buf = self->view.buf;
    if (PyIndex_Check(item)) {
        Py_ssize_t i;
        if (index_of(self, item, &i) < 0) return NULL;
        return PyLong_FromLong(buf[i]);
    }
    if (PySlice_Check(item)) {
        Py_ssize_t start, len;
        Py_buffer view;
        if (slice_of(self, item, &start, &len) < 0) return NULL;
        if (PyObject_GetBuffer((PyObject *)self, &view, PyBUF_SIMPLE) < 0) return NULL;
        view.buf = (char *)view.buf + (len > 0 ? start : 0);
        view.len = len;
        return pympi_memory_from_view(&view); /* pins self until the slice dies */
    }
    return PyErr_Format(PyExc_TypeError, "memory indices must be integers or slices, not '%.200s'",
                        Py_TYPE(item)->tp_name);
}

static int byte_value(PyObject *value, unsigned char *out)
{
    int overflow = 0;
    PyObject *v = PyNumber_Index(value);
    if (!v) return -1;
    long x = PyLong_AsLongAndOverflow(v, &overflow);
    Py_DECREF(v);
    if (x == -1 && PyErr_Occurred()) return -1;
    if (overflow || x < 0 || x > 255) {
        PyErr_SetString(PyExc_ValueError, "memory: byte value must be in range(0, 256)");
        return -1;
    }
    *out = (unsigned char)x;
    return 0;
}

static int memory_ass_subscript(PyMPIMemoryObject *self, PyObject *item, PyObject *value)
{
    unsigned char *buf = self->view.buf;
    if (!value) {
        PyErr_SetString(PyExc_TypeError, "memory object does not support item deletion");
        return -1;
    }
    if (self->view.readonly) {
        PyErr_SetString(PyExc_TypeError, "memory buffer is read-only");
        return -1;
    }
    if (PyIndex_Check(item)) {
        Py_ssize_t i;
        unsigned char b;
        if (index_of(self, item, &i) < 0) return -1;
        if (!PyIndex_Check(value)) {
            PyErr_Format(PyExc_TypeError, "memory: item value must be an integer, not '%.200s'",
                         Py_TYPE(value)->tp_name);
            return -1;
        }
        if (byte_value(value, &b) < 0) return -1;
        buf[i] = b;
        return 0;
    }
    if (PySlice_Check(item)) {
        Py_ssize_t start, len;
        if (slice_of(self, item, &start, &len) < 0) return -1;
        if (!PyObject_CheckBuffer(value) && PyIndex_Check(value)) {
            unsigned char b;
            if (byte_value(value, &b) < 0) return -1;
            if (len > 0) memset(buf + start, b, (size_t)len);
            return 0;
        }
        Py_buffer src;
        if (!PyObject_CheckBuffer(value)) {
            PyErr_Format(PyExc_TypeError, "memory: slice value must be bytes-like or an integer, not '%.200s'",
                         Py_TYPE(value)->tp_name);
            return -1;
        }
        if (PyObject_GetBuffer(value, &src, PyBUF_ANY_CONTIGUOUS) < 0) return -1;
        if (src.len != len) {
            PyErr_Format(PyExc_ValueError, "memory: slice of %zd bytes assigned %zd bytes", len, src.len);
            PyBuffer_Release(&src);
            return -1;
        }
        if (len > 0) memmove(buf + start, src.buf, (size_t)len);
        PyBuffer_Release(&src);
        return 0;
    }
    PyErr_Format(PyExc_TypeError, "memory indices must be integers or slices, not '%.200s'", Py_TYPE(item)->tp_name);
    return -1;
}

static PySequenceMethods memory_as_sequence = {.sq_length = (lenfunc)memory_len};
static PyMappingMethods memory_as_mapping = {(lenfunc)memory_len, (binaryfunc)memory_subscript,
                                             (objobjargproc)memory_ass_subscript};

/* ---- methods ------------------------------------------------------------------------------------ */
static PyObject *memory_release(PyObject *self, PyObject *u)
{
    if (memory_drop(MEM(self)) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *memory_tobytes(PyObject *self, ARGS)
{
    static const char *const kwlist[] = {"order", NULL};
    PyObject *a[1];
    if (pympi_parse("tobytes", kwlist, 0, args, nargs, kw, a) < 0) return NULL;
    if (a[0] && a[0] != Py_None) {
        const char *o = pympi_str(a[0], "order");
        if (!o) return NULL;
        if (strcmp(o, "C") && strcmp(o, "F") && strcmp(o, "A"))
            return PyErr_Format(PyExc_ValueError, "order must be 'C', 'F', 'A' or None, got '%s'", o);
    }
    return PyBytes_FromStringAndSize(MEM(self)->view.buf, MEM(self)->view.len);
}

/* A read-only view of the same bytes: of the same exporter (as in mpi4py, .obj is shared), or
 * of this object for raw memory. */
static PyObject *memory_toreadonly(PyObject *self, PyObject *u)
{
    PyObject *obj = MEM(self)->view.obj;
    if (obj) return memory_of(&PyMPIMemory_Type, obj, 0, 1);
    Py_buffer view;
    if (PyObject_GetBuffer(self, &view, PyBUF_SIMPLE) < 0) return NULL;
    PyObject *m = pympi_memory_from_view(&view);
    if (m) MEM(m)->view.readonly = 1;
    return m;
}

static PyObject *memory_address(PyObject *self, void *c) { return PyLong_FromVoidPtr(MEM(self)->view.buf); }
static PyObject *memory_nbytes(PyObject *self, void *c) { return PyLong_FromSsize_t(MEM(self)->view.len); }
static PyObject *memory_readonly(PyObject *self, void *c) { return PyBool_FromLong(MEM(self)->view.readonly); }
static PyObject *memory_itemsize(PyObject *self, void *c) { return PyLong_FromSsize_t(MEM(self)->view.itemsize); }
static PyObject *memory_format(PyObject *self, void *c)
{
    const char *f = MEM(self)->view.format;
    return PyUnicode_FromString(f ? f : "B");
}
static PyObject *memory_obj(PyObject *self, void *c)
{
    PyObject *o = MEM(self)->view.obj ? MEM(self)->view.obj : Py_None;
    Py_INCREF(o);
    return o;
}

static PyMethodDef memory_methods[] = {
    {"allocate", FASTKW(memory_allocate) | METH_STATIC, "allocate(nbytes, clear=False): new raw memory."},
    {"frombuffer", FASTKW(memory_frombuffer) | METH_STATIC, "frombuffer(obj, readonly=False): view of a buffer."},
    {"fromaddress", FASTKW(memory_fromaddress) | METH_STATIC,
     "fromaddress(address, nbytes, readonly=False): memory at an address."},
    {"release", memory_release, METH_NOARGS, "Release the underlying buffer (frees owned memory)."},
    {"tobytes", FASTKW(memory_tobytes), "The contents as bytes."},
    {"toreadonly", memory_toreadonly, METH_NOARGS, "A read-only memory object over the same bytes."},
    {NULL}};

static PyGetSetDef memory_getset[] = {
    {"address", memory_address, NULL, "address of the memory", NULL},
    {"nbytes", memory_nbytes, NULL, "size in bytes", NULL},
    {"readonly", memory_readonly, NULL, "whether the memory is read-only", NULL},
    {"obj", memory_obj, NULL, "the exporting object, or None", NULL},
    {"format", memory_format, NULL, "struct format of the items", NULL},
    {"itemsize", memory_itemsize, NULL, "size in bytes of one item", NULL},
    {NULL}};

PyTypeObject PyMPIMemory_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI.memory",
    .tp_basicsize = sizeof(PyMPIMemoryObject),
    .tp_dealloc = (destructor)memory_dealloc,
    .tp_as_buffer = &memory_as_buffer,
    .tp_as_sequence = &memory_as_sequence,
    .tp_as_mapping = &memory_as_mapping,
    .tp_methods = memory_methods,
    .tp_getset = memory_getset,
    .tp_new = memory_new,
    .tp_hash = PyObject_HashNotImplemented,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "memory(obj=None): a buffer over raw memory or another buffer object."};

/* ---- module functions ------------------------------------------------------------------------- */
static PyObject *mod_Alloc_mem(PyObject *m, ARGS)
{
    static const char *const kwlist[] = {"size", "info", NULL};
    PyObject *a[2];
    MPI_Aint size;
    MPI_Info info;
    void *base = NULL;
    if (pympi_parse("Alloc_mem", kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    if (pympi_aint(a[0], 0, &size) < 0 || pympi_as_info(a[1], MPI_INFO_NULL, &info) < 0) return NULL;
    if (size < 0) return PyErr_Format(PyExc_ValueError, "Alloc_mem: negative size %zd", (Py_ssize_t)size);
    if (CHKERR(MPI_Alloc_mem(size, info, &base))) return NULL;
    /* MPICH 4.0 reports success with a bogus small pointer (0x10) when malloc fails. */
    if (size > 0 && (uintptr_t)base < 4096) {
        pympi_raise(MPI_ERR_NO_MEM);
        return NULL;
    }
    PyObject *mem = pympi_memory_new_raw(base, size, 0);
    if (!mem || (base && block_add(base, MEM(mem)) < 0)) {
        Py_XDECREF(mem);
        MPI_Free_mem(base);
        return NULL;
    }
    MEM(mem)->owns_mem = 1;
    MEM(mem)->mpi_mem = 1;
    return mem;
}

/* Free_mem(mem): frees the Alloc_mem block at the address of `mem`, however it is passed. */
static PyObject *mod_Free_mem(PyObject *m, ARGS)
{
    static const char *const kwlist[] = {"mem", NULL};
    PyObject *a[1];
    void *base;
    if (pympi_parse("Free_mem", kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    int is_memory = PyObject_TypeCheck(a[0], &PyMPIMemory_Type);
    if (is_memory) base = MEM(a[0])->view.buf;
    else {
        Py_buffer view;
        if (pympi_getbuffer(a[0], &view, 0) < 0) return NULL;
        base = view.buf;
        pympi_buffer_release(&view);
    }
    if (!base) Py_RETURN_NONE; /* empty or released: MPI_Free_mem(NULL) does nothing */
    mpi_block *b = block_find(base);
    if (!b) {
        pympi_raise(MPI_ERR_BASE);
        return NULL;
    }
    PyMPIMemoryObject *owner = b->owner;
    block_remove(b);
    int ierr = MPI_Free_mem(base);
    /* the owner and the object passed no longer show the freed memory */
    owner->owns_mem = 0;
    if (memory_drop(owner) < 0 || (is_memory && memory_drop(MEM(a[0])) < 0)) return NULL;
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_NONE;
}

/* The attached buffer: a memory object holding the pinned view while MPI owns the bytes. */
static PyObject *attached;

static PyObject *mod_Attach_buffer(PyObject *m, ARGS)
{
    static const char *const kwlist[] = {"buf", NULL};
    PyObject *a[1];
    Py_buffer view;
    int ierr;
    if (pympi_parse("Attach_buffer", kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    if (pympi_getbuffer(a[0], &view, 1) < 0) return NULL;
    PYMPI_NOGIL(ierr = MPI_Buffer_attach_c(view.buf, view.len));
    if (CHKERR(ierr)) { PyBuffer_Release(&view); return NULL; }
    PyObject *keep = pympi_memory_from_view(&view);
    if (!keep) return NULL; /* MPI still has the buffer; nothing safe to undo here */
    Py_XSETREF(attached, keep);
    Py_RETURN_NONE;
}

static PyObject *mod_Detach_buffer(PyObject *m, PyObject *u)
{
    void *base = NULL;
    MPI_Count size = 0;
    int ierr;
    PYMPI_NOGIL(ierr = MPI_Buffer_detach_c(&base, &size));
    if (CHKERR(ierr)) return NULL;
    PyObject *keep = attached, *result;
    attached = NULL;
    if (keep && MEM(keep)->view.buf == base && MEM(keep)->view.obj) {
        result = MEM(keep)->view.obj;
        Py_INCREF(result);
    } else result = pympi_memory_new_raw(base, (Py_ssize_t)size, 0);
    Py_XDECREF(keep);
    return result;
}

static PyObject *mod_Get_address(PyObject *m, ARGS)
{
    static const char *const kwlist[] = {"location", NULL};
    PyObject *a[1];
    MPI_Aint address = 0;
    if (pympi_parse("Get_address", kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    if (pympi_is_bottom(a[0])) {
        if (CHKERR(MPI_Get_address(MPI_BOTTOM, &address))) return NULL;
    } else {
        /* any buffer (the buffer protocol, DLPack, CUDA array interface); a non-contiguous
         * PEP 3118 one still has an address */
        Py_buffer view;
        if (PyObject_CheckBuffer(a[0])) {
            if (PyObject_GetBuffer(a[0], &view, PyBUF_STRIDES) < 0) return NULL;
        } else if (pympi_getbuffer(a[0], &view, 0) < 0) return NULL;
        int ierr = MPI_Get_address(view.buf, &address);
        pympi_buffer_release(&view);
        if (CHKERR(ierr)) return NULL;
    }
    return PyLong_FromSsize_t(address);
}

static PyMethodDef memory_module_methods[] = {
    {"Alloc_mem", FASTKW(mod_Alloc_mem), "Alloc_mem(size, info=INFO_NULL) -> memory from MPI_Alloc_mem."},
    {"Free_mem", FASTKW(mod_Free_mem), "Free memory from Alloc_mem."},
    {"Attach_buffer", FASTKW(mod_Attach_buffer), "Attach a buffer for buffered sends."},
    {"Detach_buffer", mod_Detach_buffer, METH_NOARGS, "Detach the buffered-send buffer; returns it."},
    {"Get_address", FASTKW(mod_Get_address), "Address of a buffer (or of BOTTOM)."},
    {NULL}};

int pympi_init_memory(PyObject *m)
{
    if (PyType_Ready(&PyMPIMemory_Type) < 0) return -1;
    if (PyModule_AddObjectRef(m, "memory", (PyObject *)&PyMPIMemory_Type) < 0) return -1;
    return PyModule_AddFunctions(m, memory_module_methods);
}
