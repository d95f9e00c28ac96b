/* libFuzzer target: the DSL parser, the static checker and (for programs
 * that pass the checks) one evaluation on a small synthetic market.
 *
 * Contract checked for every input: no crash, no sanitizer report, no
 * leak, and either ALC_OK or an error with a code, a message and (for
 * parse/check errors) a file:line:col inside the input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alchemiser/engine.h"
#include "alchemiser/market.h"
#include "fuzz_common.h"

static alc_market *market;

static void setup(void)
{
    if (market)
        return;
    alc_synth_options opt = {.seed = 7};
    alc_error err;
    alc_error_clear(&err);
    if (alc_parse_date("2024-01-02", 10, &opt.first_day) != 0 ||
        alc_parse_date("2024-12-31", 10, &opt.last_day) != 0 ||
        alc_market_synth(&opt, &market, &err) != ALC_OK)
        FUZZ_ABORT("cannot build the synthetic market: %s", err.msg);
}

static void check_error(const alc_error *err, alc_status st, size_t len)
{
    FUZZ_ASSERT(err->code == st && err->msg[0] != '\0', "error %d without a message", (int)st);
    if (st == ALC_ERR_PARSE || st == ALC_ERR_CHECK || st == ALC_ERR_LIMIT) {
        FUZZ_ASSERT(strcmp(err->file, "fuzz.clj") == 0, "error without the file name: %s", err->msg);
        FUZZ_ASSERT(err->line >= 1 && err->col >= 1, "error without line:col: %s", err->msg);
        FUZZ_ASSERT((size_t)err->line <= len + 1, "line %d beyond the input", err->line);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    alc_program *prog = NULL;
    alc_error err;
    alc_error_clear(&err);
    alc_status st = alc_program_parse("fuzz.clj", (const char *)data, size, &prog, &err);
    if (st != ALC_OK) {
        FUZZ_ASSERT(prog == NULL, "failed parse returned a program");
        check_error(&err, st, size); /* inputs stay below the 10 MiB file limit */
        return 0;
    }
    FUZZ_ASSERT(prog && alc_program_name(prog), "parse succeeded without a program");
    alc_error_clear(&err);
    st = alc_program_check(prog, NULL, &err);
    if (st != ALC_OK)
        check_error(&err, st, size);
    alc_error_clear(&err);
    alc_status st2 = alc_program_check(prog, market, &err);
    if (st2 != ALC_OK)
        check_error(&err, st2, size);
    if (getenv("ALC_FUZZ_VERBOSE"))
        fprintf(stderr, "check %s / with market %s: %s\n", alc_status_name(st),
                alc_status_name(st2), err.msg);
    if (st == ALC_OK && st2 == ALC_OK) {
        alc_engine *e = NULL;
        if (alc_engine_new(market, &e, &err) != ALC_OK)
            FUZZ_ABORT("engine: %s", err.msg);
        /* the last day, and a day with only ~20 bars of history */
        const alc_day days[2] = {alc_market_last_day(market), market->series[0].day[19]};
        for (int i = 0; i < 2; i++) {
            alc_allocation a = {0};
            alc_error_clear(&err);
            st = alc_engine_eval(e, prog, days[i], &a, &err);
            if (st == ALC_OK) {
                double sum = 0;
                for (int k = 0; k < a.n; k++) {
                    FUZZ_ASSERT(a.w[k].ticker && a.w[k].weight == a.w[k].weight, "bad weight");
                    sum += a.w[k].weight;
                }
                (void)sum;
            } else {
                FUZZ_ASSERT(err.msg[0] != '\0', "eval error %d without a message", (int)st);
            }
            alc_allocation_free(&a);
        }
        alc_engine_free(e);
    }
    alc_program_free(prog);
    return 0;
}
