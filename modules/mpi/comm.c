/* comm.c: MPI.Comm and its class hierarchy (Intracomm, Topocomm, Cartcomm, Graphcomm,
 * Distgraphcomm, Intercomm), communicator management, COMM_NULL/SELF/WORLD.
 *
 * The methods of Comm come from several files (point-to-point in p2p.c, collectives in coll.c,
 * pickled objects in msgpickle.c, dynamic processes in dynproc.c); pympi_init_comm() joins their
 * tables. Communicators created here get MPI_ERRORS_RETURN (MPI errors become exceptions).
 *
 * Also here: the module helpers _comm_lock/_comm_lock_table/_lock_table (a table of
 * threading.Lock per MPI communicator, kept in a registry keyed by the handle and dropped by an
 * attribute delete callback when the communicator is freed) and _commctx_intra/_commctx_inter
 * (a cached duplicate communicator and a rolling tag, stored as an attribute of the
 * communicator, for libraries such as mpi4py.util.pkl5). */
#include "pympi.h"

PYMPI_DEFINE_KIND(Comm, MPI_Comm, MPI_COMM_NULL, MPI_Comm);

#define COMM(o) (((PyMPICommObject *)(o))->ob_mpi)
#define FASTKW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS

int pympi_as_comm(PyObject *obj, MPI_Comm *out)
{
    if (!PyMPIComm_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "expected a Comm, got '%.200s'", Py_TYPE(obj)->tp_name);
        return -1;
    }
    *out = COMM(obj);
    return 0;
}

PyObject *pympi_comm_new(PyTypeObject *tp, MPI_Comm comm, unsigned flags)
{
    return pympi_handle_new(tp, &comm, flags);
}

/* The class a new communicator belongs to: Intercomm, a topology class, or Intracomm. */
static PyTypeObject *class_of(MPI_Comm comm)
{
    int inter = 0, topo = MPI_UNDEFINED;
    if (comm == MPI_COMM_NULL) return &PyMPIComm_Type;
    if (MPI_Comm_test_inter(comm, &inter) != MPI_SUCCESS) return &PyMPIComm_Type;
    if (inter) return &PyMPIIntercomm_Type;
    if (MPI_Topo_test(comm, &topo) != MPI_SUCCESS) return &PyMPIIntracomm_Type;
    return topo == MPI_CART ? &PyMPICartcomm_Type
         : topo == MPI_GRAPH ? &PyMPIGraphcomm_Type
         : topo == MPI_DIST_GRAPH ? &PyMPIDistgraphcomm_Type : &PyMPIIntracomm_Type;
}

/* An owned object of class tp around a communicator the module just created: ERRORS_RETURN.
 * The handle is freed if the object cannot be made. */
static PyObject *comm_own(PyTypeObject *tp, MPI_Comm comm)
{
    if (comm != MPI_COMM_NULL) MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
    PyObject *o = pympi_comm_new(tp, comm, comm != MPI_COMM_NULL ? PYMPI_OWNED : 0);
    if (!o && comm != MPI_COMM_NULL && pympi_mpi_active()) MPI_Comm_free(&comm);
    return o;
}

/* The class a new communicator belongs to: Intercomm, a topology class, or Intracomm. */
PyObject *pympi_comm_new_auto(MPI_Comm comm) { return comm_own(class_of(comm), comm); }

PyObject *pympi_comm_wrap(MPI_Comm comm) { return pympi_comm_new(class_of(comm), comm, 0); }

/* The class of a communicator derived from `self` (Split, Create, ...): a Python subclass of
 * the module's classes is kept (as mpi4py does with type(self)); otherwise the class follows
 * the new communicator (a split of a Cartcomm is a plain Intracomm); COMM_NULL results get the
 * intra/inter class of self. */
static PyTypeObject *derived_class(PyObject *self, MPI_Comm comm)
{
    PyTypeObject *tp = Py_TYPE(self);
    if (tp->tp_flags & Py_TPFLAGS_HEAPTYPE) return tp;
    if (comm != MPI_COMM_NULL) return class_of(comm);
    if (PyObject_TypeCheck(self, &PyMPIIntercomm_Type)) return &PyMPIIntercomm_Type;
    if (PyObject_TypeCheck(self, &PyMPIIntracomm_Type)) return &PyMPIIntracomm_Type;
    return &PyMPIComm_Type;
}

/* One required argument, positional or by keyword, for a METH_O-style implementation. */
#define ONEARG(wrapper, impl, fname, kwname)                                                      \
    static PyObject *wrapper(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) \
    {                                                                                             \
        static const char *const kwlist[] = {kwname, NULL};                                       \
        PyObject *a[1];                                                                           \
        if (pympi_parse(fname, kwlist, 1, args, nargs, kw, a) < 0) return NULL;                   \
        return impl(self, a[0]);                                                                  \
    }

/* Refuse COMM_NULL (a freed or null communicator) with MPI.Exception(ERR_COMM) before MPI. */
static int comm_notnull(PyObject *self)
{
    if (COMM(self) != MPI_COMM_NULL) return 0;
    return pympi_raise(MPI_ERR_COMM);
}
#define NOTNULL(self) if (comm_notnull(self) < 0) return NULL

static PyObject *comm_Get_rank(PyObject *self, PyObject *u)
{
    int rank = MPI_UNDEFINED;
    NOTNULL(self);
    if (CHKERR(MPI_Comm_rank(COMM(self), &rank))) return NULL;
    return PyLong_FromLong(rank);
}

static PyObject *comm_Get_size(PyObject *self, PyObject *u)
{
    int size = 0;
    NOTNULL(self);
    if (CHKERR(MPI_Comm_size(COMM(self), &size))) return NULL;
    return PyLong_FromLong(size);
}

static PyObject *comm_Barrier(PyObject *self, PyObject *u)
{
    int ierr;
    NOTNULL(self);
    PYMPI_NOGIL(ierr = MPI_Barrier(COMM(self)));
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_NONE;
}

static PyObject *comm_Abort(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"errorcode", NULL};
    PyObject *a[1];
    int code;
    if (pympi_parse("Abort", kwlist, 0, args, nargs, kw, a) < 0 || pympi_int(a[0], 0, &code) < 0) return NULL;
    PyObject *r = PyObject_CallMethod(PySys_GetObject("stdout"), "flush", NULL);
    Py_XDECREF(r);
    r = PyObject_CallMethod(PySys_GetObject("stderr"), "flush", NULL);
    Py_XDECREF(r);
    PyErr_Clear();
    if (CHKERR(MPI_Abort(COMM(self) != MPI_COMM_NULL ? COMM(self) : MPI_COMM_WORLD, code))) return NULL;
    Py_RETURN_NONE;
}

/* ---- duplication ---------------------------------------------------------- */
static PyObject *comm_dup(PyObject *self, MPI_Info info, int with_info)
{
    MPI_Comm dup = MPI_COMM_NULL;
    int ierr;
    NOTNULL(self);
    if (with_info) PYMPI_NOGIL(ierr = MPI_Comm_dup_with_info(COMM(self), info, &dup));
    else PYMPI_NOGIL(ierr = MPI_Comm_dup(COMM(self), &dup));
    if (CHKERR(ierr)) return NULL;
    return comm_own(Py_TYPE(self), dup);
}

static PyObject *comm_Dup(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"info", NULL};
    PyObject *a[1];
    MPI_Info info;
    if (pympi_parse("Dup", kwlist, 0, args, nargs, kw, a) < 0) return NULL;
    if (pympi_as_info(a[0], MPI_INFO_NULL, &info) < 0) return NULL;
    return comm_dup(self, info, info != MPI_INFO_NULL);
}

static PyObject *comm_Dup_with_info(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"info", NULL};
    PyObject *a[1];
    MPI_Info info;
    if (pympi_parse("Dup_with_info", kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    if (pympi_as_info(a[0], MPI_INFO_NULL, &info) < 0) return NULL;
    return comm_dup(self, info, 1);
}

static PyObject *comm_Clone(PyObject *self, PyObject *u) { return comm_dup(self, MPI_INFO_NULL, 0); }

static PyObject *comm_Idup(PyObject *self, PyObject *u)
{
    MPI_Request req = MPI_REQUEST_NULL;
    int ierr;
    NOTNULL(self);
    /* The new handle is written when the operation completes: into the object itself, which the
     * request keeps alive until then. */
    PyObject *dup = pympi_comm_new(Py_TYPE(self), MPI_COMM_NULL, PYMPI_OWNED);
    if (!dup) return NULL;
    MPI_Comm *out = &((PyMPICommObject *)dup)->ob_mpi;
    PYMPI_NOGIL(ierr = MPI_Comm_idup(COMM(self), out, &req));
    if (CHKERR(ierr)) { Py_DECREF(dup); return NULL; }
    Py_INCREF(dup);
    PyObject *request = pympi_request_new(&PyMPIRequest_Type, req, dup);
    if (!request) { Py_DECREF(dup); return NULL; }
    PyObject *res = PyTuple_Pack(2, dup, request);
    Py_DECREF(dup);
    Py_DECREF(request);
    return res;
}

/* ---- communicators from groups and splits --------------------------------- */
static PyObject *comm_Create(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"group", NULL};
    PyObject *a[1];
    MPI_Group group;
    MPI_Comm c = MPI_COMM_NULL;
    int ierr;
    if (pympi_parse("Create", kwlist, 1, args, nargs, kw, a) < 0 || pympi_as_group(a[0], &group) < 0) return NULL;
    NOTNULL(self);
    if (group == MPI_GROUP_NULL) { pympi_raise(MPI_ERR_GROUP); return NULL; }
    PYMPI_NOGIL(ierr = MPI_Comm_create(COMM(self), group, &c));
    if (CHKERR(ierr)) return NULL;
    return comm_own(derived_class(self, c), c);
}

static PyObject *comm_Create_group(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"group", "tag", NULL};
    PyObject *a[2];
    MPI_Group group;
    MPI_Comm c = MPI_COMM_NULL;
    int tag, ierr;
    if (pympi_parse("Create_group", kwlist, 1, args, nargs, kw, a) < 0 || pympi_as_group(a[0], &group) < 0 ||
        pympi_int(a[1], 0, &tag) < 0)
        return NULL;
    NOTNULL(self);
    if (group == MPI_GROUP_NULL) { pympi_raise(MPI_ERR_GROUP); return NULL; }
    PYMPI_NOGIL(ierr = MPI_Comm_create_group(COMM(self), group, tag, &c));
    if (CHKERR(ierr)) return NULL;
    return comm_own(derived_class(self, c), c);
}

static PyObject *comm_Split(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"color", "key", NULL};
    PyObject *a[2];
    MPI_Comm c = MPI_COMM_NULL;
    int color, key, ierr;
    if (pympi_parse("Split", kwlist, 0, args, nargs, kw, a) < 0 || pympi_int(a[0], 0, &color) < 0 ||
        pympi_int(a[1], 0, &key) < 0)
        return NULL;
    NOTNULL(self);
    if (color < 0 && color != MPI_UNDEFINED) {
        PyErr_Format(PyExc_ValueError, "Split(): color must be non-negative or UNDEFINED, got %d", color);
        return NULL;
    }
    PYMPI_NOGIL(ierr = MPI_Comm_split(COMM(self), color, key, &c));
    if (CHKERR(ierr)) return NULL;
    return comm_own(derived_class(self, c), c);
}

static PyObject *comm_Split_type(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"split_type", "key", "info", NULL};
    PyObject *a[3];
    MPI_Comm c = MPI_COMM_NULL;
    MPI_Info info;
    int type, key, ierr;
    if (pympi_parse("Split_type", kwlist, 1, args, nargs, kw, a) < 0 || pympi_int(a[0], 0, &type) < 0 ||
        pympi_int(a[1], 0, &key) < 0 || pympi_as_info(a[2], MPI_INFO_NULL, &info) < 0)
        return NULL;
    NOTNULL(self);
    PYMPI_NOGIL(ierr = MPI_Comm_split_type(COMM(self), type, key, info, &c));
    if (CHKERR(ierr)) return NULL;
    return comm_own(derived_class(self, c), c);
}

static PyObject *comm_Free(PyObject *self, PyObject *u)
{
    PyMPICommObject *c = (PyMPICommObject *)self;
    MPI_Comm tmp;
    NOTNULL(self);
    if (CHKERR(MPI_Comm_free(PYMPI_FREE_TARGET(c, tmp)))) return NULL;
    Py_RETURN_NONE;
}

/* As mpi4py 3.1: the class follows the communicator (inter, topology), whatever class f2py was
 * called on. */
static PyObject *comm_f2py(PyObject *cls, PyObject *arg)
{
    int f;
    if (pympi_int(arg, 0, &f) < 0) return NULL;
    return pympi_comm_wrap(MPI_Comm_f2c((MPI_Fint)f));
}

static PyObject *comm_Compare(PyObject *cls, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"comm1", "comm2", NULL};
    PyObject *a[2];
    MPI_Comm c1, c2;
    int result = MPI_UNEQUAL;
    if (pympi_parse("Compare", kwlist, 2, args, nargs, kw, a) < 0 || pympi_as_comm(a[0], &c1) < 0 ||
        pympi_as_comm(a[1], &c2) < 0)
        return NULL;
    if (c1 == MPI_COMM_NULL || c2 == MPI_COMM_NULL) { pympi_raise(MPI_ERR_COMM); return NULL; }
    if (CHKERR(MPI_Comm_compare(c1, c2, &result))) return NULL;
    return PyLong_FromLong(result);
}

/* ---- queries -------------------------------------------------------------- */
static PyObject *comm_Is_inter(PyObject *self, PyObject *u)
{
    int flag = 0;
    NOTNULL(self);
    if (CHKERR(MPI_Comm_test_inter(COMM(self), &flag))) return NULL;
    return PyBool_FromLong(flag);
}

static PyObject *comm_Is_intra(PyObject *self, PyObject *u)
{
    int flag = 0;
    NOTNULL(self);
    if (CHKERR(MPI_Comm_test_inter(COMM(self), &flag))) return NULL;
    return PyBool_FromLong(!flag);
}

static PyObject *comm_Get_topology(PyObject *self, PyObject *u)
{
    int topo = MPI_UNDEFINED;
    NOTNULL(self);
    if (CHKERR(MPI_Topo_test(COMM(self), &topo))) return NULL;
    return PyLong_FromLong(topo);
}

static PyObject *comm_Get_group(PyObject *self, PyObject *u)
{
    MPI_Group g;
    NOTNULL(self);
    if (CHKERR(MPI_Comm_group(COMM(self), &g))) return NULL;
    return pympi_group_new(g);
}

static PyObject *comm_Get_name(PyObject *self, PyObject *u)
{
    char name[MPI_MAX_OBJECT_NAME + 1] = "";
    int len = 0;
    NOTNULL(self);
    if (CHKERR(MPI_Comm_get_name(COMM(self), name, &len))) return NULL;
    return PyUnicode_FromStringAndSize(name, len);
}

static PyObject *comm_Set_name(PyObject *self, PyObject *arg)
{
    const char *name = pympi_str(arg, "name");
    if (!name) return NULL;
    NOTNULL(self);
    if (strlen(name) > MPI_MAX_OBJECT_NAME) {
        PyErr_Format(PyExc_ValueError, "name longer than MAX_OBJECT_NAME (%d)", MPI_MAX_OBJECT_NAME);
        return NULL;
    }
    if (CHKERR(MPI_Comm_set_name(COMM(self), (char *)name))) return NULL;
    Py_RETURN_NONE;
}

static PyObject *comm_Get_info(PyObject *self, PyObject *u)
{
    MPI_Info info = MPI_INFO_NULL;
    NOTNULL(self);
    if (CHKERR(MPI_Comm_get_info(COMM(self), &info))) return NULL;
    return pympi_info_new(info);
}

static PyObject *comm_Set_info(PyObject *self, PyObject *arg)
{
    MPI_Info info;
    if (pympi_as_info(arg, MPI_INFO_NULL, &info) < 0) return NULL;
    NOTNULL(self);
    if (CHKERR(MPI_Comm_set_info(COMM(self), info))) return NULL;
    Py_RETURN_NONE;
}

/* ---- error handling ------------------------------------------------------- */
static PyObject *comm_Get_errhandler(PyObject *self, PyObject *u)
{
    MPI_Errhandler eh = MPI_ERRHANDLER_NULL;
    NOTNULL(self);
    if (CHKERR(MPI_Comm_get_errhandler(COMM(self), &eh))) return NULL;
    return pympi_errhandler_new(eh);
}

static PyObject *comm_Set_errhandler(PyObject *self, PyObject *arg)
{
    MPI_Errhandler eh;
    if (pympi_as_errhandler(arg, &eh) < 0) return NULL;
    NOTNULL(self);
    if (eh == MPI_ERRHANDLER_NULL) { pympi_raise(MPI_ERR_ARG); return NULL; }
    if (CHKERR(MPI_Comm_set_errhandler(COMM(self), eh))) return NULL;
    Py_RETURN_NONE;
}

static PyObject *comm_Call_errhandler(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"errorcode", NULL};
    PyObject *a[1];
    int code;
    if (pympi_parse("Call_errhandler", kwlist, 1, args, nargs, kw, a) < 0 || pympi_int(a[0], 0, &code) < 0)
        return NULL;
    NOTNULL(self);
    if (CHKERR(MPI_Comm_call_errhandler(COMM(self), code))) return NULL;
    Py_RETURN_NONE;
}

ONEARG(comm_Set_name_kw, comm_Set_name, "Set_name", "name")
ONEARG(comm_Set_info_kw, comm_Set_info, "Set_info", "info")
ONEARG(comm_Set_errhandler_kw, comm_Set_errhandler, "Set_errhandler", "errhandler")

static PyMethodDef comm_base_methods[] = {
    {"Get_rank", comm_Get_rank, METH_NOARGS, "Rank of this process in the communicator."},
    {"Get_size", comm_Get_size, METH_NOARGS, "Number of processes in the communicator."},
    {"Barrier", comm_Barrier, METH_NOARGS, "Barrier synchronization."},
    {"Abort", FASTKW(comm_Abort), "Terminate the MPI execution environment."},
    {"Dup", FASTKW(comm_Dup), "Dup(info=None): duplicate the communicator (attributes are copied)."},
    {"Dup_with_info", FASTKW(comm_Dup_with_info), "Dup_with_info(info): duplicate with new info hints."},
    {"Idup", comm_Idup, METH_NOARGS, "Nonblocking duplicate: returns (comm, request)."},
    {"Clone", comm_Clone, METH_NOARGS, "Clone the communicator (same as Dup)."},
    {"Create", FASTKW(comm_Create), "Create(group): communicator of a subgroup (collective)."},
    {"Create_group", FASTKW(comm_Create_group), "Create_group(group, tag=0): communicator of a subgroup (collective over group)."},
    {"Split", FASTKW(comm_Split), "Split(color=0, key=0): split by color, order by key."},
    {"Split_type", FASTKW(comm_Split_type), "Split_type(split_type, key=0, info=INFO_NULL): split by type (COMM_TYPE_SHARED)."},
    {"Free", comm_Free, METH_NOARGS, "Free the communicator."},
    {"Compare", FASTKW(comm_Compare) | METH_CLASS, "Compare(comm1, comm2): IDENT, CONGRUENT, SIMILAR or UNEQUAL."},
    {"Is_inter", comm_Is_inter, METH_NOARGS, "Whether this is an intercommunicator."},
    {"Is_intra", comm_Is_intra, METH_NOARGS, "Whether this is an intracommunicator."},
    {"Get_topology", comm_Get_topology, METH_NOARGS, "Topology type: CART, GRAPH, DIST_GRAPH or UNDEFINED."},
    {"Get_group", comm_Get_group, METH_NOARGS, "The group of the communicator."},
    {"Get_name", comm_Get_name, METH_NOARGS, "The name of the communicator."},
    {"Set_name", FASTKW(comm_Set_name_kw), "Set the name of the communicator."},
    {"Get_info", comm_Get_info, METH_NOARGS, "The info hints in use (a new Info)."},
    {"Set_info", FASTKW(comm_Set_info_kw), "Set info hints."},
    {"Get_errhandler", comm_Get_errhandler, METH_NOARGS, "The error handler of the communicator."},
    {"Set_errhandler", FASTKW(comm_Set_errhandler_kw), "Set the error handler of the communicator."},
    {"Call_errhandler", FASTKW(comm_Call_errhandler), "Call_errhandler(errorcode): invoke the error handler."},
    {"py2f", (PyCFunction)pympi_handle_py2f, METH_NOARGS, "Fortran handle of this object."},
    {"f2py", comm_f2py, METH_O | METH_CLASS, "Communicator for a Fortran handle, of the class its kind gives (Intracomm, Cartcomm, ...)."},
    {NULL}};

#define GETTER(name, fn) static PyObject *name(PyObject *self, void *c) { return fn(self, NULL); }
GETTER(comm_rank, comm_Get_rank)
GETTER(comm_size, comm_Get_size)
GETTER(comm_group, comm_Get_group)
GETTER(comm_name, comm_Get_name)
GETTER(comm_info, comm_Get_info)
GETTER(comm_topology, comm_Get_topology)
GETTER(comm_is_inter, comm_Is_inter)
GETTER(comm_is_intra, comm_Is_intra)

static int comm_set_name(PyObject *self, PyObject *v, void *c)
{
    if (!v) { PyErr_SetString(PyExc_AttributeError, "cannot delete name"); return -1; }
    PyObject *r = comm_Set_name(self, v);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

static int comm_set_info(PyObject *self, PyObject *v, void *c)
{
    if (!v) { PyErr_SetString(PyExc_AttributeError, "cannot delete info"); return -1; }
    PyObject *r = comm_Set_info(self, v);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

static PyObject *comm_is_topo(PyObject *self, void *c)
{
    int topo = MPI_UNDEFINED;
    NOTNULL(self);
    if (CHKERR(MPI_Topo_test(COMM(self), &topo))) return NULL;
    return PyBool_FromLong(topo != MPI_UNDEFINED);
}

static PyGetSetDef comm_getset[] = {
    {"rank", comm_rank, NULL, "rank of this process", NULL},
    {"size", comm_size, NULL, "number of processes", NULL},
    {"group", comm_group, NULL, "group", NULL},
    {"name", comm_name, comm_set_name, "communicator name", NULL},
    {"info", comm_info, comm_set_info, "info hints", NULL},
    {"topology", comm_topology, NULL, "topology type", NULL},
    {"is_topo", comm_is_topo, NULL, "has a topology", NULL},
    {"is_inter", comm_is_inter, NULL, "is intercommunicator", NULL},
    {"is_intra", comm_is_intra, NULL, "is intracommunicator", NULL},
    {NULL}};

/* ---- _comm_lock, _comm_lock_table, _lock_table ------------------------------ */
/* registry: {handle (int): {key: threading.Lock}}; an attribute (no value) on each communicator
 * with a table removes its entry when the communicator is freed. */
static PyObject *lock_registry;
static int lock_keyval = MPI_KEYVAL_INVALID;

static int lock_delete_fn(MPI_Comm comm, int keyval, void *attrval, void *extra)
{
    if (!Py_IsInitialized()) return MPI_SUCCESS;
    PyGILState_STATE st = PyGILState_Ensure();
    if (lock_registry) {
        PyObject *k = PyLong_FromLongLong((long long)(intptr_t)comm);
        if (k && PyDict_DelItem(lock_registry, k) < 0) PyErr_Clear();
        if (!k) PyErr_Clear();
        Py_XDECREF(k);
    }
    PyGILState_Release(st);
    return MPI_SUCCESS;
}

static PyObject *lock_table(PyObject *comm_obj)
{
    MPI_Comm comm;
    if (pympi_as_comm(comm_obj, &comm) < 0) return NULL;
    if (comm == MPI_COMM_NULL) { pympi_raise(MPI_ERR_COMM); return NULL; }
    if (lock_keyval == MPI_KEYVAL_INVALID &&
        CHKERR(MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, lock_delete_fn, &lock_keyval, NULL)))
        return NULL;
    if (!lock_registry && !(lock_registry = PyDict_New())) return NULL;
    PyObject *k = PyLong_FromLongLong((long long)(intptr_t)comm);
    if (!k) return NULL;
    void *val = NULL;
    int found = 0;
    if (CHKERR(MPI_Comm_get_attr(comm, lock_keyval, &val, &found))) { Py_DECREF(k); return NULL; }
    PyObject *table = found ? PyDict_GetItemWithError(lock_registry, k) : NULL;
    if (table) {
        Py_DECREF(k);
        Py_INCREF(table);
        return table;
    }
    if (PyErr_Occurred()) { Py_DECREF(k); return NULL; }
    table = PyDict_New();
    if (!table || PyDict_SetItem(lock_registry, k, table) < 0) { Py_DECREF(k); Py_XDECREF(table); return NULL; }
    Py_DECREF(k);
    if (!found && CHKERR(MPI_Comm_set_attr(comm, lock_keyval, NULL))) { Py_DECREF(table); return NULL; }
    return table;
}

static PyObject *mod_comm_lock_table(PyObject *m, PyObject *arg) { return lock_table(arg); }

static PyObject *mod_comm_lock(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"comm", "key", NULL};
    PyObject *a[2];
    if (pympi_parse("_comm_lock", kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    PyObject *key = a[1] ? a[1] : Py_None;
    PyObject *table = lock_table(a[0]);
    if (!table) return NULL;
    PyObject *lock = PyDict_GetItemWithError(table, key);
    if (lock) {
        Py_INCREF(lock);
        Py_DECREF(table);
        return lock;
    }
    if (PyErr_Occurred()) { Py_DECREF(table); return NULL; }
    PyObject *thread = PyImport_ImportModule("_thread");
    lock = thread ? PyObject_CallMethod(thread, "allocate_lock", NULL) : NULL;
    Py_XDECREF(thread);
    if (!lock) { Py_DECREF(table); return NULL; }
    PyObject *got = PyDict_SetDefault(table, key, lock);
    Py_XINCREF(got);
    Py_DECREF(lock);
    Py_DECREF(table);
    return got;
}

/* ---- _commctx_intra, _commctx_inter ------------------------------------------ */
/* A duplicate of the communicator (and, for an intercommunicator, the local intracommunicator
 * and which side is the low group), made once and kept as an attribute; a tag that advances on
 * every call so successive operations do not match each other's messages. */
typedef struct {
    MPI_Comm dupcomm, localcomm;
    int tag, low_group;
} commctx;
static int commctx_keyval = MPI_KEYVAL_INVALID;

static int commctx_delete_fn(MPI_Comm comm, int keyval, void *attrval, void *extra)
{
    commctx *ctx = attrval;
    if (!ctx) return MPI_SUCCESS;
    if (ctx->localcomm != MPI_COMM_NULL) MPI_Comm_free(&ctx->localcomm);
    if (ctx->dupcomm != MPI_COMM_NULL) MPI_Comm_free(&ctx->dupcomm);
    free(ctx);
    return MPI_SUCCESS;
}

static int tag_ub(void)
{
    void *v = NULL;
    int found = 0;
    if (MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &v, &found) != MPI_SUCCESS || !found || !v) return 32767;
    return *(int *)v;
}

static commctx *commctx_get(MPI_Comm comm, int inter)
{
    commctx *ctx = NULL;
    int found = 0, ierr;
    if (commctx_keyval == MPI_KEYVAL_INVALID &&
        CHKERR(MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, commctx_delete_fn, &commctx_keyval, NULL)))
        return NULL;
    if (CHKERR(MPI_Comm_get_attr(comm, commctx_keyval, &ctx, &found))) return NULL;
    if (found && ctx) return ctx;
    ctx = calloc(1, sizeof(*ctx));
    if (!ctx) { PyErr_NoMemory(); return NULL; }
    ctx->dupcomm = ctx->localcomm = MPI_COMM_NULL;
    PYMPI_NOGIL(ierr = MPI_Comm_dup(comm, &ctx->dupcomm));
    if (CHKERR(ierr)) { free(ctx); return NULL; }
    MPI_Comm_set_errhandler(ctx->dupcomm, MPI_ERRORS_RETURN);
    if (inter) {
        /* Merge (both sides low) and split back by side; within a side MPI keeps the order, so
         * the side whose merged ranks equal its local ranks is the low group. */
        MPI_Comm merged = MPI_COMM_NULL;
        int lrank = 0, mrank = 0;
        PYMPI_NOGIL(ierr = MPI_Intercomm_merge(comm, 0, &merged));
        if (!ierr) ierr = MPI_Comm_rank(comm, &lrank);
        if (!ierr) ierr = MPI_Comm_rank(merged, &mrank);
        if (!ierr) {
            ctx->low_group = (mrank == lrank);
            PYMPI_NOGIL(ierr = MPI_Comm_split(merged, ctx->low_group, lrank, &ctx->localcomm));
        }
        if (merged != MPI_COMM_NULL) MPI_Comm_free(&merged);
        if (CHKERR(ierr)) { commctx_delete_fn(comm, 0, ctx, NULL); return NULL; }
        MPI_Comm_set_errhandler(ctx->localcomm, MPI_ERRORS_RETURN);
    }
    /* Another thread may have made one while the GIL was released: keep the first. */
    commctx *other = NULL;
    found = 0;
    if (MPI_Comm_get_attr(comm, commctx_keyval, &other, &found) == MPI_SUCCESS && found && other) {
        commctx_delete_fn(comm, 0, ctx, NULL);
        return other;
    }
    if (CHKERR(MPI_Comm_set_attr(comm, commctx_keyval, ctx))) { commctx_delete_fn(comm, 0, ctx, NULL); return NULL; }
    return ctx;
}

static int next_tag(commctx *ctx)
{
    int tag = ctx->tag++;
    if (ctx->tag > tag_ub() || ctx->tag < 0) ctx->tag = 0;
    return tag;
}

static PyObject *mod_commctx_intra(PyObject *m, PyObject *arg)
{
    if (!PyObject_TypeCheck(arg, &PyMPIIntracomm_Type))
        return PyErr_Format(PyExc_TypeError, "expected an Intracomm, got '%.200s'", Py_TYPE(arg)->tp_name);
    NOTNULL(arg);
    commctx *ctx = commctx_get(COMM(arg), 0);
    if (!ctx) return NULL;
    PyObject *dup = pympi_comm_new(&PyMPIIntracomm_Type, ctx->dupcomm, 0);
    if (!dup) return NULL;
    return Py_BuildValue("(Ni)", dup, next_tag(ctx));
}

static PyObject *mod_commctx_inter(PyObject *m, PyObject *arg)
{
    if (!PyObject_TypeCheck(arg, &PyMPIIntercomm_Type))
        return PyErr_Format(PyExc_TypeError, "expected an Intercomm, got '%.200s'", Py_TYPE(arg)->tp_name);
    NOTNULL(arg);
    commctx *ctx = commctx_get(COMM(arg), 1);
    if (!ctx) return NULL;
    PyObject *dup = pympi_comm_new(&PyMPIIntercomm_Type, ctx->dupcomm, 0);
    if (!dup) return NULL;
    PyObject *local = pympi_comm_new(&PyMPIIntracomm_Type, ctx->localcomm, 0);
    if (!local) { Py_DECREF(dup); return NULL; }
    return Py_BuildValue("(NiNO)", dup, next_tag(ctx), local, ctx->low_group ? Py_True : Py_False);
}

ONEARG(mod_comm_lock_table_kw, mod_comm_lock_table, "_comm_lock_table", "comm")
ONEARG(mod_commctx_intra_kw, mod_commctx_intra, "_commctx_intra", "comm")
ONEARG(mod_commctx_inter_kw, mod_commctx_inter, "_commctx_inter", "comm")

static PyMethodDef comm_module_methods[] = {
    {"_comm_lock", FASTKW(mod_comm_lock), "_comm_lock(comm, key=None): a threading.Lock per communicator and key."},
    {"_comm_lock_table", FASTKW(mod_comm_lock_table_kw), "_comm_lock_table(comm): the communicator's {key: Lock} table."},
    {"_lock_table", FASTKW(mod_comm_lock_table_kw), "Alias of _comm_lock_table."},
    {"_commctx_intra", FASTKW(mod_commctx_intra_kw), "_commctx_intra(comm): (duplicate communicator, tag)."},
    {"_commctx_inter", FASTKW(mod_commctx_inter_kw),
     "_commctx_inter(comm): (duplicate intercommunicator, tag, local intracommunicator, low_group)."},
    {NULL}};

PyTypeObject PyMPIComm_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI.Comm",
    .tp_basicsize = sizeof(PyMPICommObject),
    .tp_doc = "Communicator: a group of processes and a communication context."};

#define SUBCLASS(var, name, doc)                                                 \
    PyTypeObject var = {PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI." name, \
                        .tp_basicsize = sizeof(PyMPICommObject),                 \
                        .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,    \
                        .tp_doc = doc}
SUBCLASS(PyMPIIntracomm_Type, "Intracomm", "Intracommunicator.");
SUBCLASS(PyMPITopocomm_Type, "Topocomm", "Topology intracommunicator.");
SUBCLASS(PyMPICartcomm_Type, "Cartcomm", "Cartesian topology intracommunicator.");
SUBCLASS(PyMPIGraphcomm_Type, "Graphcomm", "General graph topology intracommunicator.");
SUBCLASS(PyMPIDistgraphcomm_Type, "Distgraphcomm", "Distributed graph topology intracommunicator.");
SUBCLASS(PyMPIIntercomm_Type, "Intercomm", "Intercommunicator.");

/* Each class, its base, and the method tables other files contribute to it. */
static const PyMethodDef *const comm_tables[] = {
    comm_base_methods, pympi_comm_p2p_methods, pympi_comm_coll_methods,
    pympi_comm_obj_methods, pympi_comm_collobj_methods, pympi_comm_dyn_methods, pympi_comm_attr_methods, NULL};
static const PyMethodDef *const intra_tables[] = {
    pympi_intracomm_methods, pympi_intracomm_coll_methods, pympi_intracomm_dyn_methods, NULL};
static const PyMethodDef *const topo_tables[] = {pympi_topocomm_methods, pympi_topocomm_coll_methods, NULL};
static const PyMethodDef *const cart_tables[] = {pympi_cartcomm_methods, NULL};
static const PyMethodDef *const graph_tables[] = {pympi_graphcomm_methods, NULL};
static const PyMethodDef *const distgraph_tables[] = {pympi_distgraphcomm_methods, NULL};
static const PyMethodDef *const inter_tables[] = {pympi_intercomm_methods, NULL};

static struct {
    PyTypeObject *tp, *base;
    const char *name;
    const PyMethodDef *const *methods;
    PyGetSetDef *getset;
} hierarchy[] = {
    {&PyMPIComm_Type, NULL, "Comm", comm_tables, comm_getset},
    {&PyMPIIntracomm_Type, &PyMPIComm_Type, "Intracomm", intra_tables, NULL},
    {&PyMPITopocomm_Type, &PyMPIIntracomm_Type, "Topocomm", topo_tables, pympi_topocomm_getset},
    {&PyMPICartcomm_Type, &PyMPITopocomm_Type, "Cartcomm", cart_tables, pympi_cartcomm_getset},
    {&PyMPIGraphcomm_Type, &PyMPITopocomm_Type, "Graphcomm", graph_tables, pympi_graphcomm_getset},
    {&PyMPIDistgraphcomm_Type, &PyMPITopocomm_Type, "Distgraphcomm", distgraph_tables, NULL},
    {&PyMPIIntercomm_Type, &PyMPIComm_Type, "Intercomm", inter_tables, pympi_intercomm_getset},
};

int pympi_init_comm(PyObject *m)
{
    pympi_handle_type_init(&PyMPIComm_Type, &Comm_kind);
    for (size_t i = 0; i < sizeof(hierarchy) / sizeof(hierarchy[0]); i++) {
        PyTypeObject *tp = hierarchy[i].tp;
        tp->tp_methods = pympi_methods_concat(hierarchy[i].methods);
        if (!tp->tp_methods) return -1;
        if (hierarchy[i].getset) tp->tp_getset = hierarchy[i].getset;
        if (hierarchy[i].base) {
            tp->tp_base = hierarchy[i].base;
            tp->tp_new = PyMPIComm_Type.tp_new;
        }
        if (PyType_Ready(tp) < 0) return -1;
        Py_INCREF(tp);
        if (PyModule_AddObject(m, hierarchy[i].name, (PyObject *)tp) < 0) return -1;
    }
    if (pympi_add(m, "COMM_NULL", pympi_comm_new(&PyMPIComm_Type, MPI_COMM_NULL, PYMPI_CONST)) < 0) return -1;
    if (pympi_add(m, "COMM_SELF", pympi_comm_new(&PyMPIIntracomm_Type, MPI_COMM_SELF, PYMPI_CONST)) < 0) return -1;
    if (pympi_add(m, "COMM_WORLD", pympi_comm_new(&PyMPIIntracomm_Type, MPI_COMM_WORLD, PYMPI_CONST)) < 0) return -1;
    if (PyModule_AddFunctions(m, comm_module_methods) < 0) return -1;
    return pympi_init_topo(m);
}
