# ranks: 1 2
"""How the lower-case point-to-point methods put objects on the wire (msgpickle.c): small plain
built-in values travel in a compact native form behind a marker byte, everything else as a
pickle. Either way the receiver gets an equal object of the same type, MPI.pickle.loads reads
both forms, and a customized MPI.pickle sees every object."""
import pickle
import unittest

import mpitest
from mpi4py import MPI

NATIVE = [None, True, False, 0, -2 ** 63, 2 ** 63 - 1, 1.5, float('inf'), '', 'héllo', b'',
          b'\xff\x00', [], (), {}, [1, 'a', None, 2.5], (1, b'x'), {'a': 1, 2: 'b', None: True}]
PICKLED = [2 ** 64, 'x' * 2000, [[1]], ({},), {'k': [1]}, 1 + 2j, {1, 2}, '\udcff',
           bytearray(b'ab'), range(3)]


class IntSub(int):
    pass


class TestObjectWire(mpitest.RingCase):

    def tearDown(self):
        MPI.pickle.__init__()
        super().tearDown()

    def roundtrip(self, obj, tag=11):
        req = self.comm.isend(obj, self.dest, tag)
        got = self.comm.recv(source=self.source, tag=tag)
        req.wait()
        return got

    def check(self, obj, got):
        self.assertEqual(got, obj)
        self.assertIs(type(got), type(obj))
        if isinstance(obj, (list, tuple)):
            self.assertEqual([type(x) for x in got], [type(x) for x in obj])
        if isinstance(obj, dict):
            self.assertEqual([(type(k), type(v)) for k, v in got.items()],
                             [(type(k), type(v)) for k, v in obj.items()])

    def test_values_keep_type_and_value(self):
        for obj in NATIVE + PICKLED + [IntSub(3)]:
            with self.subTest(obj=repr(obj)[:40]):
                self.check(obj, self.roundtrip(obj))

    def test_every_receive_path(self):
        obj = {'a': 1, 'b': 'c'}
        req = self.comm.isend(obj, self.dest, 12)
        self.assertEqual(self.comm.irecv(bytearray(256), source=self.source, tag=12).wait(), obj)
        req.wait()
        req = self.comm.isend(obj, self.dest, 13)
        msg = self.comm.mprobe(source=self.source, tag=13)
        self.assertEqual(msg.recv(), obj)
        req.wait()
        self.assertEqual(self.comm.sendrecv(obj, self.dest, 14, None, self.source, 14), obj)
        req = self.comm.isend(obj, self.dest, 15)
        self.assertEqual(self.comm.recv(bytearray(4), source=self.source, tag=15), obj)
        req.wait()

    def test_raw_receive_and_pickle_loads(self):
        for obj in ([1, 'two', 3.0], {'x': object.__name__}, 2 ** 80):
            req = self.comm.isend(obj, self.dest, 16)
            st = MPI.Status()
            self.comm.Probe(self.source, 16, st)
            buf = bytearray(st.Get_count(MPI.BYTE))
            self.comm.Recv(buf, self.source, 16)
            req.wait()
            self.assertEqual(MPI.pickle.loads(buf), obj)
            self.assertEqual(MPI.pickle.loads(bytes(buf)), obj)

    def test_custom_pickle_sees_every_object(self):
        seen = []

        def dumps(obj, *args):
            seen.append(obj)
            return b'C' + pickle.dumps(obj)

        def loads(data):
            data = bytes(data)
            self.assertEqual(data[:1], b'C')
            return pickle.loads(data[1:])
        MPI.pickle.__init__(dumps, loads)
        for obj in (None, 1, 'a', [1, 2], {'k': 'v'}):
            self.assertEqual(self.roundtrip(obj), obj)
        self.assertEqual(seen, [None, 1, 'a', [1, 2], {'k': 'v'}])

    def test_a_pickle_starting_like_the_marker_is_impossible(self):
        for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
            for obj in NATIVE + PICKLED:
                self.assertNotEqual(pickle.dumps(obj, protocol)[:1], b'\xff')


if __name__ == '__main__':
    mpitest.main()
