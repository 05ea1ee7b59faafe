/*
 * mpi4py.h -- C view of the objects of the mpi4py.MPI module (python-mpi).
 *
 * For C extensions that receive mpi4py.MPI objects and need the MPI handle
 * inside.  Include <Python.h> and <mpi.h> first, and compile with the same
 * MPI (MPICH) that python-mpi was built with.  Find this directory with
 * mpi4py.get_include().
 *
 * Every handle object starts with PyObject_HEAD, then the MPI handle, then
 * an `unsigned flags` word private to the module; some classes have more
 * private fields after it, so only the leading fields are declared here.
 * Check the Python type (e.g. isinstance(obj, MPI.Comm) from Python, or
 * PyObject_IsInstance in C) before using these accessors.
 *
 * A capsule-based C API, if the module provides one, is the attribute
 * mpi4py.MPI._C_API; this header does not depend on it.
 */
#ifndef MPI4PY_H
#define MPI4PY_H

#define MPI4PY_DECLARE_OBJECT(Name, T) \
    typedef struct {                   \
        PyObject_HEAD                  \
        T ob_mpi;                      \
        unsigned flags;                \
    } Name

MPI4PY_DECLARE_OBJECT(PyMPICommObject, MPI_Comm);
MPI4PY_DECLARE_OBJECT(PyMPIGroupObject, MPI_Group);
MPI4PY_DECLARE_OBJECT(PyMPIDatatypeObject, MPI_Datatype);
MPI4PY_DECLARE_OBJECT(PyMPIInfoObject, MPI_Info);
MPI4PY_DECLARE_OBJECT(PyMPIErrhandlerObject, MPI_Errhandler);
MPI4PY_DECLARE_OBJECT(PyMPIWinObject, MPI_Win);
MPI4PY_DECLARE_OBJECT(PyMPIFileObject, MPI_File);
MPI4PY_DECLARE_OBJECT(PyMPIOpObject, MPI_Op);
MPI4PY_DECLARE_OBJECT(PyMPIRequestObject, MPI_Request);
MPI4PY_DECLARE_OBJECT(PyMPIMessageObject, MPI_Message);

/* MPI.Status holds the MPI_Status itself, right after the header. */
typedef struct {
    PyObject_HEAD
    MPI_Status ob_mpi;
} PyMPIStatusObject;

/* Pointer to the MPI handle stored in an object of the given class. */
#define PyMPIComm_Get(op)       (&((PyMPICommObject *)(op))->ob_mpi)
#define PyMPIGroup_Get(op)      (&((PyMPIGroupObject *)(op))->ob_mpi)
#define PyMPIDatatype_Get(op)   (&((PyMPIDatatypeObject *)(op))->ob_mpi)
#define PyMPIInfo_Get(op)       (&((PyMPIInfoObject *)(op))->ob_mpi)
#define PyMPIErrhandler_Get(op) (&((PyMPIErrhandlerObject *)(op))->ob_mpi)
#define PyMPIWin_Get(op)        (&((PyMPIWinObject *)(op))->ob_mpi)
#define PyMPIFile_Get(op)       (&((PyMPIFileObject *)(op))->ob_mpi)
#define PyMPIOp_Get(op)         (&((PyMPIOpObject *)(op))->ob_mpi)
#define PyMPIRequest_Get(op)    (&((PyMPIRequestObject *)(op))->ob_mpi)
#define PyMPIMessage_Get(op)    (&((PyMPIMessageObject *)(op))->ob_mpi)
#define PyMPIStatus_Get(op)     (&((PyMPIStatusObject *)(op))->ob_mpi)

#endif /* MPI4PY_H */
