// cppext.cpp: a C++ extension module using mpi4py/mpi4py.h (import_mpi4py from C++).
#include <mpi4py/mpi4py.h>
#include <string>

static PyObject *sayhello(PyObject *, PyObject *arg)
{
    MPI_Comm *comm = PyMPIComm_Get(arg);
    if (!comm) return nullptr;
    int size = 0, rank = 0;
    MPI_Comm_size(*comm, &size);
    MPI_Comm_rank(*comm, &rank);
    std::string s = "Hello, World! I am process " + std::to_string(rank) + " of " +
                    std::to_string(size) + ".";
    return PyUnicode_FromString(s.c_str());
}

static PyObject *comm_dup(PyObject *, PyObject *arg)
{
    MPI_Comm *comm = PyMPIComm_Get(arg);
    if (!comm) return nullptr;
    MPI_Comm newcomm;
    if (MPI_Comm_dup(*comm, &newcomm) != MPI_SUCCESS)
        return PyErr_Format(PyExc_RuntimeError, "MPI_Comm_dup failed");
    return PyMPIComm_New(newcomm);
}

static PyObject *free_comm(PyObject *, PyObject *arg)
{
    MPI_Comm *comm = PyMPIComm_Get(arg);
    if (!comm) return nullptr;
    if (MPI_Comm_free(comm) != MPI_SUCCESS)
        return PyErr_Format(PyExc_RuntimeError, "MPI_Comm_free failed");
    Py_RETURN_NONE;
}

static PyObject *get_comm(PyObject *, PyObject *arg)
{
    if (!PyMPIComm_Get(arg)) return nullptr;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"sayhello", sayhello, METH_O, nullptr},
    {"dup", comm_dup, METH_O, nullptr},
    {"free_comm", free_comm, METH_O, nullptr},
    {"get_comm", get_comm, METH_O, nullptr},
    {nullptr, nullptr, 0, nullptr}};

static PyModuleDef moduledef = {PyModuleDef_HEAD_INIT, "cppext", nullptr, -1, methods};

PyMODINIT_FUNC PyInit_cppext(void)
{
    if (import_mpi4py() < 0) return nullptr;
    return PyModule_Create(&moduledef);
}
