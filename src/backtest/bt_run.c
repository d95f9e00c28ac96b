/* alchemiser backtest: distribution and assembly (include/alchemiser/backtest_run.h).
 *
 * Rank 0 hands out (strategy, block of days) tasks through a dynamic work
 * queue, like the session's: a worker asks for work by sending its previous
 * result (or an empty hello), and rank 0 answers with the next task or a
 * stop.  Each worker holds two tasks (one running, one queued) so that it
 * never waits, and rank 0 evaluates tasks itself between answering: on a
 * 2-core node, np 2 uses both cores.  With one rank, rank 0 runs every task.  Results are stored
 * per (strategy, day) and assembled in job-file order, so the outputs are
 * identical for every number of ranks and block size.
 *
 * Messages (MPI_BYTE, tags below): a task is three int32 (strategy, first
 * day index, day count; strategy -1 = stop).  A result is int32 strategy,
 * first day, count, error-text length, the error text (first failed day's
 * message, no NUL), then per day int32 ok, int32 n, n int32 market series
 * indices and n doubles. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alchemiser/backtest.h"
#include "alchemiser/backtest_run.h"
#include "alchemiser/engine.h"
#include "alchemiser/job.h"
#include "alchemiser/market.h"
#include "alchemiser/order.h"
#include "backtest/bt_internal.h"

enum { TAG_TASK = 101, TAG_RESULT = 102, WORKER_FAILED = -2 };

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* ---- byte buffer ---------------------------------------------------------- */

typedef struct buf {
    unsigned char *p;
    size_t len, cap;
    int oom;
} buf;

static void put(buf *b, const void *data, size_t n)
{
    if (b->oom || n == 0)
        return; /* n == 0: data may be NULL (an empty day), memcpy must not see it */
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void put_i32(buf *b, int32_t v) { put(b, &v, sizeof v); }

typedef struct reader {
    const unsigned char *p;
    size_t len, pos;
} reader;

static int get(reader *r, void *out, size_t n)
{
    if (r->pos + n > r->len)
        return -1;
    memcpy(out, r->p + r->pos, n);
    r->pos += n;
    return 0;
}

/* ---- evaluation of one task ----------------------------------------------- */

/* Evaluate strategy s on days [t0, t0 + count) and encode the result. */
static alc_status run_task(bt_context *ctx, alc_engine *engine, alc_program **programs, char **parse_errors,
                           int s, int t0, int count, buf *out, alc_error *err)
{
    if (!programs[s] && !parse_errors[s]) {
        alc_error pe;
        if (alc_program_load(ctx->job->strategies[s].path, &programs[s], &pe) != ALC_OK) {
            char msg[1200];
            alc_error_format(&pe, msg, sizeof msg);
            parse_errors[s] = strdup(msg);
            if (!parse_errors[s])
                return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
        }
    }
    alc_bt_day *days = calloc((size_t)count, sizeof *days);
    if (!days)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    int errors = 0;
    alc_error first;
    alc_error_clear(&first);
    char first_text[1200] = "";
    if (programs[s]) {
        alc_status st = alc_bt_evaluate_range(engine, ctx->market, programs[s], ctx->days + t0, count, days,
                                              &errors, &first, err);
        if (st != ALC_OK) {
            free(days);
            return st;
        }
        if (errors)
            alc_error_format(&first, first_text, sizeof first_text);
    } else {
        snprintf(first_text, sizeof first_text, "%s", parse_errors[s]);
    }
    out->len = 0;
    put_i32(out, s);
    put_i32(out, t0);
    put_i32(out, count);
    put_i32(out, (int32_t)strlen(first_text));
    put(out, first_text, strlen(first_text));
    for (int t = 0; t < count; t++) {
        put_i32(out, days[t].ok);
        put_i32(out, days[t].n);
        put(out, days[t].series, (size_t)days[t].n * sizeof *days[t].series);
        put(out, days[t].weight, (size_t)days[t].n * sizeof *days[t].weight);
        alc_bt_day_free(&days[t]);
    }
    free(days);
    return out->oom ? alc_fail(err, ALC_ERR_NOMEM, "out of memory") : ALC_OK;
}

/* Rank 0: store an encoded result into the (strategy, day) table. */
static alc_status store_result(bt_context *ctx, const unsigned char *p, size_t len, alc_error *err)
{
    reader r = {p, len, 0};
    int32_t s, t0, count, elen;
    if (get(&r, &s, 4) || get(&r, &t0, 4) || get(&r, &count, 4) || get(&r, &elen, 4) || s < 0 ||
        s >= ctx->job->n_strategies || t0 < 0 || count < 0 || t0 + count > ctx->T || elen < 0 ||
        r.pos + (size_t)elen > len)
        return alc_fail(err, ALC_ERR_MPI, "malformed backtest result message");
    bt_strategy *st = &ctx->strategies[s];
    if (elen > 0 && (st->first_error_day < 0 || t0 < st->first_error_day)) {
        free(st->first_error);
        st->first_error = malloc((size_t)elen + 1);
        if (!st->first_error)
            return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
        memcpy(st->first_error, p + r.pos, (size_t)elen);
        st->first_error[elen] = '\0';
        st->first_error_day = t0;
    }
    r.pos += (size_t)elen;
    for (int t = t0; t < t0 + count; t++) {
        alc_bt_day *d = &st->days[t];
        int32_t ok, n;
        if (get(&r, &ok, 4) || get(&r, &n, 4) || n < 0 || n > ctx->market->n)
            return alc_fail(err, ALC_ERR_MPI, "malformed backtest result message");
        alc_bt_day_free(d);
        d->ok = ok;
        d->n = n;
        d->series = malloc((size_t)(n ? n : 1) * sizeof *d->series);
        d->weight = malloc((size_t)(n ? n : 1) * sizeof *d->weight);
        if (!d->series || !d->weight)
            return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
        if (get(&r, d->series, (size_t)n * sizeof *d->series) || get(&r, d->weight, (size_t)n * sizeof *d->weight))
            return alc_fail(err, ALC_ERR_MPI, "malformed backtest result message");
        for (int k = 0; k < n; k++)
            if (d->series[k] < 0 || d->series[k] >= ctx->market->n)
                return alc_fail(err, ALC_ERR_MPI, "malformed backtest result message");
        st->failed_days += !ok;
    }
    ctx->done_days += count;
    return ALC_OK;
}

/* ---- progress ----------------------------------------------------------------- */

static void progress(bt_context *ctx, int final)
{
    if (!ctx->opt->progress)
        return;
    double t = now_s();
    if (!final && t - ctx->last_progress < 0.2)
        return;
    ctx->last_progress = t;
    long total = (long)ctx->T * ctx->job->n_strategies;
    double frac = total ? (double)ctx->done_days / (double)total : 1.0;
    int width = 30, filled = (int)(frac * width);
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[width] = '\0';
    double el = t - ctx->t_start;
    fprintf(stderr, "\rbacktest [%s] %5.1f%% %ld/%ld strategy-days %.1f s%s", bar, frac * 100.0,
            ctx->done_days, total, el, final ? "\n" : "");
    fflush(stderr);
}

/* ---- tasks ---------------------------------------------------------------------- */

static void plan_tasks(bt_context *ctx, int ranks)
{
    int S = ctx->job->n_strategies, T = ctx->T;
    int chunk = ctx->opt->chunk_days;
    if (chunk <= 0) {
        /* about 32 tasks per evaluating rank, blocks of at least a month */
        long target = (long)(ranks > 0 ? ranks : 1) * 32;
        long per = ((long)S * T + target - 1) / target;
        chunk = per < 21 ? 21 : per > T ? T : (int)per;
    }
    if (chunk > T)
        chunk = T;
    ctx->chunk = chunk;
    ctx->blocks = (T + chunk - 1) / chunk;
    ctx->n_tasks = (long)S * ctx->blocks;
    ctx->next_task = 0;
    /* Largest strategy files first (longest-processing-time first): a heavy
     * strategy's blocks start early instead of ending the run alone.  The
     * sizes are the job read's; NULL (out of memory): file order. */
    uint64_t *size = malloc((size_t)(S ? S : 1) * sizeof *size);
    for (int s = 0; size && s < S; s++)
        size[s] = ctx->job->strategies[s].bytes;
    ctx->order = size ? alc_order_largest_first(size, S) : NULL;
    free(size);
}

/* Task k -> (strategy, first day, count). */
static void task_of(const bt_context *ctx, long k, int32_t task[3])
{
    int i = (int)(k / ctx->blocks), b = (int)(k % ctx->blocks);
    int s = ctx->order ? ctx->order[i] : i;
    int t0 = b * ctx->chunk;
    int count = ctx->T - t0 < ctx->chunk ? ctx->T - t0 : ctx->chunk;
    task[0] = s;
    task[1] = t0;
    task[2] = count;
}

/* An evaluating rank's state: its engine (indicator cache) and the
 * programs it has parsed, kept across tasks. */
typedef struct bt_worker {
    alc_engine *engine;
    alc_program **programs;
    char **parse_errors;
    int n;
    buf out;
} bt_worker;

static alc_status worker_init(bt_worker *w, bt_context *ctx, alc_error *err)
{
    memset(w, 0, sizeof *w);
    w->n = ctx->job->n_strategies;
    alc_status st = alc_engine_new(ctx->market, &w->engine, err);
    w->programs = calloc((size_t)w->n, sizeof *w->programs);
    w->parse_errors = calloc((size_t)w->n, sizeof *w->parse_errors);
    if (st == ALC_OK && (!w->programs || !w->parse_errors))
        st = alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    return st;
}

static void worker_free(bt_worker *w)
{
    free(w->out.p);
    for (int s = 0; w->programs && s < w->n; s++) {
        alc_program_free(w->programs[s]);
        free(w->parse_errors[s]);
    }
    free(w->programs);
    free(w->parse_errors);
    alc_engine_free(w->engine);
}

static alc_status worker_task(bt_context *ctx, bt_worker *w, const int32_t task[3], alc_error *err)
{
    return run_task(ctx, w->engine, w->programs, w->parse_errors, task[0], task[1], task[2], &w->out, err);
}

/* Tasks each worker holds at once: one running and one queued, so that a
 * worker never waits for rank 0, which evaluates tasks itself between
 * answering. */
#define TASKS_IN_FLIGHT 2

/* Rank 0 with workers: answer every pending message; returns the number of
 * workers still active. */
static alc_status answer_pending(bt_context *ctx, MPI_Comm comm, int *outstanding, int *active, int block,
                                 unsigned char **msg, size_t *msg_cap, alc_status st, alc_error *err)
{
    for (;;) {
        int flag = 0;
        MPI_Status status;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_RESULT, comm, &flag, &status);
        if (!flag) {
            if (!block || *active == 0)
                return st;
            struct timespec nap = {0, 100000}; /* 0.1 ms: wait without spinning a core */
            nanosleep(&nap, NULL);
            continue;
        }
        block = 0; /* one message answered: the caller can go on */
        int n, src = status.MPI_SOURCE;
        MPI_Get_count(&status, MPI_BYTE, &n);
        if ((size_t)n > *msg_cap) {
            unsigned char *m = realloc(*msg, (size_t)n);
            if (!m)
                return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
            *msg = m;
            *msg_cap = (size_t)n;
        }
        MPI_Recv(*msg, n, MPI_BYTE, src, TAG_RESULT, comm, MPI_STATUS_IGNORE);
        int32_t first = 0;
        if (n == 4)
            memcpy(&first, *msg, 4);
        if (n == 4 && first == WORKER_FAILED) {
            outstanding[src]--;
            if (st == ALC_OK)
                st = alc_fail(err, ALC_ERR_SESSION, "rank %d failed while evaluating (see its message)", src);
        } else if (n > 0) {
            outstanding[src]--;
            if (st == ALC_OK)
                st = store_result(ctx, *msg, (size_t)n, err);
        }
        progress(ctx, 0);
        /* top the worker up to TASKS_IN_FLIGHT, or stop it once it is idle */
        while (st == ALC_OK && ctx->next_task < ctx->n_tasks && outstanding[src] < TASKS_IN_FLIGHT) {
            int32_t task[3];
            task_of(ctx, ctx->next_task++, task);
            MPI_Send(task, 3, MPI_INT32_T, src, TAG_TASK, comm);
            outstanding[src]++;
        }
        if (outstanding[src] == 0) {
            int32_t stop[3] = {-1, 0, 0};
            MPI_Send(stop, 3, MPI_INT32_T, src, TAG_TASK, comm);
            (*active)--;
        }
    }
}

static alc_status coordinate(bt_context *ctx, MPI_Comm comm, int nranks, alc_error *err)
{
    int active = nranks - 1;
    int *outstanding = calloc((size_t)nranks, sizeof *outstanding);
    unsigned char *msg = NULL;
    size_t msg_cap = 0;
    bt_worker self;
    alc_status st = worker_init(&self, ctx, err);
    if (!outstanding && st == ALC_OK)
        st = alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    alc_status local = ALC_OK;
    while (outstanding && (active > 0 || (st == ALC_OK && ctx->next_task < ctx->n_tasks))) {
        st = answer_pending(ctx, comm, outstanding, &active, 0, &msg, &msg_cap, st, err);
        if (st == ALC_OK && ctx->next_task < ctx->n_tasks) {
            /* rank 0 evaluates a task itself between answering */
            int32_t task[3];
            task_of(ctx, ctx->next_task++, task);
            local = worker_task(ctx, &self, task, err);
            if (local == ALC_OK)
                local = store_result(ctx, self.out.p, self.out.len, err);
            if (local != ALC_OK)
                st = local;
            progress(ctx, 0);
        } else if (active > 0) {
            st = answer_pending(ctx, comm, outstanding, &active, 1, &msg, &msg_cap, st, err);
        }
    }
    worker_free(&self);
    free(outstanding);
    free(msg);
    return st;
}

static alc_status serve(bt_context *ctx, MPI_Comm comm, alc_error *err)
{
    bt_worker w;
    alc_status st = worker_init(&w, ctx, err);
    /* hello: an empty result asks for the first tasks */
    MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_RESULT, comm);
    for (;;) {
        int32_t task[3];
        MPI_Recv(task, 3, MPI_INT32_T, 0, TAG_TASK, comm, MPI_STATUS_IGNORE);
        if (task[0] < 0)
            break;
        if (st == ALC_OK)
            st = worker_task(ctx, &w, task, err);
        if (st == ALC_OK) {
            MPI_Send(w.out.p, (int)w.out.len, MPI_BYTE, 0, TAG_RESULT, comm);
        } else {
            /* tell rank 0, which stops the run but still releases everyone */
            int32_t failed = WORKER_FAILED;
            MPI_Send(&failed, 4, MPI_BYTE, 0, TAG_RESULT, comm);
        }
    }
    worker_free(&w);
    return st;
}

static alc_status run_locally(bt_context *ctx, alc_error *err)
{
    bt_worker w;
    alc_status st = worker_init(&w, ctx, err);
    while (st == ALC_OK && ctx->next_task < ctx->n_tasks) {
        int32_t task[3];
        task_of(ctx, ctx->next_task++, task);
        st = worker_task(ctx, &w, task, err);
        if (st == ALC_OK)
            st = store_result(ctx, w.out.p, w.out.len, err);
        progress(ctx, 0);
    }
    worker_free(&w);
    return st;
}

/* ---- the run -------------------------------------------------------------------- */

static void context_free(bt_context *ctx)
{
    for (int s = 0; ctx->strategies && s < ctx->job->n_strategies; s++) {
        bt_strategy *st = &ctx->strategies[s];
        for (int t = 0; st->days && t < ctx->T; t++)
            alc_bt_day_free(&st->days[t]);
        free(st->days);
        free(st->first_error);
        free(st->ret);
    }
    free(ctx->strategies);
    free(ctx->order);
    for (int t = 0; ctx->portfolio && t < ctx->T; t++)
        alc_bt_day_free(&ctx->portfolio[t]);
    free(ctx->portfolio);
    free(ctx->portfolio_ret);
    free(ctx->days);
    alc_market_free(ctx->market);
    alc_job_free(ctx->job);
}

/* Everything each rank needs: the job, the market, the trading days.
 * Returns the status on this rank. */
static alc_status setup(bt_context *ctx, alc_error *err)
{
    alc_status st = alc_job_load(ctx->opt->job_path, ctx->opt->strategies_dir, &ctx->job, err);
    if (st == ALC_OK)
        st = alc_market_load(ctx->job->market, &ctx->market, err);
    if (st != ALC_OK)
        return st;
    alc_day to = ctx->opt->has_to ? ctx->opt->to
                 : ctx->job->has_as_of ? ctx->job->as_of
                                       : alc_market_last_day(ctx->market);
    alc_day from = to;
    if (ctx->opt->has_from) {
        from = ctx->opt->from;
    } else {
        for (int i = 0; i < ctx->market->n; i++)
            if (ctx->market->series[i].n > 0 && (i == 0 || ctx->market->series[i].day[0] < from))
                from = ctx->market->series[i].day[0];
    }
    ctx->from = from;
    ctx->to = to;
    return alc_bt_trading_days(ctx->market, from, to, &ctx->days, &ctx->T, err);
}

alc_status alc_backtest_run(MPI_Comm comm, const alc_backtest_options *opt, alc_backtest_result *res,
                            alc_error *err)
{
    int rank, nranks;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);
    memset(res, 0, sizeof *res);
    bt_context ctx = {0};
    ctx.opt = opt;
    ctx.nranks = nranks;
    alc_status st = setup(&ctx, err);
    /* every rank must agree before any work: the first failing rank's
     * status wins, and rank 0 reports its own message */
    int ok = st == ALC_OK, all_ok = 0;
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, comm);
    if (!all_ok) {
        if (st == ALC_OK)
            st = alc_fail(err, ALC_ERR_JOB, "another rank could not load the job or the market");
        context_free(&ctx);
        return st;
    }
    ctx.t_start = now_s();
    plan_tasks(&ctx, nranks); /* rank 0 evaluates too */
    if (rank == 0) {
        int S = ctx.job->n_strategies;
        ctx.strategies = calloc((size_t)S, sizeof *ctx.strategies);
        for (int s = 0; ctx.strategies && s < S; s++) {
            ctx.strategies[s].days = calloc((size_t)ctx.T, sizeof *ctx.strategies[s].days);
            ctx.strategies[s].first_error_day = -1;
            if (!ctx.strategies[s].days)
                break;
        }
        if (!ctx.strategies || (S && !ctx.strategies[S - 1].days))
            st = alc_fail(err, ALC_ERR_NOMEM, "out of memory for %d strategies x %d days", S, ctx.T);
        if (st == ALC_OK)
            st = nranks > 1 ? coordinate(&ctx, comm, nranks, err) : run_locally(&ctx, err);
        else if (nranks > 1)
            coordinate(&ctx, comm, nranks, err); /* still release the workers */
        progress(&ctx, 1);
        if (st == ALC_OK)
            st = bt_assemble(&ctx, err);
        res->seconds = now_s() - ctx.t_start;
        if (st == ALC_OK)
            st = bt_write_outputs(&ctx, res, err);
    } else {
        st = serve(&ctx, comm, err);
    }
    int st_int = (int)st, worst = 0;
    MPI_Allreduce(&st_int, &worst, 1, MPI_INT, MPI_MAX, comm);
    if (st == ALC_OK && worst != ALC_OK)
        st = alc_fail(err, (alc_status)worst, "a worker rank failed (see its message above)");
    context_free(&ctx);
    return st;
}
