"""Spawned child of test_dynproc that connects back to its parents another way:
    connect.py connect SERVICE   Lookup_name(SERVICE), then COMM_WORLD.Connect to that port
    connect.py join TCP_PORT     a TCP connection to 127.0.0.1:TCP_PORT, then Comm.Join over it
Over the new intercommunicator it plays the client side of TestConnect.exchange(): rank 0 swaps
names with the other side's rank 0, then every process joins an allreduce of 1; then it
disconnects both intercommunicators."""
import socket
import sys

from mpi4py import MPI

parent = MPI.Comm.Get_parent()
mode, where = sys.argv[1], sys.argv[2]
if mode == 'connect':
    port = MPI.Lookup_name(where) if MPI.COMM_WORLD.rank == 0 else None
    inter = MPI.COMM_WORLD.Connect(port, root=0)
else:
    with socket.create_connection(('127.0.0.1', int(where))) as sock:
        inter = MPI.Comm.Join(sock.fileno())
if inter.Get_rank() == 0:
    inter.send('client', dest=0, tag=3)
    assert inter.recv(source=0, tag=3) == 'server'
inter.allreduce(1)
inter.Disconnect()
parent.Disconnect()
