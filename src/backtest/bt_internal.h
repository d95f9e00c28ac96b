/* Backtest internals shared by bt_run.c (distribution) and bt_output.c
 * (assembly, HDF5 file, summary). */
#ifndef ALCHEMISER_BACKTEST_INTERNAL_H
#define ALCHEMISER_BACKTEST_INTERNAL_H

#include "alchemiser/backtest.h"
#include "alchemiser/backtest_run.h"
#include "alchemiser/job.h"

typedef struct bt_strategy {
    alc_bt_day *days;     /* T daily allocations (rank 0) */
    long failed_days;
    char *first_error;    /* message of the earliest failed block's first failure */
    int first_error_day;  /* day index of that block, -1 = none */
    double *ret;          /* 3 x T: returns, equity, turnover */
    alc_bt_metrics metrics;
} bt_strategy;

typedef struct bt_context {
    const alc_backtest_options *opt;
    int nranks;
    alc_job *job;
    alc_market *market;
    alc_day from, to;
    alc_day *days;        /* T trading days */
    int T;
    /* work queue */
    int chunk, blocks;
    long n_tasks, next_task;
    long done_days;
    int *order;           /* strategies by decreasing file size (NULL: file order) */
    double t_start, last_progress;
    /* rank 0 results */
    bt_strategy *strategies;
    alc_bt_day *portfolio;    /* T consolidated daily allocations */
    double *portfolio_ret;    /* 3 x T */
    alc_bt_metrics portfolio_metrics;
} bt_context;

/* Rank 0: returns and metrics per strategy and for the consolidated portfolio. */
alc_status bt_assemble(bt_context *ctx, alc_error *err);
/* Rank 0: the HDF5 file and the summary on stdout. */
alc_status bt_write_outputs(bt_context *ctx, alc_backtest_result *res, alc_error *err);

#endif
