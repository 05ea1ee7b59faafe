# ranks: 1 2
"""Dynamic processes without spawning: Get_parent, ports, name publishing, Accept/Connect, Join,
Disconnect, UNIVERSE_SIZE/APPNUM.

What Debian's MPICH 4.0.2 (ch4:ucx) does, and so what these tests expect:
  - Open_port, Accept, Connect, Join (and Spawn): the ucx netmod has no dynamic processes; each
    call fails at once with MPI.Exception of class ERR_OTHER ("... not supported with ucx netmod").
  - Publish_name/Lookup_name/Unpublish_name: served by hydra's PMI name service (no separate
    hydra_nameserver is needed within one mpiexec job); errors are ERR_NAME / ERR_SERVICE."""
import socket
import time
import unittest

import mpitest
from mpi4py import MPI

UNSUPPORTED = 'not supported with ucx netmod'


def ports_supported():
    try:
        port = MPI.Open_port()
    except MPI.Exception as e:
        if UNSUPPORTED in str(e):
            return False
        raise
    MPI.Close_port(port)
    return True


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
        if ports_supported():
            self.skipTest('ports work here: client/server needs two jobs (not covered)')
        for call in (MPI.COMM_SELF.Accept, MPI.COMM_SELF.Connect):
            t0 = time.time()
            with self.assertRaises(MPI.Exception) as cm:
                call('no-such-port')
            self.assertEqual(cm.exception.Get_error_class(), MPI.ERR_OTHER)
            self.assertLess(time.time() - t0, 10)
        with self.assertRaises(TypeError):
            MPI.COMM_SELF.Accept(None)

    def test_join(self):
        if ports_supported():
            self.skipTest('ports work here: Join needs two processes with a socket (not covered)')
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

    def test_disconnect(self):
        with self.assertRaises(ValueError):
            MPI.COMM_WORLD.Disconnect()
        dup = self.comm.Dup()
        dup.Disconnect()
        self.assertEqual(dup, MPI.COMM_NULL)
        with self.assertRaises(MPI.Exception):
            dup.Disconnect()


if __name__ == '__main__':
    mpitest.main()
