/* crosswalk-bench gen: builds a deterministic dataset (3 organisations,
 * their controls linked to shipped leaf requirements, evidence with mixed
 * results and validity windows, a few Annex A scope exclusions and, when
 * asked, open internal-audit findings on nist-csf-2.0) from a seeded PRNG,
 * through the protocol like any client. */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

/* --findings open findings of one internal audit over every nist-csf-2.0
 * leaf (the coverage scenarios' framework): a tenth major and a fifth
 * minor nonconformities, the rest observations, spread round the leaves,
 * raised over the first days of the time base, a third with a corrective
 * action overdue and a third due far ahead.  One finding.put call. */
static void gen_findings(cw_rpc *c, const char *oid, const cw_reqs *nist, unsigned n)
{
    msgpack_unpacked u;
    cw_rpc_begin(c, "audit.put", 5);
    cw_mp_kv_str(&c->pk, "org", oid);
    cw_mp_kv_str(&c->pk, "id", "BENCH-AUDIT");
    cw_mp_kv_str(&c->pk, "framework", "nist-csf-2.0");
    cw_mp_kv_str(&c->pk, "title", "benchmark internal audit");
    cw_mp_str(&c->pk, "scope");
    msgpack_pack_array(&c->pk, nist->n);
    for (size_t i = 0; i < nist->n; i++)
        cw_mp_str(&c->pk, nist->v[i].id);
    cw_call(c, "audit.put", &u);
    msgpack_unpacked_destroy(&u);
    cw_rpc_begin(c, "finding.put", 2);
    cw_mp_kv_str(&c->pk, "org", oid);
    cw_mp_str(&c->pk, "items");
    msgpack_pack_array(&c->pk, n);
    for (unsigned k = 0; k < n; k++) {
        char fid[32];
        snprintf(fid, sizeof fid, "FND-%06u", k + 1);
        const char *kind = k % 10 == 0 ? "major_nc" : k % 10 < 3 ? "minor_nc" : "observation";
        msgpack_pack_map(&c->pk, k % 3 ? 7 : 6);
        cw_mp_kv_str(&c->pk, "id", fid);
        cw_mp_kv_str(&c->pk, "audit", "BENCH-AUDIT");
        cw_mp_kv_str(&c->pk, "framework", "nist-csf-2.0");
        cw_mp_kv_str(&c->pk, "requirement", nist->v[k % nist->n].id);
        cw_mp_kv_str(&c->pk, "kind", kind);
        cw_mp_kv_int(&c->pk, "raised_at", CW_GEN_EPOCH + (int64_t)k * 60);
        if (k % 3)
            cw_mp_kv_int(&c->pk, "due_at",
                         k % 3 == 1 ? CW_GEN_EPOCH + 86400 * 30 : CW_GEN_EPOCH + 86400 * 3650);
    }
    cw_call(c, "finding.put", &u);
    msgpack_unpacked_destroy(&u);
}

void cw_gen(const cw_opts *o)
{
    if (!o->server)
        cw_die("gen: --server is required");
    cw_rpc c;
    cw_client_open(&c, o->server);
    cw_rng rng = {o->seed};

    cw_strs fws = cw_fetch_frameworks(&c);
    /* Leaves per framework, so a link picks a framework first and then a
     * leaf: links are spread over the frameworks, not dominated by the
     * largest catalogue. */
    cw_reqs *leaves = cw_xmalloc(fws.n * sizeof *leaves);
    cw_reqs annex = {0};
    size_t nfw = 0;
    for (size_t i = 0; i < fws.n; i++) {
        memset(&leaves[nfw], 0, sizeof leaves[nfw]);
        cw_fetch_requirements(&c, fws.v[i], true, &leaves[nfw]);
        if (strcmp(fws.v[i], "iso27001-2022") == 0)
            for (size_t j = 0; j < leaves[nfw].n; j++)
                if (strncmp(leaves[nfw].v[j].id, "A.", 2) == 0)
                    cw_reqs_push(&annex, "iso27001-2022",
                                 cw_xstrndup(leaves[nfw].v[j].id, strlen(leaves[nfw].v[j].id)));
        if (leaves[nfw].n)
            nfw++;
    }
    if (!nfw)
        cw_die("gen: the server has no frameworks with leaves");
    size_t total_leaves = 0;
    for (size_t i = 0; i < nfw; i++)
        total_leaves += leaves[i].n;
    fprintf(stderr, "gen: %zu frameworks, %zu leaves, %zu Annex A leaves\n", nfw, total_leaves,
            annex.n);
    const cw_reqs *nist = NULL;
    for (size_t i = 0; i < nfw; i++)
        if (leaves[i].n && strcmp(leaves[i].v[0].fw, "nist-csf-2.0") == 0)
            nist = &leaves[i];
    if (o->findings && !nist)
        cw_die("gen: --findings needs the nist-csf-2.0 catalogue");

    uint64_t t0 = cw_now_ns();
    for (unsigned org = 1; org <= o->orgs; org++) {
        char oid[32], name[64];
        snprintf(oid, sizeof oid, "bench-org-%u", org);
        snprintf(name, sizeof name, "Benchmark organisation %u", org);
        msgpack_unpacked u;

        cw_rpc_begin(&c, "org.put", 2);
        cw_mp_kv_str(&c.pk, "org", oid);
        cw_mp_kv_str(&c.pk, "name", name);
        cw_call(&c, "org.put", &u);
        msgpack_unpacked_destroy(&u);

        /* Controls, in one bulk call (atomic: all or nothing). */
        cw_rpc_begin(&c, "control.put", 2);
        cw_mp_kv_str(&c.pk, "org", oid);
        cw_mp_str(&c.pk, "controls");
        msgpack_pack_array(&c.pk, o->controls);
        for (unsigned k = 1; k <= o->controls; k++) {
            char cid[16], title[64], owner[32];
            snprintf(cid, sizeof cid, "C-%04u", k);
            snprintf(title, sizeof title, "Benchmark control %u of %s", k, oid);
            snprintf(owner, sizeof owner, "team-%u", 1 + cw_rng_below(&rng, 12));
            uint32_t st = cw_rng_below(&rng, 20);
            const char *status = st < 16 ? "implemented" : st < 19 ? "planned" : "not_implemented";
            unsigned nl = 1 + cw_rng_below(&rng, 4);
            const cw_req *picked[4];
            bool partial[4];
            unsigned got = 0;
            /* Distinct links only: a control linking one leaf twice would be
             * refused as a conflict. */
            for (unsigned tries = 0; got < nl && tries < 64; tries++) {
                const cw_reqs *fl = &leaves[cw_rng_below(&rng, (uint32_t)nfw)];
                const cw_req *rq = &fl->v[cw_rng_below(&rng, (uint32_t)fl->n)];
                bool dup = false;
                for (unsigned j = 0; j < got; j++)
                    dup |= picked[j] == rq;
                if (dup)
                    continue;
                partial[got] = cw_rng_below(&rng, 4) == 0;
                picked[got++] = rq;
            }
            msgpack_pack_map(&c.pk, 5);
            cw_mp_kv_str(&c.pk, "id", cid);
            cw_mp_kv_str(&c.pk, "title", title);
            cw_mp_kv_str(&c.pk, "owner", owner);
            cw_mp_kv_str(&c.pk, "status", status);
            cw_mp_str(&c.pk, "links");
            msgpack_pack_array(&c.pk, got);
            for (unsigned j = 0; j < got; j++) {
                msgpack_pack_map(&c.pk, 3);
                cw_mp_kv_str(&c.pk, "framework", picked[j]->fw);
                cw_mp_kv_str(&c.pk, "id", picked[j]->id);
                cw_mp_kv_str(&c.pk, "level", partial[j] ? "partial" : "full");
            }
        }
        cw_call(&c, "control.put", &u);
        msgpack_unpacked_destroy(&u);

        /* Evidence in evidence.load batches of --batch items. */
        for (unsigned done = 0; done < o->evidence;) {
            unsigned n = o->evidence - done < o->batch ? o->evidence - done : o->batch;
            cw_rpc_begin(&c, "evidence.load", 2);
            cw_mp_kv_str(&c.pk, "org", oid);
            cw_mp_str(&c.pk, "items");
            msgpack_pack_array(&c.pk, n);
            for (unsigned k = 0; k < n; k++) {
                char eid[32], uri[96];
                snprintf(eid, sizeof eid, "EV-%06u", done + k + 1);
                snprintf(uri, sizeof uri, "https://evidence.example/%s/%u", oid, done + k + 1);
                cw_pk_ev_item(&c.pk, &rng, o->controls, eid, done + k + 1, uri);
            }
            cw_call(&c, "evidence.load", &u);
            msgpack_unpacked_destroy(&u);
            done += n;
        }

        /* Scope exclusions: Annex A leaves only, since iso27001-2022 clauses
         * 4-10 cannot be excluded (the server refuses them). */
        unsigned nex = o->exclusions < annex.n ? o->exclusions : (unsigned)annex.n;
        if (nex) {
            bool *used = calloc(annex.n, 1);
            if (!used)
                cw_die("out of memory");
            cw_rpc_begin(&c, "scope.put", 2);
            cw_mp_kv_str(&c.pk, "org", oid);
            cw_mp_str(&c.pk, "items");
            msgpack_pack_array(&c.pk, nex);
            for (unsigned k = 0; k < nex; k++) {
                uint32_t j;
                do
                    j = cw_rng_below(&rng, (uint32_t)annex.n);
                while (used[j]);
                used[j] = true;
                msgpack_pack_map(&c.pk, 4);
                cw_mp_kv_str(&c.pk, "framework", "iso27001-2022");
                cw_mp_kv_str(&c.pk, "id", annex.v[j].id);
                cw_mp_str(&c.pk, "applicable");
                msgpack_pack_false(&c.pk);
                cw_mp_kv_str(&c.pk, "justification",
                             "benchmark: not applicable to this organisation");
            }
            cw_call(&c, "scope.put", &u);
            msgpack_unpacked_destroy(&u);
            free(used);
        }
        if (o->findings)
            gen_findings(&c, oid, nist, o->findings);
        fprintf(stderr, "gen: %s: %u controls, %u evidence, %u exclusions, %u findings\n", oid,
                o->controls, o->evidence, nex, o->findings);
    }
    fprintf(stderr, "gen: done in %.2f s\n", (double)(cw_now_ns() - t0) / 1e9);

    for (size_t i = 0; i < nfw; i++)
        cw_reqs_free(&leaves[i]);
    /* Frameworks without leaves were not counted in nfw but their (empty)
     * lists hold nothing to free. */
    free(leaves);
    cw_reqs_free(&annex);
    cw_strs_free(&fws);
    cw_rpc_close(&c);
}
