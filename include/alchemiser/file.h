/* Reading a whole file into memory, with a size limit. */
#ifndef ALCHEMISER_FILE_H
#define ALCHEMISER_FILE_H

#include <stddef.h>

#include "alchemiser/error.h"

/* Read all of `path` into a malloc'd buffer, NUL-terminated (*len excludes
 * the NUL).  On success the caller owns *out and frees it; on failure *out
 * is NULL, *len 0, and err names `path`:
 *   ALC_ERR_IO     "cannot open <what>: <strerror>" ("cannot open: ..."
 *                  when what is NULL), or "read error: <strerror>"
 *   ALC_ERR_LIMIT  "<what> larger than <max_bytes> bytes" ("file ..." when
 *                  what is NULL): the file holds more than max_bytes bytes;
 *                  callers with their own wording replace the message
 *   ALC_ERR_NOMEM  "out of memory"
 * `what` names the kind of file ("job file", "strategy file") and may be
 * NULL.  At most max_bytes + 1 bytes are read; max_bytes < SIZE_MAX / 2. */
alc_status alc_read_file(const char *path, size_t max_bytes, const char *what, char **out,
                         size_t *len, alc_error *err);

#endif
