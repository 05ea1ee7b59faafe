/* argvspy: a PMPI interposer (LD_PRELOAD) that writes the argv MPI_Init_thread receives, one
 * argument a line, to the file named by ARGVSPY_OUT, then calls the real PMPI_Init_thread. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

int MPI_Init_thread(int *argc, char ***argv, int required, int *provided)
{
    const char *out = getenv("ARGVSPY_OUT");
    FILE *f = out ? fopen(out, "w") : NULL;
    if (f) {
        if (!argc || !argv) fprintf(f, "(null)\n");
        else
            for (int i = 0; i < *argc; i++) fprintf(f, "%s\n", (*argv)[i]);
        fclose(f);
    }
    return PMPI_Init_thread(argc, argv, required, provided);
}
