/* `alchemiser backtest`: every strategy of a job on every trading day of a
 * range, distributed over MPI ranks with a dynamic work queue of
 * (strategy, block of days) tasks; per strategy and for the consolidated
 * portfolio: daily allocations, returns, equity, and summary metrics,
 * written to one HDF5 file (docs/backtest.md) and summarised on stdout.
 *
 * Ownership: options are borrowed; the result is a plain value. */
#ifndef ALCHEMISER_BACKTEST_RUN_H
#define ALCHEMISER_BACKTEST_RUN_H

#include <mpi.h>

#include "alchemiser/date.h"
#include "alchemiser/error.h"

typedef struct alc_backtest_options {
    const char *job_path;
    const char *strategies_dir; /* NULL: the job module's default */
    int has_from, has_to;
    alc_day from, to;           /* default: the market's first day / the job's as-of or last day */
    const char *out_dir;        /* NULL: the job's output_dir */
    int chunk_days;             /* days per task; 0 = automatic */
    int progress;               /* progress bar on stderr (rank 0) */
    int json;                   /* summary as one JSON object on stdout */
} alc_backtest_options;

typedef struct alc_backtest_result {
    char out_path[4096];        /* the HDF5 file written */
    long strategy_days;
    long failed_days;
    double seconds;             /* evaluation and assembly, not start-up */
} alc_backtest_result;

/* Collective over comm; rank 0 writes the outputs and fills res. */
alc_status alc_backtest_run(MPI_Comm comm, const alc_backtest_options *opt, alc_backtest_result *res,
                            alc_error *err);

#endif
