/* The acceptance test of the DSL engine: every case that the reference
 * engine computed (tests/conformance, copied from shared/conformance) must
 * come out the same: the same tickers, every weight within 1e-9, and an
 * error wherever the reference erred. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alc_engine_test.h"
#include "alc_test.h"
#include "alchemiser/engine.h"
#include "alchemiser/market.h"

#define SUITE ALC_SOURCE_DIR "/tests/conformance"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        buf[n] = '\0';
    fclose(f);
    return buf;
}

static int compare_case(const cJSON *exp, const alc_allocation *got, alc_status st, const alc_error *err,
                        char *why, size_t size)
{
    const cJSON *eerr = cJSON_GetObjectItemCaseSensitive(exp, "error");
    if (cJSON_IsString(eerr)) {
        if (st == ALC_OK) {
            snprintf(why, size, "expected error '%s', got an allocation", eerr->valuestring);
            return 0;
        }
        return 1;
    }
    if (st != ALC_OK) {
        snprintf(why, size, "unexpected error: %.400s", err->msg);
        return 0;
    }
    const cJSON *alloc = cJSON_GetObjectItemCaseSensitive(exp, "allocation");
    int n = cJSON_GetArraySize(alloc);
    if (n != got->n) {
        snprintf(why, size, "expected %d tickers, got %d", n, got->n);
        return 0;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, alloc)
    {
        int found = 0;
        for (int i = 0; i < got->n; i++) {
            if (strcmp(got->w[i].ticker, item->string) == 0) {
                found = 1;
                if (fabs(got->w[i].weight - item->valuedouble) > 1e-9) {
                    snprintf(why, size, "%s: expected %.17g, got %.17g", item->string, item->valuedouble,
                             got->w[i].weight);
                    return 0;
                }
            }
        }
        if (!found) {
            snprintf(why, size, "missing ticker %s", item->string);
            return 0;
        }
    }
    return 1;
}

static void test_all_cases(void)
{
    alc_error err;
    alc_market *m = NULL;
    CU_ASSERT_FATAL(alc_market_load_csv_dir(SUITE "/market", &m, &err) == ALC_OK);
    alc_engine *e = NULL;
    CU_ASSERT_FATAL(alc_engine_new(m, &e, &err) == ALC_OK);
    char *text = slurp(SUITE "/expected.jsonl");
    CU_ASSERT_FATAL(text != NULL);
    int cases = 0, passed = 0, errors_expected = 0;
    char current[64] = "";
    alc_program *prog = NULL;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *exp = cJSON_Parse(line);
        CU_ASSERT_FATAL(exp != NULL);
        const char *file = cJSON_GetObjectItemCaseSensitive(exp, "strategy")->valuestring;
        const char *date = cJSON_GetObjectItemCaseSensitive(exp, "date")->valuestring;
        if (strcmp(file, current) != 0) {
            alc_program_free(prog);
            char path[512];
            snprintf(path, sizeof path, SUITE "/strategies/%s", file);
            CU_ASSERT_FATAL(alc_program_load(path, &prog, &err) == ALC_OK);
            snprintf(current, sizeof current, "%s", file);
        }
        alc_day day;
        CU_ASSERT_FATAL(alc_parse_date(date, strlen(date), &day) == 0);
        alc_allocation got = {0};
        alc_status st = alc_engine_eval(e, prog, day, &got, &err);
        char why[512] = "";
        int ok = compare_case(exp, &got, st, &err, why, sizeof why);
        if (!ok)
            printf("\n  FAIL %s @ %s: %s", file, date, why);
        passed += ok;
        errors_expected += cJSON_IsString(cJSON_GetObjectItemCaseSensitive(exp, "error"));
        cases++;
        alc_allocation_free(&got);
        cJSON_Delete(exp);
    }
    printf("\n  conformance: %d of %d cases pass (%d expected errors)\n", passed, cases, errors_expected);
    CU_ASSERT_EQUAL(cases, 1920);
    CU_ASSERT_EQUAL(errors_expected, 37);
    CU_ASSERT_EQUAL(passed, cases);
    alc_program_free(prog);
    free(text);
    alc_engine_free(e);
    alc_market_free(m);
}

/* Evaluating the same program twice, and after other programs, gives the
 * same result: no state leaks between top-level evaluations. */
static void test_repeatable(void)
{
    alc_error err;
    alc_market *m = NULL;
    CU_ASSERT_FATAL(alc_market_load_csv_dir(SUITE "/market", &m, &err) == ALC_OK);
    alc_engine *e = NULL;
    CU_ASSERT_FATAL(alc_engine_new(m, &e, &err) == ALC_OK);
    alc_program *a = NULL, *b = NULL;
    CU_ASSERT_FATAL(alc_program_load(SUITE "/strategies/c150.clj", &a, &err) == ALC_OK);
    CU_ASSERT_FATAL(alc_program_load(SUITE "/strategies/c146.clj", &b, &err) == ALC_OK);
    alc_day d;
    alc_parse_date("2023-03-31", 10, &d);
    alc_allocation x = {0}, y = {0}, z = {0};
    CU_ASSERT(alc_engine_eval(e, a, d, &x, &err) == ALC_OK);
    CU_ASSERT(alc_engine_eval(e, b, d, &z, &err) == ALC_OK);
    CU_ASSERT(alc_engine_eval(e, a, d, &y, &err) == ALC_OK);
    CU_ASSERT_EQUAL(x.n, y.n);
    for (int i = 0; i < x.n && i < y.n; i++) {
        CU_ASSERT_STRING_EQUAL(x.w[i].ticker, y.w[i].ticker);
        CU_ASSERT(x.w[i].weight == y.w[i].weight);
    }
    alc_allocation_free(&x);
    alc_allocation_free(&y);
    alc_allocation_free(&z);
    alc_program_free(a);
    alc_program_free(b);
    alc_engine_free(e);
    alc_market_free(m);
}

/* The engine keeps context-free group bodies' values across evaluations
 * (SPEC 7.6 re-evaluates them at the same past days for every as-of date).
 * One warm engine evaluating every strategy at runs of consecutive days,
 * forwards, backwards and repeated, must give exactly what a fresh engine
 * gives for each evaluation alone; and the cache must actually be used. */
static void test_warm_equals_fresh(void)
{
    alc_error err;
    alc_market *m = NULL;
    CU_ASSERT_FATAL(alc_market_load_csv_dir(SUITE "/market", &m, &err) == ALC_OK);
    alc_engine *warm = NULL;
    CU_ASSERT_FATAL(alc_engine_new(m, &warm, &err) == ALC_OK);
    alc_day days[16];
    int nd = 0;
    alc_day end;
    alc_parse_date("2023-03-31", 10, &end);
    for (alc_day d = end - 13; d <= end; d++) /* 10 weekdays, oldest first */
        if (alc_weekday(d) < 5)
            days[nd++] = d;
    alc_parse_date("2020-03-16", 10, &end);
    for (alc_day d = end; nd < 15; d--) /* 5 weekdays, newest first */
        if (alc_weekday(d) < 5)
            days[nd++] = d;
    days[nd++] = days[3];
    int cases = 0, same = 0;
    for (int s = 0; s < 160; s++) {
        char path[512];
        snprintf(path, sizeof path, SUITE "/strategies/c%03d.clj", s);
        alc_program *prog = NULL;
        CU_ASSERT_FATAL(alc_program_load(path, &prog, &err) == ALC_OK);
        for (int k = 0; k < nd; k++) {
            alc_allocation b;
            alc_status sb;
            int ok = alc_test_warm_vs_fresh(warm, m, prog, days[k], &b, &sb);
            CU_ASSERT_FATAL(ok >= 0);
            same += ok;
            cases++;
            alc_allocation_free(&b);
        }
        alc_program_free(prog);
    }
    alc_engine_stats stats;
    alc_engine_get_stats(warm, &stats);
    printf("\n  warm = fresh: %d of %d evaluations, %ld group bodies served from the cache\n", same, cases,
           stats.body_hits);
    CU_ASSERT_EQUAL(same, cases);
    CU_ASSERT(stats.body_hits > 1000);
    alc_engine_free(warm);
    alc_market_free(m);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    ALC_ADD_SUITE("conformance", {"all 1920 reference cases", test_all_cases},
                  {"evaluations are independent", test_repeatable},
                  {"a warm engine gives what a fresh one gives", test_warm_equals_fresh});
    return alc_test_run();
}
