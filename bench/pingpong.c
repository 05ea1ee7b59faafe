/* pingpong.c: MPI_Send/MPI_Recv ping-pong between ranks 0 and 1, the C reference for
 * pingpong.py. Prints, on rank 0, one line per size: "size one_way_seconds" (best of REPS). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "threadlevel.h"

#define REPS 5

static long iterations(long size)
{
    long n = (1L << 26) / (size > 0 ? size : 1);
    return n < 10 ? 10 : n > 10000 ? 10000 : n;
}

int main(int argc, char **argv)
{
    int rank;
    long maxsize = argc > 1 ? atol(argv[1]) : 64L << 20;
    bench_init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    /* The memory NumPy gives pingpong.py: on Linux it asks for transparent huge pages for
     * arrays of 4 MiB and more (madvise), which makes large copies faster; so does this. */
    size_t huge = 2u << 20, bytes = ((size_t)maxsize + huge - 1) / huge * huge;
    char *buf = aligned_alloc(huge, bytes);
#ifdef MADV_HUGEPAGE
    if (bytes >= (4u << 20)) madvise(buf, bytes, MADV_HUGEPAGE);
#endif
    memset(buf, 1, (size_t)maxsize);
    static const long sizes[] = {8, 64, 512, 4L << 10, 32L << 10, 256L << 10, 1L << 20,
                                 8L << 20, 64L << 20};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0] && sizes[k] <= maxsize; k++) {
        long size = sizes[k];
        long n = iterations(size);
        double best = 1e30;
        for (int r = 0; r < REPS; r++) {
            MPI_Barrier(MPI_COMM_WORLD);
            double t0 = MPI_Wtime();
            for (long i = 0; i < n; i++) {
                if (rank == 0) {
                    MPI_Send(buf, (int)size, MPI_BYTE, 1, 0, MPI_COMM_WORLD);
                    MPI_Recv(buf, (int)size, MPI_BYTE, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                } else if (rank == 1) {
                    MPI_Recv(buf, (int)size, MPI_BYTE, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                    MPI_Send(buf, (int)size, MPI_BYTE, 0, 0, MPI_COMM_WORLD);
                }
            }
            double t = (MPI_Wtime() - t0) / (2.0 * n);
            if (t < best) best = t;
        }
        if (rank == 0) printf("%ld %.9e\n", size, best);
    }
    free(buf);
    MPI_Finalize();
    return 0;
}
