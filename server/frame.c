/* The msgpack stream scanner of frame.h.  It reads only type headers: for
 * every string, binary and extension it checks the declared length against
 * the message limit, for every array and map it checks that the declared
 * count could fit (each element takes at least one byte) and that nesting
 * stays within bounds, and it counts elements to find where the message
 * ends and what decoding it would cost (CW_FRAME_DECODE_RATIO).  Only then
 * does msgpack-c see the bytes. */
#include "frame.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void cw_frame_init(cw_frame *f, size_t max_message, unsigned max_depth)
{
    memset(f, 0, sizeof *f);
    f->max_message = max_message;
    f->max_depth = max_depth > CW_FRAME_MAX_DEPTH ? CW_FRAME_MAX_DEPTH : max_depth;
}

static uint64_t be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static void reset(cw_frame *f)
{
    f->pos = 0;
    f->depth = 0;
    f->objects = 0;
}

/* The decoded cost of n elements against what a message of len bytes may
 * cost (CW_FRAME_DECODE_RATIO). */
static bool too_costly(uint64_t n, size_t len)
{
    return n * CW_FRAME_OBJECT_BYTES >
           (uint64_t)len * CW_FRAME_DECODE_RATIO + CW_FRAME_DECODE_SLACK;
}

int cw_frame_scan(cw_frame *f, const unsigned char *buf, size_t len, size_t *len_out)
{
    if (f->pos == 0 && f->depth == 0) {
        f->remain[0] = 1; /* one top-level object */
    }
    while (f->pos < len) {
        size_t p = f->pos;
        /* Positional, so the verdict does not depend on how bytes arrive. */
        if (p >= f->max_message) {
            snprintf(f->why, sizeof f->why, "message longer than the %zu-byte limit",
                     f->max_message);
            reset(f);
            return CW_FRAME_TOO_LARGE;
        }
        unsigned char b = buf[p];
        size_t hdr = 1;
        uint64_t body = 0, items = 0;
        int lenbytes = 0;

        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
            /* fixint, nil, bool */
        } else if (b >= 0x80 && b <= 0x8f) {
            items = (uint64_t)(b & 0x0f) * 2;
        } else if (b >= 0x90 && b <= 0x9f) {
            items = b & 0x0f;
        } else if (b >= 0xa0 && b <= 0xbf) {
            body = b & 0x1f;
        } else {
            switch (b) {
            case 0xc4:
            case 0xd9: lenbytes = 1; break; /* bin8, str8 */
            case 0xc5:
            case 0xda: lenbytes = 2; break; /* bin16, str16 */
            case 0xc6:
            case 0xdb: lenbytes = 4; break; /* bin32, str32 */
            case 0xc7: lenbytes = 1; break; /* ext8 */
            case 0xc8: lenbytes = 2; break; /* ext16 */
            case 0xc9: lenbytes = 4; break; /* ext32 */
            case 0xca: body = 4; break;     /* float32 */
            case 0xcb: body = 8; break;     /* float64 */
            case 0xcc:
            case 0xd0: body = 1; break;
            case 0xcd:
            case 0xd1: body = 2; break;
            case 0xce:
            case 0xd2: body = 4; break;
            case 0xcf:
            case 0xd3: body = 8; break;
            case 0xd4: body = 2; break; /* fixext1: type + 1 */
            case 0xd5: body = 3; break;
            case 0xd6: body = 5; break;
            case 0xd7: body = 9; break;
            case 0xd8: body = 17; break;
            case 0xdc: lenbytes = 2; break; /* array16 */
            case 0xdd: lenbytes = 4; break; /* array32 */
            case 0xde: lenbytes = 2; break; /* map16 */
            case 0xdf: lenbytes = 4; break; /* map32 */
            default:
                snprintf(f->why, sizeof f->why, "byte 0x%02x at offset %zu is not a msgpack type",
                         b, p);
                reset(f);
                return CW_FRAME_PARSE;
            }
            if (lenbytes) {
                if (p + 1 + (size_t)lenbytes > len)
                    goto more;
                uint64_t n = be(buf + p + 1, lenbytes);
                hdr += (size_t)lenbytes;
                if (b == 0xdc || b == 0xdd)
                    items = n;
                else if (b == 0xde || b == 0xdf)
                    items = n * 2;
                else if (b >= 0xc7 && b <= 0xc9)
                    body = n + 1; /* type byte then data */
                else
                    body = n;
            }
        }

        /* Limits from the header alone. */
        if (body > f->max_message || p + hdr + body > f->max_message) {
            snprintf(f->why, sizeof f->why,
                     "a value at offset %zu declares %llu bytes; the message limit is %zu", p,
                     (unsigned long long)body, f->max_message);
            reset(f);
            return CW_FRAME_TOO_LARGE;
        }
        if (items > f->max_message || p + hdr + items > f->max_message) {
            snprintf(f->why, sizeof f->why,
                     "a container at offset %zu declares %llu elements; the message limit is "
                     "%zu bytes",
                     p, (unsigned long long)items, f->max_message);
            reset(f);
            return CW_FRAME_TOO_LARGE;
        }
        if (p + hdr + body > len)
            goto more;
        f->pos = p + hdr + body;
        /* Decode amplification is bounded before anything is decoded: the
         * limit's own bound already here, the message's at its end. */
        if (too_costly(++f->objects, f->max_message)) {
            snprintf(f->why, sizeof f->why,
                     "the message would decode to more than %d times the %zu-byte limit "
                     "(%llu elements by offset %zu)",
                     CW_FRAME_DECODE_RATIO, f->max_message, (unsigned long long)f->objects, p);
            reset(f);
            return CW_FRAME_TOO_LARGE;
        }
        bool container = (b >= 0x80 && b <= 0x9f) || (b >= 0xdc && b <= 0xdf);
        /* This element fills one slot of its parent. */
        f->remain[f->depth]--;
        if (container && items > 0) {
            if (f->depth + 1 > f->max_depth) {
                snprintf(f->why, sizeof f->why, "nesting deeper than %u at offset %zu",
                         f->max_depth, p);
                reset(f);
                return CW_FRAME_TOO_LARGE;
            }
            f->remain[++f->depth] = items;
            continue;
        }
        while (f->depth > 0 && f->remain[f->depth] == 0)
            f->depth--;
        if (f->depth == 0 && f->remain[0] == 0) {
            *len_out = f->pos;
            f->last_objects = f->objects;
            if (too_costly(f->objects, f->pos)) {
                snprintf(f->why, sizeof f->why,
                         "%llu elements in %zu bytes would decode to %llu bytes, more than %d "
                         "times the message; send fewer, larger values",
                         (unsigned long long)f->objects, f->pos,
                         (unsigned long long)(f->objects * CW_FRAME_OBJECT_BYTES),
                         CW_FRAME_DECODE_RATIO);
                reset(f);
                return CW_FRAME_TOO_LARGE;
            }
            reset(f);
            return CW_FRAME_DONE;
        }
    }
more:
    /* Waiting is bounded: an incomplete element already passed the limit
     * checks, so the caller never holds more than the limit plus one
     * header (9 bytes) for this message. */
    return CW_FRAME_MORE;
}
