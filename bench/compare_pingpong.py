"""compare_pingpong.py: run pingpong (C, mpicc) and pingpong.py (python-mpi) on 2 ranks and print
latency (one way), bandwidth and the Python/C ratio for each size.
usage: python3 compare_pingpong.py MPIEXEC PINGPONG_C PYTHON_MPI PINGPONG_PY [MAXSIZE]"""
import subprocess
import sys


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
    c = run([mpiexec, '-n', '2', cprog, maxsize])
    py = run([mpiexec, '-n', '2', python_mpi, pyscript, maxsize])
    print('ping-pong, 2 ranks, one-way time (best of 5)')
    print(f'{"size":>9} {"C us":>10} {"Python us":>10} {"ratio":>6} {"C MB/s":>9} {"Py MB/s":>9}')
    for size in sorted(c):
        tc, tp = c[size], py[size]
        print(f'{human(size):>9} {tc * 1e6:10.2f} {tp * 1e6:10.2f} {tp / tc:6.2f} '
              f'{size / tc / 1e6:9.1f} {size / tp / 1e6:9.1f}')


if __name__ == '__main__':
    main()
