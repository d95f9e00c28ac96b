/* The project's HDF5 market file (layout in docs/market.md):
 *
 *   /                      attributes: format = "alchemiser-market" (string)
 *                                      version = 1 (int32)
 *                                      date_unit = "days since 1970-01-01"
 *   /bars                  group, one dataset per ticker
 *   /bars/<TICKER>         1-D compound dataset, one element per bar:
 *                            date   int32  days since 1970-01-01
 *                            open, high, low, close, volume  float64
 *
 * Files are written with little-endian types, contiguous storage and no
 * object timestamps, so the same market gives byte-identical files.
 * Writes go to "<path>.tmp.<pid>" and are renamed over <path> on success.
 *
 * Reading accepts any integer type for date and any integer or float type
 * for the values (HDF5 converts), extra compound fields are ignored, and
 * string attributes may be fixed-length or variable-length.
 *
 * HDF5's automatic error printing is switched off while these functions
 * run (and restored afterwards); failures become ALC_ERR_HDF5 / ALC_ERR_IO
 * / ALC_ERR_DATA with the path in err->file.  Every hid_t opened here is
 * closed on every path.
 *
 * Ownership: alc_market_load_h5 returns a heap market the caller frees
 * with alc_market_free. */
#include "market/internal.h"

#include <hdf5.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FORMAT_NAME "alchemiser-market"
#define FORMAT_VERSION 1

typedef struct h5bar {
    int32_t date;
    double open, high, low, close, volume;
} h5bar;

static const char *const value_fields[5] = {"open", "high", "low", "close", "volume"};

/* ---- HDF5 error handling ---------------------------------------------- */

typedef struct h5_quiet {
    H5E_auto2_t func;
    void *data;
} h5_quiet;

static void quiet_begin(h5_quiet *q)
{
    q->func = NULL;
    q->data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static void quiet_end(const h5_quiet *q)
{
    H5Eclear2(H5E_DEFAULT);
    H5Eset_auto2(H5E_DEFAULT, q->func, q->data);
}

typedef struct walk_ctx {
    char *buf;
    size_t size;
} walk_ctx;

static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    walk_ctx *w = data;
    if (n == 0 && e && e->desc)
        snprintf(w->buf, w->size, "%s", e->desc);
    return 0;
}

/* ALC_ERR_HDF5 with the innermost message of HDF5's error stack. */
static alc_status h5_fail(alc_error *err, const char *path, const char *what)
{
    char detail[400] = "";
    walk_ctx w = {detail, sizeof detail};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_cb, &w);
    H5Eclear2(H5E_DEFAULT);
    if (detail[0])
        return alc_fail_at(err, ALC_ERR_HDF5, path, 0, 0, "%s (HDF5: %s)", what, detail);
    return alc_fail_at(err, ALC_ERR_HDF5, path, 0, 0, "%s", what);
}

static void close_id(hid_t *id, herr_t (*fn)(hid_t))
{
    if (*id >= 0)
        fn(*id);
    *id = -1;
}

/* ---- types ------------------------------------------------------------ */

static hid_t mem_type(void)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(h5bar));
    if (t < 0)
        return -1;
    if (H5Tinsert(t, "date", HOFFSET(h5bar, date), H5T_NATIVE_INT32) < 0 ||
        H5Tinsert(t, "open", HOFFSET(h5bar, open), H5T_NATIVE_DOUBLE) < 0 ||
        H5Tinsert(t, "high", HOFFSET(h5bar, high), H5T_NATIVE_DOUBLE) < 0 ||
        H5Tinsert(t, "low", HOFFSET(h5bar, low), H5T_NATIVE_DOUBLE) < 0 ||
        H5Tinsert(t, "close", HOFFSET(h5bar, close), H5T_NATIVE_DOUBLE) < 0 ||
        H5Tinsert(t, "volume", HOFFSET(h5bar, volume), H5T_NATIVE_DOUBLE) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/* Packed little-endian on-disk type: 44 bytes per bar. */
static hid_t file_type(void)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, 4 + 5 * 8);
    if (t < 0)
        return -1;
    int bad = H5Tinsert(t, "date", 0, H5T_STD_I32LE) < 0;
    for (int k = 0; k < 5 && !bad; k++)
        bad = H5Tinsert(t, value_fields[k], (size_t)(4 + 8 * k), H5T_IEEE_F64LE) < 0;
    if (bad) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/* ---- writing ---------------------------------------------------------- */

static int write_str_attr(hid_t loc, const char *name, const char *value)
{
    hid_t t = H5Tcopy(H5T_C_S1), sp = -1, a = -1;
    int ok = t >= 0 && H5Tset_size(t, H5T_VARIABLE) >= 0 &&
             H5Tset_cset(t, H5T_CSET_UTF8) >= 0 && (sp = H5Screate(H5S_SCALAR)) >= 0 &&
             (a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT)) >= 0;
    if (ok) {
        const char *v = value;
        ok = H5Awrite(a, t, &v) >= 0;
    }
    close_id(&a, H5Aclose);
    close_id(&sp, H5Sclose);
    close_id(&t, H5Tclose);
    return ok ? 0 : -1;
}

static int write_int_attr(hid_t loc, const char *name, int32_t value)
{
    hid_t sp = H5Screate(H5S_SCALAR), a = -1;
    int ok = sp >= 0 &&
             (a = H5Acreate2(loc, name, H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT)) >= 0 &&
             H5Awrite(a, H5T_NATIVE_INT32, &value) >= 0;
    close_id(&a, H5Aclose);
    close_id(&sp, H5Sclose);
    return ok ? 0 : -1;
}

/* Write everything into the (new) file `tmp`. */
static alc_status write_contents(const alc_market *m, const char *tmp, const char *path,
                                 alc_error *err)
{
    alc_status st = ALC_OK;
    hid_t fcpl = -1, file = -1, gcpl = -1, dcpl = -1, bars = -1, mt = -1, ft = -1;
    h5bar *buf = NULL;

    /* No object timestamps anywhere: identical markets give identical files. */
    if ((fcpl = H5Pcreate(H5P_FILE_CREATE)) < 0 || H5Pset_obj_track_times(fcpl, 0) < 0 ||
        (gcpl = H5Pcreate(H5P_GROUP_CREATE)) < 0 || H5Pset_obj_track_times(gcpl, 0) < 0 ||
        (dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0 || H5Pset_obj_track_times(dcpl, 0) < 0 ||
        (mt = mem_type()) < 0 || (ft = file_type()) < 0) {
        st = h5_fail(err, path, "cannot set up HDF5 types/properties");
        goto done;
    }
    file = H5Fcreate(tmp, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    if (file < 0) {
        st = h5_fail(err, tmp, "cannot create HDF5 file");
        goto done;
    }
    if (write_str_attr(file, "format", FORMAT_NAME) < 0 ||
        write_int_attr(file, "version", FORMAT_VERSION) < 0 ||
        write_str_attr(file, "date_unit", "days since 1970-01-01") < 0) {
        st = h5_fail(err, tmp, "cannot write file attributes");
        goto done;
    }
    bars = H5Gcreate2(file, "bars", H5P_DEFAULT, gcpl, H5P_DEFAULT);
    if (bars < 0) {
        st = h5_fail(err, tmp, "cannot create group /bars");
        goto done;
    }
    for (int i = 0; i < m->n; i++) {
        const alc_series *s = &m->series[i];
        h5bar *nb = realloc(buf, (size_t)(s->n > 0 ? s->n : 1) * sizeof *buf);
        if (!nb) {
            st = alc_fail(err, ALC_ERR_NOMEM, "out of memory");
            goto done;
        }
        buf = nb;
        for (int j = 0; j < s->n; j++) {
            buf[j].date = s->day[j];
            buf[j].open = s->open[j];
            buf[j].high = s->high[j];
            buf[j].low = s->low[j];
            buf[j].close = s->close[j];
            buf[j].volume = s->volume[j];
        }
        hsize_t dims[1] = {(hsize_t)s->n};
        hid_t sp = H5Screate_simple(1, dims, NULL);
        hid_t ds = sp < 0 ? -1 : H5Dcreate2(bars, s->ticker, ft, sp, H5P_DEFAULT, dcpl,
                                            H5P_DEFAULT);
        int ok = ds >= 0 && (s->n == 0 || H5Dwrite(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                                   buf) >= 0);
        close_id(&ds, H5Dclose);
        close_id(&sp, H5Sclose);
        if (!ok) {
            char what[96];
            snprintf(what, sizeof what, "cannot write /bars/%.20s", s->ticker);
            st = h5_fail(err, tmp, what);
            goto done;
        }
    }
    close_id(&bars, H5Gclose);
    herr_t rc = H5Fclose(file);
    file = -1;
    if (rc < 0)
        st = h5_fail(err, tmp, "cannot close (flush) HDF5 file");
done:
    free(buf);
    close_id(&bars, H5Gclose);
    close_id(&file, H5Fclose);
    close_id(&ft, H5Tclose);
    close_id(&mt, H5Tclose);
    close_id(&dcpl, H5Pclose);
    close_id(&gcpl, H5Pclose);
    close_id(&fcpl, H5Pclose);
    return st;
}

alc_status alc_market_write_h5(const alc_market *m, const char *path, alc_error *err)
{
    if (!m || !path || !*path)
        return alc_fail(err, ALC_ERR_INTERNAL, "alc_market_write_h5: NULL argument");
    for (int i = 0; i < m->n; i++) {
        const alc_series *s = &m->series[i];
        if (!alc_ticker_valid(s->ticker))
            return alc_fail_at(err, ALC_ERR_DATA, path, 0, 0, "invalid ticker '%s'",
                               s->ticker ? s->ticker : "");
        if (i > 0 && strcmp(m->series[i - 1].ticker, s->ticker) >= 0)
            return alc_fail_at(err, ALC_ERR_DATA, path, 0, 0,
                               "series not sorted by ticker or duplicated (%s, %s)",
                               m->series[i - 1].ticker, s->ticker);
        alc_status st = alc_series_validate(s, m->source, s->ticker, err);
        if (st != ALC_OK)
            return st;
    }

    size_t pl = strlen(path);
    char *tmp = malloc(pl + 32);
    if (!tmp)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    snprintf(tmp, pl + 32, "%s.tmp.%ld", path, (long)getpid());

    h5_quiet q;
    quiet_begin(&q);
    alc_status st = write_contents(m, tmp, path, err);
    quiet_end(&q);

    if (st == ALC_OK) {
        /* Make the data durable before the rename publishes it. */
        int fd = open(tmp, O_RDONLY);
        if (fd < 0 || fsync(fd) != 0)
            st = alc_fail_at(err, ALC_ERR_IO, tmp, 0, 0, "cannot sync: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
    }
    if (st == ALC_OK && rename(tmp, path) != 0)
        st = alc_fail_at(err, ALC_ERR_IO, path, 0, 0, "cannot rename %s into place: %s", tmp,
                         strerror(errno));
    if (st != ALC_OK)
        remove(tmp); /* may not exist; that is fine */
    free(tmp);
    return st;
}

/* ---- reading ---------------------------------------------------------- */

/* Read a scalar string attribute (fixed or variable length) into buf. */
static alc_status read_str_attr(hid_t loc, const char *name, const char *path, char *buf,
                                size_t size, alc_error *err)
{
    alc_status st = ALC_OK;
    hid_t a = -1, ft = -1, mt = -1, sp = -1;
    buf[0] = '\0';
    if ((a = H5Aopen(loc, name, H5P_DEFAULT)) < 0 || (ft = H5Aget_type(a)) < 0 ||
        (sp = H5Aget_space(a)) < 0) {
        st = h5_fail(err, path, "cannot open attribute");
        goto done;
    }
    if (H5Tget_class(ft) != H5T_STRING || H5Sget_simple_extent_npoints(sp) != 1) {
        st = alc_fail_at(err, ALC_ERR_DATA, path, 0, 0,
                         "attribute '%s' is not a single string", name);
        goto done;
    }
    mt = H5Tcopy(H5T_C_S1);
    if (mt < 0 || H5Tset_cset(mt, H5Tget_cset(ft)) < 0) {
        st = h5_fail(err, path, "cannot copy string type");
        goto done;
    }
    if (H5Tis_variable_str(ft) > 0) {
        char *s = NULL;
        if (H5Tset_size(mt, H5T_VARIABLE) < 0 || H5Aread(a, mt, &s) < 0) {
            st = h5_fail(err, path, "cannot read string attribute");
            goto done;
        }
        snprintf(buf, size, "%s", s ? s : "");
        if (s)
            H5free_memory(s);
    } else {
        size_t n = H5Tget_size(ft);
        char *tmp = malloc(n + 1);
        if (!tmp) {
            st = alc_fail(err, ALC_ERR_NOMEM, "out of memory");
            goto done;
        }
        if (H5Tset_size(mt, n) < 0 || H5Aread(a, mt, tmp) < 0) {
            free(tmp);
            st = h5_fail(err, path, "cannot read string attribute");
            goto done;
        }
        tmp[n] = '\0';
        size_t k = strlen(tmp);
        while (k > 0 && tmp[k - 1] == ' ')
            tmp[--k] = '\0';
        snprintf(buf, size, "%s", tmp);
        free(tmp);
    }
done:
    close_id(&mt, H5Tclose);
    close_id(&sp, H5Sclose);
    close_id(&ft, H5Tclose);
    close_id(&a, H5Aclose);
    return st;
}

static alc_status read_int_attr(hid_t loc, const char *name, const char *path, long *out,
                                alc_error *err)
{
    alc_status st = ALC_OK;
    hid_t a = -1, ft = -1, sp = -1;
    long long v = 0;
    if ((a = H5Aopen(loc, name, H5P_DEFAULT)) < 0 || (ft = H5Aget_type(a)) < 0 ||
        (sp = H5Aget_space(a)) < 0) {
        st = h5_fail(err, path, "cannot open attribute");
        goto done;
    }
    if (H5Tget_class(ft) != H5T_INTEGER || H5Sget_simple_extent_npoints(sp) != 1) {
        st = alc_fail_at(err, ALC_ERR_DATA, path, 0, 0,
                         "attribute '%s' is not a single integer", name);
        goto done;
    }
    if (H5Aread(a, H5T_NATIVE_LLONG, &v) < 0) {
        st = h5_fail(err, path, "cannot read integer attribute");
        goto done;
    }
    *out = (long)v;
done:
    close_id(&sp, H5Sclose);
    close_id(&ft, H5Tclose);
    close_id(&a, H5Aclose);
    return st;
}

/* Read /bars/<name> into *s. */
static alc_status read_series(hid_t bars, const char *name, const char *path, alc_series *s,
                              alc_error *err)
{
    alc_status st = ALC_OK;
    hid_t obj = -1, ft = -1, sp = -1, mt = -1;
    h5bar *buf = NULL;
    char what[80];
    snprintf(what, sizeof what, "bars/%s", name);

    if ((obj = H5Oopen(bars, name, H5P_DEFAULT)) < 0) {
        st = h5_fail(err, path, "cannot open /bars member");
        goto done;
    }
    if (H5Iget_type(obj) != H5I_DATASET) {
        st = alc_fail_at(err, ALC_ERR_DATA, path, 0, 0, "%s is not a dataset", what);
        goto done;
    }
    if ((ft = H5Dget_type(obj)) < 0 || (sp = H5Dget_space(obj)) < 0) {
        st = h5_fail(err, path, "cannot query dataset");
        goto done;
    }
    if (H5Tget_class(ft) != H5T_COMPOUND) {
        st = alc_fail_at(err, ALC_ERR_DATA, path, 0, 0,
                         "%s is not a compound dataset with fields "
                         "date,open,high,low,close,volume",
                         what);
        goto done;
    }
    static const char *const all[6] = {"date", "open", "high", "low", "close", "volume"};
    for (int k = 0; k < 6; k++) {
        int idx = H5Tget_member_index(ft, all[k]);
        H5T_class_t c = idx < 0 ? H5T_NO_CLASS : H5Tget_member_class(ft, (unsigned)idx);
        if (idx < 0) {
            st = alc_fail_at(err, ALC_ERR_DATA, path, 0, 0, "%s has no field '%s'", what,
                             all[k]);
            goto done;
        }
        if (k == 0 ? c != H5T_INTEGER : (c != H5T_FLOAT && c != H5T_INTEGER)) {
            st = alc_fail_at(err, ALC_ERR_DATA, path, 0, 0,
                             "%s field '%s' has the wrong type (date: integer days since "
                             "1970-01-01; values: numbers)",
                             what, all[k]);
            goto done;
        }
    }
    if (H5Sget_simple_extent_ndims(sp) != 1) {
        st = alc_fail_at(err, ALC_ERR_DATA, path, 0, 0, "%s is not one-dimensional", what);
        goto done;
    }
    hsize_t dims[1];
    H5Sget_simple_extent_dims(sp, dims, NULL);
    if (dims[0] > (hsize_t)(INT_MAX / 2)) {
        st = alc_fail_at(err, ALC_ERR_LIMIT, path, 0, 0, "%s has too many bars", what);
        goto done;
    }
    int n = (int)dims[0];
    if (n == 0) {
        st = alc_fail_at(err, ALC_ERR_DATA, path, 0, 0, "%s has no bars", what);
        goto done;
    }
    buf = malloc((size_t)n * sizeof *buf);
    if (!buf) {
        st = alc_fail(err, ALC_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((mt = mem_type()) < 0 || H5Dread(obj, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        char msg[128];
        snprintf(msg, sizeof msg, "cannot read %s", what);
        st = h5_fail(err, path, msg);
        goto done;
    }
    st = alc_series_alloc(s, name, n, err);
    if (st != ALC_OK)
        goto done;
    const alc_day lo = alc_day_from_civil(1800, 1, 1), hi = alc_day_from_civil(9999, 12, 31);
    for (int j = 0; j < n; j++) {
        if (buf[j].date < lo || buf[j].date > hi) {
            st = alc_fail_at(err, ALC_ERR_DATA, path, 0, 0,
                             "%s index %d: date %ld out of range (days since 1970-01-01 "
                             "for years 1800..9999)",
                             what, j, (long)buf[j].date);
            goto done;
        }
        s->day[j] = buf[j].date;
        s->open[j] = buf[j].open;
        s->high[j] = buf[j].high;
        s->low[j] = buf[j].low;
        s->close[j] = buf[j].close;
        s->volume[j] = buf[j].volume;
    }
    st = alc_series_validate(s, path, what, err);
done:
    if (st != ALC_OK)
        alc_series_free(s);
    free(buf);
    close_id(&mt, H5Tclose);
    close_id(&sp, H5Sclose);
    close_id(&ft, H5Tclose);
    close_id(&obj, H5Oclose);
    return st;
}

static alc_status load_contents(const char *path, alc_market **out, alc_error *err)
{
    alc_status st = ALC_OK;
    hid_t file = -1, bars = -1;
    alc_market *m = NULL;
    char buf[128];

    file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        st = h5_fail(err, path, "cannot open HDF5 file");
        goto done;
    }
    htri_t has = H5Aexists(file, "format");
    if (has <= 0) {
        st = has < 0 ? h5_fail(err, path, "cannot query attributes")
                     : alc_fail_at(err, ALC_ERR_DATA, path, 0, 0,
                                   "not an alchemiser market file (no 'format' attribute "
                                   "on the root group)");
        goto done;
    }
    st = read_str_attr(file, "format", path, buf, sizeof buf, err);
    if (st != ALC_OK)
        goto done;
    if (strcmp(buf, FORMAT_NAME) != 0) {
        st = alc_fail_at(err, ALC_ERR_DATA, path, 0, 0,
                         "not an alchemiser market file (format is '%.60s', expected '%s')",
                         buf, FORMAT_NAME);
        goto done;
    }
    has = H5Aexists(file, "version");
    if (has <= 0) {
        st = has < 0 ? h5_fail(err, path, "cannot query attributes")
                     : alc_fail_at(err, ALC_ERR_DATA, path, 0, 0, "no 'version' attribute");
        goto done;
    }
    long version = 0;
    st = read_int_attr(file, "version", path, &version, err);
    if (st != ALC_OK)
        goto done;
    if (version != FORMAT_VERSION) {
        st = alc_fail_at(err, ALC_ERR_DATA, path, 0, 0,
                         "unsupported market file version %ld (this build reads version %d)",
                         version, FORMAT_VERSION);
        goto done;
    }
    has = H5Lexists(file, "bars", H5P_DEFAULT);
    if (has <= 0) {
        st = has < 0 ? h5_fail(err, path, "cannot query /bars")
                     : alc_fail_at(err, ALC_ERR_DATA, path, 0, 0, "no /bars group");
        goto done;
    }
    bars = H5Gopen2(file, "bars", H5P_DEFAULT);
    H5G_info_t info;
    if (bars < 0 || H5Gget_info(bars, &info) < 0) {
        st = h5_fail(err, path, "cannot open group /bars");
        goto done;
    }
    if (info.nlinks == 0) {
        st = alc_fail_at(err, ALC_ERR_DATA, path, 0, 0, "no tickers in /bars");
        goto done;
    }
    if (info.nlinks > 1000000) {
        st = alc_fail_at(err, ALC_ERR_LIMIT, path, 0, 0, "too many tickers in /bars");
        goto done;
    }
    st = alc_market_alloc((int)info.nlinks, path, &m, err);
    if (st != ALC_OK)
        goto done;
    for (int i = 0; i < m->n; i++) {
        char name[64];
        ssize_t len = H5Lget_name_by_idx(bars, ".", H5_INDEX_NAME, H5_ITER_INC, (hsize_t)i,
                                         name, sizeof name, H5P_DEFAULT);
        if (len < 0) {
            st = h5_fail(err, path, "cannot list /bars");
            goto done;
        }
        if ((size_t)len >= sizeof name || !alc_ticker_valid(name)) {
            st = alc_fail_at(err, ALC_ERR_DATA, path, 0, 0,
                             "/bars/%.20s%s: not a valid ticker name (1 to 10 characters "
                             "A-Z, 0-9, '.', '-')",
                             name, (size_t)len >= sizeof name ? "..." : "");
            goto done;
        }
        st = read_series(bars, name, path, &m->series[i], err);
        if (st != ALC_OK)
            goto done;
    }
    st = alc_market_sort(m, err);
    if (st != ALC_OK)
        goto done;
    *out = m;
    m = NULL;
done:
    alc_market_free(m);
    close_id(&bars, H5Gclose);
    close_id(&file, H5Fclose);
    return st;
}

alc_status alc_market_load_h5(const char *path, alc_market **out, alc_error *err)
{
    *out = NULL;
    if (!path || !*path)
        return alc_fail(err, ALC_ERR_USAGE, "no market file given");
    struct stat sb;
    if (stat(path, &sb) != 0)
        return alc_fail_at(err, ALC_ERR_IO, path, 0, 0, "cannot access: %s", strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return alc_fail_at(err, ALC_ERR_IO, path, 0, 0, "not a regular file");
    int is = alc_file_is_hdf5(path);
    if (is < 0)
        return alc_fail_at(err, ALC_ERR_IO, path, 0, 0, "cannot open: %s", strerror(errno));
    if (is == 0)
        return alc_fail_at(err, ALC_ERR_DATA, path, 0, 0, "not an HDF5 file");
    h5_quiet q;
    quiet_begin(&q);
    alc_status st = load_contents(path, out, err);
    quiet_end(&q);
    return st;
}
