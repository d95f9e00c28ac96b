/* Whole-file reads with a size limit (see include/alchemiser/file.h). */
#include "alchemiser/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

alc_status alc_read_file(const char *path, size_t max_bytes, const char *what, char **out,
                         size_t *len, alc_error *err)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return alc_fail_at(err, ALC_ERR_IO, path, 0, 0, "cannot open%s%s: %s", what ? " " : "",
                           what ? what : "", strerror(errno));
    /* the buffer grows to at most max_bytes + 1 bytes (+ the NUL): reading
     * that many tells a file over the limit from one exactly at it */
    size_t cap = max_bytes < 65535 ? max_bytes + 1 : 65536, n = 0;
    char *buf = malloc(cap + 1);
    alc_status st = ALC_OK;
    while (buf) {
        if (n == cap) {
            if (n > max_bytes) {
                st = alc_fail_at(err, ALC_ERR_LIMIT, path, 0, 0, "%s larger than %zu bytes",
                                 what ? what : "file", max_bytes);
                break;
            }
            size_t ncap = cap * 2 > max_bytes + 1 ? max_bytes + 1 : cap * 2;
            char *nb = realloc(buf, ncap + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f))
                st = alc_fail_at(err, ALC_ERR_IO, path, 0, 0, "read error: %s", strerror(errno));
            break;
        }
    }
    fclose(f);
    if (!buf)
        return alc_fail_at(err, ALC_ERR_NOMEM, path, 0, 0, "out of memory");
    if (st != ALC_OK) {
        free(buf);
        return st;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return ALC_OK;
}
