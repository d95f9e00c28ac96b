/* Session snapshot: one serial HDF5 file per session, written by rank 0
 * only (layout in docs/session.md).
 *
 * Life cycle: alc_snapshot_create() makes "<h5_path>.partial" with the
 * metadata attributes, /job and /batches/config, status PENDING.  Every
 * accepted batch is written by alc_snapshot_write_batch() followed by
 * H5Fflush, so a crash later loses nothing already done.  Status changes
 * rewrite the "status" attribute and flush.  alc_snapshot_finish() writes
 * /portfolio, /attribution, /strategies and /metrics, closes the file and
 * renames it to <h5_path>: a file without ".partial" is always complete,
 * a ".partial" file is a session that died before its end.
 *
 * Ownership: alc_snapshot owns its HDF5 handles; it borrows the session
 * passed to each call. */
#ifndef ALCHEMISER_SNAPSHOT_H
#define ALCHEMISER_SNAPSHOT_H

#include "alchemiser/error.h"
#include "alchemiser/session.h"

typedef struct alc_snapshot alc_snapshot;

alc_status alc_snapshot_create(const alc_session *s, alc_snapshot **out, alc_error *err);
/* Rewrite status, completed_batches (and error) attributes, flush. */
alc_status alc_snapshot_update(alc_snapshot *snap, const alc_session *s, alc_error *err);
/* Group /batches/<batch-id> for an accepted batch, then the status
 * attributes (completed_batches: the batches recorded so far) + flush.
 * Reads only that batch's state and s's status and error strings, so
 * another thread may accept further batches meanwhile (the coordinator's
 * recorder thread); no two threads may call into one snapshot at once. */
alc_status alc_snapshot_write_batch(alc_snapshot *snap, const alc_session *s, int batch,
                                    alc_error *err);
/* The same for n batches with one status update + flush after the last (a
 * group commit: the recorder thread writes what queued up meanwhile). */
alc_status alc_snapshot_write_batches(alc_snapshot *snap, const alc_session *s, const int *batches,
                                      int n, alc_error *err);
/* The result tables (/portfolio, /attribution, /strategies, /dropped),
 * ahead of alc_snapshot_finish, which otherwise writes them itself: the
 * coordinator writes them while another thread writes portfolio.json, and
 * joins it before the finish, whose rename must come last. */
alc_status alc_snapshot_write_results(alc_snapshot *snap, const alc_session *s, alc_error *err);
/* Final tables (the result tables unless already written) and attributes,
 * close, rename .partial -> final.  Frees snap whatever the outcome. */
alc_status alc_snapshot_finish(alc_snapshot *snap, const alc_session *s, alc_error *err);
/* Close without renaming (the file stays ".partial"). */
void alc_snapshot_abandon(alc_snapshot *snap);

/* Resume: reopen "<h5_path>.partial" (the caller renames a final snapshot to
 * that name first) for writing.  The groups of the superseded batches and
 * the previous run's final tables move to /history/run-<k>/ (k = the run
 * that wrote them), the root attributes describe the new run (status
 * PENDING, its deadline, rank count, resume_count) and /history/runs gets
 * a row for it; then flush.  Nothing already accepted is rewritten. */
alc_status alc_snapshot_reopen(const alc_session *s, alc_snapshot **out, alc_error *err);

/* ---- reading (src/session/snapshot_read.c) ---- */

/* Root attributes of a snapshot, for `alchemiser sessions list`. */
typedef struct alc_snapshot_summary {
    char session_id[64];
    char status[16];
    char created[40], deadline[40], finished[40];
    char rerun_of[64];
    char error_type[64];
    long long expected_batches, completed_batches, resume_count;
} alc_snapshot_summary;

alc_status alc_snapshot_read_summary(const char *path, alc_snapshot_summary *out, alc_error *err);

/* What a resume or a rerun needs to rebuild the job.  Owns every string. */
typedef struct alc_snapshot_job {
    char *session_id, *correlation_id, *status, *job_path, *job_sha256, *market_sha256;
    char *as_of, *scheduling, *rerun_of, *created, *dir, *strategies_dir, *text;
    size_t text_len;
    long long batch_size, expected_batches, n_strategies, resume_count;
    int n;              /* rows of /job/strategies */
    char **file, **path;
    char **sha256;      /* NULL: the snapshot predates source hashes */
} alc_snapshot_job;

alc_status alc_snapshot_read_job(const char *path, alc_snapshot_job *out, alc_error *err);
void alc_snapshot_job_free(alc_snapshot_job *j);

/* Resume: read every /batches/<id> group into s->batches (whose split must
 * match /batches/config): an "ok" group becomes the batch's result (state
 * DONE, reused), a failed or unreadable one is marked superseded and the
 * batch queued; /history/runs (or, for a snapshot without it, the root
 * attributes) becomes s->history. */
alc_status alc_snapshot_read_batches(const char *path, alc_session *s, alc_error *err);

#endif
