/* The shared msgpack idioms of crosswalk/mpack.h. */
#include "crosswalk/mpack.h"

#include <string.h>

void cw_mp_str(msgpack_packer *pk, const char *s)
{
    if (!s) {
        msgpack_pack_nil(pk);
        return;
    }
    size_t n = strlen(s);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

void cw_mp_kv_str(msgpack_packer *pk, const char *k, const char *v)
{
    cw_mp_str(pk, k);
    cw_mp_str(pk, v);
}

void cw_mp_kv_int(msgpack_packer *pk, const char *k, int64_t v)
{
    cw_mp_str(pk, k);
    msgpack_pack_int64(pk, v);
}

const msgpack_object *cw_mp_get(const msgpack_object *map, const char *key)
{
    if (!map || map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t kl = strlen(key);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        if ((k->type == MSGPACK_OBJECT_STR && k->via.str.size == kl &&
             memcmp(k->via.str.ptr, key, kl) == 0) ||
            (k->type == MSGPACK_OBJECT_BIN && k->via.bin.size == kl &&
             memcmp(k->via.bin.ptr, key, kl) == 0))
            return &map->via.map.ptr[i].val;
    }
    return NULL;
}
