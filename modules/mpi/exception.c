/* exception.c: MPI.Exception and the CHKERR path.
 *
 * MPI.Exception subclasses RuntimeError and behaves like its error code: int(e), e == code,
 * hash(e) == hash(code), bool(e) is "is an error". The code lives in the `ierr` attribute of the
 * instance dict, set by __init__(ierr=0). */
#include "pympi.h"

PyObject *pympi_Exception = NULL;

static int exc_code(PyObject *self, int *ierr)
{
    PyObject *v = PyObject_GetAttrString(self, "ierr");
    if (!v) return -1;
    int rc = pympi_int(v, 0, ierr);
    Py_DECREF(v);
    return rc;
}

static PyObject *error_string(int ierr)
{
    char s[MPI_MAX_ERROR_STRING + 1] = "";
    int len = 0;
    /* MPICH looks a negative code up in its table of user codes without a bounds check. */
    if (ierr < 0 || MPI_Error_string(ierr, s, &len) != MPI_SUCCESS || len == 0)
        return PyUnicode_FromFormat("unknown error code %d", ierr);
    /* The text may quote bytes of a file name that are not UTF-8 (a lone surrogate the file
     * system encoding turned into a byte): str(e) must not fail on them. */
    return PyUnicode_DecodeUTF8(s, len, "replace");
}

static PyObject *error_class(int ierr)
{
    int cls = ierr;
    if (ierr < 0) return PyLong_FromLong(MPI_ERR_UNKNOWN);
    if (pympi_mpi_active() && MPI_Error_class(ierr, &cls) != MPI_SUCCESS) cls = MPI_ERR_UNKNOWN;
    return PyLong_FromLong(cls);
}

int pympi_raise(int ierr)
{
    if (PyErr_Occurred()) return -1; /* a Python callback already raised: keep that error */
    if (ierr == PYMPI_ERR_UNAVAILABLE) {   /* an optional function this MPI lacks (pympi.h) */
        PyErr_SetNone(PyExc_NotImplementedError);
        return -1;
    }
    PyObject *exc = PyObject_CallFunction(pympi_Exception, "i", ierr);
    if (exc) {
        PyErr_SetObject(pympi_Exception, exc);
        Py_DECREF(exc);
    }
    return -1;
}

static PyObject *exc_init(PyObject *unused, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"self", "ierr", NULL};
    PyObject *self;
    int ierr = MPI_SUCCESS;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|i:Exception", kwlist, &self, &ierr)) return NULL;
    PyObject *v = PyLong_FromLong(ierr);
    if (!v) return NULL;
    int rc = PyObject_SetAttrString(self, "ierr", v);
    if (rc == 0) {
        PyObject *a = PyTuple_Pack(1, v);
        rc = a ? PyObject_SetAttrString(self, "args", a) : -1;
        Py_XDECREF(a);
    }
    Py_DECREF(v);
    if (rc < 0) return NULL;
    Py_RETURN_NONE;
}

#define EXC_GETTER(fn, body)                               \
    static PyObject *fn(PyObject *unused, PyObject *self) \
    {                                                      \
        int ierr;                                          \
        if (exc_code(self, &ierr) < 0) return NULL;        \
        body;                                              \
    }
EXC_GETTER(exc_get_code, return PyLong_FromLong(ierr))
EXC_GETTER(exc_get_class, return error_class(ierr))
EXC_GETTER(exc_get_string, return error_string(ierr))
EXC_GETTER(exc_bool, return PyBool_FromLong(ierr != MPI_SUCCESS))
EXC_GETTER(exc_hash, return PyLong_FromLong(ierr))
EXC_GETTER(exc_repr, return PyUnicode_FromFormat("MPI.Exception(%d)", ierr))

static PyObject *exc_cmp(PyObject *self, PyObject *other, int op)
{
    int ierr;
    if (exc_code(self, &ierr) < 0) return NULL;
    PyObject *mine = PyLong_FromLong(ierr);
    if (!mine) return NULL;
    PyObject *theirs = PyObject_TypeCheck(other, (PyTypeObject *)pympi_Exception)
                           ? PyObject_GetAttrString(other, "ierr")
                           : PyNumber_Index(other);
    if (!theirs) {
        Py_DECREF(mine);
        if (!PyErr_ExceptionMatches(PyExc_TypeError)) return NULL;
        PyErr_Clear();
        Py_RETURN_NOTIMPLEMENTED;
    }
    PyObject *r = PyObject_RichCompare(mine, theirs, op);
    Py_DECREF(mine);
    Py_DECREF(theirs);
    return r;
}
#define EXC_CMP(fn, op) \
    static PyObject *fn(PyObject *u, PyObject *const *a, Py_ssize_t n) { return exc_cmp(a[0], a[1], op); }
EXC_CMP(exc_eq, Py_EQ)
EXC_CMP(exc_ne, Py_NE)
EXC_CMP(exc_lt, Py_LT)
EXC_CMP(exc_le, Py_LE)
EXC_CMP(exc_gt, Py_GT)
EXC_CMP(exc_ge, Py_GE)

/* The class is built from a dict of functions (PyCFunctions, wrapped as methods by the class
 * statement semantics of `type(name, bases, dict)` through staticmethod-less plain functions:
 * builtins are not descriptors, so each is wrapped with PyInstanceMethod_New to bind self). */
static PyMethodDef exc_funcs[] = {
    {"__init__", (PyCFunction)(void (*)(void))exc_init, METH_VARARGS | METH_KEYWORDS, NULL},
    {"Get_error_code", exc_get_code, METH_O, "Error code."},
    {"Get_error_class", exc_get_class, METH_O, "Error class of the error code."},
    {"Get_error_string", exc_get_string, METH_O, "Error string of the error code."},
    {"__bool__", exc_bool, METH_O, NULL},
    {"__int__", exc_get_code, METH_O, NULL},
    {"__index__", exc_get_code, METH_O, NULL},
    {"__hash__", exc_hash, METH_O, NULL},
    {"__repr__", exc_repr, METH_O, NULL},
    {"__str__", exc_get_string, METH_O, NULL},
    {"__eq__", (PyCFunction)(void (*)(void))exc_eq, METH_FASTCALL, NULL},
    {"__ne__", (PyCFunction)(void (*)(void))exc_ne, METH_FASTCALL, NULL},
    {"__lt__", (PyCFunction)(void (*)(void))exc_lt, METH_FASTCALL, NULL},
    {"__le__", (PyCFunction)(void (*)(void))exc_le, METH_FASTCALL, NULL},
    {"__gt__", (PyCFunction)(void (*)(void))exc_gt, METH_FASTCALL, NULL},
    {"__ge__", (PyCFunction)(void (*)(void))exc_ge, METH_FASTCALL, NULL},
    {NULL}};

static const char *exc_props[][2] = {
    {"error_code", "Get_error_code"}, {"error_class", "Get_error_class"},
    {"error_string", "Get_error_string"}, {NULL, NULL}};

int pympi_init_exception(PyObject *m)
{
    PyObject *dict = PyDict_New();
    if (!dict) return -1;
    if (PyDict_SetItemString(dict, "__module__", PyModule_GetNameObject(m)) < 0) goto fail;
    PyObject *doc = PyUnicode_FromString("Exception class for MPI errors: carries the MPI error code.");
    if (!doc || PyDict_SetItemString(dict, "__doc__", doc) < 0) { Py_XDECREF(doc); goto fail; }
    Py_DECREF(doc);
    for (PyMethodDef *d = exc_funcs; d->ml_name; d++) {
        PyObject *f = PyCFunction_New(d, NULL);
        PyObject *meth = f ? PyInstanceMethod_New(f) : NULL;
        Py_XDECREF(f);
        if (!meth || PyDict_SetItemString(dict, d->ml_name, meth) < 0) { Py_XDECREF(meth); goto fail; }
        Py_DECREF(meth);
    }
    for (int i = 0; exc_props[i][0]; i++) {
        PyObject *getter = PyDict_GetItemString(dict, exc_props[i][1]);
        PyObject *prop = PyObject_CallFunctionObjArgs((PyObject *)&PyProperty_Type, getter, NULL);
        if (!prop || PyDict_SetItemString(dict, exc_props[i][0], prop) < 0) { Py_XDECREF(prop); goto fail; }
        Py_DECREF(prop);
    }
    pympi_Exception = PyObject_CallFunction((PyObject *)&PyType_Type, "s(O)O", "Exception",
                                           PyExc_RuntimeError, dict);
    Py_DECREF(dict);
    if (!pympi_Exception) return -1;
    Py_INCREF(pympi_Exception);
    return PyModule_AddObject(m, "Exception", pympi_Exception);
fail:
    Py_DECREF(dict);
    return -1;
}
