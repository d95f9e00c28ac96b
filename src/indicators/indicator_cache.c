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

typedef struct cache_key {
    int32_t series;
    int32_t ind;
    int64_t w1, w2, w3;
    int32_t day; /* INT32_MIN for whole-series entries */
} cache_key;

typedef struct cache_entry {
    cache_key key;
    int used;
    double value;
    double *series_values; /* whole-series entries: one value per bar */
} cache_entry;

struct alc_indicator_cache {
    const alc_market *market;
    cache_entry *slots;
    size_t cap, count;
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

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
}

static uint64_t key_hash(const cache_key *k)
{
    uint64_t h = (uint64_t)(uint32_t)k->series;
    h = mix(h, (uint64_t)k->ind);
    h = mix(h, (uint64_t)k->w1);
    h = mix(h, (uint64_t)k->w2);
    h = mix(h, (uint64_t)k->w3);
    h = mix(h, (uint64_t)(uint32_t)k->day);
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return h;
}

static int key_eq(const cache_key *a, const cache_key *b)
{
    return a->series == b->series && a->ind == b->ind && a->w1 == b->w1 && a->w2 == b->w2 &&
           a->w3 == b->w3 && a->day == b->day;
}

alc_indicator_cache *alc_indicator_cache_new(const alc_market *m)
{
    alc_indicator_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->market = m;
    c->bar_at = calloc((size_t)(m->n > 0 ? m->n : 1), sizeof *c->bar_at);
    c->returns = calloc((size_t)(m->n > 0 ? m->n : 1), sizeof *c->returns);
    if (!c->bar_at || !c->returns) {
        free(c->bar_at);
        free(c->returns);
        free(c);
        return NULL;
    }
    c->cap = 1024;
    c->slots = calloc(c->cap, sizeof *c->slots);
    if (!c->slots) {
        free(c->bar_at);
        free(c->returns);
        free(c);
        return NULL;
    }
    return c;
}

void alc_indicator_cache_free(alc_indicator_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->cap; i++) {
        free(c->slots[i].series_values);
    }
    free(c->slots);
    for (int i = 0; i < c->market->n; i++) {
        free(c->bar_at[i]);
        free(c->returns[i]);
    }
    free(c->bar_at);
    free(c->returns);
    free(c);
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

static cache_entry *find_slot(alc_indicator_cache *c, const cache_key *k)
{
    size_t i = key_hash(k) & (c->cap - 1);
    while (c->slots[i].used && !key_eq(&c->slots[i].key, k))
        i = (i + 1) & (c->cap - 1);
    return &c->slots[i];
}

static int grow(alc_indicator_cache *c)
{
    size_t cap = c->cap * 2;
    cache_entry *old = c->slots;
    size_t old_cap = c->cap;
    cache_entry *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    c->slots = slots;
    c->cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].used)
            *find_slot(c, &old[i].key) = old[i];
    free(old);
    return 0;
}

/* Insert a new entry for k (not present).  NULL when out of memory. */
static cache_entry *insert(alc_indicator_cache *c, const cache_key *k)
{
    if ((c->count + 1) * 4 > c->cap * 3 && grow(c) != 0)
        return NULL;
    cache_entry *e = find_slot(c, k);
    e->key = *k;
    e->used = 1;
    c->count++;
    return e;
}

/* Whole-history RSI / EMA output series for one ticker. */
static alc_status whole_series(alc_indicator_cache *c, const alc_series *s, int series_index,
                               const alc_indicator_args *a, cache_entry **out, alc_error *err)
{
    cache_key k = {series_index, (int32_t)a->ind, a->w1, 0, 0, INT32_MIN};
    cache_entry *e = find_slot(c, &k);
    if (e->used) {
        *out = e;
        return ALC_OK;
    }
    int n = s->n;
    double *vals = malloc((size_t)(n > 0 ? n : 1) * sizeof *vals);
    if (!vals)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    if (a->ind == ALC_IND_RSI)
        alc_rsi_series(s->close, n, a->w1, vals);
    else
        alc_ema_series(s->close, n, a->w1, vals);
    /* insertion may rehash: look the slot up again */
    e = insert(c, &k);
    if (!e) {
        free(vals);
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    }
    e->series_values = vals;
    *out = e;
    return ALC_OK;
}

void alc_indicator_cache_set_horizon(alc_indicator_cache *c, alc_day horizon)
{
    c->horizon = horizon;
}

static int is_rolling(alc_indicator ind)
{
    return ind == ALC_IND_SMA || ind == ALC_IND_MAR || ind == ALC_IND_STDEV_RETURN ||
           ind == ALC_IND_STDEV_PRICE;
}

/* Bars an indicator sees at `day`: [*start, *start + *n). */
static void period_bars(alc_indicator_cache *c, int series_index, alc_day day, int days, int *start, int *n)
{
    int e = alc_indicator_bar_at(c, series_index, day);
    *start = alc_indicator_bar_at(c, series_index, (alc_day)(day - days)) + 1;
    *n = e >= *start ? e - *start + 1 : 0;
}

/* On a miss of a rolling-window indicator at `as_of`, compute it together
 * with the following weekdays up to the horizon (group scoring walks days
 * oldest first, so those are asked next) in one lockstep pass, and cache
 * every value.  Returns 1 when as_of's value was produced. */
static int fill_block(alc_indicator_cache *c, int series_index, alc_day as_of, const alc_indicator_args *a,
                      int days, double *out)
{
    const long w = a->w1;
    if (!is_rolling(a->ind) || w < 2 || w > 100000)
        return 0;
    int starts[8], ns[8];
    alc_day when[8];
    int K = 0;
    for (alc_day d = as_of; K < 8 && d <= c->horizon; d++) {
        if (alc_weekday(d) >= 5 && d != as_of)
            continue;
        int start, n;
        period_bars(c, series_index, d, days, &start, &n);
        if (n <= w) {
            if (d == as_of)
                return 0; /* a short-data rule applies: the plain kernel handles it */
            continue;
        }
        cache_key k = {series_index, (int32_t)a->ind, a->w1, a->w2, a->w3, d};
        if (d != as_of && find_slot(c, &k)->used)
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
    if (alc_kernel_rolling_block(a, s->close, starts, ns, K, v) != 0)
        return 0;
    for (int i = 0; i < K; i++) {
        if (v[i] != v[i])
            continue;
        cache_key k = {series_index, (int32_t)a->ind, a->w1, a->w2, a->w3, when[i]};
        cache_entry *ce = insert(c, &k);
        if (!ce)
            return 0;
        ce->value = v[i];
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
        cache_entry *ce = NULL;
        alc_status st = whole_series(c, s, series_index, a, &ce, err);
        if (st != ALC_OK)
            return st;
        if (a->ind == ALC_IND_EMA && e + 1 < a->w1)
            return alc_fail(err, ALC_ERR_EVAL, "No EMA available for %s window=%ld", s->ticker, a->w1);
        *out = ce->series_values[e];
        return ALC_OK;
    }
    cache_key k = {series_index, (int32_t)a->ind, a->w1, a->w2,
                   a->w3, as_of};
    cache_entry *ce = find_slot(c, &k);
    if (ce->used) {
        *out = ce->value;
        return ALC_OK;
    }
    int days = alc_indicator_period_days(a);
    if (as_of < c->horizon && fill_block(c, series_index, as_of, a, days, out))
        return ALC_OK;
    int start, n;
    period_bars(c, series_index, as_of, days, &start, &n);
    double v;
    alc_status st = alc_kernel(a, s->close + start, n, s->ticker, &v, err);
    if (st != ALC_OK)
        return st;
    ce = insert(c, &k);
    if (!ce)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    ce->value = v;
    *out = v;
    return ALC_OK;
}
