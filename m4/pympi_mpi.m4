# PYMPI_FIND_MPI: choose the MPI compiler wrapper as CC.
# --with-mpicc=PATH overrides; otherwise mpicc on PATH; otherwise the plain C
# compiler with the flags of `pkg-config mpich`.
AC_DEFUN([PYMPI_FIND_MPI], [
  AC_ARG_WITH([mpicc],
    [AS_HELP_STRING([--with-mpicc=PATH], [MPI C compiler wrapper (default: mpicc on PATH)])],
    [pympi_mpicc=$withval], [pympi_mpicc=])
  AS_IF([test -n "$pympi_mpicc"],
    [AS_IF([test -x "$pympi_mpicc" || command -v "$pympi_mpicc" >/dev/null 2>&1], [],
       [AC_MSG_ERROR([--with-mpicc=$pympi_mpicc is not an executable compiler wrapper])])
     CC=$pympi_mpicc],
    [AC_PATH_PROG([pympi_mpicc_path], [mpicc])
     AS_IF([test -n "$pympi_mpicc_path"], [CC=$pympi_mpicc_path],
       [PKG_PROG_PKG_CONFIG
        AS_IF([test -n "$PKG_CONFIG" && $PKG_CONFIG --exists mpich],
          [MPI_CFLAGS=`$PKG_CONFIG --cflags mpich`
           MPI_LIBS=`$PKG_CONFIG --libs mpich`],
          [AC_MSG_ERROR([MPI not found (no mpicc, no pkg-config mpich): apt-get install mpich libmpich-dev])])])])
  AC_SUBST([MPI_CFLAGS])
  AC_SUBST([MPI_LIBS])
  dnl The mpiexec of the same MPI: beside the wrapper first (a second MPI in a prefix of its own
  dnl must not be started by the system's mpiexec), then PATH.
  pympi_mpibin=
  AS_CASE([$CC], [*/*], [pympi_mpibin=`AS_DIRNAME(["$CC"])`])
  AC_PATH_PROG([MPIEXEC], [mpiexec], [mpiexec], [$pympi_mpibin$PATH_SEPARATOR$PATH])
  dnl The other wrappers of that MPI, for mpi4py.get_config() (extension builds use them).
  AC_PATH_PROGS([MPICXX], [mpicxx mpic++], [], [$pympi_mpibin$PATH_SEPARATOR$PATH])
  AC_PATH_PROGS([MPIFORT], [mpifort mpif90], [], [$pympi_mpibin$PATH_SEPARATOR$PATH])
])

# PYMPI_CHECK_MPI: mpi.h compiles and MPI_Init_thread links.
AC_DEFUN([PYMPI_CHECK_MPI], [
  pympi_save_CPPFLAGS=$CPPFLAGS; pympi_save_LIBS=$LIBS
  CPPFLAGS="$CPPFLAGS $MPI_CFLAGS"; LIBS="$MPI_LIBS $LIBS"
  AC_MSG_CHECKING([for a working MPI library])
  AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <mpi.h>]],
      [[int p; return MPI_Init_thread(0, 0, MPI_THREAD_MULTIPLE, &p);]])],
    [AC_MSG_RESULT([yes])],
    [AC_MSG_RESULT([no])
     AC_MSG_ERROR([MPI headers or library missing ($CC cannot build an MPI program): apt-get install libmpich-dev])])
  dnl Optional functions: an MPI may declare them in mpi.h yet not provide them (MPICH built
  dnl without Fortran lacks the Fortran status conversions and the f90 datatypes). Each one found
  dnl defines HAVE_<NAME>; the module raises NotImplementedError for a missing one, as mpi4py does.
  AC_CHECK_FUNCS([MPI_Status_c2f MPI_Status_f2c MPI_Type_create_f90_integer MPI_Type_create_f90_real MPI_Type_create_f90_complex])
  CPPFLAGS=$pympi_save_CPPFLAGS; LIBS=$pympi_save_LIBS
])
