/* Reading a session snapshot (`<id>.h5`, or `<id>.h5.partial` left by a
 * session that died) back into plain C values, for `alchemiser inspect`
 * and `alchemiser diff` (layout: docs/session.md, writer:
 * src/session/snapshot.c).
 *
 * Ownership: alc_session_read() returns a heap object that owns every
 * string and array reachable from it (one arena); the caller frees it with
 * alc_session_file_free().  Strings are never NULL (an absent or empty
 * value is ""). */
#ifndef ALCHEMISER_SESSION_READER_H
#define ALCHEMISER_SESSION_READER_H

#include "alchemiser/arena.h"
#include "alchemiser/error.h"

/* The snapshot schema this build reads (ALC_SESSION_SCHEMA_VERSION). */
#define ALC_READER_SCHEMA_VERSION 1

typedef struct alc_sr_weight {
    const char *ticker;
    double weight;
} alc_sr_weight;

typedef struct alc_sr_batch {
    const char *batch_id;
    int index;           /* 0-based, as in /batches/config */
    int first_strategy;
    int n_strategies;
    double weight;       /* combined allocation of its strategies */
    const char *files;   /* newline-separated, as written in the job */
    int recorded;        /* 1 when /batches/<id> exists (a result was accepted) */
    const char *status;  /* ok | failed | missing (no accepted result) | queued | running */
    const char *error;   /* the batch's error, else its first failed strategy's */
    int rank;            /* -1 when not recorded */
    int attempts;        /* dispatches (final tables), else the accepted attempt;
                            -1 when unknown (not recorded in a .partial) */
    double start, end;   /* epoch seconds on the worker; 0 when not recorded */
    double eval_ms;
    long long result_bytes; /* -1 when unknown (partial snapshot) */
    int n_failed;        /* strategies of the batch that failed */
} alc_sr_batch;

typedef struct alc_sr_strategy {
    int index;
    const char *file;
    double allocation;
    const char *batch_id;
    const char *status;  /* ok | failed | missing */
    const char *error;
    double eval_ms;
    const char *last_bar_date;
    int rank;            /* -1 when not evaluated */
    int n_weights;
} alc_sr_strategy;

typedef struct alc_sr_counter {
    const char *name;
    double value;
    const char *unit;
} alc_sr_counter;

typedef struct alc_sr_rank {
    int rank;
    int batches;
    int strategies;
    double eval_ms;
    long long bytes_sent;
} alc_sr_rank;

typedef struct alc_session_file {
    alc_arena arena;      /* owns everything below */
    const char *path;
    int partial;          /* the name ends in .partial: the session died */
    int complete;         /* the final tables (/portfolio, /strategies, /metrics) exist */

    long long schema_version;
    const char *session_id, *correlation_id, *job_path, *job_sha256, *market, *as_of;
    const char *created, *deadline, *finished; /* UTC ISO 8601, "" when absent */
    const char *status, *error_type, *error, *scheduling;
    const char *oldest_data_date, *oldest_data_strategy;
    long long expected_batches, completed_batches, n_strategies, n_ranks, batch_size;
    long long max_parallel_batches, max_retries;
    double timeout_seconds;
    double total_weight;  /* 0 when absent */
    double duration_seconds; /* finished - created, or session_seconds; < 0 when unknown */

    alc_sr_batch *batches;       int n_batches;      /* /batches/config order */
    alc_sr_strategy *strategies; int n_strategies_read; /* job order */
    int has_portfolio;           /* /portfolio exists (it may be empty) */
    alc_sr_weight *portfolio;    int n_portfolio;    /* sorted by ticker */
    alc_sr_counter *counters;    int n_counters;     /* 0 without /metrics */
    alc_sr_rank *ranks;          int n_ranks_read;
} alc_session_file;

/* Reads the snapshot at `path`.  Errors (ALC_ERR_IO, ALC_ERR_DATA or
 * ALC_ERR_HDF5, with the path): the file is missing or unreadable, is not an
 * HDF5 file, is not a session snapshot (no or another schema_version, a
 * backtest result), or a table lacks a column.  HDF5's own error printing
 * is switched off. */
alc_status alc_session_read(const char *path, alc_session_file **out, alc_error *err);

void alc_session_file_free(alc_session_file *f);

/* Counter value by name, or `dflt` when absent. */
double alc_sr_counter_value(const alc_session_file *f, const char *name, double dflt);

#endif
