/* memory.c: MPI.memory, a buffer object over raw memory or another exporter.
 * Used for Alloc_mem, window memory, and to keep buffers pinned during non-blocking calls. */
#include "pympi.h"

static void memory_dealloc(PyMPIMemoryObject *self)
{
    if (self->view.obj) PyBuffer_Release(&self->view);
    else if (self->owns_mem && self->view.buf) {
        if (self->mpi_mem) { if (pympi_mpi_active()) MPI_Free_mem(self->view.buf); }
        else PyMem_Free(self->view.buf);
    }
    Py_TYPE(self)->tp_free((PyObject *)self);
}

PyObject *pympi_memory_from_view(Py_buffer *view)
{
    PyMPIMemoryObject *self = PyObject_New(PyMPIMemoryObject, &PyMPIMemory_Type);
    if (!self) { PyBuffer_Release(view); return NULL; }
    self->view = *view;
    self->owns_mem = 0;
    self->mpi_mem = 0;
    self->exports = 0;
    view->obj = NULL;
    return (PyObject *)self;
}

PyObject *pympi_memory_new_raw(void *addr, Py_ssize_t nbytes, int readonly)
{
    PyMPIMemoryObject *self = PyObject_New(PyMPIMemoryObject, &PyMPIMemory_Type);
    if (!self) return NULL;
    memset(&self->view, 0, sizeof(Py_buffer));
    self->view.buf = addr;
    self->view.len = nbytes;
    self->view.readonly = readonly;
    self->view.itemsize = 1;
    self->owns_mem = 0;
    self->mpi_mem = 0;
    self->exports = 0;
    return (PyObject *)self;
}

static int memory_getbuffer(PyMPIMemoryObject *self, Py_buffer *view, int flags)
{
    if ((flags & PyBUF_WRITABLE) && self->view.readonly) {
        PyErr_SetString(PyExc_BufferError, "memory: buffer is read-only");
        return -1;
    }
    if (PyBuffer_FillInfo(view, (PyObject *)self, self->view.buf, self->view.len,
                          self->view.readonly, flags) < 0)
        return -1;
    self->exports++;
    return 0;
}

static void memory_releasebuffer(PyMPIMemoryObject *self, Py_buffer *view) { self->exports--; }

static PyBufferProcs memory_as_buffer = {(getbufferproc)memory_getbuffer,
                                         (releasebufferproc)memory_releasebuffer};

static Py_ssize_t memory_len(PyMPIMemoryObject *self) { return self->view.len; }
static PySequenceMethods memory_as_sequence = {.sq_length = (lenfunc)memory_len};

static PyObject *memory_address(PyMPIMemoryObject *self, void *c) { return PyLong_FromVoidPtr(self->view.buf); }
static PyObject *memory_nbytes(PyMPIMemoryObject *self, void *c) { return PyLong_FromSsize_t(self->view.len); }
static PyObject *memory_readonly(PyMPIMemoryObject *self, void *c) { return PyBool_FromLong(self->view.readonly); }

static PyGetSetDef memory_getset[] = {
    {"address", (getter)memory_address, NULL, "Address of the memory.", NULL},
    {"nbytes", (getter)memory_nbytes, NULL, "Size of the memory in bytes.", NULL},
    {"readonly", (getter)memory_readonly, NULL, "Whether the memory is read-only.", NULL},
    {NULL}};

PyTypeObject PyMPIMemory_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI.memory",
    .tp_basicsize = sizeof(PyMPIMemoryObject),
    .tp_dealloc = (destructor)memory_dealloc,
    .tp_as_buffer = &memory_as_buffer,
    .tp_as_sequence = &memory_as_sequence,
    .tp_getset = memory_getset,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Memory buffer: raw memory or a view of another buffer object."};

int pympi_init_memory(PyObject *m)
{
    if (PyType_Ready(&PyMPIMemory_Type) < 0) return -1;
    Py_INCREF(&PyMPIMemory_Type);
    return PyModule_AddObject(m, "memory", (PyObject *)&PyMPIMemory_Type);
}
