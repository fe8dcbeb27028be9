/* addr.c — IP literals in every spelling a URL or a tool may use, and
 * the one table of address ranges the egress proxy refuses: see net.h.
 *
 * The parser follows the WHATWG URL standard's IPv4 parser (what
 * browsers, curl and node accept): 1 to 4 dot-separated parts, each
 * decimal, octal (leading 0) or hex (0x), the last part filling the
 * remaining bytes — so 127.1, 2130706433, 0x7f000001 and 0177.0.0.1 are
 * all 127.0.0.1.  A host whose last label is a number is an IPv4 literal
 * or an error, never a name to resolve: "1.2.3.256" does not reach DNS.
 * IPv6 comes bracketed or not; an IPv4-mapped IPv6 address is the IPv4
 * address it maps (it is dialled as one). */
#include "net.h"

#include <arpa/inet.h>
#include <string.h>

/* Every range a tool may not reach through coco's proxy unless the
 * config's private_ranges names it.  Rows are checked in order; the
 * first match names the reason, so narrower rows come first.  The
 * documentation ranges 192.0.2/24, 198.51.100/24 and 203.0.113/24 are
 * not here, as in stripe's smokescreen.  IPv4-mapped IPv6 (::ffff:0:0/96)
 * has no row: such an address is checked as the IPv4 address it maps. */
const struct net_range net_blocked[] = {
    /* IPv4 */
    {AF_INET, {169, 254, 169, 254}, 32, "169.254.169.254/32", "cloud metadata", true},
    {AF_INET, {0}, 8, "0.0.0.0/8", "this network", true},
    {AF_INET, {10}, 8, "10.0.0.0/8", "private"},
    {AF_INET, {100, 64}, 10, "100.64.0.0/10", "carrier-grade NAT"},
    {AF_INET, {127}, 8, "127.0.0.0/8", "loopback", true},
    {AF_INET, {169, 254}, 16, "169.254.0.0/16", "link-local"},
    {AF_INET, {172, 16}, 12, "172.16.0.0/12", "private"},
    {AF_INET, {192, 0, 0}, 24, "192.0.0.0/24", "IETF protocol assignments"},
    {AF_INET, {192, 168}, 16, "192.168.0.0/16", "private"},
    {AF_INET, {198, 18}, 15, "198.18.0.0/15", "benchmarking"},
    {AF_INET, {224}, 4, "224.0.0.0/4", "multicast"},
    {AF_INET, {255, 255, 255, 255}, 32, "255.255.255.255/32", "broadcast"},
    {AF_INET, {240}, 4, "240.0.0.0/4", "reserved"},
    /* IPv6 */
    {AF_INET6, {0xfd, 0x00, 0x0e, 0xc2, [15] = 0x54, [14] = 0x02}, 128,
     "fd00:ec2::254/128", "cloud metadata", true},
    {AF_INET6, {0}, 128, "::/128", "unspecified", true},
    {AF_INET6, {[15] = 1}, 128, "::1/128", "loopback", true},
    {AF_INET6, {0}, 96, "::/96", "IPv4-compatible"},
    {AF_INET6, {0x00, 0x64, 0xff, 0x9b}, 96, "64:ff9b::/96", "NAT64"},
    {AF_INET6, {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48, "64:ff9b:1::/48",
     "NAT64"},
    {AF_INET6, {0x01, 0x00}, 64, "100::/64", "discard-only"},
    {AF_INET6, {0x20, 0x01, 0x00, 0x00}, 32, "2001::/32", "Teredo"},
    {AF_INET6, {0x20, 0x02}, 16, "2002::/16", "6to4"},
    {AF_INET6, {0xfc}, 7, "fc00::/7", "unique local"},
    {AF_INET6, {0xfe, 0x80}, 10, "fe80::/10", "link-local"},
    {AF_INET6, {0xfe, 0xc0}, 10, "fec0::/10", "site-local"},
    {AF_INET6, {0xff}, 8, "ff00::/8", "multicast"},
};
const size_t net_n_blocked = sizeof net_blocked / sizeof net_blocked[0];

static const uint8_t mapped_prefix[12] = {[10] = 0xff, [11] = 0xff};

struct net_addr net_addr_unmap(const struct net_addr *a)
{
    struct net_addr r = *a;
    if (a->family == AF_INET6 && memcmp(a->b, mapped_prefix, 12) == 0) {
        memset(&r, 0, sizeof r);
        r.family = AF_INET;
        memcpy(r.b, a->b + 12, 4);
    }
    return r;
}

bool net_addr_in(const struct net_addr *a, int family, const uint8_t *base,
                 unsigned prefix)
{
    if (a->family != family)
        return false;
    unsigned full = prefix / 8, rest = prefix % 8;
    if (memcmp(a->b, base, full) != 0)
        return false;
    if (rest) {
        uint8_t mask = (uint8_t)(0xff << (8 - rest));
        if ((a->b[full] & mask) != (base[full] & mask))
            return false;
    }
    return true;
}

const struct net_range *net_addr_blocked(const struct net_addr *addr)
{
    struct net_addr a = net_addr_unmap(addr);
    for (size_t i = 0; i < net_n_blocked; i++) {
        const struct net_range *r = &net_blocked[i];
        if (net_addr_in(&a, r->family, r->base, r->prefix))
            return r;
    }
    return NULL;
}

/* One IPv4 part: decimal, 0-prefixed octal or 0x-prefixed hex (empty
 * after 0x is 0, as in the URL standard).  -1 when not a number or
 * above 2^32-1. */
static int parse_part(const char *s, size_t n, uint64_t *out)
{
    unsigned base = 10;
    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        n -= 2;
    } else if (n >= 2 && s[0] == '0') {
        base = 8;
        s++;
        n--;
    }
    if (n == 0 && base != 16)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned char)s[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (base == 16 && c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (base == 16 && c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        if (d >= base)
            return -1;
        v = v * base + d;
        if (v > 0xffffffffULL)
            return -1;
    }
    *out = v;
    return 0;
}

/* The URL standard's "ends in a number": the last label (a trailing dot
 * dropped) is all digits, or 0x and hex digits. */
static bool ends_in_number(const char *s, size_t n)
{
    if (n && s[n - 1] == '.')
        n--;
    size_t start = n;
    while (start && s[start - 1] != '.')
        start--;
    const char *l = s + start;
    size_t ln = n - start;
    if (ln == 0)
        return false;
    bool digits = true;
    for (size_t i = 0; i < ln; i++)
        digits = digits && l[i] >= '0' && l[i] <= '9';
    if (digits)
        return true;
    if (ln >= 2 && l[0] == '0' && (l[1] == 'x' || l[1] == 'X')) {
        for (size_t i = 2; i < ln; i++)
            if (!strchr("0123456789abcdefABCDEF", l[i]))
                return false;
        return true;
    }
    return false;
}

static int parse_v4(const char *s, size_t n, struct net_addr *out)
{
    if (n && s[n - 1] == '.')
        n--;
    uint64_t parts[4];
    size_t np = 0;
    const char *p = s, *end = s + n;
    for (;;) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        const char *e = dot ? dot : end;
        if (np == 4 || parse_part(p, (size_t)(e - p), &parts[np]) < 0)
            return -1;
        np++;
        if (!dot)
            break;
        p = dot + 1;
    }
    for (size_t i = 0; i + 1 < np; i++)
        if (parts[i] > 255)
            return -1;
    uint64_t last = parts[np - 1];
    if (last >= (1ULL << (8 * (5 - np))))
        return -1;
    uint32_t v = (uint32_t)last;
    for (size_t i = 0; i + 1 < np; i++)
        v |= (uint32_t)parts[i] << (8 * (3 - i));
    memset(out, 0, sizeof *out);
    out->family = AF_INET;
    out->b[0] = (uint8_t)(v >> 24);
    out->b[1] = (uint8_t)(v >> 16);
    out->b[2] = (uint8_t)(v >> 8);
    out->b[3] = (uint8_t)v;
    return 1;
}

int net_addr_parse(const char *s, struct net_addr *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 255)
        return -1;
    bool bracket = s[0] == '[';
    if (bracket || strchr(s, ':')) {
        char buf[INET6_ADDRSTRLEN + 1];
        if (bracket) {
            if (n < 3 || s[n - 1] != ']')
                return -1;
            s++;
            n -= 2;
        }
        /* No zone: "%eth0" names an interface of the host. */
        if (n >= sizeof buf || memchr(s, '%', n))
            return -1;
        memcpy(buf, s, n);
        buf[n] = '\0';
        struct net_addr a = {.family = AF_INET6};
        if (inet_pton(AF_INET6, buf, a.b) != 1)
            return -1;
        *out = net_addr_unmap(&a);
        return 1;
    }
    if (!ends_in_number(s, n))
        return 0;
    return parse_v4(s, n, out);
}

void net_addr_format(const struct net_addr *a, char *buf, size_t len)
{
    if (!inet_ntop(a->family, a->b, buf, (socklen_t)len) && len)
        buf[0] = '\0';
}

int net_cidr_parse(const char *s, struct net_cidr *out, const char **why)
{
    const char *slash = strchr(s, '/');
    if (!slash) {
        *why = "not a range (ADDRESS/PREFIX, e.g. 10.20.0.0/16)";
        return -1;
    }
    char host[INET6_ADDRSTRLEN + 1];
    size_t hn = (size_t)(slash - s);
    if (hn == 0 || hn >= sizeof host) {
        *why = "not a range (ADDRESS/PREFIX, e.g. 10.20.0.0/16)";
        return -1;
    }
    memcpy(host, s, hn);
    host[hn] = '\0';
    /* The plain spellings only: a range is written by a person. */
    struct net_addr a = {0};
    if (inet_pton(AF_INET, host, a.b) == 1) {
        a.family = AF_INET;
    } else if (inet_pton(AF_INET6, host, a.b) == 1) {
        a.family = AF_INET6;
    } else {
        *why = "not an IPv4 or IPv6 address before the '/'";
        return -1;
    }
    unsigned max = a.family == AF_INET ? 32 : 128, prefix = 0;
    const char *p = slash + 1;
    if (!*p || strlen(p) > 3) {
        *why = "the prefix length is not a number";
        return -1;
    }
    for (; *p; p++) {
        if (*p < '0' || *p > '9') {
            *why = "the prefix length is not a number";
            return -1;
        }
        prefix = prefix * 10 + (unsigned)(*p - '0');
    }
    if (prefix > max) {
        *why = a.family == AF_INET ? "the prefix length is above 32"
                                   : "the prefix length is above 128";
        return -1;
    }
    if (prefix == 0) {
        *why = "a /0 range is every address; name the private range you need";
        return -1;
    }
    /* Host bits set: probably a typo for another range. */
    for (unsigned bit = prefix; bit < max; bit++)
        if (a.b[bit / 8] & (0x80 >> (bit % 8))) {
            *why = "host bits are set after the prefix (write the network "
                   "address, e.g. 10.20.0.0/16)";
            return -1;
        }
    out->addr = a;
    out->prefix = prefix;
    return 0;
}

bool net_cidr_contains(const struct net_cidr *c, const struct net_addr *addr)
{
    struct net_addr a = net_addr_unmap(addr);
    return net_addr_in(&a, c->addr.family, c->addr.b, c->prefix);
}

const char *net_private_range_check(const struct net_cidr *c, char *buf,
                                    size_t len)
{
    const struct net_range *inside = NULL;
    for (size_t i = 0; i < net_n_blocked; i++) {
        const struct net_range *r = &net_blocked[i];
        if (r->family != c->addr.family)
            continue;
        struct net_addr base = {.family = r->family};
        memcpy(base.b, r->base, 16);
        bool overlap = r->prefix <= c->prefix
                           ? net_addr_in(&c->addr, r->family, r->base, r->prefix)
                           : net_addr_in(&base, c->addr.family, c->addr.b,
                                         c->prefix);
        if (overlap && r->always) {
            snprintf(buf, len, "covers %s (%s), which private_ranges can "
                     "never open", r->cidr, r->what);
            return buf;
        }
        if (!inside && r->prefix <= c->prefix && overlap)
            inside = r;
    }
    if (!inside) {
        snprintf(buf, len, "is not inside a blocked range (public addresses "
                 "need no entry; private_ranges names private ones, such as "
                 "10.20.0.0/16)");
        return buf;
    }
    return NULL;
}

int net_addr_from_sockaddr(const struct sockaddr *sa, struct net_addr *out,
                           uint16_t *port)
{
    memset(out, 0, sizeof *out);
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        out->family = AF_INET;
        memcpy(out->b, &s4->sin_addr, 4);
        if (port)
            *port = ntohs(s4->sin_port);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        out->family = AF_INET6;
        memcpy(out->b, &s6->sin6_addr, 16);
        if (port)
            *port = ntohs(s6->sin6_port);
        return 0;
    }
    return -1;
}
