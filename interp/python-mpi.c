/* python-mpi: an MPI-enabled Python interpreter.
 *
 * main() does four steps, each a function below:
 *   0. read_launch()   how this process was started: a rank (python3's command line, read for
 *                      the few mpi4py options that must act before MPI_Init_thread), or a
 *                      helper child of a rank (multiprocessing, subprocess), which runs as a
 *                      plain Python process with the inherited process-manager variables
 *                      cleared: it joins no job, and MPI starts (as a singleton) only if it
 *                      imports mpi4py.MPI;
 *   1. init_mpi()      a rank: MPI_Init_thread with the real argc/argv, before Python exists
 *                      (thread level from MPI4PY_RC_THREAD_LEVEL or -m mpi4py -rc, default
 *                      multiple); with -m mpi4py --profile NAME the process first re-executes
 *                      itself with the PMPI library NAME preloaded;
 *   2. init_python()   mpi4py.MPI registered as a built-in, Python configured from what MPI left
 *                      of argv exactly as python3 would be, the mpi4py package made python-mpi's
 *                      own; with more than one rank the interactive REPL becomes the console;
 *   3. Py_RunMain()    Python's own main: every python3 flag, -c, -m, scripts, stdin, -i;
 *   4. finish()        status 0 -> MPI_Finalize; anything else (unhandled exception, sys.exit(n),
 *                      KeyboardInterrupt) -> one line on stderr with the rank and the status,
 *                      then MPI_Abort(MPI_COMM_WORLD, status) so no other rank waits forever.
 *                      The same runs from an on_exit() handler when libpython calls exit() itself
 *                      (sys.exit(n) in a script or -c command: Py_Exit(n), no return to main).
 * The module (modules/mpi) sees pympi_launcher_owns_mpi and never initializes or finalizes MPI;
 * in a helper child the launcher owns nothing and the module acts as under python3.
 */
#include "config.h"

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <mpi.h>
#include <dlfcn.h>
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

extern char **environ;

extern int pympi_launcher_owns_mpi;
extern int pympi_abort_status;
PyObject *pympi_module_create(void);
PyObject *PyInit_dl(void); /* mpi4py.dl, modules/dl/dl.c */
#ifdef HAVE_PY_UNHANDLED_KEYBOARD_INTERRUPT
extern int _Py_UnhandledKeyboardInterrupt;
#endif

static int world_rank = 0, world_size = 1;
/* A job of one process, not spawned: it behaves exactly like python3. A spawned child is never
 * alone (its parents wait for it: an error must abort their job too, and MPI_Finalize would
 * wait for the parents to disconnect). */
static int alone = 1;

/* ---- 0. how this process was started ------------------------------------------------- */
struct launch {
    int helper;          /* a helper child of a rank: no MPI at start, plain Python */
    int threads;         /* 0: MPI_Init, as mpi4py does with rc.threads false */
    int level;           /* MPI_Init_thread's required level */
    const char *profile; /* -m mpi4py --profile NAME: the PMPI library to preload */
};

static const struct { const char *name; int level; } thread_levels[] = {
    {"single", MPI_THREAD_SINGLE}, {"funneled", MPI_THREAD_FUNNELED},
    {"serialized", MPI_THREAD_SERIALIZED}, {"multiple", MPI_THREAD_MULTIPLE}};

/* A thread level by name, case-insensitive, with optional quotes ('single', as mpi4py's -rc
 * takes Python literals); -1 when it is not one. */
static int parse_level(const char *s, size_t n)
{
    if (n >= 2 && (s[0] == '\'' || s[0] == '"') && s[n - 1] == s[0]) { s++; n -= 2; }
    for (size_t i = 0; i < sizeof thread_levels / sizeof thread_levels[0]; i++)
        if (strlen(thread_levels[i].name) == n && strncasecmp(s, thread_levels[i].name, n) == 0)
            return thread_levels[i].level;
    return -1;
}

/* A boolean as mpi4py.rc takes it (true/false, yes/no, on/off, y/n, 1/0); -1 otherwise. */
static int parse_bool(const char *s, size_t n)
{
    static const char *const truth[] = {"true", "yes", "on", "y", "1"};
    static const char *const falsity[] = {"false", "no", "off", "n", "0"};
    for (size_t i = 0; i < sizeof truth / sizeof truth[0]; i++) {
        if (strlen(truth[i]) == n && strncasecmp(s, truth[i], n) == 0) return 1;
        if (strlen(falsity[i]) == n && strncasecmp(s, falsity[i], n) == 0) return 0;
    }
    return -1;
}

/* -rc key=value,...: thread_level and threads act on MPI_Init_thread. Anything else, and any
 * value not understood, is left to mpi4py.run (a usage error on every rank alike). */
static void option_rc(struct launch *l, const char *text)
{
    while (*text) {
        size_t len = strcspn(text, ","), klen = strcspn(text, "=");
        if (klen < len) {
            const char *value = text + klen + 1;
            size_t vlen = len - klen - 1;
            int v;
            if (klen == 12 && strncmp(text, "thread_level", 12) == 0 && (v = parse_level(value, vlen)) >= 0)
                l->level = v;
            if (klen == 7 && strncmp(text, "threads", 7) == 0 && (v = parse_bool(value, vlen)) >= 0)
                l->threads = v;
        }
        text += len + (text[len] == ',');
    }
}

static void option_profile(struct launch *l, const char *name) { l->profile = name; }
static void option_threads(struct launch *l, const char *unused) { l->threads = 1; }
static void option_no_threads(struct launch *l, const char *unused) { l->threads = 0; }

static void option_thread_level(struct launch *l, const char *name)
{
    int v = parse_level(name, strlen(name));
    if (v >= 0) l->level = v;
}

/* The options of `-m mpi4py` and `-m mpi4py.bench` that must act before MPI_Init_thread (the
 * modules parse them again, with their usage errors). `fixed` is the value of a flag. */
static const struct {
    const char *module, *name;
    int takes_value;
    void (*apply)(struct launch *, const char *);
    const char *fixed;
} launch_options[] = {
    {"mpi4py", "-rc", 1, option_rc, NULL},
    {"mpi4py", "--rc", 1, option_rc, NULL},
    {"mpi4py", "-p", 1, option_profile, NULL},
    {"mpi4py", "--profile", 1, option_profile, NULL},
    {"mpi4py", "-profile", 1, option_profile, NULL},
    {"mpi4py", "--mpe", 0, option_profile, "mpe"},
    {"mpi4py", "-mpe", 0, option_profile, "mpe"},
    {"mpi4py", "--vt", 0, option_profile, "vt"},
    {"mpi4py", "-vt", 0, option_profile, "vt"},
    {"mpi4py.bench", "--threads", 0, option_threads, NULL},
    {"mpi4py.bench", "--no-threads", 0, option_no_threads, NULL},
    {"mpi4py.bench", "--thread-level", 1, option_thread_level, NULL},
};

/* Apply the options of module `module` at argv[i...] until the first that is not one of the
 * table (the program, or -m/-c/- of mpi4py.run). */
static void module_options(struct launch *l, const char *module, int i, int argc, char **argv)
{
    for (; i < argc && argv[i][0] == '-'; i++) {
        size_t k, n = sizeof launch_options / sizeof launch_options[0];
        for (k = 0; k < n; k++) {
            size_t len = strlen(launch_options[k].name);
            const char *a = argv[i];
            if (strcmp(launch_options[k].module, module) != 0 || strncmp(a, launch_options[k].name, len) != 0)
                continue;
            if (!launch_options[k].takes_value && a[len] == '\0') {
                launch_options[k].apply(l, launch_options[k].fixed);
                break;
            }
            if (launch_options[k].takes_value && a[len] == '=' && a[1] == '-') { /* --name=value */
                launch_options[k].apply(l, a + len + 1);
                break;
            }
            if (launch_options[k].takes_value && a[len] == '\0' && i + 1 < argc) {
                launch_options[k].apply(l, argv[++i]);
                break;
            }
        }
        if (k == n) return;
    }
}

/* What python3's command line runs, past Python's own flags (single letters, possibly grouped
 * as in -bBm mod; -W and -X take an argument, attached or next): 'c' (command) or 'm'
 * (module), with *target the command or module name and *next the index after it; 0 for a
 * script or stdin. */
static int python_target(int argc, char **argv, const char **target, int *next)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == '\0') return 0;
        if (a[1] == '-') {
            if (a[2] == '\0') return 0;
            if (strcmp(a, "--check-hash-based-pycs") == 0) i++;
            continue;
        }
        for (const char *p = a + 1; *p; p++) {
            if (*p == 'c' || *p == 'm') {
                if (p[1]) { *target = p + 1; *next = i + 1; return *p; }
                if (i + 1 >= argc) return 0;
                *target = argv[i + 1]; *next = i + 2;
                return *p;
            }
            if (*p == 'W' || *p == 'X') {
                if (p[1] == '\0') i++;
                break;
            }
        }
    }
    return 0;
}

/* Variables through which a process manager (hydra, PMIx) hands a rank its connection. */
static const char *const pm_variables[] = {"PMI_", "PMIX_", "HYDRA_", "HYDI_", "MPI_LOCALNRANKS=",
                                           "MPI_LOCALRANKID=", "PYTHON_MPI_RANK="};

static int pm_variable(const char *entry)
{
    for (size_t i = 0; i < sizeof pm_variables / sizeof pm_variables[0]; i++)
        if (strncmp(entry, pm_variables[i], strlen(pm_variables[i])) == 0) return 1;
    return 0;
}

/* Whether a process manager started this process (or its parent): PMI or hydra variables. */
static int from_process_manager(void)
{
    for (char **e = environ; *e; e++)
        if (pm_variable(*e) && strncmp(*e, "PYTHON_MPI_RANK=", 16) != 0) return 1;
    return 0;
}

/* A process started by a rank (sys.executable is python-mpi) inherits the rank's environment.
 * It is a helper, not a rank, when it is one of multiprocessing's helpers (spawned worker,
 * forkserver, resource tracker: `-c 'from multiprocessing...'`), when its parent is a
 * python-mpi rank (PYTHON_MPI_RANK, set by init_mpi(), holds the rank's pid), or when the
 * inherited PMI_FD is not an open socket (subprocess closed it): the connection belongs to
 * the parent, and using it would break the parent's job. */
static int helper_child(int argc, char **argv)
{
    const char *target = NULL;
    int next;
    if (python_target(argc, argv, &target, &next) == 'c' && strncmp(target, "from multiprocessing.", 21) == 0)
        return 1;
    if (!from_process_manager()) return 0;
    const char *rank = getenv("PYTHON_MPI_RANK");
    if (rank && atol(rank) == (long)getppid()) return 1;
    const char *fd = getenv("PMI_FD");
    struct stat st;
    return fd && (fstat(atoi(fd), &st) < 0 || !S_ISSOCK(st.st_mode));
}

static void clear_pm_variables(void)
{
    char name[256];
    for (int i = 0; environ[i];) {
        size_t n = strcspn(environ[i], "=");
        if (!pm_variable(environ[i]) || n >= sizeof name) { i++; continue; }
        memcpy(name, environ[i], n);
        name[n] = '\0';
        unsetenv(name); /* environ shifts down: look at entry i again */
    }
}

static void read_launch(int argc, char **argv, struct launch *l)
{
    const char *module = NULL, *s;
    int next = 0, threads;
    l->helper = helper_child(argc, argv);
    l->threads = 1;
    l->level = MPI_THREAD_MULTIPLE;
    l->profile = NULL;
    if (l->helper) return;
    if ((s = getenv("MPI4PY_RC_THREAD_LEVEL")) && *s && (l->level = parse_level(s, strlen(s))) < 0) {
        fprintf(stderr, "python-mpi: MPI4PY_RC_THREAD_LEVEL='%s' is not one of single, funneled, serialized, multiple\n", s);
        exit(2);
    }
    if ((s = getenv("MPI4PY_RC_THREADS")) && (threads = parse_bool(s, strlen(s))) >= 0) l->threads = threads;
    if (python_target(argc, argv, &module, &next) == 'm') module_options(l, module, next, argc, argv);
}

/* Whether this is the build-tree binary: the package is then the source tree's, and what the
 * build makes for it (mpi.cfg, lib-pmpi) is in the build tree; else both are installed. */
static int build_tree(void)
{
    char exe[PATH_MAX], dir[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return 0;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    return realpath(PYMPI_BUILD_BINDIR, dir) && strcmp(dir, exe) == 0;
}

/* ---- 1. MPI ------------------------------------------------------------------------ */
/* -m mpi4py --profile NAME: a PMPI library must come before libmpi in symbol lookup, which only
 * LD_PRELOAD achieves for an executable linked with MPI. Re-execute once with the library
 * preloaded (nothing has touched the process manager yet); in the new image, take it out of
 * LD_PRELOAD again so that child processes are not profiled. A library not found here is left
 * to mpi4py.profile() (ValueError, as in mpi4py). */
static void preload_profiler(char **argv, const char *name)
{
    char lib[PATH_MAX];
    snprintf(lib, sizeof lib, "%s/lib-pmpi/lib%s.so", build_tree() ? PYMPI_BUILD_PKGDIR : PYMPI_PKGDIR, name);
    if (access(lib, R_OK) != 0) snprintf(lib, sizeof lib, "lib%s.so", name); /* system library path */
    const char *old = getenv("LD_PRELOAD");
    size_t n = strlen(lib);
    if (dlopen(lib, RTLD_LAZY | RTLD_NOLOAD)) { /* the re-executed image */
        if (old && strncmp(old, lib, n) == 0 && (old[n] == ':' || old[n] == '\0')) {
            if (old[n]) setenv("LD_PRELOAD", old + n + 1, 1);
            else unsetenv("LD_PRELOAD");
        }
        return;
    }
    void *handle = dlopen(lib, RTLD_LAZY | RTLD_LOCAL);
    if (!handle) return;
    dlclose(handle);
    char *preload = malloc(n + (old ? strlen(old) + 2 : 1));
    if (!preload) return;
    strcpy(preload, lib);
    if (old && *old) { strcat(preload, ":"); strcat(preload, old); }
    setenv("LD_PRELOAD", preload, 1);
    execv("/proc/self/exe", argv);
    fprintf(stderr, "python-mpi: cannot re-execute with %s preloaded\n", lib);
    exit(1);
}

static void init_mpi(int *argc, char ***argv, const struct launch *l)
{
    int provided;
    int err = l->threads ? MPI_Init_thread(argc, argv, l->level, &provided) : MPI_Init(argc, argv);
    if (err != MPI_SUCCESS) {
        fprintf(stderr, "python-mpi: MPI_Init_thread failed\n");
        exit(1);
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);
    MPI_Comm parent = MPI_COMM_NULL;
    MPI_Comm_get_parent(&parent);
    alone = world_size == 1 && parent == MPI_COMM_NULL;
    pympi_launcher_owns_mpi = 1;
    /* Mark the process whose launcher initialized MPI: for the processes it starts (helper
     * children) and for mpi4py (which checks that MPI follows mpi4py.rc). */
    char pid[32];
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    setenv("PYTHON_MPI_RANK", pid, 1);
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

/* Finalize MPI (status 0, or a job of one rank) or abort the job (any other status; at one
 * rank too when mpi4py.run asked for it, as python3 -m mpi4py does). Runs once: from finish()
 * after Py_RunMain() returned, or from the exit handler below when Python called exit()
 * itself: sys.exit(n) in a script or -c command ends in Py_Exit(n) -> exit(n), never
 * returning to main(). Nothing here calls MPI once the program has finalized it itself
 * (MPI.Finalize()): a failure after that can only be reported. In a helper child the
 * launcher owns no MPI and does nothing. */
static int mpi_done = 0;
int pympi_win_close_all(void); /* modules/mpi/win.c */

static void finish_mpi(int status)
{
    int finalized = 0;
    if (mpi_done || !pympi_launcher_owns_mpi) return;
    mpi_done = 1;
    flush_c_streams();
    MPI_Finalized(&finalized);
    if (status == 0 || (alone && !pympi_abort_status)) {
        /* A job of one behaves exactly like python3: same status (and signal, see finish). */
        if (!finalized) {
            /* MPI_Finalize crashes on a window the program left allocated: free them first. */
            if (pympi_win_close_all() < 0) {
                fprintf(stderr, "python-mpi: rank %d: a window is left in a Start/Post epoch: "
                        "MPI is not finalized\n", world_rank);
                return;
            }
            MPI_Finalize();
        }
        return;
    }
    if (finalized) {
        fprintf(stderr, "python-mpi: rank %d of %d exited with status %d after MPI_Finalize: "
                "the job cannot be aborted\n", world_rank, world_size, status);
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
    if (pympi_launcher_owns_mpi && alone && status == 128 + SIGINT) {
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
    if (alone) return; /* exactly like python3 */
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

/* python-mpi's own mpi4py package, whatever else is on sys.path (PYTHONPATH often names an
 * mpi4py installed for python3, which cannot work with the built-in module): a finder first
 * on sys.meta_path answers for "mpi4py" from our directory, and adds the directory of the
 * files the build makes to the package's __path__. */
static const char package_finder[] =
    "import os, sys\n"
    "parent, built = os.path.normpath(parent), os.path.normpath(built)  # a VPATH build's ../..\n"
    "class PackageFinder:\n"
    "    path_finder = next(f for f in sys.meta_path if getattr(f, '__name__', '') == 'PathFinder')\n"
    "    @classmethod\n"
    "    def find_spec(cls, name, path=None, target=None):\n"
    "        if name != 'mpi4py':\n"
    "            return None\n"
    "        spec = cls.path_finder.find_spec(name, [parent])\n"
    "        if spec is not None and built not in spec.submodule_search_locations:\n"
    "            spec.submodule_search_locations.append(built)\n"
    "        return spec\n"
    "sys.meta_path.insert(0, PackageFinder)\n";

static int install_package_finder(void)
{
    int build = build_tree();
    PyObject *globals = Py_BuildValue("{s:s,s:O&,s:O&}", "__name__", "python-mpi",
        "parent", PyUnicode_DecodeFSDefault, build ? PYMPI_BUILD_PYDIR : PYMPI_PYTHONDIR,
        "built", PyUnicode_DecodeFSDefault, build ? PYMPI_BUILD_PKGDIR : PYMPI_PKGDIR);
    if (!globals) return -1;
    PyObject *r = PyRun_String(package_finder, Py_file_input, globals, globals);
    Py_DECREF(globals);
    Py_XDECREF(r);
    return r ? 0 : -1;
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
    if (install_package_finder() < 0) {
        PyErr_Print();
        finish(1);
    }
    if (pympi_launcher_owns_mpi) Py_AtExit(at_python_exit);
}

int main(int argc, char **argv)
{
    struct launch l;
    read_launch(argc, argv, &l);
    if (l.helper) {
        clear_pm_variables();
    } else {
        if (l.profile) preload_profiler(argv, l.profile);
        init_mpi(&argc, &argv, &l);
        on_exit(at_process_exit, NULL);
        install_signal_handlers();
    }
    init_python(argc, argv);
    finish(Py_RunMain());
}
