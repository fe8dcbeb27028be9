/* util.c — see util.h.  Nothing here touches the OS except getrandom()
 * and stderr. */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/random.h>

bool coco_debug;

/* ---- escaping for display ---- */

/* Unicode characters that reorder, hide or break text on a terminal
 * while looking like nothing: a config that holds them could make the
 * "grants" screen say something else than the config does. */
static const struct {
    uint32_t lo, hi;
    const char *why;
} hidden_chars[] = {
    {0x0080, 0x009f, "C1 controls: terminals act on some (U+009B is CSI)"},
    {0x061c, 0x061c, "Arabic letter mark: reorders text"},
    {0x200b, 0x200f, "zero-width space and joiners, LRM and RLM"},
    {0x2028, 0x2029, "line and paragraph separators: break lines"},
    {0x202a, 0x202e, "bidi embeddings and overrides: reorder text"},
    {0x2060, 0x2069, "word joiner, invisible operators, bidi isolates"},
    {0xfeff, 0xfeff, "zero-width no-break space (BOM): invisible"},
};

static bool char_hidden(uint32_t cp)
{
    for (size_t i = 0; i < sizeof hidden_chars / sizeof *hidden_chars; i++)
        if (cp >= hidden_chars[i].lo && cp <= hidden_chars[i].hi)
            return true;
    return false;
}

/* Decode the UTF-8 character at S (NUL-terminated): its length, or 0 for
 * a byte that does not start a valid, shortest-form sequence of a code
 * point up to U+10FFFF outside the surrogates. */
static size_t utf8_decode(const unsigned char *s, uint32_t *cp)
{
    size_t len;
    uint32_t v, min;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    } else if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2, v = s[0] & 0x1fu, min = 0x80;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3, v = s[0] & 0x0fu, min = 0x800;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4, v = s[0] & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
            return 0;
        v = v << 6 | (s[i] & 0x3fu);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

/* Where escaped text goes: a buffer that grows, or a fixed one that
 * stops before a piece that does not fit (never inside an escape or a
 * character). */
struct esc_out {
    char *buf;
    size_t len, cap;
    bool grow, full;
};

static void esc_put(struct esc_out *o, const char *p, size_t n)
{
    if (o->full)
        return;
    if (o->len + n + 1 > o->cap) {
        if (!o->grow) {
            o->full = true;
            return;
        }
        while (o->len + n + 1 > o->cap)
            o->cap *= 2;
        o->buf = xrealloc(o->buf, o->cap);
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

/* Escape S into O.  BACKSLASH: escape '\\' too, so that the output reads
 * back unambiguously (values on the screens that show a config); without
 * it, escaping escaped text again changes nothing (messages). */
static void escape_into(struct esc_out *o, const char *s, bool backslash)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p && !o->full) {
        char tmp[16];
        uint32_t cp;
        size_t n = utf8_decode(p, &cp);
        if (n == 0) {
            snprintf(tmp, sizeof tmp, "\\x%02x", *p);
            n = 1;
        } else if (cp == '\\') {
            snprintf(tmp, sizeof tmp, "%s", backslash ? "\\\\" : "\\");
        } else if (cp == '\n' || cp == '\t' || cp == '\r') {
            snprintf(tmp, sizeof tmp, "\\%c", cp == '\n' ? 'n' : cp == '\t' ? 't' : 'r');
        } else if (cp < 0x20 || cp == 0x7f) {
            snprintf(tmp, sizeof tmp, "\\x%02x", (unsigned)cp);
        } else if (char_hidden(cp)) {
            snprintf(tmp, sizeof tmp, "\\u{%04x}", (unsigned)cp);
        } else {
            esc_put(o, (const char *)p, n);
            p += n;
            continue;
        }
        esc_put(o, tmp, strlen(tmp));
        p += n;
    }
}

char *str_escape(const char *s)
{
    struct esc_out o = {xmalloc(64), 0, 64, true, false};
    o.buf[0] = '\0';
    escape_into(&o, s, true);
    return o.buf;
}

static char *escape_buf(const char *s, char *buf, size_t len, bool backslash)
{
    struct esc_out o = {buf, 0, len, false, len == 0};
    if (len)
        buf[0] = '\0';
    escape_into(&o, s, backslash);
    return buf;
}

char *str_escape_buf(const char *s, char *buf, size_t len)
{
    return escape_buf(s, buf, len, true);
}

const char *str_escape_keep(struct strvec *keep, const char *s)
{
    char *e = str_escape(s ? s : "");
    strvec_push_nodup(keep, e);
    return e;
}

/* Messages are one line whatever they quote: a key or value holding a
 * newline or an escape sequence must not forge further lines or drive
 * the terminal.  Formatted on the stack (this may run in a child that
 * shares coco's memory), then escaped into BUF.  Backslashes are left
 * as they are: messages quote JSON errors ("\u0000 is not allowed"), and
 * escaping is then the same whichever way a message is printed. */
static void vappend(char *buf, size_t len, const char *fmt, va_list ap)
{
    char raw[sizeof ((coco_err *)0)->msg];
    vsnprintf(raw, sizeof raw, fmt, ap);
    escape_buf(raw, buf, len, false);
}

static int err_vset(coco_err *err, int exit_code, int errnum, const char *fmt,
                    va_list ap)
{
    vappend(err->msg, sizeof err->msg, fmt, ap);
    err->errnum = errnum;
    err->exit = exit_code;
    return -1;
}

int err_set(coco_err *err, int errnum, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    err_vset(err, 0, errnum, fmt, ap);
    va_end(ap);
    return -1;
}

int err_set_exit(coco_err *err, int exit_code, int errnum, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    err_vset(err, exit_code, errnum, fmt, ap);
    va_end(ap);
    return -1;
}

int err_exit_code(const coco_err *err)
{
    return err && err->exit ? err->exit : EXIT_COCO;
}

int err_prefix(coco_err *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    char ctx[512];
    va_list ap;
    va_start(ap, fmt);
    vappend(ctx, sizeof ctx, fmt, ap);
    va_end(ap);
    size_t lc = strlen(ctx), lm = strlen(err->msg);
    if (lc + 2 >= sizeof err->msg)
        lc = sizeof err->msg - 3;
    if (lc + 2 + lm >= sizeof err->msg)
        lm = sizeof err->msg - 3 - lc;
    memmove(err->msg + lc + 2, err->msg, lm);
    memcpy(err->msg, ctx, lc);
    err->msg[lc] = ':';
    err->msg[lc + 1] = ' ';
    err->msg[lc + 2 + lm] = '\0';
    return -1;
}

int coco_fail(const char *fmt, ...)
{
    coco_err e = {0};
    va_list ap;
    va_start(ap, fmt);
    vappend(e.msg, sizeof e.msg, fmt, ap);
    va_end(ap);
    err_print(&e);
    return EXIT_COCO;
}

/* Print PREFIX, then MSG escaped (backslashes too when BACKSLASH), then
 * SUFFIX and a newline on stderr, in one write so that lines of
 * concurrent processes do not interleave. */
static void print_line(const char *prefix, const char *msg, bool backslash,
                       const char *suffix)
{
    char line[4 * sizeof ((coco_err *)0)->msg + 256];
    size_t ls = strlen(suffix);
    if (ls > 128)
        ls = 128;
    /* Room for the suffix and the newline is kept back while escaping. */
    struct esc_out o = {line, 0, sizeof line - ls - 1, false, false};
    line[0] = '\0';
    esc_put(&o, prefix, strlen(prefix));
    escape_into(&o, msg, backslash);
    o.cap = sizeof line;
    o.full = false;
    esc_put(&o, suffix, ls);
    esc_put(&o, "\n", 1);
    fputs(line, stderr);
}

void err_print(const coco_err *err)
{
    /* err_set() escaped the message already; this pass (a no-op then)
     * catches a message that arrived another way, such as the native
     * sandbox's child reporting over its socket. */
    char suffix[160] = "";
    if (err->errnum)
        snprintf(suffix, sizeof suffix, ": %s", strerror(err->errnum));
    print_line("coco: ", err->msg, false, suffix);
}

static void oom(void)
{
    static const char m[] = "coco: out of memory\n";
    if (write(2, m, sizeof m - 1) < 0) {
        /* nothing more to do */
    }
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom();
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        oom();
    return p;
}

char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (!p)
        oom();
    return p;
}

char *xstrndup(const char *s, size_t n)
{
    char *p = strndup(s, n);
    if (!p)
        oom();
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    char *p;
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&p, fmt, ap);
    va_end(ap);
    if (r < 0)
        oom();
    return p;
}

/* ---- strvec ---- */

static void strvec_grow(struct strvec *sv)
{
    if (sv->n + 2 > sv->alloc) {
        sv->alloc = sv->alloc ? sv->alloc * 2 : 8;
        sv->v = xrealloc(sv->v, sv->alloc * sizeof *sv->v);
    }
}

void strvec_push_nodup(struct strvec *sv, char *s)
{
    strvec_grow(sv);
    sv->v[sv->n++] = s;
    sv->v[sv->n] = NULL;
}

void strvec_push(struct strvec *sv, const char *s)
{
    strvec_push_nodup(sv, xstrdup(s));
}

void strvec_pushf(struct strvec *sv, const char *fmt, ...)
{
    char *p;
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&p, fmt, ap);
    va_end(ap);
    if (r < 0)
        oom();
    strvec_push_nodup(sv, p);
}

void strvec_pushv(struct strvec *sv, char *const *v)
{
    for (; v && *v; v++)
        strvec_push(sv, *v);
}

char **strvec_get(struct strvec *sv)
{
    if (!sv->v) {
        strvec_grow(sv);
        sv->v[0] = NULL;
    }
    return sv->v;
}

char **strvec_detach(struct strvec *sv)
{
    char **v = strvec_get(sv);
    sv->v = NULL;
    sv->n = sv->alloc = 0;
    return v;
}

void strvec_clear(struct strvec *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    sv->v = NULL;
    sv->n = sv->alloc = 0;
}

bool strvec_contains(const struct strvec *sv, const char *s)
{
    for (size_t i = 0; i < sv->n; i++)
        if (strcmp(sv->v[i], s) == 0)
            return true;
    return false;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void strvec_sort(struct strvec *sv)
{
    if (sv->n > 1)
        qsort(sv->v, sv->n, sizeof *sv->v, cmp_str);
}

char *strvec_join(const struct strvec *sv, const char *sep)
{
    size_t len = 1, sl = strlen(sep);
    for (size_t i = 0; i < sv->n; i++)
        len += strlen(sv->v[i]) + (i ? sl : 0);
    char *out = xmalloc(len), *p = out;
    for (size_t i = 0; i < sv->n; i++) {
        if (i) {
            memcpy(p, sep, sl);
            p += sl;
        }
        size_t n = strlen(sv->v[i]);
        memcpy(p, sv->v[i], n);
        p += n;
    }
    *p = '\0';
    return out;
}

void strv_free(char **v)
{
    for (char **p = v; p && *p; p++)
        free(*p);
    free(v);
}

/* ---- strings and paths ---- */

bool str_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_has_suffix(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

bool streq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

char *path_join(const char *a, const char *b)
{
    size_t la = strlen(a);
    while (la > 0 && a[la - 1] == '/')
        la--;
    while (*b == '/')
        b++;
    if (!*b)
        return la ? xstrndup(a, la) : xstrdup("/");
    return xasprintf("%.*s/%s", (int)la, a, b);
}

char *path_normalize(const char *path)
{
    if (!path || path[0] != '/')
        return NULL;
    size_t len = strlen(path);
    char *out = xmalloc(len + 2);
    size_t o = 0;
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 1 && p[0] == '.') {
            /* skip */
        } else if (n == 2 && p[0] == '.' && p[1] == '.') {
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
        } else {
            out[o++] = '/';
            memcpy(out + o, p, n);
            o += n;
        }
        p += n;
    }
    if (o == 0)
        out[o++] = '/';
    out[o] = '\0';
    return out;
}

bool path_is_clean_absolute(const char *path)
{
    if (!path || path[0] != '/')
        return false;
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        p += n;
    }
    return true;
}

bool path_is_within(const char *child, const char *parent)
{
    if (strcmp(parent, "/") == 0)
        return child[0] == '/';
    size_t lp = strlen(parent);
    return strncmp(child, parent, lp) == 0 &&
           (child[lp] == '\0' || child[lp] == '/');
}

/* ---- units ---- */

/* Read the leading decimal digits of S into *V, refusing a value above
 * MAX.  Returns how many characters it used: 0 when S does not start with
 * a digit or the value overflows. */
static size_t digits(const char *s, uint64_t max, uint64_t *v)
{
    size_t i = 0;
    *v = 0;
    for (; isdigit((unsigned char)s[i]); i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (*v > (max - d) / 10)
            return 0;
        *v = *v * 10 + d;
    }
    return i;
}

int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v;
    size_t n = s ? digits(s, max, &v) : 0;
    if (n == 0 || s[n])
        return -1;
    *out = v;
    return 0;
}

int parse_size(const char *s, uint64_t *out)
{
    uint64_t v;
    size_t i = s ? digits(s, UINT64_MAX, &v) : 0;
    if (i == 0)
        return -1;
    unsigned shift = 0;
    switch (tolower((unsigned char)s[i])) {
    case '\0': break;
    case 'b': if (s[i + 1]) return -1; break;
    case 'k': shift = 10; i++; break;
    case 'm': shift = 20; i++; break;
    case 'g': shift = 30; i++; break;
    case 't': shift = 40; i++; break;
    default: return -1;
    }
    if (shift && s[i]) {
        if (tolower((unsigned char)s[i]) == 'b' && s[i + 1] == '\0')
            ; /* "512mb" */
        else if (tolower((unsigned char)s[i]) == 'i' &&
                 tolower((unsigned char)s[i + 1]) == 'b' && s[i + 2] == '\0')
            ; /* "512MiB" */
        else
            return -1;
    }
    if (shift && v > (UINT64_MAX >> shift))
        return -1;
    *out = v << shift;
    return 0;
}

int parse_duration(const char *s, uint64_t *out_ms)
{
    /* Bounded so that hours in milliseconds cannot overflow. */
    uint64_t v;
    size_t i = s ? digits(s, UINT64_MAX / 4000000, &v) : 0;
    if (i == 0)
        return -1;
    const char *u = s + i;
    uint64_t mul;
    if (!*u || strcmp(u, "s") == 0)
        mul = 1000;
    else if (strcmp(u, "ms") == 0)
        mul = 1;
    else if (strcmp(u, "m") == 0)
        mul = 60000;
    else if (strcmp(u, "h") == 0)
        mul = 3600000;
    else
        return -1;
    *out_ms = v * mul;
    return 0;
}

int parse_cpus(const char *s, uint64_t *out_milli)
{
    if (!s || !isdigit((unsigned char)s[0]))
        return -1;
    uint64_t ip = 0, frac = 0;
    size_t i = 0;
    while (isdigit((unsigned char)s[i])) {
        ip = ip * 10 + (uint64_t)(s[i] - '0');
        if (ip > 4096)
            return -1;
        i++;
    }
    if (s[i] == '.') {
        i++;
        int digits = 0;
        if (!isdigit((unsigned char)s[i]))
            return -1;
        while (isdigit((unsigned char)s[i])) {
            if (digits < 3) {
                frac = frac * 10 + (uint64_t)(s[i] - '0');
                digits++;
            } else if (s[i] != '0') {
                return -1; /* finer than a millicpu */
            }
            i++;
        }
        while (digits++ < 3)
            frac *= 10;
    }
    if (s[i])
        return -1;
    uint64_t m = ip * 1000 + frac;
    if (m == 0)
        return -1;
    *out_milli = m;
    return 0;
}

char *fmt_size(uint64_t b, char *buf, size_t len)
{
    static const char *units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    unsigned u = 0;
    while (u < 4 && b >= 1024 && b % 1024 == 0) {
        b /= 1024;
        u++;
    }
    snprintf(buf, len, "%" PRIu64 " %s", b, units[u]);
    return buf;
}

char *fmt_duration(uint64_t ms, char *buf, size_t len)
{
    if (ms % 1000)
        snprintf(buf, len, "%" PRIu64 "ms", ms);
    else if (ms % 60000)
        snprintf(buf, len, "%" PRIu64 "s", ms / 1000);
    else if (ms % 3600000)
        snprintf(buf, len, "%" PRIu64 "m", ms / 60000);
    else
        snprintf(buf, len, "%" PRIu64 "h", ms / 3600000);
    return buf;
}

bool env_name_valid(const char *name)
{
    if (!name || !(isalpha((unsigned char)name[0]) || name[0] == '_'))
        return false;
    for (const char *p = name + 1; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_'))
            return false;
    return strlen(name) <= 255;
}

bool tool_name_valid(const char *name)
{
    if (!name || !isalnum((unsigned char)name[0]) || strlen(name) > 64)
        return false;
    for (const char *p = name; *p; p++)
        if (!(isalnum((unsigned char)*p) || strchr("._+-", *p)))
            return false;
    return strstr(name, "..") == NULL;
}

char *random_hex(size_t nbytes)
{
    unsigned char raw[32];
    if (nbytes > sizeof raw)
        nbytes = sizeof raw;
    size_t got = 0;
    while (got < nbytes) {
        ssize_t r = getrandom(raw + got, nbytes - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            /* Extremely unlikely; fall back to something unique enough
             * for a container name. */
            for (; got < nbytes; got++)
                raw[got] = (unsigned char)(getpid() >> (got % 4 * 8));
            break;
        }
        got += (size_t)r;
    }
    char *out = xmalloc(nbytes * 2 + 1);
    for (size_t i = 0; i < nbytes; i++)
        sprintf(out + 2 * i, "%02x", raw[i]);
    return out;
}

void debug(const char *fmt, ...)
{
    if (!coco_debug)
        return;
    char raw[sizeof ((coco_err *)0)->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    print_line("coco: debug: ", raw, false, "");
}

void warn(const char *fmt, ...)
{
    char raw[sizeof ((coco_err *)0)->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    print_line("coco: warning: ", raw, false, "");
}
