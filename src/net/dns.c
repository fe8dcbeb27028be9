/* dns.c — DNS wire code, pure: queries and replies for the egress
 * proxy's own resolver, resolv.conf and hosts text, the sandbox stub's
 * queries and replies, and the fake-address table of transparent
 * capture.  See net/dns.h. */
#include "net/dns.h"

#include <netinet/in.h>
#include <string.h>

#define HDR 12
#define WIRE_MAX 255   /* a name in wire form, root label included */
#define TEXT_MAX 253   /* the same name as dotted text */
#define MAX_JUMPS 64   /* compression pointers followed in one name */

#define F_QR 0x8000u
#define F_TC 0x0200u
#define F_RD 0x0100u
#define F_RA 0x0080u

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* The bytes a host name label may hold (underscore for _srv-style
 * names); upper case is folded before this is asked. */
static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/* Encode text NAME (case folded, one trailing dot tolerated) as wire
 * labels into OUT[WIRE_MAX].  "" (or ".") is the root only when ROOT_OK.
 * Returns the wire length, or -1. */
static int encode_name(const char *name, bool root_ok, uint8_t *out)
{
    size_t n = strnlen(name, TEXT_MAX + 2);
    if (n > 0 && name[n - 1] == '.')
        n--;
    if (n > TEXT_MAX)
        return -1;
    if (n == 0) {
        if (!root_ok)
            return -1;
        out[0] = 0;
        return 1;
    }
    size_t w = 0, lab = 0;  /* lab: where the current label's length goes */
    out[w++] = 0;
    for (size_t i = 0; i < n; i++) {
        char c = lower(name[i]);
        if (c == '.') {
            if (out[lab] == 0)
                return -1;  /* empty label */
            lab = w;
            out[w++] = 0;
        } else if (name_char(c)) {
            if (out[lab] == 63)
                return -1;
            out[lab]++;
            out[w++] = (uint8_t)c;
        } else {
            return -1;
        }
    }
    if (out[lab] == 0)
        return -1;
    out[w++] = 0;
    return (int)w;  /* n <= 253 text bytes: at most 255 wire bytes */
}

/* Read the (possibly compressed) name at *OFF of MSG into OUT[WIRE_MAX]
 * in uncompressed wire form, ASCII lower case, its length in *WLEN, and
 * move *OFF past the name's bytes in place.  A pointer must point below
 * every byte of the name read so far, so a chain of them can only go
 * backwards and ends.  0, or -1. */
static int read_name(const uint8_t *msg, size_t len, size_t *off,
                     uint8_t *out, size_t *wlen)
{
    size_t pos = *off, limit = *off, w = 0, end = 0;
    unsigned jumps = 0;
    for (;;) {
        if (pos >= len)
            return -1;
        uint8_t c = msg[pos];
        if ((c & 0xC0) == 0xC0) {
            if (pos + 1 >= len || ++jumps > MAX_JUMPS)
                return -1;
            size_t target = ((size_t)(c & 0x3F) << 8) | msg[pos + 1];
            if (target >= limit)
                return -1;  /* forward, or back into this name: a loop */
            if (jumps == 1)
                end = pos + 2;
            pos = limit = target;
            continue;
        }
        if (c & 0xC0)
            return -1;  /* 0x40/0x80: extended label types, obsolete */
        if (w + 1 + c > WIRE_MAX || c + (size_t)1 > len - pos)
            return -1;
        out[w++] = c;
        if (c == 0)
            break;
        for (size_t i = 0; i < c; i++)
            out[w++] = (uint8_t)lower((char)msg[pos + 1 + i]);
        pos += 1 + (size_t)c;
    }
    *off = jumps ? end : pos + 1;
    *wlen = w;
    return 0;
}

int dns_build_query(uint8_t *buf, size_t len, uint16_t id, const char *name,
                    uint16_t qtype)
{
    uint8_t wire[WIRE_MAX];
    int wl = encode_name(name, false, wire);
    if (wl < 0 || len < HDR + (size_t)wl + 4)
        return -1;
    memset(buf, 0, HDR);
    put16(buf, id);
    put16(buf + 2, F_RD);
    put16(buf + 4, 1);
    memcpy(buf + HDR, wire, (size_t)wl);
    put16(buf + HDR + wl, qtype);
    put16(buf + HDR + wl + 2, DNS_CLASS_IN);
    return HDR + wl + 4;
}

/* One resource record of a reply, its owner decompressed. */
struct rr {
    uint8_t owner[WIRE_MAX];
    size_t owner_len;
    uint16_t type, class;
    uint32_t ttl;
    size_t rdoff, rdlen;
};

/* Read the record at *OFF into R and move *OFF past it; checks what the
 * parser relies on (RDATA in the message, A/AAAA sizes, a CNAME target
 * that is a name inside its RDATA).  0, or -1. */
static int read_rr(const uint8_t *msg, size_t len, size_t *off, struct rr *r)
{
    size_t pos = *off;
    if (read_name(msg, len, &pos, r->owner, &r->owner_len) < 0 ||
        len - pos < 10)
        return -1;
    r->type = get16(msg + pos);
    r->class = get16(msg + pos + 2);
    r->ttl = get32(msg + pos + 4);
    if (r->ttl > 0x7FFFFFFFu)
        r->ttl = 0;  /* RFC 2181 8: the top bit set means 0 */
    r->rdlen = get16(msg + pos + 8);
    r->rdoff = pos + 10;
    if (r->rdlen > len - r->rdoff)
        return -1;
    if (r->class == DNS_CLASS_IN) {
        if ((r->type == DNS_TYPE_A && r->rdlen != 4) ||
            (r->type == DNS_TYPE_AAAA && r->rdlen != 16))
            return -1;
        if (r->type == DNS_TYPE_CNAME) {
            uint8_t t[WIRE_MAX];
            size_t tl, p = r->rdoff;
            if (read_name(msg, len, &p, t, &tl) < 0 ||
                p != r->rdoff + r->rdlen)
                return -1;
        }
    }
    *off = r->rdoff + r->rdlen;
    return 0;
}

static bool same_name(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    return al == bl && memcmp(a, b, al) == 0;
}

int dns_parse_answer(const uint8_t *msg, size_t len, uint16_t id,
                     const char *name, uint16_t qtype, struct net_addr *out,
                     size_t max, size_t *n, struct dns_answer_info *info)
{
    *n = 0;
    memset(info, 0, sizeof *info);
    uint8_t qname[WIRE_MAX], got[WIRE_MAX];
    size_t got_len;
    int ql = encode_name(name, false, qname);
    if (ql < 0 || len < HDR || get16(msg) != id)
        return -1;
    uint16_t flags = get16(msg + 2);
    if (!(flags & F_QR) || ((flags >> 11) & 0xF) != 0 || get16(msg + 4) != 1)
        return -1;
    size_t pos = HDR;
    if (read_name(msg, len, &pos, got, &got_len) < 0 ||
        !same_name(got, got_len, qname, (size_t)ql) || len - pos < 4 ||
        get16(msg + pos) != qtype || get16(msg + pos + 2) != DNS_CLASS_IN)
        return -1;
    pos += 4;

    /* Walk the answer section once to check every record and count the
     * ones there: each takes at least 11 bytes, so a lying ANCOUNT runs
     * out of message, never out of time. */
    size_t an = get16(msg + 6), answers = pos;
    struct rr r;
    for (size_t i = 0; i < an; i++)
        if (read_rr(msg, len, &pos, &r) < 0)
            return -1;

    /* The names that stand for NAME: itself and its CNAME chain. */
    uint8_t chain[DNS_CNAME_CHAIN_MAX + 1][WIRE_MAX];
    size_t chain_len[DNS_CNAME_CHAIN_MAX + 1];
    size_t links = 0;
    bool used = false;
    uint32_t ttl = UINT32_MAX;
    memcpy(chain[0], qname, (size_t)ql);
    chain_len[0] = (size_t)ql;
    while (links < DNS_CNAME_CHAIN_MAX) {
        bool found = false;
        pos = answers;
        for (size_t i = 0; i < an && !found; i++) {
            if (read_rr(msg, len, &pos, &r) < 0)
                return -1;
            if (r.class != DNS_CLASS_IN || r.type != DNS_TYPE_CNAME ||
                !same_name(r.owner, r.owner_len, chain[links], chain_len[links]))
                continue;
            size_t p = r.rdoff;
            if (read_name(msg, len, &p, chain[links + 1], &chain_len[links + 1]) < 0)
                return -1;
            found = true;
            used = true;
            if (r.ttl < ttl)
                ttl = r.ttl;
        }
        if (!found)
            break;
        links++;
    }

    if (qtype == DNS_TYPE_A || qtype == DNS_TYPE_AAAA) {
        pos = answers;
        for (size_t i = 0; i < an && *n < max; i++) {
            if (read_rr(msg, len, &pos, &r) < 0)
                return -1;
            if (r.class != DNS_CLASS_IN || r.type != qtype)
                continue;
            bool ours = false;
            for (size_t k = 0; k <= links && !ours; k++)
                ours = same_name(r.owner, r.owner_len, chain[k], chain_len[k]);
            if (!ours)
                continue;
            struct net_addr a = {.family = qtype == DNS_TYPE_A ? AF_INET : AF_INET6};
            memcpy(a.b, msg + r.rdoff, r.rdlen);
            bool dup = false;
            for (size_t k = 0; k < *n && !dup; k++)
                dup = out[k].family == a.family && memcmp(out[k].b, a.b, 16) == 0;
            if (dup)
                continue;
            out[(*n)++] = a;
            used = true;
            if (r.ttl < ttl)
                ttl = r.ttl;
        }
    }
    info->rcode = flags & 0xF;
    info->truncated = (flags & F_TC) != 0;
    info->ttl = used ? ttl : 0;
    return 0;
}

/* --- resolv.conf and hosts -------------------------------------------- */

static bool space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Split the line TEXT[0..LEN) (comments already cut) into at most MAX
 * whitespace-separated words: starts in W, lengths in WL.  Returns how
 * many (words past MAX are dropped). */
static size_t words(const char *text, size_t len, const char **w, size_t *wl,
                    size_t max)
{
    size_t k = 0, i = 0;
    while (i < len && k < max) {
        while (i < len && space(text[i]))
            i++;
        if (i == len)
            break;
        size_t s = i;
        while (i < len && !space(text[i]))
            i++;
        w[k] = text + s;
        wl[k++] = i - s;
    }
    return k;
}

/* A word as an IP literal (NUL bytes inside refuse it).  True when *A
 * was filled. */
static bool word_addr(const char *w, size_t wl, struct net_addr *a)
{
    char buf[INET6_ADDRSTRLEN + 8];
    if (wl == 0 || wl >= sizeof buf || memchr(w, '\0', wl))
        return false;
    memcpy(buf, w, wl);
    buf[wl] = '\0';
    memset(a, 0, sizeof *a);
    return net_addr_parse(buf, a) == 1;
}

/* The next line of TEXT[*POS..LEN), its comment (from any of COMMENT's
 * characters) cut: start in *LINE, length returned. */
static size_t next_line(const char *text, size_t len, size_t *pos,
                        const char **line, const char *comment)
{
    size_t s = *pos, e = s;
    while (e < len && text[e] != '\n')
        e++;
    *pos = e < len ? e + 1 : e;
    *line = text + s;
    size_t n = e - s;
    for (size_t i = 0; i < n; i++)
        if (strchr(comment, text[s + i]) && text[s + i] != '\0')
            return i;
    return n;
}

int dns_resolv_conf_parse(const char *text, size_t len,
                          struct net_addr *servers, size_t max, size_t *n)
{
    *n = 0;
    size_t pos = 0;
    while (pos < len && *n < max) {
        const char *line, *w[2];
        size_t wl[2];
        size_t ll = next_line(text, len, &pos, &line, "#;");
        if (words(line, ll, w, wl, 2) == 2 && wl[0] == 10 &&
            memcmp(w[0], "nameserver", 10) == 0 &&
            word_addr(w[1], wl[1], &servers[*n]))
            (*n)++;
    }
    return 0;
}

/* Word W (WL bytes) names NAME (NL bytes): case folded, trailing dots
 * dropped on both sides already for NAME, here for W. */
static bool word_is(const char *w, size_t wl, const char *name, size_t nl)
{
    while (wl > 0 && w[wl - 1] == '.')
        wl--;
    if (wl != nl)
        return false;
    for (size_t i = 0; i < wl; i++)
        if (w[i] == '\0' || lower(w[i]) != lower(name[i]))
            return false;
    return true;
}

int dns_hosts_lookup(const char *text, size_t len, const char *name,
                     struct net_addr *out, size_t max, size_t *n)
{
    *n = 0;
    size_t nl = strlen(name);
    while (nl > 0 && name[nl - 1] == '.')
        nl--;
    if (nl == 0)
        return 0;
    size_t pos = 0;
    while (pos < len && *n < max) {
        const char *line, *w[64];
        size_t wl[64];
        size_t ll = next_line(text, len, &pos, &line, "#");
        size_t k = words(line, ll, w, wl, 64);
        bool named = false;
        for (size_t i = 1; i < k && !named; i++)
            named = word_is(w[i], wl[i], name, nl);
        struct net_addr a;
        if (!named || !word_addr(w[0], wl[0], &a))
            continue;
        bool dup = false;
        for (size_t i = 0; i < *n && !dup; i++)
            dup = out[i].family == a.family && memcmp(out[i].b, a.b, 16) == 0;
        if (!dup)
            out[(*n)++] = a;
    }
    return 0;
}

/* --- the stub --------------------------------------------------------- */

int dns_stub_parse_query(const uint8_t *msg, size_t len,
                         struct dns_question *q)
{
    memset(q, 0, sizeof *q);
    if (len < HDR)
        return -1;
    q->id = get16(msg);
    uint16_t flags = get16(msg + 2);
    q->rd = (flags & F_RD) != 0;
    if ((flags & F_QR) || ((flags >> 11) & 0xF) != 0 || get16(msg + 4) != 1)
        return -2;
    char name[TEXT_MAX + 1];
    size_t pos = HDR, t = 0;
    for (;;) {
        if (pos >= len)
            goto bad;
        uint8_t c = msg[pos];
        if (c == 0)
            break;
        /* No pointers (a query has nothing before its name to point at),
         * no extended labels, 63 bytes at most. */
        if (c > 63 || c > len - pos - 1 || t + (t > 0) + c > TEXT_MAX)
            goto bad;
        if (t > 0)
            name[t++] = '.';
        for (size_t i = 0; i < c; i++) {
            char ch = lower((char)msg[pos + 1 + i]);
            if (!name_char(ch))
                goto bad;
            name[t++] = ch;
        }
        pos += 1 + (size_t)c;
    }
    pos++;
    if (len - pos < 4)
        goto bad;
    uint16_t qtype = get16(msg + pos), qclass = get16(msg + pos + 2);
    if (qtype == 0 || qclass == 0)
        goto bad;
    memcpy(q->name, name, t);
    q->name[t] = '\0';
    q->qtype = qtype;
    q->qclass = qclass;
    return 0;
bad:
    return -2;
}

int dns_stub_error_rcode(const uint8_t *msg, size_t len)
{
    if (len >= 4 && ((msg[2] >> 3) & 0xF) != 0)
        return DNS_RCODE_NOTIMP;
    return DNS_RCODE_FORMERR;
}

int dns_stub_reply(const struct dns_question *q, int rcode,
                   const struct net_addr *a, uint32_t ttl, uint8_t *out,
                   size_t outlen)
{
    if (rcode < 0 || rcode > 15)
        return -1;
    uint8_t wire[WIRE_MAX];
    int wl = 0;
    if (q->qclass != 0) {
        if (memchr(q->name, '\0', sizeof q->name) == NULL ||
            (wl = encode_name(q->name, true, wire)) < 0)
            return -1;
    }
    size_t rdlen = 0;
    uint16_t type = 0;
    if (a) {
        if (a->family == AF_INET) {
            rdlen = 4;
            type = DNS_TYPE_A;
        } else if (a->family == AF_INET6) {
            rdlen = 16;
            type = DNS_TYPE_AAAA;
        } else {
            return -1;
        }
        if (q->qclass == 0)
            return -1;  /* the owner points at the question */
    }
    size_t need = HDR + (q->qclass ? (size_t)wl + 4 : 0) + (a ? 12 + rdlen : 0);
    if (outlen < need)
        return -1;
    memset(out, 0, HDR);
    put16(out, q->id);
    put16(out + 2, (uint16_t)(F_QR | F_RA | (q->rd ? F_RD : 0) | (unsigned)rcode));
    put16(out + 4, q->qclass ? 1 : 0);
    put16(out + 6, a ? 1 : 0);
    size_t p = HDR;
    if (q->qclass) {
        memcpy(out + p, wire, (size_t)wl);
        p += (size_t)wl;
        put16(out + p, q->qtype);
        put16(out + p + 2, q->qclass);
        p += 4;
    }
    if (a) {
        put16(out + p, 0xC000 | HDR);
        put16(out + p + 2, type);
        put16(out + p + 4, DNS_CLASS_IN);
        put32(out + p + 6, ttl);
        put16(out + p + 10, (uint16_t)rdlen);
        memcpy(out + p + 12, a->b, rdlen);
        p += 12 + rdlen;
    }
    return (int)p;
}

/* --- fake addresses --------------------------------------------------- */

/* Address index I of 198.18.0.0/15 into A. */
static void fake_addr(uint32_t i, struct net_addr *a)
{
    memset(a, 0, sizeof *a);
    a->family = AF_INET;
    a->b[0] = 198;
    a->b[1] = (uint8_t)(18 + (i >> 16));
    a->b[2] = (uint8_t)(i >> 8);
    a->b[3] = (uint8_t)i;
}

/* May index I be handed out?  Not .0 or .255 (broadcast-looking), not
 * 198.18.0.0/24 (coco's own addresses). */
static bool fake_usable(uint32_t i)
{
    uint8_t last = (uint8_t)i;
    return i >= 256 && last != 0 && last != 255;
}

void dns_fake_init(struct dns_fake *f)
{
    memset(f, 0, sizeof *f);
}

int dns_fake_get(struct dns_fake *f, const char *name, struct net_addr *out)
{
    char key[TEXT_MAX + 1];
    size_t n = strnlen(name, TEXT_MAX + 2);
    if (n > 0 && name[n - 1] == '.')
        n--;
    if (n == 0 || n > TEXT_MAX)
        return -1;
    uint32_t h = 2166136261u;  /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        key[i] = lower(name[i]);
        h = (h ^ (uint8_t)key[i]) * 16777619u;
    }
    key[n] = '\0';
    /* Open addressing over the address space itself: never deleted, so
     * a name is found before the first free address of its probe. */
    uint32_t i = h % DNS_FAKE_SPACE;
    for (uint32_t step = 0; step < DNS_FAKE_SPACE; step++, i = (i + 1) % DNS_FAKE_SPACE) {
        if (!fake_usable(i))
            continue;
        uint16_t s = f->slot[i];
        if (s == 0) {
            if (f->n >= DNS_FAKE_MAX)
                return -1;
            memcpy(f->names[f->n], key, n + 1);
            f->slot[i] = (uint16_t)(++f->n);
            fake_addr(i, out);
            return 0;
        }
        if (strcmp(f->names[s - 1], key) == 0) {
            fake_addr(i, out);
            return 0;
        }
    }
    return -1;
}

const char *dns_fake_name(const struct dns_fake *f, const struct net_addr *a)
{
    if (a->family != AF_INET || a->b[0] != 198 || (a->b[1] & 0xFE) != 18)
        return NULL;
    uint32_t i = ((uint32_t)(a->b[1] - 18) << 16) | ((uint32_t)a->b[2] << 8) | a->b[3];
    if (!fake_usable(i) || f->slot[i] == 0 || f->slot[i] > f->n)
        return NULL;
    return f->names[f->slot[i] - 1];
}
