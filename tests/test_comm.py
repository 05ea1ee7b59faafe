# ranks: 1 2 3
# timeout: 300
"""Communicator management: Dup/Idup/Clone/Create/Split, names, info, compare, topology
queries, lock tables and communicator contexts, bad input."""
import threading
import unittest

import mpitest
from mpi4py import MPI


class TestCommBasics(unittest.TestCase):

    def setUp(self):
        self.world = MPI.COMM_WORLD
        self.rank, self.size = self.world.rank, self.world.size

    def test_predefined(self):
        self.assertIsInstance(MPI.COMM_WORLD, MPI.Intracomm)
        self.assertIsInstance(MPI.COMM_SELF, MPI.Intracomm)
        self.assertIs(type(MPI.COMM_NULL), MPI.Comm)
        self.assertFalse(MPI.COMM_NULL)
        self.assertTrue(MPI.COMM_WORLD)
        self.assertEqual(MPI.COMM_SELF.size, 1)
        self.assertEqual(MPI.COMM_SELF.rank, 0)
        self.assertEqual(MPI.COMM_WORLD.Get_name(), 'MPI_COMM_WORLD')
        self.assertEqual(MPI.COMM_SELF.name, 'MPI_COMM_SELF')
        self.assertTrue(MPI.COMM_WORLD.Is_intra())
        self.assertFalse(MPI.COMM_WORLD.Is_inter())
        self.assertTrue(MPI.COMM_WORLD.is_intra)
        self.assertFalse(MPI.COMM_WORLD.is_inter)

    def test_comparisons(self):
        w = self.world
        self.assertEqual(w, MPI.COMM_WORLD)
        self.assertEqual(MPI.Comm(w), w)
        self.assertEqual(MPI.Intracomm(w), w)
        self.assertNotEqual(w, MPI.COMM_SELF)
        self.assertNotEqual(w, MPI.COMM_NULL)
        self.assertNotEqual(w, None)
        self.assertIsNone(MPI.Comm.__hash__)
        for op in ('__lt__', '__le__', '__gt__', '__ge__'):
            self.assertTrue(hasattr(MPI.Comm, op))
        with self.assertRaises(TypeError):
            w < w
        with self.assertRaises(TypeError):
            w >= MPI.COMM_SELF
        with self.assertRaises(TypeError):
            MPI.Intracomm(MPI.INFO_NULL)

    def test_dup_clone(self):
        w = self.world
        for dup in (w.Dup(), w.Clone(), w.Dup(None), w.Dup(MPI.INFO_NULL)):
            self.assertIs(type(dup), MPI.Intracomm)
            self.assertEqual((dup.rank, dup.size), (self.rank, self.size))
            self.assertNotEqual(dup, w)
            self.assertEqual(MPI.Comm.Compare(w, dup), MPI.CONGRUENT)
            self.assertEqual(dup.Get_errhandler(), MPI.ERRORS_RETURN)
            self.assertEqual(dup.allreduce(1), self.size)
            dup.Free()
            self.assertEqual(dup, MPI.COMM_NULL)
            self.assertFalse(dup)

    def test_dup_with_info(self):
        info = MPI.Info.Create()
        info['mpi_assert_no_any_tag'] = 'true'
        dup = self.world.Dup_with_info(info)
        self.assertEqual(dup.size, self.size)
        got = dup.Get_info()
        self.assertIsInstance(got, MPI.Info)
        got.Free()
        dup.Free()
        dup = self.world.Dup(info)
        self.assertEqual(MPI.Comm.Compare(dup, self.world), MPI.CONGRUENT)
        dup.Free()
        info.Free()
        with self.assertRaises(TypeError):
            self.world.Dup_with_info()
        with self.assertRaises(TypeError):
            self.world.Dup_with_info(42)

    def test_idup(self):
        comm, req = self.world.Idup()
        self.assertIsInstance(req, MPI.Request)
        self.assertIs(type(comm), MPI.Intracomm)
        req.Wait()
        self.assertEqual(comm.size, self.size)
        self.assertEqual(MPI.Comm.Compare(comm, self.world), MPI.CONGRUENT)
        self.assertEqual(comm.allreduce(self.rank), sum(range(self.size)))
        comm.Free()

    def test_compare(self):
        w = self.world
        self.assertEqual(MPI.Comm.Compare(w, w), MPI.IDENT)
        self.assertEqual(w.Compare(w, MPI.Intracomm(w)), MPI.IDENT)
        expect = MPI.CONGRUENT if self.size == 1 else MPI.UNEQUAL
        self.assertEqual(MPI.Comm.Compare(w, MPI.COMM_SELF), expect)
        rev = w.Split(0, -self.rank)
        self.assertEqual(MPI.Comm.Compare(w, rev), MPI.CONGRUENT if self.size == 1 else MPI.SIMILAR)
        rev.Free()
        with self.assertRaises(MPI.Exception):
            MPI.Comm.Compare(w, MPI.COMM_NULL)
        with self.assertRaises(TypeError):
            MPI.Comm.Compare(w, 0)

    def test_split(self):
        w = self.world
        color = self.rank % 2
        sub = w.Split(color, key=self.size - self.rank)
        self.assertIs(type(sub), MPI.Intracomm)
        members = [r for r in range(self.size) if r % 2 == color]
        self.assertEqual(sub.size, len(members))
        self.assertEqual(sub.rank, len(members) - 1 - members.index(self.rank))
        self.assertEqual(sub.allgather(self.rank), members[::-1])
        sub.Free()
        sub = w.Split(MPI.UNDEFINED if self.rank == 0 else 1, 0)
        if self.rank == 0:
            self.assertEqual(sub, MPI.COMM_NULL)
            self.assertFalse(sub)
            self.assertIsInstance(sub, MPI.Intracomm)
        else:
            self.assertEqual(sub.size, self.size - 1)
            sub.Free()
        sub = w.Split()
        self.assertEqual(MPI.Comm.Compare(sub, w), MPI.CONGRUENT)
        sub.Free()
        with self.assertRaises(ValueError):
            w.Split(-7)

    def test_split_type(self):
        w = self.world
        node = w.Split_type(MPI.COMM_TYPE_SHARED, key=self.rank)
        self.assertIs(type(node), MPI.Intracomm)
        self.assertEqual(node.size, self.size)  # one machine
        self.assertEqual(node.Get_errhandler(), MPI.ERRORS_RETURN)
        node.Free()
        node = w.Split_type(MPI.COMM_TYPE_SHARED, 0, MPI.INFO_NULL)
        node.Free()
        null = w.Split_type(MPI.UNDEFINED)
        self.assertEqual(null, MPI.COMM_NULL)

    def test_create(self):
        w = self.world
        group = w.Get_group()
        sub = group.Incl([0])
        comm = w.Create(sub)
        if self.rank == 0:
            self.assertEqual(comm.size, 1)
            self.assertIs(type(comm), MPI.Intracomm)
            comm.Free()
        else:
            self.assertEqual(comm, MPI.COMM_NULL)
        comm = w.Create(group)
        self.assertEqual(MPI.Comm.Compare(comm, w), MPI.CONGRUENT)
        comm.Free()
        # Create_group: collective only over the group
        members = list(range(0, self.size, 2))
        g2 = group.Incl(members)
        if self.rank in members:
            comm = w.Create_group(g2, tag=5)
            self.assertEqual(comm.size, len(members))
            self.assertEqual(comm.allgather(self.rank), members)
            comm.Free()
        g2.Free()
        sub.Free()
        group.Free()
        with self.assertRaises(MPI.Exception):
            w.Create(MPI.GROUP_NULL)
        with self.assertRaises(TypeError):
            w.Create(None)

    def test_group(self):
        g = self.world.Get_group()
        self.assertEqual((g.size, g.rank), (self.size, self.rank))
        self.assertEqual(MPI.Group.Compare(g, self.world.group), MPI.IDENT)
        g.Free()

    def test_name(self):
        dup = self.world.Dup()
        dup.Set_name('my comm')
        self.assertEqual(dup.Get_name(), 'my comm')
        dup.name = 'other'
        self.assertEqual(dup.name, 'other')
        dup.Set_name(name='by keyword')
        self.assertEqual(dup.name, 'by keyword')
        with self.assertRaises(TypeError):
            dup.Set_name(3)
        with self.assertRaises(ValueError):
            dup.Set_name('x' * (MPI.MAX_OBJECT_NAME + 1))
        dup.Free()

    def test_info(self):
        dup = self.world.Dup()
        info = dup.Get_info()
        self.assertIsInstance(info, MPI.Info)
        self.assertIsInstance(dup.info, MPI.Info)
        new = MPI.Info.Create()
        new['mpi_assert_no_any_source'] = 'false'
        dup.Set_info(new)
        dup.info = new
        with self.assertRaises(MPI.Exception):
            dup.Set_info(MPI.INFO_NULL)  # MPICH refuses a null info here
        with self.assertRaises(TypeError):
            dup.Set_info('x')
        new.Free()
        info.Free()
        dup.Free()

    def test_topology_queries(self):
        w = self.world
        self.assertEqual(w.Get_topology(), MPI.UNDEFINED)
        self.assertEqual(w.topology, MPI.UNDEFINED)
        self.assertFalse(w.is_topo)
        cart = w.Create_cart([self.size])
        self.assertEqual(cart.Get_topology(), MPI.CART)
        self.assertTrue(cart.is_topo)
        dup = cart.Dup()
        self.assertIs(type(dup), MPI.Cartcomm)
        self.assertEqual(dup.topology, MPI.CART)
        sub = cart.Split(0, 0)
        self.assertIs(type(sub), MPI.Intracomm)
        for c in (dup, sub, cart):
            c.Free()

    def test_free_and_null(self):
        dup = self.world.Dup()
        dup.Free()
        for call in (dup.Free, dup.Get_size, dup.Get_rank, dup.Dup, dup.Get_group, dup.Get_name,
                     dup.Barrier, dup.Get_info, dup.Get_topology, dup.Get_errhandler, dup.Is_inter):
            with self.assertRaises(MPI.Exception) as cm:
                call()
            self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_COMM)
        with self.assertRaises(MPI.Exception):
            MPI.COMM_NULL.Split(0, 0)
        with self.assertRaises(MPI.Exception):
            MPI.COMM_NULL.Set_name('x')
        # as in mpi4py 3.1, MPI itself refuses to free a predefined communicator
        for comm in (MPI.COMM_WORLD, MPI.COMM_SELF, MPI.COMM_NULL):
            for call in (comm.Free, comm.Disconnect, MPI.Comm(comm).Free):
                with self.assertRaises(MPI.Exception) as cm:
                    call()
                self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_COMM)
        self.assertEqual(MPI.COMM_WORLD.size, self.size)
        self.assertEqual(MPI.COMM_SELF.size, 1)

    def test_new_comms_errors_return(self):
        w = self.world
        for c in (w.Dup(), w.Split(0, 0), w.Create(w.group), w.Create_cart([self.size])):
            self.assertEqual(c.Get_errhandler(), MPI.ERRORS_RETURN)
            with self.assertRaises(MPI.Exception):
                c.send(None, dest=self.size + 5)
            c.Free()

    def test_subclass_preserved(self):
        class MyComm(MPI.Intracomm):
            pass
        mine = MyComm(self.world)
        self.assertEqual(mine, self.world)
        for c in (mine.Dup(), mine.Clone(), mine.Split(0, 0), mine.Create(mine.group)):
            self.assertIs(type(c), MyComm)
            c.Free()


class TestCommLocks(unittest.TestCase):

    def test_comm_lock(self):
        w = MPI.COMM_WORLD
        lock = MPI._comm_lock(w)
        self.assertIs(lock, MPI._comm_lock(w))
        self.assertIs(lock, MPI._comm_lock(MPI.Intracomm(w), None))
        self.assertIs(type(lock), type(threading.Lock()))
        other = MPI._comm_lock(w, 'send')
        self.assertIsNot(other, lock)
        self.assertIs(other, MPI._comm_lock(w, key='send'))
        table = MPI._comm_lock_table(w)
        self.assertIsInstance(table, dict)
        self.assertIs(table[None], lock)
        self.assertIs(table['send'], other)
        self.assertIs(MPI._lock_table(w), table)
        with lock:
            self.assertTrue(lock.locked())
        self.assertIsNot(MPI._comm_lock(MPI.COMM_SELF), lock)

    def test_lock_table_dropped_on_free(self):
        dup = MPI.COMM_WORLD.Dup()
        lock = MPI._comm_lock(dup, 1)
        self.assertIs(MPI._comm_lock_table(dup)[1], lock)
        handle = MPI._handleof(dup)
        dup.Free()
        again = MPI.COMM_WORLD.Dup()
        if MPI._handleof(again) == handle:  # reused handle: a fresh table
            self.assertNotIn(1, MPI._comm_lock_table(again))
        again.Free()

    def test_lock_errors(self):
        with self.assertRaises(TypeError):
            MPI._comm_lock(None)
        with self.assertRaises(MPI.Exception):
            MPI._comm_lock(MPI.COMM_NULL)
        with self.assertRaises(TypeError):
            MPI._comm_lock(MPI.COMM_WORLD, [])  # unhashable key

    def test_commctx_intra(self):
        w = MPI.COMM_WORLD
        dup, tag = MPI._commctx_intra(w)
        self.assertIs(type(dup), MPI.Intracomm)
        self.assertEqual(MPI.Comm.Compare(dup, w), MPI.CONGRUENT)
        dup2, tag2 = MPI._commctx_intra(w)
        self.assertEqual(dup2, dup)
        self.assertEqual(tag2, tag + 1)
        self.assertGreaterEqual(tag, 0)
        self.assertEqual(dup.allreduce(1), w.size)
        with self.assertRaises(TypeError):
            MPI._commctx_intra(None)
        with self.assertRaises(MPI.Exception):
            MPI._commctx_intra(MPI.Intracomm())
        # the context goes away with the communicator
        mine = w.Dup()
        d, t = MPI._commctx_intra(mine)
        self.assertEqual(t, 0)
        mine.Free()


if __name__ == '__main__':
    mpitest.main()
