/* Per-ticker CSV market files: TICKER.csv with the header
 * `date,open,high,low,close,volume` (see docs/market.md).
 *
 * Rules (every violation is ALC_ERR_DATA with file:line[:col]):
 *  - lines end in LF or CRLF; the last line may or may not end in one;
 *    a UTF-8 byte-order mark at the very start is skipped;
 *  - the header has exactly the six columns above, in that order
 *    (letter case is ignored); no empty lines anywhere;
 *  - every data row has six fields: a strict YYYY-MM-DD date, four prices
 *    and a volume, parsed with strtod (C locale) and required to consume
 *    the whole field: no blanks, no hex floats;
 *  - prices must be finite and > 0, volume finite and >= 0;
 *  - dates strictly increasing (no duplicates); at least one data row;
 *  - limits (ALC_ERR_LIMIT): a file is at most ALC_CSV_MAX_BYTES, a folder
 *    holds at most ALC_MARKET_MAX_TICKERS ticker files;
 *  - a folder's TICKER.csv entries must be regular files whose real path
 *    (after symbolic links) stays inside the folder: a symlink to a file
 *    elsewhere is refused, so a market folder never makes us read anything
 *    outside it.
 *
 * Ownership: alc_series_parse_csv fills a caller-provided alc_series whose
 * arrays it allocates (release with alc_series_free).  The loaders return
 * a heap alc_market the caller releases with alc_market_free. */
#include "market/internal.h"
#include "alchemiser/file.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif
#define NFIELDS 6
#define ALC_CSV_MAX_BYTES ((size_t)256 << 20)
#define ALC_MARKET_MAX_TICKERS 1000000

static const char *const header_names[NFIELDS] = {"date", "open", "high", "low", "close",
                                                   "volume"};

typedef struct field {
    const char *p;
    size_t n;
    int col; /* 1-based column of the first character */
} field;

/* Copy a field for a message: at most 40 bytes, non-printables as '?'. */
static void show(const char *p, size_t n, char *buf, size_t size)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 4 < size; i++) {
        if (k >= 40) {
            memcpy(buf + k, "...", 3);
            k += 3;
            break;
        }
        unsigned char c = (unsigned char)p[i];
        buf[k++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    buf[k] = '\0';
}

/* strtod over a whole field.  0 = parsed (value may be NaN/inf), -1 = not
 * a decimal number. */
static int parse_number(const char *p, size_t n, double *out)
{
    char buf[80];
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, p, n);
    buf[n] = '\0';
    /* strtod would skip leading blanks and accept hex floats: refuse both. */
    if (buf[0] == ' ' || buf[0] == '\t' || strpbrk(buf, "xX"))
        return -1;
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (end != buf + n)
        return -1;
    *out = v;
    return 0;
}

static int split(const char *line, size_t len, field *f, int max)
{
    int k = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || line[i] == ',') {
            if (k < max) {
                f[k].p = line + start;
                f[k].n = i - start;
                f[k].col = (int)start + 1;
            }
            k++;
            start = i + 1;
        }
    }
    return k;
}

alc_status alc_series_parse_csv(const char *name, const char *ticker, const char *text,
                                size_t len, alc_series *series, alc_error *err)
{
    static const char *const value_names[5] = {"open", "high", "low", "close", "volume"};
    memset(series, 0, sizeof *series);
    if (!name)
        name = "<csv>";
    if (!text)
        len = 0;
    if (len > ALC_CSV_MAX_BYTES)
        return alc_fail_at(err, ALC_ERR_LIMIT, name, 0, 0,
                           "CSV file is %zu bytes; the limit is %zu MiB", len,
                           ALC_CSV_MAX_BYTES >> 20);

    size_t pos = 0;
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
        pos = 3; /* UTF-8 byte-order mark: skipped */

    /* Upper bound on the number of data rows: number of lines - 1. */
    size_t lines = 1;
    for (size_t i = pos; i < len; i++)
        lines += text[i] == '\n';
    if (lines > (size_t)1 << 30)
        return alc_fail_at(err, ALC_ERR_LIMIT, name, 0, 0, "too many lines");

    alc_status st = alc_series_alloc(series, ticker, (int)lines, err);
    if (st != ALC_OK)
        return st;

    int line = 0, n = 0, prev_line = 0;
    char shown[64];
    if (pos >= len) {
        alc_series_free(series);
        return alc_fail_at(err, ALC_ERR_DATA, name, 1, 0,
                           "empty file (expected header date,open,high,low,close,volume)");
    }
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t next = nl ? end + 1 : len;
        const char *l = text + pos;
        size_t ll = end - pos;
        line++;
        pos = next;
        if (ll > 0 && l[ll - 1] == '\r')
            ll--;
        const char *cr = memchr(l, '\r', ll);
        if (cr) {
            st = alc_fail_at(err, ALC_ERR_DATA, name, line, (int)(cr - l) + 1,
                             "carriage return inside a line (only LF or CRLF line ends "
                             "are accepted)");
            goto fail;
        }
        if (ll == 0) {
            st = alc_fail_at(err, ALC_ERR_DATA, name, line, 0, "empty line");
            goto fail;
        }
        field f[NFIELDS];
        int nf = split(l, ll, f, NFIELDS);
        if (line == 1) {
            if (nf != NFIELDS) {
                st = alc_fail_at(err, ALC_ERR_DATA, name, line, 0,
                                 "header has %d columns, expected %d "
                                 "(date,open,high,low,close,volume)",
                                 nf, NFIELDS);
                goto fail;
            }
            for (int k = 0; k < NFIELDS; k++) {
                size_t hn = strlen(header_names[k]);
                if (f[k].n != hn || strncasecmp(f[k].p, header_names[k], hn) != 0) {
                    show(f[k].p, f[k].n, shown, sizeof shown);
                    st = alc_fail_at(err, ALC_ERR_DATA, name, line, f[k].col,
                                     "header column %d is '%s', expected '%s' "
                                     "(header must be date,open,high,low,close,volume)",
                                     k + 1, shown, header_names[k]);
                    goto fail;
                }
            }
            continue;
        }
        if (nf != NFIELDS) {
            st = alc_fail_at(err, ALC_ERR_DATA, name, line, 0,
                             "expected %d fields, found %d", NFIELDS, nf);
            goto fail;
        }
        alc_day d;
        if (alc_parse_date(f[0].p, f[0].n, &d) != 0) {
            show(f[0].p, f[0].n, shown, sizeof shown);
            st = alc_fail_at(err, ALC_ERR_DATA, name, line, f[0].col,
                             "invalid date '%s' (expected YYYY-MM-DD)", shown);
            goto fail;
        }
        if (n > 0 && d <= series->day[n - 1]) {
            show(f[0].p, f[0].n, shown, sizeof shown);
            if (d == series->day[n - 1])
                st = alc_fail_at(err, ALC_ERR_DATA, name, line, f[0].col,
                                 "duplicate date %s (also on line %d)", shown, prev_line);
            else {
                char pd[11];
                alc_format_date(series->day[n - 1], pd);
                st = alc_fail_at(err, ALC_ERR_DATA, name, line, f[0].col,
                                 "date %s is before %s on line %d (dates must be "
                                 "strictly increasing)",
                                 shown, pd, prev_line);
            }
            goto fail;
        }
        double v[5];
        for (int k = 0; k < 5; k++) {
            const field *fk = &f[k + 1];
            show(fk->p, fk->n, shown, sizeof shown);
            if (parse_number(fk->p, fk->n, &v[k]) != 0) {
                st = alc_fail_at(err, ALC_ERR_DATA, name, line, fk->col,
                                 "%s: cannot parse '%s' as a number", value_names[k],
                                 shown);
                goto fail;
            }
            const char *prob = alc_bar_value_problem(v[k], k < 4 ? 'p' : 'v');
            if (prob) {
                st = alc_fail_at(err, ALC_ERR_DATA, name, line, fk->col, "%s %s ('%s')",
                                 value_names[k], prob, shown);
                goto fail;
            }
        }
        series->day[n] = d;
        series->open[n] = v[0];
        series->high[n] = v[1];
        series->low[n] = v[2];
        series->close[n] = v[3];
        series->volume[n] = v[4];
        n++;
        prev_line = line;
    }
    if (n == 0) {
        st = alc_fail_at(err, ALC_ERR_DATA, name, line, 0, "no data rows after the header");
        goto fail;
    }
    series->n = n;
    return ALC_OK;
fail:
    alc_series_free(series);
    return st;
}

typedef struct csv_entry {
    char ticker[16];
    char *path;
} csv_entry;

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const csv_entry *)a)->ticker, ((const csv_entry *)b)->ticker);
}

static char *join_path(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (!p)
        return NULL;
    memcpy(p, dir, a);
    size_t k = a;
    if (k == 0 || p[k - 1] != '/')
        p[k++] = '/';
    memcpy(p + k, name, b + 1);
    return p;
}

static int has_csv_suffix(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && !strcasecmp(name + n - 4, ".csv");
}

alc_status alc_market_load_csv_dir(const char *dir, alc_market **out, alc_error *err)
{
    *out = NULL;
    alc_status st = ALC_OK;
    csv_entry *ents = NULL;
    int n = 0, cap = 0;
    alc_market *m = NULL;

    char real_dir[PATH_MAX];
    if (!realpath(dir, real_dir))
        return alc_fail_at(err, ALC_ERR_IO, dir, 0, 0, "cannot open directory: %s",
                           strerror(errno));
    DIR *d = opendir(dir);
    if (!d)
        return alc_fail_at(err, ALC_ERR_IO, dir, 0, 0, "cannot open directory: %s",
                           strerror(errno));
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *fn = de->d_name;
        if (fn[0] == '.' || !has_csv_suffix(fn))
            continue; /* hidden files and non-CSV files are ignored */
        char *path = join_path(dir, fn);
        if (!path) {
            st = alc_fail(err, ALC_ERR_NOMEM, "out of memory");
            goto done;
        }
        size_t tl = strlen(fn) - 4;
        char ticker[16];
        int ok = tl >= 1 && tl <= 10;
        for (size_t i = 0; ok && i < tl; i++) {
            char c = fn[i];
            ticker[i] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
        }
        if (ok)
            ticker[tl] = '\0';
        if (!ok || !alc_ticker_valid(ticker)) {
            st = alc_fail_at(err, ALC_ERR_DATA, path, 0, 0,
                             "file name does not give a valid ticker (expected TICKER.csv "
                             "with 1 to 10 characters A-Z, 0-9, '.', '-')");
            free(path);
            goto done;
        }
        struct stat sb;
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            st = alc_fail_at(err, ALC_ERR_DATA, path, 0, 0, "not a regular file");
            free(path);
            goto done;
        }
        char real[PATH_MAX];
        size_t rl = strlen(real_dir);
        if (!realpath(path, real))
            snprintf(real, sizeof real, "?");
        if (strncmp(real, real_dir, rl) != 0 || (rl > 1 && real[rl] != '/')) {
            st = alc_fail_at(err, ALC_ERR_DATA, path, 0, 0,
                             "resolves to %s, outside the market folder %s: refused", real,
                             real_dir);
            free(path);
            goto done;
        }
        if ((uintmax_t)sb.st_size > ALC_CSV_MAX_BYTES) {
            st = alc_fail_at(err, ALC_ERR_LIMIT, path, 0, 0,
                             "CSV file is %jd bytes; the limit is %zu MiB", (intmax_t)sb.st_size,
                             ALC_CSV_MAX_BYTES >> 20);
            free(path);
            goto done;
        }
        if (n == ALC_MARKET_MAX_TICKERS) {
            st = alc_fail_at(err, ALC_ERR_LIMIT, dir, 0, 0,
                             "more than %d ticker files in the market folder",
                             ALC_MARKET_MAX_TICKERS);
            free(path);
            goto done;
        }
        if (n == cap) {
            int nc = cap ? cap * 2 : 64;
            csv_entry *ne = realloc(ents, (size_t)nc * sizeof *ne);
            if (!ne) {
                free(path);
                st = alc_fail(err, ALC_ERR_NOMEM, "out of memory");
                goto done;
            }
            ents = ne;
            cap = nc;
        }
        memcpy(ents[n].ticker, ticker, tl + 1);
        ents[n].path = path;
        n++;
    }
    closedir(d);
    d = NULL;

    if (n == 0) {
        st = alc_fail_at(err, ALC_ERR_DATA, dir, 0, 0, "no TICKER.csv files in directory");
        goto done;
    }
    qsort(ents, (size_t)n, sizeof *ents, cmp_entry);
    for (int i = 1; i < n; i++)
        if (!strcmp(ents[i].ticker, ents[i - 1].ticker)) {
            st = alc_fail_at(err, ALC_ERR_DATA, ents[i].path, 0, 0,
                             "ticker %s also given by %s", ents[i].ticker, ents[i - 1].path);
            goto done;
        }

    st = alc_market_alloc(n, dir, &m, err);
    if (st != ALC_OK)
        goto done;
    for (int i = 0; i < n; i++) {
        char *text;
        size_t len;
        st = alc_read_file(ents[i].path, (size_t)1 << 31, NULL, &text, &len, err);
        if (st == ALC_ERR_LIMIT)
            st = alc_fail_at(err, ALC_ERR_LIMIT, ents[i].path, 0, 0, "file larger than 2 GiB");
        if (st != ALC_OK)
            goto done;
        st = alc_series_parse_csv(ents[i].path, ents[i].ticker, text, len, &m->series[i], err);
        free(text);
        if (st != ALC_OK)
            goto done;
    }
    *out = m;
    m = NULL;
done:
    if (d)
        closedir(d);
    for (int i = 0; i < n; i++)
        free(ents[i].path);
    free(ents);
    alc_market_free(m);
    return st;
}

/* Values with at most 4 decimals (the double nearest k/10000, as strtod
 * and the synthesizer produce) print exactly with %.4f; anything else is
 * printed with %.17g, which strtod reads back to the same double. */
static int four_decimals(double v)
{
    if (!(fabs(v) < 1e11))
        return 0;
    double k = floor(v * 10000.0 + 0.5);
    return k / 10000.0 == v;
}

static int put_value(FILE *f, double v, int is_volume)
{
    if (is_volume && v == floor(v) && fabs(v) < 9007199254740992.0)
        return fprintf(f, ",%.0f", v);
    if (!is_volume && four_decimals(v))
        return fprintf(f, ",%.4f", v);
    return fprintf(f, ",%.17g", v);
}

/* Write one series as CSV text to `path` via a temp file + rename. */
static alc_status write_series_csv(const alc_series *s, const char *path, alc_error *err)
{
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 32);
    if (!tmp)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    snprintf(tmp, pl + 32, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        alc_status st = alc_fail_at(err, ALC_ERR_IO, tmp, 0, 0, "cannot create: %s",
                                    strerror(errno));
        free(tmp);
        return st;
    }
    int bad = fputs("date,open,high,low,close,volume\n", f) < 0;
    char d[11];
    for (int i = 0; i < s->n && !bad; i++) {
        alc_format_date(s->day[i], d);
        bad = fputs(d, f) < 0 || put_value(f, s->open[i], 0) < 0 ||
              put_value(f, s->high[i], 0) < 0 || put_value(f, s->low[i], 0) < 0 ||
              put_value(f, s->close[i], 0) < 0 || put_value(f, s->volume[i], 1) < 0 ||
              fputc('\n', f) == EOF;
    }
    int e = errno;
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        remove(tmp);
        alc_status st = alc_fail_at(err, ALC_ERR_IO, tmp, 0, 0, "write error: %s",
                                    strerror(e));
        free(tmp);
        return st;
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        remove(tmp);
        free(tmp);
        return alc_fail_at(err, ALC_ERR_IO, path, 0, 0, "cannot rename temp file: %s",
                           strerror(e));
    }
    free(tmp);
    return ALC_OK;
}

alc_status alc_market_write_csv_dir(const alc_market *m, const char *dir, alc_error *err)
{
    if (!m || !dir)
        return alc_fail(err, ALC_ERR_INTERNAL, "alc_market_write_csv_dir: NULL argument");
    for (int i = 0; i < m->n; i++) {
        const alc_series *s = &m->series[i];
        if (!alc_ticker_valid(s->ticker))
            return alc_fail_at(err, ALC_ERR_DATA, dir, 0, 0, "invalid ticker '%s'",
                               s->ticker ? s->ticker : "");
        alc_status st = alc_series_validate(s, m->source, s->ticker, err);
        if (st != ALC_OK)
            return st;
    }
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return alc_fail_at(err, ALC_ERR_IO, dir, 0, 0, "cannot create directory: %s",
                           strerror(errno));
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return alc_fail_at(err, ALC_ERR_IO, dir, 0, 0, "not a directory");
    for (int i = 0; i < m->n; i++) {
        char name[32];
        snprintf(name, sizeof name, "%s.csv", m->series[i].ticker);
        char *path = join_path(dir, name);
        if (!path)
            return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
        alc_status st = write_series_csv(&m->series[i], path, err);
        free(path);
        if (st != ALC_OK)
            return st;
    }
    return ALC_OK;
}
