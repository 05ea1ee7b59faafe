"""Conversion between NumPy dtypes and MPI datatypes.

from_numpy_dtype() builds a new MPI datatype with the memory layout of
a NumPy dtype: scalars are duplicates of predefined datatypes, strings
contiguous runs of MPI_CHAR/MPI_WCHAR, void types runs of MPI_BYTE,
subarrays MPI_Type_create_subarray, and structured dtypes (aligned or
packed) MPI_Type_create_struct, resized to the dtype's itemsize when
needed.  The caller owns the result: Commit() it to communicate, Free()
it when done.

to_numpy_dtype() goes the other way, decoding derived datatypes with
MPI_Type_get_envelope/MPI_Type_get_contents.  Records (from vectors,
indexed types and structs) have fields f0, f1, ... at the byte offsets
of the datatype's blocks; their itemsize is the datatype's extent when
the fields fit in it, else its upper bound.  A record is aligned
(numpy.dtype(..., align=True)) when its layout is the one a C compiler
gives such a struct.  Both raise ValueError for what has no counterpart
(object dtypes, non-native byte order, half floats, MINLOC pair types,
lower bounds other than 0 in resized types, distributed arrays, ...).
"""

import ctypes as _ctypes

from .. import MPI

__all__ = ['from_numpy_dtype', 'to_numpy_dtype']


def _free(datatype):
    """Free `datatype` unless it is predefined (named or Fortran 90)."""
    if not datatype.is_predefined:
        datatype.Free()


def from_numpy_dtype(dtype):
    """Convert a NumPy dtype (or anything numpy.dtype() accepts) to a
    new MPI datatype."""
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
            basetype.Free()
    if dtype.char in 'SUV':
        chartype = {'S': MPI.CHAR, 'U': MPI.WCHAR, 'V': MPI.BYTE}[dtype.char]
        count = dtype.itemsize // chartype.Get_size()
        if count == 0:
            raise ValueError(f'cannot convert dtype {dtype}: empty')
        if count == 1 and dtype.char != 'V':
            return chartype.Dup()
        return chartype.Create_contiguous(count)
    datatype = MPI._typedict.get(dtype.char)
    if datatype is None:
        raise ValueError(f'cannot convert dtype {dtype}: no MPI datatype')
    return datatype.Dup()


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
            datatype.Free()
    # MPI pads the extent to the alignment of the members and starts it
    # at the first member; NumPy's itemsize and offsets are the truth.
    if struct.Get_extent() != (0, dtype.itemsize):
        resized = struct.Create_resized(0, dtype.itemsize)
        struct.Free()
        struct = resized
    return struct


def _named_to_numpy(datatype):
    """NumPy dtype of a named datatype: its typestr ('<i4', '|S1', ...)
    when it has a NumPy kind."""
    import numpy
    typestr = datatype.typestr
    if not typestr or typestr[1] == 'V':
        raise ValueError(f'cannot convert MPI datatype '
                         f'{datatype.Get_name()!r}: no NumPy dtype')
    return numpy.dtype(typestr)


def _make_record(spec):
    """numpy.dtype(spec), aligned when the layout allows it."""
    import numpy
    try:
        return numpy.dtype(spec, align=True)
    except ValueError:  # offsets or itemsize not those of a C struct
        return numpy.dtype(spec)


def _record(datatype, fields):
    """Record dtype with `fields` [(dtype, offset)] laid out as
    `datatype`: itemsize is its extent if the fields fit, else its
    upper bound (a record starts at byte 0)."""
    lb, extent = datatype.Get_extent()
    if lb < 0 or any(offset < 0 for _, offset in fields):
        raise ValueError('cannot convert MPI datatype with negative '
                         'displacements')
    end = max((offset + dtype.itemsize for dtype, offset in fields),
              default=0)
    return _make_record({
        'names': [f'f{i}' for i in range(len(fields))],
        'formats': [dtype for dtype, _ in fields],
        'offsets': [offset for _, offset in fields],
        'itemsize': extent if end <= extent else lb + extent,
    })


def _blocks(base, blocklengths, offsets):
    """Fields for blocks of `base` elements at byte `offsets`."""
    import numpy
    return [(base if length == 1 else numpy.dtype((base, (length,))), offset)
            for length, offset in zip(blocklengths, offsets)]


def _subarray(base, extent, sizes, subsizes, starts, order):
    """Dtype for a subarray of elements of `extent` bytes: an array
    dtype when the subarray is the whole array, else nested records
    that place each row."""
    import numpy
    if order == MPI.ORDER_FORTRAN:
        sizes, subsizes, starts = sizes[::-1], subsizes[::-1], starts[::-1]
    if list(sizes) == list(subsizes):
        return numpy.dtype((base, tuple(sizes)))
    dtype = base
    for size, subsize, start in zip(sizes[::-1], subsizes[::-1],
                                    starts[::-1]):
        dtype = _make_record({
            'names': ['f0'],
            'formats': [numpy.dtype((dtype, (subsize,)))],
            'offsets': [start * extent],
            'itemsize': size * extent,
        })
        extent *= size
    return dtype


_F90_KINDS = {
    MPI.COMBINER_F90_INTEGER: 'i',
    MPI.COMBINER_F90_REAL: 'f',
    MPI.COMBINER_F90_COMPLEX: 'c',
}


def to_numpy_dtype(datatype):
    """Convert an MPI datatype to a NumPy dtype with the same layout."""
    import numpy
    if datatype == MPI.DATATYPE_NULL:
        raise ValueError('cannot convert MPI.DATATYPE_NULL')
    combiner = datatype.combiner
    if combiner == MPI.COMBINER_NAMED:
        return _named_to_numpy(datatype)
    if combiner in _F90_KINDS:
        return numpy.dtype(f'{_F90_KINDS[combiner]}{datatype.Get_size()}')
    ints, addrs, types = datatype.Get_contents()
    try:
        return _derived_to_numpy(datatype, combiner, ints, addrs, types)
    finally:
        for member in types:
            _free(member)


def _derived_to_numpy(datatype, combiner, ints, addrs, types):
    import numpy
    if combiner == MPI.COMBINER_STRUCT:
        fields = []
        for length, offset, member in zip(ints[1:], addrs, types):
            fields += _blocks(to_numpy_dtype(member), [length], [offset])
        return _record(datatype, fields)
    if combiner not in (MPI.COMBINER_DUP, MPI.COMBINER_CONTIGUOUS,
                        MPI.COMBINER_VECTOR, MPI.COMBINER_HVECTOR,
                        MPI.COMBINER_INDEXED, MPI.COMBINER_HINDEXED,
                        MPI.COMBINER_INDEXED_BLOCK,
                        MPI.COMBINER_HINDEXED_BLOCK,
                        MPI.COMBINER_SUBARRAY, MPI.COMBINER_RESIZED):
        raise ValueError(f'cannot convert MPI datatype with combiner '
                         f'{combiner}: not supported')
    base = to_numpy_dtype(types[0])
    extent = types[0].Get_extent()[1]  # MPI's stride of base elements
    if combiner == MPI.COMBINER_DUP:
        return base
    if combiner == MPI.COMBINER_CONTIGUOUS:
        count = ints[0]
        if types[0] == MPI.BYTE:  # raw bytes, as from_numpy_dtype('V<n>')
            return numpy.dtype(f'V{count}')
        if base.char in 'SU':  # a run of strings: one longer string
            length = base.itemsize // (4 if base.char == 'U' else 1)
            return numpy.dtype((base.char, count * length))
        return numpy.dtype((base, (count,)))
    if combiner == MPI.COMBINER_SUBARRAY:
        ndims = ints[0]
        sizes, subsizes, starts = (ints[1 + i * ndims:1 + (i + 1) * ndims]
                                   for i in range(3))
        return _subarray(base, extent, sizes, subsizes, starts, ints[-1])
    if combiner == MPI.COMBINER_RESIZED:
        lb, new_extent = addrs
        if lb == 0 and new_extent == base.itemsize:
            return base
        if lb != 0 or base.fields is None:
            raise ValueError(f'cannot convert MPI datatype resized to '
                             f'lower bound {lb} and extent {new_extent}')
        fields = [base.fields[name] for name in base.names]
        return _record(datatype, [(field[0], field[1]) for field in fields])
    if combiner == MPI.COMBINER_VECTOR:
        count, length, stride = ints
        offsets = [i * stride * extent for i in range(count)]
        lengths = [length] * count
    elif combiner == MPI.COMBINER_HVECTOR:
        count, length = ints
        offsets = [i * addrs[0] for i in range(count)]
        lengths = [length] * count
    elif combiner == MPI.COMBINER_INDEXED:
        count = ints[0]
        lengths = ints[1:1 + count]
        offsets = [d * extent for d in ints[1 + count:]]
    elif combiner == MPI.COMBINER_HINDEXED:
        lengths, offsets = ints[1:], addrs
    elif combiner == MPI.COMBINER_INDEXED_BLOCK:
        count, length = ints[:2]
        lengths = [length] * count
        offsets = [d * extent for d in ints[2:]]
    else:  # HINDEXED_BLOCK
        count, length = ints
        lengths, offsets = [length] * count, addrs
    return _record(datatype, _blocks(base, lengths, offsets))


# ---- alignment -----------------------------------------------------------
# The C types of NumPy/PEP 3118 typecodes, for their alignment.
_CTYPES = {
    '?': _ctypes.c_bool, 'c': _ctypes.c_char,
    'b': _ctypes.c_byte, 'h': _ctypes.c_short, 'i': _ctypes.c_int,
    'l': _ctypes.c_long, 'q': _ctypes.c_longlong, 'p': _ctypes.c_ssize_t,
    'B': _ctypes.c_ubyte, 'H': _ctypes.c_ushort, 'I': _ctypes.c_uint,
    'L': _ctypes.c_ulong, 'Q': _ctypes.c_ulonglong, 'P': _ctypes.c_size_t,
    'f': _ctypes.c_float, 'd': _ctypes.c_double, 'g': _ctypes.c_longdouble,
    # a complex number is aligned as its real and imaginary parts
    'F': _ctypes.c_float, 'D': _ctypes.c_double, 'G': _ctypes.c_longdouble,
    'S': _ctypes.c_char, 'U': _ctypes.c_wchar,
}
# C types of each NumPy kind, for kind+size typecodes ('i4', 'c16').
_KIND_CTYPES = {
    'b': [_ctypes.c_bool],
    'i': [_ctypes.c_int8, _ctypes.c_int16, _ctypes.c_int32, _ctypes.c_int64],
    'u': [_ctypes.c_uint8, _ctypes.c_uint16, _ctypes.c_uint32,
          _ctypes.c_uint64],
    'f': [_ctypes.c_float, _ctypes.c_double, _ctypes.c_longdouble],
}


def _get_alignment_ctypes(typecode):
    """Alignment in bytes of the C type of a NumPy/PEP 3118 typecode
    ('i', 'd', 'c16', ...), from ctypes."""
    if typecode in _CTYPES:
        return _ctypes.alignment(_CTYPES[typecode])
    kind, size = typecode[0], int(typecode[1:])
    if kind == 'c':
        kind, size = 'f', size // 2
    for ctype in _KIND_CTYPES.get(kind, ()):
        if _ctypes.sizeof(ctype) == size:
            return _ctypes.alignment(ctype)
    raise ValueError(f'no C type for typecode {typecode!r}')


def _get_alignment(datatype):
    """Alignment in bytes of an MPI datatype: that of the C type of a
    predefined datatype, the largest of its members' for a derived one."""
    combiner = datatype.combiner
    if combiner in _F90_KINDS:
        return _get_alignment_ctypes(f'{_F90_KINDS[combiner]}'
                                     f'{datatype.Get_size()}')
    if combiner == MPI.COMBINER_NAMED:
        typestr = datatype.typestr
        kind, size = typestr[1], int(typestr[2:])
        if kind in 'SU':
            return _get_alignment_ctypes(kind)
        if kind != 'V':
            return _get_alignment_ctypes(f'{kind}{size}')
        # no NumPy kind (Fortran LOGICAL, MINLOC pairs, ...): an integer
        # of the largest power of two that divides the size
        size = datatype.Get_size()
        return _get_alignment_ctypes(f'i{min(size & -size, 8)}') if size else 1
    types = datatype.Get_contents()[2]
    try:
        return max(_get_alignment(member) for member in types)
    finally:
        for member in types:
            _free(member)
