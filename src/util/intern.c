#include "alchemiser/intern.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Entries live in fixed-size chunks that never move, so a pointer handed
 * out stays valid while the hash index is rebuilt. */
#define CHUNK_ENTRIES 4096

typedef struct chunk {
    struct chunk *next;
    int used;
    alc_sym entries[CHUNK_ENTRIES];
} chunk;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static chunk *chunks;
static const alc_sym **index_slots; /* open addressing, power of two */
static size_t index_cap;
static int32_t count;

uint32_t alc_str_hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

static int grow_index(void)
{
    size_t cap = index_cap ? index_cap * 2 : 1024;
    const alc_sym **slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < index_cap; i++) {
        const alc_sym *e = index_slots[i];
        if (!e)
            continue;
        size_t j = e->hash & (cap - 1);
        while (slots[j])
            j = (j + 1) & (cap - 1);
        slots[j] = e;
    }
    free(index_slots);
    index_slots = slots;
    index_cap = cap;
    return 0;
}

const alc_sym *alc_intern(const char *s, size_t len)
{
    uint32_t h = alc_str_hash(s, len);
    pthread_mutex_lock(&lock);
    const alc_sym *found = NULL;
    if ((size_t)(count + 1) * 2 > index_cap && grow_index() != 0)
        goto out;
    size_t j = h & (index_cap - 1);
    while (index_slots[j]) {
        const alc_sym *e = index_slots[j];
        if (e->hash == h && e->len == len && memcmp(e->s, s, len) == 0) {
            found = e;
            goto out;
        }
        j = (j + 1) & (index_cap - 1);
    }
    if (!chunks || chunks->used == CHUNK_ENTRIES) {
        chunk *c = malloc(sizeof *c);
        if (!c)
            goto out;
        c->next = chunks;
        c->used = 0;
        chunks = c;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        goto out;
    memcpy(copy, s, len);
    copy[len] = '\0';
    alc_sym *e = &chunks->entries[chunks->used++];
    e->s = copy;
    e->len = (uint32_t)len;
    e->hash = h;
    e->id = count++;
    index_slots[j] = e;
    found = e;
out:
    pthread_mutex_unlock(&lock);
    return found;
}

const alc_sym *alc_intern_cstr(const char *s)
{
    return alc_intern(s, strlen(s));
}

int32_t alc_intern_count(void)
{
    pthread_mutex_lock(&lock);
    int32_t n = count;
    pthread_mutex_unlock(&lock);
    return n;
}

void alc_intern_shutdown(void)
{
    pthread_mutex_lock(&lock);
    while (chunks) {
        chunk *next = chunks->next;
        for (int i = 0; i < chunks->used; i++)
            free((char *)chunks->entries[i].s);
        free(chunks);
        chunks = next;
    }
    free(index_slots);
    index_slots = NULL;
    index_cap = 0;
    count = 0;
    pthread_mutex_unlock(&lock);
}
