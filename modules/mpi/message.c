/* message.c: MPI.Message (matched probe): Probe/Iprobe, Recv/Irecv and the object versions.
 *
 * A Message remembers the byte count of the message it matched (from the probe status), as an
 * int in ob_buf (mpi4py 3.1's layout has no other field), so recv()/irecv() receive a pickle
 * into a buffer of exactly the right size. */
#include "pympi.h"

PYMPI_DEFINE_KIND(Message, MPI_Message, MPI_MESSAGE_NULL, MPI_Message);

#define MSG(o) ((PyMPIMessageObject *)(o))
#define FASTKW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS
#define CLSKW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS | METH_CLASS

/* The handle a receive consumes: MPI sets it to MPI_MESSAGE_NULL, which must not happen to the
 * module constants (MESSAGE_NO_PROC): they lend a copy. */
static MPI_Message *msg_handle(PyObject *self, MPI_Message *tmp)
{
    if (!(MSG(self)->flags & PYMPI_CONST)) return &MSG(self)->ob_mpi;
    *tmp = MSG(self)->ob_mpi;
    return tmp;
}

/* Mprobe (block) or Improbe: a Message, or None when Improbe found nothing. */
PyObject *pympi_mprobe(PyTypeObject *tp, MPI_Comm comm, int source, int tag, MPI_Status *st, int block)
{
    MPI_Message msg = MPI_MESSAGE_NULL;
    MPI_Status local;
    int flag = 1, ierr;
    if (st == MPI_STATUS_IGNORE) st = &local;
    if (block) PYMPI_NOGIL(ierr = MPI_Mprobe(source, tag, comm, &msg, st));
    else PYMPI_NOGIL(ierr = MPI_Improbe(source, tag, comm, &flag, &msg, st));
    if (CHKERR(ierr)) return NULL;
    if (!flag) Py_RETURN_NONE;
    MPI_Count count = 0;
    if (msg != MPI_MESSAGE_NO_PROC && CHKERR(MPI_Get_count_c(st, MPI_BYTE, &count))) return NULL;
    PyObject *n = PyLong_FromLongLong((long long)count);
    PyObject *o = n ? pympi_handle_new(tp ? tp : &PyMPIMessage_Type, &msg, 0) : NULL;
    if (!o) { Py_XDECREF(n); return NULL; }
    MSG(o)->ob_buf = n;
    return o;
}

/* The byte count probe() stored (0 when the message was not matched by a probe here). */
static MPI_Count msg_count(PyObject *self)
{
    PyObject *n = MSG(self)->ob_buf;
    return n && PyLong_Check(n) ? (MPI_Count)PyLong_AsLongLong(n) : 0;
}

static void message_dealloc(PyMPIMessageObject *self)
{
    if (self->ob_weakref) PyObject_ClearWeakRefs((PyObject *)self);
    Py_XDECREF(self->ob_buf);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int probe_args(const char *fname, PyObject *const *args, Py_ssize_t nargs, PyObject *kw,
                      MPI_Comm *comm, int *source, int *tag, MPI_Status **st)
{
    static const char *const kwlist[] = {"comm", "source", "tag", "status", NULL};
    PyObject *a[4];
    if (pympi_parse(fname, kwlist, 1, args, nargs, kw, a) < 0) return -1;
    if (pympi_as_comm(a[0], comm) < 0 || pympi_int(a[1], MPI_ANY_SOURCE, source) < 0 ||
        pympi_int(a[2], MPI_ANY_TAG, tag) < 0 || pympi_as_status(a[3], st) < 0)
        return -1;
    return 0;
}

static PyObject *message_probe(PyObject *cls, PyObject *const *args, Py_ssize_t nargs, PyObject *kw,
                               const char *fname, int block)
{
    MPI_Comm comm;
    int source, tag;
    MPI_Status *st;
    if (probe_args(fname, args, nargs, kw, &comm, &source, &tag, &st) < 0) return NULL;
    return pympi_mprobe((PyTypeObject *)cls, comm, source, tag, st, block);
}

static PyObject *message_Probe(PyObject *cls, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    return message_probe(cls, args, nargs, kw, "Probe", 1);
}
static PyObject *message_Iprobe(PyObject *cls, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    return message_probe(cls, args, nargs, kw, "Iprobe", 0);
}
static PyObject *message_probe_lc(PyObject *cls, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    return message_probe(cls, args, nargs, kw, "probe", 1);
}
static PyObject *message_iprobe_lc(PyObject *cls, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    return message_probe(cls, args, nargs, kw, "iprobe", 0);
}

static PyObject *message_Recv(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"buf", "status", NULL};
    PyObject *a[2];
    MPI_Status *st;
    MPI_Message tmp;
    pympi_msg m;
    int ierr;
    if (pympi_parse("Recv", kwlist, 1, args, nargs, kw, a) < 0 || pympi_as_status(a[1], &st) < 0) return NULL;
    if (a[0] == Py_None && MSG(self)->ob_mpi != MPI_MESSAGE_NO_PROC) {
        PyErr_SetString(PyExc_TypeError, "Recv: buffer None is only valid for MESSAGE_NO_PROC");
        return NULL;
    }
    if (pympi_msg_get(a[0], PYMPI_RECV, &m) < 0) return NULL;
    if (PYMPI_FITS_INT(m.count))
        PYMPI_NOGIL(ierr = MPI_Mrecv(m.addr, (int)m.count, m.type, msg_handle(self, &tmp), st));
    else
        PYMPI_NOGIL(ierr = MPI_Mrecv_c(m.addr, m.count, m.type, msg_handle(self, &tmp), st));
    pympi_msg_release(&m);
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_NONE;
}

static PyObject *message_Irecv(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"buf", NULL};
    PyObject *a[1];
    MPI_Request req;
    MPI_Message tmp;
    pympi_msg m;
    int ierr;
    if (pympi_parse("Irecv", kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    if (a[0] == Py_None && MSG(self)->ob_mpi != MPI_MESSAGE_NO_PROC) {
        PyErr_SetString(PyExc_TypeError, "Irecv: buffer None is only valid for MESSAGE_NO_PROC");
        return NULL;
    }
    if (pympi_msg_get(a[0], PYMPI_RECV, &m) < 0) return NULL;
    if (PYMPI_FITS_INT(m.count))
        PYMPI_NOGIL(ierr = MPI_Imrecv(m.addr, (int)m.count, m.type, msg_handle(self, &tmp), &req));
    else
        PYMPI_NOGIL(ierr = MPI_Imrecv_c(m.addr, m.count, m.type, msg_handle(self, &tmp), &req));
    if (CHKERR(ierr)) { pympi_msg_release(&m); return NULL; }
    PyObject *keep = pympi_msg_keep(&m);
    if (!keep) { pympi_msg_release(&m); return NULL; }
    return pympi_request_new(&PyMPIRequest_Type, req, keep);
}

static PyObject *message_recv(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"status", NULL};
    PyObject *a[1];
    MPI_Status *st;
    MPI_Message tmp;
    if (pympi_parse("recv", kwlist, 0, args, nargs, kw, a) < 0 || pympi_as_status(a[0], &st) < 0) return NULL;
    return pympi_obj_mrecv(msg_handle(self, &tmp), msg_count(self), NULL, st);
}

static PyObject *message_irecv(PyObject *self, PyObject *unused)
{
    MPI_Message tmp;
    return pympi_request_objmrecv(msg_handle(self, &tmp), MSG(self)->ob_mpi == MPI_MESSAGE_NO_PROC ? 0 : msg_count(self),
                                  NULL);
}

static PyMethodDef message_methods[] = {
    {"Probe", CLSKW(message_Probe), "Blocking matched probe: a Message."},
    {"Iprobe", CLSKW(message_Iprobe), "Nonblocking matched probe: a Message or None."},
    {"Recv", FASTKW(message_Recv), "Blocking receive of the matched message."},
    {"Irecv", FASTKW(message_Irecv), "Nonblocking receive of the matched message."},
    {"probe", CLSKW(message_probe_lc), "Blocking matched probe (for recv()): a Message."},
    {"iprobe", CLSKW(message_iprobe_lc), "Nonblocking matched probe (for recv()): a Message or None."},
    {"recv", FASTKW(message_recv), "Receive the matched message as a Python object."},
    {"irecv", message_irecv, METH_NOARGS, "Nonblocking receive of the matched message as a Python object."},
    PYMPI_HANDLE_METHODS,
    {NULL}};

PyTypeObject PyMPIMessage_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI.Message",
    .tp_basicsize = sizeof(PyMPIMessageObject),
    .tp_dealloc = (destructor)message_dealloc,
    .tp_methods = message_methods,
    .tp_doc = "Message object: a message matched by Mprobe/Improbe."};

int pympi_init_message(PyObject *m)
{
    pympi_handle_type_init(&PyMPIMessage_Type, &Message_kind);
    if (PyType_Ready(&PyMPIMessage_Type) < 0) return -1;
    Py_INCREF(&PyMPIMessage_Type);
    if (PyModule_AddObject(m, "Message", (PyObject *)&PyMPIMessage_Type) < 0) return -1;
    MPI_Message null = MPI_MESSAGE_NULL, noproc = MPI_MESSAGE_NO_PROC;
    if (pympi_add(m, "MESSAGE_NULL", pympi_handle_new(&PyMPIMessage_Type, &null, PYMPI_CONST)) < 0) return -1;
    return pympi_add(m, "MESSAGE_NO_PROC", pympi_handle_new(&PyMPIMessage_Type, &noproc, PYMPI_CONST));
}
