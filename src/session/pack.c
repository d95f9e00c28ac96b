/* MPI message packing (format documented in include/alchemiser/pack.h). */
#include "alchemiser/pack.h"

#include <stdlib.h>
#include <string.h>

void alc_buf_init(alc_buf *b) { memset(b, 0, sizeof *b); }

void alc_buf_free(alc_buf *b)
{
    free(b->data);
    alc_buf_init(b);
}

static void put_bytes(alc_buf *b, const void *p, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *d = realloc(b->data, cap);
        if (!d) {
            b->oom = 1;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void put_u8(alc_buf *b, unsigned v)
{
    unsigned char c = (unsigned char)v;
    put_bytes(b, &c, 1);
}

static void put_u32(alc_buf *b, uint32_t v)
{
    unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    put_bytes(b, c, 4);
}

static void put_i32(alc_buf *b, int32_t v) { put_u32(b, (uint32_t)v); }

static void put_f64(alc_buf *b, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    unsigned char c[8];
    for (int i = 0; i < 8; i++)
        c[i] = (unsigned char)(u >> (8 * i));
    put_bytes(b, c, 8);
}

static void put_str(alc_buf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    put_u32(b, (uint32_t)n);
    put_bytes(b, s, n);
}

/* Header with a placeholder length, patched by finish(). */
static size_t begin(alc_buf *b, int kind)
{
    size_t at = b->len;
    put_bytes(b, "ALC1", 4);
    put_u8(b, (unsigned)kind);
    put_u8(b, ALC_PACK_VERSION);
    put_u8(b, 0);
    put_u8(b, 0);
    put_u32(b, 0);
    return at;
}

static alc_status finish(alc_buf *b, size_t at, alc_error *err)
{
    if (b->oom)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory while packing a message");
    uint64_t body = b->len - at - ALC_PACK_HEADER;
    if (body > UINT32_MAX)
        return alc_fail(err, ALC_ERR_LIMIT, "message larger than 4 GiB");
    for (int i = 0; i < 4; i++)
        b->data[at + 8 + (size_t)i] = (unsigned char)(body >> (8 * i));
    return ALC_OK;
}

/* ---- reading ---- */

typedef struct reader {
    const unsigned char *p;
    size_t len, pos;
    int bad;
} reader;

static int need(reader *r, size_t n)
{
    if (r->bad || r->len - r->pos < n) {
        r->bad = 1;
        return 0;
    }
    return 1;
}

static unsigned get_u8(reader *r)
{
    if (!need(r, 1))
        return 0;
    return r->p[r->pos++];
}

static uint32_t get_u32(reader *r)
{
    if (!need(r, 4))
        return 0;
    const unsigned char *c = r->p + r->pos;
    r->pos += 4;
    return (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 | (uint32_t)c[3] << 24;
}

static int32_t get_i32(reader *r) { return (int32_t)get_u32(r); }

static double get_f64(reader *r)
{
    if (!need(r, 8))
        return 0.0;
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u |= (uint64_t)r->p[r->pos + (size_t)i] << (8 * i);
    r->pos += 8;
    double v;
    memcpy(&v, &u, 8);
    return v;
}

/* malloc'd NUL-terminated copy; NULL with r->bad on error (or oom, also bad). */
static char *get_str(reader *r)
{
    uint32_t n = get_u32(r);
    if (!need(r, n))
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s) {
        r->bad = 2;
        return NULL;
    }
    memcpy(s, r->p + r->pos, n);
    s[n] = '\0';
    r->pos += n;
    return s;
}

/* A count of items each at least `min_size` bytes long: bounded by what is left. */
static uint32_t get_count(reader *r, size_t min_size)
{
    uint32_t n = get_u32(r);
    if (!r->bad && (size_t)n > (r->len - r->pos) / min_size) {
        r->bad = 1;
        return 0;
    }
    return n;
}

static alc_status open_msg(const void *data, size_t len, int kind, reader *r, alc_error *err)
{
    const unsigned char *p = data;
    r->p = p;
    r->len = len;
    r->pos = 0;
    r->bad = 0;
    if (len < ALC_PACK_HEADER || memcmp(p, "ALC1", 4) != 0)
        return alc_fail(err, ALC_ERR_MPI, "malformed message: bad header");
    if (p[4] != kind)
        return alc_fail(err, ALC_ERR_MPI, "unexpected message kind %d (expected %d)", p[4], kind);
    if (p[5] != ALC_PACK_VERSION)
        return alc_fail(err, ALC_ERR_MPI, "message format version %d (this build speaks %d)", p[5],
                        ALC_PACK_VERSION);
    uint32_t body = (uint32_t)p[8] | (uint32_t)p[9] << 8 | (uint32_t)p[10] << 16 |
                    (uint32_t)p[11] << 24;
    if ((uint64_t)body + ALC_PACK_HEADER != len)
        return alc_fail(err, ALC_ERR_MPI, "malformed message: length %u for %zu bytes", body,
                        len - ALC_PACK_HEADER);
    r->pos = ALC_PACK_HEADER;
    return ALC_OK;
}

static alc_status close_msg(reader *r, alc_error *err)
{
    if (r->bad == 2)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory while unpacking a message");
    if (r->bad)
        return alc_fail(err, ALC_ERR_MPI, "malformed message: truncated at byte %zu", r->pos);
    if (r->pos != r->len)
        return alc_fail(err, ALC_ERR_MPI, "malformed message: %zu trailing bytes", r->len - r->pos);
    return ALC_OK;
}

int alc_msg_kind(const void *data, size_t len)
{
    const unsigned char *p = data;
    if (len < ALC_PACK_HEADER || memcmp(p, "ALC1", 4) != 0)
        return 0;
    return p[4];
}

/* ---- SETUP ---- */

void alc_setup_msg_free(alc_setup_msg *m)
{
    free(m->session_id);
    free(m->correlation_id);
    free(m->market);
    free(m->error);
    memset(m, 0, sizeof *m);
}

alc_status alc_pack_setup(const alc_setup_msg *m, alc_buf *out, alc_error *err)
{
    size_t at = begin(out, ALC_MSG_SETUP);
    put_u8(out, m->go ? 1 : 0);
    put_str(out, m->session_id);
    put_str(out, m->correlation_id);
    put_str(out, m->market);
    put_i32(out, m->as_of);
    put_u8(out, (unsigned)m->scheduling);
    put_u32(out, (uint32_t)m->n_batches);
    put_str(out, m->error);
    return finish(out, at, err);
}

alc_status alc_unpack_setup(const void *data, size_t len, alc_setup_msg *out, alc_error *err)
{
    memset(out, 0, sizeof *out);
    reader r;
    alc_status st = open_msg(data, len, ALC_MSG_SETUP, &r, err);
    if (st != ALC_OK)
        return st;
    out->go = (int)get_u8(&r);
    out->session_id = get_str(&r);
    out->correlation_id = get_str(&r);
    out->market = get_str(&r);
    out->as_of = get_i32(&r);
    out->scheduling = (int)get_u8(&r);
    out->n_batches = (int)get_u32(&r);
    out->error = get_str(&r);
    if ((st = close_msg(&r, err)) != ALC_OK)
        alc_setup_msg_free(out);
    return st;
}

/* ---- BATCH ---- */

static void put_batch_body(alc_buf *b, const alc_batch_desc *d)
{
    put_u32(b, (uint32_t)d->index);
    put_u32(b, (uint32_t)d->n_batches);
    put_u32(b, (uint32_t)d->attempt);
    put_u32(b, d->ticket);
    put_f64(b, d->weight);
    put_u32(b, (uint32_t)d->count);
    for (int k = 0; k < d->count; k++) {
        put_u32(b, (uint32_t)d->items[k].index);
        put_f64(b, d->items[k].allocation);
        put_str(b, d->items[k].file);
        put_str(b, d->items[k].path);
    }
}

alc_status alc_pack_batch(const alc_batch_desc *d, alc_buf *out, alc_error *err)
{
    size_t at = begin(out, ALC_MSG_BATCH);
    put_batch_body(out, d);
    return finish(out, at, err);
}

alc_status alc_unpack_batch(const void *data, size_t len, alc_batch_desc *out, alc_error *err)
{
    memset(out, 0, sizeof *out);
    reader r;
    alc_status st = open_msg(data, len, ALC_MSG_BATCH, &r, err);
    if (st != ALC_OK)
        return st;
    out->index = (int)get_u32(&r);
    out->n_batches = (int)get_u32(&r);
    out->attempt = (int)get_u32(&r);
    out->ticket = get_u32(&r);
    out->weight = get_f64(&r);
    uint32_t n = get_count(&r, 4 + 8 + 4 + 4);
    if (!r.bad && n > 0) {
        out->items = calloc(n, sizeof *out->items);
        if (!out->items)
            r.bad = 2;
    }
    for (uint32_t k = 0; k < n && !r.bad; k++) {
        out->count = (int)k + 1;
        out->items[k].index = (int)get_u32(&r);
        out->items[k].allocation = get_f64(&r);
        out->items[k].file = get_str(&r);
        out->items[k].path = get_str(&r);
    }
    if ((st = close_msg(&r, err)) != ALC_OK)
        alc_batch_desc_free(out);
    return st;
}

alc_status alc_pack_batch_list(const alc_batch_desc *d, int n, alc_buf *out, alc_error *err)
{
    size_t at = begin(out, ALC_MSG_BATCHES);
    put_u32(out, (uint32_t)n);
    for (int i = 0; i < n; i++) {
        size_t len_at = out->len;
        put_u32(out, 0);
        size_t msg_at = out->len;
        size_t inner = begin(out, ALC_MSG_BATCH);
        put_batch_body(out, &d[i]);
        alc_status st = finish(out, inner, err);
        if (st != ALC_OK)
            return st;
        uint32_t mlen = (uint32_t)(out->len - msg_at);
        for (int k = 0; k < 4; k++)
            out->data[len_at + (size_t)k] = (unsigned char)(mlen >> (8 * k));
    }
    return finish(out, at, err);
}

alc_status alc_unpack_batch_list(const void *data, size_t len, alc_batch_desc **out, int *n,
                                 alc_error *err)
{
    *out = NULL;
    *n = 0;
    reader r;
    alc_status st = open_msg(data, len, ALC_MSG_BATCHES, &r, err);
    if (st != ALC_OK)
        return st;
    uint32_t count = get_count(&r, 4 + ALC_PACK_HEADER);
    if ((st = r.bad ? close_msg(&r, err) : ALC_OK) != ALC_OK)
        return st;
    alc_batch_desc *d = count ? calloc(count, sizeof *d) : NULL;
    if (count && !d)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    uint32_t got = 0;
    for (; got < count; got++) {
        uint32_t mlen = get_u32(&r);
        if (!need(&r, mlen)) {
            st = close_msg(&r, err);
            break;
        }
        st = alc_unpack_batch(r.p + r.pos, mlen, &d[got], err);
        if (st != ALC_OK)
            break;
        r.pos += mlen;
    }
    if (st == ALC_OK)
        st = close_msg(&r, err);
    if (st != ALC_OK) {
        for (uint32_t i = 0; i < got; i++)
            alc_batch_desc_free(&d[i]);
        free(d);
        return st;
    }
    *out = d;
    *n = (int)count;
    return ALC_OK;
}

/* ---- PARTIAL ---- */

static void put_weights(alc_buf *b, const alc_weight *w, int n)
{
    put_u32(b, (uint32_t)n);
    for (int i = 0; i < n; i++) {
        put_str(b, w[i].ticker);
        put_f64(b, w[i].weight);
    }
}

static alc_weight *get_weights(reader *r, int *n_out)
{
    *n_out = 0;
    uint32_t n = get_count(r, 4 + 8);
    if (r->bad || n == 0)
        return NULL;
    alc_weight *w = calloc(n, sizeof *w);
    if (!w) {
        r->bad = 2;
        return NULL;
    }
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        *n_out = (int)i + 1;
        w[i].ticker = get_str(r);
        w[i].weight = get_f64(r);
    }
    return w;
}

alc_status alc_pack_partial(const char *session_id, const alc_partial *p, alc_buf *out,
                            alc_error *err)
{
    size_t at = begin(out, ALC_MSG_PARTIAL);
    put_str(out, session_id);
    put_u32(out, (uint32_t)p->batch_index);
    put_u32(out, (uint32_t)p->n_batches);
    put_u32(out, (uint32_t)p->attempt);
    put_u32(out, p->ticket);
    put_i32(out, p->rank);
    put_f64(out, p->start);
    put_f64(out, p->end);
    put_f64(out, p->eval_ms);
    put_u8(out, p->failed ? 1 : 0);
    put_str(out, p->error);
    put_u32(out, (uint32_t)p->n_signals);
    for (int i = 0; i < p->n_signals; i++) {
        const alc_signal *s = &p->signals[i];
        put_u32(out, (uint32_t)s->index);
        put_str(out, s->file);
        put_str(out, s->sha256);
        put_f64(out, s->allocation);
        put_u32(out, (uint32_t)s->code);
        put_str(out, s->error);
        put_f64(out, s->eval_ms);
        put_i32(out, s->last_bar);
        put_weights(out, s->w, s->n);
    }
    put_weights(out, p->portfolio, p->n_portfolio);
    put_u32(out, p->max_rss_kb > 0 ? (p->max_rss_kb < (long)UINT32_MAX ? (uint32_t)p->max_rss_kb
                                                                        : UINT32_MAX) : 0);
    return finish(out, at, err);
}

static char *empty_to_null(char *s)
{
    if (s && !*s) {
        free(s);
        return NULL;
    }
    return s;
}

alc_status alc_unpack_partial(const void *data, size_t len, char **session_id, alc_partial *out,
                              alc_error *err)
{
    memset(out, 0, sizeof *out);
    *session_id = NULL;
    reader r;
    alc_status st = open_msg(data, len, ALC_MSG_PARTIAL, &r, err);
    if (st != ALC_OK)
        return st;
    char *sid = get_str(&r);
    out->batch_index = (int)get_u32(&r);
    out->n_batches = (int)get_u32(&r);
    out->attempt = (int)get_u32(&r);
    out->ticket = get_u32(&r);
    out->rank = get_i32(&r);
    out->start = get_f64(&r);
    out->end = get_f64(&r);
    out->eval_ms = get_f64(&r);
    out->failed = (int)get_u8(&r);
    out->error = empty_to_null(get_str(&r));
    uint32_t n = get_count(&r, 4 + 4 + 4 + 8 + 4 + 4 + 8 + 4 + 4);
    if (!r.bad && n > 0) {
        out->signals = calloc(n, sizeof *out->signals);
        if (!out->signals)
            r.bad = 2;
    }
    for (uint32_t i = 0; i < n && !r.bad; i++) {
        alc_signal *s = &out->signals[i];
        out->n_signals = (int)i + 1;
        s->index = (int)get_u32(&r);
        s->file = get_str(&r);
        char *sha = get_str(&r);
        if (sha && strlen(sha) < sizeof s->sha256)
            memcpy(s->sha256, sha, strlen(sha) + 1);
        else if (!r.bad)
            r.bad = 1; /* not a hex digest */
        free(sha);
        s->allocation = get_f64(&r);
        s->code = (alc_status)get_u32(&r);
        s->error = empty_to_null(get_str(&r));
        s->eval_ms = get_f64(&r);
        s->last_bar = get_i32(&r);
        s->w = get_weights(&r, &s->n);
    }
    out->portfolio = get_weights(&r, &out->n_portfolio);
    out->max_rss_kb = (long)get_u32(&r);
    if ((st = close_msg(&r, err)) != ALC_OK) {
        free(sid);
        alc_partial_free(out);
        return st;
    }
    *session_id = sid;
    return ALC_OK;
}
