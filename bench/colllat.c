/* colllat.c: 2-rank latency of small collectives in C, the reference for colllat.py.
 * Prints "case microseconds" per line (best of 5 runs of N iterations). bcast sends the number
 * of bytes a pickled small list takes (argv[1]), as python-mpi's bcast(list) moves that much. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#include "threadlevel.h"

#define N 20000
#define REPS 5

static double best(int which, int nbytes)
{
    double x = 1.0, y = 0.0, best = 1e30;
    long a = 1, b = 0;
    char buf[4096] = {0};
    for (int r = 0; r < REPS; r++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        for (int i = 0; i < N; i++) {
            if (which == 0) MPI_Barrier(MPI_COMM_WORLD);
            else if (which == 1) MPI_Allreduce(&x, &y, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
            else if (which == 2) MPI_Allreduce(&a, &b, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
            else MPI_Bcast(buf, nbytes, MPI_BYTE, 0, MPI_COMM_WORLD);
        }
        double t = (MPI_Wtime() - t0) / N;
        if (t < best) best = t;
    }
    return best;
}

int main(int argc, char **argv)
{
    static const char *names[] = {"Barrier", "Allreduce(1 float64)", "allreduce(int)", "bcast(small list)"};
    int rank, nbytes = argc > 1 ? atoi(argv[1]) : 32;
    bench_init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    for (int w = 0; w < 4; w++) {
        double t = best(w, nbytes);
        if (rank == 0) printf("%s\t%.3f\n", names[w], t * 1e6);
    }
    MPI_Finalize();
    return 0;
}
