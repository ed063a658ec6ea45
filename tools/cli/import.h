/* Importers and exporters of the `crosswalk` client: turn a user's file into
 * the RPC batches that load it, and turn crosswalk rows back into files.
 *
 * cw_import_file reads one file, recognises its format from the content
 * (never from the file name), parses it with a maintained library (libcsv,
 * jansson, libyaml), validates every field and converts it into a list of
 * batches, each one named-argument object for one RPC method
 * (catalog.load, mapping.load, evidence.load, control.put).  It never
 * talks to a server: the caller (load.c) sends the batches in order, and
 * only when the file produced no problems, so a file is loaded completely
 * or not at all.  Every problem names where it is ("file:line" for CSV and
 * YAML, "file:$.json.path" for JSON), the field and what is wrong.
 *
 * cw_export_csv / cw_export_oscal write the rows of a mapping.export
 * answer (joint rows included) as the project's crosswalk CSV or as an
 * OSCAL 1.2 mapping-collection, in a form cw_import_file reads back
 * unchanged.
 *
 * The format rules (how each foreign format maps onto crosswalk's model)
 * are listed in the README of the CLI; the implementations are
 * import_common.c (reading, detection, shared checks), import_csv.c (the
 * four CSV formats and the CSV export), import_oscal.c (OSCAL catalog and
 * mapping-collection, and the OSCAL export), import_profile.c (an OSCAL
 * profile resolved against its catalog) and import_yaml.c (GRC YAML
 * libraries).
 *
 * Ownership: a cw_import is filled by cw_import_file and owns its batches'
 * params and its problems; release it with cw_import_free (also after a
 * failed import).  Strings named "static" point to constants.  json_t
 * arguments of the export functions are borrowed. */
#ifndef CW_IMPORT_H
#define CW_IMPORT_H

#include <crosswalk/model.h>
#include <crosswalk/strmap.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

typedef struct cw_import_problem {
    char where[256]; /* "file:line" or "file:$.json.path" */
    char field[96];
    char msg[256];
} cw_import_problem;

typedef struct cw_import_batch {
    /* static: "catalog.load", "mapping.load", "evidence.load", "org.put", "control.put" */
    const char *method;
    json_t *params; /* owned: the one named-argument object to send, or NULL when packed */
    /* owned: the same object already packed as msgpack (evidence files,
     * which run to millions of items: a JSON tree per item cost gigabytes) */
    char *packed;
    size_t packed_len;
    size_t items;
} cw_import_batch;

typedef struct cw_import_opts {
    const char *org;       /* for evidence files */
    const char *framework; /* slug override for catalogue files */
    size_t batch_size;     /* evidence items per batch, default 10000 */
    const char *encoding;  /* the file's character set when not UTF-8 (iconv name), or NULL */
    /* the frameworks of a mapping file's sources and targets, when the file
     * does not say them in a way the reader understands (or NULL) */
    const char *source_framework, *target_framework;
    /* the OSCAL JSON catalog an OSCAL profile selects from (--catalog), or
     * NULL: without it a profile is refused */
    const char *catalog_path;
} cw_import_opts;

typedef struct cw_import {
    /* static name: "csv-catalog", "csv-crosswalk", "csv-evidence", "csv-controls",
     * "oscal-catalog", "oscal-mapping", "oscal-profile", "grc-yaml"; NULL when not
     * recognised */
    const char *format;
    cw_import_batch *batches;
    size_t n_batches;
    cw_import_problem *problems;
    size_t n_problems;
    /* what a reader did that the user should know and that does not stop
     * the file loading (an identical row given twice, dropped) */
    cw_import_problem *notes;
    size_t n_notes;
    /* GRC libraries: requirement URNs of frameworks not in the file, to be
     * looked up among the stored requirements' "urn" attributes when the
     * file is loaded (cw_load_resolve_urns).  An array of
     * [row, "source"|"target", member or -1, urn], row counting the
     * mapping.load rows of the file in order; NULL when there are none.
     * Until then each holds the id the URN convention gives. */
    json_t *urn_refs;
    size_t total_items;
} cw_import;

/* Detects the format from the content (not the file name), parses and
 * validates the whole file; never talks to a server.  Returns 0 when the
 * file was read (problems may still be listed: callers must load nothing if
 * n_problems > 0), negative when it cannot be read at all (a problem
 * describes why: it cannot be opened, is not valid JSON/YAML, or is in no
 * known format).  opts may be NULL.  Free with cw_import_free. */
int cw_import_file(const char *path, const cw_import_opts *opts, cw_import *out);
void cw_import_free(cw_import *imp);

/* Export: given the JSON answer array of mapping.export (rows as stored:
 * source_framework, source (a string, or an array for a joint row),
 * target_framework, target, relationship, strength, rationale, origin,
 * note) write the project's crosswalk CSV, or an OSCAL 1.2
 * mapping-collection JSON document.  cw_export_oscal keeps only rows from
 * source_fw to target_fw when those are non-NULL.  Both return 0, or -1
 * when rows is not an array or writing fails. */
int cw_export_csv(FILE *out, json_t *rows);
int cw_export_oscal(FILE *out, json_t *rows, const char *source_fw, const char *target_fw);

/* ---- shared by the import_*.c files only (not for other callers) ------- */

#define CW_IMP_MAX_PROBLEMS 500
/* The engine's limits (crosswalk/model.h). */
#define CW_IMP_MAX_ID CW_MAX_ID
#define CW_IMP_MAX_SLUG CW_MAX_SLUG
#define CW_IMP_MAX_TEXT CW_MAX_TEXT

/* Records a problem; past CW_IMP_MAX_PROBLEMS one last "too many problems"
 * entry is kept and the rest are dropped. */
void cw_imp_problem(cw_import *imp, const char *where, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Same, with where = "file:line". */
void cw_imp_problem_at(cw_import *imp, const char *file, long line, const char *field,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Records a note (see cw_import.notes): printed, not a problem; the
 * _at form with where = "file:line". */
void cw_imp_note(cw_import *imp, const char *where, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void cw_imp_note_at(cw_import *imp, const char *file, long line, const char *field, const char *fmt,
                    ...) __attribute__((format(printf, 5, 6)));
/* Appends a batch; params is stolen.  Returns 0 or -1 (out of memory). */
int cw_imp_batch(cw_import *imp, const char *method, json_t *params, size_t items);
/* Appends a pre-packed batch {org: org, key: [n items]}: items holds the n
 * items' msgpack bytes (borrowed, copied).  Returns 0 or -1. */
int cw_imp_packed_batch(cw_import *imp, const char *method, const char *org, const char *key,
                        const char *items, size_t len, size_t n);
/* Splits items (borrowed) into batches of at most batch_size elements: each
 * batch is a copy of base (borrowed) plus key: the slice. */
int cw_imp_batches(cw_import *imp, const char *method, json_t *base, const char *key, json_t *items,
                   size_t batch_size);
/* Queues crosswalk rows as mapping.load batches {mappings: [...]} of at
 * most batch_size rows; rows is stolen (released here, whatever the
 * outcome).  Returns 0 or -1 (out of memory). */
int cw_imp_mapping_batches(cw_import *imp, json_t *rows, size_t batch_size);
/* Sets the fields a crosswalk row (row, borrowed) ends with in every
 * mapping reader: strength when above 0, rationale when given and not
 * empty, and origin. */
void cw_imp_mapping_tail(json_t *row, long strength, const char *rationale, const char *origin);

/* Lower-cases s and turns every run of characters other than [a-z0-9] into
 * one '-', trimming '-' at both ends, into out (at most 64 bytes).  Returns
 * 0 when the result is a valid slug, -1 otherwise. */
int cw_imp_slugify(const char *s, char *out, size_t outlen);
/* An id the server accepts: non-empty, at most 128 bytes, no control
 * characters.  Returns NULL when fine, else a static reason. */
const char *cw_imp_id_problem(const char *s);
/* A time: RFC 3339 (returned as a string, unchanged) or integer Unix
 * seconds (returned as an integer).  Returns 0 and fills *out (new
 * reference; out may be NULL to only check) and *epoch, or -1. */
int cw_imp_time(const char *s, json_t **out, long long *epoch);

/* A string set/map for duplicate checks and look-ups: the shared string
 * map (crosswalk/strmap.h) over copies of the keys, kept in an arena of
 * its own.  A zeroed cw_imp_map is empty; cw_imp_map_free releases the
 * arena with every key. */
typedef struct cw_imp_map {
    cw_arena *arena; /* owned; NULL until the first put */
    cw_strmap map;
} cw_imp_map;
/* Inserts key -> val.  Returns 1 (and *old, when non-NULL, gets the
 * stored value) when key was present, 0 when inserted, -1 out of memory. */
int cw_imp_map_put(cw_imp_map *m, const char *key, long val, long *old);
/* Returns 1 and fills *val (when non-NULL) when key is present, else 0. */
int cw_imp_map_get(const cw_imp_map *m, const char *key, long *val);
void cw_imp_map_free(cw_imp_map *m);

/* Per-format readers: add batches and problems to imp.  name is the path
 * used in problem locations. */
int cw_imp_csv(cw_import *imp, const char *name, const char *data, size_t len,
               const cw_import_opts *opts);
int cw_imp_oscal_catalog(cw_import *imp, const char *name, json_t *root,
                         const cw_import_opts *opts);
int cw_imp_oscal_mapping(cw_import *imp, const char *name, json_t *root,
                         const cw_import_opts *opts);
/* An XML document (import_xml.c): an OSCAL catalog is read through
 * cw_imp_oscal_catalog; other roots are refused with a problem (-1). */
int cw_imp_xml(cw_import *imp, const char *name, const char *data, size_t len,
               const cw_import_opts *opts);

/* An OSCAL profile resolved against opts->catalog_path (import_profile.c):
 * one catalog.load of the selected controls.  Returns -1 when there is no
 * catalog to resolve against or it cannot be read, else 0. */
int cw_imp_oscal_profile(cw_import *imp, const char *name, json_t *root,
                         const cw_import_opts *opts);
/* The ISMS registers as CSV (import_isms.c): cw_imp_isms_kind tells from
 * the header line whether data is a risk register (1), an asset register
 * (2) or neither (0); cw_imp_isms_csv reads one into risk.put or asset.put
 * batches for opts->org. */
int cw_imp_isms_kind(const char *data, size_t len);
int cw_imp_isms_csv(cw_import *imp, const char *name, const char *data, size_t len,
                    const cw_import_opts *opts);
/* Returns 1 when data is valid YAML but not a GRC library (nothing
 * recorded, imp->format left NULL), -1 when it is not valid YAML (a problem
 * recorded). */
int cw_imp_yaml(cw_import *imp, const char *name, const char *data, size_t len,
                const cw_import_opts *opts);

#endif
