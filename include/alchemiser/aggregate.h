/* Aggregation: merging every strategy's scaled weights into the ONE
 * consolidated portfolio, with per-ticker attribution and freshness.
 *
 * Determinism: the consolidated weight of a ticker is the sum of the
 * strategies' scaled weights in strategy (job-file) order, starting from
 * 0.0, whatever the number of ranks, the batch size, the scheduling mode or
 * the order in which partial results arrived.  Floating-point addition is
 * not associative, so summing partials as they arrive, or an MPI_Reduce
 * whose reduction tree depends on the number of ranks, would give results
 * that differ in the last bits between runs; gathering every per-strategy
 * weight on rank 0 and summing in a fixed order makes the portfolio
 * bitwise identical for every N and batch size.
 *
 * Ownership: an alc_consolidated owns its arrays and ticker strings
 * (alc_consolidated_free).  The input signals are borrowed. */
#ifndef ALCHEMISER_AGGREGATE_H
#define ALCHEMISER_AGGREGATE_H

#include "alchemiser/engine.h"
#include "alchemiser/error.h"
#include "alchemiser/worker.h"

#define ALC_AGG_TOTAL_MIN 0.99
#define ALC_AGG_TOTAL_MAX 1.01

typedef struct alc_attribution {
    int ticker;        /* index into the consolidated portfolio */
    int strategy;      /* strategy index in the job */
    double weight;     /* that strategy's scaled contribution */
} alc_attribution;

typedef struct alc_consolidated {
    int n;
    alc_weight *w;            /* consolidated portfolio, sorted by ticker (strcmp) */
    int n_attr;
    alc_attribution *attr;    /* sorted by ticker, then strategy index */
    double total;             /* sum of w in ticker order */
    alc_day oldest;           /* oldest last-bar date over the strategies (0 = none) */
    int oldest_strategy;      /* which strategy has it (-1 = none) */
} alc_consolidated;

void alc_consolidated_free(alc_consolidated *c);

/* signals[i] = the result of strategy i (NULL when missing).  Fails with
 * ALC_ERR_SESSION when a strategy is missing or failed, or when the total
 * lies outside [0.99, 1.01] (message "AggregationError: ..." naming the
 * total; *out is filled in that case so the caller can report it).  *out
 * must be freed whatever the status. */
alc_status alc_aggregate(const alc_signal *const *signals, int n_strategies,
                         alc_consolidated *out, alc_error *err);

/* Same, leaving out the strategies with drop[i] != 0 (their signals may be
 * NULL) and dividing every kept scaled weight by `divisor` (the sum of the
 * kept allocations, in job order: on_strategy_failure=skip renormalises the
 * remaining allocations to 1).  drop NULL and divisor 1.0 is
 * alc_aggregate().  Deterministic like alc_aggregate: the kept weights
 * arrive bit for bit, the divisor is summed in a fixed order, each weight
 * is divided once before the fixed-order sum. */
alc_status alc_aggregate_ex(const alc_signal *const *signals, int n_strategies,
                            const unsigned char *drop, double divisor, alc_consolidated *out,
                            alc_error *err);

#endif
