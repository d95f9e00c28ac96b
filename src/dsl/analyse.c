/* Static analysis after parsing: which group bodies the evaluator may cache
 * across top-level evaluations (filter.c, "body values across evaluations").
 *
 * SPEC 7.6 makes a group body's value depend on more than the market: the
 * group memo is keyed by *name* and shared by every filter, the recursion
 * guard is by name, and a failed day is skipped only the first time.  A body
 * is context-free when either
 *  - no filter over groups lies below it (no group scoring at all), or
 *  - every group call below it has a literal name that no other group call
 *    of the program uses: then the memo entries and guard checks its
 *    evaluation makes concern only groups of its own subtree, whose values
 *    are themselves context-free.
 * The dynamic hazards left (a failed day inside nested scoring, after which
 * later memo hits differ from fresh evaluations; lookups by name for bare
 * non-ticker strings) are handled at run time by filter.c and
 * alc_engine_eval.
 *
 * Works on the parser's post-order list of group calls, not the whole tree,
 * so it costs O(group calls) on top of parsing. */
#include <stdint.h>
#include <stdlib.h>

#include "dsl/ast.h"

static int literal_name(const alc_node *group)
{
    return group->n >= 2 && group->kids[1]->kind == NODE_STRING;
}

/* Open-addressing set of name ids, counting occurrences (saturating at 2). */
typedef struct name_count {
    int32_t id; /* -1: empty */
    int32_t count;
} name_count;

static name_count *name_slot(name_count *t, size_t cap, int32_t id)
{
    size_t i = ((uint32_t)id * 2654435761u) & (cap - 1);
    while (t[i].id >= 0 && t[i].id != id)
        i = (i + 1) & (cap - 1);
    return &t[i];
}

alc_status dsl_mark_cacheable_bodies(const dsl_group_list *g, alc_error *err)
{
    if (g->n == 0)
        return ALC_OK;
    size_t cap = 16;
    while (cap < g->n * 2)
        cap *= 2;
    name_count *names = malloc(cap * sizeof *names);
    /* shared_before[i]: group calls among node[0 .. i-1] whose name is
     * computed or not unique */
    size_t *shared_before = malloc((g->n + 1) * sizeof *shared_before);
    if (!names || !shared_before) {
        free(names);
        free(shared_before);
        return alc_fail(err, ALC_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < cap; i++)
        names[i] = (name_count){.id = -1, .count = 0};
    for (size_t i = 0; i < g->n; i++)
        if (literal_name(g->node[i])) {
            name_count *c = name_slot(names, cap, g->node[i]->kids[1]->sym->id);
            c->id = g->node[i]->kids[1]->sym->id;
            if (c->count < 2)
                c->count++;
        }
    shared_before[0] = 0;
    for (size_t i = 0; i < g->n; i++) {
        const alc_node *n = g->node[i];
        int shared = !literal_name(n) || name_slot(names, cap, n->kids[1]->sym->id)->count > 1;
        shared_before[i + 1] = shared_before[i] + (size_t)shared;
    }
    for (size_t i = 0; i < g->n; i++) {
        alc_node *n = g->node[i];
        uint8_t body = 0;
        for (int32_t k = 2; k < n->n; k++)
            body |= n->kids[k]->flags;
        /* the groups inside n (its name expression included, conservatively) */
        int inner_shared = shared_before[i] - shared_before[g->first[i]] > 0;
        if (!(body & NODE_FLAG_GROUP_SCORING) || !inner_shared)
            n->flags |= NODE_FLAG_CACHEABLE_BODY;
    }
    free(names);
    free(shared_before);
    return ALC_OK;
}
