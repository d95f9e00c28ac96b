/* Job file reader (see include/alchemiser/job.h for the format). */
#include "alchemiser/job.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alchemiser/file.h"
#include "alchemiser/sha256.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

const char *alc_scheduling_name(alc_scheduling s)
{
    return s == ALC_SCHED_STATIC ? "static" : "dynamic";
}

int alc_scheduling_parse(const char *name, alc_scheduling *out)
{
    if (!strcmp(name, "dynamic"))
        *out = ALC_SCHED_DYNAMIC;
    else if (!strcmp(name, "static"))
        *out = ALC_SCHED_STATIC;
    else
        return -1;
    return 0;
}

const char *alc_failure_policy_name(alc_failure_policy p)
{
    return p == ALC_ON_FAILURE_SKIP ? "skip" : "fail";
}

int alc_failure_policy_parse(const char *name, alc_failure_policy *out)
{
    if (!strcmp(name, "fail"))
        *out = ALC_ON_FAILURE_FAIL;
    else if (!strcmp(name, "skip"))
        *out = ALC_ON_FAILURE_SKIP;
    else
        return -1;
    return 0;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void alc_job_free(alc_job *job)
{
    if (!job)
        return;
    for (int i = 0; i < job->n_strategies; i++) {
        free(job->strategies[i].file);
        free(job->strategies[i].path);
    }
    free(job->strategies);
    free(job->path);
    free(job->dir);
    free(job->strategies_dir);
    free(job->text);
    free(job->market);
    free(job->output_dir);
    free(job);
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Lexically normalise an absolute path: collapse "//", "." and "..".
 * Returns -1 when the result does not fit. */
static int normalize_path(const char *in, char *out, size_t size)
{
    size_t len = 0;
    const char *p = in;
    if (size < 2)
        return -1;
    out[0] = '/';
    len = 1;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *s = p;
        while (*p && *p != '/')
            p++;
        size_t n = (size_t)(p - s);
        if (n == 1 && s[0] == '.')
            continue;
        if (n == 2 && s[0] == '.' && s[1] == '.') {
            /* drop the last component */
            while (len > 1 && out[len - 1] != '/')
                len--;
            if (len > 1)
                len--; /* the slash */
            continue;
        }
        if (len > 1) {
            if (len + 1 >= size)
                return -1;
            out[len++] = '/';
        }
        if (len + n >= size)
            return -1;
        memcpy(out + len, s, n);
        len += n;
    }
    out[len] = '\0';
    return 0;
}

/* Is `path` strictly inside directory `root`?  Both absolute and normalised. */
static int inside(const char *path, const char *root)
{
    size_t n = strlen(root);
    if (n == 1 && root[0] == '/')
        return path[0] == '/' && path[1] != '\0';
    return strncmp(path, root, n) == 0 && path[n] == '/' && path[n + 1] != '\0';
}

static int inside_any(const char *path, const char *const *roots, int n_roots)
{
    for (int i = 0; i < n_roots; i++)
        if (roots[i] && inside(path, roots[i]))
            return 1;
    return 0;
}

/* Resolve one strategy file against the allowed roots (see job.h). */
static alc_status resolve_strategy(const alc_job *job, const char *file, char **out,
                                   uint64_t *bytes, alc_error *err)
{
    const char *roots[2] = {job->dir, job->strategies_dir};
    int n_roots = job->strategies_dir ? 2 : 1;
    if (!*file)
        return alc_fail_at(err, ALC_ERR_JOB, job->path, 0, 0, "empty strategy file name");
    if (file[0] == '/')
        return alc_fail_at(err, ALC_ERR_JOB, job->path, 0, 0,
                           "strategy path '%s' is absolute: paths must be relative to the job "
                           "file's folder or to the strategies folder",
                           file);
    int lexically_inside = 0;
    for (int r = 0; r < n_roots; r++) {
        char joined[PATH_MAX], lex[PATH_MAX], real[PATH_MAX];
        if ((size_t)snprintf(joined, sizeof joined, "%s/%s", roots[r], file) >= sizeof joined ||
            normalize_path(joined, lex, sizeof lex) != 0)
            return alc_fail_at(err, ALC_ERR_JOB, job->path, 0, 0, "strategy path '%s' is too long",
                               file);
        if (!inside_any(lex, roots, n_roots))
            continue;
        lexically_inside = 1;
        /* Fast path for the usual case, a plain file name directly inside
         * a root: the roots are canonical already (realpath), so a regular
         * file that is not a link is its own canonical path, and one lstat
         * replaces realpath's readlink per path component (60 ms of a
         * 10,000-strategy job). */
        struct stat lst;
        const char *name = inside(lex, roots[r]) ? lex + strlen(roots[r]) + (roots[r][1] != '\0') : NULL;
        if (name && !strchr(name, '/') && lstat(lex, &lst) == 0 && S_ISREG(lst.st_mode)) {
            *bytes = (uint64_t)lst.st_size;
            *out = dup_str(lex);
            return *out ? ALC_OK : alc_fail(err, ALC_ERR_NOMEM, "out of memory");
        }
        if (!realpath(lex, real)) {
            if (errno == ENOENT || errno == ENOTDIR)
                continue;
            return alc_fail_at(err, ALC_ERR_JOB, job->path, 0, 0, "strategy file '%s': %s", file,
                               strerror(errno));
        }
        if (!inside_any(real, roots, n_roots))
            return alc_fail_at(err, ALC_ERR_JOB, job->path, 0, 0,
                               "strategy path '%s' resolves to %s, outside the job folder %s%s%s",
                               file, real, job->dir,
                               job->strategies_dir ? " and the strategies folder " : "",
                               job->strategies_dir ? job->strategies_dir : "");
        struct stat st;
        if (stat(real, &st) != 0 || !S_ISREG(st.st_mode))
            return alc_fail_at(err, ALC_ERR_JOB, job->path, 0, 0,
                               "strategy path '%s' is not a regular file", file);
        *bytes = (uint64_t)st.st_size;
        *out = dup_str(real);
        return *out ? ALC_OK : alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    }
    if (!lexically_inside)
        return alc_fail_at(err, ALC_ERR_JOB, job->path, 0, 0,
                           "strategy path '%s' escapes the job folder %s%s%s", file, job->dir,
                           job->strategies_dir ? " and the strategies folder " : "",
                           job->strategies_dir ? job->strategies_dir : "");
    return alc_fail_at(err, ALC_ERR_JOB, job->path, 0, 0,
                       "strategy file '%s' not found (looked in %s%s%s)", file, job->dir,
                       job->strategies_dir ? " and " : "",
                       job->strategies_dir ? job->strategies_dir : "");
}

/* cJSON keeps duplicate keys as separate children: refuse them everywhere. */
static alc_status check_duplicates(const cJSON *node, const char *job_path, alc_error *err)
{
    if (!node)
        return ALC_OK;
    if (cJSON_IsObject(node)) {
        for (const cJSON *a = node->child; a; a = a->next)
            for (const cJSON *b = a->next; b; b = b->next)
                if (a->string && b->string && !strcmp(a->string, b->string))
                    return alc_fail_at(err, ALC_ERR_JOB, job_path, 0, 0,
                                       "duplicate key \"%s\" in a JSON object", a->string);
    }
    for (const cJSON *c = node->child; c; c = c->next) {
        alc_status st = check_duplicates(c, job_path, err);
        if (st != ALC_OK)
            return st;
    }
    return ALC_OK;
}

static alc_status get_int(const alc_job *job, const cJSON *v, const char *key, int min,
                          int *out, alc_error *err)
{
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble != floor(v->valuedouble) ||
        v->valuedouble < min || v->valuedouble > 1e9)
        return alc_fail_at(err, ALC_ERR_JOB, job->path, 0, 0,
                           "\"%s\" must be an integer >= %d", key, min);
    *out = (int)v->valuedouble;
    return ALC_OK;
}

/* dir/p, lexically normalised ("jobs/../out" -> "out"); p may be absolute. */
static char *join_dir(const char *dir, const char *p)
{
    char joined[PATH_MAX], norm[PATH_MAX];
    if ((size_t)snprintf(joined, sizeof joined, "%s/%s", p[0] == '/' ? "" : dir, p) >= sizeof joined)
        return NULL;
    if (normalize_path(joined, norm, sizeof norm) != 0)
        return NULL;
    return dup_str(norm);
}

/* strategies[i] of the job: file, allocation, resolved path. */
static alc_status parse_entry(alc_job *job, const cJSON *e, int i, alc_error *err)
{
    if (!cJSON_IsObject(e))
        return alc_fail_at(err, ALC_ERR_JOB, job->path, 0, 0,
                           "strategies[%d] must be an object {\"file\", \"allocation\"}", i);
    const cJSON *file = NULL, *alloc = NULL;
    for (const cJSON *k = e->child; k; k = k->next) {
        if (!strcmp(k->string, "file"))
            file = k;
        else if (!strcmp(k->string, "allocation"))
            alloc = k;
        else
            return alc_fail_at(err, ALC_ERR_JOB, job->path, 0, 0,
                               "strategies[%d]: unknown key \"%s\"", i, k->string);
    }
    if (!cJSON_IsString(file))
        return alc_fail_at(err, ALC_ERR_JOB, job->path, 0, 0,
                           "strategies[%d]: \"file\" must be a string", i);
    if (!cJSON_IsNumber(alloc) || !isfinite(alloc->valuedouble) || alloc->valuedouble <= 0.0 ||
        alloc->valuedouble > 1.0)
        return alc_fail_at(err, ALC_ERR_JOB, job->path, 0, 0,
                           "strategies[%d] (%s): \"allocation\" must be a number in (0, 1]", i,
                           file->valuestring);
    alc_job_strategy *s = &job->strategies[i];
    job->n_strategies = i + 1;
    s->allocation = alloc->valuedouble;
    s->file = dup_str(file->valuestring);
    if (!s->file)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    alc_status st = resolve_strategy(job, s->file, &s->path, &s->bytes, err);
    if (st != ALC_OK)
        return st;
    return ALC_OK;
}

/* The same file listed twice is an error: an open-addressing set of
 * strategy indices keyed by resolved path (slots[cap], -1 = empty), so that
 * a job of n strategies costs O(n), not n^2 / 2 path comparisons. */
static uint64_t path_hash(const char *p)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (; *p; p++)
        h = (h ^ (unsigned char)*p) * UINT64_C(0x100000001b3);
    return h;
}

static alc_status check_unique(const alc_job *job, int i, int *slots, size_t cap, alc_error *err)
{
    const alc_job_strategy *s = &job->strategies[i];
    for (size_t k = (size_t)path_hash(s->path) & (cap - 1);; k = (k + 1) & (cap - 1)) {
        int j = slots[k];
        if (j < 0) {
            slots[k] = i;
            return ALC_OK;
        }
        if (!strcmp(job->strategies[j].path, s->path))
            return alc_fail_at(err, ALC_ERR_JOB, job->path, 0, 0,
                               "strategies[%d] (%s) is the same file as strategies[%d] (%s)", i,
                               s->file, j, job->strategies[j].file);
    }
}

static alc_status parse_strategies(alc_job *job, const cJSON *arr, alc_error *err)
{
    if (!cJSON_IsArray(arr))
        return alc_fail_at(err, ALC_ERR_JOB, job->path, 0, 0,
                           "\"strategies\" must be an array of {\"file\", \"allocation\"}");
    int n = cJSON_GetArraySize(arr);
    if (n <= 0)
        return alc_fail_at(err, ALC_ERR_JOB, job->path, 0, 0, "\"strategies\" is empty");
    job->strategies = calloc((size_t)n, sizeof *job->strategies);
    if (!job->strategies)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    size_t cap = 16;
    while (cap < 2 * (size_t)n)
        cap *= 2;
    int *slots = malloc(cap * sizeof *slots);
    if (!slots)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    memset(slots, 0xff, cap * sizeof *slots); /* every slot -1 */
    double sum = 0.0;
    int i = 0;
    for (const cJSON *e = arr->child; e; e = e->next, i++) {
        alc_status st = parse_entry(job, e, i, err);
        if (st == ALC_OK)
            st = check_unique(job, i, slots, cap, err);
        if (st != ALC_OK) {
            free(slots);
            return st;
        }
        sum += job->strategies[i].allocation;
    }
    free(slots);
    if (!(fabs(sum - 1.0) <= ALC_JOB_ALLOCATION_TOLERANCE))
        return alc_fail_at(err, ALC_ERR_JOB, job->path, 0, 0,
                           "strategy allocations sum to %.17g, not 1 (tolerance %g)", sum,
                           ALC_JOB_ALLOCATION_TOLERANCE);
    return ALC_OK;
}

static alc_status find_strategies_dir(alc_job *job, const char *given, alc_error *err)
{
    char real[PATH_MAX];
    if (given) {
        if (!realpath(given, real) || !is_dir(real))
            return alc_fail(err, ALC_ERR_JOB, "strategies folder %s does not exist", given);
    } else {
        const char *env = getenv("ALC_STRATEGIES_DIR");
        char up[PATH_MAX];
        snprintf(up, sizeof up, "%s/../strategies", job->dir);
        if (env && *env) {
            if (!realpath(env, real) || !is_dir(real))
                return alc_fail(err, ALC_ERR_JOB, "ALC_STRATEGIES_DIR=%s is not a folder", env);
        } else if (!(realpath("strategies", real) && is_dir(real)) &&
                   !(realpath(up, real) && is_dir(real))) {
            return ALC_OK; /* no strategies folder: only the job folder is allowed */
        }
    }
    job->strategies_dir = dup_str(real);
    return job->strategies_dir ? ALC_OK : alc_fail(err, ALC_ERR_NOMEM, "out of memory");
}

static alc_status parse_fields(alc_job *job, const cJSON *root, const char *strategies_dir,
                               alc_error *err)
{
    if (!cJSON_IsObject(root))
        return alc_fail_at(err, ALC_ERR_JOB, job->path, 0, 0, "a job must be a JSON object");
    alc_status st = check_duplicates(root, job->path, err);
    if (st != ALC_OK)
        return st;
    static const char *known[] = {"strategies", "market", "as_of", "batch_size",
                                  "max_parallel_batches", "timeout_seconds", "max_retries",
                                  "output_dir", "scheduling", "description",
                                  "on_strategy_failure"};
    for (const cJSON *k = root->child; k; k = k->next) {
        size_t i = 0;
        while (i < sizeof known / sizeof known[0] && strcmp(known[i], k->string))
            i++;
        if (i == sizeof known / sizeof known[0])
            return alc_fail_at(err, ALC_ERR_JOB, job->path, 0, 0, "unknown key \"%s\"", k->string);
    }
    job->batch_size = ALC_JOB_DEFAULT_BATCH_SIZE;
    job->timeout_seconds = ALC_JOB_DEFAULT_TIMEOUT;
    job->max_retries = ALC_JOB_DEFAULT_MAX_RETRIES;
    job->scheduling = ALC_SCHED_DYNAMIC;

    const cJSON *v;
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "batch_size")) &&
        (st = get_int(job, v, "batch_size", 1, &job->batch_size, err)) != ALC_OK)
        return st;
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "max_parallel_batches")) &&
        (st = get_int(job, v, "max_parallel_batches", 1, &job->max_parallel_batches, err)) != ALC_OK)
        return st;
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "max_retries")) &&
        (st = get_int(job, v, "max_retries", 0, &job->max_retries, err)) != ALC_OK)
        return st;
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "timeout_seconds"))) {
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble <= 0 ||
            v->valuedouble > 1e7)
            return alc_fail_at(err, ALC_ERR_JOB, job->path, 0, 0,
                               "\"timeout_seconds\" must be a positive number");
        job->timeout_seconds = v->valuedouble;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "scheduling"))) {
        if (!cJSON_IsString(v) || alc_scheduling_parse(v->valuestring, &job->scheduling) != 0)
            return alc_fail_at(err, ALC_ERR_JOB, job->path, 0, 0,
                               "\"scheduling\" must be \"dynamic\" or \"static\"");
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "on_strategy_failure"))) {
        if (!cJSON_IsString(v) ||
            alc_failure_policy_parse(v->valuestring, &job->on_strategy_failure) != 0)
            return alc_fail_at(err, ALC_ERR_JOB, job->path, 0, 0,
                               "\"on_strategy_failure\" must be \"fail\" or \"skip\"");
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "description")) && !cJSON_IsString(v))
        return alc_fail_at(err, ALC_ERR_JOB, job->path, 0, 0, "\"description\" must be a string");
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "as_of")) && !cJSON_IsNull(v)) {
        if (!cJSON_IsString(v) ||
            alc_parse_date(v->valuestring, strlen(v->valuestring), &job->as_of) != 0)
            return alc_fail_at(err, ALC_ERR_JOB, job->path, 0, 0,
                               "\"as_of\" must be a date \"YYYY-MM-DD\" or null");
        job->has_as_of = 1;
    }
    v = cJSON_GetObjectItemCaseSensitive(root, "market");
    if (!cJSON_IsString(v) || !*v->valuestring)
        return alc_fail_at(err, ALC_ERR_JOB, job->path, 0, 0,
                           "\"market\" (the market file, relative to the job file) is required");
    if (!(job->market = join_dir(job->dir, v->valuestring)))
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "output_dir"))) {
        if (!cJSON_IsString(v) || !*v->valuestring)
            return alc_fail_at(err, ALC_ERR_JOB, job->path, 0, 0,
                               "\"output_dir\" must be a non-empty string");
        job->output_dir = join_dir(job->dir, v->valuestring);
    } else {
        job->output_dir = dup_str("out");
    }
    if (!job->output_dir)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");

    if ((st = find_strategies_dir(job, strategies_dir, err)) != ALC_OK)
        return st;
    v = cJSON_GetObjectItemCaseSensitive(root, "strategies");
    if (!v)
        return alc_fail_at(err, ALC_ERR_JOB, job->path, 0, 0, "\"strategies\" is required");
    return parse_strategies(job, v, err);
}

static void error_position(const char *text, const char *at, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (const char *p = text; p < at && *p; p++) {
        if (*p == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

/* A \u0000 escape would end the string early in cJSON (a "file" of
 * "a.clj\u0000..." would read as "a.clj"): refuse it.  Returns its
 * position, or NULL.  `\\u0000` (an escaped backslash) is plain text. */
static const char *nul_escape(const char *text, size_t len)
{
    for (const char *p = text; (p = memchr(p, '\\', len - (size_t)(p - text))) != NULL;) {
        size_t run = 0;
        while ((size_t)(p - text) + run < len && p[run] == '\\')
            run++;
        const char *after = p + run;
        if (run % 2 == 1 && (size_t)(after - text) + 5 <= len && after[0] == 'u' &&
            !memcmp(after + 1, "0000", 4))
            return after - 1;
        p = after;
        if ((size_t)(p - text) >= len)
            break;
    }
    return NULL;
}

alc_status alc_job_parse(const char *path, const char *text, size_t len,
                         const char *strategies_dir, alc_job **out, alc_error *err)
{
    *out = NULL;
    if (len > ALC_JOB_MAX_BYTES)
        return alc_fail_at(err, ALC_ERR_LIMIT, path, 0, 0, "job file larger than %u bytes",
                           ALC_JOB_MAX_BYTES);
    alc_job *job = calloc(1, sizeof *job);
    if (!job)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    job->path = dup_str(path);
    job->text = malloc(len + 1);
    if (!job->path || !job->text) {
        alc_job_free(job);
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    }
    memcpy(job->text, text, len);
    job->text[len] = '\0';
    job->text_len = len;
    alc_sha256_hex(text, len, job->sha256);

    /* The job's folder anchors every relative path. */
    char dirbuf[PATH_MAX], real[PATH_MAX];
    snprintf(dirbuf, sizeof dirbuf, "%s", path);
    char *slash = strrchr(dirbuf, '/');
    if (slash == dirbuf)
        dirbuf[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        snprintf(dirbuf, sizeof dirbuf, ".");
    if (!realpath(dirbuf, real)) {
        alc_status st = alc_fail_at(err, ALC_ERR_JOB, path, 0, 0, "job folder %s: %s", dirbuf,
                                    strerror(errno));
        alc_job_free(job);
        return st;
    }
    job->dir = dup_str(real);
    if (!job->dir) {
        alc_job_free(job);
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    }

    if (memchr(job->text, '\0', len)) {
        alc_job_free(job);
        return alc_fail_at(err, ALC_ERR_JOB, path, 0, 0, "job file contains a NUL byte");
    }
    const char *end = NULL;
    /* A UTF-8 byte-order mark is skipped (as in CSV market files); CRLF
     * line ends are JSON whitespace.  The SHA-256 covers the bytes as read. */
    size_t bom = len >= 3 && !memcmp(job->text, "\xEF\xBB\xBF", 3) ? 3 : 0;
    /* len + 1: the NUL terminator is part of the buffer, so that cJSON's
     * "nothing after the value" check can see it. */
    cJSON *root = cJSON_ParseWithLengthOpts(job->text + bom, len + 1 - bom, &end, 1);
    if (!root) {
        int line, col;
        const char *at = end ? end : cJSON_GetErrorPtr();
        error_position(job->text + bom, at ? at : job->text + len, &line, &col);
        alc_job_free(job);
        return alc_fail_at(err, ALC_ERR_JOB, path, line, col, "invalid JSON");
    }
    const char *nul = nul_escape(job->text + bom, len - bom);
    if (nul) {
        int line, col;
        error_position(job->text + bom, nul, &line, &col);
        cJSON_Delete(root);
        alc_job_free(job);
        return alc_fail_at(err, ALC_ERR_JOB, path, line, col,
                           "\\u0000 (a NUL character) inside a JSON string is not allowed");
    }
    alc_status st = parse_fields(job, root, strategies_dir, err);
    cJSON_Delete(root);
    if (st != ALC_OK) {
        alc_job_free(job);
        return st;
    }
    *out = job;
    return ALC_OK;
}

alc_status alc_job_load(const char *path, const char *strategies_dir, alc_job **out,
                        alc_error *err)
{
    *out = NULL;
    char *buf;
    size_t len;
    alc_status st = alc_read_file(path, ALC_JOB_MAX_BYTES, "job file", &buf, &len, err);
    if (st != ALC_OK)
        return st;
    st = alc_job_parse(path, buf, len, strategies_dir, out, err);
    free(buf);
    return st;
}

alc_status alc_job_hash_source(alc_job *job, int i, alc_error *err)
{
    unsigned char buf[65536];
    alc_job_strategy *js = &job->strategies[i];
    FILE *f = fopen(js->path, "rb");
    if (!f)
        return alc_fail_at(err, ALC_ERR_IO, js->file, 0, 0, "cannot read the strategy: %s",
                           strerror(errno));
    alc_sha256 h;
    alc_sha256_init(&h);
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        alc_sha256_update(&h, buf, got);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return alc_fail_at(err, ALC_ERR_IO, js->file, 0, 0, "read error");
    unsigned char d[32];
    alc_sha256_final(&h, d);
    for (int k = 0; k < 32; k++)
        snprintf(js->sha256 + 2 * k, 3, "%02x", d[k]);
    return ALC_OK;
}

alc_status alc_job_hash_sources(alc_job *job, alc_error *err)
{
    for (int i = 0; i < job->n_strategies; i++) {
        alc_status st = alc_job_hash_source(job, i, err);
        if (st != ALC_OK)
            return st;
    }
    return ALC_OK;
}
