/* Weighting operators: weight-equal, weight-specified and
 * weight-inverse-volatility (SPEC 5.6-5.8), quirks included. */
#include <stdio.h>
#include <string.h>

#include "dsl/eval_internal.h"

/* ---- weight-equal ------------------------------------------------------- */

typedef struct frag_list {
    int n, cap;
    const frag **f;
} frag_list;

static alc_status frag_list_push(alc_engine *e, frag_list *l, const frag *f)
{
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 8;
        const frag **nf = alc_arena_alloc(&e->arena, (size_t)cap * sizeof *nf);
        if (!nf)
            return oom(e);
        if (l->n)
            memcpy(nf, l->f, (size_t)l->n * sizeof *nf);
        l->f = nf;
        l->cap = cap;
    }
    l->f[l->n++] = f;
    return ALC_OK;
}

/* One weight-equal argument's value -> children (SPEC 5.6). */
static alc_status equal_children(alc_engine *e, const value *v, int in_list, frag_list *out)
{
    switch (v->kind) {
    case V_FRAG: {
        const frag *f = frag_normalised(e, v->u.frag);
        return f ? frag_list_push(e, out, f) : oom(e);
    }
    case V_STR: {
        const frag *f = frag_single(e, v->u.str, 1.0);
        return f ? frag_list_push(e, out, f) : oom(e);
    }
    case V_LIST:
        for (int i = 0; i < v->u.list->n; i++) {
            alc_status st = equal_children(e, &v->u.list->v[i], 1, out);
            if (st)
                return st;
        }
        return ALC_OK;
    default:
        (void)in_list; /* numbers, bools, dicts, None: no children */
        return ALC_OK;
    }
}

alc_status op_weight_equal(alc_engine *e, const alc_node *n, value *out)
{
    if (n->n < 2)
        return eval_error(e, n, ALC_ERR_EVAL, "weight-equal needs at least one argument");
    frag_list kids = {0};
    for (int i = 1; i < n->n; i++) {
        value v;
        alc_status st = eval_node(e, n->kids[i], &v);
        if (st || (st = equal_children(e, &v, 0, &kids)))
            return st;
    }
    int count = 0;
    for (int i = 0; i < kids.n; i++)
        count += kids.f[i]->n > 0;
    if (count == 0)
        return eval_error(e, n, ALC_ERR_EVAL,
                          "DSL weight-equal received no assets after evaluation. Strategies must always "
                          "produce a non-empty allocation.");
    double share = 1.0 / (double)count;
    wmap m;
    wmap_init(&m);
    for (int i = 0; i < kids.n; i++) {
        const frag *c = kids.f[i];
        if (c->n == 0)
            continue;
        double s = frag_sum(c);
        if (s > 0)
            c = frag_normalised(e, c);
        if (!c)
            return oom(e);
        for (int k = 0; k < c->n; k++) {
            alc_status st = wmap_add(e, &m, c->tk[k], c->w[k] * share);
            if (st)
                return st;
        }
    }
    return value_from_wmap(e, &m, out);
}

/* ---- weight-specified ---------------------------------------------------- */

/* A list normalised as "items" (SPEC 5.7): each item 1/k of the whole. */
static alc_status specified_list(alc_engine *e, const vlist *l, wmap *out)
{
    const frag **items = alc_arena_alloc(&e->arena, (size_t)(l->n ? l->n : 1) * sizeof *items);
    if (!items)
        return oom(e);
    int k = 0;
    for (int i = 0; i < l->n; i++) {
        value v = value_unwrap(l->v[i]);
        const frag *item = NULL;
        if (v.kind == V_FRAG) {
            item = frag_normalised(e, v.u.frag);
        } else if (v.kind == V_STR) {
            item = frag_single(e, v.u.str, 1.0);
        } else if (v.kind == V_LIST) {
            wmap sub;
            wmap_init(&sub);
            alc_status st = specified_list(e, v.u.list, &sub);
            if (st)
                return st;
            item = frag_from_wmap(e, &sub);
        } else {
            continue;
        }
        if (!item)
            return oom(e);
        if (item->n > 0)
            items[k++] = item;
    }
    for (int i = 0; i < k; i++)
        for (int j = 0; j < items[i]->n; j++) {
            alc_status st = wmap_add(e, out, items[i]->tk[j], items[i]->w[j] / (double)k);
            if (st)
                return st;
        }
    return ALC_OK;
}

alc_status op_weight_specified(alc_engine *e, const alc_node *n, value *out)
{
    int args = n->n - 1;
    if (args < 2 || args % 2 != 0)
        return eval_error(e, n, ALC_ERR_EVAL,
                          "weight-specified needs weight/asset pairs (an even number of arguments), got %d", args);
    wmap m;
    wmap_init(&m);
    for (int i = 1; i + 1 < n->n; i += 2) {
        value wv, av;
        double w;
        alc_status st;
        if ((st = eval_node(e, n->kids[i], &wv)) || (st = value_to_decimal(e, n->kids[i], &wv, &w)) ||
            (st = eval_node(e, n->kids[i + 1], &av)))
            return st;
        wmap part;
        wmap_init(&part);
        if (av.kind == V_STR) {
            if ((st = wmap_add(e, &part, av.u.str, 1.0)))
                return st;
        } else if (av.kind == V_FRAG) {
            const frag *f = frag_normalised(e, av.u.frag);
            if (!f)
                return oom(e);
            for (int k = 0; k < f->n; k++)
                if ((st = wmap_add(e, &part, f->tk[k], f->w[k])))
                    return st;
        } else if (av.kind == V_LIST) {
            if ((st = specified_list(e, av.u.list, &part)))
                return st;
        }
        if (part.n == 0)
            return eval_error(e, n->kids[i + 1], ALC_ERR_EVAL,
                              "weight-specified: Expected asset symbol or fragment, but the branch "
                              "evaluated to nothing");
        for (int k = 0; k < part.n; k++)
            if ((st = wmap_add(e, &m, part.tk[k], w * part.w[k])))
                return st;
    }
    return value_from_wmap(e, &m, out);
}

/* ---- weight-inverse-volatility ---------------------------------------------- */

/* stdev-return of one ticker for inverse volatility: 1 valid, 0 skipped
 * (ValueError-like failure or vol <= 0); other errors propagate. */
static alc_status ticker_vol(alc_engine *e, const alc_node *at, const alc_sym *t, long window,
                             int *valid, double *vol)
{
    *valid = 0;
    vdict d;
    const alc_sym *key = e->sym_window;
    value wv = value_from_num((double)window, NUM_INT);
    d.n = 1;
    d.keys = &key;
    d.vals = &wv;
    value params = {.kind = V_DICT};
    params.u.dict = &d;
    alc_status st = eval_indicator(e, at, OP_STDEV_RETURN, t, &params, vol);
    if (st == ALC_ERR_VALUE) {
        alc_error_clear(e->err);
        return ALC_OK;
    }
    if (st)
        return st;
    *valid = *vol > 0;
    return ALC_OK;
}

static alc_status collect_tickers(alc_engine *e, const value *v, wmap *occ, int *count)
{
    switch (v->kind) {
    case V_STR:
        (*count)++;
        /* occurrences are kept in order, duplicates included, via distinct slots */
        if (occ->n == occ->cap) {
            int cap = occ->cap ? occ->cap * 2 : 8;
            const alc_sym **tk = alc_arena_alloc(&e->arena, (size_t)cap * sizeof *tk);
            double *w = alc_arena_alloc(&e->arena, (size_t)cap * sizeof *w);
            if (!tk || !w)
                return oom(e);
            if (occ->n) {
                memcpy(tk, occ->tk, (size_t)occ->n * sizeof *tk);
                memcpy(w, occ->w, (size_t)occ->n * sizeof *w);
            }
            occ->tk = tk;
            occ->w = w;
            occ->cap = cap;
        }
        occ->tk[occ->n] = v->u.str;
        occ->w[occ->n] = 0;
        occ->n++;
        return ALC_OK;
    case V_FRAG:
        for (int i = 0; i < v->u.frag->n; i++) {
            value t = value_from_str(v->u.frag->tk[i]);
            alc_status st = collect_tickers(e, &t, occ, count);
            if (st)
                return st;
        }
        return ALC_OK;
    case V_LIST:
        for (int i = 0; i < v->u.list->n; i++) {
            alc_status st = collect_tickers(e, &v->u.list->v[i], occ, count);
            if (st)
                return st;
        }
        return ALC_OK;
    default:
        return ALC_OK;
    }
}

static void ticker_list_text(const wmap *occ, char *buf, size_t size)
{
    size_t pos = 0;
    buf[0] = '\0';
    pos += (size_t)snprintf(buf + pos, size - pos, "[");
    for (int i = 0; i < occ->n && pos < size; i++)
        pos += (size_t)snprintf(buf + pos, size - pos, "%s'%s'", i ? ", " : "", occ->tk[i]->s);
    if (pos < size)
        snprintf(buf + pos, size - pos, "]");
}

alc_status op_weight_inverse_volatility(alc_engine *e, const alc_node *n, value *out)
{
    if (n->n < 3)
        return eval_error(e, n, ALC_ERR_EVAL, "weight-inverse-volatility needs a window and assets");
    value wv;
    alc_status st = eval_node(e, n->kids[1], &wv);
    if (st)
        return st;
    /* float(WINDOW): numbers; anything else is 0 (SPEC 5.8) */
    double wf = wv.kind == V_NUM ? wv.u.num : wv.kind == V_BOOL ? wv.u.b : 0.0;
    long window = wf == wf ? (long)dsl_trunc_clamp(wf) : 0;

    int nkids = n->n - 2;
    value *vals = alc_arena_alloc(&e->arena, (size_t)nkids * sizeof *vals);
    if (!vals)
        return oom(e);
    for (int i = 0; i < nkids; i++) {
        if ((st = eval_node(e, n->kids[i + 2], &vals[i])))
            return st;
        vals[i] = value_unwrap(vals[i]);
    }
    /* grouped mode: every value a fragment or a list of fragments */
    int grouped = 1, nfrags = 0;
    for (int i = 0; i < nkids && grouped; i++) {
        if (vals[i].kind == V_FRAG) {
            nfrags++;
        } else if (vals[i].kind == V_LIST) {
            for (int k = 0; k < vals[i].u.list->n; k++) {
                value u = value_unwrap(vals[i].u.list->v[k]);
                if (u.kind != V_FRAG) {
                    grouped = 0;
                    break;
                }
                nfrags++;
            }
        } else {
            grouped = 0;
        }
    }
    grouped = grouped && nfrags > 0;
    wmap m;
    wmap_init(&m);
    if (grouped) {
        const frag **fr = alc_arena_alloc(&e->arena, (size_t)nfrags * sizeof *fr);
        double *inv = alc_arena_alloc(&e->arena, (size_t)nfrags * sizeof *inv);
        if (!fr || !inv)
            return oom(e);
        int k = 0;
        for (int i = 0; i < nkids; i++) {
            if (vals[i].kind == V_FRAG)
                fr[k++] = vals[i].u.frag;
            else
                for (int j = 0; j < vals[i].u.list->n; j++)
                    fr[k++] = value_unwrap(vals[i].u.list->v[j]).u.frag;
        }
        long double total = 0;
        int nvalid = 0;
        for (int g = 0; g < nfrags; g++) {
            long double num = 0, den = 0;
            int any = 0;
            for (int j = 0; j < fr[g]->n; j++) {
                int valid;
                double v;
                if ((st = ticker_vol(e, n, fr[g]->tk[j], window, &valid, &v)))
                    return st;
                if (!valid)
                    continue;
                num += (long double)fr[g]->w[j] * v;
                den += fr[g]->w[j];
                any = 1;
            }
            inv[g] = 0;
            if (any && den != 0 && num != 0) {
                inv[g] = (double)(1.0L / (num / den));
                total += inv[g];
                nvalid++;
            }
        }
        if (nvalid == 0)
            return eval_error(e, n, ALC_ERR_EVAL,
                              "DSL weight-inverse-volatility could not compute valid weights for any group. "
                              "All volatility calculations failed.");
        for (int g = 0; g < nfrags; g++) {
            if (inv[g] == 0)
                continue;
            double share = (double)(inv[g] / total);
            for (int j = 0; j < fr[g]->n; j++)
                if ((st = wmap_add(e, &m, fr[g]->tk[j], share * fr[g]->w[j])))
                    return st;
        }
    } else {
        /* flat mode: the reference evaluates the children a second time;
         * only a filter below can make the second pass differ (its group
         * memo is warm then), so repeat it only where one exists */
        for (int i = 0; i < nkids; i++) {
            if (!(n->kids[i + 2]->flags & NODE_FLAG_HAS_FILTER))
                continue;
            if ((st = eval_node(e, n->kids[i + 2], &vals[i])))
                return st;
        }
        wmap occ;
        wmap_init(&occ);
        int count = 0;
        for (int i = 0; i < nkids; i++)
            if ((st = collect_tickers(e, &vals[i], &occ, &count)))
                return st;
        if (occ.n == 0)
            return eval_error(e, n, ALC_ERR_EVAL, "DSL weight-inverse-volatility received no assets");
        long double total = 0;
        int nvalid = 0;
        for (int i = 0; i < occ.n; i++) {
            int valid;
            double v;
            if ((st = ticker_vol(e, n, occ.tk[i], window, &valid, &v)))
                return st;
            occ.w[i] = valid ? (double)(1.0L / v) : 0;
            if (valid) {
                total += occ.w[i];
                nvalid++;
            }
        }
        if (nvalid == 0) {
            char list[512];
            ticker_list_text(&occ, list, sizeof list);
            return eval_error(e, n, ALC_ERR_EVAL,
                              "DSL weight-inverse-volatility could not compute valid weights for assets: %s. "
                              "All volatility calculations failed.", list);
        }
        for (int i = 0; i < occ.n; i++)
            if (occ.w[i] > 0 && (st = wmap_set(e, &m, occ.tk[i], (double)(occ.w[i] / total))))
                return st;
    }
    return value_from_wmap(e, &m, out);
}
