/* keyval.c: attribute caching on Comm, Datatype and Win: Create_keyval (with Python copy and
 * delete callbacks), Free_keyval, Get_attr, Set_attr, Delete_attr, the predefined attributes,
 * and the module constant _keyval_registry ({'Comm': {keyval: state}, 'Datatype': ..., 'Win': ...}).
 *
 * A keyval made by Create_keyval has a state object (copy_fn, delete_fn, nopython) passed to MPI
 * as extra_state. Each attribute value set with it holds one reference to the state (so a freed
 * keyval's callbacks still work for the attributes left) and, unless nopython, one reference to
 * the Python value. copy_fn: None (not copied), True (the same value is shared), or a callable
 * copy_fn(obj, keyval, value) returning the new value or NotImplemented (not copied).
 * delete_fn(obj, keyval, value) is called when the attribute is deleted, replaced, or its object
 * freed. Callbacks run with the GIL taken back; an exception in one is printed to sys.stderr and
 * the MPI call that triggered it fails with MPI.Exception (ERR_OTHER, or the code of an
 * MPI.Exception raised by the callback). After Python has finalized, callbacks do nothing. */
#include "pympi.h"

#define FASTKW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS

typedef struct {
    PyObject_HEAD
    PyObject *copy_fn;
    PyObject *delete_fn;
    int nopython;
} keyval_state;

static void state_dealloc(keyval_state *s)
{
    Py_XDECREF(s->copy_fn);
    Py_XDECREF(s->delete_fn);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

static PyMemberDef state_members[] = {
    {"copy_fn", T_OBJECT, offsetof(keyval_state, copy_fn), READONLY, "copy callback (None, True or callable)"},
    {"delete_fn", T_OBJECT, offsetof(keyval_state, delete_fn), READONLY, "delete callback (None or callable)"},
    {"nopython", T_BOOL, offsetof(keyval_state, nopython), READONLY, "values are C integers (addresses)"},
    {NULL}};

static PyTypeObject KeyvalState_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI._p_keyval",
    .tp_basicsize = sizeof(keyval_state),
    .tp_dealloc = (destructor)state_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_members = state_members,
    .tp_doc = "State of an attribute keyval created with Create_keyval."};

static PyObject *registry;          /* _keyval_registry */
static PyObject *kind_dicts[3];     /* borrowed from registry: Comm, Datatype, Win */
/* Keyvals this module created and freed: MPI does not always detect the reuse of a freed keyval
 * (it may live on while attributes use it), so it is refused here with ERR_KEYVAL. */
static PyObject *freed_sets[3];

static int check_not_freed(int kind, int keyval)
{
    if (!freed_sets[kind]) return 0;
    PyObject *k = PyLong_FromLong(keyval);
    if (!k) return -1;
    int in = PySet_Contains(freed_sets[kind], k);
    Py_DECREF(k);
    if (in < 0) return -1;
    return in ? pympi_raise(MPI_ERR_KEYVAL) : 0;
}
static const char *const kind_names[3] = {"Comm", "Datatype", "Win"};

static keyval_state *state_of(int kind, int keyval)
{
    if (!kind_dicts[kind]) return NULL;
    PyObject *k = PyLong_FromLong(keyval);
    if (!k) { PyErr_Clear(); return NULL; }
    PyObject *s = PyDict_GetItemWithError(kind_dicts[kind], k);
    Py_DECREF(k);
    if (!s) PyErr_Clear();
    return (keyval_state *)s;
}

int pympi_callback_error(void)
{
    PyObject *t, *v, *tb;
    int code = MPI_ERR_OTHER;
    PyErr_Fetch(&t, &v, &tb);
    if (!t) return code;
    PyErr_NormalizeException(&t, &v, &tb);
    if (tb && v) PyException_SetTraceback(v, tb);
    if (v && pympi_Exception && PyObject_TypeCheck(v, (PyTypeObject *)pympi_Exception)) {
        PyObject *c = PyObject_GetAttrString(v, "ierr");
        long ierr = c ? PyLong_AsLong(c) : -1;
        Py_XDECREF(c);
        if (ierr > 0) code = (int)ierr;
        PyErr_Clear();
    }
    PyErr_Display(t, v, tb);
    Py_XDECREF(t);
    Py_XDECREF(v);
    Py_XDECREF(tb);
    PyErr_Clear();
    return code;
}

/* A Python object for a handle passed to a callback (not owned: never freed by Python). */
static PyObject *wrap(int kind, void *handle)
{
    switch (kind) {
    case PYMPI_ATTR_COMM: return pympi_comm_wrap(*(MPI_Comm *)handle);
    case PYMPI_ATTR_DATATYPE: return pympi_datatype_ref(*(MPI_Datatype *)handle);
    default: return pympi_handle_new(&PyMPIWin_Type, handle, 0);
    }
}

/* ---- the C callbacks MPI calls ----------------------------------------------- */
static int attr_copy(int kind, void *handle, int keyval, void *extra, void *in, void *out, int *flag)
{
    keyval_state *s = extra;
    int ierr = MPI_SUCCESS;
    *flag = 0;
    if (!s || !Py_IsInitialized()) return MPI_SUCCESS;
    PyGILState_STATE gs = PyGILState_Ensure();
    PyObject *val = NULL;
    if (s->copy_fn == Py_None) goto done;
    val = s->nopython ? PyLong_FromVoidPtr(in) : (Py_XINCREF((PyObject *)in), (PyObject *)in);
    if (!val) goto fail;
    if (s->copy_fn != Py_True) {
        PyObject *h = wrap(kind, handle);
        if (!h) goto fail;
        PyObject *r = PyObject_CallFunction(s->copy_fn, "OiO", h, keyval, val);
        Py_DECREF(h);
        Py_DECREF(val);
        val = r;
        if (!r) goto fail;
        if (r == Py_NotImplemented) goto done;
    }
    if (s->nopython) {
        void *p = PyLong_AsVoidPtr(val);
        if (!p && PyErr_Occurred()) goto fail;
        *(void **)out = p;
    } else {
        *(void **)out = val;
        val = NULL; /* the attribute owns this reference now */
    }
    Py_INCREF(s);
    *flag = 1;
    goto done;
fail:
    ierr = pympi_callback_error();
done:
    Py_XDECREF(val);
    PyGILState_Release(gs);
    return ierr;
}

static int attr_delete(int kind, void *handle, int keyval, void *value, void *extra)
{
    keyval_state *s = extra;
    int ierr = MPI_SUCCESS;
    if (!s || !Py_IsInitialized()) return MPI_SUCCESS;
    PyGILState_STATE gs = PyGILState_Ensure();
    if (s->delete_fn != Py_None) {
        PyObject *val = s->nopython ? PyLong_FromVoidPtr(value) : (Py_XINCREF((PyObject *)value), (PyObject *)value);
        PyObject *h = val ? wrap(kind, handle) : NULL;
        PyObject *r = h ? PyObject_CallFunction(s->delete_fn, "OiO", h, keyval, val) : NULL;
        Py_XDECREF(h);
        Py_XDECREF(val);
        if (!r) {
            /* MPI keeps the attribute when its delete callback fails: keep its references. */
            ierr = pympi_callback_error();
            PyGILState_Release(gs);
            return ierr;
        }
        Py_DECREF(r);
    }
    if (!s->nopython) Py_XDECREF((PyObject *)value);
    Py_DECREF(s);
    PyGILState_Release(gs);
    return ierr;
}

static int comm_copy_cb(MPI_Comm h, int k, void *x, void *in, void *out, int *flag)
{
    return attr_copy(PYMPI_ATTR_COMM, &h, k, x, in, out, flag);
}
static int comm_delete_cb(MPI_Comm h, int k, void *v, void *x) { return attr_delete(PYMPI_ATTR_COMM, &h, k, v, x); }
static int type_copy_cb(MPI_Datatype h, int k, void *x, void *in, void *out, int *flag)
{
    return attr_copy(PYMPI_ATTR_DATATYPE, &h, k, x, in, out, flag);
}
static int type_delete_cb(MPI_Datatype h, int k, void *v, void *x) { return attr_delete(PYMPI_ATTR_DATATYPE, &h, k, v, x); }
static int win_copy_cb(MPI_Win h, int k, void *x, void *in, void *out, int *flag)
{
    return attr_copy(PYMPI_ATTR_WIN, &h, k, x, in, out, flag);
}
static int win_delete_cb(MPI_Win h, int k, void *v, void *x) { return attr_delete(PYMPI_ATTR_WIN, &h, k, v, x); }

/* ---- generic get/set/delete ------------------------------------------------------ */
static int null_handle(int kind, void *handle)
{
    switch (kind) {
    case PYMPI_ATTR_COMM: return *(MPI_Comm *)handle == MPI_COMM_NULL ? pympi_raise(MPI_ERR_COMM) : 0;
    case PYMPI_ATTR_DATATYPE: return *(MPI_Datatype *)handle == MPI_DATATYPE_NULL ? pympi_raise(MPI_ERR_TYPE) : 0;
    default: return *(MPI_Win *)handle == MPI_WIN_NULL ? pympi_raise(MPI_ERR_WIN) : 0;
    }
}

PyObject *pympi_attr_get(int kind, void *handle, int keyval)
{
    void *val = NULL;
    int flag = 0, ierr;
    if (null_handle(kind, handle) < 0 || check_not_freed(kind, keyval) < 0) return NULL;
    if (kind == PYMPI_ATTR_COMM) ierr = MPI_Comm_get_attr(*(MPI_Comm *)handle, keyval, &val, &flag);
    else if (kind == PYMPI_ATTR_DATATYPE) ierr = MPI_Type_get_attr(*(MPI_Datatype *)handle, keyval, &val, &flag);
    else ierr = MPI_Win_get_attr(*(MPI_Win *)handle, keyval, &val, &flag);
    if (CHKERR(ierr)) return NULL;
    if (!flag) Py_RETURN_NONE;
    if (kind == PYMPI_ATTR_COMM &&
        (keyval == MPI_TAG_UB || keyval == MPI_HOST || keyval == MPI_IO || keyval == MPI_WTIME_IS_GLOBAL ||
         keyval == MPI_UNIVERSE_SIZE || keyval == MPI_APPNUM || keyval == MPI_LASTUSEDCODE))
        return PyLong_FromLong(val ? *(int *)val : 0);
    if (kind == PYMPI_ATTR_WIN) {
        if (keyval == MPI_WIN_BASE) return PyLong_FromVoidPtr(val);
        if (keyval == MPI_WIN_SIZE) return PyLong_FromSsize_t(val ? *(MPI_Aint *)val : 0);
        if (keyval == MPI_WIN_DISP_UNIT || keyval == MPI_WIN_CREATE_FLAVOR || keyval == MPI_WIN_MODEL)
            return PyLong_FromLong(val ? *(int *)val : 0);
    }
    keyval_state *s = state_of(kind, keyval);
    if (s && !s->nopython && val) {
        Py_INCREF((PyObject *)val);
        return (PyObject *)val;
    }
    return PyLong_FromVoidPtr(val);
}

static int set_raw(int kind, void *handle, int keyval, void *val)
{
    if (kind == PYMPI_ATTR_COMM) return MPI_Comm_set_attr(*(MPI_Comm *)handle, keyval, val);
    if (kind == PYMPI_ATTR_DATATYPE) return MPI_Type_set_attr(*(MPI_Datatype *)handle, keyval, val);
    return MPI_Win_set_attr(*(MPI_Win *)handle, keyval, val);
}

int pympi_attr_set(int kind, void *handle, int keyval, PyObject *value)
{
    if (null_handle(kind, handle) < 0 || check_not_freed(kind, keyval) < 0) return -1;
    keyval_state *s = state_of(kind, keyval);
    int ierr;
    if (s && !s->nopython) {
        Py_INCREF(value);
        Py_INCREF(s);
        ierr = set_raw(kind, handle, keyval, value);
        if (ierr != MPI_SUCCESS) { Py_DECREF(value); Py_DECREF(s); }
    } else {
        if (!PyLong_Check(value) && !PyIndex_Check(value)) {
            PyErr_Format(PyExc_TypeError, "the value of a nopython (or C) keyval must be an int, not '%.200s'",
                         Py_TYPE(value)->tp_name);
            return -1;
        }
        void *p = PyLong_AsVoidPtr(value);
        if (!p && PyErr_Occurred()) return -1;
        if (s) Py_INCREF(s);
        ierr = set_raw(kind, handle, keyval, p);
        if (ierr != MPI_SUCCESS && s) Py_DECREF(s);
    }
    return CHKERR(ierr) ? -1 : 0;
}

int pympi_attr_delete(int kind, void *handle, int keyval)
{
    int ierr;
    if (null_handle(kind, handle) < 0 || check_not_freed(kind, keyval) < 0) return -1;
    if (kind == PYMPI_ATTR_COMM) ierr = MPI_Comm_delete_attr(*(MPI_Comm *)handle, keyval);
    else if (kind == PYMPI_ATTR_DATATYPE) ierr = MPI_Type_delete_attr(*(MPI_Datatype *)handle, keyval);
    else ierr = MPI_Win_delete_attr(*(MPI_Win *)handle, keyval);
    return CHKERR(ierr) ? -1 : 0;
}

/* ---- methods ------------------------------------------------------------------------ */
static PyObject *create_keyval(int kind, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"copy_fn", "delete_fn", "nopython", NULL};
    PyObject *a[3];
    int nopython, keyval = MPI_KEYVAL_INVALID, ierr;
    if (pympi_parse("Create_keyval", kwlist, 0, args, nargs, kw, a) < 0 || pympi_bool(a[2], 0, &nopython) < 0)
        return NULL;
    PyObject *copy_fn = a[0] ? a[0] : Py_None, *delete_fn = a[1] ? a[1] : Py_None;
    if (copy_fn == Py_False) copy_fn = Py_None;
    if (delete_fn == Py_False || delete_fn == Py_True) delete_fn = Py_None;
    if (copy_fn != Py_None && copy_fn != Py_True && !PyCallable_Check(copy_fn))
        return PyErr_Format(PyExc_TypeError, "copy_fn must be None, True or callable, not '%.200s'", Py_TYPE(copy_fn)->tp_name);
    if (delete_fn != Py_None && !PyCallable_Check(delete_fn))
        return PyErr_Format(PyExc_TypeError, "delete_fn must be None or callable, not '%.200s'", Py_TYPE(delete_fn)->tp_name);
    keyval_state *s = PyObject_New(keyval_state, &KeyvalState_Type);
    if (!s) return NULL;
    Py_INCREF(copy_fn);
    Py_INCREF(delete_fn);
    s->copy_fn = copy_fn;
    s->delete_fn = delete_fn;
    s->nopython = nopython;
    if (kind == PYMPI_ATTR_COMM) ierr = MPI_Comm_create_keyval(comm_copy_cb, comm_delete_cb, &keyval, s);
    else if (kind == PYMPI_ATTR_DATATYPE) ierr = MPI_Type_create_keyval(type_copy_cb, type_delete_cb, &keyval, s);
    else ierr = MPI_Win_create_keyval(win_copy_cb, win_delete_cb, &keyval, s);
    if (CHKERR(ierr)) { Py_DECREF(s); return NULL; }
    pympi_py_callbacks++;
    PyObject *k = PyLong_FromLong(keyval);
    if (!k || PyDict_SetItem(kind_dicts[kind], k, (PyObject *)s) < 0 || PySet_Discard(freed_sets[kind], k) < 0) {
        Py_XDECREF(k);
        Py_DECREF(s);
        return NULL;
    }
    Py_DECREF(s);
    return k;
}

static PyObject *free_keyval(int kind, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"keyval", NULL};
    PyObject *a[1];
    int keyval, ierr;
    if (pympi_parse("Free_keyval", kwlist, 1, args, nargs, kw, a) < 0 || pympi_int(a[0], 0, &keyval) < 0) return NULL;
    int saved = keyval;
    if (check_not_freed(kind, keyval) < 0) return NULL;
    if (kind == PYMPI_ATTR_COMM) ierr = MPI_Comm_free_keyval(&keyval);
    else if (kind == PYMPI_ATTR_DATATYPE) ierr = MPI_Type_free_keyval(&keyval);
    else ierr = MPI_Win_free_keyval(&keyval);
    if (CHKERR(ierr)) return NULL;
    PyObject *k = PyLong_FromLong(saved);
    if (!k) return NULL;
    if (PyDict_DelItem(kind_dicts[kind], k) < 0) PyErr_Clear();
    else if (PySet_Add(freed_sets[kind], k) < 0) { Py_DECREF(k); return NULL; }
    Py_DECREF(k);
    return PyLong_FromLong(keyval);
}

static PyObject *get_attr(int kind, void *handle, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"keyval", NULL};
    PyObject *a[1];
    int keyval;
    if (pympi_parse("Get_attr", kwlist, 1, args, nargs, kw, a) < 0 || pympi_int(a[0], 0, &keyval) < 0) return NULL;
    return pympi_attr_get(kind, handle, keyval);
}

static PyObject *set_attr(int kind, void *handle, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"keyval", "attrval", NULL};
    PyObject *a[2];
    int keyval;
    if (pympi_parse("Set_attr", kwlist, 2, args, nargs, kw, a) < 0 || pympi_int(a[0], 0, &keyval) < 0) return NULL;
    if (pympi_attr_set(kind, handle, keyval, a[1]) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *delete_attr(int kind, void *handle, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"keyval", NULL};
    PyObject *a[1];
    int keyval;
    if (pympi_parse("Delete_attr", kwlist, 1, args, nargs, kw, a) < 0 || pympi_int(a[0], 0, &keyval) < 0) return NULL;
    if (pympi_attr_delete(kind, handle, keyval) < 0) return NULL;
    Py_RETURN_NONE;
}

#define KIND_METHODS(pfx, KIND, Obj)                                                                   \
    static PyObject *pfx##_Create_keyval(PyObject *cls, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) \
    { return create_keyval(KIND, args, nargs, kw); }                                                   \
    static PyObject *pfx##_Free_keyval(PyObject *cls, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)   \
    { return free_keyval(KIND, args, nargs, kw); }                                                     \
    static PyObject *pfx##_Get_attr(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)     \
    { return get_attr(KIND, &((Obj *)self)->ob_mpi, args, nargs, kw); }                               \
    static PyObject *pfx##_Set_attr(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)     \
    { return set_attr(KIND, &((Obj *)self)->ob_mpi, args, nargs, kw); }                               \
    static PyObject *pfx##_Delete_attr(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)  \
    { return delete_attr(KIND, &((Obj *)self)->ob_mpi, args, nargs, kw); }                            \
    PyMethodDef pympi_##pfx##_attr_methods[] = {                                                       \
        {"Create_keyval", FASTKW(pfx##_Create_keyval) | METH_CLASS,                                   \
         "Create_keyval(copy_fn=None, delete_fn=None, nopython=False): a new attribute key."},        \
        {"Free_keyval", FASTKW(pfx##_Free_keyval) | METH_CLASS, "Free_keyval(keyval): free an attribute key; returns KEYVAL_INVALID."}, \
        {"Get_attr", FASTKW(pfx##_Get_attr), "Get_attr(keyval): the attribute value, or None if unset."}, \
        {"Set_attr", FASTKW(pfx##_Set_attr), "Set_attr(keyval, attrval): store an attribute value."},  \
        {"Delete_attr", FASTKW(pfx##_Delete_attr), "Delete_attr(keyval): delete an attribute value."}, \
        {NULL}}

KIND_METHODS(comm, PYMPI_ATTR_COMM, PyMPICommObject);
KIND_METHODS(datatype, PYMPI_ATTR_DATATYPE, PyMPIDatatypeObject);
KIND_METHODS(win, PYMPI_ATTR_WIN, PyMPIWinObject);

int pympi_init_keyval(PyObject *m)
{
    if (PyType_Ready(&KeyvalState_Type) < 0) return -1;
    registry = PyDict_New();
    if (!registry) return -1;
    for (int i = 0; i < 3; i++) {
        PyObject *d = PyDict_New();
        if (!d || PyDict_SetItemString(registry, kind_names[i], d) < 0) { Py_XDECREF(d); return -1; }
        kind_dicts[i] = d;
        Py_DECREF(d);
        if (!(freed_sets[i] = PySet_New(NULL))) return -1;
    }
    Py_INCREF(registry);
    return pympi_add(m, "_keyval_registry", registry);
}
