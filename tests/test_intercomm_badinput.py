# ranks: 2
# timeout: 180
"""Bad input on an intercommunicator, which the sweep's one-process children cannot have. Both
sides make the same call with the same bad value; each call must raise what mpi4py 3.1 raises
(TypeError, ValueError, OverflowError, KeyError, MPI.Exception) or succeed, the same way on both
sides, and nothing may crash or hang. Collectives check the root before MPI sees it, and MPI
refuses IN_PLACE on an intercommunicator."""
import unittest

import mpitest
from mpi4py import MPI

CONTRACT = (TypeError, ValueError, OverflowError, KeyError, MPI.Exception)

# bad values for a rank (root, dest, source) and for a tag: the remote group has one process
BAD_RANKS = [None, 'x', 1.5, -5, 1, 7, 2**31, -2**31 - 1, 2**63, MPI.UNDEFINED]  # -1 is PROC_NULL
BAD_TAGS = [None, 'x', -5, 2**31, -2**63 - 1, MPI.ANY_SOURCE]
# (None is a valid empty message: an empty send against a full receive on the other side is a
# mismatch between processes, which no process can see alone, not a bad value)
BAD_BUFFERS = ['x', 1, [bytearray(7), MPI.INT], [bytearray(8), 'Q?'], [bytearray(8), 3, MPI.INT],
               [bytearray(8), (1, 5), MPI.INT], [bytearray(8), -1, MPI.INT], [MPI.BOTTOM, 1],
               [None, 1, MPI.INT], MPI.IN_PLACE, [bytearray(8), MPI.DATATYPE_NULL]]


class TestIntercommBadInput(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        world = MPI.COMM_WORLD
        cls.local = world.Split(world.rank, 0)  # one process per group
        cls.inter = cls.local.Create_intercomm(0, world, 1 - world.rank, 77)
        cls.is_root_side = world.rank == 0  # group A roots the rooted collectives

    @classmethod
    def tearDownClass(cls):
        cls.inter.Free()
        cls.local.Free()

    def outcome(self, call):
        """Run call(); return the name of what it raised (or 'ok'), the same on both sides."""
        try:
            result = call()
            if isinstance(result, MPI.Request):
                result.Wait()
            name = 'ok'
        except CONTRACT as exc:
            name = type(exc).__name__
            if isinstance(exc, MPI.Exception):
                name += ':%d' % exc.Get_error_class()
        both = MPI.COMM_WORLD.allgather(name)
        self.assertEqual(both[0], both[1], 'the two sides differ')
        return name

    def test_rooted_collectives_bad_root(self):
        c = self.inter
        b = bytearray(8)
        calls = {
            'Bcast': lambda r: c.Bcast([b, MPI.INT], r),
            'Ibcast': lambda r: c.Ibcast([b, MPI.INT], r),
            'Gather': lambda r: c.Gather([b, MPI.INT], [bytearray(8), MPI.INT], r),
            'Scatter': lambda r: c.Scatter([b, MPI.INT], [bytearray(8), MPI.INT], r),
            'Reduce': lambda r: c.Reduce([b, MPI.INT], [bytearray(8), MPI.INT], MPI.SUM, r),
            'Gatherv': lambda r: c.Gatherv([b, MPI.INT], [bytearray(8), ([2], [0]), MPI.INT], r),
            'Scatterv': lambda r: c.Scatterv([bytearray(8), ([2], [0]), MPI.INT], [b, MPI.INT], r),
            'bcast': lambda r: c.bcast(1, r),
            'gather': lambda r: c.gather(1, r),
            'scatter': lambda r: c.scatter([1], r),
            'reduce': lambda r: c.reduce(1, MPI.SUM, r),
        }
        for name, call in calls.items():
            for bad in BAD_RANKS:
                with self.subTest(call=name, root=bad):
                    got = self.outcome(lambda: call(bad))
                    self.assertNotEqual(got, 'ok')

    def test_point_to_point_bad_peer_and_tag(self):
        c = self.inter
        for bad in BAD_RANKS:
            with self.subTest(dest=bad):
                self.assertNotEqual(self.outcome(lambda: c.Send([bytearray(8), MPI.INT], bad, 0)), 'ok')
                self.assertNotEqual(self.outcome(lambda: c.isend(1, bad, 0)), 'ok')
        for bad in BAD_TAGS:
            with self.subTest(tag=bad):
                self.assertNotEqual(self.outcome(lambda: c.Isend([bytearray(8), MPI.INT], 0, bad)), 'ok')
                self.assertNotEqual(self.outcome(lambda: c.send(1, 0, bad)), 'ok')

    def test_collective_bad_buffers(self):
        c = self.inter
        ok = lambda: [bytearray(8), MPI.INT]  # noqa: E731  (2 ints: one block per remote process)
        calls = {
            'Allreduce': lambda s, r: c.Allreduce(s, r, MPI.SUM),
            'Allgather': lambda s, r: c.Allgather(s, r),
            'Alltoall': lambda s, r: c.Alltoall(s, r),
            'Iallreduce': lambda s, r: c.Iallreduce(s, r, MPI.SUM),
            'Reduce_scatter_block': lambda s, r: c.Reduce_scatter_block(s, r, MPI.SUM),
        }
        for name, call in calls.items():
            for bad in BAD_BUFFERS:
                for where in ('send', 'recv'):
                    with self.subTest(call=name, buffer=repr(bad), where=where):
                        s, r = (bad, ok()) if where == 'send' else (ok(), bad)
                        self.outcome(lambda: call(s, r))

    def test_in_place_refused(self):
        # as in mpi4py 3.1: Allreduce hands IN_PLACE to MPI, which refuses it on an
        # intercommunicator; the gathers and all-to-alls take it for a buffer, which it is not
        c = self.inter
        b = [bytearray(8), MPI.INT]
        for name, call, want in (
                ('Allreduce', lambda: c.Allreduce(MPI.IN_PLACE, b, MPI.SUM), 'Exception:%d' % MPI.ERR_BUFFER),
                ('Iallreduce', lambda: c.Iallreduce(MPI.IN_PLACE, b, MPI.SUM), 'Exception:%d' % MPI.ERR_BUFFER),
                ('Allgather', lambda: c.Allgather(MPI.IN_PLACE, b), 'TypeError'),
                ('Alltoall', lambda: c.Alltoall(MPI.IN_PLACE, b), 'TypeError')):
            with self.subTest(call=name):
                self.assertEqual(self.outcome(call), want)

    def test_intercomm_methods(self):
        c = self.inter
        for bad in (None, 'x', 2, -1, 1.5, [], 2**63):
            with self.subTest(high=bad):
                got = self.outcome(lambda: c.Merge(bad).Free())
                self.assertIn(got, ('ok', 'TypeError', 'OverflowError'))
        for bad in (None, 'x', MPI.COMM_WORLD, 1):
            with self.subTest(compare=bad):
                self.outcome(lambda: MPI.Comm.Compare(c, bad))
        for bad in (None, 'x', 1, MPI.GROUP_NULL):
            with self.subTest(create=bad):
                self.assertNotEqual(self.outcome(lambda: c.Create(bad)), 'ok')
        for color in (None, 'x', -5, 2**31):
            with self.subTest(color=color):
                self.assertNotEqual(self.outcome(lambda: c.Split(color, 0)), 'ok')
        self.assertEqual(c.Get_remote_size(), 1)
        g = c.Get_remote_group()
        self.assertEqual(g.Get_size(), 1)
        g.Free()


if __name__ == '__main__':
    mpitest.main()
