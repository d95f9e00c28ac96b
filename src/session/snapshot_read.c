/* Reading session snapshots back: the summary `sessions list` shows, the
 * job a resume or a rerun rebuilds, and the accepted batches a resume
 * reuses (see include/alchemiser/snapshot.h, docs/session.md).  Columns
 * are read by name, so extra columns are fine. */
#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alchemiser/log.h"
#include "alchemiser/snapshot.h"
#include "session/internal.h"

typedef struct rd {
    hid_t file;
    hid_t str;
    const char *path;
} rd;

static alc_status open_rd(const char *path, rd *r, alc_error *err)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    r->path = path;
    r->file = r->str = -1;
    if (H5Fis_hdf5(path) <= 0)
        return alc_fail_at(err, ALC_ERR_DATA, path, 0, 0, "not an HDF5 session snapshot");
    r->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    r->str = H5Tcopy(H5T_C_S1);
    if (r->file < 0 || r->str < 0 || H5Tset_size(r->str, H5T_VARIABLE) < 0 ||
        H5Tset_cset(r->str, H5T_CSET_UTF8) < 0) {
        if (r->file >= 0)
            H5Fclose(r->file);
        if (r->str >= 0)
            H5Tclose(r->str);
        return alc_fail_at(err, ALC_ERR_HDF5, path, 0, 0, "cannot open the snapshot");
    }
    return ALC_OK;
}

static void close_rd(rd *r)
{
    if (r->str >= 0)
        H5Tclose(r->str);
    if (r->file >= 0)
        H5Fclose(r->file);
    r->file = r->str = -1;
}

/* String attribute as a malloc'd copy ("" when absent); NULL on no memory. */
static char *attr_str(const rd *r, hid_t obj, const char *name)
{
    char *out = NULL;
    if (H5Aexists(obj, name) > 0) {
        hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
        hid_t t = a >= 0 ? H5Aget_type(a) : -1;
        if (t >= 0 && H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0) {
            char *v = NULL;
            if (H5Aread(a, r->str, &v) >= 0 && v) {
                out = alc_strdup(v);
                H5free_memory(v);
            }
        }
        if (t >= 0)
            H5Tclose(t);
        if (a >= 0)
            H5Aclose(a);
    }
    return out ? out : alc_strdup("");
}

static void attr_buf(const rd *r, hid_t obj, const char *name, char *buf, size_t size)
{
    char *v = attr_str(r, obj, name);
    snprintf(buf, size, "%s", v ? v : "");
    free(v);
}

static long long attr_i64(hid_t obj, const char *name, long long dflt)
{
    long long v = dflt;
    if (H5Aexists(obj, name) > 0) {
        hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
        if (a < 0 || H5Aread(a, H5T_NATIVE_LLONG, &v) < 0)
            v = dflt;
        if (a >= 0)
            H5Aclose(a);
    }
    return v;
}

static double attr_f64(hid_t obj, const char *name, double dflt)
{
    double v = dflt;
    if (H5Aexists(obj, name) > 0) {
        hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
        if (a < 0 || H5Aread(a, H5T_NATIVE_DOUBLE, &v) < 0)
            v = dflt;
        if (a >= 0)
            H5Aclose(a);
    }
    return v;
}

/* ---- tables, one column at a time ---- */

typedef struct tbl {
    hid_t ds;
    size_t n;
} tbl;

static int tbl_open(hid_t loc, const char *name, tbl *t)
{
    t->n = 0;
    t->ds = H5Lexists(loc, name, H5P_DEFAULT) > 0 ? H5Dopen2(loc, name, H5P_DEFAULT) : -1;
    if (t->ds < 0)
        return -1;
    hid_t sp = H5Dget_space(t->ds);
    hssize_t n = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    if (sp >= 0)
        H5Sclose(sp);
    if (n < 0) {
        H5Dclose(t->ds);
        t->ds = -1;
        return -1;
    }
    t->n = (size_t)n;
    return 0;
}

static void tbl_close(tbl *t)
{
    if (t->ds >= 0)
        H5Dclose(t->ds);
    t->ds = -1;
}

static int has_column(const tbl *t, const char *field)
{
    hid_t ft = H5Dget_type(t->ds);
    int idx = ft >= 0 ? H5Tget_member_index(ft, field) : -1;
    if (ft >= 0)
        H5Tclose(ft);
    return idx >= 0;
}

/* Numeric column into out[t->n] (double or long long by `mem`). */
static int col_num(const tbl *t, const char *field, hid_t mem_base, size_t esz, void *out)
{
    if (!has_column(t, field))
        return -1;
    if (t->n == 0)
        return 0;
    hid_t mem = H5Tcreate(H5T_COMPOUND, esz);
    int rc = mem >= 0 && H5Tinsert(mem, field, 0, mem_base) >= 0 &&
                     H5Dread(t->ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0
                 ? 0 : -1;
    if (mem >= 0)
        H5Tclose(mem);
    return rc;
}

static int col_f64(const tbl *t, const char *field, double *out)
{
    return col_num(t, field, H5T_NATIVE_DOUBLE, sizeof(double), out);
}

static int col_i64(const tbl *t, const char *field, long long *out)
{
    return col_num(t, field, H5T_NATIVE_LLONG, sizeof(long long), out);
}

/* String column: *out = malloc'd array of t->n malloc'd strings. */
static int col_str(const rd *r, const tbl *t, const char *field, char ***out)
{
    *out = NULL;
    if (!has_column(t, field))
        return -1;
    char **v = calloc(t->n ? t->n : 1, sizeof *v);
    char **res = calloc(t->n ? t->n : 1, sizeof *res);
    hid_t mem = H5Tcreate(H5T_COMPOUND, sizeof(char *));
    int rc = v && res && mem >= 0 && H5Tinsert(mem, field, 0, r->str) >= 0 ? 0 : -1;
    if (rc == 0 && t->n > 0) {
        rc = H5Dread(t->ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0 ? 0 : -1;
        for (size_t i = 0; rc == 0 && i < t->n; i++)
            if (!(res[i] = alc_strdup(v[i] ? v[i] : "")))
                rc = -1;
        hid_t sp = H5Dget_space(t->ds);
        if (sp >= 0) {
            H5Dvlen_reclaim(mem, sp, H5P_DEFAULT, v);
            H5Sclose(sp);
        }
    }
    if (mem >= 0)
        H5Tclose(mem);
    free(v);
    if (rc != 0) {
        for (size_t i = 0; res && i < t->n; i++)
            free(res[i]);
        free(res);
        return -1;
    }
    *out = res;
    return 0;
}

static void free_strs(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

/* ---- summary ---- */

double alc_snapshot_parse_time(const char *iso)
{
    int y, mo, d, h, mi, sec, ms = 0;
    if (!iso || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &y, &mo, &d, &h, &mi, &sec, &ms) < 6)
        return -1.0;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    return t == (time_t)-1 ? -1.0 : (double)t + ms / 1000.0;
}

alc_status alc_snapshot_read_summary(const char *path, alc_snapshot_summary *out, alc_error *err)
{
    memset(out, 0, sizeof *out);
    rd r;
    alc_status st = open_rd(path, &r, err);
    if (st != ALC_OK)
        return st;
    hid_t f = r.file;
    attr_buf(&r, f, "session_id", out->session_id, sizeof out->session_id);
    attr_buf(&r, f, "status", out->status, sizeof out->status);
    attr_buf(&r, f, "created", out->created, sizeof out->created);
    attr_buf(&r, f, "deadline", out->deadline, sizeof out->deadline);
    attr_buf(&r, f, "finished", out->finished, sizeof out->finished);
    attr_buf(&r, f, "rerun_of", out->rerun_of, sizeof out->rerun_of);
    attr_buf(&r, f, "error_type", out->error_type, sizeof out->error_type);
    out->expected_batches = attr_i64(f, "expected_batches", 0);
    out->completed_batches = attr_i64(f, "completed_batches", 0);
    out->resume_count = attr_i64(f, "resume_count", 0);
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
    free_strs(j->file, (size_t)j->n);
    free_strs(j->path, (size_t)j->n);
    free_strs(j->sha256, (size_t)j->n);
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
    out->session_id = attr_str(&r, f, "session_id");
    out->correlation_id = attr_str(&r, f, "correlation_id");
    out->status = attr_str(&r, f, "status");
    out->job_path = attr_str(&r, f, "job_path");
    out->job_sha256 = attr_str(&r, f, "job_sha256");
    out->market_sha256 = attr_str(&r, f, "market_sha256");
    out->as_of = attr_str(&r, f, "as_of");
    out->scheduling = attr_str(&r, f, "scheduling");
    out->rerun_of = attr_str(&r, f, "rerun_of");
    out->created = attr_str(&r, f, "created");
    out->batch_size = attr_i64(f, "batch_size", 0);
    out->expected_batches = attr_i64(f, "expected_batches", 0);
    out->n_strategies = attr_i64(f, "n_strategies", 0);
    out->resume_count = attr_i64(f, "resume_count", 0);
    const char *bad = NULL;
    hid_t g = H5Lexists(f, "job", H5P_DEFAULT) > 0 ? H5Gopen2(f, "job", H5P_DEFAULT) : -1;
    if (g < 0) {
        bad = "no /job group";
    } else {
        out->dir = attr_str(&r, g, "dir");
        out->strategies_dir = attr_str(&r, g, "strategies_dir");
        hid_t ds = H5Lexists(g, "text", H5P_DEFAULT) > 0 ? H5Dopen2(g, "text", H5P_DEFAULT) : -1;
        char *v = NULL;
        if (ds < 0 || H5Dread(ds, r.str, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) < 0 || !v) {
            bad = "cannot read /job/text";
        } else {
            out->text = alc_strdup(v);
            out->text_len = strlen(v);
            H5free_memory(v);
        }
        if (ds >= 0)
            H5Dclose(ds);
        tbl t;
        if (!bad && tbl_open(g, "strategies", &t) == 0) {
            out->n = (int)t.n;
            if (col_str(&r, &t, "file", &out->file) || col_str(&r, &t, "path", &out->path))
                bad = "cannot read /job/strategies";
            if (has_column(&t, "sha256") && col_str(&r, &t, "sha256", &out->sha256))
                bad = "cannot read /job/strategies";
            tbl_close(&t);
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
static int read_group(const rd *r, hid_t g, const alc_batch *b, alc_partial *p)
{
    memset(p, 0, sizeof *p);
    p->batch_index = b->index;
    p->n_batches = b->n_batches;
    p->attempt = (int)attr_i64(g, "attempt", 1);
    p->rank = (int)attr_i64(g, "rank", 0);
    p->eval_ms = attr_f64(g, "eval_ms", 0.0);
    tbl st, wt, tt;
    st.ds = wt.ds = tt.ds = -1;
    st.n = wt.n = tt.n = 0;
    int rc = tbl_open(g, "signals", &st) || tbl_open(g, "weights", &wt) ? -1 : 0;
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
        rc = col_i64(&st, "index", idx) || col_i64(&st, "n_weights", nw) ||
                     col_f64(&st, "allocation", alloc) || col_f64(&st, "eval_ms", ems) ||
                     col_str(r, &st, "file", &file) || col_str(r, &st, "status", &status) ||
                     col_str(r, &st, "last_bar_date", &lbd) || col_i64(&wt, "index", widx) ||
                     col_f64(&wt, "weight", ww) || col_str(r, &wt, "ticker", &tick)
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
    if (rc == 0 && tbl_open(g, "timings", &tt) == 0 && tt.n == 1) {
        double s0 = 0, s1 = 0;
        if (col_f64(&tt, "start", &s0) == 0 && col_f64(&tt, "end", &s1) == 0) {
            p->start = s0;
            p->end = s1;
        }
    }
    alc_error e;
    if (rc == 0 && alc_partial_compute_portfolio(p, &e) != ALC_OK)
        rc = -1;
    tbl_close(&st);
    tbl_close(&wt);
    tbl_close(&tt);
    free(idx);
    free(nw);
    free(alloc);
    free(ems);
    free(widx);
    free(ww);
    free_strs(file, n);
    free_strs(status, n);
    free_strs(lbd, n);
    free_strs(tick, m);
    if (rc != 0)
        alc_partial_free(p);
    return rc;
}

static void read_history(const rd *r, alc_session *s)
{
    hid_t f = r->file;
    tbl t;
    t.ds = -1;
    size_t n = 0;
    long long *run = NULL, *nr = NULL, *ev = NULL, *ru = NULL;
    char **started = NULL, **deadline = NULL, **finished = NULL, **status = NULL, **sched = NULL,
         **et = NULL, **er = NULL;
    int ok = H5Lexists(f, "history", H5P_DEFAULT) > 0 && tbl_open(f, "history/runs", &t) == 0;
    if (ok) {
        n = t.n;
        run = calloc(n + 1, sizeof *run);
        nr = calloc(n + 1, sizeof *nr);
        ev = calloc(n + 1, sizeof *ev);
        ru = calloc(n + 1, sizeof *ru);
        ok = run && nr && ev && ru && !col_i64(&t, "run", run) && !col_i64(&t, "n_ranks", nr) &&
             !col_i64(&t, "batches_evaluated", ev) && !col_i64(&t, "batches_reused", ru) &&
             !col_str(r, &t, "started", &started) && !col_str(r, &t, "deadline", &deadline) &&
             !col_str(r, &t, "finished", &finished) && !col_str(r, &t, "status", &status) &&
             !col_str(r, &t, "scheduling", &sched) && !col_str(r, &t, "error_type", &et) &&
             !col_str(r, &t, "error", &er);
    }
    tbl_close(&t);
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
                h->n_ranks = (int)attr_i64(f, "n_ranks", 0);
                h->batches_evaluated = (int)attr_i64(f, "completed_batches", 0);
                attr_buf(r, f, "created", h->started, sizeof h->started);
                attr_buf(r, f, "deadline", h->deadline, sizeof h->deadline);
                attr_buf(r, f, "finished", h->finished, sizeof h->finished);
                attr_buf(r, f, "status", h->status, sizeof h->status);
                attr_buf(r, f, "scheduling", h->scheduling, sizeof h->scheduling);
                attr_buf(r, f, "error_type", h->error_type, sizeof h->error_type);
                attr_buf(r, f, "error", h->error, sizeof h->error);
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
    free_strs(started, n);
    free_strs(deadline, n);
    free_strs(finished, n);
    free_strs(status, n);
    free_strs(sched, n);
    free_strs(et, n);
    free_strs(er, n);
}

alc_status alc_snapshot_read_batches(const char *path, alc_session *s, alc_error *err)
{
    rd r;
    alc_status st = open_rd(path, &r, err);
    if (st != ALC_OK)
        return st;
    /* The batch split must be the snapshot's. */
    tbl t;
    const char *bad = NULL;
    if (tbl_open(r.file, "batches/config", &t) != 0) {
        bad = "no /batches/config table";
    } else {
        long long *first = calloc(t.n + 1, sizeof *first), *cnt = calloc(t.n + 1, sizeof *cnt);
        if (!first || !cnt || col_i64(&t, "first_strategy", first) ||
            col_i64(&t, "n_strategies", cnt))
            bad = "cannot read /batches/config";
        else if (t.n != (size_t)s->n_batches)
            bad = "/batches/config does not match the job's batches";
        for (int b = 0; !bad && b < s->n_batches; b++)
            if (first[b] != s->batches[b].batch.first || cnt[b] != s->batches[b].batch.count)
                bad = "/batches/config does not match the job's batches";
        free(first);
        free(cnt);
        tbl_close(&t);
    }
    hid_t bg = bad ? -1 : H5Gopen2(r.file, "batches", H5P_DEFAULT);
    for (int b = 0; !bad && b < s->n_batches; b++) {
        alc_batch_state *bs = &s->batches[b];
        if (H5Lexists(bg, bs->batch.id, H5P_DEFAULT) <= 0)
            continue; /* never accepted: queued */
        hid_t g = H5Gopen2(bg, bs->batch.id, H5P_DEFAULT);
        char status[16] = "";
        if (g >= 0)
            attr_buf(&r, g, "status", status, sizeof status);
        if (g >= 0 && !strcmp(status, "ok") && read_group(&r, g, &bs->batch, &bs->result) == 0) {
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
