"""Execute computations asynchronously using MPI processes.

MPIPoolExecutor implements concurrent.futures.Executor with a pool of
MPI worker processes (spawned, or the processes of MPI_COMM_WORLD under
``mpiexec -n N python -m mpi4py.futures script.py``); MPICommExecutor
turns the processes of a communicator into a master and its workers.
Futures, wait() and as_completed() are those of concurrent.futures.
"""

from concurrent.futures import (
    ALL_COMPLETED,
    FIRST_COMPLETED,
    FIRST_EXCEPTION,
    BrokenExecutor,
    CancelledError,
    Executor,
    Future,
    InvalidStateError,
    TimeoutError,
    as_completed,
    wait,
)

from .pool import (
    MPICommExecutor,
    MPIPoolExecutor,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
)

__all__ = [
    'Future', 'Executor', 'wait', 'as_completed',
    'FIRST_COMPLETED', 'FIRST_EXCEPTION', 'ALL_COMPLETED',
    'CancelledError', 'TimeoutError', 'InvalidStateError', 'BrokenExecutor',
    'MPIPoolExecutor', 'MPICommExecutor',
    'ThreadPoolExecutor', 'ProcessPoolExecutor',
]
