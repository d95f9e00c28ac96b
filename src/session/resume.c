/* alchemiser resume / rerun: rebuilding a session's job from its snapshot,
 * checking that nothing it depends on changed, and taking back the batches
 * already accepted (docs/session.md, "Resume and rerun"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alchemiser/date.h"
#include "alchemiser/log.h"
#include "alchemiser/sha256.h"
#include "alchemiser/snapshot.h"
#include "session/internal.h"

void alc_dirname(const char *path, char *buf, size_t size)
{
    snprintf(buf, size, "%s", path);
    char *slash = strrchr(buf, '/');
    if (slash == buf)
        buf[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        snprintf(buf, size, ".");
}

static void put_le(unsigned char *b, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

void alc_market_fingerprint(const alc_market *m, char hex[65])
{
    alc_sha256 h;
    alc_sha256_init(&h);
    unsigned char b[8];
    put_le(b, (uint64_t)m->n, 4);
    alc_sha256_update(&h, b, 4);
    /* one bar = i32 day + 5 x f64 bit patterns, little-endian; hashed a
     * block of bars at a time */
    enum { BAR = 44, CHUNK = 256 };
    unsigned char buf[BAR * CHUNK];
    for (int i = 0; i < m->n; i++) {
        const alc_series *s = &m->series[i];
        size_t len = strlen(s->ticker);
        put_le(b, (uint64_t)len, 4);
        alc_sha256_update(&h, b, 4);
        alc_sha256_update(&h, s->ticker, len);
        put_le(b, (uint64_t)s->n, 4);
        alc_sha256_update(&h, b, 4);
        size_t used = 0;
        for (int k = 0; k < s->n; k++) {
            unsigned char *p = buf + used;
            put_le(p, (uint64_t)(int64_t)s->day[k], 4);
            const double v[5] = {s->open[k], s->high[k], s->low[k], s->close[k], s->volume[k]};
            for (int j = 0; j < 5; j++) {
                uint64_t bits;
                memcpy(&bits, &v[j], sizeof bits);
                put_le(p + 4 + 8 * j, bits, 8);
            }
            used += BAR;
            if (used == sizeof buf) {
                alc_sha256_update(&h, buf, used);
                used = 0;
            }
        }
        alc_sha256_update(&h, buf, used);
    }
    unsigned char d[32];
    alc_sha256_final(&h, d);
    for (int k = 0; k < 32; k++)
        snprintf(hex + 2 * k, 3, "%02x", d[k]);
}

alc_status alc_job_from_snapshot(const alc_snapshot_job *sj, const char *snapshot, alc_job **out,
                                 alc_error *err)
{
    *out = NULL;
    char sha[65];
    alc_sha256_hex(sj->text, sj->text_len, sha);
    if (strcmp(sha, sj->job_sha256))
        return alc_fail_at(err, ALC_ERR_DATA, snapshot, 0, 0,
                           "/job/text does not match job_sha256 (%s): the snapshot is damaged",
                           sj->job_sha256);
    /* The job's own folder anchors its paths, as when the session was created. */
    const char *base = strrchr(sj->job_path, '/');
    base = base ? base + 1 : sj->job_path;
    char path[ALC_PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", sj->dir, base[0] ? base : "job.json") >=
        sizeof path)
        return alc_fail(err, ALC_ERR_LIMIT, "job path too long");
    alc_status st = alc_job_parse(path, sj->text, sj->text_len,
                                  sj->strategies_dir[0] ? sj->strategies_dir : NULL, out, err);
    if (st != ALC_OK)
        return st;
    /* Report under the name the session used. */
    char *p = alc_strdup(sj->job_path);
    if (p) {
        free((*out)->path);
        (*out)->path = p;
    }
    return ALC_OK;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

/* Every strategy must be the same file, and every strategy the session has
 * evaluated (its hash recorded in /job/strategies when its batch was
 * recorded) must still have the same bytes.  A strategy never evaluated
 * has no hash yet: it is evaluated (and hashed) by this run, so nothing
 * can mix two versions of it. */
static alc_status check_sources(const alc_snapshot_job *sj, alc_job *job, const char *snapshot,
                                alc_error *err)
{
    if (!sj->sha256)
        return alc_fail_at(err, ALC_ERR_JOB, snapshot, 0, 0,
                           "the snapshot has no strategy hashes (written by an older version): "
                           "its strategies cannot be verified; use 'alchemiser rerun'");
    if (sj->n != job->n_strategies)
        return alc_fail_at(err, ALC_ERR_JOB, snapshot, 0, 0,
                           "the job lists %d strategies, the snapshot %d", job->n_strategies, sj->n);
    for (int i = 0; i < sj->n; i++) {
        alc_job_strategy *js = &job->strategies[i];
        if (strcmp(js->path, sj->path[i]))
            return alc_fail_at(err, ALC_ERR_JOB, snapshot, 0, 0,
                               "strategy %s now resolves to %s, the session used %s", js->file,
                               js->path, sj->path[i]);
        if (!sj->sha256[i] || !sj->sha256[i][0])
            continue;
        alc_status st = alc_job_hash_source(job, i, err);
        if (st != ALC_OK)
            return st;
        if (strcmp(js->sha256, sj->sha256[i]))
            return alc_fail_at(err, ALC_ERR_JOB, snapshot, 0, 0,
                               "strategy %s changed since the session was created (sha256 %.12s..., "
                               "recorded %.12s... when it was evaluated): resuming would mix two "
                               "versions; use 'alchemiser rerun'",
                               js->file, js->sha256, sj->sha256[i]);
    }
    return ALC_OK;
}

/* The deadline attribute of a snapshot (0 when unknown). */
static double snapshot_deadline(const char *path)
{
    alc_snapshot_summary sm;
    alc_error e;
    if (alc_snapshot_read_summary(path, &sm, &e) != ALC_OK)
        return 0;
    double d = alc_parse_timestamp(sm.deadline);
    return d > 0 ? d : 0;
}

alc_status alc_resume_prepare(const alc_run_options *opt, int n_ranks, alc_job **job_out,
                              alc_market **market_out, alc_session **s_out, int *completed,
                              char *message, size_t message_size, alc_error *err)
{
    *job_out = NULL;
    *market_out = NULL;
    *s_out = NULL;
    *completed = 0;
    const char *path = opt->snapshot_path;
    int partial = ends_with(path, ".h5.partial");
    if (!partial && !ends_with(path, ".h5"))
        return alc_fail_at(err, ALC_ERR_USAGE, path, 0, 0,
                           "a session snapshot is named <session>.h5 or <session>.h5.partial");
    if (access(path, R_OK | W_OK) != 0)
        return alc_fail_at(err, ALC_ERR_IO, path, 0, 0, "cannot open the snapshot: %s",
                           strerror(errno));
    alc_snapshot_job sj;
    alc_status st = alc_snapshot_read_job(path, &sj, err);
    if (st != ALC_OK)
        return st;
    char dir[ALC_PATH_MAX], expect[ALC_PATH_MAX + 80], other[ALC_PATH_MAX + 80];
    alc_dirname(path, dir, sizeof dir);
    snprintf(expect, sizeof expect, "%s/%s.h5%s", dir, sj.session_id, partial ? ".partial" : "");
    snprintf(other, sizeof other, "%s/%s.h5%s", dir, sj.session_id, partial ? "" : ".partial");
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strcmp(base, strrchr(expect, '/') + 1)) {
        st = alc_fail_at(err, ALC_ERR_USAGE, path, 0, 0,
                         "the file name does not match the session id %s inside it", sj.session_id);
    } else if (access(other, F_OK) == 0) {
        st = alc_fail_at(err, ALC_ERR_USAGE, path, 0, 0,
                         "both %s.h5 and %s.h5.partial exist: which one is the session?",
                         sj.session_id, sj.session_id);
    } else if (!partial && !strcmp(sj.status, "COMPLETED")) {
        snprintf(message, message_size, "session %s is COMPLETED: nothing to resume, left unchanged",
                 sj.session_id);
        *completed = 1;
        alc_snapshot_job_free(&sj);
        return ALC_OK;
    } else if (partial && !opt->force && snapshot_deadline(path) > alc_now_wall()) {
        st = alc_fail_at(err, ALC_ERR_USAGE, path, 0, 0,
                         "session %s may still be running (status %s, its deadline has not "
                         "passed): resume it after its deadline, or with --force if it is dead",
                         sj.session_id, sj.status);
    } else if (!partial && strcmp(sj.status, "FAILED") && strcmp(sj.status, "TIMEOUT")) {
        st = alc_fail_at(err, ALC_ERR_DATA, path, 0, 0, "cannot resume a session with status %s",
                         sj.status);
    }
    alc_job *job = NULL;
    if (st == ALC_OK)
        st = alc_job_from_snapshot(&sj, path, &job, err);
    if (st == ALC_OK)
        st = check_sources(&sj, job, path, err);
    alc_market *market = NULL;
    char fp[65] = "";
    if (st == ALC_OK)
        st = alc_market_load(job->market, &market, err);
    if (st == ALC_OK) {
        alc_market_fingerprint(market, fp);
        if (!sj.market_sha256[0])
            st = alc_fail_at(err, ALC_ERR_JOB, path, 0, 0,
                             "the snapshot has no market fingerprint (written by an older version); "
                             "use 'alchemiser rerun'");
        else if (strcmp(fp, sj.market_sha256))
            st = alc_fail_at(err, ALC_ERR_JOB, job->market, 0, 0,
                             "the market changed since session %s was created (fingerprint "
                             "%.12s..., recorded %.12s...): resuming would mix two markets; use "
                             "'alchemiser rerun'",
                             sj.session_id, fp, sj.market_sha256);
    }
    alc_day as_of = 0;
    if (st == ALC_OK && alc_parse_date(sj.as_of, strlen(sj.as_of), &as_of) != 0)
        st = alc_fail_at(err, ALC_ERR_DATA, path, 0, 0, "bad as_of attribute '%s'", sj.as_of);
    alc_scheduling sched = ALC_SCHED_DYNAMIC;
    if (opt->has_scheduling)
        sched = opt->scheduling;
    else if (st == ALC_OK && alc_scheduling_parse(sj.scheduling, &sched) != 0)
        sched = job->scheduling;
    if (st == ALC_OK && sj.batch_size < 1)
        st = alc_fail_at(err, ALC_ERR_DATA, path, 0, 0, "bad batch_size attribute");
    alc_session *s = NULL;
    if (st == ALC_OK)
        st = alc_session_alloc(job, n_ranks, (int)sj.batch_size, sched, as_of, &s, err);
    if (st == ALC_OK && s->n_batches != sj.expected_batches)
        st = alc_fail_at(err, ALC_ERR_DATA, path, 0, 0,
                         "the job splits into %d batches, the snapshot expected %lld", s->n_batches,
                         sj.expected_batches);
    if (st == ALC_OK) {
        snprintf(s->id, sizeof s->id, "%s", sj.session_id);
        snprintf(s->correlation_id, sizeof s->correlation_id, "%s", sj.correlation_id);
        snprintf(s->rerun_of, sizeof s->rerun_of, "%s", sj.rerun_of);
        snprintf(s->market_sha256, sizeof s->market_sha256, "%s", fp);
        s->resume_count = (int)sj.resume_count + 1;
        double created = alc_parse_timestamp(sj.created);
        if (created > 0)
            s->created_wall = created;
        st = alc_session_set_paths(s, dir, err);
    }
    if (st == ALC_OK)
        st = alc_snapshot_read_batches(path, s, err);
    if (st == ALC_OK) {
        int reused = 0;
        for (int b = 0; b < s->n_batches; b++)
            reused += s->batches[b].reused;
        snprintf(message, message_size,
                 "resuming session %s (%s%s): %d of %d batches reused, %d to run", s->id, sj.status,
                 partial ? ", interrupted" : "", reused, s->n_batches, s->n_batches - reused);
    }
    alc_snapshot_job_free(&sj);
    if (st != ALC_OK) {
        alc_session_free(s);
        alc_market_free(market);
        alc_job_free(job);
        return st;
    }
    *job_out = job;
    *market_out = market;
    *s_out = s;
    return ALC_OK;
}
