/* Stand-ins for a dry run (crosswalk/trial.h): what earlier calls of the
 * same load would have written, made to exist inside the dry run's own
 * transaction through the entity modules' ordinary writes, so the batch
 * under trial is checked by exactly the code a real load runs. */
#include "crosswalk/trial.h"

#include "crosswalk/catalog.h"
#include "crosswalk/org.h"

#include "internal.h"

#include <string.h>

/* The requirements of as in framework fw that are not stored, once each,
 * as catalogue rows holding their ids, loaded into fw (created when it
 * is not stored). */
static int assume_framework(cw_db *db, cw_wtxn *w, const cw_assumption *as, const char *fw,
                            cw_arena *a, cw_err *err)
{
    cw_requirement *rows = cw_arena_alloc(a, (as->n_requirements + 1) * sizeof *rows);
    strmap seen;
    if (!rows || strmap_init(&seen, a, as->n_requirements))
        return cw_err_set(err, CW_ENOMEM, "assume: out of memory");
    size_t n = 0;
    for (size_t i = 0; i < as->n_requirements; i++) {
        const cw_ref *r = &as->requirements[i];
        if (strcmp(r->framework, fw) != 0 || req_exists(w->txn, db, fw, r->id, NULL) == 0)
            continue;
        int put = strmap_put(&seen, r->id, strlen(r->id), i, NULL);
        if (put < 0)
            return cw_err_set(err, CW_ENOMEM, "assume: out of memory");
        if (put == 0)
            rows[n++] = (cw_requirement){.id = r->id};
    }
    if (n == 0)
        return 0;
    cw_framework f = {.slug = fw};
    return cw_catalog_load(db, w, &f, rows, n, false, NULL, err);
}

/* The controls of as that are not stored, once each, without links. */
static int assume_controls(cw_db *db, cw_wtxn *w, const cw_assumption *as, cw_arena *a, cw_err *err)
{
    cw_control *ctl = cw_arena_alloc(a, (as->n_controls + 1) * sizeof *ctl);
    strmap seen;
    if (!ctl || strmap_init(&seen, a, as->n_controls))
        return cw_err_set(err, CW_ENOMEM, "assume: out of memory");
    size_t n = 0;
    for (size_t i = 0; i < as->n_controls; i++) {
        const char *id = as->controls[i];
        cw_key k;
        org_item_key(&k, as->org, id);
        MDB_val kv = key_val(&k), v;
        if (mdb_get(w->txn, db->dbi[DB_CTL], &kv, &v) == 0)
            continue;
        int put = strmap_put(&seen, id, strlen(id), i, NULL);
        if (put < 0)
            return cw_err_set(err, CW_ENOMEM, "assume: out of memory");
        if (put == 0)
            ctl[n++] = (cw_control){.org = as->org, .id = id};
    }
    return n ? cw_control_put(db, w, ctl, n, NULL, err) : 0;
}

int cw_trial_assume(cw_db *db, cw_wtxn *w, const cw_assumption *as, cw_err *err)
{
    int rc = 0;
    for (size_t i = 0; i < as->n_requirements; i++) {
        const cw_ref *r = &as->requirements[i];
        if ((rc = check_name_at(r->framework, CW_MAX_SLUG, err,
                                "assume.requirements[%zu].framework", i)) ||
            (rc = check_name_at(r->id, CW_MAX_ID, err, "assume.requirements[%zu].id", i)))
            return rc;
    }
    for (size_t i = 0; i < as->n_controls; i++)
        if ((rc = check_name_at(as->controls[i], CW_MAX_ID, err, "assume.controls[%zu]", i)))
            return rc;
    if (as->org && as->org_exists && org_exists(w->txn, db, as->org)) {
        cw_org o = {.slug = as->org};
        if ((rc = cw_org_put(db, w, &o, NULL, err)))
            return rc;
    }
    cw_arena *a = cw_arena_new();
    strmap fws;
    if (!a || strmap_init(&fws, a, 8)) {
        cw_arena_free(a);
        return cw_err_set(err, CW_ENOMEM, "assume: out of memory");
    }
    /* One catalogue load per framework, at its first mention. */
    for (size_t i = 0; rc == 0 && i < as->n_requirements; i++) {
        const char *fw = as->requirements[i].framework;
        int first = strmap_put(&fws, fw, strlen(fw), i, NULL);
        if (first < 0)
            rc = cw_err_set(err, CW_ENOMEM, "assume: out of memory");
        else if (first == 0)
            rc = assume_framework(db, w, as, fw, a, err);
    }
    /* Controls only in an organisation that is there (or assumed above):
     * a batch for one that is nowhere is refused for that, by the batch. */
    if (rc == 0 && as->org && as->n_controls && org_exists(w->txn, db, as->org) == 0)
        rc = assume_controls(db, w, as, a, err);
    cw_arena_free(a);
    return rc;
}
