/* dl.c: mpi4py.dl, a thin layer over the dynamic loader (dlopen, dlsym, dlclose, dlerror and
 * the RTLD_* constants), as mpi4py 3.1 ships it. Handles and symbol addresses are plain ints
 * (0 for NULL), to be used with ctypes. It needs no MPI: python-mpi has it built in, and the
 * same source builds the loadable mpi4py/dl.so for a plain python3. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <dlfcn.h>

/* A handle argument: None is NULL, otherwise an int address. */
static int handle_arg(PyObject *obj, void **handle)
{
    if (obj == Py_None) { *handle = NULL; return 0; }
    *handle = PyLong_AsVoidPtr(obj);
    return PyErr_Occurred() ? -1 : 0;
}

static PyObject *dl_dlopen(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"filename", "mode", NULL};
    PyObject *name, *bytes = NULL;
    int mode;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "Oi:dlopen", kwlist, &name, &mode)) return NULL;
    /* None: the main program (and what it loaded with RTLD_GLOBAL) */
    if (name != Py_None && !PyUnicode_FSConverter(name, &bytes)) return NULL;
    void *handle = dlopen(bytes ? PyBytes_AS_STRING(bytes) : NULL, mode);
    Py_XDECREF(bytes);
    return PyLong_FromVoidPtr(handle);
}

static PyObject *dl_dlsym(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"handle", "symbol", NULL};
    PyObject *h;
    const char *symbol;
    void *handle;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "Os:dlsym", kwlist, &h, &symbol)) return NULL;
    if (handle_arg(h, &handle) < 0) return NULL;
    /* handle None: RTLD_DEFAULT (NULL on Linux), the default search order */
    if (!handle) handle = RTLD_DEFAULT;
    return PyLong_FromVoidPtr(dlsym(handle, symbol));
}

static PyObject *dl_dlclose(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"handle", NULL};
    PyObject *h;
    void *handle;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O:dlclose", kwlist, &h)) return NULL;
    if (handle_arg(h, &handle) < 0) return NULL;
    /* closing NULL is a no-op (dlclose(NULL) would crash some loaders) */
    return PyLong_FromLong(handle ? dlclose(handle) : 0);
}

static PyObject *dl_dlerror(PyObject *self, PyObject *unused)
{
    const char *msg = dlerror();
    if (!msg) Py_RETURN_NONE;
    return PyUnicode_DecodeFSDefault(msg);
}

#define KW(f) (PyCFunction)(void (*)(void))(f), METH_VARARGS | METH_KEYWORDS
static PyMethodDef dl_methods[] = {
    {"dlopen", KW(dl_dlopen), "dlopen(filename, mode) -> handle: load a shared object (None: the program); 0 on failure."},
    {"dlsym", KW(dl_dlsym), "dlsym(handle, symbol) -> address of symbol (handle None: default search); 0 if not found."},
    {"dlclose", KW(dl_dlclose), "dlclose(handle) -> 0 on success."},
    {"dlerror", dl_dlerror, METH_NOARGS, "dlerror() -> the last error of the loader (str), or None."},
    {NULL}};

static struct PyModuleDef dl_module = {
    PyModuleDef_HEAD_INIT, "mpi4py.dl", "Dynamic loading of shared objects (dlopen, dlsym, ...).", -1, dl_methods};

/* The RTLD_* flags this system has; the pseudo-handles as int addresses. */
static const struct { const char *name; long value; } dl_flags[] = {
    {"RTLD_LAZY", RTLD_LAZY},
    {"RTLD_NOW", RTLD_NOW},
    {"RTLD_GLOBAL", RTLD_GLOBAL},
    {"RTLD_LOCAL", RTLD_LOCAL},
#ifdef RTLD_NOLOAD
    {"RTLD_NOLOAD", RTLD_NOLOAD},
#endif
#ifdef RTLD_NODELETE
    {"RTLD_NODELETE", RTLD_NODELETE},
#endif
#ifdef RTLD_DEEPBIND
    {"RTLD_DEEPBIND", RTLD_DEEPBIND},
#endif
};

static int add_handle(PyObject *m, const char *name, void *handle)
{
    PyObject *v = PyLong_FromVoidPtr(handle);
    int r = v ? PyModule_AddObjectRef(m, name, v) : -1;
    Py_XDECREF(v);
    return r;
}

PyMODINIT_FUNC PyInit_dl(void)
{
    PyObject *m = PyModule_Create(&dl_module);
    if (!m) return NULL;
    for (size_t i = 0; i < sizeof(dl_flags) / sizeof(dl_flags[0]); i++)
        if (PyModule_AddIntConstant(m, dl_flags[i].name, dl_flags[i].value) < 0) goto fail;
    if (add_handle(m, "RTLD_DEFAULT", RTLD_DEFAULT) < 0 || add_handle(m, "RTLD_NEXT", RTLD_NEXT) < 0) goto fail;
    return m;
fail:
    Py_DECREF(m);
    return NULL;
}
