# cyext.pyx: a Cython extension using `cimport` of mpi4py (test_capi.py builds it against
# python-mpi's .pxd files and against mpi4py 3.1.6's).
# cython: language_level=3

from mpi4py cimport MPI
from mpi4py.libmpi cimport MPI_Comm, MPI_Comm_size, MPI_Comm_rank, MPI_Comm_dup, MPI_Comm_free


def sayhello(MPI.Comm comm not None):
    cdef int size = 0, rank = 0
    MPI_Comm_size(comm.ob_mpi, &size)
    MPI_Comm_rank(comm.ob_mpi, &rank)
    return f"Hello, World! I am process {rank} of {size}."


def dup(MPI.Comm comm not None):
    # writes the new handle straight into the object's ob_mpi field
    cdef MPI.Intracomm newcomm = MPI.Intracomm()
    MPI_Comm_dup(comm.ob_mpi, &newcomm.ob_mpi)
    return newcomm


def free_comm(MPI.Comm comm not None):
    # MPI_Comm_free sets the object's ob_mpi to MPI_COMM_NULL
    MPI_Comm_free(&comm.ob_mpi)


def get_comm(MPI.Comm comm not None):
    return None
