# ranks: 1
"""mpi4py.util.dtlib: NumPy dtype <-> MPI datatype conversions."""
import ctypes
import unittest

import numpy

import mpitest
from mpi4py import MPI
from mpi4py.util import dtlib
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
    datatype.Free()


class TestFromNumpy(unittest.TestCase):

    def test_scalars(self):
        for spec in SCALARS:
            dtype = numpy.dtype(spec)
            datatype = from_numpy_dtype(dtype)
            self.assertEqual(datatype.Get_size(), dtype.itemsize, spec)
            self.assertEqual(datatype.Get_extent(), (0, dtype.itemsize))
        # a new datatype the caller frees, duplicating the predefined one
        for spec, named in [('i', MPI.INT), ('d', MPI.DOUBLE), ('?', MPI.C_BOOL),
                            ('S1', MPI.CHAR), (numpy.complex64, MPI.C_FLOAT_COMPLEX),
                            ('p', MPI.LONG), ('u2', MPI.UNSIGNED_SHORT)]:
            datatype = from_numpy_dtype(spec)
            self.assertEqual(datatype.combiner, MPI.COMBINER_DUP, spec)
            self.assertEqual(datatype.Get_contents()[2], [named], spec)
            datatype.Free()

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
        self.assertEqual(to_numpy_dtype(MPI.AINT), numpy.dtype('p'))
        self.assertEqual(to_numpy_dtype(MPI.CHARACTER), numpy.dtype('S1'))
        self.assertEqual(to_numpy_dtype(MPI.REAL8), numpy.dtype('f8'))
        self.assertEqual(to_numpy_dtype(MPI.C_LONG_DOUBLE_COMPLEX), numpy.dtype('G'))
        # no NumPy counterpart: MINLOC pairs, Fortran LOGICAL, the null datatype
        for datatype in (MPI.INT_INT, MPI.DOUBLE_INT, MPI.LOGICAL, MPI.DATATYPE_NULL):
            with self.assertRaises(ValueError, msg=repr(datatype)):
                to_numpy_dtype(datatype)

    def test_f90(self):
        for create, kind in [(lambda: MPI.Datatype.Create_f90_integer(9), 'i'),
                             (lambda: MPI.Datatype.Create_f90_real(15, MPI.UNDEFINED), 'f'),
                             (lambda: MPI.Datatype.Create_f90_complex(6, MPI.UNDEFINED), 'c')]:
            datatype = create()
            dtype = to_numpy_dtype(datatype)
            self.assertEqual((dtype.kind, dtype.itemsize), (kind, datatype.Get_size()))
            struct = MPI.Datatype.Create_struct([1, 1], [0, 8], [MPI.BYTE, datatype])
            self.assertEqual(to_numpy_dtype(struct).fields['f1'], (dtype, 8))
            struct.Free()

    def test_lower_bound(self):
        # Fields keep their offsets; the record covers [0, upper bound) when the fields do not
        # fit in the extent, else the extent.
        shifted = MPI.INT.Create_hindexed([1], [4])
        dtype = to_numpy_dtype(shifted)
        self.assertEqual((dtype.fields['f0'], dtype.itemsize), ((numpy.dtype('i'), 4), 8))
        shifted.Free()
        struct = MPI.Datatype.Create_struct([1, 2, 3], [1, 27, 71], [MPI.INT, MPI.DOUBLE, MPI.INT])
        dtype = to_numpy_dtype(struct)
        self.assertEqual([dtype.fields[n][1] for n in dtype.names], [1, 27, 71])
        self.assertEqual(dtype.itemsize, struct.Get_extent()[1])
        struct.Free()
        # a resized lower bound, or a resized scalar, has no NumPy record
        for lb, extent in [(4, 8), (0, 32)]:
            resized = MPI.INT.Create_resized(lb, extent)
            with self.assertRaises(ValueError):
                to_numpy_dtype(resized)
            resized.Free()

    def test_aligned_records(self):
        # A C-like layout decodes to an aligned record; a packed one to a packed record.
        for align in (True, False):
            dtype = numpy.dtype('B,d,B', align=align)
            datatype = from_numpy_dtype(dtype)
            for derived in (datatype, datatype.Create_contiguous(2)):
                self.assertEqual(to_numpy_dtype(derived).isalignedstruct, align)
                derived.Free()

    def test_alignment(self):
        self.assertEqual(dtlib._get_alignment_ctypes('d'), ctypes.alignment(ctypes.c_double))
        self.assertEqual(dtlib._get_alignment_ctypes('c16'), ctypes.alignment(ctypes.c_double))
        self.assertEqual(dtlib._get_alignment_ctypes('i2'), 2)
        self.assertEqual(dtlib._get_alignment(MPI.INT), ctypes.alignment(ctypes.c_int))
        self.assertEqual(dtlib._get_alignment(MPI.LOGICAL), 4)
        struct = MPI.Datatype.Create_struct([1, 1], [0, 8], [MPI.CHAR, MPI.DOUBLE])
        self.assertEqual(dtlib._get_alignment(struct), ctypes.alignment(ctypes.c_double))
        struct.Free()

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
