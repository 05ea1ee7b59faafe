"""Spawned child that fails after it is connected to its parent: every child prints LINES lines,
then the last child raises while the others (and the parent) wait for messages that never come.
The job must end at once (python-mpi aborts it) with every printed line delivered."""
import sys

from mpi4py import MPI

LINES = 200
parent = MPI.Comm.Get_parent()
rank, size = parent.Get_rank(), parent.Get_size()
for i in range(LINES):
    print('LATE-CHILD %d line %d' % (rank, i))
if rank == size - 1:
    raise RuntimeError('raise_late.py: child %d failing on purpose' % rank)
parent.recv(source=0, tag=99)
