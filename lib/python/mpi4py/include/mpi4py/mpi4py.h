/*
 * mpi4py/mpi4py.h -- the C API of mpi4py.MPI (python-mpi), for extension modules.
 *
 * Find this directory with mpi4py.get_include(); compile with the MPI (MPICH) that python-mpi
 * was built with (mpicc). In the module's init function, call import_mpi4py() once (it returns
 * -1 with a Python exception set on failure); then:
 *
 *   PyObject *PyMPI<Class>_New(MPI_<Class> handle)   a new object around the handle (not owned:
 *                                                    freeing the handle stays the caller's job)
 *   MPI_<Class> *PyMPI<Class>_Get(PyObject *obj)     the handle inside obj, or NULL with
 *                                                    TypeError if obj is not a <Class>
 *   PyMPI<Class>_Type                                the Python class (a PyTypeObject)
 *
 * for Class in Datatype, Status, Request, Message, Op, Group, Info, Errhandler, Comm, Win, File
 * (PyMPIStatus_New takes an MPI_Status *). The object layouts and the names and signatures of
 * the functions are those of mpi4py 3.1, so extensions built against either work with both.
 */
#ifndef MPI4PY_H
#define MPI4PY_H

#include <Python.h>
#include <mpi.h>

/* ---- object layouts ---------------------------------------------------------------------- */
/* Every object: the Python header, the MPI handle, flags private to the module, and the list
 * of weak references; a few classes have more fields after these. */
#define MPI4PY_OBJECT_HEAD(T) \
    PyObject_HEAD             \
    T ob_mpi;                 \
    unsigned flags;           \
    PyObject *ob_weakref;

typedef struct PyMPIDatatypeObject { MPI4PY_OBJECT_HEAD(MPI_Datatype) } PyMPIDatatypeObject;
typedef struct PyMPIStatusObject { MPI4PY_OBJECT_HEAD(MPI_Status) } PyMPIStatusObject;
typedef struct PyMPIRequestObject {
    MPI4PY_OBJECT_HEAD(MPI_Request)
    PyObject *ob_buf;                       /* private: what the operation keeps alive */
} PyMPIRequestObject;
typedef PyMPIRequestObject PyMPIPrequestObject;
typedef struct PyMPIGrequestObject {
    PyMPIRequestObject base;
    MPI_Request ob_grequest;                /* the handle Grequest.Start() made */
} PyMPIGrequestObject;
typedef struct PyMPIMessageObject {
    MPI4PY_OBJECT_HEAD(MPI_Message)
    PyObject *ob_buf;                       /* private */
} PyMPIMessageObject;
typedef struct PyMPIOpObject {
    MPI4PY_OBJECT_HEAD(MPI_Op)
    void *ob_func;                          /* private */
    int ob_usrid;                           /* private */
} PyMPIOpObject;
typedef struct PyMPIGroupObject { MPI4PY_OBJECT_HEAD(MPI_Group) } PyMPIGroupObject;
typedef struct PyMPIInfoObject { MPI4PY_OBJECT_HEAD(MPI_Info) } PyMPIInfoObject;
typedef struct PyMPIErrhandlerObject { MPI4PY_OBJECT_HEAD(MPI_Errhandler) } PyMPIErrhandlerObject;
typedef struct PyMPICommObject { MPI4PY_OBJECT_HEAD(MPI_Comm) } PyMPICommObject;
typedef PyMPICommObject PyMPIIntracommObject, PyMPITopocommObject, PyMPICartcommObject,
    PyMPIGraphcommObject, PyMPIDistgraphcommObject, PyMPIIntercommObject;
typedef struct PyMPIWinObject {
    MPI4PY_OBJECT_HEAD(MPI_Win)
    PyObject *ob_mem;                       /* private: the memory the window exposes */
} PyMPIWinObject;
typedef struct PyMPIFileObject { MPI4PY_OBJECT_HEAD(MPI_File) } PyMPIFileObject;

/* ---- the API, filled in by import_mpi4py() ------------------------------------------------ */
/* (Class, handle type, argument type of New): the functions below, for import_mpi4py(). */
#define MPI4PY_CAPI(X)                                                                     \
    X(Datatype, MPI_Datatype, MPI_Datatype) X(Status, MPI_Status, MPI_Status *)            \
    X(Request, MPI_Request, MPI_Request) X(Message, MPI_Message, MPI_Message)              \
    X(Op, MPI_Op, MPI_Op) X(Group, MPI_Group, MPI_Group) X(Info, MPI_Info, MPI_Info)       \
    X(Errhandler, MPI_Errhandler, MPI_Errhandler) X(Comm, MPI_Comm, MPI_Comm)              \
    X(Win, MPI_Win, MPI_Win) X(File, MPI_File, MPI_File)
/* Every class whose type is imported. */
#define MPI4PY_CLASSES(X)                                                                  \
    X(Datatype) X(Status) X(Request) X(Prequest) X(Grequest) X(Message) X(Op) X(Group)     \
    X(Info) X(Errhandler) X(Comm) X(Intracomm) X(Topocomm) X(Cartcomm) X(Graphcomm)        \
    X(Distgraphcomm) X(Intercomm) X(Win) X(File)

static PyObject *(*PyMPIDatatype_New)(MPI_Datatype) = 0;
static MPI_Datatype *(*PyMPIDatatype_Get)(PyObject *) = 0;
static PyObject *(*PyMPIStatus_New)(MPI_Status *) = 0;
static MPI_Status *(*PyMPIStatus_Get)(PyObject *) = 0;
static PyObject *(*PyMPIRequest_New)(MPI_Request) = 0;
static MPI_Request *(*PyMPIRequest_Get)(PyObject *) = 0;
static PyObject *(*PyMPIMessage_New)(MPI_Message) = 0;
static MPI_Message *(*PyMPIMessage_Get)(PyObject *) = 0;
static PyObject *(*PyMPIOp_New)(MPI_Op) = 0;
static MPI_Op *(*PyMPIOp_Get)(PyObject *) = 0;
static PyObject *(*PyMPIGroup_New)(MPI_Group) = 0;
static MPI_Group *(*PyMPIGroup_Get)(PyObject *) = 0;
static PyObject *(*PyMPIInfo_New)(MPI_Info) = 0;
static MPI_Info *(*PyMPIInfo_Get)(PyObject *) = 0;
static PyObject *(*PyMPIErrhandler_New)(MPI_Errhandler) = 0;
static MPI_Errhandler *(*PyMPIErrhandler_Get)(PyObject *) = 0;
static PyObject *(*PyMPIComm_New)(MPI_Comm) = 0;
static MPI_Comm *(*PyMPIComm_Get)(PyObject *) = 0;
static PyObject *(*PyMPIWin_New)(MPI_Win) = 0;
static MPI_Win *(*PyMPIWin_Get)(PyObject *) = 0;
static PyObject *(*PyMPIFile_New)(MPI_File) = 0;
static MPI_File *(*PyMPIFile_Get)(PyObject *) = 0;

#define MPI4PY_DECLARE_TYPE(Class) static PyTypeObject *mpi4py_type_##Class = 0;
MPI4PY_CLASSES(MPI4PY_DECLARE_TYPE)
#undef MPI4PY_DECLARE_TYPE
#define PyMPIDatatype_Type      (*mpi4py_type_Datatype)
#define PyMPIStatus_Type        (*mpi4py_type_Status)
#define PyMPIRequest_Type       (*mpi4py_type_Request)
#define PyMPIPrequest_Type      (*mpi4py_type_Prequest)
#define PyMPIGrequest_Type      (*mpi4py_type_Grequest)
#define PyMPIMessage_Type       (*mpi4py_type_Message)
#define PyMPIOp_Type            (*mpi4py_type_Op)
#define PyMPIGroup_Type         (*mpi4py_type_Group)
#define PyMPIInfo_Type          (*mpi4py_type_Info)
#define PyMPIErrhandler_Type    (*mpi4py_type_Errhandler)
#define PyMPIComm_Type          (*mpi4py_type_Comm)
#define PyMPIIntracomm_Type     (*mpi4py_type_Intracomm)
#define PyMPITopocomm_Type      (*mpi4py_type_Topocomm)
#define PyMPICartcomm_Type      (*mpi4py_type_Cartcomm)
#define PyMPIGraphcomm_Type     (*mpi4py_type_Graphcomm)
#define PyMPIDistgraphcomm_Type (*mpi4py_type_Distgraphcomm)
#define PyMPIIntercomm_Type     (*mpi4py_type_Intercomm)
#define PyMPIWin_Type           (*mpi4py_type_Win)
#define PyMPIFile_Type          (*mpi4py_type_File)

/* One function of __pyx_capi__: the capsule's name is the C signature, checked here. */
static int mpi4py_import_function(PyObject *capi, const char *name, const char *signature,
                                  void (**fn)(void))
{
    union { void *p; void (*fn)(void); } u;
    PyObject *capsule = PyDict_GetItemString(capi, name);
    if (!capsule) {
        PyErr_Format(PyExc_ImportError, "mpi4py.MPI does not export the C function %s", name);
        return -1;
    }
    u.p = PyCapsule_GetPointer(capsule, signature);
    if (!u.p) return -1; /* wrong signature: ValueError from PyCapsule_GetPointer */
    *fn = u.fn;
    return 0;
}

/* One class: it must be a type at least as large as the layout declared above. */
static int mpi4py_import_type(PyObject *module, const char *name, size_t size, PyTypeObject **tp)
{
    PyObject *o = PyObject_GetAttrString(module, name);
    if (!o) return -1;
    if (!PyType_Check(o) || (size_t)((PyTypeObject *)o)->tp_basicsize < size) {
        PyErr_Format(PyExc_ImportError, "mpi4py.MPI.%s does not have the object layout of "
                     "mpi4py/mpi4py.h (binary incompatible)", name);
        Py_DECREF(o);
        return -1;
    }
    *tp = (PyTypeObject *)o; /* the module holds the class for as long as it lives */
    Py_DECREF(o);
    return 0;
}

static int import_mpi4py(void)
{
    PyObject *module = PyImport_ImportModule("mpi4py.MPI");
    PyObject *capi = module ? PyObject_GetAttrString(module, "__pyx_capi__") : NULL;
    if (!capi || !PyDict_Check(capi)) goto bad;
#define MPI4PY_IMPORT_FUNCTIONS(Class, T, A)                                                     \
    if (mpi4py_import_function(capi, "PyMPI" #Class "_New", "PyObject *(" #A ")",                \
                               (void (**)(void)) & PyMPI##Class##_New) < 0 ||                    \
        mpi4py_import_function(capi, "PyMPI" #Class "_Get", #T " *(PyObject *)",                 \
                               (void (**)(void)) & PyMPI##Class##_Get) < 0)                      \
        goto bad;
    MPI4PY_CAPI(MPI4PY_IMPORT_FUNCTIONS)
#undef MPI4PY_IMPORT_FUNCTIONS
#define MPI4PY_IMPORT_TYPE(Class)                                                                \
    if (mpi4py_import_type(module, #Class, sizeof(PyMPI##Class##Object), &mpi4py_type_##Class) < 0) \
        goto bad;
    MPI4PY_CLASSES(MPI4PY_IMPORT_TYPE)
#undef MPI4PY_IMPORT_TYPE
    Py_DECREF(capi);
    Py_DECREF(module);
    return 0;
bad:
    if (module && !PyErr_Occurred())
        PyErr_SetString(PyExc_ImportError, "mpi4py.MPI has no C API (__pyx_capi__)");
    Py_XDECREF(capi);
    Py_XDECREF(module);
    return -1;
}

#endif /* MPI4PY_H */
