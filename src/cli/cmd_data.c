/* `alchemiser data`: import CSV market data, synthesize a market, describe
 * one.  Exit status: 0 ok, 1 data/IO error, 2 usage error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "alchemiser/market.h"
#include "cli/commands.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: alchemiser data import CSV_DIR OUT.h5\n"
            "       alchemiser data synth --out PATH [--seed N] [--from YYYY-MM-DD]\n"
            "                             [--to YYYY-MM-DD] [--tickers A,B,...] [--csv]\n"
            "       alchemiser data info MARKET [--json]\n"
            "\n"
            "  import  convert a directory of TICKER.csv files into an HDF5 market file\n"
            "  synth   write a deterministic synthetic market (default seed 42,\n"
            "          2019-01-02 .. 2025-12-31, 50 tickers) as HDF5, or as a CSV\n"
            "          directory with --csv\n"
            "  info    list tickers, bar counts and date ranges of a market (HDF5 file\n"
            "          or CSV directory); --json for JSON\n");
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "alchemiser data: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n\n");
    usage(stderr);
    return 2;
}

static int data_error(const alc_error *err)
{
    char buf[2048];
    alc_error_format(err, buf, sizeof buf);
    fprintf(stderr, "alchemiser data: %s\n", buf);
    return err->code == ALC_ERR_USAGE ? 2 : 1;
}

static int is_help(const char *a)
{
    return !strcmp(a, "--help") || !strcmp(a, "-h");
}

/* Matches "--name VALUE" or "--name=VALUE"; advances *i past the value.
 * Returns 1 and sets *val on a match, 0 if argv[*i] is another option,
 * -1 if the value is missing. */
static int opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *val = argv[++*i];
    return 1;
}

static int cmd_import(int argc, char **argv)
{
    const char *pos[2];
    int np = 0;
    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            usage(stdout);
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            return usage_error("import: unknown option '%s'", argv[i]);
        if (np == 2)
            return usage_error("import: unexpected argument '%s'", argv[i]);
        pos[np++] = argv[i];
    }
    if (np != 2)
        return usage_error("%s", "import needs CSV_DIR and OUT.h5");
    alc_error err;
    alc_error_clear(&err);
    alc_market *m = NULL;
    if (alc_market_load_csv_dir(pos[0], &m, &err) != ALC_OK)
        return data_error(&err);
    alc_status st = alc_market_write_h5(m, pos[1], &err);
    long bars = 0;
    for (int i = 0; i < m->n; i++)
        bars += m->series[i].n;
    int nt = m->n;
    alc_market_free(m);
    if (st != ALC_OK)
        return data_error(&err);
    printf("wrote %s: %d tickers, %ld bars\n", pos[1], nt, bars);
    return 0;
}

static int parse_day(const char *what, const char *text, alc_day *out)
{
    if (alc_parse_date(text, strlen(text), out) != 0) {
        fprintf(stderr, "alchemiser data: synth: %s '%s' is not a date (YYYY-MM-DD)\n\n",
                what, text);
        usage(stderr);
        return -1;
    }
    return 0;
}

static int cmd_synth(int argc, char **argv)
{
    const char *out = NULL, *seed_s = NULL, *from_s = NULL, *to_s = NULL, *tick_s = NULL;
    int csv = 0;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int r;
        if (is_help(argv[i])) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--csv")) {
            csv = 1;
            continue;
        }
        if ((r = opt_value(argc, argv, &i, "--out", &v)) != 0) {
            if (r < 0)
                return usage_error("synth: %s needs a value", "--out");
            out = v;
        } else if ((r = opt_value(argc, argv, &i, "--seed", &v)) != 0) {
            if (r < 0)
                return usage_error("synth: %s needs a value", "--seed");
            seed_s = v;
        } else if ((r = opt_value(argc, argv, &i, "--from", &v)) != 0) {
            if (r < 0)
                return usage_error("synth: %s needs a value", "--from");
            from_s = v;
        } else if ((r = opt_value(argc, argv, &i, "--to", &v)) != 0) {
            if (r < 0)
                return usage_error("synth: %s needs a value", "--to");
            to_s = v;
        } else if ((r = opt_value(argc, argv, &i, "--tickers", &v)) != 0) {
            if (r < 0)
                return usage_error("synth: %s needs a value", "--tickers");
            tick_s = v;
        } else if (argv[i][0] == '-')
            return usage_error("synth: unknown option '%s'", argv[i]);
        else
            return usage_error("synth: unexpected argument '%s' (use --out PATH)", argv[i]);
    }
    if (!out || !*out)
        return usage_error("%s", "synth: --out PATH is required");

    alc_synth_options o;
    memset(&o, 0, sizeof o);
    o.seed = 42;
    o.first_day = alc_day_from_civil(2019, 1, 2);
    o.last_day = alc_day_from_civil(2025, 12, 31);
    if (seed_s) {
        char *end;
        errno = 0;
        unsigned long long s = strtoull(seed_s, &end, 10);
        if (!*seed_s || *end || errno || seed_s[0] == '-' || seed_s[0] == '+' ||
            seed_s[0] == ' ')
            return usage_error("synth: --seed '%s' is not an unsigned 64-bit integer",
                               seed_s);
        o.seed = (uint64_t)s;
    }
    if ((from_s && parse_day("--from", from_s, &o.first_day)) ||
        (to_s && parse_day("--to", to_s, &o.last_day)))
        return 2;
    if (o.first_day > o.last_day)
        return usage_error("%s", "synth: --from is after --to");

    /* --tickers A,B,C: split a private copy in place. */
    char *tbuf = NULL;
    const char **tl = NULL;
    if (tick_s) {
        size_t len = strlen(tick_s);
        tbuf = malloc(len + 1);
        tl = malloc((len / 2 + 2) * sizeof *tl);
        if (!tbuf || !tl) {
            free(tbuf);
            free(tl);
            fprintf(stderr, "alchemiser data: out of memory\n");
            return 1;
        }
        memcpy(tbuf, tick_s, len + 1);
        int n = 0;
        for (char *p = tbuf;;) {
            char *c = strchr(p, ',');
            if (c)
                *c = '\0';
            tl[n++] = p;
            if (!c)
                break;
            p = c + 1;
        }
        o.tickers = tl;
        o.n_tickers = n;
    }

    alc_error err;
    alc_error_clear(&err);
    alc_market *m = NULL;
    alc_status st = alc_market_synth(&o, &m, &err);
    free(tl);
    free(tbuf);
    if (st != ALC_OK)
        return data_error(&err);
    st = csv ? alc_market_write_csv_dir(m, out, &err) : alc_market_write_h5(m, out, &err);
    int nt = m->n, nb = m->n ? m->series[0].n : 0;
    alc_market_free(m);
    if (st != ALC_OK)
        return data_error(&err);
    printf("wrote %s (%s): %d tickers x %d bars, seed %llu\n", out,
           csv ? "CSV directory" : "HDF5", nt, nb, (unsigned long long)o.seed);
    return 0;
}

static int cmd_info(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return usage_error("info: unknown option '%s'", argv[i]);
        else if (path)
            return usage_error("info: unexpected argument '%s'", argv[i]);
        else
            path = argv[i];
    }
    if (!path)
        return usage_error("%s", "info needs a MARKET (HDF5 file or CSV directory)");
    alc_error err;
    alc_error_clear(&err);
    alc_market *m = NULL;
    if (alc_market_load(path, &m, &err) != ALC_OK)
        return data_error(&err);
    struct stat sb;
    const char *kind = (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) ? "csv" : "hdf5";

    long bars = 0;
    alc_day first = 0, last = alc_market_last_day(m);
    for (int i = 0; i < m->n; i++) {
        const alc_series *s = &m->series[i];
        bars += s->n;
        if (s->n > 0 && (i == 0 || s->day[0] < first))
            first = s->day[0];
    }
    char fd[11], ld[11];
    alc_format_date(first, fd);
    alc_format_date(last, ld);
    int rc = 0;
    if (json) {
        cJSON *root = cJSON_CreateObject();
        cJSON *arr = cJSON_CreateArray();
        int ok = root && arr;
        if (ok) {
            cJSON_AddStringToObject(root, "source", path);
            cJSON_AddStringToObject(root, "format", kind);
            cJSON_AddNumberToObject(root, "tickers", m->n);
            cJSON_AddNumberToObject(root, "bars", (double)bars);
            cJSON_AddStringToObject(root, "first", fd);
            cJSON_AddStringToObject(root, "last", ld);
            cJSON_AddItemToObject(root, "series", arr);
            arr = NULL; /* owned by root now */
            cJSON *series = cJSON_GetObjectItem(root, "series");
            for (int i = 0; i < m->n && ok; i++) {
                const alc_series *s = &m->series[i];
                char a[11], b[11];
                alc_format_date(s->day[0], a);
                alc_format_date(s->day[s->n - 1], b);
                cJSON *o = cJSON_CreateObject();
                ok = o != NULL;
                if (ok) {
                    cJSON_AddStringToObject(o, "ticker", s->ticker);
                    cJSON_AddNumberToObject(o, "bars", s->n);
                    cJSON_AddStringToObject(o, "first", a);
                    cJSON_AddStringToObject(o, "last", b);
                    cJSON_AddItemToArray(series, o);
                }
            }
        }
        char *text = ok ? cJSON_Print(root) : NULL;
        if (text) {
            printf("%s\n", text);
            cJSON_free(text);
        } else {
            fprintf(stderr, "alchemiser data: out of memory\n");
            rc = 1;
        }
        cJSON_Delete(arr);
        cJSON_Delete(root);
    } else {
        printf("market: %s (%s)\n", path, kind);
        printf("tickers: %d, bars: %ld, dates: %s .. %s\n", m->n, bars, fd, ld);
        printf("%-10s %7s  %-10s  %s\n", "TICKER", "BARS", "FIRST", "LAST");
        for (int i = 0; i < m->n; i++) {
            const alc_series *s = &m->series[i];
            char a[11], b[11];
            alc_format_date(s->day[0], a);
            alc_format_date(s->day[s->n - 1], b);
            printf("%-10s %7d  %-10s  %s\n", s->ticker, s->n, a, b);
        }
    }
    alc_market_free(m);
    return rc;
}

int alc_cmd_data(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *sub = argv[1];
    if (is_help(sub) || !strcmp(sub, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(sub, "import"))
        return cmd_import(argc - 1, argv + 1);
    if (!strcmp(sub, "synth"))
        return cmd_synth(argc - 1, argv + 1);
    if (!strcmp(sub, "info"))
        return cmd_info(argc - 1, argv + 1);
    return usage_error("unknown subcommand '%s'", sub);
}
