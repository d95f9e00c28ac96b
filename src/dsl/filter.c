/* filter with select-top / select-bottom (SPEC 5.9 and 7): individual mode
 * over tickers, portfolio mode over fragments, and the in-process
 * historical group scoring of SPEC 7.6 with its name-keyed memo. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dsl/eval_internal.h"

alc_status eval_group_body(alc_engine *e, const alc_node *group, value *out);

/* Operators whose filter condition gets the candidate ticker injected. */
static int is_rewritten(dsl_op op)
{
    switch (op) {
    case OP_RSI: case OP_MOVING_AVERAGE_PRICE: case OP_MOVING_AVERAGE_RETURN:
    case OP_CUMULATIVE_RETURN: case OP_EXPONENTIAL_MOVING_AVERAGE_PRICE:
    case OP_STDEV_RETURN: case OP_STDEV_PRICE: case OP_MAX_DRAWDOWN:
    case OP_PPO: case OP_PPO_SIGNAL:
        return 1;
    default:
        return 0;
    }
}

static int swallowed(alc_status st)
{
    return st == ALC_ERR_EVAL || st == ALC_ERR_VALUE;
}

/* Python float() of a condition's result. */
static int value_to_float(const value *v, double *out)
{
    switch (v->kind) {
    case V_NUM: *out = v->u.num; return 1;
    case V_BOOL: *out = v->u.b; return 1;
    case V_STR: {
        char *end;
        *out = strtod(v->u.str->s, &end);
        return end != v->u.str->s && *end == '\0';
    }
    default:
        return 0;
    }
}

/* SPEC 7.2: score one ticker.  *ok = 0 when the candidate is dropped
 * (DslEvaluationError / ValueError / TypeError); other errors propagate. */
static alc_status score_ticker(alc_engine *e, const alc_node *cond, const alc_sym *ticker, int *ok, double *score)
{
    *ok = 0;
    alc_status st;
    value result;
    dsl_op op = cond->kind == NODE_LIST ? (dsl_op)cond->op : OP_NONE;
    if (is_rewritten(op)) {
        value params;
        vdict d;
        const alc_sym *key;
        value wv;
        if (cond->n >= 2) {
            if ((st = eval_node(e, cond->kids[1], &params)))
                goto failed;
        } else {
            key = e->sym_window;
            wv = value_from_num((double)dsl_default_window(op), NUM_DECIMAL);
            d.n = 1;
            d.keys = &key;
            d.vals = &wv;
            params.kind = V_DICT;
            params.u.dict = &d;
        }
        double x;
        if ((st = eval_indicator(e, cond, op, ticker, &params, &x)))
            goto failed;
        *score = x;
        *ok = 1;
        return ALC_OK;
    }
    if (cond->kind != NODE_LIST) {
        /* not a call: the reference cannot rewrite or evaluate it as a
         * condition; every candidate fails as a TypeError */
        return ALC_OK;
    }
    if ((st = eval_node(e, cond, &result)))
        goto failed;
    if (value_to_float(&result, score))
        *ok = 1;
    return ALC_OK;
failed:
    if (swallowed(st)) {
        alc_error_clear(e->err);
        return ALC_OK;
    }
    return st;
}

/* ---- ranking ------------------------------------------------------------- */

typedef struct scored {
    double score;
    const alc_sym *key; /* ticker, or the fragment's smallest ticker */
    int index;
    const frag *f;
} scored;

/* Ties: smallest ticker first, then list order, in both directions. */
static int cmp_ties(const scored *x, const scored *y)
{
    int c = strcmp(x->key->s, y->key->s);
    if (c)
        return c;
    return (x->index > y->index) - (x->index < y->index);
}

static int cmp_descending(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return cmp_ties(x, y);
}

static int cmp_ascending(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    return cmp_ties(x, y);
}

static void rank(scored *s, int n, int desc)
{
    qsort(s, (size_t)n, sizeof *s, desc ? cmp_descending : cmp_ascending);
}

static int apply_limit(int n, long limit)
{
    if (limit < 0)
        return n;
    return limit < n ? (int)limit : n;
}

/* ---- candidates ----------------------------------------------------------- */

static alc_status collect_unique(alc_engine *e, const value *v, wmap *out)
{
    alc_status st;
    switch (v->kind) {
    case V_STR:
        for (int i = 0; i < out->n; i++)
            if (out->tk[i] == v->u.str)
                return ALC_OK;
        return wmap_add(e, out, v->u.str, 0);
    case V_FRAG:
        for (int i = 0; i < v->u.frag->n; i++) {
            value t = value_from_str(v->u.frag->tk[i]);
            if ((st = collect_unique(e, &t, out)))
                return st;
        }
        return ALC_OK;
    case V_LIST:
        for (int i = 0; i < v->u.list->n; i++)
            if ((st = collect_unique(e, &v->u.list->v[i], out)))
                return st;
        return ALC_OK;
    default:
        return ALC_OK;
    }
}

/* SPEC 7.1: portfolio mode when every element (unwrapped) is a fragment or
 * a non-empty string and at least one is a fragment. */
static int portfolio_mode(const value *c)
{
    if (c->kind != V_LIST || c->u.list->n == 0)
        return 0;
    int frags = 0;
    for (int i = 0; i < c->u.list->n; i++) {
        value u = value_unwrap(c->u.list->v[i]);
        if (u.kind == V_FRAG)
            frags++;
        else if (!(u.kind == V_STR && u.u.str->len > 0))
            return 0;
    }
    return frags > 0;
}

/* ^[A-Z][A-Z0-9]{0,4}([/.][A-Z])?$ */
static int looks_like_ticker(const char *s)
{
    if (!(*s >= 'A' && *s <= 'Z'))
        return 0;
    int i = 1, k = 0;
    while (k < 4 && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9'))) {
        i++;
        k++;
    }
    if (s[i] == '\0')
        return 1;
    if ((s[i] == '/' || s[i] == '.') && s[i + 1] >= 'A' && s[i + 1] <= 'Z' && s[i + 2] == '\0')
        return 1;
    return 0;
}

/* ---- SPEC 7.6: historical group scoring ------------------------------------ */

static uint64_t memo_hash(int32_t name, alc_day day)
{
    uint64_t h = ((uint64_t)(uint32_t)name << 32) | (uint32_t)day;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

static memo_entry *memo_slot(alc_engine *e, int32_t name, alc_day day)
{
    size_t i = memo_hash(name, day) & (e->memo_cap - 1);
    for (;;) {
        memo_entry *m = &e->memo[i];
        if (m->gen != e->gen || (m->name_id == name && m->day == day))
            return m;
        i = (i + 1) & (e->memo_cap - 1);
    }
}

static alc_status memo_put(alc_engine *e, int32_t name, alc_day day, const frag *w, int failed)
{
    if ((e->memo_count + 1) * 2 > e->memo_cap) {
        size_t old_cap = e->memo_cap;
        memo_entry *old = e->memo;
        size_t cap = old_cap ? old_cap * 2 : 4096;
        e->memo = calloc(cap, sizeof *e->memo);
        if (!e->memo) {
            e->memo = old;
            return oom(e);
        }
        e->memo_cap = cap;
        for (size_t i = 0; i < old_cap; i++)
            if (old[i].gen == e->gen)
                *memo_slot(e, old[i].name_id, old[i].day) = old[i];
        free(old);
    }
    memo_entry *m = memo_slot(e, name, day);
    if (m->gen != e->gen)
        e->memo_count++;
    m->gen = e->gen;
    m->name_id = name;
    m->day = day;
    m->weights = w;
    m->failed = failed;
    return ALC_OK;
}

static const memo_entry *memo_get(alc_engine *e, int32_t name, alc_day day)
{
    if (!e->memo_cap)
        return NULL;
    memo_entry *m = memo_slot(e, name, day);
    return m->gen == e->gen ? m : NULL;
}

/* ---- body values across evaluations ---------------------------------------------
 * A context-free group body (NODE_FLAG_CACHEABLE_BODY, see analyse.c) has a
 * value at day d that depends on the market up to d only, not on the memo,
 * the recursion guard or the outer as-of date, so its holdings (or its
 * failure) at d are kept for later evaluations of the same program.  The
 * per-evaluation memo keeps its exact SPEC 7.6 semantics (first evaluation
 * wins, a failed day is skipped once); a hit only saves the work.
 *  - A hit skips the memo entries the body's own nested scoring would have
 *    made.  They concern groups named only inside the body, and a later
 *    fresh evaluation gives the same holdings, except for a failed day,
 *    which is skipped when fresh but read as {} from the memo: so a value
 *    whose evaluation met a failed day (failed_days moved) is not kept.
 *  - A hit also skips the registrations the body would have made; only a
 *    lookup by name could see them, so alc_engine_eval turns the cache off
 *    for a program that makes one, and evaluates again if it hit. */

void body_cache_clear(alc_engine *e)
{
    if (e->bodies_count == 0)
        return;
    /* dropped rather than wiped: a session evaluates thousands of programs
     * once each, and one large table must not be cleared for every one */
    free(e->bodies);
    e->bodies = NULL;
    e->bodies_cap = e->bodies_count = 0;
    alc_arena_reset(&e->body_arena);
}

static body_value *body_slot(body_value *t, size_t cap, const alc_node *body, alc_day day)
{
    uint64_t h = (uint64_t)(uintptr_t)body * 0x9E3779B97F4A7C15ull ^ (uint64_t)(uint32_t)day * 0xBF58476D1CE4E5B9ull;
    size_t i = (size_t)(h ^ (h >> 29)) & (cap - 1);
    while (t[i].body && (t[i].body != body || t[i].day != day))
        i = (i + 1) & (cap - 1);
    return &t[i];
}

/* Whether a cached value may stand for evaluating `body` now: the cache is
 * on and the evaluation could not have hit the depth limit (group scoring
 * only descends the tree, so a body nests no deeper than the program). */
static int body_cacheable(const alc_engine *e, const alc_node *body)
{
    return (body->flags & NODE_FLAG_CACHEABLE_BODY) && !e->body_cache_off &&
           e->depth + e->prog->max_depth + 8 < EVAL_MAX_DEPTH;
}

static const body_value *body_get(alc_engine *e, const alc_node *body, alc_day day)
{
    if (!e->bodies_cap)
        return NULL;
    const body_value *b = body_slot(e->bodies, e->bodies_cap, body, day);
    return b->body ? b : NULL;
}

/* Keep `holdings` (NULL: the body failed) for (body, day).  Out of memory
 * only loses the entry: the cache never changes results. */
static void body_put(alc_engine *e, const alc_node *body, alc_day day, const frag *holdings)
{
    if ((e->bodies_count + 1) * 2 > e->bodies_cap) {
        size_t cap = e->bodies_cap ? e->bodies_cap * 2 : 4096;
        body_value *t = calloc(cap, sizeof *t);
        if (!t)
            return;
        for (size_t i = 0; i < e->bodies_cap; i++)
            if (e->bodies[i].body)
                *body_slot(t, cap, e->bodies[i].body, e->bodies[i].day) = e->bodies[i];
        free(e->bodies);
        e->bodies = t;
        e->bodies_cap = cap;
    }
    frag *copy = NULL;
    if (holdings) {
        copy = frag_alloc(&e->body_arena, holdings->n, -1);
        if (!copy)
            return;
        if (holdings->n > 0) {
            memcpy(copy->tk, holdings->tk, (size_t)holdings->n * sizeof *copy->tk);
            memcpy(copy->w, holdings->w, (size_t)holdings->n * sizeof *copy->w);
        }
    }
    body_value *b = body_slot(e->bodies, e->bodies_cap, body, day);
    b->body = body;
    b->day = day;
    b->failed = holdings == NULL;
    b->holdings = copy;
    e->bodies_count++;
}

/* The holdings a body evaluation stands for (SPEC 7.6 step 6). */
static alc_status holdings_of(alc_engine *e, const value *v, const frag **out)
{
    wmap m;
    wmap_init(&m);
    alc_status st;
    *out = NULL;
    switch (v->kind) {
    case V_FRAG:
        *out = v->u.frag;
        return ALC_OK;
    case V_STR:
        *out = frag_single(e, v->u.str, 1.0);
        return *out ? ALC_OK : oom(e);
    case V_LIST:
        for (int i = 0; i < v->u.list->n; i++) {
            const value *x = &v->u.list->v[i];
            if (x->kind == V_STR) {
                if ((st = wmap_add(e, &m, x->u.str, 1.0)))
                    return st;
            } else if (x->kind == V_FRAG) {
                for (int k = 0; k < x->u.frag->n; k++)
                    if ((st = wmap_add(e, &m, x->u.frag->tk[k], x->u.frag->w[k])))
                        return st;
            }
        }
        break;
    default:
        break;
    }
    *out = frag_from_wmap(e, &m);
    return *out ? ALC_OK : oom(e);
}

static int in_progress(alc_engine *e, const alc_sym *name)
{
    for (int i = 0; i < e->n_in_progress; i++)
        if (e->in_progress[i] == name)
            return 1;
    return 0;
}

static alc_status push_in_progress(alc_engine *e, const alc_sym *name)
{
    if (e->n_in_progress == e->cap_in_progress) {
        int cap = e->cap_in_progress ? e->cap_in_progress * 2 : 16;
        const alc_sym **p = realloc(e->in_progress, (size_t)cap * sizeof *p);
        if (!p)
            return oom(e);
        e->in_progress = p;
        e->cap_in_progress = cap;
    }
    e->in_progress[e->n_in_progress++] = name;
    return ALC_OK;
}

/* Daily return of holdings `prev` on day d (SPEC 7.6 step 6): 1 with *ret
 * set, 0 when no held ticker has a return, -1 when out of memory. */
static int holdings_return(alc_engine *e, const frag *prev, alc_day d, long double *ret)
{
    long double num = 0, den = 0;
    int any = 0;
    for (int i = 0; i < prev->n; i++) {
        if (!(prev->w[i] > 0))
            continue;
        int series;
        alc_status st = engine_series(e, NULL, prev->tk[i], &series);
        if (st) {
            alc_error_clear(e->err); /* a ticker without data is skipped */
            continue;
        }
        const long double *rets = alc_indicator_returns(e->cache, series);
        if (!rets)
            return -1;
        int j = alc_indicator_bar_at(e->cache, series, d);
        if (j <= 0 || isnan(rets[j]))
            continue; /* the first bar, or a zero previous close */
        long double r = rets[j];
        num += (long double)prev->w[i] * r;
        den += prev->w[i];
        any = 1;
    }
    if (!any || den == 0)
        return 0;
    *ret = num / den;
    return 1;
}

/* holdings_return memoised per (holdings, day): holdings come from the
 * memo, so within one evaluation a pointer always means the same weights,
 * and nested filters score the same group at many overlapping anchors. */
static return_entry *return_slot(alc_engine *e, const frag *h, alc_day d)
{
    uint64_t k = (uint64_t)(uintptr_t)h * 0x9E3779B97F4A7C15ull ^ (uint64_t)(uint32_t)d * 0xBF58476D1CE4E5B9ull;
    size_t i = (size_t)(k ^ (k >> 29)) & (e->returns_cap - 1);
    for (;;) {
        return_entry *r = &e->returns[i];
        if (r->gen != e->gen || (r->holdings == h && r->day == d))
            return r;
        i = (i + 1) & (e->returns_cap - 1);
    }
}

static int holdings_return_memo(alc_engine *e, const frag *h, alc_day d, long double *ret)
{
    if ((e->returns_count + 1) * 2 > e->returns_cap) {
        size_t old_cap = e->returns_cap;
        return_entry *old = e->returns;
        size_t cap = old_cap ? old_cap * 2 : 4096;
        e->returns = calloc(cap, sizeof *e->returns);
        if (!e->returns) {
            e->returns = old;
            return -1;
        }
        e->returns_cap = cap;
        for (size_t i = 0; i < old_cap; i++)
            if (old[i].gen == e->gen)
                *return_slot(e, old[i].holdings, old[i].day) = old[i];
        free(old);
    }
    return_entry *r = return_slot(e, h, d);
    if (r->gen != e->gen) {
        int has = holdings_return(e, h, d, &r->ret);
        if (has < 0)
            return -1;
        r->gen = e->gen;
        r->holdings = h;
        r->day = d;
        r->has = has;
        e->returns_count++;
    }
    *ret = r->ret;
    return r->has;
}

static double group_metric(dsl_op op, const long double *s, long w)
{
    long double v = 0;
    switch (op) {
    case OP_MOVING_AVERAGE_RETURN: {
        long double sum = 0;
        for (long i = 0; i < w; i++)
            sum += s[i];
        v = sum / (long double)w * 100.0L;
        break;
    }
    case OP_CUMULATIVE_RETURN: {
        long double p = 1;
        for (long i = 0; i < w; i++)
            p *= 1.0L + s[i];
        v = (p - 1.0L) * 100.0L;
        break;
    }
    case OP_STDEV_RETURN: {
        long double mean = 0, var = 0;
        for (long i = 0; i < w; i++)
            mean += 100.0L * s[i];
        mean /= (long double)w;
        for (long i = 0; i < w; i++) {
            long double d = 100.0L * s[i] - mean;
            var += d * d;
        }
        var /= (long double)w;
        double sd = sqrt((double)var);
        v = (long double)sd * 15.8745078664L;
        break;
    }
    case OP_MAX_DRAWDOWN: {
        long double eq = 1, peak = 1, worst = 0;
        for (long i = 0; i < w; i++) {
            eq *= 1.0L + s[i];
            if (eq > peak)
                peak = eq;
            long double dd = (peak - eq) / peak * 100.0L;
            if (dd > worst)
                worst = dd;
        }
        v = worst;
        break;
    }
    default: { /* rsi over synthetic prices, averages seeded with the first change */
        long double a = 1.0L / (long double)w, price = 100, ag = 0, al = 0;
        for (long i = 0; i < w; i++) {
            long double next = price * (1.0L + s[i]);
            long double d = next - price;
            long double g = d > 0 ? d : 0, l = d < 0 ? -d : 0;
            if (i == 0) {
                ag = g;
                al = l;
            } else {
                ag = a * g + (1.0L - a) * ag;
                al = a * l + (1.0L - a) * al;
            }
            price = next;
        }
        v = al == 0 ? 100.0L : 100.0L - 100.0L / (1.0L + ag / al);
        break;
    }
    }
    return (double)v;
}

/* Returns ALC_OK with *has = 0 when the group falls back. */
static alc_status group_score(alc_engine *e, const alc_node *body, const alc_sym *name,
                              const alc_node *cond, int invert, int *has, double *score)
{
    *has = 0;
    dsl_op op = (dsl_op)cond->op;
    if (op != OP_MOVING_AVERAGE_RETURN && op != OP_CUMULATIVE_RETURN && op != OP_STDEV_RETURN &&
        op != OP_MAX_DRAWDOWN && op != OP_RSI)
        return ALC_OK;
    if (cond->n < 2)
        return ALC_OK;
    value params;
    alc_status st = eval_node(e, cond->kids[1], &params);
    if (st)
        return st;
    if (params.kind != V_DICT)
        return ALC_OK;
    const value *wv;
    value_dict_get(params.u.dict, "window", &wv);
    if (!wv || wv->kind != V_NUM || !isfinite(wv->u.num))
        return ALC_OK;
    long w = (long)dsl_trunc_clamp(wv->u.num);
    if (w == 0 || in_progress(e, name))
        return ALC_OK;
    if ((st = push_in_progress(e, name)))
        return st;
    const alc_day outer = e->as_of;
    long span = (long)floor((double)w * 2.5) + 10;
    if (span > 45)
        span = 45;
    long double returns[64];
    int nret = 0;
    const frag *prev = NULL;
    for (alc_day d = (alc_day)(outer - span); d <= outer; d++) {
        if (alc_weekday(d) >= 5)
            continue;
        const frag *today = NULL;
        const memo_entry *hit = memo_get(e, name->id, d);
        if (hit) {
            today = hit->weights;
            e->failed_days += hit->failed;
        } else {
            const int cacheable = body_cacheable(e, body);
            const body_value *known = cacheable ? body_get(e, body, d) : NULL;
            if (known) {
                e->body_hits++;
                st = known->failed ? ALC_ERR_EVAL : ALC_OK;
                today = known->holdings;
            } else {
                e->as_of = d;
                value v;
                const long failed_before = e->failed_days;
                st = eval_group_body(e, body, &v);
                e->as_of = outer;
                if (st == ALC_ERR_NOMEM || st == ALC_ERR_INTERNAL)
                    goto done;
                if (st == ALC_OK && (st = holdings_of(e, &v, &today)))
                    goto done;
                if (cacheable && st != ALC_ERR_LIMIT && e->failed_days == failed_before)
                    body_put(e, body, d, st == ALC_OK ? today : NULL);
            }
            if (st) {
                /* the day is skipped entirely; a later memo hit reads "nothing" */
                alc_error_clear(e->err);
                e->failed_days++;
                if ((st = memo_put(e, name->id, d, NULL, 1)))
                    goto done;
                continue;
            }
            if (today->n == 0)
                today = NULL;
            if ((st = memo_put(e, name->id, d, today, 0)))
                goto done;
        }
        if (!prev) {
            prev = today;
            continue;
        }
        long double r;
        int has_return = holdings_return_memo(e, prev, d, &r);
        if (has_return < 0) {
            st = oom(e);
            goto done;
        }
        if (has_return && nret < (int)(sizeof returns / sizeof returns[0]))
            returns[nret++] = r;
        if (today)
            prev = today;
    }
    st = ALC_OK;
    if (nret >= w && nret >= 3) {
        *score = group_metric(op, returns + (nret - w), w);
        if (invert)
            *score = -*score;
        *has = 1;
    }
done:
    e->as_of = outer;
    e->n_in_progress--;
    return st;
}

/* ---- portfolio-mode scoring of one fragment (SPEC 7.4) ---------------------- */

static alc_status score_fragment(alc_engine *e, const alc_node *cond, const frag *f, int invert,
                                 int *ok, double *score)
{
    *ok = 0;
    alc_status st;
    if (f->n == 0)
        return ALC_OK;
    if (f->bare && looks_like_ticker(f->tk[0]->s)) {
        if ((st = score_ticker(e, cond, f->tk[0], ok, score)))
            return st;
        if (*ok && invert)
            *score = -*score;
        return ALC_OK;
    }
    if (f->name && f->name->len > 0 && cond->kind == NODE_LIST) {
        const alc_node *body = f->bare ? NULL : registry_body_by_id(e, f->id);
        if (!body)
            body = registry_body_by_name(e, f->name);
        if (body) {
            int has;
            if ((st = group_score(e, body, f->name, cond, invert, &has, score)))
                return st;
            if (has) {
                *ok = 1;
                return ALC_OK;
            }
        }
    }
    /* per-ticker fallback: today's metric weighted by raw weights */
    long double num = 0, den = 0;
    int any = 0;
    for (int i = 0; i < f->n; i++) {
        int mok;
        double m;
        if ((st = score_ticker(e, cond, f->tk[i], &mok, &m)))
            return st;
        if (!mok)
            continue;
        if (invert)
            m = -m;
        num += (long double)f->w[i] * m;
        den += f->w[i];
        any = 1;
    }
    if (!any || den == 0)
        return ALC_OK;
    *score = (double)(num / den);
    *ok = 1;
    return ALC_OK;
}

/* ---- the operator ---------------------------------------------------------------- */

alc_status op_filter(alc_engine *e, const alc_node *n, value *out)
{
    if (n->n != 3 && n->n != 4)
        return eval_error(e, n, ALC_ERR_EVAL, "filter takes a condition, an optional selector and candidates");
    const alc_node *cond = n->kids[1];
    const alc_node *selector = n->n == 4 ? n->kids[2] : NULL;
    value cands;
    alc_status st = eval_node(e, n->kids[n->n - 1], &cands);
    if (st)
        return st;
    long limit = -1;
    int desc = 1;
    if (selector) {
        value sv;
        if ((st = eval_node(e, selector, &sv)))
            return st;
        double x;
        if (sv.kind == V_NUM) {
            x = sv.u.num;
        } else if ((st = value_to_decimal(e, selector, &sv, &x))) {
            return st;
        }
        limit = isfinite(x) ? (long)dsl_trunc_clamp(x) : 0;
        if (selector->kind == NODE_LIST && selector->n > 0 && selector->kids[0]->kind == NODE_SYMBOL &&
            strcmp(selector->kids[0]->sym->s, "select-bottom") == 0)
            desc = 0;
    }
    wmap result;
    wmap_init(&result);
    if (portfolio_mode(&cands)) {
        const vlist *l = cands.u.list;
        int invert = cond->kind == NODE_LIST && cond->op == OP_MAX_DRAWDOWN && cond->n < 3;
        scored *s = alc_arena_alloc(&e->arena, (size_t)l->n * sizeof *s);
        if (!s)
            return oom(e);
        int ns = 0;
        for (int i = 0; i < l->n; i++) {
            value u = value_unwrap(l->v[i]);
            const frag *f;
            if (u.kind == V_STR) {
                frag *b = frag_single(e, u.u.str, 1.0);
                if (!b)
                    return oom(e);
                b->bare = 1;
                b->name = u.u.str;
                f = b;
            } else {
                f = u.u.frag;
            }
            int ok;
            double sc;
            if ((st = score_fragment(e, cond, f, invert, &ok, &sc)))
                return st;
            if (!ok)
                continue;
            s[ns].score = sc;
            s[ns].key = frag_min_ticker(f);
            s[ns].index = i;
            s[ns].f = f;
            ns++;
        }
        rank(s, ns, desc);
        int k = apply_limit(ns, limit);
        for (int i = 0; i < k; i++)
            for (int j = 0; j < s[i].f->n; j++)
                if ((st = wmap_add(e, &result, s[i].f->tk[j], k == 1 ? s[i].f->w[j] : s[i].f->w[j] / (double)k)))
                    return st;
    } else {
        wmap tickers;
        wmap_init(&tickers);
        if ((st = collect_unique(e, &cands, &tickers)))
            return st;
        scored *s = alc_arena_alloc(&e->arena, (size_t)(tickers.n ? tickers.n : 1) * sizeof *s);
        if (!s)
            return oom(e);
        int ns = 0;
        for (int i = 0; i < tickers.n; i++) {
            int ok;
            double sc;
            if ((st = score_ticker(e, cond, tickers.tk[i], &ok, &sc)))
                return st;
            if (!ok)
                continue;
            s[ns].score = sc;
            s[ns].key = tickers.tk[i];
            s[ns].index = i;
            s[ns].f = NULL;
            ns++;
        }
        rank(s, ns, desc);
        int k = apply_limit(ns, limit);
        for (int i = 0; i < k; i++)
            if ((st = wmap_add(e, &result, s[i].key, 1.0 / (double)k)))
                return st;
    }
    return value_from_wmap(e, &result, out);
}
