/* Deterministic merge of per-strategy weights (see include/alchemiser/aggregate.h). */
#include "alchemiser/aggregate.h"

#include <stdlib.h>
#include <string.h>

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

/* Ticker, then strategy index: the fixed summation order. */
static int cmp_contrib(const void *a, const void *b)
{
    const contrib *x = a, *y = b;
    int c = strcmp(x->ticker, y->ticker);
    if (c)
        return c;
    return (x->strategy > y->strategy) - (x->strategy < y->strategy);
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
    /* qsort is not stable, but (ticker, strategy) is a total order here: a
     * strategy's allocation has each ticker once. */
    qsort(c, n, sizeof *c, cmp_contrib);

    out->w = calloc(n ? n : 1, sizeof *out->w);
    out->attr = malloc((n ? n : 1) * sizeof *out->attr);
    if (!out->w || !out->attr) {
        free(c);
        alc_consolidated_free(out);
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n;) {
        /* The one place weights are added: per ticker, in strategy order. */
        double sum = 0.0;
        size_t e = i;
        for (; e < n && !strcmp(c[e].ticker, c[i].ticker); e++) {
            sum += c[e].weight;
            out->attr[out->n_attr++] = (alc_attribution){out->n, c[e].strategy, c[e].weight};
        }
        out->w[out->n].ticker = alc_strdup(c[i].ticker);
        out->w[out->n].weight = sum;
        if (!out->w[out->n].ticker) {
            free(c);
            alc_consolidated_free(out);
            return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
        }
        out->n++;
        i = e;
    }
    free(c);
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
