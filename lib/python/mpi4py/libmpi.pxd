# mpi4py/libmpi.pxd: the MPI C API for Cython (`from mpi4py.libmpi cimport MPI_Comm_size`).
#
# Declarations only: the names come from <mpi.h>, so an extension compiled with mpicc uses the
# MPI library python-mpi was built with. Handles are opaque types (Cython needs no more than
# their names); every function returns an MPI error code and may be called without the GIL.

cdef extern from "mpi.h" nogil:

    # ---- types ----------------------------------------------------------------------------
    ctypedef long MPI_Aint
    ctypedef long long MPI_Offset
    ctypedef long long MPI_Count
    ctypedef int MPI_Fint

    ctypedef struct MPI_Status:
        int MPI_SOURCE
        int MPI_TAG
        int MPI_ERROR

    ctypedef struct _mpi4py_datatype_t
    ctypedef _mpi4py_datatype_t* MPI_Datatype
    ctypedef struct _mpi4py_request_t
    ctypedef _mpi4py_request_t* MPI_Request
    ctypedef struct _mpi4py_message_t
    ctypedef _mpi4py_message_t* MPI_Message
    ctypedef struct _mpi4py_op_t
    ctypedef _mpi4py_op_t* MPI_Op
    ctypedef struct _mpi4py_group_t
    ctypedef _mpi4py_group_t* MPI_Group
    ctypedef struct _mpi4py_info_t
    ctypedef _mpi4py_info_t* MPI_Info
    ctypedef struct _mpi4py_errhandler_t
    ctypedef _mpi4py_errhandler_t* MPI_Errhandler
    ctypedef struct _mpi4py_comm_t
    ctypedef _mpi4py_comm_t* MPI_Comm
    ctypedef struct _mpi4py_win_t
    ctypedef _mpi4py_win_t* MPI_Win
    ctypedef struct _mpi4py_file_t
    ctypedef _mpi4py_file_t* MPI_File

    # ---- constants --------------------------------------------------------------------------
    enum: MPI_SUCCESS, MPI_ERR_OTHER, MPI_ERR_LASTCODE
    enum: MPI_UNDEFINED, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_PROC_NULL, MPI_ROOT
    enum: MPI_IDENT, MPI_CONGRUENT, MPI_SIMILAR, MPI_UNEQUAL
    enum: MPI_CART, MPI_GRAPH, MPI_DIST_GRAPH
    enum: MPI_THREAD_SINGLE, MPI_THREAD_FUNNELED, MPI_THREAD_SERIALIZED, MPI_THREAD_MULTIPLE
    enum: MPI_MAX_PROCESSOR_NAME, MPI_MAX_ERROR_STRING, MPI_MAX_OBJECT_NAME
    enum: MPI_MAX_INFO_KEY, MPI_MAX_INFO_VAL, MPI_MAX_LIBRARY_VERSION_STRING
    enum: MPI_VERSION, MPI_SUBVERSION
    enum: MPI_MODE_RDONLY, MPI_MODE_WRONLY, MPI_MODE_RDWR, MPI_MODE_CREATE
    enum: MPI_MODE_EXCL, MPI_MODE_APPEND, MPI_MODE_DELETE_ON_CLOSE
    enum: MPI_LOCK_EXCLUSIVE, MPI_LOCK_SHARED

    void *MPI_BOTTOM
    void *MPI_IN_PLACE
    MPI_Status *MPI_STATUS_IGNORE
    MPI_Status *MPI_STATUSES_IGNORE

    MPI_Datatype MPI_DATATYPE_NULL, MPI_BYTE, MPI_PACKED, MPI_CHAR, MPI_SIGNED_CHAR
    MPI_Datatype MPI_UNSIGNED_CHAR, MPI_SHORT, MPI_UNSIGNED_SHORT, MPI_INT, MPI_UNSIGNED
    MPI_Datatype MPI_LONG, MPI_UNSIGNED_LONG, MPI_LONG_LONG, MPI_UNSIGNED_LONG_LONG
    MPI_Datatype MPI_FLOAT, MPI_DOUBLE, MPI_LONG_DOUBLE, MPI_C_BOOL, MPI_WCHAR
    MPI_Datatype MPI_INT8_T, MPI_INT16_T, MPI_INT32_T, MPI_INT64_T
    MPI_Datatype MPI_UINT8_T, MPI_UINT16_T, MPI_UINT32_T, MPI_UINT64_T
    MPI_Datatype MPI_C_FLOAT_COMPLEX, MPI_C_DOUBLE_COMPLEX, MPI_AINT, MPI_OFFSET, MPI_COUNT
    MPI_Request MPI_REQUEST_NULL
    MPI_Message MPI_MESSAGE_NULL, MPI_MESSAGE_NO_PROC
    MPI_Op MPI_OP_NULL, MPI_MAX, MPI_MIN, MPI_SUM, MPI_PROD, MPI_LAND, MPI_BAND, MPI_LOR
    MPI_Op MPI_BOR, MPI_LXOR, MPI_BXOR, MPI_MAXLOC, MPI_MINLOC, MPI_REPLACE, MPI_NO_OP
    MPI_Group MPI_GROUP_NULL, MPI_GROUP_EMPTY
    MPI_Info MPI_INFO_NULL, MPI_INFO_ENV
    MPI_Errhandler MPI_ERRHANDLER_NULL, MPI_ERRORS_RETURN, MPI_ERRORS_ARE_FATAL
    MPI_Comm MPI_COMM_NULL, MPI_COMM_SELF, MPI_COMM_WORLD
    MPI_Win MPI_WIN_NULL
    MPI_File MPI_FILE_NULL

    # ---- environment ------------------------------------------------------------------------
    int MPI_Init(int *, char ***)
    int MPI_Init_thread(int *, char ***, int, int *)
    int MPI_Finalize()
    int MPI_Initialized(int *)
    int MPI_Finalized(int *)
    int MPI_Query_thread(int *)
    int MPI_Is_thread_main(int *)
    int MPI_Abort(MPI_Comm, int)
    int MPI_Get_version(int *, int *)
    int MPI_Get_library_version(char[], int *)
    int MPI_Get_processor_name(char[], int *)
    int MPI_Error_class(int, int *)
    int MPI_Error_string(int, char[], int *)
    double MPI_Wtime()
    double MPI_Wtick()
    int MPI_Alloc_mem(MPI_Aint, MPI_Info, void *)
    int MPI_Free_mem(void *)
    int MPI_Get_address(const void *, MPI_Aint *)

    # ---- status -----------------------------------------------------------------------------
    int MPI_Get_count(const MPI_Status *, MPI_Datatype, int *)
    int MPI_Get_elements(const MPI_Status *, MPI_Datatype, int *)
    int MPI_Test_cancelled(const MPI_Status *, int *)

    # ---- point to point ---------------------------------------------------------------------
    int MPI_Send(const void *, int, MPI_Datatype, int, int, MPI_Comm)
    int MPI_Ssend(const void *, int, MPI_Datatype, int, int, MPI_Comm)
    int MPI_Recv(void *, int, MPI_Datatype, int, int, MPI_Comm, MPI_Status *)
    int MPI_Sendrecv(const void *, int, MPI_Datatype, int, int,
                     void *, int, MPI_Datatype, int, int, MPI_Comm, MPI_Status *)
    int MPI_Isend(const void *, int, MPI_Datatype, int, int, MPI_Comm, MPI_Request *)
    int MPI_Irecv(void *, int, MPI_Datatype, int, int, MPI_Comm, MPI_Request *)
    int MPI_Probe(int, int, MPI_Comm, MPI_Status *)
    int MPI_Iprobe(int, int, MPI_Comm, int *, MPI_Status *)
    int MPI_Mprobe(int, int, MPI_Comm, MPI_Message *, MPI_Status *)
    int MPI_Mrecv(void *, int, MPI_Datatype, MPI_Message *, MPI_Status *)
    int MPI_Wait(MPI_Request *, MPI_Status *)
    int MPI_Test(MPI_Request *, int *, MPI_Status *)
    int MPI_Waitall(int, MPI_Request[], MPI_Status[])
    int MPI_Cancel(MPI_Request *)
    int MPI_Request_free(MPI_Request *)

    # ---- collectives ------------------------------------------------------------------------
    int MPI_Barrier(MPI_Comm)
    int MPI_Bcast(void *, int, MPI_Datatype, int, MPI_Comm)
    int MPI_Gather(const void *, int, MPI_Datatype, void *, int, MPI_Datatype, int, MPI_Comm)
    int MPI_Scatter(const void *, int, MPI_Datatype, void *, int, MPI_Datatype, int, MPI_Comm)
    int MPI_Allgather(const void *, int, MPI_Datatype, void *, int, MPI_Datatype, MPI_Comm)
    int MPI_Alltoall(const void *, int, MPI_Datatype, void *, int, MPI_Datatype, MPI_Comm)
    int MPI_Reduce(const void *, void *, int, MPI_Datatype, MPI_Op, int, MPI_Comm)
    int MPI_Allreduce(const void *, void *, int, MPI_Datatype, MPI_Op, MPI_Comm)
    int MPI_Scan(const void *, void *, int, MPI_Datatype, MPI_Op, MPI_Comm)
    int MPI_Exscan(const void *, void *, int, MPI_Datatype, MPI_Op, MPI_Comm)
    int MPI_Ibarrier(MPI_Comm, MPI_Request *)
    int MPI_Iallreduce(const void *, void *, int, MPI_Datatype, MPI_Op, MPI_Comm, MPI_Request *)

    # ---- communicators and groups -----------------------------------------------------------
    int MPI_Comm_size(MPI_Comm, int *)
    int MPI_Comm_rank(MPI_Comm, int *)
    int MPI_Comm_compare(MPI_Comm, MPI_Comm, int *)
    int MPI_Comm_dup(MPI_Comm, MPI_Comm *)
    int MPI_Comm_split(MPI_Comm, int, int, MPI_Comm *)
    int MPI_Comm_create(MPI_Comm, MPI_Group, MPI_Comm *)
    int MPI_Comm_free(MPI_Comm *)
    int MPI_Comm_test_inter(MPI_Comm, int *)
    int MPI_Comm_remote_size(MPI_Comm, int *)
    int MPI_Comm_group(MPI_Comm, MPI_Group *)
    int MPI_Comm_set_errhandler(MPI_Comm, MPI_Errhandler)
    int MPI_Comm_get_errhandler(MPI_Comm, MPI_Errhandler *)
    int MPI_Comm_set_name(MPI_Comm, const char *)
    int MPI_Comm_get_name(MPI_Comm, char[], int *)
    int MPI_Topo_test(MPI_Comm, int *)
    int MPI_Cart_create(MPI_Comm, int, const int[], const int[], int, MPI_Comm *)
    int MPI_Group_size(MPI_Group, int *)
    int MPI_Group_rank(MPI_Group, int *)
    int MPI_Group_incl(MPI_Group, int, const int[], MPI_Group *)
    int MPI_Group_free(MPI_Group *)

    # ---- datatypes and operations -----------------------------------------------------------
    int MPI_Type_size(MPI_Datatype, int *)
    int MPI_Type_get_extent(MPI_Datatype, MPI_Aint *, MPI_Aint *)
    int MPI_Type_contiguous(int, MPI_Datatype, MPI_Datatype *)
    int MPI_Type_vector(int, int, int, MPI_Datatype, MPI_Datatype *)
    int MPI_Type_create_struct(int, const int[], const MPI_Aint[], const MPI_Datatype[],
                               MPI_Datatype *)
    int MPI_Type_create_resized(MPI_Datatype, MPI_Aint, MPI_Aint, MPI_Datatype *)
    int MPI_Type_dup(MPI_Datatype, MPI_Datatype *)
    int MPI_Type_commit(MPI_Datatype *)
    int MPI_Type_free(MPI_Datatype *)
    ctypedef void MPI_User_function(void *, void *, int *, MPI_Datatype *)
    int MPI_Op_create(MPI_User_function *, int, MPI_Op *)
    int MPI_Op_free(MPI_Op *)
    int MPI_Op_commutative(MPI_Op, int *)

    # ---- info and error handlers ------------------------------------------------------------
    int MPI_Info_create(MPI_Info *)
    int MPI_Info_set(MPI_Info, const char *, const char *)
    int MPI_Info_get(MPI_Info, const char *, int, char[], int *)
    int MPI_Info_get_nkeys(MPI_Info, int *)
    int MPI_Info_free(MPI_Info *)
    int MPI_Errhandler_free(MPI_Errhandler *)

    # ---- one-sided communication ------------------------------------------------------------
    int MPI_Win_create(void *, MPI_Aint, int, MPI_Info, MPI_Comm, MPI_Win *)
    int MPI_Win_allocate(MPI_Aint, int, MPI_Info, MPI_Comm, void *, MPI_Win *)
    int MPI_Win_free(MPI_Win *)
    int MPI_Win_fence(int, MPI_Win)
    int MPI_Win_lock(int, int, int, MPI_Win)
    int MPI_Win_unlock(int, MPI_Win)
    int MPI_Put(const void *, int, MPI_Datatype, int, MPI_Aint, int, MPI_Datatype, MPI_Win)
    int MPI_Get(void *, int, MPI_Datatype, int, MPI_Aint, int, MPI_Datatype, MPI_Win)
    int MPI_Accumulate(const void *, int, MPI_Datatype, int, MPI_Aint, int, MPI_Datatype,
                       MPI_Op, MPI_Win)

    # ---- I/O --------------------------------------------------------------------------------
    int MPI_File_open(MPI_Comm, const char *, int, MPI_Info, MPI_File *)
    int MPI_File_close(MPI_File *)
    int MPI_File_delete(const char *, MPI_Info)
    int MPI_File_get_size(MPI_File, MPI_Offset *)
    int MPI_File_read_at(MPI_File, MPI_Offset, void *, int, MPI_Datatype, MPI_Status *)
    int MPI_File_write_at(MPI_File, MPI_Offset, const void *, int, MPI_Datatype, MPI_Status *)
    int MPI_File_read_at_all(MPI_File, MPI_Offset, void *, int, MPI_Datatype, MPI_Status *)
    int MPI_File_write_at_all(MPI_File, MPI_Offset, const void *, int, MPI_Datatype,
                              MPI_Status *)

    # ---- Fortran handles --------------------------------------------------------------------
    MPI_Fint MPI_Comm_c2f(MPI_Comm)
    MPI_Comm MPI_Comm_f2c(MPI_Fint)
    MPI_Fint MPI_Type_c2f(MPI_Datatype)
    MPI_Datatype MPI_Type_f2c(MPI_Fint)
