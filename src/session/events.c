/* JSON-lines event log (see include/alchemiser/events.h). */
#include "alchemiser/events.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/internal.h"

struct alc_events {
    FILE *f;
    char session_id[ALC_SESSION_ID_MAX];
    char correlation_id[ALC_SESSION_ID_MAX];
    char path[ALC_PATH_MAX];
};

alc_status alc_events_open(const char *path, const char *session_id, const char *correlation_id,
                           alc_events **out, alc_error *err)
{
    *out = NULL;
    alc_events *ev = calloc(1, sizeof *ev);
    if (!ev)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    ev->f = fopen(path, "wx"); /* a session's event file is new, never appended to */
    if (!ev->f) {
        free(ev);
        return alc_fail_at(err, ALC_ERR_IO, path, 0, 0, "cannot create the event log: %s",
                           strerror(errno));
    }
    snprintf(ev->session_id, sizeof ev->session_id, "%s", session_id);
    snprintf(ev->correlation_id, sizeof ev->correlation_id, "%s", correlation_id);
    snprintf(ev->path, sizeof ev->path, "%s", path);
    *out = ev;
    return ALC_OK;
}

alc_status alc_events_open_append(const char *path, const char *session_id,
                                  const char *correlation_id, alc_events **out,
                                  char *last_event_id, alc_error *err)
{
    *out = NULL;
    last_event_id[0] = '\0';
    FILE *r = fopen(path, "r");
    if (r) {
        char line[8192];
        static const char key[] = "\"event_id\":\"";
        while (fgets(line, sizeof line, r)) {
            const char *p = strstr(line, key);
            if (p != line + 1 || strncmp(line, "{", 1))
                continue; /* continuation of a long line, or not an event */
            p += sizeof key - 1;
            const char *q = strchr(p, '"');
            if (q && q - p < ALC_EVENT_ID_MAX)
                snprintf(last_event_id, ALC_EVENT_ID_MAX, "%.*s", (int)(q - p), p);
        }
        fclose(r);
    }
    alc_events *ev = calloc(1, sizeof *ev);
    if (!ev)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    ev->f = fopen(path, "a");
    if (!ev->f) {
        free(ev);
        return alc_fail_at(err, ALC_ERR_IO, path, 0, 0, "cannot append to the event log: %s",
                           strerror(errno));
    }
    snprintf(ev->session_id, sizeof ev->session_id, "%s", session_id);
    snprintf(ev->correlation_id, sizeof ev->correlation_id, "%s", correlation_id);
    snprintf(ev->path, sizeof ev->path, "%s", path);
    *out = ev;
    return ALC_OK;
}

void alc_events_close(alc_events *ev)
{
    if (!ev)
        return;
    if (ev->f)
        fclose(ev->f);
    free(ev);
}

alc_status alc_events_emit(alc_events *ev, const char *type, const char *causation_id,
                           cJSON *payload, char *event_id, alc_error *err)
{
    char id[ALC_EVENT_ID_MAX], hex[33], ts[40];
    alc_random_hex(hex, 16);
    snprintf(id, sizeof id, "evt-%s", hex);
    alc_format_timestamp(alc_now_wall(), ts, sizeof ts);
    cJSON *o = cJSON_CreateObject();
    if (!o) {
        cJSON_Delete(payload);
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    }
    cJSON_AddStringToObject(o, "event_id", id);
    cJSON_AddStringToObject(o, "event_type", type);
    cJSON_AddNumberToObject(o, "schema_version", ALC_EVENTS_SCHEMA_VERSION);
    cJSON_AddStringToObject(o, "timestamp", ts);
    cJSON_AddStringToObject(o, "session_id", ev->session_id);
    cJSON_AddStringToObject(o, "correlation_id", ev->correlation_id);
    cJSON_AddStringToObject(o, "causation_id", causation_id ? causation_id : ev->correlation_id);
    if (payload)
        cJSON_AddItemToObject(o, "payload", payload);
    else
        cJSON_AddObjectToObject(o, "payload");
    char *line = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!line)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    int bad = fputs(line, ev->f) < 0 || fputc('\n', ev->f) == EOF || fflush(ev->f) != 0;
    cJSON_free(line);
    if (bad)
        return alc_fail_at(err, ALC_ERR_IO, ev->path, 0, 0, "cannot write an event: %s",
                           strerror(errno));
    if (event_id)
        snprintf(event_id, ALC_EVENT_ID_MAX, "%s", id);
    return ALC_OK;
}

static cJSON *weights_object(const alc_weight *w, int n)
{
    cJSON *o = cJSON_CreateObject();
    for (int i = 0; o && i < n; i++)
        cJSON_AddNumberToObject(o, w[i].ticker, w[i].weight);
    return o;
}

static void add_batch_header(cJSON *p, const alc_session *s, int b)
{
    cJSON_AddStringToObject(p, "batch_id", s->batches[b].batch.id);
    cJSON_AddNumberToObject(p, "batch_number", b + 1);
    cJSON_AddNumberToObject(p, "total_batches", s->n_batches);
}

alc_status alc_event_batch_requested(alc_events *ev, const alc_session *s, int b,
                                     const char *causation_id, char *event_id, alc_error *err)
{
    const alc_batch_state *bs = &s->batches[b];
    cJSON *p = cJSON_CreateObject();
    if (!p)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    add_batch_header(p, s, b);
    cJSON_AddNumberToObject(p, "attempt", bs->attempts);
    cJSON_AddNumberToObject(p, "rank", bs->rank);
    cJSON *files = cJSON_AddArrayToObject(p, "dsl_files");
    cJSON *allocs = cJSON_AddArrayToObject(p, "allocations");
    for (int k = 0; k < bs->batch.count; k++) {
        const alc_job_strategy *js = &s->job->strategies[bs->batch.first + k];
        cJSON_AddItemToArray(files, cJSON_CreateString(js->file));
        cJSON_AddItemToArray(allocs, cJSON_CreateNumber(js->allocation));
    }
    cJSON_AddNumberToObject(p, "batch_weight", bs->batch.weight);
    return alc_events_emit(ev, "StrategyBatchRequested", causation_id, p, event_id, err);
}

alc_status alc_event_partial(alc_events *ev, const alc_session *s, const alc_partial *pr,
                             const char *causation_id, char *event_id, alc_error *err)
{
    cJSON *p = cJSON_CreateObject();
    if (!p)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    add_batch_header(p, s, pr->batch_index);
    cJSON_AddNumberToObject(p, "attempt", pr->attempt);
    cJSON_AddNumberToObject(p, "rank", pr->rank);
    cJSON_AddBoolToObject(p, "success", !pr->failed);
    cJSON_AddNumberToObject(p, "signal_count", pr->n_signals);
    cJSON_AddItemToObject(p, "partial_portfolio", weights_object(pr->portfolio, pr->n_portfolio));
    cJSON *errs = cJSON_AddArrayToObject(p, "errors");
    if (pr->error) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNullToObject(e, "file");
        cJSON_AddStringToObject(e, "error", pr->error);
        cJSON_AddItemToArray(errs, e);
    }
    for (int i = 0; i < pr->n_signals; i++) {
        if (pr->signals[i].code == ALC_OK || pr->error)
            continue;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "file", pr->signals[i].file);
        cJSON_AddStringToObject(e, "error", pr->signals[i].error ? pr->signals[i].error : "");
        cJSON_AddItemToArray(errs, e);
    }
    cJSON_AddNumberToObject(p, "eval_ms", pr->eval_ms);
    return alc_events_emit(ev, "PartialSignalGenerated", causation_id, p, event_id, err);
}

static cJSON *portfolio_object(const alc_session *s)
{
    return weights_object(s->portfolio.w, s->portfolio.n);
}

alc_status alc_event_aggregation(alc_events *ev, const alc_session *s, const char *causation_id,
                                 char *event_id, alc_error *err)
{
    cJSON *p = cJSON_CreateObject();
    if (!p)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    cJSON_AddNumberToObject(p, "strategy_count", s->job->n_strategies);
    cJSON_AddNumberToObject(p, "batch_count", s->n_batches);
    cJSON_AddNumberToObject(p, "total", s->portfolio.total);
    cJSON_AddItemToObject(p, "consolidated_portfolio", portfolio_object(s));
    return alc_events_emit(ev, "AggregationCompleted", causation_id, p, event_id, err);
}

alc_status alc_event_signal(alc_events *ev, const alc_session *s, const char *causation_id,
                            char *event_id, alc_error *err)
{
    char d[16];
    cJSON *p = cJSON_CreateObject();
    if (!p)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    alc_format_date(s->as_of, d);
    cJSON_AddStringToObject(p, "as_of", d);
    cJSON_AddStringToObject(p, "status", alc_session_status_name(s->status));
    cJSON_AddItemToObject(p, "consolidated_portfolio", portfolio_object(s));
    if (s->portfolio.oldest) {
        alc_format_date(s->portfolio.oldest, d);
        cJSON_AddStringToObject(p, "oldest_data_date", d);
    } else {
        cJSON_AddNullToObject(p, "oldest_data_date");
    }
    return alc_events_emit(ev, "SignalGenerated", causation_id, p, event_id, err);
}

alc_status alc_event_failed(alc_events *ev, const alc_session *s, const char *causation_id,
                            char *event_id, alc_error *err)
{
    cJSON *p = cJSON_CreateObject();
    if (!p)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    cJSON_AddStringToObject(p, "status", alc_session_status_name(s->status));
    cJSON_AddStringToObject(p, "error_type", s->error_type);
    cJSON_AddStringToObject(p, "error", s->error);
    cJSON *failed = cJSON_AddArrayToObject(p, "failed_batches");
    cJSON *missing = cJSON_AddArrayToObject(p, "missing_batches");
    for (int b = 0; b < s->n_batches; b++) {
        const alc_batch_state *bs = &s->batches[b];
        if (bs->state == ALC_BATCH_FAILED) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "batch_id", bs->batch.id);
            cJSON_AddNumberToObject(o, "attempts", bs->attempts);
            cJSON *files = cJSON_AddArrayToObject(o, "dsl_files");
            cJSON *errs = cJSON_AddArrayToObject(o, "errors");
            for (int k = 0; k < bs->batch.count; k++)
                cJSON_AddItemToArray(files, cJSON_CreateString(
                                                s->job->strategies[bs->batch.first + k].file));
            if (bs->has_result) {
                if (bs->result.error) {
                    cJSON *e = cJSON_CreateObject();
                    cJSON_AddNullToObject(e, "file");
                    cJSON_AddStringToObject(e, "error", bs->result.error);
                    cJSON_AddItemToArray(errs, e);
                }
                for (int i = 0; i < bs->result.n_signals; i++) {
                    const alc_signal *sg = &bs->result.signals[i];
                    if (sg->code == ALC_OK || bs->result.error)
                        continue;
                    cJSON *e = cJSON_CreateObject();
                    cJSON_AddStringToObject(e, "file", sg->file);
                    cJSON_AddStringToObject(e, "error", sg->error ? sg->error : "");
                    cJSON_AddItemToArray(errs, e);
                }
            }
            cJSON_AddItemToArray(failed, o);
        } else if (bs->state != ALC_BATCH_DONE) {
            cJSON_AddItemToArray(missing, cJSON_CreateString(bs->batch.id));
        }
    }
    return alc_events_emit(ev, "WorkflowFailed", causation_id, p, event_id, err);
}

alc_status alc_event_degraded(alc_events *ev, const alc_session *s, const char *causation_id,
                              char *event_id, alc_error *err)
{
    cJSON *p = cJSON_CreateObject();
    if (!p)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    cJSON_AddStringToObject(p, "policy", alc_failure_policy_name(s->job->on_strategy_failure));
    cJSON *arr = cJSON_AddArrayToObject(p, "dropped_strategies");
    for (int b = 0; b < s->n_batches; b++)
        for (int k = 0; k < s->batches[b].batch.count; k++) {
            int i = s->batches[b].batch.first + k;
            const char *why = alc_session_drop_reason(s, i);
            if (!why)
                continue;
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "index", i);
            cJSON_AddStringToObject(o, "file", s->job->strategies[i].file);
            cJSON_AddNumberToObject(o, "allocation", s->job->strategies[i].allocation);
            cJSON_AddStringToObject(o, "batch_id", s->batches[b].batch.id);
            cJSON_AddStringToObject(o, "error", why);
            cJSON_AddItemToArray(arr, o);
        }
    cJSON_AddNumberToObject(p, "dropped_count", s->n_dropped);
    cJSON_AddNumberToObject(p, "kept_count", s->job->n_strategies - s->n_dropped);
    cJSON_AddNumberToObject(p, "kept_allocation", s->kept_allocation);
    cJSON_AddBoolToObject(p, "renormalised", 1);
    return alc_events_emit(ev, "WorkflowDegraded", causation_id, p, event_id, err);
}

alc_status alc_event_resumed(alc_events *ev, const alc_session *s, const char *causation_id,
                             const char *previous_status, int interrupted, char *event_id,
                             alc_error *err)
{
    char d[40];
    cJSON *p = cJSON_CreateObject();
    if (!p)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    cJSON_AddNumberToObject(p, "run", s->resume_count + 1);
    cJSON_AddStringToObject(p, "previous_status", previous_status);
    cJSON_AddBoolToObject(p, "interrupted", interrupted);
    cJSON_AddStringToObject(p, "snapshot", s->h5_path);
    cJSON_AddNumberToObject(p, "n_ranks", s->n_ranks);
    cJSON_AddStringToObject(p, "scheduling", alc_scheduling_name(s->scheduling));
    alc_format_timestamp(s->deadline_wall, d, sizeof d);
    cJSON_AddStringToObject(p, "deadline", d);
    cJSON *reused = cJSON_AddArrayToObject(p, "reused_batches");
    cJSON *rerun = cJSON_AddArrayToObject(p, "rerun_batches");
    for (int b = 0; b < s->n_batches; b++)
        cJSON_AddItemToArray(s->batches[b].reused ? reused : rerun,
                             cJSON_CreateString(s->batches[b].batch.id));
    return alc_events_emit(ev, "SessionResumed", causation_id, p, event_id, err);
}

alc_status alc_event_rerun(alc_events *ev, const alc_session *s, const char *old_session,
                           const char *old_status, const char *old_snapshot, char *event_id,
                           alc_error *err)
{
    (void)s;
    cJSON *p = cJSON_CreateObject();
    if (!p)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    cJSON_AddStringToObject(p, "rerun_of", old_session);
    cJSON_AddStringToObject(p, "rerun_of_status", old_status);
    cJSON_AddStringToObject(p, "rerun_of_snapshot", old_snapshot);
    return alc_events_emit(ev, "SessionRerun", NULL, p, event_id, err);
}
