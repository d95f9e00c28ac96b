/* HDF5 session snapshot (see include/alchemiser/snapshot.h, docs/session.md). */
#include "alchemiser/snapshot.h"

#include <errno.h>
#include <hdf5.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alchemiser/h5util.h"
#include "session/internal.h"

struct alc_snapshot {
    hid_t file;
    hid_t str;      /* variable-length UTF-8 string type */
    hid_t batches;  /* /batches group */
    hid_t job_strategies; /* /job/strategies table (its sha256 column fills in per batch) */
    hid_t batch_gcpl; /* creation properties of a /batches/<batch-id> group */
    int recorded;     /* batches in /batches: what completed_batches says while they run */
    int results;      /* 1: the result tables are written, -1: that failed, 0: not yet */
    char partial_path[ALC_PATH_MAX + 16];
    char final_path[ALC_PATH_MAX];
};

static alc_status h5fail(alc_error *err, const alc_snapshot *snap, const char *what)
{
    return alc_fail_at(err, ALC_ERR_HDF5, snap ? snap->partial_path : "", 0, 0,
                       "HDF5 failure: %s", what);
}

/* ---- attributes ---- */

static int attr_str(const alc_snapshot *snap, hid_t obj, const char *name, const char *v)
{
    const char *p = v ? v : "";
    return alc_h5_attr_write(obj, name, snap->str, &p);
}

static int attr_i64(hid_t obj, const char *name, long long v)
{
    int64_t x = (int64_t)v;
    return alc_h5_attr_write(obj, name, H5T_NATIVE_INT64, &x);
}

static int attr_f64(hid_t obj, const char *name, double v)
{
    return alc_h5_attr_write(obj, name, H5T_NATIVE_DOUBLE, &v);
}

static int attr_time(const alc_snapshot *snap, hid_t obj, const char *name, double wall)
{
    char ts[40] = "";
    if (wall > 0)
        alc_format_timestamp(wall, ts, sizeof ts);
    return attr_str(snap, obj, name, ts);
}

/* ---- tables (1-D compound datasets) ---- */

/* A transfer property list whose conversion buffer holds `bytes`: HDF5's
 * default (1 MiB, allocated and cleared at every H5Dwrite) costs more than
 * writing a small batch table.  H5P_DEFAULT when it cannot be made. */
static hid_t xfer_sized(size_t bytes)
{
    hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
    if (dxpl >= 0 && H5Pset_buffer(dxpl, bytes, NULL, NULL) < 0) {
        H5Pclose(dxpl);
        dxpl = -1;
    }
    return dxpl >= 0 ? dxpl : H5P_DEFAULT;
}

static void xfer_close(hid_t dxpl)
{
    if (dxpl != H5P_DEFAULT)
        H5Pclose(dxpl);
}

static int write_table(hid_t loc, const char *name, hid_t mem_type, size_t n, const void *rows)
{
    hsize_t dims[1] = {(hsize_t)n};
    hid_t ftype = H5Tcopy(mem_type);
    if (ftype < 0)
        return -1;
    if (H5Tpack(ftype) < 0) {
        H5Tclose(ftype);
        return -1;
    }
    hid_t sp = H5Screate_simple(1, dims, NULL);
    hid_t ds = sp >= 0 ? H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
    int rc = ds >= 0 ? 0 : -1;
    hid_t dxpl = xfer_sized(n * (H5Tget_size(mem_type) + H5Tget_size(ftype)) + 256);
    if (rc == 0 && n > 0 && H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, dxpl, rows) < 0)
        rc = -1;
    xfer_close(dxpl);
    if (ds >= 0)
        H5Dclose(ds);
    if (sp >= 0)
        H5Sclose(sp);
    H5Tclose(ftype);
    return rc;
}

#define FIELD(t, T, m, ht) H5Tinsert(t, #m, offsetof(T, m), ht)

typedef struct weight_row {
    const char *ticker;
    double weight;
} weight_row;

static hid_t weight_type(const alc_snapshot *snap)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(weight_row));
    FIELD(t, weight_row, ticker, snap->str);
    FIELD(t, weight_row, weight, H5T_NATIVE_DOUBLE);
    return t;
}

static int write_weights(const alc_snapshot *snap, hid_t loc, const char *name,
                         const alc_weight *w, int n)
{
    weight_row *rows = malloc(sizeof *rows * (size_t)(n > 0 ? n : 1));
    if (!rows)
        return -1;
    for (int i = 0; i < n; i++)
        rows[i] = (weight_row){w[i].ticker, w[i].weight};
    hid_t t = weight_type(snap);
    int rc = write_table(loc, name, t, (size_t)n, rows);
    H5Tclose(t);
    free(rows);
    return rc;
}

static void fmt_date(alc_day d, char *buf)
{
    if (d == 0)
        buf[0] = '\0';
    else
        alc_format_date(d, buf);
}

/* ---- create ---- */

typedef struct config_row {
    const char *batch_id;
    int32_t index;
    int32_t first_strategy;
    int32_t n_strategies;
    double weight;
    const char *files; /* newline-separated, as written in the job */
} config_row;

typedef struct job_row {
    int32_t index;
    const char *file;
    const char *path;
    double allocation;
    const char *batch_id;
    const char *sha256;
} job_row;

static int write_metadata(const alc_snapshot *snap, const alc_session *s)
{
    hid_t f = snap->file;
    const alc_job *job = s->job;
    char d[16];
    alc_format_date(s->as_of, d);
    int rc = 0;
    rc |= attr_i64(f, "schema_version", ALC_SESSION_SCHEMA_VERSION);
    rc |= attr_str(snap, f, "session_id", s->id);
    rc |= attr_str(snap, f, "correlation_id", s->correlation_id);
    rc |= attr_str(snap, f, "job_path", job->path);
    rc |= attr_str(snap, f, "job_sha256", job->sha256);
    rc |= attr_str(snap, f, "market", job->market);
    rc |= attr_str(snap, f, "as_of", d);
    rc |= attr_time(snap, f, "created", s->created_wall);
    rc |= attr_time(snap, f, "deadline", s->deadline_wall);
    rc |= attr_time(snap, f, "finished", 0);
    rc |= attr_str(snap, f, "status", alc_session_status_name(s->status));
    rc |= attr_i64(f, "expected_batches", s->n_batches);
    rc |= attr_i64(f, "completed_batches", s->completed);
    rc |= attr_i64(f, "n_strategies", job->n_strategies);
    rc |= attr_i64(f, "n_ranks", s->n_ranks);
    rc |= attr_str(snap, f, "scheduling", alc_scheduling_name(s->scheduling));
    rc |= attr_i64(f, "batch_size", s->batch_size);
    rc |= attr_i64(f, "max_parallel_batches", s->max_parallel);
    rc |= attr_f64(f, "timeout_seconds", job->timeout_seconds);
    rc |= attr_i64(f, "max_retries", job->max_retries);
    rc |= attr_str(snap, f, "error_type", s->error_type);
    rc |= attr_str(snap, f, "error", s->error);
    rc |= attr_str(snap, f, "market_sha256", s->market_sha256);
    rc |= attr_str(snap, f, "on_strategy_failure",
                   alc_failure_policy_name(job->on_strategy_failure));
    rc |= attr_i64(f, "resume_count", s->resume_count);
    rc |= attr_str(snap, f, "rerun_of", s->rerun_of);
    return rc ? -1 : 0;
}

static int write_job(const alc_snapshot *snap, const alc_session *s)
{
    const alc_job *job = s->job;
    hid_t g = H5Gcreate2(snap->file, "job", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return -1;
    /* The job file's bytes, for resume and audit. */
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t ds = H5Dcreate2(g, "text", snap->str, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const char *text = job->text;
    int rc = ds >= 0 && H5Dwrite(ds, snap->str, H5S_ALL, H5S_ALL, H5P_DEFAULT, &text) >= 0 ? 0 : -1;
    if (ds >= 0)
        H5Dclose(ds);
    H5Sclose(sp);
    rc |= attr_str(snap, g, "dir", job->dir);
    rc |= attr_str(snap, g, "strategies_dir", job->strategies_dir);
    rc |= attr_str(snap, g, "output_dir", s->output_dir);

    job_row *rows = malloc(sizeof *rows * (size_t)job->n_strategies);
    if (!rows) {
        H5Gclose(g);
        return -1;
    }
    for (int b = 0; b < s->n_batches; b++)
        for (int k = 0; k < s->batches[b].batch.count; k++) {
            int i = s->batches[b].batch.first + k;
            rows[i] = (job_row){i, job->strategies[i].file, job->strategies[i].path,
                                job->strategies[i].allocation, s->batches[b].batch.id,
                                job->strategies[i].sha256};
        }
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(job_row));
    FIELD(t, job_row, index, H5T_NATIVE_INT32);
    FIELD(t, job_row, file, snap->str);
    FIELD(t, job_row, path, snap->str);
    FIELD(t, job_row, allocation, H5T_NATIVE_DOUBLE);
    FIELD(t, job_row, batch_id, snap->str);
    FIELD(t, job_row, sha256, snap->str);
    rc |= write_table(g, "strategies", t, (size_t)job->n_strategies, rows);
    H5Tclose(t);
    free(rows);
    H5Gclose(g);
    return rc ? -1 : 0;
}

static int write_config(const alc_snapshot *snap, const alc_session *s)
{
    config_row *rows = malloc(sizeof *rows * (size_t)s->n_batches);
    char **files = calloc((size_t)s->n_batches, sizeof *files);
    int rc = rows && files ? 0 : -1;
    for (int b = 0; rc == 0 && b < s->n_batches; b++) {
        const alc_batch *bt = &s->batches[b].batch;
        size_t len = 1;
        for (int k = 0; k < bt->count; k++)
            len += strlen(s->job->strategies[bt->first + k].file) + 1;
        files[b] = malloc(len);
        if (!files[b]) {
            rc = -1;
            break;
        }
        files[b][0] = '\0';
        size_t at = 0;
        for (int k = 0; k < bt->count; k++)
            at += (size_t)snprintf(files[b] + at, len - at, "%s%s", k ? "\n" : "",
                                   s->job->strategies[bt->first + k].file);
        rows[b] = (config_row){bt->id, bt->index, bt->first, bt->count, bt->weight, files[b]};
    }
    if (rc == 0) {
        hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(config_row));
        FIELD(t, config_row, batch_id, snap->str);
        FIELD(t, config_row, index, H5T_NATIVE_INT32);
        FIELD(t, config_row, first_strategy, H5T_NATIVE_INT32);
        FIELD(t, config_row, n_strategies, H5T_NATIVE_INT32);
        FIELD(t, config_row, weight, H5T_NATIVE_DOUBLE);
        FIELD(t, config_row, files, snap->str);
        rc = write_table(snap->batches, "config", t, (size_t)s->n_batches, rows);
        H5Tclose(t);
    }
    for (int b = 0; files && b < s->n_batches; b++)
        free(files[b]);
    free(files);
    free(rows);
    return rc;
}

static void close_handles(alc_snapshot *snap)
{
    if (snap->batch_gcpl >= 0 && snap->batch_gcpl != H5P_DEFAULT)
        H5Pclose(snap->batch_gcpl);
    if (snap->job_strategies >= 0)
        H5Dclose(snap->job_strategies);
    if (snap->batches >= 0)
        H5Gclose(snap->batches);
    if (snap->str >= 0)
        H5Tclose(snap->str);
    if (snap->file >= 0)
        H5Fclose(snap->file);
    snap->batches = snap->str = snap->file = snap->job_strategies = snap->batch_gcpl = -1;
}

/* A snapshot of session s with no handles open yet (NULL when out of
 * memory); HDF5's own error printing is switched off, as the snapshot
 * reports HDF5 failures itself. */
static alc_snapshot *snapshot_new(const alc_session *s)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    alc_snapshot *snap = calloc(1, sizeof *snap);
    if (!snap)
        return NULL;
    snap->file = snap->str = snap->batches = snap->job_strategies = -1;
    /* A batch group's ten attributes stay in its object header (by default
     * HDF5 moves more than 8 to a fractal heap and a B-tree of their own,
     * created and written for every batch). */
    snap->batch_gcpl = H5Pcreate(H5P_GROUP_CREATE);
    if (snap->batch_gcpl >= 0 && H5Pset_attr_phase_change(snap->batch_gcpl, 16, 12) < 0) {
        H5Pclose(snap->batch_gcpl);
        snap->batch_gcpl = H5P_DEFAULT;
    }
    if (snap->batch_gcpl < 0)
        snap->batch_gcpl = H5P_DEFAULT;
    snprintf(snap->final_path, sizeof snap->final_path, "%s", s->h5_path);
    snprintf(snap->partial_path, sizeof snap->partial_path, "%s.partial", s->h5_path);
    return snap;
}

/* Close the handles snap holds, free it, and pass st on. */
static alc_status snapshot_discard(alc_snapshot *snap, alc_status st)
{
    close_handles(snap);
    free(snap);
    return st;
}

alc_status alc_snapshot_create(const alc_session *s, alc_snapshot **out, alc_error *err)
{
    *out = NULL;
    alc_snapshot *snap = snapshot_new(s);
    if (!snap)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    /* File format of HDF5 1.8 and later: groups store their links in a
     * fractal heap and a B-tree (instead of one local heap per group, which
     * grows with every batch and is written out whole at every H5Fflush:
     * quadratic in the number of batches). h5py, pandas and h5dump of any
     * HDF5 >= 1.8 read it. */
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0 && H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST) < 0) {
        H5Pclose(fapl);
        fapl = -1;
    }
    snap->file = H5Fcreate(snap->partial_path, H5F_ACC_EXCL, H5P_DEFAULT,
                           fapl >= 0 ? fapl : H5P_DEFAULT);
    if (fapl >= 0)
        H5Pclose(fapl);
    if (snap->file < 0)
        return snapshot_discard(snap, h5fail(err, snap, "cannot create the snapshot file"));
    snap->str = alc_h5_string_type();
    if (snap->str < 0)
        goto fail;
    if (write_metadata(snap, s) != 0 || write_job(snap, s) != 0)
        goto fail;
    snap->job_strategies = H5Dopen2(snap->file, "job/strategies", H5P_DEFAULT);
    if (snap->job_strategies < 0)
        goto fail;
    snap->batches = H5Gcreate2(snap->file, "batches", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (snap->batches < 0 || write_config(snap, s) != 0)
        goto fail;
    if (H5Fflush(snap->file, H5F_SCOPE_GLOBAL) < 0)
        goto fail;
    *out = snap;
    return ALC_OK;
fail:
    return snapshot_discard(snap, h5fail(err, snap, "cannot write the session metadata"));
}

/* Status attributes with completed_batches = completed, flush. */
static alc_status write_status(alc_snapshot *snap, const alc_session *s, int completed,
                               alc_error *err)
{
    int rc = 0;
    rc |= attr_str(snap, snap->file, "status", alc_session_status_name(s->status));
    rc |= attr_i64(snap->file, "completed_batches", completed);
    rc |= attr_str(snap, snap->file, "error_type", s->error_type);
    rc |= attr_str(snap, snap->file, "error", s->error);
    if (rc || H5Fflush(snap->file, H5F_SCOPE_GLOBAL) < 0)
        return h5fail(err, snap, "cannot update the session status");
    return ALC_OK;
}

alc_status alc_snapshot_update(alc_snapshot *snap, const alc_session *s, alc_error *err)
{
    return write_status(snap, s, s->completed, err);
}

/* ---- batches ---- */

typedef struct signal_row {
    int32_t index;
    const char *file;
    double allocation;
    const char *status;
    const char *error;
    double eval_ms;
    const char *last_bar_date;
    int32_t n_weights;
} signal_row;

typedef struct sw_row {
    int32_t index;
    const char *file;
    const char *ticker;
    double weight;
} sw_row;

typedef struct timing_row {
    int32_t rank;
    int32_t attempt;
    double start;
    double end;
    double eval_ms;
} timing_row;

static int write_signals(const alc_snapshot *snap, hid_t g, const alc_partial *p)
{
    int n = p->n_signals, nw = 0;
    for (int i = 0; i < n; i++)
        nw += p->signals[i].n;
    signal_row *rows = malloc(sizeof *rows * (size_t)(n ? n : 1));
    char(*dates)[16] = malloc(sizeof *dates * (size_t)(n ? n : 1));
    sw_row *wr = malloc(sizeof *wr * (size_t)(nw ? nw : 1));
    int rc = rows && dates && wr ? 0 : -1;
    int j = 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        const alc_signal *sg = &p->signals[i];
        fmt_date(sg->last_bar, dates[i]);
        rows[i] = (signal_row){sg->index, sg->file, sg->allocation, sg->code ? "failed" : "ok",
                               sg->error ? sg->error : "", sg->eval_ms, dates[i], sg->n};
        for (int k = 0; k < sg->n; k++)
            wr[j++] = (sw_row){sg->index, sg->file, sg->w[k].ticker, sg->w[k].weight};
    }
    if (rc == 0) {
        hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(signal_row));
        FIELD(t, signal_row, index, H5T_NATIVE_INT32);
        FIELD(t, signal_row, file, snap->str);
        FIELD(t, signal_row, allocation, H5T_NATIVE_DOUBLE);
        FIELD(t, signal_row, status, snap->str);
        FIELD(t, signal_row, error, snap->str);
        FIELD(t, signal_row, eval_ms, H5T_NATIVE_DOUBLE);
        FIELD(t, signal_row, last_bar_date, snap->str);
        FIELD(t, signal_row, n_weights, H5T_NATIVE_INT32);
        rc = write_table(g, "signals", t, (size_t)n, rows);
        H5Tclose(t);
    }
    if (rc == 0) {
        hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(sw_row));
        FIELD(t, sw_row, index, H5T_NATIVE_INT32);
        FIELD(t, sw_row, file, snap->str);
        FIELD(t, sw_row, ticker, snap->str);
        FIELD(t, sw_row, weight, H5T_NATIVE_DOUBLE);
        rc = write_table(g, "weights", t, (size_t)nw, wr);
        H5Tclose(t);
    }
    free(rows);
    free(dates);
    free(wr);
    return rc;
}

/* The sha256 column of /job/strategies for the batch's strategies: the
 * hashes of the bytes its rank evaluated ("" for a file it could not
 * read).  A compound memory type with that one member writes that column
 * only. */
static int write_hashes(const alc_snapshot *snap, const alc_batch *bt, const alc_partial *p)
{
    int n = p->n_signals;
    if (n <= 0 || alc_partial_mismatch(p, bt))
        return 0; /* a malformed result (recorded as failed): no hashes */
    const char **rows = malloc(sizeof *rows * (size_t)n);
    if (!rows)
        return -1;
    for (int k = 0; k < n; k++)
        rows[k] = p->signals[k].sha256;
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(const char *));
    hid_t fs = H5Dget_space(snap->job_strategies);
    hsize_t start[1] = {(hsize_t)bt->first}, count[1] = {(hsize_t)n};
    hid_t ms = H5Screate_simple(1, count, NULL);
    hid_t dxpl = xfer_sized((size_t)n * 256 + 256);
    int rc = t >= 0 && fs >= 0 && ms >= 0 ? 0 : -1;
    if (rc == 0 && (H5Tinsert(t, "sha256", 0, snap->str) < 0 ||
                    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
                    H5Dwrite(snap->job_strategies, t, ms, fs, dxpl, rows) < 0))
        rc = -1;
    xfer_close(dxpl);
    if (ms >= 0)
        H5Sclose(ms);
    if (fs >= 0)
        H5Sclose(fs);
    if (t >= 0)
        H5Tclose(t);
    free(rows);
    return rc;
}

static alc_status write_batch_group(alc_snapshot *snap, const alc_session *s, int b,
                                    alc_error *err)
{
    const alc_batch_state *bs = &s->batches[b];
    if (!bs->has_result)
        return alc_fail(err, ALC_ERR_INTERNAL, "batch %s has no result to record", bs->batch.id);
    const alc_partial *p = &bs->result;
    hid_t g = H5Gcreate2(snap->batches, bs->batch.id, H5P_DEFAULT, snap->batch_gcpl, H5P_DEFAULT);
    if (g < 0)
        return h5fail(err, snap, "cannot create the batch group");
    int rc = 0;
    rc |= attr_i64(g, "batch_index", bs->batch.index);
    rc |= attr_str(snap, g, "status", bs->state == ALC_BATCH_DONE ? "ok" : "failed");
    rc |= attr_str(snap, g, "error", p->error);
    rc |= attr_i64(g, "rank", p->rank);
    rc |= attr_i64(g, "attempt", p->attempt);
    rc |= attr_f64(g, "weight", bs->batch.weight);
    rc |= attr_time(snap, g, "start", p->start);
    rc |= attr_time(snap, g, "end", p->end);
    rc |= attr_time(snap, g, "received", bs->received_wall);
    rc |= attr_f64(g, "eval_ms", p->eval_ms);
    rc |= write_weights(snap, g, "partial", p->portfolio, p->n_portfolio);
    rc |= write_signals(snap, g, p);
    timing_row tr = {p->rank, p->attempt, p->start, p->end, p->eval_ms};
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(timing_row));
    FIELD(t, timing_row, rank, H5T_NATIVE_INT32);
    FIELD(t, timing_row, attempt, H5T_NATIVE_INT32);
    FIELD(t, timing_row, start, H5T_NATIVE_DOUBLE);
    FIELD(t, timing_row, end, H5T_NATIVE_DOUBLE);
    FIELD(t, timing_row, eval_ms, H5T_NATIVE_DOUBLE);
    rc |= write_table(g, "timings", t, 1, &tr);
    H5Tclose(t);
    H5Gclose(g);
    rc |= write_hashes(snap, &bs->batch, p);
    if (rc)
        return h5fail(err, snap, "cannot write a batch result");
    snap->recorded++;
    return ALC_OK;
}

alc_status alc_snapshot_write_batches(alc_snapshot *snap, const alc_session *s, const int *batches,
                                      int n, alc_error *err)
{
    for (int i = 0; i < n; i++) {
        alc_status st = write_batch_group(snap, s, batches[i], err);
        if (st != ALC_OK)
            return st;
    }
    /* The count of the batches in the file, not s->completed: another
     * thread may be accepting the next batch meanwhile (coordinator.c). */
    return write_status(snap, s, snap->recorded, err);
}

alc_status alc_snapshot_write_batch(alc_snapshot *snap, const alc_session *s, int b,
                                    alc_error *err)
{
    return alc_snapshot_write_batches(snap, s, &b, 1, err);
}

/* ---- final tables ---- */

typedef struct strategy_row {
    int32_t index;
    const char *file;
    double allocation;
    const char *batch_id;
    const char *status;
    const char *error;
    double eval_ms;
    const char *last_bar_date;
    int32_t rank;
    int32_t n_weights;
} strategy_row;

typedef struct counter_row {
    const char *name;
    double value;
    const char *unit;
} counter_row;

typedef struct rank_row {
    int32_t rank;
    int32_t batches;
    int32_t strategies;
    double eval_ms;
    int64_t bytes_sent;
    int64_t max_rss_kb;
} rank_row;

typedef struct batch_metric_row {
    const char *batch_id;
    const char *status;
    int32_t rank;
    int32_t attempts;
    double eval_ms;
    double wall_ms;
    int64_t result_bytes;
} batch_metric_row;

/* /attribution's ticker column is a fixed-length string as long as the
 * longest ticker (at most 10 bytes: alc_ticker_valid): HDF5 copies those as
 * they are, where each variable-length one costs a global-heap object
 * (200,000 rows: 70 ms against 4).  A strategy is named by its index (a
 * row of /job/strategies), not by its file name.  Rows packed as the file
 * stores them: ticker[width], int32 strategy_index, double weight. */
static int write_attribution(const alc_snapshot *snap, const alc_session *s)
{
    const alc_consolidated *c = &s->portfolio;
    int n = s->has_portfolio ? c->n_attr : 0;
    size_t width = 1;
    for (int i = 0; s->has_portfolio && i < c->n; i++) {
        size_t len = strlen(c->w[i].ticker);
        width = len > width ? len : width;
    }
    size_t row = width + sizeof(int32_t) + sizeof(double);
    unsigned char *rows = calloc((size_t)(n ? n : 1), row);
    if (!rows)
        return -1;
    for (int i = 0; i < n; i++) {
        unsigned char *r = rows + (size_t)i * row;
        const char *tk = c->w[c->attr[i].ticker].ticker;
        memcpy(r, tk, strlen(tk)); /* NUL-padded by calloc */
        int32_t idx = c->attr[i].strategy;
        memcpy(r + width, &idx, sizeof idx);
        memcpy(r + width + sizeof idx, &c->attr[i].weight, sizeof(double));
    }
    hid_t str = H5Tcopy(H5T_C_S1);
    int rc = str < 0 || H5Tset_size(str, width) < 0 || H5Tset_strpad(str, H5T_STR_NULLPAD) < 0 ||
                     H5Tset_cset(str, H5T_CSET_UTF8) < 0
                 ? -1
                 : 0;
    hid_t t = rc == 0 ? H5Tcreate(H5T_COMPOUND, row) : -1;
    if (t >= 0) {
        if (H5Tinsert(t, "ticker", 0, str) < 0 ||
            H5Tinsert(t, "strategy_index", width, H5T_NATIVE_INT32) < 0 ||
            H5Tinsert(t, "weight", width + sizeof(int32_t), H5T_NATIVE_DOUBLE) < 0)
            rc = -1;
        else
            rc = write_table(snap->file, "attribution", t, (size_t)n, rows);
        H5Tclose(t);
    } else {
        rc = -1;
    }
    if (str >= 0)
        H5Tclose(str);
    free(rows);
    return rc;
}

static int write_strategies(const alc_snapshot *snap, const alc_session *s)
{
    int n = s->job->n_strategies;
    strategy_row *rows = malloc(sizeof *rows * (size_t)n);
    char(*dates)[16] = malloc(sizeof *dates * (size_t)n);
    if (!rows || !dates) {
        free(rows);
        free(dates);
        return -1;
    }
    for (int b = 0; b < s->n_batches; b++) {
        const alc_batch_state *bs = &s->batches[b];
        for (int k = 0; k < bs->batch.count; k++) {
            int i = bs->batch.first + k;
            const alc_job_strategy *js = &s->job->strategies[i];
            const alc_signal *sg = bs->has_result && k < bs->result.n_signals
                                       ? &bs->result.signals[k] : NULL;
            dates[i][0] = '\0';
            if (sg)
                fmt_date(sg->last_bar, dates[i]);
            const char *why = alc_session_drop_reason(s, i);
            rows[i] = (strategy_row){i, js->file, js->allocation, bs->batch.id,
                                     why ? "dropped" : sg ? (sg->code ? "failed" : "ok") : "missing",
                                     why ? why : sg && sg->error ? sg->error : "",
                                     sg ? sg->eval_ms : 0.0, dates[i],
                                     bs->has_result ? bs->result.rank : -1, sg ? sg->n : 0};
        }
    }
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(strategy_row));
    FIELD(t, strategy_row, index, H5T_NATIVE_INT32);
    FIELD(t, strategy_row, file, snap->str);
    FIELD(t, strategy_row, allocation, H5T_NATIVE_DOUBLE);
    FIELD(t, strategy_row, batch_id, snap->str);
    FIELD(t, strategy_row, status, snap->str);
    FIELD(t, strategy_row, error, snap->str);
    FIELD(t, strategy_row, eval_ms, H5T_NATIVE_DOUBLE);
    FIELD(t, strategy_row, last_bar_date, snap->str);
    FIELD(t, strategy_row, rank, H5T_NATIVE_INT32);
    FIELD(t, strategy_row, n_weights, H5T_NATIVE_INT32);
    int rc = write_table(snap->file, "strategies", t, (size_t)n, rows);
    H5Tclose(t);
    free(rows);
    free(dates);
    return rc;
}

static int write_metrics(const alc_snapshot *snap, const alc_session *s)
{
    const alc_metrics *m = &s->metrics;
    /* The outputs written so far reach the file first, so that output_seconds
     * covers them (only these metrics and the close remain after it). */
    if (H5Fflush(snap->file, H5F_SCOPE_GLOBAL) < 0)
        return -1;
    double now = alc_now_mono();
    hid_t g = H5Gcreate2(snap->file, "metrics", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return -1;
    double eval_ms = 0.0;
    for (int r = 0; r < m->n_ranks; r++)
        eval_ms += m->ranks[r].eval_ms;
    counter_row c[] = {
        {"batches_expected", s->n_batches, "count"},
        {"batches_completed", s->completed, "count"},
        {"batches_requested", (double)m->batches_requested, "count"},
        {"batches_received", (double)m->batches_received, "count"},
        {"batches_failed", (double)m->batches_failed, "count"},
        {"duplicates_ignored", (double)m->duplicates_ignored, "count"},
        {"retries", (double)m->retries, "count"},
        {"bad_messages", (double)m->bad_messages, "count"},
        {"strategies", s->job->n_strategies, "count"},
        {"setup_seconds", m->setup_seconds, "s"},
        {"session_seconds", m->session_seconds, "s"},
        {"evaluation_ms", eval_ms, "ms"},
        {"bytes_sent", (double)m->bytes_sent, "bytes"},
        {"job_seconds", m->job_seconds, "s"},
        {"market_seconds", m->market_seconds, "s"},
        {"dispatch_seconds", m->dispatch_seconds, "s"},
        {"snapshot_batches_seconds", m->snapshot_batches_seconds, "s"},
        {"stop_seconds", m->stop_seconds, "s"},
        {"aggregate_seconds", m->aggregate_seconds, "s"},
        {"output_seconds", m->output_start_mono > 0 ? now - m->output_start_mono : 0.0, "s"},
        {"total_seconds", m->run_start_mono > 0 ? now - m->run_start_mono : 0.0, "s"},
    };
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(counter_row));
    FIELD(t, counter_row, name, snap->str);
    FIELD(t, counter_row, value, H5T_NATIVE_DOUBLE);
    FIELD(t, counter_row, unit, snap->str);
    int rc = write_table(g, "counters", t, sizeof c / sizeof c[0], c);
    H5Tclose(t);

    rank_row *rr = malloc(sizeof *rr * (size_t)(m->n_ranks ? m->n_ranks : 1));
    batch_metric_row *br = malloc(sizeof *br * (size_t)(s->n_batches ? s->n_batches : 1));
    if (!rr || !br)
        rc = -1;
    if (rc == 0) {
        for (int r = 0; r < m->n_ranks; r++) {
            long rss = m->ranks[r].max_rss_kb;
            if (r == 0 && alc_peak_rss_kb() > rss)
                rss = alc_peak_rss_kb(); /* rank 0 writes this: its peak so far */
            rr[r] = (rank_row){r, m->ranks[r].batches, m->ranks[r].strategies, m->ranks[r].eval_ms,
                               (int64_t)m->ranks[r].bytes_sent, (int64_t)rss};
        }
        t = H5Tcreate(H5T_COMPOUND, sizeof(rank_row));
        FIELD(t, rank_row, rank, H5T_NATIVE_INT32);
        FIELD(t, rank_row, batches, H5T_NATIVE_INT32);
        FIELD(t, rank_row, strategies, H5T_NATIVE_INT32);
        FIELD(t, rank_row, eval_ms, H5T_NATIVE_DOUBLE);
        FIELD(t, rank_row, bytes_sent, H5T_NATIVE_INT64);
        FIELD(t, rank_row, max_rss_kb, H5T_NATIVE_INT64);
        rc |= write_table(g, "ranks", t, (size_t)m->n_ranks, rr);
        H5Tclose(t);
        for (int b = 0; b < s->n_batches; b++) {
            const alc_batch_state *bs = &s->batches[b];
            static const char *names[] = {"queued", "running", "ok", "failed"};
            br[b] = (batch_metric_row){bs->batch.id, names[bs->state],
                                       bs->has_result ? bs->result.rank : -1, bs->attempts,
                                       bs->has_result ? bs->result.eval_ms : 0.0,
                                       bs->has_result ? (bs->result.end - bs->result.start) * 1e3 : 0.0,
                                       (int64_t)bs->bytes};
        }
        t = H5Tcreate(H5T_COMPOUND, sizeof(batch_metric_row));
        FIELD(t, batch_metric_row, batch_id, snap->str);
        FIELD(t, batch_metric_row, status, snap->str);
        FIELD(t, batch_metric_row, rank, H5T_NATIVE_INT32);
        FIELD(t, batch_metric_row, attempts, H5T_NATIVE_INT32);
        FIELD(t, batch_metric_row, eval_ms, H5T_NATIVE_DOUBLE);
        FIELD(t, batch_metric_row, wall_ms, H5T_NATIVE_DOUBLE);
        FIELD(t, batch_metric_row, result_bytes, H5T_NATIVE_INT64);
        rc |= write_table(g, "batches", t, (size_t)s->n_batches, br);
        H5Tclose(t);
    }
    free(rr);
    free(br);
    H5Gclose(g);
    return rc;
}

typedef struct dropped_row {
    int32_t index;
    const char *file;
    double allocation;
    const char *batch_id;
    const char *error;
} dropped_row;

/* /dropped: the strategies on_strategy_failure=skip left out, and why. */
static int write_dropped(const alc_snapshot *snap, const alc_session *s)
{
    int n = s->job->n_strategies;
    dropped_row *rows = malloc(sizeof *rows * (size_t)(n ? n : 1));
    if (!rows)
        return -1;
    int k = 0;
    for (int b = 0; b < s->n_batches; b++)
        for (int j = 0; j < s->batches[b].batch.count; j++) {
            int i = s->batches[b].batch.first + j;
            const char *why = alc_session_drop_reason(s, i);
            if (why)
                rows[k++] = (dropped_row){i, s->job->strategies[i].file,
                                          s->job->strategies[i].allocation,
                                          s->batches[b].batch.id, why};
        }
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(dropped_row));
    FIELD(t, dropped_row, index, H5T_NATIVE_INT32);
    FIELD(t, dropped_row, file, snap->str);
    FIELD(t, dropped_row, allocation, H5T_NATIVE_DOUBLE);
    FIELD(t, dropped_row, batch_id, snap->str);
    FIELD(t, dropped_row, error, snap->str);
    int rc = write_table(snap->file, "dropped", t, (size_t)k, rows);
    H5Tclose(t);
    free(rows);
    return rc;
}

typedef struct history_row {
    int32_t run;
    const char *started;
    const char *deadline;
    const char *finished;
    const char *status;
    int32_t n_ranks;
    const char *scheduling;
    int32_t batches_evaluated;
    int32_t batches_reused;
    const char *error_type;
    const char *error;
} history_row;

/* The current run as a record. */
static void current_run(const alc_session *s, alc_run_record *r)
{
    memset(r, 0, sizeof *r);
    r->run = s->resume_count + 1;
    if (s->started_wall > 0)
        alc_format_timestamp(s->started_wall, r->started, sizeof r->started);
    alc_format_timestamp(s->deadline_wall, r->deadline, sizeof r->deadline);
    if (s->finished_wall > 0)
        alc_format_timestamp(s->finished_wall, r->finished, sizeof r->finished);
    snprintf(r->status, sizeof r->status, "%s", alc_session_status_name(s->status));
    r->n_ranks = s->n_ranks;
    snprintf(r->scheduling, sizeof r->scheduling, "%s", alc_scheduling_name(s->scheduling));
    for (int b = 0; b < s->n_batches; b++) {
        r->batches_reused += s->batches[b].reused;
        r->batches_evaluated += s->batches[b].has_result && !s->batches[b].reused;
    }
    snprintf(r->error_type, sizeof r->error_type, "%s", s->error_type);
    snprintf(r->error, sizeof r->error, "%.511s", s->error);
}

/* The group `name` below parent, created when it is not there yet; -1 on an
 * HDF5 failure. */
static hid_t group_open_or_create(hid_t parent, const char *name)
{
    htri_t ex = H5Lexists(parent, name, H5P_DEFAULT);
    return ex > 0    ? H5Gopen2(parent, name, H5P_DEFAULT)
           : ex == 0 ? H5Gcreate2(parent, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)
                     : -1;
}

/* /history/runs: every earlier run (s->history), then the current one. */
static int write_history(const alc_snapshot *snap, const alc_session *s)
{
    hid_t g = group_open_or_create(snap->file, "history");
    if (g < 0)
        return -1;
    if (H5Lexists(g, "runs", H5P_DEFAULT) > 0 && H5Ldelete(g, "runs", H5P_DEFAULT) < 0) {
        H5Gclose(g);
        return -1;
    }
    int n = s->n_history + 1;
    history_row *rows = malloc(sizeof *rows * (size_t)n);
    alc_run_record cur;
    current_run(s, &cur);
    if (!rows) {
        H5Gclose(g);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        const alc_run_record *r = i < s->n_history ? &s->history[i] : &cur;
        rows[i] = (history_row){r->run, r->started, r->deadline, r->finished, r->status,
                                r->n_ranks, r->scheduling, r->batches_evaluated, r->batches_reused,
                                r->error_type, r->error};
    }
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(history_row));
    FIELD(t, history_row, run, H5T_NATIVE_INT32);
    FIELD(t, history_row, started, snap->str);
    FIELD(t, history_row, deadline, snap->str);
    FIELD(t, history_row, finished, snap->str);
    FIELD(t, history_row, status, snap->str);
    FIELD(t, history_row, n_ranks, H5T_NATIVE_INT32);
    FIELD(t, history_row, scheduling, snap->str);
    FIELD(t, history_row, batches_evaluated, H5T_NATIVE_INT32);
    FIELD(t, history_row, batches_reused, H5T_NATIVE_INT32);
    FIELD(t, history_row, error_type, snap->str);
    FIELD(t, history_row, error, snap->str);
    int rc = write_table(g, "runs", t, (size_t)n, rows);
    H5Tclose(t);
    free(rows);
    H5Gclose(g);
    return rc;
}

alc_status alc_snapshot_write_results(alc_snapshot *snap, const alc_session *s, alc_error *err)
{
    if (snap->results)
        return snap->results > 0 ? ALC_OK : h5fail(err, snap, "cannot write the session results");
    int rc = 0;
    rc |= write_weights(snap, snap->file, "portfolio", s->has_portfolio ? s->portfolio.w : NULL,
                        s->has_portfolio ? s->portfolio.n : 0);
    rc |= write_attribution(snap, s);
    rc |= write_strategies(snap, s);
    rc |= write_dropped(snap, s);
    snap->results = rc ? -1 : 1;
    return rc ? h5fail(err, snap, "cannot write the session results") : ALC_OK;
}

alc_status alc_snapshot_finish(alc_snapshot *snap, const alc_session *s, alc_error *err)
{
    alc_error ig;
    int rc = alc_snapshot_write_results(snap, s, &ig) != ALC_OK;
    char d[16];
    rc |= write_metrics(snap, s);
    rc |= write_history(snap, s);
    rc |= attr_i64(snap->file, "degraded", s->degraded);
    rc |= attr_i64(snap->file, "dropped_strategies", s->n_dropped);
    rc |= attr_f64(snap->file, "kept_allocation", s->degraded ? s->kept_allocation : 1.0);
    rc |= attr_time(snap, snap->file, "finished", s->finished_wall);
    rc |= attr_f64(snap->file, "total_weight", s->has_portfolio ? s->portfolio.total : 0.0);
    fmt_date(s->has_portfolio ? s->portfolio.oldest : 0, d);
    rc |= attr_str(snap, snap->file, "oldest_data_date", d);
    rc |= attr_str(snap, snap->file, "oldest_data_strategy",
                   s->has_portfolio && s->portfolio.oldest_strategy >= 0
                       ? s->job->strategies[s->portfolio.oldest_strategy].file : "");
    alc_status st = ALC_OK;
    if (rc)
        st = h5fail(err, snap, "cannot write the session results");
    else
        st = alc_snapshot_update(snap, s, err);
    hid_t file = snap->file;
    snap->file = -1;
    close_handles(snap);
    if (H5Fclose(file) < 0 && st == ALC_OK)
        st = h5fail(err, snap, "cannot close the snapshot");
    if (st == ALC_OK && rename(snap->partial_path, snap->final_path) != 0)
        st = alc_fail_at(err, ALC_ERR_IO, snap->final_path, 0, 0, "cannot rename %s: %s",
                         snap->partial_path, strerror(errno));
    free(snap);
    return st;
}

void alc_snapshot_abandon(alc_snapshot *snap)
{
    if (!snap)
        return;
    close_handles(snap);
    free(snap);
}

/* ---- resume ---- */

/* Move /<name> (when present) under dst. */
static int move_if_present(hid_t src, const char *name, hid_t dst)
{
    htri_t ex = H5Lexists(src, name, H5P_DEFAULT);
    if (ex < 0)
        return -1;
    if (ex == 0)
        return 0;
    return H5Lmove(src, name, dst, name, H5P_DEFAULT, H5P_DEFAULT) < 0 ? -1 : 0;
}

static int delete_attr(hid_t obj, const char *name)
{
    htri_t ex = H5Aexists(obj, name);
    if (ex < 0)
        return -1;
    return ex > 0 && H5Adelete(obj, name) < 0 ? -1 : 0;
}

alc_status alc_snapshot_reopen(const alc_session *s, alc_snapshot **out, alc_error *err)
{
    *out = NULL;
    alc_snapshot *snap = snapshot_new(s);
    if (!snap)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    snap->file = H5Fopen(snap->partial_path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (snap->file < 0)
        return snapshot_discard(snap, h5fail(err, snap, "cannot reopen the snapshot for writing"));
    snap->str = alc_h5_string_type();
    if (snap->str < 0)
        goto fail;
    snap->batches = H5Gopen2(snap->file, "batches", H5P_DEFAULT);
    if (snap->batches < 0)
        goto fail;
    snap->job_strategies = H5Dopen2(snap->file, "job/strategies", H5P_DEFAULT);
    if (snap->job_strategies < 0)
        goto fail;
    snap->recorded = s->completed; /* the batches this run reuses */
    hid_t f = snap->file;
    /* What the previous run left that this one replaces goes to its history. */
    hid_t hist = group_open_or_create(f, "history");
    if (hist < 0)
        goto fail;
    char name[32];
    snprintf(name, sizeof name, "run-%d", s->resume_count);
    hid_t prev = group_open_or_create(hist, name);
    H5Gclose(hist);
    if (prev < 0)
        goto fail;
    int rc = 0;
    static const char *finals[] = {"portfolio", "attribution", "strategies", "metrics", "dropped"};
    for (size_t i = 0; i < sizeof finals / sizeof finals[0]; i++)
        rc |= move_if_present(f, finals[i], prev);
    hid_t pb = -1;
    for (int b = 0; rc == 0 && b < s->n_batches; b++) {
        if (!s->batches[b].superseded)
            continue;
        if (pb < 0 && (pb = H5Gcreate2(prev, "batches", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0)
            rc = -1;
        else
            rc |= move_if_present(snap->batches, s->batches[b].batch.id, pb);
    }
    if (pb >= 0)
        H5Gclose(pb);
    H5Gclose(prev);
    static const char *stale[] = {"total_weight", "oldest_data_date", "oldest_data_strategy",
                                  "degraded", "dropped_strategies", "kept_allocation"};
    for (size_t i = 0; rc == 0 && i < sizeof stale / sizeof stale[0]; i++)
        rc |= delete_attr(f, stale[i]);
    rc |= attr_time(snap, f, "deadline", s->deadline_wall);
    rc |= attr_time(snap, f, "finished", 0);
    rc |= attr_i64(f, "n_ranks", s->n_ranks);
    rc |= attr_str(snap, f, "scheduling", alc_scheduling_name(s->scheduling));
    rc |= attr_i64(f, "max_parallel_batches", s->max_parallel);
    rc |= attr_i64(f, "resume_count", s->resume_count);
    rc |= write_history(snap, s);
    if (rc)
        goto fail;
    alc_status st = alc_snapshot_update(snap, s, err);
    if (st != ALC_OK)
        return snapshot_discard(snap, st);
    *out = snap;
    return ALC_OK;
fail:
    return snapshot_discard(snap, h5fail(err, snap, "cannot prepare the snapshot for the resumed run"));
}
