/* dynproc.c: dynamic process management: Spawn, Spawn_multiple, Get_parent, ports, name
 * publishing, Accept/Connect, Join, Disconnect.
 *
 * New intercommunicators get MPI_ERRORS_RETURN (pympi_comm_new_auto). Comm.Get_parent() returns
 * an Intercomm that is not owned (the parent communicator is MPI's; Disconnect() it), equal to
 * COMM_NULL in a process that was not spawned. Everything that can block releases the GIL. */
#include "pympi.h"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#define COMM(o) (((PyMPICommObject *)(o))->ob_mpi)
#define FASTKW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS
#define CLASSKW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS | METH_CLASS

/* A NULL-terminated argv (strings borrowed from the `keep` list of bytes) or MPI_ARGV_NULL. */
static char **make_argv(PyObject *seq, PyObject *keep)
{
    if (!seq || seq == Py_None) return MPI_ARGV_NULL;
    if (PyUnicode_Check(seq) || PyBytes_Check(seq)) {
        PyErr_SetString(PyExc_TypeError, "args must be a sequence of str, not a single string");
        return NULL;
    }
    PyObject *fast = PySequence_Fast(seq, "args must be a sequence of str");
    if (!fast) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    char **argv = PyMem_Calloc((size_t)n + 1, sizeof(char *));
    if (!argv) { Py_DECREF(fast); PyErr_NoMemory(); return NULL; }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(fast, i), *b = NULL;
        if (!PyUnicode_Check(item) && !PyBytes_Check(item) && !PyObject_HasAttrString(item, "__fspath__")) {
            PyErr_Format(PyExc_TypeError, "args: expected str items, got '%.200s'", Py_TYPE(item)->tp_name);
            goto fail;
        }
        if (!PyUnicode_FSConverter(item, &b)) goto fail;
        if (PyList_Append(keep, b) < 0) { Py_DECREF(b); goto fail; }
        argv[i] = PyBytes_AS_STRING(b);
        Py_DECREF(b);
    }
    Py_DECREF(fast);
    return argv;
fail:
    Py_DECREF(fast);
    PyMem_Free(argv);
    return NULL;
}

static const char *fs_string(PyObject *obj, PyObject *keep, const char *what)
{
    PyObject *b = NULL;
    if (!PyUnicode_Check(obj) && !PyBytes_Check(obj) && !PyObject_HasAttrString(obj, "__fspath__")) {
        PyErr_Format(PyExc_TypeError, "%s must be str, not '%.200s'", what, Py_TYPE(obj)->tp_name);
        return NULL;
    }
    if (!PyUnicode_FSConverter(obj, &b)) return NULL;
    int rc = PyList_Append(keep, b);
    Py_DECREF(b);
    return rc < 0 ? NULL : PyBytes_AS_STRING(b);
}

static int set_errcodes(PyObject *errcodes, const int *codes, int n)
{
    if (!errcodes || errcodes == Py_None) return 0;
    PyObject *list = pympi_int_list(codes, n);
    if (!list) return -1;
    int rc = PySequence_SetSlice(errcodes, 0, PY_SSIZE_T_MAX, list);
    Py_DECREF(list);
    return rc;
}

static PyObject *intercomm_result(MPI_Comm comm) { return pympi_comm_new_auto(comm); }

/* ---- a command that cannot start ----------------------------------------------------------
 * MPICH's hydra does not survive a spawned command it cannot start: mpiexec reports the execvp
 * error, loses track of the job and leaves the parents in MPI_Comm_spawn for ever. So the root
 * first checks, as execvp will, that the command names an executable file, and a missing one
 * fails at once on every rank with MPI.Exception(ERR_SPAWN). The check follows the info keys
 * hydra honours ("wdir": relative names; "path": searched before PATH); a command for other
 * hosts ("host", "hosts") is not checked here. */
static int info_value(MPI_Info info, const char *key, char *val, int size)
{
    int len = 0, flag = 0;
    if (info == MPI_INFO_NULL || MPI_Info_get_valuelen(info, key, &len, &flag) != MPI_SUCCESS || !flag) return 0;
    if (val && MPI_Info_get(info, key, size - 1, val, &flag) != MPI_SUCCESS) return 0;
    return flag;
}

/* Is `name`, looked up in the directory dir[0:dirlen] (none when dirlen is 0), an executable
 * regular file? Relative paths are taken from wdir, where hydra starts the command. */
static int executable(const char *wdir, const char *dir, size_t dirlen, const char *name)
{
    char file[PATH_MAX];
    struct stat st;
    int n;
    if (name[0] == '/') n = snprintf(file, sizeof file, "%s", name);
    else if (dirlen && dir[0] == '/') n = snprintf(file, sizeof file, "%.*s/%s", (int)dirlen, dir, name);
    else if (dirlen) n = snprintf(file, sizeof file, "%s%s%.*s/%s", wdir, wdir[0] ? "/" : "", (int)dirlen, dir, name);
    else n = snprintf(file, sizeof file, "%s%s%s", wdir, wdir[0] ? "/" : "", name);
    return n > 0 && (size_t)n < sizeof file && stat(file, &st) == 0 && S_ISREG(st.st_mode) && access(file, X_OK) == 0;
}

static int command_can_start(const char *command, MPI_Info info)
{
    char wdir[PATH_MAX] = "", path[PATH_MAX] = "";
    if (info_value(info, "host", NULL, 0) || info_value(info, "hosts", NULL, 0)) return 1;
    info_value(info, "wdir", wdir, sizeof wdir);
    if (strchr(command, '/')) return executable(wdir, "", 0, command);
    info_value(info, "path", path, sizeof path);
    const char *lists[] = {path, getenv("PATH")};
    for (int k = 0; k < 2; k++) {
        for (const char *p = lists[k]; p && *p;) {
            size_t len = strcspn(p, ":");
            /* an empty entry is the working directory */
            if (len ? executable(wdir, p, len, command) : executable(wdir, ".", 1, command)) return 1;
            p += len;
            if (*p == ':') p++;
        }
    }
    return 0;
}

/* What the root of a spawn shares instead of the process count when it cannot go on. */
enum { BAD_ARGS = -1, CANNOT_START = -2 };

/* Raise on every rank for what the root shared (the root's own error is already set). */
static int shared_error(int shared, const char *fname)
{
    if (shared >= 0) return 0;
    if (PyErr_Occurred()) return -1;
    if (shared == CANNOT_START) return pympi_raise(MPI_ERR_SPAWN);
    PyErr_Format(PyExc_ValueError, "%s: invalid arguments at the root process", fname);
    return -1;
}

/* Intracomm.Spawn(command, args=None, maxprocs=1, info=INFO_NULL, root=0, errcodes=None) */
static PyObject *intra_Spawn(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"command", "args", "maxprocs", "info", "root", "errcodes", NULL};
    PyObject *a[6];
    int maxprocs, root, ierr, rank = 0;
    MPI_Info info;
    MPI_Comm inter = MPI_COMM_NULL;
    if (pympi_parse("Spawn", kwlist, 1, args, nargs, kw, a) < 0 || pympi_int(a[2], 1, &maxprocs) < 0 ||
        pympi_as_info(a[3], MPI_INFO_NULL, &info) < 0 || pympi_int(a[4], 0, &root) < 0)
        return NULL;
    if (a[5] && a[5] != Py_None && !PyList_Check(a[5]))
        return PyErr_Format(PyExc_TypeError, "errcodes must be a list or None");
    if (CHKERR(MPI_Comm_rank(COMM(self), &rank))) return NULL;
    PyObject *keep = PyList_New(0);
    if (!keep) return NULL;
    const char *command = NULL;
    char **argv = MPI_ARGV_NULL;
    int *codes = NULL;
    PyObject *result = NULL;
    /* Arguments are significant at the root only; elsewhere they are not even looked at. A bad
     * argument at the root is shared (one int, which also carries the root's maxprocs: MPICH
     * fills errcodes on every rank with the root's count) so every rank raises, none hangs:
     * BAD_ARGS (ValueError elsewhere) or CANNOT_START (MPI.Exception(ERR_SPAWN) everywhere). */
    int bad = 0, shared;
    if (rank == root) {
        if (maxprocs < 1) { PyErr_Format(PyExc_ValueError, "Spawn: maxprocs must be positive, got %d", maxprocs); bad = BAD_ARGS; }
        else if (!(command = fs_string(a[0], keep, "command"))) bad = BAD_ARGS;
        else if (!(argv = make_argv(a[1], keep)) && PyErr_Occurred()) bad = BAD_ARGS;
        else if (!command_can_start(command, info)) bad = CANNOT_START;
    }
    shared = bad ? bad : maxprocs;
    PYMPI_NOGIL(ierr = MPI_Bcast(&shared, 1, MPI_INT, root, COMM(self)));
    if (CHKERR(ierr) || shared_error(shared, "Spawn")) goto done;
    maxprocs = shared;
    if (a[5] && a[5] != Py_None) {
        if (maxprocs < 1) maxprocs = 1;
        if (!(codes = PyMem_Calloc((size_t)maxprocs, sizeof(int)))) { PyErr_NoMemory(); goto done; }
    }
    PYMPI_NOGIL(ierr = MPI_Comm_spawn(command, argv, maxprocs, info, root, COMM(self), &inter,
                                      codes ? codes : MPI_ERRCODES_IGNORE));
    if (CHKERR(ierr)) goto done;
    if (codes && set_errcodes(a[5], codes, maxprocs) < 0) goto done;
    result = intercomm_result(inter);
done:
    if (argv != MPI_ARGV_NULL) PyMem_Free(argv);
    PyMem_Free(codes);
    Py_DECREF(keep);
    return result;
}

/* Intracomm.Spawn_multiple(command, args=None, maxprocs=None, info=INFO_NULL, root=0, errcodes=None) */
static PyObject *intra_Spawn_multiple(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"command", "args", "maxprocs", "info", "root", "errcodes", NULL};
    PyObject *a[6];
    int root, ierr, rank = 0, count = 0, total = 0, cannot_start = 0;
    MPI_Comm inter = MPI_COMM_NULL;
    if (pympi_parse("Spawn_multiple", kwlist, 1, args, nargs, kw, a) < 0 || pympi_int(a[4], 0, &root) < 0) return NULL;
    if (a[5] && a[5] != Py_None && !PyList_Check(a[5]))
        return PyErr_Format(PyExc_TypeError, "errcodes must be a list or None");
    if (CHKERR(MPI_Comm_rank(COMM(self), &rank))) return NULL;
    PyObject *keep = PyList_New(0), *cmds = NULL, *argvs = NULL, *infos = NULL, *result = NULL;
    char **commands = NULL, ***argvv = NULL;
    int *maxprocs = NULL, *codes = NULL;
    MPI_Info *info = NULL;
    if (!keep) return NULL;
    if (rank == root) {
        if (PyUnicode_Check(a[0])) { PyErr_SetString(PyExc_TypeError, "Spawn_multiple: command must be a sequence of str"); goto share; }
        if (!(cmds = PySequence_Fast(a[0], "Spawn_multiple: command must be a sequence of str"))) goto share;
        count = (int)PySequence_Fast_GET_SIZE(cmds);
        if (count < 1) { PyErr_SetString(PyExc_ValueError, "Spawn_multiple: no command"); goto share; }
        commands = PyMem_Calloc((size_t)count, sizeof(char *));
        maxprocs = PyMem_Calloc((size_t)count, sizeof(int));
        info = PyMem_Calloc((size_t)count, sizeof(MPI_Info));
        if (!commands || !maxprocs || !info) { PyErr_NoMemory(); goto share; }
        for (int i = 0; i < count; i++)
            if (!(commands[i] = (char *)fs_string(PySequence_Fast_GET_ITEM(cmds, i), keep, "command"))) goto share;
        if (a[1] && a[1] != Py_None) {
            if (!(argvs = PySequence_Fast(a[1], "Spawn_multiple: args must be a sequence of sequences"))) goto share;
            if (PySequence_Fast_GET_SIZE(argvs) != count) {
                PyErr_SetString(PyExc_ValueError, "Spawn_multiple: args must have one item per command");
                goto share;
            }
            if (!(argvv = PyMem_Calloc((size_t)count, sizeof(char **)))) { PyErr_NoMemory(); goto share; }
            for (int i = 0; i < count; i++) {
                PyObject *item = PySequence_Fast_GET_ITEM(argvs, i);
                if (item == Py_None) {
                    /* MPI has no per-command ARGV_NULL inside ARGVS: an empty argv. */
                    if (!(argvv[i] = PyMem_Calloc(1, sizeof(char *)))) { PyErr_NoMemory(); goto share; }
                } else if (!(argvv[i] = make_argv(item, keep))) goto share;
            }
        }
        for (int i = 0; i < count; i++) maxprocs[i] = 1;
        if (a[2] && PyLong_Check(a[2])) {  /* one count for every command */
            int n;
            if (pympi_int(a[2], 1, &n) < 0) goto share;
            for (int i = 0; i < count; i++) maxprocs[i] = n;
        } else if (a[2] && a[2] != Py_None) {
            int *mp, n;
            if (pympi_int_array(a[2], &mp, &n, "Spawn_multiple: maxprocs must be a sequence of int") < 0) goto share;
            if (n != count) { PyMem_Free(mp); PyErr_SetString(PyExc_ValueError, "Spawn_multiple: maxprocs must have one item per command"); goto share; }
            memcpy(maxprocs, mp, sizeof(int) * (size_t)count);
            PyMem_Free(mp);
        }
        for (int i = 0; i < count; i++) {
            if (maxprocs[i] < 1) { PyErr_Format(PyExc_ValueError, "Spawn_multiple: maxprocs must be positive, got %d", maxprocs[i]); goto share; }
        }
        if (!a[3] || a[3] == Py_None || PyMPIInfo_Check(a[3])) {
            MPI_Info one;
            if (pympi_as_info(a[3], MPI_INFO_NULL, &one) < 0) goto share;
            for (int i = 0; i < count; i++) info[i] = one;
        } else {
            if (!(infos = PySequence_Fast(a[3], "Spawn_multiple: info must be an Info or a sequence of Info"))) goto share;
            if (PySequence_Fast_GET_SIZE(infos) != count) {
                PyErr_SetString(PyExc_ValueError, "Spawn_multiple: info must have one item per command");
                goto share;
            }
            for (int i = 0; i < count; i++)
                if (pympi_as_info(PySequence_Fast_GET_ITEM(infos, i), MPI_INFO_NULL, &info[i]) < 0) goto share;
        }
        for (int i = 0; i < count && !cannot_start; i++) cannot_start = !command_can_start(commands[i], info[i]);
    }
share:
    {
        /* As in Spawn; then the root's counts, which every rank needs for errcodes (one list of
         * codes per command). */
        int shared = PyErr_Occurred() ? BAD_ARGS : cannot_start ? CANNOT_START : count;
        PYMPI_NOGIL(ierr = MPI_Bcast(&shared, 1, MPI_INT, root, COMM(self)));
        if (CHKERR(ierr) || shared_error(shared, "Spawn_multiple")) goto done;
        count = shared;
        if (rank != root && !(maxprocs = PyMem_Calloc((size_t)count, sizeof(int)))) { PyErr_NoMemory(); goto done; }
        PYMPI_NOGIL(ierr = MPI_Bcast(maxprocs, count, MPI_INT, root, COMM(self)));
        if (CHKERR(ierr)) goto done;
        for (int i = 0; i < count; i++) total += maxprocs[i];
    }
    if (a[5] && a[5] != Py_None) {
        if (!(codes = PyMem_Calloc((size_t)(total ? total : 1), sizeof(int)))) { PyErr_NoMemory(); goto done; }
    }
    PYMPI_NOGIL(ierr = MPI_Comm_spawn_multiple(count, commands, argvv ? argvv : MPI_ARGVS_NULL, maxprocs, info, root,
                                               COMM(self), &inter, codes ? codes : MPI_ERRCODES_IGNORE));
    if (CHKERR(ierr)) goto done;
    if (codes) {
        PyObject *lists = PyList_New(count);
        for (int i = 0, first = 0; lists && i < count; first += maxprocs[i++]) {
            PyObject *one = pympi_int_list(codes + first, maxprocs[i]);
            if (!one) Py_CLEAR(lists);
            else PyList_SET_ITEM(lists, i, one);
        }
        int rc = lists ? PySequence_SetSlice(a[5], 0, PY_SSIZE_T_MAX, lists) : -1;
        Py_XDECREF(lists);
        if (rc < 0) goto done;
    }
    result = intercomm_result(inter);
done:
    if (argvv) {
        for (int i = 0; i < count; i++) PyMem_Free(argvv[i]);
        PyMem_Free(argvv);
    }
    PyMem_Free(commands);
    PyMem_Free(maxprocs);
    PyMem_Free(info);
    PyMem_Free(codes);
    Py_XDECREF(cmds);
    Py_XDECREF(argvs);
    Py_XDECREF(infos);
    Py_DECREF(keep);
    return result;
}

static PyObject *accept_connect(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw, int accept)
{
    static const char *const kwlist[] = {"port_name", "info", "root", NULL};
    PyObject *a[3];
    MPI_Info info;
    int root, ierr, rank = 0;
    MPI_Comm inter = MPI_COMM_NULL;
    const char *port = NULL;
    if (pympi_parse(accept ? "Accept" : "Connect", kwlist, 1, args, nargs, kw, a) < 0 ||
        pympi_as_info(a[1], MPI_INFO_NULL, &info) < 0 || pympi_int(a[2], 0, &root) < 0)
        return NULL;
    if (CHKERR(MPI_Comm_rank(COMM(self), &rank))) return NULL;
    if (rank == root || a[0] != Py_None) {
        if (!(port = pympi_str(a[0], "port_name"))) return NULL;
    }
    if (accept) PYMPI_NOGIL(ierr = MPI_Comm_accept(port, info, root, COMM(self), &inter));
    else PYMPI_NOGIL(ierr = MPI_Comm_connect(port, info, root, COMM(self), &inter));
    if (CHKERR(ierr)) return NULL;
    return intercomm_result(inter);
}
static PyObject *intra_Accept(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return accept_connect(s, a, n, k, 1); }
static PyObject *intra_Connect(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return accept_connect(s, a, n, k, 0); }

PyMethodDef pympi_intracomm_dyn_methods[] = {
    {"Spawn", FASTKW(intra_Spawn), "Spawn processes running a command; returns the intercommunicator."},
    {"Spawn_multiple", FASTKW(intra_Spawn_multiple), "Spawn processes running several commands."},
    {"Accept", FASTKW(intra_Accept), "Accept a connection on a port (collective)."},
    {"Connect", FASTKW(intra_Connect), "Connect to a port (collective)."},
    {NULL}};

/* ---- Comm: Get_parent, Join, Disconnect -------------------------------------- */
static PyObject *comm_Get_parent(PyObject *cls, PyObject *u)
{
    MPI_Comm parent = MPI_COMM_NULL;
    if (CHKERR(MPI_Comm_get_parent(&parent))) return NULL;
    if (parent != MPI_COMM_NULL) MPI_Comm_set_errhandler(parent, MPI_ERRORS_RETURN);
    return pympi_comm_new(&PyMPIIntercomm_Type, parent, 0);
}

static PyObject *comm_Join(PyObject *cls, PyObject *arg)
{
    int fd, ierr;
    MPI_Comm inter = MPI_COMM_NULL;
    if (pympi_int(arg, 0, &fd) < 0) return NULL;
    if (fd < 0) return PyErr_Format(PyExc_ValueError, "Join: invalid file descriptor %d", fd);
    PYMPI_NOGIL(ierr = MPI_Comm_join(fd, &inter));
    if (CHKERR(ierr)) return NULL;
    return intercomm_result(inter);
}

static PyObject *comm_Disconnect(PyObject *self, PyObject *u)
{
    PyMPICommObject *c = (PyMPICommObject *)self;
    MPI_Comm tmp;
    int ierr;
    /* MPICH accepts disconnecting COMM_WORLD or COMM_SELF and then fails an assertion in
     * MPI_Finalize: refuse them as MPI_Comm_free does. */
    if (c->ob_mpi == MPI_COMM_WORLD || c->ob_mpi == MPI_COMM_SELF) { pympi_raise(MPI_ERR_COMM); return NULL; }
    PYMPI_NOGIL(ierr = MPI_Comm_disconnect(PYMPI_FREE_TARGET(c, tmp)));
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_NONE;
}

PYMPI_ONEARG(comm_Join_kw, comm_Join, "Join", "fd")

PyMethodDef pympi_comm_dyn_methods[] = {
    {"Get_parent", comm_Get_parent, METH_NOARGS | METH_CLASS, "Parent intercommunicator (COMM_NULL if not spawned)."},
    {"Join", (PyCFunction)(void (*)(void))comm_Join_kw, METH_FASTCALL | METH_KEYWORDS | METH_CLASS, "Intercommunicator with the process at the other end of a socket."},
    {"Disconnect", comm_Disconnect, METH_NOARGS, "Wait for pending communication and free the communicator."},
    {NULL}};

/* ---- module: ports and names ------------------------------------------------ */
static PyObject *mod_Open_port(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"info", NULL};
    PyObject *a[1];
    MPI_Info info;
    char port[MPI_MAX_PORT_NAME + 1] = "";
    int ierr;
    if (pympi_parse("Open_port", kwlist, 0, args, nargs, kw, a) < 0 || pympi_as_info(a[0], MPI_INFO_NULL, &info) < 0)
        return NULL;
    PYMPI_NOGIL(ierr = MPI_Open_port(info, port));
    if (CHKERR(ierr)) return NULL;
    return PyUnicode_FromString(port);
}

static PyObject *mod_Close_port(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"port_name", NULL};
    PyObject *a[1];
    int ierr;
    if (pympi_parse("Close_port", kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    const char *port = pympi_str(a[0], "port_name");
    if (!port) return NULL;
    PYMPI_NOGIL(ierr = MPI_Close_port(port));
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_NONE;
}

static PyObject *publish(PyObject *const *args, Py_ssize_t nargs, PyObject *kw, int unpublish)
{
    static const char *const kwlist[] = {"service_name", "port_name", "info", NULL};
    PyObject *a[3];
    MPI_Info info;
    int ierr;
    if (pympi_parse(unpublish ? "Unpublish_name" : "Publish_name", kwlist, 2, args, nargs, kw, a) < 0) return NULL;
    /* mpi4py < 3 took (service_name, info, port_name): accept that order too. */
    if (PyMPIInfo_Check(a[1]) && a[2] && PyUnicode_Check(a[2])) { PyObject *t = a[1]; a[1] = a[2]; a[2] = t; }
    const char *service = pympi_str(a[0], "service_name"), *port = service ? pympi_str(a[1], "port_name") : NULL;
    if (!port || pympi_as_info(a[2], MPI_INFO_NULL, &info) < 0) return NULL;
    if (unpublish) PYMPI_NOGIL(ierr = MPI_Unpublish_name(service, info, port));
    else PYMPI_NOGIL(ierr = MPI_Publish_name(service, info, port));
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_NONE;
}
static PyObject *mod_Publish_name(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return publish(a, n, k, 0); }
static PyObject *mod_Unpublish_name(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return publish(a, n, k, 1); }

static PyObject *mod_Lookup_name(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"service_name", "info", NULL};
    PyObject *a[2];
    MPI_Info info;
    char port[MPI_MAX_PORT_NAME + 1] = "";
    int ierr;
    if (pympi_parse("Lookup_name", kwlist, 1, args, nargs, kw, a) < 0 || pympi_as_info(a[1], MPI_INFO_NULL, &info) < 0)
        return NULL;
    const char *service = pympi_str(a[0], "service_name");
    if (!service) return NULL;
    PYMPI_NOGIL(ierr = MPI_Lookup_name(service, info, port));
    if (CHKERR(ierr)) return NULL;
    return PyUnicode_FromString(port);
}

PyMethodDef pympi_module_dyn_methods[] = {
    {"Open_port", FASTKW(mod_Open_port), "Open a port for Accept; returns its name."},
    {"Close_port", FASTKW(mod_Close_port), "Close a port."},
    {"Publish_name", FASTKW(mod_Publish_name), "Publish a service name for a port (needs a name server)."},
    {"Unpublish_name", FASTKW(mod_Unpublish_name), "Unpublish a service name."},
    {"Lookup_name", FASTKW(mod_Lookup_name), "Port name published for a service name."},
    {NULL}};

int pympi_init_dynproc(PyObject *m)
{
    return PyModule_AddFunctions(m, pympi_module_dyn_methods);
}
