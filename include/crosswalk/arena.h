/* A grow-only memory arena.
 *
 * Every engine function that returns structured data (lists, query answers)
 * allocates it in an arena the caller passes in: the caller owns the arena,
 * everything in an answer lives until cw_arena_free, and there is no
 * per-field free to forget.  Not thread-safe: one arena per answer. */
#ifndef CROSSWALK_ARENA_H
#define CROSSWALK_ARENA_H

#include <stddef.h>

typedef struct cw_arena cw_arena;

/* Returns a new empty arena, or NULL when out of memory.  Free with
 * cw_arena_free. */
cw_arena *cw_arena_new(void);

/* Releases the arena and everything allocated in it.  NULL is allowed. */
void cw_arena_free(cw_arena *a);

/* Releases everything allocated so far but keeps the first block for reuse. */
void cw_arena_reset(cw_arena *a);

/* size bytes, 16-aligned and zeroed; NULL when out of memory. */
void *cw_arena_alloc(cw_arena *a, size_t size);

/* Copies n bytes of s and a terminating NUL; NULL when out of memory.
 * s may be NULL when n is 0 (gives ""). */
char *cw_arena_strndup(cw_arena *a, const char *s, size_t n);

/* cw_arena_strndup(a, s, strlen(s)); NULL s gives NULL. */
char *cw_arena_strdup(cw_arena *a, const char *s);

/* Grows an array held in the arena: returns an array of at least need
 * elements of size elem holding the first *cap elements of old, updating
 * *cap.  The old storage is simply abandoned to the arena. */
void *cw_arena_grow(cw_arena *a, void *old, size_t elem, size_t *cap, size_t need);

/* Runs fn(arg) when the arena is freed or reset (last registered first).
 * Lets an answer keep shared data it points into alive.  Returns
 * CW_ENOMEM-like -2 when out of memory (fn is then run at once). */
int cw_arena_defer(cw_arena *a, void (*fn)(void *), void *arg);

/* Bytes handed out so far (for memory accounting in tests and stats). */
size_t cw_arena_used(const cw_arena *a);

#endif
