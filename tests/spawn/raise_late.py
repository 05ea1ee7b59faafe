"""Spawned child that fails after it is connected to its parent: every child prints LINES lines,
then the last child raises while the others (and the parent) wait for messages that never come.
The job must end at once (python-mpi aborts it) with every line printed before delivered. The
waiting children flush (the abort kills them: what sits in their Python buffers is theirs to
lose); the failing one leaves its lines in Python's buffer, which python-mpi must flush before
aborting."""
import sys

from mpi4py import MPI

LINES = 200
parent = MPI.Comm.Get_parent()
rank, size = parent.Get_rank(), parent.Get_size()
failing = rank == size - 1
for i in range(LINES):
    print('LATE-CHILD %d line %d' % (rank, i), flush=not failing)
MPI.COMM_WORLD.Barrier()  # everything is printed before anyone fails
if failing:
    raise RuntimeError('raise_late.py: child %d failing on purpose' % rank)
parent.recv(source=0, tag=99)
