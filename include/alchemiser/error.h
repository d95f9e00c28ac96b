/* Error reporting shared by every module.
 *
 * Functions return an alc_status and, on failure, fill the caller's
 * alc_error.  Nothing below main() exits.  An alc_error is a plain value:
 * it owns no heap memory and can be copied freely. */
#ifndef ALCHEMISER_ERROR_H
#define ALCHEMISER_ERROR_H

#include <stddef.h>

typedef enum alc_status {
    ALC_OK = 0,
    ALC_ERR_USAGE,    /* bad command line */
    ALC_ERR_IO,       /* cannot open, read or write a file */
    ALC_ERR_PARSE,    /* DSL syntax error (file:line:col) */
    ALC_ERR_CHECK,    /* DSL static check: unknown operator, arity, ticker */
    ALC_ERR_DATA,     /* malformed market data (file:line) */
    ALC_ERR_MARKET,   /* no market data for a ticker/period (MarketDataError) */
    ALC_ERR_EVAL,     /* DslEvaluationError */
    ALC_ERR_VALUE,    /* ValueError / TypeError of the reference engine */
    ALC_ERR_LIMIT,    /* a documented limit was exceeded */
    ALC_ERR_JOB,      /* invalid job file */
    ALC_ERR_SESSION,  /* session failed (aggregation, batches) */
    ALC_ERR_TIMEOUT,  /* deadline passed */
    ALC_ERR_HDF5,     /* HDF5 library failure */
    ALC_ERR_MPI,      /* MPI failure */
    ALC_ERR_NOMEM,    /* allocation failed */
    ALC_ERR_INTERNAL  /* a bug: an invariant was violated */
} alc_status;

typedef struct alc_error {
    alc_status code;
    char file[512]; /* empty when the error has no source location */
    int line;       /* 1-based; 0 = none */
    int col;        /* 1-based; 0 = none */
    char msg[1024];
} alc_error;

/* Reset to "no error". */
void alc_error_clear(alc_error *err);

/* Record an error and return its code, so callers can write
 * `return alc_fail(err, ALC_ERR_IO, "cannot open %s", path);`.
 * err may be NULL (the error is then dropped). */
alc_status alc_fail(alc_error *err, alc_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Same, with a source location (line/col 0 = unknown). */
alc_status alc_fail_at(alc_error *err, alc_status code, const char *file,
                       int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* "file:line:col: message" (location parts omitted when absent). */
void alc_error_format(const alc_error *err, char *buf, size_t size);

/* Short name of a status, e.g. "ParseError". */
const char *alc_status_name(alc_status code);

#endif
