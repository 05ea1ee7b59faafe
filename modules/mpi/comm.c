/* comm.c: MPI.Comm and its class hierarchy (Intracomm, Topocomm, Cartcomm, Graphcomm,
 * Distgraphcomm, Intercomm), communicator management, COMM_NULL/SELF/WORLD.
 *
 * The methods of Comm come from several files (point-to-point in p2p.c, collectives in coll.c,
 * pickled objects in msgpickle.c, dynamic processes in dynproc.c); pympi_init_comm() joins their
 * tables. Communicators created here get MPI_ERRORS_RETURN (MPI errors become exceptions). */
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
PyObject *pympi_comm_new_auto(MPI_Comm comm)
{
    PyTypeObject *tp = &PyMPIComm_Type;
    if (comm != MPI_COMM_NULL) {
        int inter = 0, topo = MPI_UNDEFINED;
        if (CHKERR(MPI_Comm_test_inter(comm, &inter))) return NULL;
        if (inter) tp = &PyMPIIntercomm_Type;
        else {
            if (CHKERR(MPI_Topo_test(comm, &topo))) return NULL;
            tp = topo == MPI_CART ? &PyMPICartcomm_Type
               : topo == MPI_GRAPH ? &PyMPIGraphcomm_Type
               : topo == MPI_DIST_GRAPH ? &PyMPIDistgraphcomm_Type : &PyMPIIntracomm_Type;
        }
        MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
    }
    return pympi_comm_new(tp, comm, comm != MPI_COMM_NULL ? PYMPI_OWNED : 0);
}

static void comm_dealloc(PyMPICommObject *self)
{
    /* MPI_Comm_free only marks the communicator for deallocation once pending operations
     * complete, so dropping an owned communicator is safe. */
    if ((self->flags & PYMPI_OWNED) && self->ob_mpi != MPI_COMM_NULL && pympi_mpi_active())
        MPI_Comm_free(&self->ob_mpi);
    Py_XDECREF(self->locks);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *comm_Get_rank(PyObject *self, PyObject *u)
{
    int rank = MPI_UNDEFINED;
    if (CHKERR(MPI_Comm_rank(COMM(self), &rank))) return NULL;
    return PyLong_FromLong(rank);
}

static PyObject *comm_Get_size(PyObject *self, PyObject *u)
{
    int size = 0;
    if (CHKERR(MPI_Comm_size(COMM(self), &size))) return NULL;
    return PyLong_FromLong(size);
}

static PyObject *comm_Barrier(PyObject *self, PyObject *u)
{
    int ierr;
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
    if (CHKERR(MPI_Abort(COMM(self), code))) return NULL;
    Py_RETURN_NONE;
}

static PyObject *comm_Dup(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"info", NULL};
    PyObject *a[1];
    MPI_Info info;
    MPI_Comm dup;
    int ierr;
    if (pympi_parse("Dup", kwlist, 0, args, nargs, kw, a) < 0) return NULL;
    if (pympi_as_info(a[0], MPI_INFO_NULL, &info) < 0) return NULL;
    if (info == MPI_INFO_NULL) PYMPI_NOGIL(ierr = MPI_Comm_dup(COMM(self), &dup));
    else PYMPI_NOGIL(ierr = MPI_Comm_dup_with_info(COMM(self), info, &dup));
    if (CHKERR(ierr)) return NULL;
    MPI_Comm_set_errhandler(dup, MPI_ERRORS_RETURN);
    return pympi_comm_new(Py_TYPE(self), dup, PYMPI_OWNED);
}

static PyObject *comm_Free(PyObject *self, PyObject *u)
{
    PyMPICommObject *c = (PyMPICommObject *)self;
    if (pympi_check_not_const(self, c->flags) < 0) return NULL;
    if (CHKERR(MPI_Comm_free(&c->ob_mpi))) return NULL;
    Py_RETURN_NONE;
}

static PyObject *comm_Is_inter(PyObject *self, PyObject *u)
{
    int flag = 0;
    if (CHKERR(MPI_Comm_test_inter(COMM(self), &flag))) return NULL;
    return PyBool_FromLong(flag);
}

static PyObject *comm_Is_intra(PyObject *self, PyObject *u)
{
    int flag = 0;
    if (CHKERR(MPI_Comm_test_inter(COMM(self), &flag))) return NULL;
    return PyBool_FromLong(!flag);
}

static PyObject *comm_Get_group(PyObject *self, PyObject *u)
{
    MPI_Group g;
    if (CHKERR(MPI_Comm_group(COMM(self), &g))) return NULL;
    return pympi_group_new(g);
}

static PyObject *comm_Get_name(PyObject *self, PyObject *u)
{
    char name[MPI_MAX_OBJECT_NAME + 1] = "";
    int len = 0;
    if (CHKERR(MPI_Comm_get_name(COMM(self), name, &len))) return NULL;
    return PyUnicode_FromStringAndSize(name, len);
}

static PyObject *comm_Set_name(PyObject *self, PyObject *arg)
{
    const char *name = pympi_str(arg, "name");
    if (!name || CHKERR(MPI_Comm_set_name(COMM(self), (char *)name))) return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef comm_base_methods[] = {
    {"Get_rank", comm_Get_rank, METH_NOARGS, "Rank of this process in the communicator."},
    {"Get_size", comm_Get_size, METH_NOARGS, "Number of processes in the communicator."},
    {"Barrier", comm_Barrier, METH_NOARGS, "Barrier synchronization."},
    {"Abort", FASTKW(comm_Abort), "Terminate the MPI execution environment."},
    {"Dup", FASTKW(comm_Dup), "Duplicate the communicator."},
    {"Free", comm_Free, METH_NOARGS, "Free the communicator."},
    {"Is_inter", comm_Is_inter, METH_NOARGS, "Whether this is an intercommunicator."},
    {"Is_intra", comm_Is_intra, METH_NOARGS, "Whether this is an intracommunicator."},
    {"Get_group", comm_Get_group, METH_NOARGS, "The group of the communicator."},
    {"Get_name", comm_Get_name, METH_NOARGS, "The name of the communicator."},
    {"Set_name", comm_Set_name, METH_O, "Set the name of the communicator."},
    PYMPI_HANDLE_METHODS,
    {NULL}};

static PyObject *comm_rank(PyObject *self, void *c) { return comm_Get_rank(self, NULL); }
static PyObject *comm_size(PyObject *self, void *c) { return comm_Get_size(self, NULL); }
static PyObject *comm_group(PyObject *self, void *c) { return comm_Get_group(self, NULL); }
static PyObject *comm_name(PyObject *self, void *c) { return comm_Get_name(self, NULL); }
static int comm_set_name(PyObject *self, PyObject *v, void *c)
{
    if (!v) { PyErr_SetString(PyExc_AttributeError, "cannot delete name"); return -1; }
    PyObject *r = comm_Set_name(self, v);
    Py_XDECREF(r);
    return r ? 0 : -1;
}
static PyObject *comm_is_inter(PyObject *self, void *c) { return comm_Is_inter(self, NULL); }
static PyObject *comm_is_intra(PyObject *self, void *c) { return comm_Is_intra(self, NULL); }

static PyGetSetDef comm_getset[] = {
    {"rank", comm_rank, NULL, "rank of this process", NULL},
    {"size", comm_size, NULL, "number of processes", NULL},
    {"group", comm_group, NULL, "group", NULL},
    {"name", comm_name, comm_set_name, "communicator name", NULL},
    {"is_inter", comm_is_inter, NULL, "is intercommunicator", NULL},
    {"is_intra", comm_is_intra, NULL, "is intracommunicator", NULL},
    {NULL}};

PyTypeObject PyMPIComm_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI.Comm",
    .tp_basicsize = sizeof(PyMPICommObject),
    .tp_dealloc = (destructor)comm_dealloc,
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
    return 0;
}
