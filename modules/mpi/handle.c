/* handle.c: what every handle class has in common, written once.
 *
 * A handle object is PyObject_HEAD, the MPI handle, then `unsigned flags` (pympi.h). Each family
 * registers a pympi_handle_kind describing its handle (size, NULL value, Fortran conversion);
 * from it this file provides the copy constructor Class(other), __bool__ (not the NULL handle),
 * == and != (same handle), __hash__ = None, py2f(), f2py() and weak references (a class with a
 * dealloc of its own clears them there). */
#include "pympi.h"

#define MAX_KINDS 16
static struct {
    PyTypeObject *type;
    const pympi_handle_kind *kind;
} kinds[MAX_KINDS];
static int nkinds;

static const pympi_handle_kind *kind_of(PyTypeObject *tp)
{
    for (; tp; tp = tp->tp_base)
        for (int i = 0; i < nkinds; i++)
            if (kinds[i].type == tp) return kinds[i].kind;
    return NULL;
}

static PyTypeObject *family_of(PyTypeObject *tp)
{
    for (; tp; tp = tp->tp_base)
        for (int i = 0; i < nkinds; i++)
            if (kinds[i].type == tp) return tp;
    return NULL;
}

#define HANDLE_PTR(o, k) ((char *)(o) + (k)->offset)

static unsigned *flags_ptr(PyObject *o, const pympi_handle_kind *k)
{
    /* flags follow the handle, aligned as the compiler lays out `T ob_mpi; unsigned flags;` */
    size_t off = k->offset + k->size;
    off = (off + _Alignof(unsigned) - 1) / _Alignof(unsigned) * _Alignof(unsigned);
    return (unsigned *)((char *)o + off);
}

PyObject *pympi_handle_new(PyTypeObject *tp, const void *handle, unsigned flags)
{
    const pympi_handle_kind *k = kind_of(tp);
    PyObject *o = tp->tp_alloc(tp, 0);
    if (!o) return NULL;
    memcpy(HANDLE_PTR(o, k), handle, k->size);
    *flags_ptr(o, k) = flags;
    return o;
}

/* Class(other=None): a new object with the NULL handle, or sharing other's handle (not owned). */
static PyObject *handle_tp_new(PyTypeObject *tp, PyObject *args, PyObject *kw)
{
    PyObject *other = NULL;
    static char *kwlist[] = {"obj", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O", kwlist, &other)) return NULL;
    const pympi_handle_kind *k = kind_of(tp);
    PyObject *o = tp->tp_alloc(tp, 0);
    if (!o) return NULL;
    memcpy(HANDLE_PTR(o, k), k->null, k->size);
    *flags_ptr(o, k) = 0;
    if (other && other != Py_None) {
        PyTypeObject *fam = family_of(tp);
        if (!PyObject_TypeCheck(other, fam)) {
            PyErr_Format(PyExc_TypeError, "expected %s, got %.200s", fam->tp_name, Py_TYPE(other)->tp_name);
            Py_DECREF(o);
            return NULL;
        }
        memcpy(HANDLE_PTR(o, k), HANDLE_PTR(other, k), k->size);
    }
    return o;
}

static int handle_bool(PyObject *self)
{
    const pympi_handle_kind *k = kind_of(Py_TYPE(self));
    return memcmp(HANDLE_PTR(self, k), k->null, k->size) != 0;
}

static PyObject *handle_richcompare(PyObject *self, PyObject *other, int op)
{
    PyTypeObject *fam = family_of(Py_TYPE(self));
    if ((op != Py_EQ && op != Py_NE) || !PyObject_TypeCheck(other, fam)) Py_RETURN_NOTIMPLEMENTED;
    const pympi_handle_kind *k = kind_of(fam);
    int same = memcmp(HANDLE_PTR(self, k), HANDLE_PTR(other, k), k->size) == 0;
    return PyBool_FromLong(op == Py_EQ ? same : !same);
}

PyObject *pympi_handle_py2f(PyObject *self, PyObject *unused)
{
    const pympi_handle_kind *k = kind_of(Py_TYPE(self));
    return PyLong_FromLong((long)k->c2f(HANDLE_PTR(self, k)));
}

/* MPICH's integer handles name their object kind in bits 26-29 (the family's null handle has
 * it too) and their handle kind in bits 30-31 (0 only for a null handle). MPICH does not check
 * either where it trusts a handle (MPI_Op_free of a stray integer fails an assertion), so a
 * Fortran integer that cannot be a handle of the family is refused here. */
static int plausible_handle(const pympi_handle_kind *k, const void *h)
{
#ifdef MPICH
    if (k->size == sizeof(unsigned)) {
        unsigned v, null;
        memcpy(&v, h, sizeof v);
        memcpy(&null, k->null, sizeof null);
        return v == null || ((v >> 26 & 0xfu) == (null >> 26 & 0xfu) && v >> 30 != 0);
    }
#endif
    return 1;
}

PyObject *pympi_handle_f2py(PyObject *cls, PyObject *arg)
{
    int f;
    if (pympi_int(arg, 0, &f) < 0) return NULL;
    PyTypeObject *tp = (PyTypeObject *)cls;
    const pympi_handle_kind *k = kind_of(tp);
    char h[32];
    k->f2c((MPI_Fint)f, h);
    if (!plausible_handle(k, h))
        return PyErr_Format(PyExc_ValueError, "%.200s.f2py: %d is not a Fortran handle of this class",
                            tp->tp_name, f);
    return pympi_handle_new(tp, h, 0);
}

static PyNumberMethods handle_as_number = {.nb_bool = handle_bool};

static void handle_dealloc(PyObject *self)
{
    PyObject_ClearWeakRefs(self);
    Py_TYPE(self)->tp_free(self);
}

void pympi_handle_type_init(PyTypeObject *tp, const pympi_handle_kind *kind)
{
    if (nkinds < MAX_KINDS) {
        kinds[nkinds].type = tp;
        kinds[nkinds].kind = kind;
        nkinds++;
    }
    tp->tp_weaklistoffset = (Py_ssize_t)kind->weakref;
    if (!tp->tp_dealloc) tp->tp_dealloc = handle_dealloc;
    if (!tp->tp_new) tp->tp_new = handle_tp_new;
    if (!tp->tp_as_number) tp->tp_as_number = &handle_as_number;
    if (!tp->tp_richcompare) tp->tp_richcompare = handle_richcompare;
    tp->tp_hash = PyObject_HashNotImplemented;
    if (!tp->tp_flags) tp->tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE;
}

/* ---- BOTTOM and IN_PLACE: int subclasses with a name ---------------------- */
PyObject *pympi_BOTTOM, *pympi_IN_PLACE;

static PyObject *marker_repr(PyObject *self)
{
    return PyUnicode_FromString(self == pympi_BOTTOM ? "BOTTOM" : "IN_PLACE");
}
static PyObject *marker_reduce(PyObject *self, PyObject *unused)
{
    return PyUnicode_FromString(self == pympi_BOTTOM ? "BOTTOM" : "IN_PLACE");
}
static PyMethodDef marker_methods[] = {{"__reduce__", marker_reduce, METH_NOARGS, NULL}, {NULL}};

static PyTypeObject Bottom_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI.Bottom",
    .tp_flags = Py_TPFLAGS_DEFAULT, .tp_repr = marker_repr, .tp_methods = marker_methods,
    .tp_doc = "Type of MPI.BOTTOM: the address zero, for absolute addresses in datatypes."};
static PyTypeObject InPlace_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI.InPlace",
    .tp_flags = Py_TPFLAGS_DEFAULT, .tp_repr = marker_repr, .tp_methods = marker_methods,
    .tp_doc = "Type of MPI.IN_PLACE: the receive buffer is also the send buffer."};

int pympi_is_bottom(PyObject *o) { return o == pympi_BOTTOM; }

static PyObject *make_marker(PyTypeObject *tp, void *addr)
{
    PyObject *v = PyLong_FromVoidPtr(addr);
    if (!v) return NULL;
    PyObject *o = PyObject_CallOneArg((PyObject *)tp, v);
    Py_DECREF(v);
    return o;
}

int pympi_init_handles(PyObject *m)
{
    Bottom_Type.tp_base = &PyLong_Type;
    InPlace_Type.tp_base = &PyLong_Type;
    if (PyType_Ready(&Bottom_Type) < 0 || PyType_Ready(&InPlace_Type) < 0) return -1;
    pympi_BOTTOM = make_marker(&Bottom_Type, MPI_BOTTOM);
    pympi_IN_PLACE = make_marker(&InPlace_Type, MPI_IN_PLACE);
    if (!pympi_BOTTOM || !pympi_IN_PLACE) return -1;
    Py_INCREF(&Bottom_Type);
    Py_INCREF(&InPlace_Type);
    if (PyModule_AddObject(m, "Bottom", (PyObject *)&Bottom_Type) < 0) return -1;
    if (PyModule_AddObject(m, "InPlace", (PyObject *)&InPlace_Type) < 0) return -1;
    Py_INCREF(pympi_BOTTOM);
    Py_INCREF(pympi_IN_PLACE);
    if (PyModule_AddObject(m, "BOTTOM", pympi_BOTTOM) < 0) return -1;
    return PyModule_AddObject(m, "IN_PLACE", pympi_IN_PLACE);
}

int pympi_add(PyObject *m, const char *name, PyObject *obj)
{
    if (!obj) return -1;
    return PyModule_AddObject(m, name, obj) < 0 ? (Py_DECREF(obj), -1) : 0;
}

/* Concatenate NULL-terminated method tables into one (lives as long as the module). */
PyMethodDef *pympi_methods_concat(const PyMethodDef *const *tables)
{
    size_t n = 0;
    for (const PyMethodDef *const *t = tables; *t; t++)
        for (const PyMethodDef *d = *t; d->ml_name; d++) n++;
    PyMethodDef *all = PyMem_Calloc(n + 1, sizeof(PyMethodDef));
    if (!all) return (PyMethodDef *)PyErr_NoMemory();
    n = 0;
    for (const PyMethodDef *const *t = tables; *t; t++)
        for (const PyMethodDef *d = *t; d->ml_name; d++) all[n++] = *d;
    return all;
}
