# Shared by ./setup and ./check. Idempotent: installs only missing packages, configures only once.
# g++, cython3, swig, gfortran, python3-setuptools (numpy.f2py), python3-cffi: tests/test_capi.py
PACKAGES="mpich libmpich-dev python3-dev python3-numpy autoconf automake libtool cmake pkg-config make gcc valgrind g++ cython3 swig gfortran python3-setuptools python3-cffi"

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
