/* Evaluation semantics on a small hand-made market: weight composition
 * (SPEC 5.6-5.8, 8), control flow, filters, the final allocation checks
 * (SPEC 4), and error locations. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alc_engine_test.h"
#include "alc_test.h"
#include "alchemiser/engine.h"
#include "alchemiser/market.h"

static alc_market *market;
static alc_engine *engine;
static alc_day as_of;
static char dir[] = "/tmp/alc_test_eval_XXXXXX";

/* Tickers with simple, known shapes over 300 weekdays from 2020-01-01:
 * UP rises 1/day, DOWN falls, FLAT is constant, WAVE oscillates, and
 * SPY/QQQ/AAA/BBB/CCC are gentle trends with different slopes. */
static double price(const char *t, int i)
{
    if (!strcmp(t, "UP")) return 100 + i;
    if (!strcmp(t, "DOWN")) return 400 - i;
    if (!strcmp(t, "FLAT")) return 50;
    if (!strcmp(t, "WAVE")) return 100 + 10 * sin(i / 3.0);
    if (!strcmp(t, "SPY")) return 300 + 0.5 * i + 3 * sin(i / 5.0);
    if (!strcmp(t, "QQQ")) return 200 + 0.8 * i + 5 * sin(i / 4.0);
    if (!strcmp(t, "AAA")) return 10 + 0.01 * i + sin(i / 2.0) * 0.3;
    if (!strcmp(t, "BBB")) return 20 + 0.02 * i + sin(i / 3.0) * 0.9;
    return 30 + 0.03 * i + sin(i / 7.0) * 2.0;
}

static int setup(void)
{
    if (!mkdtemp(dir))
        return 1;
    const char *tickers[] = {"UP", "DOWN", "FLAT", "WAVE", "SPY", "QQQ", "AAA", "BBB", "CCC"};
    alc_day d0 = alc_day_from_civil(2020, 1, 1);
    for (size_t k = 0; k < sizeof tickers / sizeof tickers[0]; k++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s.csv", dir, tickers[k]);
        FILE *f = fopen(path, "w");
        if (!f)
            return 1;
        fprintf(f, "date,open,high,low,close,volume\n");
        int i = 0;
        for (alc_day d = d0; i < 300; d++) {
            if (alc_weekday(d) >= 5)
                continue;
            char ds[11];
            alc_format_date(d, ds);
            double p = price(tickers[k], i);
            fprintf(f, "%s,%.4f,%.4f,%.4f,%.4f,1000\n", ds, p, p, p, p);
            as_of = d;
            i++;
        }
        fclose(f);
    }
    alc_error err;
    if (alc_market_load_csv_dir(dir, &market, &err) != ALC_OK)
        return 1;
    return alc_engine_new(market, &engine, &err) != ALC_OK;
}

static int teardown(void)
{
    alc_engine_free(engine);
    alc_market_free(market);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) != 0;
}

/* Evaluate source; returns the status, fills alloc and err. */
static alc_status run(const char *src, alc_allocation *alloc, alc_error *err)
{
    alc_program *p = NULL;
    alc_status st = alc_program_parse("e.clj", src, strlen(src), &p, err);
    if (st == ALC_OK)
        st = alc_engine_eval(engine, p, as_of, alloc, err);
    alc_program_free(p);
    return st;
}

static double weight_of(const alc_allocation *a, const char *t)
{
    for (int i = 0; i < a->n; i++)
        if (!strcmp(a->w[i].ticker, t))
            return a->w[i].weight;
    return NAN;
}

/* Expect success with exactly the given "T=w" pairs (NULL-terminated). */
static void expect(const char *src, const char *const *pairs)
{
    alc_allocation a = {0};
    alc_error err;
    alc_status st = run(src, &a, &err);
    if (st != ALC_OK)
        printf("\n  %s\n  failed: %s\n", src, err.msg);
    CU_ASSERT_EQUAL_FATAL(st, ALC_OK);
    int n = 0;
    for (; pairs[n]; n++) {
        char t[32];
        double w;
        CU_ASSERT_FATAL(sscanf(pairs[n], "%31[^=]=%lf", t, &w) == 2);
        double got = weight_of(&a, t);
        if (!(fabs(got - w) < 1e-12))
            printf("\n  %s: %s expected %.15g got %.15g\n", src, t, w, got);
        CU_ASSERT(fabs(got - w) < 1e-12);
    }
    CU_ASSERT_EQUAL(a.n, n);
    alc_allocation_free(&a);
}

static void expect_error(const char *src, const char *needle, int line, int col)
{
    alc_allocation a = {0};
    alc_error err;
    alc_status st = run(src, &a, &err);
    CU_ASSERT(st != ALC_OK);
    if (st != ALC_OK && !strstr(err.msg, needle))
        printf("\n  %s: message '%s' lacks '%s'\n", src, err.msg, needle);
    CU_ASSERT(st != ALC_OK && strstr(err.msg, needle) != NULL);
    if (line) {
        CU_ASSERT_EQUAL(err.line, line);
        CU_ASSERT_EQUAL(err.col, col);
    }
    alc_allocation_free(&a);
}

#define P(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_weight_equal(void)
{
    expect("(weight-equal [(asset \"SPY\") (weight-specified 0.6 (asset \"QQQ\") 0.2 (asset \"UP\"))])",
           P("SPY=0.5", "QQQ=0.375", "UP=0.125"));
    expect("(weight-equal [(asset \"SPY\") (asset \"SPY\") (asset \"QQQ\")])", P("SPY=0.6666666666666666", "QQQ=0.3333333333333333"));
    expect("(weight-equal [[(asset \"SPY\") (asset \"QQQ\")] (asset \"UP\")])",
           P("SPY=0.3333333333333333", "QQQ=0.3333333333333333", "UP=0.3333333333333333"));
    /* a vector with a symbol head is a call; empty children are dropped */
    expect("[weight-equal [(asset \"SPY\") (filter (rsi {:window 5}) (select-top 0) [(asset \"UP\")])]]",
           P("SPY=1"));
    expect_error("(weight-equal [(filter (rsi {:window 5}) (select-top 0) [(asset \"UP\")])])",
                 "received no assets", 1, 1);
}

static void test_weight_specified(void)
{
    expect("(weight-specified 1 [[(asset \"SPY\") (asset \"QQQ\")] (asset \"UP\")])",
           P("SPY=0.25", "QQQ=0.25", "UP=0.5"));
    /* zero weights are kept; the result is normalised only at the top */
    expect("(weight-specified 0 (asset \"SPY\") 1 (asset \"QQQ\"))", P("SPY=0", "QQQ=1"));
    expect("(weight-specified 0.3 (asset \"SPY\") 0.3 (asset \"QQQ\"))", P("SPY=0.5", "QQQ=0.5"));
    expect_error("(weight-specified 0.5 (asset \"SPY\") 0.5)", "even number", 1, 1);
    expect_error("(weight-specified 1 (filter (rsi {:window 5}) (select-top 0) [(asset \"UP\")]))",
                 "Expected asset symbol or fragment", 1, 21);
    /* negative weights survive until the final check */
    expect_error("(weight-specified 1.5 (asset \"SPY\") -0.5 (asset \"QQQ\"))", "weights must lie in [0, 1]", 0, 0);
}

static void test_inverse_volatility(void)
{
    alc_allocation a = {0};
    alc_error err;
    CU_ASSERT_EQUAL_FATAL(run("(weight-inverse-volatility 20 [(asset \"WAVE\") (asset \"BBB\") (asset \"FLAT\")])",
                              &a, &err), ALC_OK);
    /* FLAT has zero volatility and is skipped; the others share 1 */
    CU_ASSERT_EQUAL(a.n, 2);
    CU_ASSERT(fabs(weight_of(&a, "WAVE") + weight_of(&a, "BBB") - 1.0) < 1e-12);
    CU_ASSERT(weight_of(&a, "WAVE") < weight_of(&a, "BBB")); /* more volatile, less weight */
    alc_allocation_free(&a);
    expect_error("(weight-inverse-volatility 1 [(asset \"SPY\") (asset \"QQQ\")])",
                 "could not compute valid weights for assets: ['SPY', 'QQQ']", 1, 1);
    expect_error("(weight-inverse-volatility 20 [(asset \"SPY\") (asset \"NOPE\")])", "No market data", 0, 0);
}

static void test_control(void)
{
    expect("(if (> (current-price \"UP\") 100) (asset \"SPY\") (asset \"QQQ\"))", P("SPY=1"));
    expect("(if (< (current-price \"UP\") 100) (asset \"SPY\") (asset \"QQQ\"))", P("QQQ=1"));
    /* symbols evaluate to their name: nil is a true string */
    expect("(if nil (asset \"SPY\") (asset \"QQQ\"))", P("SPY=1"));
    /* a ticker compared with a number is 0 */
    expect("(if (> \"SPY\" -1) (asset \"SPY\") (asset \"QQQ\"))", P("SPY=1"));
    expect("(if (= \"a\" \"a\") (asset \"SPY\") (asset \"QQQ\"))", P("SPY=1"));
    expect_error("(if (> 1 2) (asset \"SPY\"))", "no else branch", 1, 1);
    expect_error("(if (= (> 1 2) 0) (asset \"SPY\") (asset \"QQQ\"))", "boolean", 0, 0);
    expect_error("(defsymphony \"x\" {}\n  (weight-equal [(foo \"SPY\")]))", "Unknown DSL function 'foo'", 2, 18);
    expect_error("(ma \"SPY\" {:window 5})", "not supported", 1, 1);
    /* defsymphony evaluates only its body; a top-level string is a ticker */
    expect("(defsymphony \"n\" {:rebalance-frequency :daily} \"spy\")", P("SPY=1"));
    expect_error("[(asset \"SPY\")]", "invalid type", 0, 0);
    expect_error("(weight-equal [(asset \"spy\") (asset \"SPY\")])", "Duplicate symbol", 0, 0);
    /* a map at the top is used as it is, not normalised */
    expect("{\"SPY\" 0.5 :QQQ 0.5}", P("SPY=0.5", "QQQ=0.5"));
    expect_error("{\"SPY\" 0.5 :QQQ 0.2}", "sum to", 0, 0);
}

static void test_indicator_calls(void)
{
    /* {} is an empty list: rsi falls back to 14, others fail */
    expect("(if (> (rsi \"UP\" {}) 99) (asset \"SPY\") (asset \"QQQ\"))", P("SPY=1"));
    expect_error("(if (> (moving-average-price \"UP\" {}) 1) (asset \"SPY\") (asset \"QQQ\"))",
                 "must be a map", 1, 8);
    expect_error("(if (> (moving-average-price \"UP\") 1) (asset \"SPY\") (asset \"QQQ\"))",
                 "requires symbol and parameters", 1, 8);
    expect_error("(if (> (current-price \"ZZZ\") 1) (asset \"SPY\") (asset \"QQQ\"))", "No market data available for ZZZ", 0, 0);
    /* lower-case tickers read the upper-case data; window 10.7 is 10 */
    expect("(if (= (cumulative-return \"up\" {:window 10.7}) (cumulative-return \"UP\" {:window 10})) (asset \"SPY\") (asset \"QQQ\"))",
           P("SPY=1"));
    expect_error("(if (> (moving-average-price \"UP\" {:window 400}) 1) (asset \"SPY\") (asset \"QQQ\"))",
                 "Insufficient data for UP: need 400 bars", 1, 8);
}

static void test_filter_individual(void)
{
    /* top by 10-day cumulative return: UP rises, DOWN falls, FLAT is 0 */
    expect("(filter (cumulative-return {:window 10}) (select-top 1) [(asset \"DOWN\") (asset \"FLAT\") (asset \"UP\")])",
           P("UP=1"));
    expect("(filter (cumulative-return {:window 10}) (select-bottom 2) [(asset \"DOWN\") (asset \"FLAT\") (asset \"UP\")])",
           P("DOWN=0.5", "FLAT=0.5"));
    /* ties broken by ticker ascending in both orders */
    expect("(filter (rsi {:window 10}) (select-top 1) [(asset \"FLAT\") (asset \"FLAT\")])", P("FLAT=1"));
    expect("(filter (stdev-price {:window 10}) (select-bottom 1) [(asset \"UP\") (asset \"FLAT\") (asset \"DOWN\")])",
           P("FLAT=1"));
    expect("(filter (stdev-price {:window 10}) (select-top 1) [(asset \"UP\") (asset \"DOWN\")])", P("DOWN=1"));
    /* negative limit = all; no selector = all, descending */
    expect("(filter (rsi {:window 10}) (select-top -1) [(asset \"UP\") (asset \"DOWN\")])", P("UP=0.5", "DOWN=0.5"));
    expect("(filter (rsi) [(asset \"UP\") (asset \"DOWN\")])", P("UP=0.5", "DOWN=0.5"));
    /* an unrewritten condition fails for every candidate: empty selection */
    expect_error("(filter (current-price) (select-top 1) [(asset \"UP\")])", "empty PortfolioFragment", 0, 0);
    /* missing market data aborts the whole evaluation */
    expect_error("(filter (rsi {:window 10}) (select-top 1) [(asset \"UP\") (asset \"NOPE\")])", "No market data", 0, 0);
}

static void test_filter_groups(void)
{
    /* portfolio mode over groups: the group holding UP has the best recent
     * return history; max-drawdown is negated, so select-top = smallest */
    const char *groups = "[(group \"Rising\" [(weight-equal [(asset \"UP\")])])"
                         " (group \"Falling\" [(weight-equal [(asset \"DOWN\")])])"
                         " (group \"Mixed\" [(weight-specified 0.5 (asset \"UP\") 0.5 (asset \"DOWN\"))])]";
    char src[1024];
    snprintf(src, sizeof src, "(filter (cumulative-return {:window 10}) (select-top 1) %s)", groups);
    expect(src, P("UP=1"));
    snprintf(src, sizeof src, "(filter (moving-average-return {:window 5}) (select-bottom 1) %s)", groups);
    expect(src, P("DOWN=1"));
    snprintf(src, sizeof src, "(filter (max-drawdown {:window 5}) (select-top 1) %s)", groups);
    expect(src, P("UP=1"));
    /* two selected: raw weights / k, duplicates add */
    snprintf(src, sizeof src, "(filter (cumulative-return {:window 10}) (select-top 2) %s)", groups);
    expect(src, P("UP=0.75", "DOWN=0.25"));
    /* a window above ~31 cannot be served by the 45-day history: per-ticker fallback */
    snprintf(src, sizeof src, "(filter (cumulative-return {:window 40}) (select-bottom 1) %s)", groups);
    expect(src, P("DOWN=1"));
}

static char *deep_program(int depth)
{
    /* (weight-equal [(weight-equal [ ... (asset "SPY") ... ])]) */
    size_t cap = (size_t)depth * 40 + 64, o = 0;
    char *s = malloc(cap);
    int lists = 0;
    while (lists + 2 <= depth - 2) {
        o += (size_t)sprintf(s + o, "(weight-equal [");
        lists += 2;
    }
    o += (size_t)sprintf(s + o, "(asset \"SPY\")");
    for (int i = 0; i < lists; i += 2)
        o += (size_t)sprintf(s + o, "])");
    s[o] = '\0';
    return s;
}

static void test_deep_nesting(void)
{
    char *src = deep_program(300);
    expect(src, P("SPY=1"));
    free(src);
}

/* Evaluate src at each of the last `ndays` weekdays of the market, oldest
 * first, then newest first, with one warm engine, and compare every result
 * bit for bit with a fresh engine's.  Returns the warm engine's cache hits
 * and counts the dates whose fresh result differs from the first date's
 * (so that a test can show its strategy really changes over the run). */
static long warm_vs_fresh(const char *src, int ndays, int *changes)
{
    alc_error err;
    alc_program *p = NULL;
    CU_ASSERT_FATAL(alc_program_parse("w.clj", src, strlen(src), &p, &err) == ALC_OK);
    alc_day days[64];
    if (ndays > 32)
        ndays = 32;
    alc_test_weekdays_both_ways(as_of, ndays, days);
    long hits;
    int differs = alc_test_warm_vs_fresh_days(market, p, days, 2 * ndays, changes, &hits);
    CU_ASSERT_EQUAL(differs, 0);
    alc_program_free(p);
    return hits;
}

/* The cache of group bodies across evaluations must not change results in
 * the cases SPEC 7.6 makes context-dependent. */
static void test_body_cache(void)
{
    int changes;
    /* context-free bodies, nested scoring: the cache is used */
    const char *nested = "(filter (cumulative-return {:window 4}) (select-top 1)"
                         " [(group \"A\" [(filter (moving-average-return {:window 3}) (select-bottom 1)"
                         "   [(group \"A1\" [(asset \"WAVE\")]) (group \"A2\" [(asset \"SPY\")])])])"
                         "  (group \"B\" [(filter (stdev-return {:window 5}) (select-top 1)"
                         "   [(group \"B1\" [(asset \"QQQ\")]) (group \"B2\" [(asset \"AAA\")])])])])";
    CU_ASSERT(warm_vs_fresh(nested, 30, &changes) > 100);
    CU_ASSERT(changes > 0);
    /* names shared by groups with different bodies, under bodies that
     * score groups: the memo makes those bodies context-dependent (found
     * by a differential search; it fails if such bodies are cached) */
    const char *shared =
        "(filter (rsi {:window 11}) (select-bottom 1) [(group \"N2\" [(asset \"BBB\")])"
        " (group \"N2\" [(asset \"AAA\")]) (group \"N3\" [(filter (rsi {:window 8}) (select-top 1)"
        " [(group \"N0\" [(filter (stdev-return {:window 8}) (select-top 1) [(group \"N1\""
        " [(filter (max-drawdown {:window 2}) (select-top 1) [(group \"N0\" [(asset \"BBB\")])"
        " (group \"N0\" [(asset \"CCC\")]) (group \"N3\" [(asset \"SPY\")])])]) (group \"N0\" [(asset \"QQQ\")])])])"
        " (group \"N1\" [(filter (moving-average-return {:window 11}) (select-top 1) [(group \"N1\""
        " [(filter (stdev-return {:window 3}) (select-bottom 1) [(group \"N3\" [(asset \"CCC\")])"
        " (group \"N2\" [(asset \"BBB\")])])]) (group \"N2\" [(filter (moving-average-return {:window 2})"
        " (select-bottom 1) [(group \"N3\" [(if (> (current-price \"WAVE\") 104) [(asset \"UP\")]"
        " [(asset \"CCC\")])]) (group \"N1\" [(asset \"FLAT\")])])])])])])])])";
    CU_ASSERT(warm_vs_fresh(shared, 30, &changes) > 100);
    CU_ASSERT(changes > 0);
    /* a nested group that fails on some days: the first evaluation of a
     * failed day skips it, a later memo hit reads {} */
    const char *failing = "(filter (cumulative-return {:window 4}) (select-top 1)"
                          " [(group \"P\" [(filter (moving-average-return {:window 3}) (select-bottom 1)"
                          "   [(group \"F\" [(if (> (rsi \"WAVE\" {:window 5}) 50) [(asset \"UP\")]"
                          "                      [(moving-average-price \"NOPE\" {:window 3})])])"
                          "    (group \"G\" [(asset \"WAVE\")])])])"
                          "  (group \"Q\" [(weight-equal [(asset \"SPY\") (asset \"CCC\")])])])";
    warm_vs_fresh(failing, 30, &changes);
    CU_ASSERT(changes > 0);
    /* a bare non-ticker string looks a body up by name, which sees the
     * registrations that a cache hit skips ("wavy" is registered only at
     * past days, inside P): the engine stops caching for the program */
    const char *by_name =
        "(filter (cumulative-return {:window 3}) (select-top 1)"
        " [(group \"P\" [(if (> (current-price \"WAVE\") 100) [(filter (moving-average-return {:window 3})"
        "   (select-top 1) [(group \"wavy\" [(asset \"UP\")]) (group \"G\" [(asset \"DOWN\")])])]"
        "   [(asset \"SPY\")])])"
        "  \"wavy\" (group \"R\" [(asset \"FLAT\")])])";
    warm_vs_fresh(by_name, 30, &changes);
    CU_ASSERT(changes > 0);
    /* the same, but the lookup by name starts only at later dates, after
     * the cache has served: that evaluation is done again without it */
    const char *late_by_name =
        "(filter (cumulative-return {:window 5}) (select-top 1)"
        " [(group \"P\" [(if (> (current-price \"WAVE\") 100) [(filter (moving-average-return {:window 3})"
        "   (select-top 1) [(group \"wavy\" [(asset \"UP\")]) (group \"G\" [(asset \"DOWN\")])])]"
        "   [(asset \"SPY\")])])"
        "  (if (> (current-price \"SPY\") 435) [\"wavy\"] [(group \"R2\" [(asset \"QQQ\")])])"
        "  (group \"R\" [(asset \"FLAT\")])])";
    CU_ASSERT(warm_vs_fresh(late_by_name, 30, &changes) > 0);
    CU_ASSERT(changes > 0);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite("evaluation", setup, teardown);
    CU_add_test(s, "weight-equal", test_weight_equal);
    CU_add_test(s, "weight-specified", test_weight_specified);
    CU_add_test(s, "weight-inverse-volatility", test_inverse_volatility);
    CU_add_test(s, "control, comparison, top level", test_control);
    CU_add_test(s, "indicator calls", test_indicator_calls);
    CU_add_test(s, "filter over tickers", test_filter_individual);
    CU_add_test(s, "filter over groups", test_filter_groups);
    CU_add_test(s, "300-deep nesting", test_deep_nesting);
    CU_add_test(s, "group bodies cached across evaluations", test_body_cache);
    return alc_test_run();
}
