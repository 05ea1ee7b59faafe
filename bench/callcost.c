/* callcost.c: the C side of callcost.py. For every case, on MPI_COMM_SELF: a warm-up, then
 * MPI_Wtick() (a marker: callgrind dumps its counters there), N calls, MPI_Wtick(), 11N calls,
 * MPI_Wtick(). usage: callcost N PICKLE_DICT_BYTES PICKLE_INT_BYTES PICKLE_LIST_BYTES */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#include "threadlevel.h"

static long N;
static int ndict, nint, nlist;

static void sendrecv(void)
{
    double a = 1, b;
    MPI_Sendrecv(&a, 1, MPI_DOUBLE, 0, 0, &b, 1, MPI_DOUBLE, 0, 0, MPI_COMM_SELF, MPI_STATUS_IGNORE);
}

static void isend_recv_wait(void)
{
    double a = 1, b;
    MPI_Request r;
    MPI_Isend(&a, 1, MPI_DOUBLE, 0, 0, MPI_COMM_SELF, &r);
    MPI_Recv(&b, 1, MPI_DOUBLE, 0, 0, MPI_COMM_SELF, MPI_STATUS_IGNORE);
    MPI_Wait(&r, MPI_STATUS_IGNORE);
}

/* What comm.isend(obj)/comm.recv()/req.wait() do with the pickle: matched probe and receive. */
static void isend_recv_wait_bytes(void)
{
    static char a[4096], b[4096];
    MPI_Request r;
    MPI_Message m;
    MPI_Status st;
    MPI_Count n;
    MPI_Isend(a, ndict, MPI_BYTE, 0, 0, MPI_COMM_SELF, &r);
    MPI_Mprobe(0, 0, MPI_COMM_SELF, &m, &st);
    MPI_Get_elements_x(&st, MPI_BYTE, &n);
    MPI_Mrecv(b, (int)n, MPI_BYTE, &m, MPI_STATUS_IGNORE);
    MPI_Wait(&r, MPI_STATUS_IGNORE);
}

static void allreduce(void)
{
    double a = 1, b;
    MPI_Allreduce(&a, &b, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_SELF);
}

static void allreduce_long(void)
{
    long a = 1, b;
    MPI_Allreduce(&a, &b, 1, MPI_LONG, MPI_SUM, MPI_COMM_SELF);
}

static void bcast_bytes(void)
{
    static char a[4096];
    MPI_Bcast(a, nlist, MPI_BYTE, 0, MPI_COMM_SELF);
}

static void empty(void) { __asm__ volatile("" ::: "memory"); }

static void measure(const char *name, void (*f)(void))
{
    for (int i = 0; i < 10; i++) f();
    MPI_Wtick();
    for (long i = 0; i < N; i++) f();
    MPI_Wtick();
    for (long i = 0; i < 11 * N; i++) f();
    MPI_Wtick();
    printf("%s ok\n", name);
}

int main(int argc, char **argv)
{
    bench_init(&argc, &argv);
    N = argc > 1 ? atol(argv[1]) : 1000;
    ndict = argc > 2 ? atoi(argv[2]) : 32;
    nint = argc > 3 ? atoi(argv[3]) : 8;
    nlist = argc > 4 ? atoi(argv[4]) : 32;
    (void)nint;
    measure("empty", empty);
    measure("Sendrecv", sendrecv);
    measure("Sendrecv_typed", sendrecv);
    measure("Isend_Recv_Wait", isend_recv_wait);
    measure("isend_recv_wait_dict", isend_recv_wait_bytes);
    measure("Allreduce", allreduce);
    measure("allreduce_int", allreduce_long);
    measure("bcast_list", bcast_bytes);
    MPI_Finalize();
    return 0;
}
