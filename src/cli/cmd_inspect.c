/* `alchemiser inspect SESSION.h5 [--json]`: a session snapshot at a glance
 * (docs/analysis.md).  Exit status: 0 the snapshot was read (whatever the
 * session's status), 1 it could not be read, 2 usage error. */
#include <stdio.h>
#include <string.h>

#include "alchemiser/date.h"
#include "alchemiser/json.h"
#include "alchemiser/session_reader.h"
#include "cli/cli_util.h"
#include "cli/commands.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: alchemiser inspect SESSION.h5 [--json]\n"
            "\n"
            "  Shows a session snapshot (<id>.h5, or the <id>.h5.partial of a session\n"
            "  that died): status, times, batches (rank, duration, strategies, attempts,\n"
            "  errors), the consolidated portfolio, failures and metrics.\n"
            "  --json  one JSON document instead (shape in docs/analysis.md)\n");
}

/* ---- JSON ---- */

/* A top-level member on its own line: `  "key": ` then the value. */
#define TOP "  "

static void jfiles(FILE *o, const char *files)
{
    fputc('[', o);
    const char *p = files;
    int first = 1;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char buf[4096];
        snprintf(buf, sizeof buf, "%.*s", (int)n, p);
        fputs(first ? "" : ", ", o);
        alc_json_string(o, buf);
        first = 0;
        p += n + (e ? 1 : 0);
    }
    fputc(']', o);
}

static void print_json(FILE *o, const alc_session_file *f)
{
    double created = alc_parse_timestamp(f->created);
    fputs("{\n", o);
    alc_json_member_str(o, TOP, "path", f->path);
    fprintf(o, ",\n  \"partial\": %s,\n  \"complete\": %s,\n", f->partial ? "true" : "false",
            f->complete ? "true" : "false");
    fprintf(o, "  \"schema_version\": %lld,\n", f->schema_version);
    alc_json_member_str(o, TOP, "session_id", f->session_id);
    alc_json_member_str(o, ",\n" TOP, "correlation_id", f->correlation_id);
    alc_json_member_str(o, ",\n" TOP, "status", f->status);
    alc_json_member_str_or_null(o, ",\n" TOP, "error_type", f->error_type);
    alc_json_member_str_or_null(o, ",\n" TOP, "error", f->error);
    alc_json_member_str(o, ",\n" TOP "\"job\": {", "path", f->job_path);
    alc_json_member_str(o, ", ", "sha256", f->job_sha256);
    alc_json_member_str(o, "},\n" TOP, "market", f->market);
    alc_json_member_str(o, ",\n" TOP, "as_of", f->as_of);
    alc_json_member_str_or_null(o, ",\n" TOP "\"times\": {", "created", f->created);
    alc_json_member_str_or_null(o, ", ", "finished", f->finished);
    alc_json_member_str_or_null(o, ", ", "deadline", f->deadline);
    alc_json_member_num_if(o, ", ", "duration_seconds", f->duration_seconds >= 0,
                           f->duration_seconds);
    fprintf(o, "},\n  \"config\": {\"n_ranks\": %lld", f->n_ranks);
    alc_json_member_str(o, ", ", "scheduling", f->scheduling);
    fprintf(o, ", \"batch_size\": %lld, \"max_parallel_batches\": %lld", f->batch_size,
            f->max_parallel_batches);
    alc_json_member_num(o, ", ", "timeout_seconds", f->timeout_seconds);
    fprintf(o, ", \"max_retries\": %lld},\n", f->max_retries);
    fprintf(o, "  \"expected_batches\": %lld,\n  \"completed_batches\": %lld,\n"
               "  \"n_strategies\": %lld,\n",
            f->expected_batches, f->completed_batches, f->n_strategies);

    fputs("  \"batches\": [", o);
    for (int i = 0; i < f->n_batches; i++) {
        const alc_sr_batch *b = &f->batches[i];
        alc_json_member_str(o, i ? ",\n    {" : "\n    {", "batch_id", b->batch_id);
        fprintf(o, ", \"index\": %d", b->index);
        alc_json_member_str(o, ", ", "status", b->status);
        fprintf(o, ", \"recorded\": %s", b->recorded ? "true" : "false");
        alc_json_member_int_if(o, ", ", "rank", b->rank >= 0, b->rank);
        alc_json_member_int_if(o, ", ", "attempts", b->attempts >= 0, b->attempts);
        fprintf(o, ", \"n_strategies\": %d, \"n_failed\": %d", b->n_strategies, b->n_failed);
        alc_json_member_num(o, ", ", "weight", b->weight);
        fputs(", \"files\": ", o);
        jfiles(o, b->files);
        alc_json_member_num_if(o, ", ", "start", b->recorded, b->start);
        alc_json_member_num_if(o, ", ", "end", b->recorded, b->end);
        alc_json_member_num_if(o, ", ", "start_offset_seconds", b->recorded && created >= 0,
                               b->start - created);
        alc_json_member_num_if(o, ", ", "duration_seconds", b->recorded, b->end - b->start);
        alc_json_member_num(o, ", ", "eval_ms", b->eval_ms);
        alc_json_member_int_if(o, ", ", "result_bytes", b->result_bytes >= 0, b->result_bytes);
        alc_json_member_str_or_null(o, ", ", "error", b->error);
        fputc('}', o);
    }
    fputs(f->n_batches ? "\n  ],\n" : "],\n", o);

    fputs("  \"portfolio\": ", o);
    if (!f->has_portfolio) {
        fputs("null,\n", o);
    } else {
        alc_json_member_num(o, "{", "total", f->total_weight);
        fprintf(o, ", \"n_tickers\": %d", f->n_portfolio);
        alc_json_member_str_or_null(o, ", ", "oldest_data_date", f->oldest_data_date);
        alc_json_member_str_or_null(o, ", ", "oldest_data_strategy", f->oldest_data_strategy);
        fputs(", \"weights\": {", o);
        for (int i = 0; i < f->n_portfolio; i++)
            alc_json_member_num(o, i ? ", " : "", f->portfolio[i].ticker, f->portfolio[i].weight);
        fputs("}},\n", o);
    }

    fputs("  \"strategies\": [", o);
    for (int i = 0; i < f->n_strategies_read; i++) {
        const alc_sr_strategy *s = &f->strategies[i];
        fprintf(o, "%s{\"index\": %d", i ? ",\n    " : "\n    ", s->index);
        alc_json_member_str(o, ", ", "file", s->file);
        alc_json_member_num(o, ", ", "allocation", s->allocation);
        alc_json_member_str(o, ", ", "batch_id", s->batch_id);
        alc_json_member_str(o, ", ", "status", s->status);
        alc_json_member_int_if(o, ", ", "rank", s->rank >= 0, s->rank);
        alc_json_member_num(o, ", ", "eval_ms", s->eval_ms);
        alc_json_member_str_or_null(o, ", ", "last_bar_date", s->last_bar_date);
        fprintf(o, ", \"n_weights\": %d", s->n_weights);
        alc_json_member_str_or_null(o, ", ", "error", s->error);
        fputc('}', o);
    }
    fputs(f->n_strategies_read ? "\n  ],\n" : "],\n", o);

    fputs("  \"failures\": [", o);
    int k = 0;
    for (int i = 0; i < f->n_strategies_read; i++) {
        const alc_sr_strategy *s = &f->strategies[i];
        if (!strcmp(s->status, "ok"))
            continue;
        alc_json_member_str(o, k++ ? ",\n    {" : "\n    {", "file", s->file);
        alc_json_member_str(o, ", ", "batch_id", s->batch_id);
        alc_json_member_str(o, ", ", "status", s->status);
        alc_json_member_str_or_null(o, ", ", "error", s->error);
        fputc('}', o);
    }
    fputs(k ? "\n  ],\n" : "],\n", o);

    fputs("  \"metrics\": ", o);
    if (!f->n_counters && !f->n_ranks_read) {
        fputs("null\n", o);
    } else {
        fputs("{\n    \"counters\": {", o);
        for (int i = 0; i < f->n_counters; i++) {
            fputs(i ? ", " : "", o);
            alc_json_string(o, f->counters[i].name);
            alc_json_member_num(o, ": {", "value", f->counters[i].value);
            alc_json_member_str(o, ", ", "unit", f->counters[i].unit);
            fputc('}', o);
        }
        fputs("},\n    \"ranks\": [", o);
        for (int i = 0; i < f->n_ranks_read; i++) {
            const alc_sr_rank *r = &f->ranks[i];
            fprintf(o, "%s{\"rank\": %d, \"batches\": %d, \"strategies\": %d", i ? ", " : "",
                    r->rank, r->batches, r->strategies);
            alc_json_member_num(o, ", ", "eval_ms", r->eval_ms);
            fprintf(o, ", \"bytes_sent\": %lld}", r->bytes_sent);
        }
        fputs("]\n  }\n", o);
    }
    fputs("}\n", o);
}

/* ---- text ---- */

static void first_line(const char *s, char *buf, size_t size, size_t max)
{
    size_t n = strcspn(s, "\n");
    if (n > max)
        snprintf(buf, size, "%.*s...", (int)(max - 3), s);
    else
        snprintf(buf, size, "%.*s", (int)n, s);
}

static void print_text(FILE *o, const alc_session_file *f)
{
    double created = alc_parse_timestamp(f->created);
    fprintf(o, "Session   %s\n", f->session_id);
    fprintf(o, "Status    %s%s%s%s\n", f->status, f->error_type[0] ? " (" : "", f->error_type,
            f->error_type[0] ? ")" : "");
    if (f->partial)
        fprintf(o, "File      %s\n          INCOMPLETE: a .partial snapshot, the session is still "
                   "running or died (status %s); %lld of %lld batches recorded\n",
                f->path, f->status, f->completed_batches, f->expected_batches);
    else
        fprintf(o, "File      %s (%s)\n", f->path, f->complete ? "complete" : "final tables missing");
    fprintf(o, "Job       %s (sha256 %.12s)\n", f->job_path, f->job_sha256);
    fprintf(o, "Market    %s\n", f->market);
    fprintf(o, "As of     %s\n", f->as_of);
    fprintf(o, "Created   %s\n", f->created);
    if (f->finished[0])
        fprintf(o, "Finished  %s (%.3f s)\n", f->finished, f->duration_seconds);
    else
        fprintf(o, "Finished  -\n");
    fprintf(o, "Deadline  %s (timeout %g s)\n", f->deadline, f->timeout_seconds);
    fprintf(o, "Run       %lld ranks, %s scheduling, batch size %lld, %lld batches in flight at most, "
               "%lld retries allowed\n",
            f->n_ranks, f->scheduling, f->batch_size, f->max_parallel_batches, f->max_retries);
    fprintf(o, "Progress  %lld of %lld batches, %lld strategies\n", f->completed_batches,
            f->expected_batches, f->n_strategies);

    fprintf(o, "\nBatches (start: seconds after the session's creation)\n");
    fprintf(o, "  %-16s %-8s %4s %8s %10s %8s %10s %10s  %s\n", "BATCH", "STATUS", "RANK", "ATTEMPTS",
            "STRATEGIES", "START s", "WALL ms", "EVAL ms", "ERROR");
    for (int i = 0; i < f->n_batches; i++) {
        const alc_sr_batch *b = &f->batches[i];
        char rank[16] = "-", start[32] = "-", wall[32] = "-", ev[32] = "-", att[16] = "-", err[80];
        if (b->rank >= 0)
            snprintf(rank, sizeof rank, "%d", b->rank);
        if (b->recorded) {
            if (created >= 0)
                snprintf(start, sizeof start, "%.3f", b->start - created);
            snprintf(wall, sizeof wall, "%.3f", (b->end - b->start) * 1e3);
            snprintf(ev, sizeof ev, "%.3f", b->eval_ms);
        }
        if (b->attempts >= 0)
            snprintf(att, sizeof att, "%d", b->attempts);
        first_line(b->error, err, sizeof err, 60);
        fprintf(o, "  %-16s %-8s %4s %8s %10d %8s %10s %10s%s%s\n", b->batch_id, b->status, rank, att,
                b->n_strategies, start, wall, ev, err[0] ? "  " : "", err);
    }

    if (!f->has_portfolio) {
        fprintf(o, "\nPortfolio: none (the session has not finished)\n");
    } else if (f->n_portfolio == 0 && strcmp(f->status, "COMPLETED") != 0) {
        fprintf(o, "\nPortfolio: none (session %s)\n", f->status);
    } else {
        fprintf(o, "\nPortfolio: %d tickers, total %.6f%%\n", f->n_portfolio, f->total_weight * 100);
        if (f->n_portfolio)
            fprintf(o, "  %-10s %11s\n", "TICKER", "WEIGHT");
        for (int i = 0; i < f->n_portfolio; i++)
            fprintf(o, "  %-10s %10.6f%%\n", f->portfolio[i].ticker, f->portfolio[i].weight * 100);
        if (f->oldest_data_date[0])
            fprintf(o, "Oldest data: %s (%s)\n", f->oldest_data_date, f->oldest_data_strategy);
    }

    int nfail = 0, nmiss = 0;
    for (int i = 0; i < f->n_strategies_read; i++) {
        nfail += !strcmp(f->strategies[i].status, "failed");
        nmiss += strcmp(f->strategies[i].status, "failed") && strcmp(f->strategies[i].status, "ok");
    }
    if (!nfail && !nmiss && !f->error[0]) {
        fprintf(o, "\nFailures: none\n");
    } else {
        fprintf(o, "\nFailures: %d strategies failed, %d without a result\n", nfail, nmiss);
        if (f->error[0])
            fprintf(o, "  session: %s: %s\n", f->error_type, f->error);
        for (int i = 0; i < f->n_batches; i++) {
            const alc_sr_batch *b = &f->batches[i];
            if (!b->recorded && b->attempts >= 0)
                fprintf(o, "  %s: no result (%s, %d attempt(s))\n", b->batch_id, b->status,
                        b->attempts);
            else if (!b->recorded)
                fprintf(o, "  %s: no result recorded yet\n", b->batch_id);
            else if (strcmp(b->status, "ok") != 0)
                fprintf(o, "  %s %s after %d attempt(s)%s%s\n", b->batch_id, b->status, b->attempts,
                        b->error[0] ? ": " : "", b->error);
        }
        for (int i = 0; i < f->n_strategies_read; i++) {
            const alc_sr_strategy *s = &f->strategies[i];
            if (strcmp(s->status, "ok") != 0)
                fprintf(o, "  %s (%s) %s%s%s\n", s->file, s->batch_id, s->status,
                        s->error[0] ? ": " : "", s->error);
        }
    }

    if (!f->n_counters && !f->n_ranks_read) {
        fprintf(o, "\nMetrics: none (written when the session ends)\n");
        return;
    }
    fprintf(o, "\nMetrics\n");
    for (int i = 0; i < f->n_counters; i++) {
        const alc_sr_counter *c = &f->counters[i];
        if (!strcmp(c->unit, "count") || !strcmp(c->unit, "bytes"))
            fprintf(o, "  %-20s %14.0f %s\n", c->name, c->value, c->unit);
        else
            fprintf(o, "  %-20s %14.3f %s\n", c->name, c->value, c->unit);
    }
    if (f->n_ranks_read) {
        fprintf(o, "\n  %4s %8s %10s %12s %12s\n", "RANK", "BATCHES", "STRATEGIES", "EVAL ms",
                "BYTES SENT");
        for (int i = 0; i < f->n_ranks_read; i++) {
            const alc_sr_rank *r = &f->ranks[i];
            fprintf(o, "  %4d %8d %10d %12.3f %12lld\n", r->rank, r->batches, r->strategies,
                    r->eval_ms, r->bytes_sent);
        }
    }
}

int alc_cmd_inspect(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "alchemiser inspect: unknown option '%s'\n\n", argv[i]);
            usage(stderr);
            return 2;
        } else if (path) {
            fprintf(stderr, "alchemiser inspect: one snapshot at a time ('%s' is extra)\n\n", argv[i]);
            usage(stderr);
            return 2;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        fprintf(stderr, "alchemiser inspect: which snapshot? (SESSION.h5)\n\n");
        usage(stderr);
        return 2;
    }
    alc_error err;
    alc_error_clear(&err);
    alc_session_file *f = NULL;
    if (alc_session_read(path, &f, &err) != ALC_OK) {
        cli_print_error("inspect", &err);
        return 1;
    }
    if (json)
        print_json(stdout, f);
    else
        print_text(stdout, f);
    alc_session_file_free(f);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "alchemiser inspect: cannot write the output\n");
        return 1;
    }
    return 0;
}
