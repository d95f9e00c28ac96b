/* The consolidated signal: <session>.portfolio.json and the stdout table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alchemiser/json.h"
#include "alchemiser/session.h"
#include "session/internal.h"

/* %.17g round-trips every double, so equal files mean bit-equal weights. */
static void json_num(FILE *f, double v)
{
    char b[40];
    int n = alc_format_g17(v, b);
    fwrite(b, 1, n > 0 ? (size_t)n : 0, f);
}

static void json_date(FILE *f, alc_day d)
{
    if (d == 0) {
        fputs("null", f);
        return;
    }
    char buf[16];
    alc_format_date(d, buf);
    alc_json_string(f, buf);
}

/* The two large sections (attribution: a row per strategy and ticker, and
 * strategies) are assembled in a buffer of their own, with every strategy
 * file name JSON-escaped once: 200,000 rows of stdio calls and escaping
 * cost more than the formatting of their numbers. */
typedef struct jout {
    FILE *f;
    char buf[1 << 16];
    size_t len;
} jout;

static void jout_flush(jout *o)
{
    fwrite(o->buf, 1, o->len, o->f);
    o->len = 0;
}

static void jout_put(jout *o, const char *p, size_t n)
{
    if (o->len + n > sizeof o->buf) {
        jout_flush(o);
        if (n > sizeof o->buf) {
            fwrite(p, 1, n, o->f);
            return;
        }
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
}

#define JOUT_LIT(o, lit) jout_put(o, lit, sizeof lit - 1)

static void jout_num(jout *o, double v)
{
    if (o->len + 40 > sizeof o->buf)
        jout_flush(o);
    int n = alc_format_g17(v, o->buf + o->len);
    o->len += n > 0 ? (size_t)n : 0;
}

/* Anything else goes through the FILE: what is buffered goes first. */
static FILE *jout_file(jout *o)
{
    jout_flush(o);
    return o->f;
}

/* The job's strategy file names, each JSON-escaped (quotes included), in
 * one block: name i is text + at[i], at[i + 1] - at[i] bytes.  NULL when
 * out of memory (the caller escapes each name where it goes instead). */
typedef struct escaped_names {
    char *text;
    size_t *at;
} escaped_names;

static int escape_names(const alc_job *job, escaped_names *out)
{
    out->text = NULL;
    out->at = malloc(((size_t)job->n_strategies + 1) * sizeof *out->at);
    size_t size = 0;
    FILE *m = out->at ? open_memstream(&out->text, &size) : NULL;
    if (!m) {
        free(out->at);
        out->at = NULL;
        return -1;
    }
    for (int i = 0; i < job->n_strategies; i++) {
        out->at[i] = (size_t)ftell(m);
        alc_json_string(m, job->strategies[i].file);
    }
    out->at[job->n_strategies] = (size_t)ftell(m);
    if (fclose(m) != 0 || !out->text) {
        free(out->text);
        free(out->at);
        out->text = NULL;
        out->at = NULL;
        return -1;
    }
    return 0;
}

static void jout_name(jout *o, const escaped_names *names, const alc_job *job, int i)
{
    if (names->text)
        jout_put(o, names->text + names->at[i], names->at[i + 1] - names->at[i]);
    else
        alc_json_string(jout_file(o), job->strategies[i].file);
}

static void jout_date(jout *o, alc_day d)
{
    if (d == 0) {
        JOUT_LIT(o, "null");
        return;
    }
    char buf[16];
    alc_format_date(d, buf);
    jout_put(o, "\"", 1);
    jout_put(o, buf, strlen(buf));
    jout_put(o, "\"", 1);
}

/* The signal of strategy i and the id of its batch (binary search: the
 * batches cover the strategies in job order). */
static const alc_signal *signal_of(const alc_session *s, int i, const char **batch)
{
    int lo = 0, hi = s->n_batches - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        const alc_batch_state *bs = &s->batches[mid];
        if (i < bs->batch.first) {
            hi = mid - 1;
        } else if (i >= bs->batch.first + bs->batch.count) {
            lo = mid + 1;
        } else {
            *batch = bs->batch.id;
            int k = i - bs->batch.first;
            return bs->has_result && k < bs->result.n_signals ? &bs->result.signals[k] : NULL;
        }
    }
    *batch = "";
    return NULL;
}

alc_status alc_session_write_portfolio(const alc_session *s, const char *path, alc_error *err)
{
    char tmp[ALC_PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    /* "x": a new file, never through a symbolic link planted in the output folder */
    FILE *f = fopen(tmp, "wx");
    if (!f)
        return alc_fail_at(err, ALC_ERR_IO, tmp, 0, 0, "cannot create: %s", strerror(errno));
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    /* locked once for the whole file: each of the 100,000 and more small
     * writes of a large session then takes a lock it already holds */
    flockfile(f);
    char created[40], finished[40];
    alc_format_timestamp(s->created_wall, created, sizeof created);
    alc_format_timestamp(s->finished_wall, finished, sizeof finished);

    /* Line 2 holds everything that varies between runs of the same job. */
    fputs("{\n  \"session\": {\"session_id\": ", f);
    alc_json_string(f, s->id);
    fputs(", \"correlation_id\": ", f);
    alc_json_string(f, s->correlation_id);
    fputs(", \"created\": ", f);
    alc_json_string(f, created);
    fputs(", \"finished\": ", f);
    alc_json_string(f, finished);
    fprintf(f, ", \"n_ranks\": %d, \"scheduling\": ", s->n_ranks);
    alc_json_string(f, alc_scheduling_name(s->scheduling));
    fprintf(f, ", \"batch_size\": %d, \"n_batches\": %d, \"job\": ", s->batch_size, s->n_batches);
    alc_json_string(f, s->job->path);
    fputs(", \"job_sha256\": ", f);
    alc_json_string(f, s->job->sha256);
    fputs(", \"snapshot\": ", f);
    alc_json_string(f, s->h5_path);
    fputs(", \"events\": ", f);
    alc_json_string(f, s->events_path);
    fprintf(f, ", \"resume_count\": %d, \"rerun_of\": ", s->resume_count);
    if (s->rerun_of[0])
        alc_json_string(f, s->rerun_of);
    else
        fputs("null", f);
    fputs("},\n", f);

    /* Deterministic part: a function of the job, the market and as_of. */
    fprintf(f, "  \"schema_version\": %d,\n  \"as_of\": ", ALC_SESSION_SCHEMA_VERSION);
    json_date(f, s->as_of);
    fputs(",\n  \"status\": ", f);
    alc_json_string(f, alc_session_status_name(s->status));
    fputs(",\n  \"error_type\": ", f);
    if (s->error_type[0])
        alc_json_string(f, s->error_type);
    else
        fputs("null", f);
    fputs(",\n  \"error\": ", f);
    if (s->error[0])
        alc_json_string(f, s->error);
    else
        fputs("null", f);
    fputs(",\n  \"on_strategy_failure\": ", f);
    alc_json_string(f, alc_failure_policy_name(s->job->on_strategy_failure));
    fprintf(f, ",\n  \"degraded\": %s,\n  \"kept_allocation\": ", s->degraded ? "true" : "false");
    if (s->degraded)
        json_num(f, s->kept_allocation);
    else
        fputs("null", f);
    fputs(",\n  \"dropped\": {", f);
    for (int i = 0, first = 1; i < s->job->n_strategies; i++) {
        const char *why = alc_session_drop_reason(s, i);
        if (!why)
            continue;
        fputs(first ? "\n    " : ",\n    ", f);
        first = 0;
        alc_json_string(f, s->job->strategies[i].file);
        fputs(": ", f);
        alc_json_string(f, why);
    }
    fputs(s->n_dropped ? "\n  }" : "}", f);
    const alc_consolidated *c = &s->portfolio;
    int has = s->has_portfolio;
    fprintf(f, ",\n  \"n_strategies\": %d,\n  \"total\": ", s->job->n_strategies);
    json_num(f, has ? c->total : 0.0);
    fputs(",\n  \"oldest_data_date\": ", f);
    json_date(f, has ? c->oldest : 0);
    fputs(",\n  \"oldest_data_strategy\": ", f);
    if (has && c->oldest_strategy >= 0)
        alc_json_string(f, s->job->strategies[c->oldest_strategy].file);
    else
        fputs("null", f);
    fputs(",\n  \"portfolio\": {", f);
    for (int i = 0; has && i < c->n; i++) {
        fputs(i ? ",\n    " : "\n    ", f);
        alc_json_string(f, c->w[i].ticker);
        fputs(": ", f);
        json_num(f, c->w[i].weight);
    }
    fputs(has && c->n ? "\n  },\n  \"attribution\": {" : "},\n  \"attribution\": {", f);
    escaped_names names;
    (void)escape_names(s->job, &names);
    jout *o = malloc(sizeof *o);
    if (!o) {
        free(names.text);
        free(names.at);
        funlockfile(f);
        fclose(f);
        remove(tmp);
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    }
    o->f = f;
    o->len = 0;
    for (int i = 0, a = 0; has && i < c->n; i++) {
        jout_put(o, i ? ",\n    " : "\n    ", i ? 6 : 5);
        alc_json_string(jout_file(o), c->w[i].ticker);
        JOUT_LIT(o, ": {");
        for (int first = 1; a < c->n_attr && c->attr[a].ticker == i; a++, first = 0) {
            if (!first)
                JOUT_LIT(o, ", ");
            jout_name(o, &names, s->job, c->attr[a].strategy);
            JOUT_LIT(o, ": ");
            jout_num(o, c->attr[a].weight);
        }
        JOUT_LIT(o, "}");
    }
    if (has && c->n)
        JOUT_LIT(o, "\n  },\n  \"strategies\": {");
    else
        JOUT_LIT(o, "},\n  \"strategies\": {");
    for (int i = 0; i < s->job->n_strategies; i++) {
        const char *batch;
        const alc_signal *sg = signal_of(s, i, &batch);
        jout_put(o, i ? ",\n    " : "\n    ", i ? 6 : 5);
        jout_name(o, &names, s->job, i);
        JOUT_LIT(o, ": {\"allocation\": ");
        jout_num(o, s->job->strategies[i].allocation);
        const char *why = alc_session_drop_reason(s, i);
        /* the four status names need no escaping */
        const char *status = why ? "dropped" : sg ? (sg->code ? "failed" : "ok") : "missing";
        JOUT_LIT(o, ", \"status\": \"");
        jout_put(o, status, strlen(status));
        JOUT_LIT(o, "\", \"last_bar_date\": ");
        jout_date(o, sg ? sg->last_bar : 0);
        JOUT_LIT(o, ", \"error\": ");
        if (why)
            alc_json_string(jout_file(o), why);
        else if (sg && sg->error)
            alc_json_string(jout_file(o), sg->error);
        else
            JOUT_LIT(o, "null");
        JOUT_LIT(o, "}");
    }
    jout_flush(o);
    free(o);
    free(names.text);
    free(names.at);
    fputs("\n  }\n}\n", f);
    funlockfile(f);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        remove(tmp);
        return alc_fail_at(err, ALC_ERR_IO, path, 0, 0, "cannot write the portfolio");
    }
    if (rename(tmp, path) != 0)
        return alc_fail_at(err, ALC_ERR_IO, path, 0, 0, "cannot rename %s: %s", tmp,
                           strerror(errno));
    return ALC_OK;
}

void alc_session_print(const alc_session *s, FILE *out)
{
    char d[16];
    alc_format_date(s->as_of, d);
    fprintf(out, "Session %s: %s (as of %s, %d strategies, %d batches, %d rank%s, %s)\n", s->id,
            alc_session_status_name(s->status), d, s->job->n_strategies, s->n_batches, s->n_ranks,
            s->n_ranks == 1 ? "" : "s", alc_scheduling_name(s->scheduling));
    if (s->error[0])
        fprintf(out, "Error (%s): %s\n", s->error_type, s->error);
    if (s->degraded) {
        fprintf(out,
                "DEGRADED: %d of %d strategies dropped (on_strategy_failure=skip), the other "
                "allocations (%.6f) renormalised to 1:\n",
                s->n_dropped, s->job->n_strategies, s->kept_allocation);
        for (int i = 0; i < s->job->n_strategies; i++) {
            const char *why = alc_session_drop_reason(s, i);
            if (why)
                fprintf(out, "  dropped %s: %s\n", s->job->strategies[i].file, why);
        }
    }
    const alc_consolidated *c = &s->portfolio;
    if (s->has_portfolio && c->n > 0) {
        fprintf(out, "\n  %-8s %12s  %s\n", "TICKER", "WEIGHT", "STRATEGIES");
        for (int i = 0, a = 0; i < c->n; i++) {
            int k = 0;
            for (; a < c->n_attr && c->attr[a].ticker == i; a++)
                k++;
            fprintf(out, "  %-8s %11.6f%%  %d\n", c->w[i].ticker, c->w[i].weight * 100.0, k);
        }
        fprintf(out, "  %-8s %11.6f%%\n", "TOTAL", c->total * 100.0);
        if (c->oldest) {
            alc_format_date(c->oldest, d);
            fprintf(out, "\nOldest data: %s (%s)\n", d,
                    c->oldest_strategy >= 0 ? s->job->strategies[c->oldest_strategy].file : "?");
        }
    }
    fprintf(out, "\nSnapshot:  %s\nEvents:    %s\nPortfolio: %s\n", s->h5_path, s->events_path,
            s->portfolio_path);
}
