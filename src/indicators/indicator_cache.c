/* Indicator cache.  Two kinds of entries:
 *  - RSI and EMA run over all history from the first bar, so their value at
 *    every date comes from one pass over the series: the whole output
 *    series is computed once per (ticker, indicator, window) and read in
 *    O(1) at any date.
 *  - The other indicators see only a calendar period before the as-of date
 *    (SPEC 6.1) and pandas' online rolling sums depend on where that period
 *    starts, so a value is computed per (ticker, indicator, windows, date)
 *    over at most a few hundred bars and memoised.
 * Errors are not cached: they are cheap to recompute and carry messages. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alchemiser/indicators.h"

/* Dated values: a 24-byte entry, key packed into two words so that the
 * table stays small and probes touch one cache line.  Windows of 0 .. 2^21-1
 * are cacheable (beyond any history); others are computed every time. */
typedef struct cache_key {
    uint64_t a; /* (series + 1) << 40 | indicator << 32 | day (never 0) */
    uint64_t b; /* w1 | w2 << 21 | w3 << 42 */
} cache_key;

typedef struct cache_entry {
    cache_key key; /* key.a == 0: empty */
    double value;
} cache_entry;

/* Whole-history series (RSI, EMA): a short list per ticker. */
typedef struct series_values {
    struct series_values *next;
    int ind;
    long window;
    double *values; /* one per bar */
} series_values;

#define WINDOW_LIMIT (1L << 21)

struct alc_indicator_cache {
    const alc_market *market;
    cache_entry *slots;
    size_t cap, count;
    series_values **whole; /* per series */
    /* per series, lazily: index of the last bar on or before each calendar
     * day from the first bar to the last (O(1) instead of a binary search,
     * which group scoring does for every held ticker and day) */
    int32_t **bar_at;
    /* per series, lazily: close[j] / close[j-1] - 1 in extended precision
     * (the reference computes group returns in 28-digit decimals) */
    long double **returns;
    /* latest date worth computing ahead of a request (see set_horizon) */
    alc_day horizon;
};

static int make_key(int series, const alc_indicator_args *a, alc_day day, cache_key *k)
{
    if (a->w1 < 0 || a->w1 >= WINDOW_LIMIT || a->w2 < 0 || a->w2 >= WINDOW_LIMIT || a->w3 < 0 ||
        a->w3 >= WINDOW_LIMIT)
        return 0;
    k->a = ((uint64_t)(series + 1) << 40) | ((uint64_t)a->ind << 32) | (uint32_t)day;
    k->b = (uint64_t)a->w1 | ((uint64_t)a->w2 << 21) | ((uint64_t)a->w3 << 42);
    return 1;
}

static size_t key_hash(const cache_key *k)
{
    uint64_t h = k->a * 0x9E3779B97F4A7C15ull ^ (k->b + 0x632BE59BD9B4E019ull) * 0xBF58476D1CE4E5B9ull;
    return (size_t)(h ^ (h >> 31));
}

alc_indicator_cache *alc_indicator_cache_new(const alc_market *m)
{
    alc_indicator_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->market = m;
    size_t n = (size_t)(m->n > 0 ? m->n : 1);
    c->bar_at = calloc(n, sizeof *c->bar_at);
    c->returns = calloc(n, sizeof *c->returns);
    c->whole = calloc(n, sizeof *c->whole);
    c->cap = 4096;
    c->slots = calloc(c->cap, sizeof *c->slots);
    if (!c->bar_at || !c->returns || !c->whole || !c->slots) {
        free(c->bar_at);
        free(c->returns);
        free(c->whole);
        free(c->slots);
        free(c);
        return NULL;
    }
    return c;
}

void alc_indicator_cache_free(alc_indicator_cache *c)
{
    if (!c)
        return;
    free(c->slots);
    for (int i = 0; i < c->market->n; i++) {
        free(c->bar_at[i]);
        free(c->returns[i]);
        for (series_values *v = c->whole[i], *next; v; v = next) {
            next = v->next;
            free(v->values);
            free(v);
        }
    }
    free(c->bar_at);
    free(c->returns);
    free(c->whole);
    free(c);
}

static cache_entry *find_slot(alc_indicator_cache *c, const cache_key *k)
{
    size_t mask = c->cap - 1, i = key_hash(k) & mask;
    while (c->slots[i].key.a && (c->slots[i].key.a != k->a || c->slots[i].key.b != k->b))
        i = (i + 1) & mask;
    return &c->slots[i];
}

static int grow(alc_indicator_cache *c)
{
    cache_entry *old = c->slots;
    size_t old_cap = c->cap;
    cache_entry *slots = calloc(old_cap * 2, sizeof *slots);
    if (!slots)
        return -1;
    c->slots = slots;
    c->cap = old_cap * 2;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].key.a)
            *find_slot(c, &old[i].key) = old[i];
    free(old);
    return 0;
}

/* Store a value (the key must be absent).  -1 when out of memory. */
static int store(alc_indicator_cache *c, const cache_key *k, double v)
{
    if ((c->count + 1) * 2 > c->cap && grow(c) != 0)
        return -1;
    cache_entry *e = find_slot(c, k);
    e->key = *k;
    e->value = v;
    c->count++;
    return 0;
}

/* Whole-history RSI / EMA output series for one ticker. */
static alc_status whole_series(alc_indicator_cache *c, int series_index, const alc_indicator_args *a,
                               const double **out, alc_error *err)
{
    for (series_values *v = c->whole[series_index]; v; v = v->next)
        if (v->ind == (int)a->ind && v->window == a->w1) {
            *out = v->values;
            return ALC_OK;
        }
    const alc_series *s = &c->market->series[series_index];
    series_values *v = malloc(sizeof *v);
    double *vals = malloc((size_t)(s->n > 0 ? s->n : 1) * sizeof *vals);
    if (!v || !vals) {
        free(v);
        free(vals);
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    }
    if (a->ind == ALC_IND_RSI)
        alc_rsi_series(s->close, s->n, a->w1, vals);
    else
        alc_ema_series(s->close, s->n, a->w1, vals);
    v->ind = (int)a->ind;
    v->window = a->w1;
    v->values = vals;
    v->next = c->whole[series_index];
    c->whole[series_index] = v;
    *out = vals;
    return ALC_OK;
}

const long double *alc_indicator_returns(alc_indicator_cache *c, int series_index)
{
    long double *r = c->returns[series_index];
    if (r)
        return r;
    const alc_series *s = &c->market->series[series_index];
    r = malloc((size_t)(s->n > 0 ? s->n : 1) * sizeof *r);
    if (!r)
        return NULL;
    r[0] = NAN;
    for (int j = 1; j < s->n; j++)
        r[j] = s->close[j - 1] == 0 ? (long double)NAN
                                    : (long double)s->close[j] / (long double)s->close[j - 1] - 1.0L;
    c->returns[series_index] = r;
    return r;
}

int alc_indicator_bar_at(alc_indicator_cache *c, int series_index, alc_day day)
{
    const alc_series *s = &c->market->series[series_index];
    if (s->n <= 0 || day < s->day[0])
        return -1;
    if (day >= s->day[s->n - 1])
        return s->n - 1;
    int32_t *t = c->bar_at[series_index];
    if (!t) {
        size_t span = (size_t)(s->day[s->n - 1] - s->day[0]) + 1;
        t = malloc(span * sizeof *t);
        if (!t)
            return alc_series_last_at_or_before(s, day);
        int j = 0;
        for (size_t k = 0; k < span; k++) {
            alc_day d = (alc_day)(s->day[0] + (alc_day)k);
            while (j + 1 < s->n && s->day[j + 1] <= d)
                j++;
            t[k] = j;
        }
        c->bar_at[series_index] = t;
    }
    return t[day - s->day[0]];
}

void alc_indicator_cache_set_horizon(alc_indicator_cache *c, alc_day horizon)
{
    c->horizon = horizon;
}

/* Bars an indicator sees at `day`: [*start, *start + *n). */
static void period_bars(alc_indicator_cache *c, int series_index, alc_day day, int days, int *start, int *n)
{
    int e = alc_indicator_bar_at(c, series_index, day);
    *start = alc_indicator_bar_at(c, series_index, (alc_day)(day - days)) + 1;
    *n = e >= *start ? e - *start + 1 : 0;
}

static int is_ppo(alc_indicator ind)
{
    return ind == ALC_IND_PPO || ind == ALC_IND_PPO_SIGNAL;
}

/* On a miss of a rolling-window indicator or PPO at `as_of`, compute it
 * together with the following weekdays up to the horizon (group scoring
 * walks days oldest first, so those are asked next) in one pass over up to
 * 8 chains, and cache every value.  Returns 1 when as_of's value was
 * produced. */
static int fill_block(alc_indicator_cache *c, int series_index, alc_day as_of, const alc_indicator_args *a,
                      int days, double *out)
{
    if (!alc_kernel_block_point_ok(a, INT_MAX))
        return 0;
    int starts[8], ns[8];
    alc_day when[8];
    int K = 0;
    for (alc_day d = as_of; K < 8 && d <= c->horizon; d++) {
        if (alc_weekday(d) >= 5 && d != as_of)
            continue;
        int start, n;
        period_bars(c, series_index, d, days, &start, &n);
        if (!alc_kernel_block_point_ok(a, n)) {
            if (d == as_of)
                return 0; /* a short-data rule applies: the plain kernel handles it */
            continue;
        }
        cache_key k;
        if (!make_key(series_index, a, d, &k))
            return 0;
        if (d != as_of && find_slot(c, &k)->key.a)
            continue;
        starts[K] = start;
        ns[K] = n;
        when[K] = d;
        K++;
    }
    if (K < 2)
        return 0;
    double v[8];
    const alc_series *s = &c->market->series[series_index];
    if (is_ppo(a->ind) ? alc_kernel_ppo_block(a, s->close, starts, ns, K, v) != 0
                       : alc_kernel_rolling_block(a, s->close, starts, ns, K, v) != 0)
        return 0;
    for (int i = 0; i < K; i++) {
        if (v[i] != v[i])
            continue;
        cache_key k;
        make_key(series_index, a, when[i], &k);
        if (store(c, &k, v[i]) != 0)
            return 0;
    }
    if (v[0] != v[0])
        return 0;
    *out = v[0];
    return 1;
}

alc_status alc_indicator_value(alc_indicator_cache *c, int series_index, alc_day as_of,
                               const alc_indicator_args *a, double *out, alc_error *err)
{
    const alc_series *s = &c->market->series[series_index];
    int e = alc_indicator_bar_at(c, series_index, as_of);
    if (a->ind == ALC_IND_RSI || a->ind == ALC_IND_EMA) {
        if (a->w1 <= 0)
            return alc_fail(err, ALC_ERR_VALUE, "%s: window must be positive", alc_indicator_name(a->ind));
        if (e < 0)
            return alc_fail(err, ALC_ERR_MARKET, "No market data available for %s", s->ticker);
        if (a->ind == ALC_IND_EMA && e + 1 < a->w1)
            return alc_fail(err, ALC_ERR_EVAL, "No EMA available for %s window=%ld", s->ticker, a->w1);
        if (a->w1 >= WINDOW_LIMIT) /* RSI beyond any history: 50 */
            return alc_kernel(a, s->close, e + 1, s->ticker, out, err);
        const double *values = NULL;
        alc_status st = whole_series(c, series_index, a, &values, err);
        if (st != ALC_OK)
            return st;
        *out = values[e];
        return ALC_OK;
    }
    cache_key k;
    int cacheable = make_key(series_index, a, as_of, &k);
    if (cacheable) {
        const cache_entry *ce = find_slot(c, &k);
        if (ce->key.a) {
            *out = ce->value;
            return ALC_OK;
        }
    }
    int days = alc_indicator_period_days(a);
    if (cacheable && as_of < c->horizon && fill_block(c, series_index, as_of, a, days, out))
        return ALC_OK;
    int start, n;
    period_bars(c, series_index, as_of, days, &start, &n);
    double v;
    alc_status st = alc_kernel(a, s->close + start, n, s->ticker, &v, err);
    if (st != ALC_OK)
        return st;
    if (cacheable && store(c, &k, v) != 0)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    *out = v;
    return ALC_OK;
}
