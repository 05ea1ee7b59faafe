"""Spawned child of test_dynproc: talks to its parents over Get_parent(), then disconnects.

Collective over the parent intercommunicator, in this order: allreduce (each side gets the sum of
the other side's values: the children send world rank + 1), gather of one report per child to
parent rank 0, and bcast of a token from parent rank 0 that the children echo back with a send."""
import sys

from mpi4py import MPI

world = MPI.COMM_WORLD
parent = MPI.Comm.Get_parent()
assert parent != MPI.COMM_NULL, 'not spawned'
parents_sum = parent.allreduce(world.rank + 1)
parent.gather(dict(rank=world.rank, size=world.size, argv=sys.argv[1:], executable=sys.executable,
                   appnum=world.Get_attr(MPI.APPNUM), is_inter=parent.Is_inter(),
                   parent_rank=parent.Get_rank(), remote_size=parent.Get_remote_size(),
                   parents_sum=parents_sum), root=0)
token = parent.bcast(None, root=0)
parent.send((world.rank, token), dest=0, tag=11)
parent.Disconnect()
