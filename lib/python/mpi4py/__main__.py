"""``python -m mpi4py``: run Python code, aborting MPI on errors."""

from .run import main

main()
