# ranks: 1 2 3
# timeout: 300
"""Intercommunicators: Create_intercomm from a split of COMM_WORLD, remote group/size, Merge,
Dup/Split/Create on an intercommunicator, _commctx_inter, bad arguments."""
import unittest

import mpitest
from mpi4py import MPI


class TestIntercomm(unittest.TestCase):

    def setUp(self):
        self.world = MPI.COMM_WORLD
        self.rank, self.size = self.world.rank, self.world.size
        if self.size < 2:
            self.skipTest('an intercommunicator needs two groups (2 or more ranks)')
        # group 0: rank 0; group 1: the others (sizes 1 and size-1)
        self.color = 0 if self.rank == 0 else 1
        self.local = self.world.Split(self.color, key=self.rank)
        remote_leader = 1 if self.color == 0 else 0
        self.inter = self.local.Create_intercomm(0, self.world, remote_leader, tag=11)
        self.lsize = 1 if self.color == 0 else self.size - 1
        self.rsize = self.size - self.lsize

    def tearDown(self):
        if self.size >= 2:
            if self.inter:
                self.inter.Free()
            self.local.Free()

    def test_basics(self):
        inter = self.inter
        self.assertIs(type(inter), MPI.Intercomm)
        self.assertIs(type(MPI.Comm.f2py(inter.py2f())), MPI.Intercomm)
        self.assertTrue(inter.Is_inter())
        self.assertFalse(inter.Is_intra())
        self.assertTrue(inter.is_inter)
        self.assertEqual(inter.Get_size(), self.lsize)
        self.assertEqual(inter.Get_rank(), self.local.rank)
        self.assertEqual(inter.Get_remote_size(), self.rsize)
        self.assertEqual(inter.remote_size, self.rsize)
        self.assertEqual(inter.Get_errhandler(), MPI.ERRORS_RETURN)
        self.assertEqual(inter.topology, MPI.UNDEFINED)
        self.assertFalse(inter.is_topo)
        rgroup = inter.Get_remote_group()
        self.assertEqual(rgroup.size, self.rsize)
        self.assertEqual(rgroup.rank, MPI.UNDEFINED)
        wgroup = self.world.Get_group()
        expect = [0] if self.color == 1 else list(range(1, self.size))
        self.assertEqual(MPI.Group.Translate_ranks(rgroup, list(range(self.rsize)), wgroup), expect)
        self.assertEqual(inter.remote_group.size, self.rsize)
        lgroup = inter.group
        self.assertEqual(MPI.Group.Compare(lgroup, self.local.group), MPI.IDENT)
        for g in (rgroup, wgroup, lgroup):
            g.Free()

    def test_communication(self):
        # ranks of an intercommunicator address the remote group
        inter = self.inter
        if self.color == 0:
            for r in range(inter.remote_size):
                inter.send(('hello', r), dest=r, tag=3)
            got = sorted(inter.recv(source=MPI.ANY_SOURCE, tag=4) for _ in range(inter.remote_size))
            self.assertEqual(got, list(range(1, self.size)))
        else:
            self.assertEqual(inter.recv(source=0, tag=3), ('hello', inter.rank))
            inter.send(self.rank, dest=0, tag=4)

    def test_merge(self):
        for high in (False, True):
            merged = self.inter.Merge(high)
            self.assertIs(type(merged), MPI.Intracomm)
            self.assertEqual(merged.size, self.size)
            self.assertEqual(merged.Get_errhandler(), MPI.ERRORS_RETURN)
            # both sides pass the same value: which side goes first is up to MPI
            self.assertIn(merged.rank, (self.local.rank, self.rsize + self.local.rank))
            self.assertEqual(sorted(merged.allgather(self.rank)), list(range(self.size)))
            merged.Free()
        # different values order the groups: high=True goes last
        merged = self.inter.Merge(high=(self.color == 0))
        if self.color == 1:
            self.assertEqual(merged.rank, self.local.rank)
        else:
            self.assertEqual(merged.rank, self.size - 1)
        merged.Free()

    def test_dup_split_create(self):
        dup = self.inter.Dup()
        self.assertIs(type(dup), MPI.Intercomm)
        self.assertEqual(MPI.Comm.Compare(dup, self.inter), MPI.CONGRUENT)
        self.assertEqual(dup.remote_size, self.rsize)
        dup.Free()
        clone = self.inter.Clone()
        self.assertIs(type(clone), MPI.Intercomm)
        clone.Free()
        idup, req = self.inter.Idup()
        req.Wait()
        self.assertEqual(idup.remote_size, self.rsize)
        idup.Free()
        split = self.inter.Split(0, self.rank)
        self.assertIs(type(split), MPI.Intercomm)
        self.assertEqual((split.size, split.remote_size), (self.lsize, self.rsize))
        split.Free()
        split = self.inter.Split(MPI.UNDEFINED)
        self.assertEqual(split, MPI.COMM_NULL)
        self.assertIsInstance(split, MPI.Intercomm)
        group = self.inter.Get_group()
        created = self.inter.Create(group)
        self.assertIs(type(created), MPI.Intercomm)
        self.assertEqual(created.remote_size, self.rsize)
        created.Free()
        group.Free()

    def test_attributes_copied(self):
        k = MPI.Comm.Create_keyval(copy_fn=lambda c, kv, v: (type(c).__name__, v))
        self.inter.Set_attr(k, 'x')
        dup = self.inter.Dup()
        self.assertEqual(dup.Get_attr(k), ('Intercomm', 'x'))
        dup.Free()
        self.inter.Delete_attr(k)
        MPI.Comm.Free_keyval(k)

    def test_commctx_inter(self):
        dup, tag, local, low = MPI._commctx_inter(self.inter)
        self.assertIs(type(dup), MPI.Intercomm)
        self.assertIs(type(local), MPI.Intracomm)
        self.assertEqual(MPI.Comm.Compare(dup, self.inter), MPI.CONGRUENT)
        self.assertEqual(local.size, self.lsize)
        self.assertEqual(local.rank, self.inter.rank)
        self.assertIsInstance(low, bool)
        # exactly one side is the low group
        lows = self.world.allgather((self.color, low))
        side_low = {c: l for c, l in lows}
        self.assertEqual(len({l for c, l in lows if c == 0}), 1)
        self.assertEqual(len({l for c, l in lows if c == 1}), 1)
        self.assertNotEqual(side_low[0], side_low[1])
        dup2, tag2, local2, low2 = MPI._commctx_inter(self.inter)
        self.assertEqual((dup2, local2, low2), (dup, local, low))
        self.assertEqual(tag2, tag + 1)
        with self.assertRaises(TypeError):
            MPI._commctx_inter(self.world)
        with self.assertRaises(TypeError):
            MPI._commctx_intra(self.inter)

    def test_bad_arguments(self):
        remote_leader = 1 if self.color == 0 else 0
        with self.assertRaises(ValueError):
            self.local.Create_intercomm(self.local.size, self.world, remote_leader)
        with self.assertRaises(ValueError):
            self.local.Create_intercomm(-1, self.world, remote_leader)
        with self.assertRaises(ValueError):
            self.local.Create_intercomm(0, self.world, remote_leader, tag=-3)
        with self.assertRaises(TypeError):
            self.local.Create_intercomm(0, None, remote_leader)
        with self.assertRaises(AttributeError):
            self.inter.Create_intercomm
        with self.assertRaises(AttributeError):
            self.world.Merge
        null = MPI.Intercomm()
        for call in (null.Get_remote_size, null.Get_remote_group, null.Merge):
            with self.assertRaises(MPI.Exception):
                call()


class TestIntercommSingle(unittest.TestCase):

    def test_class(self):
        self.assertTrue(issubclass(MPI.Intercomm, MPI.Comm))
        self.assertFalse(issubclass(MPI.Intercomm, MPI.Intracomm))
        self.assertEqual(MPI.Intercomm(), MPI.COMM_NULL)
        with self.assertRaises(TypeError):
            MPI.Intercomm(MPI.GROUP_NULL)


if __name__ == '__main__':
    mpitest.main()
