/* Framework bundles: the shipped catalogues and crosswalks as one msgpack
 * document, and the loader that puts a bundle into a store in one
 * transaction.
 *
 * The build generates the bundle from the CSV files in frameworks/
 * (tools/fwbundle) and embeds it as cw_frameworks_bundle in the static
 * library cwframeworks, so crosswalkd can fill an empty data directory on first
 * start with no files beside the binary.
 *
 * Bundle format, version 2 (one msgpack value, nothing after it):
 *
 *   map {
 *     "format":     "crosswalk-bundle",
 *     "version":    2,
 *     "frameworks": [ map {
 *         "slug", "name", "version", "publisher", "licence": str,
 *         "requirements": [ [id, parent|nil, kind, title, description|nil,
 *                            map { attribute name: [value str, ...] },
 *                            (assessable: nil|bool, status: "active"|"withdrawn")],
 *                           ... ]
 *       }, ... ],
 *     "mappings":   [ [source_fw, source_id | [source_id, ...], target_fw,
 *                      target_id, relationship, strength, rationale|nil,
 *                      origin, (note|nil)], ... ]
 *   }
 *
 * The elements in parentheses are new in version 2 and may be left out
 * (a requirement of 6 elements, a mapping of 8): version 1 bundles load
 * unchanged.  A mapping whose source is an array of 2..64 ids is a joint
 * row (docs/SEMANTICS.md §2.3).
 *
 * Requirements are in publisher order, each parent before its children;
 * relationship is one of the docs/SEMANTICS.md §1 names; strength is an integer 0..10,
 * 0 meaning "not given".  Keys of the top map and of a framework map may
 * come in any order; unknown keys are skipped so a later minor revision can
 * add fields without breaking older loaders.  Strings are UTF-8 msgpack
 * str values without NUL bytes. */
#ifndef CROSSWALK_BUNDLE_H
#define CROSSWALK_BUNDLE_H

#include "crosswalk/db.h"
#include "crosswalk/model.h"

#include <stddef.h>

#define CW_BUNDLE_FORMAT "crosswalk-bundle"
#define CW_BUNDLE_VERSION 2

/* Decodes the bundle buf[0..len) and loads every framework (cw_catalog_load,
 * upsert: requirements already stored but absent from the bundle are kept)
 * and then every crosswalk row (cw_mapping_load) inside one explicit write
 * transaction, so the load is all or nothing.  A full map aborts the
 * transaction, grows the map and replays the whole load.
 *
 * The whole document is decoded and checked before the store is touched:
 * malformed input (truncated, wrong types, counts the remaining bytes
 * cannot hold, trailing bytes, a framework twice) gives CW_EINVAL with a
 * message naming the place, e.g. "bundle: frameworks[1].requirements[7][3]:
 * expected a string at byte 1234".  Errors from the engine's own checks
 * keep their code, with the message prefixed by the framework or
 * "mappings".  buf is borrowed; nothing is kept after return.  st (may be
 * NULL) sums created/updated over all calls of the successful attempt. */
int cw_bundle_load(cw_db *db, const void *buf, size_t len, cw_bulk_stats *st, cw_err *err);

/* The bundle generated at build time from the CSV files in frameworks/;
 * defined in the generated frameworks_bundle.c of the static library
 * cwframeworks (link it to use these).  Static storage. */
extern const unsigned char cw_frameworks_bundle[];
extern const size_t cw_frameworks_bundle_len;

#endif
