/* A string-keyed hash map in an arena (open addressing, FNV-1a).
 *
 * Keys are byte strings of a given length (NUL bytes allowed) and are
 * borrowed: the map keeps the pointer, so a key must live as long as the
 * map, typically in the same arena.  Values are indexes (size_t).  All the
 * map's storage is in the arena passed to cw_strmap_init: there is no
 * free; it goes with the arena. */
#ifndef CROSSWALK_STRMAP_H
#define CROSSWALK_STRMAP_H

#include "crosswalk/arena.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct cw_strmap {
    size_t cap, n;
    const char **keys;
    size_t *lens;
    size_t *vals;
    cw_arena *a;
} cw_strmap;

/* An empty map sized for about expect keys (it grows past that).  Returns
 * 0 or CW_ENOMEM. */
int cw_strmap_init(cw_strmap *m, cw_arena *a, size_t expect);
/* Inserts key -> val.  Returns 1 and leaves the old value when key is
 * present (old value in *old if non-NULL), 0 when inserted, CW_ENOMEM. */
int cw_strmap_put(cw_strmap *m, const char *key, size_t len, size_t val, size_t *old);
/* Whether key is present; its value in *val when val is non-NULL.  A
 * zeroed map that was never initialised holds nothing. */
bool cw_strmap_get(const cw_strmap *m, const char *key, size_t len, size_t *val);

#endif
