/* allow.c — host names as coco compares them, and the allowlist: see
 * net.h.
 *
 * One canonical form for every name, computed once: ASCII lower case,
 * one trailing dot dropped, every non-ASCII label written as its IDNA
 * A-label ("xn--..."), every IP-literal spelling as its one address.  The
 * config's allowed_hosts are canonicalised at load and a request's host
 * when it arrives, with this same function: a name matches only when the
 * two are equal bytes (or a strict subdomain of a "*." entry).
 *
 * IDNA here is the part of UTS #46 that changes which host is meant:
 * full-width ASCII and the ideographic and full-width dots map to their
 * ASCII forms, letters of the Latin-1, Latin Extended-A, Greek and
 * Cyrillic blocks are lower-cased, and a label is then Punycode-encoded
 * (RFC 3492).  Anything else unusual (controls, format and space
 * characters, invalid UTF-8, an A-label that does not decode) is refused
 * rather than guessed at. */
#include "net.h"

#include <ctype.h>
#include <string.h>

/* --- Punycode (RFC 3492) --------------------------------------------- */

enum { PC_BASE = 36, PC_TMIN = 1, PC_TMAX = 26, PC_SKEW = 38, PC_DAMP = 700,
       PC_BIAS = 72, PC_N = 128 };

static uint32_t adapt(uint32_t delta, uint32_t npoints, bool first)
{
    delta = first ? delta / PC_DAMP : delta / 2;
    delta += delta / npoints;
    uint32_t k = 0;
    while (delta > ((PC_BASE - PC_TMIN) * PC_TMAX) / 2) {
        delta /= PC_BASE - PC_TMIN;
        k += PC_BASE;
    }
    return k + (PC_BASE - PC_TMIN + 1) * delta / (delta + PC_SKEW);
}

static char digit_char(uint32_t d)
{
    return (char)(d < 26 ? 'a' + d : '0' + (d - 26));
}

/* Encode code points CP[0..N) as Punycode into OUT (without "xn--").
 * Returns the length, or -1 when it does not fit in CAP bytes. */
static int punycode_encode(const uint32_t *cp, size_t n, char *out, size_t cap)
{
    size_t o = 0, basic = 0;
    for (size_t i = 0; i < n; i++)
        if (cp[i] < 0x80) {
            if (o + 1 >= cap)
                return -1;
            out[o++] = (char)cp[i];
            basic++;
        }
    size_t h = basic;
    if (basic) {
        if (o + 1 >= cap)
            return -1;
        out[o++] = '-';
    }
    uint32_t m_prev = PC_N, delta = 0, bias = PC_BIAS;
    while (h < n) {
        uint32_t m = UINT32_MAX;
        for (size_t i = 0; i < n; i++)
            if (cp[i] >= m_prev && cp[i] < m)
                m = cp[i];
        if ((uint64_t)(m - m_prev) * (h + 1) + delta > UINT32_MAX)
            return -1;
        delta += (m - m_prev) * (uint32_t)(h + 1);
        m_prev = m;
        for (size_t i = 0; i < n; i++) {
            if (cp[i] < m && ++delta == 0)
                return -1;
            if (cp[i] != m)
                continue;
            uint32_t q = delta;
            for (uint32_t k = PC_BASE;; k += PC_BASE) {
                uint32_t t = k <= bias ? PC_TMIN
                             : k >= bias + PC_TMAX ? PC_TMAX : k - bias;
                if (q < t)
                    break;
                if (o + 1 >= cap)
                    return -1;
                out[o++] = digit_char(t + (q - t) % (PC_BASE - t));
                q = (q - t) / (PC_BASE - t);
            }
            if (o + 1 >= cap)
                return -1;
            out[o++] = digit_char(q);
            bias = adapt(delta, (uint32_t)(h + 1), h == basic);
            delta = 0;
            h++;
        }
        delta++;
        m_prev = m + 1;
    }
    out[o] = '\0';
    return (int)o;
}

/* Decode Punycode S[0..N) into CP (at most CAP code points).  Returns
 * the count, or -1 for anything malformed. */
static int punycode_decode(const char *s, size_t n, uint32_t *cp, size_t cap)
{
    size_t b = 0, out = 0;
    for (size_t j = 0; j < n; j++)
        if (s[j] == '-')
            b = j;
    if (b) {
        if (b > cap)
            return -1;
        for (size_t j = 0; j < b; j++) {
            if ((unsigned char)s[j] >= 0x80)
                return -1;
            cp[out++] = (unsigned char)s[j];
        }
    }
    uint32_t i = 0, nn = PC_N, bias = PC_BIAS;
    for (size_t in = b ? b + 1 : 0; in < n;) {
        uint32_t oldi = i, w = 1;
        for (uint32_t k = PC_BASE;; k += PC_BASE) {
            if (in >= n)
                return -1;
            char c = s[in++];
            uint32_t d;
            if (c >= 'a' && c <= 'z')
                d = (uint32_t)(c - 'a');
            else if (c >= '0' && c <= '9')
                d = (uint32_t)(c - '0') + 26;
            else
                return -1;
            if ((uint64_t)d * w + i > UINT32_MAX)
                return -1;
            i += d * w;
            uint32_t t = k <= bias ? PC_TMIN
                         : k >= bias + PC_TMAX ? PC_TMAX : k - bias;
            if (d < t)
                break;
            if ((uint64_t)w * (PC_BASE - t) > UINT32_MAX)
                return -1;
            w *= PC_BASE - t;
        }
        bias = adapt(i - oldi, (uint32_t)(out + 1), oldi == 0);
        if (i / (out + 1) > 0x10FFFF - nn)
            return -1;
        nn += i / (uint32_t)(out + 1);
        i %= (uint32_t)(out + 1);
        if (out >= cap || nn < 0x80 || (nn >= 0xD800 && nn <= 0xDFFF))
            return -1;
        memmove(cp + i + 1, cp + i, (out - i) * sizeof *cp);
        cp[i++] = nn;
        out++;
    }
    return (int)out;
}

/* --- UTF-8 and the mapping ------------------------------------------- */

/* Next code point of S (LEN bytes left) into *CP; bytes used, or 0 for
 * invalid UTF-8 (overlong, surrogate, above U+10FFFF, truncated). */
static size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t n = s[0] >= 0xF0 && s[0] <= 0xF4 ? 4
               : s[0] >= 0xE0 ? (s[0] < 0xF0 ? 3 : 0)
               : s[0] >= 0xC2 ? 2 : 0;
    if (n == 0 || n > len)
        return 0;
    uint32_t c = s[0] & (0xFF >> (n + 1));
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < min[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return n;
}

/* CP as UTS #46 would map it for the scripts coco folds, or 0 for a code
 * point a host name may not hold. */
static uint32_t idna_map(uint32_t c)
{
    if (c < 0x80)
        return c >= 'A' && c <= 'Z' ? c + 0x20 : c;
    if (c == 0x3002 || c == 0xFF0E || c == 0xFF61)
        return '.';  /* ideographic / full-width / half-width full stop */
    if (c >= 0xFF01 && c <= 0xFF5E)
        return idna_map(c - 0xFF01 + 0x21);  /* full-width ASCII */
    if (c <= 0x00BF || c == 0x00D7 || c == 0x00F7)
        return 0;  /* C1 controls, no-break space, symbols, x and / */
    if (c >= 0x00C0 && c <= 0x00DE)
        return c + 0x20;
    if (c >= 0x0100 && c <= 0x0137)
        return c | 1;
    if (c >= 0x0391 && c <= 0x03AB && c != 0x03A2)
        return c + 0x20;
    if (c >= 0x0410 && c <= 0x042F)
        return c + 0x20;
    if (c >= 0x0400 && c <= 0x040F)
        return c + 0x50;
    if ((c >= 0x2000 && c <= 0x206F) || (c >= 0x2070 && c <= 0x20CF) ||
        c == 0x3000 || c == 0xFEFF || (c >= 0xFFF0 && c <= 0xFFFF) ||
        (c >= 0xE000 && c <= 0xF8FF) || (c >= 0xFE00 && c <= 0xFE0F) ||
        c >= 0xE0000)
        return 0;  /* spaces, format, bidi, private use, variation selectors */
    return c;
}

/* --- canonical names ------------------------------------------------- */

#define MAX_LABEL_CP 63

/* Append label CP[0..N) (mapped code points) to OUT at *O as ASCII or
 * an A-label. */
static const char *put_label(const uint32_t *cp, size_t n, char *out,
                             size_t cap, size_t *o)
{
    bool ascii = true;
    for (size_t i = 0; i < n; i++)
        ascii = ascii && cp[i] < 0x80;
    char lab[64];
    size_t ln;
    if (ascii) {
        if (n > 63)
            return "label longer than 63 characters";
        for (size_t i = 0; i < n; i++)
            lab[i] = (char)cp[i];
        ln = n;
        /* An A-label must be the encoding of some U-label. */
        if (ln >= 4 && memcmp(lab, "xn--", 4) == 0) {
            /* ... and the canonical one: its code points already mapped
             * (no upper case), re-encoding to the same bytes.  Else two
             * spellings would name one host. */
            uint32_t dec[MAX_LABEL_CP];
            char again[64];
            int nd = punycode_decode(lab + 4, ln - 4, dec, MAX_LABEL_CP);
            bool ok = nd > 0, wide = false;
            for (int i = 0; ok && i < nd; i++)
                wide = wide || dec[i] >= 0x80;
            ok = ok && wide;  /* an all-ASCII U-label has no A-label */
            for (int i = 0; ok && i < nd; i++)
                ok = dec[i] >= 0x80 ? idna_map(dec[i]) == dec[i]
                                    : dec[i] == '-' || isalnum((int)dec[i]);
            for (int i = 0; ok && i < nd; i++)
                ok = !(dec[i] >= 'A' && dec[i] <= 'Z');
            ok = ok && punycode_encode(dec, (size_t)nd, again, sizeof again) ==
                           (int)(ln - 4) &&
                 memcmp(again, lab + 4, ln - 4) == 0;
            if (!ok)
                return "\"xn--\" label that is not valid Punycode";
        }
    } else {
        memcpy(lab, "xn--", 4);
        int r = punycode_encode(cp, n, lab + 4, sizeof lab - 4);
        if (r < 0)
            return "label longer than 63 characters";
        ln = 4 + (size_t)r;
    }
    if (*o + ln + 2 > cap)
        return "host name longer than 253 characters";
    if (*o)
        out[(*o)++] = '.';
    memcpy(out + *o, lab, ln);
    *o += ln;
    out[*o] = '\0';
    return NULL;
}

const char *net_name_canon(const char *in, size_t n, char *out, size_t cap)
{
    if (cap < 2)
        return "host name longer than 253 characters";
    if (n > 1024)
        return "host name longer than 253 characters";
    uint32_t cp[1024];
    size_t ncp = 0;
    for (size_t i = 0; i < n;) {
        uint32_t c;
        size_t k = utf8_next((const unsigned char *)in + i, n - i, &c);
        if (k == 0)
            return "host name is not valid UTF-8";
        c = idna_map(c);
        if (c == 0)
            return "host names may hold only letters, digits, '-' and '.'";
        cp[ncp++] = c;
        i += k;
    }
    if (ncp && cp[ncp - 1] == '.')
        ncp--;  /* "example.org." is example.org */
    if (ncp == 0)
        return "empty host name";
    size_t o = 0, start = 0;
    out[0] = '\0';
    for (size_t i = 0; i <= ncp; i++) {
        if (i < ncp && cp[i] != '.')
            continue;
        if (i == start)
            return "empty label (leading, trailing or double dot)";
        if (i - start > MAX_LABEL_CP)
            return "label longer than 63 characters";
        const char *why = put_label(cp + start, i - start, out, cap, &o);
        if (why)
            return why;
        start = i + 1;
    }
    if (o > 253)
        return "host name longer than 253 characters";
    return NULL;
}

const char *net_name_check(const char *p)
{
    int labels = 0;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n == 0)
            return "empty label (leading, trailing or double dot)";
        if (n > 63)
            return "label longer than 63 characters";
        if (p[0] == '-' || p[n - 1] == '-')
            return "a label cannot start or end with '-'";
        for (size_t i = 0; i < n; i++)
            if (!(isalnum((unsigned char)p[i]) || p[i] == '-'))
                return "host names may hold only letters, digits, '-' and '.'";
        labels++;
        if (!dot)
            break;
        p = dot + 1;
    }
    return NULL;
}

int net_host_canon(const char *in, size_t n, char *out, size_t cap,
                   struct net_addr *ip, const char **why)
{
    char raw[1025];
    if (n == 0 || n >= sizeof raw) {
        *why = n ? "host name longer than 253 characters" : "empty host name";
        return -1;
    }
    memcpy(raw, in, n);
    raw[n] = '\0';
    if (memchr(in, '\0', n)) {
        *why = "host name holds a NUL byte";
        return -1;
    }
    /* Map first: full-width digits and dots spell addresses too. */
    char name[256];
    bool bracket = raw[0] == '[';
    if (!bracket && !strchr(raw, ':')) {
        *why = net_name_canon(raw, n, name, sizeof name);
        if (*why)
            return -1;
    } else {
        if (n >= sizeof name) {
            *why = "not an IP address";
            return -1;
        }
        memcpy(name, raw, n + 1);
    }
    struct net_addr a;
    int r = net_addr_parse(name, &a);
    if (r < 0) {
        *why = "not an IP address (a host ending in a number is read as one)";
        return -1;
    }
    if (r == 1) {
        if (ip)
            *ip = a;
        net_addr_format(&a, out, cap);
        return 1;
    }
    *why = net_name_check(name);
    if (*why)
        return -1;
    if (strlen(name) >= cap) {
        *why = "host name longer than 253 characters";
        return -1;
    }
    memcpy(out, name, strlen(name) + 1);
    return 0;
}

/* --- the allowlist --------------------------------------------------- */

const char *net_allow_parse(const char *spec, struct net_allow *out)
{
    memset(out, 0, sizeof *out);
    size_t n = strlen(spec);
    if (n == 0)
        return "empty host name";
    /* The port: after the last ':', unless that is inside an IPv6
     * literal (which is refused below anyway). */
    const char *colon = strrchr(spec, ':');
    if (colon && !strchr(spec, ']') && memchr(spec, ':', (size_t)(colon - spec)))
        return "IP addresses are not allowed; name the host";
    if (colon && !strchr(spec, ']')) {
        const char *p = colon + 1;
        if (strcmp(p, "*") == 0) {
            out->any_port = true;
        } else {
            unsigned long v = 0;
            if (!*p || strlen(p) > 5)
                return "the port after ':' must be 1-65535 or '*'";
            for (; *p; p++) {
                if (*p < '0' || *p > '9')
                    return "the port after ':' must be 1-65535 or '*'";
                v = v * 10 + (unsigned long)(*p - '0');
            }
            if (v < 1 || v > 65535)
                return "the port after ':' must be 1-65535 or '*'";
            out->port = (uint16_t)v;
        }
        n = (size_t)(colon - spec);
    }
    const char *host = spec;
    if (n >= 2 && host[0] == '*' && host[1] == '.') {
        out->wildcard = true;
        host += 2;
        n -= 2;
        if (n == 0)
            return "wildcard needs a domain after \"*.\"";
    }
    if (memchr(host, '*', n))
        return "a wildcard is only allowed as the whole first label "
               "(\"*.example.org\")";
    struct net_addr a;
    const char *why = NULL;
    int r = net_host_canon(host, n, out->host, sizeof out->host, &a, &why);
    if (r == 1 || (r < 0 && (memchr(host, ':', n) || host[0] == '[')))
        return "IP addresses are not allowed; name the host";
    if (r < 0)
        return why;
    if (out->wildcard && !strchr(out->host, '.'))
        return "wildcard must cover a domain with at least two labels "
               "(\"*.example.org\", not \"*.org\")";
    return NULL;
}

void net_allow_format(const struct net_allow *e, char *buf, size_t len)
{
    char port[8] = "";
    if (e->any_port)
        snprintf(port, sizeof port, ":*");
    else if (e->port)
        snprintf(port, sizeof port, ":%u", (unsigned)e->port);
    snprintf(buf, len, "%s%s%s", e->wildcard ? "*." : "", e->host, port);
}

bool net_allow_match(const struct net_allow *list, size_t n, const char *host,
                     uint16_t port)
{
    size_t hl = strlen(host);
    for (size_t i = 0; i < n; i++) {
        const struct net_allow *e = &list[i];
        bool port_ok = e->any_port || (e->port ? port == e->port
                                                : port == 80 || port == 443);
        if (!port_ok)
            continue;
        size_t el = strlen(e->host);
        if (!e->wildcard) {
            if (hl == el && memcmp(host, e->host, hl) == 0)
                return true;
        } else if (hl > el + 1 && host[hl - el - 1] == '.' &&
                   memcmp(host + hl - el, e->host, el) == 0) {
            return true;  /* a strict subdomain, label-aligned */
        }
    }
    return false;
}
