/* info.c: MPI.Info: Create, Dup, Free, Get, Set, Delete, Get_nkeys, Get_nthkey, and the
 * mapping protocol (len, in, iteration over keys, [] with KeyError, get, keys, values, items,
 * pop, popitem, copy, clear, update). INFO_NULL behaves as an empty, read-only mapping; INFO_ENV
 * is readable. */
#include "pympi.h"

PYMPI_DEFINE_KIND(Info, MPI_Info, MPI_INFO_NULL, MPI_Info);

#define H(o) (((PyMPIInfoObject *)(o))->ob_mpi)
#define FASTKW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS

static PyObject *info_result(PyTypeObject *tp, MPI_Info info)
{
    if (!PyType_IsSubtype(tp, &PyMPIInfo_Type)) tp = &PyMPIInfo_Type;
    PyObject *o = pympi_handle_new(tp, &info, info != MPI_INFO_NULL ? PYMPI_OWNED : 0);
    if (!o && info != MPI_INFO_NULL) MPI_Info_free(&info);
    return o;
}

/* The UTF-8 of a str key, checked against MPI_MAX_INFO_KEY. */
static const char *info_key(PyObject *key)
{
    const char *k = pympi_str(key, "info key");
    if (!k) return NULL;
    if (strlen(k) > MPI_MAX_INFO_KEY) {
        pympi_raise(MPI_ERR_INFO_KEY);
        return NULL;
    }
    return k;
}

static int info_null_readonly(PyObject *self, PyObject *key)
{
    if (H(self) != MPI_INFO_NULL) return 0;
    if (key) PyErr_Format(PyExc_KeyError, "%R: INFO_NULL is empty and read-only", key);
    else PyErr_SetString(PyExc_KeyError, "INFO_NULL is empty and read-only");
    return -1;
}

static PyObject *info_Create(PyObject *cls, PyObject *u)
{
    MPI_Info info;
    if (CHKERR(MPI_Info_create(&info))) return NULL;
    return info_result((PyTypeObject *)cls, info);
}

static PyObject *info_Dup(PyObject *self, PyObject *u)
{
    MPI_Info info;
    if (H(self) == MPI_INFO_NULL) { pympi_raise(MPI_ERR_INFO); return NULL; }
    if (CHKERR(MPI_Info_dup(H(self), &info))) return NULL;
    return info_result(Py_TYPE(self), info);
}

static PyObject *info_Free(PyObject *self, PyObject *u)
{
    if (H(self) == MPI_INFO_NULL) { pympi_raise(MPI_ERR_INFO); return NULL; }
    /* MPICH "frees" MPI_INFO_ENV without an error and corrupts its info pool (a later
     * MPI_Info_get crashes): freeing it does nothing here, which is all mpi4py 3.1 shows. */
    if (H(self) == MPI_INFO_ENV) Py_RETURN_NONE;
    if (CHKERR(MPI_Info_free(&H(self)))) return NULL;
    Py_RETURN_NONE;
}

/* Value of `key`, or None when absent; at most maxlen characters when maxlen >= 0. */
static PyObject *info_get(PyObject *self, PyObject *key, int maxlen)
{
    const char *k = info_key(key);
    if (!k) return NULL;
    if (H(self) == MPI_INFO_NULL) { pympi_raise(MPI_ERR_INFO); return NULL; }
    int len = 0, flag = 0;
    if (CHKERR(MPI_Info_get_valuelen(H(self), (char *)k, &len, &flag))) return NULL;
    if (!flag) Py_RETURN_NONE;
    char *buf = PyMem_Malloc((size_t)len + 1);
    if (!buf) return PyErr_NoMemory();
    buf[0] = 0;
    if (CHKERR(MPI_Info_get(H(self), (char *)k, len, buf, &flag))) { PyMem_Free(buf); return NULL; }
    buf[len] = 0;
    if (maxlen >= 0 && maxlen < len) buf[maxlen] = 0;
    PyObject *v = flag ? PyUnicode_FromString(buf) : (Py_INCREF(Py_None), Py_None);
    PyMem_Free(buf);
    return v;
}

static PyObject *info_Get(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"key", "maxlen", NULL};
    PyObject *a[2];
    int maxlen;
    if (pympi_parse("Get", kwlist, 1, args, nargs, kw, a) < 0 || pympi_int(a[1], -1, &maxlen) < 0) return NULL;
    if (maxlen > MPI_MAX_INFO_VAL) maxlen = MPI_MAX_INFO_VAL;
    return info_get(self, a[0], maxlen);
}

static int info_set(PyObject *self, PyObject *key, PyObject *value)
{
    const char *k = info_key(key);
    if (!k) return -1;
    const char *v = pympi_str(value, "info value");
    if (!v) return -1;
    if (strlen(v) > MPI_MAX_INFO_VAL) return pympi_raise(MPI_ERR_INFO_VALUE);
    if (H(self) == MPI_INFO_NULL) return pympi_raise(MPI_ERR_INFO);
    if (CHKERR(MPI_Info_set(H(self), (char *)k, (char *)v))) return -1;
    return 0;
}

static PyObject *info_Set(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"key", "value", NULL};
    PyObject *a[2];
    if (pympi_parse("Set", kwlist, 2, args, nargs, kw, a) < 0) return NULL;
    if (info_set(self, a[0], a[1]) < 0) return NULL;
    Py_RETURN_NONE;
}

static int info_delete(PyObject *self, PyObject *key)
{
    const char *k = info_key(key);
    if (!k) return -1;
    if (H(self) == MPI_INFO_NULL) return pympi_raise(MPI_ERR_INFO);
    if (CHKERR(MPI_Info_delete(H(self), (char *)k))) return -1;
    return 0;
}

static PyObject *info_Delete(PyObject *self, PyObject *key)
{
    if (info_delete(self, key) < 0) return NULL;
    Py_RETURN_NONE;
}

static int info_nkeys(PyObject *self, int *n)
{
    *n = 0;
    if (H(self) == MPI_INFO_NULL) return 0;
    return CHKERR(MPI_Info_get_nkeys(H(self), n)) ? -1 : 0;
}

static PyObject *info_Get_nkeys(PyObject *self, PyObject *u)
{
    int n;
    if (H(self) == MPI_INFO_NULL) { pympi_raise(MPI_ERR_INFO); return NULL; }
    if (info_nkeys(self, &n) < 0) return NULL;
    return PyLong_FromLong(n);
}

static PyObject *info_nthkey(PyObject *self, int n)
{
    char key[MPI_MAX_INFO_KEY + 1] = "";
    if (H(self) == MPI_INFO_NULL) { pympi_raise(MPI_ERR_INFO); return NULL; }
    int nkeys;
    if (info_nkeys(self, &nkeys) < 0) return NULL;
    if (n < 0 || n >= nkeys) { pympi_raise(MPI_ERR_ARG); return NULL; }
    if (CHKERR(MPI_Info_get_nthkey(H(self), n, key))) return NULL;
    return PyUnicode_FromString(key);
}

static PyObject *info_Get_nthkey(PyObject *self, PyObject *arg)
{
    int n;
    if (pympi_int(arg, 0, &n) < 0) return NULL;
    return info_nthkey(self, n);
}

/* ---- mapping protocol ----------------------------------------------------- */
static Py_ssize_t info_len(PyObject *self)
{
    int n;
    if (info_nkeys(self, &n) < 0) return -1;
    return n;
}

static int info_contains(PyObject *self, PyObject *key)
{
    if (H(self) == MPI_INFO_NULL) return 0;
    const char *k = info_key(key);
    if (!k) return -1;
    int len = 0, flag = 0;
    if (CHKERR(MPI_Info_get_valuelen(H(self), (char *)k, &len, &flag))) return -1;
    return flag;
}

static PyObject *info_subscript(PyObject *self, PyObject *key)
{
    if (H(self) == MPI_INFO_NULL) { PyErr_SetObject(PyExc_KeyError, key); return NULL; }
    PyObject *v = info_get(self, key, -1);
    if (v == Py_None) {
        Py_DECREF(v);
        PyErr_SetObject(PyExc_KeyError, key);
        return NULL;
    }
    return v;
}

static int info_ass_subscript(PyObject *self, PyObject *key, PyObject *value)
{
    if (info_null_readonly(self, key) < 0) return -1;
    if (value) return info_set(self, key, value);
    int has = info_contains(self, key);
    if (has < 0) return -1;
    if (!has) { PyErr_SetObject(PyExc_KeyError, key); return -1; }
    return info_delete(self, key);
}

/* keys/values/items as lists: which = 0 keys, 1 values, 2 items */
static PyObject *info_list(PyObject *self, int which)
{
    int n;
    if (info_nkeys(self, &n) < 0) return NULL;
    PyObject *list = PyList_New(n);
    if (!list) return NULL;
    for (int i = 0; i < n; i++) {
        PyObject *k = info_nthkey(self, i), *item = NULL;
        if (!k) goto fail;
        if (which == 0) item = k;
        else {
            PyObject *v = info_get(self, k, -1);
            if (!v) { Py_DECREF(k); goto fail; }
            if (which == 1) { item = v; Py_DECREF(k); }
            else {
                item = PyTuple_Pack(2, k, v);
                Py_DECREF(k);
                Py_DECREF(v);
                if (!item) goto fail;
            }
        }
        PyList_SET_ITEM(list, i, item);
    }
    return list;
fail:
    Py_DECREF(list);
    return NULL;
}

static PyObject *info_keys(PyObject *self, PyObject *u) { return info_list(self, 0); }
static PyObject *info_values(PyObject *self, PyObject *u) { return info_list(self, 1); }
static PyObject *info_items(PyObject *self, PyObject *u) { return info_list(self, 2); }

static PyObject *info_iter(PyObject *self)
{
    PyObject *keys = info_list(self, 0);
    if (!keys) return NULL;
    PyObject *it = PyObject_GetIter(keys);
    Py_DECREF(keys);
    return it;
}

static PyObject *info_getmethod(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"key", "default", NULL};
    PyObject *a[2];
    if (pympi_parse("get", kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    PyObject *dflt = a[1] ? a[1] : Py_None;
    if (H(self) == MPI_INFO_NULL) { Py_INCREF(dflt); return dflt; }
    PyObject *v = info_get(self, a[0], -1);
    if (v == Py_None) { Py_DECREF(v); Py_INCREF(dflt); return dflt; }
    return v;
}

static PyObject *info_pop(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 1 || nargs > 2)
        return PyErr_Format(PyExc_TypeError, "pop expected 1 or 2 arguments, got %zd", nargs);
    PyObject *key = args[0];
    PyObject *v = H(self) == MPI_INFO_NULL ? (Py_INCREF(Py_None), Py_None) : info_get(self, key, -1);
    if (!v) return NULL;
    if (v == Py_None) {
        Py_DECREF(v);
        if (nargs == 2) { Py_INCREF(args[1]); return args[1]; }
        PyErr_SetObject(PyExc_KeyError, key);
        return NULL;
    }
    if (info_delete(self, key) < 0) { Py_DECREF(v); return NULL; }
    return v;
}

static PyObject *info_popitem(PyObject *self, PyObject *u)
{
    int n;
    if (info_nkeys(self, &n) < 0) return NULL;
    if (n == 0) { PyErr_SetString(PyExc_KeyError, "popitem(): info is empty"); return NULL; }
    PyObject *k = info_nthkey(self, n - 1);
    if (!k) return NULL;
    PyObject *v = info_get(self, k, -1);
    if (!v || info_delete(self, k) < 0) { Py_DECREF(k); Py_XDECREF(v); return NULL; }
    PyObject *t = PyTuple_Pack(2, k, v);
    Py_DECREF(k);
    Py_DECREF(v);
    return t;
}

static PyObject *info_copy(PyObject *self, PyObject *u)
{
    if (H(self) == MPI_INFO_NULL) return info_result(Py_TYPE(self), MPI_INFO_NULL);
    return info_Dup(self, NULL);
}

static PyObject *info_clear(PyObject *self, PyObject *u)
{
    int n;
    if (H(self) == MPI_INFO_NULL) Py_RETURN_NONE;
    if (info_nkeys(self, &n) < 0) return NULL;
    for (int i = 0; i < n; i++) {
        PyObject *k = info_nthkey(self, 0);
        if (!k) return NULL;
        int rc = info_delete(self, k);
        Py_DECREF(k);
        if (rc < 0) return NULL;
    }
    Py_RETURN_NONE;
}

static int info_update_pairs(PyObject *self, PyObject *items)
{
    PyObject *it = PyObject_GetIter(items);
    if (!it) return -1;
    PyObject *pair;
    while ((pair = PyIter_Next(it))) {
        PyObject *fast = PySequence_Fast(pair, "update(): items must be (key, value) pairs");
        Py_DECREF(pair);
        if (!fast) { Py_DECREF(it); return -1; }
        if (PySequence_Fast_GET_SIZE(fast) != 2) {
            Py_DECREF(fast);
            Py_DECREF(it);
            PyErr_SetString(PyExc_ValueError, "update(): items must be (key, value) pairs");
            return -1;
        }
        int rc = info_set(self, PySequence_Fast_GET_ITEM(fast, 0), PySequence_Fast_GET_ITEM(fast, 1));
        Py_DECREF(fast);
        if (rc < 0) { Py_DECREF(it); return -1; }
    }
    Py_DECREF(it);
    return PyErr_Occurred() ? -1 : 0;
}

static PyObject *info_update(PyObject *self, PyObject *args, PyObject *kwds)
{
    PyObject *other = NULL;
    if (!PyArg_UnpackTuple(args, "update", 0, 1, &other)) return NULL;
    if (info_null_readonly(self, NULL) < 0) return NULL;
    if (other) {
        PyObject *items = NULL;
        if (PyObject_TypeCheck(other, &PyMPIInfo_Type)) items = info_list(other, 2);
        else if (PyDict_Check(other)) items = PyDict_Items(other);
        else if (PyObject_HasAttrString(other, "keys")) {
            items = PyObject_CallMethod(other, "items", NULL);
        } else {
            items = other;
            Py_INCREF(items);
        }
        if (!items) return NULL;
        int rc = info_update_pairs(self, items);
        Py_DECREF(items);
        if (rc < 0) return NULL;
    }
    if (kwds) {
        PyObject *items = PyDict_Items(kwds);
        if (!items) return NULL;
        int rc = info_update_pairs(self, items);
        Py_DECREF(items);
        if (rc < 0) return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *info_Delete_kw(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"key", NULL};
    PyObject *a[1];
    if (pympi_parse("Delete", kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    return info_Delete(self, a[0]);
}

static PyObject *info_Get_nthkey_kw(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"n", NULL};
    PyObject *a[1];
    if (pympi_parse("Get_nthkey", kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    return info_Get_nthkey(self, a[0]);
}

static PyMethodDef info_methods[] = {
    {"Create", info_Create, METH_NOARGS | METH_CLASS, "Create a new, empty info object."},
    {"Dup", info_Dup, METH_NOARGS, "Duplicate the info object."},
    {"Free", info_Free, METH_NOARGS, "Free the info object."},
    {"Get", FASTKW(info_Get), "Get(key, maxlen=-1): the value of key, or None."},
    {"Set", FASTKW(info_Set), "Set(key, value): add or replace a (key, value) pair."},
    {"Delete", FASTKW(info_Delete_kw), "Delete(key): remove a key (MPI.Exception ERR_INFO_NOKEY if absent)."},
    {"Get_nkeys", info_Get_nkeys, METH_NOARGS, "Number of keys."},
    {"Get_nthkey", FASTKW(info_Get_nthkey_kw), "Get_nthkey(n): the n-th key."},
    {"get", FASTKW(info_getmethod), "get(key, default=None)"},
    {"keys", info_keys, METH_NOARGS, "List of keys."},
    {"values", info_values, METH_NOARGS, "List of values."},
    {"items", info_items, METH_NOARGS, "List of (key, value) pairs."},
    {"pop", (PyCFunction)(void (*)(void))info_pop, METH_FASTCALL, "pop(key, *default)"},
    {"popitem", info_popitem, METH_NOARGS, "Remove and return the last (key, value) pair."},
    {"copy", info_copy, METH_NOARGS, "A duplicate of the info object."},
    {"clear", info_clear, METH_NOARGS, "Remove every key."},
    {"update", (PyCFunction)(void (*)(void))info_update, METH_VARARGS | METH_KEYWORDS,
     "update(other=(), **kwds): set keys from an Info, a mapping or (key, value) pairs."},
    PYMPI_HANDLE_METHODS,
    {NULL}};

static PyMappingMethods info_as_mapping = {
    .mp_length = info_len, .mp_subscript = info_subscript, .mp_ass_subscript = info_ass_subscript};
static PySequenceMethods info_as_sequence = {.sq_contains = info_contains};

PyTypeObject PyMPIInfo_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI.Info",
    .tp_basicsize = sizeof(PyMPIInfoObject),
    .tp_methods = info_methods,
    .tp_as_mapping = &info_as_mapping,
    .tp_as_sequence = &info_as_sequence,
    .tp_iter = info_iter,
    .tp_doc = "Info object: a mapping of str keys to str values."};

static int add_const(PyObject *m, const char *name, MPI_Info h)
{
    return pympi_add(m, name, pympi_handle_new(&PyMPIInfo_Type, &h, PYMPI_CONST));
}

int pympi_init_info(PyObject *m)
{
    pympi_handle_type_init(&PyMPIInfo_Type, &Info_kind);
    if (PyType_Ready(&PyMPIInfo_Type) < 0) return -1;
    Py_INCREF(&PyMPIInfo_Type);
    if (PyModule_AddObject(m, "Info", (PyObject *)&PyMPIInfo_Type) < 0) return -1;
    if (add_const(m, "INFO_NULL", MPI_INFO_NULL) < 0) return -1;
    if (add_const(m, "INFO_ENV", MPI_INFO_ENV) < 0) return -1;
    return 0;
}

PyObject *pympi_info_new(MPI_Info info) { return info_result(&PyMPIInfo_Type, info); }

int pympi_as_info(PyObject *obj, MPI_Info dflt, MPI_Info *out)
{
    if (!obj || obj == Py_None) { *out = dflt; return 0; }
    if (!PyMPIInfo_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "expected an Info, got '%.200s'", Py_TYPE(obj)->tp_name);
        return -1;
    }
    *out = H(obj);
    return 0;
}
