/* op.c: MPI.Op, the predefined operations (ops.def). */
#include "pympi.h"

PYMPI_DEFINE_KIND(Op, MPI_Op, MPI_OP_NULL, MPI_Op);

#define H(o) (((PyMPIOpObject *)(o))->ob_mpi)

PyObject *pympi_op_SUM; /* default op of the reductions (borrowed from the module) */

int pympi_as_op(PyObject *obj, MPI_Op dflt, MPI_Op *out)
{
    if (!obj) { *out = dflt; return 0; }
    if (!PyMPIOp_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "expected an Op, got '%.200s'", Py_TYPE(obj)->tp_name);
        return -1;
    }
    *out = H(obj);
    return 0;
}

static void op_dealloc(PyMPIOpObject *self)
{
    if ((self->flags & PYMPI_OWNED) && self->ob_mpi != MPI_OP_NULL && pympi_mpi_active())
        MPI_Op_free(&self->ob_mpi);
    Py_XDECREF(self->ob_func);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef op_methods[] = {
    PYMPI_HANDLE_METHODS,
    {NULL}};

PyTypeObject PyMPIOp_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI.Op",
    .tp_basicsize = sizeof(PyMPIOpObject),
    .tp_dealloc = (destructor)op_dealloc,
    .tp_methods = op_methods,
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
    PyObject *va = PySequence_GetItem(a, 0), *vb = va ? PySequence_GetItem(b, 0) : NULL;
    PyObject *ia = vb ? PySequence_GetItem(a, 1) : NULL, *ib = ia ? PySequence_GetItem(b, 1) : NULL;
    PyObject *r = NULL;
    if (ib) {
        int a_better = PyObject_RichCompareBool(va, vb, want_max ? Py_GT : Py_LT);
        int equal = a_better ? 0 : PyObject_RichCompareBool(va, vb, Py_EQ);
        if (a_better >= 0 && equal >= 0) {
            if (a_better) r = PyTuple_Pack(2, va, ia);
            else if (!equal) r = PyTuple_Pack(2, vb, ib);
            else {
                int lt = PyObject_RichCompareBool(ia, ib, Py_LE);
                r = lt < 0 ? NULL : PyTuple_Pack(2, va, lt ? ia : ib);
            }
        }
    }
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
    if (o->ob_func) return PyObject_CallFunctionObjArgs(o->ob_func, a, b, NULL);
    MPI_Op h = o->ob_mpi;
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
