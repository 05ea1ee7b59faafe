/* The manual's compute-pi worker (section 3.5), in C: spawned by cpi_master.py in place of
 * the Python worker cpi.py, it receives N from the master and reduces its share of pi. */
#include <mpi.h>
#include <stddef.h>

int main(int argc, char *argv[])
{
    MPI_Comm parent;
    int n, rank, size;
    double h, sum = 0.0, pi;

    MPI_Init(&argc, &argv);
    MPI_Comm_get_parent(&parent);
    MPI_Comm_rank(parent, &rank);
    MPI_Comm_size(parent, &size);
    MPI_Bcast(&n, 1, MPI_INT, 0, parent);
    h = 1.0 / n;
    for (int i = rank; i < n; i += size) {
        double x = h * (i + 0.5);
        sum += 4.0 / (1.0 + x * x);
    }
    pi = sum * h;
    MPI_Reduce(&pi, NULL, 1, MPI_DOUBLE, MPI_SUM, 0, parent);
    MPI_Comm_disconnect(&parent);
    MPI_Finalize();
    return 0;
}
