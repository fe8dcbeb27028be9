/* test_http.c — the egress proxy's HTTP side (net/http.c): a table of
 * good and hostile request heads with the verdict each must get, the
 * upstream head written out exactly, the chunked framer split at every
 * byte, and refusals that no caller's string can add a header to. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/http.h"

struct req_case {
    const char *in;
    int rc;
    int status;          /* on HTTP_ERROR */
    const char *error;   /* on HTTP_ERROR */
};

#define OK(s) {s, HTTP_OK, 0, NULL}
#define MORE(s) {s, HTTP_NEED_MORE, 0, NULL}
#define BAD(s, st, e) {s, HTTP_ERROR, st, e}

static const struct req_case cases[] = {
    OK("GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n"),
    OK("GET HTTP://Example.COM HTTP/1.1\r\nHost: example.com.\r\n\r\n"),
    OK("GET http://example.com:80/x HTTP/1.1\r\nHost: EXAMPLE.com\r\n\r\n"),
    OK("GET http://example.com/x HTTP/1.1\r\nHost: example.com:80\r\n\r\n"),
    OK("GET http://example.com/ HTTP/1.0\r\n\r\n"),
    OK("POST http://a.b:8080/p?q=1 HTTP/1.1\r\nHost: a.b:8080\r\nContent-Length: 5\r\n\r\n"),
    OK("POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"),
    OK("POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nContent-Length: 5, 5\r\n\r\n"),
    OK("POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nTransfer-Encoding: Chunked\r\n\r\n"),
    OK("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
    OK("CONNECT example.com:443 HTTP/1.1\r\n\r\n"),
    /* https-proxy-agent 5 (npm 9): no port in Host for the default 443 */
    OK("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n"),
    OK("CONNECT example.com:80 HTTP/1.1\r\nHost: example.com\r\n\r\n"),
    OK("CONNECT [2001:db8::1]:443 HTTP/1.1\r\n\r\n"),
    OK("GET http://[::1]:8080/ HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n"),
    OK("GET http://a.b/ HTTP/1.1\r\nHost:a.b\r\nX:\r\nY: \t v \t\r\n\r\n"),
    /* partial heads */
    MORE(""),
    MORE("GET http://a.b/ HTTP/1.1\r"),
    MORE("GET http://a.b/ HTTP/1.1\r\nHost: a.b\r\n"),
    MORE("GET http://a.b/ HTTP/1.1\r\nHost: a.b\r\n\r"),
    /* smuggling: framing */
    BAD("POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "smuggling-cl-te"),
    BAD("POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n", 400, "smuggling-cl-te"),
    BAD("POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nTransfer-Encoding: identity\r\n\r\n", 501, "transfer-encoding"),
    BAD("POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nTransfer-Encoding: chunked, identity\r\n\r\n", 501, "transfer-encoding"),
    BAD("POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 501, "transfer-encoding"),
    BAD("POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nTransfer-Encoding: xchunked\r\n\r\n", 501, "transfer-encoding"),
    BAD("POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400, "content-length-mismatch"),
    BAD("POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nContent-Length: 5, 6\r\n\r\n", 400, "content-length-mismatch"),
    BAD("POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nContent-Length: +5\r\n\r\n", 400, "content-length"),
    BAD("POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nContent-Length: 0x5\r\n\r\n", 400, "content-length"),
    BAD("POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nContent-Length: 5 5\r\n\r\n", 400, "content-length"),
    BAD("POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nContent-Length:\r\n\r\n", 400, "content-length"),
    BAD("POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nContent-Length: 99999999999999999999\r\n\r\n", 400, "content-length"),
    BAD("POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nConnection: content-length\r\nContent-Length: 5\r\n\r\n", 400, "connection-names-framing"),
    BAD("POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nConnection: close, Transfer-Encoding\r\n\r\n", 400, "connection-names-framing"),
    BAD("CONNECT a.b:443 HTTP/1.1\r\nContent-Length: 3\r\n\r\n", 400, "connect-body"),
    BAD("CONNECT a.b:443 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "connect-body"),
    /* syntax games */
    BAD("GET http://a.b/ HTTP/1.1\r\nHost: a.b\r\nX-A: 1\r\n folded\r\n\r\n", 400, "obs-fold"),
    BAD("POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nContent-Length : 5\r\n\r\n", 400, "space-before-colon"),
    BAD("POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nContent-Length\t: 5\r\n\r\n", 400, "space-before-colon"),
    BAD("GET http://a.b/ HTTP/1.1\r\nHost: a.b\rX: 1\r\n\r\n", 400, "bare-cr"),
    BAD("GET http://a.b/ HTTP/1.1\r\nHost: a.b\nX: 1\r\n\r\n", 400, "bare-lf"),
    BAD("GET http://a.b/ HTTP/1.1\nHost: a.b\r\n\r\n", 400, "bare-lf"),
    BAD("GET http://a.b/ HTTP/1.1\r\nHost: a.b\r\n\n", 400, "bare-lf"),
    BAD("GET http://a.b/ HTTP/1.1\r\nX: a\x01" "b\r\nHost: a.b\r\n\r\n", 400, "header-value"),
    BAD("GET http://a.b/ HTTP/1.1\r\nX: a\x7f\r\nHost: a.b\r\n\r\n", 400, "header-value"),
    BAD("GET http://a.b/ HTTP/1.1\r\nX(: a\r\nHost: a.b\r\n\r\n", 400, "header-name"),
    BAD("GET http://a.b/ HTTP/1.1\r\n: a\r\nHost: a.b\r\n\r\n", 400, "header-name"),
    BAD("GET http://a.b/ HTTP/1.1\r\nNoColon\r\nHost: a.b\r\n\r\n", 400, "header-name"),
    BAD("GET  http://a.b/ HTTP/1.1\r\nHost: a.b\r\n\r\n", 400, "request-line"),
    BAD("GET http://a.b/ HTTP/1.1 \r\nHost: a.b\r\n\r\n", 400, "request-line"),
    BAD("GET http://a.b/ http/1.1\r\nHost: a.b\r\n\r\n", 400, "request-line"),
    BAD("GET http://a.b/ HTTP/2.0\r\nHost: a.b\r\n\r\n", 505, "version"),
    BAD("G(T http://a.b/ HTTP/1.1\r\nHost: a.b\r\n\r\n", 400, "method"),
    BAD("\r\n\r\n", 400, "request-line"),
    BAD("GET http://a.b/\x80 HTTP/1.1\r\nHost: a.b\r\n\r\n", 400, "target"),
    /* hosts */
    BAD("GET http://a.b/ HTTP/1.1\r\nHost: a.b\r\nHost: a.b\r\n\r\n", 400, "host-duplicate"),
    BAD("GET http://a.b/ HTTP/1.1\r\nHost: a.b\r\nhost: evil.com\r\n\r\n", 400, "host-duplicate"),
    BAD("GET http://a.b/ HTTP/1.1\r\nHost: evil.com\r\n\r\n", 403, "host-mismatch"),
    BAD("GET http://a.b/ HTTP/1.1\r\nHost: a.b:8080\r\n\r\n", 403, "host-mismatch"),
    BAD("GET http://a.b:8080/ HTTP/1.1\r\nHost: a.b\r\n\r\n", 403, "host-mismatch"),
    BAD("GET http://a.b/ HTTP/1.1\r\nHost: a.b..\r\n\r\n", 403, "host-mismatch"),
    BAD("GET http://a.b/ HTTP/1.1\r\nHost: a.bc\r\n\r\n", 403, "host-mismatch"),
    BAD("CONNECT a.b:443 HTTP/1.1\r\nHost: evil.com:443\r\n\r\n", 403, "host-mismatch"),
    BAD("CONNECT a.b:8443 HTTP/1.1\r\nHost: a.b\r\n\r\n", 403, "host-mismatch"),
    BAD("CONNECT a.b:443 HTTP/1.1\r\nHost: a.b:80\r\n\r\n", 403, "host-mismatch"),
    BAD("CONNECT a.b:443 HTTP/1.1\r\nHost: c.b\r\n\r\n", 403, "host-mismatch"),
    BAD("GET http://a.b/ HTTP/1.1\r\nHost: u@a.b\r\n\r\n", 400, "host-header"),
    BAD("GET http://a.b/ HTTP/1.1\r\nHost:\r\n\r\n", 400, "host-header"),
    BAD("GET http://a.b/ HTTP/1.1\r\n\r\n", 400, "host-missing"),
    /* targets */
    BAD("GET / HTTP/1.1\r\nHost: a.b\r\n\r\n", 400, "origin-form"),
    BAD("OPTIONS * HTTP/1.1\r\nHost: a.b\r\n\r\n", 400, "asterisk-form"),
    BAD("GET https://a.b/ HTTP/1.1\r\nHost: a.b\r\n\r\n", 400, "https-url"),
    BAD("GET HTTPS://a.b/ HTTP/1.1\r\nHost: a.b\r\n\r\n", 400, "https-url"),
    BAD("GET ftp://a.b/ HTTP/1.1\r\nHost: a.b\r\n\r\n", 400, "scheme"),
    BAD("GET http://user:pw@a.b/ HTTP/1.1\r\nHost: a.b\r\n\r\n", 400, "userinfo"),
    BAD("GET http://user@a.b/ HTTP/1.1\r\nHost: a.b\r\n\r\n", 400, "userinfo"),
    BAD("GET http:///x HTTP/1.1\r\nHost: a.b\r\n\r\n", 400, "empty-host"),
    BAD("GET http://:80/x HTTP/1.1\r\nHost: a.b\r\n\r\n", 400, "empty-host"),
    BAD("GET http://a.b/#frag HTTP/1.1\r\nHost: a.b\r\n\r\n", 400, "fragment"),
    BAD("GET http://a.b:0/ HTTP/1.1\r\nHost: a.b\r\n\r\n", 400, "bad-port"),
    BAD("GET http://a.b:65536/ HTTP/1.1\r\nHost: a.b\r\n\r\n", 400, "bad-port"),
    BAD("GET http://a.b:/ HTTP/1.1\r\nHost: a.b\r\n\r\n", 400, "bad-port"),
    BAD("GET http://a%2eb/ HTTP/1.1\r\nHost: a.b\r\n\r\n", 400, "bad-host"),
    BAD("GET http://[fe80::1%25eth0]/ HTTP/1.1\r\nHost: a.b\r\n\r\n", 400, "bad-host"),
    BAD("CONNECT a.b HTTP/1.1\r\n\r\n", 400, "connect-port"),
    BAD("CONNECT a.b:+443 HTTP/1.1\r\n\r\n", 400, "bad-port"),
    BAD("CONNECT a.b:0x1bb HTTP/1.1\r\n\r\n", 400, "bad-port"),
    BAD("CONNECT u@a.b:443 HTTP/1.1\r\n\r\n", 400, "userinfo"),
    BAD("CONNECT ::1:443 HTTP/1.1\r\n\r\n", 400, "empty-host"),
    BAD("CONNECT http://a.b:443 HTTP/1.1\r\n\r\n", 400, "bad-port"),
    BAD("CONNECT [::1]x:443 HTTP/1.1\r\n\r\n", 400, "bad-host"),
    /* upgrades */
    BAD("GET http://a.b/ HTTP/1.1\r\nHost: a.b\r\nUpgrade: websocket\r\n\r\n", 400, "upgrade"),
    BAD("GET http://a.b/ HTTP/1.1\r\nHost: a.b\r\nConnection: keep-alive, Upgrade\r\n\r\n", 400, "upgrade"),
};

static void test_table(void **state)
{
    (void)state;
    static struct http_req r;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct req_case *c = &cases[i];
        size_t len = strlen(c->in);
        int rc = http_parse_request(c->in, len, &r);
        if (rc != c->rc || (rc == HTTP_ERROR &&
                            (r.status != c->status || !r.error ||
                             strcmp(r.error, c->error) != 0)))
            fail_msg("case %zu \"%s\": got %d %d %s, want %d %d %s", i, c->in,
                     rc, r.status, r.error ? r.error : "-", c->rc, c->status,
                     c->error ? c->error : "-");
        if (rc == HTTP_OK && r.head_len != len)
            fail_msg("case %zu: head_len %zu, want %zu", i, r.head_len, len);
        /* every prefix of a whole head that parses is NEED_MORE */
        if (rc == HTTP_OK)
            for (size_t k = 0; k < len; k++)
                if (http_parse_request(c->in, k, &r) != HTTP_NEED_MORE)
                    fail_msg("case %zu: prefix %zu not NEED_MORE", i, k);
    }
}

static void test_fields(void **state)
{
    (void)state;
    static struct http_req r;
    const char *s = "POST HTTP://Example.COM:8080?q=1 HTTP/1.0\r\n"
                    "Content-Length: 12\r\n\r\nbody bytes..GET ";
    assert_int_equal(http_parse_request(s, strlen(s), &r), HTTP_OK);
    assert_int_equal(r.head_len, strlen(s) - 16);
    assert_string_equal(r.method, "POST");
    assert_string_equal(r.host, "Example.COM");
    assert_false(r.host_is_v6);
    assert_false(r.is_connect);
    assert_int_equal(r.port, 8080);
    assert_string_equal(r.path, "/?q=1");
    assert_int_equal(r.version, 10);
    assert_int_equal(r.body_kind, HTTP_BODY_LENGTH);
    assert_int_equal(r.content_length, 12);

    s = "CONNECT [2001:DB8::1]:443 HTTP/1.1\r\nHost: [2001:db8::1]:443\r\n\r\n";
    assert_int_equal(http_parse_request(s, strlen(s), &r), HTTP_OK);
    assert_true(r.is_connect);
    assert_true(r.host_is_v6);
    assert_string_equal(r.host, "2001:DB8::1");
    assert_int_equal(r.port, 443);
    assert_int_equal(r.body_kind, HTTP_BODY_NONE);

    s = "GET http://a.b HTTP/1.1\r\nHost: a.b\r\n\r\n";
    assert_int_equal(http_parse_request(s, strlen(s), &r), HTTP_OK);
    assert_string_equal(r.path, "/");
    assert_int_equal(r.port, 80);
    assert_int_equal(r.body_kind, HTTP_BODY_NONE);

    s = "PUT http://a.b/ HTTP/1.1\r\nHost: a.b\r\nTransfer-Encoding:  chunked \r\n\r\n";
    assert_int_equal(http_parse_request(s, strlen(s), &r), HTTP_OK);
    assert_int_equal(r.body_kind, HTTP_BODY_CHUNKED);
}

/* Heads at and over the bounds. */
static void test_bounds(void **state)
{
    (void)state;
    static struct http_req r;
    static char buf[20000];
    /* 17 KiB of headers: 431 whether complete or not */
    int n = snprintf(buf, sizeof buf, "GET http://a.b/ HTTP/1.1\r\nHost: a.b\r\n");
    while (n < 17 * 1024)
        n += snprintf(buf + n, sizeof buf - (size_t)n, "X-Pad: %0100d\r\n", 0);
    assert_int_equal(http_parse_request(buf, (size_t)n, &r), HTTP_ERROR);
    assert_int_equal(r.status, 431);
    n += snprintf(buf + n, sizeof buf - (size_t)n, "\r\n");
    assert_int_equal(http_parse_request(buf, (size_t)n, &r), HTTP_ERROR);
    assert_int_equal(r.status, 431);
    assert_string_equal(r.error, "too-many-headers");

    /* exactly HTTP_HEAD_MAX is fine, one more byte is not */
    n = snprintf(buf, sizeof buf, "GET http://a.b/ HTTP/1.1\r\nHost: a.b\r\nX: ");
    int fill = HTTP_HEAD_MAX - n - 4;
    memset(buf + n, 'v', (size_t)fill);
    memcpy(buf + n + fill, "\r\n\r\n", 4);
    assert_int_equal(http_parse_request(buf, HTTP_HEAD_MAX, &r), HTTP_OK);
    assert_int_equal(r.head_len, HTTP_HEAD_MAX);
    memmove(buf + n + 1, buf + n, (size_t)fill + 4);
    assert_int_equal(http_parse_request(buf, HTTP_HEAD_MAX + 1, &r), HTTP_ERROR);
    assert_int_equal(r.status, 431);
    assert_string_equal(r.error, "head-too-large");

    /* 100 headers are fine, 101 are not */
    n = snprintf(buf, sizeof buf, "GET http://a.b/ HTTP/1.1\r\nHost: a.b\r\n");
    for (int i = 1; i < 100; i++)
        n += snprintf(buf + n, sizeof buf - (size_t)n, "X%d: v\r\n", i);
    int at100 = n;
    n += snprintf(buf + n, sizeof buf - (size_t)n, "\r\n");
    assert_int_equal(http_parse_request(buf, (size_t)n, &r), HTTP_OK);
    assert_int_equal(r.n_hdrs, 100);
    n = at100 + snprintf(buf + at100, sizeof buf - (size_t)at100, "X: v\r\n\r\n");
    assert_int_equal(http_parse_request(buf, (size_t)n, &r), HTTP_ERROR);
    assert_int_equal(r.status, 431);

    /* request line of 8192 bytes is fine, 8193 is 414, even unfinished */
    n = snprintf(buf, sizeof buf, "GET http://a.b/");
    int pad = HTTP_REQLINE_MAX - n - 9;
    memset(buf + n, 'p', (size_t)pad);
    n += pad;
    n += snprintf(buf + n, sizeof buf - (size_t)n, " HTTP/1.1\r\nHost: a.b\r\n\r\n");
    assert_int_equal(http_parse_request(buf, (size_t)n, &r), HTTP_OK);
    assert_int_equal(strlen(r.path), (size_t)pad + 1);
    memset(buf, 'p', HTTP_REQLINE_MAX + 1);
    memcpy(buf, "GET http://a.b/", 15);
    assert_int_equal(http_parse_request(buf, HTTP_REQLINE_MAX + 1, &r), HTTP_ERROR);
    assert_int_equal(r.status, 414);
    assert_int_equal(http_parse_request(buf, HTTP_REQLINE_MAX, &r), HTTP_NEED_MORE);

    /* NUL anywhere, even in a partial head */
    const char nul[] = "GET http://a.b/ HTTP/1.1\r\nX: a\0b\r\nHost: a.b\r\n\r\n";
    assert_int_equal(http_parse_request(nul, sizeof nul - 1, &r), HTTP_ERROR);
    assert_string_equal(r.error, "nul");
    assert_int_equal(http_parse_request(nul, 33, &r), HTTP_ERROR);
}

static void test_rewrite(void **state)
{
    (void)state;
    static struct http_req r;
    static char out[HTTP_HEAD_MAX + 256];
    const char *s =
        "POST http://Example.com:8080/a/b?c=d HTTP/1.1\r\n"
        "Host: example.com:8080\r\n"
        "Proxy-Authorization: Basic c2VjcmV0\r\n"
        "Connection: keep-alive, X-Secret\r\n"
        "X-Secret: drop me\r\n"
        "Keep-Alive: timeout=5\r\n"
        "Proxy-Connection: keep-alive\r\n"
        "TE: trailers\r\n"
        "Trailer: X-T\r\n"
        "Content-Length: 3\r\n"
        "content-length: 3\r\n"
        "Accept:   */*  \r\n"
        "x-secret: and me\r\n"
        "\r\nabc";
    assert_int_equal(http_parse_request(s, strlen(s), &r), HTTP_OK);
    int n = http_rewrite_request(s, &r, out, sizeof out);
    const char *want = "POST /a/b?c=d HTTP/1.1\r\n"
                       "Host: example.com:8080\r\n"
                       "Accept: */*\r\n"
                       "Content-Length: 3\r\n"
                       "Connection: close\r\n\r\n";
    assert_int_equal(n, (int)strlen(want));
    assert_memory_equal(out, want, strlen(want));
    /* too small by one byte: -1, never a truncated head */
    assert_int_equal(http_rewrite_request(s, &r, out, strlen(want) - 1), -1);
    assert_int_equal(http_rewrite_request(s, &r, out, strlen(want)), (int)strlen(want));

    /* HTTP/1.0 without Host: one is written from the target */
    s = "GET http://[::1]:81 HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n";
    assert_int_equal(http_parse_request(s, strlen(s), &r), HTTP_OK);
    n = http_rewrite_request(s, &r, out, sizeof out);
    want = "GET / HTTP/1.1\r\nHost: [::1]:81\r\nTransfer-Encoding: chunked\r\n"
           "Connection: close\r\n\r\n";
    assert_int_equal(n, (int)strlen(want));
    assert_memory_equal(out, want, strlen(want));

    s = "CONNECT a.b:443 HTTP/1.1\r\n\r\n";
    assert_int_equal(http_parse_request(s, strlen(s), &r), HTTP_OK);
    assert_int_equal(http_rewrite_request(s, &r, out, sizeof out), -1);
}

/* Feed BODY whole, then split at every byte boundary (and byte by byte):
 * the end is the same, and nothing after it is consumed. */
static long chunk_end(const char *body, size_t len)
{
    struct http_chunked st;
    size_t used;
    http_chunked_init(&st);
    int rc = http_chunked_feed(&st, body, len, &used);
    long whole = rc == 1 ? (long)used : rc == 0 ? -2 : -1;
    for (size_t cut = 0; cut <= len; cut++) {
        http_chunked_init(&st);
        long got;
        rc = http_chunked_feed(&st, body, cut, &used);
        if (rc == 1) {
            got = (long)used;
        } else if (rc < 0) {
            got = -1;
        } else {
            assert_int_equal(used, cut);
            rc = http_chunked_feed(&st, body + cut, len - cut, &used);
            got = rc == 1 ? (long)(cut + used) : rc == 0 ? -2 : -1;
        }
        if (got != whole)
            fail_msg("\"%s\" cut at %zu: end %ld, whole %ld", body, cut, got, whole);
    }
    http_chunked_init(&st);
    long got = -2;
    for (size_t i = 0; i < len; i++) {
        rc = http_chunked_feed(&st, body + i, 1, &used);
        if (rc == 1) {
            assert_int_equal(used, 1);
            got = (long)i + 1;
            break;
        }
        if (rc < 0) {
            got = -1;
            break;
        }
        assert_int_equal(used, 1);
    }
    if (got != whole)
        fail_msg("\"%s\" byte by byte: end %ld, whole %ld", body, got, whole);
    return whole;
}

static void test_chunked(void **state)
{
    (void)state;
    struct {
        const char *body;
        long end;   /* -1 malformed, -2 need more */
    } t[] = {
        {"0\r\n\r\n", 5},
        {"0\r\n\r\nGET http://evil/ HTTP/1.1\r\n\r\n", 5},
        {"5\r\nhello\r\n0\r\n\r\nXYZ", 15},
        {"5;ext=1;q=\"a b\"\r\nhello\r\n0\r\n\r\n", 29},
        {"5 ;x\r\nhello\r\n0\r\n\r\n", 18},
        {"A\r\n0123456789\r\n00\r\nX-T: 1\r\nY:\r\n\r\nrest", 33},
        {"fffffffffF\r\n", -2},
        {"10000000000\r\n", -1},          /* 2^40 */
        {"00000000000000001\r\nx\r\n0\r\n\r\n", -1}, /* 17 digits */
        {"5\r\nhelloX\r\n0\r\n\r\n", -1},  /* no CRLF after data */
        {"5\r\nhello\n0\r\n\r\n", -1},
        {"5\r\nhelloX\n0\r\n\r\n", -1},   /* any byte for the CR */
        {"5\r\nhello\rX0\r\n\r\n", -1},   /* any byte for the LF */
        {"5\nhello\r\n0\r\n\r\n", -1},     /* bare LF */
        {"5\rhello\r\n0\r\n\r\n", -1},     /* bare CR */
        {"-5\r\n", -1},
        {"0x5\r\n", -1},
        {"\r\n", -1},
        {"5 \r\nhello\r\n0\r\n\r\n", -1},  /* BWS without an extension */
        {"5;a\x01\r\nhello\r\n0\r\n\r\n", -1},
        {"0\r\nX T: 1\r\n\r\n", -1},
        {"0\r\n folded\r\n\r\n", -1},
        {"0\r\nX: a\nb\r\n\r\n", -1},
        {"0\r\nX: 1\r\n", -2},
        {"5\r\nhel", -2},
        {"0\r\n\r", -2},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        long got = chunk_end(t[i].body, strlen(t[i].body));
        if (got != t[i].end)
            fail_msg("\"%s\": end %ld, want %ld", t[i].body, got, t[i].end);
    }

    /* extension and trailer bounds */
    static char big[20000];
    memcpy(big, "1;", 2);
    memset(big + 2, 'e', 1100);
    memcpy(big + 1102, "\r\nx\r\n0\r\n\r\n", 11);
    assert_int_equal(chunk_end(big, strlen(big)), -1);
    memcpy(big, "0\r\n", 3);
    size_t n = 3;
    while (n < HTTP_HEAD_MAX + 100)
        n += (size_t)snprintf(big + n, sizeof big - n, "X: %050d\r\n", 1);
    memcpy(big + n, "\r\n", 3);
    struct http_chunked st;
    size_t used;
    http_chunked_init(&st);
    assert_int_equal(http_chunked_feed(&st, big, n + 2, &used), -1);
    /* stuck once malformed, done once ended */
    assert_int_equal(http_chunked_feed(&st, "0\r\n\r\n", 5, &used), -1);
    http_chunked_init(&st);
    assert_int_equal(http_chunked_feed(&st, "0\r\n\r\n", 5, &used), 1);
    assert_int_equal(http_chunked_feed(&st, "abc", 3, &used), 1);
    assert_int_equal(used, 0);
}

static void test_refusal(void **state)
{
    (void)state;
    char out[1024];
    int n = http_refusal(403, "host-mismatch", out, sizeof out);
    const char *want = "HTTP/1.1 403 Forbidden\r\nX-Coco-Egress: host-mismatch\r\n"
                       "Content-Type: text/plain\r\nContent-Length: 27\r\n"
                       "Connection: close\r\n\r\ncoco egress: host-mismatch\n";
    assert_int_equal(n, (int)strlen(want));
    assert_string_equal(out, want);
    /* the Content-Length is the body's length */
    assert_int_equal(strlen(strstr(out, "\r\n\r\n") + 4), 27);

    n = http_refusal(400, "x\r\nSet-Cookie: a=b\r\n\r\n<html>\x80", out, sizeof out);
    assert_true(n > 0);
    assert_null(strstr(out, "\r\nSet-Cookie"));
    assert_non_null(strstr(out, "X-Coco-Egress: x?" "?Set-Cookie: a=b?" "?" "?" "?<html>?\r\n"));
    /* exactly one header end, and only printable bytes or CRLF */
    char *end = strstr(out, "\r\n\r\n");
    assert_non_null(end);
    assert_null(strstr(end + 1, "\r\n\r\n"));
    for (int i = 0; i < n; i++) {
        unsigned char c = (unsigned char)out[i];
        if (c == '\r')
            assert_int_equal(out[i + 1], '\n');
        else if (c == '\n')
            assert_true(i == n - 1 || out[i - 1] == '\r');
        else
            assert_true(c >= 0x20 && c <= 0x7e);
    }
    /* bounded */
    char longwhy[1000];
    memset(longwhy, 'w', sizeof longwhy - 1);
    longwhy[sizeof longwhy - 1] = '\0';
    n = http_refusal(502, longwhy, out, sizeof out);
    assert_true(n > 0 && n < 700);
    assert_int_equal(http_refusal(400, NULL, out, sizeof out) > 0, 1);
    assert_non_null(strstr(out, "coco egress: refused\n"));
    assert_int_equal(http_refusal(400, "x", out, 20), -1);
    assert_int_equal(http_refusal(99, "x", out, sizeof out), -1);
    assert_int_equal(http_refusal(600, "x", out, sizeof out), -1);

    assert_int_equal(http_connect_ok(out, sizeof out), 39);
    assert_string_equal(out, "HTTP/1.1 200 Connection established\r\n\r\n");
    assert_int_equal(http_connect_ok(out, 39), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_rewrite),
        cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_refusal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
