/* The msgpack idioms every layer writes and reads the same way: a string
 * (nil for NULL), a string key with its value, and a map's value by key.
 * The engine's records, the server's answers and the tools' requests all
 * go through these, so a map key is always a string and a missing string
 * is always nil. */
#ifndef CROSSWALK_MPACK_H
#define CROSSWALK_MPACK_H

#include <msgpack.h>
#include <stdint.h>

/* s as a msgpack string, or nil when s is NULL. */
void cw_mp_str(msgpack_packer *pk, const char *s);
/* The key k, then v as cw_mp_str packs it. */
void cw_mp_kv_str(msgpack_packer *pk, const char *k, const char *v);
/* The key k, then v. */
void cw_mp_kv_int(msgpack_packer *pk, const char *k, int64_t v);

/* The value of key in map (keys compared as strings, or binary from
 * clients that pack them so), or NULL when map is not a map or has no such
 * key.  The result points into map. */
const msgpack_object *cw_mp_get(const msgpack_object *map, const char *key);

#endif
