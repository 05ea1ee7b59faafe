/* file.c: MPI.File, parallel I/O (MPI-IO, ROMIO in MPICH), and Register_datarep.
 *
 * MPI_File_close is collective, so a file is only closed by Close(); an object that dies with
 * its file open leaves it open (MPI_Finalize closes it). After Close() the handle is FILE_NULL
 * and every call raises MPI.Exception(ERR_FILE) before MPI is called.
 *
 * The thirty data-access methods are generated from one table of macros below: explicit offsets
 * (_at), individual file pointer (plain) and shared file pointer (_shared/_ordered); blocking,
 * non-blocking (I..., a Request keeping the buffer alive) and split collective (_begin/_end: the
 * buffer is kept pinned from _begin to _end, in a table keyed by the file handle: mpi4py 3.1's
 * object layout has no field for it). Blocking calls release the GIL.
 * Files opened here get MPI_ERRORS_RETURN explicitly (MPI's default for files already). */
#include "pympi.h"

PYMPI_DEFINE_KIND(File, MPI_File, MPI_FILE_NULL, MPI_File);

#define H(o) (((PyMPIFileObject *)(o))->ob_mpi)
#define FASTKW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS
#define CLASSKW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS | METH_CLASS

/* Pinned buffers of pending split collectives: {file handle: buffer}. The entry goes at _end or
 * Close(); dropping the File object (never closed here: collective) leaves it pinned. */
static PyObject *split_bufs;

/* Keep `keep` (stolen) for the split collective of fh, or with keep NULL release it. 0/-1. */
static int split_keep(MPI_File fh, PyObject *keep)
{
    PyObject *key = PyBytes_FromStringAndSize((const char *)&fh, sizeof(fh)); /* the handle's bytes */
    if (!key) { Py_XDECREF(keep); return -1; }
    int rc = 0;
    if (keep) rc = PyDict_SetItem(split_bufs, key, keep);
    else if (PyDict_DelItem(split_bufs, key) < 0) PyErr_Clear(); /* none pending */
    Py_DECREF(key);
    Py_XDECREF(keep);
    return rc;
}

static int file_check(PyObject *self)
{
    if (H(self) == MPI_FILE_NULL) return pympi_raise(MPI_ERR_FILE);
    return 0;
}
#define CHECK(self) if (file_check(self) < 0) return NULL

/* ---- open, close, delete -------------------------------------------------- */
static PyObject *file_Open(PyObject *cls, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"comm", "filename", "amode", "info", NULL};
    PyObject *a[4];
    MPI_Comm comm;
    int amode, ierr;
    MPI_Info info;
    MPI_File fh = MPI_FILE_NULL;
    if (pympi_parse("Open", kwlist, 2, args, nargs, kw, a) < 0 || pympi_as_comm(a[0], &comm) < 0 ||
        pympi_int(a[2], MPI_MODE_RDONLY, &amode) < 0 || pympi_as_info(a[3], MPI_INFO_NULL, &info) < 0)
        return NULL;
    PyObject *bytes = NULL;
    if (!PyUnicode_Check(a[1]) && !PyBytes_Check(a[1]) && !PyObject_HasAttrString(a[1], "__fspath__"))
        return PyErr_Format(PyExc_TypeError, "filename must be str or path-like, not '%.200s'", Py_TYPE(a[1])->tp_name);
    if (!PyUnicode_FSConverter(a[1], &bytes)) return NULL;
    const char *filename = PyBytes_AS_STRING(bytes);
    PYMPI_NOGIL(ierr = MPI_File_open(comm, (char *)filename, amode, info, &fh));
    Py_DECREF(bytes);
    if (CHKERR(ierr)) return NULL;
    MPI_File_set_errhandler(fh, MPI_ERRORS_RETURN);
    PyTypeObject *tp = PyType_IsSubtype((PyTypeObject *)cls, &PyMPIFile_Type) ? (PyTypeObject *)cls : &PyMPIFile_Type;
    return pympi_handle_new(tp, &fh, PYMPI_OWNED);
}

static PyObject *file_Close(PyObject *self, PyObject *u)
{
    PyMPIFileObject *f = (PyMPIFileObject *)self;
    int ierr;
    CHECK(self);
    MPI_File fh = f->ob_mpi;
    PYMPI_NOGIL(ierr = MPI_File_close(&f->ob_mpi));
    if (CHKERR(ierr)) return NULL;
    split_keep(fh, NULL);
    Py_RETURN_NONE;
}

static PyObject *file_Delete(PyObject *cls, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"filename", "info", NULL};
    PyObject *a[2], *bytes = NULL;
    MPI_Info info;
    int ierr;
    if (pympi_parse("Delete", kwlist, 1, args, nargs, kw, a) < 0 || pympi_as_info(a[1], MPI_INFO_NULL, &info) < 0)
        return NULL;
    if (!PyUnicode_FSConverter(a[0], &bytes)) return NULL;
    PYMPI_NOGIL(ierr = MPI_File_delete(PyBytes_AS_STRING(bytes), info));
    Py_DECREF(bytes);
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_NONE;
}

/* ---- size, amode, group, info, atomicity ----------------------------------- */
static PyObject *file_Get_size(PyObject *self, PyObject *u)
{
    MPI_Offset size = 0;
    CHECK(self);
    if (CHKERR(MPI_File_get_size(H(self), &size))) return NULL;
    return PyLong_FromLongLong(size);
}

static PyObject *offset_call(PyObject *self, PyObject *arg, int (*fn)(MPI_File, MPI_Offset), const char *what)
{
    MPI_Offset v;
    int ierr;
    CHECK(self);
    if (pympi_offset(arg, 0, &v) < 0) return NULL;
    if (v < 0) return PyErr_Format(PyExc_ValueError, "%s: negative size %lld", what, (long long)v);
    PYMPI_NOGIL(ierr = fn(H(self), v));
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_NONE;
}
static PyObject *file_Set_size(PyObject *self, PyObject *arg) { return offset_call(self, arg, MPI_File_set_size, "Set_size"); }
static PyObject *file_Preallocate(PyObject *self, PyObject *arg) { return offset_call(self, arg, MPI_File_preallocate, "Preallocate"); }

static PyObject *file_Get_amode(PyObject *self, PyObject *u)
{
    int amode = 0;
    CHECK(self);
    if (CHKERR(MPI_File_get_amode(H(self), &amode))) return NULL;
    return PyLong_FromLong(amode);
}

static PyObject *file_Get_group(PyObject *self, PyObject *u)
{
    MPI_Group g;
    CHECK(self);
    if (CHKERR(MPI_File_get_group(H(self), &g))) return NULL;
    return pympi_group_new(g);
}

static PyObject *file_Get_info(PyObject *self, PyObject *u)
{
    MPI_Info info;
    CHECK(self);
    if (CHKERR(MPI_File_get_info(H(self), &info))) return NULL;
    return pympi_info_new(info);
}

static PyObject *file_Set_info(PyObject *self, PyObject *arg)
{
    MPI_Info info;
    int ierr;
    CHECK(self);
    if (pympi_as_info(arg, MPI_INFO_NULL, &info) < 0) return NULL;
    PYMPI_NOGIL(ierr = MPI_File_set_info(H(self), info));
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_NONE;
}

static PyObject *file_Get_atomicity(PyObject *self, PyObject *u)
{
    int flag = 0;
    CHECK(self);
    if (CHKERR(MPI_File_get_atomicity(H(self), &flag))) return NULL;
    return PyBool_FromLong(flag);
}

static PyObject *file_Set_atomicity(PyObject *self, PyObject *arg)
{
    int flag, ierr;
    CHECK(self);
    if (pympi_bool(arg, 0, &flag) < 0) return NULL;
    PYMPI_NOGIL(ierr = MPI_File_set_atomicity(H(self), flag));
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_NONE;
}

static PyObject *file_Sync(PyObject *self, PyObject *u)
{
    int ierr;
    CHECK(self);
    PYMPI_NOGIL(ierr = MPI_File_sync(H(self)));
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_NONE;
}

static PyObject *file_Get_type_extent(PyObject *self, PyObject *arg)
{
    MPI_Datatype t;
    MPI_Aint extent = 0;
    CHECK(self);
    if (pympi_as_datatype(arg, &t) < 0) return NULL;
    if (CHKERR(MPI_File_get_type_extent(H(self), t, &extent))) return NULL;
    return PyLong_FromSsize_t(extent);
}

/* ---- views -------------------------------------------------------------- */
static int is_named(MPI_Datatype t)
{
    int ni, na, nd, combiner = MPI_COMBINER_NAMED;
    if (MPI_Type_get_envelope(t, &ni, &na, &nd, &combiner) != MPI_SUCCESS) return 1;
    return combiner == MPI_COMBINER_NAMED;
}

static PyObject *view_type(MPI_Datatype t)
{
    if (is_named(t)) return pympi_datatype_ref(t);
    return pympi_datatype_new(t, PYMPI_OWNED);
}

/* ROMIO flattens a named datatype as contiguous; on a named pair type (MPI_DOUBLE_INT ...),
 * which has a hole, it calls MPI_Abort. Derived types built from them are flattened fine. */
static int romio_type_check(MPI_Datatype t)
{
    if (t == MPI_FLOAT_INT || t == MPI_DOUBLE_INT || t == MPI_LONG_INT || t == MPI_SHORT_INT ||
        t == MPI_LONG_DOUBLE_INT)
        return pympi_raise(MPI_ERR_TYPE);
    return 0;
}

static PyObject *file_Set_view(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"disp", "etype", "filetype", "datarep", "info", NULL};
    PyObject *a[5];
    MPI_Offset disp;
    MPI_Datatype etype = MPI_BYTE, filetype;
    MPI_Info info;
    const char *datarep = "native";
    int ierr;
    CHECK(self);
    if (pympi_parse("Set_view", kwlist, 0, args, nargs, kw, a) < 0 || pympi_offset(a[0], 0, &disp) < 0 ||
        (a[1] && pympi_as_datatype(a[1], &etype) < 0) || pympi_as_info(a[4], MPI_INFO_NULL, &info) < 0)
        return NULL;
    filetype = etype;
    if (a[2] && a[2] != Py_None && pympi_as_datatype(a[2], &filetype) < 0) return NULL;
    if (a[3] && !(datarep = pympi_str(a[3], "datarep"))) return NULL;
    if (romio_type_check(etype) < 0 || romio_type_check(filetype) < 0) return NULL;
    PYMPI_NOGIL(ierr = MPI_File_set_view(H(self), disp, etype, filetype, (char *)datarep, info));
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_NONE;
}

static PyObject *file_Get_view(PyObject *self, PyObject *u)
{
    MPI_Offset disp = 0;
    MPI_Datatype etype, filetype;
    char datarep[MPI_MAX_DATAREP_STRING + 1] = "";
    CHECK(self);
    if (CHKERR(MPI_File_get_view(H(self), &disp, &etype, &filetype, datarep))) return NULL;
    PyObject *e = view_type(etype), *f = view_type(filetype);
    if (!e || !f) { Py_XDECREF(e); Py_XDECREF(f); return NULL; }
    return Py_BuildValue("(LNNs)", (long long)disp, e, f, datarep);
}

/* ---- positions ------------------------------------------------------------ */
static PyObject *seek(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw, int shared)
{
    static const char *const kwlist[] = {"offset", "whence", NULL};
    PyObject *a[2];
    MPI_Offset offset;
    int whence, ierr;
    CHECK(self);
    if (pympi_parse(shared ? "Seek_shared" : "Seek", kwlist, 1, args, nargs, kw, a) < 0 ||
        pympi_offset(a[0], 0, &offset) < 0 || pympi_int(a[1], MPI_SEEK_SET, &whence) < 0)
        return NULL;
    if (shared) PYMPI_NOGIL(ierr = MPI_File_seek_shared(H(self), offset, whence));
    else PYMPI_NOGIL(ierr = MPI_File_seek(H(self), offset, whence));
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_NONE;
}
static PyObject *file_Seek(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return seek(s, a, n, k, 0); }
static PyObject *file_Seek_shared(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return seek(s, a, n, k, 1); }

static PyObject *file_Get_position(PyObject *self, PyObject *u)
{
    MPI_Offset off = 0;
    CHECK(self);
    if (CHKERR(MPI_File_get_position(H(self), &off))) return NULL;
    return PyLong_FromLongLong(off);
}

static PyObject *file_Get_position_shared(PyObject *self, PyObject *u)
{
    MPI_Offset off = 0;
    int ierr;
    CHECK(self);
    PYMPI_NOGIL(ierr = MPI_File_get_position_shared(H(self), &off));
    if (CHKERR(ierr)) return NULL;
    return PyLong_FromLongLong(off);
}

static PyObject *file_Get_byte_offset(PyObject *self, PyObject *arg)
{
    MPI_Offset off, disp = 0;
    CHECK(self);
    if (pympi_offset(arg, 0, &off) < 0) return NULL;
    if (CHKERR(MPI_File_get_byte_offset(H(self), off, &disp))) return NULL;
    return PyLong_FromLongLong(disp);
}

/* ---- data access ------------------------------------------------------------ */
static int io_buf(PyObject *spec, int write, pympi_msg *m, int *count)
{
    *m = (pympi_msg)PYMPI_MSG_INIT;
    if (pympi_msg_get(spec, write ? PYMPI_SEND : PYMPI_RECV, m) < 0) return -1;
    if (romio_type_check(m->type) < 0) {
        pympi_msg_release(m);
        return -1;
    }
    if (!PYMPI_FITS_INT(m->count)) {
        PyErr_Format(PyExc_OverflowError, "buffer: count %lld does not fit an int", (long long)m->count);
        pympi_msg_release(m);
        return -1;
    }
    *count = (int)m->count;
    return 0;
}

typedef int (*io_at_fn)(MPI_File, MPI_Offset, void *, int, MPI_Datatype, MPI_Status *);
typedef int (*io_fn)(MPI_File, void *, int, MPI_Datatype, MPI_Status *);
typedef int (*iio_at_fn)(MPI_File, MPI_Offset, void *, int, MPI_Datatype, MPI_Request *);
typedef int (*iio_fn)(MPI_File, void *, int, MPI_Datatype, MPI_Request *);
typedef int (*begin_at_fn)(MPI_File, MPI_Offset, void *, int, MPI_Datatype);
typedef int (*begin_fn)(MPI_File, void *, int, MPI_Datatype);
typedef int (*end_fn)(MPI_File, void *, MPI_Status *);

/* offset (or not), buffer, status: the blocking calls. */
static PyObject *io_blocking(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw,
                             const char *name, int at, int write, void (*fn)(void))
{
    static const char *const kw_at[] = {"offset", "buf", "status", NULL};
    static const char *const kw_plain[] = {"buf", "status", NULL};
    PyObject *a[3];
    MPI_Offset offset = 0;
    MPI_Status *st;
    pympi_msg m;
    int count, ierr;
    CHECK(self);
    if (pympi_parse(name, at ? kw_at : kw_plain, at ? 2 : 1, args, nargs, kw, a) < 0) return NULL;
    if (at && pympi_offset(a[0], 0, &offset) < 0) return NULL;
    if (pympi_as_status(a[at ? 2 : 1], &st) < 0 || io_buf(a[at ? 1 : 0], write, &m, &count) < 0) return NULL;
    MPI_File fh = H(self);
    if (at) PYMPI_NOGIL(ierr = ((io_at_fn)fn)(fh, offset, m.addr, count, m.type, st));
    else PYMPI_NOGIL(ierr = ((io_fn)fn)(fh, m.addr, count, m.type, st));
    pympi_msg_release(&m);
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_NONE;
}

static PyObject *io_nonblocking(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw,
                                const char *name, int at, int write, void (*fn)(void))
{
    static const char *const kw_at[] = {"offset", "buf", NULL};
    static const char *const kw_plain[] = {"buf", NULL};
    PyObject *a[2];
    MPI_Offset offset = 0;
    MPI_Request req = MPI_REQUEST_NULL;
    pympi_msg m;
    int count, ierr;
    CHECK(self);
    if (pympi_parse(name, at ? kw_at : kw_plain, at ? 2 : 1, args, nargs, kw, a) < 0) return NULL;
    if (at && pympi_offset(a[0], 0, &offset) < 0) return NULL;
    if (io_buf(a[at ? 1 : 0], write, &m, &count) < 0) return NULL;
    MPI_File fh = H(self);
    if (at) PYMPI_NOGIL(ierr = ((iio_at_fn)fn)(fh, offset, m.addr, count, m.type, &req));
    else PYMPI_NOGIL(ierr = ((iio_fn)fn)(fh, m.addr, count, m.type, &req));
    if (CHKERR(ierr)) { pympi_msg_release(&m); return NULL; }
    return pympi_request_new(&PyMPIRequest_Type, req, pympi_msg_keep(&m));
}

static PyObject *io_begin(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw,
                          const char *name, int at, int write, void (*fn)(void))
{
    static const char *const kw_at[] = {"offset", "buf", NULL};
    static const char *const kw_plain[] = {"buf", NULL};
    PyObject *a[2];
    MPI_Offset offset = 0;
    pympi_msg m;
    int count, ierr;
    CHECK(self);
    if (pympi_parse(name, at ? kw_at : kw_plain, at ? 2 : 1, args, nargs, kw, a) < 0) return NULL;
    if (at && pympi_offset(a[0], 0, &offset) < 0) return NULL;
    if (io_buf(a[at ? 1 : 0], write, &m, &count) < 0) return NULL;
    MPI_File fh = H(self);
    if (at) PYMPI_NOGIL(ierr = ((begin_at_fn)fn)(fh, offset, m.addr, count, m.type));
    else PYMPI_NOGIL(ierr = ((begin_fn)fn)(fh, m.addr, count, m.type));
    if (CHKERR(ierr)) { pympi_msg_release(&m); return NULL; }
    PyObject *keep = pympi_msg_keep(&m);
    if (!keep || split_keep(fh, keep) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *io_end(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw,
                        const char *name, int at, int write, void (*fn)(void))
{
    static const char *const kwlist[] = {"buf", "status", NULL};
    PyObject *a[2];
    MPI_Status *st;
    pympi_msg m;
    int count, ierr;
    CHECK(self);
    if (pympi_parse(name, kwlist, 1, args, nargs, kw, a) < 0 || pympi_as_status(a[1], &st) < 0) return NULL;
    if (io_buf(a[0], write, &m, &count) < 0) return NULL;
    PYMPI_NOGIL(ierr = ((end_fn)fn)(H(self), m.addr, st));
    pympi_msg_release(&m);
    if (CHKERR(ierr)) return NULL;
    split_keep(H(self), NULL);
    Py_RETURN_NONE;
}

#define IO(meth, kind, at, write, mpifn)                                                       \
    static PyObject *file_##meth(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) \
    {                                                                                          \
        return io_##kind(s, a, n, k, #meth, at, write, (void (*)(void))mpifn);                 \
    }
/* explicit offsets */
IO(Read_at, blocking, 1, 0, MPI_File_read_at)
IO(Read_at_all, blocking, 1, 0, MPI_File_read_at_all)
IO(Write_at, blocking, 1, 1, MPI_File_write_at)
IO(Write_at_all, blocking, 1, 1, MPI_File_write_at_all)
IO(Iread_at, nonblocking, 1, 0, MPI_File_iread_at)
IO(Iread_at_all, nonblocking, 1, 0, MPI_File_iread_at_all)
IO(Iwrite_at, nonblocking, 1, 1, MPI_File_iwrite_at)
IO(Iwrite_at_all, nonblocking, 1, 1, MPI_File_iwrite_at_all)
IO(Read_at_all_begin, begin, 1, 0, MPI_File_read_at_all_begin)
IO(Read_at_all_end, end, 0, 0, MPI_File_read_at_all_end)
IO(Write_at_all_begin, begin, 1, 1, MPI_File_write_at_all_begin)
IO(Write_at_all_end, end, 0, 1, MPI_File_write_at_all_end)
/* individual file pointers */
IO(Read, blocking, 0, 0, MPI_File_read)
IO(Read_all, blocking, 0, 0, MPI_File_read_all)
IO(Write, blocking, 0, 1, MPI_File_write)
IO(Write_all, blocking, 0, 1, MPI_File_write_all)
IO(Iread, nonblocking, 0, 0, MPI_File_iread)
IO(Iread_all, nonblocking, 0, 0, MPI_File_iread_all)
IO(Iwrite, nonblocking, 0, 1, MPI_File_iwrite)
IO(Iwrite_all, nonblocking, 0, 1, MPI_File_iwrite_all)
IO(Read_all_begin, begin, 0, 0, MPI_File_read_all_begin)
IO(Read_all_end, end, 0, 0, MPI_File_read_all_end)
IO(Write_all_begin, begin, 0, 1, MPI_File_write_all_begin)
IO(Write_all_end, end, 0, 1, MPI_File_write_all_end)
/* shared file pointer */
IO(Read_shared, blocking, 0, 0, MPI_File_read_shared)
IO(Write_shared, blocking, 0, 1, MPI_File_write_shared)
IO(Iread_shared, nonblocking, 0, 0, MPI_File_iread_shared)
IO(Iwrite_shared, nonblocking, 0, 1, MPI_File_iwrite_shared)
IO(Read_ordered, blocking, 0, 0, MPI_File_read_ordered)
IO(Write_ordered, blocking, 0, 1, MPI_File_write_ordered)
IO(Read_ordered_begin, begin, 0, 0, MPI_File_read_ordered_begin)
IO(Read_ordered_end, end, 0, 0, MPI_File_read_ordered_end)
IO(Write_ordered_begin, begin, 0, 1, MPI_File_write_ordered_begin)
IO(Write_ordered_end, end, 0, 1, MPI_File_write_ordered_end)

/* ---- errhandler ------------------------------------------------------------- */
static PyObject *file_Get_errhandler(PyObject *self, PyObject *u)
{
    MPI_Errhandler eh;
    if (CHKERR(MPI_File_get_errhandler(H(self), &eh))) return NULL;
    return pympi_errhandler_new(eh);
}

static PyObject *file_Set_errhandler(PyObject *self, PyObject *arg)
{
    MPI_Errhandler eh;
    if (pympi_rma_as_errhandler(arg, &eh) < 0) return NULL;
    if (CHKERR(MPI_File_set_errhandler(H(self), eh))) return NULL;
    Py_RETURN_NONE;
}

static PyObject *file_Call_errhandler(PyObject *self, PyObject *arg)
{
    int code;
    if (pympi_int(arg, 0, &code) < 0) return NULL;
    if (CHKERR(MPI_File_call_errhandler(H(self), code))) return NULL;
    Py_RETURN_NONE;
}

/* ---- properties ----------------------------------------------------------- */
static PyObject *file_size(PyObject *self, void *c) { return file_Get_size(self, NULL); }
static PyObject *file_amode(PyObject *self, void *c) { return file_Get_amode(self, NULL); }
static PyObject *file_group(PyObject *self, void *c) { return file_Get_group(self, NULL); }
static PyObject *file_info(PyObject *self, void *c) { return file_Get_info(self, NULL); }
static int file_set_info(PyObject *self, PyObject *v, void *c)
{
    if (!v) { PyErr_SetString(PyExc_AttributeError, "cannot delete info"); return -1; }
    PyObject *r = file_Set_info(self, v);
    Py_XDECREF(r);
    return r ? 0 : -1;
}
static PyObject *file_atomicity(PyObject *self, void *c) { return file_Get_atomicity(self, NULL); }
static int file_set_atomicity(PyObject *self, PyObject *v, void *c)
{
    if (!v) { PyErr_SetString(PyExc_AttributeError, "cannot delete atomicity"); return -1; }
    PyObject *r = file_Set_atomicity(self, v);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

static PyGetSetDef file_getset[] = {
    {"size", file_size, NULL, "size of the file in bytes", NULL},
    {"amode", file_amode, NULL, "access mode", NULL},
    {"group", file_group, NULL, "group of the processes that opened the file", NULL},
    {"info", file_info, file_set_info, "info hints", NULL},
    {"atomicity", file_atomicity, file_set_atomicity, "atomic mode", NULL},
    {NULL}};

#define IOM(name, doc) {#name, FASTKW(file_##name), doc}
PYMPI_ONEARG(file_Set_size_kw, file_Set_size, "Set_size", "size")
PYMPI_ONEARG(file_Preallocate_kw, file_Preallocate, "Preallocate", "size")
PYMPI_ONEARG(file_Set_info_kw, file_Set_info, "Set_info", "info")
PYMPI_ONEARG(file_Get_byte_offset_kw, file_Get_byte_offset, "Get_byte_offset", "offset")
PYMPI_ONEARG(file_Set_atomicity_kw, file_Set_atomicity, "Set_atomicity", "flag")
PYMPI_ONEARG(file_Get_type_extent_kw, file_Get_type_extent, "Get_type_extent", "datatype")
PYMPI_ONEARG(file_Set_errhandler_kw, file_Set_errhandler, "Set_errhandler", "errhandler")
PYMPI_ONEARG(file_Call_errhandler_kw, file_Call_errhandler, "Call_errhandler", "errorcode")

static PyMethodDef file_methods[] = {
    {"Open", CLASSKW(file_Open), "Open a file collectively."},
    {"Close", file_Close, METH_NOARGS, "Close the file (collective)."},
    {"Delete", CLASSKW(file_Delete), "Delete a file."},
    {"Get_size", file_Get_size, METH_NOARGS, "Size of the file in bytes."},
    {"Set_size", (PyCFunction)(void (*)(void))file_Set_size_kw, METH_FASTCALL | METH_KEYWORDS, "Resize the file (collective)."},
    {"Preallocate", (PyCFunction)(void (*)(void))file_Preallocate_kw, METH_FASTCALL | METH_KEYWORDS, "Preallocate storage (collective)."},
    {"Get_amode", file_Get_amode, METH_NOARGS, "Access mode."},
    {"Get_group", file_Get_group, METH_NOARGS, "Group of the processes that opened the file."},
    {"Get_info", file_Get_info, METH_NOARGS, "Info hints in use."},
    {"Set_info", (PyCFunction)(void (*)(void))file_Set_info_kw, METH_FASTCALL | METH_KEYWORDS, "Set info hints (collective)."},
    {"Set_view", FASTKW(file_Set_view), "Set the file view (collective)."},
    {"Get_view", file_Get_view, METH_NOARGS, "(disp, etype, filetype, datarep) of the view."},
    IOM(Read_at, "Read at an explicit offset."),
    IOM(Read_at_all, "Collective read at explicit offsets."),
    IOM(Write_at, "Write at an explicit offset."),
    IOM(Write_at_all, "Collective write at explicit offsets."),
    IOM(Iread_at, "Non-blocking read at an explicit offset."),
    IOM(Iread_at_all, "Non-blocking collective read at explicit offsets."),
    IOM(Iwrite_at, "Non-blocking write at an explicit offset."),
    IOM(Iwrite_at_all, "Non-blocking collective write at explicit offsets."),
    IOM(Read_at_all_begin, "Begin a split collective read at explicit offsets."),
    IOM(Read_at_all_end, "Complete a split collective read at explicit offsets."),
    IOM(Write_at_all_begin, "Begin a split collective write at explicit offsets."),
    IOM(Write_at_all_end, "Complete a split collective write at explicit offsets."),
    IOM(Read, "Read at the individual file pointer."),
    IOM(Read_all, "Collective read at individual file pointers."),
    IOM(Write, "Write at the individual file pointer."),
    IOM(Write_all, "Collective write at individual file pointers."),
    IOM(Iread, "Non-blocking read at the individual file pointer."),
    IOM(Iread_all, "Non-blocking collective read at individual file pointers."),
    IOM(Iwrite, "Non-blocking write at the individual file pointer."),
    IOM(Iwrite_all, "Non-blocking collective write at individual file pointers."),
    IOM(Read_all_begin, "Begin a split collective read."),
    IOM(Read_all_end, "Complete a split collective read."),
    IOM(Write_all_begin, "Begin a split collective write."),
    IOM(Write_all_end, "Complete a split collective write."),
    IOM(Read_shared, "Read at the shared file pointer."),
    IOM(Write_shared, "Write at the shared file pointer."),
    IOM(Iread_shared, "Non-blocking read at the shared file pointer."),
    IOM(Iwrite_shared, "Non-blocking write at the shared file pointer."),
    IOM(Read_ordered, "Collective read at the shared file pointer, in rank order."),
    IOM(Write_ordered, "Collective write at the shared file pointer, in rank order."),
    IOM(Read_ordered_begin, "Begin a split collective ordered read."),
    IOM(Read_ordered_end, "Complete a split collective ordered read."),
    IOM(Write_ordered_begin, "Begin a split collective ordered write."),
    IOM(Write_ordered_end, "Complete a split collective ordered write."),
    {"Seek", FASTKW(file_Seek), "Move the individual file pointer."},
    {"Seek_shared", FASTKW(file_Seek_shared), "Move the shared file pointer (collective)."},
    {"Get_position", file_Get_position, METH_NOARGS, "Individual file pointer, in etype units."},
    {"Get_position_shared", file_Get_position_shared, METH_NOARGS, "Shared file pointer, in etype units."},
    {"Get_byte_offset", (PyCFunction)(void (*)(void))file_Get_byte_offset_kw, METH_FASTCALL | METH_KEYWORDS, "Absolute byte position of a view offset."},
    {"Set_atomicity", (PyCFunction)(void (*)(void))file_Set_atomicity_kw, METH_FASTCALL | METH_KEYWORDS, "Set atomic mode (collective)."},
    {"Get_atomicity", file_Get_atomicity, METH_NOARGS, "Whether atomic mode is on."},
    {"Sync", file_Sync, METH_NOARGS, "Flush writes to storage (collective)."},
    {"Get_type_extent", (PyCFunction)(void (*)(void))file_Get_type_extent_kw, METH_FASTCALL | METH_KEYWORDS, "Extent of a datatype in the file representation."},
    {"Get_errhandler", file_Get_errhandler, METH_NOARGS, "Error handler of the file."},
    {"Set_errhandler", (PyCFunction)(void (*)(void))file_Set_errhandler_kw, METH_FASTCALL | METH_KEYWORDS, "Set the error handler of the file."},
    {"Call_errhandler", (PyCFunction)(void (*)(void))file_Call_errhandler_kw, METH_FASTCALL | METH_KEYWORDS, "Call the error handler with an error code."},
    PYMPI_HANDLE_METHODS,
    {NULL}};

PyTypeObject PyMPIFile_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mpi4py.MPI.File",
    .tp_basicsize = sizeof(PyMPIFileObject),
    .tp_methods = file_methods,
    .tp_getset = file_getset,
    .tp_doc = "File: a file opened collectively for parallel I/O."};

/* ---- Register_datarep --------------------------------------------------------- */
/* The Python functions of each registered representation live as long as the process (MPI
 * offers no way to unregister). The C callbacks take the GIL; an exception in a Python function
 * becomes the error class MPI_ERR_CONVERSION (and is printed, since MPI returns to C code). */
typedef struct {
    PyObject *read_fn, *write_fn, *extent_fn;
} datarep_state;

static PyObject *temp_datatype(MPI_Datatype t)
{
    /* Not owned: the callback's datatype belongs to MPI. */
    return pympi_datatype_new(t, 0);
}

static int datarep_conv(PyObject *fn, void *userbuf, MPI_Datatype datatype, int count, void *filebuf,
                        MPI_Offset position, int readonly_user)
{
    int rc = MPI_SUCCESS;
    PyGILState_STATE gs = PyGILState_Ensure();
    MPI_Aint lb = 0, extent = 0, size = 0;
    int tsize = 0;
    MPI_Type_get_extent(datatype, &lb, &extent);
    MPI_Type_size(datatype, &tsize);
    size = tsize;
    /* The user buffer holds count items from `position` on; the file buffer's layout is the
     * representation's: give it the size of count items in the file (at least their native size,
     * scaled by the extent function if it says larger). */
    MPI_Aint ulen = (MPI_Aint)(position + count) * extent;
    MPI_Aint flen = (MPI_Aint)count * (size > extent ? size : extent) * 2;
    PyObject *ubuf = pympi_memory_new_raw(userbuf, ulen, readonly_user);
    PyObject *fbuf = pympi_memory_new_raw(filebuf, flen, !readonly_user);
    PyObject *dt = temp_datatype(datatype);
    PyObject *r = NULL;
    if (ubuf && fbuf && dt) r = PyObject_CallFunction(fn, "OOiOL", ubuf, dt, count, fbuf, (long long)position);
    if (!r) {
        PyErr_Print();
        rc = MPI_ERR_CONVERSION;
    }
    Py_XDECREF(r);
    Py_XDECREF(ubuf);
    Py_XDECREF(fbuf);
    Py_XDECREF(dt);
    PyGILState_Release(gs);
    return rc;
}

static int datarep_read(void *userbuf, MPI_Datatype datatype, int count, void *filebuf, MPI_Offset position,
                        void *extra)
{
    return datarep_conv(((datarep_state *)extra)->read_fn, userbuf, datatype, count, filebuf, position, 0);
}

static int datarep_write(void *userbuf, MPI_Datatype datatype, int count, void *filebuf, MPI_Offset position,
                         void *extra)
{
    return datarep_conv(((datarep_state *)extra)->write_fn, userbuf, datatype, count, filebuf, position, 1);
}

static int datarep_extent(MPI_Datatype datatype, MPI_Aint *file_extent, void *extra)
{
    int rc = MPI_SUCCESS;
    PyGILState_STATE gs = PyGILState_Ensure();
    PyObject *dt = temp_datatype(datatype);
    PyObject *r = dt ? PyObject_CallOneArg(((datarep_state *)extra)->extent_fn, dt) : NULL;
    if (r) {
        Py_ssize_t v = PyLong_AsSsize_t(r);
        if (v == -1 && PyErr_Occurred()) r = (Py_DECREF(r), NULL);
        else *file_extent = v;
    }
    if (!r) {
        PyErr_Print();
        rc = MPI_ERR_CONVERSION;
    }
    Py_XDECREF(r);
    Py_XDECREF(dt);
    PyGILState_Release(gs);
    return rc;
}

static PyObject *mod_Register_datarep(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    static const char *const kwlist[] = {"datarep", "read_fn", "write_fn", "extent_fn", NULL};
    PyObject *a[4];
    if (pympi_parse("Register_datarep", kwlist, 4, args, nargs, kw, a) < 0) return NULL;
    const char *name = pympi_str(a[0], "datarep");
    if (!name) return NULL;
    for (int i = 1; i < 4; i++)
        if (a[i] != Py_None && !PyCallable_Check(a[i]))
            return PyErr_Format(PyExc_TypeError, "Register_datarep: %s must be callable or None", kwlist[i]);
    if (a[3] == Py_None) return PyErr_Format(PyExc_TypeError, "Register_datarep: extent_fn is required");
    datarep_state *st = PyMem_RawMalloc(sizeof *st);
    if (!st) return PyErr_NoMemory();
    Py_INCREF(a[1]);
    Py_INCREF(a[2]);
    Py_INCREF(a[3]);
    st->read_fn = a[1];
    st->write_fn = a[2];
    st->extent_fn = a[3];
    int ierr = MPI_Register_datarep((char *)name, a[1] == Py_None ? MPI_CONVERSION_FN_NULL : datarep_read,
                                   a[2] == Py_None ? MPI_CONVERSION_FN_NULL : datarep_write, datarep_extent, st);
    if (CHKERR(ierr)) {
        Py_DECREF(a[1]);
        Py_DECREF(a[2]);
        Py_DECREF(a[3]);
        PyMem_RawFree(st);
        return NULL;
    }
    pympi_py_callbacks++;
    Py_RETURN_NONE;
}

static PyMethodDef file_module_methods[] = {
    {"Register_datarep", FASTKW(mod_Register_datarep),
     "Register a data representation with Python conversion functions."},
    {NULL}};

static int add_const(PyObject *m, const char *name, MPI_File h)
{
    return pympi_add(m, name, pympi_handle_new(&PyMPIFile_Type, &h, PYMPI_CONST));
}

int pympi_init_file(PyObject *m)
{
    split_bufs = PyDict_New();
    if (!split_bufs) return -1;
    pympi_handle_type_init(&PyMPIFile_Type, &File_kind);
    if (PyType_Ready(&PyMPIFile_Type) < 0) return -1;
    Py_INCREF(&PyMPIFile_Type);
    if (PyModule_AddObject(m, "File", (PyObject *)&PyMPIFile_Type) < 0) return -1;
    if (add_const(m, "FILE_NULL", MPI_FILE_NULL) < 0) return -1;
    return PyModule_AddFunctions(m, file_module_methods);
}
