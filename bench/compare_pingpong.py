"""compare_pingpong.py: run pingpong (C, mpicc) and pingpong.py (python-mpi) on 2 ranks and print
latency (one way), bandwidth and the Python/C ratio for each size, for buffers (Send/Recv) and
for pickled objects (send/recv of bytes of that size).
usage: python3 compare_pingpong.py MPIEXEC PINGPONG_C PYTHON_MPI PINGPONG_PY [MAXSIZE]"""
import statistics
import subprocess
import sys

ROUNDS = 5


def run(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        sys.exit(f'{" ".join(cmd)} failed ({out.returncode}):\n{out.stderr}')
    return {int(s): float(t) for s, t in (line.split() for line in out.stdout.splitlines())}


def human(size):
    for unit in ('B', 'KiB', 'MiB', 'GiB'):
        if size < 1024 or unit == 'GiB':
            return f'{size} {unit}'
        size //= 1024


def main():
    mpiexec, cprog, python_mpi, pyscript = sys.argv[1:5]
    maxsize = sys.argv[5] if len(sys.argv) > 5 else str(64 << 20)
    # The machine is noisy: the three programs run in turn, ROUNDS times; each run gives its best
    # of 5 per size, and the median of those is printed (a lone lucky run does not set a ratio).
    progs = {'c': [mpiexec, '-n', '2', cprog, maxsize],
             'py': [mpiexec, '-n', '2', python_mpi, pyscript, maxsize],
             'obj': [mpiexec, '-n', '2', python_mpi, pyscript, maxsize, 'obj']}
    runs = {k: [] for k in progs}
    for _ in range(ROUNDS):
        for k, cmd in progs.items():
            runs[k].append(run(cmd))
    c, py, obj = ({size: statistics.median(r[size] for r in runs[k]) for size in runs[k][0]}
                  for k in ('c', 'py', 'obj'))
    print(f'ping-pong, 2 ranks, one-way time (median of {ROUNDS} alternating runs of best of 5); '
          'Python: Send/Recv of a NumPy buffer; objects: send/recv of bytes')
    print(f'{"size":>9} {"C us":>10} {"Python us":>10} {"ratio":>6} {"C MB/s":>9} {"Py MB/s":>9}'
          f' {"obj us":>10} {"ratio":>6}')
    for size in sorted(c):
        tc, tp, to = c[size], py[size], obj[size]
        print(f'{human(size):>9} {tc * 1e6:10.2f} {tp * 1e6:10.2f} {tp / tc:6.2f} '
              f'{size / tc / 1e6:9.1f} {size / tp / 1e6:9.1f} {to * 1e6:10.2f} {to / tc:6.2f}')


if __name__ == '__main__':
    main()
