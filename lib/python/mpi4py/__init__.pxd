# mpi4py/__init__.pxd: makes `mpi4py` a package for Cython, so that
#   from mpi4py cimport MPI                 (the classes, MPI.pxd)
#   from mpi4py.libmpi cimport MPI_Comm     (the MPI C API, libmpi.pxd)
# compile. Cython finds these files on its include path (cython -I $(mpi4py.get_include()))
# or next to the installed package on sys.path.
