# bench.mk: `make bench` runs it in $(BUILDDIR)/bench/_build with SRCDIR, BUILDDIR, CC (mpicc),
# MPIEXEC and PYTHON set by Makefile.am. Prints numbers only; nothing asserts a timing.
#   pingpong   C (mpicc) vs python-mpi Send/Recv ping-pong, 8 B ... 64 MiB, 2 ranks
#   colllat    C vs python-mpi latency of small collectives (Barrier, Allreduce, allreduce, bcast)
#   callgrind  instructions per call, python-mpi vs C, under valgrind --tool=callgrind
#   interp     pure-Python workloads, python-mpi vs $(PYTHON): wall time and instructions
#   dynproc    spawn latency and MPIPoolExecutor throughput (needs a spawn-capable MPI: run it
#              in _build-ch3/build; not part of `all`)
PYTHON ?= /usr/bin/python3.11
CALLGRIND_N ?= 1000
PINGPONG_MAX ?= 67108864
B = $(SRCDIR)/bench

all: pingpong colllat callgrind interp

pingpong_c: $(B)/pingpong.c $(B)/threadlevel.h
	$(CC) -O2 -o $@ $<

colllat_c: $(B)/colllat.c $(B)/threadlevel.h
	$(CC) -O2 -o $@ $<

callcost_c: $(B)/callcost.c $(B)/threadlevel.h
	$(CC) -O2 -o $@ $<

pingpong: pingpong_c
	timeout 600 $(PYTHON) $(B)/compare_pingpong.py $(MPIEXEC) ./pingpong_c $(BUILDDIR)/python-mpi $(B)/pingpong.py $(PINGPONG_MAX)

colllat: colllat_c
	timeout 600 sh $(B)/compare_colllat.sh $(MPIEXEC) ./colllat_c $(BUILDDIR)/python-mpi $(B)/colllat.py

callgrind: callcost_c
	timeout 900 $(PYTHON) $(B)/callgrind.py $(BUILDDIR)/python-mpi $(B)/callcost.py ./callcost_c $(CALLGRIND_N)

interp:
	timeout 900 $(PYTHON) $(B)/interp.py $(BUILDDIR)/python-mpi $(PYTHON)

dynproc:
	timeout 600 $(MPIEXEC) -n 1 $(BUILDDIR)/python-mpi $(B)/dynproc.py

.PHONY: all pingpong colllat callgrind interp dynproc
