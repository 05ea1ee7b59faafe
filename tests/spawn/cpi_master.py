#!/usr/bin/env python
# The manual's compute-pi master (section 3.5), with 2 workers instead of 5 (2 cores here).
# `cpi_master.py WORKER` spawns that program (the C worker) instead of `python-mpi cpi.py`.
from mpi4py import MPI
import numpy
import sys

if len(sys.argv) > 1:
    command, args = sys.argv[1], None
else:
    command, args = sys.executable, ['cpi.py']
comm = MPI.COMM_SELF.Spawn(command,
                           args=args,
                           maxprocs=2)

N = numpy.array(100, 'i')
comm.Bcast([N, MPI.INT], root=MPI.ROOT)
PI = numpy.array(0.0, 'd')
comm.Reduce(None, [PI, MPI.DOUBLE],
            op=MPI.SUM, root=MPI.ROOT)
print(PI)

comm.Disconnect()
