/* gen_strategies - deterministic generator of synthetic strategies (.clj
 * symphonies) for benchmarks and load tests.
 *
 *   gen_strategies --size BYTES [--seed N] [--groups] [--out FILE] [--quiet]
 *       Writes ONE strategy of about BYTES bytes (stdout unless --out).
 *
 *   gen_strategies --job N --dir DIR [--seed N] [--mix real|small|uniform]
 *                  [--size BYTES] [--groups] [--market PATH] [--quiet]
 *       Writes DIR/s00000.clj ... and DIR/job.json (equal allocations).
 *
 * The output only uses the operators of the DSL (docs: shared/dsl/SPEC.md)
 * and the tickers of the synthetic default market, and follows the safety
 * rules that make every strategy evaluate at any as-of date from 2019-06-01
 * on a market with bars since 2019-01-02 (>= ~108 bars):
 *   - every `if` has an else branch; conditions compare indicators with
 *     indicators or number literals (never booleans, so `=` is safe);
 *   - moving-average-price / exponential-moving-average-price windows
 *     <= 100 (they fail when the history is shorter than the window);
 *     moving-average-return / stdev-return windows <= 100 (they fail when
 *     history length == window); other windows <= 200;
 *   - weight-inverse-volatility windows 5..90 and at least one volatile
 *     ticker (or a group wrapping one) among its children;
 *   - weight-specified weights are positive percentages summing to exactly 1
 *     and its branches are never a bare filter;
 *   - a `filter` only appears as an element of a weight-equal vector that
 *     also holds a non-filter element, so a filter that selects nothing is
 *     dropped instead of failing the evaluation; filter conditions never use
 *     current-price (which makes every candidate fail);
 *   - group names are unique per file ("G-<n>"), tickers are upper case;
 *   - nesting depth (SPEC s2) stays <= 240.
 * With --groups, filters over named groups are generated (portfolio mode);
 * their metric is mostly one of the five group metrics with a window <= 30
 * so that the in-process historical group scoring (SPEC s7.6) really runs,
 * and filters over groups nest at most three deep.
 *
 * Deterministic: own PRNG (splitmix64), integer arithmetic only, no
 * dependence on time, locale or addresses; the same arguments give
 * byte-identical output everywhere (clock() only feeds the stderr summary).
 * Only libc is needed. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* mkdir */
#endif

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

/* ------------------------------------------------------------------ PRNG */

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* ------------------------------------------------------------------ universe */

typedef struct ticker_info {
    const char *sym;
    const char *name;
    int calm; /* cash-like: may have (almost) constant prices */
} ticker_info;

static const ticker_info UNIVERSE[] = {
    {"AGG", "iShares Core US Aggregate Bond ETF", 0},
    {"BIL", "SPDR Bloomberg 1-3 Month T-Bill ETF", 1},
    {"BND", "Vanguard Total Bond Market ETF", 0},
    {"BSV", "Vanguard Short-Term Bond ETF", 1},
    {"DBC", "Invesco DB Commodity Index Tracking Fund", 0},
    {"EDC", "Direxion Daily MSCI Emerging Markets Bull 3X", 0},
    {"GLD", "SPDR Gold Shares", 0},
    {"IEF", "iShares 7-10 Year Treasury Bond ETF", 0},
    {"KMLM", "KFA Mount Lucas Managed Futures Index Strategy ETF", 0},
    {"PSQ", "ProShares Short QQQ", 0},
    {"QLD", "ProShares Ultra QQQ", 0},
    {"QQQ", "Invesco QQQ Trust", 0},
    {"SH", "ProShares Short S&P500", 0},
    {"SHY", "iShares 1-3 Year Treasury Bond ETF", 1},
    {"SLV", "iShares Silver Trust", 0},
    {"SOXL", "Direxion Daily Semiconductor Bull 3x", 0},
    {"SOXS", "Direxion Daily Semiconductor Bear 3x", 0},
    {"SPXL", "Direxion Daily S&P 500 Bull 3X", 0},
    {"SPXU", "ProShares UltraPro Short S&P500", 0},
    {"SPY", "SPDR S&P 500 ETF Trust", 0},
    {"SQQQ", "ProShares UltraPro Short QQQ", 0},
    {"SVXY", "ProShares Short VIX Short-Term Futures ETF", 0},
    {"TECL", "Direxion Daily Technology Bull 3x", 0},
    {"TECS", "Direxion Daily Technology Bear 3x", 0},
    {"TLT", "iShares 20+ Year Treasury Bond ETF", 0},
    {"TMF", "Direxion Daily 20+ Yr Treasury Bull 3X", 0},
    {"TMV", "Direxion Daily 20+ Yr Treasury Bear 3X", 0},
    {"TQQQ", "ProShares UltraPro QQQ", 0},
    {"UGL", "ProShares Ultra Gold", 0},
    {"UPRO", "ProShares UltraPro S&P500", 0},
    {"UUP", "Invesco DB US Dollar Index Bullish Fund", 0},
    {"UVXY", "ProShares Ultra VIX Short-Term Futures ETF", 0},
    {"VIXM", "ProShares VIX Mid-Term Futures ETF", 0},
    {"XLE", "Energy Select Sector SPDR", 0},
    {"XLF", "Financial Select Sector SPDR", 0},
    {"XLK", "Technology Select Sector SPDR", 0},
    {"XLP", "Consumer Staples Select Sector SPDR", 0},
    {"XLU", "Utilities Select Sector SPDR", 0},
    {"XLV", "Health Care Select Sector SPDR", 0},
    {"IWM", "iShares Russell 2000 ETF", 0},
    {"TNA", "Direxion Daily Small Cap Bull 3x", 0},
    {"TZA", "Direxion Daily Small Cap Bear 3x", 0},
    {"SOXX", "iShares Semiconductor ETF", 0},
    {"SMH", "VanEck Semiconductor ETF", 0},
    {"XLY", "Consumer Discretionary Select Sector SPDR", 0},
    {"XLI", "Industrial Select Sector SPDR", 0},
    {"EEM", "iShares MSCI Emerging Markets ETF", 0},
    {"EFA", "iShares MSCI EAFE ETF", 0},
    {"VNQ", "Vanguard Real Estate ETF", 0},
    {"GDX", "VanEck Gold Miners ETF", 0},
};
#define N_UNIVERSE ((int)(sizeof UNIVERSE / sizeof UNIVERSE[0]))

/* Indicators. */
enum {
    IND_RSI,
    IND_SMA,     /* moving-average-price */
    IND_MAR,     /* moving-average-return */
    IND_CUMRET,  /* cumulative-return */
    IND_EMA,     /* exponential-moving-average-price */
    IND_STDRET,  /* stdev-return */
    IND_STDPX,   /* stdev-price */
    IND_MDD,     /* max-drawdown */
    IND_PPO,     /* percentage-price-oscillator */
    IND_PPOSIG,  /* percentage-price-oscillator-signal */
    IND_COUNT
};

static const char *const IND_NAME[IND_COUNT] = {
    "rsi", "moving-average-price", "moving-average-return", "cumulative-return",
    "exponential-moving-average-price", "stdev-return", "stdev-price", "max-drawdown",
    "percentage-price-oscillator", "percentage-price-oscillator-signal",
};

/* Safe windows per indicator (see the header comment). */
static const int W_RSI[] = {5, 7, 10, 10, 10, 11, 14, 14, 15, 20, 21, 30, 60};
static const int W_PRICE_AVG[] = {5, 8, 10, 12, 15, 20, 20, 21, 26, 30, 40, 50, 60, 75, 100};
static const int W_RET_AVG[] = {2, 3, 5, 6, 10, 14, 15, 20, 21, 30, 45, 60, 90, 100};
static const int W_CUMRET[] = {1, 2, 5, 10, 15, 20, 30, 60, 90, 120, 150, 200};
static const int W_STDPX[] = {2, 5, 10, 14, 20, 30, 50, 100, 200};
static const int W_MDD[] = {3, 5, 10, 20, 30, 60, 90, 120, 200};
static const int W_GROUP[] = {2, 3, 5, 7, 10, 10, 14, 15, 20, 21, 25, 30};
static const int W_INVVOL[] = {5, 10, 14, 15, 20, 21, 30, 45, 60, 90};
#define COUNT_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ------------------------------------------------------------------ output buffer */

typedef struct gen {
    char *buf;
    size_t len, cap;
    uint64_t rng;
    int groups;          /* generate filters over groups */
    int depth;           /* currently open brackets */
    int max_depth;       /* max open brackets seen = max atom depth (SPEC s2) */
    long nodes;          /* AST nodes: lists/vectors/maps, symbols, strings, numbers */
    int group_counter;   /* next "G-<n>" */
    int gfilter_level;   /* nesting of filters over groups */
    long n_if, n_filter, n_gfilter, n_group;
} gen;

#define DEPTH_NO_COND 180   /* above: no if/filter/weight-specified, only wide nodes */
#define DEPTH_LEAF 232      /* above: leaves only */
#define MAX_GFILTER_LEVEL 3

static void die(const char *msg)
{
    fprintf(stderr, "gen_strategies: %s\n", msg);
    exit(2);
}

static void reserve(gen *g, size_t extra)
{
    if (g->len + extra + 1 <= g->cap)
        return;
    size_t cap = g->cap ? g->cap : 4096;
    while (cap < g->len + extra + 1)
        cap *= 2;
    char *nb = realloc(g->buf, cap);
    if (!nb)
        die("out of memory");
    g->buf = nb;
    g->cap = cap;
}

static void put(gen *g, const char *s)
{
    size_t n = strlen(s);
    reserve(g, n);
    memcpy(g->buf + g->len, s, n);
    g->len += n;
    g->buf[g->len] = '\0';
}

static void putc_(gen *g, char c)
{
    reserve(g, 1);
    g->buf[g->len++] = c;
    g->buf[g->len] = '\0';
}

static long pos(const gen *g) { return (long)g->len; }

static uint64_t rnd(gen *g) { return splitmix64(&g->rng); }

/* Uniform in [0, n). */
static int rnd_below(gen *g, int n)
{
    if (n <= 1)
        return 0;
    return (int)(rnd(g) % (uint64_t)n);
}

/* Uniform in [lo, hi]. */
static int rnd_range(gen *g, int lo, int hi)
{
    if (hi <= lo)
        return lo;
    return lo + rnd_below(g, hi - lo + 1);
}

/* v * permille / 1000 in integers (no floating point in the generator, so
 * the output cannot depend on FP contraction or the platform). */
static long scale(long v, int permille) { return (long)((long long)v * permille / 1000); }

static int chance(gen *g, int percent) { return rnd_below(g, 100) < percent; }

static int pick(gen *g, const int *arr, int n) { return arr[rnd_below(g, n)]; }

/* Syntax emitters (they keep the depth and node counters). */
static void open_(gen *g, char c)
{
    putc_(g, c);
    g->depth++;
    g->nodes++;
    if (g->depth > g->max_depth)
        g->max_depth = g->depth;
}

static void close_(gen *g, char c)
{
    putc_(g, c);
    g->depth--;
}

static void sep(gen *g) { putc_(g, ' '); }

/* Newline plus a little indentation (capped so deep trees stay compact). */
static void nl(gen *g)
{
    int ind = g->depth < 24 ? g->depth : 24;
    reserve(g, (size_t)ind + 1);
    g->buf[g->len++] = '\n';
    for (int i = 0; i < ind; i++)
        g->buf[g->len++] = ' ';
    g->buf[g->len] = '\0';
}

static void sym(gen *g, const char *s)
{
    put(g, s);
    g->nodes++;
}

static void str(gen *g, const char *s)
{
    putc_(g, '"');
    put(g, s);
    putc_(g, '"');
    g->nodes++;
}

static void integer(gen *g, long v)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%ld", v);
    put(g, tmp);
    g->nodes++;
}

/* A decimal number v/100 written with exactly the digits needed ("0.35",
 * "-2.5", "70"); integer arithmetic only, so no locale or rounding issues. */
static void hundredths(gen *g, long v)
{
    char tmp[48];
    long a = v < 0 ? -v : v;
    long ip = a / 100, fp = a % 100;
    if (fp == 0)
        snprintf(tmp, sizeof tmp, "%s%ld", v < 0 ? "-" : "", ip);
    else if (fp % 10 == 0)
        snprintf(tmp, sizeof tmp, "%s%ld.%ld", v < 0 ? "-" : "", ip, fp / 10);
    else
        snprintf(tmp, sizeof tmp, "%s%ld.%02ld", v < 0 ? "-" : "", ip, fp);
    put(g, tmp);
    g->nodes++;
}

/* {:window W} */
static void window_map(gen *g, int w)
{
    open_(g, '{');
    sym(g, ":window");
    sep(g);
    integer(g, w);
    close_(g, '}');
}

/* ------------------------------------------------------------------ pieces */

static int rnd_ticker(gen *g) { return rnd_below(g, N_UNIVERSE); }

static int rnd_volatile_ticker(gen *g)
{
    for (;;) {
        int t = rnd_ticker(g);
        if (!UNIVERSE[t].calm)
            return t;
    }
}

static void asset(gen *g, int t)
{
    open_(g, '(');
    sym(g, "asset");
    sep(g);
    str(g, UNIVERSE[t].sym);
    if (chance(g, 55)) {
        sep(g);
        str(g, UNIVERSE[t].name);
    }
    close_(g, ')');
}

/* The parameter map of an indicator; windows are always safe (see the
 * header comment). */
static void indicator_params(gen *g, int ind)
{
    switch (ind) {
    case IND_RSI: window_map(g, pick(g, W_RSI, COUNT_OF(W_RSI))); break;
    case IND_SMA:
    case IND_EMA: window_map(g, pick(g, W_PRICE_AVG, COUNT_OF(W_PRICE_AVG))); break;
    case IND_MAR:
    case IND_STDRET: window_map(g, pick(g, W_RET_AVG, COUNT_OF(W_RET_AVG))); break;
    case IND_CUMRET: window_map(g, pick(g, W_CUMRET, COUNT_OF(W_CUMRET))); break;
    case IND_STDPX: window_map(g, pick(g, W_STDPX, COUNT_OF(W_STDPX))); break;
    case IND_MDD: window_map(g, pick(g, W_MDD, COUNT_OF(W_MDD))); break;
    case IND_PPO:
    case IND_PPOSIG: {
        static const int SH[] = {3, 5, 8, 10, 12};
        static const int LO[] = {20, 26, 26, 30, 40, 50};
        static const int SM[] = {5, 9, 9, 12};
        open_(g, '{');
        sym(g, ":short-window");
        sep(g);
        integer(g, pick(g, SH, COUNT_OF(SH)));
        sep(g);
        sym(g, ":long-window");
        sep(g);
        integer(g, pick(g, LO, COUNT_OF(LO)));
        if (ind == IND_PPOSIG) {
            sep(g);
            sym(g, ":smooth-window");
            sep(g);
            integer(g, pick(g, SM, COUNT_OF(SM)));
        }
        close_(g, '}');
        break;
    }
    default: break;
    }
}

static void indicator_call(gen *g, int ind, int t)
{
    open_(g, '(');
    sym(g, IND_NAME[ind]);
    sep(g);
    str(g, UNIVERSE[t].sym);
    sep(g);
    indicator_params(g, ind);
    close_(g, ')');
}

static void current_price(gen *g, int t)
{
    open_(g, '(');
    sym(g, "current-price");
    sep(g);
    str(g, UNIVERSE[t].sym);
    close_(g, ')');
}

/* A plausible threshold (in hundredths) for an indicator. */
static long threshold(gen *g, int ind)
{
    switch (ind) {
    case IND_RSI: return 100L * rnd_range(g, 15, 85);
    case IND_MAR: return rnd_range(g, -150, 150);
    case IND_CUMRET: return 10L * rnd_range(g, -200, 200);
    case IND_STDRET: return 100L * rnd_range(g, 3, 80);
    case IND_STDPX: return 10L * rnd_range(g, 1, 150);
    case IND_MDD: return 10L * rnd_range(g, 5, 400);
    case IND_PPO:
    case IND_PPOSIG: return rnd_range(g, -400, 400);
    default: return 100L * rnd_range(g, 10, 400); /* prices */
    }
}

static const char *rnd_cmp(gen *g)
{
    static const char *const OPS[] = {">", ">", ">", "<", "<", "<", ">=", "<="};
    return OPS[rnd_below(g, COUNT_OF(OPS))];
}

/* (OP A B) - an if condition. */
static void condition(gen *g)
{
    int shape = rnd_below(g, 100);
    open_(g, '(');
    if (shape < 4) {
        /* (= (cumulative-return T {:window W}) 0): true while history is
         * shorter than the window (warm-up guard), or (= (rsi ...) 50). */
        sym(g, "=");
        sep(g);
        if (chance(g, 50)) {
            open_(g, '(');
            sym(g, "cumulative-return");
            sep(g);
            str(g, UNIVERSE[rnd_ticker(g)].sym);
            sep(g);
            window_map(g, rnd_range(g, 100, 200));
            close_(g, ')');
            sep(g);
            integer(g, 0);
        } else {
            indicator_call(g, IND_RSI, rnd_ticker(g));
            sep(g);
            integer(g, 50);
        }
    } else if (shape < 24) {
        /* price vs its own moving average */
        int t = rnd_ticker(g);
        sym(g, rnd_cmp(g));
        sep(g);
        current_price(g, t);
        sep(g);
        indicator_call(g, chance(g, 60) ? IND_SMA : IND_EMA, t);
    } else if (shape < 34) {
        /* fast vs slow average of one ticker */
        int t = rnd_ticker(g);
        int ind = chance(g, 50) ? IND_SMA : IND_EMA;
        sym(g, rnd_cmp(g));
        sep(g);
        indicator_call(g, ind, t);
        sep(g);
        indicator_call(g, ind, t);
    } else if (shape < 54) {
        /* same indicator, two tickers */
        static const int IND2[] = {IND_RSI, IND_RSI, IND_MAR, IND_CUMRET, IND_CUMRET, IND_STDRET,
                                   IND_MDD, IND_STDPX, IND_PPO};
        int ind = pick(g, IND2, COUNT_OF(IND2));
        sym(g, rnd_cmp(g));
        sep(g);
        indicator_call(g, ind, rnd_ticker(g));
        sep(g);
        indicator_call(g, ind, rnd_ticker(g));
    } else if (shape < 60) {
        /* PPO against its signal line */
        int t = rnd_ticker(g);
        sym(g, rnd_cmp(g));
        sep(g);
        indicator_call(g, IND_PPO, t);
        sep(g);
        indicator_call(g, IND_PPOSIG, t);
    } else {
        /* indicator vs threshold, RSI most common */
        static const int IND1[] = {IND_RSI, IND_RSI, IND_RSI, IND_RSI, IND_RSI, IND_MAR, IND_CUMRET,
                                   IND_CUMRET, IND_STDRET, IND_STDRET, IND_STDPX, IND_MDD, IND_MDD,
                                   IND_PPO, IND_PPOSIG};
        int ind = pick(g, IND1, COUNT_OF(IND1));
        sym(g, rnd_cmp(g));
        sep(g);
        indicator_call(g, ind, rnd_ticker(g));
        sep(g);
        hundredths(g, threshold(g, ind));
    }
    close_(g, ')');
}

/* ------------------------------------------------------------------ trees */

static void gen_value(gen *g, long budget);

static void leaf(gen *g) { asset(g, rnd_ticker(g)); }

/* Budget left for the rest of a node started at `start`. */
static long left(const gen *g, long start, long budget) { return budget - (pos(g) - start); }

/* [(v)] - one value in a vector, the usual style of if branches and group
 * bodies. */
static void vec1(gen *g, long budget)
{
    open_(g, '[');
    gen_value(g, budget - 2);
    close_(g, ']');
}

static void gen_if(gen *g, long budget)
{
    long start = pos(g);
    g->n_if++;
    open_(g, '(');
    sym(g, "if");
    sep(g);
    condition(g);
    long rest = left(g, start, budget) - 8;
    if (rest < 0)
        rest = 0;
    /* Mostly else-heavy (if/else-if chains), sometimes balanced or then-heavy. */
    int r; /* permille of the rest for the then branch */
    int shape = rnd_below(g, 10);
    if (shape < 6)
        r = 80 + rnd_below(g, 250);
    else if (shape < 9)
        r = 350 + rnd_below(g, 300);
    else
        r = 700 + rnd_below(g, 200);
    long then_b = scale(rest, r);
    nl(g);
    vec1(g, then_b);
    nl(g);
    vec1(g, left(g, start, budget) - 2);
    close_(g, ')');
}

/* The classic overbought/oversold ladder: a chain of ifs whose then
 * branches are small and whose last else gets the rest of the budget. */
static void gen_ladder(gen *g, long budget)
{
    long start = pos(g);
    int room = (DEPTH_NO_COND - g->depth) / 2;
    int n = rnd_range(g, 8, 60);
    if (n > room)
        n = room;
    if (n < 1) {
        gen_if(g, budget);
        return;
    }
    for (int i = 0; i < n; i++) {
        g->n_if++;
        open_(g, '(');
        sym(g, "if");
        sep(g);
        condition(g);
        nl(g);
        long b = left(g, start, budget) / (n - i + 1);
        if (b > 400)
            b = 400;
        vec1(g, b);
        nl(g);
        open_(g, '[');
    }
    gen_value(g, left(g, start, budget) - 3 * n);
    for (int i = 0; i < n; i++) {
        close_(g, ']');
        close_(g, ')');
    }
}

/* (filter (IND {...}) (select-top N) [(asset ..) ...]) over assets. */
static void gen_asset_filter(gen *g, long budget)
{
    static const int FIND[] = {IND_RSI, IND_RSI, IND_RSI, IND_SMA, IND_MAR, IND_MAR, IND_CUMRET,
                               IND_CUMRET, IND_EMA, IND_STDRET, IND_STDRET, IND_STDPX, IND_MDD,
                               IND_MDD, IND_PPO, IND_PPOSIG};
    int k = (int)((budget - 70) / 40);
    if (k < 2)
        k = 2;
    if (k > 8)
        k = 8;
    k = rnd_range(g, 2, k);
    g->n_filter++;
    open_(g, '(');
    sym(g, "filter");
    sep(g);
    int ind = pick(g, FIND, COUNT_OF(FIND));
    open_(g, '(');
    sym(g, IND_NAME[ind]);
    sep(g);
    indicator_params(g, ind);
    close_(g, ')');
    sep(g);
    open_(g, '(');
    sym(g, chance(g, 55) ? "select-top" : "select-bottom");
    sep(g);
    integer(g, rnd_range(g, 1, k < 3 ? k : 3));
    close_(g, ')');
    nl(g);
    open_(g, '[');
    for (int i = 0; i < k; i++) {
        if (i)
            sep(g);
        leaf(g);
    }
    close_(g, ']');
    close_(g, ')');
}

static void group_open(gen *g)
{
    char name[32];
    snprintf(name, sizeof name, "G-%d", g->group_counter++);
    g->n_group++;
    open_(g, '(');
    sym(g, "group");
    sep(g);
    str(g, name);
    nl(g);
}

/* (group "G-n" [BODY]) */
static void gen_group(gen *g, long budget)
{
    long start = pos(g);
    group_open(g);
    vec1(g, left(g, start, budget) - 1);
    close_(g, ')');
}

/* (filter (METRIC {:window W}) (select-top N) [(group ..) ...]) */
static void gen_group_filter(gen *g, long budget)
{
    static const int GIND[] = {IND_MAR, IND_MAR, IND_CUMRET, IND_CUMRET, IND_STDRET, IND_MDD, IND_MDD,
                               IND_RSI, IND_RSI};
    long start = pos(g);
    int k = (int)(budget / 300);
    if (k < 2)
        k = 2;
    if (k > 6)
        k = 6;
    k = rnd_range(g, 2, k);
    g->n_gfilter++;
    g->gfilter_level++;
    open_(g, '(');
    sym(g, "filter");
    sep(g);
    open_(g, '(');
    int shape = rnd_below(g, 100);
    if (shape < 85) {
        /* in-process group scoring (SPEC s7.6) */
        sym(g, IND_NAME[pick(g, GIND, COUNT_OF(GIND))]);
        sep(g);
        window_map(g, pick(g, W_GROUP, COUNT_OF(W_GROUP)));
    } else if (shape < 93) {
        /* window above ~31: per-ticker fallback */
        static const int GI2[] = {IND_MAR, IND_CUMRET, IND_MDD, IND_RSI};
        sym(g, IND_NAME[pick(g, GI2, COUNT_OF(GI2))]);
        sep(g);
        window_map(g, rnd_range(g, 40, 90));
    } else {
        /* metric without group scoring: per-ticker fallback */
        static const int GI3[] = {IND_SMA, IND_EMA, IND_STDPX, IND_PPO};
        int ind = pick(g, GI3, COUNT_OF(GI3));
        sym(g, IND_NAME[ind]);
        sep(g);
        indicator_params(g, ind);
    }
    close_(g, ')');
    sep(g);
    open_(g, '(');
    sym(g, chance(g, 60) ? "select-top" : "select-bottom");
    sep(g);
    integer(g, rnd_range(g, 1, k < 3 ? k - 1 : 2));
    close_(g, ')');
    nl(g);
    open_(g, '[');
    for (int i = 0; i < k; i++) {
        long b = left(g, start, budget) - 4;
        b = b / (k - i);
        if (i)
            nl(g);
        gen_group(g, b);
    }
    close_(g, ']');
    close_(g, ')');
    g->gfilter_level--;
}

/* Is a filter possible here (depth and budget)? */
static int filter_ok(const gen *g, long budget) { return g->depth <= DEPTH_NO_COND && budget >= 120; }

/* (weight-equal [c1 c2 ...]); filters only appear here, always next to a
 * non-filter sibling. */
static void gen_weight_equal(gen *g, long budget, int allow_filters)
{
    long start = pos(g);
    int k;
    if (g->depth > DEPTH_NO_COND)
        k = (int)(budget / 400) + 2; /* wide and shallow near the depth limit */
    else if (chance(g, 60))
        k = rnd_range(g, 1, 3);
    else
        k = rnd_range(g, 2, 6);
    if (k > 64)
        k = 64;
    if (budget < 200 && k > 3)
        k = 3;
    open_(g, '(');
    sym(g, "weight-equal");
    sep(g);
    open_(g, '[');
    int non_filter = 0;
    for (int i = 0; i < k; i++) {
        long b = (left(g, start, budget) - 4) / (k - i);
        if (k > 1 && i < k - 1)
            b = scale(b, 600 + rnd_below(g, 800));
        if (i)
            nl(g);
        if (allow_filters && filter_ok(g, b) && chance(g, g->groups ? 35 : 30)) {
            if (g->groups && g->gfilter_level < MAX_GFILTER_LEVEL && b >= 400 && chance(g, 70))
                gen_group_filter(g, b);
            else
                gen_asset_filter(g, b);
        } else {
            gen_value(g, b);
            non_filter++;
        }
    }
    if (!non_filter) {
        /* keep the vector non-empty even if every filter selects nothing */
        sep(g);
        asset(g, rnd_ticker(g));
    }
    close_(g, ']');
    close_(g, ')');
}

/* (weight-specified 0.6 A 0.4 B ...) with percentages summing to 100. */
static void gen_weight_specified(gen *g, long budget)
{
    long start = pos(g);
    int k = rnd_range(g, 2, budget > 600 ? 4 : 2);
    int pct[4];
    int rest = 100 - 5 * k;
    for (int i = 0; i < k; i++)
        pct[i] = 5;
    while (rest > 0) {
        int i = rnd_below(g, k);
        int step = rest < 5 ? rest : rnd_range(g, 1, rest < 25 ? rest : 25);
        pct[i] += step;
        rest -= step;
    }
    open_(g, '(');
    sym(g, "weight-specified");
    for (int i = 0; i < k; i++) {
        long b = (left(g, start, budget) - 8) / (k - i);
        nl(g);
        hundredths(g, pct[i]);
        sep(g);
        gen_value(g, b);
    }
    close_(g, ')');
}

/* (weight-inverse-volatility W [...]) - flat over assets, or (with --groups)
 * grouped over groups; always with a volatile member. */
static void gen_inverse_vol(gen *g, long budget)
{
    long start = pos(g);
    open_(g, '(');
    sym(g, "weight-inverse-volatility");
    sep(g);
    integer(g, pick(g, W_INVVOL, COUNT_OF(W_INVVOL)));
    sep(g);
    open_(g, '[');
    if (g->groups && budget >= 800 && chance(g, 50)) {
        int k = rnd_range(g, 2, budget > 3000 ? 5 : 3);
        for (int i = 0; i < k; i++) {
            long b = (left(g, start, budget) - 4) / (k - i);
            if (i)
                nl(g);
            if (i == 0) {
                /* a group holding a volatile ticker keeps the volatility defined */
                group_open(g);
                open_(g, '[');
                asset(g, rnd_volatile_ticker(g));
                close_(g, ']');
                close_(g, ')');
            } else {
                gen_group(g, b);
            }
        }
    } else {
        int k = (int)((budget - 40) / 35);
        if (k < 2)
            k = 2;
        if (k > 6)
            k = 6;
        k = rnd_range(g, 2, k);
        for (int i = 0; i < k; i++) {
            if (i)
                sep(g);
            asset(g, i == 0 ? rnd_volatile_ticker(g) : rnd_ticker(g));
        }
    }
    close_(g, ']');
    close_(g, ')');
}

/* One value expression (evaluates to a ticker or a non-empty fragment) of
 * about `budget` bytes. */
static void gen_value(gen *g, long budget)
{
    if (g->depth >= DEPTH_LEAF || budget < 70) {
        leaf(g);
        return;
    }
    if (g->depth > DEPTH_NO_COND) {
        if (budget < 150)
            leaf(g);
        else
            gen_weight_equal(g, budget, 0);
        return;
    }
    if (budget < 250) {
        int c = rnd_below(g, 10);
        if (c < 4)
            leaf(g);
        else if (c < 6)
            gen_weight_equal(g, budget, 1);
        else if (c < 7)
            gen_weight_specified(g, budget);
        else if (c < 8)
            gen_inverse_vol(g, budget);
        else
            gen_if(g, budget);
        return;
    }
    int c = rnd_below(g, 100);
    if (c < 3 && budget > 4000)
        gen_ladder(g, budget);
    else if (c < 50)
        gen_if(g, budget);
    else if (c < 72)
        gen_weight_equal(g, budget, 1);
    else if (c < 82)
        gen_weight_specified(g, budget);
    else if (c < 88 && budget < 6000)
        gen_inverse_vol(g, budget);
    else if (c < 94 && g->groups)
        gen_group(g, budget);
    else
        gen_if(g, budget);
}

/* One whole strategy of about `target` bytes into g->buf. */
static void gen_strategy(gen *g, long target, const char *name)
{
    long start = pos(g);
    open_(g, '(');
    sym(g, "defsymphony");
    nl(g);
    str(g, name);
    nl(g);
    open_(g, '{');
    sym(g, ":asset-class");
    sep(g);
    str(g, "EQUITIES");
    sep(g);
    sym(g, ":rebalance-frequency");
    sep(g);
    sym(g, ":daily");
    close_(g, '}');
    nl(g);
    open_(g, '(');
    sym(g, "weight-equal");
    sep(g);
    open_(g, '[');
    const long tail = 6;
    /* top-level children: a few big subtrees, each a fraction of the target;
     * the loop converges on the target because budgets shrink with the rest */
    long chunk_hi = target / 4, chunk_lo = target / 20;
    if (chunk_lo < 1500)
        chunk_lo = 1500;
    if (chunk_hi < chunk_lo)
        chunk_hi = chunk_lo;
    if (chunk_hi > 400000)
        chunk_hi = 400000;
    int n = 0, non_filter = 0;
    for (;;) {
        long rem = target - (pos(g) - start) - tail;
        if (n > 0 && rem < 60)
            break;
        long b;
        if (rem <= 3000)
            b = rem;
        else {
            long c = chunk_lo + (long)(rnd(g) % (uint64_t)(chunk_hi - chunk_lo + 1));
            b = scale(rem, 800);
            if (b > c)
                b = c;
        }
        if (n)
            nl(g);
        if (n == 0 && g->groups && rem >= 600) {
            /* with --groups, lead with a filter over groups; a non-filter
             * sibling always follows because 30% of the budget is left */
            if (b > rem * 7 / 10)
                b = rem * 7 / 10;
            gen_group_filter(g, b);
        } else {
            gen_value(g, b);
            non_filter++;
        }
        n++;
    }
    if (!non_filter) {
        sep(g);
        asset(g, rnd_volatile_ticker(g));
    }
    close_(g, ']');
    close_(g, ')');
    close_(g, ')');
    putc_(g, '\n');
}

static void gen_reset(gen *g, uint64_t seed, int groups)
{
    free(g->buf);
    memset(g, 0, sizeof *g);
    g->rng = seed;
    g->groups = groups;
}

/* ------------------------------------------------------------------ files */

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "gen_strategies: cannot open %s: %s\n", path, strerror(errno));
        exit(1);
    }
    if (fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "gen_strategies: cannot write %s\n", path);
        exit(1);
    }
}

/* mkdir -p */
static int make_dirs(const char *dir)
{
    size_t n = strlen(dir);
    char *p = malloc(n + 1);
    if (!p)
        die("out of memory");
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] == '/' || p[i] == '\0') {
            char c = p[i];
            p[i] = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                free(p);
                return -1;
            }
            p[i] = c;
        }
    }
    free(p);
    return 0;
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* Equal allocations 1/n; the last one is the remainder 1 - s, where s is
 * the sum of the others accumulated in file order (the order a consumer
 * adds them).  For n >= 2, s lies in [0.5, 1), so 1 - s is exact (Sterbenz
 * lemma) and the file-order sum s + (1 - s) is exactly 1.0: no other choice
 * can be closer.  main() re-checks this. */
static void allocations(long n, double *out)
{
    double a = 1.0 / (double)n, s = 0.0;
    for (long i = 0; i + 1 < n; i++) {
        out[i] = a;
        s += a;
    }
    out[n - 1] = 1.0 - s;
}

/* ------------------------------------------------------------------ main */

static void usage(void)
{
    fputs("usage: gen_strategies --size BYTES [--seed N] [--groups] [--out FILE] [--quiet]\n"
          "       gen_strategies --job N --dir DIR [--seed N] [--mix real|small|uniform]\n"
          "                      [--size BYTES] [--groups] [--market PATH] [--quiet]\n"
          "  --size    target size of one strategy (single mode), or of every file with\n"
          "            --mix uniform (default 20000)\n"
          "  --seed    PRNG seed (default 1); output is a pure function of the arguments\n"
          "  --groups  also generate filters over named groups (portfolio mode); in job\n"
          "            mode with --mix real, 30%% of the files use groups even without it\n"
          "  --mix     real: most files 1-20 kB, ~10%% 20-200 kB, ~1%% 1-3 MB;\n"
          "            small: 1-5 kB; uniform: every file about --size bytes\n"
          "  --market  string stored as \"market\" in job.json (default market.h5)\n",
          stderr);
    exit(2);
}

static long parse_long(const char *s, const char *what)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > 2000000000LL) {
        fprintf(stderr, "gen_strategies: bad %s '%s'\n", what, s);
        exit(2);
    }
    return (long)v;
}

static uint64_t parse_u64(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end) {
        fprintf(stderr, "gen_strategies: bad seed '%s'\n", s);
        exit(2);
    }
    return (uint64_t)v;
}

/* Size in [lo, hi], skewed towards lo (u^2), like real strategy sizes
 * within a band; plain arithmetic, no libm. */
static long skewed_size(uint64_t *st, long lo, long hi)
{
    long long u = (long long)(splitmix64(st) % 1000001u); /* u / 1e6 in [0, 1] */
    long long t = (long long)(hi - lo) * u / 1000000 * u / 1000000;
    return lo + (long)t;
}

int main(int argc, char **argv)
{
    long size = -1, job = -1;
    uint64_t seed = 1;
    int groups = 0, quiet = 0;
    const char *out = NULL, *dir = NULL, *mix = "real", *market = "market.h5";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--size") && v)
            size = parse_long(argv[++i], "size");
        else if (!strcmp(a, "--seed") && v)
            seed = parse_u64(argv[++i]);
        else if (!strcmp(a, "--groups"))
            groups = 1;
        else if (!strcmp(a, "--quiet"))
            quiet = 1;
        else if (!strcmp(a, "--out") && v)
            out = argv[++i];
        else if (!strcmp(a, "--job") && v)
            job = parse_long(argv[++i], "job size");
        else if (!strcmp(a, "--dir") && v)
            dir = argv[++i];
        else if (!strcmp(a, "--mix") && v)
            mix = argv[++i];
        else if (!strcmp(a, "--market") && v)
            market = argv[++i];
        else
            usage();
    }
    gen g;
    memset(&g, 0, sizeof g);
    clock_t t0 = clock();

    if (job < 0) {
        if (size < 0 || dir)
            usage();
        if (size < 300)
            size = 300;
        char name[96];
        snprintf(name, sizeof name, "Generated %ld B seed %llu%s", size, (unsigned long long)seed,
                 groups ? " groups" : "");
        gen_reset(&g, seed, groups);
        gen_strategy(&g, size, name);
        if (out)
            write_file(out, g.buf, g.len);
        else if (fwrite(g.buf, 1, g.len, stdout) != g.len)
            die("cannot write stdout");
        if (!quiet)
            fprintf(stderr,
                    "gen_strategies: %zu bytes (target %ld), %ld nodes, max depth %d, %ld if, "
                    "%ld asset filters, %ld group filters, %ld groups, %.3f s\n",
                    g.len, size, g.nodes, g.max_depth, g.n_if, g.n_filter, g.n_gfilter, g.n_group,
                    (double)(clock() - t0) / CLOCKS_PER_SEC);
        free(g.buf);
        return 0;
    }

    if (!dir || job < 1)
        usage();
    int m_real = !strcmp(mix, "real"), m_small = !strcmp(mix, "small"), m_uni = !strcmp(mix, "uniform");
    if (!m_real && !m_small && !m_uni)
        usage();
    if (size < 0)
        size = 20000;
    if (size < 300)
        size = 300;
    if (make_dirs(dir) != 0) {
        fprintf(stderr, "gen_strategies: cannot create %s: %s\n", dir, strerror(errno));
        return 1;
    }
    double *alloc = malloc((size_t)job * sizeof *alloc);
    if (!alloc)
        die("out of memory");
    allocations(job, alloc);
    {
        double sum = 0.0;
        for (long i = 0; i < job; i++)
            sum += alloc[i];
        if (sum != 1.0)
            fprintf(stderr, "gen_strategies: warning: allocations sum to %.17g\n", sum);
    }
    size_t plen = strlen(dir) + 32;
    char *path = malloc(plen);
    if (!path)
        die("out of memory");
    unsigned long long total = 0;
    long n_groups_files = 0;
    for (long i = 0; i < job; i++) {
        /* independent stream per file: file i does not depend on N */
        uint64_t st = seed ^ (UINT64_C(0xD1B54A32D192ED03) * (uint64_t)(i + 1));
        splitmix64(&st);
        long sz;
        int fg = groups;
        if (m_real) {
            uint64_t u = splitmix64(&st) % 1000;
            if (u < 10)
                sz = skewed_size(&st, 1000000, 3000000);
            else if (u < 110)
                sz = skewed_size(&st, 20000, 200000);
            else
                sz = skewed_size(&st, 1000, 20000);
            if (!fg)
                fg = splitmix64(&st) % 100 < 30;
        } else if (m_small) {
            sz = 1000 + (long)(splitmix64(&st) % 4001);
        } else {
            sz = size;
        }
        n_groups_files += fg;
        char name[64];
        snprintf(name, sizeof name, "Generated s%05ld", i);
        gen_reset(&g, splitmix64(&st), fg);
        gen_strategy(&g, sz, name);
        snprintf(path, plen, "%s/s%05ld.clj", dir, i);
        write_file(path, g.buf, g.len);
        total += g.len;
    }
    snprintf(path, plen, "%s/job.json", dir);
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "gen_strategies: cannot open %s: %s\n", path, strerror(errno));
        return 1;
    }
    fputs("{\"strategies\":[\n", f);
    for (long i = 0; i < job; i++)
        fprintf(f, "  {\"file\":\"s%05ld.clj\",\"allocation\":%.17g}%s\n", i, alloc[i], i + 1 < job ? "," : "");
    fputs("],\n\"market\":", f);
    json_string(f, market);
    fputs(",\n\"as_of\":null,\n\"batch_size\":10}\n", f);
    if (fclose(f) != 0) {
        fprintf(stderr, "gen_strategies: cannot write %s\n", path);
        return 1;
    }
    if (!quiet)
        fprintf(stderr, "gen_strategies: %ld files (%ld with groups), %llu bytes in %s, %.3f s\n", job,
                n_groups_files, total, dir, (double)(clock() - t0) / CLOCKS_PER_SEC);
    free(path);
    free(alloc);
    free(g.buf);
    return 0;
}
