"""callgrind.py: instructions per call of mpi4py.MPI methods under python-mpi against the same
MPI calls made from C, counted by valgrind --tool=callgrind on COMM_SELF (one process, no
mpiexec). Per case: (I(11N) - I(N)) / 10N, minus the same for an empty loop, for Python and C.
usage: python3 callgrind.py PYTHON_MPI CALLCOST_PY CALLCOST_C [N]"""
import glob
import os
import pickle
import shutil
import subprocess
import sys
import tempfile

CASES = [  # name, description, target overhead (instructions/call): issue 13
    ('Sendrecv', 'Sendrecv(1 float64 NumPy array)', 2000),
    ('Sendrecv_typed', 'Sendrecv([arr, MPI.DOUBLE])', 1700),
    ('Isend_Recv_Wait', 'Isend + Recv + Wait', 2800),
    ('isend_recv_wait_dict', 'isend + recv + wait (small dict)', 4000),
    ('Allreduce', 'Allreduce(1 float64 array)', 2000),
    ('allreduce_int', 'allreduce(int)', 2000),
    ('bcast_list', 'bcast(small list)', 2000),
]


def callgrind(cmd, n, workdir, tag):
    """Run cmd under callgrind with a dump at every MPI_Wtick; return ({case: per-call}, {case: why})."""
    out = os.path.join(workdir, tag + '.out')
    proc = subprocess.run(['valgrind', '--tool=callgrind', '--callgrind-out-file=' + out,
                           '--dump-before=*MPI_Wtick'] + cmd,
                          capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        sys.exit(f'{" ".join(cmd)} under callgrind failed ({proc.returncode}):\n{proc.stderr[-3000:]}')
    totals = []
    for k in range(1, 1000):
        path = f'{out}.{k}'
        if not os.path.exists(path):
            break
        with open(path) as f:
            totals.append(next(int(line.split()[1]) for line in f if line.startswith('totals:')))
    per_call, missing = {}, {}
    k = 0  # dumps come in threes per case that ran: (before, N, 11N)
    for line in proc.stdout.splitlines():
        name, _, rest = line.partition(' ')
        if rest == 'ok':
            i_n, i_11n = totals[k + 1], totals[k + 2]
            per_call[name] = (i_11n - i_n) / (10 * n)
            k += 3
        else:
            missing[name] = rest
    return per_call, missing


def main():
    python_mpi, script, cprog = sys.argv[1:4]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    if not shutil.which('valgrind'):
        print('callgrind: n/a (valgrind missing: apt-get install valgrind)')
        return
    sizes = [len(pickle.dumps(o, pickle.HIGHEST_PROTOCOL))
             for o in ({'a': 1, 'b': 2.5, 'c': 'x'}, 1, [1, 2, 3])]
    with tempfile.TemporaryDirectory(prefix='callgrind-') as tmp:
        py, py_missing = callgrind([python_mpi, script, str(n)], n, tmp, 'py')
        c, _ = callgrind([cprog, str(n)] + [str(s) for s in sizes], n, tmp, 'c')
    py_empty, c_empty = py.get('empty', 0.0), c.get('empty', 0.0)
    level = os.environ.get('MPI4PY_RC_THREAD_LEVEL', 'multiple')
    print(f'instructions per call (callgrind, COMM_SELF, N={n} and 11N; empty loop subtracted: '
          f'Python {py_empty:.0f}, C {c_empty:.0f}; both at thread level {level})')
    print(f'{"case":34} {"Python":>9} {"C":>7} {"overhead":>9} {"target":>7}')
    for name, text, target in CASES:
        if name not in py:
            why = py_missing.get(name, 'did not run')
            print(f'{text:34} {"n/a (" + why + ")":>9}')
            continue
        p = py[name] - py_empty
        q = c[name] - c_empty
        flag = '' if p - q <= target else '  over'
        print(f'{text:34} {p:9.0f} {q:7.0f} {p - q:9.0f} {target:7d}{flag}')


if __name__ == '__main__':
    main()
