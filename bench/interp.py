"""interp.py: pure-Python speed of python-mpi against the Python it embeds.

usage: python3 interp.py PYTHON_MPI [REFERENCE_PYTHON] [ROUNDS]

Runs a fixed set of NumPy-free workloads in child processes under both interpreters,
alternating (python-mpi, reference, python-mpi, ...) so machine noise hits both alike, and
prints the best wall time of each and the ratio. Then counts instructions under valgrind's
callgrind (stable on a noisy machine): each workload once, minus the start-up of the same
interpreter (`-c pass`), so MPI's initialization in python-mpi is not counted.
As a child (`interp.py --run NAME SCALE`) it runs one workload and prints its wall time.
"""
import os
import shutil
import subprocess
import sys
import time


def calls(n):
    def f(a, b=1, *, c=2):
        return a + b + c
    s = 0
    for i in range(n):
        s += f(i) + f(i, 2) + f(i, c=3)
    return s


def attributes(n):
    class P:
        __slots__ = ('x', 'y')

        def __init__(self, x, y):
            self.x, self.y = x, y

        def norm1(self):
            return abs(self.x) + abs(self.y)

    class Q:
        def __init__(self):
            self.v = 1
    p, q, s = P(1, -2), Q(), 0
    for i in range(n):
        p.x = i
        q.v += 1
        s += p.norm1() + q.v
    return s


def containers(n):
    d, lst = {}, []
    for i in range(n):
        k = i & 1023
        d[k] = d.get(k, 0) + i
        lst.append(k)
        if len(lst) > 512:
            lst.sort()
            del lst[:256]
    return sum(d.values()) + len(lst)


def strings(n):
    out = []
    for i in range(n):
        out.append(f'{i:08d}:{i * 0.5:.3f}' + '%s-%d' % ('x', i))
        if len(out) > 1000:
            out = [','.join(out)[:10]]
    return len(out)


def numeric(n):
    x, s = 0.5, 0.0
    for i in range(1, n):
        x = (x * 1.0000001 + 1.0 / i) % 7.0
        s += x * x - (i % 3)
    return s


WORKLOADS = {'calls': calls, 'attributes': attributes, 'containers': containers,
             'strings': strings, 'numeric': numeric}
SCALE = 400000  # iterations per workload for wall time; callgrind runs SCALE // 20


def child(name, scale):
    t0 = time.perf_counter()
    WORKLOADS[name](scale)
    print(time.perf_counter() - t0)


def wall(py, name):
    out = subprocess.run([py, __file__, '--run', name, str(SCALE)], check=True,
                         capture_output=True, text=True, stdin=subprocess.DEVNULL).stdout
    return float(out)


def instructions(py, args):
    proc = subprocess.run(['valgrind', '--tool=callgrind', '--callgrind-out-file=/dev/null', py]
                          + args, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    for line in proc.stderr.splitlines():
        if 'Collected :' in line:
            return int(line.split()[-1])
    sys.exit(f'callgrind failed for {py} {args}:\n{proc.stderr[-2000:]}')


def main():
    pympi = sys.argv[1]
    ref = sys.argv[2] if len(sys.argv) > 2 else '/usr/bin/python3.11'
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    print(f'python-mpi: {pympi}\nreference:  {ref}\n')
    print(f'{"workload":12} {"python-mpi s":>12} {"python3 s":>10} {"ratio":>6}   (best of {rounds}, alternating)')
    tot_m = tot_r = 0.0
    for name in WORKLOADS:
        best = {pympi: float('inf'), ref: float('inf')}
        for _ in range(rounds):
            for py in (pympi, ref):
                best[py] = min(best[py], wall(py, name))
        tot_m += best[pympi]
        tot_r += best[ref]
        print(f'{name:12} {best[pympi]:12.4f} {best[ref]:10.4f} {best[pympi] / best[ref]:6.3f}')
    print(f'{"all":12} {tot_m:12.4f} {tot_r:10.4f} {tot_m / tot_r:6.3f}   wall-time ratio')
    if not shutil.which('valgrind'):
        print('\ncallgrind: valgrind not installed (apt-get install valgrind)')
        return
    print(f'\n{"workload":12} {"python-mpi Ir":>14} {"python3 Ir":>14} {"ratio":>6}   (callgrind, start-up subtracted)')
    base = {py: instructions(py, ['-c', 'pass']) for py in (pympi, ref)}
    tot = {pympi: 0, ref: 0}
    for name in WORKLOADS:
        ir = {py: instructions(py, [__file__, '--run', name, str(SCALE // 20)]) - base[py]
              for py in (pympi, ref)}
        for py in ir:
            tot[py] += ir[py]
        print(f'{name:12} {ir[pympi]:14d} {ir[ref]:14d} {ir[pympi] / ir[ref]:6.3f}')
    print(f'{"all":12} {tot[pympi]:14d} {tot[ref]:14d} {tot[pympi] / tot[ref]:6.3f}   instruction ratio')


if __name__ == '__main__':
    if len(sys.argv) == 4 and sys.argv[1] == '--run':
        child(sys.argv[2], int(sys.argv[3]))
    else:
        main()
