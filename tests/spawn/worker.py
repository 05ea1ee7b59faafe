"""Spawned child: report to the parent over the parent intercommunicator, then disconnect."""
import sys

from mpi4py import MPI

parent = MPI.Comm.Get_parent()
assert parent != MPI.COMM_NULL, 'not spawned'
rank = parent.Get_rank()
parent.send((rank, parent.Get_size(), sys.argv[1:]), dest=0, tag=7)
parent.Disconnect()
