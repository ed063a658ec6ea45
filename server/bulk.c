/* Bulk writes as the handlers answer them: for real, in the request's
 * place in the write group, or as a dry run (dry_run: true) in a
 * transaction of its own that is thrown away, after the stand-ins the
 * call assumes (crosswalk/trial.h) have been put first.  Both run the same
 * engine call, so a dry run meets the same checks and errors and answers
 * the same counts; its answer says dry_run: true. */
#include "pack.h"
#include "server.h"

#include "crosswalk/trial.h"

int cw_write_or_try(cw_call *k, bool dry_run, cw_write_fn fn, void *ctx, cw_err *err)
{
    return dry_run ? cw_write_trial(k->db, k->w, fn, ctx, err) : fn(k->w, ctx, err);
}

struct bulk_run {
    cw_db *db;
    cw_bulk_fn write;
    const void *args;
    const cw_assumption *as; /* NULL: nothing assumed */
    cw_bulk_stats *st;
};

static int bulk_fn(cw_wtxn *w, void *ctx, cw_err *err)
{
    struct bulk_run *r = ctx;
    int rc = r->as ? cw_trial_assume(r->db, w, r->as, err) : 0;
    return rc ? rc : r->write(r->db, w, r->args, r->st, err);
}

int cw_bulk_answer(cw_call *k, bool dry_run, const cw_assume *assume, const char *org,
                   cw_bulk_fn write, const void *args, msgpack_packer *pk, cw_err *err)
{
    if (assume && !dry_run)
        return cw_err_set(err, CW_EINVAL,
                          "assume: only with dry_run: true (a real write takes nothing as "
                          "written)");
    cw_assumption as = {0};
    if (assume)
        as = (cw_assumption){org,
                             assume->org,
                             assume->controls,
                             assume->n_controls,
                             assume->requirements,
                             assume->n_requirements};
    cw_bulk_stats st = {0};
    struct bulk_run r = {k->db, write, args, assume ? &as : NULL, &st};
    int rc = cw_write_or_try(k, dry_run, bulk_fn, &r, err);
    if (rc)
        return rc;
    msgpack_pack_map(pk, dry_run ? 6 : 5);
    pk_stats_fields(pk, &st);
    if (dry_run)
        pk_kv_bool(pk, "dry_run", true);
    return 0;
}
