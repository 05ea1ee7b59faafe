/* message.c: MPI.Message (matched probe). */
#include "pympi.h"

PYMPI_DEFINE_KIND(Message, MPI_Message, MPI_MESSAGE_NULL, MPI_Message);

PyObject *pympi_message_new(MPI_Message msg, PyObject *buf)
{
    PyObject *o = pympi_handle_new(&PyMPIMessage_Type, &msg, 0);
    if (!o) { Py_XDECREF(buf); return NULL; }
    ((PyMPIMessageObject *)o)->ob_buf = buf;
    return o;
}

static void message_dealloc(PyMPIMessageObject *self)
{
    Py_XDECREF(self->ob_buf);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef message_methods[] = {
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
