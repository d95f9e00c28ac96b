/* Deterministic synthetic market (alc_market_synth).
 *
 * Model (daily steps, one bar per weekday, no holidays):
 *
 *  - Equity regime: a Markov chain over BULL / BEAR / CRASH.  Each regime
 *    has a drift and a target level for a volatility index (VIX-like).
 *    The volatility index mean-reverts to the regime's target, rises when
 *    equities fall and jumps on entering a crash; the equity factor's daily
 *    standard deviation is the index level / 100 / sqrt(252), so volatility
 *    clusters and spikes in crashes.  Entering a crash also gives a gap
 *    down of about -3.5%.
 *  - Other factors: tech, semiconductors, small caps and emerging markets
 *    (extra equity factors), a bond yield (random walk with a slowly
 *    moving trend, falling in crashes; bonds return carry - duration x
 *    yield change), gold, commodities (partly equity-driven) and the
 *    dollar.
 *  - ETFs on factors: daily return = drift + carry + sum(loading x factor)
 *    + idiosyncratic noise (e.g. QQQ = 1.15 equity + 1.0 tech, XLU =
 *    0.5 equity - 4 x yield change, TLT = carry - 17 x yield change).
 *    Cash-like BIL / SHY / BSV have tiny drift and volatility.  Volatility
 *    products load on the index's daily change: UVXY 1.5x with a daily
 *    decay, SVXY -0.5x, VIXM 0.5x.
 *  - Leveraged / inverse products: close_t = close_{t-1} x (1 + L x r_t)
 *    where r_t is the base's daily close-to-close return computed from the
 *    base's (rounded) published closes, so the relation holds up to the
 *    1e-4 rounding of the product itself (TQQQ = 3x QQQ, SQQQ = -3x, ...,
 *    see the table below).  Open/high/low come from the base's intraday
 *    moves the same way (high and low swap for L < 0).
 *  - Prices are rounded to 4 decimals and floored at 0.01; if the floor is
 *    hit the leveraged relation no longer holds for that day.  Base daily
 *    returns are clamped to [-30%, +30%] (volatility products
 *    [-60%, +200%]) so 3x products stay positive.  open/high/low are
 *    consistent with close (low <= min(open, close), high >= max(...)).
 *    Volume is an integer.
 *  - Tickers not in the built-in universe (when opt->tickers names them)
 *    are generic equities whose beta, noise and start price derive from a
 *    hash of the name.  A ticker's series does not depend on which other
 *    tickers were requested.
 *
 * Determinism: one xoshiro256** stream (seeded by splitmix64) drives the
 * factors and one stream per ticker (seed mixed with a hash of the name)
 * drives its idiosyncratic noise.  Normal variates are Irwin-Hall sums of
 * 12 uniforms, so the price path uses only +, -, *, / and floor/fabs: no
 * libm transcendental whose last bit could differ between C libraries.
 * Floating-point contraction (FMA) must stay off: the top-level
 * CMakeLists passes -ffp-contract=off, and the pragma below covers clang
 * builds outside CMake.
 *
 * Ownership: *out is a heap market; free it with alc_market_free. */
#include "market/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

/* ---- PRNG ------------------------------------------------------------- */

typedef struct rng {
    uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void rng_seed(rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in [0, 1) with 53 random bits (exact). */
static double unif(rng *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Approximately standard normal: Irwin-Hall sum of 12 uniforms. */
static double gauss(rng *r)
{
    double s = 0.0;
    for (int i = 0; i < 12; i++)
        s += unif(r);
    return s - 6.0;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* ---- model ------------------------------------------------------------ */

enum { F_EQ, F_TECH, F_SEMI, F_SMALL, F_EM, F_RATE, F_GOLD, F_COMM, F_USD, F_VIX, NFACT };

typedef struct spec {
    const char *ticker;
    const char *base; /* non-NULL: leveraged/inverse product of base */
    double lev;       /* leverage on the base's daily return */
    double start;     /* close of the (virtual) day before the first bar */
    double vol0;      /* typical daily volume */
    double drift;     /* daily drift */
    double carry;     /* multiple of the bond yield earned per day (/252) */
    double idio;      /* daily idiosyncratic standard deviation */
    double b[NFACT];  /* factor loadings (F_RATE: minus the duration) */
} spec;

/* The built-in universe (50 tickers). */
static const spec universe[] = {
    /* equity indices and sectors */
    {"SPY", NULL, 0, 154.0, 8e6, 0.0000, 0, 0.0010, {[F_EQ] = 1.0}},
    {"QQQ", NULL, 0, 186.0, 5e6, 0.0000, 0, 0.0020, {[F_EQ] = 1.15, [F_TECH] = 1.0}},
    {"IWM", NULL, 0, 150.0, 3e6, -0.0001, 0, 0.0020, {[F_EQ] = 1.15, [F_SMALL] = 1.0}},
    {"XLK", NULL, 0, 65.0, 2e6, 0.0000, 0, 0.0030, {[F_EQ] = 1.15, [F_TECH] = 1.2}},
    {"SOXX", NULL, 0, 180.0, 1e6, 0.0000, 0, 0.0040,
     {[F_EQ] = 1.4, [F_TECH] = 1.0, [F_SEMI] = 1.0}},
    {"SMH", NULL, 0, 90.0, 1e6, 0.0000, 0, 0.0040,
     {[F_EQ] = 1.4, [F_TECH] = 1.0, [F_SEMI] = 0.95}},
    {"XLF", NULL, 0, 25.0, 3e6, 0.0000, 0, 0.0070, {[F_EQ] = 1.1, [F_RATE] = 2.0}},
    {"XLV", NULL, 0, 85.0, 1e6, 0.0001, 0, 0.0060, {[F_EQ] = 0.7}},
    {"XLP", NULL, 0, 50.0, 1e6, 0.0001, 0, 0.0050, {[F_EQ] = 0.55}},
    {"XLU", NULL, 0, 52.0, 1e6, 0.0001, 0, 0.0070, {[F_EQ] = 0.5, [F_RATE] = -4.0}},
    {"XLY", NULL, 0, 100.0, 1e6, 0.0000, 0, 0.0060, {[F_EQ] = 1.1, [F_TECH] = 0.3}},
    {"XLI", NULL, 0, 65.0, 1e6, 0.0000, 0, 0.0060, {[F_EQ] = 1.0, [F_COMM] = 0.2}},
    {"XLE", NULL, 0, 58.0, 2e6, 0.0000, 0, 0.0100, {[F_EQ] = 0.5, [F_COMM] = 0.9}},
    {"EEM", NULL, 0, 40.0, 4e6, -0.0001, 0, 0.0020,
     {[F_EQ] = 0.9, [F_EM] = 1.0, [F_USD] = -0.5}},
    {"EFA", NULL, 0, 60.0, 3e6, 0.0000, 0, 0.0040, {[F_EQ] = 0.85, [F_USD] = -0.3}},
    {"VNQ", NULL, 0, 80.0, 1e6, 0.0000, 0, 0.0080, {[F_EQ] = 0.9, [F_RATE] = -5.0}},
    /* bonds and cash (carry = yield / 252 per day) */
    {"BIL", NULL, 0, 71.0, 2e6, 0.0000, 0.9, 0.00002, {0}},
    {"SHY", NULL, 0, 20.2, 1e6, 0.0000, 1.0, 0.0003, {[F_RATE] = -1.9}},
    {"BSV", NULL, 0, 190.0, 1e6, 0.0000, 1.0, 0.0004, {[F_RATE] = -2.6}},
    {"IEF", NULL, 0, 163.0, 1e6, 0.0000, 1.0, 0.0005, {[F_RATE] = -7.5}},
    {"AGG", NULL, 0, 180.0, 2e6, 0.0000, 1.0, 0.0008, {[F_EQ] = 0.03, [F_RATE] = -6.0}},
    {"BND", NULL, 0, 42.0, 2e6, 0.0000, 1.0, 0.0008, {[F_EQ] = 0.03, [F_RATE] = -6.0}},
    {"TLT", NULL, 0, 150.0, 2e6, 0.0000, 1.0, 0.0010, {[F_RATE] = -17.0}},
    /* gold, commodities, dollar, managed futures */
    {"GLD", NULL, 0, 28.7, 2e6, 0.0000, 0, 0.0015, {[F_GOLD] = 1.0}},
    {"SLV", NULL, 0, 89.0, 2e6, 0.0000, 0, 0.0100, {[F_EQ] = 0.2, [F_GOLD] = 1.4}},
    {"GDX", NULL, 0, 22.0, 3e6, 0.0000, 0, 0.0120, {[F_EQ] = 0.4, [F_GOLD] = 2.0}},
    {"DBC", NULL, 0, 62.0, 1e6, 0.0000, 0, 0.0020, {[F_COMM] = 1.0}},
    {"UUP", NULL, 0, 127.0, 1e6, 0.0000, 0, 0.0005, {[F_USD] = 1.0}},
    {"KMLM", NULL, 0, 190.0, 2e5, 0.0002, 0, 0.0070,
     {[F_EQ] = -0.25, [F_COMM] = 0.3, [F_USD] = 0.3}},
    /* volatility products */
    {"UVXY", NULL, 0, 60000.0, 5e6, -0.0025, 0, 0.0100, {[F_VIX] = 1.5}},
    {"SVXY", NULL, 0, 193.0, 1e6, 0.0022, 0, 0.0050, {[F_VIX] = -0.5}},
    {"VIXM", NULL, 0, 116.0, 2e5, -0.0008, 0, 0.0060, {[F_VIX] = 0.5}},
    /* leveraged and inverse products of a base */
    {"TQQQ", "QQQ", 3.0, 30.0, 6e6, 0, 0, 0, {0}},
    {"SQQQ", "QQQ", -3.0, 16000.0, 6e6, 0, 0, 0, {0}},
    {"QLD", "QQQ", 2.0, 147.0, 1e6, 0, 0, 0, {0}},
    {"PSQ", "QQQ", -1.0, 180.0, 1e6, 0, 0, 0, {0}},
    {"UPRO", "SPY", 3.0, 66.0, 2e6, 0, 0, 0, {0}},
    {"SPXL", "SPY", 3.0, 81.0, 2e6, 0, 0, 0, {0}},
    {"SPXU", "SPY", -3.0, 17000.0, 2e6, 0, 0, 0, {0}},
    {"SH", "SPY", -1.0, 107.0, 2e6, 0, 0, 0, {0}},
    {"TECL", "XLK", 3.0, 42.5, 1e6, 0, 0, 0, {0}},
    {"TECS", "XLK", -3.0, 55000.0, 1e6, 0, 0, 0, {0}},
    {"SOXL", "SOXX", 3.0, 360.0, 3e6, 0, 0, 0, {0}},
    {"SOXS", "SOXX", -3.0, 130000.0, 3e6, 0, 0, 0, {0}},
    {"TMF", "TLT", 3.0, 118.0, 1e6, 0, 0, 0, {0}},
    {"TMV", "TLT", -3.0, 40.0, 1e6, 0, 0, 0, {0}},
    {"UGL", "GLD", 2.0, 119.0, 2e5, 0, 0, 0, {0}},
    {"TNA", "IWM", 3.0, 60.0, 1e6, 0, 0, 0, {0}},
    {"TZA", "IWM", -3.0, 30000.0, 1e6, 0, 0, 0, {0}},
    {"EDC", "EEM", 3.0, 98.0, 2e5, 0, 0, 0, {0}},
};

#define N_UNIVERSE ((int)(sizeof universe / sizeof universe[0]))
#define PRICE_FLOOR 0.01

enum { BULL, BEAR, CRASH };

typedef struct regime_params {
    double mu;       /* equity drift per day */
    double vix;      /* target level of the volatility index */
    double dy;       /* yield drift per day */
    double p_to[3];  /* daily transition probabilities */
} regime_params;

static const regime_params regimes[3] = {
    [BULL] = {0.0009, 13.0, 0.0, {0.0, 0.007, 0.001}},
    [BEAR] = {-0.0003, 24.0, -0.00003, {0.022, 0.0, 0.004}},
    [CRASH] = {-0.003, 42.0, -0.00015, {0.03, 0.06, 0.0}},
};

static double round4(double x)
{
    return floor(x * 10000.0 + 0.5) / 10000.0;
}

static double clampd(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

static double max2(double a, double b)
{
    return a > b ? a : b;
}

static double min2(double a, double b)
{
    return a < b ? a : b;
}

/* Generic equity for a ticker outside the universe, from its name hash. */
static spec generic_spec(const char *ticker)
{
    uint64_t h = fnv1a(ticker);
    spec s;
    memset(&s, 0, sizeof s);
    s.ticker = ticker;
    s.start = 10.0 + (double)((h >> 20) % 4900) / 10.0;
    s.vol0 = 1e6;
    s.drift = 0.0001;
    s.idio = 0.004 + 0.012 * (double)((h >> 10) % 1000) / 1000.0;
    s.b[F_EQ] = 0.5 + (double)(h % 1000) / 1000.0;
    return s;
}

/* Fill a bar's open/high/low/close from the previous close and the day's
 * return r, with intraday noise of scale `sc`. */
static void factor_bar(rng *r, double prev, double ret, double sc, double *o, double *h,
                       double *l, double *c)
{
    double close = round4(max2(prev * (1.0 + ret), PRICE_FLOOR));
    double open = round4(max2(prev * (1.0 + 0.35 * ret + sc * gauss(r)), PRICE_FLOOR));
    double up = min2(0.5, sc * fabs(gauss(r)));
    double dn = min2(0.5, sc * fabs(gauss(r)));
    double high = round4(max2(open, close) * (1.0 + up));
    double low = round4(max2(min2(open, close) * (1.0 - dn), PRICE_FLOOR));
    *o = open;
    *c = close;
    *h = max2(high, max2(open, close));
    *l = min2(low, min2(open, close));
}

static double volume_of(rng *r, double vol0, double ret)
{
    return floor(vol0 * (0.6 + 0.8 * unif(r)) * (1.0 + 10.0 * fabs(ret)));
}

alc_status alc_market_synth(const alc_synth_options *opt, alc_market **out, alc_error *err)
{
    *out = NULL;
    if (!opt)
        return alc_fail(err, ALC_ERR_INTERNAL, "alc_market_synth: NULL options");
    if (opt->first_day > opt->last_day)
        return alc_fail(err, ALC_ERR_USAGE, "synthetic market: first day after last day");
    int nd = 0;
    for (alc_day d = opt->first_day; d <= opt->last_day; d++) {
        nd += alc_weekday(d) < 5;
        if (nd > 100000)
            return alc_fail(err, ALC_ERR_LIMIT,
                            "synthetic market: more than 100000 weekdays requested");
    }
    if (nd == 0)
        return alc_fail(err, ALC_ERR_USAGE, "synthetic market: no weekday in the date range");

    /* Requested tickers: validate, find the extras outside the universe. */
    const char *const *req = opt->tickers;
    int nreq = req ? opt->n_tickers : N_UNIVERSE;
    if (req && nreq <= 0)
        return alc_fail(err, ALC_ERR_USAGE, "synthetic market: no tickers requested");
    for (int i = 0; req && i < nreq; i++) {
        if (!alc_ticker_valid(req[i]))
            return alc_fail(err, ALC_ERR_USAGE,
                            "synthetic market: invalid ticker '%s' (1 to 10 characters "
                            "A-Z, 0-9, '.', '-')",
                            req[i] ? req[i] : "(null)");
        for (int j = 0; j < i; j++)
            if (!strcmp(req[i], req[j]))
                return alc_fail(err, ALC_ERR_USAGE, "synthetic market: ticker %s given twice",
                                req[i]);
    }

    int nspec = N_UNIVERSE + (req ? nreq : 0);
    spec *specs = calloc((size_t)nspec, sizeof *specs);
    int *base_of = calloc((size_t)nspec, sizeof *base_of);
    alc_market *all = NULL, *m = NULL;
    alc_status st = ALC_OK;
    if (!specs || !base_of) {
        st = alc_fail(err, ALC_ERR_NOMEM, "out of memory");
        goto done;
    }
    memcpy(specs, universe, sizeof universe);
    nspec = N_UNIVERSE;
    for (int i = 0; req && i < nreq; i++) {
        int known = 0;
        for (int k = 0; k < N_UNIVERSE && !known; k++)
            known = !strcmp(universe[k].ticker, req[i]);
        if (!known)
            specs[nspec++] = generic_spec(req[i]);
    }
    for (int i = 0; i < nspec; i++) {
        base_of[i] = -1;
        if (specs[i].base)
            for (int k = 0; k < nspec; k++)
                if (!strcmp(specs[k].ticker, specs[i].base))
                    base_of[i] = k;
    }

    st = alc_market_alloc(nspec, "synthetic", &all, err);
    if (st != ALC_OK)
        goto done;
    for (int i = 0; i < nspec; i++) {
        st = alc_series_alloc(&all->series[i], specs[i].ticker, nd, err);
        if (st != ALC_OK)
            goto done;
    }

    {
        rng fr;
        rng_seed(&fr, opt->seed ^ 0x616c6368656d6973ULL); /* "alchemis" */
        rng *tr = malloc((size_t)nspec * sizeof *tr);
        double *prev = malloc((size_t)nspec * sizeof *prev);
        if (!tr || !prev) {
            free(tr);
            free(prev);
            st = alc_fail(err, ALC_ERR_NOMEM, "out of memory");
            goto done;
        }
        for (int i = 0; i < nspec; i++) {
            rng_seed(&tr[i], opt->seed ^ fnv1a(specs[i].ticker));
            prev[i] = round4(specs[i].start);
        }

        int regime = BULL;
        double vix = 16.0, yield = 0.025, ytrend = 0.0;
        const double sqrt252 = 15.874507866387544;
        int t = 0;
        for (alc_day d = opt->first_day; d <= opt->last_day; d++) {
            if (alc_weekday(d) >= 5)
                continue;
            /* regime switch */
            const regime_params *rp = &regimes[regime];
            double u = unif(&fr), acc = 0.0;
            int next = regime;
            for (int k = 0; k < 3; k++) {
                acc += rp->p_to[k];
                if (k != regime && u < acc) {
                    next = k;
                    break;
                }
            }
            int crash_entry = next == CRASH && regime != CRASH;
            regime = next;
            rp = &regimes[regime];

            /* factors */
            double f[NFACT];
            double sig = vix / 100.0 / sqrt252;
            double z_eq = gauss(&fr), z_v = gauss(&fr);
            double eq_dev = sig * z_eq + (crash_entry ? -0.03 : 0.0);
            f[F_EQ] = rp->mu + eq_dev;
            double vret = 0.06 * (rp->vix / vix - 1.0) - 5.0 * eq_dev + 0.04 * z_v +
                          (crash_entry ? 0.5 : 0.0);
            double vix_new = clampd(vix * (1.0 + vret), 9.0, 85.0);
            f[F_VIX] = vix_new / vix - 1.0;
            vix = vix_new;
            f[F_TECH] = 0.0001 + 0.006 * gauss(&fr);
            f[F_SEMI] = 0.011 * gauss(&fr);
            f[F_SMALL] = 0.006 * gauss(&fr);
            f[F_EM] = 0.007 * gauss(&fr);
            ytrend = 0.995 * ytrend + 0.000008 * gauss(&fr);
            double y_old = yield;
            yield = clampd(yield + ytrend + rp->dy + 0.002 * (0.03 - yield) +
                               0.0005 * gauss(&fr),
                           0.0005, 0.12);
            f[F_RATE] = yield - y_old;
            f[F_USD] = 0.00005 - 0.08 * f[F_EQ] + 0.004 * gauss(&fr);
            f[F_GOLD] = 0.0002 + 0.009 * gauss(&fr) - 0.3 * f[F_USD] +
                        (regime == CRASH ? 0.001 : 0.0);
            f[F_COMM] = 0.0001 + 0.35 * f[F_EQ] + 0.011 * gauss(&fr);

            /* factor ETFs first, then products of a base */
            for (int pass = 0; pass < 2; pass++)
                for (int i = 0; i < nspec; i++) {
                    const spec *sp = &specs[i];
                    alc_series *s = &all->series[i];
                    if ((pass == 0) != (sp->base == NULL))
                        continue;
                    double ret;
                    if (pass == 0) {
                        ret = sp->drift + sp->carry * y_old / 252.0 + sp->idio * gauss(&tr[i]);
                        for (int k = 0; k < NFACT; k++)
                            ret += sp->b[k] * f[k];
                        ret = sp->b[F_VIX] != 0.0 ? clampd(ret, -0.6, 2.0)
                                                  : clampd(ret, -0.3, 0.3);
                        double sc = 0.5 * fabs(ret) +
                                    0.25 * (sp->idio + fabs(sp->b[F_EQ]) * sig + 0.002);
                        factor_bar(&tr[i], prev[i], ret, sc, &s->open[t], &s->high[t],
                                   &s->low[t], &s->close[t]);
                    } else {
                        int b = base_of[i];
                        const alc_series *bs = &all->series[b];
                        double bp = t > 0 ? bs->close[t - 1] : round4(specs[b].start);
                        double L = sp->lev, p = prev[i];
                        ret = bs->close[t] / bp - 1.0;
                        double close = round4(max2(p * (1.0 + L * ret), PRICE_FLOOR));
                        double open =
                            round4(max2(p * (1.0 + L * (bs->open[t] / bp - 1.0)), PRICE_FLOOR));
                        double hb = bs->high[t] / bp - 1.0, lb = bs->low[t] / bp - 1.0;
                        double high = round4(max2(p * (1.0 + L * (L > 0 ? hb : lb)), PRICE_FLOOR));
                        double low = round4(max2(p * (1.0 + L * (L > 0 ? lb : hb)), PRICE_FLOOR));
                        s->open[t] = open;
                        s->close[t] = close;
                        s->high[t] = max2(high, max2(open, close));
                        s->low[t] = min2(low, min2(open, close));
                        ret = L * ret;
                    }
                    s->day[t] = d;
                    s->volume[t] = volume_of(&tr[i], sp->vol0, ret);
                    prev[i] = s->close[t];
                }
            t++;
        }
        free(tr);
        free(prev);
    }

    /* Keep the requested tickers, sorted. */
    st = alc_market_alloc(nreq, "synthetic", &m, err);
    if (st != ALC_OK)
        goto done;
    for (int i = 0; i < nreq; i++) {
        const char *want = req ? req[i] : universe[i].ticker;
        int k = 0;
        while (strcmp(specs[k].ticker, want) != 0)
            k++;
        m->series[i] = all->series[k]; /* move ownership */
        memset(&all->series[k], 0, sizeof all->series[k]);
    }
    st = alc_market_sort(m, err);
    if (st != ALC_OK)
        goto done;
    *out = m;
    m = NULL;
done:
    alc_market_free(all);
    alc_market_free(m);
    free(specs);
    free(base_of);
    return st;
}
