/* libFuzzer target for the framing layer: arbitrary bytes, fed whole and in
 * fuzzer-chosen splits, through the frame scanner and then msgpack-c.  The
 * scanner must never accept a message msgpack-c cannot decode in exactly
 * that many bytes, must agree with itself however the bytes are split, and
 * must never read past what it was given (ASan watches). */
#include "frame.h"

#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t limit = 64 + (size_t)data[0] * 64;
    unsigned depth = 1 + data[1] % 40;
    data += 2;
    size -= 2;
    /* Copy into an exact-size heap buffer so ASan sees any overread. */
    unsigned char *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    cw_frame whole, split;
    cw_frame_init(&whole, limit, depth);
    cw_frame_init(&split, limit, depth);
    size_t off = 0;
    while (off < size) {
        size_t len = 0;
        int r = cw_frame_scan(&whole, buf + off, size - off, &len);
        /* The same message, offered one byte more at a time. */
        int r2 = CW_FRAME_MORE;
        size_t len2 = 0;
        for (size_t n = 1; n <= size - off && r2 == CW_FRAME_MORE; n += 1 + n / 8)
            r2 = cw_frame_scan(&split, buf + off, n, &len2);
        if (r2 == CW_FRAME_MORE)
            r2 = cw_frame_scan(&split, buf + off, size - off, &len2);
        if (r != r2 || (r == CW_FRAME_DONE && len != len2))
            abort();
        if (r != CW_FRAME_DONE)
            break;
        if (len == 0 || len > size - off || len > limit)
            abort();
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        size_t uoff = 0;
        msgpack_unpack_return ur = msgpack_unpack_next(&u, (const char *)buf + off, len, &uoff);
        /* A framed message is complete: msgpack-c must agree on its end. */
        if (ur == MSGPACK_UNPACK_SUCCESS && uoff != len)
            abort();
        if (ur == MSGPACK_UNPACK_CONTINUE)
            abort();
        msgpack_unpacked_destroy(&u);
        off += len;
    }
    free(buf);
    return 0;
}
