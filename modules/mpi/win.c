/* win.c: MPI.Win, one-sided communication (RMA).
 *
 * A window object holds, besides the handle, the Python memory it exposes (`ob_mem`): the pinned
 * buffer of Win.Create, or a dict {address: pinned buffer} of the memory attached to a dynamic
 * window. MPI_Win_free is collective, so a window is only freed by Free(); a window object that
 * dies un-freed keeps its memory pinned (leaks it) rather than let remote processes write into
 * released memory. After Free() the handle is WIN_NULL and every call raises MPI.Exception
 * (ERR_WIN) before MPI is called.
 *
 * Target specs of Put/Get/Accumulate/...: None (displacement 0, origin count and datatype), an
 * int displacement, or a sequence (disp[, count[, datatype]]).
 * Windows created here get MPI_ERRORS_RETURN: MPI errors become MPI.Exception. */
#include "pympi.h"

typedef PyMPIWinObject WinObject;

PYMPI_DEFINE_KIND(Win, MPI_Win, MPI_WIN_NULL, MPI_Win);

#define H(o) (((PyMPIWinObject *)(o))->ob_mpi)
#define FASTKW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS

/* ---- windows alive at exit ------------------------------------------------------
 * MPICH's MPI_Finalize dies on an assertion when a window is still allocated, or still in an
 * epoch, so the windows the module created are listed here (with their open PSCW epochs) until
 * freed, and pympi_win_close_all() ends their epochs and frees them before MPI_Finalize. */
typedef struct {
    MPI_Win win;
    int started, posted; /* an access epoch of Start, an exposure epoch of Post, still open */
} live_win;
static live_win *live;
static int nlive, maxlive;

static live_win *live_find(MPI_Win win)
{
    for (int i = 0; i < nlive; i++)
        if (live[i].win == win) return &live[i];
    return NULL;
}

static int live_add(MPI_Win win)
{
    if (nlive == maxlive) {
        int n = maxlive ? 2 * maxlive : 16;
        live_win *l = PyMem_RawRealloc(live, sizeof *live * (size_t)n);
        if (!l) return -1;
        live = l;
        maxlive = n;
    }
    live[nlive++] = (live_win){win, 0, 0};
    return 0;
}

static void live_remove(MPI_Win win)
{
    live_win *l = live_find(win);
    if (l) *l = live[--nlive];
}

/* Returns -1 when a window is left in a Start or Post epoch that only the other processes
 * could end (closing it would wait for ever): it is left alone, and MPI cannot be finalized. */
int pympi_win_close_all(void)
{
    int rc = 0, finalized = 1;
    if (MPI_Finalized(&finalized) != MPI_SUCCESS || finalized) return 0;
    for (int i = nlive - 1; i >= 0; i--) {
        live_win *l = &live[i];
        int size = 0, flag = 1;
        MPI_Group g;
        if (l->started) { rc = -1; continue; }
        if (l->posted && (MPI_Win_test(l->win, &flag) != MPI_SUCCESS || !flag)) { rc = -1; continue; }
        /* Passive-target epochs: ending one that is not open is an error, which is ignored. */
        MPI_Win_unlock_all(l->win);
        if (MPI_Win_get_group(l->win, &g) == MPI_SUCCESS) {
            MPI_Group_size(g, &size);
            MPI_Group_free(&g);
        }
        for (int r = 0; r < size; r++) MPI_Win_unlock(r, l->win);
        MPI_Win_free(&l->win);
        *l = live[--nlive];
    }
    return rc;
}

static void win_dealloc(WinObject *self)
{
    /* Never MPI_Win_free here (collective). Memory of a live window stays pinned. */
    if (self->ob_weakref) PyObject_ClearWeakRefs((PyObject *)self);
    if (self->ob_mpi == MPI_WIN_NULL || !(self->flags & PYMPI_OWNED) || !pympi_mpi_active())
        Py_XDECREF(self->ob_mem);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Raise if the window was freed (or is WIN_NULL): MPI.Exception(ERR_WIN). */
static int win_check(PyObject *self)
{
    if (H(self) == MPI_WIN_NULL) return pympi_raise(MPI_ERR_WIN);
    return 0;
}
#define CHECK(self) if (win_check(self) < 0) return NULL

int pympi_rma_as_errhandler(PyObject *obj, MPI_Errhandler *out)
{
    if (!PyObject_TypeCheck(obj, &PyMPIErrhandler_Type)) {
        PyErr_Format(PyExc_TypeError, "expected an Errhandler, got '%.200s'", Py_TYPE(obj)->tp_name);
        return -1;
    }
    *out = ((PyMPIErrhandlerObject *)obj)->ob_mpi;
    return 0;
}

int pympi_rma_comm_arg(PyObject *obj, MPI_Comm dflt, MPI_Comm *out)
{
    if (!obj) { *out = dflt; return 0; }
    return pympi_as_comm(obj, out);
}

/* MPICH does not check target displacements against the target's window (a Put past its end
 * writes into whatever memory follows), so windows with memory learn the size and disp_unit of
 * every rank at creation (one Allgather on the creating communicator) and RMA calls check the
 * target range before MPI is called: MPI.Exception(ERR_RMA_RANGE). The table is an attribute of
 * the MPI window (a private keyval), so copies of the object share it and MPI_Win_free frees it. */
typedef struct {
    int nranks;
    MPI_Aint ext[];   /* [2*rank] size in bytes, [2*rank+1] disp_unit of every rank */
} win_extents;
static int extents_keyval = MPI_KEYVAL_INVALID;

static int extents_delete(MPI_Win win, int keyval, void *attr, void *extra)
{
    free(attr); /* malloc'ed: MPI_Win_free may call this without the GIL */
    return MPI_SUCCESS;
}

static void gather_extents(MPI_Win win, MPI_Comm comm, MPI_Aint size, int disp_unit)
{
    int n = 0, ierr;
    if (extents_keyval == MPI_KEYVAL_INVALID &&
        MPI_Win_create_keyval(MPI_WIN_NULL_COPY_FN, extents_delete, &extents_keyval, NULL) != MPI_SUCCESS)
        return;
    if (MPI_Comm_size(comm, &n) != MPI_SUCCESS) return;
    MPI_Aint mine[2] = {size, disp_unit};
    win_extents *e = malloc(sizeof(win_extents) + sizeof(MPI_Aint) * 2 * (size_t)n);
    if (!e) return;
    e->nranks = n;
    PYMPI_NOGIL(ierr = MPI_Allgather(mine, 2, MPI_AINT, e->ext, 2, MPI_AINT, comm));
    if (ierr != MPI_SUCCESS || MPI_Win_set_attr(win, extents_keyval, e) != MPI_SUCCESS) free(e);
}

static PyObject *win_wrap(PyTypeObject *tp, MPI_Win win, PyObject *mem)
{
    MPI_Win_set_errhandler(win, MPI_ERRORS_RETURN);
    if (!PyType_IsSubtype(tp, &PyMPIWin_Type)) tp = &PyMPIWin_Type;
    if (live_add(win) < 0) return PyErr_NoMemory(); /* memory stays pinned, as below */
    PyObject *o = pympi_handle_new(tp, &win, PYMPI_OWNED);
    if (!o) {
        /* Cannot free collectively here: keep the memory pinned. */
        return NULL;
    }
    ((WinObject *)o)->ob_mem = mem; /* stolen */
    return o;
}

static PyObject *win_wrap_ext(PyTypeObject *tp, MPI_Win win, PyObject *mem, MPI_Comm comm, MPI_Aint size, int disp_unit)
{
    /* Collective: every rank gathers, whatever happens next. Without the table (out of memory)
     * the window works unchecked: it exists on every rank, freeing it would need all of them. */
    gather_extents(win, comm, size, disp_unit);
    return win_wrap(tp, win, mem);
}

/* Check that [disp*disp_unit + lb, + span) lies in the target's window. 0 or -1 (raised). */
static int check_range(PyObject *self, int rank, MPI_Aint disp, int count, MPI_Datatype type)
{
    win_extents *w = NULL;
    int flag = 0;
    if (extents_keyval == MPI_KEYVAL_INVALID || count <= 0) return 0;
    if (MPI_Win_get_attr(H(self), extents_keyval, &w, &flag) != MPI_SUCCESS || !flag) return 0;
    if (rank < 0 || rank >= w->nranks) return 0; /* MPI checks ranks */
    MPI_Count lb = 0, extent = 0, tlb = 0, textent = 0;
    if (MPI_Type_get_extent_x(type, &lb, &extent) != MPI_SUCCESS ||
        MPI_Type_get_true_extent_x(type, &tlb, &textent) != MPI_SUCCESS)
        return 0; /* invalid datatype: MPI reports it */
    MPI_Count size = w->ext[2 * rank], unit = w->ext[2 * rank + 1];
    MPI_Count start = (MPI_Count)disp * unit + tlb;
    MPI_Count end = (MPI_Count)disp * unit + (MPI_Count)(count - 1) * extent + tlb + textent;
    if (disp < 0 || start < 0 || end > size) {
        pympi_raise(MPI_ERR_RMA_RANGE);
        return -1;
    }
    return 0;
}

/* ---- creation ------------------------------------------------------------ */
static PyObject *win_Create(PyObject *cls, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"memory", "disp_unit", "info", "comm", NULL};
    PyObject *a[4];
    int disp_unit, ierr;
    MPI_Info info;
    MPI_Comm comm;
    MPI_Win win;
    void *base = NULL;
    MPI_Aint size = 0;
    PyObject *mem = NULL;
    if (pympi_parse("Create", kwlist, 1, args, nargs, kw, a) < 0 || pympi_int(a[1], 1, &disp_unit) < 0 ||
        pympi_as_info(a[2], MPI_INFO_NULL, &info) < 0 || pympi_rma_comm_arg(a[3], MPI_COMM_SELF, &comm) < 0)
        return NULL;
    if (disp_unit <= 0) return PyErr_Format(PyExc_ValueError, "Win.Create: disp_unit must be positive, got %d", disp_unit);
    if (pympi_is_bottom(a[0])) base = MPI_BOTTOM;
    else if (a[0] != Py_None) {
        Py_buffer view;
        if (pympi_getbuffer(a[0], &view, 1) < 0) return NULL;
        base = view.buf;
        size = view.len;
        mem = pympi_memory_from_view(&view);
        if (!mem) return NULL;
    }
    PYMPI_NOGIL(ierr = MPI_Win_create(base, size, disp_unit, info, comm, &win));
    if (CHKERR(ierr)) { Py_XDECREF(mem); return NULL; }
    return win_wrap_ext((PyTypeObject *)cls, win, mem, comm, size, disp_unit);
}

static PyObject *win_allocate(PyObject *cls, PyObject *const *args, Py_ssize_t nargs, PyObject *kw, int shared)
{
    static const char *const kwlist[] = {"size", "disp_unit", "info", "comm", NULL};
    PyObject *a[4];
    int disp_unit, ierr;
    MPI_Aint size;
    MPI_Info info;
    MPI_Comm comm;
    MPI_Win win;
    void *base = NULL;
    const char *name = shared ? "Allocate_shared" : "Allocate";
    if (pympi_parse(name, kwlist, 1, args, nargs, kw, a) < 0 || pympi_aint(a[0], 0, &size) < 0 ||
        pympi_int(a[1], 1, &disp_unit) < 0 || pympi_as_info(a[2], MPI_INFO_NULL, &info) < 0 ||
        pympi_rma_comm_arg(a[3], MPI_COMM_SELF, &comm) < 0)
        return NULL;
    if (size < 0) return PyErr_Format(PyExc_ValueError, "Win.%s: negative size", name);
    if (disp_unit <= 0) return PyErr_Format(PyExc_ValueError, "Win.%s: disp_unit must be positive, got %d", name, disp_unit);
    if (shared) PYMPI_NOGIL(ierr = MPI_Win_allocate_shared(size, disp_unit, info, comm, &base, &win));
    else PYMPI_NOGIL(ierr = MPI_Win_allocate(size, disp_unit, info, comm, &base, &win));
    if (CHKERR(ierr)) return NULL;
    return win_wrap_ext((PyTypeObject *)cls, win, NULL, comm, size, disp_unit);
}

static PyObject *win_Allocate(PyObject *cls, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    return win_allocate(cls, args, nargs, kw, 0);
}

static PyObject *win_Allocate_shared(PyObject *cls, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    return win_allocate(cls, args, nargs, kw, 1);
}

static PyObject *win_Create_dynamic(PyObject *cls, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"info", "comm", NULL};
    PyObject *a[2];
    MPI_Info info;
    MPI_Comm comm;
    MPI_Win win;
    int ierr;
    if (pympi_parse("Create_dynamic", kwlist, 0, args, nargs, kw, a) < 0 ||
        pympi_as_info(a[0], MPI_INFO_NULL, &info) < 0 || pympi_rma_comm_arg(a[1], MPI_COMM_SELF, &comm) < 0)
        return NULL;
    PyObject *mem = PyDict_New();
    if (!mem) return NULL;
    PYMPI_NOGIL(ierr = MPI_Win_create_dynamic(info, comm, &win));
    if (CHKERR(ierr)) { Py_DECREF(mem); return NULL; }
    return win_wrap((PyTypeObject *)cls, win, mem);
}

static PyObject *win_Attach(PyObject *self, PyObject *memory)
{
    CHECK(self);
    WinObject *w = (WinObject *)self;
    if (!w->ob_mem || !PyDict_Check(w->ob_mem)) {
        /* Not created here with Create_dynamic: let MPI report the flavor error. */
        if (w->ob_mem) return PyErr_Format(PyExc_ValueError, "Win.Attach: not a dynamic window");
        w->ob_mem = PyDict_New();
        if (!w->ob_mem) return NULL;
    }
    Py_buffer view;
    if (pympi_getbuffer(memory, &view, 1) < 0) return NULL;
    void *base = view.buf;
    MPI_Aint size = view.len;
    PyObject *mem = pympi_memory_from_view(&view);
    if (!mem) return NULL;
    if (CHKERR(MPI_Win_attach(H(self), base, size))) { Py_DECREF(mem); return NULL; }
    PyObject *key = PyLong_FromVoidPtr(base);
    int rc = key ? PyDict_SetItem(w->ob_mem, key, mem) : -1;
    Py_XDECREF(key);
    Py_DECREF(mem);
    if (rc < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *win_Detach(PyObject *self, PyObject *memory)
{
    CHECK(self);
    WinObject *w = (WinObject *)self;
    Py_buffer view;
    if (pympi_getbuffer(memory, &view, 0) < 0) return NULL;
    void *base = view.buf;
    PyBuffer_Release(&view);
    if (CHKERR(MPI_Win_detach(H(self), base))) return NULL;
    if (w->ob_mem && PyDict_Check(w->ob_mem)) {
        PyObject *key = PyLong_FromVoidPtr(base);
        if (!key) return NULL;
        if (PyDict_DelItem(w->ob_mem, key) < 0) PyErr_Clear();
        Py_DECREF(key);
    }
    Py_RETURN_NONE;
}

static PyObject *win_Free(PyObject *self, PyObject *u)
{
    WinObject *w = (WinObject *)self;
    int ierr;
    CHECK(self);
    MPI_Win win = w->ob_mpi;
    PYMPI_NOGIL(ierr = MPI_Win_free(&w->ob_mpi));
    if (CHKERR(ierr)) return NULL;
    live_remove(win);
    Py_CLEAR(w->ob_mem);
    Py_RETURN_NONE;
}

/* ---- attributes, memory ------------------------------------------------- */
static int get_attr(PyObject *self, int keyval, void **val)
{
    int flag = 0;
    *val = NULL;
    if (win_check(self) < 0 || CHKERR(MPI_Win_get_attr(H(self), keyval, val, &flag))) return -1;
    if (!flag) *val = NULL;
    return 0;
}

static int win_base_size(PyObject *self, void **base, MPI_Aint *size, int *disp_unit)
{
    void *v;
    if (get_attr(self, MPI_WIN_BASE, &v) < 0) return -1;
    *base = v;
    if (get_attr(self, MPI_WIN_SIZE, &v) < 0) return -1;
    *size = v ? *(MPI_Aint *)v : 0;
    if (disp_unit) {
        if (get_attr(self, MPI_WIN_DISP_UNIT, &v) < 0) return -1;
        *disp_unit = v ? *(int *)v : 1;
    }
    return 0;
}

static PyObject *win_attrs(PyObject *self, void *c)
{
    void *base;
    MPI_Aint size;
    int disp_unit;
    if (win_base_size(self, &base, &size, &disp_unit) < 0) return NULL;
    return Py_BuildValue("(Nni)", PyLong_FromVoidPtr(base), (Py_ssize_t)size, disp_unit);
}

static PyObject *int_attr(PyObject *self, int keyval)
{
    void *v;
    if (get_attr(self, keyval, &v) < 0) return NULL;
    if (!v) Py_RETURN_NONE;
    return PyLong_FromLong(*(int *)v);
}

static PyObject *win_flavor(PyObject *self, void *c) { return int_attr(self, MPI_WIN_CREATE_FLAVOR); }
static PyObject *win_model(PyObject *self, void *c) { return int_attr(self, MPI_WIN_MODEL); }

static PyObject *win_tomemory(PyObject *self, PyObject *u)
{
    void *base;
    MPI_Aint size;
    if (win_base_size(self, &base, &size, NULL) < 0) return NULL;
    return pympi_memory_new_raw(base, size, 0);
}

static int win_getbuffer(PyObject *self, Py_buffer *view, int flags)
{
    void *base;
    MPI_Aint size;
    if (win_base_size(self, &base, &size, NULL) < 0) return -1;
    return PyBuffer_FillInfo(view, self, base, size, 0, flags);
}

static PyBufferProcs win_as_buffer = {win_getbuffer, NULL};

static PyObject *win_Shared_query(PyObject *self, PyObject *arg)
{
    int rank, disp_unit = 1;
    MPI_Aint size = 0;
    void *base = NULL;
    CHECK(self);
    if (pympi_int(arg, 0, &rank) < 0) return NULL;
    if (CHKERR(MPI_Win_shared_query(H(self), rank, &size, &disp_unit, &base))) return NULL;
    PyObject *mem = pympi_memory_new_raw(base, size, 0);
    if (!mem) return NULL;
    return Py_BuildValue("(Ni)", mem, disp_unit);
}

static PyObject *win_Get_group(PyObject *self, PyObject *u)
{
    MPI_Group g;
    CHECK(self);
    if (CHKERR(MPI_Win_get_group(H(self), &g))) return NULL;
    return pympi_group_new(g);
}

static PyObject *win_Get_info(PyObject *self, PyObject *u)
{
    MPI_Info info;
    CHECK(self);
    if (CHKERR(MPI_Win_get_info(H(self), &info))) return NULL;
    return pympi_info_new(info);
}

static PyObject *win_Set_info(PyObject *self, PyObject *arg)
{
    MPI_Info info;
    CHECK(self);
    if (pympi_as_info(arg, MPI_INFO_NULL, &info) < 0) return NULL;
    if (CHKERR(MPI_Win_set_info(H(self), info))) return NULL;
    Py_RETURN_NONE;
}

static PyObject *win_Get_name(PyObject *self, PyObject *u)
{
    char name[MPI_MAX_OBJECT_NAME + 1] = "";
    int len = 0;
    CHECK(self);
    if (CHKERR(MPI_Win_get_name(H(self), name, &len))) return NULL;
    return PyUnicode_FromStringAndSize(name, len);
}

static PyObject *win_Set_name(PyObject *self, PyObject *arg)
{
    CHECK(self);
    const char *name = pympi_str(arg, "name");
    if (!name || CHKERR(MPI_Win_set_name(H(self), (char *)name))) return NULL;
    Py_RETURN_NONE;
}

static PyObject *win_Get_errhandler(PyObject *self, PyObject *u)
{
    MPI_Errhandler eh;
    CHECK(self);
    if (CHKERR(MPI_Win_get_errhandler(H(self), &eh))) return NULL;
    return pympi_errhandler_new(eh);
}

static PyObject *win_Set_errhandler(PyObject *self, PyObject *arg)
{
    MPI_Errhandler eh;
    CHECK(self);
    if (pympi_rma_as_errhandler(arg, &eh) < 0) return NULL;
    if (CHKERR(MPI_Win_set_errhandler(H(self), eh))) return NULL;
    Py_RETURN_NONE;
}

static PyObject *win_Call_errhandler(PyObject *self, PyObject *arg)
{
    int code;
    CHECK(self);
    if (pympi_int(arg, 0, &code) < 0) return NULL;
    if (CHKERR(MPI_Win_call_errhandler(H(self), code))) return NULL;
    Py_RETURN_NONE;
}

/* ---- communication ------------------------------------------------------ */
/* Origin buffer spec (may be None) and target spec -> MPI arguments. */
typedef struct {
    pympi_msg o;
    int ocount, tcount;
    MPI_Aint tdisp;
    MPI_Datatype ttype;
} rma_args;

static int as_int_count(MPI_Count c, int *out, const char *what)
{
    if (!PYMPI_FITS_INT(c)) {
        PyErr_Format(PyExc_OverflowError, "%s: count %lld does not fit an int", what, (long long)c);
        return -1;
    }
    *out = (int)c;
    return 0;
}

static int parse_target(PyObject *target, rma_args *r)
{
    r->tdisp = 0;
    r->tcount = r->ocount;
    r->ttype = r->o.type;
    if (!target || target == Py_None) return 0;
    if (PyLong_Check(target) || (PyIndex_Check(target) && !PySequence_Check(target)))
        return pympi_aint(target, 0, &r->tdisp);
    if (!PyList_Check(target) && !PyTuple_Check(target)) {
        /* ValueError, as mpi4py 3.1 raises it */
        PyErr_Format(PyExc_ValueError, "target: expected None, an int or a (disp, count, datatype) sequence, got '%.200s'",
                     Py_TYPE(target)->tp_name);
        return -1;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(target);
    PyObject **it = PySequence_Fast_ITEMS(target);
    if (n > 3) {
        PyErr_SetString(PyExc_ValueError, "target: expected 3 items at most (disp, count, datatype)");
        return -1;
    }
    if (n >= 1 && pympi_aint(it[0], 0, &r->tdisp) < 0) return -1;
    if (n >= 2 && pympi_int(it[1], 0, &r->tcount) < 0) return -1;
    if (n >= 3 && pympi_as_datatype(it[2], &r->ttype) < 0) return -1;
    if (r->tdisp < 0) {
        PyErr_Format(PyExc_ValueError, "target: negative displacement %zd", (Py_ssize_t)r->tdisp);
        return -1;
    }
    if (r->tcount < 0) {
        PyErr_Format(PyExc_ValueError, "target: negative count %d", r->tcount);
        return -1;
    }
    return 0;
}

static int rma_get(PyObject *origin, int role, PyObject *target, rma_args *r)
{
    r->o = (pympi_msg)PYMPI_MSG_INIT;
    if (pympi_msg_get(origin, role, &r->o) < 0) return -1;
    if (as_int_count(r->o.count, &r->ocount, "origin") < 0 || parse_target(target, r) < 0) {
        pympi_msg_release(&r->o);
        return -1;
    }
    if (r->tdisp < 0) {
        PyErr_Format(PyExc_ValueError, "target: negative displacement %zd", (Py_ssize_t)r->tdisp);
        pympi_msg_release(&r->o);
        return -1;
    }
    return 0;
}

enum { OP_PUT, OP_GET, OP_ACC };

/* Accumulate needs origin and target types of one predefined type each (MPICH aborts on a
 * struct of int and double instead of returning an error). */
static int acc_types(const rma_args *r)
{
    if (r->ocount && pympi_type_check_single(r->o.type, 1) < 0) return -1;
    return r->tcount ? pympi_type_check_single(r->ttype, 1) : 0;
}

static PyObject *rma_op(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw, int kind, int req)
{
    static const char *const kw2[] = {"origin", "target_rank", "target", NULL};
    static const char *const kw3[] = {"origin", "target_rank", "target", "op", NULL};
    static const char *const names[3][2] = {{"Put", "Rput"}, {"Get", "Rget"}, {"Accumulate", "Raccumulate"}};
    PyObject *a[4] = {NULL};
    int rank, ierr;
    MPI_Op op = MPI_SUM;
    MPI_Request request = MPI_REQUEST_NULL;
    rma_args r;
    CHECK(self);
    if (pympi_parse(names[kind][req], kind == OP_ACC ? kw3 : kw2, 2, args, nargs, kw, a) < 0 ||
        pympi_int(a[1], 0, &rank) < 0 || (kind == OP_ACC && pympi_as_op(a[3], MPI_SUM, &op) < 0))
        return NULL;
    if (rma_get(a[0], kind == OP_GET ? PYMPI_RECV : PYMPI_SEND, a[2], &r) < 0) return NULL;
    if (check_range(self, rank, r.tdisp, r.tcount, r.ttype) < 0 ||
        (kind == OP_ACC && acc_types(&r) < 0)) {
        pympi_msg_release(&r.o);
        return NULL;
    }
    MPI_Win win = H(self);
    switch (kind * 2 + req) {
    case 0: PYMPI_NOGIL(ierr = MPI_Put(r.o.addr, r.ocount, r.o.type, rank, r.tdisp, r.tcount, r.ttype, win)); break;
    case 1: PYMPI_NOGIL(ierr = MPI_Rput(r.o.addr, r.ocount, r.o.type, rank, r.tdisp, r.tcount, r.ttype, win, &request)); break;
    case 2: PYMPI_NOGIL(ierr = MPI_Get(r.o.addr, r.ocount, r.o.type, rank, r.tdisp, r.tcount, r.ttype, win)); break;
    case 3: PYMPI_NOGIL(ierr = MPI_Rget(r.o.addr, r.ocount, r.o.type, rank, r.tdisp, r.tcount, r.ttype, win, &request)); break;
    case 4: PYMPI_NOGIL(ierr = MPI_Accumulate(r.o.addr, r.ocount, r.o.type, rank, r.tdisp, r.tcount, r.ttype, op, win)); break;
    default: PYMPI_NOGIL(ierr = MPI_Raccumulate(r.o.addr, r.ocount, r.o.type, rank, r.tdisp, r.tcount, r.ttype, op, win, &request)); break;
    }
    if (CHKERR(ierr)) { pympi_msg_release(&r.o); return NULL; }
    if (!req) { pympi_msg_release(&r.o); Py_RETURN_NONE; }
    return pympi_request_new(&PyMPIRequest_Type, request, pympi_msg_keep(&r.o));
}

#define RMA_WRAP(fn, kind, req) \
    static PyObject *fn(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return rma_op(s, a, n, k, kind, req); }
RMA_WRAP(win_Put, OP_PUT, 0)
RMA_WRAP(win_Rput, OP_PUT, 1)
RMA_WRAP(win_Get, OP_GET, 0)
RMA_WRAP(win_Rget, OP_GET, 1)
RMA_WRAP(win_Accumulate, OP_ACC, 0)
RMA_WRAP(win_Raccumulate, OP_ACC, 1)

/* MPICH reads the origin and fills the result with the target's type map without comparing
 * sizes: an origin (unless the op is NO_OP) or a result of another size than a non-empty
 * target makes it crash or fail an assertion. MPI requires the same type signature; the sizes
 * are what can be checked here. */
static int check_sizes(const rma_args *r, MPI_Op op, MPI_Datatype rtype, int rcount)
{
    MPI_Count osize = 0, tsize = 0, rsize = 0;
    if (MPI_Type_size_x(r->o.type, &osize) != MPI_SUCCESS || MPI_Type_size_x(r->ttype, &tsize) != MPI_SUCCESS ||
        MPI_Type_size_x(rtype, &rsize) != MPI_SUCCESS)
        return 0; /* invalid datatype: MPI reports it */
    tsize *= r->tcount;
    if ((op != MPI_NO_OP && osize * r->ocount != tsize) || (tsize && rsize * rcount != tsize))
        return pympi_raise(MPI_ERR_TYPE);
    return 0;
}

static PyObject *get_accumulate(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw, int req)
{
    static const char *const kwlist[] = {"origin", "result", "target_rank", "target", "op", NULL};
    PyObject *a[5];
    int rank, ierr, rcount;
    MPI_Op op;
    MPI_Request request = MPI_REQUEST_NULL;
    rma_args r;
    pympi_msg res = PYMPI_MSG_INIT;
    CHECK(self);
    if (pympi_parse(req ? "Rget_accumulate" : "Get_accumulate", kwlist, 3, args, nargs, kw, a) < 0 ||
        pympi_int(a[2], 0, &rank) < 0 || pympi_as_op(a[4], MPI_SUM, &op) < 0)
        return NULL;
    if (pympi_msg_get(a[1], PYMPI_RECV, &res) < 0) return NULL;
    if (as_int_count(res.count, &rcount, "result") < 0) { pympi_msg_release(&res); return NULL; }
    /* As in mpi4py, the target defaults to the origin's count and datatype (None: 0 bytes). */
    if (rma_get(a[0], PYMPI_SEND, a[3], &r) < 0) { pympi_msg_release(&res); return NULL; }
    if (check_range(self, rank, r.tdisp, r.tcount, r.ttype) < 0 ||
        check_sizes(&r, op, res.type, rcount) < 0 || acc_types(&r) < 0) {
        pympi_msg_release(&r.o);
        pympi_msg_release(&res);
        return NULL;
    }
    MPI_Win win = H(self);
    if (req)
        PYMPI_NOGIL(ierr = MPI_Rget_accumulate(r.o.addr, r.ocount, r.o.type, res.addr, rcount, res.type, rank,
                                               r.tdisp, r.tcount, r.ttype, op, win, &request));
    else
        PYMPI_NOGIL(ierr = MPI_Get_accumulate(r.o.addr, r.ocount, r.o.type, res.addr, rcount, res.type, rank,
                                              r.tdisp, r.tcount, r.ttype, op, win));
    if (CHKERR(ierr) || !req) {
        pympi_msg_release(&r.o);
        pympi_msg_release(&res);
        if (PyErr_Occurred()) return NULL;
        Py_RETURN_NONE;
    }
    return pympi_request_new(&PyMPIRequest_Type, request, pympi_keep2(pympi_msg_keep(&r.o), pympi_msg_keep(&res)));
}

static PyObject *win_Get_accumulate(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return get_accumulate(s, a, n, k, 0); }
static PyObject *win_Rget_accumulate(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return get_accumulate(s, a, n, k, 1); }

/* One element of the buffer's datatype: the address and datatype of a spec. */
static int single(PyObject *spec, int role, pympi_msg *m, const char *what)
{
    *m = (pympi_msg)PYMPI_MSG_INIT;
    if (pympi_msg_get(spec, role, m) < 0) return -1;
    if (m->count < 1 || m->addr == NULL) {
        PyErr_Format(PyExc_ValueError, "%s: expected a buffer holding at least one element", what);
        pympi_msg_release(m);
        return -1;
    }
    return 0;
}

static PyObject *win_Fetch_and_op(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"origin", "result", "target_rank", "target_disp", "op", NULL};
    PyObject *a[5];
    int rank, ierr;
    MPI_Aint disp;
    MPI_Op op;
    pympi_msg o = PYMPI_MSG_INIT, res;
    CHECK(self);
    if (pympi_parse("Fetch_and_op", kwlist, 3, args, nargs, kw, a) < 0 || pympi_int(a[2], 0, &rank) < 0 ||
        pympi_aint(a[3], 0, &disp) < 0 || pympi_as_op(a[4], MPI_SUM, &op) < 0)
        return NULL;
    if (disp < 0) return PyErr_Format(PyExc_ValueError, "target_disp: negative displacement %zd", (Py_ssize_t)disp);
    if (single(a[1], PYMPI_RECV, &res, "result") < 0) return NULL;
    if ((a[0] != Py_None && single(a[0], PYMPI_SEND, &o, "origin") < 0) || check_range(self, rank, disp, 1, res.type) < 0) {
        pympi_msg_release(&o);
        pympi_msg_release(&res);
        return NULL;
    }
    PYMPI_NOGIL(ierr = MPI_Fetch_and_op(o.addr, res.addr, res.type, rank, disp, op, H(self)));
    pympi_msg_release(&o);
    pympi_msg_release(&res);
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_NONE;
}

static PyObject *win_Compare_and_swap(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"origin", "compare", "result", "target_rank", "target_disp", NULL};
    PyObject *a[5];
    int rank, ierr;
    MPI_Aint disp;
    pympi_msg o, c, res;
    CHECK(self);
    if (pympi_parse("Compare_and_swap", kwlist, 4, args, nargs, kw, a) < 0 || pympi_int(a[3], 0, &rank) < 0 ||
        pympi_aint(a[4], 0, &disp) < 0)
        return NULL;
    if (disp < 0) return PyErr_Format(PyExc_ValueError, "target_disp: negative displacement %zd", (Py_ssize_t)disp);
    if (single(a[0], PYMPI_SEND, &o, "origin") < 0) return NULL;
    if (single(a[1], PYMPI_SEND, &c, "compare") < 0) { pympi_msg_release(&o); return NULL; }
    if (single(a[2], PYMPI_RECV, &res, "result") < 0) { pympi_msg_release(&o); pympi_msg_release(&c); return NULL; }
    if (check_range(self, rank, disp, 1, res.type) < 0) {
        pympi_msg_release(&o);
        pympi_msg_release(&c);
        pympi_msg_release(&res);
        return NULL;
    }
    PYMPI_NOGIL(ierr = MPI_Compare_and_swap(o.addr, c.addr, res.addr, res.type, rank, disp, H(self)));
    pympi_msg_release(&o);
    pympi_msg_release(&c);
    pympi_msg_release(&res);
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_NONE;
}

/* ---- synchronization ------------------------------------------------------ */
static PyObject *win_Fence(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"assertion", NULL};
    PyObject *a[1];
    int assertion, ierr;
    CHECK(self);
    if (pympi_parse("Fence", kwlist, 0, args, nargs, kw, a) < 0 || pympi_int(a[0], 0, &assertion) < 0) return NULL;
    PYMPI_NOGIL(ierr = MPI_Win_fence(assertion, H(self)));
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_NONE;
}

/* Record a Start/Post epoch opened (1) or closed (0). */
static void live_epoch(PyObject *self, int post, int open)
{
    live_win *l = live_find(H(self));
    if (l && post) l->posted = open;
    else if (l) l->started = open;
}

static PyObject *group_sync(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw, int post)
{
    static const char *const kwlist[] = {"group", "assertion", NULL};
    PyObject *a[2];
    int assertion, ierr;
    MPI_Group g;
    CHECK(self);
    if (pympi_parse(post ? "Post" : "Start", kwlist, 1, args, nargs, kw, a) < 0 || pympi_as_group(a[0], &g) < 0 ||
        pympi_int(a[1], 0, &assertion) < 0)
        return NULL;
    if (post) PYMPI_NOGIL(ierr = MPI_Win_post(g, assertion, H(self)));
    else PYMPI_NOGIL(ierr = MPI_Win_start(g, assertion, H(self)));
    if (CHKERR(ierr)) return NULL;
    live_epoch(self, post, 1);
    Py_RETURN_NONE;
}
static PyObject *win_Start(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return group_sync(s, a, n, k, 0); }
static PyObject *win_Post(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return group_sync(s, a, n, k, 1); }

#define SYNC0(fn, call)                               \
    static PyObject *fn(PyObject *self, PyObject *u)  \
    {                                                 \
        int ierr;                                     \
        CHECK(self);                                  \
        PYMPI_NOGIL(ierr = call(H(self)));            \
        if (CHKERR(ierr)) return NULL;                \
        Py_RETURN_NONE;                               \
    }
static PyObject *win_Complete(PyObject *self, PyObject *u)
{
    int ierr;
    CHECK(self);
    PYMPI_NOGIL(ierr = MPI_Win_complete(H(self)));
    if (CHKERR(ierr)) return NULL;
    live_epoch(self, 0, 0);
    Py_RETURN_NONE;
}

SYNC0(win_Unlock_all, MPI_Win_unlock_all)
SYNC0(win_Flush_all, MPI_Win_flush_all)
SYNC0(win_Flush_local_all, MPI_Win_flush_local_all)
SYNC0(win_Sync, MPI_Win_sync)

static PyObject *win_Wait(PyObject *self, PyObject *u)
{
    int ierr;
    CHECK(self);
    PYMPI_NOGIL(ierr = MPI_Win_wait(H(self)));
    if (CHKERR(ierr)) return NULL;
    live_epoch(self, 1, 0);
    Py_RETURN_TRUE;
}

static PyObject *win_Test(PyObject *self, PyObject *u)
{
    int flag = 0;
    CHECK(self);
    if (CHKERR(MPI_Win_test(H(self), &flag))) return NULL;
    if (flag) live_epoch(self, 1, 0);
    return PyBool_FromLong(flag);
}

#define SYNC_RANK(fn, call)                             \
    static PyObject *fn(PyObject *self, PyObject *arg)  \
    {                                                   \
        int rank, ierr;                                 \
        CHECK(self);                                    \
        if (pympi_int(arg, 0, &rank) < 0) return NULL;  \
        PYMPI_NOGIL(ierr = call(rank, H(self)));        \
        if (CHKERR(ierr)) return NULL;                  \
        Py_RETURN_NONE;                                 \
    }
SYNC_RANK(win_Unlock, MPI_Win_unlock)
SYNC_RANK(win_Flush, MPI_Win_flush)
SYNC_RANK(win_Flush_local, MPI_Win_flush_local)

static PyObject *win_Lock(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"rank", "lock_type", "assertion", NULL};
    PyObject *a[3];
    int rank, lock_type, assertion, ierr;
    CHECK(self);
    if (pympi_parse("Lock", kwlist, 1, args, nargs, kw, a) < 0 || pympi_int(a[0], 0, &rank) < 0 ||
        pympi_int(a[1], MPI_LOCK_EXCLUSIVE, &lock_type) < 0 || pympi_int(a[2], 0, &assertion) < 0)
        return NULL;
    PYMPI_NOGIL(ierr = MPI_Win_lock(lock_type, rank, assertion, H(self)));
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_NONE;
}

static PyObject *win_Lock_all(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"assertion", NULL};
    PyObject *a[1];
    int assertion, ierr;
    CHECK(self);
    if (pympi_parse("Lock_all", kwlist, 0, args, nargs, kw, a) < 0 || pympi_int(a[0], 0, &assertion) < 0) return NULL;
    PYMPI_NOGIL(ierr = MPI_Win_lock_all(assertion, H(self)));
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_NONE;
}

/* ---- properties ------------------------------------------------------------ */
static PyObject *win_group(PyObject *self, void *c) { return win_Get_group(self, NULL); }
static PyObject *win_info(PyObject *self, void *c) { return win_Get_info(self, NULL); }
static int win_set_info(PyObject *self, PyObject *v, void *c)
{
    if (!v) { PyErr_SetString(PyExc_AttributeError, "cannot delete info"); return -1; }
    PyObject *r = win_Set_info(self, v);
    Py_XDECREF(r);
    return r ? 0 : -1;
}
static PyObject *win_name(PyObject *self, void *c) { return win_Get_name(self, NULL); }
static int win_set_name(PyObject *self, PyObject *v, void *c)
{
    if (!v) { PyErr_SetString(PyExc_AttributeError, "cannot delete name"); return -1; }
    PyObject *r = win_Set_name(self, v);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

static PyGetSetDef win_getset[] = {
    {"attrs", win_attrs, NULL, "(base address, size in bytes, displacement unit) of the local window", NULL},
    {"flavor", win_flavor, NULL, "create flavor (WIN_FLAVOR_CREATE, _ALLOCATE, _DYNAMIC, _SHARED)", NULL},
    {"model", win_model, NULL, "memory model (WIN_SEPARATE or WIN_UNIFIED)", NULL},
    {"group", win_group, NULL, "group of the window", NULL},
    {"info", win_info, win_set_info, "info hints", NULL},
    {"name", win_name, win_set_name, "window name", NULL},
    {NULL}};

#define CLASSKW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS | METH_CLASS
PYMPI_ONEARG(win_Attach_kw, win_Attach, "Attach", "memory")
PYMPI_ONEARG(win_Detach_kw, win_Detach, "Detach", "memory")
PYMPI_ONEARG(win_Shared_query_kw, win_Shared_query, "Shared_query", "rank")
PYMPI_ONEARG(win_Set_info_kw, win_Set_info, "Set_info", "info")
PYMPI_ONEARG(win_Set_name_kw, win_Set_name, "Set_name", "name")
PYMPI_ONEARG(win_Set_errhandler_kw, win_Set_errhandler, "Set_errhandler", "errhandler")
PYMPI_ONEARG(win_Call_errhandler_kw, win_Call_errhandler, "Call_errhandler", "errorcode")
PYMPI_ONEARG(win_Unlock_kw, win_Unlock, "Unlock", "rank")
PYMPI_ONEARG(win_Flush_kw, win_Flush, "Flush", "rank")
PYMPI_ONEARG(win_Flush_local_kw, win_Flush_local, "Flush_local", "rank")

static PyMethodDef win_base_methods[] = {
    {"Create", CLASSKW(win_Create), "Create a window over a memory buffer (or BOTTOM/None: no memory)."},
    {"Allocate", CLASSKW(win_Allocate), "Create a window over memory allocated by MPI."},
    {"Allocate_shared", CLASSKW(win_Allocate_shared), "Create a window over shared memory allocated by MPI."},
    {"Create_dynamic", CLASSKW(win_Create_dynamic), "Create a window for memory attached later."},
    {"Attach", (PyCFunction)(void (*)(void))win_Attach_kw, METH_FASTCALL | METH_KEYWORDS, "Attach memory to a dynamic window."},
    {"Detach", (PyCFunction)(void (*)(void))win_Detach_kw, METH_FASTCALL | METH_KEYWORDS, "Detach memory from a dynamic window."},
    {"Free", win_Free, METH_NOARGS, "Free the window (collective)."},
    {"Shared_query", (PyCFunction)(void (*)(void))win_Shared_query_kw, METH_FASTCALL | METH_KEYWORDS, "(memory, disp_unit) of a rank's part of a shared window."},
    {"tomemory", win_tomemory, METH_NOARGS, "The local window memory as a memory object."},
    {"Get_group", win_Get_group, METH_NOARGS, "Group of the processes of the window."},
    {"Get_info", win_Get_info, METH_NOARGS, "Info hints in use."},
    {"Set_info", (PyCFunction)(void (*)(void))win_Set_info_kw, METH_FASTCALL | METH_KEYWORDS, "Set info hints."},
    {"Get_name", win_Get_name, METH_NOARGS, "Name of the window."},
    {"Set_name", (PyCFunction)(void (*)(void))win_Set_name_kw, METH_FASTCALL | METH_KEYWORDS, "Set the name of the window."},
    {"Get_errhandler", win_Get_errhandler, METH_NOARGS, "Error handler of the window."},
    {"Set_errhandler", (PyCFunction)(void (*)(void))win_Set_errhandler_kw, METH_FASTCALL | METH_KEYWORDS, "Set the error handler of the window."},
    {"Call_errhandler", (PyCFunction)(void (*)(void))win_Call_errhandler_kw, METH_FASTCALL | METH_KEYWORDS, "Call the error handler with an error code."},
    {"Put", FASTKW(win_Put), "Put data into a remote window."},
    {"Get", FASTKW(win_Get), "Get data from a remote window."},
    {"Accumulate", FASTKW(win_Accumulate), "Accumulate data into a remote window."},
    {"Get_accumulate", FASTKW(win_Get_accumulate), "Fetch remote data and accumulate into it."},
    {"Fetch_and_op", FASTKW(win_Fetch_and_op), "Fetch one element and apply op to it."},
    {"Compare_and_swap", FASTKW(win_Compare_and_swap), "Atomic compare and swap of one element."},
    {"Rput", FASTKW(win_Rput), "Request-based Put."},
    {"Rget", FASTKW(win_Rget), "Request-based Get."},
    {"Raccumulate", FASTKW(win_Raccumulate), "Request-based Accumulate."},
    {"Rget_accumulate", FASTKW(win_Rget_accumulate), "Request-based Get_accumulate."},
    {"Fence", FASTKW(win_Fence), "Fence synchronization (collective)."},
    {"Start", FASTKW(win_Start), "Start an access epoch to a group."},
    {"Complete", win_Complete, METH_NOARGS, "Complete the access epoch."},
    {"Post", FASTKW(win_Post), "Start an exposure epoch to a group."},
    {"Wait", win_Wait, METH_NOARGS, "Wait for the exposure epoch to complete."},
    {"Test", win_Test, METH_NOARGS, "Test whether the exposure epoch has completed."},
    {"Lock", FASTKW(win_Lock), "Start a passive-target access epoch at a rank."},
    {"Unlock", (PyCFunction)(void (*)(void))win_Unlock_kw, METH_FASTCALL | METH_KEYWORDS, "End the passive-target epoch at a rank."},
    {"Lock_all", FASTKW(win_Lock_all), "Start a shared passive-target epoch at all ranks."},
    {"Unlock_all", win_Unlock_all, METH_NOARGS, "End the epoch started with Lock_all."},
    {"Flush", (PyCFunction)(void (*)(void))win_Flush_kw, METH_FASTCALL | METH_KEYWORDS, "Complete the operations to a rank (both ends)."},
    {"Flush_all", win_Flush_all, METH_NOARGS, "Complete the operations to all ranks."},
    {"Flush_local", (PyCFunction)(void (*)(void))win_Flush_local_kw, METH_FASTCALL | METH_KEYWORDS, "Complete the operations to a rank locally."},
    {"Flush_local_all", win_Flush_local_all, METH_NOARGS, "Complete all operations locally."},
    {"Sync", win_Sync, METH_NOARGS, "Synchronize public and private copies of the window."},
    PYMPI_HANDLE_METHODS,
    {NULL}};

static const PyMethodDef *const win_tables[] = {win_base_methods, pympi_win_attr_methods, NULL};

PyTypeObject PyMPIWin_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI.Win",
    .tp_basicsize = sizeof(WinObject),
    .tp_dealloc = (destructor)win_dealloc,
    .tp_getset = win_getset,
    .tp_as_buffer = &win_as_buffer,
    .tp_doc = "Window: memory exposed to one-sided communication."};

static int add_const(PyObject *m, const char *name, MPI_Win h)
{
    return pympi_add(m, name, pympi_handle_new(&PyMPIWin_Type, &h, PYMPI_CONST));
}

int pympi_init_win(PyObject *m)
{
    PyMPIWin_Type.tp_methods = pympi_methods_concat(win_tables);
    if (!PyMPIWin_Type.tp_methods) return -1;
    pympi_handle_type_init(&PyMPIWin_Type, &Win_kind);
    if (PyType_Ready(&PyMPIWin_Type) < 0) return -1;
    Py_INCREF(&PyMPIWin_Type);
    if (PyModule_AddObject(m, "Win", (PyObject *)&PyMPIWin_Type) < 0) return -1;
    if (add_const(m, "WIN_NULL", MPI_WIN_NULL) < 0) return -1;
    return 0;
}
