# Shared by ./setup and ./check. Idempotent: installs only missing packages, configures only once.
# g++, cython3, swig, gfortran, python3-setuptools (numpy.f2py), python3-cffi: tests/test_capi.py
PACKAGES="mpich libmpich-dev python3-dev python3-numpy autoconf automake libtool cmake pkg-config make gcc valgrind g++ cython3 swig gfortran python3-setuptools python3-cffi xz-utils"

install_packages() {
    missing=""
    for p in $PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    echo "== installing:$missing"
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
}

build() {
    [ -x configure ] || autoreconf -fi
    [ -f Makefile ] || ./configure
    make -j2
}

# Dynamic processes need an MPICH that can spawn; Debian's is built for ch4:ucx, which cannot.
# tests/mpich-dynproc.sh builds one (ch3:nemesis) once into a cache outside the work tree; then
# python-mpi is built against it in _build-ch3/ (the sources exported with `make distdir`, since
# automake refuses a VPATH build of a source tree that is itself configured) and the tests whose
# names match DYNPROC_TESTS run there, with that MPICH's mpiexec.
DYNPROC_TESTS='dynproc|spawn|optional|futures'
MPICH_DYNPROC_PREFIX=${MPICH_DYNPROC_PREFIX:-/var/cache/python-mpi/mpich-4.0.2-ch3}
export MPICH_DYNPROC_PREFIX

build_dynproc() {
    tests/mpich-dynproc.sh
    mkdir -p _build-ch3/build
    # distdir copies with timestamps kept, so the build below stays incremental.
    make -s distdir distdir=_build-ch3/src >/dev/null
    (cd _build-ch3/build &&
     { [ -f Makefile ] || ../src/configure -q --with-mpicc="$MPICH_DYNPROC_PREFIX/bin/mpicc"; } &&
     make -s -j2)
}

check_dynproc() {
    make -s -C _build-ch3/build check CTEST_FLAGS="-R '$DYNPROC_TESTS'"
}
