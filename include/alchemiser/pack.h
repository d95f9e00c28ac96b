/* MPI message packing: flat byte buffers with explicit lengths, the same on
 * every rank whatever its struct layout.
 *
 * Encoding: integers little-endian fixed width (u8, u16, u32, i32), doubles
 * as their IEEE-754 binary64 bit pattern little-endian (so a weight arrives
 * bit for bit), strings as u32 byte length + bytes (no NUL, UTF-8).
 *
 * Every message = 12-byte header + body:
 *   "ALC1" | u8 kind | u8 version (2) | u16 0 | u32 body length
 * Kinds and bodies:
 *   1 SETUP   u8 go | str session_id | str correlation_id | str market |
 *             i32 as_of (days since 1970-01-01) | u8 scheduling (0 dynamic, 1 static) |
 *             u32 n_batches | str error (why the session was refused when go = 0)
 *   2 BATCH   u32 index | u32 n_batches | u32 attempt | u32 ticket | f64 weight | u32 count |
 *             count x { u32 strategy index | f64 allocation | str file | str path }
 *   3 BATCHES u32 count | count x { u32 length | a complete BATCH message }
 *   4 PARTIAL str session_id | u32 batch index | u32 n_batches | u32 attempt | u32 ticket |
 *             i32 rank | f64 start | f64 end | f64 eval_ms | u8 failed | str error ("" = none) |
 *             u32 n_signals x { u32 strategy index | str file | f64 allocation | u32 status |
 *                               str error ("" = none) | f64 eval_ms | i32 last_bar |
 *                               u32 n x { str ticker | f64 weight } } |
 *             u32 n_portfolio x { str ticker | f64 weight }
 * Unpacking checks every length against the bytes left, so a truncated or
 * corrupt message is an ALC_ERR_MPI error, never a crash.
 *
 * Ownership: alc_buf owns its data (alc_buf_free).  Unpacked values are deep
 * copies owned by the caller (alc_setup_msg_free, alc_batch_desc_free,
 * alc_partial_free; a batch list array with free() after freeing each). */
#ifndef ALCHEMISER_PACK_H
#define ALCHEMISER_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "alchemiser/batch.h"
#include "alchemiser/error.h"
#include "alchemiser/worker.h"

#define ALC_PACK_VERSION 2
#define ALC_PACK_HEADER 12

enum {
    ALC_MSG_SETUP = 1,
    ALC_MSG_BATCH = 2,
    ALC_MSG_BATCHES = 3,
    ALC_MSG_PARTIAL = 4
};

typedef struct alc_buf {
    unsigned char *data;
    size_t len, cap;
    int oom;            /* an allocation failed: the content is incomplete */
} alc_buf;

void alc_buf_init(alc_buf *b);
void alc_buf_free(alc_buf *b);

typedef struct alc_setup_msg {
    int go;               /* 0: the session was refused, workers stop */
    char *session_id;
    char *correlation_id;
    char *market;
    alc_day as_of;
    int scheduling;       /* alc_scheduling */
    int n_batches;
    char *error;          /* "" when go */
} alc_setup_msg;

void alc_setup_msg_free(alc_setup_msg *m);

/* Kind of a message (0 when the header is invalid). */
int alc_msg_kind(const void *data, size_t len);

alc_status alc_pack_setup(const alc_setup_msg *m, alc_buf *out, alc_error *err);
alc_status alc_unpack_setup(const void *data, size_t len, alc_setup_msg *out, alc_error *err);

alc_status alc_pack_batch(const alc_batch_desc *d, alc_buf *out, alc_error *err);
alc_status alc_unpack_batch(const void *data, size_t len, alc_batch_desc *out, alc_error *err);

alc_status alc_pack_batch_list(const alc_batch_desc *d, int n, alc_buf *out, alc_error *err);
alc_status alc_unpack_batch_list(const void *data, size_t len, alc_batch_desc **out, int *n,
                                 alc_error *err);

alc_status alc_pack_partial(const char *session_id, const alc_partial *p, alc_buf *out,
                            alc_error *err);
/* *session_id: malloc'd copy of the sender's session id (caller frees). */
alc_status alc_unpack_partial(const void *data, size_t len, char **session_id, alc_partial *out,
                              alc_error *err);

#endif
