#include "alchemiser/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void alc_error_clear(alc_error *err)
{
    if (!err)
        return;
    err->code = ALC_OK;
    err->file[0] = '\0';
    err->line = 0;
    err->col = 0;
    err->msg[0] = '\0';
}

static alc_status fail_v(alc_error *err, alc_status code, const char *file,
                         int line, int col, const char *fmt, va_list ap)
{
    if (!err)
        return code;
    err->code = code;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    err->line = line;
    err->col = col;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    return code;
}

alc_status alc_fail(alc_error *err, alc_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    alc_status s = fail_v(err, code, NULL, 0, 0, fmt, ap);
    va_end(ap);
    return s;
}

alc_status alc_fail_at(alc_error *err, alc_status code, const char *file,
                       int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    alc_status s = fail_v(err, code, file, line, col, fmt, ap);
    va_end(ap);
    return s;
}

void alc_error_format(const alc_error *err, char *buf, size_t size)
{
    if (!err || err->code == ALC_OK) {
        snprintf(buf, size, "no error");
        return;
    }
    if (err->file[0] && err->line > 0 && err->col > 0)
        snprintf(buf, size, "%s:%d:%d: %s", err->file, err->line, err->col, err->msg);
    else if (err->file[0] && err->line > 0)
        snprintf(buf, size, "%s:%d: %s", err->file, err->line, err->msg);
    else if (err->file[0])
        snprintf(buf, size, "%s: %s", err->file, err->msg);
    else
        snprintf(buf, size, "%s", err->msg);
}

const char *alc_status_name(alc_status code)
{
    switch (code) {
    case ALC_OK: return "OK";
    case ALC_ERR_USAGE: return "UsageError";
    case ALC_ERR_IO: return "IOError";
    case ALC_ERR_PARSE: return "ParseError";
    case ALC_ERR_CHECK: return "CheckError";
    case ALC_ERR_DATA: return "MarketDataFormatError";
    case ALC_ERR_MARKET: return "MarketDataError";
    case ALC_ERR_EVAL: return "DslEvaluationError";
    case ALC_ERR_VALUE: return "ValueError";
    case ALC_ERR_LIMIT: return "LimitError";
    case ALC_ERR_JOB: return "JobError";
    case ALC_ERR_SESSION: return "SessionError";
    case ALC_ERR_TIMEOUT: return "TimeoutError";
    case ALC_ERR_HDF5: return "HDF5Error";
    case ALC_ERR_MPI: return "MPIError";
    case ALC_ERR_NOMEM: return "OutOfMemory";
    case ALC_ERR_INTERNAL: return "InternalError";
    }
    return "Error";
}
