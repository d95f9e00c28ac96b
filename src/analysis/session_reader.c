/* Session snapshot reader (include/alchemiser/session_reader.h). */
#include "alchemiser/session_reader.h"

#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "alchemiser/date.h"
#include "alchemiser/h5util.h"

typedef struct reader {
    hid_t file;
    hid_t str; /* variable-length string memory type */
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
    char buf[512];
    size_t n = strlen(path);
    if (n >= sizeof buf)
        return 0;
    for (size_t i = 0; i <= n; i++) {
        if (path[i] == '/' || path[i] == '\0') {
            memcpy(buf, path, i);
            buf[i] = '\0';
            if (i > 0 && H5Lexists(r->file, buf, H5P_DEFAULT) <= 0)
                return 0;
        }
    }
    return 1;
}

/* ---- attributes (absent or of another type: the default) ---- */

static const char *attr_str(reader *r, hid_t obj, const char *name)
{
    if (H5Aexists(obj, name) <= 0)
        return "";
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0)
        return "";
    hid_t t = H5Aget_type(a);
    const char *out = "";
    if (t >= 0 && H5Tget_class(t) == H5T_STRING) {
        if (H5Tis_variable_str(t) > 0) {
            char *v = NULL;
            if (H5Aread(a, r->str, &v) >= 0 && v) {
                out = dup(r, v);
                H5free_memory(v);
            }
        } else {
            size_t sz = H5Tget_size(t);
            char *buf = calloc(sz + 1, 1);
            if (buf && H5Aread(a, t, buf) >= 0)
                out = alc_arena_strndup(r->a, buf, strnlen(buf, sz));
            free(buf);
        }
    }
    if (t >= 0)
        H5Tclose(t);
    H5Aclose(a);
    return out ? out : "";
}

static int attr_num(hid_t obj, const char *name, hid_t mem, void *out)
{
    if (H5Aexists(obj, name) <= 0)
        return 0;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0)
        return 0;
    hid_t t = H5Aget_type(a);
    H5T_class_t c = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    int ok = (c == H5T_INTEGER || c == H5T_FLOAT) && H5Aread(a, mem, out) >= 0;
    if (t >= 0)
        H5Tclose(t);
    H5Aclose(a);
    return ok;
}

static long long attr_i64(hid_t obj, const char *name, long long dflt)
{
    long long v;
    return attr_num(obj, name, H5T_NATIVE_LLONG, &v) ? v : dflt;
}

static double attr_f64(hid_t obj, const char *name, double dflt)
{
    double v;
    return attr_num(obj, name, H5T_NATIVE_DOUBLE, &v) ? v : dflt;
}

/* ---- tables: 1-D compound datasets, read one column at a time ---- */

typedef struct table {
    hid_t ds;
    size_t n;
    const char *name;
} table;

static alc_status table_open(reader *r, const char *name, table *t)
{
    t->name = name;
    t->n = 0;
    t->ds = H5Dopen2(r->file, name, H5P_DEFAULT);
    if (t->ds < 0)
        return alc_fail_at(r->err, ALC_ERR_DATA, r->path, 0, 0, "cannot open the table /%s", name);
    hid_t sp = H5Dget_space(t->ds);
    hssize_t n = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    if (sp >= 0)
        H5Sclose(sp);
    hid_t ft = H5Dget_type(t->ds);
    int compound = ft >= 0 && H5Tget_class(ft) == H5T_COMPOUND;
    if (ft >= 0)
        H5Tclose(ft);
    if (n < 0 || !compound) {
        H5Dclose(t->ds);
        t->ds = -1;
        return alc_fail_at(r->err, ALC_ERR_DATA, r->path, 0, 0, "/%s is not a table", name);
    }
    t->n = (size_t)n;
    return ALC_OK;
}

static void table_close(table *t)
{
    if (t->ds >= 0)
        H5Dclose(t->ds);
    t->ds = -1;
}

enum { COL_STR, COL_F64, COL_I64 };

/* Reads column `field` of every row into `out` (const char *[n] copied into
 * the arena, double[n] or long long[n]). */
static alc_status column(reader *r, table *t, const char *field, int kind, void *out)
{
    hid_t ft = H5Dget_type(t->ds);
    int idx = ft >= 0 ? H5Tget_member_index(ft, field) : -1;
    H5T_class_t cls = H5T_NO_CLASS;
    if (idx >= 0) {
        hid_t mt = H5Tget_member_type(ft, (unsigned)idx);
        cls = mt >= 0 ? H5Tget_member_class(ft, (unsigned)idx) : H5T_NO_CLASS;
        if (mt >= 0)
            H5Tclose(mt);
    }
    if (ft >= 0)
        H5Tclose(ft);
    int want_str = kind == COL_STR;
    if (idx < 0 || (want_str ? cls != H5T_STRING : (cls != H5T_INTEGER && cls != H5T_FLOAT)))
        return alc_fail_at(r->err, ALC_ERR_DATA, r->path, 0, 0, "table /%s has no %s column '%s'",
                           t->name, want_str ? "string" : "numeric", field);
    if (t->n == 0)
        return ALC_OK;
    hid_t base = kind == COL_STR ? r->str : kind == COL_F64 ? H5T_NATIVE_DOUBLE : H5T_NATIVE_LLONG;
    size_t esz = kind == COL_STR ? sizeof(char *) : kind == COL_F64 ? sizeof(double) : sizeof(long long);
    hid_t mem = H5Tcreate(H5T_COMPOUND, esz);
    if (mem < 0 || H5Tinsert(mem, field, 0, base) < 0) {
        if (mem >= 0)
            H5Tclose(mem);
        return alc_fail_at(r->err, ALC_ERR_HDF5, r->path, 0, 0, "HDF5 failure: column type");
    }
    void *buf = kind == COL_STR ? calloc(t->n, esz) : out;
    alc_status st = ALC_OK;
    if (!buf) {
        st = nomem(r);
    } else if (H5Dread(t->ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        st = alc_fail_at(r->err, ALC_ERR_HDF5, r->path, 0, 0, "cannot read column '%s' of /%s",
                         field, t->name);
    } else if (kind == COL_STR) {
        char **v = buf;
        const char **o = out;
        for (size_t i = 0; i < t->n; i++)
            if (!(o[i] = dup(r, v[i])))
                st = nomem(r);
        hid_t sp = H5Dget_space(t->ds);
        H5Dvlen_reclaim(mem, sp, H5P_DEFAULT, buf);
        H5Sclose(sp);
    }
    if (kind == COL_STR)
        free(buf);
    H5Tclose(mem);
    return st;
}

/* Arrays sized for a table, in the arena. */
static void *rows(reader *r, size_t n, size_t size)
{
    return alc_arena_calloc(r->a, n ? n : 1, size);
}

#define TRY(x)                 \
    do {                       \
        if ((st = (x)) != ALC_OK) \
            goto done;         \
    } while (0)

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
    b->rank = (int)attr_i64(g, "rank", -1);
    b->attempts = (int)attr_i64(g, "attempt", 0);
    b->eval_ms = attr_f64(g, "eval_ms", 0.0);
    H5Gclose(g);

    alc_status st = ALC_OK;
    table t = {.ds = -1};
    char tn[320];
    snprintf(tn, sizeof tn, "%s/timings", name);
    if (exists(r, tn)) {
        double *start, *end;
        TRY(table_open(r, tn, &t));
        start = rows(r, t.n, sizeof *start);
        end = rows(r, t.n, sizeof *end);
        if (!start || !end) {
            st = nomem(r);
            goto done;
        }
        TRY(column(r, &t, "start", COL_F64, start));
        TRY(column(r, &t, "end", COL_F64, end));
        if (t.n > 0) {
            b->start = start[0];
            b->end = end[0];
        }
        table_close(&t);
    }
    snprintf(tn, sizeof tn, "%s/signals", name);
    if (exists(r, tn)) {
        const char **status, **error;
        TRY(table_open(r, tn, &t));
        status = rows(r, t.n, sizeof *status);
        error = rows(r, t.n, sizeof *error);
        if (!status || !error) {
            st = nomem(r);
            goto done;
        }
        TRY(column(r, &t, "status", COL_STR, status));
        TRY(column(r, &t, "error", COL_STR, error));
        for (size_t i = 0; i < t.n; i++)
            if (strcmp(status[i], "ok") != 0) {
                if (!b->n_failed++ && !b->error[0])
                    b->error = error[i];
            }
    }
done:
    table_close(&t);
    return st;
}

static alc_status read_batches(reader *r, alc_session_file *f)
{
    alc_status st;
    table t = {.ds = -1};
    TRY(table_open(r, "batches/config", &t));
    f->n_batches = (int)t.n;
    f->batches = rows(r, t.n, sizeof *f->batches);
    const char **id = rows(r, t.n, sizeof *id), **files = rows(r, t.n, sizeof *files);
    long long *index = rows(r, t.n, sizeof *index), *first = rows(r, t.n, sizeof *first),
              *count = rows(r, t.n, sizeof *count);
    double *weight = rows(r, t.n, sizeof *weight);
    if (!f->batches || !id || !files || !index || !first || !count || !weight) {
        st = nomem(r);
        goto done;
    }
    TRY(column(r, &t, "batch_id", COL_STR, id));
    TRY(column(r, &t, "index", COL_I64, index));
    TRY(column(r, &t, "first_strategy", COL_I64, first));
    TRY(column(r, &t, "n_strategies", COL_I64, count));
    TRY(column(r, &t, "weight", COL_F64, weight));
    TRY(column(r, &t, "files", COL_STR, files));
    table_close(&t);
    for (size_t i = 0; i < (size_t)f->n_batches; i++) {
        alc_sr_batch *b = &f->batches[i];
        *b = (alc_sr_batch){.batch_id = id[i], .index = (int)index[i],
                            .first_strategy = (int)first[i], .n_strategies = (int)count[i],
                            .weight = weight[i], .files = files[i], .status = "missing",
                            .error = "", .rank = -1, .attempts = -1,
                            .result_bytes = -1};
        TRY(read_batch_group(r, b));
    }
    if (exists(r, "metrics/batches")) {
        TRY(table_open(r, "metrics/batches", &t));
        const char **mid = rows(r, t.n, sizeof *mid), **mstatus = rows(r, t.n, sizeof *mstatus);
        long long *attempts = rows(r, t.n, sizeof *attempts), *bytes = rows(r, t.n, sizeof *bytes);
        if (!mid || !mstatus || !attempts || !bytes) {
            st = nomem(r);
            goto done;
        }
        TRY(column(r, &t, "batch_id", COL_STR, mid));
        TRY(column(r, &t, "status", COL_STR, mstatus));
        TRY(column(r, &t, "attempts", COL_I64, attempts));
        TRY(column(r, &t, "result_bytes", COL_I64, bytes));
        for (size_t k = 0; k < t.n; k++)
            for (int i = 0; i < f->n_batches; i++) {
                alc_sr_batch *b = &f->batches[i];
                if (strcmp(b->batch_id, mid[k]) != 0)
                    continue;
                b->attempts = (int)attempts[k];
                b->result_bytes = bytes[k];
                if (!b->recorded) /* queued or running when the session ended */
                    b->status = mstatus[k];
            }
    }
done:
    table_close(&t);
    return st;
}

static alc_status read_strategies_table(reader *r, alc_session_file *f)
{
    alc_status st;
    table t = {.ds = -1};
    TRY(table_open(r, "strategies", &t));
    size_t n = t.n;
    f->n_strategies_read = (int)n;
    f->strategies = rows(r, n, sizeof *f->strategies);
    const char **file = rows(r, n, sizeof(char *)), **batch = rows(r, n, sizeof(char *)),
               **status = rows(r, n, sizeof(char *)), **error = rows(r, n, sizeof(char *)),
               **last = rows(r, n, sizeof(char *));
    long long *index = rows(r, n, sizeof *index), *rank = rows(r, n, sizeof *rank),
              *nw = rows(r, n, sizeof *nw);
    double *alloc = rows(r, n, sizeof *alloc), *ms = rows(r, n, sizeof *ms);
    if (!f->strategies || !file || !batch || !status || !error || !last || !index || !rank ||
        !nw || !alloc || !ms) {
        st = nomem(r);
        goto done;
    }
    TRY(column(r, &t, "index", COL_I64, index));
    TRY(column(r, &t, "file", COL_STR, file));
    TRY(column(r, &t, "allocation", COL_F64, alloc));
    TRY(column(r, &t, "batch_id", COL_STR, batch));
    TRY(column(r, &t, "status", COL_STR, status));
    TRY(column(r, &t, "error", COL_STR, error));
    TRY(column(r, &t, "eval_ms", COL_F64, ms));
    TRY(column(r, &t, "last_bar_date", COL_STR, last));
    TRY(column(r, &t, "rank", COL_I64, rank));
    TRY(column(r, &t, "n_weights", COL_I64, nw));
    for (size_t i = 0; i < n; i++)
        f->strategies[i] = (alc_sr_strategy){(int)index[i], file[i], alloc[i], batch[i], status[i],
                                             error[i], ms[i], last[i], (int)rank[i], (int)nw[i]};
done:
    table_close(&t);
    return st;
}

/* A snapshot without /strategies (a .partial): the job's list, completed
 * with the signals of the recorded batches. */
static alc_status rebuild_strategies(reader *r, alc_session_file *f)
{
    alc_status st;
    table t = {.ds = -1};
    TRY(table_open(r, "job/strategies", &t));
    size_t n = t.n;
    f->n_strategies_read = (int)n;
    f->strategies = rows(r, n, sizeof *f->strategies);
    const char **file = rows(r, n, sizeof(char *)), **batch = rows(r, n, sizeof(char *));
    long long *index = rows(r, n, sizeof *index);
    double *alloc = rows(r, n, sizeof *alloc);
    if (!f->strategies || !file || !batch || !index || !alloc) {
        st = nomem(r);
        goto done;
    }
    TRY(column(r, &t, "index", COL_I64, index));
    TRY(column(r, &t, "file", COL_STR, file));
    TRY(column(r, &t, "allocation", COL_F64, alloc));
    TRY(column(r, &t, "batch_id", COL_STR, batch));
    table_close(&t);
    for (size_t i = 0; i < n; i++)
        f->strategies[i] = (alc_sr_strategy){(int)index[i], file[i], alloc[i], batch[i], "missing",
                                             "", 0.0, "", -1, 0};
    for (int b = 0; b < f->n_batches; b++) {
        const alc_sr_batch *bt = &f->batches[b];
        if (!bt->recorded)
            continue;
        char name[320];
        snprintf(name, sizeof name, "batches/%s/signals", bt->batch_id);
        if (!exists(r, name))
            continue;
        TRY(table_open(r, name, &t));
        size_t m = t.n;
        long long *si = rows(r, m, sizeof *si), *snw = rows(r, m, sizeof *snw);
        const char **sst = rows(r, m, sizeof(char *)), **ser = rows(r, m, sizeof(char *)),
                   **slast = rows(r, m, sizeof(char *));
        double *sms = rows(r, m, sizeof *sms);
        if (!si || !snw || !sst || !ser || !slast || !sms) {
            st = nomem(r);
            goto done;
        }
        TRY(column(r, &t, "index", COL_I64, si));
        TRY(column(r, &t, "status", COL_STR, sst));
        TRY(column(r, &t, "error", COL_STR, ser));
        TRY(column(r, &t, "eval_ms", COL_F64, sms));
        TRY(column(r, &t, "last_bar_date", COL_STR, slast));
        TRY(column(r, &t, "n_weights", COL_I64, snw));
        table_close(&t);
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
done:
    table_close(&t);
    return st;
}

static alc_status read_portfolio(reader *r, alc_session_file *f)
{
    alc_status st;
    table t = {.ds = -1};
    TRY(table_open(r, "portfolio", &t));
    f->has_portfolio = 1;
    f->n_portfolio = (int)t.n;
    f->portfolio = rows(r, t.n, sizeof *f->portfolio);
    const char **tick = rows(r, t.n, sizeof(char *));
    double *w = rows(r, t.n, sizeof *w);
    if (!f->portfolio || !tick || !w) {
        st = nomem(r);
        goto done;
    }
    TRY(column(r, &t, "ticker", COL_STR, tick));
    TRY(column(r, &t, "weight", COL_F64, w));
    for (size_t i = 0; i < t.n; i++)
        f->portfolio[i] = (alc_sr_weight){tick[i], w[i]};
done:
    table_close(&t);
    return st;
}

static alc_status read_metrics(reader *r, alc_session_file *f)
{
    alc_status st = ALC_OK;
    table t = {.ds = -1};
    if (exists(r, "metrics/counters")) {
        TRY(table_open(r, "metrics/counters", &t));
        f->n_counters = (int)t.n;
        f->counters = rows(r, t.n, sizeof *f->counters);
        const char **name = rows(r, t.n, sizeof(char *)), **unit = rows(r, t.n, sizeof(char *));
        double *v = rows(r, t.n, sizeof *v);
        if (!f->counters || !name || !unit || !v) {
            st = nomem(r);
            goto done;
        }
        TRY(column(r, &t, "name", COL_STR, name));
        TRY(column(r, &t, "value", COL_F64, v));
        TRY(column(r, &t, "unit", COL_STR, unit));
        for (size_t i = 0; i < t.n; i++)
            f->counters[i] = (alc_sr_counter){name[i], v[i], unit[i]};
        table_close(&t);
    }
    if (exists(r, "metrics/ranks")) {
        TRY(table_open(r, "metrics/ranks", &t));
        f->n_ranks_read = (int)t.n;
        f->ranks = rows(r, t.n, sizeof *f->ranks);
        long long *rank = rows(r, t.n, sizeof *rank), *nb = rows(r, t.n, sizeof *nb),
                  *ns = rows(r, t.n, sizeof *ns), *bytes = rows(r, t.n, sizeof *bytes);
        double *ms = rows(r, t.n, sizeof *ms);
        if (!f->ranks || !rank || !nb || !ns || !bytes || !ms) {
            st = nomem(r);
            goto done;
        }
        TRY(column(r, &t, "rank", COL_I64, rank));
        TRY(column(r, &t, "batches", COL_I64, nb));
        TRY(column(r, &t, "strategies", COL_I64, ns));
        TRY(column(r, &t, "eval_ms", COL_F64, ms));
        TRY(column(r, &t, "bytes_sent", COL_I64, bytes));
        for (size_t i = 0; i < t.n; i++)
            f->ranks[i] = (alc_sr_rank){(int)rank[i], (int)nb[i], (int)ns[i], ms[i], bytes[i]};
    }
done:
    table_close(&t);
    return st;
}

/* ---- entry points ---- */

double alc_sr_parse_timestamp(const char *iso)
{
    int y, mo, d, h, mi, s, n = 0;
    if (!iso || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &n) != 6 || n != 19)
        return -1;
    char date[11];
    memcpy(date, iso, 10);
    alc_day day;
    if (alc_parse_date(date, 10, &day) != 0 || h > 23 || mi > 59 || s > 60)
        return -1;
    double frac = 0.0;
    const char *p = iso + 19;
    if (*p == '.') {
        double scale = 0.1;
        for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
            frac += (*p - '0') * scale;
    }
    if (strcmp(p, "Z") != 0)
        return -1;
    return (double)day * 86400.0 + h * 3600.0 + mi * 60.0 + s + frac;
}

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
    f->schema_version = attr_i64(root, "schema_version", -1);
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
    f->expected_batches = attr_i64(root, "expected_batches", 0);
    f->completed_batches = attr_i64(root, "completed_batches", 0);
    f->n_strategies = attr_i64(root, "n_strategies", 0);
    f->n_ranks = attr_i64(root, "n_ranks", 0);
    f->batch_size = attr_i64(root, "batch_size", 0);
    f->max_parallel_batches = attr_i64(root, "max_parallel_batches", 0);
    f->max_retries = attr_i64(root, "max_retries", 0);
    f->timeout_seconds = attr_f64(root, "timeout_seconds", 0.0);
    f->total_weight = attr_f64(root, "total_weight", 0.0);

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
    double c = alc_sr_parse_timestamp(f->created), e = alc_sr_parse_timestamp(f->finished);
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
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* errors are reported here, not by HDF5 */
    if (H5Fis_hdf5(path) <= 0)
        return alc_fail_at(err, ALC_ERR_DATA, path, 0, 0, "not an HDF5 file");
    /* Read-only and without HDF5's file lock, so that the .partial snapshot
     * of a session still running (rank 0 holds it open for writing, flushed
     * after every change) can be read too. */
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
#if H5_VERSION_GE(1, 10, 7)
    if (fapl >= 0)
        H5Pset_file_locking(fapl, 0, 1);
#endif
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, fapl >= 0 ? fapl : H5P_DEFAULT);
    if (fapl >= 0)
        H5Pclose(fapl);
    if (file < 0)
        return alc_fail_at(err, ALC_ERR_HDF5, path, 0, 0, "HDF5 cannot open it");
    alc_session_file *f = calloc(1, sizeof *f);
    hid_t str = alc_h5_string_type();
    if (!f || str < 0) {
        free(f);
        if (str >= 0)
            H5Tclose(str);
        H5Fclose(file);
        return alc_fail_at(err, ALC_ERR_NOMEM, path, 0, 0, "out of memory");
    }
    alc_arena_init(&f->arena, 64 * 1024);
    reader r = {file, str, path, &f->arena, err};
    size_t len = strlen(path);
    f->partial = len > 8 && !strcmp(path + len - 8, ".partial");
    f->path = dup(&r, path);
    alc_status st = f->path ? read_all(&r, f) : nomem(&r);
    H5Tclose(str);
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
