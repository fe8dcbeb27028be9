/* socks5.h — the server side of SOCKS5 (RFC 1928) as coco's egress
 * proxy speaks it: "no authentication" and CONNECT only, pure (bytes in,
 * a verdict, a target and reply bytes out; no sockets, no allocation).
 *
 * The client is the sandboxed tool, so every byte is hostile: each
 * field is checked as soon as it arrives, lengths come from the message
 * itself and are bounded by it (a greeting is at most 257 bytes, a
 * request at most 262), and no byte past the CONNECT request is ever
 * taken (it belongs to the tunnel).
 *
 * Use: socks5_init(); then socks5_feed() what the client sent, again
 * with the rest after each SOCKS5_REPLY, until SOCKS5_REQUEST (decide on
 * s->target, send socks5_reply()) or SOCKS5_ERROR (send the reply bytes
 * if any, close). */
#ifndef COCO_NET_SOCKS5_H
#define COCO_NET_SOCKS5_H

#include <stddef.h>
#include <stdint.h>

#include "net.h"

/* socks5_feed()'s verdicts. */
enum { SOCKS5_ERROR = -1, SOCKS5_NEED_MORE = 0, SOCKS5_REPLY = 1, SOCKS5_REQUEST = 2 };

/* REP codes of a SOCKS5 reply (RFC 1928 section 6). */
enum {
    SOCKS5_REP_OK = 0x00,
    SOCKS5_REP_FAILURE = 0x01,       /* general SOCKS server failure */
    SOCKS5_REP_NOT_ALLOWED = 0x02,   /* connection not allowed by ruleset */
    SOCKS5_REP_NET_UNREACH = 0x03,
    SOCKS5_REP_HOST_UNREACH = 0x04,
    SOCKS5_REP_REFUSED = 0x05,
    SOCKS5_REP_TTL = 0x06,
    SOCKS5_REP_CMD = 0x07,           /* command not supported */
    SOCKS5_REP_ATYP = 0x08,          /* address type not supported */
};

/* The longest reply socks5_feed() or socks5_reply() writes: VER REP RSV
 * ATYP, 16 bytes of IPv6 address, 2 of port.  A REPLY_CAP of this much
 * always suffices. */
#define SOCKS5_REPLY_MAX 22

/* Where s->state is (socks5_feed() alone moves it). */
enum {
    SOCKS5_S_GREETING = 0, /* reading VER NMETHODS METHODS */
    SOCKS5_S_REQUEST,      /* greeting accepted "no auth": reading the request */
    SOCKS5_S_DONE,         /* a CONNECT request was returned */
    SOCKS5_S_FAILED,       /* an error was returned: close */
};

enum socks5_kind { SOCKS5_DOMAIN, SOCKS5_IPV4, SOCKS5_IPV6 };

/* The CONNECT request's destination. */
struct socks5_target {
    enum socks5_kind kind;
    char domain[256];     /* SOCKS5_DOMAIN: NUL-terminated, 1..255 bytes of
                           * 0x21..0x7e but '/', '@', '\\', lower-cased;
                           * "" for the address kinds */
    struct net_addr addr; /* SOCKS5_IPV4 (AF_INET) or SOCKS5_IPV6 (AF_INET6),
                           * as the client sent it (a mapped IPv6 address
                           * stays IPv6: egress_addr_check() unmaps) */
    uint16_t port;        /* host order, never 0 */
};

/* One client connection's parser.  Plain data: no cleanup needed. */
struct socks5 {
    int state;            /* SOCKS5_S_* */
    size_t have;          /* bytes of the current message in buf */
    uint8_t buf[262];     /* the current message (the longest: a request
                           * with a 255-byte domain) */
    struct socks5_target target; /* filled when SOCKS5_REQUEST is returned */
};

/* Start S at the greeting. */
void socks5_init(struct socks5 *s);

/* Feed IN (LEN bytes; IN may be NULL when LEN is 0) to S.  *CONSUMED is
 * set to the bytes taken, never more than the rest of one protocol
 * message (S keeps a partial message itself, so the caller drops what
 * was consumed and never feeds it again).  Reply bytes go to REPLY of
 * REPLY_CAP bytes (SOCKS5_REPLY_MAX always suffices), their count to
 * *REPLY_LEN (0 when none).  Returns
 *   SOCKS5_NEED_MORE  all of IN taken (consumed may be 0 when LEN is 0);
 *   SOCKS5_REPLY      send the reply ("05 00": no auth chosen), then
 *                     call again with the bytes after *CONSUMED;
 *   SOCKS5_REQUEST    a CONNECT request is complete, s->target filled;
 *                     bytes after *CONSUMED belong to the tunnel; the
 *                     caller decides and sends socks5_reply().  Calling
 *                     again returns SOCKS5_REQUEST, consuming nothing;
 *   SOCKS5_ERROR      send the reply if *REPLY_LEN > 0 ("05 FF" no
 *                     acceptable method, a SOCKS5 failure reply, or the
 *                     SOCKS4 rejection "00 5B" + 6 zeros), then close.
 *                     Every later call returns SOCKS5_ERROR, no reply.
 * A REPLY_CAP too small for the reply makes the call SOCKS5_ERROR with
 * no reply. */
int socks5_feed(struct socks5 *s, const uint8_t *in, size_t len,
                size_t *consumed, uint8_t *reply, size_t reply_cap,
                size_t *reply_len);

/* A reply to a request into OUT of CAP bytes: VER 5, REP, RSV 0, ATYP
 * and BND.ADDR (BOUND, or 0.0.0.0 when BOUND is NULL or of another
 * family), BND.PORT (PORT, host order).  Returns the length (10 or 22),
 * or 0 with nothing written when CAP is too small. */
size_t socks5_reply(uint8_t rep, const struct net_addr *bound, uint16_t port,
                    uint8_t *out, size_t cap);

/* The REP code for one of coco's refusal reasons (egress_target_check(),
 * egress_addr_check() and the proxy's own: "no-address", "no-resolver",
 * "resolver-unreachable", "connect-failed"); SOCKS5_REP_FAILURE for
 * anything else, NULL included. */
uint8_t socks5_rep_for(const char *reason);

#endif
