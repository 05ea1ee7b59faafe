/* mpi4py/mpi4py.i -- SWIG typemaps for the MPI handles of mpi4py.MPI (python-mpi).
 *
 * In an interface file:
 *     %include "mpi4py/mpi4py.i"
 *     %mpi4py_typemap(Comm, MPI_Comm);      (and Datatype, Op, Request, ... as needed)
 * then a wrapped function taking `MPI_Comm comm` accepts an MPI.Comm (TypeError otherwise),
 * one taking `MPI_Comm *comm` gets the address of the handle inside the object (None gives
 * NULL), and one returning MPI_Comm returns a new MPI.Comm. Run swig with -I$(mpi4py.get_include())
 * and compile the wrapper with mpicc and the same -I. The module's init calls import_mpi4py().
 */

%header %{
#include "mpi4py/mpi4py.h"
%}

%init %{
if (import_mpi4py() < 0) return NULL;
%}

/* Precedences for overloaded functions: after SWIG's own pointer types. */
%define SWIG_TYPECHECK_MPI_Comm       400 %enddef
%define SWIG_TYPECHECK_MPI_Datatype   401 %enddef
%define SWIG_TYPECHECK_MPI_Request    402 %enddef
%define SWIG_TYPECHECK_MPI_Message    403 %enddef
%define SWIG_TYPECHECK_MPI_Status     404 %enddef
%define SWIG_TYPECHECK_MPI_Op         405 %enddef
%define SWIG_TYPECHECK_MPI_Group      406 %enddef
%define SWIG_TYPECHECK_MPI_Info       407 %enddef
%define SWIG_TYPECHECK_MPI_File       408 %enddef
%define SWIG_TYPECHECK_MPI_Win        409 %enddef
%define SWIG_TYPECHECK_MPI_Errhandler 410 %enddef

%define %mpi4py_typemap(Class, Type)
/* by value: PyMPI<Class>_Get raises TypeError for anything but a <Class> */
%typemap(in) Type {
    Type *p = PyMPI##Class##_Get($input);
    if (!p) SWIG_fail;
    $1 = *p;
}
/* by pointer: the handle inside the object (the function may change it), None: NULL */
%typemap(in) Type * {
    if ($input == Py_None) $1 = NULL;
    else if (!($1 = PyMPI##Class##_Get($input))) SWIG_fail;
}
%typemap(out) Type {
    $result = PyMPI##Class##_New($1);
    if (!$result) SWIG_fail;
}
%typemap(typecheck, precedence=SWIG_TYPECHECK_##Type) Type {
    $1 = PyObject_TypeCheck($input, &PyMPI##Class##_Type);
}
%typemap(typecheck, precedence=SWIG_TYPECHECK_##Type) Type * {
    $1 = $input == Py_None || PyObject_TypeCheck($input, &PyMPI##Class##_Type);
}
%enddef
