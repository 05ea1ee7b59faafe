# ranks: 1 2 3
# timeout: 300
"""Virtual topologies: Compute_dims, Cartcomm (shifts, coords, Sub), Graphcomm, Distgraphcomm,
the Topocomm neighbourhood properties, mapping functions, bad arguments."""
import unittest

import mpitest
from mpi4py import MPI


class TestComputeDims(unittest.TestCase):

    def test_compute_dims(self):
        self.assertEqual(MPI.Compute_dims(1, 1), [1])
        self.assertEqual(MPI.Compute_dims(12, 2), [4, 3])
        self.assertEqual(MPI.Compute_dims(12, [0, 0]), [4, 3])
        self.assertEqual(MPI.Compute_dims(12, (0, 2)), [6, 2])
        self.assertEqual(MPI.Compute_dims(8, 3), [2, 2, 2])
        self.assertEqual(MPI.Compute_dims(7, 2), [7, 1])
        self.assertEqual(MPI.Compute_dims(6, [2, 3]), [2, 3])
        self.assertEqual(MPI.Compute_dims(nnodes=4, dims=1), [4])
        for bad in ((4, -1), (4, [-1, 0]), (5, [2, 0]), (0, 2), (-3, 1)):
            with self.assertRaises(ValueError):
                MPI.Compute_dims(*bad)
        with self.assertRaises(TypeError):
            MPI.Compute_dims(4, 'x')
        with self.assertRaises(TypeError):
            MPI.Compute_dims(4)


class TestCart(unittest.TestCase):

    def setUp(self):
        self.world = MPI.COMM_WORLD
        self.rank, self.size = self.world.rank, self.world.size

    def test_ring(self):
        size, rank = self.size, self.rank
        for periodic in (True, False):
            cart = self.world.Create_cart([size], periods=[periodic], reorder=False)
            self.assertIs(type(cart), MPI.Cartcomm)
            self.assertIsInstance(cart, MPI.Topocomm)
            self.assertEqual(cart.topology, MPI.CART)
            self.assertEqual((cart.Get_dim(), cart.dim, cart.ndim), (1, 1, 1))
            self.assertEqual(cart.Get_topo(), ([size], [periodic], [rank]))
            self.assertEqual((cart.dims, cart.periods, cart.coords), ([size], [periodic], [rank]))
            self.assertEqual(cart.topo, ([size], [periodic], [rank]))
            src, dst = cart.Shift(0, 1)
            if periodic:
                self.assertEqual((src, dst), ((rank - 1) % size, (rank + 1) % size))
            else:
                self.assertEqual(src, rank - 1 if rank > 0 else MPI.PROC_NULL)
                self.assertEqual(dst, rank + 1 if rank < size - 1 else MPI.PROC_NULL)
            self.assertEqual(cart.Shift(0, 0), (rank, rank))
            self.assertEqual(cart.Shift(direction=0, disp=-1), (dst, src))
            self.assertEqual(cart.Get_cart_rank([rank]), rank)
            self.assertEqual(cart.Get_coords(rank), [rank])
            if periodic:
                self.assertEqual(cart.Get_cart_rank([rank + size]), rank)
            self.assertEqual(cart.degrees, (2, 2))
            self.assertEqual((cart.indegree, cart.outdegree), (2, 2))
            self.assertEqual(cart.inedges, [src, dst])
            self.assertEqual(cart.outedges, [src, dst])
            self.assertEqual(cart.inoutedges, ([src, dst], [src, dst]))
            # the shift partners are the processes at the neighbouring coordinates
            allcoords = cart.allgather(cart.coords)
            self.assertEqual(allcoords[cart.rank], [rank])
            if dst != MPI.PROC_NULL:
                self.assertEqual(allcoords[dst], [(rank + 1) % size])
            if src != MPI.PROC_NULL:
                self.assertEqual(allcoords[src], [(rank - 1) % size])
            cart.Free()

    def test_grid_2d(self):
        size, rank = self.size, self.rank
        dims = MPI.Compute_dims(size, 2)
        cart = self.world.Create_cart(dims, periods=(True, False))
        self.assertEqual(cart.dims, dims)
        self.assertEqual(cart.periods, [True, False])
        coords = cart.coords
        self.assertEqual(cart.Get_cart_rank(coords), cart.rank)
        for r in range(size):
            self.assertEqual(cart.Get_cart_rank(cart.Get_coords(r)), r)
        self.assertEqual(cart.degrees, (4, 4))
        self.assertEqual(len(cart.inedges), 4)
        # Sub: rows and columns
        for remain in ([True, False], [False, True]):
            sub = cart.Sub(remain)
            self.assertIs(type(sub), MPI.Cartcomm)
            keep = remain.index(True)
            self.assertEqual(sub.dims, [dims[keep]])
            self.assertEqual(sub.coords, [coords[keep]])
            self.assertEqual(sub.size, dims[keep])
            sub.Free()
        sub = cart.Sub([False, False])  # zero-dimensional: MPICH gives it to one process
        have = int(bool(sub))
        if sub:
            self.assertEqual(sub.size, 1)
            self.assertEqual(sub.Get_dim(), 0)
            sub.Free()
        self.assertEqual(self.world.allreduce(have), 1)
        cart.Free()

    def test_excluded_ranks(self):
        if self.size < 2:
            self.skipTest('needs 2 ranks')
        cart = self.world.Create_cart([self.size - 1])
        if self.rank == self.size - 1:
            self.assertEqual(cart, MPI.COMM_NULL)
            self.assertIs(type(cart), MPI.Cartcomm)
            self.assertFalse(cart)
            with self.assertRaises(MPI.Exception):
                cart.Get_topo()
        else:
            self.assertEqual(cart.size, self.size - 1)
            cart.Free()

    def test_cart_map(self):
        r = self.world.Cart_map([self.size])
        self.assertEqual(r, self.rank)
        r = self.world.Cart_map([1], [False])
        self.assertEqual(r, 0 if self.rank == 0 else MPI.UNDEFINED)
        self.assertEqual(self.world.Cart_map([1], True), r)

    def test_scalar_periods(self):
        # as in mpi4py 3.1, one bool applies to every dimension
        for periodic in (True, False):
            cart = self.world.Create_cart([self.size, 1], periods=periodic)
            self.assertEqual(cart.periods, [periodic, periodic])
            cart.Free()

    def test_f2py_class(self):
        # Comm.f2py gives the class the communicator has, as mpi4py 3.1 does
        cart = self.world.Create_cart([self.size])
        for cls in (MPI.Comm, MPI.Intracomm, MPI.Cartcomm):
            new = cls.f2py(cart.py2f())
            self.assertIs(type(new), MPI.Cartcomm)
            self.assertEqual(new, cart)
            self.assertEqual(new.dims, [self.size])
        cart.Free()
        self.assertIs(type(MPI.Comm.f2py(MPI.COMM_WORLD.py2f())), MPI.Intracomm)
        self.assertIs(type(MPI.Comm.f2py(MPI.COMM_NULL.py2f())), MPI.Comm)

    def test_reorder(self):
        cart = self.world.Create_cart([self.size], reorder=True)
        self.assertEqual(cart.size, self.size)
        self.assertEqual(sorted(cart.allgather(self.rank)), list(range(self.size)))
        cart.Free()

    def test_bad_arguments(self):
        w, size = self.world, self.size
        for dims, periods in (([-1], None), ([size + 1], None), ([0], None), ([size], [True, True]),
                              ([size], 'xx')):
            with self.assertRaises((ValueError, TypeError)):
                w.Create_cart(dims, periods)
        with self.assertRaises(TypeError):
            w.Create_cart(None)
        with self.assertRaises(ValueError):
            w.Cart_map([-2])
        cart = w.Create_cart([size], [False])
        for call in (lambda: cart.Shift(1, 1), lambda: cart.Shift(-1, 1), lambda: cart.Get_coords(size),
                     lambda: cart.Get_coords(-1), lambda: cart.Get_cart_rank([size]),
                     lambda: cart.Get_cart_rank([0, 0]), lambda: cart.Sub([True, True])):
            with self.assertRaises(ValueError):
                call()
        cart.Free()
        with self.assertRaises(MPI.Exception):
            cart.Get_topo()
        with self.assertRaises(MPI.Exception):
            MPI.COMM_NULL.Create_cart([1]) if hasattr(MPI.COMM_NULL, 'Create_cart') else MPI.Intracomm().Create_cart([1])
        with self.assertRaises(AttributeError):
            w.Shift(0, 1)
        # the topology properties refuse a communicator without topology
        with self.assertRaises(TypeError):
            MPI.Cartcomm(w).degrees
        with self.assertRaises(MPI.Exception):
            MPI.Cartcomm(w).Get_dim()


class TestGraph(unittest.TestCase):

    def setUp(self):
        self.world = MPI.COMM_WORLD
        self.rank, self.size = self.world.rank, self.world.size

    def ring(self):
        size = self.size
        index, edges = [], []
        for r in range(size):
            nbrs = sorted({(r - 1) % size, (r + 1) % size} - ({r} if size > 1 else set()))
            edges.extend(nbrs)
            index.append(len(edges))
        return index, edges

    def test_graph(self):
        index, edges = self.ring()
        graph = self.world.Create_graph(index, edges)
        self.assertIs(type(graph), MPI.Graphcomm)
        self.assertEqual(graph.topology, MPI.GRAPH)
        self.assertEqual(graph.Get_dims(), (self.size, len(edges)))
        self.assertEqual(graph.dims, (self.size, len(edges)))
        self.assertEqual((graph.nnodes, graph.nedges), (self.size, len(edges)))
        self.assertEqual(graph.Get_topo(), (index, edges))
        self.assertEqual((graph.index, graph.edges), (index, edges))
        self.assertEqual(graph.topo, (index, edges))
        start = index[self.rank - 1] if self.rank else 0
        mine = edges[start:index[self.rank]]
        self.assertEqual(graph.Get_neighbors(self.rank), mine)
        self.assertEqual(graph.Get_neighbors_count(self.rank), len(mine))
        self.assertEqual(graph.neighbors, mine)
        self.assertEqual(graph.nneighbors, len(mine))
        self.assertEqual(graph.degrees, (len(mine), len(mine)))
        self.assertEqual(graph.inoutedges, (mine, mine))
        for r in range(self.size):
            self.assertEqual(len(graph.Get_neighbors(r)), graph.Get_neighbors_count(r))
        self.assertEqual(self.world.Graph_map(index, edges), self.rank)
        with self.assertRaises(ValueError):
            graph.Get_neighbors(self.size)
        with self.assertRaises(ValueError):
            graph.Get_neighbors_count(-1)
        dup = graph.Dup()
        self.assertIs(type(dup), MPI.Graphcomm)
        dup.Free()
        self.assertIs(type(MPI.Comm.f2py(graph.py2f())), MPI.Graphcomm)
        graph.Free()

    def test_standard_index(self):
        # mpi4py 3.1 also takes the adjacency index with a leading 0: [0, d0, d0+d1, ...]
        index, edges = self.ring()
        graph = self.world.Create_graph([0] + index, edges)
        self.assertEqual(graph.Get_topo(), (index, edges))
        graph.Free()
        self.assertEqual(self.world.Graph_map([0] + index, edges), self.rank)

    def test_empty_and_partial(self):
        g = self.world.Create_graph([0], [])
        if self.rank == 0:
            self.assertEqual(g.Get_dims(), (1, 0))
            self.assertEqual(g.neighbors, [])
            g.Free()
        else:
            self.assertEqual(g, MPI.COMM_NULL)

    def test_bad_arguments(self):
        w, size = self.world, self.size
        for index, edges in (([1], [size]), ([1], [-1]), ([2], [0]), ([0] * (size + 2), []),
                             ([1, 0], [0]) if size >= 2 else ([-1], [])):
            with self.assertRaises(ValueError):
                w.Create_graph(index, edges)
            with self.assertRaises(ValueError):
                w.Graph_map(index, edges)
        with self.assertRaises(TypeError):
            w.Create_graph(None, [])


class TestDistGraph(unittest.TestCase):

    def setUp(self):
        self.world = MPI.COMM_WORLD
        self.rank, self.size = self.world.rank, self.world.size

    def test_adjacent(self):
        rank, size = self.rank, self.size
        src, dst = [(rank - 1) % size], [(rank + 1) % size]
        for sw, dw, weighted in ((None, None, False), (MPI.UNWEIGHTED, MPI.UNWEIGHTED, False),
                                 ([7], [9], True)):
            dg = self.world.Create_dist_graph_adjacent(src, dst, sw, dw)
            self.assertIs(type(dg), MPI.Distgraphcomm)
            self.assertEqual(dg.topology, MPI.DIST_GRAPH)
            self.assertEqual(dg.Get_dist_neighbors_count(), (1, 1, weighted))
            s, d, w = dg.Get_dist_neighbors()
            self.assertEqual((s, d), (src, dst))
            self.assertEqual(w, ([7], [9]) if weighted else None)
            self.assertEqual(dg.degrees, (1, 1))
            self.assertEqual((dg.indegree, dg.outdegree), (1, 1))
            self.assertEqual(dg.inoutedges, (src, dst))
            self.assertEqual((dg.inedges, dg.outedges), (src, dst))
            dg.Free()
        dg = self.world.Create_dist_graph_adjacent([], [], MPI.WEIGHTS_EMPTY, MPI.WEIGHTS_EMPTY,
                                                   info=MPI.INFO_NULL, reorder=False)
        self.assertEqual(dg.Get_dist_neighbors_count()[:2], (0, 0))
        self.assertEqual(dg.degrees, (0, 0))
        self.assertIs(type(MPI.Comm.f2py(dg.py2f())), MPI.Distgraphcomm)
        dg.Free()
        dg = self.world.Create_dist_graph_adjacent(None, None)  # None: no neighbours (mpi4py 3.1)
        self.assertEqual(dg.Get_dist_neighbors(), ([], [], None))
        dg.Free()

    def test_general(self):
        rank, size = self.rank, self.size
        # every process declares the edge rank -> rank+1
        dg = self.world.Create_dist_graph([rank], [1], [(rank + 1) % size])
        self.assertIs(type(dg), MPI.Distgraphcomm)
        s, d, w = dg.Get_dist_neighbors()
        self.assertEqual((s, d, w), ([(rank - 1) % size], [(rank + 1) % size], None))
        dg.Free()
        # rank 0 declares every edge, with weights
        if rank == 0:
            srcs = list(range(size))
            dg = self.world.Create_dist_graph(srcs, [1] * size, [(r + 1) % size for r in srcs],
                                              weights=[r + 10 for r in srcs])
        else:
            dg = self.world.Create_dist_graph([], [], [], weights=MPI.WEIGHTS_EMPTY)
        s, d, w = dg.Get_dist_neighbors()
        self.assertEqual((s, d), ([(rank - 1) % size], [(rank + 1) % size]))
        self.assertEqual(w, ([(rank - 1) % size + 10], [rank + 10]))
        dg.Free()

    def test_bad_arguments(self):
        w, size = self.world, self.size
        with self.assertRaises(ValueError):
            w.Create_dist_graph_adjacent([size], [0])
        with self.assertRaises(ValueError):
            w.Create_dist_graph_adjacent([0], [-1])
        with self.assertRaises(ValueError):
            w.Create_dist_graph_adjacent([0], [0], [1, 2], [1])
        with self.assertRaises(ValueError):
            w.Create_dist_graph_adjacent([0], [0], [1], None)
        with self.assertRaises(ValueError):
            w.Create_dist_graph_adjacent([0], [0], [-1], [1])
        with self.assertRaises(ValueError):
            w.Create_dist_graph_adjacent([0], [0], 12345, 12345)
        with self.assertRaises(ValueError):
            w.Create_dist_graph([0], [2], [0])
        with self.assertRaises(ValueError):
            w.Create_dist_graph([0, 0], [1], [0])
        with self.assertRaises(ValueError):
            w.Create_dist_graph([0], [-1], [])
        with self.assertRaises(ValueError):
            w.Create_dist_graph([0], [1], [0], weights=[1, 2])
        with self.assertRaises(TypeError):
            w.Create_dist_graph_adjacent([0], [0], info='x')


if __name__ == '__main__':
    mpitest.main()
