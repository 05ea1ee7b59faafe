"""The bad-input sweep's driver (plain Python): runs the cases of cases.py in python-mpi child
processes (one rank each, a batch of cases per child) and classifies every case as
ok / clean exception / crash (a signal, an abort, an exit without a Python exception) / hang.

    python3 tests/sweep/sweep.py [--long] [--python-mpi PATH] [--only REGEX] [--hang SECONDS]

The short form (default) runs every STRIDE-th case, the long form all of them. A child prints
'S i' before and 'R i result' after each case; when it dies or stops printing for --hang
seconds, the case it had started is the culprit: a crash is run again alone to confirm (one
that only shows after earlier cases is reported with the batch prefix), then the batch goes on
after it. A failure after the last case (at MPI_Finalize) is searched for by halving the batch.
Hangs in EXPLAINED_HANGS are real MPI semantics, not bugs; every other hang counts.
SWEEP_LOCK=/path: hold that lock file (flock) while children run, at most a minute at a time.
"""
import argparse
import fcntl
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, 'cases.py')
STRIDE = 23  # the short form: a few thousand cases spread over every callable

RECV_LIKE = r'(Comm|Intracomm|Topocomm|Cartcomm|Graphcomm|Distgraphcomm|Message)\.' \
            r'([Rr]ecv|[Pp]robe|[Mm]probe|[Ss]endrecv|Sendrecv_replace|Mrecv|recv)'
# (pattern on the case's description, reason). A hang is explained when its case matches.
EXPLAINED_HANGS = [
    (RECV_LIKE + r' on \w+: (source|tag|recvtag|sendtag|dest)=(zero|neg|huge31|any_tag|'
     r'tag_ub_plus|rank_1|float|proc_null|root_const|undefined|any_source|None)$',
     'a blocking receive or probe whose source/tag no pending message matches waits forever '
     '(one process, only the one message of tag 0 the case sent itself); in a sendrecv whose '
     'send goes to PROC_NULL or whose receive is from PROC_NULL, the other half waits: with '
     'ch4:ucx a send to oneself completes only when it is received'),
    (r'Message\.([Pp]robe|[Mm]probe) on message: (valid|extra|(source|tag)=(zero|rank_1|'
     r'any_source|any_tag|float|bottom)|status=None)$',
     'Message.Probe/Mprobe probe their comm argument, COMM_SELF, where no message was sent'),
    (r'Win\.Start on win\w*: (valid|extra|assertion=)',
     'Start may wait for the Post of its targets (MPICH does), and no process posts'),
    (r'File\.Preallocate on file: size=huge31$',
     'preallocating 2 GiB writes 2 GiB to the file: real work, longer than the hang limit'),
    (RECV_LIKE + r' on \w+: (status|buf|recvbuf)=',
     'a blocking receive or probe of a message sent by nobody (the value replaced takes the '
     'place of an argument the pending message is matched by)'),
]


def explained(desc):
    for pattern, reason in EXPLAINED_HANGS:
        if re.match(pattern, desc):
            return reason
    return None


class Lock:
    """The shared machine's lock, held across children for up to HOLD seconds at a time."""
    HOLD = 60

    def __init__(self, path):
        self.path, self.fd, self.since = path, None, 0

    def __enter__(self):
        if self.path and self.fd is None:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            fcntl.flock(self.fd, fcntl.LOCK_EX)
            self.since = time.time()

    def __exit__(self, *exc):
        if self.fd is not None and time.time() - self.since > self.HOLD:
            self.release()

    def release(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class Sweep:
    def __init__(self, python_mpi, hang, workdir, lock):
        self.python_mpi, self.hang, self.workdir = python_mpi, hang, workdir
        self.lock = Lock(lock)
        self.progress = False
        self.results = {}    # index -> 'ok' | 'exc Name' | 'crash ...' | 'hang'
        self.notes = {}      # index -> detail of a failure

    def child(self, args, stdin=b''):
        with self.lock:
            p = subprocess.run([self.python_mpi, CASES] + args, input=stdin, cwd=self.workdir,
                               capture_output=True, timeout=600)
        if p.returncode != 0:
            sys.exit('sweep: %s %s failed:\n%s' % (self.python_mpi, args[0], p.stderr.decode()))
        return p.stdout.decode()

    def run_batch(self, indices):
        """Runs the indices in one child. Returns (done, culprit, failure, finalize_failure):
        done: results of the cases that finished; culprit: index the child died or hung in."""
        done, started = {}, None
        errf = tempfile.TemporaryFile()
        with self.lock:
            p = subprocess.Popen([self.python_mpi, CASES, 'run'], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=errf, cwd=self.workdir,
                                 start_new_session=True)
            p.stdin.write(' '.join(map(str, indices)).encode())
            p.stdin.close()
            buf, hung, ended = b'', False, False
            while True:
                r, _, _ = select.select([p.stdout], [], [], self.hang)
                if not r:
                    hung = True
                    os.killpg(p.pid, signal.SIGKILL)
                    break
                chunk = os.read(p.stdout.fileno(), 65536)
                if not chunk:
                    break
                buf += chunk
                *lines, buf = buf.split(b'\n')
                for line in lines:
                    f = line.decode().split(None, 2)
                    if f[0] == 'S':
                        started = int(f[1])
                    elif f[0] == 'R':
                        done[int(f[1])] = f[2]
                        started = None
                    elif f[0] == 'END':
                        ended = True
            try:
                rc = p.wait(timeout=self.hang if not hung else 30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                rc, hung = p.wait(), True
        errf.seek(0)
        tail = ' | '.join(errf.read().decode(errors='replace').strip().splitlines()[-3:])
        p.stdout.close()
        if hung:
            failure = 'hang'
        elif rc < 0:
            failure = 'crash signal %s' % signal.Signals(-rc).name
        elif rc != 0 or not ended:
            failure = 'crash exit status %d' % rc
        else:
            failure = None
        if failure and started is None and ended:
            return done, None, None, (failure, tail)
        return done, started, (failure, tail) if failure else None, None

    def run(self, indices, batch):
        todo = list(indices)
        while todo:
            chunk, todo = todo[:batch], todo[batch:]
            done, culprit, failure, at_exit = self.run_batch(chunk)
            self.results.update(done)
            if self.progress:
                print('sweep: %d done, %d to go' % (len(self.results), len(todo)), file=sys.stderr)
            if at_exit:
                self.find_exit_culprits(chunk, at_exit)
            if culprit is not None:
                k = chunk.index(culprit)
                self.pinpoint(culprit, failure, chunk[:k])
                todo = chunk[k + 1:] + todo
            elif failure and not at_exit:  # died between cases: the rest of the batch again
                rest = [i for i in chunk if i not in done]
                if len(rest) == len(chunk):  # not even one case: it cannot start at all
                    for i in rest:
                        self.results[i], self.notes[i] = failure[0] + ' at start', failure[1]
                    rest = []
                todo = rest + todo

    def pinpoint(self, i, failure, before):
        if self.progress:
            print('sweep: %s in case %d' % (failure[0], i), file=sys.stderr)
        if failure[0] == 'hang':  # no progress for --hang seconds: not worth as long again
            self.results[i], self.notes[i] = failure
            return
        done, culprit, alone, at_exit = self.run_batch([i])
        if culprit == i:
            self.results[i], self.notes[i] = alone[0], alone[1]
        elif at_exit:
            self.results[i], self.notes[i] = at_exit[0] + ' at exit', at_exit[1]
        else:
            self.results[i] = failure[0]
            self.notes[i] = 'only after cases %s: %s' % (before[-5:], failure[1])

    def find_exit_culprits(self, chunk, at_exit):
        """The child finished its cases but failed at exit: halve until single cases fail."""
        if len(chunk) == 1:
            self.results[chunk[0]] = at_exit[0] + ' at exit'
            self.notes[chunk[0]] = at_exit[1]
            return
        for half in (chunk[:len(chunk) // 2], chunk[len(chunk) // 2:]):
            done, culprit, failure, sub = self.run_batch(half)
            if sub:
                self.find_exit_culprits(half, sub)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--long', action='store_true', help='every case (default: every %dth)' % STRIDE)
    ap.add_argument('--python-mpi', default=os.environ.get('PYTHON_MPI', 'python-mpi'))
    ap.add_argument('--only', help='regex on the case descriptions')
    ap.add_argument('--hang', type=float, default=10.0, help='seconds without progress = hang')
    ap.add_argument('--batch', type=int, default=400)
    ap.add_argument('-v', '--verbose', action='store_true', help='also list explained hangs')
    opts = ap.parse_args()
    python_mpi = os.path.abspath(opts.python_mpi) if os.sep in opts.python_mpi else opts.python_mpi
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix='sweep-') as tmp:
        sweep = Sweep(python_mpi, opts.hang, tmp, os.environ.get('SWEEP_LOCK'))
        listing = sweep.child(['list']).splitlines()
        desc = dict(line.split(' ', 1) for line in listing)
        desc = {int(k): v for k, v in desc.items()}
        indices = sorted(desc) if opts.long else sorted(desc)[::STRIDE]
        if opts.only:
            indices = [i for i in indices if re.search(opts.only, desc[i])]
        sweep.progress = opts.verbose
        sweep.run(indices, opts.batch)
        sweep.lock.release()
    res = sweep.results
    crashes = sorted(i for i in res if res[i].startswith('crash'))
    hangs = sorted(i for i in res if res[i] == 'hang')
    unexplained = [i for i in hangs if not explained(desc[i])]
    exceptions = sum(1 for i in res if res[i].startswith('exc'))
    for i in crashes + unexplained:
        print('%-28s %6d %s  [%s]' % (res[i], i, desc[i], sweep.notes.get(i, '')))
    if opts.verbose:
        for i in hangs:
            if i not in unexplained:
                print('explained hang %6d %s: %s' % (i, desc[i], explained(desc[i])))
    missing = len(indices) - len(res)
    print('sweep: %d cases, %d crashes, %d unexplained hangs, %d explained hangs '
          '(%d clean exceptions, %d ok%s) in %.0f s'
          % (len(indices), len(crashes), len(unexplained), len(hangs) - len(unexplained),
             exceptions, len(res) - exceptions - len(crashes) - len(hangs),
             ', %d not run' % missing if missing else '', time.time() - t0))
    return 1 if crashes or unexplained or missing else 0


if __name__ == '__main__':
    sys.exit(main())
