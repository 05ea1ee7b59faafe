/* request.c: MPI.Request, Prequest, Grequest. */
#include "pympi.h"

PYMPI_DEFINE_KIND(Request, MPI_Request, MPI_REQUEST_NULL, MPI_Request);

#define REQ(o) ((PyMPIRequestObject *)(o))

PyObject *pympi_request_new(PyTypeObject *tp, MPI_Request req, PyObject *buf)
{
    PyObject *o = pympi_handle_new(tp, &req, 0);
    if (!o) { Py_XDECREF(buf); return NULL; }
    REQ(o)->ob_buf = buf; /* stolen */
    return o;
}

static void request_dealloc(PyMPIRequestObject *self)
{
    /* An active request still owns its buffers: they must outlive the operation, so they are
     * kept (leaked) rather than released under MPI's feet. */
    if (self->ob_mpi == MPI_REQUEST_NULL || !pympi_mpi_active()) Py_XDECREF(self->ob_buf);
    Py_XDECREF(self->ob_obj);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static void request_done(PyMPIRequestObject *self)
{
    if (self->ob_mpi == MPI_REQUEST_NULL) Py_CLEAR(self->ob_buf);
}

static PyObject *request_Wait(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"status", NULL};
    PyObject *a[1];
    MPI_Status *st;
    int ierr;
    if (pympi_parse("Wait", kwlist, 0, args, nargs, kw, a) < 0 || pympi_as_status(a[0], &st) < 0) return NULL;
    PYMPI_NOGIL(ierr = MPI_Wait(&REQ(self)->ob_mpi, st));
    request_done(REQ(self));
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_TRUE;
}

static PyObject *request_Test(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"status", NULL};
    PyObject *a[1];
    MPI_Status *st;
    int flag = 0;
    if (pympi_parse("Test", kwlist, 0, args, nargs, kw, a) < 0 || pympi_as_status(a[0], &st) < 0) return NULL;
    int ierr = MPI_Test(&REQ(self)->ob_mpi, &flag, st);
    request_done(REQ(self));
    if (CHKERR(ierr)) return NULL;
    return PyBool_FromLong(flag);
}

static PyObject *request_Free(PyObject *self, PyObject *u)
{
    if (CHKERR(MPI_Request_free(&REQ(self)->ob_mpi))) return NULL;
    Py_RETURN_NONE;
}

#define FASTKW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS
static PyMethodDef request_methods[] = {
    {"Wait", FASTKW(request_Wait), "Wait for the operation to complete."},
    {"Test", FASTKW(request_Test), "Test whether the operation has completed."},
    {"Free", request_Free, METH_NOARGS, "Free the request."},
    PYMPI_HANDLE_METHODS,
    {NULL}};

PyTypeObject PyMPIRequest_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI.Request",
    .tp_basicsize = sizeof(PyMPIRequestObject),
    .tp_dealloc = (destructor)request_dealloc,
    .tp_methods = request_methods,
    .tp_doc = "Request object: a non-blocking operation in progress."};

PyTypeObject PyMPIPrequest_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI.Prequest",
    .tp_basicsize = sizeof(PyMPIRequestObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "Persistent request object."};

PyTypeObject PyMPIGrequest_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI.Grequest",
    .tp_basicsize = sizeof(PyMPIRequestObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "Generalized request object."};

int pympi_init_request(PyObject *m)
{
    pympi_handle_type_init(&PyMPIRequest_Type, &Request_kind);
    if (PyType_Ready(&PyMPIRequest_Type) < 0) return -1;
    PyMPIPrequest_Type.tp_base = &PyMPIRequest_Type;
    PyMPIGrequest_Type.tp_base = &PyMPIRequest_Type;
    if (PyType_Ready(&PyMPIPrequest_Type) < 0 || PyType_Ready(&PyMPIGrequest_Type) < 0) return -1;
    Py_INCREF(&PyMPIRequest_Type);
    Py_INCREF(&PyMPIPrequest_Type);
    Py_INCREF(&PyMPIGrequest_Type);
    if (PyModule_AddObject(m, "Request", (PyObject *)&PyMPIRequest_Type) < 0 ||
        PyModule_AddObject(m, "Prequest", (PyObject *)&PyMPIPrequest_Type) < 0 ||
        PyModule_AddObject(m, "Grequest", (PyObject *)&PyMPIGrequest_Type) < 0)
        return -1;
    MPI_Request null = MPI_REQUEST_NULL;
    return pympi_add(m, "REQUEST_NULL", pympi_handle_new(&PyMPIRequest_Type, &null, PYMPI_CONST));
}
