/* Static checks of a parsed program, without evaluating it: unknown
 * operators, arities, and tickers absent from a market. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "alchemiser/engine.h"
#include "dsl/ast.h"

typedef struct checker {
    const alc_program *prog;
    const alc_market *market;
    alc_error *err;
} checker;

static alc_status problem(checker *c, const alc_node *n, const char *fmt, const char *a, long x)
{
    char msg[600];
    snprintf(msg, sizeof msg, fmt, a, x);
    return alc_fail_at(c->err, ALC_ERR_CHECK, c->prog->path, n->line, n->col, "%s", msg);
}

static alc_status check_ticker(checker *c, const alc_node *n)
{
    if (!c->market || n->kind != NODE_STRING)
        return ALC_OK;
    char up[64];
    if (n->sym->len >= sizeof up)
        return problem(c, n, "ticker '%s' is longer than %ld characters", n->sym->s, 10);
    for (uint32_t i = 0; i <= n->sym->len; i++)
        up[i] = (char)toupper((unsigned char)n->sym->s[i]);
    if (alc_market_find(c->market, up) < 0)
        return problem(c, n, "ticker %s is not in the market%.0ld", up, 0);
    return ALC_OK;
}

static int is_indicator(dsl_op op)
{
    return op >= OP_RSI && op <= OP_VOLATILITY;
}

/* `in_condition`: the node is a filter's condition, whose indicator has the
 * ticker injected and takes only parameters. */
static alc_status check_node(checker *c, const alc_node *n, int in_condition)
{
    if (n->kind != NODE_LIST)
        return ALC_OK;
    dsl_op op = (dsl_op)n->op;
    long args = n->n - 1;
    const char *name = op != OP_NONE && n->n > 0 ? n->kids[0]->sym->s : "";
    alc_status st;
    switch (op) {
    case OP_NONE:
        break;
    case OP_UNKNOWN:
        return problem(c, n, "Unknown DSL function '%s'%.0ld", name, 0);
    case OP_DEFSYMPHONY:
        if (args < 3)
            return problem(c, n, "%s needs a name, a header map and a body (3 arguments), got %ld", name, args);
        /* only the body is evaluated */
        return check_node(c, n->kids[3], 0);
    case OP_GROUP:
        if (args < 2)
            return problem(c, n, "%s needs a name and a body, got %ld arguments", name, args);
        break;
    case OP_ASSET:
        if (args < 1)
            return problem(c, n, "%s needs a ticker%.0ld", name, 0);
        if ((st = check_ticker(c, n->kids[1])))
            return st;
        return ALC_OK; /* further arguments are never evaluated */
    case OP_IF:
        if (args < 2)
            return problem(c, n, "%s needs a condition and a then branch, got %ld arguments", name, args);
        break;
    case OP_GT: case OP_LT: case OP_GE: case OP_LE: case OP_EQ:
        if (args != 2)
            return problem(c, n, "'%s' takes exactly 2 arguments, got %ld", name, args);
        break;
    case OP_WEIGHT_EQUAL:
        if (args < 1)
            return problem(c, n, "%s needs at least one argument%.0ld", name, 0);
        break;
    case OP_WEIGHT_SPECIFIED:
        if (args < 2 || args % 2)
            return problem(c, n, "%s needs weight/asset pairs, got %ld arguments", name, args);
        break;
    case OP_WEIGHT_INVERSE_VOLATILITY:
        if (args < 2)
            return problem(c, n, "%s needs a window and assets, got %ld arguments", name, args);
        break;
    case OP_FILTER:
        if (args != 2 && args != 3)
            return problem(c, n, "%s takes a condition, an optional selector and candidates, got %ld arguments",
                           name, args);
        if ((st = check_node(c, n->kids[1], 1)))
            return st;
        for (int i = 2; i < n->n; i++)
            if ((st = check_node(c, n->kids[i], 0)))
                return st;
        return ALC_OK;
    case OP_SELECT_TOP: case OP_SELECT_BOTTOM:
        if (args < 1)
            return problem(c, n, "%s needs a count%.0ld", name, 0);
        break;
    case OP_MA: case OP_VOLATILITY:
        return problem(c, n, "'%s' always fails in the reference engine; use moving-average-price or stdev-return%.0ld",
                       name, 0);
    default:
        if (is_indicator(op) && !in_condition) {
            if (args < 1)
                return problem(c, n, "%s needs a ticker%.0ld", name, 0);
            if (op != OP_RSI && op != OP_CURRENT_PRICE && args < 2)
                return problem(c, n, "%s requires symbol and parameters, e.g. {:window 10}%.0ld", name, 0);
            if ((st = check_ticker(c, n->kids[1])))
                return st;
        }
        break;
    }
    for (int i = op == OP_NONE ? 0 : 1; i < n->n; i++)
        if ((st = check_node(c, n->kids[i], 0)))
            return st;
    return ALC_OK;
}

alc_status alc_program_check(const alc_program *p, const alc_market *market, alc_error *err)
{
    checker c = {p, market, err};
    return check_node(&c, p->root, 0);
}
