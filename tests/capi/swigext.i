/* swigext.i: the manual's SWIG example (section 3.7) and a communicator returned to Python. */
%module swigext

%{
#include <stdio.h>
#include <mpi.h>
static void hello(MPI_Comm comm, char *out, size_t n)
{
    int size = 0, rank = 0;
    MPI_Comm_size(comm, &size);
    MPI_Comm_rank(comm, &rank);
    snprintf(out, n, "Hello, World! I am process %d of %d.", rank, size);
}
%}

%include mpi4py/mpi4py.i
%mpi4py_typemap(Comm, MPI_Comm);

%rename(dup) comm_dup; /* a C function named dup would be libc's dup(2) */
%inline %{
const char *sayhello(MPI_Comm comm)
{
    static char text[100];
    hello(comm, text, sizeof(text));
    return text;
}
MPI_Comm comm_dup(MPI_Comm comm)
{
    MPI_Comm newcomm = MPI_COMM_NULL;
    MPI_Comm_dup(comm, &newcomm);
    return newcomm;
}
void get_comm(MPI_Comm comm) {}
%}

/* The handle inside the object, by pointer: python-mpi's mpi4py.i only (mpi4py 3.1's maps
 * pointers to SWIG's own pointer objects). */
#ifndef MPI4PY31
%inline %{
void free_comm(MPI_Comm *comm) { MPI_Comm_free(comm); }
%}
#endif
