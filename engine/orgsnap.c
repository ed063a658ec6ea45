/* The organisation snapshot cache.  Deciding a control's state means a seek
 * and a scan over its evidence indexes, and an organisation query needs
 * every control's state, so recomputing them for each query made coverage
 * polling cost hundreds of LMDB lookups per call.  A snapshot keeps the
 * decoded controls and their states together with the window of times they
 * hold for (ctl_state reports when each state could next change) and the
 * organisation's data generation they were read at; any write to the
 * organisation stamps a new generation, so a stale snapshot is never used.
 * A small table keyed by organisation holds the newest snapshot of each;
 * snapshots are reference-counted so a reader keeps its own alive while
 * the table moves on. */
#include "orgsnap.h"

#include "crosswalk/org.h"

#include "entity.h"

#include <stdlib.h>
#include <string.h>

/* Bounds what one snapshot keeps: frameworks × max_hops × options of the
 * query kinds stay far below it on real catalogues. */
#define MEMO_MAX 64

typedef struct snap_memo {
    struct snap_memo *next;
    uint64_t graph_gen, id;
    char *key;
    const void *answer;
    cw_arena *m;
} snap_memo;

static void arena_free_fn(void *p)
{
    cw_arena_free(p);
}

static void snap_unref(void *p)
{
    org_snap *s = p;
    if (atomic_fetch_sub(&s->refs, 1) == 1) {
        for (snap_memo *e = s->memo, *n; e; e = n) {
            n = e->next;
            cw_arena_free(e->m); /* e lives in its own arena */
        }
        pthread_mutex_destroy(&s->memo_lock);
        cw_arena_free(s->a);
        free(s);
    }
}

const void *orgsnap_memo_get(org_snap *s, uint64_t graph_gen, const char *key, uint64_t *id)
{
    const void *found = NULL;
    pthread_mutex_lock(&s->memo_lock);
    for (const snap_memo *e = s->memo; e && !found; e = e->next)
        if (e->graph_gen == graph_gen && strcmp(e->key, key) == 0) {
            found = e->answer;
            *id = e->id;
        }
    pthread_mutex_unlock(&s->memo_lock);
    return found;
}

int orgsnap_memo_put(org_snap *s, uint64_t graph_gen, const char *key, cw_arena *m,
                     const void *answer, cw_arena *hold, uint64_t *id)
{
    *id = 0;
    snap_memo *e = cw_arena_alloc(m, sizeof *e);
    char *k = cw_arena_strdup(m, key);
    bool kept = false;
    if (e && k) {
        *e = (snap_memo){NULL, graph_gen, 0, k, answer, m};
        pthread_mutex_lock(&s->memo_lock);
        bool dup = false;
        for (const snap_memo *o = s->memo; o && !dup; o = o->next)
            dup = o->graph_gen == graph_gen && strcmp(o->key, key) == 0;
        if (!dup && s->n_memo < MEMO_MAX) {
            e->next = s->memo;
            s->memo = e;
            s->n_memo++;
            kept = true;
            /* from the environment's sequence: ids never repeat, even
             * across snapshots freed and allocated at the same address */
            *id = e->id = atomic_fetch_add(s->seq, 1) + 1;
        }
        pthread_mutex_unlock(&s->memo_lock);
    }
    if (!kept && cw_arena_defer(hold, arena_free_fn, m))
        return CW_ENOMEM; /* defer ran the free already */
    return 0;
}

static int snap_build(cw_db *db, MDB_txn *txn, const char *org, uint64_t gen, cw_time t,
                      org_snap **out, cw_err *err)
{
    org_snap *s = calloc(1, sizeof *s);
    cw_arena *a = cw_arena_new();
    if (!s || !a || !(s->org = cw_arena_strdup(a, org))) {
        free(s);
        cw_arena_free(a);
        return cw_err_set(err, CW_ENOMEM, "org: out of memory");
    }
    s->a = a;
    s->seq = &db->memo_seq;
    s->gen = gen;
    s->from = t;
    s->until = INT64_MAX;
    atomic_init(&s->refs, 1);
    pthread_mutex_init(&s->memo_lock, NULL);
    int rc = controls_of(txn, db, org, a, &s->ctls, &s->n_ctls);
    if (rc) {
        snap_unref(s);
        return cw_err_set(err, rc, "org: cannot read the controls of '%s'", org);
    }
    s->st = cw_arena_alloc(a, (s->n_ctls + 1) * sizeof *s->st);
    if (!s->st) {
        snap_unref(s);
        return cw_err_set(err, CW_ENOMEM, "org: out of memory");
    }
    for (size_t i = 0; i < s->n_ctls; i++) {
        cw_time until;
        if ((rc = ctl_state(txn, db, org, s->ctls[i].id, s->ctls[i].status, t, a, &s->st[i],
                            &until))) {
            snap_unref(s);
            return cw_err_set(err, rc, "evidence: cannot read control '%s'", s->ctls[i].id);
        }
        if (until < s->until)
            s->until = until;
    }
    *out = s;
    return 0;
}

/* Whether fresh should take old's place in the table: a newer generation
 * always does; the same generation does when it was built for a later
 * time, which keeps the "now" snapshot when a query asks about the past. */
static bool newer(const org_snap *fresh, const org_snap *old)
{
    return fresh->gen > old->gen || (fresh->gen == old->gen && fresh->from >= old->from);
}

int orgsnap_acquire(cw_db *db, MDB_txn *txn, const char *org, cw_time t, cw_arena *hold,
                    org_snap **out, cw_err *err)
{
    uint64_t gen = org_gen(txn, db, org);
    org_snap *s = NULL;
    pthread_mutex_lock(&db->ocache_lock);
    uint64_t tick = ++db->ocache_tick;
    for (size_t i = 0; i < ORGSNAP_SLOTS; i++) {
        org_snap *c = db->ocache[i];
        if (c && c->gen == gen && t >= c->from && t < c->until && strcmp(c->org, org) == 0) {
            atomic_fetch_add(&c->refs, 1);
            c->used = tick;
            s = c;
            break;
        }
    }
    pthread_mutex_unlock(&db->ocache_lock);

    if (!s) {
        int rc = snap_build(db, txn, org, gen, t, &s, err);
        if (rc)
            return rc;
        /* Offer it to the table: its organisation's slot, else an empty
         * one, else the least recently used. */
        pthread_mutex_lock(&db->ocache_lock);
        s->used = tick;
        enum { NONE = ORGSNAP_SLOTS };
        size_t own = NONE, empty = NONE, lru = NONE, slot;
        for (size_t i = 0; i < ORGSNAP_SLOTS && own == NONE; i++) {
            org_snap *c = db->ocache[i];
            if (!c) {
                if (empty == NONE)
                    empty = i;
            } else if (strcmp(c->org, org) == 0) {
                own = i;
            } else if (lru == NONE || c->used < db->ocache[lru]->used) {
                lru = i;
            }
        }
        if (own != NONE)
            slot = newer(s, db->ocache[own]) ? own : NONE;
        else
            slot = empty != NONE ? empty : lru;
        if (slot < ORGSNAP_SLOTS) {
            org_snap *old = db->ocache[slot];
            atomic_fetch_add(&s->refs, 1);
            db->ocache[slot] = s;
            db_cache_register(db, DB_CACHE_ORGSNAP, orgsnap_cache_clear);
            if (old)
                snap_unref(old);
        }
        pthread_mutex_unlock(&db->ocache_lock);
    }
    if (cw_arena_defer(hold, snap_unref, s))
        return cw_err_set(err, CW_ENOMEM, "org: out of memory");
    *out = s;
    return 0;
}

void orgsnap_cache_clear(cw_db *db)
{
    pthread_mutex_lock(&db->ocache_lock);
    for (size_t i = 0; i < ORGSNAP_SLOTS; i++) {
        if (db->ocache[i])
            snap_unref(db->ocache[i]);
        db->ocache[i] = NULL;
    }
    pthread_mutex_unlock(&db->ocache_lock);
}
