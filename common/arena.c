/* Grow-only arena: blocks are chained and freed together, so an answer built
 * from hundreds of small strings costs a handful of mallocs and one free. */
#include "crosswalk/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CW_ARENA_BLOCK 16384

struct block {
    struct block *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
};

struct defer {
    void (*fn)(void *);
    void *arg;
    struct defer *next;
};

struct cw_arena {
    struct block *head;
    size_t total;
    struct defer *defers; /* allocated in the arena itself */
};

static void run_defers(cw_arena *a)
{
    struct defer *d = a->defers;
    a->defers = NULL;
    for (; d; d = d->next)
        d->fn(d->arg);
}

int cw_arena_defer(cw_arena *a, void (*fn)(void *), void *arg)
{
    struct defer *d = cw_arena_alloc(a, sizeof *d);
    if (!d) {
        fn(arg);
        return -2;
    }
    d->fn = fn;
    d->arg = arg;
    d->next = a->defers;
    a->defers = d;
    return 0;
}

cw_arena *cw_arena_new(void)
{
    return calloc(1, sizeof(cw_arena));
}

void cw_arena_free(cw_arena *a)
{
    if (!a)
        return;
    run_defers(a);
    for (struct block *b = a->head, *n; b; b = n) {
        n = b->next;
        free(b);
    }
    free(a);
}

void cw_arena_reset(cw_arena *a)
{
    if (!a || !a->head)
        return;
    run_defers(a);
    struct block *keep = a->head;
    while (keep->next)
        keep = keep->next;
    for (struct block *b = a->head, *n; b != keep; b = n) {
        n = b->next;
        free(b);
    }
    keep->used = 0;
    a->head = keep;
    a->total = 0;
}

void *cw_arena_alloc(cw_arena *a, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if (size == 0)
        size = 16;
    struct block *b = a->head;
    if (!b || b->size - b->used < size) {
        size_t bs = size > CW_ARENA_BLOCK / 2 ? size : CW_ARENA_BLOCK;
        if (bs > SIZE_MAX - sizeof *b)
            return NULL;
        b = malloc(sizeof *b + bs);
        if (!b)
            return NULL;
        b->size = bs;
        b->used = 0;
        /* A big one-off block goes behind the current one so the current
         * block's free space is not abandoned. */
        if (a->head && bs != CW_ARENA_BLOCK) {
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = a->head;
            a->head = b;
        }
    }
    void *p = b->data + b->used;
    b->used += size;
    a->total += size;
    memset(p, 0, size);
    return p;
}

char *cw_arena_strndup(cw_arena *a, const char *s, size_t n)
{
    char *p = cw_arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *cw_arena_strdup(cw_arena *a, const char *s)
{
    return s ? cw_arena_strndup(a, s, strlen(s)) : NULL;
}

void *cw_arena_grow(cw_arena *a, void *old, size_t elem, size_t *cap, size_t need)
{
    if (need <= *cap)
        return old;
    size_t nc = *cap ? *cap * 2 : 8;
    while (nc < need)
        nc *= 2;
    if (elem && nc > SIZE_MAX / elem)
        return NULL;
    void *p = cw_arena_alloc(a, nc * elem);
    if (!p)
        return NULL;
    if (old && *cap)
        memcpy(p, old, *cap * elem);
    *cap = nc;
    return p;
}

size_t cw_arena_used(const cw_arena *a)
{
    return a->total;
}
