# ranks: 2
"""Blocking point-to-point calls release the GIL: two Python threads per rank run send/recv
pairs concurrently under THREAD_MULTIPLE, without deadlock or corruption. (Two ranks: MPICH 4.0
does not complete a blocked self-receive from a send made by another thread.)"""
import threading
import unittest

import mpitest
from mpi4py import MPI

try:
    import numpy
except ImportError:
    numpy = None

N = 200


@unittest.skipUnless(MPI.Query_thread() == MPI.THREAD_MULTIPLE, 'needs MPI_THREAD_MULTIPLE')
class TestThreads(unittest.TestCase):

    def setUp(self):
        self.comm = MPI.COMM_WORLD.Dup()
        self.rank = self.comm.rank
        self.peer = 1 - self.rank

    def tearDown(self):
        self.comm.Free()

    def run_threads(self, target, n=2):
        errors = []

        def wrap(k):
            try:
                target(k)
            except BaseException as e:  # report in the main thread
                errors.append(e)
        ts = [threading.Thread(target=wrap, args=(k,)) for k in range(n)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
            self.assertFalse(t.is_alive(), 'thread hung')
        if errors:
            raise errors[0]

    def test_objects(self):
        comm, rank, peer = self.comm, self.rank, self.peer

        def pingpong(k):
            for i in range(N):
                obj = {'thread': k, 'i': i, 'data': [rank] * (i % 50)}
                if rank == 0:
                    comm.send(obj, peer, tag=k)
                    got = comm.recv(source=peer, tag=k)
                else:
                    got = comm.recv(source=peer, tag=k)
                    comm.send(obj, peer, tag=k)
                self.assertEqual(got, {'thread': k, 'i': i, 'data': [peer] * (i % 50)})
        self.run_threads(pingpong)

    def test_buffers(self):
        comm, rank, peer = self.comm, self.rank, self.peer

        def exchange(k):
            size = 1 << (10 + 6 * k)  # one thread eager, one rendezvous
            sbuf = bytearray(size)
            rbuf = bytearray(size)
            for i in range(N // 4):
                sbuf[0] = sbuf[-1] = (i + k + rank) % 256
                if rank == 0:
                    comm.Send(sbuf, peer, 10 + k)
                    comm.Recv(rbuf, peer, 10 + k)
                else:
                    comm.Recv(rbuf, peer, 10 + k)
                    comm.Send(sbuf, peer, 10 + k)
                self.assertEqual((rbuf[0], rbuf[-1]), ((i + k + peer) % 256,) * 2)
                comm.Sendrecv(sbuf, peer, 20 + k, rbuf, peer, 20 + k)
                self.assertEqual(rbuf[0], (i + k + peer) % 256)
        self.run_threads(exchange)

    def test_nonblocking_and_probe(self):
        comm, rank, peer = self.comm, self.rank, self.peer

        def worker(k):
            for i in range(N // 2):
                r = comm.irecv(source=peer, tag=30 + k)
                s = comm.isend((k, i), peer, 30 + k)
                self.assertEqual(r.wait(), (k, i))
                s.wait()
                s = comm.isend([k] * i, peer, 40 + k)
                m = comm.mprobe(peer, 40 + k)
                self.assertEqual(m.recv(), [k] * i)
                s.wait()
        self.run_threads(worker)

    def test_blocked_recv_lets_python_run(self):
        comm, rank, peer = self.comm, self.rank, self.peer
        ticks = []
        stop = threading.Event()

        def ticker():
            while not stop.is_set():
                ticks.append(1)
                stop.wait(0.01)
        t = threading.Thread(target=ticker)
        t.start()
        if rank == 0:
            before = len(ticks)
            got = comm.recv(source=peer, tag=50)  # the peer sends after 0.3 s
            self.assertGreater(len(ticks) - before, 5)
            self.assertEqual(got, 'late')
        else:
            stop.wait(0.3)
            comm.send('late', peer, tag=50)
        stop.set()
        t.join()


if __name__ == '__main__':
    mpitest.main()
