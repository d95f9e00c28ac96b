/* Splitting a job's strategies into batches, and the batch descriptor a
 * worker receives.
 *
 * Batches are consecutive runs of `batch_size` strategies in job-file order
 * (the last one may be shorter).  Ids are "batch-<i>-of-<n>" with i 1-based.
 *
 * Ownership: alc_batch is a plain value (indices into the job).  An
 * alc_batch_desc owns its items and their strings (deep copies, so it can
 * outlive the job or the MPI buffer it was unpacked from); release it with
 * alc_batch_desc_free(). */
#ifndef ALCHEMISER_BATCH_H
#define ALCHEMISER_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "alchemiser/error.h"
#include "alchemiser/job.h"

#define ALC_BATCH_ID_MAX 48

typedef struct alc_batch {
    int index;          /* 0-based */
    int n_batches;
    int first;          /* index of its first strategy in the job */
    int count;          /* number of strategies */
    double weight;      /* combined allocation, summed in file order */
    char id[ALC_BATCH_ID_MAX];
} alc_batch;

/* "batch-<index+1>-of-<n>" into buf. */
void alc_batch_format_id(int index, int n_batches, char *buf, size_t size);

/* Split job->strategies in file order.  *out is a malloc'd array of *n_out
 * batches (caller frees with free()). */
alc_status alc_batch_split(const alc_job *job, int batch_size, alc_batch **out, int *n_out,
                           alc_error *err);

typedef struct alc_batch_item {
    int index;          /* strategy index in the job (file order) */
    char *file;         /* as written in the job */
    char *path;         /* resolved path to read */
    double allocation;
} alc_batch_item;

typedef struct alc_batch_desc {
    int index;          /* batch index, 0-based */
    int n_batches;
    int attempt;        /* 1 = first try, 2 = first retry, ... */
    uint32_t ticket;    /* dispatch number, unique per session: detects duplicate results */
    double weight;
    int count;
    alc_batch_item *items; /* count items, owned */
} alc_batch_desc;

/* Deep copy of batch b of the job. */
alc_status alc_batch_desc_make(const alc_job *job, const alc_batch *b, int attempt,
                               uint32_t ticket, alc_batch_desc *out, alc_error *err);
void alc_batch_desc_free(alc_batch_desc *d);

#endif
