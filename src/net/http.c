/* http.c — the egress proxy's HTTP parser, rewriter and chunked framer,
 * pure.  See net/http.h.  Every refusal here is one the upstream could
 * otherwise have read differently from the proxy (request smuggling), or
 * a bound. */
#include "net/http.h"

#include <stdio.h>
#include <string.h>

static int fail(struct http_req *r, int status, const char *why)
{
    r->status = status;
    r->error = why;
    return HTTP_ERROR;
}

static bool is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static bool is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int hexval(unsigned char c)
{
    if (is_digit(c))
        return c - '0';
    return (c | 0x20) - 'a' + 10;
}

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* S of N bytes equals the lowercase NUL-terminated LIT, ignoring case. */
static bool eq_ci(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    if (n != m)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)s[i]) != (unsigned char)lit[i])
            return false;
    return true;
}

static bool eq_ci2(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn)
        return false;
    for (size_t i = 0; i < an; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return false;
    return true;
}

/* --- authorities ------------------------------------------------------ */

struct authority {
    const char *host;   /* without brackets */
    size_t host_len;
    bool v6;
    bool has_port;
    uint16_t port;
};

/* Parse host[:port] (S of N bytes, all of it) strictly: a reg-name of
 * letters, digits, '-', '.', '_' or a bracketed IPv6 literal of hex
 * digits, ':' and '.' (no zone), a port of 1..5 digits in 1..65535.
 * No userinfo, no percent-encoding.  Returns NULL or a reason. */
static const char *parse_authority(const char *s, size_t n, struct authority *a)
{
    memset(a, 0, sizeof *a);
    size_t i = 0;
    if (memchr(s, '@', n))
        return "userinfo";
    if (n && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close)
            return "bad-host";
        a->host = s + 1;
        a->host_len = (size_t)(close - s) - 1;
        a->v6 = true;
        bool colon = false;
        for (size_t k = 0; k < a->host_len; k++) {
            unsigned char c = (unsigned char)a->host[k];
            if (!is_hex(c) && c != ':' && c != '.')
                return "bad-host";
            colon |= c == ':';
        }
        if (!colon)
            return "bad-host";
        i = (size_t)(close - s) + 1;
    } else {
        a->host = s;
        while (i < n && s[i] != ':') {
            unsigned char c = (unsigned char)s[i];
            if (!(is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'z') ||
                  c == '-' || c == '.' || c == '_'))
                return "bad-host";
            i++;
        }
        a->host_len = i;
    }
    if (a->host_len == 0)
        return "empty-host";
    if (a->host_len > 255)
        return "bad-host";
    if (i == n)
        return NULL;
    if (s[i] != ':')
        return "bad-host";
    i++;
    size_t digits = n - i;
    if (digits == 0 || digits > 5)
        return "bad-port";
    unsigned long port = 0;
    for (; i < n; i++) {
        if (!is_digit((unsigned char)s[i]))
            return "bad-port";
        port = port * 10 + (unsigned)(s[i] - '0');
    }
    if (port < 1 || port > 65535)
        return "bad-port";
    a->has_port = true;
    a->port = (uint16_t)port;
    return NULL;
}

/* Hosts equal ignoring case and one trailing dot on either side. */
static bool same_host(const struct authority *a, const struct authority *b)
{
    size_t an = a->host_len, bn = b->host_len;
    if (a->v6 != b->v6)
        return false;
    if (!a->v6 && an > 1 && a->host[an - 1] == '.')
        an--;
    if (!b->v6 && bn > 1 && b->host[bn - 1] == '.')
        bn--;
    return eq_ci2(a->host, an, b->host, bn);
}

/* --- the request line --------------------------------------------------- */

static int parse_target(struct http_req *r, const char *t, size_t n,
                        struct authority *auth)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t[i];
        /* No SP or CTL (split out already) and no raw non-ASCII: the
         * upstream gets these bytes as its request target. */
        if (c <= 0x20 || c >= 0x7f)
            return fail(r, 400, "target");
        if (c == '#')
            return fail(r, 400, "fragment");
    }
    if (r->is_connect) {
        const char *why = parse_authority(t, n, auth);
        if (why)
            return fail(r, 400, why);
        if (!auth->has_port)
            return fail(r, 400, "connect-port");
    } else {
        if (n && t[0] == '/')
            return fail(r, 400, "origin-form");
        if (n == 1 && t[0] == '*')
            return fail(r, 400, "asterisk-form");
        const char *sep = NULL;
        for (size_t i = 0; i + 2 < n; i++)
            if (t[i] == ':' && t[i + 1] == '/' && t[i + 2] == '/') {
                sep = t + i;
                break;
            }
        if (!sep)
            return fail(r, 400, "target");
        size_t slen = (size_t)(sep - t);
        if (eq_ci(t, slen, "https"))
            return fail(r, 400, "https-url");
        if (!eq_ci(t, slen, "http"))
            return fail(r, 400, "scheme");
        const char *a = sep + 3, *end = t + n;
        const char *p = a;
        while (p < end && *p != '/' && *p != '?')
            p++;
        const char *why = parse_authority(a, (size_t)(p - a), auth);
        if (why)
            return fail(r, 400, why);
        size_t plen = (size_t)(end - p);
        size_t k = 0;
        if (plen == 0 || *p == '?')
            r->path[k++] = '/';
        if (k + plen >= sizeof r->path)
            return fail(r, 414, "target-too-long");
        memcpy(r->path + k, p, plen);
        r->path[k + plen] = '\0';
    }
    memcpy(r->host, auth->host, auth->host_len);
    r->host[auth->host_len] = '\0';
    r->host_is_v6 = auth->v6;
    r->port = auth->has_port ? auth->port : 80;
    return HTTP_OK;
}

static int parse_request_line(struct http_req *r, const char *l, size_t n,
                              struct authority *auth)
{
    const char *sp1 = memchr(l, ' ', n);
    if (!sp1)
        return fail(r, 400, "request-line");
    size_t mlen = (size_t)(sp1 - l);
    const char *t = sp1 + 1;
    const char *sp2 = memchr(t, ' ', n - mlen - 1);
    if (!sp2)
        return fail(r, 400, "request-line");
    size_t tlen = (size_t)(sp2 - t);
    const char *v = sp2 + 1;
    size_t vlen = n - (size_t)(v - l);
    if (mlen == 0 || mlen >= sizeof r->method)
        return fail(r, 400, "method");
    for (size_t i = 0; i < mlen; i++)
        if (!is_tchar((unsigned char)l[i]))
            return fail(r, 400, "method");
    memcpy(r->method, l, mlen);
    r->method[mlen] = '\0';
    if (vlen == 8 && memcmp(v, "HTTP/1.1", 8) == 0) {
        r->version = 11;
    } else if (vlen == 8 && memcmp(v, "HTTP/1.0", 8) == 0) {
        r->version = 10;
    } else if (vlen == 8 && memcmp(v, "HTTP/", 5) == 0 && is_digit((unsigned char)v[5]) &&
               v[6] == '.' && is_digit((unsigned char)v[7])) {
        return fail(r, 505, "version");
    } else {
        return fail(r, 400, "request-line");
    }
    if (tlen == 0)
        return fail(r, 400, "request-line");
    r->is_connect = strcmp(r->method, "CONNECT") == 0;
    return parse_target(r, t, tlen, auth);
}

/* --- header lines -------------------------------------------------------- */

static int parse_header_line(struct http_req *r, const char *buf, size_t off,
                             size_t n)
{
    const char *l = buf + off;
    if (l[0] == ' ' || l[0] == '\t')
        return fail(r, 400, "obs-fold");
    size_t i = 0;
    while (i < n && l[i] != ':') {
        unsigned char c = (unsigned char)l[i];
        if (c == ' ' || c == '\t')
            return fail(r, 400, "space-before-colon");
        if (!is_tchar(c))
            return fail(r, 400, "header-name");
        i++;
    }
    if (i == n || i == 0)
        return fail(r, 400, "header-name");
    size_t vs = i + 1, ve = n;
    while (vs < ve && (l[vs] == ' ' || l[vs] == '\t'))
        vs++;
    while (ve > vs && (l[ve - 1] == ' ' || l[ve - 1] == '\t'))
        ve--;
    for (size_t k = vs; k < ve; k++) {
        unsigned char c = (unsigned char)l[k];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return fail(r, 400, "header-value");
    }
    struct http_hdr *h = &r->hdrs[r->n_hdrs++];
    h->name_off = (uint16_t)off;
    h->name_len = (uint16_t)i;
    h->val_off = (uint16_t)(off + vs);
    h->val_len = (uint16_t)(ve - vs);
    h->flags = 0;
    return HTTP_OK;
}

/* Calls FN for each non-empty element of the comma list V of N bytes,
 * trimmed of OWS; stops at the first nonzero return and returns it. */
typedef int (*list_fn)(struct http_req *r, const char *buf, const char *e,
                       size_t n, void *arg);
static int each_element(struct http_req *r, const char *buf, const char *v,
                        size_t n, list_fn fn, void *arg)
{
    size_t i = 0;
    while (i <= n) {
        size_t s = i;
        while (i < n && v[i] != ',')
            i++;
        size_t e = i;
        while (s < e && (v[s] == ' ' || v[s] == '\t'))
            s++;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
            e--;
        if (e > s) {
            int rc = fn(r, buf, v + s, e - s, arg);
            if (rc)
                return rc;
        }
        i++;
    }
    return 0;
}

struct cl_state {
    bool seen;
    uint64_t value;
};

static int cl_element(struct http_req *r, const char *buf, const char *e,
                      size_t n, void *arg)
{
    (void)buf;
    struct cl_state *cl = arg;
    uint64_t v = 0;
    if (n > 19)
        return fail(r, 400, "content-length");
    for (size_t i = 0; i < n; i++) {
        if (!is_digit((unsigned char)e[i]))
            return fail(r, 400, "content-length");
        v = v * 10 + (uint64_t)(e[i] - '0');
    }
    if (cl->seen && cl->value != v)
        return fail(r, 400, "content-length-mismatch");
    cl->seen = true;
    cl->value = v;
    return 0;
}

/* The headers whose removal or change would change where the request
 * ends, or which host it is for: a Connection header may not name them. */
static bool is_framing(const char *name, size_t n)
{
    return eq_ci(name, n, "content-length") || eq_ci(name, n, "transfer-encoding") ||
           eq_ci(name, n, "host");
}

static int conn_element(struct http_req *r, const char *buf, const char *e,
                        size_t n, void *arg)
{
    bool *upgrade = arg;
    for (size_t i = 0; i < n; i++)
        if (!is_tchar((unsigned char)e[i]))
            return fail(r, 400, "connection");
    if (eq_ci(e, n, "upgrade"))
        *upgrade = true;
    if (is_framing(e, n))
        return fail(r, 400, "connection-names-framing");
    for (size_t k = 0; k < r->n_hdrs; k++)
        if (eq_ci2(buf + r->hdrs[k].name_off, r->hdrs[k].name_len, e, n))
            r->hdrs[k].flags |= HTTP_HDR_DROP;
    return 0;
}

static const char *const hop_by_hop[] = {
    "connection", "keep-alive", "proxy-connection", "proxy-authorization",
    "proxy-authenticate", "te", "trailer", "upgrade",
};

static int check_headers(struct http_req *r, const char *buf,
                         const struct authority *target)
{
    struct cl_state cl = {0};
    size_t n_host = 0, n_te = 0;
    bool te_chunked = true, upgrade = false;
    const struct http_hdr *host = NULL;
    for (size_t k = 0; k < r->n_hdrs; k++) {
        struct http_hdr *h = &r->hdrs[k];
        const char *name = buf + h->name_off, *val = buf + h->val_off;
        for (size_t j = 0; j < sizeof hop_by_hop / sizeof hop_by_hop[0]; j++)
            if (eq_ci(name, h->name_len, hop_by_hop[j]))
                h->flags |= HTTP_HDR_DROP;
        if (eq_ci(name, h->name_len, "host")) {
            n_host++;
            host = h;
        } else if (eq_ci(name, h->name_len, "content-length")) {
            /* written again once, canonical */
            h->flags |= HTTP_HDR_DROP;
            if (h->val_len == 0)
                return fail(r, 400, "content-length");
            if (each_element(r, buf, val, h->val_len, cl_element, &cl))
                return HTTP_ERROR;
            if (!cl.seen)
                return fail(r, 400, "content-length");
        } else if (eq_ci(name, h->name_len, "transfer-encoding")) {
            h->flags |= HTTP_HDR_DROP;
            n_te++;
            te_chunked &= eq_ci(val, h->val_len, "chunked");
        } else if (eq_ci(name, h->name_len, "connection")) {
            if (each_element(r, buf, val, h->val_len, conn_element, &upgrade))
                return HTTP_ERROR;
        } else if (eq_ci(name, h->name_len, "upgrade")) {
            upgrade = true;
        }
    }
    if (upgrade && !r->is_connect)
        return fail(r, 400, "upgrade");
    if (n_te && cl.seen)
        return fail(r, 400, "smuggling-cl-te");
    if (n_te && (n_te > 1 || !te_chunked))
        return fail(r, 501, "transfer-encoding");
    if (n_te) {
        r->body_kind = HTTP_BODY_CHUNKED;
    } else if (cl.seen) {
        r->body_kind = HTTP_BODY_LENGTH;
        r->content_length = cl.value;
    }
    if (r->is_connect && (n_te || cl.value > 0))
        return fail(r, 400, "connect-body");
    if (n_host > 1)
        return fail(r, 400, "host-duplicate");
    r->has_host_hdr = n_host == 1;
    if (!host) {
        if (r->version == 11 && !r->is_connect)
            return fail(r, 400, "host-missing");
        return HTTP_OK;
    }
    struct authority ha;
    if (parse_authority(buf + host->val_off, host->val_len, &ha))
        return fail(r, 400, "host-header");
    uint16_t tp = target->has_port ? target->port : 80;
    /* A CONNECT's Host without a port names the default port of the
     * scheme tunnelled: https-proxy-agent 5 (npm 6 to 9, Debian 12's npm)
     * sends "CONNECT h:443" with "Host: h".  The tunnel goes where the
     * request line says either way (a CONNECT with no Host is fine). */
    uint16_t hp = ha.has_port ? ha.port
                  : r->is_connect && tp == 443 ? 443 : 80;
    if (!same_host(&ha, target) || hp != tp)
        return fail(r, 403, "host-mismatch");
    return HTTP_OK;
}

/* --- the head ------------------------------------------------------------ */

int http_parse_request(const char *buf, size_t len, struct http_req *out)
{
    memset(out, 0, sizeof *out);
    out->path[0] = '\0';
    size_t lim = len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX;
    size_t line_start = 0, lines = 0, end = 0;
    for (size_t i = 0; i < lim && !end; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == '\0')
            return fail(out, 400, "nul");
        if (c == '\r') {
            if (i + 1 >= len)
                break;
            if (buf[i + 1] != '\n')
                return fail(out, 400, "bare-cr");
            continue;
        }
        if (c == '\n') {
            if (i == 0 || buf[i - 1] != '\r')
                return fail(out, 400, "bare-lf");
            if (i - 1 == line_start && lines > 0) {
                end = i + 1;
                break;
            }
            if (++lines > 1 + HTTP_MAX_HEADERS)
                return fail(out, 431, "too-many-headers");
            line_start = i + 1;
            continue;
        }
        if (lines == 0 && i - line_start + 1 > HTTP_REQLINE_MAX)
            return fail(out, 414, "request-line-too-long");
    }
    if (!end)
        return len >= HTTP_HEAD_MAX ? fail(out, 431, "head-too-large")
                                    : HTTP_NEED_MORE;
    out->head_len = end;

    /* Every CR in [0, end) is followed by LF: lines split on CR. */
    const char *cr = memchr(buf, '\r', end);
    struct authority target;
    if (parse_request_line(out, buf, (size_t)(cr - buf), &target) != HTTP_OK)
        return HTTP_ERROR;
    size_t off = (size_t)(cr - buf) + 2;
    while (off < end - 2) {
        cr = memchr(buf + off, '\r', end - off);
        size_t n = (size_t)(cr - (buf + off));
        if (parse_header_line(out, buf, off, n) != HTTP_OK)
            return HTTP_ERROR;
        off += n + 2;
    }
    if (check_headers(out, buf, &target) != HTTP_OK)
        return HTTP_ERROR;
    return HTTP_OK;
}

/* --- the upstream head ---------------------------------------------------- */

struct out {
    char *p;
    size_t len, cap;
    bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->full || n > o->cap - o->len) {
        o->full = true;
        return;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void puts_(struct out *o, const char *s) { put(o, s, strlen(s)); }

int http_rewrite_request(const char *buf, const struct http_req *r, char *out,
                         size_t outlen)
{
    if (r->is_connect || r->n_hdrs > HTTP_MAX_HEADERS)
        return -1;
    struct out o = {.p = out, .cap = outlen};
    puts_(&o, r->method);
    puts_(&o, " ");
    puts_(&o, r->path);
    puts_(&o, " HTTP/1.1\r\n");
    if (!r->has_host_hdr) {
        /* HTTP/1.0 without Host: HTTP/1.1 upstream needs one. */
        char port[8];
        puts_(&o, "Host: ");
        if (r->host_is_v6)
            puts_(&o, "[");
        puts_(&o, r->host);
        if (r->host_is_v6)
            puts_(&o, "]");
        if (r->port != 80) {
            snprintf(port, sizeof port, ":%u", (unsigned)r->port);
            puts_(&o, port);
        }
        puts_(&o, "\r\n");
    }
    for (size_t k = 0; k < r->n_hdrs; k++) {
        const struct http_hdr *h = &r->hdrs[k];
        if (h->flags & HTTP_HDR_DROP)
            continue;
        put(&o, buf + h->name_off, h->name_len);
        puts_(&o, ": ");
        put(&o, buf + h->val_off, h->val_len);
        puts_(&o, "\r\n");
    }
    if (r->body_kind == HTTP_BODY_LENGTH) {
        char cl[48];
        snprintf(cl, sizeof cl, "Content-Length: %llu\r\n",
                 (unsigned long long)r->content_length);
        puts_(&o, cl);
    } else if (r->body_kind == HTTP_BODY_CHUNKED) {
        puts_(&o, "Transfer-Encoding: chunked\r\n");
    }
    puts_(&o, "Connection: close\r\n\r\n");
    if (o.full || o.len > INT32_MAX)
        return -1;
    return (int)o.len;
}

/* --- chunked bodies -------------------------------------------------------- */

enum {
    CH_SIZE,        /* first hex digit of a size line */
    CH_SIZE_MORE,   /* more hex digits, or the end of the size */
    CH_EXT,         /* after the size: BWS, ';' extensions, up to CR */
    CH_SIZE_LF,     /* LF ending the size line */
    CH_DATA,        /* LEFT data bytes */
    CH_DATA_CR,     /* CR after the data */
    CH_DATA_LF,     /* LF after the data */
    CH_TRAILER,     /* first byte of a trailer line, or CR of the end */
    CH_TRAILER_NAME,
    CH_TRAILER_VAL,
    CH_TRAILER_LF,
    CH_END_LF,      /* the final LF */
    CH_DONE,
    CH_BAD = -1,
};

#define CH_SIZE_DIGITS 16
#define CH_SIZE_LIMIT ((uint64_t)1 << 40)
#define CH_EXT_MAX 1024

void http_chunked_init(struct http_chunked *st)
{
    memset(st, 0, sizeof *st);
    st->state = CH_SIZE;
}

static int ch_bad(struct http_chunked *st, size_t i, size_t *consumed)
{
    st->state = CH_BAD;
    *consumed = i;
    return -1;
}

int http_chunked_feed(struct http_chunked *st, const char *buf, size_t len,
                      size_t *consumed)
{
    size_t i = 0;
    *consumed = 0;
    if (st->state == CH_BAD)
        return -1;
    if (st->state == CH_DONE)
        return 1;
    while (i < len) {
        unsigned char c = (unsigned char)buf[i];
        switch (st->state) {
        case CH_SIZE:
            if (!is_hex(c))
                return ch_bad(st, i, consumed);
            st->left = (uint64_t)hexval(c);
            st->line = 1;
            st->state = CH_SIZE_MORE;
            break;
        case CH_SIZE_MORE:
            if (is_hex(c)) {
                if (++st->line > CH_SIZE_DIGITS)
                    return ch_bad(st, i, consumed);
                st->left = st->left * 16 + (uint64_t)hexval(c);
                if (st->left >= CH_SIZE_LIMIT)
                    return ch_bad(st, i, consumed);
                break;
            }
            st->last = st->left == 0;
            st->line = 0;
            if (c == '\r') {
                st->state = CH_SIZE_LF;
                break;
            }
            if (c != ';' && c != ' ' && c != '\t')
                return ch_bad(st, i, consumed);
            st->state = CH_EXT;
            st->line = 1;
            /* BWS before the first ';' only */
            if (c == ';')
                st->line |= 1u << 31;
            break;
        case CH_EXT: {
            bool semi = st->line >> 31;
            uint32_t n = (st->line & 0x7fffffffu) + 1;
            if (n > CH_EXT_MAX)
                return ch_bad(st, i, consumed);
            if (c == '\r') {
                if (!semi)
                    return ch_bad(st, i, consumed);
                st->state = CH_SIZE_LF;
                break;
            }
            if (!semi) {
                if (c == ';')
                    semi = true;
                else if (c != ' ' && c != '\t')
                    return ch_bad(st, i, consumed);
            } else if (c != '\t' && (c < 0x20 || c > 0x7e)) {
                return ch_bad(st, i, consumed);
            }
            st->line = n | (semi ? 1u << 31 : 0);
            break;
        }
        case CH_SIZE_LF:
            if (c != '\n')
                return ch_bad(st, i, consumed);
            st->line = 0;
            st->state = st->last ? CH_TRAILER : CH_DATA;
            break;
        case CH_DATA: {
            uint64_t take = len - i;
            if (take > st->left)
                take = st->left;
            st->left -= take;
            i += (size_t)take;
            if (st->left == 0)
                st->state = CH_DATA_CR;
            continue;
        }
        case CH_DATA_CR:
            if (c != '\r')
                return ch_bad(st, i, consumed);
            st->state = CH_DATA_LF;
            break;
        case CH_DATA_LF:
            if (c != '\n')
                return ch_bad(st, i, consumed);
            st->state = CH_SIZE;
            break;
        case CH_TRAILER:
            if (c == '\r') {
                st->state = CH_END_LF;
                break;
            }
            if (!is_tchar(c))
                return ch_bad(st, i, consumed);
            st->state = CH_TRAILER_NAME;
            break;
        case CH_TRAILER_NAME:
            if (c == ':')
                st->state = CH_TRAILER_VAL;
            else if (!is_tchar(c))
                return ch_bad(st, i, consumed);
            break;
        case CH_TRAILER_VAL:
            if (c == '\r')
                st->state = CH_TRAILER_LF;
            else if ((c < 0x20 && c != '\t') || c == 0x7f)
                return ch_bad(st, i, consumed);
            break;
        case CH_TRAILER_LF:
            if (c != '\n')
                return ch_bad(st, i, consumed);
            st->state = CH_TRAILER;
            break;
        case CH_END_LF:
            if (c != '\n')
                return ch_bad(st, i, consumed);
            st->state = CH_DONE;
            *consumed = i + 1;
            return 1;
        default:
            return ch_bad(st, i, consumed);
        }
        if (st->state >= CH_TRAILER && st->state <= CH_END_LF &&
            ++st->trailers > HTTP_HEAD_MAX)
            return ch_bad(st, i, consumed);
        i++;
    }
    *consumed = len;
    return 0;
}

/* --- the proxy's own answers ------------------------------------------------ */

static const char *phrase(int status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default:  return "Refused";
    }
}

#define WHY_MAX 200

int http_refusal(int status, const char *why, char *out, size_t outlen)
{
    if (status < 100 || status > 599)
        return -1;
    char w[WHY_MAX + 1];
    size_t n = 0;
    if (!why || !*why)
        why = "refused";
    for (; why[n] && n < WHY_MAX; n++) {
        unsigned char c = (unsigned char)why[n];
        w[n] = c >= 0x20 && c <= 0x7e ? (char)c : '?';
    }
    w[n] = '\0';
    /* body: "coco egress: " + why + "\n" */
    size_t body = 13 + n + 1;
    int rc = snprintf(out, outlen,
                      "HTTP/1.1 %d %s\r\nX-Coco-Egress: %s\r\n"
                      "Content-Type: text/plain\r\nContent-Length: %zu\r\n"
                      "Connection: close\r\n\r\ncoco egress: %s\n",
                      status, phrase(status), w, body, w);
    if (rc < 0 || (size_t)rc >= outlen)
        return -1;
    return rc;
}

int http_connect_ok(char *out, size_t outlen)
{
    static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
    if (outlen < sizeof ok)
        return -1;
    memcpy(out, ok, sizeof ok);
    return (int)(sizeof ok - 1);
}
