/* The MPI signal session: rank 0 (coordinator + aggregator) reads the job,
 * splits it into batches, hands them to the workers (ranks > 0), receives
 * the partial results with a deadline, records each in the HDF5 snapshot as
 * it arrives, merges them into one consolidated portfolio and writes the
 * outputs.  Flow, message formats and file layouts: docs/session.md.
 *
 * Ownership: an alc_session is owned by the coordinator (alc_session_run on
 * rank 0) and lives until alc_session_free(); it borrows its job (which must
 * outlive it) and owns its batch states, their partial results and the
 * consolidated portfolio.  Snapshot and event writers borrow the session. */
#ifndef ALCHEMISER_SESSION_H
#define ALCHEMISER_SESSION_H

#include <mpi.h>
#include <stdint.h>
#include <stdio.h>

#include "alchemiser/aggregate.h"
#include "alchemiser/batch.h"
#include "alchemiser/error.h"
#include "alchemiser/job.h"
#include "alchemiser/worker.h"

#define ALC_SESSION_SCHEMA_VERSION 1
#define ALC_SESSION_ID_MAX 64
#define ALC_EVENT_ID_MAX 48
#define ALC_PATH_MAX 4096

typedef enum alc_session_status {
    ALC_SESSION_PENDING = 0,
    ALC_SESSION_AGGREGATING,
    ALC_SESSION_COMPLETED,
    ALC_SESSION_FAILED,
    ALC_SESSION_TIMEOUT
} alc_session_status;

const char *alc_session_status_name(alc_session_status s);

typedef enum alc_batch_state_kind {
    ALC_BATCH_QUEUED = 0,  /* waiting for a worker */
    ALC_BATCH_RUNNING,     /* dispatched, no accepted result yet */
    ALC_BATCH_DONE,        /* accepted result, every strategy succeeded */
    ALC_BATCH_FAILED       /* failed and out of retries (final) */
} alc_batch_state_kind;

typedef struct alc_batch_state {
    alc_batch batch;
    alc_batch_state_kind state;
    int attempts;           /* dispatches so far */
    int rank;               /* rank of the current / final attempt */
    int last_failed_rank;   /* -1 = none: a retry prefers another rank */
    uint32_t ticket;        /* ticket of the current dispatch */
    uint64_t bytes;         /* bytes of the accepted result message */
    double received_wall;   /* when rank 0 accepted it */
    char request_event[ALC_EVENT_ID_MAX]; /* id of the last StrategyBatchRequested */
    int has_result;
    alc_partial result;     /* owned: the accepted (final) result */
    int reused;             /* resume: accepted by an earlier run, read back from the snapshot */
    int superseded;         /* resume: its group from an earlier run (failed) moves to /history */
} alc_batch_state;

/* One run of a session: the first one, then one per resume (/history/runs). */
typedef struct alc_run_record {
    int run;                 /* 1 = the run that created the session */
    char started[40], deadline[40], finished[40]; /* UTC ISO 8601, "" when unknown */
    char status[16];         /* the status that run ended with (PENDING...: it was interrupted) */
    int n_ranks;
    char scheduling[16];
    int batches_evaluated;   /* batches accepted by that run */
    int batches_reused;      /* batches it took from the snapshot */
    char error_type[64];
    char error[512];
} alc_run_record;

typedef struct alc_rank_metrics {
    int batches;            /* results received from this rank (all attempts) */
    int strategies;
    double eval_ms;         /* evaluation time reported by this rank */
    uint64_t bytes_sent;    /* bytes this rank sent (rank 0: to the workers) */
    long max_rss_kb;        /* peak resident set (getrusage ru_maxrss, KiB): the highest value
                               this rank reported with a result; rank 0: at the end */
} alc_rank_metrics;

typedef struct alc_metrics {
    long batches_requested;   /* dispatches, retries included */
    long batches_received;    /* result messages received, duplicates included */
    long batches_failed;      /* failed attempts */
    long duplicates_ignored;  /* results for a batch already accepted / a stale dispatch */
    long retries;
    long bad_messages;        /* results that could not be decoded */
    double setup_seconds;     /* job + market + snapshot before the first dispatch */
    double session_seconds;   /* creation to end */
    uint64_t bytes_sent;      /* all ranks */
    int n_ranks;
    alc_rank_metrics *ranks;  /* n_ranks entries, owned */
    /* Phase durations on rank 0 (seconds, monotonic clock; docs/session.md). */
    double job_seconds;       /* read and validate the job */
    double market_seconds;    /* load the market */
    double dispatch_seconds;  /* dispatch, evaluation and collection of every batch */
    double snapshot_batches_seconds; /* part of dispatch: recording accepted batches */
    double stop_seconds;      /* stopping the workers */
    double aggregate_seconds; /* merge into the consolidated portfolio */
    double run_start_mono;    /* start of alc_session_run */
    double output_start_mono; /* start of the final outputs (events, portfolio, snapshot) */
} alc_metrics;

typedef struct alc_session {
    char id[ALC_SESSION_ID_MAX];
    char correlation_id[ALC_SESSION_ID_MAX];
    const alc_job *job;       /* borrowed */
    int batch_size;
    alc_scheduling scheduling;
    int n_ranks;
    int max_parallel;
    alc_day as_of;
    double created_wall, finished_wall, deadline_wall;
    double start_mono, deadline_mono;
    alc_session_status status;
    int n_batches;
    alc_batch_state *batches; /* owned */
    int completed;            /* batches DONE or FAILED */
    alc_metrics metrics;
    char error_type[64];      /* "" when none: AggregationError, BatchFailed, Timeout, ... */
    char error[2048];
    char output_dir[ALC_PATH_MAX];
    char h5_path[ALC_PATH_MAX];     /* final name; written as <h5_path>.partial until the end */
    char events_path[ALC_PATH_MAX];
    char portfolio_path[ALC_PATH_MAX];
    int has_portfolio;
    alc_consolidated portfolio;     /* owned */

    /* faults (docs/session.md): resume, rerun, on_strategy_failure */
    int resume_count;               /* resumes of this session so far (0: a new session) */
    double started_wall;            /* this run's start (= created_wall for a new session) */
    char rerun_of[ALC_SESSION_ID_MAX]; /* "" unless this session reruns another one */
    char market_sha256[65];         /* fingerprint of the market's contents */
    int n_history;
    alc_run_record *history;        /* earlier runs (resume), owned */
    unsigned char *dropped;         /* n_strategies flags, owned (NULL: none dropped) */
    int n_dropped;
    int degraded;                   /* on_strategy_failure=skip dropped strategies */
    double kept_allocation;         /* sum of the kept allocations (job order): the divisor */
} alc_session;

/* Why strategy i was dropped (on_strategy_failure=skip), or NULL. */
const char *alc_session_drop_reason(const alc_session *s, int i);

/* SHA-256 over a market's contents (tickers and every bar, in order): the
 * same for the same data whether it comes from CSV files or HDF5. */
void alc_market_fingerprint(const alc_market *m, char hex[65]);

void alc_session_free(alc_session *s);

typedef enum alc_run_mode {
    ALC_RUN_NEW = 0,   /* alchemiser run JOB.json */
    ALC_RUN_RESUME,    /* alchemiser resume SESSION.h5: finish that session in place */
    ALC_RUN_RERUN      /* alchemiser rerun SESSION.h5: its job again, as a new session */
} alc_run_mode;

typedef struct alc_run_options {
    alc_run_mode mode;
    const char *snapshot_path;    /* resume / rerun: SESSION.h5 or SESSION.h5.partial */
    const char *job_path;         /* ALC_RUN_NEW */
    const char *out_dir;          /* NULL: the job's output_dir */
    int has_scheduling;
    alc_scheduling scheduling;    /* overrides the job when has_scheduling */
    int batch_size;               /* > 0 overrides the job */
    const char *strategies_dir;   /* NULL: default (job.h) */
    int force;                    /* resume a .partial before its deadline (it may be running) */
} alc_run_options;

typedef struct alc_run_result {
    int refused;                  /* the job was refused before any session existed */
    int abort_needed;             /* a worker did not stop: the caller must MPI_Abort */
    int nothing_to_do;            /* resume of a COMPLETED session: left unchanged */
    char message[600];            /* resume: what was found (for the caller to print) */
    alc_session_status status;
    alc_session *session;         /* owned by the caller (alc_session_free), NULL when refused */
    alc_job *job;                 /* owned by the caller (alc_job_free) */
} alc_run_result;

/* Rank 0.  Returns ALC_OK when a session ran to an end (whatever its status:
 * look at res->status); an error when the job was refused (res->refused) or
 * the outputs could not be written.  Workers must be in alc_worker_serve.
 * ALC_RUN_RESUME reads the job and every accepted batch from the snapshot,
 * refuses (res->refused) when a strategy file or the market changed since,
 * re-runs only the missing or failed batches and updates the session's
 * files in place; a COMPLETED session is left alone (res->nothing_to_do,
 * res->session NULL).  ALC_RUN_RERUN runs the snapshot's job as a new
 * session with rerun_of set. */
alc_status alc_session_run(MPI_Comm comm, const alc_run_options *opt, alc_run_result *res,
                           alc_error *err);

/* Consolidated signal as JSON (layout in docs/session.md): one line
 * "session" holds everything that changes between runs, every other line
 * depends only on the job, the market and the as-of date. */
alc_status alc_session_write_portfolio(const alc_session *s, const char *path, alc_error *err);

/* Human-readable table of the consolidated portfolio. */
void alc_session_print(const alc_session *s, FILE *out);

#endif
