/* coll.c: collective operations on buffers (upper-case methods): Comm.Bcast ... Alltoallw and
 * the reductions, their non-blocking I-variants, Intracomm.Scan/Exscan, Topocomm.Neighbor_*.
 *
 * Every method parses its buffers (msgbuffer.c for single buffers, msgvector.c for blocked,
 * v and w specs), calls the large-count (_c) MPI function once, and either returns None
 * (blocking, GIL released during the call) or a Request that keeps the buffers and the count
 * arrays alive until the operation completes.
 *
 * Intercommunicators follow MPI: a rooted collective takes root=MPI.ROOT at the root,
 * root=MPI.PROC_NULL at the other processes of the root group, and the root's rank in the
 * remote group elsewhere; buffers that are not significant at a process are not looked at
 * (None is fine there). Blocked and vector buffers hold one block per process of the remote
 * group. IN_PLACE is accepted where MPI allows it (intracommunicators). */
#include "pympi.h"

#define COMM(o) (((PyMPICommObject *)(o))->ob_mpi)
#define FASTKW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS
#define ARGS PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw

/* ---- common parts ------------------------------------------------------------------ */
/* Communicator facts every collective needs (shared with collobj.c through pympi.h). */
int pympi_cinfo_get(MPI_Comm comm, pympi_cinfo *c)
{
    c->comm = comm;
    if (CHKERR(MPI_Comm_test_inter(comm, &c->inter)) || CHKERR(MPI_Comm_size(comm, &c->size)) ||
        CHKERR(MPI_Comm_rank(comm, &c->rank)))
        return -1;
    c->rsize = c->size;
    if (c->inter && CHKERR(MPI_Comm_remote_size(comm, &c->rsize))) return -1;
    return 0;
}

/* What this process is in a rooted collective: 1 the root, 0 another participant,
 * -1 nothing to do (PROC_NULL in the root group of an intercommunicator). */
int pympi_root_role(const pympi_cinfo *c, int root, int *role)
{
    if (!c->inter) {
        if (root < 0 || root >= c->size) goto bad;
        *role = root == c->rank;
    } else if (root == MPI_ROOT) *role = 1;
    else if (root == MPI_PROC_NULL) *role = -1;
    else if (root >= 0 && root < c->rsize) *role = 0;
    else goto bad;
    return 0;
bad:
    /* Checked here, on every process alike, so that no process waits for the others in MPI; the
     * error is the one MPI reports, as in mpi4py 3.1. */
    return pympi_raise(MPI_ERR_ROOT);
}
/* All the buffers of one call. */
typedef struct {
    pympi_msg s, r;
    pympi_vmsg sv, rv;
    PyObject *extra; /* more memory MPI reads until completion (recvcounts) */
} bufs;

static void bufs_init(bufs *b)
{
    memset(b, 0, sizeof *b);
    b->s.type = b->r.type = MPI_BYTE;
    b->sv.type = b->rv.type = MPI_BYTE;
}

static void bufs_release(bufs *b)
{
    pympi_msg_release(&b->s);
    pympi_msg_release(&b->r);
    pympi_vmsg_release(&b->sv);
    pympi_vmsg_release(&b->rv);
    Py_CLEAR(b->extra);
}

/* After the MPI call: None, or a Request owning the buffers, or the exception. */
static PyObject *bufs_finish(bufs *b, int ierr, int nb, MPI_Request req)
{
    if (ierr != MPI_SUCCESS) {
        bufs_release(b);
        pympi_raise(ierr);
        return NULL;
    }
    if (!nb) {
        bufs_release(b);
        Py_RETURN_NONE;
    }
    PyObject *k = pympi_keep2(pympi_msg_keep(&b->s), pympi_msg_keep(&b->r));
    k = pympi_keep2(k, pympi_keep2(pympi_vmsg_keep(&b->sv), pympi_vmsg_keep(&b->rv)));
    k = pympi_keep2(k, b->extra);
    b->extra = NULL;
    bufs_release(b);
    return pympi_request_new(&PyMPIRequest_Type, req, k);
}

/* An IN_PLACE send takes its count and type from the receive side. */
static void inplace_from(pympi_msg *s, const pympi_msg *r)
{
    if (s->addr == MPI_IN_PLACE) {
        s->count = r->count;
        s->type = r->type;
    }
}

static int check_same(const pympi_msg *s, const pympi_msg *r, const char *fn)
{
    if (s->addr == MPI_IN_PLACE) return 0;
    if (s->count != r->count) {
        PyErr_Format(PyExc_ValueError, "%s: mismatch in send count %lld and receive count %lld", fn,
                     (long long)s->count, (long long)r->count);
        return -1;
    }
    if (s->type != r->type) {
        MPI_Count a = 0, b = 0;
        if (CHKERR(MPI_Type_size_x(s->type, &a)) || CHKERR(MPI_Type_size_x(r->type, &b))) return -1;
        if (a != b) {
            PyErr_Format(PyExc_ValueError, "%s: mismatch in send and receive datatypes", fn);
            return -1;
        }
    }
    return 0;
}

/* The block a process sends itself (root of Gather/Scatter, every process of Allgather and
 * Alltoall on an intracommunicator): MPI requires the same amount of data on both sides, and
 * MPICH copies this block locally without comparing, hanging or failing an assertion when the
 * sizes differ. It is the one block whose both sides are known here, so it is checked. */
static int check_self_block(MPI_Count scount, MPI_Datatype stype, MPI_Count rcount, MPI_Datatype rtype,
                            const char *fn)
{
    MPI_Count ssize = 0, rsize = 0;
    if (MPI_Type_size_x(stype, &ssize) != MPI_SUCCESS || MPI_Type_size_x(rtype, &rsize) != MPI_SUCCESS)
        return 0; /* an invalid datatype: MPI reports it */
    if (ssize * scount != rsize * rcount) {
        PyErr_Format(PyExc_ValueError, "%s: this process sends itself %lld bytes but expects %lld", fn,
                     (long long)(ssize * scount), (long long)(rsize * rcount));
        return -1;
    }
    return 0;
}

/* The op argument (default SUM); *user says whether a Python function may run. */
static int get_op(PyObject *o, MPI_Op *op, int *user)
{
    if (pympi_as_op(o, MPI_SUM, op) < 0) return -1;
    *user = o && !(((PyMPIOpObject *)o)->flags & PYMPI_CONST);
    return 0;
}

/* Every collective runs without the GIL: a blocking one waits for other processes, and even a
 * non-blocking start takes MPI's internal lock, which another thread running a Python callback
 * inside MPI (a user-defined Op) may hold while it waits for the GIL. */
#define COLLECTIVE(ierr, nb, blocking, nonblocking) PYMPI_NOGIL(ierr = (nb) ? (nonblocking) : (blocking))

/* Run a reduction with the user-op error scope around it. */
#define REDUCTION(user, ierr, nb, blocking, nonblocking)                   \
    do {                                                                   \
        if (user) pympi_op_enter();                                        \
        COLLECTIVE(ierr, nb, blocking, nonblocking);                       \
        if (user && pympi_op_leave() < 0 && ierr == MPI_SUCCESS) ierr = MPI_ERR_OP; \
    } while (0)

#define NAME(nb, n) ((nb) ? "I" n : n)

/* ---- barrier, broadcast ------------------------------------------------------------ */
static PyObject *comm_Ibarrier(PyObject *self, PyObject *u)
{
    MPI_Request req;
    if (CHKERR(MPI_Ibarrier(COMM(self), &req))) return NULL;
    return pympi_request_new(&PyMPIRequest_Type, req, NULL);
}

static PyObject *bcast(ARGS, int nb)
{
    static const char *const kwlist[] = {"buf", "root", NULL};
    PyObject *a[2];
    int root, role, ierr;
    pympi_cinfo c;
    bufs b;
    MPI_Request req = MPI_REQUEST_NULL;
    if (pympi_parse(nb ? "Ibcast" : "Bcast", kwlist, 1, args, nargs, kw, a) < 0 ||
        pympi_int(a[1], 0, &root) < 0)
        return NULL;
    if (pympi_cinfo_get(COMM(self), &c) < 0 || pympi_root_role(&c, root, &role) < 0) return NULL;
    bufs_init(&b);
    if (role >= 0 && pympi_msg_get(a[0], role ? PYMPI_SEND : PYMPI_RECV, &b.s) < 0) return NULL;
    COLLECTIVE(ierr, nb, MPI_Bcast_c(b.s.addr, b.s.count, b.s.type, root, c.comm),
               MPI_Ibcast_c(b.s.addr, b.s.count, b.s.type, root, c.comm, &req));
    return bufs_finish(&b, ierr, nb, req);
}
static PyObject *comm_Bcast(ARGS) { return bcast(self, args, nargs, kw, 0); }
static PyObject *comm_Ibcast(ARGS) { return bcast(self, args, nargs, kw, 1); }

/* ---- gather, scatter (blocked and v) --------------------------------------------------- */
static PyObject *gather(ARGS, int nb, int v)
{
    static const char *const kwlist[] = {"sendbuf", "recvbuf", "root", NULL};
    PyObject *a[3];
    int root, role, ierr;
    pympi_cinfo c;
    bufs b;
    MPI_Request req = MPI_REQUEST_NULL;
    const char *fn = v ? NAME(nb, "Gatherv") : NAME(nb, "Gather");
    if (pympi_parse(fn, kwlist, 2, args, nargs, kw, a) < 0 || pympi_int(a[2], 0, &root) < 0) return NULL;
    if (pympi_cinfo_get(COMM(self), &c) < 0 || pympi_root_role(&c, root, &role) < 0) return NULL;
    bufs_init(&b);
    if (role == 1) {
        if (v ? pympi_vmsg_get(a[1], PYMPI_RECV, c.rsize, &b.rv) : pympi_msg_get_blocks(a[1], PYMPI_RECV, c.rsize, &b.r))
            goto fail;
        if (!c.inter) {
            if (pympi_msg_get(a[0], PYMPI_SEND | PYMPI_ALLOW_INPLACE, &b.s) < 0) goto fail;
            if (b.s.addr == MPI_IN_PLACE) b.s.type = v ? b.rv.type : b.r.type;
            else if (check_self_block(b.s.count, b.s.type, v ? b.rv.counts[root] : b.r.count,
                                      v ? b.rv.type : b.r.type, fn) < 0)
                goto fail;
        }
    } else if (role == 0) {
        if (pympi_msg_get(a[0], PYMPI_SEND, &b.s) < 0) goto fail;
    }
    if (v)
        COLLECTIVE(ierr, nb,
                   MPI_Gatherv_c(b.s.addr, b.s.count, b.s.type, b.rv.addr, b.rv.counts, b.rv.displs,
                                 b.rv.type, root, c.comm),
                   MPI_Igatherv_c(b.s.addr, b.s.count, b.s.type, b.rv.addr, b.rv.counts, b.rv.displs,
                                  b.rv.type, root, c.comm, &req));
    else
        COLLECTIVE(ierr, nb,
                   MPI_Gather_c(b.s.addr, b.s.count, b.s.type, b.r.addr, b.r.count, b.r.type, root, c.comm),
                   MPI_Igather_c(b.s.addr, b.s.count, b.s.type, b.r.addr, b.r.count, b.r.type, root,
                                 c.comm, &req));
    return bufs_finish(&b, ierr, nb, req);
fail:
    bufs_release(&b);
    return NULL;
}
static PyObject *comm_Gather(ARGS) { return gather(self, args, nargs, kw, 0, 0); }
static PyObject *comm_Igather(ARGS) { return gather(self, args, nargs, kw, 1, 0); }
static PyObject *comm_Gatherv(ARGS) { return gather(self, args, nargs, kw, 0, 1); }
static PyObject *comm_Igatherv(ARGS) { return gather(self, args, nargs, kw, 1, 1); }

static PyObject *scatter(ARGS, int nb, int v)
{
    static const char *const kwlist[] = {"sendbuf", "recvbuf", "root", NULL};
    PyObject *a[3];
    int root, role, ierr;
    pympi_cinfo c;
    bufs b;
    MPI_Request req = MPI_REQUEST_NULL;
    const char *fn = v ? NAME(nb, "Scatterv") : NAME(nb, "Scatter");
    if (pympi_parse(fn, kwlist, 2, args, nargs, kw, a) < 0 || pympi_int(a[2], 0, &root) < 0) return NULL;
    if (pympi_cinfo_get(COMM(self), &c) < 0 || pympi_root_role(&c, root, &role) < 0) return NULL;
    bufs_init(&b);
    if (role == 1) {
        if (v ? pympi_vmsg_get(a[0], PYMPI_SEND, c.rsize, &b.sv) : pympi_msg_get_blocks(a[0], PYMPI_SEND, c.rsize, &b.s))
            goto fail;
        if (!c.inter) {
            if (pympi_msg_get(a[1], PYMPI_RECV | PYMPI_ALLOW_INPLACE, &b.r) < 0) goto fail;
            if (b.r.addr == MPI_IN_PLACE) b.r.type = v ? b.sv.type : b.s.type;
            else if (check_self_block(v ? b.sv.counts[root] : b.s.count, v ? b.sv.type : b.s.type,
                                      b.r.count, b.r.type, fn) < 0)
                goto fail;
        }
    } else if (role == 0) {
        if (pympi_msg_get(a[1], PYMPI_RECV, &b.r) < 0) goto fail;
    }
    if (v)
        COLLECTIVE(ierr, nb,
                   MPI_Scatterv_c(b.sv.addr, b.sv.counts, b.sv.displs, b.sv.type, b.r.addr, b.r.count,
                                  b.r.type, root, c.comm),
                   MPI_Iscatterv_c(b.sv.addr, b.sv.counts, b.sv.displs, b.sv.type, b.r.addr, b.r.count,
                                   b.r.type, root, c.comm, &req));
    else
        COLLECTIVE(ierr, nb,
                   MPI_Scatter_c(b.s.addr, b.s.count, b.s.type, b.r.addr, b.r.count, b.r.type, root, c.comm),
                   MPI_Iscatter_c(b.s.addr, b.s.count, b.s.type, b.r.addr, b.r.count, b.r.type, root,
                                  c.comm, &req));
    return bufs_finish(&b, ierr, nb, req);
fail:
    bufs_release(&b);
    return NULL;
}
static PyObject *comm_Scatter(ARGS) { return scatter(self, args, nargs, kw, 0, 0); }
static PyObject *comm_Iscatter(ARGS) { return scatter(self, args, nargs, kw, 1, 0); }
static PyObject *comm_Scatterv(ARGS) { return scatter(self, args, nargs, kw, 0, 1); }
static PyObject *comm_Iscatterv(ARGS) { return scatter(self, args, nargs, kw, 1, 1); }

/* ---- allgather, alltoall (blocked, v, w) ---------------------------------------------- */
static PyObject *allgather(ARGS, int nb, int v)
{
    static const char *const kwlist[] = {"sendbuf", "recvbuf", NULL};
    PyObject *a[2];
    int ierr;
    pympi_cinfo c;
    bufs b;
    MPI_Request req = MPI_REQUEST_NULL;
    const char *fn = v ? NAME(nb, "Allgatherv") : NAME(nb, "Allgather");
    if (pympi_parse(fn, kwlist, 2, args, nargs, kw, a) < 0 || pympi_cinfo_get(COMM(self), &c) < 0) return NULL;
    bufs_init(&b);
    if (v ? pympi_vmsg_get(a[1], PYMPI_RECV, c.rsize, &b.rv) : pympi_msg_get_blocks(a[1], PYMPI_RECV, c.rsize, &b.r))
        goto fail;
    if (pympi_msg_get(a[0], PYMPI_SEND | (c.inter ? 0 : PYMPI_ALLOW_INPLACE), &b.s) < 0) goto fail;
    if (b.s.addr == MPI_IN_PLACE) b.s.type = v ? b.rv.type : b.r.type;
    else if (!c.inter && check_self_block(b.s.count, b.s.type, v ? b.rv.counts[c.rank] : b.r.count,
                                          v ? b.rv.type : b.r.type, fn) < 0)
        goto fail;
    if (v)
        COLLECTIVE(ierr, nb,
                   MPI_Allgatherv_c(b.s.addr, b.s.count, b.s.type, b.rv.addr, b.rv.counts, b.rv.displs,
                                    b.rv.type, c.comm),
                   MPI_Iallgatherv_c(b.s.addr, b.s.count, b.s.type, b.rv.addr, b.rv.counts, b.rv.displs,
                                     b.rv.type, c.comm, &req));
    else
        COLLECTIVE(ierr, nb,
                   MPI_Allgather_c(b.s.addr, b.s.count, b.s.type, b.r.addr, b.r.count, b.r.type, c.comm),
                   MPI_Iallgather_c(b.s.addr, b.s.count, b.s.type, b.r.addr, b.r.count, b.r.type, c.comm, &req));
    return bufs_finish(&b, ierr, nb, req);
fail:
    bufs_release(&b);
    return NULL;
}
static PyObject *comm_Allgather(ARGS) { return allgather(self, args, nargs, kw, 0, 0); }
static PyObject *comm_Iallgather(ARGS) { return allgather(self, args, nargs, kw, 1, 0); }
static PyObject *comm_Allgatherv(ARGS) { return allgather(self, args, nargs, kw, 0, 1); }
static PyObject *comm_Iallgatherv(ARGS) { return allgather(self, args, nargs, kw, 1, 1); }

/* kind: 0 blocked, 1 v, 2 w */
static PyObject *alltoall(ARGS, int nb, int kind)
{
    static const char *const kwlist[] = {"sendbuf", "recvbuf", NULL};
    static const char *const names[2][3] = {{"Alltoall", "Alltoallv", "Alltoallw"},
                                            {"Ialltoall", "Ialltoallv", "Ialltoallw"}};
    PyObject *a[2];
    int ierr;
    pympi_cinfo c;
    bufs b;
    MPI_Request req = MPI_REQUEST_NULL;
    if (pympi_parse(names[nb][kind], kwlist, 2, args, nargs, kw, a) < 0 || pympi_cinfo_get(COMM(self), &c) < 0) return NULL;
    int srole = PYMPI_SEND | (c.inter ? 0 : PYMPI_ALLOW_INPLACE);
    const char *fn = names[nb][kind];
    for (int i = 0; i < 2 && kind; i++)
        if (a[i] == Py_None || a[i] == pympi_BOTTOM) /* both sides always count: mpi4py's error */
            return PyErr_Format(PyExc_TypeError, "%s: %s: expected a buffer spec, got %s", fn, kwlist[i],
                                a[i] == Py_None ? "None" : "BOTTOM");
    bufs_init(&b);
    if (kind == 0) {
        if (pympi_msg_get_blocks(a[1], PYMPI_RECV, c.rsize, &b.r) < 0 ||
            pympi_msg_get_blocks(a[0], srole, c.rsize, &b.s) < 0)
            goto fail;
        inplace_from(&b.s, &b.r);
        if (!c.inter && check_self_block(b.s.count, b.s.type, b.r.count, b.r.type, fn) < 0) goto fail;
        COLLECTIVE(ierr, nb,
                   MPI_Alltoall_c(b.s.addr, b.s.count, b.s.type, b.r.addr, b.r.count, b.r.type, c.comm),
                   MPI_Ialltoall_c(b.s.addr, b.s.count, b.s.type, b.r.addr, b.r.count, b.r.type, c.comm, &req));
    } else if (kind == 1) {
        if (pympi_vmsg_get(a[1], PYMPI_RECV, c.rsize, &b.rv) < 0 ||
            pympi_vmsg_get(a[0], srole, c.rsize, &b.sv) < 0)
            goto fail;
        if (b.sv.addr == MPI_IN_PLACE) b.sv.type = b.rv.type;
        else if (!c.inter && check_self_block(b.sv.counts[c.rank], b.sv.type, b.rv.counts[c.rank], b.rv.type, fn) < 0)
            goto fail;
        COLLECTIVE(ierr, nb,
                   MPI_Alltoallv_c(b.sv.addr, b.sv.counts, b.sv.displs, b.sv.type, b.rv.addr, b.rv.counts,
                                   b.rv.displs, b.rv.type, c.comm),
                   MPI_Ialltoallv_c(b.sv.addr, b.sv.counts, b.sv.displs, b.sv.type, b.rv.addr, b.rv.counts,
                                    b.rv.displs, b.rv.type, c.comm, &req));
    } else {
        if (pympi_wmsg_get(a[1], PYMPI_RECV, c.rsize, &b.rv) < 0 ||
            pympi_wmsg_get(a[0], srole, c.rsize, &b.sv) < 0)
            goto fail;
        if (b.sv.addr != MPI_IN_PLACE && !c.inter &&
            check_self_block(b.sv.counts[c.rank], b.sv.types[c.rank], b.rv.counts[c.rank], b.rv.types[c.rank], fn) < 0)
            goto fail;
        COLLECTIVE(ierr, nb,
                   MPI_Alltoallw_c(b.sv.addr, b.sv.counts, b.sv.displs, b.sv.types, b.rv.addr, b.rv.counts,
                                   b.rv.displs, b.rv.types, c.comm),
                   MPI_Ialltoallw_c(b.sv.addr, b.sv.counts, b.sv.displs, b.sv.types, b.rv.addr, b.rv.counts,
                                    b.rv.displs, b.rv.types, c.comm, &req));
    }
    return bufs_finish(&b, ierr, nb, req);
fail:
    bufs_release(&b);
    return NULL;
}
static PyObject *comm_Alltoall(ARGS) { return alltoall(self, args, nargs, kw, 0, 0); }
static PyObject *comm_Ialltoall(ARGS) { return alltoall(self, args, nargs, kw, 1, 0); }
static PyObject *comm_Alltoallv(ARGS) { return alltoall(self, args, nargs, kw, 0, 1); }
static PyObject *comm_Ialltoallv(ARGS) { return alltoall(self, args, nargs, kw, 1, 1); }
static PyObject *comm_Alltoallw(ARGS) { return alltoall(self, args, nargs, kw, 0, 2); }
static PyObject *comm_Ialltoallw(ARGS) { return alltoall(self, args, nargs, kw, 1, 2); }

/* ---- reductions -------------------------------------------------------------------------- */
static PyObject *reduce(ARGS, int nb)
{
    static const char *const kwlist[] = {"sendbuf", "recvbuf", "op", "root", NULL};
    PyObject *a[4];
    int root, role, ierr, user;
    MPI_Op op;
    pympi_cinfo c;
    bufs b;
    MPI_Request req = MPI_REQUEST_NULL;
    if (pympi_parse(NAME(nb, "Reduce"), kwlist, 2, args, nargs, kw, a) < 0 || pympi_int(a[3], 0, &root) < 0 ||
        get_op(a[2], &op, &user) < 0)
        return NULL;
    if (pympi_cinfo_get(COMM(self), &c) < 0 || pympi_root_role(&c, root, &role) < 0) return NULL;
    bufs_init(&b);
    MPI_Count count = 0;
    MPI_Datatype type = MPI_BYTE;
    if (role == 1) {
        if (pympi_msg_get(a[1], PYMPI_RECV, &b.r) < 0) goto fail;
        if (!c.inter) {
            if (pympi_msg_get(a[0], PYMPI_SEND | PYMPI_ALLOW_INPLACE, &b.s) < 0 ||
                check_same(&b.s, &b.r, NAME(nb, "Reduce")) < 0)
                goto fail;
        }
        count = b.r.count;
        type = b.r.type;
        /* MPICH checks the send buffer (not NULL, not aliased) even at MPI.ROOT, where it
         * is not significant: give it an address it never reads */
        static char unused_send;
        if (c.inter) b.s.addr = &unused_send;
    } else if (role == 0) {
        if (pympi_msg_get(a[0], PYMPI_SEND, &b.s) < 0) goto fail;
        count = b.s.count;
        type = b.s.type;
    } else {
        /* PROC_NULL: nothing moves, but MPI still checks the op against a datatype */
        type = MPI_INT;
    }
    REDUCTION(user, ierr, nb, MPI_Reduce_c(b.s.addr, b.r.addr, count, type, op, root, c.comm),
              MPI_Ireduce_c(b.s.addr, b.r.addr, count, type, op, root, c.comm, &req));
    return bufs_finish(&b, ierr, nb, req);
fail:
    bufs_release(&b);
    return NULL;
}
static PyObject *comm_Reduce(ARGS) { return reduce(self, args, nargs, kw, 0); }
static PyObject *comm_Ireduce(ARGS) { return reduce(self, args, nargs, kw, 1); }

/* Allreduce (kind 0), Scan (1), Exscan (2): count and datatype from recvbuf. The blocking
 * Allreduce is the hot path: no communicator queries, no allocation. */
static PyObject *allreduce(ARGS, int nb, int kind)
{
    static const char *const kwlist[] = {"sendbuf", "recvbuf", "op", NULL};
    static const char *const names[2][3] = {{"Allreduce", "Scan", "Exscan"}, {"Iallreduce", "Iscan", "Iexscan"}};
    PyObject *a[3];
    int ierr, user;
    MPI_Op op;
    bufs b;
    MPI_Request req = MPI_REQUEST_NULL;
    MPI_Comm comm = COMM(self);
    if (!kw && (nargs == 2 || nargs == 3)) { /* positional fast path */
        a[0] = args[0];
        a[1] = args[1];
        a[2] = nargs == 3 ? args[2] : NULL;
    } else if (pympi_parse(names[nb][kind], kwlist, 2, args, nargs, kw, a) < 0)
        return NULL;
    if (get_op(a[2], &op, &user) < 0) return NULL;
    b.s.view.obj = b.r.view.obj = NULL;
    b.sv.view.obj = b.rv.view.obj = NULL;
    b.sv.arrays = b.rv.arrays = b.extra = NULL;
    if (pympi_msg_get(a[1], PYMPI_RECV, &b.r) < 0) return NULL;
    if (pympi_msg_get(a[0], PYMPI_SEND | PYMPI_ALLOW_INPLACE, &b.s) < 0) { pympi_msg_release(&b.r); return NULL; }
    if (check_same(&b.s, &b.r, names[nb][kind]) < 0) goto fail;
    if (kind == 0 && !nb && PYMPI_FITS_INT(b.r.count))
        REDUCTION(user, ierr, 0, MPI_Allreduce(b.s.addr, b.r.addr, (int)b.r.count, b.r.type, op, comm), 0);
    else if (kind == 0)
        REDUCTION(user, ierr, nb, MPI_Allreduce_c(b.s.addr, b.r.addr, b.r.count, b.r.type, op, comm),
                  MPI_Iallreduce_c(b.s.addr, b.r.addr, b.r.count, b.r.type, op, comm, &req));
    else if (kind == 1)
        REDUCTION(user, ierr, nb, MPI_Scan_c(b.s.addr, b.r.addr, b.r.count, b.r.type, op, comm),
                  MPI_Iscan_c(b.s.addr, b.r.addr, b.r.count, b.r.type, op, comm, &req));
    else
        REDUCTION(user, ierr, nb, MPI_Exscan_c(b.s.addr, b.r.addr, b.r.count, b.r.type, op, comm),
                  MPI_Iexscan_c(b.s.addr, b.r.addr, b.r.count, b.r.type, op, comm, &req));
    if (!nb && ierr == MPI_SUCCESS) {
        pympi_msg_release(&b.s);
        pympi_msg_release(&b.r);
        Py_RETURN_NONE;
    }
    return bufs_finish(&b, ierr, nb, req);
fail:
    pympi_msg_release(&b.s);
    pympi_msg_release(&b.r);
    return NULL;
}
static PyObject *comm_Allreduce(ARGS) { return allreduce(self, args, nargs, kw, 0, 0); }
static PyObject *comm_Iallreduce(ARGS) { return allreduce(self, args, nargs, kw, 1, 0); }
static PyObject *intracomm_Scan(ARGS) { return allreduce(self, args, nargs, kw, 0, 1); }
static PyObject *intracomm_Iscan(ARGS) { return allreduce(self, args, nargs, kw, 1, 1); }
static PyObject *intracomm_Exscan(ARGS) { return allreduce(self, args, nargs, kw, 0, 2); }
static PyObject *intracomm_Iexscan(ARGS) { return allreduce(self, args, nargs, kw, 1, 2); }

static PyObject *reduce_scatter_block(ARGS, int nb)
{
    static const char *const kwlist[] = {"sendbuf", "recvbuf", "op", NULL};
    const char *fn = NAME(nb, "Reduce_scatter_block");
    PyObject *a[3];
    int ierr, user;
    MPI_Op op;
    pympi_cinfo c;
    bufs b;
    MPI_Request req = MPI_REQUEST_NULL;
    if (pympi_parse(fn, kwlist, 2, args, nargs, kw, a) < 0 || get_op(a[2], &op, &user) < 0 ||
        pympi_cinfo_get(COMM(self), &c) < 0)
        return NULL;
    bufs_init(&b);
    if (pympi_msg_get(a[1], PYMPI_RECV, &b.r) < 0 ||
        pympi_msg_get(a[0], PYMPI_SEND | (c.inter ? 0 : PYMPI_ALLOW_INPLACE), &b.s) < 0)
        goto fail;
    MPI_Count count = b.r.count;
    if (b.s.addr == MPI_IN_PLACE) {
        /* recvbuf holds the whole input vector; each process gets one block of it */
        if (count % c.size) {
            PyErr_Format(PyExc_ValueError, "%s: IN_PLACE receive buffer of %lld elements does not split into %d blocks",
                         fn, (long long)count, c.size);
            goto fail;
        }
        count /= c.size;
    } else if (!c.inter && b.s.count != count * c.size) {
        PyErr_Format(PyExc_ValueError, "%s: send count %lld is not %d times the receive count %lld", fn,
                     (long long)b.s.count, c.size, (long long)count);
        goto fail;
    }
    REDUCTION(user, ierr, nb, MPI_Reduce_scatter_block_c(b.s.addr, b.r.addr, count, b.r.type, op, c.comm),
              MPI_Ireduce_scatter_block_c(b.s.addr, b.r.addr, count, b.r.type, op, c.comm, &req));
    return bufs_finish(&b, ierr, nb, req);
fail:
    bufs_release(&b);
    return NULL;
}
static PyObject *comm_Reduce_scatter_block(ARGS) { return reduce_scatter_block(self, args, nargs, kw, 0); }
static PyObject *comm_Ireduce_scatter_block(ARGS) { return reduce_scatter_block(self, args, nargs, kw, 1); }

static PyObject *reduce_scatter(ARGS, int nb)
{
    static const char *const kwlist[] = {"sendbuf", "recvbuf", "recvcounts", "op", NULL};
    const char *fn = NAME(nb, "Reduce_scatter");
    PyObject *a[4];
    int ierr, user;
    MPI_Op op;
    pympi_cinfo c;
    bufs b;
    MPI_Request req = MPI_REQUEST_NULL;
    if (pympi_parse(fn, kwlist, 2, args, nargs, kw, a) < 0 || get_op(a[3], &op, &user) < 0 ||
        pympi_cinfo_get(COMM(self), &c) < 0)
        return NULL;
    bufs_init(&b);
    if (pympi_msg_get(a[1], PYMPI_RECV, &b.r) < 0 ||
        pympi_msg_get(a[0], PYMPI_SEND | (c.inter ? 0 : PYMPI_ALLOW_INPLACE), &b.s) < 0)
        goto fail;
    int inplace = b.s.addr == MPI_IN_PLACE;
    /* recvcounts: one per process of the local group, kept with the request */
    b.extra = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)sizeof(MPI_Count) * c.size);
    if (!b.extra) goto fail;
    MPI_Count *counts = (MPI_Count *)PyBytes_AS_STRING(b.extra), total = 0;
    PyObject *orc = a[2] && a[2] != Py_None ? a[2] : NULL;
    if (orc) {
        PyObject *fast = PySequence_Fast(orc, "recvcounts must be a sequence of integers");
        if (!fast) goto fail;
        if (PySequence_Fast_GET_SIZE(fast) != c.size) {
            PyErr_Format(PyExc_ValueError, "%s: expected %d recvcounts, got %zd", fn, c.size,
                         PySequence_Fast_GET_SIZE(fast));
            Py_DECREF(fast);
            goto fail;
        }
        for (int i = 0; i < c.size; i++) {
            if (pympi_count(PySequence_Fast_GET_ITEM(fast, i), 0, &counts[i]) < 0) { Py_DECREF(fast); goto fail; }
            if (counts[i] < 0) {
                PyErr_Format(PyExc_ValueError, "%s: negative recvcount", fn);
                Py_DECREF(fast);
                goto fail;
            }
        }
        Py_DECREF(fast);
    } else if (c.inter) {
        PyErr_Format(PyExc_ValueError, "%s: recvcounts are required on an intercommunicator", fn);
        goto fail;
    } else if (inplace) {
        if (b.r.count % c.size) {
            PyErr_Format(PyExc_ValueError, "%s: IN_PLACE receive buffer of %lld elements does not split into %d "
                         "blocks (give recvcounts)", fn, (long long)b.r.count, c.size);
            goto fail;
        }
        for (int i = 0; i < c.size; i++) counts[i] = b.r.count / c.size;
    } else {
        PYMPI_NOGIL(ierr = MPI_Allgather(&b.r.count, 1, MPI_COUNT, counts, 1, MPI_COUNT, c.comm));
        if (CHKERR(ierr)) goto fail;
    }
    for (int i = 0; i < c.size; i++) total += counts[i];
    if (inplace) {
        if (b.r.count < total) {
            PyErr_Format(PyExc_ValueError, "%s: IN_PLACE receive buffer of %lld elements, recvcounts need %lld",
                         fn, (long long)b.r.count, (long long)total);
            goto fail;
        }
    } else {
        if (b.r.count < counts[c.rank]) {
            PyErr_Format(PyExc_ValueError, "%s: receive buffer of %lld elements, recvcounts[%d] is %lld", fn,
                         (long long)b.r.count, c.rank, (long long)counts[c.rank]);
            goto fail;
        }
        if (!c.inter && b.s.count != total) {
            PyErr_Format(PyExc_ValueError, "%s: send count %lld differs from the sum of recvcounts %lld", fn,
                         (long long)b.s.count, (long long)total);
            goto fail;
        }
    }
    REDUCTION(user, ierr, nb, MPI_Reduce_scatter_c(b.s.addr, b.r.addr, counts, b.r.type, op, c.comm),
              MPI_Ireduce_scatter_c(b.s.addr, b.r.addr, counts, b.r.type, op, c.comm, &req));
    return bufs_finish(&b, ierr, nb, req);
fail:
    bufs_release(&b);
    return NULL;
}
static PyObject *comm_Reduce_scatter(ARGS) { return reduce_scatter(self, args, nargs, kw, 0); }
static PyObject *comm_Ireduce_scatter(ARGS) { return reduce_scatter(self, args, nargs, kw, 1); }

/* ---- neighbourhood collectives ----------------------------------------------------------- */
int pympi_topo_degrees(MPI_Comm comm, int *indegree, int *outdegree)
{
    int topo = MPI_UNDEFINED, n = 0, rank = 0, weighted = 0;
    if (CHKERR(MPI_Topo_test(comm, &topo))) return -1;
    switch (topo) {
    case MPI_CART:
        if (CHKERR(MPI_Cartdim_get(comm, &n))) return -1;
        *indegree = *outdegree = 2 * n;
        return 0;
    case MPI_GRAPH:
        if (CHKERR(MPI_Comm_rank(comm, &rank)) || CHKERR(MPI_Graph_neighbors_count(comm, rank, &n))) return -1;
        *indegree = *outdegree = n;
        return 0;
    case MPI_DIST_GRAPH:
        return CHKERR(MPI_Dist_graph_neighbors_count(comm, indegree, outdegree, &weighted)) ? -1 : 0;
    default:
        return pympi_raise(MPI_ERR_TOPOLOGY);
    }
}

/* kind: 0 allgather, 1 allgatherv, 2 alltoall, 3 alltoallv, 4 alltoallw */
static PyObject *neighbor(ARGS, int nb, int kind)
{
    static const char *const kwlist[] = {"sendbuf", "recvbuf", NULL};
    static const char *const names[2][5] = {
        {"Neighbor_allgather", "Neighbor_allgatherv", "Neighbor_alltoall", "Neighbor_alltoallv", "Neighbor_alltoallw"},
        {"Ineighbor_allgather", "Ineighbor_allgatherv", "Ineighbor_alltoall", "Ineighbor_alltoallv",
         "Ineighbor_alltoallw"}};
    PyObject *a[2];
    int ierr, in, out;
    bufs b;
    MPI_Request req = MPI_REQUEST_NULL;
    MPI_Comm comm = COMM(self);
    if (pympi_parse(names[nb][kind], kwlist, 2, args, nargs, kw, a) < 0 || pympi_topo_degrees(comm, &in, &out) < 0)
        return NULL;
    bufs_init(&b);
    switch (kind) {
    case 0:
        if (pympi_msg_get(a[0], PYMPI_SEND, &b.s) < 0 || pympi_msg_get_blocks(a[1], PYMPI_RECV, in, &b.r) < 0) goto fail;
        COLLECTIVE(ierr, nb,
                   MPI_Neighbor_allgather_c(b.s.addr, b.s.count, b.s.type, b.r.addr, b.r.count, b.r.type, comm),
                   MPI_Ineighbor_allgather_c(b.s.addr, b.s.count, b.s.type, b.r.addr, b.r.count, b.r.type, comm, &req));
        break;
    case 1:
        if (pympi_msg_get(a[0], PYMPI_SEND, &b.s) < 0 || pympi_vmsg_get(a[1], PYMPI_RECV, in, &b.rv) < 0) goto fail;
        COLLECTIVE(ierr, nb,
                   MPI_Neighbor_allgatherv_c(b.s.addr, b.s.count, b.s.type, b.rv.addr, b.rv.counts, b.rv.displs,
                                             b.rv.type, comm),
                   MPI_Ineighbor_allgatherv_c(b.s.addr, b.s.count, b.s.type, b.rv.addr, b.rv.counts, b.rv.displs,
                                              b.rv.type, comm, &req));
        break;
    case 2:
        if (pympi_msg_get_blocks(a[0], PYMPI_SEND, out, &b.s) < 0 || pympi_msg_get_blocks(a[1], PYMPI_RECV, in, &b.r) < 0)
            goto fail;
        COLLECTIVE(ierr, nb,
                   MPI_Neighbor_alltoall_c(b.s.addr, b.s.count, b.s.type, b.r.addr, b.r.count, b.r.type, comm),
                   MPI_Ineighbor_alltoall_c(b.s.addr, b.s.count, b.s.type, b.r.addr, b.r.count, b.r.type, comm, &req));
        break;
    case 3:
        if (pympi_vmsg_get(a[0], PYMPI_SEND, out, &b.sv) < 0 || pympi_vmsg_get(a[1], PYMPI_RECV, in, &b.rv) < 0) goto fail;
        COLLECTIVE(ierr, nb,
                   MPI_Neighbor_alltoallv_c(b.sv.addr, b.sv.counts, b.sv.displs, b.sv.type, b.rv.addr, b.rv.counts,
                                            b.rv.displs, b.rv.type, comm),
                   MPI_Ineighbor_alltoallv_c(b.sv.addr, b.sv.counts, b.sv.displs, b.sv.type, b.rv.addr, b.rv.counts,
                                             b.rv.displs, b.rv.type, comm, &req));
        break;
    default:
        if (pympi_wmsg_get(a[0], PYMPI_SEND, out, &b.sv) < 0 || pympi_wmsg_get(a[1], PYMPI_RECV, in, &b.rv) < 0) goto fail;
        COLLECTIVE(ierr, nb,
                   MPI_Neighbor_alltoallw_c(b.sv.addr, b.sv.counts, b.sv.displs, b.sv.types, b.rv.addr, b.rv.counts,
                                            b.rv.displs, b.rv.types, comm),
                   MPI_Ineighbor_alltoallw_c(b.sv.addr, b.sv.counts, b.sv.displs, b.sv.types, b.rv.addr, b.rv.counts,
                                             b.rv.displs, b.rv.types, comm, &req));
        break;
    }
    return bufs_finish(&b, ierr, nb, req);
fail:
    bufs_release(&b);
    return NULL;
}
static PyObject *topo_Neighbor_allgather(ARGS) { return neighbor(self, args, nargs, kw, 0, 0); }
static PyObject *topo_Ineighbor_allgather(ARGS) { return neighbor(self, args, nargs, kw, 1, 0); }
static PyObject *topo_Neighbor_allgatherv(ARGS) { return neighbor(self, args, nargs, kw, 0, 1); }
static PyObject *topo_Ineighbor_allgatherv(ARGS) { return neighbor(self, args, nargs, kw, 1, 1); }
static PyObject *topo_Neighbor_alltoall(ARGS) { return neighbor(self, args, nargs, kw, 0, 2); }
static PyObject *topo_Ineighbor_alltoall(ARGS) { return neighbor(self, args, nargs, kw, 1, 2); }
static PyObject *topo_Neighbor_alltoallv(ARGS) { return neighbor(self, args, nargs, kw, 0, 3); }
static PyObject *topo_Ineighbor_alltoallv(ARGS) { return neighbor(self, args, nargs, kw, 1, 3); }
static PyObject *topo_Neighbor_alltoallw(ARGS) { return neighbor(self, args, nargs, kw, 0, 4); }
static PyObject *topo_Ineighbor_alltoallw(ARGS) { return neighbor(self, args, nargs, kw, 1, 4); }

/* ---- method tables --------------------------------------------------------------------- */
PyMethodDef pympi_comm_coll_methods[] = {
    {"Ibarrier", comm_Ibarrier, METH_NOARGS, "Non-blocking barrier."},
    {"Bcast", FASTKW(comm_Bcast), "Broadcast a buffer from root."},
    {"Ibcast", FASTKW(comm_Ibcast), "Non-blocking Bcast."},
    {"Gather", FASTKW(comm_Gather), "Gather equal blocks to root."},
    {"Igather", FASTKW(comm_Igather), "Non-blocking Gather."},
    {"Gatherv", FASTKW(comm_Gatherv), "Gather blocks of varying size to root."},
    {"Igatherv", FASTKW(comm_Igatherv), "Non-blocking Gatherv."},
    {"Scatter", FASTKW(comm_Scatter), "Scatter equal blocks from root."},
    {"Iscatter", FASTKW(comm_Iscatter), "Non-blocking Scatter."},
    {"Scatterv", FASTKW(comm_Scatterv), "Scatter blocks of varying size from root."},
    {"Iscatterv", FASTKW(comm_Iscatterv), "Non-blocking Scatterv."},
    {"Allgather", FASTKW(comm_Allgather), "Gather equal blocks to all."},
    {"Iallgather", FASTKW(comm_Iallgather), "Non-blocking Allgather."},
    {"Allgatherv", FASTKW(comm_Allgatherv), "Gather blocks of varying size to all."},
    {"Iallgatherv", FASTKW(comm_Iallgatherv), "Non-blocking Allgatherv."},
    {"Alltoall", FASTKW(comm_Alltoall), "All-to-all exchange of equal blocks."},
    {"Ialltoall", FASTKW(comm_Ialltoall), "Non-blocking Alltoall."},
    {"Alltoallv", FASTKW(comm_Alltoallv), "All-to-all exchange of blocks of varying size."},
    {"Ialltoallv", FASTKW(comm_Ialltoallv), "Non-blocking Alltoallv."},
    {"Alltoallw", FASTKW(comm_Alltoallw), "All-to-all exchange with a datatype per block."},
    {"Ialltoallw", FASTKW(comm_Ialltoallw), "Non-blocking Alltoallw."},
    {"Reduce", FASTKW(comm_Reduce), "Reduce to root."},
    {"Ireduce", FASTKW(comm_Ireduce), "Non-blocking Reduce."},
    {"Allreduce", FASTKW(comm_Allreduce), "Reduce to all."},
    {"Iallreduce", FASTKW(comm_Iallreduce), "Non-blocking Allreduce."},
    {"Reduce_scatter_block", FASTKW(comm_Reduce_scatter_block), "Reduce, then scatter equal blocks."},
    {"Ireduce_scatter_block", FASTKW(comm_Ireduce_scatter_block), "Non-blocking Reduce_scatter_block."},
    {"Reduce_scatter", FASTKW(comm_Reduce_scatter), "Reduce, then scatter blocks of recvcounts."},
    {"Ireduce_scatter", FASTKW(comm_Ireduce_scatter), "Non-blocking Reduce_scatter."},
    {NULL}};

PyMethodDef pympi_intracomm_coll_methods[] = {
    {"Scan", FASTKW(intracomm_Scan), "Inclusive prefix reduction."},
    {"Iscan", FASTKW(intracomm_Iscan), "Non-blocking Scan."},
    {"Exscan", FASTKW(intracomm_Exscan), "Exclusive prefix reduction."},
    {"Iexscan", FASTKW(intracomm_Iexscan), "Non-blocking Exscan."},
    {"scan", FASTKW(pympi_intracomm_scan), "Inclusive prefix reduction of Python objects."},
    {"exscan", FASTKW(pympi_intracomm_exscan), "Exclusive prefix reduction of Python objects."},
    {NULL}};

PyMethodDef pympi_topocomm_coll_methods[] = {
    {"Neighbor_allgather", FASTKW(topo_Neighbor_allgather), "Gather from the neighbours."},
    {"Ineighbor_allgather", FASTKW(topo_Ineighbor_allgather), "Non-blocking Neighbor_allgather."},
    {"Neighbor_allgatherv", FASTKW(topo_Neighbor_allgatherv), "Gather blocks of varying size from the neighbours."},
    {"Ineighbor_allgatherv", FASTKW(topo_Ineighbor_allgatherv), "Non-blocking Neighbor_allgatherv."},
    {"Neighbor_alltoall", FASTKW(topo_Neighbor_alltoall), "Exchange equal blocks with the neighbours."},
    {"Ineighbor_alltoall", FASTKW(topo_Ineighbor_alltoall), "Non-blocking Neighbor_alltoall."},
    {"Neighbor_alltoallv", FASTKW(topo_Neighbor_alltoallv), "Exchange blocks of varying size with the neighbours."},
    {"Ineighbor_alltoallv", FASTKW(topo_Ineighbor_alltoallv), "Non-blocking Neighbor_alltoallv."},
    {"Neighbor_alltoallw", FASTKW(topo_Neighbor_alltoallw), "Exchange with a datatype per neighbour."},
    {"Ineighbor_alltoallw", FASTKW(topo_Ineighbor_alltoallw), "Non-blocking Neighbor_alltoallw."},
    {"neighbor_allgather", FASTKW(pympi_topocomm_neighbor_allgather), "Gather Python objects from the neighbours."},
    {"neighbor_alltoall", FASTKW(pympi_topocomm_neighbor_alltoall), "Exchange Python objects with the neighbours."},
    {NULL}};
