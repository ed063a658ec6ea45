/* crosswalk-bench evidence-csv: writes a large evidence CSV in the CLI's
 * import format, for timing `crosswalk load`.  The items are drawn as
 * gen's are (items.c).  Rows are printed as they are, unquoted: the
 * fields are words, numbers, times and a URI holding --org, which is
 * taken to be an id without commas or quotes. */
#include "bench.h"

#include <crosswalk/time.h>

#include <errno.h>
#include <inttypes.h>
#include <string.h>

void cw_evidence_csv(const cw_opts *o)
{
    if (!o->rows || !o->org || !o->out)
        cw_die("evidence-csv: --rows, --org and -o are required");
    FILE *f = fopen(o->out, "w");
    if (!f)
        cw_die("%s: %s", o->out, strerror(errno));
    /* A large stdio buffer: a million rows should cost the disk, not
     * syscalls. */
    static char iobuf[1 << 20];
    setvbuf(f, iobuf, _IOFBF, sizeof iobuf);
    cw_rng rng = {o->seed ^ 0x6373766373766373ull};
    fputs("id,controls,kind,title,source,uri,sha256,collected_at,valid_until,result\n", f);
    for (uint64_t i = 1; i <= o->rows; i++) {
        cw_ev e;
        cw_ev_draw(&rng, o->controls, &e);
        char coll[32], valid[32] = "", sha[65] = "";
        cw_time_format(e.collected, coll, sizeof coll);
        if (e.valid)
            cw_time_format(e.valid, valid, sizeof valid);
        if (e.sha) {
            cw_hex64(&rng, sha);
            sha[64] = 0;
        }
        /* Ids CSV-nnnnnnn never collide with gen's EV-nnnnnn, so loading the
         * CSV adds items rather than rewriting the generated ones. */
        fprintf(f, "CSV-%07" PRIu64 ",C-%04u", i, e.c1);
        if (e.c2)
            fprintf(f, "|C-%04u", e.c2);
        fprintf(f,
                ",%s,%s %" PRIu64 ",%s,https://evidence.example/%s/csv/%" PRIu64 ",%s,%s,%s,%s\n",
                cw_kinds[e.kind], cw_kinds[e.kind], i, cw_sources[e.source], o->org, i, sha, coll,
                valid, cw_results[e.result]);
    }
    if (fclose(f) != 0)
        cw_die("%s: %s", o->out, strerror(errno));
}
