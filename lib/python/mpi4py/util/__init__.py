"""Miscellaneous utilities within the intersection of Python and MPI.

pkl5  -- point-to-point communication of Python objects with pickle
         protocol 5 and out-of-band buffers (large arrays, > 2 GiB)
dtlib -- conversion between NumPy dtypes and MPI datatypes
"""
