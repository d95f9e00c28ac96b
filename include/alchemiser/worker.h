/* Batch evaluation: what one worker does with one batch.
 *
 * For every strategy of a batch, in order: read the file (and hash its
 * bytes with SHA-256, for the snapshot and a later resume), parse it, check
 * it statically against the market (unknown operators, tickers missing from
 * the market), evaluate it at the as-of date with alc_engine_eval(), scale
 * every weight of the final allocation by the strategy's allocation and
 * keep the weights > 0.  The result is a partial: the per-strategy signals
 * (scaled weights, error, evaluation time, date of the last bar of the data
 * the strategy refers to), the batch's partial portfolio (per-ticker sums
 * over the batch in strategy order) and the batch timings.
 *
 * A strategy that fails does not stop the batch: its signal carries the
 * error, the batch is marked failed, and the coordinator decides (retry,
 * FAILED session).  A failed strategy is never silently dropped.
 *
 * Ownership: an alc_partial owns its signals, their weights, every ticker
 * and error string; release with alc_partial_free().  A worker borrows the
 * market (which must outlive it) and owns its engine. */
#ifndef ALCHEMISER_WORKER_H
#define ALCHEMISER_WORKER_H

#include <mpi.h>
#include <stdint.h>

#include "alchemiser/batch.h"
#include "alchemiser/date.h"
#include "alchemiser/engine.h"
#include "alchemiser/error.h"
#include "alchemiser/market.h"

typedef struct alc_signal {
    int index;          /* strategy index in the job */
    char *file;         /* as written in the job */
    double allocation;
    int n;              /* scaled weights (> 0), sorted by ticker */
    alc_weight *w;
    alc_status code;    /* ALC_OK or the failure's status */
    char *error;        /* NULL when code == ALC_OK */
    double eval_ms;     /* read + parse + check + eval, monotonic clock */
    alc_day last_bar;   /* oldest "last bar at or before as_of" over the strategy's tickers; 0 = none */
    char sha256[65];    /* hex SHA-256 of the bytes evaluated; "" when the file was not read */
} alc_signal;

typedef struct alc_partial {
    int batch_index;
    int n_batches;
    int attempt;
    uint32_t ticket;
    int rank;           /* rank that evaluated it */
    double start, end;  /* wall clock, seconds since the epoch */
    double eval_ms;     /* sum of the signals' eval_ms */
    int failed;         /* some strategy failed, or `error` is set */
    char *error;        /* batch-level failure (e.g. the market could not be loaded), or NULL */
    int n_signals;
    alc_signal *signals;   /* in strategy order */
    int n_portfolio;
    alc_weight *portfolio; /* per ticker sum over the batch, sorted by ticker */
    long max_rss_kb;       /* peak resident set of the evaluating rank when the batch ended (KiB) */
} alc_partial;

void alc_partial_free(alc_partial *p);

/* NULL when p's signals are exactly batch b's strategies, in order; else
 * what is wrong ("wrong number of signals", "signals out of order"). */
const char *alc_partial_mismatch(const alc_partial *p, const alc_batch *b);

/* Recompute p->portfolio from p->signals (sum per ticker in strategy order). */
alc_status alc_partial_compute_portfolio(alc_partial *p, alc_error *err);

typedef struct alc_worker alc_worker;

/* `market` may be NULL when it could not be loaded: `setup_error` then says
 * why, and every batch fails with it (so the coordinator can retry it on a
 * healthy worker).  The worker copies setup_error. */
alc_status alc_worker_new(const alc_market *market, const char *setup_error, int rank,
                          alc_worker **out, alc_error *err);
void alc_worker_free(alc_worker *w);

/* Evaluate a batch.  Returns ALC_OK with *out filled (strategy failures are
 * inside the partial); an error status only when nothing could be produced
 * (out of memory). */
alc_status alc_worker_run_batch(alc_worker *w, const alc_batch_desc *d, alc_day as_of,
                                alc_partial *out, alc_error *err);

/* One strategy: the tickers of a strategy's source that the market has
 * (every string literal, trimmed and upper-cased).  Exposed for tests. */
alc_day alc_worker_freshness(const alc_market *m, const char *text, size_t len, alc_day as_of);

/* Rank > 0 of a session: receive the session setup, load the market, then
 * evaluate batches until told to stop (protocol in docs/session.md).
 * Returns ALC_OK after a normal stop, and also when rank 0 started no
 * session (a refused job, or a resume of a COMPLETED session): rank 0 alone
 * reports the status, so that a worker exiting non-zero first cannot make
 * srun --kill-on-bad-exit kill rank 0 before it says why (slurm/daily.sbatch). */
alc_status alc_worker_serve(MPI_Comm comm, alc_error *err);

#endif
