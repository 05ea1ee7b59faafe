"""Small MPI benchmarks and checks: ``python -m mpi4py.bench <command>``.

Commands:

  helloworld  every process greets, rank 0 prints the greetings in order
  ringtest    time passing a message around a ring of processes
  pingpong    latency and bandwidth between ranks 0 and 1
"""

import argparse
import sys


def _parse(prog, description, args, options):
    """Parse `args` with an argparse parser built from `options`."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    for flags, kwargs in options:
        parser.add_argument(*flags, **kwargs)
    return parser.parse_args(args)


_HELLOWORLD_OPTIONS = [
    (('-q', '--quiet'), dict(action='store_false', dest='verbose',
                             default=True, help='do not print anything')),
]


def helloworld(comm, args=None, verbose=True):
    """Greet from every process of `comm`.

    Rank 0 gathers the greetings and prints them, one line per process
    in rank order.  Returns the greeting of the calling process.
    """
    from . import MPI
    options = _parse(f'{__spec__.name} helloworld', helloworld.__doc__,
                     args, _HELLOWORLD_OPTIONS)
    size, rank = comm.Get_size(), comm.Get_rank()
    name = MPI.Get_processor_name()
    greeting = f'Hello, World! I am process {rank} of {size} on {name}.'
    greetings = comm.gather(greeting, root=0)
    if rank == 0 and verbose and options.verbose:
        sys.stdout.write(''.join(line + '\n' for line in greetings))
        sys.stdout.flush()
    return greeting


_RINGTEST_OPTIONS = [
    (('-q', '--quiet'), dict(action='store_false', dest='verbose',
                             default=True, help='do not print anything')),
    (('-n', '--size'), dict(type=int, default=1, dest='size',
                            help='message size in bytes (default: 1)')),
    (('-s', '--skip'), dict(type=int, default=0, dest='skip',
                            help='warm-up loops not timed (default: 0)')),
    (('-l', '--loop'), dict(type=int, default=1, dest='loop',
                            help='timed loops (default: 1)')),
]


def _ring(comm, sendbuf, recvbuf, loops):
    """Pass `sendbuf` around the ring `loops` times; return elapsed time.

    Rank 0 starts each round with a Sendrecv (it also works when it is
    alone in the ring); the other ranks receive from the left and
    forward to the right.
    """
    from . import MPI
    size, rank = comm.Get_size(), comm.Get_rank()
    left, right = (rank - 1) % size, (rank + 1) % size
    comm.Barrier()
    start = MPI.Wtime()
    for _ in range(loops):
        if rank == 0:
            comm.Sendrecv([sendbuf, MPI.BYTE], right, 0,
                          [recvbuf, MPI.BYTE], left, 0)
        else:
            comm.Recv([recvbuf, MPI.BYTE], left, 0)
            comm.Send([recvbuf, MPI.BYTE], right, 0)
    return MPI.Wtime() - start


def ringtest(comm, args=None, verbose=True):
    """Time a message of --size bytes travelling around the ring.

    Returns the time (seconds) taken by the --loop timed rounds, as
    measured by each process.  Raises RuntimeError if the message that
    comes back to rank 0 differs from the one it sent.
    """
    options = _parse(f'{__spec__.name} ringtest', ringtest.__doc__,
                     args, _RINGTEST_OPTIONS)
    if options.size < 0 or options.skip < 0 or options.loop < 1:
        raise ValueError('ringtest: need --size >= 0, --skip >= 0 '
                         'and --loop >= 1')
    sendbuf = bytearray(i % 251 for i in range(options.size))
    recvbuf = bytearray(options.size)
    _ring(comm, sendbuf, recvbuf, options.skip)
    elapsed = _ring(comm, sendbuf, recvbuf, options.loop)
    if comm.Get_rank() == 0:
        if recvbuf != sendbuf:
            raise RuntimeError('ringtest: the message came back corrupted')
        if verbose and options.verbose:
            print(f'time for {options.loop} loops = {elapsed:g} seconds '
                  f'({comm.Get_size()} processes, {options.size} bytes)',
                  flush=True)
    return elapsed


_PINGPONG_OPTIONS = [
    (('-q', '--quiet'), dict(action='store_false', dest='verbose',
                             default=True, help='do not print anything')),
    (('-n', '--min-size'), dict(type=int, default=8, dest='min_size',
                                help='smallest message size (default: 8)')),
    (('-N', '--max-size'), dict(type=int, default=1 << 20, dest='max_size',
                                help='largest message size (default: 1 MiB)')),
    (('-s', '--skip'), dict(type=int, default=10, dest='skip',
                            help='warm-up round trips per size (default: 10)')),
    (('-l', '--loop'), dict(type=int, default=100, dest='loop',
                            help='timed round trips per size (default: 100)')),
]


def pingpong(comm, args=None, verbose=True):
    """Measure round trips of messages between ranks 0 and 1.

    Message sizes double from --min-size to --max-size bytes.  Returns,
    at rank 0, a list of (size in bytes, one-way latency in seconds,
    bandwidth in MB/s); an empty list at the other ranks, of which ranks
    above 1 just wait.
    """
    from . import MPI
    options = _parse(f'{__spec__.name} pingpong', pingpong.__doc__,
                     args, _PINGPONG_OPTIONS)
    if comm.Get_size() < 2:
        raise ValueError('pingpong: needs at least 2 processes')
    if options.min_size < 1 or options.max_size < options.min_size:
        raise ValueError('pingpong: need 1 <= --min-size <= --max-size')
    if options.skip < 0 or options.loop < 1:
        raise ValueError('pingpong: need --skip >= 0 and --loop >= 1')
    rank = comm.Get_rank()
    results = []
    size = options.min_size
    while size <= options.max_size:
        buf = bytearray(size)
        comm.Barrier()
        for i in range(options.skip + options.loop):
            if i == options.skip:
                start = MPI.Wtime()
            if rank == 0:
                comm.Send([buf, MPI.BYTE], 1, 0)
                comm.Recv([buf, MPI.BYTE], 1, 0)
            elif rank == 1:
                comm.Recv([buf, MPI.BYTE], 0, 0)
                comm.Send([buf, MPI.BYTE], 0, 0)
        latency = (MPI.Wtime() - start) / (2 * options.loop)
        if rank == 0:
            results.append((size, latency, size / latency / 1e6))
        size *= 2
    if rank == 0 and verbose and options.verbose:
        print(f'# {"size [B]":>10} {"latency [us]":>14} '
              f'{"bandwidth [MB/s]":>18}')
        for size, latency, bandwidth in results:
            print(f'  {size:>10} {latency * 1e6:>14.2f} {bandwidth:>18.2f}')
        sys.stdout.flush()
    return results


_COMMANDS = {
    'helloworld': helloworld,
    'ringtest': ringtest,
    'pingpong': pingpong,
}


def main(args=None):
    """Entry point of ``python -m mpi4py.bench``; `args` defaults to
    sys.argv[1:].  Runs the command on MPI.COMM_WORLD."""
    # No abbreviated options: python-mpi reads the thread options before
    # MPI_Init_thread, by their full names.
    parser = argparse.ArgumentParser(
        prog=f'{__spec__.name}', allow_abbrev=False,
        description='Small MPI benchmarks and checks.',
        epilog=f'"{__spec__.name} <command> --help" shows the options '
               f'of a command.')
    parser.add_argument('--threads', action='store_true', dest='threads',
                        default=None,
                        help='initialize MPI with thread support')
    parser.add_argument('--no-threads', action='store_false', dest='threads',
                        help='initialize MPI without thread support')
    parser.add_argument('--thread-level', dest='thread_level',
                        choices=('single', 'funneled', 'serialized', 'multiple'),
                        help='initialize MPI with this thread support level')
    parser.add_argument('command', choices=sorted(_COMMANDS),
                        help='the benchmark to run')
    parser.add_argument('args', nargs=argparse.REMAINDER,
                        help='options of the command')
    options = parser.parse_args(args)
    from . import rc
    if options.threads is not None:
        rc.threads = options.threads
    if options.thread_level is not None:
        rc.thread_level = options.thread_level
    from . import MPI
    _COMMANDS[options.command](MPI.COMM_WORLD, options.args)


if __name__ == '__main__':
    main()
