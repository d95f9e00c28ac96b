/* Session snapshot reader (include/alchemiser/session_reader.h).  The HDF5
 * reading itself is alchemiser/h5util.h's (shared with the resume reader
 * src/session/snapshot_read.c); this file turns it into a view: every value
 * copied into the result's arena, every failure a message with the path. */
#include "alchemiser/session_reader.h"

#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alchemiser/date.h"
#include "alchemiser/h5util.h"

typedef struct reader {
    hid_t file;
    const char *path;
    alc_arena *a;
    alc_error *err;
} reader;

static alc_status nomem(reader *r)
{
    return alc_fail_at(r->err, ALC_ERR_NOMEM, r->path, 0, 0, "out of memory");
}

static const char *dup(reader *r, const char *s)
{
    if (!s)
        s = "";
    return alc_arena_strndup(r->a, s, strlen(s));
}

/* 1 when every component of "a/b/c" exists under the root. */
static int exists(reader *r, const char *path)
{
    return alc_h5_exists(r->file, path);
}

/* ---- attributes (absent or of another type: the default) ---- */

static const char *attr_str(reader *r, hid_t obj, const char *name)
{
    char *v = alc_h5_read_attr_str(obj, name);
    const char *out = v ? dup(r, v) : "";
    free(v);
    return out ? out : "";
}

/* ---- tables: 1-D compound datasets, read one column at a time ---- */

typedef struct table {
    alc_h5_table h;
    const char *name;
} table;

static alc_status table_open(reader *r, const char *name, table *t)
{
    t->name = name;
    int rc = alc_h5_table_open(r->file, name, &t->h);
    if (rc == ALC_H5_ABSENT)
        return alc_fail_at(r->err, ALC_ERR_DATA, r->path, 0, 0, "cannot open the table /%s", name);
    if (rc != ALC_H5_OK)
        return alc_fail_at(r->err, ALC_ERR_DATA, r->path, 0, 0, "/%s is not a table", name);
    return ALC_OK;
}

static void table_close(table *t)
{
    alc_h5_table_close(&t->h);
}

enum { COL_STR, COL_F64, COL_I64 };

/* Reads column `field` of every row into `out` (const char *[n] copied into
 * the arena, double[n] or long long[n]). */
static alc_status column(reader *r, table *t, const char *field, int kind, void *out)
{
    char **strs = NULL;
    int rc = kind == COL_STR   ? alc_h5_col_str(&t->h, field, &strs)
             : kind == COL_F64 ? alc_h5_col_f64(&t->h, field, out)
                               : alc_h5_col_i64(&t->h, field, out);
    if (rc == ALC_H5_ABSENT)
        return alc_fail_at(r->err, ALC_ERR_DATA, r->path, 0, 0, "table /%s has no %s column '%s'",
                           t->name, kind == COL_STR ? "string" : "numeric", field);
    if (rc == ALC_H5_ENOMEM)
        return nomem(r);
    if (rc != ALC_H5_OK)
        return alc_fail_at(r->err, ALC_ERR_HDF5, r->path, 0, 0, "cannot read column '%s' of /%s",
                           field, t->name);
    alc_status st = ALC_OK;
    const char **o = out;
    for (size_t i = 0; strs && i < t->h.n; i++)
        if (!(o[i] = dup(r, strs[i])))
            st = nomem(r);
    alc_h5_free_strs(strs, t->h.n);
    return st;
}

/* Arrays sized for a table, in the arena. */
static void *rows(reader *r, size_t n, size_t size)
{
    return alc_arena_calloc(r->a, n ? n : 1, size);
}

typedef struct col {
    const char *field;
    int kind;
} col;

/* Reads the columns `cols` of every row of the table `name` into arrays in
 * the arena: out[i] is a const char **, double * or long long * by
 * cols[i].kind, each of *n elements (at least one allocated). */
static alc_status read_table(reader *r, const char *name, const col *cols, size_t ncols,
                             void **out, size_t *n)
{
    table t;
    alc_status st = table_open(r, name, &t);
    if (st != ALC_OK)
        return st;
    *n = t.h.n;
    for (size_t i = 0; i < ncols; i++) {
        size_t esz = cols[i].kind == COL_STR   ? sizeof(char *)
                     : cols[i].kind == COL_F64 ? sizeof(double)
                                               : sizeof(long long);
        if (!(out[i] = rows(r, t.h.n, esz)))
            st = nomem(r);
    }
    for (size_t i = 0; st == ALC_OK && i < ncols; i++)
        st = column(r, &t, cols[i].field, cols[i].kind, out[i]);
    table_close(&t);
    return st;
}

#define NCOLS(c) (sizeof(c) / sizeof(c)[0])

/* ---- parts of the snapshot ---- */

static alc_status read_batch_group(reader *r, alc_sr_batch *b)
{
    char name[300];
    snprintf(name, sizeof name, "batches/%s", b->batch_id);
    if (!exists(r, name))
        return ALC_OK;
    hid_t g = H5Gopen2(r->file, name, H5P_DEFAULT);
    if (g < 0)
        return alc_fail_at(r->err, ALC_ERR_DATA, r->path, 0, 0, "cannot open /%s", name);
    b->recorded = 1;
    b->status = attr_str(r, g, "status");
    b->error = attr_str(r, g, "error");
    b->rank = (int)alc_h5_read_attr_i64(g, "rank", -1);
    b->attempts = (int)alc_h5_read_attr_i64(g, "attempt", 0);
    b->eval_ms = alc_h5_read_attr_f64(g, "eval_ms", 0.0);
    H5Gclose(g);

    alc_status st;
    size_t n;
    void *c[2];
    char tn[320];
    snprintf(tn, sizeof tn, "%s/timings", name);
    if (exists(r, tn)) {
        static const col timings[] = {{"start", COL_F64}, {"end", COL_F64}};
        if ((st = read_table(r, tn, timings, NCOLS(timings), c, &n)) != ALC_OK)
            return st;
        const double *start = c[0], *end = c[1];
        if (n > 0) {
            b->start = start[0];
            b->end = end[0];
        }
    }
    snprintf(tn, sizeof tn, "%s/signals", name);
    if (exists(r, tn)) {
        static const col signals[] = {{"status", COL_STR}, {"error", COL_STR}};
        if ((st = read_table(r, tn, signals, NCOLS(signals), c, &n)) != ALC_OK)
            return st;
        const char **status = c[0], **error = c[1];
        for (size_t i = 0; i < n; i++)
            if (strcmp(status[i], "ok") != 0) {
                if (!b->n_failed++ && !b->error[0])
                    b->error = error[i];
            }
    }
    return ALC_OK;
}

static alc_status read_batches(reader *r, alc_session_file *f)
{
    static const col config[] = {{"batch_id", COL_STR},       {"index", COL_I64},
                                 {"first_strategy", COL_I64}, {"n_strategies", COL_I64},
                                 {"weight", COL_F64},         {"files", COL_STR}};
    void *c[6];
    size_t n;
    alc_status st = read_table(r, "batches/config", config, NCOLS(config), c, &n);
    if (st != ALC_OK)
        return st;
    const char **id = c[0], **files = c[5];
    const long long *index = c[1], *first = c[2], *count = c[3];
    const double *weight = c[4];
    f->n_batches = (int)n;
    if (!(f->batches = rows(r, n, sizeof *f->batches)))
        return nomem(r);
    for (size_t i = 0; i < n; i++) {
        alc_sr_batch *b = &f->batches[i];
        *b = (alc_sr_batch){.batch_id = id[i], .index = (int)index[i],
                            .first_strategy = (int)first[i], .n_strategies = (int)count[i],
                            .weight = weight[i], .files = files[i], .status = "missing",
                            .error = "", .rank = -1, .attempts = -1,
                            .result_bytes = -1};
        if ((st = read_batch_group(r, b)) != ALC_OK)
            return st;
    }
    if (!exists(r, "metrics/batches"))
        return ALC_OK;
    static const col metrics[] = {{"batch_id", COL_STR}, {"status", COL_STR},
                                  {"attempts", COL_I64}, {"result_bytes", COL_I64}};
    if ((st = read_table(r, "metrics/batches", metrics, NCOLS(metrics), c, &n)) != ALC_OK)
        return st;
    const char **mid = c[0], **mstatus = c[1];
    const long long *attempts = c[2], *bytes = c[3];
    for (size_t k = 0; k < n; k++)
        for (int i = 0; i < f->n_batches; i++) {
            alc_sr_batch *b = &f->batches[i];
            if (strcmp(b->batch_id, mid[k]) != 0)
                continue;
            b->attempts = (int)attempts[k];
            b->result_bytes = bytes[k];
            if (!b->recorded) /* queued or running when the session ended */
                b->status = mstatus[k];
        }
    return ALC_OK;
}

static alc_status read_strategies_table(reader *r, alc_session_file *f)
{
    static const col cols[] = {{"index", COL_I64},         {"file", COL_STR},
                               {"allocation", COL_F64},    {"batch_id", COL_STR},
                               {"status", COL_STR},        {"error", COL_STR},
                               {"eval_ms", COL_F64},       {"last_bar_date", COL_STR},
                               {"rank", COL_I64},          {"n_weights", COL_I64}};
    void *c[10];
    size_t n;
    alc_status st = read_table(r, "strategies", cols, NCOLS(cols), c, &n);
    if (st != ALC_OK)
        return st;
    const long long *index = c[0], *rank = c[8], *nw = c[9];
    const char **file = c[1], **batch = c[3], **status = c[4], **error = c[5], **last = c[7];
    const double *alloc = c[2], *ms = c[6];
    f->n_strategies_read = (int)n;
    if (!(f->strategies = rows(r, n, sizeof *f->strategies)))
        return nomem(r);
    for (size_t i = 0; i < n; i++)
        f->strategies[i] = (alc_sr_strategy){(int)index[i], file[i], alloc[i], batch[i], status[i],
                                             error[i], ms[i], last[i], (int)rank[i], (int)nw[i]};
    return ALC_OK;
}

/* A snapshot without /strategies (a .partial): the job's list, completed
 * with the signals of the recorded batches. */
static alc_status rebuild_strategies(reader *r, alc_session_file *f)
{
    static const col job[] = {{"index", COL_I64}, {"file", COL_STR},
                              {"allocation", COL_F64}, {"batch_id", COL_STR}};
    void *c[6];
    size_t n;
    alc_status st = read_table(r, "job/strategies", job, NCOLS(job), c, &n);
    if (st != ALC_OK)
        return st;
    const long long *index = c[0];
    const char **file = c[1], **batch = c[3];
    const double *alloc = c[2];
    f->n_strategies_read = (int)n;
    if (!(f->strategies = rows(r, n, sizeof *f->strategies)))
        return nomem(r);
    for (size_t i = 0; i < n; i++)
        f->strategies[i] = (alc_sr_strategy){(int)index[i], file[i], alloc[i], batch[i], "missing",
                                             "", 0.0, "", -1, 0};
    static const col signals[] = {{"index", COL_I64},   {"status", COL_STR},
                                  {"error", COL_STR},   {"eval_ms", COL_F64},
                                  {"last_bar_date", COL_STR}, {"n_weights", COL_I64}};
    for (int b = 0; b < f->n_batches; b++) {
        const alc_sr_batch *bt = &f->batches[b];
        if (!bt->recorded)
            continue;
        char name[320];
        snprintf(name, sizeof name, "batches/%s/signals", bt->batch_id);
        if (!exists(r, name))
            continue;
        size_t m;
        if ((st = read_table(r, name, signals, NCOLS(signals), c, &m)) != ALC_OK)
            return st;
        const long long *si = c[0], *snw = c[5];
        const char **sst = c[1], **ser = c[2], **slast = c[4];
        const double *sms = c[3];
        for (size_t k = 0; k < m; k++) {
            if (si[k] < 0 || (size_t)si[k] >= n)
                continue;
            alc_sr_strategy *s = &f->strategies[si[k]];
            s->status = sst[k];
            s->error = ser[k];
            s->eval_ms = sms[k];
            s->last_bar_date = slast[k];
            s->n_weights = (int)snw[k];
            s->rank = bt->rank;
        }
    }
    return ALC_OK;
}

static alc_status read_portfolio(reader *r, alc_session_file *f)
{
    static const col cols[] = {{"ticker", COL_STR}, {"weight", COL_F64}};
    void *c[2];
    size_t n;
    alc_status st = read_table(r, "portfolio", cols, NCOLS(cols), c, &n);
    if (st != ALC_OK)
        return st;
    const char **tick = c[0];
    const double *w = c[1];
    f->has_portfolio = 1;
    f->n_portfolio = (int)n;
    if (!(f->portfolio = rows(r, n, sizeof *f->portfolio)))
        return nomem(r);
    for (size_t i = 0; i < n; i++)
        f->portfolio[i] = (alc_sr_weight){tick[i], w[i]};
    return ALC_OK;
}

static alc_status read_metrics(reader *r, alc_session_file *f)
{
    alc_status st;
    void *c[5];
    size_t n;
    if (exists(r, "metrics/counters")) {
        static const col cols[] = {{"name", COL_STR}, {"value", COL_F64}, {"unit", COL_STR}};
        if ((st = read_table(r, "metrics/counters", cols, NCOLS(cols), c, &n)) != ALC_OK)
            return st;
        const char **name = c[0], **unit = c[2];
        const double *v = c[1];
        f->n_counters = (int)n;
        if (!(f->counters = rows(r, n, sizeof *f->counters)))
            return nomem(r);
        for (size_t i = 0; i < n; i++)
            f->counters[i] = (alc_sr_counter){name[i], v[i], unit[i]};
    }
    if (exists(r, "metrics/ranks")) {
        static const col cols[] = {{"rank", COL_I64},       {"batches", COL_I64},
                                   {"strategies", COL_I64}, {"eval_ms", COL_F64},
                                   {"bytes_sent", COL_I64}};
        if ((st = read_table(r, "metrics/ranks", cols, NCOLS(cols), c, &n)) != ALC_OK)
            return st;
        const long long *rank = c[0], *nb = c[1], *ns = c[2], *bytes = c[4];
        const double *ms = c[3];
        f->n_ranks_read = (int)n;
        if (!(f->ranks = rows(r, n, sizeof *f->ranks)))
            return nomem(r);
        for (size_t i = 0; i < n; i++)
            f->ranks[i] = (alc_sr_rank){(int)rank[i], (int)nb[i], (int)ns[i], ms[i], bytes[i]};
    }
    return ALC_OK;
}

/* ---- entry points ---- */

double alc_sr_counter_value(const alc_session_file *f, const char *name, double dflt)
{
    for (int i = 0; i < f->n_counters; i++)
        if (!strcmp(f->counters[i].name, name))
            return f->counters[i].value;
    return dflt;
}

static alc_status read_all(reader *r, alc_session_file *f)
{
    hid_t root = r->file;
    alc_status st;
    const char *format = attr_str(r, root, "format");
    if (!strcmp(format, "alchemiser-backtest"))
        return alc_fail_at(r->err, ALC_ERR_DATA, r->path, 0, 0,
                           "a backtest result file, not a session snapshot "
                           "(src/analysis/alchemiser_analysis.py backtest reads it)");
    if (format[0])
        return alc_fail_at(r->err, ALC_ERR_DATA, r->path, 0, 0,
                           "not a session snapshot (format '%s')", format);
    if (H5Aexists(root, "schema_version") <= 0)
        return alc_fail_at(r->err, ALC_ERR_DATA, r->path, 0, 0,
                           "not an alchemiser session snapshot (no schema_version attribute)");
    f->schema_version = alc_h5_read_attr_i64(root, "schema_version", -1);
    if (f->schema_version != ALC_READER_SCHEMA_VERSION)
        return alc_fail_at(r->err, ALC_ERR_DATA, r->path, 0, 0,
                           "session snapshot schema_version %lld, this build reads %d",
                           f->schema_version, ALC_READER_SCHEMA_VERSION);
    f->session_id = attr_str(r, root, "session_id");
    if (!f->session_id[0] || !exists(r, "batches/config"))
        return alc_fail_at(r->err, ALC_ERR_DATA, r->path, 0, 0,
                           "not an alchemiser session snapshot (no session_id or /batches/config)");
    f->correlation_id = attr_str(r, root, "correlation_id");
    f->job_path = attr_str(r, root, "job_path");
    f->job_sha256 = attr_str(r, root, "job_sha256");
    f->market = attr_str(r, root, "market");
    f->as_of = attr_str(r, root, "as_of");
    f->created = attr_str(r, root, "created");
    f->deadline = attr_str(r, root, "deadline");
    f->finished = attr_str(r, root, "finished");
    f->status = attr_str(r, root, "status");
    f->error_type = attr_str(r, root, "error_type");
    f->error = attr_str(r, root, "error");
    f->scheduling = attr_str(r, root, "scheduling");
    f->oldest_data_date = attr_str(r, root, "oldest_data_date");
    f->oldest_data_strategy = attr_str(r, root, "oldest_data_strategy");
    f->expected_batches = alc_h5_read_attr_i64(root, "expected_batches", 0);
    f->completed_batches = alc_h5_read_attr_i64(root, "completed_batches", 0);
    f->n_strategies = alc_h5_read_attr_i64(root, "n_strategies", 0);
    f->n_ranks = alc_h5_read_attr_i64(root, "n_ranks", 0);
    f->batch_size = alc_h5_read_attr_i64(root, "batch_size", 0);
    f->max_parallel_batches = alc_h5_read_attr_i64(root, "max_parallel_batches", 0);
    f->max_retries = alc_h5_read_attr_i64(root, "max_retries", 0);
    f->timeout_seconds = alc_h5_read_attr_f64(root, "timeout_seconds", 0.0);
    f->total_weight = alc_h5_read_attr_f64(root, "total_weight", 0.0);

    if ((st = read_batches(r, f)) != ALC_OK)
        return st;
    if (exists(r, "strategies"))
        st = read_strategies_table(r, f);
    else
        st = rebuild_strategies(r, f);
    if (st == ALC_OK && exists(r, "portfolio"))
        st = read_portfolio(r, f);
    if (st == ALC_OK)
        st = read_metrics(r, f);
    if (st != ALC_OK)
        return st;
    f->complete = f->has_portfolio && exists(r, "strategies") && exists(r, "metrics");
    double c = alc_parse_timestamp(f->created), e = alc_parse_timestamp(f->finished);
    f->duration_seconds = c >= 0 && e >= 0 ? e - c : alc_sr_counter_value(f, "session_seconds", -1);
    return ALC_OK;
}

alc_status alc_session_read(const char *path, alc_session_file **out, alc_error *err)
{
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return alc_fail_at(err, ALC_ERR_IO, path, 0, 0, "cannot open: %s", strerror(errno));
    if (S_ISDIR(sb.st_mode))
        return alc_fail_at(err, ALC_ERR_IO, path, 0, 0, "is a folder, not a session snapshot");
    /* Read-only and without HDF5's file lock, so that the .partial snapshot
     * of a session still running (rank 0 holds it open for writing, flushed
     * after every change) can be read too. */
    int not_hdf5;
    hid_t file = alc_h5_open_read(path, 1, &not_hdf5);
    if (file < 0)
        return not_hdf5 ? alc_fail_at(err, ALC_ERR_DATA, path, 0, 0, "not an HDF5 file")
                        : alc_fail_at(err, ALC_ERR_HDF5, path, 0, 0, "HDF5 cannot open it");
    alc_session_file *f = calloc(1, sizeof *f);
    if (!f) {
        H5Fclose(file);
        return alc_fail_at(err, ALC_ERR_NOMEM, path, 0, 0, "out of memory");
    }
    alc_arena_init(&f->arena, 64 * 1024);
    reader r = {file, path, &f->arena, err};
    size_t len = strlen(path);
    f->partial = len > 8 && !strcmp(path + len - 8, ".partial");
    f->path = dup(&r, path);
    alc_status st = f->path ? read_all(&r, f) : nomem(&r);
    if (H5Fclose(file) < 0 && st == ALC_OK)
        st = alc_fail_at(err, ALC_ERR_HDF5, path, 0, 0, "HDF5 cannot close it");
    if (st != ALC_OK) {
        alc_session_file_free(f);
        return st;
    }
    *out = f;
    return ALC_OK;
}

void alc_session_file_free(alc_session_file *f)
{
    if (!f)
        return;
    alc_arena_free(&f->arena);
    free(f);
}
