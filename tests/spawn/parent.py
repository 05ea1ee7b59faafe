"""Parent of the spawn tests: python-mpi parent.py CHILD_SCRIPT NPROCS [expect-ok].
Spawns sys.executable (python-mpi) running CHILD_SCRIPT; prints what the children report."""
import os
import sys
import time

from mpi4py import MPI

script, nprocs = sys.argv[1], int(sys.argv[2])
here = os.path.dirname(os.path.abspath(__file__))
command = sys.executable if script != 'no-such-program' else os.path.join(here, 'no-such-program')
args = [os.path.join(here, script), 'a1'] if script != 'no-such-program' else None
errcodes = []
print('EXECUTABLE', sys.executable, flush=True)
t0 = time.time()
try:
    inter = MPI.COMM_SELF.Spawn(command, args=args, maxprocs=nprocs, errcodes=errcodes)
except MPI.Exception as e:
    names = sorted(n for n in dir(MPI) if n.startswith('ERR_') and getattr(MPI, n) == e.Get_error_class())
    print('SPAWN-EXCEPTION class=%d (%s) after %.1fs: %s' % (e.Get_error_class(), ' '.join(names),
                                                            time.time() - t0, str(e).splitlines()[-1]), flush=True)
    try:  # why: MPI_Comm_spawn's own error stack only says "Error in spawn call"
        MPI.Close_port(MPI.Open_port())
    except MPI.Exception as e2:
        print('PORTS-EXCEPTION', str(e2).splitlines()[-1], flush=True)
    raise
print('SPAWNED', type(inter).__name__, getattr(inter, 'Get_remote_size', inter.Get_size)(), errcodes, flush=True)
for _ in range(nprocs):
    print('CHILD', inter.recv(source=MPI.ANY_SOURCE, tag=7), flush=True)
inter.Disconnect()
print('DISCONNECTED', inter == MPI.COMM_NULL, flush=True)
