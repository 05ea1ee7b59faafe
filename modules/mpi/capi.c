/* capi.c: the C API for extension modules: PyMPI<Class>_New() and PyMPI<Class>_Get().
 *
 * Extensions compiled against mpi4py 3.1 (and against our include/mpi4py/mpi4py.h) call
 * import_mpi4py(), which looks these functions up in the module attribute `__pyx_capi__`: a dict
 * {name: capsule}, each capsule holding the function pointer and named by its C signature (the
 * importer checks the name, so the strings below must stay exactly mpi4py 3.1's).
 *
 *  - PyMPI<Class>_New(handle): a new object of the class around the handle, not owned (Free() is
 *    the caller's business, as for any handle). Communicators get the class of their kind
 *    (Intercomm, Cartcomm, ...). PyMPIStatus_New copies the status (an empty Status for NULL or
 *    MPI_STATUS_IGNORE).
 *  - PyMPI<Class>_Get(obj): the address of the handle inside obj, or NULL with TypeError when
 *    obj is not an instance of the class (None included: mpi4py 3.1 let None through and read
 *    garbage). */
#include "pympi.h"

/* Families whose New is the plain wrapper: (Class, handle type). */
#define PYMPI_CAPI_PLAIN(X)                                                                 \
    X(Datatype, MPI_Datatype) X(Request, MPI_Request) X(Message, MPI_Message) X(Op, MPI_Op) \
    X(Group, MPI_Group) X(Info, MPI_Info) X(Errhandler, MPI_Errhandler) X(Win, MPI_Win)     \
    X(File, MPI_File)
/* Every family, in mpi4py 3.1's order: (Class, handle type, argument type of New). */
#define PYMPI_CAPI_ALL(X)                                                                  \
    X(Datatype, MPI_Datatype, MPI_Datatype) X(Status, MPI_Status, MPI_Status *)            \
    X(Request, MPI_Request, MPI_Request) X(Message, MPI_Message, MPI_Message)              \
    X(Op, MPI_Op, MPI_Op) X(Group, MPI_Group, MPI_Group) X(Info, MPI_Info, MPI_Info)       \
    X(Errhandler, MPI_Errhandler, MPI_Errhandler) X(Comm, MPI_Comm, MPI_Comm)              \
    X(Win, MPI_Win, MPI_Win) X(File, MPI_File, MPI_File)

static void *wrong_type(PyObject *obj, PyTypeObject *tp)
{
    PyErr_Format(PyExc_TypeError, "expected %s, got %.200s", tp->tp_name, Py_TYPE(obj)->tp_name);
    return NULL;
}

#define DEFINE_NEW(Class, T)                                                      \
    static PyObject *capi_##Class##_New(T handle)                                 \
    {                                                                             \
        return pympi_handle_new(&PyMPI##Class##_Type, &handle, 0);                \
    }
PYMPI_CAPI_PLAIN(DEFINE_NEW)

static PyObject *capi_Comm_New(MPI_Comm comm) { return pympi_comm_wrap(comm); }

static PyObject *capi_Status_New(MPI_Status *status)
{
    return pympi_status_new(status == MPI_STATUS_IGNORE ? NULL : status);
}

#define DEFINE_GET(Class, T, A)                                                    \
    static T *capi_##Class##_Get(PyObject *obj)                                   \
    {                                                                             \
        if (!PyObject_TypeCheck(obj, &PyMPI##Class##_Type))                       \
            return wrong_type(obj, &PyMPI##Class##_Type);                         \
        return &((PyMPI##Class##Object *)obj)->ob_mpi;                            \
    }
PYMPI_CAPI_ALL(DEFINE_GET)

static const struct {
    const char *name, *signature;
    void (*fn)(void);
} capi_table[] = {
#define ENTRIES(Class, T, A)                                                              \
    {"PyMPI" #Class "_New", "PyObject *(" #A ")", (void (*)(void))capi_##Class##_New},   \
    {"PyMPI" #Class "_Get", #T " *(PyObject *)", (void (*)(void))capi_##Class##_Get},
    PYMPI_CAPI_ALL(ENTRIES)
#undef ENTRIES
};

int pympi_init_capi(PyObject *m)
{
    PyObject *d = PyDict_New();
    if (!d) return -1;
    for (size_t i = 0; i < sizeof(capi_table) / sizeof(capi_table[0]); i++) {
        /* A capsule holds a data pointer; the function pointer travels through a union, as
         * the importer reads it back (ISO C has no function <-> void * conversion). */
        union { void (*fn)(void); void *p; } u = {.fn = capi_table[i].fn};
        PyObject *cap = PyCapsule_New(u.p, capi_table[i].signature, NULL);
        if (!cap || PyDict_SetItemString(d, capi_table[i].name, cap) < 0) {
            Py_XDECREF(cap);
            Py_DECREF(d);
            return -1;
        }
        Py_DECREF(cap);
    }
    return pympi_add(m, "__pyx_capi__", d);
}
