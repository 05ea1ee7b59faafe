/* pympi.h: the one internal header of the mpi4py.MPI module.
 *
 * Conventions every source file of the module follows (docs/DESIGN.md has the long form):
 *
 *  - Handle objects share one shape: PyObject_HEAD, the MPI handle `ob_mpi`, `flags` and the
 *    weak-reference list: mpi4py 3.1's layout, which compiled extensions depend on (below).
 *    PYMPI_CONST marks the module constants (COMM_WORLD, INT, SUM, ...): they are never freed
 *    and cannot be modified. As in C and in mpi4py 3.1, a handle is released only by its
 *    Free() (Close() for files): dropping the Python object never frees the MPI object, so
 *    copies such as MPI.Intracomm(comm.Dup()) stay valid and nothing is freed twice.
 *    Nothing touches MPI after MPI_Finalize (pympi_mpi_active()).
 *  - Every MPI call goes through CHKERR(): a code other than MPI_SUCCESS raises MPI.Exception
 *    carrying that code, and CHKERR() is true so the caller returns its error value.
 *  - Communication calls (blocking, or starting an operation) go through
 *    PYMPI_NOGIL(ierr = MPI_Xxx(...)): they wait for others or take MPI's internal lock, which a
 *    thread running a Python callback inside MPI may hold while it waits for the GIL, so the GIL
 *    is released unless this is the only Python thread and no Python callback is registered.
 *    C callbacks from MPI into Python (ops, error handlers, keyval copy/delete, generalized
 *    requests, data representations) take it back with PyGILState_Ensure().
 *  - Methods use METH_FASTCALL|METH_KEYWORDS and pympi_parse() with a static keyword list, so
 *    the positional fast path costs a few compares.
 *  - Each object family lives in its own file and exposes `int pympi_init_<family>(PyObject *m)`,
 *    called once from module.c; the long lists (constants, datatypes, ops) are X-macro tables
 *    (*.def) so each fact is written once.
 */
#ifndef PYMPI_H
#define PYMPI_H

#include "config.h"
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <mpi.h>

/* ---- handle flags ---------------------------------------------------- */
#define PYMPI_OWNED 0x1u /* created here (not a copy): owns what it pins, e.g. window memory */
#define PYMPI_CONST 0x2u /* module constant: never freed, never modified */

/* ---- error checking --------------------------------------------------- */
extern PyObject *pympi_Exception; /* MPI.Exception, a RuntimeError subclass */
int pympi_type_check_single(MPI_Datatype t, int pairs); /* datatype.c: ERR_TYPE on mixed types */
int pympi_win_close_all(void);  /* win.c: end epochs, free windows left at exit; -1: cannot */
int pympi_raise(int ierr);        /* set MPI.Exception(ierr); returns -1 */
static inline int pympi_chk(int ierr)
{
    if (ierr == MPI_SUCCESS) return 0;
    return pympi_raise(ierr);
}
#define CHKERR(call) (pympi_chk(call) < 0)

/* ---- optional MPI functions -------------------------------------------- */
/* configure defines HAVE_<NAME> for each optional function the MPI library links (mpi.h may
 * declare one the library lacks: MPICH built without Fortran). A missing one becomes a stand-in
 * returning PYMPI_ERR_UNAVAILABLE, which pympi_raise() turns into NotImplementedError, as
 * mpi4py 3.1 does; callers need no guard of their own. */
#define PYMPI_ERR_UNAVAILABLE (-1431655766) /* 0xAAAAAAAA: no MPI error code */
#ifndef HAVE_MPI_STATUS_C2F
#define MPI_Status_c2f(c, f) ((void)(c), (void)(f), PYMPI_ERR_UNAVAILABLE)
#endif
#ifndef HAVE_MPI_STATUS_F2C
#define MPI_Status_f2c(f, c) ((void)(f), (void)(c), PYMPI_ERR_UNAVAILABLE)
#endif
#ifndef HAVE_MPI_TYPE_CREATE_F90_INTEGER
#define MPI_Type_create_f90_integer(r, t) ((void)(r), (void)(t), PYMPI_ERR_UNAVAILABLE)
#endif
#ifndef HAVE_MPI_TYPE_CREATE_F90_REAL
#define MPI_Type_create_f90_real(p, r, t) ((void)(p), (void)(r), (void)(t), PYMPI_ERR_UNAVAILABLE)
#endif
#ifndef HAVE_MPI_TYPE_CREATE_F90_COMPLEX
#define MPI_Type_create_f90_complex(p, r, t) ((void)(p), (void)(r), (void)(t), PYMPI_ERR_UNAVAILABLE)
#endif

/* The GIL around MPI calls that may wait (docs/DESIGN.md, "GIL").
 * It is released unless keeping it is provably safe: this thread is the only Python thread of
 * the interpreter (no other thread can want the GIL, or be inside MPI running Python code) and no
 * Python callback has been registered with MPI (user Op, generalized request, keyval copy/delete,
 * data representation), so MPI never calls Python while it holds its own lock in another
 * thread. A thread started later has its Python thread state before it runs: from then on
 * the GIL is released again. Keeping it saves the two GIL hand-overs (about 360 instructions). */
extern int pympi_py_callbacks; /* Python callbacks registered with MPI so far (never decreases) */
static inline PyThreadState *pympi_gil_release(void)
{
    if (!pympi_py_callbacks) {
        PyThreadState *ts = PyThreadState_Get(); /* alone in its interpreter's list of threads: */
        if (!ts->prev && !ts->next) return NULL;
    }
    return PyEval_SaveThread();
}
static inline void pympi_gil_restore(PyThreadState *ts)
{
    if (ts) PyEval_RestoreThread(ts);
}
#define PYMPI_NOGIL(stmt)                                   \
    do {                                                    \
        PyThreadState *pympi_saved_ = pympi_gil_release();  \
        stmt;                                               \
        pympi_gil_restore(pympi_saved_);                    \
    } while (0)

/* Is MPI usable now (initialized and not finalized)? Cheap. */
int pympi_mpi_active(void);
/* Set by the python-mpi launcher before Python starts: the launcher owns MPI init/finalize. */
extern int pympi_launcher_owns_mpi;

/* ---- argument parsing (args.c) ---------------------------------------- */
/* Parse vectorcall arguments against a NULL-terminated keyword list.
 * `nreq` leading parameters are required; out[i] is NULL for an omitted optional one.
 * Returns 0, or -1 with TypeError set. */
int pympi_parse(const char *fname, const char *const *kwlist, Py_ssize_t nreq,
                PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames, PyObject **out);
/* Converters: `obj` may be NULL (omitted) in which case `dflt` is stored. -1 on error. */
int pympi_int_slow(PyObject *obj, int dflt, int *out);
/* The usual int, an exact one of at most one digit (|v| < 2**30), read in place: 1 if it is one. */
static inline int pympi_small_int(PyObject *obj, long long *v)
{
#if PY_VERSION_HEX >= 0x030C0000
    if (!PyLong_CheckExact(obj) || !PyUnstable_Long_IsCompact((PyLongObject *)obj)) return 0;
    *v = PyUnstable_Long_CompactValue((PyLongObject *)obj);
#else
    if (!PyLong_CheckExact(obj)) return 0;
    Py_ssize_t size = Py_SIZE(obj);
    if (size < -1 || size > 1) return 0;
    *v = size * (long long)((PyLongObject *)obj)->ob_digit[0];
#endif
    return 1;
}
static inline int pympi_int(PyObject *obj, int dflt, int *out)
{
    long long v;
    if (obj && pympi_small_int(obj, &v)) { /* a digit is 30 bits: always in range */
        *out = (int)v;
        return 0;
    }
    return pympi_int_slow(obj, dflt, out);
}
int pympi_aint(PyObject *obj, MPI_Aint dflt, MPI_Aint *out);
int pympi_count(PyObject *obj, MPI_Count dflt, MPI_Count *out);
int pympi_offset(PyObject *obj, MPI_Offset dflt, MPI_Offset *out);
int pympi_bool(PyObject *obj, int dflt, int *out);
/* A sequence of ints into a new malloc'ed array (*out, *len); PyMem_Free it. */
int pympi_int_array(PyObject *seq, int **out, int *len, const char *what);
int pympi_aint_array(PyObject *seq, MPI_Aint **out, int *len, const char *what);
PyObject *pympi_int_list(const int *v, Py_ssize_t n);
/* A Python str into a C string (borrowed UTF-8, valid while obj lives). */
const char *pympi_str(PyObject *obj, const char *what);

/* ---- generic handle boilerplate (handle.c) ----------------------------- */
/* Every handle class has __bool__, ==/!= on the handle, __hash__ = None, py2f/f2py and the
 * copy constructor Class(other). One descriptor per class says how its handle looks. */
typedef struct {
    size_t offset;          /* offsetof(Object, ob_mpi) */
    size_t weakref;         /* offsetof(Object, ob_weakref): the type's tp_weaklistoffset */
    size_t size;            /* sizeof the handle type */
    const void *null;       /* pointer to the NULL handle value */
    MPI_Fint (*c2f)(const void *h);
    void (*f2c)(MPI_Fint f, void *h);
} pympi_handle_kind;

/* Define the pympi_handle_kind `Fam##_kind` of a family: PYMPI_DEFINE_KIND(Comm, MPI_Comm,
 * MPI_COMM_NULL, MPI_Comm) uses MPI_Comm_c2f/MPI_Comm_f2c for py2f/f2py. */
#define PYMPI_DEFINE_KIND(Fam, T, NULLH, CPREFIX)                                         \
    static const T Fam##_null = NULLH;                                                    \
    static MPI_Fint Fam##_c2f(const void *h) { return CPREFIX##_c2f(*(const T *)h); }     \
    static void Fam##_f2c(MPI_Fint f, void *h) { *(T *)h = CPREFIX##_f2c(f); }            \
    static const pympi_handle_kind Fam##_kind = {                                         \
        offsetof(PyMPI##Fam##Object, ob_mpi), offsetof(PyMPI##Fam##Object, ob_weakref),   \
        sizeof(T), &Fam##_null, Fam##_c2f, Fam##_f2c}

/* Fill the common slots of a handle type; returns 0/-1. */
void pympi_handle_type_init(PyTypeObject *tp, const pympi_handle_kind *kind);
PyObject *pympi_handle_new(PyTypeObject *tp, const void *handle, unsigned flags);
/* Method-table entries shared by all handle classes (py2f, f2py). */
#define PYMPI_HANDLE_METHODS                                                          \
    {"py2f", (PyCFunction)pympi_handle_py2f, METH_NOARGS, "Fortran handle of this object."}, \
    {"f2py", (PyCFunction)pympi_handle_f2py, METH_O | METH_CLASS, "Object for a Fortran handle."}
PyObject *pympi_handle_py2f(PyObject *self, PyObject *unused);
PyObject *pympi_handle_f2py(PyObject *cls, PyObject *arg);
/* What Free() hands to MPI's free call: the object's own handle, or, for a module constant
 * (COMM_WORLD, INT, SUM, COMM_NULL ...), a copy `tmp` of it. MPI then reports the error class
 * mpi4py 3.1 raises there (ERR_COMM, ERR_TYPE, ERR_OP ...), or does nothing (ERRORS_RETURN,
 * GROUP_EMPTY), and the constant keeps its handle whatever MPI does with the copy. */
#define PYMPI_FREE_TARGET(obj, tmp) (((obj)->flags & PYMPI_CONST) ? ((tmp) = (obj)->ob_mpi, &(tmp)) : &(obj)->ob_mpi)

/* ---- object layouts --------------------------------------------------- *
 * Binary compatibility with mpi4py 3.1: extensions compiled against its headers (C through
 * __pyx_capi__, Cython through `cimport mpi4py.MPI`, SWIG) read these structs directly and check
 * tp_basicsize when they import the types. So every class has exactly mpi4py 3.1's layout:
 * PyObject_HEAD, the handle `ob_mpi`, `unsigned flags`, the weak-reference list, then the few
 * extra fields 3.1 declares (Request/Message ob_buf, Op ob_func/ob_usrid, Win ob_mem, Grequest
 * ob_grequest). Nothing else may be added here: state a family needs besides these lives in
 * those fields (request.c, message.c), in MPI attributes (win.c) or in tables keyed by handle
 * (file.c). include/mpi4py/mpi4py.h and MPI.pxd declare the same layouts for extension authors. */
#define PYMPI_HANDLE_STRUCT(Name, T) \
    typedef struct {                 \
        PyObject_HEAD                \
        T ob_mpi;                    \
        unsigned flags;              \
        PyObject *ob_weakref;        \
    } Name

PYMPI_HANDLE_STRUCT(PyMPICommObject, MPI_Comm);
PYMPI_HANDLE_STRUCT(PyMPIGroupObject, MPI_Group);
PYMPI_HANDLE_STRUCT(PyMPIDatatypeObject, MPI_Datatype);
PYMPI_HANDLE_STRUCT(PyMPIInfoObject, MPI_Info);
PYMPI_HANDLE_STRUCT(PyMPIErrhandlerObject, MPI_Errhandler);
PYMPI_HANDLE_STRUCT(PyMPIFileObject, MPI_File);
PYMPI_HANDLE_STRUCT(PyMPIStatusObject, MPI_Status);  /* ob_mpi: the status itself */
typedef struct {
    PyObject_HEAD
    MPI_Win ob_mpi;
    unsigned flags;
    PyObject *ob_weakref;
    PyObject *ob_mem;   /* pinned memory of Create, dict of attached memory (dynamic), or NULL */
} PyMPIWinObject;
typedef struct {
    PyObject_HEAD
    MPI_Op ob_mpi;
    unsigned flags;
    PyObject *ob_weakref;
    PyObject *ob_func;  /* Python function of a user-defined Op (None for predefined); a function
                         * pointer in mpi4py 3.1, same size, never called from outside */
    int ob_usrid;       /* slot in the user-op table (op.c) */
} PyMPIOpObject;
typedef struct {
    PyObject_HEAD
    MPI_Request ob_mpi;
    unsigned flags;
    PyObject *ob_weakref;
    PyObject *ob_buf;   /* what the operation uses, kept until completion: pinned buffers, a
                         * pickle being sent, or the receive state of irecv() (request.c) */
} PyMPIRequestObject;
typedef struct {
    PyMPIRequestObject base;
    MPI_Request ob_grequest; /* the handle, kept after completion set ob_mpi to REQUEST_NULL */
} PyMPIGrequestObject;
typedef struct {
    PyObject_HEAD
    MPI_Message ob_mpi;
    unsigned flags;
    PyObject *ob_weakref;
    PyObject *ob_buf;   /* probe()/iprobe(): the byte count of the matched message (an int) */
} PyMPIMessageObject;
typedef struct {
    PyObject_HEAD
    Py_buffer view;     /* view.obj is the exporter (NULL for raw memory) */
    int owns_mem;       /* memory.allocate / Alloc_mem: free on release */
    int mpi_mem;        /* allocated with MPI_Alloc_mem */
    Py_ssize_t exports; /* live buffer exports of this memory object */
    PyObject *detached; /* released while exported: the memory, kept until the last export ends */
} PyMPIMemoryObject;

extern PyTypeObject PyMPIComm_Type, PyMPIIntracomm_Type, PyMPITopocomm_Type, PyMPICartcomm_Type,
    PyMPIGraphcomm_Type, PyMPIDistgraphcomm_Type, PyMPIIntercomm_Type;
extern PyTypeObject PyMPIGroup_Type, PyMPIDatatype_Type, PyMPIInfo_Type, PyMPIErrhandler_Type,
    PyMPIWin_Type, PyMPIFile_Type, PyMPIOp_Type, PyMPIRequest_Type, PyMPIPrequest_Type,
    PyMPIGrequest_Type, PyMPIMessage_Type, PyMPIStatus_Type, PyMPIMemory_Type, PyMPIPickle_Type;

#define PyMPIComm_Check(o) PyObject_TypeCheck(o, &PyMPIComm_Type)
#define PyMPIDatatype_Check(o) PyObject_TypeCheck(o, &PyMPIDatatype_Type)
#define PyMPIStatus_Check(o) PyObject_TypeCheck(o, &PyMPIStatus_Type)
#define PyMPIRequest_Check(o) PyObject_TypeCheck(o, &PyMPIRequest_Type)
#define PyMPIOp_Check(o) PyObject_TypeCheck(o, &PyMPIOp_Type)
#define PyMPIInfo_Check(o) PyObject_TypeCheck(o, &PyMPIInfo_Type)
#define PyMPIGroup_Check(o) PyObject_TypeCheck(o, &PyMPIGroup_Type)

/* Handle extraction with a type check: TypeError if obj is not of the class. NULL obj (omitted)
 * stores `dflt`. Return 0/-1. */
int pympi_as_comm(PyObject *obj, MPI_Comm *out);
int pympi_as_datatype(PyObject *obj, MPI_Datatype *out);
int pympi_as_op(PyObject *obj, MPI_Op dflt, MPI_Op *out);
int pympi_as_info(PyObject *obj, MPI_Info dflt, MPI_Info *out);
int pympi_as_group(PyObject *obj, MPI_Group *out);
/* status=None/omitted -> MPI_STATUS_IGNORE; a Status -> its MPI_Status. */
int pympi_as_status_slow(PyObject *obj, MPI_Status **out);
static inline int pympi_as_status(PyObject *obj, MPI_Status **out)
{
    if (!obj || obj == Py_None) { *out = MPI_STATUS_IGNORE; return 0; }
    return pympi_as_status_slow(obj, out);
}

/* New objects around handles (flags as above). */
PyObject *pympi_comm_new(PyTypeObject *tp, MPI_Comm comm, unsigned flags);
PyObject *pympi_comm_new_auto(MPI_Comm comm);  /* class chosen from topology/inter */
PyObject *pympi_group_new(MPI_Group group);
PyObject *pympi_datatype_new(MPI_Datatype type, unsigned flags);
PyObject *pympi_info_new(MPI_Info info);
PyObject *pympi_errhandler_new(MPI_Errhandler eh);
PyObject *pympi_request_new(PyTypeObject *tp, MPI_Request req, PyObject *buf);
PyObject *pympi_status_new(const MPI_Status *st);
/* Extent and true extent of a datatype (cached for the named ones); -1 with the error set. */
typedef struct { MPI_Count lb, extent, true_lb, true_extent; } pympi_extents;
/* A cache of MPI's answers by handle (datatype.c says why that is safe): state 1 = named,
 * extents valid; 2 = not named, ask MPI. */
typedef struct {
    MPI_Datatype type;
    int state;
    pympi_extents e;
} pympi_extent_slot;
extern pympi_extent_slot pympi_extent_cache[64];
#define PYMPI_EXTENT_SLOT(t) (((uint64_t)(uintptr_t)(t) * 0x9E3779B97F4A7C15u) >> 58)
int pympi_type_extents_slow(MPI_Datatype t, pympi_extents *e);
static inline int pympi_type_extents(MPI_Datatype t, pympi_extents *e)
{
    const pympi_extent_slot *s = &pympi_extent_cache[PYMPI_EXTENT_SLOT(t)];
    if (s->state == 1 && s->type == t) {
        *e = s->e;
        return 0;
    }
    return pympi_type_extents_slow(t, e);
}
/* The Python object of a predefined datatype handle (the module constant), or a new object. */
PyObject *pympi_datatype_ref(MPI_Datatype type);

/* ---- buffers (msgbuffer.c, memory.c) ---------------------------------- */
/* One message buffer: address, count and datatype, and the Py_buffer that pins it. */
typedef struct {
    void *addr;
    MPI_Count count;
    MPI_Datatype type;
    Py_buffer view;     /* view.obj != NULL while pinned */
} pympi_msg;
#define PYMPI_MSG_INIT {NULL, 0, MPI_DATATYPE_NULL, {0}}

/* Buffer-spec roles */
#define PYMPI_SEND 0  /* read-only access is enough */
#define PYMPI_RECV 1  /* must be writable */
/* Accept None (with PROC_NULL peers), IN_PLACE, BOTTOM where allowed: */
#define PYMPI_ALLOW_NONE    0x10
#define PYMPI_ALLOW_INPLACE 0x20

/* Parse a buffer spec: obj | [obj, type] | [obj, count] | [obj, count, type]
 * | [obj, (count, displ), type] | ... (msgbuffer.c has the grammar); returns 0/-1. On success
 * pympi_msg_release() must be called. */
int pympi_msg_get(PyObject *spec, int role, pympi_msg *m);
/* PyBuffer_Release that keeps a pending exception (the exporter may run Python code). */
void pympi_buffer_release(Py_buffer *view);
/* view.internal of a view whose release is only dropping the reference to view.obj (no
 * exporter release function): such a view is kept alive by its object alone. The value is
 * an address no exporter can use: that of a function of ours. */
#define PYMPI_PLAIN_VIEW ((void *)&pympi_buffer_release)
/* Release the message's buffer (a plain view is only a reference to drop). */
static inline void pympi_msg_release(pympi_msg *m)
{
    if (m->view.internal == PYMPI_PLAIN_VIEW) Py_CLEAR(m->view.obj);
    else pympi_buffer_release(&m->view);
}
/* a, b = o for a list or tuple of two items (TypeError/ValueError otherwise); `what` names it. */
int pympi_unpack_pair(PyObject *o, const char *what, PyObject **a, PyObject **b);
/* The items of a spec list (a PySequence_Fast) and their number, 2 to 4; -1 with ValueError. */
Py_ssize_t pympi_spec_items(PyObject *spec, PyObject ***items);
/* Keep a parsed message pinned beyond the call (non-blocking operations): moves the view into
 * a new Python object that releases it when it dies (the object itself for a plain view). */
PyObject *pympi_msg_keep(pympi_msg *m);
PyObject *pympi_view_keep(Py_buffer *view); /* the same for a view (view->obj set) */
/* Combine several kept objects (or NULLs) into one reference holder. Steals references. */
PyObject *pympi_keep2(PyObject *a, PyObject *b);
/* request.c: a request holding the pinned buffer of *m in ob_view (moved: m->view.obj becomes NULL). */
PyObject *pympi_request_new_msg(PyTypeObject *tp, MPI_Request req, pympi_msg *m);
/* Datatype for a PEP 3118 format string or typecode, or MPI_DATATYPE_NULL with KeyError set
 * (ValueError for a non-native byte order), as mpi4py's type-dictionary lookup. */
MPI_Datatype pympi_format_datatype(const char *format);
extern PyObject *pympi_BOTTOM, *pympi_IN_PLACE;
int pympi_is_bottom(PyObject *o);
/* A writable or readable contiguous buffer for a plain object, with a clear error. */
int pympi_getbuffer(PyObject *obj, Py_buffer *view, int writable);
PyObject *pympi_memory_from_view(Py_buffer *view);      /* steals the view */
PyObject *pympi_memory_new_raw(void *addr, Py_ssize_t nbytes, int readonly);

/* Large counts: pick the MPI-4 _c call when the count does not fit an int. */
#define PYMPI_FITS_INT(n) ((n) <= (MPI_Count)INT_MAX)

/* ---- pickle (msgpickle.c) --------------------------------------------- */
/* Serialize obj with MPI.pickle; returns a new bytes-like object (or NULL). */
PyObject *pympi_dumps(PyObject *obj);
/* Deserialize `n` bytes at `buf` (NULL/0 means None was sent). */
PyObject *pympi_loads(const char *buf, Py_ssize_t n);
PyObject *pympi_loads_obj(PyObject *bytes);
/* Compact native form of plain built-in values (collobj.c): the bytes at buf (at most cap), or
 * -1 when obj has none; and back. */
Py_ssize_t pympi_native_encode(PyObject *obj, char *buf, Py_ssize_t cap);
PyObject *pympi_native_decode(const char *p, Py_ssize_t size);
/* Object send/recv helpers used by p2p.c, coll.c, message.c, request.c */
PyObject *pympi_obj_send(MPI_Comm comm, PyObject *obj, int dest, int tag, int mode);
PyObject *pympi_obj_recv(MPI_Comm comm, PyObject *buf, int source, int tag, MPI_Status *st);
PyObject *pympi_obj_bcast(MPI_Comm comm, PyObject *obj, int root);
/* Apply an Op (or a Python callable) to two Python objects: op(a, b). op.c */
PyObject *pympi_op_apply(PyObject *op, PyObject *a, PyObject *b);
extern PyObject *pympi_op_SUM;
/* send modes */
#define PYMPI_MODE_STANDARD 0
#define PYMPI_MODE_BUFFERED 1
#define PYMPI_MODE_SYNCHRONOUS 2
#define PYMPI_MODE_READY 3

/* ---- method tables contributed by several files to one class ----------- */
/* comm.c concatenates these into Comm's tp_methods. Each ends with {NULL}. */
extern PyMethodDef pympi_comm_p2p_methods[];     /* p2p.c */
extern PyMethodDef pympi_comm_coll_methods[];    /* coll.c */
extern PyMethodDef pympi_comm_obj_methods[];     /* msgpickle.c: send, recv, isend, ... */
extern PyMethodDef pympi_comm_collobj_methods[]; /* collobj.c: bcast, gather, ... */
extern PyMethodDef pympi_intracomm_methods[];    /* topo.c: Create_cart, Create_intercomm, ... */
extern PyMethodDef pympi_topocomm_methods[], pympi_cartcomm_methods[], pympi_graphcomm_methods[],
    pympi_distgraphcomm_methods[], pympi_intercomm_methods[];     /* topo.c */
extern PyGetSetDef pympi_topocomm_getset[], pympi_cartcomm_getset[], pympi_graphcomm_getset[],
    pympi_intercomm_getset[];                                      /* topo.c */
extern PyMethodDef pympi_topocomm_coll_methods[];  /* coll.c: Neighbor_* */
extern PyMethodDef pympi_intracomm_coll_methods[]; /* coll.c: Scan, Exscan, Iscan, ... */
extern PyMethodDef pympi_intracomm_dyn_methods[];  /* dynproc.c: Spawn, Accept, Connect */
extern PyMethodDef pympi_comm_dyn_methods[];       /* dynproc.c: Get_parent, Join, Disconnect */
extern PyMethodDef pympi_module_dyn_methods[];     /* dynproc.c: Open_port, ... */
extern PyMethodDef pympi_comm_attr_methods[], pympi_datatype_attr_methods[],
    pympi_win_attr_methods[];                      /* keyval.c: Get/Set/Delete_attr, keyvals */
PyMethodDef *pympi_methods_concat(const PyMethodDef *const *tables);

/* ---- per-family initialisation (called by module.c in order) ----------- */
int pympi_init_exception(PyObject *m);
int pympi_init_handles(PyObject *m);   /* handle.c: BOTTOM, IN_PLACE */
int pympi_init_memory(PyObject *m);
int pympi_init_status(PyObject *m);
int pympi_init_datatype(PyObject *m);
int pympi_init_op(PyObject *m);
int pympi_init_info(PyObject *m);
int pympi_init_errhandler(PyObject *m);
int pympi_init_group(PyObject *m);
int pympi_init_request(PyObject *m);
int pympi_init_message(PyObject *m);
int pympi_init_comm(PyObject *m);      /* Comm and subclasses, COMM_* */
int pympi_init_keyval(PyObject *m);
int pympi_init_pickle(PyObject *m);
int pympi_init_win(PyObject *m);
int pympi_init_file(PyObject *m);
int pympi_init_dynproc(PyObject *m);
int pympi_init_capi(PyObject *m);      /* capi.c: __pyx_capi__, last (needs every type) */
extern PyMethodDef pympi_module_methods[];    /* module.c */

/* Add a constant handle object to the module: steals `obj`. */
int pympi_add(PyObject *m, const char *name, PyObject *obj);

/* ==== Per-family declarations. Each family adds what it shares with other files in its own
 * section below (keep sections apart so parallel work merges cleanly). ==== */

/* ---- datatype.c, memory.c, status.c ---- */
/* datatype.c: pympi_datatype_ref() gives the module constant for every predefined handle (alias
 * names share one object: MPI.SIGNED_INT is MPI.INT) and a new non-owned object otherwise.
 * Constructors return PYMPI_OWNED types; Fortran 90 parameterized types (Create_f90_*) are never
 * freed, not even by Free(). pympi_init_datatype() also adds _typecode(), _typedict, _typedict_c and
 * _typedict_f, all derived from datatypes.def.
 * memory.c: pympi_init_memory() adds Alloc_mem, Free_mem, Attach_buffer, Detach_buffer and
 * Get_address. A memory object counts its live buffer exports; release() empties it at once, as
 * in mpi4py 3.1, but what it held stays valid until the last export ends. Memory from
 * pympi_memory_new_raw() is never freed by the module; memory from Alloc_mem() is recorded by
 * address and freed with MPI_Free_mem exactly once (Free_mem of anything at that address,
 * release or dealloc of its owner).
 * status.c: pympi_status_new(NULL) gives the empty status (ANY_SOURCE, ANY_TAG, SUCCESS). */


/* ---- p2p.c, request.c, message.c, msgbuffer.c, msgpickle.c ---- */
/* Dropping a request never frees the MPI request (only Free() does); its buffers are released
 * only once the operation is known complete (otherwise they are kept for good). */

/* Receive a pickled object from a matched message of `size` bytes (MPI_MESSAGE_NO_PROC: None)
 * into `buf` when it is a writable buffer of at least `size` bytes, else into new bytes. */
PyObject *pympi_obj_mrecv(MPI_Message *msg, MPI_Count size, PyObject *buf, MPI_Status *st);
/* Buffer for a matched object message: *owner is `buf` (pinned in *view) when usable, else a new
 * bytes object (view->obj NULL). *addr is where to receive. */
int pympi_objbuf_get(PyObject *buf, MPI_Count size, PyObject **owner, Py_buffer *view, void **addr);
/* The object from `size` received bytes at `owner` (None for size 0). */
PyObject *pympi_objbuf_load(PyObject *owner, void *addr, MPI_Count size);
/* A Request of a lower-case receive posted as `req`: the pickle arrives in `owner` (new bytes,
 * or the user's buffer pinned in *view, which is moved); both stolen. wait()/test() and friends
 * unpickle the object from the byte count of the completion status. request.c */
PyObject *pympi_request_objrecv(MPI_Request req, PyObject *owner, Py_buffer *view);
/* Message.irecv: a Request receiving the matched message of `size` bytes. msgpickle.c */
PyObject *pympi_request_objmrecv(MPI_Message *msg, MPI_Count size, PyObject *buf);
/* Mprobe (block) or Improbe on comm: a Message of class tp (NULL: Message) remembering the
 * byte count, or None when Improbe matched nothing. */
PyObject *pympi_mprobe(PyTypeObject *tp, MPI_Comm comm, int source, int tag, MPI_Status *st, int block);


/* ---- coll.c, collobj.c, op.c, msgvector.c ---- */
/* coll.c: what the collectives (buffers and objects) need to know of a communicator;
 * rsize is the remote size (intercommunicators) or the size. */
typedef struct {
    MPI_Comm comm;
    int inter, size, rank, rsize;
} pympi_cinfo;
int pympi_cinfo_get(MPI_Comm comm, pympi_cinfo *c);
/* 1: the root, 0: another participant, -1: PROC_NULL in the root group of an intercomm;
 * ValueError for a root out of range. */
int pympi_root_role(const pympi_cinfo *c, int root, int *role);
/* Blocked spec (BufSpecB) of a collective: the buffer holds `blocks` equal blocks, one per
 * process; on success m->count is the count of ONE block. An explicit count in the spec
 * ([data, count, type]) is already per block. msgbuffer.c */
int pympi_msg_get_blocks(PyObject *spec, int role, int blocks, pympi_msg *m);
/* Vector (BufSpecV) and w (BufSpecW) specs: per-block counts and displacements (elements of
 * `type` for v specs, bytes for w specs, which also have one datatype per block). The arrays
 * live in `arrays` (a bytes object) so non-blocking calls can keep them with the buffer. */
typedef struct {
    void *addr;
    MPI_Count *counts;
    MPI_Aint *displs;
    MPI_Datatype *types;  /* w specs; NULL for v specs */
    MPI_Datatype type;    /* v specs */
    Py_buffer view;
    PyObject *arrays;
} pympi_vmsg;
int pympi_vmsg_get(PyObject *spec, int role, int blocks, pympi_vmsg *m);
int pympi_wmsg_get(PyObject *spec, int role, int blocks, pympi_vmsg *m);
void pympi_vmsg_release(pympi_vmsg *m);
PyObject *pympi_vmsg_keep(pympi_vmsg *m);   /* for non-blocking calls: owns view and arrays */
/* Datatype from a Datatype object or a typecode string ('d', 'i4', ...: KeyError if unknown).
 * msgbuffer.c */
int pympi_spec_datatype(PyObject *o, MPI_Datatype *t);
/* User-defined ops (op.c): an exception raised by a Python op function during a reduction is
 * kept and re-raised by the caller: pympi_op_enter() before the MPI call, pympi_op_leave() after
 * it (returns -1 with the exception set if the function raised). Outside such a scope (e.g. a
 * non-blocking reduction progressing in Wait) the exception is printed as unraisable. */
void pympi_op_enter(void);
int pympi_op_leave(void);
/* Neighbourhood sizes of a topology communicator (cart, graph or dist graph). coll.c */
int pympi_topo_degrees(MPI_Comm comm, int *indegree, int *outdegree);
/* Object collectives (collobj.c) that live in the Intracomm and Topocomm tables (coll.c). */
PyObject *pympi_intracomm_scan(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw);
PyObject *pympi_intracomm_exscan(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw);
PyObject *pympi_topocomm_neighbor_allgather(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw);
PyObject *pympi_topocomm_neighbor_alltoall(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw);


/* ---- comm.c, topo.c, group.c, info.c, errhandler.c, keyval.c ---- */
/* Errhandler argument (TypeError if not an Errhandler). */
int pympi_as_errhandler(PyObject *obj, MPI_Errhandler *out);
/* A non-owned object of the right class around a communicator handle (callbacks, lookups):
 * never frees it, never changes its error handler. */
PyObject *pympi_comm_wrap(MPI_Comm comm);
/* topo.c: module functions (Compute_dims), called from pympi_init_comm. */
int pympi_init_topo(PyObject *m);
/* Attributes (keyval.c). `handle` points to an MPI_Comm, MPI_Datatype or MPI_Win.
 * pympi_attr_get: the value as mpi4py returns it (None when unset; ints for the predefined
 * attributes, WIN_BASE as an address; the Python object for keyvals made by Create_keyval). */
enum { PYMPI_ATTR_COMM, PYMPI_ATTR_DATATYPE, PYMPI_ATTR_WIN };
PyObject *pympi_attr_get(int kind, void *handle, int keyval);
int pympi_attr_set(int kind, void *handle, int keyval, PyObject *value);
int pympi_attr_delete(int kind, void *handle, int keyval);
/* An exception raised by a Python callback called from MPI: print its traceback to
 * sys.stderr, clear it, and return the MPI error code the callback gives back to MPI. */
int pympi_callback_error(void);


/* ---- win.c, file.c, dynproc.c ---- */
/* win.c: an Errhandler argument (TypeError otherwise); an optional Comm argument. 0/-1. */
int pympi_rma_as_errhandler(PyObject *obj, MPI_Errhandler *out);
int pympi_rma_comm_arg(PyObject *obj, MPI_Comm dflt, MPI_Comm *out);
/* A METH_FASTCALL|METH_KEYWORDS method `wrapper` taking one required argument named `kw`
 * (positional or keyword), implemented by the METH_O-style function `impl(self, arg)`. */
#define PYMPI_ONEARG(wrapper, impl, fname, kw)                                                   \
    static PyObject *wrapper(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwn) \
    {                                                                                             \
        static const char *const kwlist[] = {kw, NULL};                                           \
        PyObject *a[1];                                                                           \
        if (pympi_parse(fname, kwlist, 1, args, nargs, kwn, a) < 0) return NULL;                  \
        return impl(self, a[0]);                                                                  \
    }


#endif /* PYMPI_H */
