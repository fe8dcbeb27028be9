/* http.h — the HTTP side of the egress proxy, pure (bytes in, verdict
 * out; no sockets, no allocation).
 *
 * A hostile tool writes these requests.  The proxy forwards ONE request
 * per upstream connection with "Connection: close", so the parser must
 * know exactly where the head and the body end: anything ambiguous
 * (CL and TE together, differing lengths, bare CR or LF, folded headers,
 * a Connection header that would strip a framing header on the way up)
 * is refused rather than guessed, so the upstream can never read a
 * second request out of bytes the proxy thought were a body.
 */
#ifndef COCO_NET_HTTP_H
#define COCO_NET_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum http_body { HTTP_BODY_NONE, HTTP_BODY_LENGTH, HTTP_BODY_CHUNKED };
enum { HTTP_ERROR = -1, HTTP_NEED_MORE = 0, HTTP_OK = 1 };

#define HTTP_HEAD_MAX 16384      /* whole head, final CRLFCRLF included */
#define HTTP_REQLINE_MAX 8192    /* request line, CRLF excluded */
#define HTTP_MAX_HEADERS 100

/* Flags of one header line (struct http_hdr.flags). */
enum {
    HTTP_HDR_DROP = 1,      /* not forwarded: hop-by-hop, named by
                               Connection, or a framing header the
                               rewrite writes again in canonical form */
};

/* One header line of the head, as offsets into the parsed buffer
 * (HTTP_HEAD_MAX fits in 16 bits).  The value is trimmed of OWS. */
struct http_hdr {
    uint16_t name_off, name_len;
    uint16_t val_off, val_len;
    uint16_t flags;
};

struct http_req {
    bool is_connect;
    size_t head_len;            /* bytes of the head incl. the final CRLFCRLF */
    char method[24];
    char host[256];             /* as written, without IPv6 brackets */
    bool host_is_v6;
    uint16_t port;              /* CONNECT: given; http: given or 80 */
    char path[8192];            /* origin-form path+query for upstream ("/" default) */
    int version;                /* 10 or 11 */
    enum http_body body_kind;
    uint64_t content_length;    /* HTTP_BODY_LENGTH: the length (may be 0) */
    int status;                 /* on HTTP_ERROR: 400, 403, 414, 431, 501, 505 */
    const char *error;          /* on HTTP_ERROR: short static reason, [a-z0-9-] */
    /* The header lines, offsets into the buffer given to
     * http_parse_request(): valid only as long as that buffer is, and
     * only with it (http_rewrite_request() takes the same buffer). */
    size_t n_hdrs;
    struct http_hdr hdrs[HTTP_MAX_HEADERS];
    bool has_host_hdr;
};

/* Parse the request head at the start of BUF (LEN bytes read so far)
 * into OUT (always fully written; OUT keeps no pointer into BUF, only
 * offsets).  Returns HTTP_OK with OUT->head_len the head's length (the
 * body, if any, starts there: see OUT->body_kind), HTTP_NEED_MORE when
 * the head is not complete yet and nothing seen so far is wrong, or
 * HTTP_ERROR with OUT->status and OUT->error (a static string) set.
 * Refuses early: a bare CR/LF, a NUL, a request line over
 * HTTP_REQLINE_MAX (414), a head over HTTP_HEAD_MAX or more than
 * HTTP_MAX_HEADERS headers (431) are refused as soon as they are seen. */
int http_parse_request(const char *buf, size_t len, struct http_req *out);

/* Write the upstream head for R (an HTTP_OK, non-CONNECT parse of BUF,
 * the same buffer, unchanged) into OUT of OUTLEN bytes:
 * "METHOD path HTTP/1.1\r\n", every header but the hop-by-hop ones
 * (Connection, Keep-Alive, Proxy-Connection, Proxy-Authorization,
 * Proxy-Authenticate, TE, Trailer, Upgrade and any header a Connection
 * header names) as "Name: value\r\n", a Host header written from the
 * target when the request had none (HTTP/1.0), the framing header in
 * canonical form ("Content-Length: N" once, or
 * "Transfer-Encoding: chunked"), then "Connection: close\r\n\r\n".
 * Returns the length written (no NUL is written), or -1 when it does not
 * fit or R is a CONNECT. */
int http_rewrite_request(const char *buf, const struct http_req *r, char *out,
                         size_t outlen);

/* State of the chunked-body framer: where it is in the chunk grammar. */
struct http_chunked {
    int state;
    uint64_t left;       /* data bytes left in the current chunk, or the
                            size being read */
    uint32_t line;       /* bytes of the current size/ext/trailer line */
    uint32_t trailers;   /* bytes of trailers so far */
    bool last;           /* the size line read is the last chunk's (0) */
};

/* Start ST at the beginning of a chunked body. */
void http_chunked_init(struct http_chunked *st);

/* Feed body bytes BUF of LEN to ST.  *CONSUMED = bytes that belong to the
 * body.  Returns 0 (need more; all LEN consumed), 1 (the body ended
 * exactly after *CONSUMED bytes, trailers and final CRLF included: any
 * bytes after are not the body and must not be forwarded), -1 malformed
 * (*CONSUMED is where; ST is then stuck at -1).  Chunk sizes are hex,
 * < 2^40, at most 16 digits; extensions printable and bounded; the CRLF
 * after each chunk's data is checked; trailers are header lines, at most
 * HTTP_HEAD_MAX bytes in all. */
int http_chunked_feed(struct http_chunked *st, const char *buf, size_t len,
                      size_t *consumed);

/* The proxy's refusal into OUT of OUTLEN bytes: "HTTP/1.1 <status>
 * <phrase>\r\nX-Coco-Egress: <why>\r\nContent-Type: text/plain\r\n
 * Content-Length: N\r\nConnection: close\r\n\r\ncoco egress: <why>\n".
 * WHY (NULL: "refused") is sanitised: every byte outside printable ASCII
 * becomes '?', and at most 200 bytes of it are used, so no caller's
 * string can add a header line.  STATUS 100..599.  Returns the length
 * (a NUL follows when it fits), or -1 when it does not fit or STATUS is
 * out of range. */
int http_refusal(int status, const char *why, char *out, size_t outlen);

/* "HTTP/1.1 200 Connection established\r\n\r\n" into OUT; its length, or
 * -1 when OUTLEN is too small. */
int http_connect_ok(char *out, size_t outlen);

#endif
