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
/* Group /batches/<batch-id> for an accepted batch, then update + flush. */
alc_status alc_snapshot_write_batch(alc_snapshot *snap, const alc_session *s, int batch,
                                    alc_error *err);
/* Final tables and attributes, close, rename .partial -> final.  Frees snap
 * whatever the outcome. */
alc_status alc_snapshot_finish(alc_snapshot *snap, const alc_session *s, alc_error *err);
/* Close without renaming (the file stays ".partial"). */
void alc_snapshot_abandon(alc_snapshot *snap);

#endif
