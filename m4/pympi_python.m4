# PYMPI_FIND_PYTHON: the Python to embed.
# Default: Debian's /usr/bin/python3.11 with `pkg-config python3-embed`.
# --with-python=PATH: that interpreter, with flags from its own sysconfig.
# Sets PYTHON, PYTHON_VERSION, PYTHON_CFLAGS, PYTHON_LIBS, pythondir, pyexecdir.
AC_DEFUN([PYMPI_FIND_PYTHON], [
  AC_ARG_WITH([python],
    [AS_HELP_STRING([--with-python=PATH], [Python interpreter to embed (default: /usr/bin/python3.11)])],
    [pympi_python=$withval], [pympi_python=])
  PKG_PROG_PKG_CONFIG
  AS_IF([test -z "$pympi_python"],
    [AS_IF([test -x /usr/bin/python3.11], [pympi_python=/usr/bin/python3.11],
       [AC_PATH_PROGS([pympi_python], [python3.11 python3])])
     pympi_use_pkgconfig=yes],
    [pympi_use_pkgconfig=no])
  AS_IF([test -z "$pympi_python" || ! test -x "$pympi_python"],
    [AC_MSG_ERROR([Python interpreter not found: apt-get install python3-dev (or pass --with-python=PATH)])])
  PYTHON=$pympi_python
  AC_MSG_CHECKING([the version of $PYTHON])
  PYTHON_VERSION=`$PYTHON -c 'import sys; print("%d.%d" % sys.version_info[[:2]])'` ||
    AC_MSG_ERROR([$PYTHON does not run])
  AC_MSG_RESULT([$PYTHON_VERSION])
  pympi_pcver=
  AS_IF([test "$pympi_use_pkgconfig" = yes && test -n "$PKG_CONFIG"],
    [pympi_pcver=`$PKG_CONFIG --modversion python3-embed 2>/dev/null`])
  AS_IF([test -n "$pympi_pcver" && test "$pympi_pcver" = "$PYTHON_VERSION"],
    [PYTHON_CFLAGS=`$PKG_CONFIG --cflags python3-embed`
     PYTHON_LIBS=`$PKG_CONFIG --libs python3-embed`],
    [PYTHON_CFLAGS=`$PYTHON -c 'import sysconfig as s; print("-I" + s.get_path("include"))'`
     PYTHON_LIBS=`$PYTHON -c 'import sysconfig as s; v = s.get_config_var; print("-L%s -lpython%s %s %s" % (v("LIBDIR"), v("LDVERSION"), v("LIBS") or "", v("SYSLIBS") or ""))'`])
  pympi_save_CPPFLAGS=$CPPFLAGS; CPPFLAGS="$CPPFLAGS $PYTHON_CFLAGS"
  AC_CHECK_HEADER([Python.h], [],
    [AC_MSG_ERROR([Python.h for $PYTHON not found: apt-get install python3-dev])])
  CPPFLAGS=$pympi_save_CPPFLAGS
  pympi_save_LIBS=$LIBS; LIBS="$PYTHON_LIBS $LIBS"
  pympi_save_CPPFLAGS=$CPPFLAGS; CPPFLAGS="$CPPFLAGS $PYTHON_CFLAGS"
  AC_MSG_CHECKING([whether libpython can be embedded])
  AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <Python.h>]], [[return Py_RunMain();]])],
    [AC_MSG_RESULT([yes])],
    [AC_MSG_RESULT([no])
     AC_MSG_ERROR([cannot link libpython$PYTHON_VERSION: apt-get install python3-dev])])
  AC_MSG_CHECKING([for _Py_UnhandledKeyboardInterrupt])
  AC_LINK_IFELSE([AC_LANG_PROGRAM([[extern int _Py_UnhandledKeyboardInterrupt;]],
      [[return _Py_UnhandledKeyboardInterrupt;]])],
    [AC_MSG_RESULT([yes])
     AC_DEFINE([HAVE_PY_UNHANDLED_KEYBOARD_INTERRUPT], [1], [libpython exports _Py_UnhandledKeyboardInterrupt])],
    [AC_MSG_RESULT([no])])
  CPPFLAGS=$pympi_save_CPPFLAGS; LIBS=$pympi_save_LIBS
  PYMPI_STATIC_PYTHON
  AC_CACHE_CHECK([for the NumPy of $PYTHON], [pympi_cv_numpy],
    [pympi_cv_numpy=`$PYTHON -c 'import numpy; print(numpy.__version__)' 2>/dev/null || echo no`])
  AS_IF([test "$pympi_cv_numpy" = no],
    [AC_MSG_WARN([NumPy is missing for $PYTHON (apt-get install python3-numpy): NumPy tests will be skipped])])
  dnl NumPy's C headers, for the ndarray fast path of msgbuffer.c (struct layout only: no NumPy
  dnl C-API table, so importing mpi4py.MPI never imports NumPy).
  NUMPY_CFLAGS=
  AS_IF([test "$pympi_cv_numpy" != no], [
    pympi_npinc=`$PYTHON -c 'import numpy; print(numpy.get_include())' 2>/dev/null`
    pympi_save_CPPFLAGS=$CPPFLAGS; CPPFLAGS="$CPPFLAGS $PYTHON_CFLAGS -I$pympi_npinc"
    AC_CHECK_HEADER([numpy/ndarraytypes.h],
      [NUMPY_CFLAGS="-I$pympi_npinc"
       AC_DEFINE([HAVE_NUMPY_HEADERS], [1], [NumPy's C headers are available])], [],
      [[#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION]])
    CPPFLAGS=$pympi_save_CPPFLAGS])
  AC_SUBST([NUMPY_CFLAGS])
  dnl Installation directories: sysconfig's purelib/platlib under our prefix.
  pympi_prefix_expr='${prefix}'
  dnl Debian's Python searches PREFIX/lib/python3.X/dist-packages, not site-packages.
  pympi_sitedir=`$PYTHON -c '
import sysconfig as s
d = s.get_path("purelib", "posix_prefix", vars={"base": "@PFX@"})
if "deb_system" in s.get_scheme_names(): d = d.replace("site-packages", "dist-packages")
print(d)' | sed "s|@PFX@|$pympi_prefix_expr|"`
  pythondir=$pympi_sitedir
  pyexecdir=$pympi_sitedir
  AC_SUBST([PYTHON])
  AC_SUBST([PYTHON_VERSION])
  AC_SUBST([PYTHON_CFLAGS])
  AC_SUBST([PYTHON_LIBS])
  AC_SUBST([pythondir])
  AC_SUBST([pyexecdir])
  AC_SUBST([pkgpythondir], ['${pythondir}/mpi4py'])
  AC_SUBST([pkgpyexecdir], ['${pyexecdir}/mpi4py'])
])

# PYMPI_STATIC_PYTHON: link the launcher with the static libpython when there is one.
# Debian's own python3.X links libpythonX.Y.a (non-PIC, optimized); the shared libpython is PIC
# and costs 15-20 % more instructions on pure Python code. The static library needs a non-PIE
# executable, the libraries of the modules built into it (MODLIBS), and exported symbols (-E)
# so extension modules (NumPy, ssl, ctypes ...) still find the C API.
# Sets PYTHON_EXE_LIBS (what python-mpi links) and PYTHON_LINKAGE (static/shared, for the summary).
AC_DEFUN([PYMPI_STATIC_PYTHON], [
  AC_ARG_ENABLE([static-python],
    [AS_HELP_STRING([--disable-static-python], [link python-mpi with the shared libpython even when the static one exists])],
    [], [enable_static_python=auto])
  PYTHON_EXE_LIBS=$PYTHON_LIBS
  PYTHON_LINKAGE=shared
  AS_IF([test "$enable_static_python" != no], [
    pympi_pyvars=`$PYTHON -c 'import sysconfig as s, os
v = s.get_config_var
a = os.path.join(v("LIBPL") or "", v("LIBRARY") or "")
print(a if a.endswith(".a") and os.path.isfile(a) else "")
print(" ".join(dict.fromkeys(((v("MODLIBS") or "") + " " + (v("LIBS") or "") + " " + (v("SYSLIBS") or "")).split())))'`
    pympi_pya=`echo "$pympi_pyvars" | sed -n 1p`
    pympi_pymodlibs=`echo "$pympi_pyvars" | sed -n 2p`
    AC_MSG_CHECKING([whether the static libpython links])
    AS_IF([test -n "$pympi_pya"], [
      pympi_save_LIBS=$LIBS; pympi_save_CPPFLAGS=$CPPFLAGS; pympi_save_LDFLAGS=$LDFLAGS
      LIBS="$pympi_pya $pympi_pymodlibs $LIBS"; CPPFLAGS="$CPPFLAGS $PYTHON_CFLAGS"; LDFLAGS="$LDFLAGS -no-pie -Wl,-E"
      AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <Python.h>]], [[return Py_RunMain();]])],
        [PYTHON_EXE_LIBS="-Wc,-no-pie -Wl,-E $pympi_pya $pympi_pymodlibs"; PYTHON_LINKAGE="static ($pympi_pya)"])
      # An archive that keeps its link-time-optimization sections (a CPython built with
      # --with-lto; Debian strips them) is linked as CPython links its own executable, with
      # LTO: that inlining across the interpreter's files is worth about 8 % (bench/README.md).
      AS_IF([test "$PYTHON_LINKAGE" != shared && grep -a -q '\.gnu\.lto_' "$pympi_pya"], [
        LDFLAGS="$LDFLAGS -flto -fuse-linker-plugin -flto-partition=none -O3"
        AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <Python.h>]], [[return Py_RunMain();]])],
          [PYTHON_EXE_LIBS="-Wc,-flto -Wc,-fuse-linker-plugin -Wc,-flto-partition=none -Wc,-O3 $PYTHON_EXE_LIBS"
           PYTHON_LINKAGE="static, link-time optimized ($pympi_pya)"])])
      LIBS=$pympi_save_LIBS; CPPFLAGS=$pympi_save_CPPFLAGS; LDFLAGS=$pympi_save_LDFLAGS])
    AC_MSG_RESULT([$PYTHON_LINKAGE])
    AS_IF([test "$enable_static_python" = yes && test "$PYTHON_LINKAGE" = shared],
      [AC_MSG_ERROR([--enable-static-python: no static libpython that links for $PYTHON])])])
  AC_SUBST([PYTHON_EXE_LIBS])
  AC_SUBST([PYTHON_LINKAGE])
])
