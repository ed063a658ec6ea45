/* Unit tests for the server's framing scanner and argument helpers: whole
 * messages found across any split of the bytes, limits enforced from
 * headers alone (huge declared lengths and counts cost nothing), nesting
 * bounds, invalid bytes, and the three accepted time forms. */
#include "helpers.h" /* for T_MAIN only: this file needs no store */

#include "frame.h"
#include "pack.h"
#include "server.h"

#include <string.h>

static size_t pack_request(unsigned char *out, size_t cap, int nargs)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 4);
    msgpack_pack_int(&pk, 0);
    msgpack_pack_int(&pk, 7);
    pk_str(&pk, "coverage.get");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, (size_t)nargs);
    for (int i = 0; i < nargs; i++) {
        pk_kv_str(&pk, "k", "a value with some length");
    }
    size_t n = sb.size < cap ? sb.size : cap;
    memcpy(out, sb.data, n);
    msgpack_sbuffer_destroy(&sb);
    return n;
}

static void test_whole_and_split(void **state)
{
    (void)state;
    unsigned char buf[4096];
    size_t n = pack_request(buf, sizeof buf, 5);
    cw_frame f;
    cw_frame_init(&f, 1 << 20, 32);
    size_t len = 0;
    assert_int_equal(cw_frame_scan(&f, buf, n, &len), CW_FRAME_DONE);
    assert_int_equal(len, n);
    /* byte by byte */
    for (size_t i = 1; i < n; i++)
        assert_int_equal(cw_frame_scan(&f, buf, i, &len), CW_FRAME_MORE);
    assert_int_equal(cw_frame_scan(&f, buf, n, &len), CW_FRAME_DONE);
    assert_int_equal(len, n);
    /* two messages back to back: the first is found, then the second */
    memcpy(buf + n, buf, n);
    assert_int_equal(cw_frame_scan(&f, buf, 2 * n, &len), CW_FRAME_DONE);
    assert_int_equal(len, n);
    assert_int_equal(cw_frame_scan(&f, buf + n, n, &len), CW_FRAME_DONE);
    assert_int_equal(len, n);
}

static void test_huge_headers(void **state)
{
    (void)state;
    cw_frame f;
    cw_frame_init(&f, 1 << 20, 32);
    size_t len;
    const unsigned char arr32[] = {0xdd, 0xff, 0xff, 0xff, 0xff};
    assert_int_equal(cw_frame_scan(&f, arr32, sizeof arr32, &len), CW_FRAME_TOO_LARGE);
    assert_non_null(strstr(f.why, "4294967295"));
    const unsigned char map32[] = {0x94, 0x00, 0x01, 0xa1, 'x', 0xdf, 0x7f, 0xff, 0xff, 0xff};
    assert_int_equal(cw_frame_scan(&f, map32, sizeof map32, &len), CW_FRAME_TOO_LARGE);
    const unsigned char str32[] = {0xdb, 0x10, 0x00, 0x00, 0x01};
    assert_int_equal(cw_frame_scan(&f, str32, sizeof str32, &len), CW_FRAME_TOO_LARGE);
    const unsigned char bin32[] = {0xc6, 0x7f, 0x00, 0x00, 0x00};
    assert_int_equal(cw_frame_scan(&f, bin32, sizeof bin32, &len), CW_FRAME_TOO_LARGE);
    const unsigned char ext32[] = {0xc9, 0x7f, 0x00, 0x00, 0x00, 0x01};
    assert_int_equal(cw_frame_scan(&f, ext32, sizeof ext32, &len), CW_FRAME_TOO_LARGE);
    /* a count that fits the limit but not the remaining room */
    cw_frame_init(&f, 100, 32);
    const unsigned char arr16[] = {0xdc, 0x00, 0x64};
    assert_int_equal(cw_frame_scan(&f, arr16, sizeof arr16, &len), CW_FRAME_TOO_LARGE);
    /* a message that never ends within the limit */
    unsigned char open[120];
    open[0] = 0xdc;
    open[1] = 0;
    open[2] = 90;
    memset(open + 3, 0xc0, sizeof open - 3);
    cw_frame_init(&f, 100, 32);
    assert_int_equal(cw_frame_scan(&f, open, 60, &len), CW_FRAME_MORE);
    assert_int_equal(cw_frame_scan(&f, open, 93, &len), CW_FRAME_DONE);
}

static void test_depth_and_bad_bytes(void **state)
{
    (void)state;
    cw_frame f;
    cw_frame_init(&f, 1 << 20, 4);
    size_t len;
    unsigned char deep[16];
    memset(deep, 0x91, sizeof deep); /* [[[[[...]]]]] */
    assert_int_equal(cw_frame_scan(&f, deep, sizeof deep, &len), CW_FRAME_TOO_LARGE);
    assert_non_null(strstr(f.why, "nesting"));
    const unsigned char ok[] = {0x91, 0x91, 0x91, 0x90};
    assert_int_equal(cw_frame_scan(&f, ok, sizeof ok, &len), CW_FRAME_DONE);
    const unsigned char bad[] = {0x93, 0x01, 0xc1, 0x02};
    assert_int_equal(cw_frame_scan(&f, bad, sizeof bad, &len), CW_FRAME_PARSE);
    assert_non_null(strstr(f.why, "0xc1"));
    /* scalars of every width */
    const unsigned char scal[] = {0x9a, 0xcc, 1,    0xcd, 1, 2, 0xce, 1,    2,    3,    4,
                                  0xcb, 0,    0,    0,    0, 0, 0,    0,    0,    0xd4, 1,
                                  2,    0xd6, 0xff, 1,    2, 3, 4,    0xc0, 0xc2, 0xc3, 0xe0};
    assert_int_equal(cw_frame_scan(&f, scal, sizeof scal, &len), CW_FRAME_DONE);
    assert_int_equal(len, sizeof scal);
}

static void test_times(void **state)
{
    (void)state;
    cw_time t;
    assert_int_equal(cw_time_parse("2026-01-31T12:00:00Z", 20, &t), 0);
    assert_int_equal(t, 1769860800);
    assert_int_equal(cw_time_parse("2026-01-31T13:30:00+01:30", 25, &t), 0);
    assert_int_equal(t, 1769860800);
    assert_int_equal(cw_time_parse("1970-01-01T00:00:00.123Z", 24, &t), 0);
    assert_int_equal(t, 0);
    assert_int_equal(cw_time_parse("1969-12-31T23:59:59Z", 20, &t), 0);
    assert_int_equal(t, -1);
    assert_int_not_equal(cw_time_parse("2026-13-01T00:00:00Z", 20, &t), 0);
    assert_int_not_equal(cw_time_parse("2026-01-01 00:00:00", 19, &t), 0);
    assert_int_not_equal(cw_time_parse("yesterday at noon....", 21, &t), 0);
    assert_int_not_equal(cw_time_parse("2026-1-31T12:00:00Z.", 20, &t), 0);
    assert_int_not_equal(cw_time_parse("+026-01-31T12:00:00Z", 20, &t), 0);
    assert_int_not_equal(cw_time_parse("2026-01-31T12:00:0xZ", 20, &t), 0);
    assert_int_not_equal(cw_time_parse("2026-01-31T24:00:00Z", 20, &t), 0);
    assert_int_not_equal(cw_time_parse("2026-01-31T12:00:00", 19, &t), 0);
    assert_int_not_equal(cw_time_parse("2026-01-31T12:00:00X", 20, &t), 0);
    assert_int_equal(cw_time_parse("2026-01-31t12:00:00z", 20, &t), 0);
    assert_int_equal(t, 1769860800);
    assert_int_equal(cw_time_parse("2026-01-31 12:00:00Z", 20, &t), 0);
    assert_int_equal(t, 1769860800);
    char buf[40];
    cw_time_format(1769860800, buf, sizeof buf);
    assert_string_equal(buf, "2026-01-31T12:00:00Z");
    /* msgpack timestamp 32 and 96 */
    unsigned char ts32[4] = {0x69, 0x7d, 0xee, 0x00};
    msgpack_object o = {.type = MSGPACK_OBJECT_EXT};
    o.via.ext.type = -1;
    o.via.ext.size = 4;
    o.via.ext.ptr = (const char *)ts32;
    cw_err err = {0};
    assert_int_equal(cw_to_time(&o, "as_of", &t, &err), 0);
    assert_int_equal(t, 0x697dee00);
    unsigned char ts96[12] = {0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    o.via.ext.size = 12;
    o.via.ext.ptr = (const char *)ts96;
    assert_int_equal(cw_to_time(&o, "as_of", &t, &err), 0);
    assert_int_equal(t, -1);
    o.via.ext.type = 5;
    assert_int_equal(cw_to_time(&o, "as_of", &t, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "as_of"));
}

T_MAIN("frame", cmocka_unit_test(test_whole_and_split), cmocka_unit_test(test_huge_headers),
       cmocka_unit_test(test_depth_and_bad_bytes), cmocka_unit_test(test_times))
