/* Differential test of the engine's cache of group bodies across
 * evaluations (docs/engine.md, "Group bodies across evaluations"): random
 * strategies built from the shapes that make SPEC 7.6 context-dependent
 * (names shared between groups with different bodies, nested filters over
 * groups, bodies that fail on some days, bare non-ticker strings that look
 * a body up by name, branches that reach them only at some dates) are
 * evaluated at 30 consecutive weekdays, oldest first and then newest
 * first, by one warm engine and by a fresh engine per evaluation; every
 * result must be the same bits.  The generator is seeded, so a failure is
 * reproducible: it prints the strategy.  (At 1,000 strategies this search
 * finds the shared-name and the by-name hazards when their guards are
 * removed; test_eval has one targeted case per guard for every run.) */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alc_engine_test.h"
#include "alc_test.h"
#include "alchemiser/market.h"

#define SUITE ALC_SOURCE_DIR "/tests/conformance"
/* strategies per run: ALC_BODY_CACHE_STRATEGIES, default 200 (ctest); a
 * deeper search: ALC_BODY_CACHE_STRATEGIES=2000 build/tests/test_body_cache */
#define DEFAULT_STRATEGIES 200
#define DAYS 30

static const char *const tickers[] = {"SPY", "QQQ", "TLT", "GLD", "UVXY", "SOXL", "TQQQ", "SQQQ",
                                      "XLE", "XLU", "BIL", "SHY", "TMF", "UUP", "SVXY", "DBC"};
static const char *const metrics[] = {"cumulative-return", "moving-average-return", "stdev-return",
                                      "max-drawdown", "rsi"};
#define COUNT(a) (int)(sizeof(a) / sizeof((a)[0]))

typedef struct gen {
    unsigned long long state;
    char *buf;
    size_t len, cap;
    int names;  /* group names drawn from N0 .. N(names-1), so some repeat; */
    int unique; /* or, when names is 0, all different (U0, U1, ...) */
} gen;

static unsigned pick(gen *g, unsigned n)
{
    g->state = g->state * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)(g->state >> 33) % n;
}

static void out(gen *g, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(g->buf + g->len, g->cap - g->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < g->cap - g->len) {
            g->len += (size_t)n;
            return;
        }
        g->cap *= 2;
        g->buf = realloc(g->buf, g->cap);
        CU_ASSERT_FATAL(g->buf != NULL);
    }
}

static const char *ticker(gen *g) { return tickers[pick(g, COUNT(tickers))]; }

static void leaf(gen *g)
{
    switch (pick(g, 6)) {
    case 0: /* fails on some days: a ticker without data on the other branch */
        out(g, "(if (> (rsi \"%s\" {:window %u}) %u) [(asset \"%s\")] [(moving-average-price \"NOPE\" {:window 3})])",
            ticker(g), 2 + pick(g, 5), 40 + pick(g, 21), ticker(g));
        break;
    case 1:
        out(g, "(weight-equal [(asset \"%s\") (asset \"%s\")])", ticker(g), ticker(g));
        break;
    case 2:
        out(g, "(if (> (current-price \"%s\") (moving-average-price \"%s\" {:window %u})) [(asset \"%s\")] [(asset \"%s\")])",
            "SPY", "SPY", 3 + pick(g, 20), ticker(g), ticker(g));
        break;
    default:
        out(g, "(asset \"%s\")", ticker(g));
    }
}

static void filter(gen *g, int depth);

static void body(gen *g, int depth)
{
    unsigned r = pick(g, 10);
    if (depth <= 0 || r < 3) {
        leaf(g);
    } else if (r < 5) { /* a filter reached only at some dates */
        out(g, "(if (> (current-price \"SPY\") (moving-average-price \"SPY\" {:window %u})) [", 5 + pick(g, 30));
        filter(g, depth - 1);
        out(g, "] [");
        filter(g, depth - 1);
        out(g, "])");
    } else {
        filter(g, depth - 1);
    }
}

static void filter(gen *g, int depth)
{
    out(g, "(filter (%s {:window %u}) (%s 1) [", metrics[pick(g, COUNT(metrics))], 2 + pick(g, 14),
        pick(g, 2) ? "select-top" : "select-bottom");
    int n = 2 + (int)pick(g, 2);
    for (int i = 0; i < n; i++) {
        if (pick(g, 12) == 0) {
            out(g, " \"lower\""); /* bare, not a ticker: looked up by name */
            continue;
        }
        if (pick(g, 12) == 0)
            out(g, " (group \"lower\" [");
        else if (g->names)
            out(g, " (group \"N%u\" [", pick(g, (unsigned)g->names));
        else
            out(g, " (group \"U%d\" [", g->unique++);
        body(g, depth);
        out(g, "])");
    }
    out(g, "])");
}

static void test_random_strategies(void)
{
    alc_error err;
    alc_market *m = NULL;
    CU_ASSERT_FATAL(alc_market_load_csv_dir(SUITE "/market", &m, &err) == ALC_OK);
    alc_day days[2 * DAYS];
    alc_test_weekdays_both_ways(alc_market_last_day(m) - 200, DAYS, days);
    gen g = {.cap = 4096};
    g.buf = malloc(g.cap);
    CU_ASSERT_FATAL(g.buf != NULL);
    int failed = 0, changing = 0, strategies = DEFAULT_STRATEGIES;
    const char *env = getenv("ALC_BODY_CACHE_STRATEGIES");
    if (env && atoi(env) > 0)
        strategies = atoi(env);
    long hits = 0;
    for (int s = 0; s < strategies; s++) {
        g.state = 0x9E3779B97F4A7C15ull * (unsigned long long)(s + 1);
        g.len = 0;
        g.names = s % 2 ? 2 + (int)pick(&g, 4) : 0; /* half with unique names: cacheable bodies */
        g.unique = 0;
        out(&g, "(defsymphony \"random %d\" {} ", s);
        filter(&g, 3);
        out(&g, ")");
        alc_program *p = NULL;
        CU_ASSERT_FATAL(alc_program_parse("random.clj", g.buf, g.len, &p, &err) == ALC_OK);
        int changes;
        long st_hits;
        int differs = alc_test_warm_vs_fresh_days(m, p, days, 2 * DAYS, &changes, &st_hits);
        CU_ASSERT_FATAL(differs >= 0);
        if (differs)
            printf("\n  strategy %d differs at %d evaluations:\n  %s\n", s, differs, g.buf);
        failed += differs > 0;
        changing += changes > 0;
        hits += st_hits;
        alc_program_free(p);
    }
    printf("\n  %d random strategies x %d evaluations: %d differ, %d change over the dates, %ld bodies from the cache\n",
           strategies, 2 * DAYS, failed, changing, hits);
    CU_ASSERT_EQUAL(failed, 0);
    /* the run means something only if results move and the cache serves */
    CU_ASSERT(changing > strategies / 10);
    CU_ASSERT(hits > 1000);
    free(g.buf);
    alc_market_free(m);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    ALC_ADD_SUITE("body cache", {"warm = fresh on random context-dependent strategies", test_random_strategies});
    return alc_test_run();
}
