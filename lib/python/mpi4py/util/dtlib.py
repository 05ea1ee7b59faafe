"""Conversion between NumPy dtypes and MPI datatypes.

from_numpy_dtype() builds an MPI datatype with the memory layout of a
NumPy dtype: scalars map to predefined datatypes, strings and void
types to contiguous runs of MPI_CHAR/MPI_WCHAR/MPI_BYTE, subarrays to
MPI_Type_create_subarray, and structured dtypes (aligned or packed) to
MPI_Type_create_struct, resized to the dtype's itemsize when needed.

to_numpy_dtype() goes the other way, decoding derived datatypes with
MPI_Type_get_envelope/MPI_Type_get_contents.  Any layout with a lower
bound of 0 and non-negative displacements can be expressed.

Both raise ValueError for what has no counterpart (object dtypes,
non-native byte order, half floats, distributed arrays, ...).
"""

from .. import MPI

__all__ = ['from_numpy_dtype', 'to_numpy_dtype']

# NumPy scalar type characters and their MPI datatypes.
_NUMPY_TO_MPI = {
    '?': 'C_BOOL',
    'b': 'SIGNED_CHAR',
    'h': 'SHORT',
    'i': 'INT',
    'l': 'LONG',
    'q': 'LONG_LONG',
    'B': 'UNSIGNED_CHAR',
    'H': 'UNSIGNED_SHORT',
    'I': 'UNSIGNED',
    'L': 'UNSIGNED_LONG',
    'Q': 'UNSIGNED_LONG_LONG',
    'f': 'FLOAT',
    'd': 'DOUBLE',
    'g': 'LONG_DOUBLE',
    'F': 'C_FLOAT_COMPLEX',
    'D': 'C_DOUBLE_COMPLEX',
    'G': 'C_LONG_DOUBLE_COMPLEX',
}

# NumPy string-like type characters: the MPI datatype of one character.
_NUMPY_CHARS = {'S': 'CHAR', 'U': 'WCHAR', 'V': 'BYTE'}

# Predefined MPI datatypes and their NumPy dtypes (first match wins).
# Pair types for MINLOC/MAXLOC are C structs, hence aligned records
# (numpy.dtype(spec, align=True) below: an 'align' key in the dict is ignored).
_PAIR = dict(names=['f0', 'f1'])
_MPI_TO_NUMPY = [
    ('CHAR', 'S1'),
    ('WCHAR', 'U1'),
    ('BYTE', 'B'),
    ('AINT', 'p'),
    ('OFFSET', 'i8'),
    ('COUNT', 'i8'),
    ('INT8_T', 'i1'), ('INT16_T', 'i2'), ('INT32_T', 'i4'), ('INT64_T', 'i8'),
    ('UINT8_T', 'u1'), ('UINT16_T', 'u2'), ('UINT32_T', 'u4'),
    ('UINT64_T', 'u8'),
    ('C_COMPLEX', 'F'),
    ('CXX_BOOL', '?'),
    ('CXX_FLOAT_COMPLEX', 'F'),
    ('CXX_DOUBLE_COMPLEX', 'D'),
    ('CXX_LONG_DOUBLE_COMPLEX', 'G'),
    ('CHARACTER', 'S1'),
    ('INTEGER', 'i4'), ('INTEGER1', 'i1'), ('INTEGER2', 'i2'),
    ('INTEGER4', 'i4'), ('INTEGER8', 'i8'),
    ('REAL', 'f4'), ('REAL4', 'f4'), ('REAL8', 'f8'),
    ('DOUBLE_PRECISION', 'f8'),
    ('COMPLEX', 'c8'), ('COMPLEX8', 'c8'), ('COMPLEX16', 'c16'),
    ('DOUBLE_COMPLEX', 'c16'),
    ('SHORT_INT', dict(formats=['h', 'i'], **_PAIR)),
    ('TWOINT', dict(formats=['i', 'i'], **_PAIR)),
    ('LONG_INT', dict(formats=['l', 'i'], **_PAIR)),
    ('FLOAT_INT', dict(formats=['f', 'i'], **_PAIR)),
    ('DOUBLE_INT', dict(formats=['d', 'i'], **_PAIR)),
    ('LONG_DOUBLE_INT', dict(formats=['g', 'i'], **_PAIR)),
    ('TWOINTEGER', ('i4', (2,))),
    ('TWOREAL', ('f4', (2,))),
    ('TWODOUBLE_PRECISION', ('f8', (2,))),
] + [(name, char) for char, name in _NUMPY_TO_MPI.items()]


def _free(datatype):
    """Free `datatype` unless it is predefined."""
    if not datatype.is_predefined:
        datatype.Free()


def from_numpy_dtype(dtype):
    """Convert a NumPy dtype (or anything numpy.dtype() accepts) to an
    MPI datatype.

    A predefined datatype is returned for scalar types; otherwise the
    result is a new, uncommitted datatype owned by the caller (Commit()
    it to communicate, Free() it when done).
    """
    import numpy
    dtype = numpy.dtype(dtype)
    if dtype.hasobject:
        raise ValueError(f'cannot convert dtype {dtype} with Python objects')
    if not dtype.isnative:
        raise ValueError(f'cannot convert dtype {dtype} with non-native '
                         f'byte order')
    if dtype.fields is not None:
        return _from_struct(dtype)
    if dtype.subdtype is not None:
        base, shape = dtype.subdtype
        basetype = from_numpy_dtype(base)
        try:
            return basetype.Create_subarray(shape, shape, [0] * len(shape))
        finally:
            _free(basetype)
    if dtype.char in _NUMPY_CHARS:
        chartype = getattr(MPI, _NUMPY_CHARS[dtype.char])
        count = dtype.itemsize // chartype.Get_size()
        if count == 1 and dtype.char != 'V':
            return chartype
        return chartype.Create_contiguous(count)
    if dtype.char in _NUMPY_TO_MPI:
        return getattr(MPI, _NUMPY_TO_MPI[dtype.char])
    raise ValueError(f'cannot convert dtype {dtype}: no MPI datatype')


def _from_struct(dtype):
    """MPI struct datatype for a structured dtype, with its itemsize."""
    fields = [dtype.fields[name] for name in dtype.names]
    datatypes = []
    try:
        for field in fields:
            datatypes.append(from_numpy_dtype(field[0]))
        struct = MPI.Datatype.Create_struct(
            [1] * len(fields), [field[1] for field in fields], datatypes)
    finally:
        for datatype in datatypes:
            _free(datatype)
    # MPI pads the extent to the alignment of the members and starts it
    # at the first member; NumPy's itemsize and offsets are the truth.
    if struct.Get_extent() != (0, dtype.itemsize):
        resized = struct.Create_resized(0, dtype.itemsize)
        struct.Free()
        struct = resized
    return struct


def _named_to_numpy(datatype):
    import numpy
    for name, spec in _MPI_TO_NUMPY:
        candidate = getattr(MPI, name, None)
        if candidate and candidate == datatype:
            return numpy.dtype(spec, align=isinstance(spec, dict))
    raise ValueError(f'cannot convert MPI datatype {datatype.Get_name()!r}: '
                     f'no NumPy dtype')


def _record(datatype, fields):
    """Structured dtype with `fields` [(dtype, offset)] and the extent of
    `datatype` as itemsize."""
    import numpy
    lb, extent = datatype.Get_extent()
    if lb < 0 or any(offset < 0 for _, offset in fields):
        raise ValueError('cannot convert MPI datatype with negative '
                         'displacements')
    return numpy.dtype({
        'names': [f'f{i}' for i in range(len(fields))],
        'formats': [dtype for dtype, _ in fields],
        'offsets': [offset for _, offset in fields],
        # Leading padding is part of a NumPy record: it covers [0, ub).
        'itemsize': lb + extent,
    })


def _blocks(base, blocklengths, offsets):
    """Fields for blocks of `base` elements at byte `offsets`."""
    import numpy
    return [(base if length == 1 else numpy.dtype((base, (length,))), offset)
            for length, offset in zip(blocklengths, offsets)]


def _subarray(base, sizes, subsizes, starts, order):
    """Dtype for a subarray: an array dtype when the subarray is the
    whole array, else nested records that place each row."""
    import numpy
    if order == MPI.ORDER_FORTRAN:
        sizes, subsizes, starts = sizes[::-1], subsizes[::-1], starts[::-1]
    if list(sizes) == list(subsizes):
        return numpy.dtype((base, tuple(sizes)))
    dtype = base
    for size, subsize, start in zip(sizes[::-1], subsizes[::-1],
                                    starts[::-1]):
        dtype = numpy.dtype({
            'names': ['f0'],
            'formats': [numpy.dtype((dtype, (subsize,)))],
            'offsets': [start * dtype.itemsize],
            'itemsize': size * dtype.itemsize,
        })
    return dtype


def to_numpy_dtype(datatype):
    """Convert an MPI datatype to a NumPy dtype with the same layout."""
    lb = datatype.Get_extent()[0]
    if lb != 0:
        # an array of such records would not have the datatype's stride
        raise ValueError(f'cannot convert MPI datatype with lower bound '
                         f'{lb}: NumPy records start at 0')
    return _to_numpy(datatype)


def _to_numpy(datatype):
    """to_numpy_dtype() for a datatype that may be part of a larger one."""
    import numpy
    combiner = datatype.Get_envelope()[3]
    if combiner == MPI.COMBINER_NAMED:
        return _named_to_numpy(datatype)
    ints, addrs, types = datatype.Get_contents()
    try:
        if combiner in (MPI.COMBINER_DUP, MPI.COMBINER_CONTIGUOUS,
                        MPI.COMBINER_VECTOR, MPI.COMBINER_HVECTOR,
                        MPI.COMBINER_INDEXED, MPI.COMBINER_HINDEXED,
                        MPI.COMBINER_INDEXED_BLOCK,
                        MPI.COMBINER_HINDEXED_BLOCK,
                        MPI.COMBINER_SUBARRAY, MPI.COMBINER_RESIZED):
            base = _to_numpy(types[0])
            size = base.itemsize
        if combiner == MPI.COMBINER_DUP:
            return base
        if combiner == MPI.COMBINER_CONTIGUOUS:
            count = ints[0]
            for char, name in _NUMPY_CHARS.items():
                if types[0] == getattr(MPI, name):
                    return numpy.dtype(f'{char}{count}')
            return numpy.dtype((base, (count,)))
        if combiner == MPI.COMBINER_VECTOR:
            count, length, stride = ints
            fields = _blocks(base, [length] * count,
                             [i * stride * size for i in range(count)])
        elif combiner == MPI.COMBINER_HVECTOR:
            count, length = ints
            fields = _blocks(base, [length] * count,
                             [i * addrs[0] for i in range(count)])
        elif combiner == MPI.COMBINER_INDEXED:
            count = ints[0]
            fields = _blocks(base, ints[1:1 + count],
                             [d * size for d in ints[1 + count:]])
        elif combiner == MPI.COMBINER_HINDEXED:
            fields = _blocks(base, ints[1:], addrs)
        elif combiner == MPI.COMBINER_INDEXED_BLOCK:
            count, length = ints[:2]
            fields = _blocks(base, [length] * count,
                             [d * size for d in ints[2:]])
        elif combiner == MPI.COMBINER_HINDEXED_BLOCK:
            count, length = ints
            fields = _blocks(base, [length] * count, addrs)
        elif combiner == MPI.COMBINER_STRUCT:
            fields = []
            for length, offset, member in zip(ints[1:], addrs, types):
                fields += _blocks(_to_numpy(member), [length], [offset])
        elif combiner == MPI.COMBINER_SUBARRAY:
            ndims = ints[0]
            sizes, subsizes, starts = (ints[1 + i * ndims:1 + (i + 1) * ndims]
                                       for i in range(3))
            return _subarray(base, sizes, subsizes, starts, ints[-1])
        elif combiner == MPI.COMBINER_RESIZED:
            lb, extent = addrs
            if lb != 0:
                raise ValueError(f'cannot convert MPI datatype with lower '
                                 f'bound {lb}: NumPy records start at 0')
            if base.fields is not None:
                return numpy.dtype({
                    'names': list(base.names),
                    'formats': [base.fields[n][0] for n in base.names],
                    'offsets': [base.fields[n][1] for n in base.names],
                    'itemsize': extent,
                })
            fields = [(base, 0)]
        else:
            raise ValueError(f'cannot convert MPI datatype with combiner '
                             f'{combiner}: not supported')
        return _record(datatype, fields)
    finally:
        for member in types:
            _free(member)
