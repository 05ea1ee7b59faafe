# ranks: 1 2
"""MPI.Datatype: predefined types, typecode dictionaries, constructors (checked against NumPy
memory layouts and by communication), envelope/contents/decode, Pack/Unpack, names, errors."""
import struct
import sys
import unittest

import numpy

import mpitest
from mpi4py import MPI

# Every Datatype constant of the mpi4py 3.1 listing.
PREDEFINED = '''
AINT BOOL BYTE CHAR CHARACTER COMPLEX COMPLEX16 COMPLEX32 COMPLEX4 COMPLEX8 COUNT CXX_BOOL
CXX_DOUBLE_COMPLEX CXX_FLOAT_COMPLEX CXX_LONG_DOUBLE_COMPLEX C_BOOL C_COMPLEX C_DOUBLE_COMPLEX
C_FLOAT_COMPLEX C_LONG_DOUBLE_COMPLEX DATATYPE_NULL DOUBLE DOUBLE_COMPLEX DOUBLE_INT
DOUBLE_PRECISION FLOAT FLOAT_INT F_BOOL F_COMPLEX F_DOUBLE F_DOUBLE_COMPLEX F_FLOAT
F_FLOAT_COMPLEX F_INT INT INT16_T INT32_T INT64_T INT8_T INTEGER INTEGER1 INTEGER16 INTEGER2
INTEGER4 INTEGER8 INT_INT LB LOGICAL LOGICAL1 LOGICAL2 LOGICAL4 LOGICAL8 LONG LONG_DOUBLE
LONG_DOUBLE_INT LONG_INT LONG_LONG OFFSET PACKED REAL REAL16 REAL2 REAL4 REAL8 SHORT SHORT_INT
SIGNED_CHAR SIGNED_INT SIGNED_LONG SIGNED_LONG_LONG SIGNED_SHORT SINT16_T SINT32_T SINT64_T
SINT8_T TWOINT UB UINT16_T UINT32_T UINT64_T UINT8_T UNSIGNED UNSIGNED_CHAR UNSIGNED_INT
UNSIGNED_LONG UNSIGNED_LONG_LONG UNSIGNED_SHORT WCHAR
'''.split()

ALIASES = {
    'SIGNED_SHORT': 'SHORT', 'SIGNED_INT': 'INT', 'SIGNED_LONG': 'LONG',
    'SIGNED_LONG_LONG': 'LONG_LONG', 'UNSIGNED_INT': 'UNSIGNED', 'BOOL': 'C_BOOL',
    'SINT8_T': 'INT8_T', 'SINT16_T': 'INT16_T', 'SINT32_T': 'INT32_T', 'SINT64_T': 'INT64_T',
    'C_COMPLEX': 'C_FLOAT_COMPLEX', 'F_BOOL': 'LOGICAL', 'F_INT': 'INTEGER', 'F_FLOAT': 'REAL',
    'F_DOUBLE': 'DOUBLE_PRECISION', 'F_COMPLEX': 'COMPLEX', 'F_FLOAT_COMPLEX': 'COMPLEX',
    'F_DOUBLE_COMPLEX': 'DOUBLE_COMPLEX', 'INT_INT': 'TWOINT',
}

C_CODES = ['?', 'c', 'b', 'h', 'i', 'l', 'q', 'B', 'H', 'I', 'L', 'Q', 'f', 'd', 'g', 'F', 'D', 'G']
SIZED_CODES = ['b1', 'i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4', 'u8', 'f4', 'f8', 'c8', 'c16']

COMBINERS = ['DUP', 'CONTIGUOUS', 'VECTOR', 'HVECTOR', 'INDEXED', 'HINDEXED', 'INDEXED_BLOCK',
             'HINDEXED_BLOCK', 'STRUCT', 'SUBARRAY', 'DARRAY', 'RESIZED', 'F90_INTEGER',
             'F90_REAL', 'F90_COMPLEX']


def free(*types):
    for t in types:
        if t and not t.is_predefined:
            t.Free()


def exchange(comm, sendspec, recvspec, tag=5):
    """Send sendspec to the next rank and receive recvspec from the previous one. On one rank
    (MPICH's MPI_Send to itself waits for the matching receive) the data goes through
    MPI_Pack/MPI_Unpack with the same buffer specs instead."""
    rank, size = comm.rank, comm.size
    if size == 1:
        out = bytearray(1 << 16)
        pos = MPI.BYTE.Pack(sendspec, out, 0, comm)
        end = MPI.BYTE.Unpack(memoryview(out)[:pos], 0, recvspec, comm)
        assert end == pos, (end, pos)
        return
    dest, source = (rank + 1) % size, (rank - 1) % size
    if rank % 2 == 0:
        comm.Send(sendspec, dest=dest, tag=tag)
        comm.Recv(recvspec, source=source, tag=tag)
    else:
        comm.Recv(recvspec, source=source, tag=tag)
        comm.Send(sendspec, dest=dest, tag=tag)


def packed(datatype, buf, count=1):
    """The bytes MPI packs for `count` elements of datatype taken from buf."""
    comm = MPI.COMM_SELF
    datatype.Commit()
    out = bytearray(datatype.Pack_size(count, comm))
    pos = datatype.Pack([buf, count, datatype], out, 0, comm)
    return bytes(out[:pos])


class TestPredefined(unittest.TestCase):

    def test_every_constant(self):
        for name in PREDEFINED:
            t = getattr(MPI, name)
            self.assertIsInstance(t, MPI.Datatype, name)
        for alias, name in ALIASES.items():
            self.assertEqual(getattr(MPI, alias), getattr(MPI, name), alias)
        self.assertFalse(MPI.DATATYPE_NULL)
        self.assertTrue(MPI.INT)

    def test_sizes(self):
        expect = {'CHAR': 1, 'SHORT': 2, 'INT': 4, 'LONG': 8, 'LONG_LONG': 8, 'FLOAT': 4,
                  'DOUBLE': 8, 'C_BOOL': 1, 'INT8_T': 1, 'UINT16_T': 2, 'INT32_T': 4, 'UINT64_T': 8,
                  'C_FLOAT_COMPLEX': 8, 'C_DOUBLE_COMPLEX': 16, 'BYTE': 1, 'PACKED': 1,
                  'AINT': 8, 'OFFSET': 8, 'COUNT': 8, 'TWOINT': 8, 'INTEGER': 4, 'REAL8': 8,
                  'COMPLEX16': 16, 'WCHAR': 4}
        for name, size in expect.items():
            t = getattr(MPI, name)
            self.assertEqual(t.Get_size(), size, name)
            self.assertEqual(t.size, size, name)
        self.assertEqual(MPI.LONG_DOUBLE.size, numpy.dtype('g').itemsize)

    def test_extents(self):
        for name in PREDEFINED:
            t = getattr(MPI, name)
            if not t or name in ('LB', 'UB'):
                continue
            lb, extent = t.Get_extent()
            self.assertEqual((t.lb, t.extent, t.ub), (lb, extent, lb + extent), name)
            tlb, textent = t.Get_true_extent()
            self.assertEqual((t.true_lb, t.true_extent, t.true_ub), (tlb, textent, tlb + textent))
            self.assertEqual(lb, 0, name)
            self.assertGreaterEqual(extent, t.size, name)

    def test_named(self):
        for name in PREDEFINED:
            t = getattr(MPI, name)
            self.assertTrue(t.is_predefined, name)
            if t:
                self.assertTrue(t.is_named, name)
                self.assertEqual(t.combiner, MPI.COMBINER_NAMED)
                self.assertEqual(t.Get_envelope(), (0, 0, 0, MPI.COMBINER_NAMED))
                self.assertEqual(t.envelope, (0, 0, 0, MPI.COMBINER_NAMED))
                self.assertIs(t.decode(), t)  # a named type decodes to itself (mpi4py 3.1)
        copy = MPI.Datatype(MPI.INT)
        self.assertIs(copy.decode(), copy)
        self.assertFalse(MPI.DATATYPE_NULL.is_named)
        with self.assertRaises(MPI.Exception):
            MPI.INT.Get_contents()

    def test_names(self):
        self.assertEqual(MPI.INT.Get_name(), 'MPI_INT')
        self.assertEqual(MPI.DOUBLE.name, 'MPI_DOUBLE')
        t = MPI.INT.Create_contiguous(2)
        self.assertEqual(t.name, '')
        t.Set_name('pair')
        self.assertEqual(t.Get_name(), 'pair')
        t.name = 'couple'
        self.assertEqual(t.name, 'couple')
        t.Set_name(name='kw')
        self.assertEqual(t.name, 'kw')
        with self.assertRaises(TypeError):
            t.Set_name(3)
        with self.assertRaises(TypeError):
            t.name = None
        with self.assertRaises(TypeError):
            del t.name
        t.Free()
        with self.assertRaises(MPI.Exception):
            t.Get_name()

    def test_free_refused(self):
        for name in ('INT', 'DOUBLE', 'BYTE', 'DATATYPE_NULL', 'SIGNED_INT', 'UB', 'PACKED'):
            with self.assertRaises(MPI.Exception) as cm:
                getattr(MPI, name).Free()
            self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_TYPE)
        self.assertTrue(MPI.INT)
        with self.assertRaises(MPI.Exception) as cm:
            MPI.Datatype(MPI.INT).Free()
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_TYPE)
        self.assertEqual(MPI.INT.Get_size(), 4)

    def test_handles(self):
        self.assertEqual(MPI.Datatype.f2py(MPI.INT.py2f()), MPI.INT)
        self.assertEqual(MPI.Datatype(MPI.DOUBLE), MPI.DOUBLE)
        self.assertNotEqual(MPI.Datatype(MPI.DOUBLE), MPI.FLOAT)
        self.assertFalse(MPI.Datatype())
        with self.assertRaises(TypeError):
            hash(MPI.INT)
        with self.assertRaises(TypeError):
            MPI.Datatype(MPI.COMM_WORLD)
        with self.assertRaises(TypeError):
            MPI.INT < MPI.DOUBLE

    def test_commit_predefined(self):
        self.assertIs(MPI.INT.Commit(), MPI.INT)


class TestTypecodes(unittest.TestCase):

    def test_typedict(self):
        td = MPI._typedict
        for code in C_CODES + SIZED_CODES:
            self.assertIn(code, td, code)
            dt = numpy.dtype('S1' if code == 'c' else code)
            self.assertEqual(td[code].Get_size(), dt.itemsize, code)
        for code in C_CODES:
            self.assertEqual(MPI._typecode(td[code]), code)
        self.assertIs(td['i'], MPI.INT)
        self.assertIs(td['d'], MPI.DOUBLE)
        self.assertIs(td['?'], MPI.C_BOOL)
        self.assertIs(td['F'], MPI.C_FLOAT_COMPLEX)
        self.assertIs(td['i8'], MPI.INT64_T)
        self.assertIs(td['f8'], MPI.DOUBLE)
        self.assertIs(td['c16'], MPI.C_DOUBLE_COMPLEX)
        # PEP 3118 and NumPy spellings of C types (mpi4py 3.1's keys)
        for code, t in [('S', MPI.CHAR), ('S1', MPI.CHAR), ('s', MPI.CHAR), ('1s', MPI.CHAR),
                        ('U', MPI.WCHAR), ('U1', MPI.WCHAR), ('w', MPI.WCHAR), ('1w', MPI.WCHAR),
                        ('u', MPI.UINT16_T), ('1u', MPI.UINT16_T), ('n', MPI.COUNT),
                        ('p', MPI.AINT), ('N', MPI.UNSIGNED_LONG), ('P', MPI.UNSIGNED_LONG),
                        ('Zf', MPI.C_FLOAT_COMPLEX), ('Zd', MPI.C_DOUBLE_COMPLEX),
                        ('Zg', MPI.C_LONG_DOUBLE_COMPLEX)]:
            self.assertIs(td[code], t, code)
        for code, size in [('n', struct.calcsize('n')), ('N', struct.calcsize('N')),
                           ('P', struct.calcsize('P')), ('p', numpy.dtype('p').itemsize)]:
            self.assertEqual(td[code].Get_size(), size, code)
        # _typedict_c: the C types by NumPy character and kind+size, no strings
        self.assertEqual(set(MPI._typedict_c), set(C_CODES + SIZED_CODES + ['f16', 'c32']) - {'c'})
        for code, t in MPI._typedict_c.items():
            self.assertIs(td[code], t)

    def test_typedict_f(self):
        # Fortran letters: l logical, i integer, r/s real, d double precision, c/z complex
        tf = MPI._typedict_f
        self.assertIs(tf['l'], MPI.LOGICAL)
        self.assertIs(tf['i'], MPI.INTEGER)
        self.assertIs(tf['r'], MPI.REAL)
        self.assertIs(tf['s'], MPI.REAL)
        self.assertIs(tf['d'], MPI.DOUBLE_PRECISION)
        self.assertIs(tf['c'], MPI.COMPLEX)
        self.assertIs(tf['z'], MPI.DOUBLE_COMPLEX)
        self.assertIs(tf['i4'], MPI.INTEGER4)
        self.assertIs(tf['r8'], MPI.REAL8)
        self.assertIs(tf['c16'], MPI.COMPLEX16)
        for code, t in tf.items():
            self.assertTrue(t, code)
            if code[0] in 'irc' and code[1:].isdigit():
                self.assertEqual(t.size, int(code[1:]), code)

    def test_typecode(self):
        self.assertEqual(MPI._typecode(MPI.INT), 'i')
        self.assertEqual(MPI._typecode(MPI.SIGNED_INT), 'i')
        self.assertEqual(MPI._typecode(MPI.UINT32_T), 'u4')
        self.assertEqual(MPI._typecode(MPI.BYTE), 'B')
        self.assertEqual(MPI._typecode(MPI.REAL4), 'f4')
        self.assertIsNone(MPI._typecode(MPI.TWOINT))
        self.assertIsNone(MPI._typecode(MPI.DATATYPE_NULL))
        t = MPI.INT.Create_contiguous(2)
        self.assertIsNone(MPI._typecode(t))
        t.Free()
        self.assertEqual(MPI._typecode(datatype=MPI.DOUBLE), 'd')
        with self.assertRaises(TypeError):
            MPI._typecode('i')

    def test_typestr_typechar(self):
        self.assertEqual((MPI.DOUBLE.typestr, MPI.DOUBLE.typechar), ('<f8', 'd'))
        self.assertEqual((MPI.INT.typestr, MPI.INT.typechar), ('<i4', 'i'))
        self.assertEqual((MPI.C_BOOL.typestr, MPI.C_BOOL.typechar), ('|b1', '?'))
        self.assertEqual((MPI.UINT8_T.typestr, MPI.UINT8_T.typechar), ('|u1', 'B'))
        self.assertEqual(MPI.INT32_T.typechar, 'i')
        self.assertEqual(MPI.C_DOUBLE_COMPLEX.typestr, '<c16')
        self.assertEqual(MPI.CHAR.typestr, '|S1')
        self.assertEqual(MPI.TWOINT.typestr, '|V8')
        self.assertEqual(MPI.TWOINT.typechar, 'V')
        for name in PREDEFINED:
            t = getattr(MPI, name)
            if not t or name in ('LB', 'UB'):
                continue
            ts = t.typestr
            dt = numpy.dtype(ts)
            self.assertEqual(dt.itemsize, t.extent, name)
            if not ts.startswith('|V'):
                tc = numpy.dtype(t.typechar)
                self.assertEqual(tc.kind, dt.kind, name)
                if tc.kind not in 'SU':
                    self.assertEqual(tc, dt, name)
        v = MPI.DOUBLE.Create_contiguous(3)
        self.assertEqual((v.typestr, v.typechar), ('|V24', 'V'))
        v.Free()
        self.assertEqual(MPI.DATATYPE_NULL.typestr, '')


class TestConstructors(unittest.TestCase):

    def setUp(self):
        self.comm = MPI.COMM_WORLD

    def check_decode(self, t, combiner):
        """decode() names the combiner and rebuilds an equivalent type."""
        self.assertEqual(t.combiner, getattr(MPI, 'COMBINER_' + combiner))
        self.assertFalse(t.is_named)
        ni, na, nd, c = t.Get_envelope()
        ints, addrs, types = t.Get_contents()
        self.assertEqual((len(ints), len(addrs), len(types), c), (ni, na, nd, t.combiner))
        self.assertEqual(t.contents[0:2], (ints, addrs))
        base, name, params = t.decode()
        self.assertEqual(name, combiner)
        t2 = getattr(base, 'Create_' + name.lower())(**params)
        try:
            self.assertEqual(t2.decode()[1:], (name, params))
            self.assertEqual(t2.Get_envelope(), t.Get_envelope())
            self.assertEqual(t2.Get_contents()[:2], (ints, addrs))
            self.assertEqual((t2.size, t2.Get_extent(), t2.Get_true_extent()),
                             (t.size, t.Get_extent(), t.Get_true_extent()))
        finally:
            free(t2)
            free(*types)
        return params

    def test_contiguous(self):
        t = MPI.INT.Create_contiguous(3)
        self.assertEqual((t.size, t.extent), (12, 12))
        self.assertEqual(self.check_decode(t, 'CONTIGUOUS'), {'count': 3})
        t2 = MPI.INT.Create_contiguous(count=0)
        self.assertEqual(t2.size, 0)
        free(t, t2)
        with self.assertRaises(ValueError):
            MPI.INT.Create_contiguous(-1)
        with self.assertRaises(TypeError):
            MPI.INT.Create_contiguous('3')
        with self.assertRaises(TypeError):
            MPI.INT.Create_contiguous(None)
        with self.assertRaises(TypeError):
            MPI.INT.Create_contiguous()
        with self.assertRaises(TypeError):
            MPI.INT.Create_contiguous(1, count=1)
        with self.assertRaises(TypeError):
            MPI.INT.Create_contiguous(cnt=1)
        with self.assertRaises(MPI.Exception):
            MPI.DATATYPE_NULL.Create_contiguous(2)

    def test_dup(self):
        for t in (MPI.INT.Dup(), MPI.DOUBLE.Create_dup()):
            self.assertFalse(t.is_predefined)
            self.check_decode(t, 'DUP')
            t.Free()
            self.assertFalse(t)

    def test_vector_column(self):
        a = numpy.arange(20, dtype='d').reshape(4, 5) + 100 * self.comm.rank
        col = MPI.DOUBLE.Create_vector(4, 1, 5).Commit()
        self.assertEqual((col.size, col.extent), (32, 8 * 16))
        self.assertEqual(self.check_decode(col, 'VECTOR'), {'count': 4, 'blocklength': 1, 'stride': 5})
        got = numpy.zeros(4)
        exchange(self.comm, [a.ravel()[2:], 1, col], [got, MPI.DOUBLE])
        source = (self.comm.rank - 1) % self.comm.size
        expect = numpy.arange(20, dtype='d').reshape(4, 5)[:, 2] + 100 * source
        self.assertTrue((got == expect).all(), (got, expect))
        # the other way: scatter contiguous data into a column
        b = numpy.zeros((4, 5))
        exchange(self.comm, [got, MPI.DOUBLE], [b.ravel()[1:], 1, col])
        self.assertTrue((b[:, 1] == numpy.arange(20, dtype='d').reshape(4, 5)[:, 2] + 100 * ((source - 1) % self.comm.size)).all())
        self.assertTrue((b[:, 0] == 0).all() and (b[:, 2:] == 0).all())
        col.Free()
        with self.assertRaises(ValueError):
            MPI.DOUBLE.Create_vector(-1, 1, 2)
        with self.assertRaises(ValueError):
            MPI.DOUBLE.Create_vector(1, -1, 2)
        with self.assertRaises(TypeError):
            MPI.DOUBLE.Create_vector(1, 1)
        neg = MPI.DOUBLE.Create_vector(2, 1, -3)
        self.assertEqual(neg.lb, -24)
        free(neg)

    def test_hvector(self):
        a = numpy.arange(12, dtype='i4').reshape(3, 4)
        t = MPI.INT.Create_hvector(3, 2, 16)
        self.assertEqual(self.check_decode(t, 'HVECTOR'), {'count': 3, 'blocklength': 2, 'stride': 16})
        got = numpy.frombuffer(packed(t, a), dtype='i4')
        self.assertTrue((got == a[:, :2].ravel()).all())
        t2 = MPI.INT.Create_hvector(count=1, blocklength=1, stride=-8)
        free(t, t2)
        with self.assertRaises(ValueError):
            MPI.INT.Create_hvector(2, -2, 8)

    def test_indexed(self):
        a = numpy.arange(10, dtype='i4')
        t = MPI.INT.Create_indexed([2, 1, 3], [0, 4, 7])
        self.assertEqual(t.size, 24)
        self.assertEqual(self.check_decode(t, 'INDEXED'),
                         {'blocklengths': [2, 1, 3], 'displacements': [0, 4, 7]})
        got = numpy.frombuffer(packed(t, a), dtype='i4')
        self.assertEqual(list(got), [0, 1, 4, 7, 8, 9])
        t.Free()
        with self.assertRaises(ValueError):
            MPI.INT.Create_indexed([1, 2], [0])
        with self.assertRaises(ValueError):
            MPI.INT.Create_indexed([1, -2], [0, 4])
        with self.assertRaises(TypeError):
            MPI.INT.Create_indexed(3, [0])
        with self.assertRaises(TypeError):
            MPI.INT.Create_indexed([1, 'x'], [0, 1])
        t = MPI.INT.Create_indexed(blocklengths=(), displacements=())
        self.assertEqual(t.size, 0)
        t.Free()

    def test_hindexed(self):
        a = numpy.arange(10, dtype='f8')
        t = MPI.DOUBLE.Create_hindexed([1, 2], [8, 56])
        self.assertEqual(self.check_decode(t, 'HINDEXED'),
                         {'blocklengths': [1, 2], 'displacements': [8, 56]})
        self.assertEqual(list(numpy.frombuffer(packed(t, a))), [1.0, 7.0, 8.0])
        t.Free()
        with self.assertRaises(ValueError):
            MPI.DOUBLE.Create_hindexed([1], [0, 8])

    def test_indexed_block(self):
        a = numpy.arange(10, dtype='i2')
        t = MPI.SHORT.Create_indexed_block(2, [1, 5, 8])
        self.assertEqual(self.check_decode(t, 'INDEXED_BLOCK'),
                         {'blocklength': 2, 'displacements': [1, 5, 8]})
        self.assertEqual(list(numpy.frombuffer(packed(t, a), dtype='i2')), [1, 2, 5, 6, 8, 9])
        t.Free()
        t = MPI.SHORT.Create_hindexed_block(1, [0, 6, 18])
        self.assertEqual(self.check_decode(t, 'HINDEXED_BLOCK'),
                         {'blocklength': 1, 'displacements': [0, 6, 18]})
        self.assertEqual(list(numpy.frombuffer(packed(t, a), dtype='i2')), [0, 3, 9])
        t.Free()
        with self.assertRaises(ValueError):
            MPI.SHORT.Create_indexed_block(-1, [0])
        with self.assertRaises(ValueError):
            MPI.SHORT.Create_hindexed_block(-1, [0])
        with self.assertRaises(TypeError):
            MPI.SHORT.Create_hindexed_block(1, None)

    def test_struct_numpy(self):
        dtype = numpy.dtype([('a', 'i4'), ('b', 'f8'), ('c', 'i2'), ('d', 'c16')], align=True)
        fields = [dtype.fields[n] for n in dtype.names]
        base = [MPI.INT, MPI.DOUBLE, MPI.SHORT, MPI.C_DOUBLE_COMPLEX]
        st = MPI.Datatype.Create_struct([1, 1, 1, 1], [f[1] for f in fields], base)
        self.assertEqual(st.size, 4 + 8 + 2 + 16)
        params = self.check_decode(st, 'STRUCT')
        self.assertEqual(params['datatypes'], base)
        self.assertEqual(params['displacements'], [f[1] for f in fields])
        rec = st.Create_resized(0, dtype.itemsize).Commit()
        self.assertEqual(self.check_decode(rec, 'RESIZED'), {'lb': 0, 'extent': dtype.itemsize})
        rank, size = self.comm.rank, self.comm.size
        a = numpy.zeros(5, dtype=dtype)
        a['a'] = numpy.arange(5) + rank
        a['b'] = numpy.arange(5) * 0.5 + rank
        a['c'] = -numpy.arange(5)
        a['d'] = numpy.arange(5) * (1 + 2j)
        got = numpy.zeros(5, dtype=dtype)
        exchange(self.comm, [a, 5, rec], [got, rec])
        source = (rank - 1) % size
        self.assertEqual(list(got['a']), list(numpy.arange(5) + source))
        self.assertEqual(list(got['b']), list(numpy.arange(5) * 0.5 + source))
        self.assertEqual(list(got['c']), list(-numpy.arange(5)))
        self.assertEqual(list(got['d']), list(numpy.arange(5) * (1 + 2j)))
        # instance call of the classmethod, keywords
        st2 = MPI.INT.Create_struct(blocklengths=[2], displacements=[0], datatypes=[MPI.INT])
        self.assertEqual(st2.size, 8)
        free(st, rec, st2)
        with self.assertRaises(ValueError):
            MPI.Datatype.Create_struct([1, 1], [0, 8], [MPI.INT])
        with self.assertRaises(ValueError):
            MPI.Datatype.Create_struct([1, 1], [0], [MPI.INT, MPI.INT])
        with self.assertRaises(ValueError):
            MPI.Datatype.Create_struct([1, -1], [0, 8], [MPI.INT, MPI.INT])
        with self.assertRaises(TypeError):
            MPI.Datatype.Create_struct([1], [0], ['i'])
        with self.assertRaises(TypeError):
            MPI.Datatype.Create_struct([1], [0], MPI.INT)

    def test_subarray(self):
        a = numpy.arange(48, dtype='d').reshape(6, 8)
        t = MPI.DOUBLE.Create_subarray([6, 8], [3, 4], [2, 3]).Commit()
        params = self.check_decode(t, 'SUBARRAY')
        self.assertEqual(params, {'sizes': [6, 8], 'subsizes': [3, 4], 'starts': [2, 3], 'order': MPI.ORDER_C})
        self.assertEqual(t.extent, a.nbytes)
        got = numpy.zeros((3, 4))
        exchange(self.comm, [a, 1, t], [got, MPI.DOUBLE])
        self.assertTrue((got == a[2:5, 3:7]).all())
        t.Free()
        f = numpy.asfortranarray(a)
        t = MPI.DOUBLE.Create_subarray(sizes=[6, 8], subsizes=[2, 2], starts=[1, 5], order=MPI.ORDER_F)
        self.assertEqual(self.check_decode(t, 'SUBARRAY')['order'], MPI.ORDER_FORTRAN)
        got = numpy.frombuffer(packed(t, f.T), dtype='d')  # f.T is C-contiguous over f's memory
        self.assertEqual(list(got), list(f[1:3, 5:7].ravel(order='F')))
        t.Free()
        with self.assertRaises(ValueError):
            MPI.DOUBLE.Create_subarray([6, 8], [3], [0, 0])
        with self.assertRaises(ValueError):
            MPI.DOUBLE.Create_subarray([6, 8], [3, 4], [0])
        with self.assertRaises(ValueError):
            MPI.DOUBLE.Create_subarray([6, -8], [3, 4], [0, 0])
        with self.assertRaises(ValueError):
            MPI.DOUBLE.Create_subarray([6, 8], [7, 4], [0, 0])   # subsize > size
        with self.assertRaises(ValueError):
            MPI.DOUBLE.Create_subarray([6, 8], [3, 4], [4, 0])   # start + subsize > size
        with self.assertRaises(MPI.Exception):
            MPI.DOUBLE.Create_subarray([6, 8], [3, 4], [0, 0], order=12345)

    def test_darray(self):
        g = numpy.arange(24, dtype='i4').reshape(4, 6)
        B, C, D = MPI.DISTRIBUTE_BLOCK, MPI.DISTRIBUTE_CYCLIC, MPI.DISTRIBUTE_DFLT_DARG
        for rank in range(2):
            t = MPI.INT.Create_darray(2, rank, [4, 6], [B, B], [D, D], [2, 1]).Commit()
            self.assertEqual(t.size, 12 * 4)
            self.assertEqual(t.extent, g.nbytes)
            params = self.check_decode(t, 'DARRAY')
            self.assertEqual(params['rank'], rank)
            self.assertEqual(params['psizes'], [2, 1])
            got = numpy.frombuffer(packed(t, g), dtype='i4')
            self.assertEqual(list(got), list(g[2 * rank:2 * rank + 2].ravel()))
            t.Free()
            t = MPI.INT.Create_darray(size=2, rank=rank, gsizes=[4, 6], distribs=[MPI.DISTRIBUTE_NONE, C],
                                      dargs=[D, 1], psizes=[1, 2], order=MPI.ORDER_C)
            got = numpy.frombuffer(packed(t, g), dtype='i4')
            self.assertEqual(list(got), list(g[:, rank::2].ravel()))
            t.Free()
        with self.assertRaises(ValueError):
            MPI.INT.Create_darray(2, 0, [4, 6], [B], [D, D], [2, 1])
        with self.assertRaises(ValueError):
            MPI.INT.Create_darray(2, 2, [4, 6], [B, B], [D, D], [2, 1])
        # what MPI requires and MPICH does not check (it divides by zero or crashes)
        bad = [
            (2, 0, [4, 6], [B, B], [D, D], [3, 1]),   # prod(psizes) != size
            (2, 0, [4, 6], [B, B], [D, D], [2, 0]),   # zero process-grid size
            (1, 0, [], [], [], []),                   # no dimension
            (1, 0, [4], [77], [D], [1]),              # unknown distribution
            (2, 0, [4], [MPI.DISTRIBUTE_NONE], [D], [2]),
            (2, 0, [4], [B], [1], [2]),               # blocks do not cover the array
            (1, 0, [4], [C], [0], [1]),               # non-positive darg
        ]
        for args in bad:
            with self.assertRaises(ValueError, msg=args):
                MPI.INT.Create_darray(*args)
        with self.assertRaises(MPI.Exception):
            MPI.INT.Create_darray(1, 0, [4], [B], [D], [1], order=12345)

    def test_resized(self):
        t = MPI.INT.Create_resized(-4, 16)
        self.assertEqual((t.lb, t.ub, t.extent, t.true_lb, t.true_extent), (-4, 12, 16, 0, 4))
        self.check_decode(t, 'RESIZED')
        t2 = MPI.INT.Resized(0, 8)
        self.assertEqual(t2.Get_extent(), (0, 8))
        a = numpy.arange(6, dtype='i4')
        self.assertEqual(list(numpy.frombuffer(packed(t2, a, 3), dtype='i4')), [0, 2, 4])
        free(t, t2)
        with self.assertRaises(TypeError):
            MPI.INT.Create_resized(0)

    def test_f90_and_match_size(self):
        i = MPI.Datatype.Create_f90_integer(9)
        self.assertTrue(i.is_predefined)
        self.assertFalse(i.is_named)
        self.assertGreaterEqual(i.size, 4)
        self.assertEqual(i.decode(), (MPI.Datatype, 'F90_INTEGER', {'r': 9}))
        r = MPI.Datatype.Create_f90_real(p=6, r=30)
        c = MPI.INT.Create_f90_complex(15, 300)
        self.assertEqual(r.decode()[1:], ('F90_REAL', {'p': 6, 'r': 30}))
        self.assertEqual(c.decode()[1:], ('F90_COMPLEX', {'p': 15, 'r': 300}))
        self.assertEqual(c.size, 16)
        for t in (i, r, c):
            base, name, params = t.decode()
            again = getattr(base, 'Create_' + name.lower())(**params)
            self.assertTrue(again.is_predefined)
            self.assertEqual(again.size, t.size)
            with self.assertRaises(MPI.Exception) as cm:
                t.Free()              # MPI forbids freeing these
            self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_TYPE)
        d = r.Create_contiguous(2)     # derived from an f90 type: contents give it back unowned
        self.assertEqual(d.Get_contents()[2][0].decode()[1], 'F90_REAL')
        d.Free()
        self.assertIs(MPI.Datatype.Match_size(MPI.TYPECLASS_REAL, 8), MPI.REAL8)
        self.assertIs(MPI.Datatype.Match_size(typeclass=MPI.TYPECLASS_INTEGER, size=4), MPI.INTEGER4)
        self.assertIs(MPI.Datatype.Match_size(MPI.TYPECLASS_COMPLEX, 16), MPI.COMPLEX16)
        with self.assertRaises(MPI.Exception):
            MPI.Datatype.Match_size(MPI.TYPECLASS_REAL, 3)
        with self.assertRaises(MPI.Exception):
            MPI.Datatype.Create_f90_integer(1000)

    def test_keywords(self):
        """Every constructor takes the keyword names of the mpi4py 3.1 listing."""
        made = [
            MPI.INT.Create_vector(count=2, blocklength=1, stride=2),
            MPI.INT.Create_hvector(count=2, blocklength=1, stride=8),
            MPI.INT.Create_indexed(blocklengths=[1], displacements=[1]),
            MPI.INT.Create_hindexed(blocklengths=[1], displacements=[4]),
            MPI.INT.Create_indexed_block(blocklength=1, displacements=[0, 2]),
            MPI.INT.Create_hindexed_block(blocklength=1, displacements=[0, 8]),
            MPI.INT.Create_resized(lb=0, extent=8),
            MPI.INT.Resized(lb=0, extent=8),
        ]
        for t in made:
            self.assertFalse(t.is_predefined)
            t.Free()
        buf = bytearray(8)
        a = numpy.arange(2, dtype='i4')
        self.assertEqual(MPI.INT.Pack(inbuf=a, outbuf=buf, position=0, comm=MPI.COMM_SELF), 8)
        with self.assertRaises(TypeError):
            MPI.INT.Create_vector(count=2, blocklength=1, step=2)

    def test_every_combiner_decodes(self):
        made = {
            'DUP': MPI.INT.Dup(), 'CONTIGUOUS': MPI.INT.Create_contiguous(2),
            'VECTOR': MPI.INT.Create_vector(2, 1, 3), 'HVECTOR': MPI.INT.Create_hvector(2, 1, 12),
            'INDEXED': MPI.INT.Create_indexed([1], [2]), 'HINDEXED': MPI.INT.Create_hindexed([1], [8]),
            'INDEXED_BLOCK': MPI.INT.Create_indexed_block(1, [0, 2]),
            'HINDEXED_BLOCK': MPI.INT.Create_hindexed_block(1, [0, 8]),
            'STRUCT': MPI.Datatype.Create_struct([1, 1], [0, 8], [MPI.INT, MPI.DOUBLE]),
            'SUBARRAY': MPI.INT.Create_subarray([4], [2], [1]),
            'DARRAY': MPI.INT.Create_darray(1, 0, [4], [MPI.DISTRIBUTE_BLOCK], [MPI.DISTRIBUTE_DFLT_DARG], [1]),
            'RESIZED': MPI.INT.Create_resized(0, 8),
            'F90_INTEGER': MPI.Datatype.Create_f90_integer(4),
            'F90_REAL': MPI.Datatype.Create_f90_real(6, 30),
            'F90_COMPLEX': MPI.Datatype.Create_f90_complex(6, 30),
        }
        self.assertEqual(sorted(made), sorted(COMBINERS))
        for name, t in made.items():
            if name.startswith('F90'):
                self.assertEqual(t.decode()[1], name)
            else:
                self.check_decode(t, name)
                # nested: a type built on this one decodes to it
                n = t.Create_contiguous(3)
                base, comb, params = n.decode()
                self.assertEqual((comb, params), ('CONTIGUOUS', {'count': 3}))
                self.assertEqual(base, t)
                self.assertEqual(base.decode()[1], name)
                free(n, base)
                t.Free()

    def test_decode_keeps_types_alive(self):
        t = MPI.DOUBLE.Create_vector(2, 1, 2)
        n = t.Create_contiguous(2)
        t.Free()
        base = n.decode()[0]    # still valid: contents hold their own reference
        self.assertEqual(base.decode()[1], 'VECTOR')
        self.assertEqual(base.size, 16)
        free(n, base)


class TestLifetime(unittest.TestCase):

    def test_commit_free(self):
        t = MPI.INT.Create_contiguous(2)
        self.assertIs(t.Commit(), t)
        t.Free()
        self.assertEqual(t, MPI.DATATYPE_NULL)
        self.assertFalse(t)
        for call in (t.Get_size, t.Get_extent, t.Get_true_extent, t.Commit, t.Free, t.Dup,
                     t.Get_envelope, t.decode, lambda: t.size, lambda: t.extent, lambda: t.combiner):
            with self.assertRaises(MPI.Exception) as cm:
                call()
            self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_TYPE)

    def test_uncommitted_in_communication(self):
        comm = MPI.COMM_WORLD
        t = MPI.INT.Create_contiguous(2)
        buf = numpy.zeros(2, dtype='i4')
        # MPI checks the datatype before anything is queued, so sending to oneself is safe here
        with self.assertRaises(MPI.Exception) as cm:
            comm.Send([buf, 1, t], dest=comm.rank, tag=99)
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_TYPE)
        with self.assertRaises(MPI.Exception) as cm:
            comm.Recv([buf, 1, t], source=comm.rank, tag=99)
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_TYPE)
        t.Free()
        # freed: refused before or by MPI (msgbuffer.c reports DATATYPE_NULL as ValueError)
        with self.assertRaises((MPI.Exception, ValueError)):
            comm.Send([buf, 1, t], dest=comm.rank, tag=99)

    def test_many_types_freed_when_dropped(self):
        for _ in range(2000):
            t = MPI.DOUBLE.Create_vector(3, 1, 4).Commit()
            t.Create_contiguous(2).decode()
        self.assertEqual(t.size, 24)


class TestPack(unittest.TestCase):

    def setUp(self):
        self.comm = MPI.COMM_WORLD

    def test_pack_unpack_column(self):
        comm = self.comm
        a = numpy.arange(16, dtype='d').reshape(4, 4)
        col = MPI.DOUBLE.Create_vector(4, 1, 4).Commit()
        size = col.Pack_size(1, comm)
        self.assertEqual(size, 32)
        self.assertEqual(col.Pack_size(count=3, comm=comm), 96)
        buf = bytearray(size + 8)
        pos = col.Pack(a, buf, 0, comm)      # a plain buffer holds one column (104 <= 128 bytes)
        self.assertEqual(pos, 32)
        pos = MPI.DOUBLE.Pack(numpy.array([-1.0]), buf, pos, comm)
        self.assertEqual(pos, 40)
        self.assertEqual(list(numpy.frombuffer(bytes(buf[:32]))), [0.0, 4.0, 8.0, 12.0])
        out = numpy.zeros(4)
        pos = MPI.DOUBLE.Unpack(buf, 0, out, comm)
        self.assertEqual(pos, 32)
        self.assertEqual(list(out), [0.0, 4.0, 8.0, 12.0])
        b = numpy.zeros((4, 4))
        pos = col.Unpack(inbuf=buf, position=0, outbuf=b.ravel()[3:], comm=comm)
        self.assertEqual(pos, 32)
        self.assertEqual(list(b[:, 3]), [0.0, 4.0, 8.0, 12.0])
        self.assertEqual(b[:, :3].sum(), 0)
        one = numpy.zeros(1)
        self.assertEqual(MPI.DOUBLE.Unpack(buf, 32, one, comm), 40)
        self.assertEqual(one[0], -1.0)
        col.Free()

    def test_pack_specs_and_send_packed(self):
        comm = self.comm
        data = numpy.arange(10, dtype='i4') * (comm.rank + 1)
        buf = bytearray(MPI.INT.Pack_size(10, comm) + MPI.DOUBLE.Pack_size(1, comm))
        pos = MPI.INT.Pack([data, 3, MPI.INT], buf, 0, comm)
        pos = MPI.INT.Pack([data, (2, 5), MPI.INT], buf, pos, comm)   # count 2 at displacement 5
        pos = MPI.DOUBLE.Pack([numpy.array([2.5]), MPI.DOUBLE], buf, pos, comm)
        self.assertEqual(pos, 28)
        got = bytearray(len(buf))
        exchange(comm, [buf, pos, MPI.PACKED], [got, pos, MPI.PACKED])
        out = numpy.zeros(5, dtype='i4')
        x = numpy.zeros(1)
        p = MPI.INT.Unpack(got, 0, out, comm)
        p = MPI.DOUBLE.Unpack(got, p, x, comm)
        self.assertEqual(p, 28)
        source = (comm.rank - 1) % comm.size
        self.assertEqual(list(out), [v * (source + 1) for v in (0, 1, 2, 5, 6)])
        self.assertEqual(x[0], 2.5)

    def test_pack_errors(self):
        comm = self.comm
        a = numpy.arange(4, dtype='i4')
        small = bytearray(8)
        with self.assertRaises(ValueError):
            MPI.INT.Pack(a, small, 0, comm)          # 16 bytes into 8
        with self.assertRaises(ValueError):
            MPI.INT.Pack(a[:2], small, 4, comm)      # 8 bytes at 4 in 8
        with self.assertRaises(ValueError):
            MPI.INT.Pack(a, bytearray(16), -1, comm)
        with self.assertRaises(ValueError):
            MPI.INT.Pack(a, bytearray(16), 17, comm)
        with self.assertRaises(ValueError):
            MPI.INT.Unpack(bytearray(8), 0, numpy.zeros(4, 'i4'), comm)   # 16 bytes from 8
        with self.assertRaises(ValueError):
            MPI.INT.Unpack(bytearray(16), 12, numpy.zeros(2, 'i4'), comm)
        with self.assertRaises(BufferError):
            MPI.INT.Pack(a, bytes(16), 0, comm)      # read-only output
        with self.assertRaises((ValueError, BufferError)):   # NumPy: ValueError
            MPI.INT.Unpack(bytearray(16), 0, numpy.zeros(4, 'i4')[::2], comm)   # not contiguous
        with self.assertRaises(TypeError):
            MPI.INT.Pack(a, bytearray(16), 0, None)
        with self.assertRaises(TypeError):
            MPI.INT.Pack(a, bytearray(16), 0)
        with self.assertRaises(TypeError):
            MPI.INT.Pack(object(), bytearray(16), 0, comm)
        with self.assertRaises(TypeError):
            MPI.INT.Pack(a, bytearray(16), 'x', comm)
        with self.assertRaises(ValueError):
            MPI.INT.Pack_size(-1, comm)
        with self.assertRaises(TypeError):
            MPI.INT.Pack_size(1, 'comm')
        # a resized type whose data reaches past its extent: the last element must fit
        t = MPI.DOUBLE.Create_resized(0, 4).Commit()
        out = bytearray(64)
        self.assertEqual(t.Pack(numpy.zeros(1), out, 0, comm), 8)  # 1 element, not 2
        self.assertEqual(t.Pack(bytearray(12), out, 0, comm), 16)  # 2 elements: 4 + 8 <= 12
        t.Free()

    def test_external32(self):
        a = numpy.array([1, 256, -2], dtype='i4')
        n = MPI.INT.Pack_external_size('external32', 3)
        self.assertEqual(n, 12)
        buf = bytearray(n)
        pos = MPI.INT.Pack_external('external32', a, buf, 0)
        self.assertEqual(pos, 12)
        self.assertEqual(bytes(buf), a.astype('>i4').tobytes())   # big-endian
        out = numpy.zeros(3, dtype='i4')
        self.assertEqual(MPI.INT.Unpack_external('external32', buf, 0, out), 12)
        self.assertEqual(list(out), [1, 256, -2])
        col = MPI.DOUBLE.Create_vector(2, 1, 3).Commit()
        m = numpy.arange(6, dtype='d').reshape(2, 3)
        b2 = bytearray(col.Pack_external_size(datarep='external32', count=1))
        self.assertEqual(col.Pack_external(datarep='external32', inbuf=m, outbuf=b2, position=0), 16)
        self.assertEqual(bytes(b2), numpy.array([0.0, 3.0], dtype='>f8').tobytes())
        back = numpy.zeros((2, 3))
        self.assertEqual(col.Unpack_external(datarep='external32', inbuf=b2, position=0, outbuf=back), 16)
        self.assertEqual(list(back[:, 0]), [0.0, 3.0])
        col.Free()
        with self.assertRaises(ValueError):
            MPI.INT.Pack_external('native', a, buf, 0)
        with self.assertRaises(ValueError):
            MPI.INT.Pack_external_size('bogus', 1)
        with self.assertRaises(TypeError):
            MPI.INT.Pack_external(None, a, buf, 0)
        with self.assertRaises(ValueError):
            MPI.INT.Pack_external('external32', a, bytearray(8), 0)
        with self.assertRaises(ValueError):
            MPI.INT.Unpack_external('external32', bytearray(8), 0, out)
        with self.assertRaises(ValueError):
            MPI.INT.Pack_external_size('external32', -3)


class TestAddress(unittest.TestCase):

    def test_get_address(self):
        a = numpy.zeros(8)
        self.assertEqual(MPI.Get_address(a), a.ctypes.data)
        self.assertEqual(MPI.Get_address(a[2:]), a.ctypes.data + 16)
        self.assertEqual(MPI.Get_address(location=a[::2]), a.ctypes.data)
        self.assertEqual(MPI.Get_address(MPI.BOTTOM), 0)
        self.assertEqual(MPI.Get_address(b'abc'), MPI.Get_address(memoryview(b'abc')))
        with self.assertRaises(TypeError):
            MPI.Get_address(42)
        with self.assertRaises(TypeError):
            MPI.Get_address()

    def test_struct_absolute(self):
        comm = MPI.COMM_WORLD
        if comm.size == 1:
            self.skipTest("needs 2 ranks: MPICH's MPI_Pack refuses MPI_BOTTOM and Send to self blocks")
        x = numpy.array([comm.rank + 1], dtype='i4')
        y = numpy.array([0.5 * (comm.rank + 1)] * 2)
        t = MPI.Datatype.Create_struct([1, 2], [MPI.Get_address(x), MPI.Get_address(y)],
                                       [MPI.INT, MPI.DOUBLE]).Commit()
        got = bytearray(20)
        exchange(comm, [MPI.BOTTOM, 1, t], [got, 20, MPI.BYTE])
        source = (comm.rank - 1) % comm.size + 1
        self.assertEqual(numpy.frombuffer(got[:4], dtype='i4')[0], source)
        self.assertEqual(list(numpy.frombuffer(got[4:])), [0.5 * source] * 2)
        t.Free()


class TestAttrTable(unittest.TestCase):

    def test_present(self):
        for name in ('Get_attr', 'Set_attr', 'Delete_attr', 'Create_keyval', 'Free_keyval'):
            self.assertTrue(hasattr(MPI.Datatype, name), name)


if __name__ == '__main__':
    mpitest.main()
