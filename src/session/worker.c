/* Batch evaluation and the worker ranks' side of the session protocol. */
#include "alchemiser/worker.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alchemiser/file.h"
#include "alchemiser/intern.h"
#include "alchemiser/log.h"
#include "alchemiser/pack.h"
#include "alchemiser/sha256.h"
#include "session/internal.h"
#include "session/sends.h"

#define STRATEGY_MAX_BYTES (10u << 20)

typedef struct fresh_index fresh_index;
static void fresh_free(fresh_index *fi);

struct alc_worker {
    const alc_market *market; /* borrowed, may be NULL */
    alc_engine *engine;       /* owned */
    fresh_index *fresh;       /* owned: the tickers' last bars for the last as-of date, or NULL */
    char *setup_error;        /* owned, NULL when the worker is healthy */
    int rank;
};

const char *alc_partial_mismatch(const alc_partial *p, const alc_batch *b)
{
    if (p->n_signals != b->count)
        return "wrong number of signals";
    for (int k = 0; k < p->n_signals; k++)
        if (p->signals[k].index != b->first + k)
            return "signals out of order";
    return NULL;
}

void alc_partial_free(alc_partial *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->n_signals; i++) {
        alc_signal *s = &p->signals[i];
        for (int k = 0; k < s->n; k++)
            free(s->w[k].ticker);
        free(s->w);
        free(s->file);
        free(s->error);
    }
    free(p->signals);
    for (int k = 0; k < p->n_portfolio; k++)
        free(p->portfolio[k].ticker);
    free(p->portfolio);
    free(p->error);
    memset(p, 0, sizeof *p);
}

typedef struct ref {
    const char *ticker;
    int strategy; /* position in the batch */
    double weight;
} ref;

static int cmp_ref(const void *a, const void *b)
{
    const ref *x = a, *y = b;
    int c = strcmp(x->ticker, y->ticker);
    if (c)
        return c;
    return (x->strategy > y->strategy) - (x->strategy < y->strategy);
}

alc_status alc_partial_compute_portfolio(alc_partial *p, alc_error *err)
{
    for (int k = 0; k < p->n_portfolio; k++)
        free(p->portfolio[k].ticker);
    free(p->portfolio);
    p->portfolio = NULL;
    p->n_portfolio = 0;
    size_t n = 0;
    for (int i = 0; i < p->n_signals; i++)
        n += (size_t)p->signals[i].n;
    if (n == 0)
        return ALC_OK;
    ref *r = malloc(n * sizeof *r);
    alc_weight *out = calloc(n, sizeof *out);
    if (!r || !out) {
        free(r);
        free(out);
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    }
    size_t j = 0;
    for (int i = 0; i < p->n_signals; i++)
        for (int k = 0; k < p->signals[i].n; k++)
            r[j++] = (ref){p->signals[i].w[k].ticker, i, p->signals[i].w[k].weight};
    /* Sum per ticker in strategy order, like the final aggregation. */
    qsort(r, n, sizeof *r, cmp_ref);
    int m = 0;
    for (size_t i = 0; i < n;) {
        double sum = 0.0;
        size_t e = i;
        while (e < n && !strcmp(r[e].ticker, r[i].ticker))
            sum += r[e++].weight;
        out[m].ticker = alc_strdup(r[i].ticker);
        out[m].weight = sum;
        if (!out[m].ticker) {
            for (int k = 0; k < m; k++)
                free(out[k].ticker);
            free(out);
            free(r);
            return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
        }
        m++;
        i = e;
    }
    free(r);
    p->portfolio = out;
    p->n_portfolio = m;
    return ALC_OK;
}

alc_status alc_worker_new(const alc_market *market, const char *setup_error, int rank,
                          alc_worker **out, alc_error *err)
{
    *out = NULL;
    alc_worker *w = calloc(1, sizeof *w);
    if (!w)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    w->rank = rank;
    w->market = market;
    if (setup_error) {
        w->setup_error = alc_strdup(setup_error);
    } else if (!market) {
        w->setup_error = alc_strdup("no market");
    } else {
        alc_error e;
        alc_error_clear(&e);
        if (alc_engine_new(market, &w->engine, &e) != ALC_OK) {
            char msg[1600];
            alc_error_format(&e, msg, sizeof msg);
            w->setup_error = alc_strdup(msg);
            w->engine = NULL;
        }
    }
    if (!market || w->setup_error || !w->engine) {
        if (!w->setup_error) {
            free(w);
            return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
        }
    }
    *out = w;
    return ALC_OK;
}

void alc_worker_free(alc_worker *w)
{
    if (!w)
        return;
    alc_engine_free(w->engine);
    if (w->fresh) {
        fresh_free(w->fresh);
        free(w->fresh);
    }
    free(w->setup_error);
    free(w);
}

static alc_status read_file(const char *path, char **text, size_t *len, alc_error *err)
{
    alc_status st = alc_read_file(path, STRATEGY_MAX_BYTES, NULL, text, len, err);
    if (st == ALC_ERR_LIMIT)
        return alc_fail_at(err, ALC_ERR_LIMIT, path, 0, 0, "strategy file larger than 10 MiB");
    return st;
}

/* The market's tickers in a hash table (upper-case name -> series) with
 * each series' last bar at or before as_of, computed once per worker and
 * as-of date: a strategy's source names tickers thousands of times. */
struct fresh_index {
    const alc_market *m;
    alc_day as_of;
    size_t cap;      /* power of two, >= 2 x tickers */
    int *slot;       /* series index, -1 = empty */
    alc_day *last;   /* per series: last bar day at or before as_of, 0 = none */
};

static void fresh_free(fresh_index *fi)
{
    free(fi->slot);
    free(fi->last);
    memset(fi, 0, sizeof *fi);
}

/* 0, or -1 when out of memory. */
static int fresh_build(fresh_index *fi, const alc_market *m, alc_day as_of)
{
    fresh_free(fi);
    size_t cap = 16;
    while (cap < (size_t)m->n * 2)
        cap *= 2;
    fi->slot = malloc(cap * sizeof *fi->slot);
    fi->last = calloc((size_t)(m->n > 0 ? m->n : 1), sizeof *fi->last);
    if (!fi->slot || !fi->last) {
        fresh_free(fi);
        return -1;
    }
    for (size_t k = 0; k < cap; k++)
        fi->slot[k] = -1;
    for (int i = 0; i < m->n; i++) {
        const alc_series *ser = &m->series[i];
        size_t k = alc_str_hash(ser->ticker, strlen(ser->ticker)) & (cap - 1);
        while (fi->slot[k] >= 0)
            k = (k + 1) & (cap - 1);
        fi->slot[k] = i;
        int b = alc_series_last_at_or_before(ser, as_of);
        fi->last[i] = b >= 0 ? ser->day[b] : 0;
    }
    fi->m = m;
    fi->as_of = as_of;
    fi->cap = cap;
    return 0;
}

/* Last bar (at or before as_of) of the ticker named t[0..n), 0 when the
 * market has no such ticker or no bar by then. */
static alc_day fresh_lookup(const fresh_index *fi, const char *t, size_t n)
{
    size_t k = alc_str_hash(t, n) & (fi->cap - 1);
    for (int i; (i = fi->slot[k]) >= 0; k = (k + 1) & (fi->cap - 1)) {
        const char *name = fi->m->series[i].ticker;
        /* the length first: memcmp must not read past a shorter name */
        if (strlen(name) == n && !memcmp(name, t, n))
            return fi->last[i];
    }
    return 0;
}

/* Freshness over the index: every string literal outside `;` comments,
 * trimmed and upper-cased (memchr finds the next quote and comment, so the
 * scan runs at memory speed over megabytes of source). */
static alc_day fresh_scan(const fresh_index *fi, const char *text, size_t len)
{
    alc_day oldest = 0;
    const char *p = text, *end = text + len;
    const char *semi = memchr(p, ';', len);
    while (p < end) {
        const char *q = memchr(p, '"', (size_t)(end - p));
        if (semi && semi < (q ? q : end)) {
            /* a comment before the next string: skip to its line end */
            const char *nl = memchr(semi, '\n', (size_t)(end - semi));
            p = nl ? nl : end;
            semi = p < end ? memchr(p, ';', (size_t)(end - p)) : NULL;
            continue;
        }
        if (!q)
            break;
        /* the string's body: up to the next quote not escaped by a backslash */
        const char *s0 = q + 1, *e = s0;
        for (;;) {
            const char *c = memchr(e, '"', (size_t)(end - e));
            const char *bs = memchr(e, '\\', (size_t)((c ? c : end) - e));
            if (!bs) {
                e = c ? c : end;
                break;
            }
            e = bs + 2 < end ? bs + 2 : end;
        }
        p = e < end ? e + 1 : end;
        if (semi && semi < p)
            semi = p < end ? memchr(p, ';', (size_t)(end - p)) : NULL;
        while (s0 < e && isspace((unsigned char)*s0))
            s0++;
        while (e > s0 && isspace((unsigned char)e[-1]))
            e--;
        char t[32];
        size_t n = (size_t)(e - s0);
        if (n == 0 || n >= sizeof t)
            continue;
        for (size_t k = 0; k < n; k++)
            t[k] = (char)toupper((unsigned char)s0[k]);
        alc_day d = fresh_lookup(fi, t, n);
        if (d != 0 && (oldest == 0 || d < oldest))
            oldest = d;
    }
    return oldest;
}

alc_day alc_worker_freshness(const alc_market *m, const char *text, size_t len, alc_day as_of)
{
    fresh_index fi;
    memset(&fi, 0, sizeof fi);
    if (fresh_build(&fi, m, as_of) != 0)
        return 0;
    alc_day d = fresh_scan(&fi, text, len);
    fresh_free(&fi);
    return d;
}

static int cmp_weight(const void *a, const void *b)
{
    return strcmp(((const alc_weight *)a)->ticker, ((const alc_weight *)b)->ticker);
}

/* Evaluate one strategy into s (s->index/file/allocation already set).
 * Returns an error status only for out-of-memory. */
static alc_status run_one(alc_worker *w, const alc_batch_item *it, alc_day as_of, alc_signal *s,
                          alc_error *err)
{
    alc_error e;
    alc_error_clear(&e);
    double t0 = alc_now_mono();
    char *text = NULL;
    size_t len = 0;
    alc_program *prog = NULL;
    alc_allocation alloc = {0, NULL};
    alc_status st = read_file(it->path, &text, &len, &e);
    if (st == ALC_OK) {
        /* Hashed here, where the file is read anyway: rank 0 records it
         * (/job/strategies) and a resume compares it with the file then. */
        alc_sha256_hex(text, len, s->sha256);
        /* The job's name for the file in messages: stable across machines. */
        st = alc_program_parse(it->file, text, len, &prog, &e);
    }
    if (st == ALC_OK)
        st = alc_program_check(prog, w->market, &e);
    if (st == ALC_OK)
        st = alc_engine_eval(w->engine, prog, as_of, &alloc, &e);
    if (st == ALC_OK) {
        s->w = alloc.n ? calloc((size_t)alloc.n, sizeof *s->w) : NULL;
        if (alloc.n && !s->w)
            st = alc_fail(&e, ALC_ERR_NOMEM, "out of memory");
        for (int k = 0; st == ALC_OK && k < alloc.n; k++) {
            double scaled = alloc.w[k].weight * it->allocation;
            if (!(alloc.w[k].weight > 0.0) || !(scaled > 0.0))
                continue; /* the production handler drops weights <= 0 */
            s->w[s->n].ticker = alc_strdup(alloc.w[k].ticker);
            if (!s->w[s->n].ticker) {
                st = alc_fail(&e, ALC_ERR_NOMEM, "out of memory");
                break;
            }
            s->w[s->n++].weight = scaled;
        }
        if (st == ALC_OK)
            qsort(s->w, (size_t)s->n, sizeof *s->w, cmp_weight);
    }
    if (text && w->market) {
        fresh_index *fi = w->fresh;
        if (!fi && (fi = w->fresh = calloc(1, sizeof *fi)) == NULL)
            st = alc_fail(&e, ALC_ERR_NOMEM, "out of memory");
        else if ((fi->m != w->market || fi->as_of != as_of) &&
                 fresh_build(fi, w->market, as_of) != 0)
            st = alc_fail(&e, ALC_ERR_NOMEM, "out of memory");
        else
            s->last_bar = fresh_scan(fi, text, len);
    }
    alc_allocation_free(&alloc);
    alc_program_free(prog);
    free(text);
    s->eval_ms = (alc_now_mono() - t0) * 1000.0;
    if (st == ALC_ERR_NOMEM)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory evaluating %s", it->file);
    if (st != ALC_OK) {
        for (int k = 0; k < s->n; k++)
            free(s->w[k].ticker);
        free(s->w);
        s->w = NULL;
        s->n = 0;
        char msg[1700];
        char loc[1600];
        alc_error_format(&e, loc, sizeof loc);
        snprintf(msg, sizeof msg, "%s: %s", alc_status_name(st), loc);
        s->code = st;
        s->error = alc_strdup(msg);
        if (!s->error)
            return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    }
    return ALC_OK;
}

alc_status alc_worker_run_batch(alc_worker *w, const alc_batch_desc *d, alc_day as_of,
                                alc_partial *out, alc_error *err)
{
    memset(out, 0, sizeof *out);
    out->batch_index = d->index;
    out->n_batches = d->n_batches;
    out->attempt = d->attempt;
    out->ticket = d->ticket;
    out->rank = w->rank;
    out->start = alc_now_wall();
    out->signals = d->count ? calloc((size_t)d->count, sizeof *out->signals) : NULL;
    if (d->count && !out->signals)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    for (int i = 0; i < d->count; i++) {
        alc_signal *s = &out->signals[i];
        out->n_signals = i + 1;
        s->index = d->items[i].index;
        s->allocation = d->items[i].allocation;
        s->file = alc_strdup(d->items[i].file);
        if (!s->file) {
            alc_partial_free(out);
            return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
        }
        if (w->setup_error) {
            s->code = ALC_ERR_SESSION;
            s->error = alc_strdup("not evaluated: the worker could not start");
            if (!s->error) {
                alc_partial_free(out);
                return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
            }
            continue;
        }
        alc_status st = run_one(w, &d->items[i], as_of, s, err);
        if (st != ALC_OK) {
            alc_partial_free(out);
            return st;
        }
        out->eval_ms += s->eval_ms;
        if (s->code != ALC_OK) {
            out->failed = 1;
            alc_log(ALC_LOG_INFO, "batch-%d-of-%d: %s failed: %s", d->index + 1, d->n_batches,
                    s->file, s->error);
        }
    }
    if (w->setup_error) {
        out->failed = 1;
        char msg[1200];
        snprintf(msg, sizeof msg, "rank %d could not evaluate: %s", w->rank, w->setup_error);
        out->error = alc_strdup(msg);
        if (!out->error) {
            alc_partial_free(out);
            return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
        }
    }
    alc_status st = alc_partial_compute_portfolio(out, err);
    if (st != ALC_OK) {
        alc_partial_free(out);
        return st;
    }
    out->end = alc_now_wall();
    out->max_rss_kb = alc_peak_rss_kb();
    return ALC_OK;
}

/* ---- worker ranks ---- */

/* Results go out with MPI_Isend: a partial is larger than the shared-memory
 * eager limit (about 5 kB for 10 strategies), so a blocking send would wait
 * for rank 0 to match it, and rank 0's receiving thread shares its core with
 * rank 0's evaluator and recorder.  Measured at np 2, batch 10, 10,000
 * strategies: 0.32 s of rank 1's 3.4 s spent spinning in MPI_Send.  The
 * worker goes on with its next batch instead; at most RESULT_SENDS results
 * are in flight, the oldest waited for when the window is full.  Order is
 * kept (MPI's non-overtaking rule): rank 0 matches every result before the
 * work request that follows it, so it never sends STOP to a rank whose
 * results it has not received, and the final wait cannot last forever. */
enum { RESULT_SENDS = 4 };

static alc_status send_result(MPI_Comm comm, alc_sends *rs, const char *session_id,
                              const alc_partial *p, alc_error *err)
{
    alc_status st = alc_sends_reap(rs, err);
    if (st == ALC_OK && rs->n >= RESULT_SENDS)
        st = alc_sends_wait_oldest(rs, err);
    if (st != ALC_OK)
        return st;
    alc_buf b;
    alc_buf_init(&b);
    st = alc_pack_partial(session_id, p, &b, err);
    if (st != ALC_OK) {
        alc_buf_free(&b);
        return st;
    }
    return alc_sends_post(rs, &b, 0, ALC_TAG_RESULT, comm, err);
}

/* Fault injection, a test hook: ALC_FAULT="KIND:RANK:BATCH[:ATTEMPT]" makes
 * worker RANK (or any, "*") misbehave on batch number BATCH (1-based, or
 * any, "*") at attempt ATTEMPT (default 1):
 *   error      the batch result is marked failed
 *   hang       the worker sleeps forever instead of answering
 *   duplicate  the result is sent twice
 *   die        the process aborts (after 1 s, so that earlier results land)
 * Unset (production), nothing happens; a malformed value is ignored with a
 * warning. */
typedef enum { FAULT_NONE, FAULT_ERROR, FAULT_HANG, FAULT_DUPLICATE, FAULT_DIE } fault_kind;

typedef struct fault {
    fault_kind kind;
    int rank;    /* -1 = any */
    int batch;   /* 1-based, -1 = any */
    int attempt;
} fault;

static int parse_fault_field(const char *s, int *out)
{
    if (!strcmp(s, "*")) {
        *out = -1;
        return 0;
    }
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end || v < 0 || v > 1000000000)
        return -1;
    *out = (int)v;
    return 0;
}

static fault parse_fault(void)
{
    fault f = {FAULT_NONE, -1, -1, 1};
    const char *env = getenv("ALC_FAULT");
    if (!env || !*env)
        return f;
    char buf[128], *parts[4] = {NULL, NULL, NULL, NULL};
    snprintf(buf, sizeof buf, "%s", env);
    int n = 0;
    for (char *save = NULL, *t = strtok_r(buf, ":", &save); t && n < 4;
         t = strtok_r(NULL, ":", &save))
        parts[n++] = t;
    static const char *names[] = {"", "error", "hang", "duplicate", "die"};
    fault_kind kind = FAULT_NONE;
    for (int i = 1; n >= 3 && i < 5; i++)
        if (!strcmp(parts[0], names[i]))
            kind = (fault_kind)i;
    if (kind == FAULT_NONE || parse_fault_field(parts[1], &f.rank) ||
        parse_fault_field(parts[2], &f.batch) ||
        (parts[3] && (parse_fault_field(parts[3], &f.attempt) || f.attempt < 1))) {
        alc_log(ALC_LOG_WARN, "ignoring malformed ALC_FAULT=%s (KIND:RANK:BATCH[:ATTEMPT])", env);
        return f;
    }
    f.kind = kind;
    return f;
}

static fault_kind fault_for(const fault *f, int rank, const alc_batch_desc *d)
{
    if (f->kind == FAULT_NONE || (f->rank >= 0 && f->rank != rank) ||
        (f->batch >= 0 && f->batch != d->index + 1) || f->attempt != d->attempt)
        return FAULT_NONE;
    return f->kind;
}

static alc_status serve_batch(MPI_Comm comm, alc_worker *w, alc_sends *rs,
                              const alc_setup_msg *setup, const fault *f,
                              const alc_batch_desc *d, alc_error *err)
{
    alc_partial p;
    alc_log(ALC_LOG_DEBUG, "evaluating batch-%d-of-%d (%d strategies, attempt %d)", d->index + 1,
            d->n_batches, d->count, d->attempt);
    fault_kind fk = fault_for(f, w->rank, d);
    if (fk == FAULT_HANG) {
        alc_log(ALC_LOG_WARN, "ALC_FAULT: hanging on batch-%d-of-%d", d->index + 1, d->n_batches);
        for (;;)
            alc_sleep_us(1000000);
    }
    if (fk == FAULT_DIE) {
        alc_log(ALC_LOG_WARN, "ALC_FAULT: dying on batch-%d-of-%d", d->index + 1, d->n_batches);
        fflush(stderr);
        alc_sleep_us(1000000);
        abort();
    }
    alc_status st = alc_worker_run_batch(w, d, setup->as_of, &p, err);
    if (st != ALC_OK)
        return st;
    if (fk == FAULT_ERROR) {
        alc_log(ALC_LOG_WARN, "ALC_FAULT: failing batch-%d-of-%d", d->index + 1, d->n_batches);
        p.failed = 1;
        free(p.error);
        p.error = alc_strdup("injected fault (ALC_FAULT=error)");
    }
    st = send_result(comm, rs, setup->session_id, &p, err);
    if (st == ALC_OK && fk == FAULT_DUPLICATE) {
        alc_log(ALC_LOG_WARN, "ALC_FAULT: sending batch-%d-of-%d twice", d->index + 1,
                d->n_batches);
        st = send_result(comm, rs, setup->session_id, &p, err);
    }
    alc_partial_free(&p);
    return st;
}

alc_status alc_worker_serve(MPI_Comm comm, alc_error *err)
{
    int rank = 0;
    MPI_Comm_rank(comm, &rank);

    /* 1. session setup (broadcast by rank 0: length, then bytes) */
    int len = 0;
    int rc = MPI_Bcast(&len, 1, MPI_INT, 0, comm);
    if (rc != MPI_SUCCESS)
        return alc_mpi_fail(err, rc, "receiving the session setup");
    unsigned char *buf = malloc(len > 0 ? (size_t)len : 1);
    if (!buf)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    rc = MPI_Bcast(buf, len, MPI_BYTE, 0, comm);
    if (rc != MPI_SUCCESS) {
        free(buf);
        return alc_mpi_fail(err, rc, "receiving the session setup");
    }
    alc_setup_msg setup;
    alc_status st = alc_unpack_setup(buf, (size_t)len, &setup, err);
    free(buf);
    if (st != ALC_OK)
        return st;
    if (!setup.go) {
        alc_log(ALC_LOG_DEBUG, "no session from rank 0: %s", setup.error[0] ? setup.error : "nothing to do");
        alc_setup_msg_free(&setup);
        return ALC_OK;
    }

    /* 2. every rank loads the market itself */
    alc_market *market = NULL;
    alc_error me;
    alc_error_clear(&me);
    char setup_error[1600] = "";
    double t0 = alc_now_mono();
    if (alc_market_load(setup.market, &market, &me) != ALC_OK) {
        alc_error_format(&me, setup_error, sizeof setup_error);
        alc_log(ALC_LOG_ERROR, "cannot load the market: %s", setup_error);
        market = NULL;
    } else {
        alc_log(ALC_LOG_DEBUG, "market %s loaded in %.1f ms (%d tickers)", setup.market,
                (alc_now_mono() - t0) * 1000.0, market->n);
    }
    alc_worker *w = NULL;
    st = alc_worker_new(market, setup_error[0] ? setup_error : NULL, rank, &w, err);
    fault f = parse_fault();
    alc_sends rs = {.what = "sending a partial result"};

    /* 3. static mode: this rank's share, one Scatterv of packed batch lists */
    if (st == ALC_OK && setup.scheduling == ALC_SCHED_STATIC) {
        int mine = 0;
        rc = MPI_Scatter(NULL, 1, MPI_INT, &mine, 1, MPI_INT, 0, comm);
        unsigned char *lb = rc == MPI_SUCCESS ? malloc(mine > 0 ? (size_t)mine : 1) : NULL;
        if (rc != MPI_SUCCESS)
            st = alc_mpi_fail(err, rc, "receiving the static batch counts");
        else if (!lb)
            st = alc_fail(err, ALC_ERR_NOMEM, "out of memory");
        if (st == ALC_OK) {
            rc = MPI_Scatterv(NULL, NULL, NULL, MPI_BYTE, lb, mine, MPI_BYTE, 0, comm);
            if (rc != MPI_SUCCESS)
                st = alc_mpi_fail(err, rc, "receiving the static batches");
        }
        alc_batch_desc *list = NULL;
        int n = 0;
        if (st == ALC_OK)
            st = alc_unpack_batch_list(lb, (size_t)mine, &list, &n, err);
        free(lb);
        for (int i = 0; i < n; i++) {
            if (st == ALC_OK)
                st = serve_batch(comm, w, &rs, &setup, &f, &list[i], err);
            alc_batch_desc_free(&list[i]);
        }
        free(list);
    }

    /* 4. work loop: ask, receive a batch or STOP */
    while (st == ALC_OK) {
        rc = MPI_Send(NULL, 0, MPI_BYTE, 0, ALC_TAG_REQUEST, comm);
        if (rc != MPI_SUCCESS) {
            st = alc_mpi_fail(err, rc, "asking for work");
            break;
        }
        MPI_Status status;
        rc = MPI_Probe(0, MPI_ANY_TAG, comm, &status);
        int count = 0;
        if (rc == MPI_SUCCESS)
            rc = MPI_Get_count(&status, MPI_BYTE, &count);
        if (rc != MPI_SUCCESS) {
            st = alc_mpi_fail(err, rc, "waiting for work");
            break;
        }
        unsigned char *mb = malloc(count > 0 ? (size_t)count : 1);
        if (!mb) {
            st = alc_fail(err, ALC_ERR_NOMEM, "out of memory");
            break;
        }
        rc = MPI_Recv(mb, count, MPI_BYTE, 0, status.MPI_TAG, comm, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS) {
            free(mb);
            st = alc_mpi_fail(err, rc, "receiving work");
            break;
        }
        if (status.MPI_TAG == ALC_TAG_STOP) {
            free(mb);
            break;
        }
        if (status.MPI_TAG != ALC_TAG_BATCH) {
            free(mb);
            st = alc_fail(err, ALC_ERR_MPI, "unexpected message tag %d from rank 0", status.MPI_TAG);
            break;
        }
        alc_batch_desc d;
        st = alc_unpack_batch(mb, (size_t)count, &d, err);
        free(mb);
        if (st == ALC_OK) {
            st = serve_batch(comm, w, &rs, &setup, &f, &d, err);
            alc_batch_desc_free(&d);
        }
    }
    alc_error de;
    alc_error_clear(&de);
    if (alc_sends_wait_all(&rs, &de) != ALC_OK && st == ALC_OK) {
        st = ALC_ERR_MPI;
        *err = de;
    }
    alc_sends_free(&rs);
    alc_worker_free(w);
    alc_market_free(market);
    alc_setup_msg_free(&setup);
    return st;
}
