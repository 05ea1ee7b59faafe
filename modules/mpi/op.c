/* op.c: MPI.Op: the predefined operations (ops.def), user-defined operations (Op.Create),
 * Reduce_local, and the application of an Op to Python objects (the lower-case reductions).
 *
 * A user-defined Op wraps a Python function(invec, inoutvec, datatype). MPI calls a C function
 * with no user pointer, so each user Op takes one of PYMPI_MAX_USER_OPS slots, and slot i has
 * its own C trampoline user_fn_i. The trampoline takes the GIL back, hands the function two
 * MPI.memory objects over the C arrays (valid only during the call) and the Datatype, and
 * never lets an exception escape into MPI: it is kept and re-raised after the MPI call by the
 * caller (pympi_op_enter/leave), or printed as unraisable when no caller waits for it. */
#include "pympi.h"

PYMPI_DEFINE_KIND(Op, MPI_Op, MPI_OP_NULL, MPI_Op);

#define H(o) (((PyMPIOpObject *)(o))->ob_mpi)
#define FASTKW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS

PyObject *pympi_op_SUM; /* default op of the reductions (borrowed from the module) */

int pympi_as_op(PyObject *obj, MPI_Op dflt, MPI_Op *out)
{
    if (!obj) { *out = dflt; return 0; }
    if (!PyMPIOp_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "expected an Op, got '%.200s'", Py_TYPE(obj)->tp_name);
        return -1;
    }
    *out = H(obj);
    if (*out == MPI_OP_NULL) {
        PyErr_SetString(PyExc_ValueError, "Op is OP_NULL (freed or never created)");
        return -1;
    }
    return 0;
}

static const MPI_Op predefined[] = {
#define PYMPI_OP(NAME, handle) handle,
#include "ops.def"
#undef PYMPI_OP
};

static int is_predefined(MPI_Op op)
{
    for (size_t i = 0; i < sizeof(predefined) / sizeof(predefined[0]); i++)
        if (predefined[i] == op) return 1;
    return 0;
}

/* ---- errors raised by user functions ------------------------------------------------ */
static _Thread_local int op_scope;
static _Thread_local PyObject *op_exc_type, *op_exc_value, *op_exc_tb;

void pympi_op_enter(void) { op_scope++; }

int pympi_op_leave(void)
{
    op_scope--;
    if (!op_exc_type) return 0;
    PyErr_Restore(op_exc_type, op_exc_value, op_exc_tb);
    op_exc_type = op_exc_value = op_exc_tb = NULL;
    return -1;
}

/* ---- user-defined operations ---------------------------------------------------------- */
#define PYMPI_MAX_USER_OPS 32
static PyObject *user_funcs[PYMPI_MAX_USER_OPS];
static MPI_Op user_handles[PYMPI_MAX_USER_OPS]; /* the MPI op of each slot (MPI_OP_NULL: free) */

static int slot_of(MPI_Op op)
{
    if (op == MPI_OP_NULL) return -1;
    for (int i = 0; i < PYMPI_MAX_USER_OPS; i++)
        if (user_funcs[i] && user_handles[i] == op) return i;
    return -1;
}

static void user_call(int id, void *in, void *inout, MPI_Count len, MPI_Datatype dt)
{
    PyGILState_STATE g = PyGILState_Ensure();
    PyObject *fn = user_funcs[id], *a = NULL, *b = NULL, *t = NULL, *r = NULL;
    MPI_Count lb = 0, extent = 0;
    if (!fn) goto done; /* the Op was freed while MPI still used it */
    Py_INCREF(fn);
    MPI_Type_get_extent_x(dt, &lb, &extent);
    Py_ssize_t n = (Py_ssize_t)(len * extent);
    a = pympi_memory_new_raw(in, n, 0);
    b = a ? pympi_memory_new_raw(inout, n, 0) : NULL;
    t = b ? pympi_datatype_ref(dt) : NULL;
    if (t) r = PyObject_CallFunctionObjArgs(fn, a, b, t, NULL);
    /* the memory is MPI's: nothing may reach it after the call */
    PyMPIMemoryObject *ma = (PyMPIMemoryObject *)a, *mb = (PyMPIMemoryObject *)b;
    if (ma && !ma->exports) { ma->view.buf = NULL; ma->view.len = 0; }
    if (mb && !mb->exports) { mb->view.buf = NULL; mb->view.len = 0; }
    if (!r) {
        if (op_scope > 0 && !op_exc_type) PyErr_Fetch(&op_exc_type, &op_exc_value, &op_exc_tb);
        else if (op_scope > 0) PyErr_Clear(); /* the first error is the one reported */
        else PyErr_WriteUnraisable(fn);
    }
    Py_XDECREF(r);
    Py_XDECREF(t);
    Py_XDECREF(b);
    Py_XDECREF(a);
    Py_DECREF(fn);
done:
    PyGILState_Release(g);
}

#define USER_FN(i) \
    static void user_fn_##i(void *a, void *b, MPI_Count *n, MPI_Datatype *t) { user_call(i, a, b, *n, *t); }
USER_FN(0) USER_FN(1) USER_FN(2) USER_FN(3) USER_FN(4) USER_FN(5) USER_FN(6) USER_FN(7) 
USER_FN(8) USER_FN(9) USER_FN(10) USER_FN(11) USER_FN(12) USER_FN(13) USER_FN(14) USER_FN(15) 
USER_FN(16) USER_FN(17) USER_FN(18) USER_FN(19) USER_FN(20) USER_FN(21) USER_FN(22) USER_FN(23) 
USER_FN(24) USER_FN(25) USER_FN(26) USER_FN(27) USER_FN(28) USER_FN(29) USER_FN(30) USER_FN(31) 

static MPI_User_function_c *const user_fns[PYMPI_MAX_USER_OPS] = {
    user_fn_0, user_fn_1, user_fn_2, user_fn_3, user_fn_4, user_fn_5, user_fn_6, user_fn_7,
    user_fn_8, user_fn_9, user_fn_10, user_fn_11, user_fn_12, user_fn_13, user_fn_14, user_fn_15,
    user_fn_16, user_fn_17, user_fn_18, user_fn_19, user_fn_20, user_fn_21, user_fn_22, user_fn_23,
    user_fn_24, user_fn_25, user_fn_26, user_fn_27, user_fn_28, user_fn_29, user_fn_30, user_fn_31, };

/* Free() releases the slot of the op, found by handle so that copies (Op(op), f2py) work too. */
static void release_slot(MPI_Op op)
{
    int i = slot_of(op);
    if (i >= 0) {
        Py_CLEAR(user_funcs[i]);
        user_handles[i] = MPI_OP_NULL;
    }
}

static PyObject *op_Create(PyObject *cls, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"function", "commute", NULL};
    PyObject *a[2];
    int commute, slot = -1;
    if (pympi_parse("Create", kwlist, 1, args, nargs, kw, a) < 0 || pympi_bool(a[1], 0, &commute) < 0)
        return NULL;
    if (!PyCallable_Check(a[0]))
        return PyErr_Format(PyExc_TypeError, "Op.Create: function must be callable, not '%.200s'",
                            Py_TYPE(a[0])->tp_name);
    for (int i = 0; i < PYMPI_MAX_USER_OPS; i++)
        if (!user_funcs[i]) { slot = i; break; }
    if (slot < 0)
        return PyErr_Format(PyExc_RuntimeError, "Op.Create: at most %d user-defined Ops may exist at once",
                            PYMPI_MAX_USER_OPS);
    MPI_Op op;
    if (CHKERR(MPI_Op_create_c(user_fns[slot], commute, &op))) return NULL;
    pympi_py_callbacks++;
    PyTypeObject *tp = PyType_Check(cls) ? (PyTypeObject *)cls : &PyMPIOp_Type;
    PyMPIOpObject *self = (PyMPIOpObject *)pympi_handle_new(tp, &op, PYMPI_OWNED);
    if (!self) { MPI_Op_free(&op); return NULL; }
    Py_INCREF(a[0]);
    self->ob_func = a[0];
    Py_INCREF(a[0]);
    user_funcs[slot] = a[0];
    user_handles[slot] = op;
    self->ob_usrid = slot + 1;
    return (PyObject *)self;
}

/* As every handle (pympi.h): only Free() releases the MPI op; a user op whose object dies
 * un-freed keeps its slot and function, so copies of the handle stay usable. */
static void op_dealloc(PyMPIOpObject *self)
{
    if (self->ob_weakref) PyObject_ClearWeakRefs((PyObject *)self);
    Py_XDECREF(self->ob_func);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *op_Free(PyObject *self, PyObject *u)
{
    PyMPIOpObject *o = (PyMPIOpObject *)self;
    MPI_Op h = o->ob_mpi, tmp;
    if (h == MPI_OP_NULL) { pympi_raise(MPI_ERR_OP); return NULL; }
    if (CHKERR(MPI_Op_free(PYMPI_FREE_TARGET(o, tmp)))) return NULL;
    release_slot(h);
    o->ob_usrid = 0;
    Py_CLEAR(o->ob_func);
    Py_RETURN_NONE;
}

static PyObject *op_Is_commutative(PyObject *self, PyObject *u)
{
    int flag = 0;
    if (H(self) == MPI_OP_NULL) {
        PyErr_SetString(PyExc_ValueError, "Op is OP_NULL");
        return NULL;
    }
    if (CHKERR(MPI_Op_commutative(H(self), &flag))) return NULL;
    return PyBool_FromLong(flag);
}

static PyObject *op_get_is_commutative(PyObject *self, void *c) { return op_Is_commutative(self, NULL); }
static PyObject *op_get_is_predefined(PyObject *self, void *c)
{
    return PyBool_FromLong(is_predefined(H(self)));
}

static PyObject *op_Reduce_local(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"inbuf", "inoutbuf", NULL};
    PyObject *a[2];
    MPI_Op op;
    pympi_msg in, inout;
    int ierr;
    if (pympi_parse("Reduce_local", kwlist, 2, args, nargs, kw, a) < 0) return NULL;
    if (pympi_as_op(self, 0, &op) < 0) return NULL;
    if (pympi_msg_get(a[0], PYMPI_SEND, &in) < 0) return NULL;
    if (pympi_msg_get(a[1], PYMPI_RECV, &inout) < 0) { pympi_msg_release(&in); return NULL; }
    if (in.count != inout.count) {
        PyErr_Format(PyExc_ValueError, "Reduce_local: mismatch in inbuf count %lld and inoutbuf count %lld",
                     (long long)in.count, (long long)inout.count);
        goto fail;
    }
    if (in.type != inout.type) {
        MPI_Count s1 = 0, s2 = 0;
        if (CHKERR(MPI_Type_size_x(in.type, &s1)) || CHKERR(MPI_Type_size_x(inout.type, &s2))) goto fail;
        if (s1 != s2) {
            PyErr_SetString(PyExc_ValueError, "Reduce_local: mismatch in inbuf and inoutbuf datatypes");
            goto fail;
        }
    }
    pympi_op_enter();
    PYMPI_NOGIL(ierr = MPI_Reduce_local_c(in.addr, inout.addr, inout.count, inout.type, op));
    int raised = pympi_op_leave();
    pympi_msg_release(&in);
    pympi_msg_release(&inout);
    if (raised < 0 || CHKERR(ierr)) return NULL;
    Py_RETURN_NONE;
fail:
    pympi_msg_release(&in);
    pympi_msg_release(&inout);
    return NULL;
}

static PyObject *op_call(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"x", "y", NULL};
    PyObject *x, *y;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO:__call__", kwlist, &x, &y)) return NULL;
    return pympi_op_apply(self, x, y);
}

static PyMethodDef op_methods[] = {
    {"Create", FASTKW(op_Create) | METH_CLASS, "Create a user-defined Op from function(invec, inoutvec, datatype)."},
    {"Free", op_Free, METH_NOARGS, "Free a user-defined Op."},
    {"Is_commutative", op_Is_commutative, METH_NOARGS, "Whether the Op is commutative."},
    {"Reduce_local", FASTKW(op_Reduce_local), "inoutbuf = inbuf op inoutbuf, locally."},
    PYMPI_HANDLE_METHODS,
    {NULL}};

static PyGetSetDef op_getset[] = {
    {"is_commutative", op_get_is_commutative, NULL, "whether the Op is commutative", NULL},
    {"is_predefined", op_get_is_predefined, NULL, "whether the Op is predefined", NULL},
    {NULL}};

PyTypeObject PyMPIOp_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI.Op",
    .tp_basicsize = sizeof(PyMPIOpObject),
    .tp_dealloc = (destructor)op_dealloc,
    .tp_call = op_call,
    .tp_methods = op_methods,
    .tp_getset = op_getset,
    .tp_doc = "Operation object: a reduction operation."};

int pympi_init_op(PyObject *m)
{
    pympi_handle_type_init(&PyMPIOp_Type, &Op_kind);
    if (PyType_Ready(&PyMPIOp_Type) < 0) return -1;
    Py_INCREF(&PyMPIOp_Type);
    if (PyModule_AddObject(m, "Op", (PyObject *)&PyMPIOp_Type) < 0) return -1;
#define PYMPI_OP(NAME, handle)                                                    \
    {                                                                             \
        MPI_Op h = handle;                                                        \
        PyObject *o = pympi_handle_new(&PyMPIOp_Type, &h, PYMPI_CONST);           \
        if (h == MPI_SUM) pympi_op_SUM = o;                                       \
        if (pympi_add(m, #NAME, o) < 0) return -1;                                \
    }
#include "ops.def"
#undef PYMPI_OP
    return 0;
}

/* Apply an operation to two Python objects, as the lower-case reductions do:
 * predefined ops map to Python operators; a user Op calls its Python function; any other
 * callable is called as op(a, b). MINLOC/MAXLOC take (value, index) pairs. */
static PyObject *loc_pick(PyObject *a, PyObject *b, int want_max)
{
    /* As mpi4py 3.1: the better value wins with its index; on a tie (neither value better) the
     * whole pair with the smaller index wins, so the result is always one of the two pairs. */
    int cmp = want_max ? Py_GT : Py_LT;
    PyObject *va = PySequence_GetItem(a, 0), *vb = va ? PySequence_GetItem(b, 0) : NULL;
    PyObject *ia = vb ? PySequence_GetItem(a, 1) : NULL, *ib = ia ? PySequence_GetItem(b, 1) : NULL;
    PyObject *r = NULL;
    int a_wins = -1;
    if (ib && (a_wins = PyObject_RichCompareBool(va, vb, cmp)) == 0) {
        int b_wins = PyObject_RichCompareBool(vb, va, cmp);
        if (b_wins == 0) b_wins = PyObject_RichCompareBool(ib, ia, Py_LT);
        a_wins = b_wins < 0 ? -1 : !b_wins;
    }
    if (a_wins >= 0) r = a_wins ? PyTuple_Pack(2, va, ia) : PyTuple_Pack(2, vb, ib);
    Py_XDECREF(va); Py_XDECREF(vb); Py_XDECREF(ia); Py_XDECREF(ib);
    return r;
}

static PyObject *logical(PyObject *a, PyObject *b, int which)
{
    int x = PyObject_IsTrue(a), y = x < 0 ? -1 : PyObject_IsTrue(b);
    if (y < 0) return NULL;
    return PyBool_FromLong(which == 0 ? (x && y) : which == 1 ? (x || y) : (x != y));
}

PyObject *pympi_op_apply(PyObject *op, PyObject *a, PyObject *b)
{
    if (!PyMPIOp_Check(op)) {
        if (!PyCallable_Check(op)) return PyErr_Format(PyExc_TypeError, "op must be an Op or a callable, not '%.200s'", Py_TYPE(op)->tp_name);
        return PyObject_CallFunctionObjArgs(op, a, b, NULL);
    }
    PyMPIOpObject *o = (PyMPIOpObject *)op;
    if (o->ob_func) return PyObject_CallFunctionObjArgs(o->ob_func, a, b, Py_None, NULL); /* function(x, y, None) */
    MPI_Op h = o->ob_mpi;
    int slot = (o->flags & PYMPI_CONST) ? -1 : slot_of(h); /* a copy of a user op */
    if (slot >= 0) return PyObject_CallFunctionObjArgs(user_funcs[slot], a, b, Py_None, NULL);
    if (h == MPI_SUM) return PyNumber_Add(a, b);
    if (h == MPI_PROD) return PyNumber_Multiply(a, b);
    if (h == MPI_MAX || h == MPI_MIN) {
        int gt = PyObject_RichCompareBool(b, a, h == MPI_MAX ? Py_GT : Py_LT);
        if (gt < 0) return NULL;
        PyObject *r = gt ? b : a;
        Py_INCREF(r);
        return r;
    }
    if (h == MPI_LAND) return logical(a, b, 0);
    if (h == MPI_LOR) return logical(a, b, 1);
    if (h == MPI_LXOR) return logical(a, b, 2);
    if (h == MPI_BAND) return PyNumber_And(a, b);
    if (h == MPI_BOR) return PyNumber_Or(a, b);
    if (h == MPI_BXOR) return PyNumber_Xor(a, b);
    if (h == MPI_MAXLOC) return loc_pick(a, b, 1);
    if (h == MPI_MINLOC) return loc_pick(a, b, 0);
    if (h == MPI_REPLACE) { Py_INCREF(b); return b; }
    if (h == MPI_NO_OP) { Py_INCREF(a); return a; }
    PyErr_SetString(PyExc_ValueError, "cannot apply this Op to Python objects");
    return NULL;
}
