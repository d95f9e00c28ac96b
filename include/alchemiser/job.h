/* Job files: which strategies to evaluate, with which allocation, against
 * which market, and how to run the session.
 *
 * Format (JSON object; unknown or duplicate keys are errors):
 *   strategies            [{ "file": "x.clj", "allocation": 0.25 }, ...] (required, non-empty;
 *                         allocations in (0, 1], summing to 1 within 1e-9)
 *   market                market file or CSV directory, relative to the job file (required)
 *   as_of                 "YYYY-MM-DD" or null (default: last date of the market)
 *   batch_size            integer >= 1 (default 10)
 *   max_parallel_batches  integer >= 1 (default: number of workers)
 *   timeout_seconds       number > 0 (default 600)
 *   max_retries           integer >= 0 (default 2)
 *   output_dir            relative to the job file (default: "out" in the current directory)
 *   scheduling            "dynamic" (default) | "static"
 *   on_strategy_failure   "fail" (default: a failed strategy fails the session) | "skip"
 *                         (failed strategies are dropped, the others renormalised to 1)
 *   description           free text, ignored
 *
 * Strategy paths are relative to the job file's directory or to the
 * project's strategies folder; absolute paths are refused, and a path that
 * resolves (after `..` and symbolic links, via realpath) outside both
 * folders is refused, so a job can never make us read anything else.
 * `market` and `output_dir` (relative to the job file, or absolute) name
 * the job's market and output folder; what is read and written there is
 * confined by the market loader and the session (docs/hardening.md).
 * A leading UTF-8 BOM is skipped, CRLF is whitespace, a \u0000 escape is
 * refused.
 *
 * Ownership: alc_job_load() returns a heap alc_job owning every string and
 * array it points to; release it with alc_job_free().  Other modules borrow
 * from a job (batches, sessions) and must not outlive it. */
#ifndef ALCHEMISER_JOB_H
#define ALCHEMISER_JOB_H

#include <stdint.h>

#include <stddef.h>

#include "alchemiser/date.h"
#include "alchemiser/error.h"

#define ALC_JOB_DEFAULT_BATCH_SIZE 10
#define ALC_JOB_DEFAULT_TIMEOUT 600.0
#define ALC_JOB_DEFAULT_MAX_RETRIES 2
#define ALC_JOB_ALLOCATION_TOLERANCE 1e-9
#define ALC_JOB_MAX_BYTES (16u << 20)

typedef enum alc_scheduling {
    ALC_SCHED_DYNAMIC = 0,
    ALC_SCHED_STATIC = 1
} alc_scheduling;

const char *alc_scheduling_name(alc_scheduling s);
/* 0 on success, -1 for an unknown name. */
int alc_scheduling_parse(const char *name, alc_scheduling *out);

typedef enum alc_failure_policy {
    ALC_ON_FAILURE_FAIL = 0, /* a strategy that fails fails the session */
    ALC_ON_FAILURE_SKIP = 1  /* dropped, the remaining allocations renormalised to 1 */
} alc_failure_policy;

const char *alc_failure_policy_name(alc_failure_policy p);
/* 0 on success, -1 for an unknown name. */
int alc_failure_policy_parse(const char *name, alc_failure_policy *out);

typedef struct alc_job_strategy {
    char *file;        /* as written in the job (used in every report) */
    char *path;        /* realpath of the file (what is read) */
    double allocation; /* fraction of capital, (0, 1] */
    char sha256[65];   /* hex SHA-256 of the file's bytes; "" until alc_job_hash_source() (a
                        * session hashes each file where it evaluates it: alc_signal) */
    uint64_t bytes;    /* file size at the job read: the cost estimate of the dispatch */
} alc_job_strategy;

typedef struct alc_job {
    char *path;            /* job file path as given */
    char *dir;             /* realpath of the job file's directory */
    char *strategies_dir;  /* realpath of the project's strategies folder, or NULL */
    char *text;            /* the job file's bytes (NUL-terminated copy) */
    size_t text_len;
    char sha256[65];       /* hex SHA-256 of the job file's bytes */

    int n_strategies;
    alc_job_strategy *strategies; /* in file order */
    char *market;          /* market path resolved against dir (may be relative to cwd if dir is) */
    int has_as_of;         /* 0: use the last date of the market */
    alc_day as_of;
    int batch_size;
    int max_parallel_batches; /* 0 = number of workers */
    double timeout_seconds;
    int max_retries;
    char *output_dir;      /* resolved against dir, or "out" */
    alc_scheduling scheduling;
    alc_failure_policy on_strategy_failure;
} alc_job;

/* Where the project's strategies folder is when the caller does not say:
 * $ALC_STRATEGIES_DIR, else ./strategies, else <job dir>/../strategies
 * (the first that exists).  NULL `strategies_dir` in alc_job_load/parse
 * means this default. */

/* Read and validate a job file.  Every check (JSON syntax, keys, types,
 * allocation sum, strategy paths existing inside the allowed folders)
 * happens here, before any work starts. */
alc_status alc_job_load(const char *path, const char *strategies_dir, alc_job **out,
                        alc_error *err);

/* Same from text already in memory; `path` locates the job (its directory
 * anchors relative paths) and is used in messages. */
alc_status alc_job_parse(const char *path, const char *text, size_t len,
                         const char *strategies_dir, alc_job **out, alc_error *err);

void alc_job_free(alc_job *job);

/* Read strategy file i and record the SHA-256 of its bytes in
 * strategies[i].sha256 (what a resume compares against the hash recorded
 * when the session evaluated it). */
alc_status alc_job_hash_source(alc_job *job, int i, alc_error *err);

/* The same for every strategy, in job order. */
alc_status alc_job_hash_sources(alc_job *job, alc_error *err);

#endif
