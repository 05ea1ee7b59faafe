# ranks: 1 2
"""The MPI-IO examples of the manual (section 3.4), run as written, then the files checked.

The examples write ./datafile.contig and ./datafile.noncontig: every rank runs them with the
working directory set to one temporary directory (rank 0 creates it, the path is broadcast).
The first example uses `np.int`, an alias of the builtin int that NumPy 1.24 (Debian 12) removed;
the test puts the alias back when it is missing rather than edit the example."""
import os
import shutil
import tempfile
import unittest

import mpitest
from mpi4py import MPI

try:
    import numpy
except ImportError:
    numpy = None

CONTIG = '''
from mpi4py import MPI
import numpy as np

amode = MPI.MODE_WRONLY|MPI.MODE_CREATE
comm = MPI.COMM_WORLD
fh = MPI.File.Open(comm, "./datafile.contig", amode)

buffer = np.empty(10, dtype=np.int)
buffer[:] = comm.Get_rank()

offset = comm.Get_rank()*buffer.nbytes
fh.Write_at_all(offset, buffer)

fh.Close()
'''

NONCONTIG = '''
from mpi4py import MPI
import numpy as np
comm = MPI.COMM_WORLD
rank = comm.Get_rank()
size = comm.Get_size()
amode = MPI.MODE_WRONLY|MPI.MODE_CREATE
fh = MPI.File.Open(comm, "./datafile.noncontig", amode)
item_count = 10
buffer = np.empty(item_count, dtype='i')
buffer[:] = rank
filetype = MPI.INT.Create_vector(item_count, 1, size)
filetype.Commit()
displacement = MPI.INT.Get_size()*rank
fh.Set_view(displacement, filetype=filetype)
fh.Write_all(buffer)
filetype.Free()
fh.Close()
'''


@unittest.skipIf(numpy is None, 'NumPy is needed')
class TestManualIO(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.comm = MPI.COMM_WORLD
        path = tempfile.mkdtemp(prefix='pympi-manual-io-') if cls.comm.rank == 0 else None
        cls.dir = cls.comm.bcast(path, root=0)
        cls.cwd = os.getcwd()
        os.chdir(cls.dir)
        if not hasattr(numpy, 'int'):
            numpy.int = int   # removed in NumPy 1.24; the example predates that

    @classmethod
    def tearDownClass(cls):
        os.chdir(cls.cwd)
        cls.comm.Barrier()
        if cls.comm.rank == 0:
            shutil.rmtree(cls.dir, ignore_errors=True)

    def run_example(self, source):
        exec(compile(source, '<manual example>', 'exec'), {'__name__': '__main__'})
        self.comm.Barrier()

    def test_collective_io(self):
        self.run_example(CONTIG)
        size = self.comm.size
        data = numpy.fromfile(os.path.join(self.dir, 'datafile.contig'), dtype=int)
        self.assertEqual(list(data), [r for r in range(size) for _ in range(10)])

    def test_noncontiguous_io(self):
        self.run_example(NONCONTIG)
        size = self.comm.size
        data = numpy.fromfile(os.path.join(self.dir, 'datafile.noncontig'), dtype='i')
        self.assertEqual(list(data), [i % size for i in range(10 * size)])


if __name__ == '__main__':
    mpitest.main()
