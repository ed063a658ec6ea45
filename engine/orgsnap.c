/* The organisation snapshot cache.  Deciding a control's state means a seek
 * and a scan over its evidence indexes, and an organisation query needs
 * every control's state, so recomputing them for each query made coverage
 * polling cost hundreds of LMDB lookups per call.  A snapshot keeps the
 * decoded controls and their states together with the window of times they
 * hold for (ctl_state reports when each state could next change) and the
 * organisation's data generation they were read at; any write to the
 * organisation stamps a new generation, so a stale snapshot is never used.
 * The audit findings are kept the same way: those open during the window
 * are indexed by requirement, so the coverage override costs one look-up
 * per requirement, not a scan of the findings, and the window ends where
 * a finding is raised, closed or falls overdue.
 * A small table keyed by organisation holds the newest snapshot of each;
 * snapshots are reference-counted so a reader keeps its own alive while
 * the table moves on. */
#include "orgsnap.h"

#include "crosswalk/audit.h"
#include "crosswalk/org.h"

#include "entity.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds what one snapshot keeps: frameworks × max_hops × options of the
 * query kinds stay far below it on real catalogues. */
#define MEMO_MAX 64

static void snap_unref(void *p)
{
    org_snap *s = p;
    if (atomic_fetch_sub(&s->refs, 1) == 1) {
        if (s->ctl_owner)
            snap_unref(s->ctl_owner);
        memo_free(&s->memo);
        cw_arena_free(s->a);
        free(s);
    }
}

/* The first time after t at which what finding f says at t changes: it is
 * raised, closed, or its corrective action falls overdue. */
static cw_time finding_next(const cw_audit_finding *f, cw_time t)
{
    cw_time next = INT64_MAX;
    if (f->raised_at > t)
        next = f->raised_at;
    if (f->status == CW_FST_CLOSED && f->closed_at.has && f->closed_at.at > t &&
        f->closed_at.at < next)
        next = f->closed_at.at;
    if (f->due_at.has && f->due_at.at >= t && f->due_at.at < INT64_MAX && f->due_at.at + 1 < next)
        next = f->due_at.at + 1;
    return next;
}

/* The key of requirement id of fw in held_idx: fw\0id in buf (cap bytes);
 * its length. */
static size_t held_key(char *buf, size_t cap, const char *fw, const char *id)
{
    int n = snprintf(buf, cap, "%s%c%s", fw, '\0', id);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

/* The index in s->held of requirement fw/id, added when new. */
static int held_slot(org_snap *s, const char *fw, const char *id, size_t *h)
{
    char kb[CW_MAX_SLUG + CW_MAX_ID + 2];
    size_t kn = held_key(kb, sizeof kb, fw, id);
    if (strmap_get(&s->held_idx, kb, kn, h))
        return 0;
    char *key = cw_arena_strndup(s->a, kb, kn);
    if (!key || strmap_put(&s->held_idx, key, kn, s->n_held, NULL) < 0)
        return CW_ENOMEM;
    *h = s->n_held++;
    return 0;
}

/* Reads the findings of s's organisation and indexes those open at t by
 * requirement (in id order, as findings_of lists them); narrows the window
 * to where that stays true. */
static int snap_findings(cw_db *db, MDB_txn *txn, org_snap *s, cw_time t)
{
    cw_arena *a = s->a;
    int rc = findings_of(txn, db, s->org, a, &s->findings, &s->n_findings);
    if (rc || (rc = strmap_init(&s->held_idx, a, s->n_findings)))
        return rc;
    size_t n = s->n_findings;
    s->held = cw_arena_alloc(a, (n + 1) * sizeof *s->held);
    s->overdue = cw_arena_alloc(a, (n + 1) * sizeof *s->overdue);
    size_t *slot = cw_arena_alloc(a, (n + 1) * sizeof *slot);
    const cw_audit_finding **lists = cw_arena_alloc(a, (n + 1) * sizeof *lists);
    if (!s->held || !s->overdue || !slot || !lists)
        return CW_ENOMEM;
    /* first each open finding's requirement and how many each has, then
     * each requirement's stretch of lists, then the lists */
    for (size_t i = 0; i < n; i++) {
        const cw_audit_finding *f = &s->findings[i];
        cw_time next = finding_next(f, t);
        if (next < s->until)
            s->until = next;
        if (cw_finding_overdue_at(f, t))
            s->overdue[s->n_overdue++] = f;
        slot[i] = SIZE_MAX;
        if (cw_finding_open_at(f, t)) {
            if ((rc = held_slot(s, f->framework, f->requirement, &slot[i])))
                return rc;
            s->held[slot[i]].n_open++;
        }
    }
    size_t used = 0;
    for (size_t h = 0; h < s->n_held; h++) {
        s->held[h].open = lists + used;
        used += s->held[h].n_open;
        s->held[h].n_open = 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (slot[i] == SIZE_MAX)
            continue;
        const cw_audit_finding *f = &s->findings[i];
        snap_held *sh = &s->held[slot[i]];
        sh->open[sh->n_open++] = f;
        if (f->kind == CW_FIND_MAJOR_NC && !sh->major)
            sh->major = f;
        else if (f->kind == CW_FIND_MINOR_NC && !sh->minor)
            sh->minor = f;
    }
    return 0;
}

const snap_held *orgsnap_held(const org_snap *s, const char *fw, const char *id)
{
    if (!s->n_held)
        return NULL;
    char kb[CW_MAX_SLUG + CW_MAX_ID + 2];
    size_t kn = held_key(kb, sizeof kb, fw, id), h;
    return strmap_get(&s->held_idx, kb, kn, &h) ? &s->held[h] : NULL;
}

static int snap_build(cw_db *db, MDB_txn *txn, const char *org, uint64_t gen, cw_time t,
                      cw_time rec, cw_time rec_next, org_snap *base, org_snap **out, cw_err *err)
{
    org_snap *s = calloc(1, sizeof *s);
    cw_arena *a = cw_arena_new();
    if (!s || !a || !(s->org = cw_arena_strdup(a, org))) {
        free(s);
        cw_arena_free(a);
        return cw_err_set(err, CW_ENOMEM, "org: out of memory");
    }
    s->a = a;
    s->gen = gen;
    s->from = t;
    s->until = rec == REC_NOW ? INT64_MAX : rec_next;
    s->rec_next = rec_next;
    atomic_init(&s->refs, 1);
    memo_init(&s->memo, MEMO_MAX, &db->memo_seq);
    int rc = 0;
    if (base) {
        /* the same records at another time: its decoded controls serve,
         * kept alive by a reference to the snapshot that owns them */
        s->ctl_owner = base->ctl_owner ? base->ctl_owner : base;
        atomic_fetch_add(&s->ctl_owner->refs, 1);
        s->ctls = base->ctls;
        s->n_ctls = base->n_ctls;
    } else {
        rc = controls_of_at(txn, db, org, rec, a, &s->ctls, &s->n_ctls);
    }
    if (rc) {
        snap_unref(s);
        return cw_err_set(err, rc, "org: cannot read the controls of '%s'", org);
    }
    s->st = cw_arena_alloc(a, (s->n_ctls + 1) * sizeof *s->st);
    if (!s->st) {
        snap_unref(s);
        return cw_err_set(err, CW_ENOMEM, "org: out of memory");
    }
    ev_cursors cs = {{NULL}};
    for (size_t i = 0; i < s->n_ctls; i++) {
        cw_time until;
        if ((rc = ctl_state_with(txn, db, &cs, org, s->ctls[i].id, s->ctls[i].status, t, a,
                                 &s->st[i], &until))) {
            ev_cursors_close(&cs);
            snap_unref(s);
            return cw_err_set(err, rc, "evidence: cannot read control '%s'", s->ctls[i].id);
        }
        if (until < s->until)
            s->until = until;
    }
    ev_cursors_close(&cs);
    if (rec != REC_NOW &&
        (rc = ev_states_then(txn, db, org, rec, t, s->ctls, s->n_ctls, a, s->st, &s->until))) {
        snap_unref(s);
        return cw_err_set(err, rc, "evidence: cannot read the evidence of '%s' as recorded", org);
    }
    if ((rc = snap_findings(db, txn, s, t))) {
        snap_unref(s);
        return cw_err_set(err, rc, "findings: cannot read the findings of '%s'", org);
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

int orgsnap_acquire(cw_db *db, MDB_txn *txn, const char *org, cw_time t, cw_time rec,
                    cw_arena *hold, org_snap **out, cw_err *err)
{
    uint64_t gen = org_gen(txn, db, org);
    /* a past state's snapshot is known by the next change after it */
    cw_time rec_next = rec == REC_NOW ? INT64_MAX : hist_next(txn, db, org, rec);
    if (rec_next == INT64_MAX)
        rec = REC_NOW;
    org_snap *s = NULL;
    pthread_mutex_lock(&db->ocache_lock);
    uint64_t tick = ++db->ocache_tick;
    for (size_t i = 0; i < ORGSNAP_SLOTS; i++) {
        org_snap *c = db->ocache[i];
        if (c && c->gen == gen && c->rec_next == rec_next && t >= c->from && t < c->until &&
            strcmp(c->org, org) == 0) {
            atomic_fetch_add(&c->refs, 1);
            c->used = tick;
            s = c;
            break;
        }
    }
    /* on a miss, a snapshot of the same records at another time lends its
     * decoded controls (stepping through a period builds one per instant) */
    org_snap *base = NULL;
    for (size_t i = 0; !s && i < ORGSNAP_SLOTS && !base; i++) {
        org_snap *c = db->ocache[i];
        if (c && c->gen == gen && c->rec_next == rec_next && strcmp(c->org, org) == 0) {
            base = c;
            atomic_fetch_add(&base->refs, 1);
        }
    }
    pthread_mutex_unlock(&db->ocache_lock);

    if (!s) {
        int rc = snap_build(db, txn, org, gen, t, rec, rec_next, base, &s, err);
        if (base)
            snap_unref(base);
        if (rc)
            return rc;
        /* Offer it to the table: its organisation's slot, else an empty
         * one, else the least recently used.  An organisation has one slot
         * for its current state and one for a past one, so that stepping
         * through its history does not evict other organisations. */
        pthread_mutex_lock(&db->ocache_lock);
        s->used = tick;
        enum { NONE = ORGSNAP_SLOTS };
        size_t now_slot = NONE, past_slot = NONE, empty = NONE, lru = NONE, slot;
        for (size_t i = 0; i < ORGSNAP_SLOTS; i++) {
            org_snap *c = db->ocache[i];
            if (!c) {
                if (empty == NONE)
                    empty = i;
            } else if (strcmp(c->org, org) == 0) {
                if (c->past_slot)
                    past_slot = past_slot == NONE ? i : past_slot;
                else if (now_slot == NONE)
                    now_slot = i;
            } else if (lru == NONE || c->used < db->ocache[lru]->used) {
                lru = i;
            }
        }
        /* The current state at the newest time asked takes the
         * organisation's own slot; anything older (a past recorded state,
         * or today's records at an earlier time) its one past slot. */
        bool current =
            s->rec_next == INT64_MAX && (now_slot == NONE || newer(s, db->ocache[now_slot]));
        s->past_slot = !current;
        if (current)
            slot = now_slot != NONE ? now_slot : empty != NONE ? empty : lru;
        else
            slot = past_slot != NONE ? past_slot : empty != NONE ? empty : lru;
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
