/* cext.c: a C extension module using the C API of mpi4py.MPI. test_capi.py builds it twice:
 * against python-mpi's mpi4py/mpi4py.h and against mpi4py 3.1.6's installed headers (binary
 * compatibility); -DMODULE=name names the module. */
#include <mpi4py/mpi4py.h>

#define PASTE(a, b) a##b
#define INITFUNC(name) PASTE(PyInit_, name)
#define STR(x) #x
#define NAME(x) STR(x)

static PyObject *mpi_error(int ierr)
{
    return PyErr_Format(PyExc_RuntimeError, "MPI error %d", ierr);
}

/* The manual's example: MPI_Comm_size and MPI_Comm_rank on the communicator of a Comm. */
static PyObject *sayhello(PyObject *self, PyObject *arg)
{
    MPI_Comm *comm = PyMPIComm_Get(arg);
    int size = 0, rank = 0, ierr;
    if (!comm) return NULL;
    if ((ierr = MPI_Comm_size(*comm, &size)) != MPI_SUCCESS) return mpi_error(ierr);
    if ((ierr = MPI_Comm_rank(*comm, &rank)) != MPI_SUCCESS) return mpi_error(ierr);
    return PyUnicode_FromFormat("Hello, World! I am process %d of %d.", rank, size);
}

/* A communicator made in C, handed to Python with PyMPIComm_New (Python frees it). */
static PyObject *comm_dup(PyObject *self, PyObject *arg)
{
    MPI_Comm *comm = PyMPIComm_Get(arg), newcomm;
    int ierr;
    if (!comm) return NULL;
    if ((ierr = MPI_Comm_dup(*comm, &newcomm)) != MPI_SUCCESS) return mpi_error(ierr);
    return PyMPIComm_New(newcomm);
}

/* MPI_Comm_free on the handle inside the object: the object becomes COMM_NULL. */
static PyObject *free_comm(PyObject *self, PyObject *arg)
{
    MPI_Comm *comm = PyMPIComm_Get(arg);
    int ierr;
    if (!comm) return NULL;
    if ((ierr = MPI_Comm_free(comm)) != MPI_SUCCESS) return mpi_error(ierr);
    Py_RETURN_NONE;
}

/* roundtrip(obj): PyMPI<Class>_New(*PyMPI<Class>_Get(obj)) for the class of obj, after checking
 * that the handle Get returns is the ob_mpi field of the declared object layout. */
#define ROUNDTRIP(Class)                                                                  \
    if (PyObject_TypeCheck(obj, &PyMPI##Class##_Type)) {                                  \
        if (PyMPI##Class##_Get(obj) != &((PyMPI##Class##Object *)obj)->ob_mpi)            \
            return PyErr_Format(PyExc_AssertionError, #Class ": Get is not &ob_mpi");     \
        return PyMPI##Class##_New(*PyMPI##Class##_Get(obj));                              \
    }
static PyObject *roundtrip(PyObject *self, PyObject *obj)
{
    if (PyObject_TypeCheck(obj, &PyMPIStatus_Type)) {
        MPI_Status *st = PyMPIStatus_Get(obj);
        if (st != &((PyMPIStatusObject *)obj)->ob_mpi)
            return PyErr_Format(PyExc_AssertionError, "Status: Get is not &ob_mpi");
        return PyMPIStatus_New(st);
    }
    ROUNDTRIP(Datatype) ROUNDTRIP(Request) ROUNDTRIP(Message) ROUNDTRIP(Op) ROUNDTRIP(Group)
    ROUNDTRIP(Info) ROUNDTRIP(Errhandler) ROUNDTRIP(Comm) ROUNDTRIP(Win) ROUNDTRIP(File)
    return PyErr_Format(PyExc_TypeError, "roundtrip: not an MPI object");
}

/* Wrong types: PyMPIComm_Get must fail with TypeError and return NULL. */
static PyObject *get_comm(PyObject *self, PyObject *arg)
{
    MPI_Comm *comm = PyMPIComm_Get(arg);
    if (!comm) return NULL;
    Py_RETURN_NONE;
}

/* {class name: sizeof its object struct in the header this module was compiled with} */
static PyObject *sizes(PyObject *self, PyObject *unused)
{
#define SIZE(Class) #Class, (int)sizeof(PyMPI##Class##Object),
    return Py_BuildValue("{sisisisisisisisisisisisisisisisisisisi}",
        SIZE(Datatype) SIZE(Status) SIZE(Request) SIZE(Prequest) SIZE(Grequest) SIZE(Message)
        SIZE(Op) SIZE(Group) SIZE(Info) SIZE(Errhandler) SIZE(Comm) SIZE(Intracomm)
        SIZE(Topocomm) SIZE(Cartcomm) SIZE(Graphcomm) SIZE(Distgraphcomm) SIZE(Intercomm)
        SIZE(Win) SIZE(File) NULL);
}

static PyMethodDef methods[] = {
    {"sayhello", sayhello, METH_O, NULL},
    {"dup", comm_dup, METH_O, NULL},
    {"free_comm", free_comm, METH_O, NULL},
    {"roundtrip", roundtrip, METH_O, NULL},
    {"get_comm", get_comm, METH_O, NULL},
    {"sizes", sizes, METH_NOARGS, NULL},
    {NULL}};

static struct PyModuleDef moduledef = {PyModuleDef_HEAD_INIT, NAME(MODULE), NULL, -1, methods};

PyMODINIT_FUNC INITFUNC(MODULE)(void)
{
    if (import_mpi4py() < 0) return NULL;
    return PyModule_Create(&moduledef);
}
