# ranks: 1 2 3
# timeout: 300
"""MPI.Group: size/rank, translation, comparison, set operations, subsets, Dup/Free, bad input."""
import unittest

import mpitest
from mpi4py import MPI


class TestGroup(unittest.TestCase):

    def setUp(self):
        self.world = MPI.COMM_WORLD
        self.rank, self.size = self.world.rank, self.world.size
        self.group = self.world.Get_group()

    def tearDown(self):
        self.group.Free()

    def test_constants(self):
        self.assertFalse(MPI.GROUP_NULL)
        self.assertTrue(MPI.GROUP_EMPTY)
        self.assertEqual(MPI.GROUP_EMPTY.size, 0)
        self.assertEqual(MPI.GROUP_EMPTY.Get_rank(), MPI.UNDEFINED)
        self.assertNotEqual(MPI.GROUP_EMPTY, MPI.GROUP_NULL)
        self.assertEqual(MPI.Group(MPI.GROUP_EMPTY), MPI.GROUP_EMPTY)
        self.assertEqual(MPI.Group(), MPI.GROUP_NULL)
        MPI.GROUP_EMPTY.Free()  # MPI lets it be freed; the constant stays as it is
        self.assertEqual(MPI.GROUP_EMPTY.Get_size(), 0)
        with self.assertRaises(MPI.Exception) as cm:
            MPI.GROUP_NULL.Free()
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_GROUP)
        with self.assertRaises(MPI.Exception):
            MPI.GROUP_NULL.Get_size()
        with self.assertRaises(TypeError):
            MPI.GROUP_EMPTY < MPI.GROUP_EMPTY

    def test_size_rank(self):
        g = self.group
        self.assertEqual((g.Get_size(), g.Get_rank()), (self.size, self.rank))
        self.assertEqual((g.size, g.rank), (self.size, self.rank))
        s = MPI.COMM_SELF.Get_group()
        self.assertEqual((s.size, s.rank), (1, 0))
        s.Free()

    def test_translate_ranks(self):
        g = self.group
        ranks = list(range(self.size))
        self.assertEqual(MPI.Group.Translate_ranks(g, ranks, g), ranks)
        self.assertEqual(MPI.Group.Translate_ranks(g, ranks), ranks)  # against COMM_WORLD's group
        self.assertEqual(g.Translate_ranks(g, [], g), [])
        rev = g.Incl(ranks[::-1])
        self.assertEqual(MPI.Group.Translate_ranks(rev, ranks, g), ranks[::-1])
        self.assertEqual(MPI.Group.Translate_ranks(g, [MPI.PROC_NULL], rev), [MPI.PROC_NULL])
        self.assertEqual(MPI.Group.Translate_ranks(g, ranks, MPI.GROUP_EMPTY), [MPI.UNDEFINED] * self.size)
        self_group = MPI.COMM_SELF.Get_group()
        got = MPI.Group.Translate_ranks(g, ranks, self_group)
        self.assertEqual(got, [0 if r == self.rank else MPI.UNDEFINED for r in ranks])
        self_group.Free()
        rev.Free()
        with self.assertRaises(MPI.Exception):
            MPI.Group.Translate_ranks(g, [self.size], g)
        with self.assertRaises(MPI.Exception):
            MPI.Group.Translate_ranks(MPI.GROUP_NULL, [0], g)
        with self.assertRaises(TypeError):
            MPI.Group.Translate_ranks(g, None, g)

    def test_compare(self):
        g = self.group
        self.assertEqual(MPI.Group.Compare(g, g), MPI.IDENT)
        dup = g.Dup()
        self.assertEqual(MPI.Group.Compare(g, dup), MPI.IDENT)
        rev = g.Incl(list(range(self.size))[::-1])
        self.assertEqual(MPI.Group.Compare(g, rev), MPI.IDENT if self.size == 1 else MPI.SIMILAR)
        self.assertEqual(g.Compare(g, MPI.GROUP_EMPTY), MPI.UNEQUAL)
        for x in (dup, rev):
            x.Free()
        with self.assertRaises(MPI.Exception):
            MPI.Group.Compare(g, MPI.GROUP_NULL)

    def test_set_operations(self):
        g, size = self.group, self.size
        even = g.Incl(list(range(0, size, 2)))
        odd = g.Excl(list(range(0, size, 2)))
        self.assertEqual(even.size + odd.size, size)
        union = MPI.Group.Union(even, odd)
        self.assertEqual(union.size, size)
        self.assertEqual(MPI.Group.Compare(union, g), MPI.IDENT if size <= 2 else MPI.SIMILAR)
        inter = MPI.Group.Intersection(even, g)
        self.assertEqual(MPI.Group.Compare(inter, even), MPI.IDENT)
        inter2 = MPI.Group.Intersect(even, odd)
        self.assertEqual(inter2.size, 0)
        self.assertEqual(inter2.rank, MPI.UNDEFINED)
        diff = MPI.Group.Difference(g, even)
        self.assertEqual(MPI.Group.Compare(diff, odd), MPI.IDENT)
        self.assertIs(MPI.Group.Intersect.__doc__ is not None, True)
        for x in (even, odd, union, inter, inter2, diff):
            self.assertIsInstance(x, MPI.Group)
            x.Free()
            self.assertEqual(x, MPI.GROUP_NULL)
        with self.assertRaises(TypeError):
            MPI.Group.Union(g, None)
        with self.assertRaises(MPI.Exception):
            MPI.Group.Difference(MPI.GROUP_NULL, g)

    def test_incl_excl(self):
        g, size = self.group, self.size
        sub = g.Incl([size - 1])
        self.assertEqual(sub.size, 1)
        self.assertEqual(sub.rank, 0 if self.rank == size - 1 else MPI.UNDEFINED)
        sub.Free()
        sub = g.Excl([0])
        self.assertEqual(sub.size, size - 1)
        self.assertEqual(sub.rank, self.rank - 1 if self.rank > 0 else MPI.UNDEFINED)
        sub.Free()
        empty = g.Incl([])
        self.assertEqual(empty.size, 0)
        empty.Free()
        same = g.Excl([])
        self.assertEqual(MPI.Group.Compare(same, g), MPI.IDENT)
        same.Free()
        for bad in ([size], [-1], [0, 0]):
            with self.assertRaises(ValueError):
                g.Incl(bad)
            with self.assertRaises(ValueError):
                g.Excl(bad)
        with self.assertRaises(TypeError):
            g.Incl(['a'])
        with self.assertRaises(TypeError):
            g.Incl(3)

    def test_range_incl_excl(self):
        g, size = self.group, self.size
        sub = g.Range_incl([(0, size - 1, 1)])
        self.assertEqual(MPI.Group.Compare(sub, g), MPI.IDENT)
        sub.Free()
        sub = g.Range_incl([(size - 1, 0, -1)])
        self.assertEqual(sub.size, size)
        self.assertEqual(sub.rank, size - 1 - self.rank)
        sub.Free()
        sub = g.Range_excl([(0, size - 1, 2)])
        self.assertEqual(sub.size, size // 2)
        sub.Free()
        sub = g.Range_incl([])
        self.assertEqual(sub.size, 0)
        sub.Free()
        for bad in ([(0, size, 1)], [(0, 0, 0)], [(0, 1)], [5], [(-1, 0, 1)]):
            with self.assertRaises((ValueError, TypeError)):
                g.Range_incl(bad)
            with self.assertRaises((ValueError, TypeError)):
                g.Range_excl(bad)

    def test_dup_free(self):
        dup = self.group.Dup()
        self.assertEqual(MPI.Group.Compare(dup, self.group), MPI.IDENT)
        self.assertIsNot(dup, self.group)
        dup.Free()
        self.assertFalse(dup)
        with self.assertRaises(MPI.Exception):
            dup.Free()
        with self.assertRaises(MPI.Exception):
            dup.Get_size()
        with self.assertRaises(MPI.Exception):
            dup.Incl([0])
        with self.assertRaises(MPI.Exception):
            dup.Dup()

    def test_subclass(self):
        class MyGroup(MPI.Group):
            pass
        mine = MyGroup(self.group)
        self.assertEqual(mine, self.group)
        d = mine.Dup()
        self.assertIs(type(d), MyGroup)
        i = mine.Incl([0])
        self.assertIs(type(i), MyGroup)
        u = MyGroup.Union(mine, mine)
        self.assertIs(type(u), MyGroup)
        for x in (d, i, u):
            x.Free()

    def test_comm_from_group(self):
        g = self.group.Incl([0])
        comm = self.world.Create(g)
        self.assertEqual(bool(comm), self.rank == 0)
        if comm:
            cg = comm.Get_group()
            self.assertEqual(MPI.Group.Translate_ranks(cg, [0], self.group), [0])
            cg.Free()
            comm.Free()
        g.Free()

    def test_py2f(self):
        self.assertEqual(MPI.Group.f2py(MPI.GROUP_EMPTY.py2f()), MPI.GROUP_EMPTY)


if __name__ == '__main__':
    mpitest.main()
