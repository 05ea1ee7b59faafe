# mpi4py/MPI.pxd: the classes of mpi4py.MPI for Cython (`from mpi4py cimport MPI`).
#
# Each class is declared with the object layout the module has (the one of mpi4py 3.1): the MPI
# handle `ob_mpi`, private flags, the weak-reference list, and the extra fields of a few
# classes. Cython checks these sizes against the module's types when the extension is imported.
# Typical use:  cdef MPI.Comm comm = MPI.COMM_WORLD;  MPI_Comm_size(comm.ob_mpi, &size)

from mpi4py.libmpi cimport MPI_Aint, MPI_Offset, MPI_Count, MPI_Status, MPI_Datatype
from mpi4py.libmpi cimport MPI_Request, MPI_Message, MPI_Op, MPI_Group, MPI_Info
from mpi4py.libmpi cimport MPI_Errhandler, MPI_Comm, MPI_Win, MPI_File

ctypedef MPI_Aint Aint
ctypedef MPI_Offset Offset
ctypedef MPI_Count Count

ctypedef public api class Datatype [type PyMPIDatatype_Type, object PyMPIDatatypeObject]:
    cdef MPI_Datatype ob_mpi
    cdef unsigned flags
    cdef object __weakref__

ctypedef public api class Status [type PyMPIStatus_Type, object PyMPIStatusObject]:
    cdef MPI_Status ob_mpi
    cdef unsigned flags
    cdef object __weakref__

ctypedef public api class Request [type PyMPIRequest_Type, object PyMPIRequestObject]:
    cdef MPI_Request ob_mpi
    cdef unsigned flags
    cdef object __weakref__
    cdef object ob_buf          # private: what the operation keeps alive

ctypedef public api class Prequest(Request) [type PyMPIPrequest_Type, object PyMPIPrequestObject]:
    pass

ctypedef public api class Grequest(Request) [type PyMPIGrequest_Type, object PyMPIGrequestObject]:
    cdef MPI_Request ob_grequest    # the handle Grequest.Start() made

ctypedef public api class Message [type PyMPIMessage_Type, object PyMPIMessageObject]:
    cdef MPI_Message ob_mpi
    cdef unsigned flags
    cdef object __weakref__
    cdef object ob_buf          # private

ctypedef public api class Op [type PyMPIOp_Type, object PyMPIOpObject]:
    cdef MPI_Op ob_mpi
    cdef unsigned flags
    cdef object __weakref__
    cdef object (*ob_func)(object, object)  # private
    cdef int ob_usrid                       # private

ctypedef public api class Group [type PyMPIGroup_Type, object PyMPIGroupObject]:
    cdef MPI_Group ob_mpi
    cdef unsigned flags
    cdef object __weakref__

ctypedef public api class Info [type PyMPIInfo_Type, object PyMPIInfoObject]:
    cdef MPI_Info ob_mpi
    cdef unsigned flags
    cdef object __weakref__

ctypedef public api class Errhandler [type PyMPIErrhandler_Type, object PyMPIErrhandlerObject]:
    cdef MPI_Errhandler ob_mpi
    cdef unsigned flags
    cdef object __weakref__

ctypedef public api class Comm [type PyMPIComm_Type, object PyMPICommObject]:
    cdef MPI_Comm ob_mpi
    cdef unsigned flags
    cdef object __weakref__

ctypedef public api class Intracomm(Comm) [type PyMPIIntracomm_Type, object PyMPIIntracommObject]:
    pass

ctypedef public api class Topocomm(Intracomm) [type PyMPITopocomm_Type, object PyMPITopocommObject]:
    pass

ctypedef public api class Cartcomm(Topocomm) [type PyMPICartcomm_Type, object PyMPICartcommObject]:
    pass

ctypedef public api class Graphcomm(Topocomm) [type PyMPIGraphcomm_Type, object PyMPIGraphcommObject]:
    pass

ctypedef public api class Distgraphcomm(Topocomm) [type PyMPIDistgraphcomm_Type, object PyMPIDistgraphcommObject]:
    pass

ctypedef public api class Intercomm(Comm) [type PyMPIIntercomm_Type, object PyMPIIntercommObject]:
    pass

ctypedef public api class Win [type PyMPIWin_Type, object PyMPIWinObject]:
    cdef MPI_Win ob_mpi
    cdef unsigned flags
    cdef object __weakref__
    cdef object ob_mem          # private: the memory the window exposes

ctypedef public api class File [type PyMPIFile_Type, object PyMPIFileObject]:
    cdef MPI_File ob_mpi
    cdef unsigned flags
    cdef object __weakref__
