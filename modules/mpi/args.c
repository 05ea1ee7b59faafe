/* args.c: argument parsing and conversion shared by every method.
 *
 * Methods are METH_FASTCALL|METH_KEYWORDS. pympi_parse() copies positional arguments and matches
 * keywords against a static list; the common all-positional call does no string work at all. */
#include "pympi.h"

static int kw_index(const char *const *kwlist, PyObject *key)
{
    /* Keyword names are nearly always compact ASCII strings, whose data is a NUL-terminated C
     * string: strcmp() it directly (PyUnicode_CompareWithASCIIString is several times dearer).
     * Anything else (a non-ASCII name, a str subclass) takes the general comparison. */
    if (PyUnicode_CheckExact(key) && PyUnicode_IS_COMPACT_ASCII(key)) {
        const char *k = (const char *)PyUnicode_DATA(key);
        for (int i = 0; kwlist[i]; i++)
            if (k[0] == kwlist[i][0] && strcmp(k, kwlist[i]) == 0) return i;
        return -1;
    }
    for (int i = 0; kwlist[i]; i++)
        if (PyUnicode_CompareWithASCIIString(key, kwlist[i]) == 0) return i;
    return -1;
}

/* Keyword names of a call site come as one tuple, the same object at every call (a constant of
 * the calling code), so the parameter index of each name is worked out once per (tuple, method)
 * and remembered in a small direct-mapped table; the table holds a reference to the tuple, so
 * its address cannot be reused while the entry lives. */
#define KW_SLOTS 64
#define KW_MAX 8
static struct {
    PyObject *kwnames;
    const char *const *kwlist;
    signed char idx[KW_MAX];
} kw_cache[KW_SLOTS];

/* The parameter index of each name in kwnames (at most KW_MAX names), or NULL with TypeError for
 * a name that is not a parameter. */
static const signed char *kw_lookup(const char *fname, const char *const *kwlist, PyObject *kwnames)
{
    size_t h = ((size_t)(uintptr_t)kwnames >> 4) ^ ((size_t)(uintptr_t)kwlist >> 3);
    unsigned slot = (unsigned)((h * 0x9E3779B97F4A7C15u) >> 58);
    if (kw_cache[slot].kwnames == kwnames && kw_cache[slot].kwlist == kwlist) return kw_cache[slot].idx;
    Py_CLEAR(kw_cache[slot].kwnames); /* the entry is rewritten: forget the old tuple first */
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(kwnames); k++) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, k);
        int j = kw_index(kwlist, key);
        if (j < 0) {
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", fname, key);
            return NULL;
        }
        kw_cache[slot].idx[k] = (signed char)j;
    }
    kw_cache[slot].kwnames = Py_NewRef(kwnames);
    kw_cache[slot].kwlist = kwlist;
    return kw_cache[slot].idx;
}

int pympi_parse(const char *fname, const char *const *kwlist, Py_ssize_t nreq,
                PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames, PyObject **out)
{
    /* one pass: copy the positional arguments and clear the rest, counting the parameters */
    Py_ssize_t i;
    for (i = 0; i < nargs && kwlist[i]; i++) out[i] = args[i];
    if (i < nargs) {
        PyErr_Format(PyExc_TypeError, "%s() takes at most %zd positional arguments (%zd given)",
                     fname, i, nargs);
        return -1;
    }
    for (; kwlist[i]; i++) out[i] = NULL;
    if (!kwnames && nargs >= nreq) return 0; /* all positional: nothing more to check */
    if (kwnames) {
        Py_ssize_t nkw = PyTuple_GET_SIZE(kwnames);
        const signed char *idx = NULL;
        if (nkw <= KW_MAX && !(idx = kw_lookup(fname, kwlist, kwnames))) return -1;
        for (Py_ssize_t k = 0; k < nkw; k++) {
            PyObject *key = PyTuple_GET_ITEM(kwnames, k);
            int j = idx ? idx[k] : kw_index(kwlist, key);
            if (j < 0) {
                PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", fname, key);
                return -1;
            }
            if (out[j]) {
                PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'", fname,
                             kwlist[j]);
                return -1;
            }
            out[j] = args[nargs + k];
        }
    }
    for (i = 0; i < nreq; i++) {
        if (!out[i]) {
            PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s' (pos %zd)", fname,
                         kwlist[i], i + 1);
            return -1;
        }
    }
    return 0;
}

/* Integers: what mpi4py 3.1 (Cython) accepts: an int, any object with __index__, or any object
 * with __int__ (a float is truncated: comm.Send(buf, 1.0) works there); exact range checks;
 * TypeError for anything else (a str is not parsed). */
static int as_longlong(PyObject *obj, long long *v)
{
    PyObject *num;
    PyNumberMethods *nb = Py_TYPE(obj)->tp_as_number;
    if (PyLong_Check(obj)) num = Py_NewRef(obj);
    else if (PyIndex_Check(obj)) num = PyNumber_Index(obj);
    else if (nb && nb->nb_int) num = nb->nb_int(obj);
    else {
        PyErr_Format(PyExc_TypeError, "an integer is required, got '%.200s'", Py_TYPE(obj)->tp_name);
        return -1;
    }
    if (!num) return -1;
    if (!PyLong_Check(num)) {
        PyErr_Format(PyExc_TypeError, "__int__ returned non-int (type %.200s)", Py_TYPE(num)->tp_name);
        Py_DECREF(num);
        return -1;
    }
    int overflow = 0;
    *v = PyLong_AsLongLongAndOverflow(num, &overflow);
    Py_DECREF(num);
    if (*v == -1 && PyErr_Occurred()) return -1;
    if (overflow) {
        PyErr_SetString(PyExc_OverflowError, "integer out of range");
        return -1;
    }
    return 0;
}

#define RANGED_INT(fn, T, lo, hi)                                         \
    int fn(PyObject *obj, T dflt, T *out)                                 \
    {                                                                     \
        long long v;                                                      \
        if (!obj) { *out = dflt; return 0; }                              \
        if (!pympi_small_int(obj, &v) && as_longlong(obj, &v) < 0) return -1;   \
        if (v < (long long)(lo) || v > (long long)(hi)) {                 \
            PyErr_SetString(PyExc_OverflowError, "integer out of range"); \
            return -1;                                                    \
        }                                                                 \
        *out = (T)v;                                                      \
        return 0;                                                         \
    }
RANGED_INT(pympi_int_slow, int, INT_MIN, INT_MAX)
RANGED_INT(pympi_aint, MPI_Aint, PY_SSIZE_T_MIN, PY_SSIZE_T_MAX)
RANGED_INT(pympi_count, MPI_Count, LLONG_MIN, LLONG_MAX)
RANGED_INT(pympi_offset, MPI_Offset, LLONG_MIN, LLONG_MAX)

int pympi_bool(PyObject *obj, int dflt, int *out)
{
    if (!obj) { *out = dflt; return 0; }
    int v = PyObject_IsTrue(obj);
    if (v < 0) return -1;
    *out = v;
    return 0;
}

#define INT_ARRAY(fn, T, conv)                                                         \
    int fn(PyObject *seq, T **out, int *len, const char *what)                        \
    {                                                                                  \
        PyObject *fast = PySequence_Fast(seq, what);                                   \
        if (!fast) return -1;                                                          \
        Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);                                 \
        if (n > INT_MAX) { Py_DECREF(fast); PyErr_Format(PyExc_ValueError, "%s: too long", what); return -1; } \
        T *v = PyMem_Malloc(sizeof(T) * (size_t)(n ? n : 1));                         \
        if (!v) { Py_DECREF(fast); PyErr_NoMemory(); return -1; }                      \
        for (Py_ssize_t i = 0; i < n; i++) {                                           \
            if (conv(PySequence_Fast_GET_ITEM(fast, i), 0, &v[i]) < 0) {               \
                PyMem_Free(v); Py_DECREF(fast); return -1;                             \
            }                                                                          \
        }                                                                              \
        Py_DECREF(fast);                                                               \
        *out = v; *len = (int)n;                                                       \
        return 0;                                                                      \
    }
INT_ARRAY(pympi_int_array, int, pympi_int)
INT_ARRAY(pympi_aint_array, MPI_Aint, pympi_aint)

PyObject *pympi_int_list(const int *v, Py_ssize_t n)
{
    PyObject *list = PyList_New(n);
    if (!list) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyLong_FromLong(v[i]);
        if (!item) { Py_DECREF(list); return NULL; }
        PyList_SET_ITEM(list, i, item);
    }
    return list;
}

const char *pympi_str(PyObject *obj, const char *what)
{
    if (!PyUnicode_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s must be str, not '%.200s'", what, Py_TYPE(obj)->tp_name);
        return NULL;
    }
    return PyUnicode_AsUTF8(obj);
}
