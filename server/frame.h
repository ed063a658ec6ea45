/* Framing for a msgpack stream: finds where each whole message ends and
 * enforces the size, count and nesting limits from the headers alone, before
 * msgpack-c allocates anything.  A declared length or element count that the
 * message size limit cannot hold is refused at once (a 5-byte array header
 * claiming four billion elements costs nothing), and scanning resumes where
 * it stopped when bytes arrive one at a time. */
#ifndef CW_SERVER_FRAME_H
#define CW_SERVER_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define CW_FRAME_MAX_DEPTH 128

/* What one element costs once msgpack-c has decoded it (a msgpack_object
 * on a 64-bit machine; conn.c checks), and how many times its own size a
 * message may cost decoded.  Requests cost 3 to 5 times their bytes, and
 * items of one-letter strings ({"id": "x"}) 14 times; a message of
 * one-byte integers or nils would cost 24 times, and is refused before it
 * is decoded. */
#define CW_FRAME_OBJECT_BYTES 24
#define CW_FRAME_DECODE_RATIO 16
#define CW_FRAME_DECODE_SLACK 4096

typedef struct cw_frame {
    size_t max_message; /* bytes */
    unsigned max_depth; /* nesting of arrays and maps */
    /* resumable state for the message being scanned */
    size_t pos;
    unsigned depth;
    uint64_t remain[CW_FRAME_MAX_DEPTH + 1];
    uint64_t objects;      /* elements of the message being scanned */
    uint64_t last_objects; /* elements of the last whole message (on DONE) */
    char why[128];         /* what was wrong, for the error answer */
} cw_frame;

enum {
    CW_FRAME_MORE = 0,       /* need more bytes */
    CW_FRAME_DONE = 1,       /* a whole message of *len bytes */
    CW_FRAME_PARSE = -1,     /* not msgpack */
    CW_FRAME_TOO_LARGE = -2, /* a limit would be exceeded */
};

void cw_frame_init(cw_frame *f, size_t max_message, unsigned max_depth);

/* Scans buf[0..len) (the start of the current message).  Returns one of the
 * CW_FRAME_* values; on DONE *len_out is the message length and the scanner
 * is reset for the next message. */
int cw_frame_scan(cw_frame *f, const unsigned char *buf, size_t len, size_t *len_out);

#endif
