/* The method table: one entry per CW_METHODS line of methods.def, in its
 * (sorted) order, each running the method's generated argument decoder and
 * then its handler cw_h_<id> (m_*.c).  The dispatcher finds methods here
 * by name; nothing else about a method is written down twice. */
#include "server.h"

#include <string.h>

#define CW_X_RUN(id, name, flags, doc)                                                             \
    static int run_##id(cw_call *k, const msgpack_object *map, msgpack_packer *pk, cw_err *err)    \
    {                                                                                              \
        cw_args_##id *args = cw_arena_alloc(k->a, sizeof *args);                                   \
        if (!args)                                                                                 \
            return cw_err_set(err, CW_ENOMEM, "out of memory");                                    \
        int rc = cw_decode_##id(map, k->a, args, err);                                             \
        return rc ? rc : cw_h_##id(k, args, pk, err);                                              \
    }
CW_METHODS(CW_X_RUN)
#undef CW_X_RUN

/* Each method's arguments in declared order: the positional order. */
#define CW_N_A(T, key, req, doc) #key,
#define CW_N_L(key, item, req, doc) #key,
#define CW_N_B(key, item, req, doc) #key,
#define CW_X_NAMES(id, name, flags, doc)                                                           \
    static const char *const names_##id[] = {CW_ARGS_##id(CW_N_A, CW_N_L, CW_N_B) NULL};
CW_METHODS(CW_X_NAMES)
#undef CW_X_NAMES
#undef CW_N_A
#undef CW_N_L
#undef CW_N_B

#define CW_X_ENTRY(id, name, flags, doc) {name, flags, CW_METHOD_KEYS(id), names_##id, run_##id},
static const cw_method methods[] = {CW_METHODS(CW_X_ENTRY)};
#undef CW_X_ENTRY

size_t cw_method_count(void)
{
    return sizeof methods / sizeof methods[0];
}

const cw_method *cw_method_at(size_t i)
{
    return &methods[i];
}

int cw_methods_check(cw_err *err)
{
    for (size_t i = 1; i < cw_method_count(); i++)
        if (strcmp(methods[i - 1].name, methods[i].name) >= 0)
            return cw_err_set(err, CW_EINVAL, "methods.def: '%s' is not sorted before '%s'",
                              methods[i - 1].name, methods[i].name);
    return 0;
}

const cw_method *cw_method_find(const char *name, size_t len)
{
    /* Names arrive as length-counted bytes (possibly empty, possibly with
     * NULs): compare them as such. */
    if (!name || len == 0 || len > 64)
        return NULL;
    size_t lo = 0, hi = cw_method_count();
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        size_t ml = strlen(methods[mid].name);
        int c = memcmp(methods[mid].name, name, ml < len ? ml : len);
        if (c == 0 && ml != len)
            c = ml < len ? -1 : 1;
        if (c == 0)
            return &methods[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}
