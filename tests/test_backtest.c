/* Backtest building blocks: trading days, returns and metrics on a
 * hand-made market, and consistency: the allocation of day D in a backtest
 * equals a single evaluation at D, on the conformance strategies. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alc_test.h"
#include "alchemiser/backtest.h"
#include "alchemiser/engine.h"
#include "alchemiser/market.h"

#define SUITE ALC_SOURCE_DIR "/tests/conformance"

/* Two tickers over five trading days (Mon 2024-01-01 .. Fri 2024-01-05). */
static alc_market *tiny_market(void)
{
    static const char *a = "date,open,high,low,close,volume\n"
                           "2024-01-01,100,100,100,100,1\n2024-01-02,110,110,110,110,1\n"
                           "2024-01-03,99,99,99,99,1\n2024-01-04,99,99,99,99,1\n2024-01-05,108.9,108.9,108.9,108.9,1\n";
    static const char *b = "date,open,high,low,close,volume\n"
                           "2024-01-01,50,50,50,50,1\n2024-01-02,50,50,50,50,1\n"
                           "2024-01-04,55,55,55,55,1\n2024-01-05,55,55,55,55,1\n";
    alc_market *m = calloc(1, sizeof *m);
    m->n = 2;
    m->series = calloc(2, sizeof *m->series);
    m->source = strdup("tiny");
    alc_error err;
    CU_ASSERT_FATAL(alc_series_parse_csv("AAA.csv", "AAA", a, strlen(a), &m->series[0], &err) == ALC_OK);
    CU_ASSERT_FATAL(alc_series_parse_csv("BBB.csv", "BBB", b, strlen(b), &m->series[1], &err) == ALC_OK);
    return m;
}

static void test_trading_days(void)
{
    alc_market *m = tiny_market();
    alc_day *days;
    int n;
    alc_error err;
    CU_ASSERT_EQUAL(alc_bt_trading_days(m, alc_day_from_civil(2024, 1, 2), alc_day_from_civil(2024, 1, 31), &days, &n,
                                        &err), ALC_OK);
    CU_ASSERT_EQUAL(n, 4); /* Jan 3 exists for AAA only: still a trading day */
    CU_ASSERT_EQUAL(days[0], alc_day_from_civil(2024, 1, 2));
    CU_ASSERT_EQUAL(days[3], alc_day_from_civil(2024, 1, 5));
    free(days);
    CU_ASSERT_EQUAL(alc_bt_trading_days(m, alc_day_from_civil(2025, 1, 1), alc_day_from_civil(2025, 2, 1), &days, &n,
                                        &err), ALC_ERR_USAGE);
    alc_market_free(m);
}

static void test_returns_and_metrics(void)
{
    alc_market *m = tiny_market();
    alc_day days[5];
    for (int i = 0; i < 5; i++)
        days[i] = alc_day_from_civil(2024, 1, 1 + i);
    /* day 0: all in AAA; day 1: 50/50; day 2: evaluation failed (keep);
     * day 3: all BBB; day 4: all BBB */
    int32_t s0[] = {0}, s1[] = {0, 1}, s3[] = {1};
    double w0[] = {1}, w1[] = {0.5, 0.5}, w3[] = {1};
    alc_bt_day alloc[5] = {{1, s0, w0, 1}, {2, s1, w1, 1}, {0, NULL, NULL, 0}, {1, s3, w3, 1}, {1, s3, w3, 1}};
    double ret[5], eq[5], to[5];
    alc_bt_returns(m, days, 5, alloc, ret, eq, to);
    CU_ASSERT_DOUBLE_EQUAL(ret[0], 0.0, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(ret[1], 0.10, 1e-15);                  /* AAA 100 -> 110 */
    CU_ASSERT_DOUBLE_EQUAL(ret[2], 0.5 * (99.0 / 110 - 1), 1e-15); /* BBB has no bar on Jan 3: 0 */
    CU_ASSERT_DOUBLE_EQUAL(ret[3], 0.5 * 0 + 0.5 * (55.0 / 50 - 1), 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(ret[4], 0.0, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(eq[4], 1.1 * (1 + 0.5 * (99.0 / 110 - 1)) * 1.05, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(to[0], 0.5, 1e-15); /* buying in: |1| / 2 */
    CU_ASSERT_DOUBLE_EQUAL(to[1], 0.5, 1e-15); /* AAA 1 -> .5, BBB 0 -> .5 */
    CU_ASSERT_DOUBLE_EQUAL(to[2], 0.0, 1e-15); /* failed day: holdings kept */
    CU_ASSERT_DOUBLE_EQUAL(to[3], 0.5, 1e-15);
    alc_bt_metrics mt;
    alc_bt_metrics_compute(days, ret, eq, to, 5, &mt);
    CU_ASSERT_DOUBLE_EQUAL(mt.total_return, eq[4] - 1, 1e-15);
    /* the only fall is day 2: from 1.1 to 1.1 * (1 - 0.05) */
    CU_ASSERT_DOUBLE_EQUAL(mt.max_drawdown, 0.05, 1e-12);
    CU_ASSERT_EQUAL(mt.drawdown_peak, days[1]);
    CU_ASSERT_EQUAL(mt.drawdown_trough, days[2]);
    double mean = (ret[1] + ret[2] + ret[3] + ret[4]) / 4, ss = 0;
    for (int t = 1; t < 5; t++)
        ss += (ret[t] - mean) * (ret[t] - mean);
    CU_ASSERT_DOUBLE_EQUAL(mt.volatility, sqrt(ss / 3) * sqrt(252.0), 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(mt.sharpe, mean / sqrt(ss / 3) * sqrt(252.0), 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(mt.turnover, (0.5 + 0.5 + 0 + 0.5 + 0) / 5, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(mt.cagr, pow(eq[4], 365.25 / 4) - 1, 1e-9);
    alc_market_free(m);
}

static int same_allocation(const alc_bt_day *d, const alc_allocation *a, const alc_market *m)
{
    if (d->n != a->n)
        return 0;
    for (int i = 0; i < a->n; i++)
        if (strcmp(m->series[d->series[i]].ticker, a->w[i].ticker) != 0 || d->weight[i] != a->w[i].weight)
            return 0;
    return 1;
}

/* Every conformance strategy over the 10 trading days up to each reference
 * date: the backtest's day D equals an independent engine's evaluation at D
 * (run newest first, so that no cache order can hide a difference).  The
 * reference dates are among them, where test_conformance checks single
 * evaluations against the reference engine. */
static void test_consistency_with_eval(void)
{
    alc_error err;
    alc_market *m = NULL;
    CU_ASSERT_FATAL(alc_market_load_csv_dir(SUITE "/market", &m, &err) == ALC_OK);
    FILE *f = fopen(SUITE "/dates.txt", "r");
    CU_ASSERT_FATAL(f != NULL);
    alc_day ref[12];
    char line[64];
    int nref = 0;
    while (nref < 12 && fgets(line, sizeof line, f))
        CU_ASSERT_FATAL(alc_parse_date(line, 10, &ref[nref++]) == 0);
    fclose(f);
    /* the 10 trading days ending at each reference date */
    alc_day days[120];
    int T = 0;
    for (int r = 0; r < nref; r++) {
        alc_day *d;
        int n;
        CU_ASSERT_FATAL(alc_bt_trading_days(m, ref[r] - 20, ref[r], &d, &n, &err) == ALC_OK);
        for (int k = n - 10; k < n; k++)
            days[T++] = d[k];
        free(d);
    }
    int compared = 0, mismatches = 0, strategies = 0;
    for (int s = 0; s < 160; s++) {
        char path[512];
        snprintf(path, sizeof path, SUITE "/strategies/c%03d.clj", s);
        alc_program *p = NULL;
        CU_ASSERT_FATAL(alc_program_load(path, &p, &err) == ALC_OK);
        alc_engine *bt = NULL, *single = NULL;
        alc_engine_new(m, &bt, &err);
        alc_engine_new(m, &single, &err);
        alc_bt_day out[120];
        int errors;
        CU_ASSERT_FATAL(alc_bt_evaluate_range(bt, m, p, days, T, out, &errors, NULL, &err) == ALC_OK);
        for (int t = T - 1; t >= 0; t--) {
            alc_allocation a = {0};
            alc_status st = alc_engine_eval(single, p, days[t], &a, &err);
            int same = (st == ALC_OK) ? (out[t].ok && same_allocation(&out[t], &a, m)) : !out[t].ok;
            if (!same && mismatches < 5)
                printf("\n  %s day %d differs", path, (int)days[t]);
            mismatches += !same;
            compared++;
            alc_allocation_free(&a);
        }
        for (int t = 0; t < T; t++)
            alc_bt_day_free(&out[t]);
        alc_engine_free(bt);
        alc_engine_free(single);
        alc_program_free(p);
        strategies++;
    }
    printf("\n  backtest vs eval: %d strategy-days compared over %d strategies, %d mismatches\n", compared,
           strategies, mismatches);
    CU_ASSERT_EQUAL(compared, 160 * 120);
    CU_ASSERT_EQUAL(mismatches, 0);
    alc_market_free(m);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    ALC_ADD_SUITE("backtest", {"trading days", test_trading_days},
                  {"returns, turnover and metrics", test_returns_and_metrics},
                  {"backtest day D equals eval at D (conformance strategies)", test_consistency_with_eval});
    return alc_test_run();
}
