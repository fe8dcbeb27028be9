/* socks5.c — the SOCKS5 server side of the egress proxy: greeting
 * ("no auth" only) and CONNECT request, pure.  See socks5.h.
 *
 * The parser takes one byte at a time into s->buf and checks it at
 * once, so a hostile client is refused on its first bad byte whether it
 * sends a message whole or byte by byte, and the verdict never depends
 * on how the bytes were split. */
#include "net/socks5.h"

#include <string.h>
#include <sys/socket.h>

enum { ATYP_IPV4 = 1, ATYP_DOMAIN = 3, ATYP_IPV6 = 4 };

void socks5_init(struct socks5 *s)
{
    memset(s, 0, sizeof *s);
    s->state = SOCKS5_S_GREETING;
}

size_t socks5_reply(uint8_t rep, const struct net_addr *bound, uint16_t port,
                    uint8_t *out, size_t cap)
{
    bool v6 = bound && bound->family == AF_INET6;
    size_t alen = v6 ? 16 : 4;
    size_t n = 4 + alen + 2;
    if (!out || cap < n)
        return 0;
    out[0] = 5;
    out[1] = rep;
    out[2] = 0;
    out[3] = v6 ? ATYP_IPV6 : ATYP_IPV4;
    if (bound && (bound->family == AF_INET || v6))
        memcpy(out + 4, bound->b, alen);
    else
        memset(out + 4, 0, alen);
    out[4 + alen] = (uint8_t)(port >> 8);
    out[5 + alen] = (uint8_t)port;
    return n;
}

/* Why the proxy refused, as the client's REP.  Prefix rows end in ':'. */
static const struct {
    const char *reason;
    uint8_t rep;
} rep_table[] = {
    /* the name is not in allowed_hosts */
    {"not-allowlisted", SOCKS5_REP_NOT_ALLOWED},
    /* an address in any spelling while an allowlist is in force */
    {"ip-literal-not-allowlisted", SOCKS5_REP_NOT_ALLOWED},
    /* the target resolved to (or is) one of the host's own addresses */
    {"host-address", SOCKS5_REP_NOT_ALLOWED},
    /* loopback, private, metadata...: "blocked-range:CIDR" */
    {"blocked-range:", SOCKS5_REP_NOT_ALLOWED},
    /* the name has no A/AAAA answer */
    {"no-address", SOCKS5_REP_HOST_UNREACH},
    /* no resolver configured for the proxy */
    {"no-resolver", SOCKS5_REP_HOST_UNREACH},
    /* the resolver did not answer */
    {"resolver-unreachable", SOCKS5_REP_HOST_UNREACH},
    /* every allowed address refused or timed out */
    {"connect-failed", SOCKS5_REP_REFUSED},
    /* "bad-host", "bad-port" and anything unknown fall through to
     * SOCKS5_REP_FAILURE below: never claim more than we know. */
};

uint8_t socks5_rep_for(const char *reason)
{
    if (!reason)
        return SOCKS5_REP_FAILURE;
    for (size_t i = 0; i < sizeof rep_table / sizeof rep_table[0]; i++) {
        const char *r = rep_table[i].reason;
        size_t n = strlen(r);
        if (r[n - 1] == ':' ? strncmp(reason, r, n) == 0
                            : strcmp(reason, r) == 0)
            return rep_table[i].rep;
    }
    return SOCKS5_REP_FAILURE;
}

/* A domain byte the proxy passes on: printable ASCII without space, and
 * none of the URL delimiters that could make "evil.com@good.com" or
 * "good.com/..\\evil" mean two hosts to two parsers. */
static bool domain_byte_ok(uint8_t c)
{
    return c >= 0x21 && c <= 0x7e && c != '/' && c != '@' && c != '\\';
}

/* Result of looking at the message so far. */
enum step { STEP_MORE, STEP_DONE, STEP_FAIL };

/* Check the greeting's newest byte (buf[have-1]).  *REP: what to send
 * on STEP_FAIL (-1: nothing, -2: the SOCKS4 rejection, 0xff: "05 FF"). */
static enum step greeting_step(const struct socks5 *s, int *rep)
{
    const uint8_t *b = s->buf;
    size_t n = s->have;
    if (n == 1) {
        if (b[0] == 4) {
            *rep = -2;  /* SOCKS4/4a: tell it in its own words */
            return STEP_FAIL;
        }
        if (b[0] != 5) {
            *rep = -1;  /* not SOCKS at all: say nothing */
            return STEP_FAIL;
        }
        return STEP_MORE;
    }
    if (n == 2 && b[1] == 0) {
        *rep = 0xff;    /* no methods: none acceptable */
        return STEP_FAIL;
    }
    return n == 2 + (size_t)b[1] ? STEP_DONE : STEP_MORE;
}

/* The request's full length once ATYP (and a domain's length) is known,
 * else 0. */
static size_t request_len(const struct socks5 *s)
{
    if (s->have < 4)
        return 0;
    switch (s->buf[3]) {
    case ATYP_IPV4:
        return 4 + 4 + 2;
    case ATYP_IPV6:
        return 4 + 16 + 2;
    case ATYP_DOMAIN:
        return s->have < 5 ? 0 : 5 + (size_t)s->buf[4] + 2;
    default:
        return 0;
    }
}

/* Check the request's newest byte.  *REP: the REP to send on STEP_FAIL. */
static enum step request_step(const struct socks5 *s, int *rep)
{
    const uint8_t *b = s->buf;
    size_t i = s->have - 1;
    uint8_t c = b[i];
    switch (i) {
    case 0:
        if (c != 5)
            return *rep = SOCKS5_REP_FAILURE, STEP_FAIL;
        return STEP_MORE;
    case 1: /* CMD: CONNECT only; BIND and UDP ASSOCIATE would open
             * listening sockets and datagrams past the policy */
        if (c != 1)
            return *rep = SOCKS5_REP_CMD, STEP_FAIL;
        return STEP_MORE;
    case 2:
        if (c != 0)
            return *rep = SOCKS5_REP_FAILURE, STEP_FAIL;
        return STEP_MORE;
    case 3:
        if (c != ATYP_IPV4 && c != ATYP_DOMAIN && c != ATYP_IPV6)
            return *rep = SOCKS5_REP_ATYP, STEP_FAIL;
        return STEP_MORE;
    default:
        break;
    }
    size_t total = request_len(s);
    if (b[3] == ATYP_DOMAIN) {
        if (i == 4 && c == 0)
            return *rep = SOCKS5_REP_FAILURE, STEP_FAIL;
        if (i >= 5 && i < 5 + (size_t)b[4] && !domain_byte_ok(c))
            return *rep = SOCKS5_REP_FAILURE, STEP_FAIL;
    }
    if (s->have < total)
        return STEP_MORE;
    if (b[total - 2] == 0 && b[total - 1] == 0)
        return *rep = SOCKS5_REP_FAILURE, STEP_FAIL;  /* port 0 */
    return STEP_DONE;
}

/* Fill s->target from the complete request in s->buf. */
static void request_target(struct socks5 *s)
{
    struct socks5_target *t = &s->target;
    const uint8_t *b = s->buf;
    size_t total = request_len(s);
    memset(t, 0, sizeof *t);
    switch (b[3]) {
    case ATYP_IPV4:
        t->kind = SOCKS5_IPV4;
        t->addr.family = AF_INET;
        memcpy(t->addr.b, b + 4, 4);
        break;
    case ATYP_IPV6:
        t->kind = SOCKS5_IPV6;
        t->addr.family = AF_INET6;
        memcpy(t->addr.b, b + 4, 16);
        break;
    default: /* ATYP_DOMAIN: request_step() checked every byte */
        t->kind = SOCKS5_DOMAIN;
        for (size_t i = 0; i < b[4]; i++) {
            uint8_t c = b[5 + i];
            t->domain[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        }
        t->domain[b[4]] = '\0';
        break;
    }
    t->port = (uint16_t)(b[total - 2] << 8 | b[total - 1]);
}

static int fail(struct socks5 *s, int rep, uint8_t *reply, size_t cap,
                size_t *reply_len)
{
    static const uint8_t socks4_reject[8] = {0x00, 0x5b};
    s->state = SOCKS5_S_FAILED;
    if (rep == -2 && reply && cap >= sizeof socks4_reject) {
        memcpy(reply, socks4_reject, sizeof socks4_reject);
        *reply_len = sizeof socks4_reject;
    } else if (rep == 0xff && reply && cap >= 2) {
        reply[0] = 5;
        reply[1] = 0xff;
        *reply_len = 2;
    } else if (rep >= 0 && rep != 0xff) {
        *reply_len = socks5_reply((uint8_t)rep, NULL, 0, reply, cap);
    }
    return SOCKS5_ERROR;
}

int socks5_feed(struct socks5 *s, const uint8_t *in, size_t len,
                size_t *consumed, uint8_t *reply, size_t reply_cap,
                size_t *reply_len)
{
    *consumed = 0;
    *reply_len = 0;
    if (s->state == SOCKS5_S_DONE)
        return SOCKS5_REQUEST;
    if (s->state != SOCKS5_S_GREETING && s->state != SOCKS5_S_REQUEST)
        return SOCKS5_ERROR;
    while (*consumed < len) {
        /* Never more than one message: each step below ends the call
         * the moment the message is complete. */
        if (s->have >= sizeof s->buf)
            return fail(s, SOCKS5_REP_FAILURE, reply, reply_cap, reply_len);
        s->buf[s->have++] = in[(*consumed)++];
        int rep = -1;
        enum step st = s->state == SOCKS5_S_GREETING ? greeting_step(s, &rep)
                                                     : request_step(s, &rep);
        if (st == STEP_MORE)
            continue;
        if (st == STEP_FAIL)
            return fail(s, rep, reply, reply_cap, reply_len);
        if (s->state == SOCKS5_S_GREETING) {
            /* "no authentication required" or nothing: coco's tools
             * authenticate by being in the sandbox. */
            bool no_auth = memchr(s->buf + 2, 0x00, s->buf[1]) != NULL;
            if (!no_auth)
                return fail(s, 0xff, reply, reply_cap, reply_len);
            if (!reply || reply_cap < 2)
                return fail(s, -1, reply, reply_cap, reply_len);
            reply[0] = 5;
            reply[1] = 0x00;
            *reply_len = 2;
            s->state = SOCKS5_S_REQUEST;
            s->have = 0;
            return SOCKS5_REPLY;
        }
        request_target(s);
        s->state = SOCKS5_S_DONE;
        s->have = 0;
        return SOCKS5_REQUEST;
    }
    return SOCKS5_NEED_MORE;
}
