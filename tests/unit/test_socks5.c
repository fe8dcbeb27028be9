/* test_socks5.c — the SOCKS5 server side (net/socks5.c): every ATYP fed
 * whole and byte by byte, the greeting and request in one buffer, tunnel
 * bytes left alone, and each refusal with its exact reply bytes (written
 * out by hand, not built with socks5_reply(), so one bug cannot pass
 * both sides). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "net/socks5.h"

static const uint8_t greet_ok[] = {5, 1, 0};
static const uint8_t rep_noauth[] = {5, 0};
/* A failure reply with REP X: 05 X 00 01 0.0.0.0 port 0. */
#define FAIL_REPLY(x) {5, (x), 0, 1, 0, 0, 0, 0, 0, 0}

/* Feed MSG[0..N) in one call; check the verdict, the consumed count and
 * the reply bytes (WANT_REPLY of WANT_N bytes; NULL/0: none). */
static void feed_whole(struct socks5 *s, const uint8_t *msg, size_t n,
                       int want, size_t want_consumed,
                       const uint8_t *want_reply, size_t want_n)
{
    uint8_t reply[SOCKS5_REPLY_MAX];
    size_t consumed = 99, rlen = 99;
    int r = socks5_feed(s, msg, n, &consumed, reply, sizeof reply, &rlen);
    assert_int_equal(r, want);
    assert_int_equal(consumed, want_consumed);
    assert_int_equal(rlen, want_n);
    if (want_n)
        assert_memory_equal(reply, want_reply, want_n);
}

/* Feed MSG one byte a call: NEED_MORE (consuming that byte, no reply)
 * until the last byte, which gives WANT. */
static void feed_bytes(struct socks5 *s, const uint8_t *msg, size_t n,
                       int want, const uint8_t *want_reply, size_t want_n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t reply[SOCKS5_REPLY_MAX];
        size_t consumed = 99, rlen = 99;
        int r = socks5_feed(s, msg + i, 1, &consumed, reply, sizeof reply,
                            &rlen);
        assert_int_equal(consumed, 1);
        if (i + 1 < n) {
            assert_int_equal(r, SOCKS5_NEED_MORE);
            assert_int_equal(rlen, 0);
        } else {
            assert_int_equal(r, want);
            assert_int_equal(rlen, want_n);
            if (want_n)
                assert_memory_equal(reply, want_reply, want_n);
        }
    }
}

static const uint8_t req_v4[] = {5, 1, 0, 1, 93, 184, 216, 34, 0x01, 0xbb};
static const uint8_t req_v6[] = {5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                 0, 0, 0, 0, 0, 0, 0, 1, 0x1f, 0x90};
static const uint8_t req_dom[] = {5, 1, 0, 3, 11, 'E', 'x', 'a', 'm', 'P', 'l',
                                  'e', '.', 'O', 'r', 'G', 0, 80};

static void check_v4(const struct socks5 *s)
{
    const uint8_t a[4] = {93, 184, 216, 34};
    assert_int_equal(s->target.kind, SOCKS5_IPV4);
    assert_int_equal(s->target.addr.family, AF_INET);
    assert_memory_equal(s->target.addr.b, a, 4);
    assert_int_equal(s->target.port, 443);
    assert_string_equal(s->target.domain, "");
}

static void check_v6(const struct socks5 *s)
{
    assert_int_equal(s->target.kind, SOCKS5_IPV6);
    assert_int_equal(s->target.addr.family, AF_INET6);
    assert_memory_equal(s->target.addr.b, req_v6 + 4, 16);
    assert_int_equal(s->target.port, 8080);
}

static void check_dom(const struct socks5 *s)
{
    assert_int_equal(s->target.kind, SOCKS5_DOMAIN);
    assert_string_equal(s->target.domain, "example.org");
    assert_int_equal(s->target.port, 80);
}

static void test_connect_whole(void **state)
{
    (void)state;
    struct {
        const uint8_t *req;
        size_t n;
        void (*check)(const struct socks5 *);
    } cases[] = {{req_v4, sizeof req_v4, check_v4},
                 {req_v6, sizeof req_v6, check_v6},
                 {req_dom, sizeof req_dom, check_dom}};
    for (size_t i = 0; i < 3; i++) {
        struct socks5 s;
        socks5_init(&s);
        feed_whole(&s, greet_ok, 3, SOCKS5_REPLY, 3, rep_noauth, 2);
        assert_int_equal(s.state, SOCKS5_S_REQUEST);
        feed_whole(&s, cases[i].req, cases[i].n, SOCKS5_REQUEST, cases[i].n,
                   NULL, 0);
        cases[i].check(&s);
        /* Done: more calls take nothing and keep the verdict. */
        feed_whole(&s, (const uint8_t *)"x", 1, SOCKS5_REQUEST, 0, NULL, 0);
        cases[i].check(&s);
    }
}

static void test_connect_bytewise(void **state)
{
    (void)state;
    const uint8_t *reqs[] = {req_v4, req_v6, req_dom};
    size_t lens[] = {sizeof req_v4, sizeof req_v6, sizeof req_dom};
    void (*checks[])(const struct socks5 *) = {check_v4, check_v6, check_dom};
    for (size_t i = 0; i < 3; i++) {
        struct socks5 s;
        socks5_init(&s);
        /* Several methods, "no auth" last. */
        const uint8_t g[] = {5, 3, 2, 1, 0};
        feed_bytes(&s, g, sizeof g, SOCKS5_REPLY, rep_noauth, 2);
        feed_bytes(&s, reqs[i], lens[i], SOCKS5_REQUEST, NULL, 0);
        checks[i](&s);
    }
}

static void test_one_buffer(void **state)
{
    (void)state;
    /* Greeting, request and tunnel bytes in one read. */
    uint8_t buf[64];
    size_t n = 0;
    memcpy(buf, greet_ok, 3), n += 3;
    memcpy(buf + n, req_dom, sizeof req_dom), n += sizeof req_dom;
    memcpy(buf + n, "GET / HTTP/1.1\r\n", 16), n += 16;
    struct socks5 s;
    socks5_init(&s);
    feed_whole(&s, buf, n, SOCKS5_REPLY, 3, rep_noauth, 2);
    feed_whole(&s, buf + 3, n - 3, SOCKS5_REQUEST, sizeof req_dom, NULL, 0);
    check_dom(&s);
    /* The tunnel's first byte is where the caller goes on. */
    assert_int_equal(buf[3 + sizeof req_dom], 'G');
}

static void test_trailing_tunnel(void **state)
{
    (void)state;
    /* A request split oddly with tunnel bytes after its last byte. */
    uint8_t buf[sizeof req_v4 + 3];
    memcpy(buf, req_v4, sizeof req_v4);
    memcpy(buf + sizeof req_v4, "\x16\x03\x01", 3);
    struct socks5 s;
    socks5_init(&s);
    feed_whole(&s, greet_ok, 3, SOCKS5_REPLY, 3, rep_noauth, 2);
    feed_whole(&s, buf, 7, SOCKS5_NEED_MORE, 7, NULL, 0);
    feed_whole(&s, buf + 7, sizeof buf - 7, SOCKS5_REQUEST,
               sizeof req_v4 - 7, NULL, 0);
    check_v4(&s);
    /* Greeting with a request's first bytes behind it: only 3 taken. */
    socks5_init(&s);
    feed_whole(&s, NULL, 0, SOCKS5_NEED_MORE, 0, NULL, 0);
    const uint8_t g[] = {5, 2, 0, 2, 5, 1};
    feed_whole(&s, g, sizeof g, SOCKS5_REPLY, 4, rep_noauth, 2);
}

static void test_no_noauth(void **state)
{
    (void)state;
    const uint8_t ff[] = {5, 0xff};
    const uint8_t g[] = {5, 2, 1, 2}; /* GSSAPI, user/pass */
    struct socks5 s;
    socks5_init(&s);
    feed_whole(&s, g, sizeof g, SOCKS5_ERROR, 4, ff, 2);
    assert_int_equal(s.state, SOCKS5_S_FAILED);
    /* Once failed, always failed, with nothing more to send. */
    feed_whole(&s, req_v4, sizeof req_v4, SOCKS5_ERROR, 0, NULL, 0);
    socks5_init(&s);
    feed_bytes(&s, g, sizeof g, SOCKS5_ERROR, ff, 2);
    /* NMETHODS 0: refused on that byte. */
    const uint8_t g0[] = {5, 0, 0};
    socks5_init(&s);
    feed_whole(&s, g0, sizeof g0, SOCKS5_ERROR, 2, ff, 2);
    /* 255 methods, "no auth" the very last. */
    uint8_t big[257];
    big[0] = 5, big[1] = 255;
    memset(big + 2, 0x80, 255);
    big[256] = 0;
    socks5_init(&s);
    feed_whole(&s, big, sizeof big, SOCKS5_REPLY, 257, rep_noauth, 2);
    big[256] = 0xfe;
    socks5_init(&s);
    feed_whole(&s, big, sizeof big, SOCKS5_ERROR, 257, ff, 2);
}

static void test_versions(void **state)
{
    (void)state;
    const uint8_t reject4[8] = {0x00, 0x5b, 0, 0, 0, 0, 0, 0};
    /* SOCKS4 CONNECT to 127.0.0.1:22 and SOCKS4a (0.0.0.1 + name). */
    const uint8_t s4[] = {4, 1, 0, 22, 127, 0, 0, 1, 'u', 0};
    const uint8_t s4a[] = {4, 1, 0, 80, 0, 0, 0, 1, 0, 'e', '.', 'c', 0};
    struct socks5 s;
    socks5_init(&s);
    feed_whole(&s, s4, sizeof s4, SOCKS5_ERROR, 1, reject4, 8);
    socks5_init(&s);
    feed_whole(&s, s4a, sizeof s4a, SOCKS5_ERROR, 1, reject4, 8);
    /* Not SOCKS: silence. */
    const char *others[] = {"GET / HTTP/1.1\r\n", "CONNECT a:443 HTTP/1.1",
                            "\x00", "\x06\x01\x00", "\x16\x03\x01"};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        socks5_init(&s);
        feed_whole(&s, (const uint8_t *)others[i], strlen(others[i]) + 1,
                   SOCKS5_ERROR, 1, NULL, 0);
    }
}

/* After a good greeting, request REQ gives ERROR with reply REP after
 * WANT_CONSUMED bytes, whole and byte by byte. */
static void refused(const uint8_t *req, size_t n, size_t want_consumed,
                    uint8_t rep)
{
    const uint8_t want[] = FAIL_REPLY(rep);
    struct socks5 s;
    socks5_init(&s);
    feed_whole(&s, greet_ok, 3, SOCKS5_REPLY, 3, rep_noauth, 2);
    feed_whole(&s, req, n, SOCKS5_ERROR, want_consumed, want, sizeof want);
    socks5_init(&s);
    feed_whole(&s, greet_ok, 3, SOCKS5_REPLY, 3, rep_noauth, 2);
    feed_bytes(&s, req, want_consumed, SOCKS5_ERROR, want, sizeof want);
}

static void test_commands(void **state)
{
    (void)state;
    const uint8_t bind[] = {5, 2, 0, 1, 0, 0, 0, 0, 0, 80};
    const uint8_t udp[] = {5, 3, 0, 1, 0, 0, 0, 0, 0, 0};
    const uint8_t zero[] = {5, 0, 0, 1, 1, 1, 1, 1, 0, 80};
    const uint8_t other[] = {5, 0x81, 0, 1, 1, 1, 1, 1, 0, 80};
    refused(bind, sizeof bind, 2, 0x07);
    refused(udp, sizeof udp, 2, 0x07);
    refused(zero, sizeof zero, 2, 0x07);
    refused(other, sizeof other, 2, 0x07);
    const uint8_t ver4[] = {4, 1, 0, 1, 1, 1, 1, 1, 0, 80};
    refused(ver4, sizeof ver4, 1, 0x01);
    const uint8_t rsv[] = {5, 1, 1, 1, 1, 1, 1, 1, 0, 80};
    refused(rsv, sizeof rsv, 3, 0x01);
}

static void test_atyp(void **state)
{
    (void)state;
    const uint8_t a2[] = {5, 1, 0, 2, 1, 2, 3, 4, 0, 80};
    const uint8_t a5[] = {5, 1, 0, 5, 1, 2, 3, 4, 0, 80};
    const uint8_t a0[] = {5, 1, 0, 0, 1, 2, 3, 4, 0, 80};
    refused(a2, sizeof a2, 4, 0x08);
    refused(a5, sizeof a5, 4, 0x08);
    refused(a0, sizeof a0, 4, 0x08);
}

static void test_domains(void **state)
{
    (void)state;
    const uint8_t len0[] = {5, 1, 0, 3, 0, 0, 80};
    refused(len0, sizeof len0, 5, 0x01);
    const uint8_t nul[] = {5, 1, 0, 3, 5, 'a', 0, 'b', '.', 'c', 0, 80};
    refused(nul, sizeof nul, 7, 0x01);
    const uint8_t sp[] = {5, 1, 0, 3, 3, 'a', ' ', 'b', 0, 80};
    refused(sp, sizeof sp, 7, 0x01);
    const uint8_t bad[] = {'\n', '\r', '\t', 0x1f, 0x7f, 0x80, 0xff,
                           '/', '@', '\\'};
    for (size_t i = 0; i < sizeof bad; i++) {
        uint8_t r[] = {5, 1, 0, 3, 3, 'a', 'b', bad[i], 0, 80};
        refused(r, sizeof r, 8, 0x01);
    }
    /* Every byte allowed is kept (upper case lowered); 255 bytes fit. */
    uint8_t req[5 + 255 + 2] = {5, 1, 0, 3, 255};
    char want[256];
    size_t j = 0;
    for (unsigned c = 0x21; c <= 0x7e; c++)
        if (c != '/' && c != '@' && c != '\\') {
            req[5 + j] = (uint8_t)c;
            want[j++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
    for (; j < 255; j++)
        req[5 + j] = 'Z', want[j] = 'z';
    want[255] = '\0';
    req[260] = 0xff, req[261] = 0xff;
    struct socks5 s;
    socks5_init(&s);
    feed_whole(&s, greet_ok, 3, SOCKS5_REPLY, 3, rep_noauth, 2);
    feed_whole(&s, req, sizeof req, SOCKS5_REQUEST, sizeof req, NULL, 0);
    assert_string_equal(s.target.domain, want);
    assert_int_equal(s.target.port, 65535);
}

static void test_port0(void **state)
{
    (void)state;
    const uint8_t v4[] = {5, 1, 0, 1, 1, 2, 3, 4, 0, 0};
    refused(v4, sizeof v4, sizeof v4, 0x01);
    const uint8_t dom[] = {5, 1, 0, 3, 1, 'a', 0, 0};
    refused(dom, sizeof dom, sizeof dom, 0x01);
    /* 0x0100 and 0x0001 are ports. */
    const uint8_t p256[] = {5, 1, 0, 3, 1, 'a', 1, 0};
    const uint8_t p1[] = {5, 1, 0, 3, 1, 'a', 0, 1};
    struct socks5 s;
    socks5_init(&s);
    feed_whole(&s, greet_ok, 3, SOCKS5_REPLY, 3, rep_noauth, 2);
    feed_whole(&s, p256, sizeof p256, SOCKS5_REQUEST, sizeof p256, NULL, 0);
    assert_int_equal(s.target.port, 256);
    socks5_init(&s);
    feed_whole(&s, greet_ok, 3, SOCKS5_REPLY, 3, rep_noauth, 2);
    feed_whole(&s, p1, sizeof p1, SOCKS5_REQUEST, sizeof p1, NULL, 0);
    assert_int_equal(s.target.port, 1);
}

static void test_small_cap(void **state)
{
    (void)state;
    /* A reply that does not fit is never written in part. */
    uint8_t reply[4] = {0xaa, 0xaa, 0xaa, 0xaa};
    size_t consumed, rlen;
    struct socks5 s;
    socks5_init(&s);
    assert_int_equal(socks5_feed(&s, greet_ok, 3, &consumed, reply, 1, &rlen),
                     SOCKS5_ERROR);
    assert_int_equal(rlen, 0);
    assert_int_equal(reply[0], 0xaa);
    socks5_init(&s);
    assert_int_equal(socks5_feed(&s, greet_ok, 3, &consumed, reply, 2, &rlen),
                     SOCKS5_REPLY);
    const uint8_t bind[] = {5, 2};
    assert_int_equal(socks5_feed(&s, bind, 2, &consumed, reply, sizeof reply,
                                 &rlen), SOCKS5_ERROR);
    assert_int_equal(rlen, 0);
    assert_int_equal(reply[2], 0xaa);
    assert_int_equal(socks5_reply(0, NULL, 0, reply, 9), 0);
}

static void test_reply_bytes(void **state)
{
    (void)state;
    uint8_t out[SOCKS5_REPLY_MAX];
    const uint8_t none[] = {5, 0, 0, 1, 0, 0, 0, 0, 0, 0};
    assert_int_equal(socks5_reply(0, NULL, 0, out, sizeof out), 10);
    assert_memory_equal(out, none, 10);
    struct net_addr a4 = {.family = AF_INET, .b = {10, 0, 2, 15}};
    const uint8_t v4[] = {5, 0, 0, 1, 10, 0, 2, 15, 0xc3, 0x50};
    assert_int_equal(socks5_reply(0, &a4, 50000, out, 10), 10);
    assert_memory_equal(out, v4, 10);
    struct net_addr a6 = {.family = AF_INET6,
                          .b = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};
    const uint8_t v6[] = {5, 4, 0, 4, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                          0, 0, 0, 2, 0x01, 0xbb};
    assert_int_equal(socks5_reply(4, &a6, 443, out, sizeof out), 22);
    assert_memory_equal(out, v6, 22);
    assert_int_equal(socks5_reply(4, &a6, 443, out, 21), 0);
    struct net_addr other = {.family = AF_UNIX, .b = {9, 9, 9, 9}};
    const uint8_t ref[] = {5, 2, 0, 1, 0, 0, 0, 0, 0, 7};
    assert_int_equal(socks5_reply(2, &other, 7, out, sizeof out), 10);
    assert_memory_equal(out, ref, 10);
}

static void test_rep_for(void **state)
{
    (void)state;
    assert_int_equal(socks5_rep_for("not-allowlisted"), 0x02);
    assert_int_equal(socks5_rep_for("ip-literal-not-allowlisted"), 0x02);
    assert_int_equal(socks5_rep_for("host-address"), 0x02);
    assert_int_equal(socks5_rep_for("blocked-range:127.0.0.0/8"), 0x02);
    assert_int_equal(socks5_rep_for("blocked-range:169.254.169.254/32"), 0x02);
    assert_int_equal(socks5_rep_for("blocked-range:"), 0x02);
    assert_int_equal(socks5_rep_for("no-address"), 0x04);
    assert_int_equal(socks5_rep_for("no-resolver"), 0x04);
    assert_int_equal(socks5_rep_for("resolver-unreachable"), 0x04);
    assert_int_equal(socks5_rep_for("connect-failed"), 0x05);
    assert_int_equal(socks5_rep_for("bad-host"), 0x01);
    assert_int_equal(socks5_rep_for("bad-port"), 0x01);
    assert_int_equal(socks5_rep_for("no-egress"), 0x01);
    assert_int_equal(socks5_rep_for(""), 0x01);
    assert_int_equal(socks5_rep_for(NULL), 0x01);
    /* Whole names only, but for the one prefix row. */
    assert_int_equal(socks5_rep_for("not-allowlisted-x"), 0x01);
    assert_int_equal(socks5_rep_for("no-address "), 0x01);
    assert_int_equal(socks5_rep_for("connect"), 0x01);
    assert_int_equal(socks5_rep_for("blocked-range"), 0x01);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_whole),
        cmocka_unit_test(test_connect_bytewise),
        cmocka_unit_test(test_one_buffer),
        cmocka_unit_test(test_trailing_tunnel),
        cmocka_unit_test(test_no_noauth),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_atyp),
        cmocka_unit_test(test_domains),
        cmocka_unit_test(test_port0),
        cmocka_unit_test(test_small_cap),
        cmocka_unit_test(test_reply_bytes),
        cmocka_unit_test(test_rep_for),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
