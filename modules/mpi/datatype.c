/* datatype.c: MPI.Datatype, the predefined datatypes (datatypes.def), the typecode dictionaries
 * (_typedict, _typedict_c, _typedict_f, _typecode), derived-datatype constructors, envelope,
 * contents and decode(), Pack/Unpack (native and external32).
 *
 * Ownership: constructors return new handles, released by Free() only. The module constants
 * are PYMPI_CONST. Types from Create_f90_* and Match_size are predefined in the
 * MPI sense: never owned, never freed (MPICH corrupts its handle pool if they are).
 * Datatypes returned by Get_contents()/decode() are new MPI references (Free() them) when
 * derived, the module constant when named. */
#include "pympi.h"

PYMPI_DEFINE_KIND(Datatype, MPI_Datatype, MPI_DATATYPE_NULL, MPI_Type);

#define DT(o) (((PyMPIDatatypeObject *)(o))->ob_mpi)
#define FASTKW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS
#define FASTKW_CLASS(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS | METH_CLASS
#define ARGS PyObject *const *args, Py_ssize_t nargs, PyObject *kw

/* ---- the predefined datatypes ------------------------------------------------------------ */
enum { PYMPI_LANG_none = 0, PYMPI_LANG_C = 1, PYMPI_LANG_F = 2 };

static struct {
    MPI_Datatype handle;
    const char *name;
    const char *code; /* typecode (datatypes.def) */
    int lang;         /* PYMPI_LANG_* */
    PyObject *obj;    /* the module constant (shared by aliases) */
} predefined[] = {
#define PYMPI_DATATYPE(NAME, handle, code, lang) {handle, #NAME, code, PYMPI_LANG_##lang, NULL},
#include "datatypes.def"
#undef PYMPI_DATATYPE
};
#define NPREDEFINED ((int)(sizeof(predefined) / sizeof(predefined[0])))

/* Index of the canonical (first) line for a handle, or -1. */
static int predefined_index(MPI_Datatype t)
{
    for (int i = 0; i < NPREDEFINED; i++)
        if (predefined[i].handle == t) return i;
    return -1;
}

static int is_predefined_handle(MPI_Datatype t) { return predefined_index(t) >= 0; }

PyObject *pympi_datatype_new(MPI_Datatype type, unsigned flags)
{
    return pympi_handle_new(&PyMPIDatatype_Type, &type, flags);
}

PyObject *pympi_datatype_ref(MPI_Datatype type)
{
    int i = predefined_index(type);
    if (i >= 0 && predefined[i].obj) {
        Py_INCREF(predefined[i].obj);
        return predefined[i].obj;
    }
    return pympi_datatype_new(type, 0);
}

int pympi_as_datatype(PyObject *obj, MPI_Datatype *out)
{
    if (!PyMPIDatatype_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "expected a Datatype, got '%.200s'", Py_TYPE(obj)->tp_name);
        return -1;
    }
    *out = DT(obj);
    return 0;
}

/* The combiner of a type (MPI_COMBINER_NAMED for predefined handles), or -1 with an exception. */
static int get_combiner(MPI_Datatype t, int *ni, int *na, int *nd)
{
    int i = 0, a = 0, d = 0, combiner = MPI_UNDEFINED;
    if (CHKERR(MPI_Type_get_envelope(t, &i, &a, &d, &combiner))) return -1;
    if (ni) *ni = i;
    if (na) *na = a;
    if (nd) *nd = d;
    return combiner;
}

static int is_f90_combiner(int c)
{
    return c == MPI_COMBINER_F90_INTEGER || c == MPI_COMBINER_F90_REAL || c == MPI_COMBINER_F90_COMPLEX;
}

/* Wrap a type fresh from an MPI constructor (ierr is the constructor's return code). */
static PyObject *new_owned(int ierr, MPI_Datatype t)
{
    if (CHKERR(ierr)) return NULL;
    PyObject *o = pympi_datatype_new(t, PYMPI_OWNED);
    if (!o) MPI_Type_free(&t);
    return o;
}

/* Wrap a datatype handle that MPI_Type_get_contents returned (a new reference for derived
 * types, which we own; named and Fortran 90 types must not be freed). */
static PyObject *wrap_contents_type(MPI_Datatype t)
{
    if (is_predefined_handle(t)) return pympi_datatype_ref(t);
    int c = get_combiner(t, NULL, NULL, NULL);
    if (c < 0) return NULL;
    if (c == MPI_COMBINER_NAMED || is_f90_combiner(c)) return pympi_datatype_new(t, 0);
    return new_owned(MPI_SUCCESS, t);
}

/* ---- argument helpers ------------------------------------------------------------------- */
static int nonneg_int(PyObject *o, const char *what, int *out)
{
    if (pympi_int(o, 0, out) < 0) return -1;
    if (*out < 0) {
        PyErr_Format(PyExc_ValueError, "%s must be non-negative, got %d", what, *out);
        return -1;
    }
    return 0;
}

static int nonneg_count(PyObject *o, const char *what, MPI_Count *out)
{
    if (pympi_count(o, 0, out) < 0) return -1;
    if (*out < 0) {
        PyErr_Format(PyExc_ValueError, "%s must be non-negative, got %lld", what, (long long)*out);
        return -1;
    }
    return 0;
}

static int nonneg_ints(PyObject *seq, const char *what, int **out, int *n)
{
    if (pympi_int_array(seq, out, n, what) < 0) return -1;
    for (int i = 0; i < *n; i++)
        if ((*out)[i] < 0) {
            PyErr_Format(PyExc_ValueError, "%s must be non-negative, got %d at index %d", what, (*out)[i], i);
            PyMem_Free(*out);
            *out = NULL;
            return -1;
        }
    return 0;
}

static int same_length(const char *fname, const char *w1, int n1, const char *w2, int n2)
{
    if (n1 == n2) return 0;
    PyErr_Format(PyExc_ValueError, "%s: %s has %d items but %s has %d", fname, w1, n1, w2, n2);
    return -1;
}

/* ---- size and extent --------------------------------------------------------------------- */
/* Every buffer spec needs its datatype's extent; for a named (predefined) datatype MPI's answer
 * never changes and the handle is never freed, so it is cached by handle. A handle that is not
 * named can be freed and reused, but only by another datatype that is not named either: its
 * slot remembers that much, and the extents are asked of MPI each time. */
pympi_extent_slot pympi_extent_cache[64];

static int type_extents(MPI_Datatype t, pympi_extents *e)
{
    if (CHKERR(MPI_Type_get_extent_x(t, &e->lb, &e->extent)) ||
        CHKERR(MPI_Type_get_true_extent_x(t, &e->true_lb, &e->true_extent)))
        return -1;
    return 0;
}

/* The miss path of pympi_type_extents() (pympi.h). */
int pympi_type_extents_slow(MPI_Datatype t, pympi_extents *e)
{
    pympi_extent_slot *s = &pympi_extent_cache[PYMPI_EXTENT_SLOT(t)];
    if (s->state == 0 || s->type != t) {
        int ni, na, nd, combiner;
        if (CHKERR(MPI_Type_get_envelope(t, &ni, &na, &nd, &combiner))) return -1;
        if (combiner == MPI_COMBINER_NAMED && type_extents(t, &s->e) < 0) return -1;
        s->type = t;
        s->state = combiner == MPI_COMBINER_NAMED ? 1 : 2;
    }
    if (s->state == 2) return type_extents(t, e);
    *e = s->e;
    return 0;
}

static PyObject *datatype_Get_size(PyObject *self, PyObject *u)
{
    MPI_Count size = 0;
    if (CHKERR(MPI_Type_size_c(DT(self), &size))) return NULL;
    return PyLong_FromLongLong(size);
}

static PyObject *datatype_Get_extent(PyObject *self, PyObject *u)
{
    MPI_Count lb = 0, extent = 0;
    if (CHKERR(MPI_Type_get_extent_c(DT(self), &lb, &extent))) return NULL;
    return Py_BuildValue("(LL)", (long long)lb, (long long)extent);
}

static PyObject *datatype_Get_true_extent(PyObject *self, PyObject *u)
{
    MPI_Count lb = 0, extent = 0;
    if (CHKERR(MPI_Type_get_true_extent_c(DT(self), &lb, &extent))) return NULL;
    return Py_BuildValue("(LL)", (long long)lb, (long long)extent);
}

/* Getters: closure 0 lb, 1 ub, 2 extent; +3 for the true extent. */
static PyObject *datatype_bounds(PyObject *self, void *closure)
{
    intptr_t what = (intptr_t)closure;
    MPI_Count lb = 0, extent = 0;
    int ierr = what < 3 ? MPI_Type_get_extent_c(DT(self), &lb, &extent)
                        : MPI_Type_get_true_extent_c(DT(self), &lb, &extent);
    if (CHKERR(ierr)) return NULL;
    switch (what % 3) {
    case 0: return PyLong_FromLongLong(lb);
    case 1: return PyLong_FromLongLong(lb + extent);
    default: return PyLong_FromLongLong(extent);
    }
}

static PyObject *datatype_size(PyObject *self, void *c) { return datatype_Get_size(self, NULL); }

/* ---- management -------------------------------------------------------------------------- */
static PyObject *datatype_Commit(PyObject *self, PyObject *u)
{
    if (CHKERR(MPI_Type_commit(&DT(self)))) return NULL;
    Py_INCREF(self);
    return self;
}

static PyObject *datatype_Free(PyObject *self, PyObject *u)
{
    PyMPIDatatypeObject *d = (PyMPIDatatypeObject *)self;
    MPI_Datatype tmp;
    if (d->ob_mpi != MPI_DATATYPE_NULL && !is_predefined_handle(d->ob_mpi)) {
        /* MPI forbids freeing the Fortran 90 parameterized types; MPICH accepts it and later
         * corrupts its handle pool. Refuse as MPI does for named types. */
        int c = get_combiner(d->ob_mpi, NULL, NULL, NULL);
        if (c < 0) return NULL;
        if (is_f90_combiner(c)) {
            pympi_raise(MPI_ERR_TYPE);
            return NULL;
        }
    }
    if (CHKERR(MPI_Type_free(PYMPI_FREE_TARGET(d, tmp)))) return NULL;
    Py_RETURN_NONE;
}

static PyObject *datatype_Dup(PyObject *self, PyObject *u)
{
    MPI_Datatype t = MPI_DATATYPE_NULL;
    int ierr = MPI_Type_dup(DT(self), &t);
    return new_owned(ierr, t);
}

/* ---- constructors ------------------------------------------------------------------------ */
static PyObject *datatype_Create_contiguous(PyObject *self, ARGS)
{
    static const char *const kwlist[] = {"count", NULL};
    PyObject *a[1];
    int count;
    if (pympi_parse("Create_contiguous", kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    if (nonneg_int(a[0], "count", &count) < 0) return NULL;
    MPI_Datatype t = MPI_DATATYPE_NULL;
    int ierr = MPI_Type_contiguous(count, DT(self), &t);
    return new_owned(ierr, t);
}

static PyObject *vector_common(PyObject *self, ARGS, const char *fname, int bytes)
{
    static const char *const kwlist[] = {"count", "blocklength", "stride", NULL};
    PyObject *a[3];
    int count, blocklength, stride = 0;
    MPI_Aint hstride = 0;
    if (pympi_parse(fname, kwlist, 3, args, nargs, kw, a) < 0) return NULL;
    if (nonneg_int(a[0], "count", &count) < 0 || nonneg_int(a[1], "blocklength", &blocklength) < 0)
        return NULL;
    if (bytes ? pympi_aint(a[2], 0, &hstride) < 0 : pympi_int(a[2], 0, &stride) < 0) return NULL;
    MPI_Datatype t = MPI_DATATYPE_NULL;
    int ierr = bytes ? MPI_Type_create_hvector(count, blocklength, hstride, DT(self), &t)
                     : MPI_Type_vector(count, blocklength, stride, DT(self), &t);
    return new_owned(ierr, t);
}

static PyObject *datatype_Create_vector(PyObject *self, ARGS)
{
    return vector_common(self, args, nargs, kw, "Create_vector", 0);
}

static PyObject *datatype_Create_hvector(PyObject *self, ARGS)
{
    return vector_common(self, args, nargs, kw, "Create_hvector", 1);
}

static PyObject *indexed_common(PyObject *self, ARGS, const char *fname, int bytes)
{
    static const char *const kwlist[] = {"blocklengths", "displacements", NULL};
    PyObject *a[2], *result = NULL;
    int *bl = NULL, *di = NULL, nb = 0, nd = 0;
    MPI_Aint *da = NULL;
    if (pympi_parse(fname, kwlist, 2, args, nargs, kw, a) < 0) return NULL;
    if (nonneg_ints(a[0], "blocklengths", &bl, &nb) < 0) return NULL;
    if (bytes ? pympi_aint_array(a[1], &da, &nd, "displacements") < 0
              : pympi_int_array(a[1], &di, &nd, "displacements") < 0)
        goto done;
    if (same_length(fname, "blocklengths", nb, "displacements", nd) < 0) goto done;
    MPI_Datatype t = MPI_DATATYPE_NULL;
    int ierr = bytes ? MPI_Type_create_hindexed(nb, bl, da, DT(self), &t)
                     : MPI_Type_indexed(nb, bl, di, DT(self), &t);
    result = new_owned(ierr, t);
done:
    PyMem_Free(bl);
    PyMem_Free(di);
    PyMem_Free(da);
    return result;
}

static PyObject *datatype_Create_indexed(PyObject *self, ARGS)
{
    return indexed_common(self, args, nargs, kw, "Create_indexed", 0);
}

static PyObject *datatype_Create_hindexed(PyObject *self, ARGS)
{
    return indexed_common(self, args, nargs, kw, "Create_hindexed", 1);
}

static PyObject *indexed_block_common(PyObject *self, ARGS, const char *fname, int bytes)
{
    static const char *const kwlist[] = {"blocklength", "displacements", NULL};
    PyObject *a[2], *result = NULL;
    int blocklength, *di = NULL, nd = 0;
    MPI_Aint *da = NULL;
    if (pympi_parse(fname, kwlist, 2, args, nargs, kw, a) < 0) return NULL;
    if (nonneg_int(a[0], "blocklength", &blocklength) < 0) return NULL;
    if (bytes ? pympi_aint_array(a[1], &da, &nd, "displacements") < 0
              : pympi_int_array(a[1], &di, &nd, "displacements") < 0)
        return NULL;
    MPI_Datatype t = MPI_DATATYPE_NULL;
    int ierr = bytes ? MPI_Type_create_hindexed_block(nd, blocklength, da, DT(self), &t)
                     : MPI_Type_create_indexed_block(nd, blocklength, di, DT(self), &t);
    result = new_owned(ierr, t);
    PyMem_Free(di);
    PyMem_Free(da);
    return result;
}

static PyObject *datatype_Create_indexed_block(PyObject *self, ARGS)
{
    return indexed_block_common(self, args, nargs, kw, "Create_indexed_block", 0);
}

static PyObject *datatype_Create_hindexed_block(PyObject *self, ARGS)
{
    return indexed_block_common(self, args, nargs, kw, "Create_hindexed_block", 1);
}

static PyObject *datatype_Create_struct(PyObject *cls, ARGS)
{
    static const char *const kwlist[] = {"blocklengths", "displacements", "datatypes", NULL};
    PyObject *a[3], *result = NULL, *fast = NULL;
    int *bl = NULL, nb = 0, nd = 0;
    MPI_Aint *da = NULL;
    MPI_Datatype *types = NULL;
    if (pympi_parse("Create_struct", kwlist, 3, args, nargs, kw, a) < 0) return NULL;
    if (nonneg_ints(a[0], "blocklengths", &bl, &nb) < 0) return NULL;
    if (pympi_aint_array(a[1], &da, &nd, "displacements") < 0) goto done;
    if (same_length("Create_struct", "blocklengths", nb, "displacements", nd) < 0) goto done;
    fast = PySequence_Fast(a[2], "datatypes must be a sequence of Datatype");
    if (!fast) goto done;
    Py_ssize_t nt = PySequence_Fast_GET_SIZE(fast);
    if (same_length("Create_struct", "blocklengths", nb, "datatypes", (int)(nt > INT_MAX ? -1 : nt)) < 0)
        goto done;
    types = PyMem_Malloc(sizeof(MPI_Datatype) * (size_t)(nt ? nt : 1));
    if (!types) { PyErr_NoMemory(); goto done; }
    for (Py_ssize_t i = 0; i < nt; i++)
        if (pympi_as_datatype(PySequence_Fast_GET_ITEM(fast, i), &types[i]) < 0) goto done;
    MPI_Datatype t = MPI_DATATYPE_NULL;
    int ierr = MPI_Type_create_struct(nb, bl, da, types, &t);
    result = new_owned(ierr, t);
done:
    Py_XDECREF(fast);
    PyMem_Free(bl);
    PyMem_Free(da);
    PyMem_Free(types);
    return result;
}

static PyObject *datatype_Create_subarray(PyObject *self, ARGS)
{
    static const char *const kwlist[] = {"sizes", "subsizes", "starts", "order", NULL};
    PyObject *a[4], *result = NULL;
    int *sizes = NULL, *subsizes = NULL, *starts = NULL, n1 = 0, n2 = 0, n3 = 0, order;
    if (pympi_parse("Create_subarray", kwlist, 3, args, nargs, kw, a) < 0) return NULL;
    if (pympi_int(a[3], MPI_ORDER_C, &order) < 0) return NULL;
    if (nonneg_ints(a[0], "sizes", &sizes, &n1) < 0 || nonneg_ints(a[1], "subsizes", &subsizes, &n2) < 0 ||
        nonneg_ints(a[2], "starts", &starts, &n3) < 0)
        goto done;
    if (same_length("Create_subarray", "sizes", n1, "subsizes", n2) < 0 ||
        same_length("Create_subarray", "sizes", n1, "starts", n3) < 0)
        goto done;
    for (int k = 0; k < n1; k++)
        if ((long long)starts[k] + subsizes[k] > sizes[k]) {
            PyErr_Format(PyExc_ValueError, "Create_subarray: dimension %d: start %d + subsize %d exceeds size %d",
                         k, starts[k], subsizes[k], sizes[k]);
            goto done;
        }
    MPI_Datatype t = MPI_DATATYPE_NULL;
    int ierr = MPI_Type_create_subarray(n1, sizes, subsizes, starts, order, DT(self), &t);
    result = new_owned(ierr, t);
done:
    PyMem_Free(sizes);
    PyMem_Free(subsizes);
    PyMem_Free(starts);
    return result;
}

/* What MPI requires of darray arguments; MPICH does not check most of it and divides by zero or
 * crashes instead. */
static int check_darray(int size, int n, const int *gsizes, const int *distribs, const int *dargs,
                        const int *psizes)
{
    long long procs = 1;
    if (n < 1) {
        PyErr_SetString(PyExc_ValueError, "Create_darray: at least one dimension is required");
        return -1;
    }
    for (int k = 0; k < n; k++) {
        int d = distribs[k], a = dargs[k];
        if (psizes[k] < 1) {
            PyErr_Format(PyExc_ValueError, "Create_darray: psizes[%d] must be positive, got %d", k, psizes[k]);
            return -1;
        }
        if (d != MPI_DISTRIBUTE_BLOCK && d != MPI_DISTRIBUTE_CYCLIC && d != MPI_DISTRIBUTE_NONE) {
            PyErr_Format(PyExc_ValueError, "Create_darray: distribs[%d] must be DISTRIBUTE_BLOCK, "
                         "DISTRIBUTE_CYCLIC or DISTRIBUTE_NONE, got %d", k, d);
            return -1;
        }
        if (a != MPI_DISTRIBUTE_DFLT_DARG && a < 1) {
            PyErr_Format(PyExc_ValueError, "Create_darray: dargs[%d] must be positive or DISTRIBUTE_DFLT_DARG, got %d",
                         k, a);
            return -1;
        }
        if (d == MPI_DISTRIBUTE_NONE && psizes[k] != 1) {
            PyErr_Format(PyExc_ValueError, "Create_darray: psizes[%d] must be 1 with DISTRIBUTE_NONE", k);
            return -1;
        }
        if (d == MPI_DISTRIBUTE_BLOCK && a != MPI_DISTRIBUTE_DFLT_DARG && (long long)a * psizes[k] < gsizes[k]) {
            PyErr_Format(PyExc_ValueError, "Create_darray: dimension %d: block %d x %d processes < %d elements", k,
                         a, psizes[k], gsizes[k]);
            return -1;
        }
        procs *= psizes[k];
        if (procs > size) break;
    }
    if (procs != size) {
        PyErr_Format(PyExc_ValueError, "Create_darray: the product of psizes must be size (%d)", size);
        return -1;
    }
    return 0;
}

static PyObject *datatype_Create_darray(PyObject *self, ARGS)
{
    static const char *const kwlist[] = {"size", "rank", "gsizes", "distribs", "dargs", "psizes",
                                         "order", NULL};
    PyObject *a[7], *result = NULL;
    int size, rank, order, *gsizes = NULL, *distribs = NULL, *dargs = NULL, *psizes = NULL;
    int n1 = 0, n2 = 0, n3 = 0, n4 = 0;
    if (pympi_parse("Create_darray", kwlist, 6, args, nargs, kw, a) < 0) return NULL;
    if (pympi_int(a[0], 0, &size) < 0 || pympi_int(a[1], 0, &rank) < 0 ||
        pympi_int(a[6], MPI_ORDER_C, &order) < 0)
        return NULL;
    if (size <= 0 || rank < 0 || rank >= size) {
        PyErr_Format(PyExc_ValueError, "Create_darray: need 0 <= rank < size, got rank %d, size %d", rank, size);
        return NULL;
    }
    if (nonneg_ints(a[2], "gsizes", &gsizes, &n1) < 0 || pympi_int_array(a[3], &distribs, &n2, "distribs") < 0 ||
        pympi_int_array(a[4], &dargs, &n3, "dargs") < 0 || nonneg_ints(a[5], "psizes", &psizes, &n4) < 0)
        goto done;
    if (same_length("Create_darray", "gsizes", n1, "distribs", n2) < 0 ||
        same_length("Create_darray", "gsizes", n1, "dargs", n3) < 0 ||
        same_length("Create_darray", "gsizes", n1, "psizes", n4) < 0 ||
        check_darray(size, n1, gsizes, distribs, dargs, psizes) < 0)
        goto done;
    MPI_Datatype t = MPI_DATATYPE_NULL;
    int ierr = MPI_Type_create_darray(size, rank, n1, gsizes, distribs, dargs, psizes, order, DT(self), &t);
    result = new_owned(ierr, t);
done:
    PyMem_Free(gsizes);
    PyMem_Free(distribs);
    PyMem_Free(dargs);
    PyMem_Free(psizes);
    return result;
}

static PyObject *datatype_Create_resized(PyObject *self, ARGS)
{
    static const char *const kwlist[] = {"lb", "extent", NULL};
    PyObject *a[2];
    MPI_Aint lb, extent;
    if (pympi_parse("Create_resized", kwlist, 2, args, nargs, kw, a) < 0) return NULL;
    if (pympi_aint(a[0], 0, &lb) < 0 || pympi_aint(a[1], 0, &extent) < 0) return NULL;
    MPI_Datatype t = MPI_DATATYPE_NULL;
    int ierr = MPI_Type_create_resized(DT(self), lb, extent, &t);
    return new_owned(ierr, t);
}

/* Fortran 90 parameterized types and Match_size: predefined, never owned. */
static PyObject *f90_common(ARGS, const char *fname, int combiner)
{
    static const char *const kw_r[] = {"r", NULL}, *const kw_pr[] = {"p", "r", NULL};
    int two = combiner != MPI_COMBINER_F90_INTEGER;
    PyObject *a[2];
    int p = 0, r = 0, ierr;
    if (pympi_parse(fname, two ? kw_pr : kw_r, two ? 2 : 1, args, nargs, kw, a) < 0) return NULL;
    if (two ? (pympi_int(a[0], 0, &p) < 0 || pympi_int(a[1], 0, &r) < 0) : pympi_int(a[0], 0, &r) < 0)
        return NULL;
    MPI_Datatype t = MPI_DATATYPE_NULL;
    if (combiner == MPI_COMBINER_F90_INTEGER) ierr = MPI_Type_create_f90_integer(r, &t);
    else if (combiner == MPI_COMBINER_F90_REAL) ierr = MPI_Type_create_f90_real(p, r, &t);
    else ierr = MPI_Type_create_f90_complex(p, r, &t);
    if (CHKERR(ierr)) return NULL;
    return pympi_datatype_ref(t);
}

static PyObject *datatype_Create_f90_integer(PyObject *cls, ARGS)
{
    return f90_common(args, nargs, kw, "Create_f90_integer", MPI_COMBINER_F90_INTEGER);
}

static PyObject *datatype_Create_f90_real(PyObject *cls, ARGS)
{
    return f90_common(args, nargs, kw, "Create_f90_real", MPI_COMBINER_F90_REAL);
}

static PyObject *datatype_Create_f90_complex(PyObject *cls, ARGS)
{
    return f90_common(args, nargs, kw, "Create_f90_complex", MPI_COMBINER_F90_COMPLEX);
}

static PyObject *datatype_Match_size(PyObject *cls, ARGS)
{
    static const char *const kwlist[] = {"typeclass", "size", NULL};
    PyObject *a[2];
    int typeclass, size;
    if (pympi_parse("Match_size", kwlist, 2, args, nargs, kw, a) < 0) return NULL;
    if (pympi_int(a[0], 0, &typeclass) < 0 || pympi_int(a[1], 0, &size) < 0) return NULL;
    MPI_Datatype t = MPI_DATATYPE_NULL;
    if (CHKERR(MPI_Type_match_size(typeclass, size, &t))) return NULL;
    return pympi_datatype_ref(t);
}

/* ---- envelope, contents, decode ---------------------------------------------------------- */
static PyObject *datatype_Get_envelope(PyObject *self, PyObject *u)
{
    int ni = 0, na = 0, nd = 0;
    int c = get_combiner(DT(self), &ni, &na, &nd);
    if (c < 0) return NULL;
    return Py_BuildValue("(iiii)", ni, na, nd, c);
}

/* Raw contents: arrays the caller PyMem_Frees, datatypes wrapped as Python objects. */
typedef struct {
    int combiner, ni, na, nd;
    int *i;
    MPI_Aint *a;
    PyObject *d; /* list of Datatype */
} contents_t;

static void contents_clear(contents_t *c)
{
    PyMem_Free(c->i);
    PyMem_Free(c->a);
    Py_CLEAR(c->d);
}

static int contents_get(MPI_Datatype t, contents_t *c)
{
    memset(c, 0, sizeof(*c));
    c->combiner = get_combiner(t, &c->ni, &c->na, &c->nd);
    if (c->combiner < 0) return -1;
    MPI_Datatype *d = NULL;
    c->i = PyMem_Malloc(sizeof(int) * (size_t)(c->ni + 1));
    c->a = PyMem_Malloc(sizeof(MPI_Aint) * (size_t)(c->na + 1));
    d = PyMem_Malloc(sizeof(MPI_Datatype) * (size_t)(c->nd + 1));
    if (!c->i || !c->a || !d) {
        PyMem_Free(d);
        contents_clear(c);
        PyErr_NoMemory();
        return -1;
    }
    if (CHKERR(MPI_Type_get_contents(t, c->ni, c->na, c->nd, c->i, c->a, d))) {
        PyMem_Free(d);
        contents_clear(c);
        return -1;
    }
    /* Wrap every handle first so each new MPI reference has an owner, even on error. */
    c->d = PyList_New(c->nd);
    for (int k = 0; k < c->nd; k++) {
        PyObject *o = c->d ? wrap_contents_type(d[k]) : NULL;
        if (!o) {
            if (!is_predefined_handle(d[k]) && pympi_mpi_active()) {
                int comb = MPI_UNDEFINED, x;
                MPI_Type_get_envelope(d[k], &x, &x, &x, &comb);
                if (comb != MPI_COMBINER_NAMED && !is_f90_combiner(comb)) MPI_Type_free(&d[k]);
            }
            continue;
        }
        PyList_SET_ITEM(c->d, k, o);
    }
    PyMem_Free(d);
    if (!c->d || PyErr_Occurred()) {
        contents_clear(c);
        return -1;
    }
    return 0;
}

static PyObject *aint_list(const MPI_Aint *v, Py_ssize_t n)
{
    PyObject *list = PyList_New(n);
    if (!list) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyLong_FromSsize_t(v[i]);
        if (!item) { Py_DECREF(list); return NULL; }
        PyList_SET_ITEM(list, i, item);
    }
    return list;
}

static PyObject *datatype_Get_contents(PyObject *self, PyObject *u)
{
    contents_t c;
    if (contents_get(DT(self), &c) < 0) return NULL;
    PyObject *li = pympi_int_list(c.i, c.ni), *la = aint_list(c.a, c.na);
    PyObject *r = li && la ? PyTuple_Pack(3, li, la, c.d) : NULL;
    Py_XDECREF(li);
    Py_XDECREF(la);
    contents_clear(&c);
    return r;
}

static const struct { int combiner; const char *name; } combiner_names[] = {
    {MPI_COMBINER_NAMED, "NAMED"}, {MPI_COMBINER_DUP, "DUP"},
    {MPI_COMBINER_CONTIGUOUS, "CONTIGUOUS"}, {MPI_COMBINER_VECTOR, "VECTOR"},
    {MPI_COMBINER_HVECTOR, "HVECTOR"}, {MPI_COMBINER_INDEXED, "INDEXED"},
    {MPI_COMBINER_HINDEXED, "HINDEXED"}, {MPI_COMBINER_INDEXED_BLOCK, "INDEXED_BLOCK"},
    {MPI_COMBINER_HINDEXED_BLOCK, "HINDEXED_BLOCK"}, {MPI_COMBINER_STRUCT, "STRUCT"},
    {MPI_COMBINER_SUBARRAY, "SUBARRAY"}, {MPI_COMBINER_DARRAY, "DARRAY"},
    {MPI_COMBINER_RESIZED, "RESIZED"}, {MPI_COMBINER_F90_INTEGER, "F90_INTEGER"},
    {MPI_COMBINER_F90_REAL, "F90_REAL"}, {MPI_COMBINER_F90_COMPLEX, "F90_COMPLEX"}};

/* Set params[key] = value, stealing value. */
static int put(PyObject *params, const char *key, PyObject *value)
{
    if (!value) return -1;
    int r = PyDict_SetItemString(params, key, value);
    Py_DECREF(value);
    return r;
}

/* decode() -> (basetype, combiner name, params): basetype.Create_<name lower>(**params) rebuilds
 * the type (for STRUCT and F90_* the first item is the Datatype class, whose classmethods do).
 * Named types decode to (self, 'NAMED', {}). */
static PyObject *datatype_decode(PyObject *self, PyObject *u)
{
    contents_t c;
    int comb = get_combiner(DT(self), NULL, NULL, NULL);
    if (comb < 0) return NULL;
    const char *name = NULL;
    for (size_t k = 0; k < sizeof(combiner_names) / sizeof(combiner_names[0]); k++)
        if (combiner_names[k].combiner == comb) name = combiner_names[k].name;
    if (!name) return PyErr_Format(PyExc_ValueError, "decode: unknown combiner %d", comb);
    /* a named type decodes to itself (mpi4py 3.1): there is no constructor to call */
    if (comb == MPI_COMBINER_NAMED) return Py_NewRef(self);
    if (contents_get(DT(self), &c) < 0) return NULL;
    PyObject *params = PyDict_New(), *base = NULL, *result = NULL;
    if (!params) goto done;
    const int *i = c.i;
    const MPI_Aint *a = c.a;
    int r = 0;
    if (comb == MPI_COMBINER_STRUCT || is_f90_combiner(comb)) base = (PyObject *)&PyMPIDatatype_Type;
    else if (c.nd >= 1) base = PyList_GET_ITEM(c.d, 0);
    else { PyErr_Format(PyExc_ValueError, "decode: no base datatype for combiner %s", name); goto done; }
    Py_INCREF(base);
    switch (comb) {
    case MPI_COMBINER_DUP: break;
    case MPI_COMBINER_CONTIGUOUS: r = put(params, "count", PyLong_FromLong(i[0])); break;
    case MPI_COMBINER_VECTOR:
        r = put(params, "count", PyLong_FromLong(i[0])) || put(params, "blocklength", PyLong_FromLong(i[1])) ||
            put(params, "stride", PyLong_FromLong(i[2]));
        break;
    case MPI_COMBINER_HVECTOR:
        r = put(params, "count", PyLong_FromLong(i[0])) || put(params, "blocklength", PyLong_FromLong(i[1])) ||
            put(params, "stride", PyLong_FromSsize_t(a[0]));
        break;
    case MPI_COMBINER_INDEXED:
        r = put(params, "blocklengths", pympi_int_list(i + 1, i[0])) ||
            put(params, "displacements", pympi_int_list(i + 1 + i[0], i[0]));
        break;
    case MPI_COMBINER_HINDEXED:
        r = put(params, "blocklengths", pympi_int_list(i + 1, i[0])) ||
            put(params, "displacements", aint_list(a, i[0]));
        break;
    case MPI_COMBINER_INDEXED_BLOCK:
        r = put(params, "blocklength", PyLong_FromLong(i[1])) ||
            put(params, "displacements", pympi_int_list(i + 2, i[0]));
        break;
    case MPI_COMBINER_HINDEXED_BLOCK:
        r = put(params, "blocklength", PyLong_FromLong(i[1])) || put(params, "displacements", aint_list(a, i[0]));
        break;
    case MPI_COMBINER_STRUCT:
        Py_INCREF(c.d);
        r = put(params, "blocklengths", pympi_int_list(i + 1, i[0])) ||
            put(params, "displacements", aint_list(a, i[0])) || put(params, "datatypes", c.d);
        break;
    case MPI_COMBINER_SUBARRAY:
        r = put(params, "sizes", pympi_int_list(i + 1, i[0])) ||
            put(params, "subsizes", pympi_int_list(i + 1 + i[0], i[0])) ||
            put(params, "starts", pympi_int_list(i + 1 + 2 * i[0], i[0])) ||
            put(params, "order", PyLong_FromLong(i[1 + 3 * i[0]]));
        break;
    case MPI_COMBINER_DARRAY:
        r = put(params, "size", PyLong_FromLong(i[0])) || put(params, "rank", PyLong_FromLong(i[1])) ||
            put(params, "gsizes", pympi_int_list(i + 3, i[2])) ||
            put(params, "distribs", pympi_int_list(i + 3 + i[2], i[2])) ||
            put(params, "dargs", pympi_int_list(i + 3 + 2 * i[2], i[2])) ||
            put(params, "psizes", pympi_int_list(i + 3 + 3 * i[2], i[2])) ||
            put(params, "order", PyLong_FromLong(i[3 + 4 * i[2]]));
        break;
    case MPI_COMBINER_RESIZED:
        r = put(params, "lb", PyLong_FromSsize_t(a[0])) || put(params, "extent", PyLong_FromSsize_t(a[1]));
        break;
    case MPI_COMBINER_F90_INTEGER: r = put(params, "r", PyLong_FromLong(i[0])); break;
    case MPI_COMBINER_F90_REAL:
    case MPI_COMBINER_F90_COMPLEX:
        r = put(params, "p", PyLong_FromLong(i[0])) || put(params, "r", PyLong_FromLong(i[1]));
        break;
    }
    if (r) goto done;
    result = Py_BuildValue("(OsO)", base, name, params);
done:
    Py_XDECREF(base);
    Py_XDECREF(params);
    contents_clear(&c);
    return result;
}

static PyObject *datatype_envelope(PyObject *self, void *c) { return datatype_Get_envelope(self, NULL); }
static PyObject *datatype_contents(PyObject *self, void *c) { return datatype_Get_contents(self, NULL); }

static PyObject *datatype_combiner(PyObject *self, void *c)
{
    int comb = get_combiner(DT(self), NULL, NULL, NULL);
    return comb < 0 ? NULL : PyLong_FromLong(comb);
}

static PyObject *datatype_is_named(PyObject *self, void *c)
{
    if (DT(self) == MPI_DATATYPE_NULL) Py_RETURN_FALSE;
    int comb = get_combiner(DT(self), NULL, NULL, NULL);
    return comb < 0 ? NULL : PyBool_FromLong(comb == MPI_COMBINER_NAMED);
}

static PyObject *datatype_is_predefined(PyObject *self, void *c)
{
    if (DT(self) == MPI_DATATYPE_NULL) Py_RETURN_TRUE;
    int comb = get_combiner(DT(self), NULL, NULL, NULL);
    return comb < 0 ? NULL : PyBool_FromLong(comb == MPI_COMBINER_NAMED || is_f90_combiner(comb));
}

/* ---- names ------------------------------------------------------------------------------- */
static PyObject *datatype_Get_name(PyObject *self, PyObject *u)
{
    char name[MPI_MAX_OBJECT_NAME + 1] = "";
    int len = 0;
    if (CHKERR(MPI_Type_get_name(DT(self), name, &len))) return NULL;
    return PyUnicode_FromStringAndSize(name, len);
}

static int set_name(PyObject *self, PyObject *value)
{
    if (!value) {
        PyErr_SetString(PyExc_TypeError, "cannot delete the name");
        return -1;
    }
    const char *s = pympi_str(value, "name");
    if (!s) return -1;
    return CHKERR(MPI_Type_set_name(DT(self), s)) ? -1 : 0;
}

static PyObject *datatype_Set_name(PyObject *self, ARGS)
{
    static const char *const kwlist[] = {"name", NULL};
    PyObject *a[1];
    if (pympi_parse("Set_name", kwlist, 1, args, nargs, kw, a) < 0 || set_name(self, a[0]) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *datatype_name_get(PyObject *self, void *c) { return datatype_Get_name(self, NULL); }
static int datatype_name_set(PyObject *self, PyObject *v, void *c) { return set_name(self, v); }

/* ---- typecodes --------------------------------------------------------------------------- */
/* NumPy kind of a typecode: 'b' bool, 'i' signed, 'u' unsigned, 'f' float, 'c' complex,
 * 'S' character, 'U' wide character; 0 for none. */
static char code_kind(const char *code)
{
    if (!code || !code[0]) return 0;
    if (!code[1]) {
        switch (code[0]) {
        case '?': return 'b';
        case 'b': case 'h': case 'i': case 'l': case 'q': case 'p': return 'i';
        case 'B': case 'H': case 'I': case 'L': case 'Q': return 'u';
        case 'f': case 'd': case 'g': return 'f';
        case 'F': case 'D': case 'G': return 'c';
        case 'c': return 'S';
        case 'U': return 'U';
        default: return 0;
        }
    }
    if (code[0] == '?') return 'b';
    return strchr("iufc", code[0]) ? code[0] : 0;
}

static const char *handle_code(MPI_Datatype t)
{
    int i = predefined_index(t);
    return i >= 0 ? predefined[i].code : NULL;
}

/* NumPy array-interface typestr of a datatype into buf; returns its NumPy kind (0 for void). */
static int datatype_typestr_buf(MPI_Datatype t, char *buf, size_t n, char *kind_out)
{
    static const int one = 1;
    const char order = *(const char *)&one ? '<' : '>';
    MPI_Count size = 0, lb = 0, extent = 0;
    *kind_out = 0;
    if (t == MPI_DATATYPE_NULL) { buf[0] = 0; return 0; }
    if (CHKERR(MPI_Type_size_c(t, &size))) return -1;
    char kind = code_kind(handle_code(t));
    if (kind == 'b' && size != 1) kind = 0;       /* e.g. Fortran LOGICAL: no NumPy type */
    if (kind == 'U' && (size % 4)) kind = 0;
    if (kind == 'S') snprintf(buf, n, "|S%lld", (long long)size);
    else if (kind == 'U') snprintf(buf, n, "%cU%lld", order, (long long)size / 4);
    else if (kind) snprintf(buf, n, "%c%c%lld", size == 1 ? '|' : order, kind, (long long)size);
    else {
        if (CHKERR(MPI_Type_get_extent_c(t, &lb, &extent))) return -1;
        snprintf(buf, n, "|V%lld", (long long)extent);
    }
    *kind_out = kind;
    return 0;
}

static PyObject *datatype_typestr(PyObject *self, void *c)
{
    char buf[64], kind;
    if (datatype_typestr_buf(DT(self), buf, sizeof buf, &kind) < 0) return NULL;
    return PyUnicode_FromString(buf);
}

/* NumPy type character: the single-character code of the type, or the character of the C type
 * of the same kind and size for sized codes ('i4' -> 'i', 'u8' -> 'L'), 'V' otherwise. */
static PyObject *datatype_typechar(PyObject *self, void *c)
{
    char buf[64], kind;
    MPI_Datatype t = DT(self);
    if (t == MPI_DATATYPE_NULL) return PyUnicode_FromString("");
    if (datatype_typestr_buf(t, buf, sizeof buf, &kind) < 0) return NULL;
    if (!kind) return PyUnicode_FromString("V");
    const char *code = handle_code(t);
    if (!code[1]) return PyUnicode_FromStringAndSize(code, 1);
    MPI_Count size = 0, s = 0;
    if (CHKERR(MPI_Type_size_c(t, &size))) return NULL;
    if (kind == 'f' && size == 2) return PyUnicode_FromString("e");
    for (int i = 0; i < NPREDEFINED; i++) {
        const char *pc = predefined[i].code;
        if (predefined[i].lang != PYMPI_LANG_C || !pc || pc[1] || code_kind(pc) != kind) continue;
        if (predefined[i].handle == MPI_DATATYPE_NULL || predefined_index(predefined[i].handle) != i) continue;
        if (CHKERR(MPI_Type_size_c(predefined[i].handle, &s))) return NULL;
        if (s == size) return PyUnicode_FromStringAndSize(pc, 1);
    }
    return PyUnicode_FromString("V");
}

static PyObject *mod_typecode(PyObject *m, ARGS)
{
    static const char *const kwlist[] = {"datatype", NULL};
    PyObject *a[1];
    MPI_Datatype t;
    if (pympi_parse("_typecode", kwlist, 1, args, nargs, kw, a) < 0 || pympi_as_datatype(a[0], &t) < 0)
        return NULL;
    const char *code = t == MPI_DATATYPE_NULL ? NULL : handle_code(t);
    if (!code) Py_RETURN_NONE;
    return PyUnicode_FromString(code);
}

/* ---- Pack / Unpack ----------------------------------------------------------------------- */
static int is_spec(PyObject *o) { return PyList_Check(o) || PyTuple_Check(o) || o == Py_None; }

/* The typed side of Pack/Unpack. A buffer spec ([buf, count, datatype], ...) is parsed by
 * pympi_msg_get. A plain buffer object holds as many whole elements of `type` as fit in it
 * (mpi4py: nbytes // extent), counting the true extent of the last one so MPI never touches
 * memory outside the buffer. */
static int typed_buffer(PyObject *spec, MPI_Datatype type, int role, pympi_msg *m)
{
    if (is_spec(spec)) return pympi_msg_get(spec, role, m);
    MPI_Count lb = 0, extent = 0, tlb = 0, textent = 0;
    if (CHKERR(MPI_Type_get_extent_c(type, &lb, &extent))) return -1;
    if (CHKERR(MPI_Type_get_true_extent_c(type, &tlb, &textent))) return -1;
    if (pympi_getbuffer(spec, &m->view, role == PYMPI_RECV) < 0) return -1;
    MPI_Count len = m->view.len, count = 0;
    if (tlb < 0) {
        pympi_msg_release(m);
        PyErr_SetString(PyExc_ValueError, "datatype has a negative true lower bound: use a buffer spec with MPI.BOTTOM");
        return -1;
    }
    if (extent > 0 && len >= tlb + textent) {
        count = (len - tlb - textent) / extent + 1;
        if (count > len / extent) count = len / extent;
    }
    m->addr = m->view.buf;
    m->type = type;
    m->count = count;
    return 0;
}

/* The packed side: a plain buffer is all its bytes; a spec counts elements of its datatype. */
static int packed_buffer(PyObject *spec, int role, pympi_msg *m, MPI_Count *nbytes)
{
    if (is_spec(spec)) {
        if (pympi_msg_get(spec, role, m) < 0) return -1;
        MPI_Count lb = 0, extent = 0;
        if (CHKERR(MPI_Type_get_extent_c(m->type, &lb, &extent))) { pympi_msg_release(m); return -1; }
        *nbytes = m->count * extent;
        if (m->view.obj) {
            MPI_Count avail = m->view.len - ((char *)m->addr - (char *)m->view.buf);
            if (*nbytes > avail) *nbytes = avail;
        }
        if (*nbytes < 0) *nbytes = 0;
        return 0;
    }
    if (pympi_getbuffer(spec, &m->view, role == PYMPI_RECV) < 0) return -1;
    m->addr = m->view.buf;
    m->count = *nbytes = m->view.len;
    m->type = MPI_BYTE;
    return 0;
}

static int check_room(const char *fname, MPI_Count position, MPI_Count need, MPI_Count size)
{
    if (position < 0) {
        PyErr_Format(PyExc_ValueError, "%s: position must be non-negative, got %lld", fname, (long long)position);
        return -1;
    }
    if (position > size || need > size - position) {
        PyErr_Format(PyExc_ValueError, "%s: %lld bytes at position %lld do not fit in a buffer of %lld bytes",
                     fname, (long long)need, (long long)position, (long long)size);
        return -1;
    }
    return 0;
}

static const char *get_datarep(PyObject *o)
{
    const char *s = pympi_str(o, "datarep");
    if (s && strcmp(s, "external32") != 0) {
        PyErr_Format(PyExc_ValueError, "unsupported data representation '%s' (only 'external32')", s);
        return NULL;
    }
    return s;
}

/* Whether a type's typemap holds one basic datatype only (a pair type, MPI_DOUBLE_INT ...,
 * counts as one basic type if pairs is set). Walks the type's constructors; *basic is the one
 * basic type seen so far (MPI_DATATYPE_NULL at first). Returns 1 for one, 0 for several, -1 on
 * error. MPICH 4.0 crashes on mixed types where MPI requires one: external32 (an illegal
 * instruction in Pack_external_size, pair types included) and RMA accumulate (an abort). */
static int single_basic_type(MPI_Datatype t, MPI_Datatype *basic, int pairs)
{
    int ni, na, nd, combiner;
    if (!pairs && (t == MPI_FLOAT_INT || t == MPI_DOUBLE_INT || t == MPI_LONG_INT || t == MPI_SHORT_INT ||
                   t == MPI_LONG_DOUBLE_INT))
        return 0;
    if (CHKERR(MPI_Type_get_envelope(t, &ni, &na, &nd, &combiner))) return -1;
    if (combiner == MPI_COMBINER_NAMED || nd == 0) {
        if (*basic == MPI_DATATYPE_NULL) *basic = t;
        return *basic == t;
    }
    int *ints = PyMem_Malloc(sizeof(int) * (size_t)(ni + 1));
    MPI_Aint *aints = PyMem_Malloc(sizeof(MPI_Aint) * (size_t)(na + 1));
    MPI_Datatype *types = PyMem_Malloc(sizeof(MPI_Datatype) * (size_t)nd);
    int rc = -1;
    if (!ints || !aints || !types) PyErr_NoMemory();
    else if (!CHKERR(MPI_Type_get_contents(t, ni, na, nd, ints, aints, types))) {
        rc = 1;
        for (int k = 0; k < nd; k++) {
            if (rc == 1) rc = single_basic_type(types[k], basic, pairs);
            int x, comb;
            MPI_Type_get_envelope(types[k], &x, &x, &x, &comb);
            if (comb != MPI_COMBINER_NAMED) MPI_Type_free(&types[k]);
        }
    }
    PyMem_Free(ints);
    PyMem_Free(aints);
    PyMem_Free(types);
    return rc;
}

int pympi_type_check_single(MPI_Datatype t, int pairs)
{
    MPI_Datatype basic = MPI_DATATYPE_NULL;
    int one = single_basic_type(t, &basic, pairs);
    if (one < 0) return -1;
    return one ? 0 : pympi_raise(MPI_ERR_TYPE);
}

/* MPI_Pack_external_size, for the types MPICH can represent in external32 (else ERR_TYPE). */
static int external32_size(const char *datarep, MPI_Count count, MPI_Datatype t, MPI_Count *size)
{
    if (pympi_type_check_single(t, 0) < 0) return -1;
    return CHKERR(MPI_Pack_external_size_c(datarep, count, t, size));
}

/* One body for the four pack/unpack calls. datarep NULL: native (comm given). */
static PyObject *pack_unpack(PyObject *self, const char *fname, int unpack, const char *datarep,
                             PyObject *inbuf, PyObject *outbuf, PyObject *opos, MPI_Comm comm)
{
    pympi_msg in = PYMPI_MSG_INIT, out = PYMPI_MSG_INIT;
    MPI_Count position, packed_size = 0, need = 0;
    PyObject *result = NULL;
    int ierr;
    if (pympi_count(opos, 0, &position) < 0) return NULL;
    if (!unpack) {
        if (typed_buffer(inbuf, DT(self), PYMPI_SEND, &in) < 0) return NULL;
        if (packed_buffer(outbuf, PYMPI_RECV, &out, &packed_size) < 0) goto done;
        if (datarep ? external32_size(datarep, in.count, in.type, &need) < 0
                    : CHKERR(MPI_Pack_size_c(in.count, in.type, comm, &need)))
            goto done;
        if (check_room(fname, position, need, packed_size) < 0) goto done;
        if (datarep)
            PYMPI_NOGIL(ierr = MPI_Pack_external_c(datarep, in.addr, in.count, in.type, out.addr,
                                                   packed_size, &position));
        else
            PYMPI_NOGIL(ierr = MPI_Pack_c(in.addr, in.count, in.type, out.addr, packed_size, &position, comm));
    } else {
        if (packed_buffer(inbuf, PYMPI_SEND, &in, &packed_size) < 0) return NULL;
        if (typed_buffer(outbuf, DT(self), PYMPI_RECV, &out) < 0) goto done;
        if (datarep ? external32_size(datarep, out.count, out.type, &need) < 0
                    : CHKERR(MPI_Pack_size_c(out.count, out.type, comm, &need)))
            goto done;
        if (check_room(fname, position, need, packed_size) < 0) goto done;
        if (datarep)
            PYMPI_NOGIL(ierr = MPI_Unpack_external_c(datarep, in.addr, packed_size, &position, out.addr,
                                                     out.count, out.type));
        else
            PYMPI_NOGIL(ierr = MPI_Unpack_c(in.addr, packed_size, &position, out.addr, out.count, out.type, comm));
    }
    if (CHKERR(ierr)) goto done;
    result = PyLong_FromLongLong(position);
done:
    pympi_msg_release(&in);
    pympi_msg_release(&out);
    return result;
}

static PyObject *datatype_Pack(PyObject *self, ARGS)
{
    static const char *const kwlist[] = {"inbuf", "outbuf", "position", "comm", NULL};
    PyObject *a[4];
    MPI_Comm comm;
    if (pympi_parse("Pack", kwlist, 4, args, nargs, kw, a) < 0 || pympi_as_comm(a[3], &comm) < 0) return NULL;
    return pack_unpack(self, "Pack", 0, NULL, a[0], a[1], a[2], comm);
}

static PyObject *datatype_Unpack(PyObject *self, ARGS)
{
    static const char *const kwlist[] = {"inbuf", "position", "outbuf", "comm", NULL};
    PyObject *a[4];
    MPI_Comm comm;
    if (pympi_parse("Unpack", kwlist, 4, args, nargs, kw, a) < 0 || pympi_as_comm(a[3], &comm) < 0) return NULL;
    return pack_unpack(self, "Unpack", 1, NULL, a[0], a[2], a[1], comm);
}

static PyObject *datatype_Pack_size(PyObject *self, ARGS)
{
    static const char *const kwlist[] = {"count", "comm", NULL};
    PyObject *a[2];
    MPI_Comm comm;
    MPI_Count count, size = 0;
    if (pympi_parse("Pack_size", kwlist, 2, args, nargs, kw, a) < 0) return NULL;
    if (nonneg_count(a[0], "count", &count) < 0 || pympi_as_comm(a[1], &comm) < 0) return NULL;
    if (CHKERR(MPI_Pack_size_c(count, DT(self), comm, &size))) return NULL;
    return PyLong_FromLongLong(size);
}

static PyObject *datatype_Pack_external(PyObject *self, ARGS)
{
    static const char *const kwlist[] = {"datarep", "inbuf", "outbuf", "position", NULL};
    PyObject *a[4];
    const char *rep;
    if (pympi_parse("Pack_external", kwlist, 4, args, nargs, kw, a) < 0 || !(rep = get_datarep(a[0]))) return NULL;
    return pack_unpack(self, "Pack_external", 0, rep, a[1], a[2], a[3], MPI_COMM_NULL);
}

static PyObject *datatype_Unpack_external(PyObject *self, ARGS)
{
    static const char *const kwlist[] = {"datarep", "inbuf", "position", "outbuf", NULL};
    PyObject *a[4];
    const char *rep;
    if (pympi_parse("Unpack_external", kwlist, 4, args, nargs, kw, a) < 0 || !(rep = get_datarep(a[0]))) return NULL;
    return pack_unpack(self, "Unpack_external", 1, rep, a[1], a[3], a[2], MPI_COMM_NULL);
}

static PyObject *datatype_Pack_external_size(PyObject *self, ARGS)
{
    static const char *const kwlist[] = {"datarep", "count", NULL};
    PyObject *a[2];
    const char *rep;
    MPI_Count count, size = 0;
    if (pympi_parse("Pack_external_size", kwlist, 2, args, nargs, kw, a) < 0 || !(rep = get_datarep(a[0])))
        return NULL;
    if (nonneg_count(a[1], "count", &count) < 0) return NULL;
    if (external32_size(rep, count, DT(self), &size) < 0) return NULL;
    return PyLong_FromLongLong(size);
}

/* ---- the class ----------------------------------------------------------------------------- */
static PyMethodDef datatype_methods[] = {
    {"Get_size", datatype_Get_size, METH_NOARGS, "Size in bytes of the data (without gaps)."},
    {"Get_extent", datatype_Get_extent, METH_NOARGS, "(lower bound, extent) in bytes."},
    {"Get_true_extent", datatype_Get_true_extent, METH_NOARGS, "(true lower bound, true extent) in bytes."},
    {"Commit", datatype_Commit, METH_NOARGS, "Commit the datatype for communication; returns self."},
    {"Free", datatype_Free, METH_NOARGS, "Free the datatype."},
    {"Dup", datatype_Dup, METH_NOARGS, "Duplicate the datatype."},
    {"Create_dup", datatype_Dup, METH_NOARGS, "Duplicate the datatype (alias of Dup)."},
    {"Create_contiguous", FASTKW(datatype_Create_contiguous), "Contiguous datatype: count copies."},
    {"Create_vector", FASTKW(datatype_Create_vector), "Vector datatype: count blocks, stride in elements."},
    {"Create_hvector", FASTKW(datatype_Create_hvector), "Vector datatype: count blocks, stride in bytes."},
    {"Create_indexed", FASTKW(datatype_Create_indexed), "Indexed datatype: displacements in elements."},
    {"Create_hindexed", FASTKW(datatype_Create_hindexed), "Indexed datatype: displacements in bytes."},
    {"Create_indexed_block", FASTKW(datatype_Create_indexed_block), "Indexed datatype with equal blocks."},
    {"Create_hindexed_block", FASTKW(datatype_Create_hindexed_block),
     "Indexed datatype with equal blocks, displacements in bytes."},
    {"Create_struct", FASTKW_CLASS(datatype_Create_struct), "Struct datatype (classmethod)."},
    {"Create_subarray", FASTKW(datatype_Create_subarray), "Subarray of an n-dimensional array."},
    {"Create_darray", FASTKW(datatype_Create_darray), "Distributed-array datatype."},
    {"Create_resized", FASTKW(datatype_Create_resized), "Same type map with a new lower bound and extent."},
    {"Resized", FASTKW(datatype_Create_resized), "Alias of Create_resized."},
    {"Create_f90_integer", FASTKW_CLASS(datatype_Create_f90_integer), "Fortran 90 INTEGER of range r."},
    {"Create_f90_real", FASTKW_CLASS(datatype_Create_f90_real), "Fortran 90 REAL of precision p, range r."},
    {"Create_f90_complex", FASTKW_CLASS(datatype_Create_f90_complex), "Fortran 90 COMPLEX of precision p, range r."},
    {"Match_size", FASTKW_CLASS(datatype_Match_size), "Predefined type of a type class and size."},
    {"Get_envelope", datatype_Get_envelope, METH_NOARGS, "(num_integers, num_addresses, num_datatypes, combiner)."},
    {"Get_contents", datatype_Get_contents, METH_NOARGS, "(integers, addresses, datatypes) of a derived type."},
    {"decode", datatype_decode, METH_NOARGS, "(basetype, combiner name, constructor parameters); a named type gives itself."},
    {"Pack", FASTKW(datatype_Pack), "Pack inbuf into outbuf at position; returns the new position."},
    {"Unpack", FASTKW(datatype_Unpack), "Unpack inbuf at position into outbuf; returns the new position."},
    {"Pack_size", FASTKW(datatype_Pack_size), "Upper bound of the packed size of count elements."},
    {"Pack_external", FASTKW(datatype_Pack_external), "Pack in a portable representation ('external32')."},
    {"Unpack_external", FASTKW(datatype_Unpack_external), "Unpack from a portable representation."},
    {"Pack_external_size", FASTKW(datatype_Pack_external_size), "Packed size of count elements in datarep."},
    {"Get_name", datatype_Get_name, METH_NOARGS, "Name of the datatype."},
    {"Set_name", FASTKW(datatype_Set_name), "Set the name of the datatype."},
    PYMPI_HANDLE_METHODS,
    {NULL}};

static PyGetSetDef datatype_getset[] = {
    {"size", datatype_size, NULL, "size in bytes", NULL},
    {"extent", datatype_bounds, NULL, "extent in bytes", (void *)2},
    {"lb", datatype_bounds, NULL, "lower bound", (void *)0},
    {"ub", datatype_bounds, NULL, "upper bound", (void *)1},
    {"true_extent", datatype_bounds, NULL, "true extent", (void *)5},
    {"true_lb", datatype_bounds, NULL, "true lower bound", (void *)3},
    {"true_ub", datatype_bounds, NULL, "true upper bound", (void *)4},
    {"envelope", datatype_envelope, NULL, "Get_envelope()", NULL},
    {"contents", datatype_contents, NULL, "Get_contents()", NULL},
    {"combiner", datatype_combiner, NULL, "combiner (COMBINER_*)", NULL},
    {"is_named", datatype_is_named, NULL, "is a named predefined datatype", NULL},
    {"is_predefined", datatype_is_predefined, NULL, "is predefined (named or Fortran 90)", NULL},
    {"name", datatype_name_get, datatype_name_set, "datatype name", NULL},
    {"typechar", datatype_typechar, NULL, "NumPy type character ('V' for derived types)", NULL},
    {"typestr", datatype_typestr, NULL, "NumPy array-interface type string ('<f8', '|V16', ...)", NULL},
    {NULL}};

PyTypeObject PyMPIDatatype_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI.Datatype",
    .tp_basicsize = sizeof(PyMPIDatatypeObject),
    .tp_getset = datatype_getset,
    .tp_doc = "Datatype object: describes the layout of message data."};

static PyMethodDef datatype_module_methods[] = {
    {"_typecode", FASTKW(mod_typecode), "Typecode of a predefined datatype, or None."},
    {NULL}};

/* The keys of _typedict, _typedict_c and _typedict_f (datatypes.def). */
enum { PYMPI_KEY_CA, PYMPI_KEY_A, PYMPI_KEY_F };
static const struct {
    int dicts; /* PYMPI_KEY_* */
    const char *key;
    MPI_Datatype handle;
    int cond;
} typekeys[] = {
#define PYMPI_TYPEKEY(dicts, key, handle, cond) {PYMPI_KEY_##dicts, key, handle, cond},
#include "datatypes.def"
#undef PYMPI_TYPEKEY
};

/* The dictionaries hold the module constants; no MPI call is made (see datatypes.def). */
static int add_typedicts(PyObject *m)
{
    PyObject *td = PyDict_New(), *tdc = PyDict_New(), *tdf = PyDict_New();
    int rc = -1;
    if (!td || !tdc || !tdf) goto done;
    for (size_t i = 0; i < sizeof typekeys / sizeof typekeys[0]; i++) {
        int p = predefined_index(typekeys[i].handle);
        if (!typekeys[i].cond || typekeys[i].handle == MPI_DATATYPE_NULL || p < 0) continue;
        PyObject *o = predefined[p].obj;
        switch (typekeys[i].dicts) {
        case PYMPI_KEY_CA:
            if (PyDict_SetItemString(tdc, typekeys[i].key, o) < 0) goto done;
            /* fall through */
        case PYMPI_KEY_A:
            if (PyDict_SetItemString(td, typekeys[i].key, o) < 0) goto done;
            break;
        default:
            if (PyDict_SetItemString(tdf, typekeys[i].key, o) < 0) goto done;
        }
    }
    if (PyModule_AddObjectRef(m, "_typedict", td) < 0 || PyModule_AddObjectRef(m, "_typedict_c", tdc) < 0 ||
        PyModule_AddObjectRef(m, "_typedict_f", tdf) < 0)
        goto done;
    rc = 0;
done:
    Py_XDECREF(td);
    Py_XDECREF(tdc);
    Py_XDECREF(tdf);
    return rc;
}

int pympi_init_datatype(PyObject *m)
{
    static const PyMethodDef *const tables[] = {datatype_methods, pympi_datatype_attr_methods, NULL};
    pympi_handle_type_init(&PyMPIDatatype_Type, &Datatype_kind);
    if (!PyMPIDatatype_Type.tp_methods) {
        PyMPIDatatype_Type.tp_methods = pympi_methods_concat(tables);
        if (!PyMPIDatatype_Type.tp_methods) return -1;
    }
    if (PyType_Ready(&PyMPIDatatype_Type) < 0) return -1;
    if (PyModule_AddObjectRef(m, "Datatype", (PyObject *)&PyMPIDatatype_Type) < 0) return -1;
    for (int i = 0; i < NPREDEFINED; i++) {
        int c = predefined_index(predefined[i].handle);
        PyObject *o = c < i ? predefined[c].obj : pympi_datatype_new(predefined[i].handle, PYMPI_CONST);
        if (!o) return -1;
        if (c == i) predefined[i].obj = o; /* the table keeps this reference */
        else {
            predefined[i].obj = o;
            Py_INCREF(o);
        }
        if (PyModule_AddObjectRef(m, predefined[i].name, o) < 0) return -1;
    }
    if (add_typedicts(m) < 0) return -1;
    return PyModule_AddFunctions(m, datatype_module_methods);
}
