/* p2p.c: point-to-point communication of buffers (upper-case Comm methods). */
#include "pympi.h"

#define COMM(o) (((PyMPICommObject *)(o))->ob_mpi)
#define FASTKW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS

static PyObject *comm_Send(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"buf", "dest", "tag", NULL};
    PyObject *a[3];
    int dest, tag, ierr;
    pympi_msg m;
    if (pympi_parse("Send", kwlist, 2, args, nargs, kw, a) < 0) return NULL;
    if (pympi_int(a[1], 0, &dest) < 0 || pympi_int(a[2], 0, &tag) < 0) return NULL;
    if (pympi_msg_get(a[0], PYMPI_SEND, &m) < 0) return NULL;
    if (PYMPI_FITS_INT(m.count))
        PYMPI_NOGIL(ierr = MPI_Send(m.addr, (int)m.count, m.type, dest, tag, COMM(self)));
    else
        PYMPI_NOGIL(ierr = MPI_Send_c(m.addr, m.count, m.type, dest, tag, COMM(self)));
    pympi_msg_release(&m);
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_NONE;
}

static PyObject *comm_Recv(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"buf", "source", "tag", "status", NULL};
    PyObject *a[4];
    int source, tag, ierr;
    MPI_Status *st;
    pympi_msg m;
    if (pympi_parse("Recv", kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    if (pympi_int(a[1], MPI_ANY_SOURCE, &source) < 0 || pympi_int(a[2], MPI_ANY_TAG, &tag) < 0 ||
        pympi_as_status(a[3], &st) < 0)
        return NULL;
    if (pympi_msg_get(a[0], PYMPI_RECV, &m) < 0) return NULL;
    if (PYMPI_FITS_INT(m.count))
        PYMPI_NOGIL(ierr = MPI_Recv(m.addr, (int)m.count, m.type, source, tag, COMM(self), st));
    else
        PYMPI_NOGIL(ierr = MPI_Recv_c(m.addr, m.count, m.type, source, tag, COMM(self), st));
    pympi_msg_release(&m);
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_NONE;
}

PyMethodDef pympi_comm_p2p_methods[] = {
    {"Send", FASTKW(comm_Send), "Blocking send."},
    {"Recv", FASTKW(comm_Recv), "Blocking receive."},
    {NULL}};
