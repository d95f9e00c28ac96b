/* Rank 0 of a session: job, batches, dispatch, deadline, aggregation,
 * outputs.  Protocol and formats: docs/session.md. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "alchemiser/events.h"
#include "alchemiser/log.h"
#include "alchemiser/order.h"
#include "alchemiser/pack.h"
#include "alchemiser/session.h"
#include "alchemiser/snapshot.h"
#include "alchemiser/sha256.h"
#include "alchemiser/task.h"
#include "session/internal.h"
#include "session/sends.h"

/* Poll interval of rank 0 while it waits for messages: short enough not to
 * add latency, long enough to leave the CPU to the workers. */
#define POLL_SLEEP_US 300
/* While it dispatches, the interval backs off from POLL_MIN_US, doubling
 * at every empty poll up to POLL_MAX_US, and starts again at every
 * message: a worker holds its next batch while it evaluates one, so a
 * reply a millisecond late costs it nothing, while each wake-up of the main
 * thread preempts rank 0's evaluator on the same core (17,800 context
 * switches in a 3.6 s session at a fixed 300 us). */
#define POLL_MIN_US 100
#define POLL_MAX_US 1000
/* How long rank 0's recorder thread waits for more accepted batches before
 * it writes what it has (N > 1; at N = 1 each batch is written at once). */
#define RECORD_LINGER_MS 20
/* How long rank 0 waits for idle workers to acknowledge the end. */
#define STOP_GRACE_SECONDS 10.0
#define STOP_GRACE_AFTER_TIMEOUT 1.0

const char *alc_session_status_name(alc_session_status s)
{
    switch (s) {
    case ALC_SESSION_PENDING: return "PENDING";
    case ALC_SESSION_AGGREGATING: return "AGGREGATING";
    case ALC_SESSION_COMPLETED: return "COMPLETED";
    case ALC_SESSION_FAILED: return "FAILED";
    case ALC_SESSION_TIMEOUT: return "TIMEOUT";
    }
    return "UNKNOWN";
}

void alc_session_free(alc_session *s)
{
    if (!s)
        return;
    for (int b = 0; b < s->n_batches; b++)
        if (s->batches[b].has_result)
            alc_partial_free(&s->batches[b].result);
    free(s->batches);
    free(s->history);
    free(s->dropped);
    free(s->metrics.ranks);
    alc_consolidated_free(&s->portfolio);
    free(s);
}

/* A worker sends one REQUEST when it is ready, then RESULT and REQUEST
 * after each batch sent to it: it waits for a command, every message of it
 * received, exactly when reqs == sent + 1. */
typedef struct wstate {
    int reqs;       /* REQUEST messages received */
    int sent;       /* BATCH messages sent (point to point) */
    int inflight;   /* batches dispatched and not answered */
    int stopped;    /* STOP sent */
} wstate;

static int idle_worker(const wstate *w) { return w->reqs > w->sent; }

/* Batches each evaluating rank holds in dynamic mode: the one it evaluates
 * and the next one, already handed over, so that it never waits for rank
 * 0's main thread between two batches (a busy 2-core machine can delay a
 * woken thread by milliseconds). */
#define PREFETCH 2
/* nice value of rank 0's evaluator thread (self_main) */
#define SELF_NICE 10

/* Rank 0's own evaluator in dynamic mode with workers: a thread that
 * evaluates the batches handed to it one at a time (alc_worker_run_batch,
 * no MPI, no HDF5) while the main thread keeps polling, dispatching and
 * queueing results for the recorder, so that no worker ever waits for rank
 * 0.  The mutex guards every field below th except `held`. */
typedef struct self_result {
    alc_status st;
    alc_partial p;
    alc_error e;
} self_result;

typedef struct self_eval {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;   /* main -> thread: a task, or quit */
    pthread_cond_t done; /* thread -> main: a result (wakes the poll at once) */
    alc_worker *w;       /* owned; borrowed by the thread */
    alc_day as_of;
    int held;            /* main thread only: handed over, result not taken yet (<= PREFETCH) */
    alc_batch_desc task[PREFETCH]; /* queued tasks (owned until the thread takes one) */
    int t_head, t_count;
    self_result res[PREFETCH];     /* results not taken yet */
    int r_head, r_count;
    int quit;
} self_eval;

/* Rank 0's recorder (N > 1): a thread that writes every accepted batch into
 * the snapshot (alc_snapshot_write_batch: the only HDF5 calls while the
 * batches run), in acceptance order, so that the main thread goes on
 * polling and dispatching meanwhile and no evaluating rank waits for a
 * write.  The mutex guards every field below th.  The thread reads an
 * accepted batch's state (never changed again) and the session's status
 * and error strings (not changed before the recorder is stopped). */
typedef struct recorder {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    alc_snapshot *snap;   /* borrowed */
    const alc_session *s; /* borrowed */
    int *queue;           /* batch indices, n_batches slots (a batch is recorded once) */
    int head, tail;
    int quit;             /* main -> thread: nothing more will come; drain and end */
    alc_status st;        /* the first failure (then nothing more is written) */
    alc_error err;
    double seconds;       /* time spent writing */
} recorder;

typedef struct coord {
    MPI_Comm comm;
    alc_session *s;
    self_eval *self;    /* rank 0 evaluates batches too (dynamic mode), or NULL */
    recorder *rec;      /* N > 1: the recorder thread; NULL: record at once */
    alc_sends sends;    /* BATCHes sent with MPI_Isend to a worker busy with its previous
                         * one (a blocking send could wait until that one is done) */
    alc_snapshot *snap;
    alc_events *ev;
    wstate *w;
    int *order;         /* dynamic mode: the batches in the order they are handed out, or NULL
                         * (index order) */
    int n_workers;
    int inflight;
    uint32_t next_ticket;
    char last_partial_event[ALC_EVENT_ID_MAX];
    char cause[ALC_EVENT_ID_MAX]; /* causation of the dispatches ("" = the correlation id) */
    int fatal;          /* an output could not be written: end the session */
    alc_error fatal_err;
    double t_job, t_market; /* monotonic times when the job, then the market, were loaded */
} coord;

static void set_fatal(coord *c, const alc_error *e)
{
    if (!c->fatal) {
        c->fatal = 1;
        c->fatal_err = *e;
        char msg[1700];
        alc_error_format(e, msg, sizeof msg);
        alc_log(ALC_LOG_ERROR, "session cannot continue: %s", msg);
    }
}

/* Events are part of the outputs: failing to write one ends the session. */
static void check(coord *c, alc_status st, const alc_error *e)
{
    if (st != ALC_OK)
        set_fatal(c, e);
}

static int mkdirs(const char *path)
{
    char tmp[ALC_PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s", path) >= sizeof tmp)
        return -1;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
        return -1;
    struct stat st;
    return stat(tmp, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

/* CLOCK_MONOTONIC now + us (us < 1 s): a deadline for pthread_cond_timedwait
 * on a condition variable set to that clock. */
static struct timespec mono_after_us(long us)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_nsec += us * 1000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

/* ---- the recorder thread ---- */

static void *recorder_main(void *arg)
{
    recorder *r = arg;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (r->head == r->tail && !r->quit)
            pthread_cond_wait(&r->cv, &r->mu);
        if (r->head == r->tail)
            break; /* quit, and everything written */
        /* Let the batches accepted in the next RECORD_LINGER_MS join this
         * write: one status update and flush for all of them (a flush is a
         * quarter of a batch's recording), and fewer wake-ups of a thread
         * that preempts rank 0's evaluator.  A crash meanwhile loses only
         * results that a resume evaluates again. */
        struct timespec until = mono_after_us(RECORD_LINGER_MS * 1000L);
        while (!r->quit && pthread_cond_timedwait(&r->cv, &r->mu, &until) == 0)
            ;
        /* everything queued so far, with one flush: when the thread lags
         * (it shares rank 0's core with the evaluator), fewer flushes */
        const int *batches = r->queue + r->head;
        int n = r->tail - r->head;
        r->head = r->tail;
        int failed = r->st != ALC_OK;
        pthread_mutex_unlock(&r->mu);
        alc_error e;
        alc_error_clear(&e);
        alc_status st = ALC_OK;
        double t0 = alc_now_mono();
        if (!failed)
            st = alc_snapshot_write_batches(r->snap, r->s, batches, n, &e);
        double dt = alc_now_mono() - t0;
        pthread_mutex_lock(&r->mu);
        r->seconds += dt;
        if (st != ALC_OK && r->st == ALC_OK) {
            r->st = st;
            r->err = e;
        }
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

static alc_status recorder_start(alc_snapshot *snap, const alc_session *s, recorder **out,
                                 alc_error *err)
{
    *out = NULL;
    recorder *r = calloc(1, sizeof *r);
    int *q = calloc((size_t)(s->n_batches > 0 ? s->n_batches : 1), sizeof *q);
    if (!r || !q) {
        free(r);
        free(q);
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    }
    r->snap = snap;
    r->s = s;
    r->queue = q;
    r->st = ALC_OK;
    pthread_mutex_init(&r->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&r->th, NULL, recorder_main, r) != 0) {
        pthread_cond_destroy(&r->cv);
        pthread_mutex_destroy(&r->mu);
        free(q);
        free(r);
        return alc_fail(err, ALC_ERR_INTERNAL, "cannot start rank 0's recorder thread");
    }
    *out = r;
    return ALC_OK;
}

static void recorder_push(recorder *r, int b)
{
    pthread_mutex_lock(&r->mu);
    /* only the first of a group wakes the thread: the others join it
     * while it lingers */
    if (r->head == r->tail)
        pthread_cond_signal(&r->cv);
    r->queue[r->tail++] = b;
    pthread_mutex_unlock(&r->mu);
}

/* 1 (and *e filled) once a write failed. */
static int recorder_failed(recorder *r, alc_error *e)
{
    pthread_mutex_lock(&r->mu);
    int failed = r->st != ALC_OK;
    if (failed)
        *e = r->err;
    pthread_mutex_unlock(&r->mu);
    return failed;
}

/* Writes what is queued, stops the thread, frees it: the main thread may
 * call the snapshot again afterwards. */
static void recorder_stop(coord *c)
{
    recorder *r = c->rec;
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    r->quit = 1;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->th, NULL);
    c->rec = NULL;
    c->s->metrics.snapshot_batches_seconds += r->seconds;
    if (r->st != ALC_OK)
        set_fatal(c, &r->err);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r->queue);
    free(r);
}

/* ---- recording results ---- */

/* The shape of a result must match its batch exactly. */
static const char *malformed(const alc_session *s, const alc_partial *p)
{
    if (p->n_batches != s->n_batches)
        return "wrong batch count";
    return alc_partial_mismatch(p, &s->batches[p->batch_index].batch);
}

/* Takes ownership of *p. */
static void record_result(coord *c, int src, alc_partial *p, uint64_t bytes)
{
    alc_session *s = c->s;
    alc_error e;
    alc_error_clear(&e);
    s->metrics.batches_received++;
    if (src > 0) {
        s->metrics.bytes_sent += bytes;
        s->metrics.ranks[src].bytes_sent += bytes;
    }
    if (p->batch_index < 0 || p->batch_index >= s->n_batches) {
        s->metrics.bad_messages++;
        alc_log(ALC_LOG_ERROR, "rank %d sent a result for unknown batch %d", src, p->batch_index);
        alc_partial_free(p);
        return;
    }
    if (p->max_rss_kb > s->metrics.ranks[src].max_rss_kb)
        s->metrics.ranks[src].max_rss_kb = p->max_rss_kb;
    alc_batch_state *bs = &s->batches[p->batch_index];
    if (bs->state != ALC_BATCH_RUNNING || p->ticket != bs->ticket) {
        s->metrics.duplicates_ignored++;
        alc_log(ALC_LOG_WARN, "ignoring a duplicate result for %s from rank %d (attempt %d)",
                bs->batch.id, src, p->attempt);
        alc_partial_free(p);
        return;
    }
    if (src > 0) {
        c->w[src].inflight--;
        c->inflight--;
    }
    s->metrics.ranks[src].batches++;
    s->metrics.ranks[src].strategies += p->n_signals;
    s->metrics.ranks[src].eval_ms += p->eval_ms;
    const char *bad = malformed(s, p);
    if (bad) {
        s->metrics.bad_messages++;
        p->failed = 1;
        free(p->error);
        char msg[200];
        snprintf(msg, sizeof msg, "malformed result from rank %d: %s", src, bad);
        p->error = alc_strdup(msg);
    }
    check(c, alc_event_partial(c->ev, s, p, bs->request_event, c->last_partial_event, &e), &e);
    if (p->failed) {
        s->metrics.batches_failed++;
        const char *why = p->error;
        for (int k = 0; !why && k < p->n_signals; k++)
            if (p->signals[k].code != ALC_OK)
                why = p->signals[k].error;
        if (bs->attempts <= s->job->max_retries) {
            s->metrics.retries++;
            alc_log(ALC_LOG_WARN, "%s failed on rank %d (attempt %d of %d): %s; retrying",
                    bs->batch.id, src, bs->attempts, s->job->max_retries + 1, why ? why : "?");
            bs->state = ALC_BATCH_QUEUED;
            bs->last_failed_rank = src;
            alc_partial_free(p);
            return;
        }
        alc_log(ALC_LOG_ERROR, "%s failed on rank %d after %d attempt(s): %s", bs->batch.id, src,
                bs->attempts, why ? why : "?");
        bs->state = ALC_BATCH_FAILED;
    } else {
        bs->state = ALC_BATCH_DONE;
        alc_log(ALC_LOG_INFO, "%s done by rank %d in %.1f ms (%d of %d)", bs->batch.id, src,
                p->eval_ms, s->completed + 1, s->n_batches);
    }
    bs->result = *p;
    memset(p, 0, sizeof *p);
    bs->has_result = 1;
    bs->received_wall = alc_now_wall();
    bs->bytes = bytes;
    s->completed++;
    if (c->rec) {
        recorder_push(c->rec, bs->batch.index);
        return;
    }
    double t0 = alc_now_mono();
    check(c, alc_snapshot_write_batch(c->snap, s, bs->batch.index, &e), &e);
    s->metrics.snapshot_batches_seconds += alc_now_mono() - t0;
}

/* ---- dispatch ---- */

static void mark_dispatched(coord *c, int b, int rank)
{
    alc_batch_state *bs = &c->s->batches[b];
    bs->attempts++;
    bs->ticket = ++c->next_ticket;
    bs->rank = rank;
    bs->state = ALC_BATCH_RUNNING;
    c->s->metrics.batches_requested++;
    alc_error e;
    alc_error_clear(&e);
    check(c, alc_event_batch_requested(c->ev, c->s, b, c->cause[0] ? c->cause : NULL,
                                       bs->request_event, &e), &e);
    alc_log(ALC_LOG_DEBUG, "%s -> rank %d (attempt %d)", bs->batch.id, rank, bs->attempts);
}

/* Frees the prefetch sends that have completed (one whose MPI_Test fails
 * is dropped too). */
static void reap_sends(coord *c)
{
    alc_error e;
    if (c->sends.n)
        (void)alc_sends_reap(&c->sends, &e);
}

static alc_status send_batch(coord *c, int r, int b, alc_error *err)
{
    alc_session *s = c->s;
    mark_dispatched(c, b, r);
    alc_batch_state *bs = &s->batches[b];
    alc_batch_desc d;
    alc_status st = alc_batch_desc_make(s->job, &bs->batch, bs->attempts, bs->ticket, &d, err);
    if (st != ALC_OK)
        return st;
    alc_buf buf;
    alc_buf_init(&buf);
    st = alc_pack_batch(&d, &buf, err);
    alc_batch_desc_free(&d);
    size_t len = buf.len;
    if (st == ALC_OK && idle_worker(&c->w[r])) {
        /* it waits in MPI_Probe: the send completes at once */
        int rc = MPI_Send(buf.data, (int)buf.len, MPI_BYTE, r, ALC_TAG_BATCH, c->comm);
        if (rc != MPI_SUCCESS)
            st = alc_mpi_fail(err, rc, "sending a batch");
        alc_buf_free(&buf);
    } else if (st == ALC_OK) {
        /* prefetch to a busy worker: never wait for it */
        st = alc_sends_post(&c->sends, &buf, r, ALC_TAG_BATCH, c->comm, err);
    } else {
        alc_buf_free(&buf);
    }
    if (st == ALC_OK) {
        s->metrics.bytes_sent += len;
        s->metrics.ranks[0].bytes_sent += len;
        c->w[r].sent++;
        c->w[r].inflight++;
        c->inflight++;
    }
    return st;
}

/* Next queued batch for rank r, in dispatch order; a retry prefers a rank
 * other than the one it failed on (-1 = nothing for r now). */
static int pick(const coord *c, int r)
{
    int fallback = -1;
    for (int i = 0; i < c->s->n_batches; i++) {
        int b = c->order ? c->order[i] : i;
        const alc_batch_state *bs = &c->s->batches[b];
        if (bs->state != ALC_BATCH_QUEUED)
            continue;
        if (bs->last_failed_rank != r)
            return b;
        if (fallback < 0)
            fallback = b;
    }
    return c->n_workers <= 1 ? fallback : -1;
}

/* Largest batches first (their strategy files' bytes: evaluation time
 * grows with a strategy's size), so that the last batches handed out are
 * small and no rank finishes long after the others: a 3 MB strategy
 * evaluated last kept the other ranks idle for a tenth of a second.  Ties
 * in index order.  The result does not depend on the order (aggregation
 * sums in strategy order).  NULL when out of memory: index order. */
static int *dispatch_order(const alc_session *s)
{
    int n = s->n_batches;
    uint64_t *bytes = calloc((size_t)(n ? n : 1), sizeof *bytes);
    if (!bytes)
        return NULL;
    for (int b = 0; b < n; b++) {
        const alc_batch *bt = &s->batches[b].batch;
        for (int k = 0; k < bt->count; k++)
            bytes[b] += s->job->strategies[bt->first + k].bytes;
    }
    int *order = alc_order_largest_first(bytes, n);
    free(bytes);
    return order;
}

/* Dynamic mode: every ready worker gets batches until it holds PREFETCH
 * (the next one waits in its MPI queue while it evaluates).  Static mode
 * (retries only): a worker gets one when it asks. */
static alc_status dispatch_idle(coord *c, alc_error *err)
{
    int dynamic = c->s->scheduling == ALC_SCHED_DYNAMIC;
    for (int r = 1; r <= c->n_workers; r++) {
        wstate *w = &c->w[r];
        while (!w->stopped && (dynamic ? w->reqs > 0 && w->inflight < PREFETCH : idle_worker(w))) {
            if (dynamic && c->inflight >= c->s->max_parallel)
                return ALC_OK;
            int b = pick(c, r);
            if (b < 0)
                break;
            alc_status st = send_batch(c, r, b, err);
            if (st != ALC_OK)
                return st;
        }
    }
    return ALC_OK;
}

static alc_status scatter_static(coord *c, alc_error *err)
{
    alc_session *s = c->s;
    int n = c->n_workers + 1;
    alc_buf *bufs = calloc((size_t)n, sizeof *bufs);
    int *counts = calloc((size_t)n, sizeof *counts);
    int *displs = calloc((size_t)n, sizeof *displs);
    alc_batch_desc *descs = calloc((size_t)s->n_batches, sizeof *descs);
    int *queued = calloc((size_t)s->n_batches, sizeof *queued);
    unsigned char *all = NULL;
    alc_status st = bufs && counts && displs && descs && queued
                        ? ALC_OK : alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    /* Round robin over the queued batches (all of them, except those a
     * resume reuses): the q-th goes to worker 1 + q % n_workers. */
    int nq = 0;
    for (int b = 0; st == ALC_OK && b < s->n_batches; b++)
        if (s->batches[b].state == ALC_BATCH_QUEUED)
            queued[nq++] = b;
    for (int q = 0; st == ALC_OK && q < nq; q++) {
        int b = queued[q], r = 1 + q % c->n_workers;
        mark_dispatched(c, b, r);
        c->w[r].inflight++;
        c->inflight++;
        st = alc_batch_desc_make(s->job, &s->batches[b].batch, s->batches[b].attempts,
                                 s->batches[b].ticket, &descs[q], err);
    }
    if (st == ALC_OK) {
        /* Build each worker's list by index, without moving descriptors. */
        for (int r = 1; st == ALC_OK && r < n; r++) {
            int m = nq >= r ? (nq - r) / c->n_workers + 1 : 0;
            alc_batch_desc *mine = malloc(sizeof *mine * (size_t)(m ? m : 1));
            if (!mine) {
                st = alc_fail(err, ALC_ERR_NOMEM, "out of memory");
                break;
            }
            int k = 0;
            for (int q = r - 1; q < nq; q += c->n_workers)
                mine[k++] = descs[q];
            st = alc_pack_batch_list(mine, k, &bufs[r], err);
            free(mine); /* shallow: the items still belong to descs */
            if (st == ALC_OK && bufs[r].len > (size_t)INT32_MAX)
                st = alc_fail(err, ALC_ERR_LIMIT, "static batch list too large for one message");
        }
    }
    size_t total = 0;
    for (int r = 0; st == ALC_OK && r < n; r++) {
        counts[r] = (int)bufs[r].len;
        displs[r] = (int)total;
        total += bufs[r].len;
    }
    if (st == ALC_OK && total > (size_t)INT32_MAX)
        st = alc_fail(err, ALC_ERR_LIMIT, "static batch lists too large for one MPI_Scatterv");
    if (st == ALC_OK && !(all = malloc(total ? total : 1)))
        st = alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    for (int r = 0; st == ALC_OK && r < n; r++)
        if (bufs[r].len)
            memcpy(all + displs[r], bufs[r].data, bufs[r].len);
    /* Workers are already inside MPI_Scatter: the collective must happen even
     * on failure, so send empty lists then (they will just ask for work). */
    if (st != ALC_OK && counts)
        for (int r = 0; r < n; r++)
            counts[r] = displs[r] = 0;
    int zero = 0, dummy = 0;
    int rc = MPI_Scatter(counts ? counts : &zero, 1, MPI_INT, &dummy, 1, MPI_INT, 0, c->comm);
    if (rc == MPI_SUCCESS)
        rc = MPI_Scatterv(all ? all : (void *)&zero, counts ? counts : &zero,
                          displs ? displs : &zero, MPI_BYTE, NULL, 0, MPI_BYTE, 0, c->comm);
    if (rc != MPI_SUCCESS && st == ALC_OK)
        st = alc_mpi_fail(err, rc, "scattering the static batches");
    if (st == ALC_OK) {
        s->metrics.bytes_sent += total;
        s->metrics.ranks[0].bytes_sent += total;
        alc_log(ALC_LOG_INFO, "static: %d batches scattered to %d workers (%zu bytes)", nq,
                c->n_workers, total);
    }
    for (int q = 0; descs && q < nq; q++)
        alc_batch_desc_free(&descs[q]);
    free(queued);
    for (int r = 0; bufs && r < n; r++)
        alc_buf_free(&bufs[r]);
    free(descs);
    free(bufs);
    free(counts);
    free(displs);
    free(all);
    return st;
}

/* Receive one message already announced by MPI_Iprobe. */
static alc_status receive(coord *c, const MPI_Status *status, int late, alc_error *err)
{
    int count = 0;
    int rc = MPI_Get_count(status, MPI_BYTE, &count);
    if (rc != MPI_SUCCESS)
        return alc_mpi_fail(err, rc, "probing a message");
    unsigned char *buf = malloc(count > 0 ? (size_t)count : 1);
    if (!buf)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    int src = status->MPI_SOURCE, tag = status->MPI_TAG;
    rc = MPI_Recv(buf, count, MPI_BYTE, src, tag, c->comm, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS) {
        free(buf);
        return alc_mpi_fail(err, rc, "receiving a message");
    }
    alc_session *s = c->s;
    if (tag == ALC_TAG_REQUEST) {
        c->w[src].reqs++;
    } else if (tag == ALC_TAG_RESULT) {
        char *sid = NULL;
        alc_partial p;
        alc_error e;
        alc_error_clear(&e);
        if (alc_unpack_partial(buf, (size_t)count, &sid, &p, &e) != ALC_OK) {
            s->metrics.bad_messages++;
            char msg[1700];
            alc_error_format(&e, msg, sizeof msg);
            alc_log(ALC_LOG_ERROR, "undecodable result from rank %d: %s", src, msg);
        } else if (strcmp(sid, s->id) != 0) {
            s->metrics.bad_messages++;
            alc_log(ALC_LOG_ERROR, "rank %d sent a result of another session (%s)", src, sid);
            alc_partial_free(&p);
        } else if (late) {
            s->metrics.batches_received++;
            s->metrics.duplicates_ignored++;
            alc_log(ALC_LOG_WARN, "ignoring a late result for batch %d from rank %d",
                    p.batch_index + 1, src);
            alc_partial_free(&p);
        } else {
            record_result(c, src, &p, (uint64_t)count);
        }
        free(sid);
    } else {
        s->metrics.bad_messages++;
        alc_log(ALC_LOG_ERROR, "unexpected message tag %d from rank %d", tag, src);
    }
    free(buf);
    return ALC_OK;
}

/* ---- portfolio.json, beside the snapshot's result tables ---- */

/* The session's end is serial: every other rank is idle by then.  Its two
 * largest outputs (for 10,000 strategies: 8.5 MB of portfolio.json, and
 * 200,000 attribution rows in the snapshot) are independent, so a thread
 * writes the JSON while the main thread writes the tables.  Both only read
 * the session. */
typedef struct portfolio_writer {
    const alc_session *s; /* borrowed */
    alc_task task;
    alc_status st;
    alc_error err;
} portfolio_writer;

static void *portfolio_main(void *arg)
{
    portfolio_writer *pw = arg;
    pw->st = alc_session_write_portfolio(pw->s, pw->s->portfolio_path, &pw->err);
    return NULL;
}

/* Without a thread the file is written here, before the tables. */
static void portfolio_start(portfolio_writer *pw, const alc_session *s)
{
    pw->s = s;
    pw->st = ALC_OK;
    alc_error_clear(&pw->err);
    alc_task_start(&pw->task, portfolio_main, pw);
}

/* Waits for the file; its error, if any, goes to err. */
static alc_status portfolio_join(portfolio_writer *pw, alc_error *err)
{
    alc_task_join(&pw->task);
    if (pw->st != ALC_OK)
        *err = pw->err;
    return pw->st;
}

/* ---- rank 0's evaluator thread (dynamic mode) ---- */

static void *self_main(void *arg)
{
    self_eval *se = arg;
    /* Rank 0's own evaluation yields to the main thread and the recorder on
     * its core: a worker that waits for the main thread's reply to its
     * request idles a whole core.  At nice 0, a 10,000-strategy session
     * kept rank 1 waiting 114-168 ms for batches; at nice 10, 5-15 ms.
     * (Linux: a thread has a nice value of its own; failure is harmless.) */
    (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), SELF_NICE);
    pthread_mutex_lock(&se->mu);
    for (;;) {
        while (!se->t_count && !se->quit)
            pthread_cond_wait(&se->cv, &se->mu);
        if (se->quit)
            break; /* queued tasks are dropped: the session is over */
        alc_batch_desc d = se->task[se->t_head];
        se->t_head = (se->t_head + 1) % PREFETCH;
        se->t_count--;
        pthread_mutex_unlock(&se->mu);
        self_result r;
        alc_error_clear(&r.e);
        r.st = alc_worker_run_batch(se->w, &d, se->as_of, &r.p, &r.e);
        alc_batch_desc_free(&d);
        pthread_mutex_lock(&se->mu);
        se->res[(se->r_head + se->r_count) % PREFETCH] = r;
        se->r_count++;
        pthread_cond_signal(&se->done);
    }
    pthread_mutex_unlock(&se->mu);
    return NULL;
}

static alc_status self_start(const alc_market *market, alc_day as_of, self_eval **out,
                             alc_error *err)
{
    *out = NULL;
    self_eval *se = calloc(1, sizeof *se);
    if (!se)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    se->as_of = as_of;
    alc_status st = alc_worker_new(market, NULL, 0, &se->w, err);
    if (st != ALC_OK) {
        free(se);
        return st;
    }
    pthread_mutex_init(&se->mu, NULL);
    pthread_cond_init(&se->cv, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&se->done, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&se->th, NULL, self_main, se) != 0) {
        pthread_cond_destroy(&se->done);
        pthread_cond_destroy(&se->cv);
        pthread_mutex_destroy(&se->mu);
        alc_worker_free(se->w);
        free(se);
        return alc_fail(err, ALC_ERR_INTERNAL, "cannot start rank 0's evaluator thread");
    }
    *out = se;
    return ALC_OK;
}

/* Stops the thread (after the batch it is evaluating, whose result is then
 * dropped: the session is over) and frees everything. */
static void self_stop(self_eval *se)
{
    if (!se)
        return;
    pthread_mutex_lock(&se->mu);
    se->quit = 1;
    pthread_cond_signal(&se->cv);
    pthread_mutex_unlock(&se->mu);
    pthread_join(se->th, NULL);
    for (int i = 0; i < se->t_count; i++)
        alc_batch_desc_free(&se->task[(se->t_head + i) % PREFETCH]);
    for (int i = 0; i < se->r_count; i++) {
        self_result *r = &se->res[(se->r_head + i) % PREFETCH];
        if (r->st == ALC_OK)
            alc_partial_free(&r->p);
    }
    pthread_cond_destroy(&se->done);
    pthread_cond_destroy(&se->cv);
    pthread_mutex_destroy(&se->mu);
    alc_worker_free(se->w);
    free(se);
}

/* Take the thread's results (recorded like a worker's), then hand it
 * queued batches until it holds PREFETCH, if there is room. */
static void self_turn(coord *c)
{
    self_eval *se = c->self;
    alc_session *s = c->s;
    self_result got[PREFETCH];
    pthread_mutex_lock(&se->mu);
    int n = se->r_count;
    for (int i = 0; i < n; i++)
        got[i] = se->res[(se->r_head + i) % PREFETCH];
    se->r_head = (se->r_head + n) % PREFETCH;
    se->r_count = 0;
    pthread_mutex_unlock(&se->mu);
    for (int i = 0; i < n; i++) {
        se->held--;
        c->inflight--;
        if (got[i].st != ALC_OK)
            set_fatal(c, &got[i].e);
        else
            record_result(c, 0, &got[i].p, 0);
    }
    while (se->held < PREFETCH && !c->fatal && c->inflight < s->max_parallel) {
        int b = pick(c, 0);
        if (b < 0)
            return;
        mark_dispatched(c, b, 0);
        alc_batch_state *bs = &s->batches[b];
        alc_batch_desc d;
        alc_error e;
        alc_error_clear(&e);
        if (alc_batch_desc_make(s->job, &bs->batch, bs->attempts, bs->ticket, &d, &e) != ALC_OK) {
            set_fatal(c, &e);
            return;
        }
        se->held++;
        c->inflight++;
        pthread_mutex_lock(&se->mu);
        se->task[(se->t_head + se->t_count) % PREFETCH] = d;
        se->t_count++;
        pthread_cond_signal(&se->cv);
        pthread_mutex_unlock(&se->mu);
    }
}

/* Nothing to receive: wait wait_us, or less when rank 0's evaluator
 * thread finishes its batch meanwhile (so that it gets the next one at once). */
static void idle_wait(coord *c, long wait_us)
{
    self_eval *se = c->self;
    if (!se) {
        alc_sleep_us(wait_us);
        return;
    }
    struct timespec until = mono_after_us(wait_us);
    pthread_mutex_lock(&se->mu);
    if (!se->r_count && se->held > 0)
        pthread_cond_timedwait(&se->done, &se->mu, &until);
    pthread_mutex_unlock(&se->mu);
}

/* Poll for results until every batch is accounted for or the deadline.  In
 * dynamic mode rank 0's evaluator thread (c->self) takes queued batches
 * too, one at a time, counted in max_parallel_batches like any other. */
static alc_status run_distributed(coord *c, int *timed_out, alc_error *err)
{
    alc_session *s = c->s;
    alc_status st = ALC_OK;
    if (s->scheduling == ALC_SCHED_STATIC)
        st = scatter_static(c, err);
    long wait_us = POLL_MIN_US;
    while (st == ALC_OK && !c->fatal && s->completed < s->n_batches) {
        if (alc_now_mono() >= s->deadline_mono) {
            *timed_out = 1;
            break;
        }
        reap_sends(c);
        if ((st = dispatch_idle(c, err)) != ALC_OK)
            break;
        if (c->self) {
            self_turn(c);
            if (c->fatal || s->completed >= s->n_batches)
                break;
        }
        int flag = 0;
        MPI_Status status;
        int rc = MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, c->comm, &flag, &status);
        if (rc != MPI_SUCCESS) {
            st = alc_mpi_fail(err, rc, "polling for results");
            break;
        }
        if (!flag) {
            alc_error we;
            if (c->rec && recorder_failed(c->rec, &we)) {
                set_fatal(c, &we);
                break;
            }
            idle_wait(c, wait_us);
            wait_us = wait_us * 2 > POLL_MAX_US ? POLL_MAX_US : wait_us * 2;
            continue;
        }
        wait_us = POLL_MIN_US;
        st = receive(c, &status, 0, err);
    }
    return st;
}

/* Tell every worker to stop; returns 1 when some did not answer in time
 * (busy past the deadline: the caller must abort the MPI job). */
static int stop_workers(coord *c, double grace)
{
    double end = alc_now_mono() + grace;
    for (;;) {
        int pending = 0;
        for (int r = 1; r <= c->n_workers; r++) {
            if (c->w[r].stopped)
                continue;
            if (idle_worker(&c->w[r])) {
                if (MPI_Send(NULL, 0, MPI_BYTE, r, ALC_TAG_STOP, c->comm) == MPI_SUCCESS)
                    c->w[r].stopped = 1;
                else
                    pending++;
            } else {
                pending++;
            }
        }
        reap_sends(c);
        if (!pending)
            return 0;
        if (alc_now_mono() >= end) {
            for (int r = 1; r <= c->n_workers; r++)
                if (!c->w[r].stopped)
                    alc_log(ALC_LOG_WARN, "rank %d did not stop in time (busy with %d batch(es))",
                            r, c->w[r].inflight);
            return 1;
        }
        int flag = 0;
        MPI_Status status;
        if (MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, c->comm, &flag, &status) != MPI_SUCCESS)
            return 1;
        if (!flag) {
            alc_sleep_us(POLL_SLEEP_US);
            continue;
        }
        alc_error e;
        alc_error_clear(&e);
        if (receive(c, &status, 1, &e) != ALC_OK)
            return 1;
    }
}

/* Rank 0 evaluates batch b itself, through the workers' code. */
static void eval_local(coord *c, alc_worker *w, int b)
{
    alc_session *s = c->s;
    mark_dispatched(c, b, 0);
    alc_batch_state *bs = &s->batches[b];
    alc_batch_desc d;
    alc_partial p;
    alc_error e;
    alc_error_clear(&e);
    alc_status st = alc_batch_desc_make(s->job, &bs->batch, bs->attempts, bs->ticket, &d, &e);
    if (st == ALC_OK) {
        st = alc_worker_run_batch(w, &d, s->as_of, &p, &e);
        alc_batch_desc_free(&d);
    }
    if (st != ALC_OK) {
        set_fatal(c, &e);
        return;
    }
    record_result(c, 0, &p, 0);
}

static void run_local(coord *c, alc_worker *w, int *timed_out)
{
    alc_session *s = c->s;
    while (!c->fatal && s->completed < s->n_batches) {
        if (alc_now_mono() >= s->deadline_mono) {
            *timed_out = 1;
            return;
        }
        int b = pick(c, 0);
        if (b < 0)
            return;
        eval_local(c, w, b);
    }
}

/* ---- session creation / end ---- */

alc_status alc_session_alloc(const alc_job *job, int n_ranks, int batch_size,
                             alc_scheduling scheduling, alc_day as_of, alc_session **out,
                             alc_error *err)
{
    *out = NULL;
    alc_session *s = calloc(1, sizeof *s);
    if (!s)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    s->job = job;
    s->n_ranks = n_ranks;
    s->as_of = as_of;
    s->batch_size = batch_size;
    s->scheduling = scheduling;
    /* default: PREFETCH batches per evaluating rank (rank 0 evaluates too) */
    s->max_parallel = job->max_parallel_batches > 0 ? job->max_parallel_batches
                                                    : PREFETCH * n_ranks;
    s->status = ALC_SESSION_PENDING;
    s->created_wall = s->started_wall = alc_now_wall();
    s->start_mono = alc_now_mono();
    s->deadline_mono = s->start_mono + job->timeout_seconds;
    s->deadline_wall = s->created_wall + job->timeout_seconds;
    s->portfolio.oldest_strategy = -1;
    s->kept_allocation = 1.0;

    s->metrics.n_ranks = n_ranks;
    s->metrics.ranks = calloc((size_t)n_ranks, sizeof *s->metrics.ranks);
    alc_batch *batches = NULL;
    alc_status st = s->metrics.ranks ? alc_batch_split(job, s->batch_size, &batches, &s->n_batches, err)
                                     : alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    if (st == ALC_OK) {
        s->batches = calloc((size_t)s->n_batches, sizeof *s->batches);
        if (!s->batches)
            st = alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    }
    for (int b = 0; st == ALC_OK && b < s->n_batches; b++) {
        s->batches[b].batch = batches[b];
        s->batches[b].state = ALC_BATCH_QUEUED;
        s->batches[b].rank = -1;
        s->batches[b].last_failed_rank = -1;
    }
    free(batches);
    if (st != ALC_OK) {
        alc_session_free(s);
        return st;
    }
    *out = s;
    return ALC_OK;
}

alc_status alc_session_set_paths(alc_session *s, const char *dir, alc_error *err)
{
    int n1 = snprintf(s->output_dir, sizeof s->output_dir, "%s", dir);
    int n2 = snprintf(s->h5_path, sizeof s->h5_path, "%s/%s.h5", dir, s->id);
    int n3 = snprintf(s->events_path, sizeof s->events_path, "%s/%s.events.jsonl", dir, s->id);
    int n4 = snprintf(s->portfolio_path, sizeof s->portfolio_path, "%s/%s.portfolio.json", dir,
                      s->id);
    if (n1 >= ALC_PATH_MAX || n2 >= ALC_PATH_MAX || n3 >= ALC_PATH_MAX || n4 >= ALC_PATH_MAX)
        return alc_fail(err, ALC_ERR_USAGE, "output folder path too long");
    if (mkdirs(dir) != 0)
        return alc_fail_at(err, ALC_ERR_IO, dir, 0, 0, "cannot create the output folder: %s",
                           strerror(errno));
    return ALC_OK;
}

static void make_ids(alc_session *s)
{
    char stamp[32], hex[17];
    time_t now = (time_t)s->created_wall;
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    alc_random_hex(hex, 4);
    snprintf(s->id, sizeof s->id, "sess-%s-%s", stamp, hex);
    alc_random_hex(hex, 4);
    snprintf(s->correlation_id, sizeof s->correlation_id, "corr-%s-%s", stamp, hex);
}

const char *alc_session_drop_reason(const alc_session *s, int i)
{
    if (!s->dropped || i < 0 || i >= s->job->n_strategies || !s->dropped[i])
        return NULL;
    for (int b = 0; b < s->n_batches; b++) {
        const alc_batch_state *bs = &s->batches[b];
        if (i < bs->batch.first || i >= bs->batch.first + bs->batch.count)
            continue;
        if (!bs->has_result)
            return "no result";
        if (bs->result.error)
            return bs->result.error;
        int k = i - bs->batch.first;
        if (k < bs->result.n_signals && bs->result.signals[k].error)
            return bs->result.signals[k].error;
        return "failed";
    }
    return "failed";
}

static void describe_failures(alc_session *s, int timed_out)
{
    int failed = 0, missing = 0;
    char first[1200] = "";
    char ids[600] = "";
    size_t at = 0;
    for (int b = 0; b < s->n_batches; b++) {
        const alc_batch_state *bs = &s->batches[b];
        if (bs->state == ALC_BATCH_FAILED) {
            if (!failed++ && bs->has_result) {
                const char *why = bs->result.error;
                for (int k = 0; !why && k < bs->result.n_signals; k++)
                    if (bs->result.signals[k].code != ALC_OK)
                        why = bs->result.signals[k].error;
                snprintf(first, sizeof first, "%s: %s", bs->batch.id, why ? why : "failed");
            }
        } else if (bs->state != ALC_BATCH_DONE) {
            if (missing++ < 8 && at < sizeof ids)
                at += (size_t)snprintf(ids + at, sizeof ids - at, "%s%s", at ? ", " : "",
                                       bs->batch.id);
        }
    }
    if (timed_out) {
        s->status = ALC_SESSION_TIMEOUT;
        snprintf(s->error_type, sizeof s->error_type, "Timeout");
        snprintf(s->error, sizeof s->error,
                 "deadline of %g s passed with %d of %d batches missing (%s%s)",
                 s->job->timeout_seconds, missing, s->n_batches, ids, missing > 8 ? ", ..." : "");
    } else {
        s->status = ALC_SESSION_FAILED;
        snprintf(s->error_type, sizeof s->error_type, "BatchFailed");
        snprintf(s->error, sizeof s->error, "%d batch(es) failed; first: %s", failed, first);
    }
}

static void aggregate(coord *c)
{
    alc_session *s = c->s;
    alc_error e;
    alc_error_clear(&e);
    s->status = ALC_SESSION_AGGREGATING;
    check(c, alc_snapshot_update(c->snap, s, &e), &e);
    int n = s->job->n_strategies;
    const alc_signal **sig = calloc((size_t)n, sizeof *sig);
    unsigned char *drop = calloc((size_t)n, 1);
    if (!sig || !drop) {
        free(sig);
        free(drop);
        alc_fail(&e, ALC_ERR_NOMEM, "out of memory");
        set_fatal(c, &e);
        return;
    }
    /* Gather: every strategy's signal, in strategy order (the fixed order).
     * Failed batches only get here under on_strategy_failure=skip: their
     * failed strategies (all of them for a batch-level error) are dropped. */
    int n_dropped = 0;
    for (int b = 0; b < s->n_batches; b++) {
        const alc_batch_state *bs = &s->batches[b];
        if (!bs->has_result)
            continue;
        int failed = bs->state == ALC_BATCH_FAILED, whole = failed && bs->result.error;
        for (int k = 0; k < bs->batch.count; k++) {
            int i = bs->batch.first + k;
            const alc_signal *sg = !whole && k < bs->result.n_signals ? &bs->result.signals[k] : NULL;
            sig[i] = sg;
            if (failed && (!sg || sg->code != ALC_OK)) {
                drop[i] = 1;
                n_dropped++;
            }
        }
    }
    if (n_dropped == n) {
        /* nothing left to keep: the strategies stay "failed", not "dropped" */
        free(sig);
        s->dropped = drop;
        s->status = ALC_SESSION_FAILED;
        snprintf(s->error_type, sizeof s->error_type, "AllStrategiesFailed");
        snprintf(s->error, sizeof s->error,
                 "every strategy failed (on_strategy_failure=skip has nothing left to keep); "
                 "first: %s", alc_session_drop_reason(s, 0));
        s->dropped = NULL;
        free(drop);
        return;
    }
    /* Renormalise: the kept allocations, summed in job order, divide every
     * kept weight (no division at all when nothing was dropped). */
    double kept = 1.0;
    if (n_dropped) {
        kept = 0.0;
        for (int i = 0; i < n; i++)
            if (!drop[i])
                kept += s->job->strategies[i].allocation;
        s->dropped = drop;
        s->n_dropped = n_dropped;
        s->degraded = 1;
        s->kept_allocation = kept;
        alc_log(ALC_LOG_WARN,
                "on_strategy_failure=skip: %d of %d strategies dropped, the remaining allocations "
                "(%.17g) renormalised to 1", n_dropped, n, kept);
    } else {
        free(drop);
        drop = NULL;
    }
    alc_status st = alc_aggregate_ex(sig, n, drop, kept, &s->portfolio, &e);
    free(sig);
    s->has_portfolio = s->portfolio.w != NULL;
    if (st == ALC_OK) {
        s->status = ALC_SESSION_COMPLETED;
        return;
    }
    s->status = ALC_SESSION_FAILED;
    snprintf(s->error_type, sizeof s->error_type, "%s",
             strncmp(e.msg, "AggregationError", 16) ? alc_status_name(e.code) : "AggregationError");
    snprintf(s->error, sizeof s->error, "%s", e.msg);
}

/* Tell the workers there is no session (go = 0): with an error for a
 * refusal, without one when there is simply nothing to do. */
static void send_no_go(MPI_Comm comm, const char *msg)
{
    char text[1800];
    snprintf(text, sizeof text, "%s", msg);
    alc_setup_msg m = {0, "", "", "", 0, 0, 0, text};
    alc_buf b;
    alc_buf_init(&b);
    alc_error e;
    int len = 0;
    if (alc_pack_setup(&m, &b, &e) == ALC_OK)
        len = (int)b.len;
    MPI_Bcast(&len, 1, MPI_INT, 0, comm);
    MPI_Bcast(b.data, len, MPI_BYTE, 0, comm);
    alc_buf_free(&b);
}

static alc_status refuse(MPI_Comm comm, const alc_error *why)
{
    char msg[1700];
    alc_error_format(why, msg, sizeof msg);
    send_no_go(comm, msg);
    return why->code;
}

/* run / rerun: a new session.  Fills *job, *market, *s and c->snap, c->ev. */
static alc_status prepare_new(coord *c, const alc_run_options *opt, int n_ranks, alc_job **job_out,
                              alc_market **market_out, alc_session **s_out, alc_error *err)
{
    alc_job *job = NULL;
    alc_snapshot_job sj;
    memset(&sj, 0, sizeof sj);
    int rerun = opt->mode == ALC_RUN_RERUN;
    alc_status st;
    if (rerun) {
        st = alc_snapshot_read_job(opt->snapshot_path, &sj, err);
        if (st == ALC_OK)
            st = alc_job_from_snapshot(&sj, opt->snapshot_path, &job, err);
    } else {
        st = alc_job_load(opt->job_path, opt->strategies_dir, &job, err);
    }
    *job_out = job;
    /* The strategy files are hashed where they are evaluated (worker.c),
     * not here: rank 0 reads none of them before the dispatch. */
    c->t_job = alc_now_mono();
    alc_market *market = NULL;
    if (st == ALC_OK)
        st = alc_market_load(job->market, &market, err);
    c->t_market = alc_now_mono();
    *market_out = market;
    alc_day as_of = 0;
    if (st == ALC_OK) {
        as_of = job->has_as_of ? job->as_of : alc_market_last_day(market);
        if (as_of == 0)
            st = alc_fail_at(err, ALC_ERR_MARKET, job->market, 0, 0, "the market has no bars");
    }
    int batch_size = opt->batch_size > 0 ? opt->batch_size : job ? job->batch_size : 1;
    alc_scheduling sched = opt->has_scheduling ? opt->scheduling : job ? job->scheduling : 0;
    char dir[ALC_PATH_MAX], old_dir[ALC_PATH_MAX] = ".";
    if (rerun) {
        /* the old session's configuration, unless overridden */
        if (opt->batch_size <= 0 && sj.batch_size > 0)
            batch_size = (int)sj.batch_size;
        if (!opt->has_scheduling && sj.scheduling && alc_scheduling_parse(sj.scheduling, &sched))
            sched = job ? job->scheduling : ALC_SCHED_DYNAMIC;
        alc_dirname(opt->snapshot_path, old_dir, sizeof old_dir);
    }
    snprintf(dir, sizeof dir, "%s",
             opt->out_dir ? opt->out_dir : rerun ? old_dir : job ? job->output_dir : "out");
    alc_session *s = NULL;
    if (st == ALC_OK)
        st = alc_session_alloc(job, n_ranks, batch_size, sched, as_of, &s, err);
    *s_out = s;
    if (st == ALC_OK) {
        make_ids(s);
        alc_market_fingerprint(market, s->market_sha256);
        if (rerun) {
            /* linked to the old session: same correlation id, rerun_of */
            snprintf(s->correlation_id, sizeof s->correlation_id, "%s", sj.correlation_id);
            snprintf(s->rerun_of, sizeof s->rerun_of, "%s", sj.session_id);
        }
        st = alc_session_set_paths(s, dir, err);
    }
    if (st == ALC_OK)
        st = alc_snapshot_create(s, &c->snap, err);
    if (st == ALC_OK) {
        st = alc_events_open(s->events_path, s->id, s->correlation_id, &c->ev, err);
        if (st != ALC_OK) {
            alc_snapshot_abandon(c->snap);
            c->snap = NULL;
            char partial[ALC_PATH_MAX + 16];
            snprintf(partial, sizeof partial, "%s.partial", s->h5_path);
            remove(partial); /* nothing to keep: no session ran */
        }
    }
    if (st == ALC_OK && rerun) {
        st = alc_event_rerun(c->ev, s, sj.session_id, sj.status, opt->snapshot_path, c->cause, err);
        if (st == ALC_OK)
            alc_log(ALC_LOG_INFO, "session %s reruns session %s (%s)", s->id, sj.session_id,
                    sj.status);
    }
    alc_snapshot_job_free(&sj);
    return st;
}

/* resume: the session's own files, reopened.  The snapshot becomes
 * <id>.h5.partial again while the session runs. */
static alc_status prepare_resume(coord *c, alc_session *s, const alc_run_options *opt,
                                 alc_error *err)
{
    char partial[ALC_PATH_MAX + 16], prev_status[16] = "";
    snprintf(partial, sizeof partial, "%s.partial", s->h5_path);
    size_t plen = strlen(opt->snapshot_path);
    int was_final = plen < 8 || strcmp(opt->snapshot_path + plen - 8, ".partial") != 0;
    alc_snapshot_summary sum;
    alc_error ig;
    if (alc_snapshot_read_summary(opt->snapshot_path, &sum, &ig) == ALC_OK)
        snprintf(prev_status, sizeof prev_status, "%s", sum.status);
    char last_event[ALC_EVENT_ID_MAX] = "";
    alc_status st = alc_events_open_append(s->events_path, s->id, s->correlation_id, &c->ev,
                                           last_event, err);
    if (st != ALC_OK)
        return st;
    if (was_final && rename(opt->snapshot_path, partial) != 0) {
        alc_events_close(c->ev);
        c->ev = NULL;
        return alc_fail_at(err, ALC_ERR_IO, opt->snapshot_path, 0, 0, "cannot rename to %s: %s",
                           partial, strerror(errno));
    }
    st = alc_snapshot_reopen(s, &c->snap, err);
    if (st != ALC_OK) {
        if (was_final)
            rename(partial, opt->snapshot_path);
        alc_events_close(c->ev);
        c->ev = NULL;
        return st;
    }
    return alc_event_resumed(c->ev, s, last_event[0] ? last_event : NULL, prev_status,
                             !was_final, c->cause, err);
}

alc_status alc_session_run(MPI_Comm comm, const alc_run_options *opt, alc_run_result *res,
                           alc_error *err)
{
    memset(res, 0, sizeof *res);
    int n_ranks = 1;
    MPI_Comm_size(comm, &n_ranks);
    double t0 = alc_now_mono();

    /* 1. job and market: any problem is a refusal before the session exists
     *    (or, for a resume, before its files are touched) */
    coord c;
    memset(&c, 0, sizeof c);
    c.sends.what = "sending a batch";
    c.comm = comm;
    c.n_workers = n_ranks - 1;
    alc_job *job = NULL;
    alc_market *market = NULL;
    alc_session *s = NULL;
    alc_status st;
    if (opt->mode == ALC_RUN_RESUME) {
        int completed = 0;
        st = alc_resume_prepare(opt, n_ranks, &job, &market, &s, &completed, res->message,
                                sizeof res->message, err);
        /* a resume reads the snapshot, the job and the market in one step:
         * job_seconds covers all three */
        c.t_job = c.t_market = alc_now_mono();
        if (st == ALC_OK && completed) {
            res->nothing_to_do = 1;
            res->status = ALC_SESSION_COMPLETED;
            send_no_go(comm, "");
            return ALC_OK;
        }
        if (st == ALC_OK) {
            alc_log(ALC_LOG_INFO, "%s", res->message);
            st = prepare_resume(&c, s, opt, err);
        }
    } else {
        st = prepare_new(&c, opt, n_ranks, &job, &market, &s, err);
    }
    res->job = job;
    if (st != ALC_OK) {
        res->refused = 1;
        alc_market_free(market);
        alc_session_free(s);
        return refuse(comm, err);
    }
    c.s = s;
    res->session = s;
    alc_day as_of = s->as_of;
    c.w = calloc((size_t)n_ranks, sizeof *c.w);
    s->metrics.run_start_mono = t0;
    s->metrics.job_seconds = c.t_job - t0;
    s->metrics.market_seconds = c.t_market - c.t_job;

    /* 2. setup broadcast: workers load the market themselves */
    alc_setup_msg m = {1, s->id, s->correlation_id, job->market, as_of, (int)s->scheduling,
                       s->n_batches, ""};
    alc_buf b;
    alc_buf_init(&b);
    alc_error pe;
    int len = 0;
    if (c.w && alc_pack_setup(&m, &b, &pe) == ALC_OK)
        len = (int)b.len;
    if (len == 0) /* cannot even tell the workers: tell them to stop */
        m.go = 0;
    MPI_Bcast(&len, 1, MPI_INT, 0, comm);
    MPI_Bcast(b.data, len, MPI_BYTE, 0, comm);
    alc_buf_free(&b);
    s->metrics.bytes_sent += (uint64_t)len * (uint64_t)(n_ranks - 1);
    s->metrics.ranks[0].bytes_sent += (uint64_t)len * (uint64_t)(n_ranks - 1);
    s->metrics.setup_seconds = alc_now_mono() - t0;
    char as_of_text[16];
    alc_format_date(as_of, as_of_text);
    alc_log(ALC_LOG_INFO, "session %s: %d strategies in %d batches, %d rank(s), %s, as of %s",
            s->id, job->n_strategies, s->n_batches, n_ranks, alc_scheduling_name(s->scheduling),
            as_of_text);

    /* 3. dispatch and collect */
    int timed_out = 0;
    alc_error re;
    alc_error_clear(&re);
    double t_dispatch = alc_now_mono();
    if (!m.go) {
        alc_fail(&re, ALC_ERR_NOMEM, "out of memory");
        set_fatal(&c, &re);
    } else if (n_ranks == 1) {
        alc_worker *w = NULL;
        if (alc_worker_new(market, NULL, 0, &w, &re) != ALC_OK)
            set_fatal(&c, &re);
        else
            run_local(&c, w, &timed_out);
        alc_worker_free(w);
    } else {
        /* Rank 0 evaluates too in dynamic mode, except while a test injects
         * a fault (ALC_FAULT, worker.c), which must land on a worker; the
         * batches then go out in index order, which the fault tests'
         * expectations (what a worker holds when it hangs) are written in. */
        const char *fault = getenv("ALC_FAULT");
        if (s->scheduling == ALC_SCHED_DYNAMIC && !(fault && *fault)) {
            c.order = dispatch_order(s);
            if (self_start(market, as_of, &c.self, &re) != ALC_OK) {
                alc_log(ALC_LOG_WARN, "rank 0 only coordinates: %s", re.msg);
                c.self = NULL;
                alc_error_clear(&re);
            }
        }
        if (recorder_start(c.snap, s, &c.rec, &re) != ALC_OK) {
            alc_log(ALC_LOG_WARN, "rank 0 records each batch itself: %s", re.msg);
            c.rec = NULL;
            alc_error_clear(&re);
        }
        if (run_distributed(&c, &timed_out, &re) != ALC_OK)
            set_fatal(&c, &re);
        self_stop(c.self);
        c.self = NULL;
        recorder_stop(&c); /* what was accepted is in the snapshot from here on */
        s->metrics.dispatch_seconds = alc_now_mono() - t_dispatch;
        double t_stop = alc_now_mono();
        res->abort_needed =
            stop_workers(&c, timed_out || c.fatal ? STOP_GRACE_AFTER_TIMEOUT : STOP_GRACE_SECONDS);
        s->metrics.stop_seconds = alc_now_mono() - t_stop;
    }
    if (n_ranks == 1 || !m.go)
        s->metrics.dispatch_seconds = alc_now_mono() - t_dispatch;
    alc_market_free(market);

    /* 4. outcome */
    alc_error e;
    alc_error_clear(&e);
    if (c.fatal) {
        s->status = ALC_SESSION_FAILED;
        snprintf(s->error_type, sizeof s->error_type, "%s", alc_status_name(c.fatal_err.code));
        alc_error_format(&c.fatal_err, s->error, sizeof s->error);
    } else if (timed_out) {
        describe_failures(s, 1);
    } else if (s->completed < s->n_batches) {
        /* cannot happen: every exit of the dispatch loops is covered above */
        s->status = ALC_SESSION_FAILED;
        snprintf(s->error_type, sizeof s->error_type, "InternalError");
        snprintf(s->error, sizeof s->error, "dispatch ended with %d of %d batches accounted for",
                 s->completed, s->n_batches);
    } else {
        int failed = 0;
        for (int i = 0; i < s->n_batches; i++)
            failed += s->batches[i].state == ALC_BATCH_FAILED;
        if (failed && s->job->on_strategy_failure != ALC_ON_FAILURE_SKIP) {
            describe_failures(s, 0);
        } else {
            double t_agg = alc_now_mono();
            aggregate(&c);
            s->metrics.aggregate_seconds = alc_now_mono() - t_agg;
        }
    }
    s->finished_wall = alc_now_wall();
    s->metrics.session_seconds = alc_now_mono() - s->start_mono;
    /* What ended the run: the last partial result, else (a resume that
     * reused every batch) the resume itself. */
    const char *last = c.last_partial_event[0] ? c.last_partial_event : c.cause[0] ? c.cause : NULL;
    s->metrics.output_start_mono = alc_now_mono();
    if (s->status == ALC_SESSION_COMPLETED) {
        char agg_id[ALC_EVENT_ID_MAX], deg_id[ALC_EVENT_ID_MAX];
        st = ALC_OK;
        if (s->degraded) {
            st = alc_event_degraded(c.ev, s, last, deg_id, &e);
            last = deg_id;
        }
        if (st == ALC_OK)
            st = alc_event_aggregation(c.ev, s, last, agg_id, &e);
        if (st == ALC_OK)
            st = alc_event_signal(c.ev, s, agg_id, NULL, &e);
    } else {
        alc_log(ALC_LOG_ERROR, "session %s %s: %s", s->id, alc_session_status_name(s->status),
                s->error);
        st = alc_event_failed(c.ev, s, last, NULL, &e);
    }
    portfolio_writer pw;
    portfolio_start(&pw, s);
    alc_error te;
    alc_status st_tables = alc_snapshot_write_results(c.snap, s, &te);
    alc_status st_json = portfolio_join(&pw, st == ALC_OK ? &e : &pe);
    if (st == ALC_OK)
        st = st_json;
    if (st == ALC_OK && st_tables != ALC_OK) {
        e = te;
        st = st_tables;
    }
    /* Last: the rename of the snapshot marks the session as ended. */
    alc_status st3 = alc_snapshot_finish(c.snap, s, st == ALC_OK ? &e : &pe);
    if (st == ALC_OK)
        st = st3;
    alc_events_close(c.ev);
    /* Prefetched batches never received (a worker that hangs or died: the
     * MPI job is aborted next) are released unsent; a stopped worker had
     * received all of its own. */
    if (res->abort_needed) {
        alc_sends_abandon(&c.sends);
    } else {
        alc_error se;
        (void)alc_sends_wait_all(&c.sends, &se);
    }
    alc_sends_free(&c.sends);
    free(c.order);
    free(c.w);
    res->status = s->status;
    if (st != ALC_OK) {
        *err = e;
        return st;
    }
    return ALC_OK;
}
