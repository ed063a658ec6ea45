/* The generated evidence items of gen, evidence-csv and load: one seeded
 * draw per item, so a seed gives the same items whichever subcommand
 * writes them, and the same shape and field mix in each. */
#include "bench.h"

#include <inttypes.h>
#include <stdio.h>

const char *const cw_kinds[6] = {"document", "config", "scan", "ticket", "log", "attestation"};
const char *const cw_sources[5] = {"scanner", "grc", "siem", "manual", "ci"};
const char *const cw_results[3] = {"pass", "fail", "unknown"};

void cw_hex64(cw_rng *r, char hex[64])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 64; i += 16) {
        uint64_t v = cw_rng_next(r);
        for (int j = 0; j < 16; j++, v >>= 4)
            hex[i + j] = digits[v & 15];
    }
}

void cw_ev_draw(cw_rng *r, unsigned controls, cw_ev *e)
{
    e->c1 = 1 + cw_rng_below(r, controls);
    e->c2 = 0;
    if (controls > 1 && cw_rng_below(r, 4) == 0) {
        do
            e->c2 = 1 + cw_rng_below(r, controls);
        while (e->c2 == e->c1);
    }
    e->kind = cw_rng_below(r, sizeof cw_kinds / sizeof cw_kinds[0]);
    e->source = cw_rng_below(r, sizeof cw_sources / sizeof cw_sources[0]);
    e->collected = CW_GEN_EPOCH + (int64_t)cw_rng_below(r, 540 * 86400);
    uint32_t w = cw_rng_below(r, 10);
    /* 30 % open-ended, the rest valid 30 days .. 2 years: a realistic mix
     * of still-valid and expired windows. */
    e->valid = w < 3 ? 0 : e->collected + CW_DAY * (30 + (int64_t)cw_rng_below(r, 700));
    uint32_t res = cw_rng_below(r, 100);
    e->result = res < 70 ? 0 : res < 85 ? 1 : 2;
    e->sha = cw_rng_below(r, 2) == 0;
}

/* Draws one evidence item and packs it as the map evidence.put and
 * evidence.load take: gen's items and load's are made here, so both have
 * the same shape and field mix.  The sha256, when present, is drawn after
 * the other fields. */
void cw_pk_ev_item(msgpack_packer *pk, cw_rng *rng, unsigned controls, const char *eid, uint64_t n,
                   const char *uri)
{
    cw_ev e;
    cw_ev_draw(rng, controls, &e);
    char title[64], c1[16], c2[16];
    snprintf(title, sizeof title, "%s %" PRIu64, cw_kinds[e.kind], n);
    snprintf(c1, sizeof c1, "C-%04u", e.c1);
    snprintf(c2, sizeof c2, "C-%04u", e.c2);
    msgpack_pack_map(pk, 8 + (e.valid != 0) + e.sha);
    cw_mp_kv_str(pk, "id", eid);
    cw_mp_str(pk, "controls");
    msgpack_pack_array(pk, e.c2 ? 2 : 1);
    cw_mp_str(pk, c1);
    if (e.c2)
        cw_mp_str(pk, c2);
    cw_mp_kv_str(pk, "kind", cw_kinds[e.kind]);
    cw_mp_kv_str(pk, "title", title);
    cw_mp_kv_str(pk, "source", cw_sources[e.source]);
    cw_mp_kv_str(pk, "uri", uri);
    cw_mp_kv_int(pk, "collected_at", e.collected);
    if (e.valid)
        cw_mp_kv_int(pk, "valid_until", e.valid);
    if (e.sha) {
        char hex[64];
        cw_hex64(rng, hex);
        cw_mp_str(pk, "sha256");
        msgpack_pack_str(pk, 64);
        msgpack_pack_str_body(pk, hex, 64);
    }
    cw_mp_kv_str(pk, "result", cw_results[e.result]);
}
