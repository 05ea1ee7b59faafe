/* group.c: MPI.Group: size/rank, rank translation, comparison, set operations (Union,
 * Intersection, Difference), subsets (Incl, Excl, Range_incl, Range_excl), Dup, Free;
 * GROUP_NULL and GROUP_EMPTY. Groups are released by Free() only. */
#include "pympi.h"

PYMPI_DEFINE_KIND(Group, MPI_Group, MPI_GROUP_NULL, MPI_Group);

#define H(o) (((PyMPIGroupObject *)(o))->ob_mpi)
#define FASTKW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS

/* A new owned group of class tp (the class of `self` for instance methods, `cls` for class
 * methods, so subclasses are preserved). */
static PyObject *group_result(PyTypeObject *tp, MPI_Group g)
{
    if (!PyType_IsSubtype(tp, &PyMPIGroup_Type)) tp = &PyMPIGroup_Type;
    PyObject *o = pympi_handle_new(tp, &g, PYMPI_OWNED);
    if (!o && g != MPI_GROUP_NULL && g != MPI_GROUP_EMPTY) MPI_Group_free(&g);
    return o;
}

/* The MPI handle of a Group argument, refusing the NULL group with MPI.Exception(ERR_GROUP)
 * before MPI sees it. */
static int group_arg(PyObject *obj, MPI_Group *out)
{
    if (pympi_as_group(obj, out) < 0) return -1;
    if (*out == MPI_GROUP_NULL) return pympi_raise(MPI_ERR_GROUP);
    return 0;
}

static PyObject *group_Free(PyObject *self, PyObject *u)
{
    PyMPIGroupObject *g = (PyMPIGroupObject *)self;
    MPI_Group tmp;
    if (g->ob_mpi == MPI_GROUP_NULL) { pympi_raise(MPI_ERR_GROUP); return NULL; }
    if (CHKERR(MPI_Group_free(PYMPI_FREE_TARGET(g, tmp)))) return NULL;
    Py_RETURN_NONE;
}

static PyObject *group_Get_size(PyObject *self, PyObject *u)
{
    int size = 0;
    if (H(self) == MPI_GROUP_NULL) { pympi_raise(MPI_ERR_GROUP); return NULL; }
    if (CHKERR(MPI_Group_size(H(self), &size))) return NULL;
    return PyLong_FromLong(size);
}

static PyObject *group_Get_rank(PyObject *self, PyObject *u)
{
    int rank = MPI_UNDEFINED;
    if (H(self) == MPI_GROUP_NULL) { pympi_raise(MPI_ERR_GROUP); return NULL; }
    if (CHKERR(MPI_Group_rank(H(self), &rank))) return NULL;
    return PyLong_FromLong(rank);
}

static PyObject *group_Translate_ranks(PyObject *cls, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"group1", "ranks1", "group2", NULL};
    PyObject *a[3];
    MPI_Group g1, g2 = MPI_GROUP_NULL;
    int *r1 = NULL, *r2 = NULL, n = 0, ierr;
    int world = 0;
    if (pympi_parse("Translate_ranks", kwlist, 2, args, nargs, kw, a) < 0) return NULL;
    if (group_arg(a[0], &g1) < 0) return NULL;
    if (a[2] && a[2] != Py_None) {
        if (group_arg(a[2], &g2) < 0) return NULL;
    } else world = 1;
    if (pympi_int_array(a[1], &r1, &n, "ranks1") < 0) return NULL;
    r2 = PyMem_Malloc(sizeof(int) * (size_t)(n ? n : 1));
    if (!r2) { PyMem_Free(r1); return PyErr_NoMemory(); }
    if (world && CHKERR(MPI_Comm_group(MPI_COMM_WORLD, &g2))) goto fail;
    ierr = MPI_Group_translate_ranks(g1, n, r1, g2, r2);
    if (world) MPI_Group_free(&g2);
    if (CHKERR(ierr)) goto fail;
    PyObject *res = pympi_int_list(r2, n);
    PyMem_Free(r1);
    PyMem_Free(r2);
    return res;
fail:
    PyMem_Free(r1);
    PyMem_Free(r2);
    return NULL;
}

static PyObject *group_Compare(PyObject *cls, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"group1", "group2", NULL};
    PyObject *a[2];
    MPI_Group g1, g2;
    int result = MPI_UNEQUAL;
    if (pympi_parse("Compare", kwlist, 2, args, nargs, kw, a) < 0) return NULL;
    if (group_arg(a[0], &g1) < 0 || group_arg(a[1], &g2) < 0) return NULL;
    if (CHKERR(MPI_Group_compare(g1, g2, &result))) return NULL;
    return PyLong_FromLong(result);
}

typedef int (*setop_fn)(MPI_Group, MPI_Group, MPI_Group *);

static PyObject *group_setop(const char *name, setop_fn fn, PyObject *cls, PyObject *const *args,
                             Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"group1", "group2", NULL};
    PyObject *a[2];
    MPI_Group g1, g2, g;
    if (pympi_parse(name, kwlist, 2, args, nargs, kw, a) < 0) return NULL;
    if (group_arg(a[0], &g1) < 0 || group_arg(a[1], &g2) < 0) return NULL;
    if (CHKERR(fn(g1, g2, &g))) return NULL;
    return group_result(PyType_Check(cls) ? (PyTypeObject *)cls : Py_TYPE(cls), g);
}

static PyObject *group_Union(PyObject *cls, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    return group_setop("Union", MPI_Group_union, cls, args, nargs, kw);
}

static PyObject *group_Intersection(PyObject *cls, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    return group_setop("Intersection", MPI_Group_intersection, cls, args, nargs, kw);
}

static PyObject *group_Difference(PyObject *cls, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    return group_setop("Difference", MPI_Group_difference, cls, args, nargs, kw);
}

typedef int (*subset_fn)(MPI_Group, int, const int *, MPI_Group *);

/* Incl/Excl: check the ranks here so a bad list is a ValueError naming the rank. */
static PyObject *group_subset(const char *name, int incl, PyObject *self, PyObject *const *args,
                              Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"ranks", NULL};
    PyObject *a[1];
    MPI_Group g;
    int *ranks = NULL, n = 0, size = 0, ierr;
    if (pympi_parse(name, kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    if (group_arg(self, &g) < 0) return NULL;
    if (pympi_int_array(a[0], &ranks, &n, "ranks") < 0) return NULL;
    if (CHKERR(MPI_Group_size(g, &size))) { PyMem_Free(ranks); return NULL; }
    for (int i = 0; i < n; i++) {
        if (ranks[i] < 0 || ranks[i] >= size) {
            PyErr_Format(PyExc_ValueError, "%s(): rank %d out of range for a group of size %d",
                         name, ranks[i], size);
            PyMem_Free(ranks);
            return NULL;
        }
        for (int j = 0; j < i; j++)
            if (ranks[j] == ranks[i]) {
                PyErr_Format(PyExc_ValueError, "%s(): rank %d given twice", name, ranks[i]);
                PyMem_Free(ranks);
                return NULL;
            }
    }
    MPI_Group ng;
    ierr = incl ? MPI_Group_incl(g, n, ranks, &ng) : MPI_Group_excl(g, n, ranks, &ng);
    PyMem_Free(ranks);
    if (CHKERR(ierr)) return NULL;
    return group_result(Py_TYPE(self), ng);
}

static PyObject *group_Incl(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    return group_subset("Incl", 1, self, args, nargs, kw);
}

static PyObject *group_Excl(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    return group_subset("Excl", 0, self, args, nargs, kw);
}

/* Range_incl/Range_excl: a sequence of (first, last, stride) triples. */
static PyObject *group_range(const char *name, int incl, PyObject *self, PyObject *const *args,
                             Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"ranks", NULL};
    PyObject *a[1];
    MPI_Group g, ng;
    int size = 0, ierr;
    if (pympi_parse(name, kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    if (group_arg(self, &g) < 0) return NULL;
    if (CHKERR(MPI_Group_size(g, &size))) return NULL;
    PyObject *fast = PySequence_Fast(a[0], "ranks must be a sequence of (first, last, stride)");
    if (!fast) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    if (n > INT_MAX) { Py_DECREF(fast); PyErr_SetString(PyExc_ValueError, "too many ranges"); return NULL; }
    int (*ranges)[3] = PyMem_Malloc(sizeof(int[3]) * (size_t)(n ? n : 1));
    if (!ranges) { Py_DECREF(fast); return PyErr_NoMemory(); }
    for (Py_ssize_t i = 0; i < n; i++) {
        int *t = NULL, len = 0;
        if (pympi_int_array(PySequence_Fast_GET_ITEM(fast, i), &t, &len, "each range must be a sequence") < 0)
            goto fail;
        if (len != 3) {
            PyMem_Free(t);
            PyErr_Format(PyExc_ValueError, "%s(): each range must be (first, last, stride), got %d items", name, len);
            goto fail;
        }
        memcpy(ranges[i], t, sizeof(int[3]));
        PyMem_Free(t);
        int first = ranges[i][0], last = ranges[i][1], stride = ranges[i][2];
        if (stride == 0 || first < 0 || first >= size || last < 0 || last >= size ||
            (stride > 0 && first > last) || (stride < 0 && first < last)) {
            PyErr_Format(PyExc_ValueError, "%s(): invalid range (%d, %d, %d) for a group of size %d",
                         name, first, last, stride, size);
            goto fail;
        }
    }
    Py_DECREF(fast);
    ierr = incl ? MPI_Group_range_incl(g, (int)n, ranges, &ng) : MPI_Group_range_excl(g, (int)n, ranges, &ng);
    PyMem_Free(ranges);
    if (CHKERR(ierr)) return NULL;
    return group_result(Py_TYPE(self), ng);
fail:
    Py_DECREF(fast);
    PyMem_Free(ranges);
    return NULL;
}

static PyObject *group_Range_incl(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    return group_range("Range_incl", 1, self, args, nargs, kw);
}

static PyObject *group_Range_excl(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    return group_range("Range_excl", 0, self, args, nargs, kw);
}

static PyObject *group_Dup(PyObject *self, PyObject *u)
{
    MPI_Group g, ng;
    if (group_arg(self, &g) < 0) return NULL;
    if (CHKERR(MPI_Group_union(g, MPI_GROUP_EMPTY, &ng))) return NULL;
    return group_result(Py_TYPE(self), ng);
}

static PyMethodDef group_methods[] = {
    {"Get_size", group_Get_size, METH_NOARGS, "Number of processes in the group."},
    {"Get_rank", group_Get_rank, METH_NOARGS, "Rank of this process in the group (UNDEFINED if not a member)."},
    {"Translate_ranks", FASTKW(group_Translate_ranks) | METH_CLASS,
     "Translate_ranks(group1, ranks1, group2=None): ranks of group1 in group2 (COMM_WORLD's group if None)."},
    {"Compare", FASTKW(group_Compare) | METH_CLASS, "Compare(group1, group2): IDENT, SIMILAR or UNEQUAL."},
    {"Union", FASTKW(group_Union) | METH_CLASS, "Union(group1, group2): the union of two groups."},
    {"Intersection", FASTKW(group_Intersection) | METH_CLASS, "Intersection(group1, group2): the intersection of two groups."},
    {"Intersect", FASTKW(group_Intersection) | METH_CLASS, "Alias of Intersection."},
    {"Difference", FASTKW(group_Difference) | METH_CLASS, "Difference(group1, group2): group1 minus group2."},
    {"Incl", FASTKW(group_Incl), "Incl(ranks): the group of the listed ranks, in that order."},
    {"Excl", FASTKW(group_Excl), "Excl(ranks): the group without the listed ranks."},
    {"Range_incl", FASTKW(group_Range_incl), "Range_incl(ranks): include ranges of (first, last, stride)."},
    {"Range_excl", FASTKW(group_Range_excl), "Range_excl(ranks): exclude ranges of (first, last, stride)."},
    {"Dup", group_Dup, METH_NOARGS, "Duplicate the group."},
    {"Free", group_Free, METH_NOARGS, "Free the group."},
    PYMPI_HANDLE_METHODS,
    {NULL}};

static PyObject *group_size(PyObject *self, void *c) { return group_Get_size(self, NULL); }
static PyObject *group_rank(PyObject *self, void *c) { return group_Get_rank(self, NULL); }

static PyGetSetDef group_getset[] = {
    {"size", group_size, NULL, "number of processes in the group", NULL},
    {"rank", group_rank, NULL, "rank of this process in the group", NULL},
    {NULL}};

PyTypeObject PyMPIGroup_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI.Group",
    .tp_basicsize = sizeof(PyMPIGroupObject),
    .tp_methods = group_methods,
    .tp_getset = group_getset,
    .tp_doc = "Group of processes."};

static int add_const(PyObject *m, const char *name, MPI_Group h)
{
    return pympi_add(m, name, pympi_handle_new(&PyMPIGroup_Type, &h, PYMPI_CONST));
}

int pympi_init_group(PyObject *m)
{
    pympi_handle_type_init(&PyMPIGroup_Type, &Group_kind);
    if (PyType_Ready(&PyMPIGroup_Type) < 0) return -1;
    Py_INCREF(&PyMPIGroup_Type);
    if (PyModule_AddObject(m, "Group", (PyObject *)&PyMPIGroup_Type) < 0) return -1;
    if (add_const(m, "GROUP_NULL", MPI_GROUP_NULL) < 0) return -1;
    if (add_const(m, "GROUP_EMPTY", MPI_GROUP_EMPTY) < 0) return -1;
    return 0;
}

PyObject *pympi_group_new(MPI_Group group) { return group_result(&PyMPIGroup_Type, group); }

int pympi_as_group(PyObject *obj, MPI_Group *out)
{
    if (!PyMPIGroup_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "expected a Group, got '%.200s'", Py_TYPE(obj)->tp_name);
        return -1;
    }
    *out = H(obj);
    return 0;
}
