# ranks: 1 2
"""Dynamic processes: Spawn, Spawn_multiple, Get_parent, ports, name publishing, Accept/Connect,
Join, Disconnect, UNIVERSE_SIZE/APPNUM.

Two MPIs run these tests (./check):
  - Debian's MPICH 4.0.2 (ch4:ucx): the ucx netmod has no dynamic processes; Open_port, Accept,
    Connect, Join and Spawn fail at once with MPI.Exception of class ERR_OTHER ("... not supported
    with ucx netmod"). The tests assert that, and skip the ones that need processes to connect.
  - MPICH 4.0.2 built with ch3:nemesis (tests/mpich-dynproc.sh): everything works; the children
    are python-mpi (sys.executable) running tests/spawn/child.py.
Publish_name/Lookup_name/Unpublish_name work with both: hydra's PMI name service (no separate
hydra_nameserver is needed within one mpiexec job); errors are ERR_NAME / ERR_SERVICE."""
import os
import socket
import sys
import time
import unittest

import mpitest
from mpi4py import MPI

UNSUPPORTED = 'not supported with ucx netmod'
CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'spawn', 'child.py')
CONNECT = os.path.join(os.path.dirname(CHILD), 'connect.py')


def ports_supported():
    try:
        port = MPI.Open_port()
    except MPI.Exception as e:
        if UNSUPPORTED in str(e):
            return False
        raise
    MPI.Close_port(port)
    return True


DYNAMIC = ports_supported()


class TestDynproc(unittest.TestCase):

    def setUp(self):
        self.comm = MPI.COMM_WORLD
        self.rank, self.size = self.comm.rank, self.comm.size

    def tearDown(self):
        self.comm.Barrier()

    def test_get_parent(self):
        parent = MPI.Comm.Get_parent()
        self.assertIsInstance(parent, MPI.Intercomm)
        self.assertEqual(parent, MPI.COMM_NULL)
        self.assertFalse(parent)

    def test_universe_appnum(self):
        usize = self.comm.Get_attr(MPI.UNIVERSE_SIZE)
        self.assertTrue(usize is None or usize >= self.size)
        appnum = self.comm.Get_attr(MPI.APPNUM)
        self.assertIn(appnum, (None, 0))

    def test_ports(self):
        t0 = time.time()
        if ports_supported():
            port = MPI.Open_port(MPI.INFO_NULL)
            self.assertIsInstance(port, str)
            MPI.Close_port(port)
        else:
            with self.assertRaises(MPI.Exception) as cm:
                MPI.Open_port()
            self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_OTHER)
        self.assertLess(time.time() - t0, 10)
        with self.assertRaises(TypeError):
            MPI.Close_port(None)

    def test_publish_lookup(self):
        service = 'pympi-test-service'
        port = 'pympi-port-name'
        if self.rank == 0:
            MPI.Publish_name(service, port)
        self.comm.Barrier()
        self.assertEqual(MPI.Lookup_name(service), port)
        self.assertEqual(MPI.Lookup_name(service, MPI.INFO_NULL), port)
        self.comm.Barrier()
        if self.rank == 0:
            MPI.Unpublish_name(service, port, MPI.INFO_NULL)
        self.comm.Barrier()
        with self.assertRaises(MPI.Exception) as cm:
            MPI.Lookup_name(service)
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_NAME)
        if self.rank == 0:
            with self.assertRaises(MPI.Exception) as cm:
                MPI.Unpublish_name(service, port)
            self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_SERVICE)
        with self.assertRaises(TypeError):
            MPI.Publish_name(service, None)

    def test_accept_connect(self):
        if DYNAMIC:
            self.skipTest('ports work here: TestConnect covers Accept/Connect')
        for call in (MPI.COMM_SELF.Accept, MPI.COMM_SELF.Connect):
            t0 = time.time()
            with self.assertRaises(MPI.Exception) as cm:
                call('no-such-port')
            self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_OTHER)
            self.assertLess(time.time() - t0, 10)
        with self.assertRaises(TypeError):
            MPI.COMM_SELF.Accept(None)

    def test_join(self):
        if DYNAMIC:
            self.skipTest('Join works here: TestConnect covers it')
        a, b = socket.socketpair()
        try:
            t0 = time.time()
            with self.assertRaises(MPI.Exception) as cm:
                MPI.Comm.Join(a.fileno())
            self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_OTHER)
            self.assertLess(time.time() - t0, 10)
        finally:
            a.close()
            b.close()
        with self.assertRaises(ValueError):
            MPI.Comm.Join(fd=-1)

    def test_spawn_unsupported(self):
        if DYNAMIC:
            self.skipTest('Spawn works here: TestSpawn covers it')
        t0 = time.time()
        with self.assertRaises(MPI.Exception) as cm:
            self.comm.Spawn(sys.executable, args=[CHILD], maxprocs=1)
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_OTHER)
        self.assertLess(time.time() - t0, 10)

    def test_spawn_bad_root_arguments(self):
        # Arguments are looked at on the root only; a bad one there makes every rank raise (no hang).
        import sys
        comm = self.comm
        with self.assertRaises(ValueError):
            comm.Spawn(sys.executable, maxprocs=0 if comm.rank == 0 else 1)
        with self.assertRaises(TypeError if comm.rank == 0 else ValueError):
            comm.Spawn(sys.executable, args='not-a-list' if comm.rank == 0 else None, errcodes=[])
        with self.assertRaises(ValueError):
            comm.Spawn_multiple([sys.executable], maxprocs=[0] if comm.rank == 0 else [1])
        with self.assertRaises(TypeError if comm.rank == 0 else ValueError):
            comm.Spawn_multiple(sys.executable if comm.rank == 0 else [sys.executable])

    def test_spawn_cannot_start(self):
        # A command that cannot start fails at once on every rank with ERR_SPAWN (MPICH's hydra
        # would lose track of the job and leave the parents waiting). Looked at on the root only.
        missing = os.path.join(os.path.dirname(CHILD), 'no-such-program')
        cases = [dict(command=missing),
                 dict(command='no-such-program-pympi'),                        # not on PATH
                 dict(command=os.path.basename(CHILD)),                        # not on PATH either
                 dict(command=os.path.dirname(CHILD)),                         # a directory
                 dict(command='./' + os.path.basename(CHILD), wdir=os.path.dirname(CHILD))]
        for case in cases:
            with self.subTest(**case):
                info = MPI.Info.Create()
                if 'wdir' in case:
                    info.Set('wdir', case['wdir'])
                t0 = time.time()
                command = case['command'] if self.rank == 0 else None
                with self.assertRaises(MPI.Exception) as cm:
                    self.comm.Spawn(command, maxprocs=1, info=info)
                self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_SPAWN)
                with self.assertRaises(MPI.Exception) as cm:
                    self.comm.Spawn_multiple([sys.executable, command], maxprocs=[1, 1], info=info)
                self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_SPAWN)
                self.assertLess(time.time() - t0, 10)
                info.Free()

    def test_disconnect(self):
        with self.assertRaises(MPI.Exception) as cm:  # mpi4py 3.1: MPI's own error
            MPI.COMM_WORLD.Disconnect()
        self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_COMM)
        dup = self.comm.Dup()
        dup.Disconnect()
        self.assertEqual(dup, MPI.COMM_NULL)
        with self.assertRaises(MPI.Exception):
            dup.Disconnect()


@unittest.skipUnless(DYNAMIC, 'MPICH ch4:ucx has no dynamic processes (%s)' % UNSUPPORTED)
class TestSpawn(unittest.TestCase):
    """COMM_WORLD spawns python-mpi children running spawn/child.py (see there for the protocol)."""

    def setUp(self):
        self.comm = MPI.COMM_WORLD
        self.rank, self.size = self.comm.rank, self.comm.size

    def talk(self, inter, nchildren):
        """The parents' side of child.py's protocol; returns the children's reports (rank 0)."""
        self.assertIsInstance(inter, MPI.Intercomm)
        self.assertTrue(inter.Is_inter())
        self.assertEqual((inter.Get_size(), inter.Get_rank()), (self.size, self.rank))
        self.assertEqual(inter.Get_remote_size(), nchildren)
        self.assertEqual(inter.allreduce(self.rank + 1), nchildren * (nchildren + 1) // 2)
        root = MPI.ROOT if self.rank == 0 else MPI.PROC_NULL
        reports = inter.gather(None, root=root)
        inter.bcast('token-%d' % nchildren, root=root)
        echoes = sorted(inter.recv(source=MPI.ANY_SOURCE, tag=11) for _ in range(nchildren)) if self.rank == 0 else None
        inter.Disconnect()
        self.assertEqual(inter, MPI.COMM_NULL)
        if self.rank != 0:
            self.assertIsNone(reports)
            return None
        self.assertEqual(echoes, [(i, 'token-%d' % nchildren) for i in range(nchildren)])
        self.assertEqual([r['rank'] for r in reports], list(range(nchildren)))
        for r in reports:
            self.assertEqual(r['size'], nchildren)
            self.assertEqual(r['executable'], sys.executable)
            self.assertTrue(r['is_inter'])
            self.assertEqual(r['remote_size'], self.size)
            self.assertEqual(r['parents_sum'], self.size * (self.size + 1) // 2)
        return reports

    def test_spawn(self):
        errcodes = []
        root = self.size - 1
        # Arguments matter at the root only: the others pass nonsense that must not be looked at.
        if self.rank == root:
            inter = self.comm.Spawn(sys.executable, args=[CHILD, 'a1', 'b 2'], maxprocs=2, root=root,
                                    errcodes=errcodes)
        else:
            inter = self.comm.Spawn(None, args=42, maxprocs=-1, root=root, errcodes=errcodes)
        self.assertEqual(errcodes, [MPI.SUCCESS] * 2)
        reports = self.talk(inter, 2)
        if reports:
            self.assertEqual([r['argv'] for r in reports], [['a1', 'b 2']] * 2)
            self.assertEqual([r['appnum'] for r in reports], [0, 0])

    def test_spawn_keywords_info(self):
        info = MPI.Info.Create()
        info.Set('wdir', os.path.dirname(CHILD))
        try:
            inter = self.comm.Spawn(command=sys.executable, args=('child.py', 'in-wdir'), maxprocs=1,
                                    info=info, root=0)
        finally:
            info.Free()
        reports = self.talk(inter, 1)
        if reports:
            self.assertEqual(reports[0]['argv'], ['in-wdir'])

    def test_spawn_path_info(self):
        # A bare command name is found through the "path" info key (then PATH), as by execvp.
        info = MPI.Info.Create()
        info.Set('path', os.path.dirname(os.path.realpath(sys.executable)))
        try:
            inter = self.comm.Spawn(os.path.basename(sys.executable), args=[CHILD, 'by-path'], maxprocs=1, info=info)
        finally:
            info.Free()
        reports = self.talk(inter, 1)
        if reports:
            self.assertEqual(reports[0]['argv'], ['by-path'])

    def test_spawn_multiple(self):
        errcodes = []
        # maxprocs as one int: that many processes of every command.
        inter = self.comm.Spawn_multiple([sys.executable, sys.executable],
                                         args=[[CHILD, 'first'], [CHILD, 'second']],
                                         maxprocs=1, info=[MPI.INFO_NULL, MPI.INFO_NULL],
                                         errcodes=errcodes)
        self.assertEqual(errcodes, [[MPI.SUCCESS], [MPI.SUCCESS]])  # one list per command
        reports = self.talk(inter, 2)
        if reports:
            self.assertEqual([r['argv'] for r in reports], [['first'], ['second']])
            self.assertEqual([r['appnum'] for r in reports], [0, 1])

    def test_spawn_multiple_counts(self):
        # Only the root's arguments count, errcodes included: every rank gets the root's layout.
        errcodes = []
        if self.rank == 0:
            inter = self.comm.Spawn_multiple([sys.executable, sys.executable], args=[[CHILD, 'two'], [CHILD, 'one']],
                                             maxprocs=[2, 1], errcodes=errcodes)
        else:
            inter = self.comm.Spawn_multiple(None, maxprocs=[5], errcodes=errcodes)
        self.assertEqual(errcodes, [[MPI.SUCCESS] * 2, [MPI.SUCCESS]])
        reports = self.talk(inter, 3)
        if reports:
            self.assertEqual([r['argv'] for r in reports], [['two'], ['two'], ['one']])
            self.assertEqual([r['appnum'] for r in reports], [0, 0, 1])


@unittest.skipUnless(DYNAMIC, 'MPICH ch4:ucx has no dynamic processes (%s)' % UNSUPPORTED)
class TestConnect(unittest.TestCase):
    """Two groups connect: COMM_WORLD and a child it spawned, or the two halves of COMM_WORLD."""

    def setUp(self):
        self.world = MPI.COMM_WORLD
        self.rank, self.size = self.world.rank, self.world.size

    def exchange(self, inter, server):
        """Each side sends its name to the other side's rank 0; allreduce over the intercomm."""
        self.assertTrue(inter.Is_inter())
        if inter.Get_rank() == 0:
            req = inter.isend('server' if server else 'client', dest=0, tag=3)
            other = inter.recv(source=0, tag=3)
            req.wait()
            self.assertEqual(other, 'client' if server else 'server')
        total = inter.allreduce(1)
        self.assertEqual(total, inter.Get_remote_size())
        inter.Disconnect()
        self.assertEqual(inter, MPI.COMM_NULL)

    def spawn_client(self, *args):
        """A child running spawn/connect.py ARGS: it connects to COMM_WORLD by itself."""
        return self.world.Spawn(sys.executable, args=[CONNECT] + list(args), maxprocs=1, root=0)

    def test_accept_connect_child(self):
        # COMM_WORLD accepts on a published port; a spawned child looks the name up and connects.
        # (MPICH ch3 cannot connect a process to itself, so one rank alone needs a partner.)
        service = self.world.bcast('pympi-dynproc-%d' % os.getpid(), root=0)
        port = None
        if self.rank == 0:
            port = MPI.Open_port(MPI.INFO_NULL)
            MPI.Publish_name(service, port)
            self.assertEqual(MPI.Lookup_name(service), port)
        child = self.spawn_client('connect', service)
        inter = self.world.Accept(port, root=0)
        self.assertEqual((inter.Get_size(), inter.Get_remote_size()), (self.size, 1))
        self.exchange(inter, True)
        child.Disconnect()
        if self.rank == 0:
            MPI.Unpublish_name(service, port)
            MPI.Close_port(port)

    @unittest.skipIf(MPI.COMM_WORLD.size < 2, 'two groups of COMM_WORLD need two processes')
    def test_accept_connect_halves(self):
        # Even world ranks serve, odd ones connect; the port name travels through the name service.
        service = self.world.bcast('pympi-halves-%d' % os.getpid(), root=0)
        is_server = self.rank % 2 == 0
        group = self.world.Split(0 if is_server else 1, self.rank)
        port = None
        if self.rank == 0:
            port = MPI.Open_port()
            MPI.Publish_name(service, port)
        self.world.Barrier()
        if is_server:
            inter = group.Accept(port if group.rank == 0 else None, root=0)
        else:
            inter = group.Connect(MPI.Lookup_name(service) if group.rank == 0 else None, root=0)
        self.assertEqual(inter.Get_remote_size(), self.size - group.size)
        self.exchange(inter, is_server)
        group.Free()
        if self.rank == 0:
            MPI.Unpublish_name(service, port)
            MPI.Close_port(port)
        self.world.Barrier()

    def test_join_child(self):
        # Rank 0 listens on the loopback; a spawned child connects and both join over the socket.
        listener = socket.create_server(('127.0.0.1', 0)) if self.rank == 0 else None
        tcp_port = self.world.bcast(listener.getsockname()[1] if listener else None, root=0)
        child = self.spawn_client('join', str(tcp_port))
        if listener:
            with listener:
                sock, _ = listener.accept()
            with sock:
                inter = MPI.Comm.Join(sock.fileno())
            self.assertEqual((inter.Get_size(), inter.Get_remote_size()), (1, 1))
            self.exchange(inter, True)
        child.Disconnect()

    @unittest.skipIf(MPI.COMM_WORLD.size < 2, 'a socket between two ranks needs two processes')
    def test_join_ranks(self):
        # Ranks 0 and 1 connect a TCP socket on the loopback and join over it; the others watch.
        sock = None
        if self.rank == 0:
            with socket.create_server(('127.0.0.1', 0)) as listener:
                self.world.bcast(listener.getsockname()[1], root=0)
                sock, _ = listener.accept()
        else:
            tcp_port = self.world.bcast(None, root=0)
            if self.rank == 1:
                sock = socket.create_connection(('127.0.0.1', tcp_port))
        if sock is not None:
            with sock:
                inter = MPI.Comm.Join(sock.fileno())
            self.assertEqual((inter.Get_size(), inter.Get_remote_size()), (1, 1))
            self.exchange(inter, self.rank == 0)
        self.world.Barrier()

if __name__ == '__main__':
    mpitest.main()
