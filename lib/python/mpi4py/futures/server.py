"""Worker processes of MPIPoolExecutor.

Spawned by an executor as ``python -m mpi4py.futures.server``, a worker
serves the tasks of its parent until told to stop.

Started by the user, the processes of the job form a server waiting for
one client executor, ``MPIPoolExecutor(service=...)``, and serve it
until it shuts down::

    mpiexec -n N python -m mpi4py.futures.server [--service NAME]
    mpiexec -n N python -m mpi4py.futures.server --bind ADDR --port PORT

With --service (the default; name: mpi4py.futures, or $MPI4PY_SERVICE)
the MPI port is published under NAME (MPI_Publish_name: with MPICH, run
hydra_nameserver and give both jobs ``mpiexec -nameserver HOST``).  With
--bind/--port the port name is handed out to the client over TCP at
that address (default: all interfaces, port 31415, or $MPI4PY_SERVER_BIND
and $MPI4PY_SERVER_PORT); the client then uses
``service=(host, port)``.  --info key=value,... gives MPI info keys for
opening the port and accepting.
"""

import argparse

from .. import MPI
from . import _lib


def _parse_args(args=None):
    parser = argparse.ArgumentParser(
        prog=f'python -m {__spec__.name}',
        description='Serve the tasks of one MPIPoolExecutor(service=...).')
    parser.add_argument('--service', help='service name to publish')
    parser.add_argument('--bind', help='TCP address handing out the port')
    parser.add_argument('--port', type=int, help='TCP port (with --bind)')
    parser.add_argument('--info', default='',
                        help='MPI info keys: key=value[,key=value]...')
    options = parser.parse_args(args)
    try:
        info = dict(item.split('=', 1) for item in options.info.split(',')
                    if item)
    except ValueError:
        parser.error(f'--info: expecting key=value pairs: {options.info!r}')
    if options.bind is not None or options.port is not None:
        if options.service is not None:
            parser.error('--service and --bind/--port exclude each other')
        service = (options.bind, options.port)
    else:
        service = options.service
    return service, info


def main(args=None):
    parent = MPI.Comm.Get_parent()
    if parent:
        comm = parent
    else:
        service, info = _parse_args(args)
        comm = _lib.server_accept(service, info)
    if _lib.serve(comm):
        comm.Disconnect()


if __name__ == '__main__':
    main()
