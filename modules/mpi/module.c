/* module.c: the mpi4py.MPI module: creation, constants, MPI init/finalize policy, and the
 * environment-management functions (Init, Finalize, Wtime, Get_version, ...).
 *
 * Init/finalize policy:
 *  - Under python-mpi the launcher has initialized MPI before Python started and finalizes (or
 *    aborts) after Python ends; pympi_launcher_owns_mpi is set and this module never calls
 *    MPI_Init* or MPI_Finalize on its own.
 *  - Under a plain python3, importing the module initializes MPI (unless mpi4py.rc.initialize
 *    is false) at mpi4py.rc.thread_level, and finalizes it at exit if it initialized it (or if
 *    mpi4py.rc.finalize is true). A non-zero status recorded by _set_abort_status() turns the
 *    exit-time finalize into MPI_Abort(MPI_COMM_WORLD, status) (mpi4py.run relies on it). */
#include "pympi.h"

int pympi_launcher_owns_mpi = 0;
int pympi_py_callbacks = 0;
static int module_initialized_mpi = 0;
static int finalize_at_exit = 0;
int pympi_abort_status = 0;

int pympi_mpi_active(void)
{
    int init = 0, fini = 0;
    MPI_Initialized(&init);
    if (!init) return 0;
    MPI_Finalized(&fini);
    return !fini;
}

/* The error handler our handles use: errors come back as codes, we raise MPI.Exception. */
static void set_errors_return(void)
{
    MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

static void atexit_finalize(void)
{
    if (pympi_launcher_owns_mpi || !pympi_mpi_active()) return;
    if (pympi_abort_status) {
        fflush(stdout);
        fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, pympi_abort_status);
    }
    if (finalize_at_exit) MPI_Finalize();
}

/* ---- reading mpi4py.rc --------------------------------------------------- */
static PyObject *rc_get(const char *name)
{
    PyObject *mods = PyImport_GetModuleDict();
    PyObject *mpi4py = PyDict_GetItemString(mods, "mpi4py");
    if (!mpi4py) return NULL;
    PyObject *rc = PyObject_GetAttrString(mpi4py, "rc");
    if (!rc) { PyErr_Clear(); return NULL; }
    PyObject *v = PyObject_GetAttrString(rc, name);
    Py_DECREF(rc);
    if (!v) PyErr_Clear();
    return v;
}

static const struct { const char *name; int level; } thread_levels[] = {
    {"single", MPI_THREAD_SINGLE}, {"funneled", MPI_THREAD_FUNNELED},
    {"serialized", MPI_THREAD_SERIALIZED}, {"multiple", MPI_THREAD_MULTIPLE}, {NULL, 0}};

static int rc_thread_level(int *level)
{
    *level = MPI_THREAD_MULTIPLE;
    PyObject *v = rc_get("thread_level");
    if (!v) return 0;
    const char *s = PyUnicode_Check(v) ? PyUnicode_AsUTF8(v) : NULL;
    int rc = -1;
    for (int i = 0; s && thread_levels[i].name; i++)
        if (strcmp(s, thread_levels[i].name) == 0) { *level = thread_levels[i].level; rc = 0; }
    if (rc < 0) PyErr_Format(PyExc_ValueError, "mpi4py.rc.thread_level: unknown value %R", v);
    Py_DECREF(v);
    return rc;
}

static int rc_flag(const char *name, int dflt)
{
    PyObject *v = rc_get(name);
    if (!v) return dflt;
    int r = v == Py_None ? dflt : PyObject_IsTrue(v);
    Py_DECREF(v);
    return r < 0 ? (PyErr_Clear(), dflt) : r;
}

static int initialize_mpi(void)
{
    int init = 0;
    MPI_Initialized(&init);
    if (init) {
        int fini = 0;
        MPI_Finalized(&fini);
        if (!fini) set_errors_return();
        return 0;
    }
    if (pympi_launcher_owns_mpi || !rc_flag("initialize", 1)) return 0;
    int required, provided;
    if (rc_thread_level(&required) < 0) return -1;
    int ierr = MPI_Init_thread(NULL, NULL, required, &provided);
    if (CHKERR(ierr)) return -1;
    module_initialized_mpi = 1;
    set_errors_return();
    return 0;
}

static void setup_finalize(void)
{
    if (pympi_launcher_owns_mpi) return;
    PyObject *v = rc_get("finalize");
    int fin = module_initialized_mpi;
    if (v && v != Py_None) fin = PyObject_IsTrue(v) > 0;
    Py_XDECREF(v);
    finalize_at_exit = fin;
    Py_AtExit(atexit_finalize);
}

/* ---- environment management functions ----------------------------------- */
static PyObject *mod_Init(PyObject *m, PyObject *unused)
{
    if (CHKERR(MPI_Init(NULL, NULL))) return NULL;
    set_errors_return();
    finalize_at_exit = 1;
    Py_RETURN_NONE;
}

static PyObject *mod_Init_thread(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"required", NULL};
    PyObject *a[1];
    int required, provided = MPI_THREAD_SINGLE;
    if (pympi_parse("Init_thread", kwlist, 0, args, nargs, kw, a) < 0) return NULL;
    if (pympi_int(a[0], MPI_THREAD_MULTIPLE, &required) < 0) return NULL;
    if (CHKERR(MPI_Init_thread(NULL, NULL, required, &provided))) return NULL;
    set_errors_return();
    finalize_at_exit = 1;
    return PyLong_FromLong(provided);
}

static PyObject *mod_Finalize(PyObject *m, PyObject *unused)
{
    if (CHKERR(MPI_Finalize())) return NULL;
    Py_RETURN_NONE;
}

static PyObject *mod_Is_initialized(PyObject *m, PyObject *unused)
{
    int flag = 0;
    if (CHKERR(MPI_Initialized(&flag))) return NULL;
    return PyBool_FromLong(flag);
}

static PyObject *mod_Is_finalized(PyObject *m, PyObject *unused)
{
    int flag = 0;
    if (CHKERR(MPI_Finalized(&flag))) return NULL;
    return PyBool_FromLong(flag);
}

static PyObject *mod_Query_thread(PyObject *m, PyObject *unused)
{
    int level = 0;
    if (CHKERR(MPI_Query_thread(&level))) return NULL;
    return PyLong_FromLong(level);
}

static PyObject *mod_Is_thread_main(PyObject *m, PyObject *unused)
{
    int flag = 0;
    if (CHKERR(MPI_Is_thread_main(&flag))) return NULL;
    return PyBool_FromLong(flag);
}

static PyObject *mod_Wtime(PyObject *m, PyObject *unused) { return PyFloat_FromDouble(MPI_Wtime()); }
static PyObject *mod_Wtick(PyObject *m, PyObject *unused) { return PyFloat_FromDouble(MPI_Wtick()); }

static PyObject *mod_Get_version(PyObject *m, PyObject *unused)
{
    int v = 0, s = 0;
    if (CHKERR(MPI_Get_version(&v, &s))) return NULL;
    return Py_BuildValue("(ii)", v, s);
}

static PyObject *mod_Get_library_version(PyObject *m, PyObject *unused)
{
    char s[MPI_MAX_LIBRARY_VERSION_STRING + 1] = "";
    int len = 0;
    if (CHKERR(MPI_Get_library_version(s, &len))) return NULL;
    return PyUnicode_FromStringAndSize(s, len);
}

static PyObject *mod_Get_processor_name(PyObject *m, PyObject *unused)
{
    char s[MPI_MAX_PROCESSOR_NAME + 1] = "";
    int len = 0;
    if (CHKERR(MPI_Get_processor_name(s, &len))) return NULL;
    return PyUnicode_FromStringAndSize(s, len);
}

static PyObject *mod_get_vendor(PyObject *m, PyObject *unused)
{
#if defined(MPICH_VERSION)
    int a = 0, b = 0, c = 0;
    sscanf(MPICH_VERSION, "%d.%d.%d", &a, &b, &c);
    return Py_BuildValue("(s(iii))", "MPICH", a, b, c);
#else
    return Py_BuildValue("(s(iii))", "unknown", 0, 0, 0);
#endif
}

static PyObject *mod_Pcontrol(PyObject *m, PyObject *arg)
{
    int level;
    if (pympi_int(arg, 0, &level) < 0) return NULL;
    if (CHKERR(MPI_Pcontrol(level))) return NULL;
    Py_RETURN_NONE;
}

static PyObject *mod_Get_error_class(PyObject *m, PyObject *arg)
{
    int code, cls = 0;
    if (pympi_int(arg, 0, &code) < 0) return NULL;
    if (code < 0) return pympi_raise(MPI_ERR_ARG), NULL; /* MPICH indexes its tables with it */
    if (CHKERR(MPI_Error_class(code, &cls))) return NULL;
    return PyLong_FromLong(cls);
}

static PyObject *mod_Get_error_string(PyObject *m, PyObject *arg)
{
    int code, len = 0;
    char s[MPI_MAX_ERROR_STRING + 1] = "";
    if (pympi_int(arg, 0, &code) < 0) return NULL;
    if (code < 0) return pympi_raise(MPI_ERR_ARG), NULL; /* MPICH indexes its tables with it */
    if (CHKERR(MPI_Error_string(code, s, &len))) return NULL;
    return PyUnicode_DecodeUTF8(s, len, "replace"); /* may quote a non-UTF-8 file name */
}

static PyObject *mod_Add_error_class(PyObject *m, PyObject *unused)
{
    int cls = 0;
    if (CHKERR(MPI_Add_error_class(&cls))) return NULL;
    return PyLong_FromLong(cls);
}

static PyObject *mod_Add_error_code(PyObject *m, PyObject *arg)
{
    int cls, code = 0;
    if (pympi_int(arg, 0, &cls) < 0) return NULL;
    if (CHKERR(MPI_Add_error_code(cls, &code))) return NULL;
    return PyLong_FromLong(code);
}

static PyObject *mod_Add_error_string(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"errorcode", "string", NULL};
    PyObject *a[2];
    int code;
    if (pympi_parse("Add_error_string", kwlist, 2, args, nargs, kw, a) < 0) return NULL;
    if (pympi_int(a[0], 0, &code) < 0) return NULL;
    const char *s = pympi_str(a[1], "string");
    if (!s) return NULL;
    if (CHKERR(MPI_Add_error_string(code, (char *)s))) return NULL;
    Py_RETURN_NONE;
}

static PyObject *mod_set_abort_status(PyObject *m, PyObject *arg)
{
    /* Like sys.exit(): None -> 0, int -> itself, anything else -> 1. */
    int status = 1;
    if (arg == Py_None) status = 0;
    else if (PyLong_Check(arg)) {
        long v = PyLong_AsLong(arg);
        if (v == -1 && PyErr_Occurred()) { PyErr_Clear(); v = 1; }
        status = (int)v;
    }
    pympi_abort_status = status;
    Py_RETURN_NONE;
}

static PyObject *mod_Aint_add(PyObject *m, PyObject *const *args, Py_ssize_t nargs)
{
    MPI_Aint base, disp;
    if (nargs != 2) return PyErr_Format(PyExc_TypeError, "Aint_add() takes 2 arguments (%zd given)", nargs);
    if (pympi_aint(args[0], 0, &base) < 0 || pympi_aint(args[1], 0, &disp) < 0) return NULL;
    return PyLong_FromSsize_t(MPI_Aint_add(base, disp));
}

static PyObject *mod_Aint_diff(PyObject *m, PyObject *const *args, Py_ssize_t nargs)
{
    MPI_Aint a1, a2;
    if (nargs != 2) return PyErr_Format(PyExc_TypeError, "Aint_diff() takes 2 arguments (%zd given)", nargs);
    if (pympi_aint(args[0], 0, &a1) < 0 || pympi_aint(args[1], 0, &a2) < 0) return NULL;
    return PyLong_FromSsize_t(MPI_Aint_diff(a1, a2));
}

/* _sizeof / _addressof / _handleof: the handle inside an object, for ctypes and cffi users
 * (mpi4py 3.1's semantics). One row per class: where its handle lies and how large it is. */
static const struct {
    PyTypeObject *type;
    size_t offset, size;
} handle_classes[] = {
#define ROW(Class, T) {&PyMPI##Class##_Type, offsetof(PyMPI##Class##Object, ob_mpi), sizeof(T)},
    ROW(Status, MPI_Status) ROW(Datatype, MPI_Datatype) ROW(Request, MPI_Request)
    ROW(Message, MPI_Message) ROW(Op, MPI_Op) ROW(Group, MPI_Group) ROW(Info, MPI_Info)
    ROW(Errhandler, MPI_Errhandler) ROW(Comm, MPI_Comm) ROW(Win, MPI_Win) ROW(File, MPI_File)
#undef ROW
};
#define N_HANDLE_CLASSES (sizeof(handle_classes) / sizeof(handle_classes[0]))

/* The row of an instance, or of a class too when `classes`; -1 with TypeError otherwise. */
static int handle_class(PyObject *arg, int classes, const char *fname)
{
    PyTypeObject *tp = classes && PyType_Check(arg) ? (PyTypeObject *)arg : Py_TYPE(arg);
    for (size_t i = 0; i < N_HANDLE_CLASSES; i++)
        if (PyType_IsSubtype(tp, handle_classes[i].type)) return (int)i;
    PyErr_Format(PyExc_TypeError, "%s: unsupported type %.200s", fname, tp->tp_name);
    return -1;
}

static PyObject *mod_sizeof(PyObject *m, PyObject *arg)
{
    int i = handle_class(arg, 1, "_sizeof");
    return i < 0 ? NULL : PyLong_FromSize_t(handle_classes[i].size);
}

static PyObject *mod_addressof(PyObject *m, PyObject *arg)
{
    int i = handle_class(arg, 0, "_addressof");
    return i < 0 ? NULL : PyLong_FromVoidPtr((char *)arg + handle_classes[i].offset);
}

static PyObject *mod_handleof(PyObject *m, PyObject *arg)
{
    /* The handle's bits as an unsigned integer of its width: what ctypes/cffi read at
     * _addressof() as uint32/uint64. A status is a struct, not a handle. */
    int i = handle_class(arg, 0, "_handleof");
    if (i < 0) return NULL;
    const char *h = (const char *)arg + handle_classes[i].offset;
    if (handle_classes[i].type == &PyMPIStatus_Type) {
        PyErr_SetString(PyExc_NotImplementedError, "_handleof: a Status has no handle");
        return NULL;
    }
    if (handle_classes[i].size == sizeof(uint32_t)) {
        uint32_t v;
        memcpy(&v, h, sizeof(v));
        return PyLong_FromUnsignedLong(v);
    }
    uint64_t v;
    memcpy(&v, h, sizeof(v));
    return PyLong_FromUnsignedLongLong(v);
}

#define FASTKW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS
PyMethodDef pympi_module_methods[] = {
    {"Init", mod_Init, METH_NOARGS, "Initialize the MPI execution environment."},
    {"Init_thread", FASTKW(mod_Init_thread), "Initialize MPI with a required thread level."},
    {"Finalize", mod_Finalize, METH_NOARGS, "Terminate the MPI execution environment."},
    {"Is_initialized", mod_Is_initialized, METH_NOARGS, "Whether MPI_Init has been called."},
    {"Is_finalized", mod_Is_finalized, METH_NOARGS, "Whether MPI_Finalize has been called."},
    {"Query_thread", mod_Query_thread, METH_NOARGS, "The provided thread level."},
    {"Is_thread_main", mod_Is_thread_main, METH_NOARGS, "Whether this thread initialized MPI."},
    {"Wtime", mod_Wtime, METH_NOARGS, "Elapsed time in seconds since some time in the past."},
    {"Wtick", mod_Wtick, METH_NOARGS, "Resolution of Wtime in seconds."},
    {"Get_version", mod_Get_version, METH_NOARGS, "(version, subversion) of the MPI standard."},
    {"Get_library_version", mod_Get_library_version, METH_NOARGS, "MPI library version string."},
    {"Get_processor_name", mod_Get_processor_name, METH_NOARGS, "Name of this processor."},
    {"get_vendor", mod_get_vendor, METH_NOARGS, "(name, (major, minor, micro)) of the MPI library."},
    {"Pcontrol", mod_Pcontrol, METH_O, "Control profiling."},
    {"Get_error_class", mod_Get_error_class, METH_O, "Error class of an error code."},
    {"Get_error_string", mod_Get_error_string, METH_O, "Error string of an error code."},
    {"Add_error_class", mod_Add_error_class, METH_NOARGS, "Create a new error class."},
    {"Add_error_code", mod_Add_error_code, METH_O, "Create a new error code in a class."},
    {"Add_error_string", FASTKW(mod_Add_error_string), "Associate a string with an error code."},
    {"_set_abort_status", mod_set_abort_status, METH_O, "Abort instead of finalizing at exit (status != 0)."},
    {"Aint_add", (PyCFunction)(void (*)(void))mod_Aint_add, METH_FASTCALL, "base + disp as MPI addresses."},
    {"Aint_diff", (PyCFunction)(void (*)(void))mod_Aint_diff, METH_FASTCALL, "addr1 - addr2 as MPI addresses."},
    {"_sizeof", mod_sizeof, METH_O, "Size in bytes of the MPI handle of an object."},
    {"_addressof", mod_addressof, METH_O, "Address of the MPI handle inside an object."},
    {"_handleof", mod_handleof, METH_O, "The MPI handle value of an object, as an int."},
    {NULL}};

/* ---- module creation ------------------------------------------------------- */
static struct PyModuleDef mpi_moduledef = {
    PyModuleDef_HEAD_INIT, .m_name = "mpi4py.MPI",
    .m_doc = "Message Passing Interface for Python (mpi4py 3.1 API, built into python-mpi).",
    .m_size = -1};

static int add_constants(PyObject *m)
{
#define PYMPI_INT(name, value) \
    if (PyModule_AddObject(m, #name, PyLong_FromLongLong((long long)(value))) < 0) return -1;
#include "constants.def"
#undef PYMPI_INT
    return 0;
}

typedef int (*init_fn)(PyObject *);
static const init_fn family_inits[] = {
    pympi_init_exception, pympi_init_handles, pympi_init_memory, pympi_init_status,
    pympi_init_datatype, pympi_init_op, pympi_init_info, pympi_init_errhandler, pympi_init_group,
    pympi_init_request, pympi_init_message, pympi_init_comm, pympi_init_keyval, pympi_init_pickle,
    pympi_init_win, pympi_init_file, pympi_init_dynproc, pympi_init_capi, NULL};

PyObject *pympi_module_create(void)
{
    PyObject *m = PyModule_Create(&mpi_moduledef);
    if (!m) return NULL;
    if (PyModule_AddFunctions(m, pympi_module_methods) < 0) goto fail;
    if (initialize_mpi() < 0) goto fail;
    if (add_constants(m) < 0) goto fail;
    for (const init_fn *f = family_inits; *f; f++)
        if ((*f)(m) < 0) goto fail;
    setup_finalize();
    return m;
fail:
    Py_DECREF(m);
    return NULL;
}
