/* Batching of a job's strategies (see include/alchemiser/batch.h). */
#include "alchemiser/batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void alc_batch_format_id(int index, int n_batches, char *buf, size_t size)
{
    snprintf(buf, size, "batch-%d-of-%d", index + 1, n_batches);
}

alc_status alc_batch_split(const alc_job *job, int batch_size, alc_batch **out, int *n_out,
                           alc_error *err)
{
    *out = NULL;
    *n_out = 0;
    if (batch_size < 1)
        return alc_fail(err, ALC_ERR_USAGE, "batch size must be >= 1 (got %d)", batch_size);
    if (job->n_strategies < 1)
        return alc_fail(err, ALC_ERR_JOB, "the job has no strategies");
    int n = (job->n_strategies + batch_size - 1) / batch_size;
    alc_batch *b = calloc((size_t)n, sizeof *b);
    if (!b)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        b[i].index = i;
        b[i].n_batches = n;
        b[i].first = i * batch_size;
        b[i].count = job->n_strategies - b[i].first < batch_size ? job->n_strategies - b[i].first
                                                                 : batch_size;
        double w = 0.0;
        for (int k = 0; k < b[i].count; k++)
            w += job->strategies[b[i].first + k].allocation;
        b[i].weight = w;
        alc_batch_format_id(i, n, b[i].id, sizeof b[i].id);
    }
    *out = b;
    *n_out = n;
    return ALC_OK;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

alc_status alc_batch_desc_make(const alc_job *job, const alc_batch *b, int attempt,
                               uint32_t ticket, alc_batch_desc *out, alc_error *err)
{
    memset(out, 0, sizeof *out);
    out->index = b->index;
    out->n_batches = b->n_batches;
    out->attempt = attempt;
    out->ticket = ticket;
    out->weight = b->weight;
    out->items = calloc((size_t)b->count, sizeof *out->items);
    if (!out->items)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    out->count = b->count;
    for (int k = 0; k < b->count; k++) {
        const alc_job_strategy *s = &job->strategies[b->first + k];
        out->items[k].index = b->first + k;
        out->items[k].allocation = s->allocation;
        out->items[k].file = dup_str(s->file);
        out->items[k].path = dup_str(s->path);
        if (!out->items[k].file || !out->items[k].path) {
            alc_batch_desc_free(out);
            return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
        }
    }
    return ALC_OK;
}

void alc_batch_desc_free(alc_batch_desc *d)
{
    if (!d)
        return;
    for (int k = 0; k < d->count; k++) {
        free(d->items[k].file);
        free(d->items[k].path);
    }
    free(d->items);
    d->items = NULL;
    d->count = 0;
}
