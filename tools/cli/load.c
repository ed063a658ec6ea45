/* `crosswalk load` and `crosswalk export`: files in and out via the importers.
 *
 * load validates every file first (cw_import_file parses and checks without
 * touching the server) and sends nothing when any file has a problem, so a
 * typo on line 900 never leaves half a catalogue behind.  Then it sends each
 * file's batches in order; every batch is one bulk call, which the server
 * applies atomically, so an interrupted load leaves whole batches only.  A
 * progress bar is drawn on stderr only when stderr is a terminal, so logs
 * and pipes get nothing but the summary.
 *
 * export asks mapping.export for a framework's stored rows and
 * hands the answer to the CSV or OSCAL mapping-collection writer.
 *
 * Built only when the importers exist (CW_HAVE_IMPORT, see CMakeLists.txt). */
#include "cli.h"
#include "import.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Adds the bulk counts of an answer to the running totals. */
static void cw_tally(json_t *ans, long totals[4])
{
    static const char *const keys[] = {"created", "updated", "deleted", "rejected"};
    for (size_t k = 0; k < 4; k++) {
        json_t *v = json_object_get(ans, keys[k]);
        if (json_is_integer(v))
            totals[k] += (long)json_integer_value(v);
    }
    /* org.put answers {org, created: bool}. */
    if (json_is_true(json_object_get(ans, "created")))
        totals[0]++;
}

static void cw_progress(size_t done, size_t total)
{
    const int width = 40;
    int fill = total ? (int)((double)done / (double)total * width) : width;
    fputs("\r[", stderr);
    for (int i = 0; i < width; i++)
        fputc(i < fill ? '#' : ' ', stderr);
    fprintf(stderr, "] %zu/%zu items", done, total);
    fflush(stderr);
}

/* What became of one batch. */
enum { B_NOT_SENT = 0, B_STORED, B_REFUSED };

/* A load under way: the progress bar (drawn when bar), the items answered
 * of all items, the bulk counts of the answers (cw_tally), and per file
 * what became of each batch (fate[file][batch], for the report after a
 * refusal). */
typedef struct cw_loading {
    bool bar;
    size_t done, items;
    long totals[4];
    unsigned char **fate;
} cw_loading;

/* Takes the outcome r of batch b of file's import: an answer res
 * (released here) is counted and moves the progress bar; a failure is
 * reported with msg (freed here).  Returns 0 or CW_EXIT_ERROR. */
static int cw_batch_answered(cw_loading *ld, size_t fi, const char *file, const cw_import *imp,
                             size_t b, int r, json_t *res, char *msg)
{
    const cw_import_batch *bt = &imp->batches[b];
    ld->fate[fi][b] = r ? B_REFUSED : B_STORED;
    if (r) {
        if (ld->bar)
            fputc('\n', stderr);
        fprintf(stderr, "crosswalk: %s: batch %zu of %zu (%s, %zu items): %s\n", file, b + 1,
                imp->n_batches, bt->method, bt->items, msg ? msg : "failed");
        free(msg);
        return CW_EXIT_ERROR;
    }
    cw_tally(res, ld->totals);
    json_decref(res);
    ld->done += bt->items;
    if (ld->bar)
        cw_progress(ld->done, ld->items);
    return 0;
}

/* Creates the organisation when it does not exist; a failure other than
 * not_found is reported. */
static int cw_ensure_org(cw_rpc *c, const char *org, long totals[4])
{
    json_t *p = json_pack("{s:s}", "org", org), *res = NULL;
    char *msg = NULL;
    int rc = cw_rpc_call(c, "org.get", p, &res, &msg);
    json_decref(res);
    if (rc == 0) {
        json_decref(p);
        return 0;
    }
    if (rc != CW_RPC_ESERVER || !msg || strncmp(msg, "not_found", 9) != 0) {
        fprintf(stderr, "crosswalk: %s\n", msg ? msg : "org.get failed");
        free(msg);
        json_decref(p);
        return CW_EXIT_ERROR;
    }
    free(msg);
    res = NULL;
    rc = cw_ctx_call(c, "org.put", p, &res);
    json_decref(p);
    if (rc == 0)
        cw_tally(res, totals);
    json_decref(res);
    return rc;
}

/* After a refusal: per file, which batches are stored, which was refused
 * and which were never sent, as runs of batch numbers.  Batches that were
 * already on their way when one was refused may be stored after it.
 * Every write is an upsert, so loading the fixed file again converges. */
static void cw_report_fates(const cw_loading *ld, char **files, const cw_import *imps,
                            size_t nfiles)
{
    static const char *const names[] = {"not sent", "stored", "refused"};
    for (size_t i = 0; i < nfiles; i++) {
        size_t nb = imps[i].n_batches;
        printf("%s: batches of %zu:", files[i], nb);
        for (size_t b = 0; b < nb;) {
            size_t e = b;
            while (e + 1 < nb && ld->fate[i][e + 1] == ld->fate[i][b])
                e++;
            if (e == b)
                printf(" %zu %s;", b + 1, names[ld->fate[i][b]]);
            else
                printf(" %zu-%zu %s;", b + 1, e + 1, names[ld->fate[i][b]]);
            b = e + 1;
        }
        printf("\n");
    }
    printf("fix the file and run the same command again: rows already stored are updated in "
           "place\n");
}

/* The keys of cw_urn_index: prefix then s, lower-cased, into key (cut at
 * CW_URN_KEY; ids and the stored URNs are far shorter).  Returns key. */
#define CW_URN_KEY 512
static const char *urn_key(char *key, const char *prefix, const char *s)
{
    int n = snprintf(key, CW_URN_KEY, "%s%s", prefix, s);
    for (int i = 0; i < n && i < CW_URN_KEY; i++)
        key[i] = (char)tolower((unsigned char)key[i]);
    return key;
}

/* The stored requirements of framework slug as lower-cased URN -> id,
 * from their "urn" attributes (GRC libraries store each node's URN),
 * "id:" + lower-cased id -> id (null when two ids differ only in case) and
 * "=" + id -> id; an empty map when the framework is not stored.  Returns
 * a new reference. */
static json_t *cw_urn_index(cw_rpc *c, const char *slug)
{
    json_t *idx = json_object(), *q = json_pack("{s:s}", "framework", slug), *reqs = NULL;
    char *msg = NULL;
    if (cw_rpc_call(c, "requirement.list", q, &reqs, &msg) == 0) {
        size_t i;
        json_t *r;
        json_array_foreach(reqs, i, r)
        {
            /* ids too, in any case ("id:a.5.1" -> A.5.1): the URN's last
             * segment names a shipped catalogue's requirement that way */
            char key[CW_URN_KEY];
            json_t *id = json_object_get(r, "id"), *u;
            if (json_is_string(id)) {
                /* two ids alike but for case name neither: null */
                json_t *was = json_object_get(idx, urn_key(key, "id:", json_string_value(id)));
                if (was && !json_equal(was, id))
                    json_object_set_new(idx, key, json_null());
                else
                    json_object_set(idx, key, id);
                snprintf(key, sizeof key, "=%s", json_string_value(id));
                json_object_set(idx, key, id);
            }
            size_t k;
            json_array_foreach(json_object_get(json_object_get(r, "attributes"), "urn"), k,
                               u) if (json_is_string(u) && *json_string_value(u))
                json_object_set(idx, urn_key(key, "", json_string_value(u)), id);
        }
    }
    free(msg);
    json_decref(q);
    json_decref(reqs);
    return idx;
}

/* A GRC mapping library names requirements of other libraries by URN;
 * the URN's last segment (what the rows hold until now) is often not the
 * stored id ('ac-1' for AC-1).  Each such URN is looked up among the
 * stored requirements' URNs, else its last segment among their ids in
 * any case (a shipped catalogue's A.5.1 for 'a.5.1'), and the id found is
 * put into the row; one not found keeps its segment, and the server says
 * which is unknown. */
static void cw_resolve_urns(cw_rpc *c, const char *file, cw_import *imp)
{
    json_t *rows = json_array(), *cache = json_object(), *ref;
    for (size_t b = 0; b < imp->n_batches; b++)
        if (strcmp(imp->batches[b].method, "mapping.load") == 0)
            json_array_extend(rows, json_object_get(imp->batches[b].params, "mappings"));
    size_t i, found = 0;
    json_array_foreach(imp->urn_refs, i, ref)
    {
        json_t *row = json_array_get(rows, (size_t)json_integer_value(json_array_get(ref, 0)));
        const char *side = json_string_value(json_array_get(ref, 1));
        json_int_t member = json_integer_value(json_array_get(ref, 2));
        const char *slug = json_string_value(json_object_get(
            row, strcmp(side, "source") == 0 ? "source_framework" : "target_framework"));
        if (!row || !slug)
            continue;
        json_t *idx = json_object_get(cache, slug);
        if (!idx)
            json_object_set_new(cache, slug, idx = cw_urn_index(c, slug));
        const char *urn = json_string_value(json_array_get(ref, 3)), *seg = strrchr(urn, ':');
        char key[CW_URN_KEY];
        json_t *id = json_object_get(idx, urn_key(key, "", urn));
        if (!id) /* by the URN's last segment among the ids */
            id = json_object_get(idx, urn_key(key, "id:", seg ? seg + 1 : urn));
        if (!json_is_string(id))
            continue;
        found++;
        if (member < 0)
            json_object_set(row, side, id);
        else
            json_array_set(json_object_get(row, side), (size_t)member, id);
    }
    if (json_array_size(imp->urn_refs))
        fprintf(stderr,
                "%s: %zu of %zu requirement URNs of other libraries found among the stored "
                "frameworks' URNs\n",
                file, found, json_array_size(imp->urn_refs));
    json_decref(rows);
    json_decref(cache);
}

/* The id of slug's stored requirement that id names in another case, or
 * NULL (it is stored as written, or not at all, or two stored ids differ
 * from it only in case).  idx is cw_urn_index's, cached in cache. */
static json_t *cw_id_in_case(cw_rpc *c, json_t *cache, const char *slug, json_t *id)
{
    json_t *idx = json_object_get(cache, slug);
    if (!idx)
        json_object_set_new(cache, slug, idx = cw_urn_index(c, slug));
    char key[CW_URN_KEY];
    snprintf(key, sizeof key, "=%s", json_string_value(id));
    if (!json_is_string(id) || json_object_get(idx, key))
        return NULL;
    json_t *found = json_object_get(idx, urn_key(key, "id:", json_string_value(id)));
    return json_is_string(found) ? found : NULL;
}

/* OSCAL writes control ids in lower case ('ac-1', 'de.ae-02') where many
 * catalogues, the shipped ones among them, write them as published
 * ('DE.AE-02').  A mapping-collection's id that its framework does not
 * store as written, but stores in another case (one id only), is taken
 * as that id, and the count is printed; an id not stored in any case is
 * left for the server to name. */
static void cw_resolve_case(cw_rpc *c, const char *file, cw_import *imp)
{
    json_t *cache = json_object();
    size_t n = 0;
    char first[160] = "";
    for (size_t b = 0; b < imp->n_batches; b++) {
        if (strcmp(imp->batches[b].method, "mapping.load") != 0)
            continue;
        size_t i;
        json_t *row;
        json_array_foreach(json_object_get(imp->batches[b].params, "mappings"), i, row)
        {
            static const char *const sides[][2] = {{"source", "source_framework"},
                                                   {"target", "target_framework"}};
            for (int s = 0; s < 2; s++) {
                const char *slug = json_string_value(json_object_get(row, sides[s][1]));
                json_t *v = json_object_get(row, sides[s][0]), *id;
                if (!slug)
                    continue;
                bool joint = json_is_array(v);
                size_t members = joint ? json_array_size(v) : 1;
                for (size_t k = 0; k < members; k++) {
                    json_t *one = joint ? json_array_get(v, k) : v;
                    if (!(id = cw_id_in_case(c, cache, slug, one)))
                        continue;
                    if (!n++)
                        snprintf(first, sizeof first, "%.60s -> %.60s", json_string_value(one),
                                 json_string_value(id));
                    if (joint)
                        json_array_set(v, k, id);
                    else
                        json_object_set(row, sides[s][0], id);
                }
            }
        }
    }
    if (n)
        fprintf(stderr,
                "%s: %zu requirement ids found in the stored frameworks in another case (%s%s)\n",
                file, n, first, n > 1 ? ", ..." : "");
    json_decref(cache);
}

/* A JSON string's text, or NULL when it is absent or empty. */
static const char *cw_nonempty(const json_t *v)
{
    const char *s = json_string_value(v);
    return s && *s ? s : NULL;
}

/* Whether a catalogue batch may go into the framework of its slug.  A
 * framework that already exists and that the file does not own (it names
 * another publisher or name, or says none while the stored one has a
 * publisher, as the shipped catalogues do) is not merged into without
 * --replace: a library of another tool that happens to use a shipped
 * slug would otherwise re-parent and re-title a catalogue every
 * organisation is measured against.  Returns 0, or CW_EXIT_ERROR after
 * saying what would change and what to do. */
static int cw_may_load_into(cw_rpc *c, const char *file, const cw_import_batch *bt, bool replace)
{
    json_t *p = bt->params;
    const char *fw = json_string_value(json_object_get(p, "framework"));
    if (!fw || replace)
        return 0;
    json_t *q = json_pack("{s:s}", "framework", fw), *have = NULL;
    char *msg = NULL;
    int r = cw_rpc_call(c, "framework.get", q, &have, &msg);
    json_decref(q);
    if (r) {
        bool absent = msg && strncmp(msg, "not_found", 9) == 0;
        if (!absent)
            fprintf(stderr, "crosswalk: %s: framework.get: %s\n", file, msg ? msg : "failed");
        free(msg);
        return absent ? 0 : CW_EXIT_ERROR;
    }
    const char *hn = cw_nonempty(json_object_get(have, "name")),
               *hp = cw_nonempty(json_object_get(have, "publisher")),
               *fn = cw_nonempty(json_object_get(p, "name")),
               *fp = cw_nonempty(json_object_get(p, "publisher"));
    bool owned = fp ? hp && strcmp(fp, hp) == 0 && (!fn || (hn && strcmp(fn, hn) == 0)) : !hp;
    if (!owned)
        fprintf(stderr,
                "crosswalk: %s: framework '%s' already holds %s%s%s (%lld requirements); this "
                "file, %s%s%s, would merge %zu requirements into it%s%s%s. Load it under a slug "
                "of its own (--framework NEW-SLUG), or give --replace to merge it into '%s'\n",
                file, fw, hn ? hn : fw, hp ? ", published by " : "", hp ? hp : "",
                (long long)json_integer_value(json_object_get(have, "requirements")),
                fn ? fn : "without a name", fp ? " by " : "", fp ? fp : "", bt->items,
                fn && hn && strcmp(fn, hn) ? " and rename it '" : "",
                fn && hn && strcmp(fn, hn) ? fn : "", fn && hn && strcmp(fn, hn) ? "'" : "", fw);
    json_decref(have);
    return owned ? 0 : CW_EXIT_ERROR;
}

int cw_cmd_load(const cw_ctx *ctx, int argc, char **argv)
{
    const char *org = NULL, *framework = NULL, *batch = NULL, *encoding = NULL, *sfw = NULL,
               *tfw = NULL, *catalog = NULL;
    bool dry = false, replace = false;
    cw_opt opts[] = {{"--org", NULL, true, &org, NULL},
                     {"--framework", NULL, true, &framework, NULL},
                     {"--batch-size", NULL, true, &batch, NULL},
                     {"--encoding", NULL, true, &encoding, NULL},
                     {"--replace", NULL, false, NULL, &replace},
                     {"--dry-run", NULL, false, NULL, &dry},
                     {"--source-framework", NULL, true, &sfw, NULL},
                     {"--target-framework", NULL, true, &tfw, NULL},
                     {"--catalog", NULL, true, &catalog, NULL}};
    char **files;
    size_t nfiles;
    int rc = cw_opts_parse("load", argc, argv, opts, sizeof opts / sizeof opts[0], cw_help_load,
                           &files, &nfiles);
    if (rc == 3)
        return 0;
    long bs = batch ? cw_parse_count(batch) : 10000;
    if (rc == 0 && nfiles == 0)
        rc = cw_usage("load", "no FILE given");
    if (rc == 0 && bs <= 0)
        rc = cw_usage("load", "--batch-size: expected a positive number, got '%s'", batch);
    if (rc) {
        free(files);
        return rc;
    }

    cw_import_opts io = {org, framework, (size_t)bs, encoding, sfw, tfw, catalog};
    cw_import *imps = calloc(nfiles, sizeof *imps);
    if (!imps) {
        free(files);
        return CW_EXIT_ERROR;
    }
    size_t problems = 0, items = 0, batches = 0;
    for (size_t i = 0; i < nfiles; i++) {
        int r = cw_import_file(files[i], &io, &imps[i]);
        for (size_t k = 0; k < imps[i].n_problems; k++) {
            const cw_import_problem *p = &imps[i].problems[k];
            fprintf(stderr, "%s: %s: %s\n", p->where, p->field, p->msg);
        }
        for (size_t k = 0; k < imps[i].n_notes; k++) {
            const cw_import_problem *p = &imps[i].notes[k];
            fprintf(stderr, "%s: %s: note: %s\n", p->where, p->field, p->msg);
        }
        problems += imps[i].n_problems;
        if (r < 0 && imps[i].n_problems == 0) {
            fprintf(stderr, "%s: file: cannot be imported\n", files[i]);
            problems++;
        }
        items += imps[i].total_items;
        batches += imps[i].n_batches;
    }
    if (problems) {
        fprintf(stderr, "crosswalk load: %zu problem%s; nothing loaded\n", problems,
                problems == 1 ? "" : "s");
        rc = CW_EXIT_ERROR;
        goto done;
    }
    if (dry) {
        for (size_t i = 0; i < nfiles; i++)
            printf("%s: %s, %zu items in %zu batch%s\n", files[i],
                   imps[i].format ? imps[i].format : "?", imps[i].total_items, imps[i].n_batches,
                   imps[i].n_batches == 1 ? "" : "es");
        printf("dry run: %zu file%s valid, %zu items in %zu batches; nothing sent\n", nfiles,
               nfiles == 1 ? "" : "s", items, batches);
        goto done;
    }

    cw_rpc c;
    if ((rc = cw_ctx_connect(ctx, &c)) != 0)
        goto done;
    cw_loading ld = {isatty(STDERR_FILENO), 0, items, {0, 0, 0, 0}, calloc(nfiles, sizeof(char *))};
    bool fates = ld.fate != NULL;
    for (size_t i = 0; fates && i < nfiles; i++)
        fates = (ld.fate[i] = calloc(imps[i].n_batches + 1, 1)) != NULL;
    if (!fates) {
        fprintf(stderr, "crosswalk: out of memory\n");
        rc = CW_EXIT_ERROR;
    } else if (org) {
        rc = cw_ensure_org(&c, org, ld.totals);
    }
    /* Every catalogue is checked before anything is sent. */
    for (size_t i = 0; i < nfiles && rc == 0; i++)
        for (size_t b = 0; b < imps[i].n_batches; b++)
            if (strcmp(imps[i].batches[b].method, "catalog.load") == 0 &&
                cw_may_load_into(&c, files[i], &imps[i].batches[b], replace))
                rc = CW_EXIT_ERROR;
    /* Packed (evidence) batches are pipelined a few deep: the server groups
     * writes that wait together into one commit, and the next batch is on
     * its way while one commits.  Answers come back in order; after a
     * failure nothing more is sent, the batches already sent are still
     * waited for and counted if they were applied. */
    enum { DEPTH = 8 };
    struct flight {
        size_t file, batch;
        uint32_t id;
    } fl[DEPTH];
    size_t nfl = 0, head = 0;
    for (size_t i = 0; i < nfiles; i++) {
        for (size_t b = 0; b <= imps[i].n_batches; b++) {
            const cw_import_batch *bt = b < imps[i].n_batches ? &imps[i].batches[b] : NULL;
            bool last = i == nfiles - 1 && !bt;
            /* Wait while the pipeline is full, before an unpacked batch
             * (sent and answered alone), after a failure, and at the end. */
            while (nfl && (nfl == DEPTH || (bt && !bt->packed) || rc || last)) {
                struct flight *f = &fl[head];
                json_t *res = NULL;
                char *msg = NULL;
                int r = cw_rpc_wait(&c, f->id, &res, &msg);
                head = (head + 1) % DEPTH;
                nfl--;
                if (cw_batch_answered(&ld, f->file, files[f->file], &imps[f->file], f->batch, r,
                                      res, msg))
                    rc = CW_EXIT_ERROR;
            }
            if (!bt || rc)
                continue;
            /* after the files before it are stored: a framework library
             * given first in the same command is found */
            if (b == 0 && imps[i].urn_refs)
                cw_resolve_urns(&c, files[i], &imps[i]);
            if (b == 0 && imps[i].format && strcmp(imps[i].format, "oscal-mapping") == 0)
                cw_resolve_case(&c, files[i], &imps[i]);
            char *msg = NULL;
            json_t *res = NULL;
            int r;
            if (bt->packed) {
                struct flight *f = &fl[(head + nfl) % DEPTH];
                *f = (struct flight){i, b, 0};
                r = cw_rpc_send_packed(&c, bt->method, bt->packed, bt->packed_len, &f->id, &msg);
                if (!r) {
                    nfl++;
                    continue;
                }
            } else {
                r = cw_rpc_call(&c, bt->method, bt->params, &res, &msg);
            }
            if (cw_batch_answered(&ld, i, files[i], &imps[i], b, r, res, msg))
                rc = CW_EXIT_ERROR;
        }
    }
    if (ld.bar && rc == 0)
        fputc('\n', stderr);
    cw_rpc_close(&c);
    printf("%s %zu of %zu items from %zu file%s: created %ld, updated %ld, rejected %ld\n",
           rc ? "stopped after" : "loaded", ld.done, items, nfiles, nfiles == 1 ? "" : "s",
           ld.totals[0], ld.totals[1], ld.totals[3]);
    if (rc && fates)
        cw_report_fates(&ld, files, imps, nfiles);
    for (size_t i = 0; ld.fate && i < nfiles; i++)
        free(ld.fate[i]);
    free(ld.fate);
done:
    for (size_t i = 0; i < nfiles; i++)
        cw_import_free(&imps[i]);
    free(imps);
    free(files);
    return rc;
}

int cw_cmd_export(const cw_ctx *ctx, int argc, char **argv)
{
    const char *fw = NULL, *target = NULL, *format = NULL, *output = NULL;
    cw_opt opts[] = {{"--framework", NULL, true, &fw, NULL},
                     {"--target-framework", NULL, true, &target, NULL},
                     {"--format", NULL, true, &format, NULL},
                     {"--output", "-o", true, &output, NULL}};
    int rc = cw_opts_parse_only("export", argc, argv, opts, sizeof opts / sizeof opts[0],
                                cw_help_export);
    if (rc)
        return rc == 3 ? 0 : rc;
    if (!fw)
        return cw_usage("export", "--framework is required");
    bool oscal = false;
    if (format) {
        if (strcmp(format, "oscal") == 0)
            oscal = true;
        else if (strcmp(format, "csv") != 0)
            return cw_usage("export", "--format: expected csv or oscal, got '%s'", format);
    } else if (output && strlen(output) > 5 &&
               strcasecmp(output + strlen(output) - 5, ".json") == 0) {
        oscal = true;
    }
    cw_rpc c;
    if ((rc = cw_ctx_connect(ctx, &c)) != 0)
        return rc;
    /* mapping.export gives the rows as stored (direction, origin, a joint
     * row's set), so loading the export back updates them instead of
     * adding reversed or merged copies. */
    json_t *p = json_pack("{s:s}", "framework", fw), *rows = NULL;
    if (target)
        json_object_set_new(p, "target_framework", json_string(target));
    rc = cw_ctx_call(&c, "mapping.export", p, &rows);
    json_decref(p);
    cw_rpc_close(&c);
    if (rc)
        return rc;
    FILE *out = output ? fopen(output, "w") : stdout;
    if (!out) {
        fprintf(stderr, "crosswalk: -o %s: %s\n", output, strerror(errno));
        json_decref(rows);
        return CW_EXIT_ERROR;
    }
    /* Rows may be stored in either direction: no source/target filter. */
    int w = oscal ? cw_export_oscal(out, rows, NULL, NULL) : cw_export_csv(out, rows);
    if (fflush(out))
        w = -1;
    if (output && fclose(out))
        w = -1;
    json_decref(rows);
    if (w) {
        fprintf(stderr, "crosswalk: export: writing %s failed\n",
                output ? output : "standard output");
        return CW_EXIT_ERROR;
    }
    return 0;
}
