/* Answer packing shared by the handlers and the dispatcher (pack.c).  Every
 * helper packs into a msgpack_packer the caller owns; strings are packed
 * by copy, NULL as nil. */
#ifndef CW_PACK_H
#define CW_PACK_H

#include "crosswalk/model.h"
#include "crosswalk/query.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

void pk_str(msgpack_packer *pk, const char *s); /* NULL packs nil */
void pk_key(msgpack_packer *pk, const char *k);
void pk_kv_str(msgpack_packer *pk, const char *k, const char *v);
void pk_kv_int(msgpack_packer *pk, const char *k, int64_t v);
void pk_kv_bool(msgpack_packer *pk, const char *k, bool v);
void pk_kv_double(msgpack_packer *pk, const char *k, double v);
void pk_kv_time(msgpack_packer *pk, const char *k, cw_time t);
void pk_time(msgpack_packer *pk, cw_time t);
void pk_strs(msgpack_packer *pk, const char *const *v, size_t n);

/* {created, updated, deleted, rejected, unchanged} of a bulk write. */
void pk_stats(msgpack_packer *pk, const cw_bulk_stats *st);
/* Those five keys and values alone, into a map the caller opened. */
void pk_stats_fields(msgpack_packer *pk, const cw_bulk_stats *st);
/* A list answer: the n elements of arr as an array, each packed by
 * fn(pk, &arr[i]). */
#define PK_LIST(pk, arr, n, fn)                                                                    \
    do {                                                                                           \
        msgpack_pack_array(pk, n);                                                                 \
        for (size_t i_ = 0; i_ < (size_t)(n); i_++)                                                \
            fn(pk, &(arr)[i_]);                                                                    \
    } while (0)

/* A write handler's answer: rc when the write failed, else 0 with the
 * bulk counts packed. */
int pk_stats_unless(int rc, msgpack_packer *pk, const cw_bulk_stats *st);
/* The engine names fields as in a batch; a single item's error reads
 * better without the "<list_key>[0]." prefix, taken off err's message when
 * the call was not a list (bulk false).  Returns rc. */
int pk_single_error(int rc, bool bulk, const char *list_key, cw_err *err);
/* A delete's answer: rc when it failed, else 0 with {deleted: 1}. */
int pk_deleted_unless(int rc, msgpack_packer *pk);
/* A time that may be absent: its RFC 3339 form, or nil. */
void pk_kv_when(msgpack_packer *pk, const char *k, cw_when w);
/* The finding that set a status, in short: {id, audit, kind, status}, or
 * nil for NULL; a list of findings' ids; a finding in full, with whether
 * it is open and its corrective action overdue at t. */
void pk_finding_ref(msgpack_packer *pk, const cw_audit_finding *f);
void pk_finding_ids(msgpack_packer *pk, const cw_audit_finding *const *fs, size_t n);
void pk_finding(msgpack_packer *pk, const cw_audit_finding *f, cw_time t);
/* Counts per status {met, partial, ..., gap}. */
void pk_counts(msgpack_packer *pk, const size_t *counts);
/* CW_REASON_* bits as the list of their words: risk, legal, contractual,
 * business. */
void pk_reasons(msgpack_packer *pk, unsigned reasons);
/* {framework, id} */
void pk_ref(msgpack_packer *pk, const cw_ref *r);
/* A mapping path {from, steps, composed, strength, inferred, hops}, or nil. */
void pk_path(msgpack_packer *pk, const cw_path *p);
/* A crosswalk row as mapping.load takes it: source is a string, or the
 * set of a joint row. */
void pk_row(msgpack_packer *pk, const cw_mapping *m);

/* Packs a full error response [1, msgid, [code, "name: msg"], nil]; with
 * nvim the code is 1 for a mistake in the request (parse_error through
 * invalid_params) and 0 for the rest, the two kinds Neovim's rpcrequest()
 * shows (the message still starts with the error's name). */
void cw_pack_error(msgpack_packer *pk, uint64_t msgid, int proto_code, const char *msg, bool nvim);

#endif
