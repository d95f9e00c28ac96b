/* Reading session snapshots back: the summary `sessions list` shows, the
 * job a resume or a rerun rebuilds, and the accepted batches a resume
 * reuses (see include/alchemiser/snapshot.h, docs/session.md).  Columns
 * are read by name, so extra columns are fine. */
#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alchemiser/h5util.h"
#include "alchemiser/log.h"
#include "alchemiser/snapshot.h"
#include "session/internal.h"

/* The HDF5 reading helpers are alchemiser/h5util.h's (shared with
 * src/analysis/session_reader.c); here: the session-specific defaults. */

typedef struct rd {
    hid_t file;
    const char *path;
} rd;

static alc_status open_rd(const char *path, rd *r, alc_error *err)
{
    int not_hdf5;
    r->path = path;
    r->file = alc_h5_open_read(path, 0, &not_hdf5);
    if (r->file < 0)
        return not_hdf5 ? alc_fail_at(err, ALC_ERR_DATA, path, 0, 0, "not an HDF5 session snapshot")
                        : alc_fail_at(err, ALC_ERR_HDF5, path, 0, 0, "cannot open the snapshot");
    return ALC_OK;
}

static void close_rd(rd *r)
{
    if (r->file >= 0)
        H5Fclose(r->file);
    r->file = -1;
}

/* String attribute as a malloc'd copy ("" when absent); NULL on no memory. */
static char *attr_str(hid_t obj, const char *name)
{
    char *v = alc_h5_read_attr_str(obj, name);
    return v ? v : alc_strdup("");
}

static void attr_buf(hid_t obj, const char *name, char *buf, size_t size)
{
    char *v = alc_h5_read_attr_str(obj, name);
    snprintf(buf, size, "%s", v ? v : "");
    free(v);
}

/* ---- summary ---- */

alc_status alc_snapshot_read_summary(const char *path, alc_snapshot_summary *out, alc_error *err)
{
    memset(out, 0, sizeof *out);
    rd r;
    alc_status st = open_rd(path, &r, err);
    if (st != ALC_OK)
        return st;
    hid_t f = r.file;
    attr_buf(f, "session_id", out->session_id, sizeof out->session_id);
    attr_buf(f, "status", out->status, sizeof out->status);
    attr_buf(f, "created", out->created, sizeof out->created);
    attr_buf(f, "deadline", out->deadline, sizeof out->deadline);
    attr_buf(f, "finished", out->finished, sizeof out->finished);
    attr_buf(f, "rerun_of", out->rerun_of, sizeof out->rerun_of);
    attr_buf(f, "error_type", out->error_type, sizeof out->error_type);
    out->expected_batches = alc_h5_read_attr_i64(f, "expected_batches", 0);
    out->completed_batches = alc_h5_read_attr_i64(f, "completed_batches", 0);
    out->resume_count = alc_h5_read_attr_i64(f, "resume_count", 0);
    close_rd(&r);
    if (!out->session_id[0])
        return alc_fail_at(err, ALC_ERR_DATA, path, 0, 0,
                           "not an alchemiser session snapshot (no session_id)");
    return ALC_OK;
}

/* ---- job ---- */

void alc_snapshot_job_free(alc_snapshot_job *j)
{
    if (!j)
        return;
    char **strs[] = {&j->session_id, &j->correlation_id, &j->status, &j->job_path,
                     &j->job_sha256, &j->market_sha256, &j->as_of, &j->scheduling,
                     &j->rerun_of, &j->created, &j->dir, &j->strategies_dir, &j->text};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        free(*strs[i]);
    alc_h5_free_strs(j->file, (size_t)j->n);
    alc_h5_free_strs(j->path, (size_t)j->n);
    alc_h5_free_strs(j->sha256, (size_t)j->n);
    memset(j, 0, sizeof *j);
}

alc_status alc_snapshot_read_job(const char *path, alc_snapshot_job *out, alc_error *err)
{
    memset(out, 0, sizeof *out);
    rd r;
    alc_status st = open_rd(path, &r, err);
    if (st != ALC_OK)
        return st;
    hid_t f = r.file;
    out->session_id = attr_str(f, "session_id");
    out->correlation_id = attr_str(f, "correlation_id");
    out->status = attr_str(f, "status");
    out->job_path = attr_str(f, "job_path");
    out->job_sha256 = attr_str(f, "job_sha256");
    out->market_sha256 = attr_str(f, "market_sha256");
    out->as_of = attr_str(f, "as_of");
    out->scheduling = attr_str(f, "scheduling");
    out->rerun_of = attr_str(f, "rerun_of");
    out->created = attr_str(f, "created");
    out->batch_size = alc_h5_read_attr_i64(f, "batch_size", 0);
    out->expected_batches = alc_h5_read_attr_i64(f, "expected_batches", 0);
    out->n_strategies = alc_h5_read_attr_i64(f, "n_strategies", 0);
    out->resume_count = alc_h5_read_attr_i64(f, "resume_count", 0);
    const char *bad = NULL;
    hid_t g = H5Lexists(f, "job", H5P_DEFAULT) > 0 ? H5Gopen2(f, "job", H5P_DEFAULT) : -1;
    if (g < 0) {
        bad = "no /job group";
    } else {
        out->dir = attr_str(g, "dir");
        out->strategies_dir = attr_str(g, "strategies_dir");
        hid_t ds = H5Lexists(g, "text", H5P_DEFAULT) > 0 ? H5Dopen2(g, "text", H5P_DEFAULT) : -1;
        hid_t str = alc_h5_string_type();
        char *v = NULL;
        if (ds < 0 || str < 0 || H5Dread(ds, str, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) < 0 || !v) {
            bad = "cannot read /job/text";
        } else {
            out->text = alc_strdup(v);
            out->text_len = strlen(v);
            H5free_memory(v);
        }
        if (str >= 0)
            H5Tclose(str);
        if (ds >= 0)
            H5Dclose(ds);
        alc_h5_table t;
        if (!bad && alc_h5_table_open(g, "strategies", &t) == 0) {
            out->n = (int)t.n;
            if (alc_h5_col_str(&t, "file", &out->file) ||
                alc_h5_col_str(&t, "path", &out->path))
                bad = "cannot read /job/strategies";
            if (alc_h5_has_column(&t, "sha256") && alc_h5_col_str(&t, "sha256", &out->sha256))
                bad = "cannot read /job/strategies";
            alc_h5_table_close(&t);
        } else if (!bad) {
            bad = "no /job/strategies table";
        }
        H5Gclose(g);
    }
    close_rd(&r);
    if (!bad && (!out->session_id || !out->session_id[0]))
        bad = "no session_id attribute";
    if (!bad && (!out->text || !out->dir || !out->strategies_dir || !out->market_sha256))
        bad = "out of memory";
    if (bad) {
        alc_snapshot_job_free(out);
        return alc_fail_at(err, ALC_ERR_DATA, path, 0, 0, "not a usable session snapshot: %s", bad);
    }
    return ALC_OK;
}

/* ---- accepted batches ---- */

/* One "ok" group into *p (strategy rows must be first..first+count-1). */
static int read_group(hid_t g, const alc_batch *b, alc_partial *p)
{
    memset(p, 0, sizeof *p);
    p->batch_index = b->index;
    p->n_batches = b->n_batches;
    p->attempt = (int)alc_h5_read_attr_i64(g, "attempt", 1);
    p->rank = (int)alc_h5_read_attr_i64(g, "rank", 0);
    p->eval_ms = alc_h5_read_attr_f64(g, "eval_ms", 0.0);
    alc_h5_table st, wt, tt;
    st.ds = wt.ds = tt.ds = -1;
    st.n = wt.n = tt.n = 0;
    int rc = alc_h5_table_open(g, "signals", &st) || alc_h5_table_open(g, "weights", &wt) ? -1 : 0;
    if (rc == 0 && st.n != (size_t)b->count)
        rc = -1;
    long long *idx = NULL, *nw = NULL, *widx = NULL;
    double *alloc = NULL, *ems = NULL, *ww = NULL;
    char **file = NULL, **status = NULL, **lbd = NULL, **tick = NULL;
    size_t n = st.n, m = wt.n;
    if (rc == 0) {
        idx = calloc(n + 1, sizeof *idx);
        nw = calloc(n + 1, sizeof *nw);
        alloc = calloc(n + 1, sizeof *alloc);
        ems = calloc(n + 1, sizeof *ems);
        widx = calloc(m + 1, sizeof *widx);
        ww = calloc(m + 1, sizeof *ww);
        rc = idx && nw && alloc && ems && widx && ww ? 0 : -1;
    }
    if (rc == 0)
        rc = alc_h5_col_i64(&st, "index", idx) || alc_h5_col_i64(&st, "n_weights", nw) ||
                     alc_h5_col_f64(&st, "allocation", alloc) ||
                     alc_h5_col_f64(&st, "eval_ms", ems) || alc_h5_col_str(&st, "file", &file) ||
                     alc_h5_col_str(&st, "status", &status) ||
                     alc_h5_col_str(&st, "last_bar_date", &lbd) ||
                     alc_h5_col_i64(&wt, "index", widx) || alc_h5_col_f64(&wt, "weight", ww) ||
                     alc_h5_col_str(&wt, "ticker", &tick)
                 ? -1 : 0;
    if (rc == 0 && !(p->signals = calloc(n ? n : 1, sizeof *p->signals)))
        rc = -1;
    size_t w = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        alc_signal *sg = &p->signals[i];
        p->n_signals = (int)i + 1;
        sg->index = (int)idx[i];
        sg->file = file[i];
        file[i] = NULL;
        sg->allocation = alloc[i];
        sg->eval_ms = ems[i];
        sg->code = ALC_OK;
        if (sg->index != b->first + (int)i || strcmp(status[i], "ok") || nw[i] < 0 ||
            (size_t)nw[i] > m - w) {
            rc = -1;
            break;
        }
        if (lbd[i][0] && alc_parse_date(lbd[i], strlen(lbd[i]), &sg->last_bar) != 0)
            rc = -1;
        sg->w = calloc((size_t)(nw[i] ? nw[i] : 1), sizeof *sg->w);
        if (!sg->w) {
            rc = -1;
            break;
        }
        for (long long k = 0; k < nw[i]; k++, w++) {
            if (widx[w] != sg->index) {
                rc = -1;
                break;
            }
            sg->w[k].ticker = tick[w];
            tick[w] = NULL;
            sg->w[k].weight = ww[w];
            sg->n = (int)k + 1;
        }
    }
    if (rc == 0 && w != m)
        rc = -1;
    if (rc == 0 && alc_h5_table_open(g, "timings", &tt) == 0 && tt.n == 1) {
        double s0 = 0, s1 = 0;
        if (alc_h5_col_f64(&tt, "start", &s0) == 0 && alc_h5_col_f64(&tt, "end", &s1) == 0) {
            p->start = s0;
            p->end = s1;
        }
    }
    alc_error e;
    if (rc == 0 && alc_partial_compute_portfolio(p, &e) != ALC_OK)
        rc = -1;
    alc_h5_table_close(&st);
    alc_h5_table_close(&wt);
    alc_h5_table_close(&tt);
    free(idx);
    free(nw);
    free(alloc);
    free(ems);
    free(widx);
    free(ww);
    alc_h5_free_strs(file, n);
    alc_h5_free_strs(status, n);
    alc_h5_free_strs(lbd, n);
    alc_h5_free_strs(tick, m);
    if (rc != 0)
        alc_partial_free(p);
    return rc;
}

static void read_history(const rd *r, alc_session *s)
{
    hid_t f = r->file;
    alc_h5_table t;
    t.ds = -1;
    size_t n = 0;
    long long *run = NULL, *nr = NULL, *ev = NULL, *ru = NULL;
    char **started = NULL, **deadline = NULL, **finished = NULL, **status = NULL, **sched = NULL,
         **et = NULL, **er = NULL;
    int ok = alc_h5_table_open(f, "history/runs", &t) == 0; /* checks /history exists */
    if (ok) {
        n = t.n;
        run = calloc(n + 1, sizeof *run);
        nr = calloc(n + 1, sizeof *nr);
        ev = calloc(n + 1, sizeof *ev);
        ru = calloc(n + 1, sizeof *ru);
        ok = run && nr && ev && ru && !alc_h5_col_i64(&t, "run", run) &&
             !alc_h5_col_i64(&t, "n_ranks", nr) && !alc_h5_col_i64(&t, "batches_evaluated", ev) &&
             !alc_h5_col_i64(&t, "batches_reused", ru) &&
             !alc_h5_col_str(&t, "started", &started) && !alc_h5_col_str(&t, "deadline", &deadline) &&
             !alc_h5_col_str(&t, "finished", &finished) && !alc_h5_col_str(&t, "status", &status) &&
             !alc_h5_col_str(&t, "scheduling", &sched) && !alc_h5_col_str(&t, "error_type", &et) &&
             !alc_h5_col_str(&t, "error", &er);
    }
    alc_h5_table_close(&t);
    if (!ok)
        n = 1; /* a snapshot without /history/runs: its one run, from the root attributes */
    s->history = calloc(n, sizeof *s->history);
    if (s->history) {
        s->n_history = (int)n;
        for (size_t i = 0; i < n; i++) {
            alc_run_record *h = &s->history[i];
            if (ok) {
                h->run = (int)run[i];
                h->n_ranks = (int)nr[i];
                h->batches_evaluated = (int)ev[i];
                h->batches_reused = (int)ru[i];
                snprintf(h->started, sizeof h->started, "%s", started[i]);
                snprintf(h->deadline, sizeof h->deadline, "%s", deadline[i]);
                snprintf(h->finished, sizeof h->finished, "%s", finished[i]);
                snprintf(h->status, sizeof h->status, "%s", status[i]);
                snprintf(h->scheduling, sizeof h->scheduling, "%s", sched[i]);
                snprintf(h->error_type, sizeof h->error_type, "%s", et[i]);
                snprintf(h->error, sizeof h->error, "%s", er[i]);
            } else {
                h->run = 1;
                h->n_ranks = (int)alc_h5_read_attr_i64(f, "n_ranks", 0);
                h->batches_evaluated = (int)alc_h5_read_attr_i64(f, "completed_batches", 0);
                attr_buf(f, "created", h->started, sizeof h->started);
                attr_buf(f, "deadline", h->deadline, sizeof h->deadline);
                attr_buf(f, "finished", h->finished, sizeof h->finished);
                attr_buf(f, "status", h->status, sizeof h->status);
                attr_buf(f, "scheduling", h->scheduling, sizeof h->scheduling);
                attr_buf(f, "error_type", h->error_type, sizeof h->error_type);
                attr_buf(f, "error", h->error, sizeof h->error);
            }
            /* A run that left its status PENDING or AGGREGATING died. */
            if ((!strcmp(h->status, "PENDING") || !strcmp(h->status, "AGGREGATING")) &&
                !h->error_type[0]) {
                snprintf(h->error_type, sizeof h->error_type, "Interrupted");
                snprintf(h->error, sizeof h->error,
                         "the run ended without closing its snapshot (.partial left)");
            }
        }
    }
    free(run);
    free(nr);
    free(ev);
    free(ru);
    alc_h5_free_strs(started, n);
    alc_h5_free_strs(deadline, n);
    alc_h5_free_strs(finished, n);
    alc_h5_free_strs(status, n);
    alc_h5_free_strs(sched, n);
    alc_h5_free_strs(et, n);
    alc_h5_free_strs(er, n);
}

alc_status alc_snapshot_read_batches(const char *path, alc_session *s, alc_error *err)
{
    rd r;
    alc_status st = open_rd(path, &r, err);
    if (st != ALC_OK)
        return st;
    /* The batch split must be the snapshot's. */
    alc_h5_table t;
    const char *bad = NULL;
    if (alc_h5_table_open(r.file, "batches/config", &t) != 0) {
        bad = "no /batches/config table";
    } else {
        long long *first = calloc(t.n + 1, sizeof *first), *cnt = calloc(t.n + 1, sizeof *cnt);
        if (!first || !cnt || alc_h5_col_i64(&t, "first_strategy", first) ||
            alc_h5_col_i64(&t, "n_strategies", cnt))
            bad = "cannot read /batches/config";
        else if (t.n != (size_t)s->n_batches)
            bad = "/batches/config does not match the job's batches";
        for (int b = 0; !bad && b < s->n_batches; b++)
            if (first[b] != s->batches[b].batch.first || cnt[b] != s->batches[b].batch.count)
                bad = "/batches/config does not match the job's batches";
        free(first);
        free(cnt);
        alc_h5_table_close(&t);
    }
    hid_t bg = bad ? -1 : H5Gopen2(r.file, "batches", H5P_DEFAULT);
    for (int b = 0; !bad && b < s->n_batches; b++) {
        alc_batch_state *bs = &s->batches[b];
        if (H5Lexists(bg, bs->batch.id, H5P_DEFAULT) <= 0)
            continue; /* never accepted: queued */
        hid_t g = H5Gopen2(bg, bs->batch.id, H5P_DEFAULT);
        char status[16] = "";
        if (g >= 0)
            attr_buf(g, "status", status, sizeof status);
        if (g >= 0 && !strcmp(status, "ok") && read_group(g, &bs->batch, &bs->result) == 0) {
            bs->has_result = 1;
            bs->reused = 1;
            bs->state = ALC_BATCH_DONE;
            bs->rank = bs->result.rank;
            bs->attempts = 0;
            s->completed++;
        } else {
            if (strcmp(status, "failed"))
                alc_log(ALC_LOG_WARN, "%s: group /batches/%s cannot be reused; re-running it", path,
                        bs->batch.id);
            bs->superseded = 1;
        }
        if (g >= 0)
            H5Gclose(g);
    }
    if (bg >= 0)
        H5Gclose(bg);
    if (!bad)
        read_history(&r, s);
    close_rd(&r);
    if (bad)
        return alc_fail_at(err, ALC_ERR_DATA, path, 0, 0, "cannot resume: %s", bad);
    if (!s->history)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    return ALC_OK;
}
