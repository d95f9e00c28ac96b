/* Private helpers shared by the session modules (not a public API). */
#ifndef ALC_SESSION_INTERNAL_H
#define ALC_SESSION_INTERNAL_H

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* MPI tags of the session protocol (docs/session.md). */
enum {
    ALC_TAG_REQUEST = 10, /* worker -> 0: idle, send work (empty) */
    ALC_TAG_RESULT = 11,  /* worker -> 0: PARTIAL message */
    ALC_TAG_BATCH = 12,   /* 0 -> worker: BATCH message */
    ALC_TAG_STOP = 13     /* 0 -> worker: no more work (empty) */
};

/* Wall clock, seconds since the epoch (comparable across ranks of a node). */
static inline double alc_now_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Monotonic clock in seconds, for durations and deadlines. */
static inline double alc_now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Peak resident set size of this process in KiB (getrusage ru_maxrss,
 * which Linux reports in KiB); 0 when unavailable. */
static inline long alc_peak_rss_kb(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? (long)ru.ru_maxrss : 0;
}

static inline void alc_sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static inline char *alc_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* "2025-01-31T12:34:56.789Z" (UTC) into buf (>= 32 bytes). */
void alc_format_timestamp(double wall, char *buf, size_t size);

/* n random bytes as lower-case hex (2n chars + NUL) from /dev/urandom,
 * falling back to time and pid mixing. */
void alc_random_hex(char *buf, int n_bytes);

/* ---- shared by coordinator.c and resume.c ---- */

#include "alchemiser/session.h"

/* A session with its batches split (QUEUED), no ids, no paths. */
alc_status alc_session_alloc(const alc_job *job, int n_ranks, int batch_size,
                             alc_scheduling scheduling, alc_day as_of, alc_session **out,
                             alc_error *err);
/* Output paths <dir>/<s->id>.{h5,events.jsonl,portfolio.json}; creates dir. */
alc_status alc_session_set_paths(alc_session *s, const char *dir, alc_error *err);

/* The job recorded in a snapshot (/job/text, read against /job dir and
 * strategies_dir); refuses a text whose SHA-256 is not job_sha256. */
struct alc_snapshot_job;
alc_status alc_job_from_snapshot(const struct alc_snapshot_job *sj, const char *snapshot,
                                 alc_job **out, alc_error *err);

/* Resume (resume.c): everything before the session's files are touched.
 * Refuses (error) when the snapshot cannot be resumed or the strategies or
 * the market changed; *completed = 1 (and nothing else) for a COMPLETED
 * session.  On success the caller owns *job, *market and *s; s->batches
 * hold the reused results and s->h5_path the final snapshot name. */
alc_status alc_resume_prepare(const alc_run_options *opt, int n_ranks, alc_job **job,
                              alc_market **market, alc_session **s, int *completed,
                              char *message, size_t message_size, alc_error *err);

/* dirname of a path into buf ("." when it has no slash). */
void alc_dirname(const char *path, char *buf, size_t size);

#endif
