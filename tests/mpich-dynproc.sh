#!/bin/sh
# Builds a spawn-capable MPICH (ch3:nemesis) from Debian's source package into a cache prefix, once.
# Debian's own MPICH is built for ch4:ucx, which has no dynamic processes (issue 11); this second MPI
# exists only so that the tests can exercise Spawn, ports and Join.
#
#   tests/mpich-dynproc.sh            build if $MPICH_DYNPROC_PREFIX/READY is missing, else nothing
#
# MPICH_DYNPROC_PREFIX (default /var/cache/python-mpi/mpich-4.0.2-ch3) is the install prefix;
# READY inside it is touched last, so its presence means a complete install.
# The system's apt configuration is left untouched: the deb-src entry, the package lists and the
# downloaded source live in a private directory beside the prefix.
set -e
PREFIX=${MPICH_DYNPROC_PREFIX:-/var/cache/python-mpi/mpich-4.0.2-ch3}
WORK=${PREFIX}.work
[ -f "$PREFIX/READY" ] && exit 0

echo "== building spawn-capable MPICH into $PREFIX (once; about 10 minutes)"
rm -rf "$WORK" "$PREFIX"
mkdir -p "$WORK/apt/sources.list.d" "$WORK/apt/lists/partial" "$WORK/apt/cache/archives/partial" "$WORK/src"

# Debian's binary sources, turned into source entries. deb822 files keep one stanza per blank-line
# separated block, so only the Types line changes.
sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/*.sources > "$WORK/apt/sources.list.d/src.sources"
APT="-o Dir::Etc::sourcelist=/dev/null -o Dir::Etc::sourceparts=$WORK/apt/sources.list.d
     -o Dir::State::Lists=$WORK/apt/lists -o Dir::Cache=$WORK/apt/cache -o APT::Sandbox::User=root"
# shellcheck disable=SC2086
apt-get $APT -qq update
# The orig tarball is MPICH's release as shipped (configure included); Debian's patches are
# packaging matters for its ch4:ucx build and are not needed here, so dpkg-source is not involved.
# shellcheck disable=SC2086
(cd "$WORK/src" && apt-get $APT -qq source --download-only mpich)
tar -C "$WORK/src" -xf "$WORK"/src/mpich_*.orig.tar.*
SRC=$(ls -d "$WORK"/src/mpich-*/ | head -n 1)

mkdir -p "$WORK/build"
cd "$WORK/build"
# Lean: no Fortran or C++ bindings, no docs; dataloop instead of the yaksa engine, whose generated
# pack kernels are most of MPICH's build time and which ch3 does not need.
"$SRC/configure" --prefix="$PREFIX" \
    --with-device=ch3:nemesis --with-pm=hydra \
    --disable-fortran --disable-cxx --disable-doc \
    --with-datatype-engine=dataloop \
    --enable-fast=O2 --enable-g=none --disable-dependency-tracking \
    > "$WORK/configure.log" 2>&1 || { tail -n 40 "$WORK/configure.log"; exit 1; }
nice make -j2 > "$WORK/make.log" 2>&1 || { tail -n 60 "$WORK/make.log"; exit 1; }
make install > "$WORK/install.log" 2>&1 || { tail -n 40 "$WORK/install.log"; exit 1; }
cd /
rm -rf "$WORK"
touch "$PREFIX/READY"
echo "== MPICH ready in $PREFIX"
