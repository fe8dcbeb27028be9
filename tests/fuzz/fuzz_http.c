/* fuzz_http.c — libFuzzer target for the egress proxy's HTTP side
 * (net/http.c): the bytes are what a hostile tool writes to the proxy.
 *
 * Built with -DCOCO_LIBFUZZER by `make fuzz`; otherwise main() replays
 * the files given (tests/fuzz/corpus/http/ in `make check`). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "net/http.h"
#include "fuzz.h"

static bool lower_prefix(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    if (n < m)
        return false;
    for (size_t i = 0; i < m; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c += 32;
        if (c != lit[i])
            return false;
    }
    return true;
}

/* An upstream head: CRLF lines only, ends with CRLFCRLF (its only empty
 * line), no Proxy-Authorization, exactly one Connection header, and it
 * says close. */
static void check_upstream(const char *h, size_t n)
{
    if (n < 4 || memcmp(h + n - 4, "\r\n\r\n", 4) != 0)
        __builtin_trap();
    size_t conn = 0, line = 0;
    for (size_t i = 0; i < n; i++) {
        if (h[i] == '\0')
            __builtin_trap();
        if (h[i] == '\r' && (i + 1 == n || h[i + 1] != '\n'))
            __builtin_trap();
        if (h[i] == '\n') {
            if (i == 0 || h[i - 1] != '\r')
                __builtin_trap();
            if (i + 1 - line == 2 && i + 1 != n)
                __builtin_trap();   /* an empty line before the end */
            line = i + 1;
            continue;
        }
        if (i == line) {
            if (lower_prefix(h + i, n - i, "proxy-authorization:") ||
                lower_prefix(h + i, n - i, "proxy-connection:") ||
                lower_prefix(h + i, n - i, "upgrade:"))
                __builtin_trap();
            if (lower_prefix(h + i, n - i, "connection:")) {
                conn++;
                if (!lower_prefix(h + i, n - i, "connection: close\r\n"))
                    __builtin_trap();
            }
        }
    }
    if (conn != 1)
        __builtin_trap();
}

/* The upstream head again in absolute form parses to the same request,
 * and rewrites to the same bytes. */
static void reparse(const struct http_req *r, const char *up, size_t n)
{
    static char again[HTTP_HEAD_MAX + 600], up2[HTTP_HEAD_MAX + 1200];
    static struct http_req r2;
    const char *eol = memchr(up, '\n', n);
    if (!eol)
        __builtin_trap();
    size_t rest = n - (size_t)(eol + 1 - up);
    int k = snprintf(again, sizeof again, "%s http://%s%s%s:%u%s HTTP/1.1\r\n",
                     r->method, r->host_is_v6 ? "[" : "", r->host,
                     r->host_is_v6 ? "]" : "", (unsigned)r->port, r->path);
    if (k < 0 || (size_t)k + rest > sizeof again)
        return;
    memcpy(again + k, eol + 1, rest);
    int rc = http_parse_request(again, (size_t)k + rest, &r2);
    if (rc == HTTP_ERROR && (r2.status == 414 || r2.status == 431))
        return;   /* the port, a '/', Host and Connection: close added */
    if (rc != HTTP_OK || r2.head_len != (size_t)k + rest ||
        strcmp(r2.method, r->method) || strcmp(r2.host, r->host) ||
        strcmp(r2.path, r->path) || r2.port != r->port ||
        r2.body_kind != r->body_kind || r2.content_length != r->content_length)
        __builtin_trap();
    int n2 = http_rewrite_request(again, &r2, up2, sizeof up2);
    if (n2 < 0 || (size_t)n2 != n || memcmp(up2, up, n) != 0)
        __builtin_trap();
}

static void chunked(const char *b, size_t len)
{
    struct http_chunked st, st2;
    size_t used, used2, used3;
    http_chunked_init(&st);
    int rc = http_chunked_feed(&st, b, len, &used);
    if (used > len || (rc == 0 && used != len) || rc < -1 || rc > 1)
        __builtin_trap();
    /* split in two: the same end */
    size_t cut = len / 2;
    http_chunked_init(&st2);
    int rc2 = http_chunked_feed(&st2, b, cut, &used2);
    if (rc2 == 0) {
        rc2 = http_chunked_feed(&st2, b + cut, len - cut, &used3);
        used2 = cut + used3;
    }
    if (rc2 != rc || (rc == 1 && used2 != used))
        __builtin_trap();
}

static void refusal(const char *why, size_t n)
{
    static char w[256], out[1024];
    if (n > sizeof w - 1)
        n = sizeof w - 1;
    memcpy(w, why, n);
    w[n] = '\0';
    int k = http_refusal(400, w, out, sizeof out);
    if (k < 0)
        __builtin_trap();
    const char *end = strstr(out, "\r\n\r\n");
    if (!end || strstr(end + 1, "\r\n\r\n") || strstr(out, "\r\n\r\n") != end)
        __builtin_trap();
    for (int i = 0; i < k; i++) {
        unsigned char c = (unsigned char)out[i];
        if (c == '\r' ? out[i + 1] != '\n'
                      : c == '\n' ? (i != k - 1 && out[i - 1] != '\r')
                                  : (c < 0x20 || c > 0x7e))
            __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct http_req r;
    static char up[HTTP_HEAD_MAX + 600];
    const char *buf = (const char *)data;
    int rc = http_parse_request(buf, size, &r);
    if (rc == HTTP_ERROR) {
        if (!r.error || !r.status || !*r.error)
            __builtin_trap();
        for (const char *e = r.error; *e; e++)
            if (!((*e >= 'a' && *e <= 'z') || (*e >= '0' && *e <= '9') || *e == '-'))
                __builtin_trap();
        refusal(buf, size);
        return 0;
    }
    if (rc == HTTP_NEED_MORE) {
        if (size >= HTTP_HEAD_MAX)
            __builtin_trap();
        chunked(buf, size);
        return 0;
    }
    if (r.head_len > size || r.head_len > HTTP_HEAD_MAX || r.head_len < 4 ||
        memcmp(buf + r.head_len - 4, "\r\n\r\n", 4) != 0)
        __builtin_trap();
    if (!r.host[0] || r.port < 1 || (r.version != 10 && r.version != 11))
        __builtin_trap();
    for (const char *h = r.host; *h; h++)
        if ((unsigned char)*h <= 0x20 || (unsigned char)*h >= 0x7f)
            __builtin_trap();
    /* no shorter prefix is a whole head */
    if (http_parse_request(buf, r.head_len - 1, &r) == HTTP_OK)
        __builtin_trap();
    http_parse_request(buf, size, &r);
    if (!r.is_connect) {
        if (r.path[0] != '/')
            __builtin_trap();
        int n = http_rewrite_request(buf, &r, up, sizeof up);
        if (n < 0)
            __builtin_trap();   /* a parsed head always fits this */
        check_upstream(up, (size_t)n);
        reparse(&r, up, (size_t)n);
    } else if (r.body_kind != HTTP_BODY_NONE && r.content_length != 0) {
        __builtin_trap();
    }
    chunked(buf + r.head_len, size - r.head_len);
    return 0;
}

#ifndef COCO_LIBFUZZER
#include "replay.h"

int main(int argc, char **argv)
{
    return fuzz_replay_args(argc, argv) ? 1 : 0;
}
#endif
