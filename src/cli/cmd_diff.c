/* `alchemiser diff A.h5 B.h5 [--json] [--force]`: the weight changes from
 * session A's consolidated portfolio to session B's, per ticker: what a
 * rebalance from A to B would do (docs/analysis.md).  Exit status: 0 the
 * diff was printed, 1 a snapshot could not be read or is not COMPLETED
 * (without --force), 2 usage error. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alchemiser/json.h"
#include "alchemiser/session_reader.h"
#include "cli/cli_util.h"
#include "cli/commands.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: alchemiser diff A.h5 B.h5 [--json] [--force]\n"
            "\n"
            "  Per ticker: weight in A, weight in B, change B - A (what a rebalance from\n"
            "  A to B would do), largest changes first; tickers only in B are 'added',\n"
            "  only in A 'removed'.  Turnover = sum |change| / 2.\n"
            "  --json   one JSON document instead (shape in docs/analysis.md)\n"
            "  --force  also compare sessions that are not COMPLETED (FAILED, TIMEOUT:\n"
            "           their portfolio table may be empty); a .partial snapshot has no\n"
            "           portfolio and is always refused\n");
}

typedef struct row {
    const char *ticker;
    double a, b, change;
    int in_a, in_b;
} row;

static const char *kind_of(const row *r)
{
    if (!r->in_a)
        return "added";
    if (!r->in_b)
        return "removed";
    return r->change != 0.0 ? "changed" : "unchanged";
}

static int by_ticker(const void *x, const void *y)
{
    return strcmp(((const alc_sr_weight *)x)->ticker, ((const alc_sr_weight *)y)->ticker);
}

/* Largest |change| first, ties by ticker: the orders a rebalance needs. */
static int by_change(const void *x, const void *y)
{
    const row *a = x, *b = y;
    double da = fabs(a->change), db = fabs(b->change);
    if (da != db)
        return da > db ? -1 : 1;
    return strcmp(a->ticker, b->ticker);
}

static int usable(const alc_session_file *f, int force)
{
    if (!f->has_portfolio) {
        fprintf(stderr, "alchemiser diff: %s: no consolidated portfolio (%s, status %s): the "
                        "session has not finished\n",
                f->path, f->partial ? "a .partial snapshot" : "final tables missing", f->status);
        return 0;
    }
    if (strcmp(f->status, "COMPLETED") != 0 && !force) {
        fprintf(stderr, "alchemiser diff: %s: session %s is %s, not COMPLETED (--force compares "
                        "it anyway)\n",
                f->path, f->session_id, f->status);
        return 0;
    }
    return 1;
}

static void json_side(FILE *o, const char *key, const alc_session_file *f, double total)
{
    fprintf(o, "  \"%s\": ", key);
    alc_json_member_str(o, "{", "path", f->path);
    alc_json_member_str(o, ", ", "session_id", f->session_id);
    alc_json_member_str(o, ", ", "as_of", f->as_of);
    alc_json_member_str(o, ", ", "status", f->status);
    alc_json_member_num(o, ", ", "total", total);
    fprintf(o, ", \"n_tickers\": %d},\n", f->n_portfolio);
}

static int diff(const alc_session_file *A, const alc_session_file *B, int json)
{
    size_t na = (size_t)A->n_portfolio, nb = (size_t)B->n_portfolio;
    alc_sr_weight *wa = malloc(sizeof *wa * (na ? na : 1)), *wb = malloc(sizeof *wb * (nb ? nb : 1));
    row *rows = malloc(sizeof *rows * (na + nb ? na + nb : 1));
    if (!wa || !wb || !rows) {
        free(wa);
        free(wb);
        free(rows);
        fprintf(stderr, "alchemiser diff: out of memory\n");
        return 1;
    }
    memcpy(wa, A->portfolio, sizeof *wa * na);
    memcpy(wb, B->portfolio, sizeof *wb * nb);
    qsort(wa, na, sizeof *wa, by_ticker);
    qsort(wb, nb, sizeof *wb, by_ticker);
    size_t i = 0, j = 0, n = 0;
    double ta = 0.0, tb = 0.0, moved = 0.0;
    while (i < na || j < nb) {
        int c = i >= na ? 1 : j >= nb ? -1 : strcmp(wa[i].ticker, wb[j].ticker);
        row r = {0};
        if (c <= 0) {
            r.ticker = wa[i].ticker;
            r.a = wa[i++].weight;
            r.in_a = 1;
        }
        if (c >= 0) {
            r.ticker = wb[j].ticker;
            r.b = wb[j++].weight;
            r.in_b = 1;
        }
        r.change = r.b - r.a;
        rows[n++] = r;
    }
    /* totals in ticker order, like the session's own total */
    for (size_t k = 0; k < n; k++) {
        ta += rows[k].a;
        tb += rows[k].b;
        moved += fabs(rows[k].change);
    }
    double turnover = moved / 2.0;
    qsort(rows, n, sizeof *rows, by_change);
    int counts[4] = {0, 0, 0, 0}; /* added, removed, changed, unchanged */
    for (size_t k = 0; k < n; k++) {
        const char *kd = kind_of(&rows[k]);
        counts[!strcmp(kd, "added") ? 0 : !strcmp(kd, "removed") ? 1 : !strcmp(kd, "changed") ? 2 : 3]++;
    }

    FILE *o = stdout;
    if (json) {
        fputs("{\n", o);
        json_side(o, "a", A, ta);
        json_side(o, "b", B, tb);
        fputs("  \"changes\": [", o);
        for (size_t k = 0; k < n; k++) {
            alc_json_member_str(o, k ? ",\n    {" : "\n    {", "ticker", rows[k].ticker);
            alc_json_member_num(o, ", ", "a", rows[k].a);
            alc_json_member_num(o, ", ", "b", rows[k].b);
            alc_json_member_num(o, ", ", "change", rows[k].change);
            fprintf(o, ", \"kind\": \"%s\"}", kind_of(&rows[k]));
        }
        fputs(n ? "\n  ],\n" : "],\n", o);
        fprintf(o, "  \"added\": %d,\n  \"removed\": %d,\n  \"changed\": %d,\n  \"unchanged\": %d,\n",
                counts[0], counts[1], counts[2], counts[3]);
        alc_json_member_num(o, "  ", "turnover", turnover);
        fputs("\n}\n", o);
    } else {
        fprintf(o, "A  %s  as of %s  %s  (%s)\n", A->session_id, A->as_of, A->status, A->path);
        fprintf(o, "B  %s  as of %s  %s  (%s)\n\n", B->session_id, B->as_of, B->status, B->path);
        fprintf(o, "  %-10s %11s %11s %12s\n", "TICKER", "A", "B", "CHANGE");
        for (size_t k = 0; k < n; k++) {
            const char *kd = kind_of(&rows[k]);
            fprintf(o, "  %-10s %10.6f%% %10.6f%% %+11.6f%%%s%s\n", rows[k].ticker, rows[k].a * 100,
                    rows[k].b * 100, rows[k].change * 100, strcmp(kd, "changed") ? "  " : "",
                    strcmp(kd, "changed") ? kd : "");
        }
        fprintf(o, "  %-10s %10.6f%% %10.6f%%\n\n", "TOTAL", ta * 100, tb * 100);
        fprintf(o, "%zu tickers: %d added, %d removed, %d changed, %d unchanged\n", n, counts[0],
                counts[1], counts[2], counts[3]);
        fprintf(o, "Turnover (one-way, sum |change| / 2): %.6f%%\n", turnover * 100);
    }
    free(wa);
    free(wb);
    free(rows);
    if (fflush(o) != 0 || ferror(o)) {
        fprintf(stderr, "alchemiser diff: cannot write the output\n");
        return 1;
    }
    return 0;
}

int alc_cmd_diff(int argc, char **argv)
{
    const char *paths[2];
    int np = 0, json = 0, force = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (!strcmp(argv[i], "--force")) {
            force = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "alchemiser diff: unknown option '%s'\n\n", argv[i]);
            usage(stderr);
            return 2;
        } else if (np == 2) {
            fprintf(stderr, "alchemiser diff: two snapshots, A and B ('%s' is extra)\n\n", argv[i]);
            usage(stderr);
            return 2;
        } else {
            paths[np++] = argv[i];
        }
    }
    if (np != 2) {
        fprintf(stderr, "alchemiser diff: needs two snapshots, A.h5 and B.h5\n\n");
        usage(stderr);
        return 2;
    }
    alc_session_file *f[2] = {NULL, NULL};
    int rc = 0;
    for (int k = 0; k < 2 && rc == 0; k++) {
        alc_error err;
        alc_error_clear(&err);
        if (alc_session_read(paths[k], &f[k], &err) != ALC_OK) {
            cli_print_error("diff", &err);
            rc = 1;
        } else if (!usable(f[k], force)) {
            rc = 1;
        }
    }
    if (rc == 0)
        rc = diff(f[0], f[1], json);
    alc_session_file_free(f[0]);
    alc_session_file_free(f[1]);
    return rc;
}
