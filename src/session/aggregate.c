/* Deterministic merge of per-strategy weights (see include/alchemiser/aggregate.h). */
#include "alchemiser/aggregate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alchemiser/intern.h"
#include "session/internal.h"

void alc_consolidated_free(alc_consolidated *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n; i++)
        free(c->w[i].ticker);
    free(c->w);
    free(c->attr);
    memset(c, 0, sizeof *c);
    c->oldest_strategy = -1;
}

typedef struct contrib {
    const char *ticker; /* borrowed from the signal */
    int strategy;
    double weight;
} contrib;

/* Distinct tickers: an open-addressing set of borrowed strings. */
typedef struct tset {
    const char **key;
    int *id;       /* order of first appearance */
    size_t *len;   /* of key */
    uint32_t *hash; /* of key */
    size_t cap;
    int n;
} tset;

/* Slot of ticker t (length len, hash h), or of the empty slot where it
 * would go. */
static size_t tset_find(const tset *ts, const char *t, size_t len, uint32_t h)
{
    size_t k = h & (ts->cap - 1);
    while (ts->key[k] && (ts->len[k] != len || memcmp(ts->key[k], t, len)))
        k = (k + 1) & (ts->cap - 1);
    return k;
}

static int tset_grow(tset *ts)
{
    size_t cap = ts->cap ? ts->cap * 2 : 64;
    tset g = {calloc(cap, sizeof(const char *)), malloc(cap * sizeof(int)),
              malloc(cap * sizeof(size_t)), malloc(cap * sizeof(uint32_t)), cap, ts->n};
    if (!g.key || !g.id || !g.len || !g.hash) {
        free(g.key);
        free(g.id);
        free(g.len);
        free(g.hash);
        return -1;
    }
    for (size_t i = 0; i < ts->cap; i++)
        if (ts->key[i]) {
            size_t k = tset_find(&g, ts->key[i], ts->len[i], ts->hash[i]);
            g.key[k] = ts->key[i];
            g.id[k] = ts->id[i];
            g.len[k] = ts->len[i];
            g.hash[k] = ts->hash[i];
        }
    free(ts->key);
    free(ts->id);
    free(ts->len);
    free(ts->hash);
    *ts = g;
    return 0;
}

/* The id of ticker t: its rank among the distinct tickers in order of
 * first appearance (a new one gets the next); -1 when out of memory. */
static int tset_id(tset *ts, const char *t)
{
    if ((size_t)(ts->n + 1) * 2 > ts->cap && tset_grow(ts) != 0)
        return -1;
    size_t len = strlen(t);
    uint32_t h = alc_str_hash(t, len);
    size_t k = tset_find(ts, t, len, h);
    if (!ts->key[k]) {
        ts->key[k] = t;
        ts->id[k] = ts->n++;
        ts->len[k] = len;
        ts->hash[k] = h;
    }
    return ts->id[k];
}

/* A distinct ticker and its id (order of first appearance). */
typedef struct named_id {
    const char *name;
    int id;
} named_id;

static int by_name(const void *a, const void *b)
{
    return strcmp(((const named_id *)a)->name, ((const named_id *)b)->name);
}

/* Sort c by ticker (byte order), keeping the strategy order within each
 * ticker: the contributions arrive in strategy order, so a stable
 * counting sort over the (few) distinct tickers gives the fixed summation
 * order (ticker, then strategy index) in linear time.  One hash lookup per
 * contribution names its ticker by an id; the ids are then renumbered in
 * byte order of the names.  Returns the sorted copy, and in *rank_out each
 * contribution's ticker rank in that order (NULL when out of memory). */
static contrib *sort_contribs(const contrib *c, size_t n, int **rank_out)
{
    tset ts = {NULL, NULL, NULL, NULL, 0, 0};
    int *tid = malloc((n ? n : 1) * sizeof *tid);
    contrib *out = malloc((n ? n : 1) * sizeof *out);
    int *out_rank = malloc((n ? n : 1) * sizeof *out_rank);
    int ok = tid && out && out_rank;
    for (size_t i = 0; ok && i < n; i++)
        if ((tid[i] = tset_id(&ts, c[i].ticker)) < 0)
            ok = 0;
    named_id *names = ok ? malloc((size_t)(ts.n ? ts.n : 1) * sizeof *names) : NULL;
    int *rank = ok ? malloc((size_t)(ts.n ? ts.n : 1) * sizeof *rank) : NULL;
    size_t *start = ok ? calloc((size_t)ts.n + 1, sizeof *start) : NULL;
    ok = ok && names && rank && start;
    if (ok) {
        int m = 0;
        for (size_t k = 0; k < ts.cap; k++)
            if (ts.key[k])
                names[m++] = (named_id){ts.key[k], ts.id[k]};
        qsort(names, (size_t)m, sizeof *names, by_name);
        for (int r = 0; r < m; r++)
            rank[names[r].id] = r;
        for (size_t i = 0; i < n; i++) {
            tid[i] = rank[tid[i]];
            start[tid[i] + 1]++;
        }
        for (int r = 0; r < m; r++)
            start[r + 1] += start[r];
        for (size_t i = 0; i < n; i++) {
            size_t at = start[tid[i]]++;
            out[at] = c[i];
            out_rank[at] = tid[i];
        }
    }
    free(names);
    free(rank);
    free(start);
    free(tid);
    free(ts.key);
    free(ts.id);
    free(ts.len);
    free(ts.hash);
    if (!ok) {
        free(out);
        free(out_rank);
        return NULL;
    }
    *rank_out = out_rank;
    return out;
}

alc_status alc_aggregate(const alc_signal *const *signals, int n_strategies,
                         alc_consolidated *out, alc_error *err)
{
    return alc_aggregate_ex(signals, n_strategies, NULL, 1.0, out, err);
}

alc_status alc_aggregate_ex(const alc_signal *const *signals, int n_strategies,
                            const unsigned char *drop, double divisor, alc_consolidated *out,
                            alc_error *err)
{
    memset(out, 0, sizeof *out);
    out->oldest_strategy = -1;
    size_t n = 0;
    if (!(divisor > 0.0))
        return alc_fail(err, ALC_ERR_INTERNAL, "renormalisation divisor %g is not positive", divisor);
    for (int i = 0; i < n_strategies; i++) {
        const alc_signal *s = signals[i];
        if (drop && drop[i])
            continue;
        if (!s)
            return alc_fail(err, ALC_ERR_SESSION, "strategy %d has no result (lost)", i);
        if (s->code != ALC_OK)
            return alc_fail(err, ALC_ERR_SESSION, "strategy %s failed: %s", s->file,
                            s->error ? s->error : alc_status_name(s->code));
        n += (size_t)s->n;
        if (s->last_bar != 0 && (out->oldest == 0 || s->last_bar < out->oldest)) {
            out->oldest = s->last_bar;
            out->oldest_strategy = i;
        }
    }
    contrib *c = malloc((n ? n : 1) * sizeof *c);
    if (!c)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    size_t j = 0;
    for (int i = 0; i < n_strategies; i++)
        for (int k = 0; !(drop && drop[i]) && k < signals[i]->n; k++)
            c[j++] = (contrib){signals[i]->w[k].ticker, i,
                               divisor == 1.0 ? signals[i]->w[k].weight
                                              : signals[i]->w[k].weight / divisor};
    /* (ticker, strategy) is a total order here: a strategy's allocation has
     * each ticker once. */
    int *rank = NULL; /* of each sorted contribution's ticker */
    contrib *sorted = sort_contribs(c, n, &rank);
    free(c);
    if (!sorted)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    c = sorted;

    out->w = calloc(n ? n : 1, sizeof *out->w);
    out->attr = malloc((n ? n : 1) * sizeof *out->attr);
    if (!out->w || !out->attr) {
        free(c);
        free(rank);
        alc_consolidated_free(out);
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n;) {
        /* The one place weights are added: per ticker, in strategy order. */
        double sum = 0.0;
        size_t e = i;
        for (; e < n && rank[e] == rank[i]; e++) {
            sum += c[e].weight;
            out->attr[out->n_attr++] = (alc_attribution){out->n, c[e].strategy, c[e].weight};
        }
        out->w[out->n].ticker = alc_strdup(c[i].ticker);
        out->w[out->n].weight = sum;
        if (!out->w[out->n].ticker) {
            free(c);
            free(rank);
            alc_consolidated_free(out);
            return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
        }
        out->n++;
        i = e;
    }
    free(c);
    free(rank);
    double total = 0.0;
    for (int i = 0; i < out->n; i++)
        total += out->w[i].weight;
    out->total = total;
    if (!(total >= ALC_AGG_TOTAL_MIN && total <= ALC_AGG_TOTAL_MAX))
        return alc_fail(err, ALC_ERR_SESSION,
                        "AggregationError: consolidated weights total %.17g, outside [%g, %g]",
                        total, ALC_AGG_TOTAL_MIN, ALC_AGG_TOTAL_MAX);
    return ALC_OK;
}
