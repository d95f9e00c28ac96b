/* alchemiser eval --market M [--date D1,D2,...] [--json] FILE.clj...
 * One result per (strategy, date); a failing strategy does not stop the
 * others; the exit status says whether all succeeded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alchemiser/engine.h"
#include "alchemiser/json.h"
#include "alchemiser/market.h"
#include "cli/cli_util.h"
#include "cli/commands.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: alchemiser eval --market MARKET [--date D1[,D2,...]] [--json] FILE.clj...\n"
            "  MARKET   an HDF5 market file or a directory of TICKER.csv files\n"
            "  --date   as-of dates (YYYY-MM-DD); default: the market's last date\n"
            "  --json   one JSON line per (strategy, date):\n"
            "           {\"strategy\", \"name\", \"date\", \"allocation\", \"error\", \"eval_ms\"}\n");
}

static void print_json(const char *file, const char *name, const char *date, const alc_allocation *a,
                       const char *error, double ms)
{
    fputs("{\"strategy\": ", stdout);
    alc_json_string(stdout, file);
    fputs(", \"name\": ", stdout);
    alc_json_string(stdout, name);
    printf(", \"date\": \"%s\", \"allocation\": ", date);
    if (error) {
        fputs("null, \"error\": ", stdout);
        alc_json_string(stdout, error);
    } else {
        fputc('{', stdout);
        for (int i = 0; i < a->n; i++) {
            if (i)
                fputs(", ", stdout);
            alc_json_string(stdout, a->w[i].ticker);
            fputs(": ", stdout);
            alc_json_number(stdout, a->w[i].weight);
        }
        fputs("}, \"error\": null", stdout);
    }
    printf(", \"eval_ms\": %.3f}\n", ms);
}

static void print_text(const char *file, const char *date, const alc_allocation *a, const char *error, double ms)
{
    if (error) {
        printf("%s @ %s: ERROR %s\n", file, date, error);
        return;
    }
    printf("%s @ %s (%.3f ms):", file, date, ms);
    for (int i = 0; i < a->n; i++)
        printf(" %s=%.6f", a->w[i].ticker, a->w[i].weight);
    putchar('\n');
}

int alc_cmd_eval(int argc, char **argv)
{
    const char *market_path = NULL, *dates_arg = NULL;
    int json = 0, first_file = argc;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--market") && i + 1 < argc) {
            market_path = argv[++i];
        } else if (!strcmp(argv[i], "--date") && i + 1 < argc) {
            dates_arg = argv[++i];
        } else if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            fprintf(stderr, "alchemiser eval: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        } else {
            first_file = i;
            break;
        }
    }
    if (!market_path || first_file >= argc) {
        usage(stderr);
        return 2;
    }
    alc_error err;
    alc_error_clear(&err);
    alc_market *market = NULL;
    if (alc_market_load(market_path, &market, &err) != ALC_OK) {
        cli_print_error("eval", &err);
        return 1;
    }
    alc_day *days = NULL;
    int ndays;
    if (dates_arg) {
        ndays = cli_parse_dates("eval", dates_arg, &days);
        if (ndays < 0) {
            alc_market_free(market);
            return 2;
        }
    } else {
        ndays = 1;
        days = malloc(sizeof *days);
        if (!days) {
            alc_market_free(market);
            return 1;
        }
        days[0] = alc_market_last_day(market);
    }
    alc_engine *engine = NULL;
    if (alc_engine_new(market, &engine, &err) != ALC_OK) {
        cli_print_error("eval", &err);
        free(days);
        alc_market_free(market);
        return 1;
    }
    int failures = 0;
    for (int f = first_file; f < argc; f++) {
        alc_program *prog = NULL;
        alc_status pst = alc_program_load(argv[f], &prog, &err);
        char msg[2048] = "";
        if (pst != ALC_OK)
            alc_error_format(&err, msg, sizeof msg);
        for (int d = 0; d < ndays; d++) {
            char date[11];
            alc_format_date(days[d], date);
            alc_allocation alloc = {0};
            double ms = 0;
            const char *error = NULL;
            if (pst != ALC_OK) {
                error = msg;
            } else {
                struct timespec t0, t1;
                clock_gettime(CLOCK_MONOTONIC, &t0);
                alc_status st = alc_engine_eval(engine, prog, days[d], &alloc, &err);
                clock_gettime(CLOCK_MONOTONIC, &t1);
                ms = cli_ms_between(&t0, &t1);
                /* a ticker without market data is an error naming it and
                 * the strategy (as in the session's check and the backtest) */
                for (int k = 0; st == ALC_OK && k < alloc.n; k++)
                    if (alc_market_find(market, alloc.w[k].ticker) < 0)
                        st = alc_fail_at(&err, ALC_ERR_MARKET, argv[f], 0, 0,
                                         "ticker %s of the allocation is not in the market",
                                         alloc.w[k].ticker);
                if (st != ALC_OK) {
                    alc_allocation_free(&alloc);
                    alc_error_format(&err, msg, sizeof msg);
                    error = msg;
                }
            }
            failures += error != NULL;
            if (json)
                print_json(argv[f], prog ? alc_program_name(prog) : "", date, &alloc, error, ms);
            else
                print_text(argv[f], date, &alloc, error, ms);
            alc_allocation_free(&alloc);
        }
        alc_program_free(prog);
    }
    alc_engine_free(engine);
    free(days);
    alc_market_free(market);
    return failures ? 1 : 0;
}
