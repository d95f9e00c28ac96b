/* Market container: lookups, ownership, shared validation, and the
 * content-sniffing loader alc_market_load.
 *
 * Ownership: an alc_market and everything it points to is heap memory
 * owned by the market; alc_market_free releases all of it.  Each array of
 * an alc_series (ticker, day, open, high, low, close, volume) is a separate
 * malloc block owned by the series; alc_series_free releases them (but not
 * the alc_series struct itself, which usually lives inside an array). */
#include "market/internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int alc_ticker_valid(const char *t)
{
    size_t n = 0;
    if (!t)
        return 0;
    for (; t[n]; n++) {
        char c = t[n];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            return 0;
        if (n >= 10)
            return 0;
    }
    return n >= 1;
}

alc_status alc_series_alloc(alc_series *s, const char *ticker, int n, alc_error *err)
{
    memset(s, 0, sizeof *s);
    if (n < 0)
        return alc_fail(err, ALC_ERR_INTERNAL, "negative series length %d", n);
    size_t cnt = n > 0 ? (size_t)n : 1; /* never malloc(0) */
    s->ticker = strdup(ticker ? ticker : "");
    s->day = malloc(cnt * sizeof *s->day);
    s->open = malloc(cnt * sizeof(double));
    s->high = malloc(cnt * sizeof(double));
    s->low = malloc(cnt * sizeof(double));
    s->close = malloc(cnt * sizeof(double));
    s->volume = malloc(cnt * sizeof(double));
    if (!s->ticker || !s->day || !s->open || !s->high || !s->low || !s->close || !s->volume) {
        alc_series_free(s);
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory allocating %d bars for %s", n,
                        ticker ? ticker : "?");
    }
    s->n = n;
    return ALC_OK;
}

void alc_series_free(alc_series *s)
{
    if (!s)
        return;
    free(s->ticker);
    free(s->day);
    free(s->open);
    free(s->high);
    free(s->low);
    free(s->close);
    free(s->volume);
    memset(s, 0, sizeof *s);
}

alc_status alc_market_alloc(int n, const char *source, alc_market **out, alc_error *err)
{
    *out = NULL;
    alc_market *m = calloc(1, sizeof *m);
    if (!m)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    m->series = calloc(n > 0 ? (size_t)n : 1, sizeof *m->series);
    m->source = strdup(source ? source : "");
    if (!m->series || !m->source) {
        free(m->series);
        free(m->source);
        free(m);
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    }
    m->n = n;
    *out = m;
    return ALC_OK;
}

void alc_market_free(alc_market *m)
{
    if (!m)
        return;
    if (m->series)
        for (int i = 0; i < m->n; i++)
            alc_series_free(&m->series[i]);
    free(m->series);
    free(m->source);
    free(m);
}

static int cmp_series(const void *a, const void *b)
{
    const alc_series *x = a, *y = b;
    return strcmp(x->ticker ? x->ticker : "", y->ticker ? y->ticker : "");
}

alc_status alc_market_sort(alc_market *m, alc_error *err)
{
    if (m->n > 1)
        qsort(m->series, (size_t)m->n, sizeof *m->series, cmp_series);
    for (int i = 1; i < m->n; i++)
        if (!strcmp(m->series[i - 1].ticker, m->series[i].ticker))
            return alc_fail_at(err, ALC_ERR_DATA, m->source, 0, 0, "duplicate ticker %s",
                               m->series[i].ticker);
    return ALC_OK;
}

const char *alc_bar_value_problem(double v, char kind)
{
    if (!isfinite(v))
        return "is not a finite number";
    if (kind == 'p' && !(v > 0.0))
        return "must be > 0";
    if (kind == 'v' && v < 0.0)
        return "must be >= 0";
    return NULL;
}

alc_status alc_series_validate(const alc_series *s, const char *file, const char *what,
                               alc_error *err)
{
    static const char *const names[5] = {"open", "high", "low", "close", "volume"};
    char d1[11], d2[11];
    for (int i = 0; i < s->n; i++) {
        if (i > 0 && s->day[i] <= s->day[i - 1]) {
            alc_format_date(s->day[i], d1);
            alc_format_date(s->day[i - 1], d2);
            if (s->day[i] == s->day[i - 1])
                return alc_fail_at(err, ALC_ERR_DATA, file, 0, 0,
                                   "%s index %d: duplicate date %s", what, i, d1);
            return alc_fail_at(err, ALC_ERR_DATA, file, 0, 0,
                               "%s index %d: date %s is before the previous date %s "
                               "(dates must be strictly increasing)",
                               what, i, d1, d2);
        }
        const double v[5] = {s->open[i], s->high[i], s->low[i], s->close[i], s->volume[i]};
        for (int k = 0; k < 5; k++) {
            const char *p = alc_bar_value_problem(v[k], k < 4 ? 'p' : 'v');
            if (p) {
                alc_format_date(s->day[i], d1);
                return alc_fail_at(err, ALC_ERR_DATA, file, 0, 0, "%s index %d (%s): %s %s (%g)",
                                   what, i, d1, names[k], p, v[k]);
            }
        }
    }
    return ALC_OK;
}

int alc_file_is_hdf5(const char *path)
{
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    int found = 0;
    /* The superblock is at 0 or at 512, 1024, 2048, ... (after a user block). */
    for (long off = 0; !found; off = off ? off * 2 : 512) {
        unsigned char b[8];
        if (fseek(f, off, SEEK_SET) != 0 || fread(b, 1, 8, f) != 8)
            break;
        found = !memcmp(b, sig, 8);
        if (off > (1L << 30))
            break;
    }
    fclose(f);
    return found;
}

alc_status alc_market_load(const char *path, alc_market **out, alc_error *err)
{
    *out = NULL;
    struct stat st;
    if (!path || !*path)
        return alc_fail(err, ALC_ERR_USAGE, "no market path given");
    if (stat(path, &st) != 0)
        return alc_fail_at(err, ALC_ERR_IO, path, 0, 0, "cannot access market data: %s",
                           strerror(errno));
    if (S_ISDIR(st.st_mode))
        return alc_market_load_csv_dir(path, out, err);
    if (!S_ISREG(st.st_mode)) /* a FIFO or a device would block or never end */
        return alc_fail_at(err, ALC_ERR_DATA, path, 0, 0,
                           "not market data: neither a regular file nor a folder");
    int h5 = alc_file_is_hdf5(path);
    if (h5 < 0)
        return alc_fail_at(err, ALC_ERR_IO, path, 0, 0, "cannot open: %s", strerror(errno));
    if (h5 == 1)
        return alc_market_load_h5(path, out, err);
    return alc_fail_at(err, ALC_ERR_DATA, path, 0, 0,
                       "not market data: expected an HDF5 market file or a directory of "
                       "TICKER.csv files");
}

int alc_market_find(const alc_market *m, const char *ticker)
{
    if (!m || !ticker)
        return -1;
    int lo = 0, hi = m->n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp(m->series[mid].ticker, ticker);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

/* Index of the first bar with day > d (upper bound), in [0, n]. */
static int upper_bound(const alc_series *s, alc_day d)
{
    int lo = 0, hi = s->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (s->day[mid] <= d)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int alc_series_last_at_or_before(const alc_series *s, alc_day d)
{
    if (!s || s->n <= 0)
        return -1;
    return upper_bound(s, d) - 1;
}

int alc_series_first_after(const alc_series *s, alc_day d)
{
    if (!s || s->n <= 0)
        return 0;
    return upper_bound(s, d);
}

alc_day alc_market_last_day(const alc_market *m)
{
    alc_day last = 0;
    int any = 0;
    if (!m)
        return 0;
    for (int i = 0; i < m->n; i++) {
        const alc_series *s = &m->series[i];
        if (s->n > 0 && (!any || s->day[s->n - 1] > last)) {
            last = s->day[s->n - 1];
            any = 1;
        }
    }
    return last;
}
