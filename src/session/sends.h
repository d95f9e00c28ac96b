/* Point-to-point sends in flight (MPI_Isend), each owning its packed bytes
 * until MPI is done with them: rank 0's prefetched batches (coordinator.c)
 * and a worker's results (worker.c).  Private to the session modules.
 *
 * Ownership: an alc_sends owns its array and every buffer posted to it;
 * alc_sends_wait_all or alc_sends_abandon, then alc_sends_free, release
 * them. */
#ifndef ALC_SESSION_SENDS_H
#define ALC_SESSION_SENDS_H

#include <mpi.h>

#include "alchemiser/error.h"
#include "alchemiser/pack.h"

/* err filled with "WHAT: <MPI's message for rc>"; returns ALC_ERR_MPI. */
alc_status alc_mpi_fail(alc_error *err, int rc, const char *what);

typedef struct alc_send {
    MPI_Request req;
    alc_buf buf;
} alc_send;

typedef struct alc_sends {
    alc_send *s;      /* oldest first */
    int n, cap;
    const char *what; /* static text for errors, e.g. "sending a batch" */
} alc_sends;

/* MPI_Isend of buf's bytes to dest with tag; q takes buf (also when this
 * fails, when it is freed). */
alc_status alc_sends_post(alc_sends *q, alc_buf *buf, int dest, int tag, MPI_Comm comm,
                          alc_error *err);
/* Frees the sends that have completed (MPI_Test); a send whose test fails
 * is dropped too, and the first such failure is returned. */
alc_status alc_sends_reap(alc_sends *q, alc_error *err);
/* Waits for the oldest send (none: ALC_OK). */
alc_status alc_sends_wait_oldest(alc_sends *q, alc_error *err);
/* Waits for every send; all are freed, the first failure is returned. */
alc_status alc_sends_wait_all(alc_sends *q, alc_error *err);
/* Releases every send without waiting (the MPI job is about to be aborted):
 * MPI_Request_free for those not completed. */
void alc_sends_abandon(alc_sends *q);
/* Frees the array (after alc_sends_wait_all or alc_sends_abandon). */
void alc_sends_free(alc_sends *q);

#endif
