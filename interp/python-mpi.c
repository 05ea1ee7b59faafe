/* python-mpi: an MPI-enabled Python interpreter.
 *
 * main() does four steps, each a function below:
 *   1. init_mpi()      MPI_Init_thread with the real argc/argv, before Python exists
 *                      (thread level from MPI4PY_RC_THREAD_LEVEL, default multiple);
 *   2. init_python()   mpi4py.MPI registered as a built-in, Python configured from what MPI left
 *                      of argv exactly as python3 would be, the mpi4py package made importable;
 *                      with more than one rank the interactive REPL becomes the parallel console;
 *   3. Py_RunMain()    Python's own main: every python3 flag, -c, -m, scripts, stdin, -i;
 *   4. finish()        status 0 -> MPI_Finalize; anything else (unhandled exception, sys.exit(n),
 *                      KeyboardInterrupt) -> one line on stderr with the rank and the status,
 *                      then MPI_Abort(MPI_COMM_WORLD, status) so no other rank waits forever.
 *                      The same runs from an on_exit() handler when libpython calls exit() itself
 *                      (sys.exit(n) in a script or -c command: Py_Exit(n), no return to main).
 * The module (modules/mpi) sees pympi_launcher_owns_mpi and never initializes or finalizes MPI.
 */
#include "config.h"

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <mpi.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

extern int pympi_launcher_owns_mpi;
extern int pympi_abort_status;
PyObject *pympi_module_create(void);
PyObject *PyInit_dl(void); /* mpi4py.dl, modules/dl/dl.c */
#ifdef HAVE_PY_UNHANDLED_KEYBOARD_INTERRUPT
extern int _Py_UnhandledKeyboardInterrupt;
#endif

static int world_rank = 0, world_size = 1;

/* ---- 1. MPI ------------------------------------------------------------------------ */
static int thread_level(int *level)
{
    static const struct { const char *name; int level; } levels[] = {
        {"single", MPI_THREAD_SINGLE}, {"funneled", MPI_THREAD_FUNNELED},
        {"serialized", MPI_THREAD_SERIALIZED}, {"multiple", MPI_THREAD_MULTIPLE}};
    const char *s = getenv("MPI4PY_RC_THREAD_LEVEL");
    *level = MPI_THREAD_MULTIPLE;
    if (!s || !*s) return 0;
    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
        if (strcasecmp(s, levels[i].name) == 0) { *level = levels[i].level; return 0; }
    fprintf(stderr, "python-mpi: MPI4PY_RC_THREAD_LEVEL='%s' is not one of single, funneled, serialized, multiple\n", s);
    return -1;
}

static void init_mpi(int *argc, char ***argv)
{
    int required, provided;
    if (thread_level(&required) < 0) exit(2);
    if (MPI_Init_thread(argc, argv, required, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "python-mpi: MPI_Init_thread failed\n");
        exit(1);
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);
    pympi_launcher_owns_mpi = 1;
}

/* ---- 4. the exit policy ------------------------------------------------------------- */
static void flush_c_streams(void)
{
    fflush(stdout);
    fflush(stderr);
}

/* Before MPI_Abort: wait (at most 2 s) until whoever reads our stdout/stderr pipes (mpiexec's
 * proxy) has read everything written so far. The abort request goes to the process manager on
 * another channel, and hydra tears the job down without forwarding what is still in the pipes:
 * the last lines (a traceback, the launcher's line) would be lost now and then. */
static void drain_stdio(void)
{
    static const int fds[] = {STDOUT_FILENO, STDERR_FILENO};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
        struct stat st;
        if (fstat(fds[i], &st) < 0 || !S_ISFIFO(st.st_mode)) continue;
        for (int ms = 0; ms < 2000; ms++) {
            int pending = 0;
            if (ioctl(fds[i], FIONREAD, &pending) < 0 || pending <= 0) break;
            struct timespec t = {0, 1000000};
            nanosleep(&t, NULL);
        }
    }
}

/* Finalize MPI (status 0, or a job of one rank) or abort the job (any other status). Runs
 * once: from finish() after Py_RunMain() returned, or from the exit handler below when Python
 * called exit() itself: sys.exit(n) in a script or -c command ends in Py_Exit(n) -> exit(n),
 * never returning to main(). */
static int mpi_done = 0;

static void finish_mpi(int status)
{
    if (mpi_done) return;
    mpi_done = 1;
    flush_c_streams();
    if (status == 0 || world_size == 1) {
        /* A job of one behaves exactly like python3: same status (and signal, see finish). */
        MPI_Finalize();
        return;
    }
    fprintf(stderr, "python-mpi: rank %d of %d exited with status %d: aborting the job\n",
            world_rank, world_size, status);
    fflush(stderr);
    drain_stdio();
    MPI_Abort(MPI_COMM_WORLD, status);
    _exit(status); /* not reached */
}

/* Only once Python has finalized (at_python_exit ran): an exit() from MPI_Abort (Comm.Abort())
 * or from anything else while Python runs is left alone. */
static int python_done = 0;

static void at_process_exit(int status, void *arg)
{
    (void)arg;
    if (python_done) finish_mpi(status);
}

static void finish(int status) __attribute__((noreturn));
static void finish(int status)
{
    finish_mpi(status);
    if (world_size == 1 && status == 128 + SIGINT) {
        signal(SIGINT, SIG_DFL);
        raise(SIGINT);
    }
    exit(status);
}

/* Runs at the very end of Python's finalization (Py_AtExit): Python's streams are flushed.
 * Py_RunMain() would re-raise an unhandled KeyboardInterrupt as SIGINT on itself after this,
 * which would leave the other ranks waiting: abort first. */
static void at_python_exit(void)
{
    python_done = 1;
#ifdef HAVE_PY_UNHANDLED_KEYBOARD_INTERRUPT
    if (_Py_UnhandledKeyboardInterrupt) {
        _Py_UnhandledKeyboardInterrupt = 0;
        finish(128 + SIGINT);
    }
#endif
    if (pympi_abort_status) finish(pympi_abort_status);
}

/* Fatal signals: say which rank died before dying the same way (mpiexec then ends the job). */
static void on_fatal_signal(int sig)
{
    char msg[96];
    int n = snprintf(msg, sizeof msg, "python-mpi: rank %d of %d: fatal signal %d\n", world_rank, world_size, sig);
    if (n > 0 && write(STDERR_FILENO, msg, (size_t)n) < 0) { /* nothing else to do */ }
    drain_stdio(); /* async-signal-safe: fstat, ioctl, nanosleep */
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_signal_handlers(void)
{
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};
    if (world_size == 1) return; /* exactly like python3 */
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) signal(sigs[i], on_fatal_signal);
}

/* ---- 2. Python ------------------------------------------------------------------------- */
static void check_status(PyStatus st, PyConfig *config)
{
    if (!PyStatus_Exception(st)) return;
    PyConfig_Clear(config);
    if (PyStatus_IsExit(st)) finish(st.exitcode); /* --version, --help, usage errors */
    if (st.err_msg) fprintf(stderr, "python-mpi: %s%s%s\n", st.func ? st.func : "", st.func ? ": " : "", st.err_msg);
    finish(1);
}

/* Where the mpi4py package is: the source tree when running the build-tree binary, else the
 * installed site directory. */
static const char *package_dir(void)
{
    char exe[PATH_MAX], dir[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        if (realpath(PYMPI_BUILD_BINDIR, dir) && strcmp(dir, exe) == 0) return PYMPI_BUILD_PYDIR;
    }
    return PYMPI_PYTHONDIR;
}

/* Put the package directory on sys.path before the site directories, so our mpi4py is found
 * before any other installed one, and after the standard library. */
static int add_package_path(void)
{
    PyObject *path = PySys_GetObject("path"); /* borrowed */
    PyObject *dir = PyUnicode_DecodeFSDefault(package_dir());
    if (!path || !dir) { Py_XDECREF(dir); return -1; }
    PyObject *suffix = PyUnicode_FromString("-packages"); /* site-packages, dist-packages */
    if (!suffix) { Py_DECREF(dir); return -1; }
    int contains = PySequence_Contains(path, dir);
    Py_ssize_t where = PyList_GET_SIZE(path);
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(path); i++) {
        PyObject *item = PyList_GET_ITEM(path, i);
        if (PyUnicode_Check(item) && PyUnicode_Tailmatch(item, suffix, 0, PY_SSIZE_T_MAX, 1) > 0) {
            where = i;
            break;
        }
    }
    Py_DECREF(suffix);
    int rc = contains ? 0 : PyList_Insert(path, where, dir);
    Py_DECREF(dir);
    return rc;
}

/* A Python expression for any string: bytes.fromhex('...').decode(), no quoting problems.
 * wchar_t is UCS-4 on Linux: encode UTF-8 by hand (no Python objects exist yet). */
static wchar_t *hex_literal(const wchar_t *s)
{
    size_t n = wcslen(s);
    wchar_t *out = PyMem_RawMalloc(sizeof(wchar_t) * (8 * n + 64));
    if (!out) return NULL;
    wchar_t *q = out + swprintf(out, 20, L"bytes.fromhex('");
    for (size_t i = 0; i < n; i++) {
        unsigned long c = (unsigned long)s[i];
        unsigned char u[4];
        int k;
        if (c < 0x80) { u[0] = (unsigned char)c; k = 1; }
        else if (c < 0x800) { u[0] = 0xC0 | (c >> 6); u[1] = 0x80 | (c & 0x3F); k = 2; }
        else if (c < 0x10000) { u[0] = 0xE0 | (c >> 12); u[1] = 0x80 | ((c >> 6) & 0x3F); u[2] = 0x80 | (c & 0x3F); k = 3; }
        else { u[0] = 0xF0 | (c >> 18); u[1] = 0x80 | ((c >> 12) & 0x3F); u[2] = 0x80 | ((c >> 6) & 0x3F); u[3] = 0x80 | (c & 0x3F); k = 4; }
        for (int j = 0; j < k; j++) q += swprintf(q, 3, L"%02x", u[j]);
    }
    wcscpy(q, L"').decode('utf-8', 'surrogatepass')");
    return out;
}

/* With more than one rank, the interactive REPL becomes the parallel console (mpi4py._console):
 * no program at all, or -i after a program. */
static PyStatus setup_console(PyConfig *config)
{
    PyStatus st = PyStatus_Ok();
    if (world_size < 2) return st;
    int program = config->run_command || config->run_module || config->run_filename;
    int no_args = config->argv.length >= 1 && config->argv.items[0][0] == L'\0';
    wchar_t cmd[256];
    if (!program && no_args) {
        swprintf(cmd, 256, L"import mpi4py._console as _c; _c.main()\n");
        return PyConfig_SetString(config, &config->run_command, cmd);
    }
    if (!program || !config->inspect) return st;
    const wchar_t *kind = config->run_command ? L"command" : config->run_module ? L"module" : L"script";
    const wchar_t *target = config->run_command ? config->run_command
                          : config->run_module ? config->run_module : config->run_filename;
    wchar_t *lit = hex_literal(target);
    if (!lit) return PyStatus_NoMemory();
    size_t len = wcslen(lit) + 100;
    wchar_t *full = PyMem_RawMalloc(sizeof(wchar_t) * len);
    if (!full) { PyMem_RawFree(lit); return PyStatus_NoMemory(); }
    swprintf(full, len, L"import mpi4py._console as _c; _c.main('%ls', %ls)\n", kind, lit);
    config->inspect = 0;
    config->interactive = 0;
    st = PyConfig_SetString(config, &config->run_command, full);
    if (!PyStatus_Exception(st)) st = PyConfig_SetString(config, &config->run_module, NULL);
    if (!PyStatus_Exception(st)) st = PyConfig_SetString(config, &config->run_filename, NULL);
    PyMem_RawFree(full);
    PyMem_RawFree(lit);
    return st;
}

static void init_python(int argc, char **argv)
{
    PyConfig config;
    if (PyImport_AppendInittab("mpi4py.MPI", pympi_module_create) < 0 ||
        PyImport_AppendInittab("mpi4py.dl", PyInit_dl) < 0) {
        fprintf(stderr, "python-mpi: cannot register the mpi4py built-in modules\n");
        finish(1);
    }
    PyConfig_InitPythonConfig(&config);
    check_status(PyConfig_SetBytesArgv(&config, argc, argv), &config);
    check_status(PyConfig_Read(&config), &config);
    check_status(setup_console(&config), &config);
    check_status(Py_InitializeFromConfig(&config), &config);
    PyConfig_Clear(&config);
    if (add_package_path() < 0) {
        PyErr_Print();
        finish(1);
    }
    Py_AtExit(at_python_exit);
}

int main(int argc, char **argv)
{
    init_mpi(&argc, &argv);
    on_exit(at_process_exit, NULL);
    install_signal_handlers();
    init_python(argc, argv);
    finish(Py_RunMain());
}
