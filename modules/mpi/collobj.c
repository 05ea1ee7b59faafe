/* collobj.c: collective communication of Python objects (lower-case methods: Comm.bcast,
 * gather, scatter, allgather, alltoall, reduce, allreduce, barrier; Intracomm.scan, exscan;
 * Topocomm.neighbor_allgather, neighbor_alltoall).
 *
 * Objects travel as pickles (MPI.pickle), except plain built-in values whose pickle round trip
 * is exactly a copy: an exact int that fits 64 bits or an exact float travels as its 8 bytes,
 * and None, bool, int, float, str, bytes, and flat lists, tuples and dicts of those (no nested
 * containers, so no shared references to preserve) travel in a compact native form (processes
 * of one job share byte order and type sizes). Each encoded object has an 8-byte header:
 * payload length << 3 | kind.
 *
 * Two protocols:
 *  - Small-object exchange (intracommunicators: bcast, allgather, allreduce, scan, exscan):
 *    one fixed-size slot per process (header + up to SLOT_DATA payload bytes) in a single
 *    Bcast/Allgather. Every process sees every header, so all agree whether a second round
 *    (Bcast/Allgatherv of the exact payloads) is needed for an object that did not fit.
 *  - Sizes then data (everything else, and intercommunicators, where the two groups cannot
 *    see each other's headers): the 64-bit payload sizes first, then the bytes with the
 *    large-count v-variants, so a pickle may exceed 2 GiB.
 *
 * Intercommunicators: a rooted operation takes root=MPI.ROOT at the root, MPI.PROC_NULL at the
 * rest of the root group and the root's rank in the remote group elsewhere; results come from
 * the remote group (allgather gives the remote group's objects, allreduce their reduction). */
#include "pympi.h"
#include <stdint.h>

#define COMM(o) (((PyMPICommObject *)(o))->ob_mpi)
#define FASTKW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS
#define ARGS PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw

/* Collective calls run without the GIL (see coll.c). */
#define CALL(c, stmt) PYMPI_NOGIL(stmt)

/* ---- encoding ------------------------------------------------------------------------- */
/* KIND_ERR: this process could not encode its object; it still takes part in the exchange
 * (so nobody waits forever) and the others raise when they meet it. */
enum { KIND_PICKLE = 0, KIND_INT = 1, KIND_FLOAT = 2, KIND_ERR = 3, KIND_NATIVE = 4 };
#define HDR 8
#define SLOT 256
#define SLOT_DATA (SLOT - HDR)
#define BCAST_SLOT 1024
#define NATIVE_CAP (BCAST_SLOT - HDR) /* longest native encoding; longer objects are pickled */

/* An encoded object: the payload is in `small` (int/float) or in the pinned pickle. */
typedef struct {
    int64_t hdr;
    const char *data;
    char small[8];
    PyObject *pickle;
    char native[NATIVE_CAP];
    Py_buffer view;
} enc;

/* ---- native form of plain built-in values -------------------------------------------- */
/* One value: a tag byte, then 8 bytes (i int, d float), or a 4-byte length and the bytes (a ASCII
 * str, s other str as UTF-8, b bytes); N, T, F alone for None, True, False. */
static Py_ssize_t native_scalar(PyObject *o, char *p, const char *end)
{
    if (o == Py_None || o == Py_True || o == Py_False) {
        if (p + 1 > end) return -1;
        *p = o == Py_None ? 'N' : o == Py_True ? 'T' : 'F';
        return 1;
    }
    if (PyLong_CheckExact(o) || PyFloat_CheckExact(o)) {
        if (p + 9 > end) return -1;
        if (PyFloat_CheckExact(o)) {
            double d = PyFloat_AS_DOUBLE(o);
            *p = 'd';
            memcpy(p + 1, &d, 8);
            return 9;
        }
        long long v;
        if (!pympi_small_int(o, &v)) {
            int overflow = 0;
            v = PyLong_AsLongLongAndOverflow(o, &overflow);
            if (overflow || (v == -1 && PyErr_Occurred())) { PyErr_Clear(); return -1; }
        }
        int64_t x = v;
        *p = 'i';
        memcpy(p + 1, &x, 8);
        return 9;
    }
    const char *data;
    Py_ssize_t n;
    char tag;
    if (PyUnicode_CheckExact(o) && PyUnicode_IS_COMPACT_ASCII(o)) { /* the characters are the bytes */
        data = (const char *)PyUnicode_DATA(o);
        n = PyUnicode_GET_LENGTH(o);
        tag = 'a';
    } else if (PyUnicode_CheckExact(o)) {
        data = PyUnicode_AsUTF8AndSize(o, &n);
        if (!data) { PyErr_Clear(); return -1; } /* e.g. lone surrogates: pickle copes */
        tag = 's';
    } else if (PyBytes_CheckExact(o)) {
        data = PyBytes_AS_STRING(o);
        n = PyBytes_GET_SIZE(o);
        tag = 'b';
    } else return -1;
    if (n > end - p - 5) return -1;
    uint32_t len = (uint32_t)n;
    *p = tag;
    memcpy(p + 1, &len, 4);
    memcpy(p + 5, data, (size_t)n);
    return 5 + n;
}

/* The native form of o into buf (at most cap bytes), or -1 when o has no native form. */
Py_ssize_t pympi_native_encode(PyObject *o, char *buf, Py_ssize_t cap)
{
    char *p = buf, *end = buf + cap;
    Py_ssize_t n, k;
    char tag;
    if (PyList_CheckExact(o)) { tag = 'L'; n = PyList_GET_SIZE(o); }
    else if (PyTuple_CheckExact(o)) { tag = 'U'; n = PyTuple_GET_SIZE(o); }
    else if (PyDict_CheckExact(o)) { tag = 'D'; n = PyDict_GET_SIZE(o); }
    else return native_scalar(o, p, end);
    if (cap < 5 || n > (Py_ssize_t)UINT32_MAX) return -1;
    uint32_t len = (uint32_t)n;
    *p = tag;
    memcpy(p + 1, &len, 4);
    p += 5;
    if (tag == 'D') {
        Py_ssize_t pos = 0;
        PyObject *key, *value;
        while (PyDict_Next(o, &pos, &key, &value)) {
            if ((k = native_scalar(key, p, end)) < 0) return -1;
            p += k;
            if ((k = native_scalar(value, p, end)) < 0) return -1;
            p += k;
        }
    } else {
        PyObject **items = tag == 'L' ? ((PyListObject *)o)->ob_item : ((PyTupleObject *)o)->ob_item;
        for (Py_ssize_t i = 0; i < n; i++) {
            if ((k = native_scalar(items[i], p, end)) < 0) return -1;
            p += k;
        }
    }
    return p - buf;
}

static PyObject *native_bad(void)
{
    PyErr_SetString(PyExc_RuntimeError, "corrupt native object encoding");
    return NULL;
}

/* A str of n ASCII bytes (checked: the bytes come from another process). */
static PyObject *ascii_decode(const char *p, Py_ssize_t n)
{
    if (n == 1 && !(p[0] & 0x80)) return PyUnicode_FromOrdinal((unsigned char)p[0]); /* shared */
    PyObject *s = PyUnicode_New(n, 127);
    if (!s) return NULL;
    Py_UCS1 *d = PyUnicode_1BYTE_DATA(s);
    unsigned char high = 0;
    for (Py_ssize_t i = 0; i < n; i++) high |= (unsigned char)(d[i] = (Py_UCS1)p[i]);
    if (high & 0x80) {
        Py_DECREF(s);
        return native_bad();
    }
    return s;
}

static PyObject *native_scalar_decode(const char **pp, const char *end)
{
    const char *p = *pp;
    if (p >= end) return native_bad();
    switch (*p) {
    case 'N': *pp = p + 1; Py_RETURN_NONE;
    case 'T': *pp = p + 1; Py_RETURN_TRUE;
    case 'F': *pp = p + 1; Py_RETURN_FALSE;
    case 'i': case 'd': {
        if (end - p < 9) return native_bad();
        *pp = p + 9;
        if (*p == 'd') {
            double d;
            memcpy(&d, p + 1, 8);
            return PyFloat_FromDouble(d);
        }
        int64_t v;
        memcpy(&v, p + 1, 8);
        return PyLong_FromLongLong(v);
    }
    case 'a': case 's': case 'b': {
        uint32_t len;
        if (end - p < 5) return native_bad();
        memcpy(&len, p + 1, 4);
        if ((Py_ssize_t)len > end - p - 5) return native_bad();
        *pp = p + 5 + len;
        if (*p == 'a') return ascii_decode(p + 5, len);
        return *p == 's' ? PyUnicode_DecodeUTF8(p + 5, len, NULL) : PyBytes_FromStringAndSize(p + 5, len);
    }
    default:
        return native_bad();
    }
}

PyObject *pympi_native_decode(const char *p, Py_ssize_t size)
{
    const char *end = p + size;
    if (size < 1) return native_bad();
    char tag = *p;
    if (tag != 'L' && tag != 'U' && tag != 'D') return native_scalar_decode(&p, end);
    uint32_t n;
    if (size < 5) return native_bad();
    memcpy(&n, p + 1, 4);
    if ((Py_ssize_t)n > size) return native_bad(); /* every item takes a byte at least */
    p += 5;
    PyObject *r = tag == 'L' ? PyList_New(n) : tag == 'U' ? PyTuple_New(n) : PyDict_New();
    if (!r) return NULL;
    for (uint32_t i = 0; i < n; i++) {
        PyObject *x = native_scalar_decode(&p, end);
        if (!x) goto fail;
        if (tag == 'L') PyList_SET_ITEM(r, i, x);
        else if (tag == 'U') PyTuple_SET_ITEM(r, i, x);
        else {
            PyObject *v = native_scalar_decode(&p, end);
            int rc = v ? PyDict_SetItem(r, x, v) : -1;
            Py_DECREF(x);
            Py_XDECREF(v);
            if (rc < 0) goto fail;
        }
    }
    return r;
fail:
    Py_DECREF(r);
    return NULL;
}

static int encode(PyObject *obj, enc *e)
{
    e->pickle = NULL;
    if (PyLong_CheckExact(obj)) {
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(obj, &overflow);
        if (!overflow && !(v == -1 && PyErr_Occurred())) {
            int64_t x = v;
            memcpy(e->small, &x, 8);
            e->data = e->small;
            e->hdr = (8 << 3) | KIND_INT;
            return 0;
        }
        PyErr_Clear();
    } else if (PyFloat_CheckExact(obj)) {
        double d = PyFloat_AS_DOUBLE(obj);
        memcpy(e->small, &d, 8);
        e->data = e->small;
        e->hdr = (8 << 3) | KIND_FLOAT;
        return 0;
    }
    Py_ssize_t n = pympi_native_encode(obj, e->native, NATIVE_CAP);
    if (n >= 0) {
        e->data = e->native;
        e->hdr = ((int64_t)n << 3) | KIND_NATIVE;
        return 0;
    }
    e->pickle = pympi_dumps(obj);
    if (!e->pickle) return -1;
    if (PyObject_GetBuffer(e->pickle, &e->view, PyBUF_SIMPLE) < 0) { Py_CLEAR(e->pickle); return -1; }
    e->data = e->view.buf;
    e->hdr = ((int64_t)e->view.len << 3) | KIND_PICKLE;
    return 0;
}

/* encode(), or on failure an error marker to send, with the exception kept in *err. */
typedef struct { PyObject *t, *v, *tb; } saved_err;
static void encode_or_mark(PyObject *obj, enc *e, saved_err *err)
{
    err->t = err->v = err->tb = NULL;
    if (encode(obj, e) == 0) return;
    PyErr_Fetch(&err->t, &err->v, &err->tb);
    e->pickle = NULL;
    e->data = e->small;
    e->hdr = KIND_ERR;
}

/* After the exchange: re-raise this process's own encoding error, if any. */
static int restore_err(saved_err *err)
{
    if (!err->t) return 0;
    PyErr_Restore(err->t, err->v, err->tb);
    return -1;
}

static void enc_release(enc *e)
{
    if (e->pickle) {
        PyBuffer_Release(&e->view);
        Py_CLEAR(e->pickle);
    }
}

static MPI_Count enc_len(int64_t hdr) { return (MPI_Count)(hdr >> 3); }

/* The object of payload p under header hdr (a zero-length pickle is None: nothing was sent). */
static PyObject *decode(int64_t hdr, const char *p)
{
    MPI_Count n = enc_len(hdr);
    switch ((int)(hdr & 7)) {
    case KIND_NATIVE:
        return pympi_native_decode(p, (Py_ssize_t)n);
    case KIND_INT: {
        int64_t v;
        memcpy(&v, p, 8);
        return PyLong_FromLongLong(v);
    }
    case KIND_FLOAT: {
        double d;
        memcpy(&d, p, 8);
        return PyFloat_FromDouble(d);
    }
    case KIND_ERR:
        PyErr_SetString(PyExc_RuntimeError, "object collective: another process failed to pickle its object");
        return NULL;
    default:
        if (n == 0) Py_RETURN_NONE;
        return pympi_loads(p, (Py_ssize_t)n);
    }
}

/* ---- sizes-then-data buffers ----------------------------------------------------------- */
typedef struct {
    int64_t *hdrs;   /* one header per block */
    MPI_Count *counts;
    MPI_Aint *displs;
    char *buf;
} gathered;

static int gathered_alloc(gathered *g, int n)
{
    size_t m = (size_t)(n > 0 ? n : 1);
    g->hdrs = PyMem_Calloc(m, sizeof(int64_t));
    g->counts = PyMem_Calloc(m, sizeof(MPI_Count));
    g->displs = PyMem_Calloc(m, sizeof(MPI_Aint));
    g->buf = NULL;
    if (!g->hdrs || !g->counts || !g->displs) { PyErr_NoMemory(); return -1; }
    return 0;
}

/* counts from headers, packed displacements, and the buffer */
static int gathered_layout(gathered *g, int n)
{
    MPI_Aint total = 0;
    for (int i = 0; i < n; i++) {
        g->counts[i] = enc_len(g->hdrs[i]);
        g->displs[i] = total;
        total += (MPI_Aint)g->counts[i];
    }
    g->buf = PyMem_Malloc(total ? (size_t)total : 1);
    if (!g->buf) { PyErr_NoMemory(); return -1; }
    return 0;
}

static void gathered_free(gathered *g)
{
    PyMem_Free(g->hdrs);
    PyMem_Free(g->counts);
    PyMem_Free(g->displs);
    PyMem_Free(g->buf);
}

static PyObject *gathered_list(gathered *g, int n)
{
    PyObject *list = PyList_New(n);
    if (!list) return NULL;
    for (int i = 0; i < n; i++) {
        PyObject *o = decode(g->hdrs[i], g->buf + g->displs[i]);
        if (!o) { Py_DECREF(list); return NULL; }
        PyList_SET_ITEM(list, i, o);
    }
    return list;
}

/* ---- bcast ---------------------------------------------------------------------------- */
static PyObject *bcast_slot(const pympi_cinfo *c, PyObject *obj, int root)
{
    char slot[BCAST_SLOT];
    enc e;
    int ierr;
    int64_t hdr = 0;
    PyObject *result = NULL;
    saved_err err = {0};
    if (c->rank == root) {
        encode_or_mark(obj, &e, &err);
        hdr = e.hdr;
        memcpy(slot, &hdr, HDR);
        if (enc_len(hdr) <= BCAST_SLOT - HDR) memcpy(slot + HDR, e.data, (size_t)enc_len(hdr));
    }
    CALL(c, ierr = MPI_Bcast(slot, BCAST_SLOT, MPI_BYTE, root, c->comm));
    if (CHKERR(ierr)) goto done;
    memcpy(&hdr, slot, HDR);
    MPI_Count n = enc_len(hdr);
    if (n <= BCAST_SLOT - HDR) {
        result = decode(hdr, slot + HDR); /* the root too gets a copy */
    } else if (c->rank == root) {
        CALL(c, ierr = MPI_Bcast_c((void *)e.data, n, MPI_BYTE, root, c->comm));
        if (!CHKERR(ierr)) result = decode(hdr, e.data);
    } else {
        PyObject *bytes = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)n);
        if (!bytes) {
            /* still take part, or the others would wait forever */
            char dummy;
            CALL(c, ierr = MPI_Bcast_c(&dummy, 0, MPI_BYTE, root, c->comm));
            goto done;
        }
        CALL(c, ierr = MPI_Bcast_c(PyBytes_AS_STRING(bytes), n, MPI_BYTE, root, c->comm));
        if (!CHKERR(ierr)) result = decode(hdr, PyBytes_AS_STRING(bytes));
        Py_DECREF(bytes);
    }
done:
    if (c->rank == root) {
        enc_release(&e);
        if (restore_err(&err) < 0) Py_CLEAR(result);
    }
    return result;
}

/* intercommunicator: size, then data */
static PyObject *bcast_inter(const pympi_cinfo *c, PyObject *obj, int root, int role)
{
    enc e;
    int ierr;
    int64_t hdr = 0;
    PyObject *result = NULL, *bytes = NULL;
    if (role == 1) {
        if (encode(obj, &e) < 0) return NULL;
        hdr = e.hdr;
    }
    CALL(c, ierr = MPI_Bcast(&hdr, 1, MPI_INT64_T, root, c->comm));
    if (CHKERR(ierr)) goto done;
    MPI_Count n = role == 0 ? enc_len(hdr) : 0;
    char *p = NULL;
    if (role == 1) { p = (char *)e.data; n = enc_len(hdr); }
    else if (role == 0) {
        bytes = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)n);
        if (!bytes) n = 0; /* take part anyway; report after */
        else p = PyBytes_AS_STRING(bytes);
    }
    CALL(c, ierr = MPI_Bcast_c(p, n, MPI_BYTE, root, c->comm));
    if (role == 0 && !bytes) goto done;
    if (CHKERR(ierr)) goto done;
    if (role == 0) result = decode(hdr, p);
    else { Py_INCREF(Py_None); result = Py_None; }
done:
    Py_XDECREF(bytes);
    if (role == 1) enc_release(&e);
    return result;
}

PyObject *pympi_obj_bcast(MPI_Comm comm, PyObject *obj, int root)
{
    pympi_cinfo c;
    int role;
    if (pympi_cinfo_get(comm, &c) < 0 || pympi_root_role(&c, root, &role) < 0) return NULL;
    if (!c.inter) return bcast_slot(&c, obj, root);
    return bcast_inter(&c, obj, root, role);
}

static PyObject *comm_bcast(ARGS)
{
    static const char *const kwlist[] = {"obj", "root", NULL};
    PyObject *a[2];
    int root;
    if (pympi_parse("bcast", kwlist, 0, args, nargs, kw, a) < 0 || pympi_int(a[1], 0, &root) < 0) return NULL;
    return pympi_obj_bcast(COMM(self), a[0] ? a[0] : Py_None, root);
}

/* ---- small-object exchange (intracommunicators) ---------------------------------------- */
#define EX_STACK 16
typedef struct {
    char stack[EX_STACK * SLOT];
    char *slots;     /* size slots */
    gathered g;      /* second round, when an object did not fit */
    int big;
    int n;
} exch;

static int64_t ex_hdr(const exch *x, int i)
{
    int64_t h;
    memcpy(&h, x->slots + (size_t)i * SLOT, HDR);
    return h;
}

static PyObject *ex_item(const exch *x, int i)
{
    if (x->big) return decode(x->g.hdrs[i], x->g.buf + x->g.displs[i]);
    return decode(ex_hdr(x, i), x->slots + (size_t)i * SLOT + HDR);
}

static void ex_free(exch *x)
{
    if (x->slots && x->slots != x->stack) PyMem_Free(x->slots);
    if (x->big) gathered_free(&x->g);
}

static int ex_allgather(const pympi_cinfo *c, PyObject *obj, exch *x)
{
    enc e;
    char mine[SLOT];
    int ierr, rc = -1;
    x->n = c->size;
    x->big = 0;
    x->slots = c->size <= EX_STACK ? x->stack : PyMem_Malloc((size_t)c->size * SLOT);
    if (!x->slots) { PyErr_NoMemory(); return -1; }
    saved_err err;
    encode_or_mark(obj, &e, &err);
    memcpy(mine, &e.hdr, HDR);
    MPI_Count n = enc_len(e.hdr);
    if (n <= SLOT_DATA) memcpy(mine + HDR, e.data, (size_t)n);
    CALL(c, ierr = MPI_Allgather(mine, SLOT, MPI_BYTE, x->slots, SLOT, MPI_BYTE, c->comm));
    if (CHKERR(ierr)) goto fail;
    for (int i = 0; i < c->size; i++)
        if (enc_len(ex_hdr(x, i)) > SLOT_DATA) { x->big = 1; break; }
    if (x->big) {
        if (gathered_alloc(&x->g, c->size) < 0) { x->big = 0; goto fail_round2; }
        for (int i = 0; i < c->size; i++) x->g.hdrs[i] = ex_hdr(x, i);
        if (gathered_layout(&x->g, c->size) < 0) goto fail_round2;
        CALL(c, ierr = MPI_Allgatherv_c(e.data, n, MPI_BYTE, x->g.buf, x->g.counts, x->g.displs, MPI_BYTE,
                                            c->comm));
        if (CHKERR(ierr)) goto fail;
    }
    rc = 0;
    goto done;
fail_round2:
    /* out of memory: this process cannot receive, but the others wait for its data */
    {
        PyObject *t, *v, *tb;
        PyErr_Fetch(&t, &v, &tb);
        MPI_Count *zeros = PyMem_Calloc((size_t)c->size, sizeof(MPI_Count));
        MPI_Aint *zd = PyMem_Calloc((size_t)c->size, sizeof(MPI_Aint));
        if (zeros && zd) MPI_Allgatherv_c(e.data, n, MPI_BYTE, NULL, zeros, zd, MPI_BYTE, c->comm);
        PyMem_Free(zeros);
        PyMem_Free(zd);
        PyErr_Restore(t, v, tb);
    }
fail:
    if (x->big) gathered_free(&x->g);
    x->big = 0;
done:
    enc_release(&e);
    if (restore_err(&err) < 0 && rc == 0) {
        rc = -1;
        if (x->big) gathered_free(&x->g);
        x->big = 0;
    }
    if (rc < 0 && x->slots != x->stack) { PyMem_Free(x->slots); x->slots = NULL; }
    return rc;
}

/* ---- sizes-then-data gather/allgather (any communicator) ------------------------------- */
/* all: allgather (root and role ignored); otherwise gather to root with this process's role.
 * Returns the list at receivers, None elsewhere. */
static PyObject *gather_generic(const pympi_cinfo *c, PyObject *obj, int all, int root, int role)
{
    enc e;
    int ierr;
    int sender = all || (c->inter ? role == 0 : 1);
    int receiver = all || role == 1;
    int n = receiver ? c->rsize : 0;
    int64_t hdr = 0;
    PyObject *result = NULL;
    gathered g = {0};
    if (sender) {
        if (encode(obj, &e) < 0) return NULL;
        hdr = e.hdr;
    }
    if (gathered_alloc(&g, n) < 0) goto done;
    if (all) CALL(c, ierr = MPI_Allgather(&hdr, 1, MPI_INT64_T, g.hdrs, 1, MPI_INT64_T, c->comm));
    else CALL(c, ierr = MPI_Gather(&hdr, 1, MPI_INT64_T, g.hdrs, 1, MPI_INT64_T, root, c->comm));
    if (CHKERR(ierr)) goto done;
    if (gathered_layout(&g, n) < 0) goto done; /* no recovery from running out of memory here */
    const void *sbuf = sender ? e.data : NULL;
    MPI_Count scount = sender ? enc_len(hdr) : 0;
    if (all)
        CALL(c, ierr = MPI_Allgatherv_c(sbuf, scount, MPI_BYTE, g.buf, g.counts, g.displs, MPI_BYTE, c->comm));
    else
        CALL(c, ierr = MPI_Gatherv_c(sbuf, scount, MPI_BYTE, g.buf, g.counts, g.displs, MPI_BYTE, root, c->comm));
    if (CHKERR(ierr)) goto done;
    if (receiver) result = gathered_list(&g, n);
    else { Py_INCREF(Py_None); result = Py_None; }
done:
    if (sender) enc_release(&e);
    gathered_free(&g);
    return result;
}

static PyObject *obj_allgather(MPI_Comm comm, PyObject *obj)
{
    pympi_cinfo c;
    if (pympi_cinfo_get(comm, &c) < 0) return NULL;
    if (c.inter) return gather_generic(&c, obj, 1, 0, 0);
    exch x;
    if (ex_allgather(&c, obj, &x) < 0) return NULL;
    PyObject *list = PyList_New(c.size);
    for (int i = 0; list && i < c.size; i++) {
        PyObject *o = ex_item(&x, i);
        if (!o) Py_CLEAR(list);
        else PyList_SET_ITEM(list, i, o);
    }
    ex_free(&x);
    return list;
}

static PyObject *comm_gather(ARGS)
{
    static const char *const kwlist[] = {"sendobj", "root", NULL};
    PyObject *a[2];
    int root, role;
    pympi_cinfo c;
    if (pympi_parse("gather", kwlist, 1, args, nargs, kw, a) < 0 || pympi_int(a[1], 0, &root) < 0) return NULL;
    if (pympi_cinfo_get(COMM(self), &c) < 0 || pympi_root_role(&c, root, &role) < 0) return NULL;
    return gather_generic(&c, a[0], 0, root, role);
}

static PyObject *comm_allgather(ARGS)
{
    static const char *const kwlist[] = {"sendobj", NULL};
    PyObject *a[1];
    if (pympi_parse("allgather", kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    return obj_allgather(COMM(self), a[0]);
}

/* ---- scatter, alltoall ------------------------------------------------------------------- */
/* Encode the n items of a sequence into one buffer (g: headers, counts, displs, buf). */
static int encode_items(PyObject *seq, int n, gathered *g, const char *fn)
{
    PyObject *fast = PySequence_Fast(seq, "expected a sequence of objects");
    if (!fast) return -1;
    if (PySequence_Fast_GET_SIZE(fast) != n) {
        PyErr_Format(PyExc_ValueError, "%s: expected a sequence of %d items, got %zd", fn, n,
                     PySequence_Fast_GET_SIZE(fast));
        Py_DECREF(fast);
        return -1;
    }
    enc *es = PyMem_Calloc((size_t)(n > 0 ? n : 1), sizeof(enc));
    int rc = -1, done = 0;
    if (!es) { PyErr_NoMemory(); goto out; }
    for (; done < n; done++) {
        if (encode(PySequence_Fast_GET_ITEM(fast, done), &es[done]) < 0) goto out;
        g->hdrs[done] = es[done].hdr;
    }
    if (gathered_layout(g, n) < 0) goto out;
    for (int i = 0; i < n; i++) memcpy(g->buf + g->displs[i], es[i].data, (size_t)g->counts[i]);
    rc = 0;
out:
    for (int i = 0; es && i < done; i++) enc_release(&es[i]);
    PyMem_Free(es);
    Py_DECREF(fast);
    return rc;
}

static PyObject *comm_scatter(ARGS)
{
    static const char *const kwlist[] = {"sendobj", "root", NULL};
    PyObject *a[2];
    int root, role, ierr;
    pympi_cinfo c;
    if (pympi_parse("scatter", kwlist, 0, args, nargs, kw, a) < 0 || pympi_int(a[1], 0, &root) < 0) return NULL;
    if (pympi_cinfo_get(COMM(self), &c) < 0 || pympi_root_role(&c, root, &role) < 0) return NULL;
    gathered g = {0};
    PyObject *result = NULL, *bytes = NULL;
    int64_t hdr = 0;
    int receiver = c.inter ? role == 0 : 1;
    if (role == 1) {
        if (gathered_alloc(&g, c.rsize) < 0 ||
            encode_items(a[0] ? a[0] : Py_None, c.rsize, &g, "scatter") < 0)
            goto done;
    }
    CALL(&c, ierr = MPI_Scatter(g.hdrs, 1, MPI_INT64_T, &hdr, 1, MPI_INT64_T, root, c.comm));
    if (CHKERR(ierr)) goto done;
    MPI_Count n = receiver ? enc_len(hdr) : 0;
    bytes = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)n);
    if (!bytes) goto done;
    CALL(&c, ierr = MPI_Scatterv_c(g.buf, g.counts, g.displs, MPI_BYTE, PyBytes_AS_STRING(bytes), n, MPI_BYTE,
                                      root, c.comm));
    if (CHKERR(ierr)) goto done;
    if (receiver) result = decode(hdr, PyBytes_AS_STRING(bytes));
    else { Py_INCREF(Py_None); result = Py_None; }
done:
    Py_XDECREF(bytes);
    gathered_free(&g);
    return result;
}

static PyObject *comm_alltoall(ARGS)
{
    static const char *const kwlist[] = {"sendobj", NULL};
    PyObject *a[1];
    int ierr;
    pympi_cinfo c;
    if (pympi_parse("alltoall", kwlist, 1, args, nargs, kw, a) < 0 || pympi_cinfo_get(COMM(self), &c) < 0) return NULL;
    gathered s = {0}, r = {0};
    PyObject *result = NULL;
    if (gathered_alloc(&s, c.rsize) < 0 || gathered_alloc(&r, c.rsize) < 0 ||
        encode_items(a[0], c.rsize, &s, "alltoall") < 0)
        goto done;
    CALL(&c, ierr = MPI_Alltoall(s.hdrs, 1, MPI_INT64_T, r.hdrs, 1, MPI_INT64_T, c.comm));
    if (CHKERR(ierr) || gathered_layout(&r, c.rsize) < 0) goto done;
    CALL(&c, ierr = MPI_Alltoallv_c(s.buf, s.counts, s.displs, MPI_BYTE, r.buf, r.counts, r.displs, MPI_BYTE,
                                       c.comm));
    if (CHKERR(ierr)) goto done;
    result = gathered_list(&r, c.rsize);
done:
    gathered_free(&s);
    gathered_free(&r);
    return result;
}

/* ---- reductions -------------------------------------------------------------------------- */
static PyObject *get_op(PyObject *op)
{
    if (!op) return pympi_op_SUM;
    if (PyMPIOp_Check(op) && ((PyMPIOpObject *)op)->ob_mpi == MPI_OP_NULL) {
        PyErr_SetString(PyExc_ValueError, "Op is OP_NULL (freed or never created)");
        return NULL;
    }
    if (!PyMPIOp_Check(op) && !PyCallable_Check(op)) {
        PyErr_Format(PyExc_TypeError, "op must be an Op or a callable, not '%.200s'", Py_TYPE(op)->tp_name);
        return NULL;
    }
    return op;
}

/* Reduce a list left to right (lower ranks on the left). Steals the list. */
static PyObject *reduce_list(PyObject *list, PyObject *op)
{
    if (!list) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(list);
    PyObject *acc = n ? PyList_GET_ITEM(list, 0) : Py_None;
    Py_INCREF(acc);
    for (Py_ssize_t i = 1; i < n && acc; i++) {
        PyObject *next = pympi_op_apply(op, acc, PyList_GET_ITEM(list, i));
        Py_DECREF(acc);
        acc = next;
    }
    Py_DECREF(list);
    return acc;
}

/* Fold ranks [0, upto) of an exchange with op; None when upto is 0. */
static PyObject *ex_fold(const exch *x, int upto, PyObject *op)
{
    if (upto <= 0) Py_RETURN_NONE;
    PyObject *acc = ex_item(x, 0);
    for (int i = 1; i < upto && acc; i++) {
        PyObject *next = ex_item(x, i);
        if (!next) { Py_CLEAR(acc); break; }
        PyObject *r = pympi_op_apply(op, acc, next);
        Py_DECREF(next);
        Py_DECREF(acc);
        acc = r;
    }
    return acc;
}

static PyObject *comm_allreduce(ARGS)
{
    static const char *const kwlist[] = {"sendobj", "op", NULL};
    PyObject *a[2];
    pympi_cinfo c;
    if (pympi_parse("allreduce", kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    PyObject *op = get_op(a[1]);
    if (!op || pympi_cinfo_get(COMM(self), &c) < 0) return NULL;
    if (c.inter) return reduce_list(gather_generic(&c, a[0], 1, 0, 0), op);
    exch x;
    if (ex_allgather(&c, a[0], &x) < 0) return NULL;
    PyObject *r = ex_fold(&x, c.size, op);
    ex_free(&x);
    return r;
}

static PyObject *comm_reduce(ARGS)
{
    static const char *const kwlist[] = {"sendobj", "op", "root", NULL};
    PyObject *a[3];
    int root, role;
    pympi_cinfo c;
    if (pympi_parse("reduce", kwlist, 1, args, nargs, kw, a) < 0 || pympi_int(a[2], 0, &root) < 0) return NULL;
    PyObject *op = get_op(a[1]);
    if (!op || pympi_cinfo_get(COMM(self), &c) < 0 || pympi_root_role(&c, root, &role) < 0) return NULL;
    PyObject *list = gather_generic(&c, a[0], 0, root, role);
    if (list == Py_None || !list) return list;
    return reduce_list(list, op);
}

static PyObject *scan(ARGS, int exclusive)
{
    static const char *const kwlist[] = {"sendobj", "op", NULL};
    PyObject *a[2];
    pympi_cinfo c;
    if (pympi_parse(exclusive ? "exscan" : "scan", kwlist, 1, args, nargs, kw, a) < 0) return NULL;
    PyObject *op = get_op(a[1]);
    if (!op || pympi_cinfo_get(COMM(self), &c) < 0) return NULL;
    if (c.inter) return pympi_raise(MPI_ERR_COMM), NULL;
    exch x;
    if (ex_allgather(&c, a[0], &x) < 0) return NULL;
    PyObject *r = ex_fold(&x, exclusive ? c.rank : c.rank + 1, op);
    ex_free(&x);
    return r;
}
PyObject *pympi_intracomm_scan(ARGS) { return scan(self, args, nargs, kw, 0); }
PyObject *pympi_intracomm_exscan(ARGS) { return scan(self, args, nargs, kw, 1); }

static PyObject *comm_barrier(PyObject *self, PyObject *u)
{
    int ierr;
    PYMPI_NOGIL(ierr = MPI_Barrier(COMM(self)));
    if (CHKERR(ierr)) return NULL;
    Py_RETURN_NONE;
}

/* ---- neighbourhood ------------------------------------------------------------------------ */
PyObject *pympi_topocomm_neighbor_allgather(ARGS)
{
    static const char *const kwlist[] = {"sendobj", NULL};
    PyObject *a[1];
    int in, out, ierr;
    MPI_Comm comm = COMM(self);
    if (pympi_parse("neighbor_allgather", kwlist, 1, args, nargs, kw, a) < 0 ||
        pympi_topo_degrees(comm, &in, &out) < 0)
        return NULL;
    enc e;
    gathered g = {0};
    PyObject *result = NULL;
    if (encode(a[0], &e) < 0) return NULL;
    if (gathered_alloc(&g, in) < 0) goto done;
    /* neighbours that are PROC_NULL leave their header 0: None */
    PYMPI_NOGIL(ierr = MPI_Neighbor_allgather(&e.hdr, 1, MPI_INT64_T, g.hdrs, 1, MPI_INT64_T, comm));
    if (CHKERR(ierr) || gathered_layout(&g, in) < 0) goto done;
    PYMPI_NOGIL(ierr = MPI_Neighbor_allgatherv_c(e.data, enc_len(e.hdr), MPI_BYTE, g.buf, g.counts, g.displs,
                                                 MPI_BYTE, comm));
    if (CHKERR(ierr)) goto done;
    result = gathered_list(&g, in);
done:
    enc_release(&e);
    gathered_free(&g);
    return result;
}

PyObject *pympi_topocomm_neighbor_alltoall(ARGS)
{
    static const char *const kwlist[] = {"sendobj", NULL};
    PyObject *a[1];
    int in, out, ierr;
    MPI_Comm comm = COMM(self);
    if (pympi_parse("neighbor_alltoall", kwlist, 1, args, nargs, kw, a) < 0 ||
        pympi_topo_degrees(comm, &in, &out) < 0)
        return NULL;
    gathered s = {0}, r = {0};
    PyObject *result = NULL;
    if (gathered_alloc(&s, out) < 0 || gathered_alloc(&r, in) < 0 ||
        encode_items(a[0], out, &s, "neighbor_alltoall") < 0)
        goto done;
    /* headers with the v-variant too: with a neighbour listed twice (periodic dimension of
     * size 1 or 2) MPICH pairs blocks differently in Neighbor_alltoall and Neighbor_alltoallv,
     * and headers and data must pair alike */
    {
        MPI_Count *ones = PyMem_Malloc(sizeof(MPI_Count) * (size_t)(in + out + 1));
        MPI_Aint *sd = PyMem_Malloc(sizeof(MPI_Aint) * (size_t)(out + 1));
        MPI_Aint *rd = PyMem_Malloc(sizeof(MPI_Aint) * (size_t)(in + 1));
        if (!ones || !sd || !rd) {
            PyMem_Free(ones); PyMem_Free(sd); PyMem_Free(rd);
            PyErr_NoMemory();
            goto done;
        }
        for (int i = 0; i < in + out; i++) ones[i] = 1;
        for (int i = 0; i < out; i++) sd[i] = i;
        for (int i = 0; i < in; i++) rd[i] = i;
        PYMPI_NOGIL(ierr = MPI_Neighbor_alltoallv_c(s.hdrs, ones, sd, MPI_INT64_T, r.hdrs, ones + out, rd,
                                                    MPI_INT64_T, comm));
        PyMem_Free(ones); PyMem_Free(sd); PyMem_Free(rd);
    }
    if (CHKERR(ierr) || gathered_layout(&r, in) < 0) goto done;
    PYMPI_NOGIL(ierr = MPI_Neighbor_alltoallv_c(s.buf, s.counts, s.displs, MPI_BYTE, r.buf, r.counts, r.displs,
                                                MPI_BYTE, comm));
    if (CHKERR(ierr)) goto done;
    result = gathered_list(&r, in);
done:
    gathered_free(&s);
    gathered_free(&r);
    return result;
}

PyMethodDef pympi_comm_collobj_methods[] = {
    {"barrier", comm_barrier, METH_NOARGS, "Barrier synchronization."},
    {"bcast", FASTKW(comm_bcast), "Broadcast a Python object from root."},
    {"gather", FASTKW(comm_gather), "Gather Python objects to root."},
    {"scatter", FASTKW(comm_scatter), "Scatter a sequence of Python objects from root."},
    {"allgather", FASTKW(comm_allgather), "Gather Python objects to all."},
    {"alltoall", FASTKW(comm_alltoall), "All-to-all exchange of Python objects."},
    {"reduce", FASTKW(comm_reduce), "Reduce Python objects to root."},
    {"allreduce", FASTKW(comm_allreduce), "Reduce Python objects to all."},
    {NULL}};
