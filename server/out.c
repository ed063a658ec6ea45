/* A connection's pending output: answers are packed straight into one
 * growing buffer, and a large shared answer body (a render-cache blob) is
 * appended by reference as a segment of its own, so hundreds of kilobytes
 * are never copied per answer.  conn.c hands it all to the socket in one
 * write.  No libuv here: the fuzzers drive it without a socket. */
#include "server.h"

#include <stdlib.h>
#include <string.h>

cw_blob *cw_blob_new(const msgpack_sbuffer *sb)
{
    cw_blob *b = malloc(sizeof *b + sb->size);
    if (!b)
        return NULL;
    b->refs = 1;
    b->len = sb->size;
    memcpy(b->data, sb->data, sb->size);
    return b;
}

void cw_blob_unref(cw_blob *b)
{
    if (b && --b->refs == 0)
        free(b);
}

void cw_segs_free(cw_seg *segs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(segs[i].own);
        cw_blob_unref(segs[i].blob);
    }
    free(segs);
}

void cw_out_init(cw_out *o)
{
    memset(o, 0, sizeof *o);
    msgpack_sbuffer_init(&o->buf);
}

void cw_out_free(cw_out *o)
{
    msgpack_sbuffer_destroy(&o->buf);
    cw_segs_free(o->segs, o->nsegs);
    o->segs = NULL;
    o->nsegs = o->segs_cap = o->seg_bytes = 0;
}

size_t cw_out_pending(const cw_out *o)
{
    return o->buf.size + o->seg_bytes;
}

static bool segs_reserve(cw_out *o, size_t more)
{
    if (o->nsegs + more <= o->segs_cap)
        return true;
    size_t cap = o->segs_cap ? o->segs_cap * 2 : 8;
    while (cap < o->nsegs + more)
        cap *= 2;
    cw_seg *n = realloc(o->segs, cap * sizeof *n);
    if (!n)
        return false;
    o->segs = n;
    o->segs_cap = cap;
    return true;
}

/* Moves what buf holds into a segment of its own (buf starts afresh);
 * room for it was reserved. */
static void buf_to_seg(cw_out *o)
{
    size_t len = o->buf.size;
    o->segs[o->nsegs++] = (cw_seg){msgpack_sbuffer_release(&o->buf), NULL, len};
    o->seg_bytes += len;
}

int cw_out_send_blob(cw_out *o, cw_blob *b)
{
    if (!segs_reserve(o, 2))
        return CW_ENOMEM;
    if (o->buf.size)
        buf_to_seg(o);
    b->refs++;
    o->segs[o->nsegs++] = (cw_seg){NULL, b, b->len};
    o->seg_bytes += b->len;
    return 0;
}

void cw_out_take(cw_out *o, msgpack_sbuffer *to)
{
    for (size_t i = 0; i < o->nsegs; i++)
        msgpack_sbuffer_write(to, o->segs[i].own ? o->segs[i].own : o->segs[i].blob->data,
                              o->segs[i].len);
    msgpack_sbuffer_write(to, o->buf.data, o->buf.size);
    cw_segs_free(o->segs, o->nsegs);
    o->segs = NULL;
    o->nsegs = o->segs_cap = o->seg_bytes = 0;
    msgpack_sbuffer_clear(&o->buf);
}

int cw_out_detach(cw_out *o, char **base, cw_seg **segs, size_t *nsegs, size_t *len)
{
    *base = NULL;
    *segs = NULL;
    *nsegs = 0;
    if (o->nsegs == 0) {
        *len = o->buf.size;
        *base = msgpack_sbuffer_release(&o->buf);
        return 0;
    }
    if (o->buf.size) {
        if (!segs_reserve(o, 1))
            return CW_ENOMEM;
        buf_to_seg(o);
    }
    *segs = o->segs;
    *nsegs = o->nsegs;
    *len = o->seg_bytes;
    o->segs = NULL;
    o->nsegs = o->segs_cap = o->seg_bytes = 0;
    return 0;
}
