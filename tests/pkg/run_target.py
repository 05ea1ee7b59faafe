"""Target script of test_run.py: reports how it was run, then does what
its first argument says (ok, raise, exit N, deadlock)."""
import sys

from mpi4py import MPI

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
print(f'rank={rank} name={__name__} argv={sys.argv[1:]}', flush=True)
action = sys.argv[1] if len(sys.argv) > 1 else 'ok'
if action == 'raise' and rank == 0:
    # The manual's scenario: rank 0 fails before sending, rank 1 would
    # wait forever in recv() without the abort.
    raise ZeroDivisionError('failure on rank 0')
if action == 'raise' and rank == 1:
    comm.recv(source=0, tag=42)
if action == 'exit':
    sys.exit(int(sys.argv[2]) if rank == 0 else 0)
