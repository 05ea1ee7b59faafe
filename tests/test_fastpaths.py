# ranks: 1 2
"""The per-call fast paths (bench/README.md) give the same results and errors as the general
paths they short-cut: keyword names remembered per call site, small ints read in place, the
extent cache of named datatypes (and no caching of derived ones, whose handles are reused),
NumPy arrays kept by Isend without a wrapper, small objects received on the stack, and ASCII
strings in the native object form."""
import gc
import sys
import unittest
import weakref

import mpitest
from mpi4py import MPI

try:
    import numpy as np
except ImportError:
    np = None


class TestKeywords(mpitest.RingCase):

    def test_same_call_site_many_times(self):
        for i in range(5):
            req = self.comm.isend(i, self.dest, tag=3)
            self.assertEqual(self.comm.recv(source=self.source, tag=3), i)
            req.wait()

    def test_errors_are_raised_at_every_call(self):
        for _ in range(3):
            with self.assertRaisesRegex(TypeError, "unexpected keyword argument 'bogus'"):
                self.comm.recv(source=0, bogus=1)
            with self.assertRaisesRegex(TypeError, 'multiple values'):
                MPI.COMM_SELF.send(1, 0, dest=0)

    def test_one_names_tuple_for_two_methods(self):
        # the same (source, tag) names at one call site, two different methods
        for f in (MPI.COMM_SELF.Iprobe, MPI.COMM_SELF.Iprobe, MPI.COMM_SELF.Probe, MPI.COMM_SELF.recv):
            req = MPI.COMM_SELF.isend('x', 0, 9)  # completes once received (MPICH's self path)
            r = f(source=0, tag=9)
            if f == MPI.COMM_SELF.recv:
                self.assertEqual(r, 'x')
            else:
                self.assertIn(r, (True, None))
                self.assertEqual(MPI.COMM_SELF.recv(source=0, tag=9), 'x')
            req.wait()

    def test_names_from_a_dict(self):
        # ** makes a new names tuple at each call: right every time, nothing kept per tuple
        for i in range(200):
            kw = {'dest': 0, 'tag': i % 7}
            req = MPI.COMM_SELF.isend(i, **kw)
            self.assertEqual(MPI.COMM_SELF.recv(**{'source': 0, 'tag': i % 7}), i)
            req.wait()

    def test_many_bad_names(self):
        kw = {'k%d' % i: i for i in range(12)}
        with self.assertRaises(TypeError):
            MPI.COMM_SELF.recv(**kw)


class TestIntegers(unittest.TestCase):

    def test_values_around_the_digit_limit(self):
        comm = MPI.COMM_SELF
        for tag in (0, 1, 2**30 - 1, 2**30, 2**30 + 1, MPI.COMM_WORLD.Get_attr(MPI.TAG_UB)):
            if tag > MPI.COMM_WORLD.Get_attr(MPI.TAG_UB):
                continue
            req = comm.isend(tag, 0, tag)
            st = MPI.Status()
            self.assertEqual(comm.recv(source=0, tag=tag, status=st), tag)
            self.assertEqual(st.tag, tag)
            req.wait()

    def test_negative_and_out_of_range(self):
        comm = MPI.COMM_SELF
        self.assertIsNone(comm.recv(source=MPI.PROC_NULL, tag=-1))  # ANY_TAG
        with self.assertRaises(OverflowError):
            comm.send(None, MPI.PROC_NULL, 2**31)
        with self.assertRaises(OverflowError):
            comm.send(None, MPI.PROC_NULL, -2**31 - 1)
        comm.send(None, MPI.PROC_NULL, True)  # bool is an int subclass: the general path


@unittest.skipIf(np is None, 'needs NumPy')
class TestExtents(mpitest.RingCase):

    def test_derived_handle_reused_with_another_extent(self):
        # A freed derived type's handle is often given to the next one: the count inferred from
        # the buffer must follow the new type's extent, never a remembered one.
        for n in (2, 4, 1, 8, 2):
            t = MPI.DOUBLE.Create_contiguous(n).Commit()
            s = np.arange(8, dtype='d') + self.rank
            r = np.full(8, -1.0)
            st = MPI.Status()
            self.comm.Sendrecv([s, t], self.dest, 1, [r, t], self.source, 1, st)
            self.assertEqual(st.Get_count(t), 8 // n)
            self.assertEqual(list(r), list(np.arange(8) + self.source))
            t.Free()

    def test_buffer_not_a_multiple_of_the_extent(self):
        t = MPI.DOUBLE.Create_contiguous(3).Commit()
        try:
            with self.assertRaisesRegex(ValueError, 'not a multiple'):
                MPI.COMM_SELF.Send([np.zeros(4), t], MPI.PROC_NULL)
        finally:
            t.Free()

    def test_named_pair_and_null_types(self):
        a = np.zeros(4, dtype='i4')
        MPI.COMM_SELF.Send([a, MPI.INT], MPI.PROC_NULL)
        MPI.COMM_SELF.Send([a, MPI.SHORT_INT], MPI.PROC_NULL)  # named, extent 8 (16 bytes: 2)
        with self.assertRaisesRegex(ValueError, 'datatype is null'):
            MPI.COMM_SELF.Send([a, MPI.DATATYPE_NULL], MPI.PROC_NULL)
        with self.assertRaises(ValueError):
            MPI.COMM_SELF.Send([np.zeros(3, dtype='i1'), MPI.INT], MPI.PROC_NULL)

    def test_empty_array_and_typecode(self):
        r = np.zeros(0)
        self.comm.Sendrecv([np.zeros(0), MPI.DOUBLE], self.dest, 2, [r, MPI.DOUBLE], self.source, 2)
        MPI.COMM_SELF.Send([np.zeros(2), 'd'], MPI.PROC_NULL)


@unittest.skipIf(np is None, 'needs NumPy')
class TestRequestKeepsArray(mpitest.RingCase):

    def test_array_lives_until_the_request_completes(self):
        s = np.arange(1000, dtype='d') + self.rank
        ref = weakref.ref(s)
        req = self.comm.Isend(s, self.dest, 4)
        del s
        gc.collect()
        self.assertIsNotNone(ref())  # the request holds it
        r = np.zeros(1000)
        self.comm.Recv(r, self.source, 4)
        req.Wait()
        self.assertIsNone(ref())  # released at completion
        self.assertEqual(r[999], 999 + self.source)

    def test_refcount_balanced(self):
        s = np.arange(4, dtype='d')
        r = np.zeros(4)
        before = sys.getrefcount(s), sys.getrefcount(r)
        for _ in range(10):
            req = MPI.COMM_SELF.Isend([s, MPI.DOUBLE], 0, 5)
            MPI.COMM_SELF.Recv([r, MPI.DOUBLE], 0, 5)
            req.Wait()
            MPI.COMM_SELF.Sendrecv(s, 0, 6, r, 0, 6)
        self.assertEqual((sys.getrefcount(s), sys.getrefcount(r)), before)


class TestObjects(mpitest.RingCase):

    def roundtrip(self, obj):
        req = self.comm.isend(obj, self.dest, 11)
        got = self.comm.recv(source=self.source, tag=11)
        req.wait()
        return got

    def test_strings(self):
        for s in ('', 'a', 'ab', 'x' * 500, 'é', 'naïve', '\u20ac' * 3, 'a\x00b', '\x7f'):
            with self.subTest(s=s):
                got = self.roundtrip({s: [s, (s,)]})
                self.assertEqual(got, {s: [s, (s,)]})
                self.assertIs(type(list(got)[0]), str)

    def test_sizes_around_the_stack_buffer(self):
        for n in (0, 1, 900, 1010, 1024, 2000, 100000):
            with self.subTest(n=n):
                self.assertEqual(self.roundtrip(b'x' * n), b'x' * n)
                self.assertEqual(self.roundtrip(list(range(n // 10))), list(range(n // 10)))

    def test_receive_into_a_buffer(self):
        buf = bytearray(4096)
        req = self.comm.isend({'k': 1}, self.dest, 12)
        self.assertEqual(self.comm.recv(buf, self.source, 12), {'k': 1})
        req.wait()

    def test_custom_loads_gets_bytes_it_may_keep(self):
        # a small pickle is received on the stack; loads() must still get bytes of its own
        import pickle
        kept = []
        MPI.pickle.__init__(pickle.dumps, lambda data: kept.append(data) or pickle.loads(data))
        try:
            for i in range(3):
                self.assertEqual(self.roundtrip({'i': i}), {'i': i})
        finally:
            MPI.pickle.__init__()
        for i, data in enumerate(kept):
            self.assertIs(type(data), bytes)
            self.assertEqual(pickle.loads(data), {'i': i})

    def test_corrupt_ascii_string_refused(self):
        # the native form: marker 0xFF, then 'a', a 4-byte length, the bytes (one not ASCII)
        bad = bytes([0xFF]) + b'a' + (2).to_bytes(4, sys.byteorder) + b'a\x80'
        with self.assertRaisesRegex(RuntimeError, 'corrupt'):
            MPI.pickle.loads(bad)
        ok = bytes([0xFF]) + b'a' + (2).to_bytes(4, sys.byteorder) + b'ab'
        self.assertEqual(MPI.pickle.loads(ok), 'ab')


if __name__ == '__main__':
    mpitest.main()
