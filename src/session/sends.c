/* Sends in flight (see sends.h). */
#include "session/sends.h"

#include <stdlib.h>
#include <string.h>

alc_status alc_mpi_fail(alc_error *err, int rc, const char *what)
{
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    return alc_fail(err, ALC_ERR_MPI, "%s: %s", what, msg);
}

alc_status alc_sends_post(alc_sends *q, alc_buf *buf, int dest, int tag, MPI_Comm comm,
                          alc_error *err)
{
    if (q->n == q->cap) {
        int cap = q->cap ? 2 * q->cap : 8;
        alc_send *s = realloc(q->s, sizeof *s * (size_t)cap);
        if (!s) {
            alc_buf_free(buf);
            return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
        }
        q->s = s;
        q->cap = cap;
    }
    alc_send *ps = &q->s[q->n];
    ps->buf = *buf;
    alc_buf_init(buf);
    int rc = MPI_Isend(ps->buf.data, (int)ps->buf.len, MPI_BYTE, dest, tag, comm, &ps->req);
    if (rc != MPI_SUCCESS) {
        alc_buf_free(&ps->buf);
        return alc_mpi_fail(err, rc, q->what);
    }
    q->n++;
    return ALC_OK;
}

/* Removes send i (its buffer freed), keeping the order of the others. */
static void drop(alc_sends *q, int i)
{
    alc_buf_free(&q->s[i].buf);
    memmove(&q->s[i], &q->s[i + 1], sizeof *q->s * (size_t)(q->n - i - 1));
    q->n--;
}

alc_status alc_sends_reap(alc_sends *q, alc_error *err)
{
    alc_status st = ALC_OK;
    for (int i = 0; i < q->n;) {
        int done = 0;
        int rc = MPI_Test(&q->s[i].req, &done, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS && st == ALC_OK)
            st = alc_mpi_fail(err, rc, q->what);
        if (rc != MPI_SUCCESS || done)
            drop(q, i);
        else
            i++;
    }
    return st;
}

alc_status alc_sends_wait_oldest(alc_sends *q, alc_error *err)
{
    if (!q->n)
        return ALC_OK;
    int rc = MPI_Wait(&q->s[0].req, MPI_STATUS_IGNORE);
    drop(q, 0);
    return rc == MPI_SUCCESS ? ALC_OK : alc_mpi_fail(err, rc, q->what);
}

alc_status alc_sends_wait_all(alc_sends *q, alc_error *err)
{
    alc_status st = ALC_OK;
    while (q->n) {
        alc_error e;
        alc_error_clear(&e);
        if (alc_sends_wait_oldest(q, &e) != ALC_OK && st == ALC_OK) {
            st = ALC_ERR_MPI;
            *err = e;
        }
    }
    return st;
}

void alc_sends_abandon(alc_sends *q)
{
    for (int i = 0; i < q->n; i++) {
        int done = 0;
        if (MPI_Test(&q->s[i].req, &done, MPI_STATUS_IGNORE) == MPI_SUCCESS && !done)
            MPI_Request_free(&q->s[i].req);
        alc_buf_free(&q->s[i].buf);
    }
    q->n = 0;
}

void alc_sends_free(alc_sends *q)
{
    free(q->s);
    q->s = NULL;
    q->n = q->cap = 0;
}
