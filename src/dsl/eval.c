/* The evaluator core: node evaluation (SPEC 3), structure, control,
 * comparison and indicator operators (SPEC 5.1-5.5, 5.10), the final
 * allocation (SPEC 4), and the public engine API. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsl/eval_internal.h"

/* ---- errors --------------------------------------------------------------- */

alc_status eval_error(alc_engine *e, const alc_node *at, alc_status code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return alc_fail_at(e->err, code, e->prog->path, at ? at->line : 0, at ? at->col : 0, "%s", msg);
}

alc_status eval_locate(alc_engine *e, const alc_node *at, alc_status st)
{
    if (st != ALC_OK && e->err && e->err->line == 0 && at) {
        snprintf(e->err->file, sizeof e->err->file, "%s", e->prog->path);
        e->err->line = at->line;
        e->err->col = at->col;
    }
    return st;
}

alc_status oom(alc_engine *e)
{
    return alc_fail(e->err, ALC_ERR_NOMEM, "out of memory during evaluation");
}

double dsl_trunc_clamp(double x)
{
    x = trunc(x);
    return x > 1e9 ? 1e9 : x < -1e9 ? -1e9 : x;
}

/* ---- values ----------------------------------------------------------------- */

value value_from_str(const alc_sym *s)
{
    value v = {.kind = V_STR};
    v.u.str = s;
    return v;
}

value value_from_num(double x, numkind k)
{
    value v = {.kind = V_NUM, .numk = (uint8_t)k};
    v.u.num = x;
    return v;
}

value value_unwrap(value v)
{
    while (v.kind == V_LIST && v.u.list->n == 1)
        v = v.u.list->v[0];
    return v;
}

int value_truthy(const value *v)
{
    switch (v->kind) {
    case V_NONE: return 0;
    case V_BOOL: return v->u.b != 0;
    case V_NUM: return v->u.num != 0; /* NaN is truthy in Python too */
    case V_STR: return v->u.str->len > 0;
    case V_LIST: return v->u.list->n > 0;
    case V_DICT: return v->u.dict->n > 0;
    case V_FRAG: return 1;
    }
    return 0;
}

/* Python Decimal(string) syntax: optional surrounding whitespace, sign,
 * digits with an optional point, optional exponent; "inf"/"infinity".
 * Returns 1 and sets *out when numeric, 0 when not, -1 for NaN. */
static int parse_decimal_string(const char *s, double *out)
{
    while (isspace((unsigned char)*s))
        s++;
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (!strncasecmp(p, "nan", 3) || !strncasecmp(p, "snan", 4))
        return -1;
    if (!strncasecmp(p, "infinity", 8) || !strncasecmp(p, "inf", 3)) {
        const char *q = p + (strncasecmp(p, "infinity", 8) ? 3 : 8);
        while (isspace((unsigned char)*q))
            q++;
        if (*q)
            return 0;
        *out = (*s == '-') ? -INFINITY : INFINITY;
        return 1;
    }
    int digits = 0;
    while (isdigit((unsigned char)*p)) {
        p++;
        digits++;
    }
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) {
            p++;
            digits++;
        }
    }
    if (!digits)
        return 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!isdigit((unsigned char)*p))
            return 0;
        while (isdigit((unsigned char)*p))
            p++;
    }
    const char *end = p;
    while (isspace((unsigned char)*p))
        p++;
    if (*p)
        return 0;
    char buf[128];
    size_t len = (size_t)(end - s);
    if (len >= sizeof buf)
        len = sizeof buf - 1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    *out = strtod(buf, NULL);
    return 1;
}

alc_status value_to_decimal(alc_engine *e, const alc_node *at, const value *v, double *out)
{
    switch (v->kind) {
    case V_NUM: *out = v->u.num; return ALC_OK;
    case V_BOOL: *out = v->u.b ? 1.0 : 0.0; return ALC_OK;
    case V_STR: {
        int r = parse_decimal_string(v->u.str->s, out);
        if (r < 0)
            return eval_error(e, at, ALC_ERR_EVAL, "cannot compare NaN value '%s'", v->u.str->s);
        if (r == 0)
            *out = 0.0;
        return ALC_OK;
    }
    default:
        *out = 0.0;
        return ALC_OK;
    }
}

/* Python's repr(float): the shortest text that round-trips. */
static void float_repr(double x, char *buf, size_t size)
{
    if (isnan(x)) { snprintf(buf, size, "nan"); return; }
    if (isinf(x)) { snprintf(buf, size, x < 0 ? "-inf" : "inf"); return; }
    char tmp[64];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, x);
        if (strtod(tmp, NULL) == x)
            break;
    }
    /* tmp = d.ddde[+-]XX ; convert to Python's format rules */
    char mant[40];
    int exp10;
    char *epos = strchr(tmp, 'e');
    *epos = '\0';
    exp10 = atoi(epos + 1);
    size_t m = 0;
    for (char *c = tmp; *c && m + 1 < sizeof mant; c++)
        if (isdigit((unsigned char)*c))
            mant[m++] = *c;
    mant[m] = '\0';
    while (m > 1 && mant[m - 1] == '0')
        mant[--m] = '\0';
    const char *sign = x < 0 ? "-" : "";
    if (exp10 >= -5 && exp10 < 16) {
        char out[80];
        size_t o = 0;
        if (exp10 < 0) {
            o += (size_t)snprintf(out, sizeof out, "0.");
            for (int k = 0; k < -exp10 - 1; k++)
                out[o++] = '0';
            memcpy(out + o, mant, m);
            o += m;
        } else {
            for (int k = 0; k <= exp10; k++)
                out[o++] = (size_t)k < m ? mant[k] : '0';
            out[o++] = '.';
            if ((size_t)exp10 + 1 < m) {
                memcpy(out + o, mant + exp10 + 1, m - (size_t)exp10 - 1);
                o += m - (size_t)exp10 - 1;
            } else {
                out[o++] = '0';
            }
        }
        out[o] = '\0';
        snprintf(buf, size, "%s%s", sign, out);
    } else {
        snprintf(buf, size, "%s%c%s%s%se%c%02d", sign, mant[0], m > 1 ? "." : "", m > 1 ? mant + 1 : "",
                 "", exp10 < 0 ? '-' : '+', abs(exp10));
    }
}

static size_t str_append(char *buf, size_t size, size_t pos, const char *s)
{
    size_t len = strlen(s);
    if (pos + len + 1 > size)
        len = pos + 1 < size ? size - pos - 1 : 0;
    memcpy(buf + pos, s, len);
    buf[pos + len] = '\0';
    return pos + len;
}

static void value_repr(const value *v, char *buf, size_t size, int quote);

static void value_repr(const value *v, char *buf, size_t size, int quote)
{
    char tmp[128];
    size_t pos = 0;
    buf[0] = '\0';
    switch (v->kind) {
    case V_NONE: snprintf(buf, size, "None"); return;
    case V_BOOL: snprintf(buf, size, v->u.b ? "True" : "False"); return;
    case V_NUM:
        if (v->numk == NUM_DECIMAL && v->text)
            snprintf(buf, size, quote ? "Decimal('%s')" : "%s", v->text->s);
        else if (v->numk == NUM_INT)
            snprintf(buf, size, "%.0f", v->u.num);
        else
            float_repr(v->u.num, buf, size);
        return;
    case V_STR:
        snprintf(buf, size, quote ? "'%s'" : "%s", v->u.str->s);
        return;
    case V_LIST:
        pos = str_append(buf, size, pos, "[");
        for (int i = 0; i < v->u.list->n; i++) {
            if (i)
                pos = str_append(buf, size, pos, ", ");
            value_repr(&v->u.list->v[i], tmp, sizeof tmp, 1);
            pos = str_append(buf, size, pos, tmp);
        }
        str_append(buf, size, pos, "]");
        return;
    case V_DICT:
        pos = str_append(buf, size, pos, "{");
        for (int i = 0; i < v->u.dict->n; i++) {
            snprintf(tmp, sizeof tmp, "%s'%s': ", i ? ", " : "", v->u.dict->keys[i]->s);
            pos = str_append(buf, size, pos, tmp);
            value_repr(&v->u.dict->vals[i], tmp, sizeof tmp, 1);
            pos = str_append(buf, size, pos, tmp);
        }
        str_append(buf, size, pos, "}");
        return;
    case V_FRAG:
        snprintf(buf, size, "PortfolioFragment(id=%d)", (int)v->u.frag->id);
        return;
    }
}

const alc_sym *value_str(alc_engine *e, const value *v)
{
    (void)e;
    if (v->kind == V_STR)
        return v->u.str;
    char buf[1024];
    value_repr(v, buf, sizeof buf, 0);
    return alc_intern_cstr(buf);
}

alc_status value_dict_get(const vdict *d, const char *key, const value **out)
{
    /* later duplicates win, as in a Python dict literal */
    for (int i = d->n - 1; i >= 0; i--)
        if (strcmp(d->keys[i]->s, key) == 0) {
            *out = &d->vals[i];
            return ALC_OK;
        }
    *out = NULL;
    return ALC_OK;
}

/* ---- fragments ---------------------------------------------------------------- */

frag *frag_alloc(alc_arena *a, int n, int32_t id)
{
    frag *f = alc_arena_calloc(a, 1, sizeof *f);
    if (!f)
        return NULL;
    f->n = n;
    f->id = id;
    if (n > 0) {
        f->tk = alc_arena_alloc(a, (size_t)n * sizeof *f->tk);
        f->w = alc_arena_alloc(a, (size_t)n * sizeof *f->w);
        if (!f->tk || !f->w)
            return NULL;
    }
    return f;
}

frag *frag_new(alc_engine *e, int n) { return frag_alloc(&e->arena, n, e->next_frag_id++); }

frag *frag_from_wmap(alc_engine *e, const wmap *m)
{
    frag *f = frag_new(e, m->n);
    if (!f)
        return NULL;
    if (m->n) {
        memcpy(f->tk, m->tk, (size_t)m->n * sizeof *f->tk);
        memcpy(f->w, m->w, (size_t)m->n * sizeof *f->w);
    }
    return f;
}

alc_status value_from_wmap(alc_engine *e, const wmap *m, value *out)
{
    frag *f = frag_from_wmap(e, m);
    if (!f)
        return oom(e);
    out->kind = V_FRAG;
    out->u.frag = f;
    return ALC_OK;
}

frag *frag_single(alc_engine *e, const alc_sym *ticker, double w)
{
    frag *f = frag_new(e, 1);
    if (!f)
        return NULL;
    f->tk[0] = ticker;
    f->w[0] = w;
    return f;
}

double frag_sum(const frag *f)
{
    double s = 0;
    for (int i = 0; i < f->n; i++)
        s += f->w[i];
    return s;
}

frag *frag_normalised(alc_engine *e, const frag *f)
{
    frag *g = frag_new(e, f->n);
    if (!g)
        return NULL;
    double s = frag_sum(f);
    double k = s != 0 ? 1.0 / s : 1.0;
    for (int i = 0; i < f->n; i++) {
        g->tk[i] = f->tk[i];
        g->w[i] = s != 0 ? f->w[i] * k : f->w[i];
    }
    return g;
}

const alc_sym *frag_min_ticker(const frag *f)
{
    const alc_sym *m = NULL;
    for (int i = 0; i < f->n; i++)
        if (!m || strcmp(f->tk[i]->s, m->s) < 0)
            m = f->tk[i];
    return m;
}

void wmap_init(wmap *m)
{
    m->n = m->cap = 0;
    m->tk = NULL;
    m->w = NULL;
}

static int wmap_find(const wmap *m, const alc_sym *tk)
{
    for (int i = 0; i < m->n; i++)
        if (m->tk[i] == tk)
            return i;
    return -1;
}

static alc_status wmap_put(alc_engine *e, wmap *m, const alc_sym *tk, double w, int add)
{
    int i = wmap_find(m, tk);
    if (i >= 0) {
        m->w[i] = add ? m->w[i] + w : w;
        return ALC_OK;
    }
    if (m->n == m->cap) {
        int cap = m->cap ? m->cap * 2 : 8;
        const alc_sym **tks = alc_arena_alloc(&e->arena, (size_t)cap * sizeof *tks);
        double *ws = alc_arena_alloc(&e->arena, (size_t)cap * sizeof *ws);
        if (!tks || !ws)
            return oom(e);
        if (m->n) {
            memcpy(tks, m->tk, (size_t)m->n * sizeof *tks);
            memcpy(ws, m->w, (size_t)m->n * sizeof *ws);
        }
        m->tk = tks;
        m->w = ws;
        m->cap = cap;
    }
    m->tk[m->n] = tk;
    m->w[m->n] = w;
    m->n++;
    return ALC_OK;
}

alc_status wmap_add(alc_engine *e, wmap *m, const alc_sym *tk, double w) { return wmap_put(e, m, tk, w, 1); }
alc_status wmap_set(alc_engine *e, wmap *m, const alc_sym *tk, double w) { return wmap_put(e, m, tk, w, 0); }

/* ---- registries and per-evaluation state -------------------------------------------- */

static alc_status register_group(alc_engine *e, const frag *f, const alc_sym *name, const alc_node *group)
{
    if (f->id >= e->body_by_id_cap) {
        int32_t cap = e->body_by_id_cap ? e->body_by_id_cap : 1024;
        while (cap <= f->id)
            cap *= 2;
        const alc_node **b = realloc(e->body_by_id, (size_t)cap * sizeof *b);
        if (!b)
            return oom(e);
        memset(b + e->body_by_id_cap, 0, (size_t)(cap - e->body_by_id_cap) * sizeof *b);
        e->body_by_id = b;
        e->body_by_id_cap = cap;
    }
    e->body_by_id[f->id] = group;
    if (f->id >= e->body_by_id_used)
        e->body_by_id_used = f->id + 1;
    if (name->id >= e->body_by_name_cap) {
        int32_t cap = e->body_by_name_cap ? e->body_by_name_cap : 1024;
        while (cap <= name->id)
            cap *= 2;
        name_body *b = realloc(e->body_by_name, (size_t)cap * sizeof *b);
        if (!b)
            return oom(e);
        memset(b + e->body_by_name_cap, 0, (size_t)(cap - e->body_by_name_cap) * sizeof *b);
        e->body_by_name = b;
        e->body_by_name_cap = cap;
    }
    e->body_by_name[name->id].gen = e->gen;
    e->body_by_name[name->id].group = group;
    return ALC_OK;
}

const alc_node *registry_body_by_id(alc_engine *e, int32_t id)
{
    /* ids restart at 0 for every top-level evaluation, and the table is
     * cleared then, so a hit is always this evaluation's */
    return (id >= 0 && id < e->body_by_id_cap) ? e->body_by_id[id] : NULL;
}

const alc_node *registry_body_by_name(alc_engine *e, const alc_sym *name)
{
    e->by_name_used = 1;
    if (name->id < e->body_by_name_cap && e->body_by_name[name->id].gen == e->gen)
        return e->body_by_name[name->id].group;
    return NULL;
}

/* ---- market lookups ------------------------------------------------------------------- */

static int valid_symbol(const char *s, size_t len)
{
    if (len == 0 || len > 10)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '/' || c == ':'))
            return 0;
    }
    return 1;
}

alc_status engine_series(alc_engine *e, const alc_node *at, const alc_sym *ticker, int *series)
{
    if (ticker->id >= e->series_of_sym_cap) {
        int32_t cap = e->series_of_sym_cap ? e->series_of_sym_cap : 1024;
        while (cap <= ticker->id)
            cap *= 2;
        int32_t *t = realloc(e->series_of_sym, (size_t)cap * sizeof *t);
        if (!t)
            return oom(e);
        for (int32_t i = e->series_of_sym_cap; i < cap; i++)
            t[i] = -2;
        e->series_of_sym = t;
        e->series_of_sym_cap = cap;
    }
    int32_t idx = e->series_of_sym[ticker->id];
    if (idx == -2) {
        char up[64];
        size_t len = ticker->len;
        if (len >= sizeof up) {
            idx = -3;
        } else {
            for (size_t i = 0; i < len; i++)
                up[i] = (char)toupper((unsigned char)ticker->s[i]);
            up[len] = '\0';
            idx = valid_symbol(up, len) ? alc_market_find(e->market, up) : -3;
            if (idx < 0 && idx != -3)
                idx = -1;
        }
        e->series_of_sym[ticker->id] = idx;
    }
    if (idx == -3)
        return eval_error(e, at, ALC_ERR_VALUE, "invalid ticker symbol '%s'", ticker->s);
    if (idx < 0)
        return eval_error(e, at, ALC_ERR_MARKET, "No market data available for %s (ticker not in market %s)",
                          ticker->s, e->market->source ? e->market->source : "");
    *series = idx;
    return ALC_OK;
}

/* ---- indicator operators ------------------------------------------------------------------ */

static alc_indicator indicator_of(dsl_op op)
{
    switch (op) {
    case OP_RSI: return ALC_IND_RSI;
    case OP_CURRENT_PRICE: return ALC_IND_CURRENT_PRICE;
    case OP_MOVING_AVERAGE_PRICE: return ALC_IND_SMA;
    case OP_MOVING_AVERAGE_RETURN: return ALC_IND_MAR;
    case OP_CUMULATIVE_RETURN: return ALC_IND_CUMRET;
    case OP_EXPONENTIAL_MOVING_AVERAGE_PRICE: return ALC_IND_EMA;
    case OP_STDEV_RETURN: return ALC_IND_STDEV_RETURN;
    case OP_STDEV_PRICE: return ALC_IND_STDEV_PRICE;
    case OP_MAX_DRAWDOWN: return ALC_IND_MAX_DRAWDOWN;
    case OP_PPO: return ALC_IND_PPO;
    case OP_PPO_SIGNAL: return ALC_IND_PPO_SIGNAL;
    default: return ALC_IND_COUNT;
    }
}

long dsl_default_window(dsl_op op)
{
    switch (op) {
    case OP_RSI: return 14;
    case OP_MOVING_AVERAGE_PRICE: return 200;
    case OP_MOVING_AVERAGE_RETURN: return 21;
    case OP_CUMULATIVE_RETURN: return 60;
    case OP_EXPONENTIAL_MOVING_AVERAGE_PRICE: return 12;
    case OP_STDEV_RETURN: return 6;
    case OP_STDEV_PRICE: return 6;
    case OP_MAX_DRAWDOWN: return 60;
    default: return 10;
    }
}

/* Python int() of a parameter value. */
static alc_status value_to_window(alc_engine *e, const alc_node *at, const value *v, const char *key, long *out)
{
    double x;
    switch (v->kind) {
    case V_NUM:
        x = v->u.num;
        if (!isfinite(x))
            return eval_error(e, at, ALC_ERR_VALUE, "%s must be a finite number", key);
        break;
    case V_BOOL:
        x = v->u.b;
        break;
    case V_STR: {
        char *end;
        const char *s = v->u.str->s;
        while (isspace((unsigned char)*s))
            s++;
        x = (double)strtoll(s, &end, 10);
        while (isspace((unsigned char)*end))
            end++;
        if (end == s || *end)
            return eval_error(e, at, ALC_ERR_VALUE, "%s must be an integer, got '%s'", key, v->u.str->s);
        break;
    }
    default:
        return eval_error(e, at, ALC_ERR_VALUE, "%s must be a number", key);
    }
    *out = (long)dsl_trunc_clamp(x);
    return ALC_OK;
}

static alc_status param_window(alc_engine *e, const alc_node *at, const vdict *d, const char *key,
                               long dflt, long *out)
{
    const value *v;
    value_dict_get(d, key, &v);
    if (!v) {
        *out = dflt;
        return ALC_OK;
    }
    return value_to_window(e, at, v, key, out);
}

alc_status eval_indicator(alc_engine *e, const alc_node *at, dsl_op op, const alc_sym *ticker,
                          const value *params, double *out)
{
    alc_indicator_args a = {.ind = indicator_of(op)};
    alc_status st;
    if (op == OP_RSI) {
        a.w1 = 14;
        if (params && params->kind == V_DICT && (st = param_window(e, at, params->u.dict, "window", 14, &a.w1)))
            return st;
    } else if (op != OP_CURRENT_PRICE) {
        if (!params)
            return eval_error(e, at, ALC_ERR_EVAL, "%s requires symbol and parameters", dsl_op_name(op));
        if (params->kind != V_DICT)
            return eval_error(e, at, ALC_ERR_EVAL, "%s parameters must be a map like {:window 10}",
                              dsl_op_name(op));
        const vdict *d = params->u.dict;
        if (op == OP_PPO || op == OP_PPO_SIGNAL) {
            if ((st = param_window(e, at, d, "short-window", 12, &a.w1)) ||
                (st = param_window(e, at, d, "long-window", 26, &a.w2)))
                return st;
            if (op == OP_PPO_SIGNAL && (st = param_window(e, at, d, "smooth-window", 9, &a.w3)))
                return st;
        } else if ((st = param_window(e, at, d, "window", dsl_default_window(op), &a.w1))) {
            return st;
        }
    }
    int series;
    if ((st = engine_series(e, at, ticker, &series)) != ALC_OK)
        return st;
    st = alc_indicator_value(e->cache, series, e->as_of, &a, out, e->err);
    return eval_locate(e, at, st);
}

static alc_status op_indicator(alc_engine *e, const alc_node *n, value *out)
{
    dsl_op op = (dsl_op)n->op;
    if (op == OP_MA || op == OP_VOLATILITY)
        return eval_error(e, n, ALC_ERR_EVAL, "'%s' is not supported by the engine (use %s)", dsl_op_name(op),
                          op == OP_MA ? "moving-average-price" : "stdev-return");
    if (n->n < 2)
        return eval_error(e, n, ALC_ERR_EVAL, "%s requires symbol and parameters", dsl_op_name(op));
    value t;
    alc_status st = eval_node(e, n->kids[1], &t);
    if (st)
        return st;
    if (t.kind != V_STR)
        return eval_error(e, n, ALC_ERR_EVAL, "%s: the first argument must be a ticker symbol", dsl_op_name(op));
    value params;
    const value *pp = NULL;
    if (op != OP_CURRENT_PRICE && n->n >= 3) {
        if ((st = eval_node(e, n->kids[2], &params)))
            return st;
        pp = &params;
    }
    double x;
    if ((st = eval_indicator(e, n, op, t.u.str, pp, &x)))
        return st;
    *out = value_from_num(x, NUM_FLOAT);
    return ALC_OK;
}

/* ---- structure and control ------------------------------------------------------------------ */

static alc_status op_defsymphony(alc_engine *e, const alc_node *n, value *out)
{
    if (n->n < 4)
        return eval_error(e, n, ALC_ERR_EVAL, "defsymphony needs a name, a header map and a body");
    return eval_node(e, n->kids[3], out);
}

static alc_status op_asset(alc_engine *e, const alc_node *n, value *out)
{
    if (n->n < 2)
        return eval_error(e, n, ALC_ERR_EVAL, "asset needs a ticker");
    alc_status st = eval_node(e, n->kids[1], out);
    if (st)
        return st;
    if (out->kind != V_STR)
        return eval_error(e, n, ALC_ERR_EVAL, "asset: the ticker must be a string");
    return ALC_OK;
}

/* Body evaluation shared by group and the historical group scoring. */
alc_status eval_group_body(alc_engine *e, const alc_node *group, value *out);
alc_status eval_group_body(alc_engine *e, const alc_node *group, value *out)
{
    *out = (value){.kind = V_NONE};
    for (int i = 2; i < group->n; i++) {
        alc_status st = eval_node(e, group->kids[i], out);
        if (st)
            return st;
    }
    *out = value_unwrap(*out);
    return ALC_OK;
}

static alc_status frag_from_dict(alc_engine *e, const alc_node *at, const vdict *d, frag **out)
{
    wmap m;
    wmap_init(&m);
    for (int i = 0; i < d->n; i++) {
        double w;
        const value *v;
        value_dict_get(d, d->keys[i]->s, &v);
        if (v != &d->vals[i])
            continue; /* an earlier duplicate key: the later one wins */
        if (v->kind == V_STR) {
            int r = parse_decimal_string(v->u.str->s, &w);
            if (r != 1)
                return eval_error(e, at, ALC_ERR_EVAL, "weight for '%s' is not a number: '%s'",
                                  d->keys[i]->s, v->u.str->s);
        } else if (v->kind == V_NUM) {
            w = v->u.num;
        } else {
            return eval_error(e, at, ALC_ERR_EVAL, "weight for '%s' is not a number", d->keys[i]->s);
        }
        alc_status st = wmap_set(e, &m, d->keys[i], w);
        if (st)
            return st;
    }
    *out = frag_from_wmap(e, &m);
    return *out ? ALC_OK : oom(e);
}

static alc_status op_group(alc_engine *e, const alc_node *n, value *out)
{
    if (n->n < 3)
        return eval_error(e, n, ALC_ERR_EVAL, "group needs a name and a body");
    value name_v;
    alc_status st = eval_node(e, n->kids[1], &name_v);
    if (st)
        return st;
    const alc_sym *name = value_str(e, &name_v);
    if (!name)
        return oom(e);
    value v;
    if ((st = eval_group_body(e, n, &v)))
        return st;
    frag *f;
    switch (v.kind) {
    case V_FRAG:
        f = alc_arena_alloc(&e->arena, sizeof *f);
        if (!f)
            return oom(e);
        *f = *v.u.frag; /* same fragment id and weights, new name */
        break;
    case V_STR:
        f = frag_single(e, v.u.str, 1.0);
        break;
    case V_DICT:
        if ((st = frag_from_dict(e, n, v.u.dict, &f)))
            return st;
        break;
    case V_NONE:
        f = frag_new(e, 0);
        break;
    default:
        *out = v; /* returned unchanged and unnamed */
        return ALC_OK;
    }
    if (!f)
        return oom(e);
    f->name = name;
    f->bare = 0;
    if ((st = register_group(e, f, name, n)))
        return st;
    out->kind = V_FRAG;
    out->u.frag = f;
    return ALC_OK;
}

static alc_status op_if(alc_engine *e, const alc_node *n, value *out)
{
    if (n->n < 3)
        return eval_error(e, n, ALC_ERR_EVAL, "if needs a condition and a then branch");
    value c;
    alc_status st = eval_node(e, n->kids[1], &c);
    if (st)
        return st;
    if (value_truthy(&c))
        return eval_node(e, n->kids[2], out);
    if (n->n >= 4)
        return eval_node(e, n->kids[3], out);
    return eval_error(e, n, ALC_ERR_EVAL, "if: the condition is false and there is no else branch");
}

static alc_status op_compare(alc_engine *e, const alc_node *n, value *out)
{
    dsl_op op = (dsl_op)n->op;
    if (n->n != 3)
        return eval_error(e, n, ALC_ERR_EVAL, "'%s' takes exactly 2 arguments, got %d", dsl_op_name(op), n->n - 1);
    value a, b;
    alc_status st;
    if ((st = eval_node(e, n->kids[1], &a)) || (st = eval_node(e, n->kids[2], &b)))
        return st;
    int r;
    if (op == OP_EQ) {
        int an = a.kind == V_NUM || a.kind == V_BOOL, bn = b.kind == V_NUM || b.kind == V_BOOL;
        if (an && bn) {
            if (a.kind == V_BOOL || b.kind == V_BOOL)
                return eval_error(e, n, ALC_ERR_EVAL, "'=' cannot compare a boolean (InvalidOperation)");
            r = a.u.num == b.u.num;
        } else if (a.kind == V_STR && b.kind == V_STR) {
            r = a.u.str == b.u.str;
        } else {
            r = 0;
        }
    } else {
        double x, y;
        if ((st = value_to_decimal(e, n, &a, &x)) || (st = value_to_decimal(e, n, &b, &y)))
            return st;
        switch (op) {
        case OP_GT: r = x > y; break;
        case OP_LT: r = x < y; break;
        case OP_GE: r = x >= y; break;
        default: r = x <= y; break;
        }
    }
    out->kind = V_BOOL;
    out->u.b = r;
    return ALC_OK;
}

static alc_status op_select(alc_engine *e, const alc_node *n, value *out)
{
    if (n->n < 2)
        return eval_error(e, n, ALC_ERR_EVAL, "%s needs a count", dsl_op_name((dsl_op)n->op));
    value v;
    alc_status st = eval_node(e, n->kids[1], &v);
    if (st)
        return st;
    double x;
    if (v.kind == V_NUM) {
        x = v.u.num;
    } else if ((st = value_to_decimal(e, n, &v, &x))) {
        return st;
    }
    if (!isfinite(x))
        return eval_error(e, n, ALC_ERR_EVAL, "%s: the count must be finite", dsl_op_name((dsl_op)n->op));
    *out = value_from_num(dsl_trunc_clamp(x), NUM_INT);
    return ALC_OK;
}

/* A map key's name: keywords lose their ':' (interned once per engine and
 * keyword, not at every evaluation of the map).  NULL when out of memory. */
static const alc_sym *map_key(alc_engine *e, const alc_sym *key)
{
    if (key->len == 0 || key->s[0] != ':')
        return key;
    if (key->id >= e->key_of_sym_cap) {
        int32_t cap = e->key_of_sym_cap ? e->key_of_sym_cap : 1024;
        while (cap <= key->id)
            cap *= 2;
        const alc_sym **t = realloc(e->key_of_sym, (size_t)cap * sizeof *t);
        if (!t)
            return NULL;
        for (int32_t i = e->key_of_sym_cap; i < cap; i++)
            t[i] = NULL;
        e->key_of_sym = t;
        e->key_of_sym_cap = cap;
    }
    if (!e->key_of_sym[key->id])
        e->key_of_sym[key->id] = alc_intern(key->s + 1, key->len - 1);
    return e->key_of_sym[key->id];
}

static alc_status eval_map(alc_engine *e, const alc_node *n, value *out)
{
    int pairs = n->n / 2;
    vdict *d = alc_arena_alloc(&e->arena, sizeof *d);
    if (!d)
        return oom(e);
    d->n = pairs;
    d->keys = alc_arena_alloc(&e->arena, (size_t)pairs * sizeof *d->keys);
    d->vals = alc_arena_alloc(&e->arena, (size_t)pairs * sizeof *d->vals);
    if (!d->keys || !d->vals)
        return oom(e);
    for (int i = 0; i < pairs; i++) {
        const alc_node *k = n->kids[2 * i];
        if (k->kind == NODE_LIST)
            return eval_error(e, k, ALC_ERR_EVAL, "map keys must be keywords, symbols or atoms");
        const alc_sym *key = map_key(e, k->sym);
        if (!key)
            return oom(e);
        d->keys[i] = key;
        value v;
        alc_status st = eval_node(e, n->kids[2 * i + 1], &v);
        if (st)
            return st;
        if (v.kind != V_STR && v.kind != V_NUM && v.kind != V_BOOL) {
            const alc_sym *s = value_str(e, &v);
            if (!s)
                return oom(e);
            v = value_from_str(s);
        }
        d->vals[i] = v;
    }
    out->kind = V_DICT;
    out->u.dict = d;
    return ALC_OK;
}

static alc_status eval_call(alc_engine *e, const alc_node *n, value *out)
{
    switch ((dsl_op)n->op) {
    case OP_DEFSYMPHONY: return op_defsymphony(e, n, out);
    case OP_GROUP: return op_group(e, n, out);
    case OP_ASSET: return op_asset(e, n, out);
    case OP_IF: return op_if(e, n, out);
    case OP_GT: case OP_LT: case OP_GE: case OP_LE: case OP_EQ: return op_compare(e, n, out);
    case OP_WEIGHT_EQUAL: return op_weight_equal(e, n, out);
    case OP_WEIGHT_SPECIFIED: return op_weight_specified(e, n, out);
    case OP_WEIGHT_INVERSE_VOLATILITY: return op_weight_inverse_volatility(e, n, out);
    case OP_FILTER: return op_filter(e, n, out);
    case OP_SELECT_TOP: case OP_SELECT_BOTTOM: return op_select(e, n, out);
    case OP_RSI: case OP_CURRENT_PRICE: case OP_MOVING_AVERAGE_PRICE: case OP_MOVING_AVERAGE_RETURN:
    case OP_CUMULATIVE_RETURN: case OP_EXPONENTIAL_MOVING_AVERAGE_PRICE: case OP_STDEV_RETURN:
    case OP_STDEV_PRICE: case OP_MAX_DRAWDOWN: case OP_PPO: case OP_PPO_SIGNAL: case OP_MA:
    case OP_VOLATILITY:
        return op_indicator(e, n, out);
    default:
        return eval_error(e, n, ALC_ERR_EVAL, "Unknown DSL function '%s'", n->kids[0]->sym->s);
    }
}

alc_status eval_node(alc_engine *e, const alc_node *n, value *out)
{
    switch ((node_kind)n->kind) {
    case NODE_STRING:
    case NODE_SYMBOL:
        *out = value_from_str(n->sym);
        return ALC_OK;
    case NODE_NUMBER:
        *out = value_from_num(n->num, NUM_DECIMAL);
        out->text = n->sym;
        return ALC_OK;
    case NODE_LIST:
        break;
    }
    if (n->n == 0) {
        vlist *l = alc_arena_calloc(&e->arena, 1, sizeof *l);
        if (!l)
            return oom(e);
        out->kind = V_LIST;
        out->u.list = l;
        return ALC_OK;
    }
    if (++e->depth > EVAL_MAX_DEPTH) {
        e->depth--;
        return eval_error(e, n, ALC_ERR_LIMIT, "evaluation nested deeper than %d levels", EVAL_MAX_DEPTH);
    }
    alc_status st;
    if (n->flags & NODE_FLAG_MAP) {
        st = eval_map(e, n, out);
    } else if (n->op != OP_NONE) {
        st = eval_call(e, n, out);
    } else {
        vlist *l = alc_arena_alloc(&e->arena, sizeof *l);
        value *items = l ? alc_arena_alloc(&e->arena, (size_t)n->n * sizeof *items) : NULL;
        st = items ? ALC_OK : oom(e);
        for (int i = 0; st == ALC_OK && i < n->n; i++)
            st = eval_node(e, n->kids[i], &items[i]);
        if (st == ALC_OK) {
            l->n = n->n;
            l->v = items;
            out->kind = V_LIST;
            out->u.list = l;
        }
    }
    e->depth--;
    return st;
}

/* ---- engine API ------------------------------------------------------------------------------- */

alc_status alc_engine_new(const alc_market *market, alc_engine **out, alc_error *err)
{
    *out = NULL;
    alc_engine *e = calloc(1, sizeof *e);
    if (!e)
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    e->market = market;
    e->cache = alc_indicator_cache_new(market);
    e->sym_window = alc_intern_cstr("window");
    if (!e->cache || !e->sym_window) {
        alc_indicator_cache_free(e->cache);
        free(e);
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    }
    alc_arena_init(&e->arena, 256 * 1024);
    alc_arena_init(&e->body_arena, 256 * 1024);
    *out = e;
    return ALC_OK;
}

void alc_engine_free(alc_engine *e)
{
    if (!e)
        return;
    alc_indicator_cache_free(e->cache);
    alc_arena_free(&e->arena);
    free(e->series_of_sym);
    free(e->key_of_sym);
    free(e->body_by_id);
    free(e->body_by_name);
    free(e->memo);
    free(e->returns);
    free(e->in_progress);
    free(e->bodies);
    alc_arena_free(&e->body_arena);
    free(e);
}

void alc_allocation_free(alc_allocation *a)
{
    if (!a)
        return;
    for (int i = 0; i < a->n; i++)
        free(a->w[i].ticker);
    free(a->w);
    a->w = NULL;
    a->n = 0;
}

static int cmp_weight(const void *x, const void *y)
{
    return strcmp(((const alc_weight *)x)->ticker, ((const alc_weight *)y)->ticker);
}

/* Python's str.strip().upper() for the ASCII tickers the market can hold;
 * other characters are kept as they are. */
static char *ticker_upper(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    char *t = malloc(len + 1);
    if (!t)
        return NULL;
    for (size_t i = 0; i < len; i++)
        t[i] = (char)toupper((unsigned char)s[i]);
    t[len] = '\0';
    return t;
}

/* SPEC 4: root value -> validated StrategyAllocation. */
static alc_status finish_allocation(alc_engine *e, const value *root, alc_allocation *out)
{
    const alc_node *at = e->prog->root;
    frag *f = NULL;
    alc_status st;
    switch (root->kind) {
    case V_FRAG:
        if (root->u.frag->n == 0)
            return eval_error(e, at, ALC_ERR_EVAL,
                              "the strategy produced an empty PortfolioFragment (nothing selected)");
        f = frag_normalised(e, root->u.frag);
        break;
    case V_DICT:
        if (root->u.dict->n == 0)
            return eval_error(e, at, ALC_ERR_EVAL, "the strategy produced an empty allocation map");
        if ((st = frag_from_dict(e, at, root->u.dict, &f)))
            return st;
        break;
    case V_STR:
        f = frag_single(e, root->u.str, 1.0);
        break;
    default:
        return eval_error(e, at, ALC_ERR_EVAL,
                          "invalid type for a strategy result: expected a portfolio, a ticker or a map");
    }
    if (!f)
        return oom(e);
    out->n = 0;
    out->w = calloc((size_t)(f->n ? f->n : 1), sizeof *out->w);
    if (!out->w)
        return oom(e);
    double sum = 0;
    for (int i = 0; i < f->n; i++) {
        char *t = ticker_upper(f->tk[i]->s);
        if (!t) {
            alc_allocation_free(out);
            return oom(e);
        }
        out->w[out->n].ticker = t;
        out->w[out->n].weight = f->w[i];
        out->n++;
        sum += f->w[i];
    }
    qsort(out->w, (size_t)out->n, sizeof *out->w, cmp_weight);
    st = ALC_OK;
    for (int i = 0; i < out->n && st == ALC_OK; i++) {
        const alc_weight *w = &out->w[i];
        if (i > 0 && strcmp(w->ticker, out->w[i - 1].ticker) == 0)
            st = eval_error(e, at, ALC_ERR_EVAL, "Duplicate symbol %s in the allocation (tickers differ only in case)",
                            w->ticker);
        else if (!(w->weight >= 0) || w->weight > 1.0 + 1e-12)
            st = eval_error(e, at, ALC_ERR_EVAL, "weight of %s is %.17g; weights must lie in [0, 1]",
                            w->ticker, w->weight);
    }
    if (st == ALC_OK && !(sum >= 0.99 - 1e-12 && sum <= 1.01 + 1e-12))
        st = eval_error(e, at, ALC_ERR_EVAL, "allocation weights sum to %.17g; they must lie in [0.99, 1.01]", sum);
    if (st != ALC_OK)
        alc_allocation_free(out);
    return st;
}

/* Beyond this the body value cache starts afresh (a long backtest of a large
 * strategy would otherwise keep every body's holdings of every day). */
#define BODY_CACHE_MAX_BYTES ((size_t)64 << 20)

static alc_status eval_once(alc_engine *e, const alc_program *p, alc_day as_of,
                            alc_allocation *out, alc_error *err);

alc_status alc_engine_eval(alc_engine *e, const alc_program *p, alc_day as_of,
                           alc_allocation *out, alc_error *err)
{
    if (e->body_prog != p->serial || e->body_arena.total > BODY_CACHE_MAX_BYTES) {
        body_cache_clear(e);
        if (e->body_prog != p->serial)
            e->body_cache_off = 0;
        e->body_prog = p->serial;
    }
    const long hits_before = e->body_hits;
    alc_status st = eval_once(e, p, as_of, out, err);
    if (e->by_name_used && !e->body_cache_off) {
        /* values cached in this evaluation may come from bodies that looked
         * up by name, and its cache hits skipped registrations that the
         * lookup could see: evaluate again without the cache */
        e->body_cache_off = 1;
        body_cache_clear(e);
        if (e->body_hits > hits_before) {
            if (st == ALC_OK)
                alc_allocation_free(out);
            st = eval_once(e, p, as_of, out, err);
        }
    }
    return st;
}

void alc_engine_get_stats(const alc_engine *e, alc_engine_stats *out)
{
    out->body_hits = e->body_hits;
    out->body_values = (long)e->bodies_count;
}

static alc_status eval_once(alc_engine *e, const alc_program *p, alc_day as_of,
                            alc_allocation *out, alc_error *err)
{
    e->by_name_used = 0;
    out->n = 0;
    out->w = NULL;
    alc_error_clear(err);
    e->err = err;
    e->prog = p;
    e->as_of = as_of;
    e->depth = 0;
    e->next_frag_id = 0;
    e->n_in_progress = 0;
    e->gen++;
    if (e->gen == 0) { /* wrapped: clear the tables explicitly */
        if (e->body_by_name)
            memset(e->body_by_name, 0, (size_t)e->body_by_name_cap * sizeof *e->body_by_name);
        if (e->memo)
            memset(e->memo, 0, e->memo_cap * sizeof *e->memo);
        if (e->returns)
            memset(e->returns, 0, e->returns_cap * sizeof *e->returns);
        e->gen = 1;
    }
    e->memo_count = 0;
    e->returns_count = 0;
    if (e->body_by_id_used)
        memset(e->body_by_id, 0, (size_t)e->body_by_id_used * sizeof *e->body_by_id);
    e->body_by_id_used = 0;
    alc_arena_reset(&e->arena);
    alc_indicator_cache_set_horizon(e->cache, as_of);
    value root;
    alc_status st = eval_node(e, p->root, &root);
    if (st == ALC_OK)
        st = finish_allocation(e, &root, out);
    e->err = NULL;
    return st;
}
