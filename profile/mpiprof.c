/* mpiprof: a PMPI profiler (mpi4py.profile('mpiprof'), python-mpi -m mpi4py --profile mpiprof).
 *
 * Every function of functions.def is wrapped: the wrapper calls the PMPI entry point and adds
 * one call and the time spent in it to that function's counters. At MPI_Finalize the counters
 * of all processes are reduced to rank 0, which prints one table (calls, total time, largest
 * time of one process), the most expensive functions first, on stderr, or into the file
 * named by MPIPROF_OUTPUT.
 *
 * The library must come before libmpi in symbol lookup: preloaded (LD_PRELOAD, which is what
 * python-mpi -m mpi4py --profile does, since python-mpi is linked with libmpi), or loaded with
 * RTLD_GLOBAL before an extension module linked with libmpi (mpi4py.profile() under python3). */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum {
#define FN(name, params, args) ID_##name,
#include "functions.def"
#undef FN
    NFUNCS
};

static const char *const names[NFUNCS] = {
#define FN(name, params, args) "MPI_" #name,
#include "functions.def"
#undef FN
};

static uint64_t calls[NFUNCS], nanoseconds[NFUNCS];
static double init_time;

static uint64_t now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Threads may call MPI at the same time (MPI_THREAD_MULTIPLE): atomic sums. */
static void record(int id, uint64_t start)
{
    __atomic_fetch_add(&calls[id], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&nanoseconds[id], now() - start, __ATOMIC_RELAXED);
}

#define FN(name, params, args)              \
    int MPI_##name params                   \
    {                                       \
        uint64_t start = now();             \
        int err = PMPI_##name args;         \
        record(ID_##name, start);           \
        return err;                         \
    }
#include "functions.def"
#undef FN

int MPI_Init(int *argc, char ***argv)
{
    int err = PMPI_Init(argc, argv);
    init_time = PMPI_Wtime();
    return err;
}

int MPI_Init_thread(int *argc, char ***argv, int required, int *provided)
{
    int err = PMPI_Init_thread(argc, argv, required, provided);
    init_time = PMPI_Wtime();
    return err;
}

/* Rank 0's table: indexes of the called functions, by decreasing total time. */
static uint64_t total_ns[NFUNCS];

static int by_time(const void *a, const void *b)
{
    uint64_t x = total_ns[*(const int *)a], y = total_ns[*(const int *)b];
    return x < y ? 1 : x > y ? -1 : *(const int *)a - *(const int *)b;
}

static void print_table(FILE *out, int size, const uint64_t *total_calls, const uint64_t *max_ns)
{
    int order[NFUNCS], n = 0;
    for (int i = 0; i < NFUNCS; i++)
        if (total_calls[i]) order[n++] = i;
    qsort(order, (size_t)n, sizeof order[0], by_time);
    fprintf(out, "mpiprof: %d process%s, %.6f s from MPI_Init to MPI_Finalize on rank 0\n",
            size, size == 1 ? "" : "es", PMPI_Wtime() - init_time);
    fprintf(out, "%-28s %12s %14s %16s\n", "function", "calls", "time [s]", "max/process [s]");
    for (int k = 0; k < n; k++) {
        int i = order[k];
        fprintf(out, "%-28s %12llu %14.6f %16.6f\n", names[i], (unsigned long long)total_calls[i],
                total_ns[i] * 1e-9, max_ns[i] * 1e-9);
    }
    if (n == 0) fprintf(out, "(no profiled MPI calls)\n");
}

static void report(void)
{
    static uint64_t sum_calls[NFUNCS], max_ns[NFUNCS];
    int rank = 0, size = 1;
    PMPI_Comm_rank(MPI_COMM_WORLD, &rank);
    PMPI_Comm_size(MPI_COMM_WORLD, &size);
    PMPI_Reduce(calls, sum_calls, NFUNCS, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
    PMPI_Reduce(nanoseconds, total_ns, NFUNCS, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
    PMPI_Reduce(nanoseconds, max_ns, NFUNCS, MPI_UINT64_T, MPI_MAX, 0, MPI_COMM_WORLD);
    if (rank != 0) return;
    const char *path = getenv("MPIPROF_OUTPUT");
    FILE *out = path && *path ? fopen(path, "w") : stderr;
    if (!out) {
        fprintf(stderr, "mpiprof: cannot write %s\n", path);
        out = stderr;
    }
    print_table(out, size, sum_calls, max_ns);
    if (out != stderr) fclose(out);
    else fflush(stderr);
}

int MPI_Finalize(void)
{
    report();
    return PMPI_Finalize();
}
