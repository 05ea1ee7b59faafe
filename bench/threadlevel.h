/* threadlevel.h: MPI_Init_thread at the thread level python-mpi runs at, so that the C side of
 * a comparison pays what MPI charges at that level (at MPI_THREAD_MULTIPLE MPICH takes its global
 * lock in every call) and the difference is the binding's alone. mpi4py's rule:
 * MPI4PY_RC_THREAD_LEVEL, "multiple" by default. */
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

static void bench_init(int *argc, char ***argv)
{
    const char *env = getenv("MPI4PY_RC_THREAD_LEVEL");
    const char *name = env && *env ? env : "multiple";
    int want = !strcmp(name, "single")       ? MPI_THREAD_SINGLE
             : !strcmp(name, "funneled")     ? MPI_THREAD_FUNNELED
             : !strcmp(name, "serialized")   ? MPI_THREAD_SERIALIZED
                                             : MPI_THREAD_MULTIPLE;
    int provided;
    MPI_Init_thread(argc, argv, want, &provided);
}
