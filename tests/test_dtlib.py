# ranks: 1
"""mpi4py.util.dtlib: NumPy dtype <-> MPI datatype conversions."""
import unittest

import numpy

import mpitest
from mpi4py import MPI
from mpi4py.util.dtlib import from_numpy_dtype, to_numpy_dtype

SCALARS = ['?', 'b', 'h', 'i', 'l', 'q', 'B', 'H', 'I', 'L', 'Q',
           'f', 'd', 'g', 'F', 'D', 'G', 'i1', 'u2', 'i4', 'u8', 'f8', 'c16']
STRINGS = ['S1', 'S7', 'U1', 'U5', 'V1', 'V16']
DERIVED = [
    ('i4', (3,)), ('f8', (2, 3)), ('S3', (2,)),
    [('a', 'i1'), ('b', 'f8')],
    numpy.dtype([('a', 'i1'), ('b', 'f8')], align=True),
    numpy.dtype([('a', 'i1'), ('b', 'i4'), ('c', 'i1')], align=True),
    [('x', 'f4', (3,)), ('y', [('p', 'i2'), ('q', 'c8')])],
    {'names': ['a', 'b'], 'formats': ['i4', 'i4'], 'offsets': [4, 12],
     'itemsize': 24},
]


def free(datatype):
    if not datatype.is_predefined:
        datatype.Free()


class TestFromNumpy(unittest.TestCase):

    def test_scalars(self):
        for spec in SCALARS:
            dtype = numpy.dtype(spec)
            datatype = from_numpy_dtype(dtype)
            self.assertEqual(datatype.Get_size(), dtype.itemsize, spec)
            self.assertEqual(datatype.Get_extent(), (0, dtype.itemsize))
        self.assertEqual(from_numpy_dtype('i'), MPI.INT)
        self.assertEqual(from_numpy_dtype('d'), MPI.DOUBLE)
        self.assertEqual(from_numpy_dtype('?'), MPI.C_BOOL)
        self.assertEqual(from_numpy_dtype('S1'), MPI.CHAR)
        self.assertEqual(from_numpy_dtype(numpy.complex64), MPI.C_FLOAT_COMPLEX)

    def test_strings(self):
        for spec in STRINGS:
            dtype = numpy.dtype(spec)
            datatype = from_numpy_dtype(dtype)
            self.assertEqual(datatype.Get_size(), dtype.itemsize, spec)
            free(datatype)

    def test_unsupported(self):
        for spec in ['O', 'e', '>i4' if numpy.little_endian else '<i4',
                     'M8[s]', [('a', 'O')]]:
            with self.assertRaises(ValueError, msg=spec):
                from_numpy_dtype(spec)


class TestRoundTrip(unittest.TestCase):

    def check(self, spec):
        dtype = numpy.dtype(spec)
        datatype = from_numpy_dtype(dtype)
        try:
            self.assertEqual(datatype.Get_size(),
                             dtype.itemsize - self.padding(dtype), spec)
            self.assertEqual(datatype.Get_extent(), (0, dtype.itemsize), spec)
            self.assertEqual(to_numpy_dtype(datatype), self.renamed(dtype), spec)
        finally:
            free(datatype)

    @classmethod
    def renamed(cls, dtype):
        """dtype with its fields named f0, f1, ... (nested too), as to_numpy_dtype names them."""
        if dtype.subdtype is not None:
            return numpy.dtype((cls.renamed(dtype.subdtype[0]), dtype.subdtype[1]))
        if dtype.fields is None:
            return dtype
        return numpy.dtype({'names': ['f%d' % i for i in range(len(dtype.names))],
                            'formats': [cls.renamed(dtype.fields[n][0]) for n in dtype.names],
                            'offsets': [dtype.fields[n][1] for n in dtype.names],
                            'itemsize': dtype.itemsize})

    @staticmethod
    def padding(dtype):
        """Bytes of dtype not covered by any field."""
        if dtype.fields is None:
            return 0
        used = sum(dtype.fields[name][0].itemsize
                   - TestRoundTrip.padding(dtype.fields[name][0])
                   for name in dtype.names)
        return dtype.itemsize - used

    def test_scalars_and_strings(self):
        for spec in SCALARS + STRINGS:
            self.check(spec)

    def test_derived(self):
        for spec in DERIVED:
            self.check(spec)

    def test_named_to_numpy(self):
        self.assertEqual(to_numpy_dtype(MPI.INT), numpy.dtype('i'))
        self.assertEqual(to_numpy_dtype(MPI.INT64_T), numpy.dtype('i8'))
        self.assertEqual(to_numpy_dtype(MPI.BYTE), numpy.dtype('B'))
        pair = to_numpy_dtype(MPI.DOUBLE_INT)
        self.assertEqual(pair.itemsize, MPI.DOUBLE_INT.Get_extent()[1])
        self.assertEqual([pair.fields[n][1] for n in pair.names], [0, 8])

    def test_lower_bound_refused(self):
        shifted = MPI.INT.Create_hindexed([1], [4])
        with self.assertRaises(ValueError):
            to_numpy_dtype(shifted)
        shifted.Free()

    def test_mpi_derived_to_numpy(self):
        vector = MPI.INT.Create_vector(3, 2, 4)
        dtype = to_numpy_dtype(vector)
        self.assertEqual(dtype.itemsize, vector.Get_extent()[1])
        self.assertEqual([dtype.fields[n][1] for n in dtype.names], [0, 16, 32])
        vector.Free()
        sub = MPI.DOUBLE.Create_subarray([4, 5], [2, 3], [1, 2])
        dtype = to_numpy_dtype(sub)
        self.assertEqual(dtype.itemsize, 4 * 5 * 8)
        data = numpy.arange(20.0).reshape(4, 5)
        picked = data.reshape(-1).view(dtype)[0]
        self.assertEqual(picked['f0']['f0'].tolist(),
                         data[1:3, 2:5].tolist())
        sub.Free()

    def test_communicate_struct(self):
        dtype = numpy.dtype([('a', 'i1'), ('b', 'f8'), ('c', 'i2', (3,))],
                            align=True)
        datatype = from_numpy_dtype(dtype).Commit()
        data = numpy.zeros(4, dtype)
        data['a'], data['b'], data['c'] = 1, 2.5, [[1, 2, 3]]
        copy = numpy.zeros(4, dtype)
        MPI.COMM_SELF.Sendrecv([data, datatype], 0, 0, [copy, datatype], 0, 0)
        datatype.Free()
        self.assertEqual(copy.tobytes(), data.tobytes())


if __name__ == '__main__':
    mpitest.main()
