/* apt.c — the host's apt mirrors, for the deb: driver's phase F
 * allowlist: the hosts of the http and https URIs in
 * /etc/apt/sources.list (one-line format) and /etc/apt/sources.list.d/
 * (*.list one-line, *.sources deb822; any other name, e.g. a
 * "*.list.disabled", is ignored as apt ignores it).
 *
 * One-line:  deb [ arch=amd64 signed-by=/x ] http://deb.debian.org/debian bookworm main
 * deb822:    Types: deb
 *            URIs: http://deb.debian.org/debian http://mirror.example/debian
 *            Enabled: no        (a stanza apt skips: skipped)
 *
 * Only "deb" entries count (deb-src fetches no binary package).  Other
 * schemes (file:, cdrom:, mirror+http:, tor+http:) give no host: a mirror
 * list would name hosts coco cannot know here, so they are skipped and
 * phase F will not reach them. */
#include "install_int.h"

#include <ctype.h>
#include <dirent.h>
#include <string.h>

#include "net.h"
#include "sys.h"

/* URI -> "host" or "host:port" (a port other than the scheme's), pushed
 * once.  0, or -1 when it is http(s) but not a host coco can allow. */
static int push_uri_host(const char *uri, size_t len, struct strvec *hosts,
                         const char *name, unsigned line, coco_err *err)
{
    size_t skip;
    unsigned defport;
    if (len > 7 && strncmp(uri, "http://", 7) == 0) {
        skip = 7;
        defport = 80;
    } else if (len > 8 && strncmp(uri, "https://", 8) == 0) {
        skip = 8;
        defport = 443;
    } else {
        return 0;
    }
    const char *h = uri + skip;
    size_t hl = 0;
    while (skip + hl < len && h[hl] != '/' && h[hl] != '?' && h[hl] != '#')
        hl++;
    char hp[300];
    if (hl == 0 || hl >= sizeof hp || memchr(h, '@', hl) ||
        memchr(h, '[', hl))
        return err_set(err, 0, "%s:%u: \"%.*s\" has no host name coco can "
                       "allow (no user info, no IP literal); phase F reaches "
                       "only named mirrors", name, line,
                       (int)(len > 200 ? 200 : len), uri);
    memcpy(hp, h, hl);
    hp[hl] = '\0';
    char *colon = strchr(hp, ':');
    if (colon) {
        uint64_t port;
        if (parse_uint(colon + 1, 65535, &port) < 0 || port == 0)
            return err_set(err, 0, "%s:%u: \"%s\": not a port", name, line,
                           hp);
        if (port == defport)
            *colon = '\0';
    }
    for (char *c = hp; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    struct net_allow a;
    const char *why = net_allow_parse(hp, &a);
    if (why)
        return err_set(err, 0, "%s:%u: mirror \"%s\": %s", name, line, hp,
                       why);
    if (!strvec_contains(hosts, hp))
        strvec_push(hosts, hp);
    return 0;
}

/* The next whitespace-separated word of [*P, END), or NULL. */
static const char *word(const char **p, const char *end, size_t *len)
{
    const char *s = *p;
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    if (s >= end) {
        *p = s;
        return NULL;
    }
    const char *e = s;
    while (e < end && *e != ' ' && *e != '\t')
        e++;
    *len = (size_t)(e - s);
    *p = e;
    return s;
}

static int parse_oneline(const char *text, size_t len, const char *name,
                         struct strvec *hosts, coco_err *err)
{
    const char *p = text, *end = text + len;
    unsigned line = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        line++;
        const char *hash = memchr(p, '#', (size_t)(le - p));
        const char *q = p, *we = hash ? hash : le;
        size_t wl;
        const char *w = word(&q, we, &wl);
        if (w && wl == 3 && strncmp(w, "deb", 3) == 0) {
            w = word(&q, we, &wl);
            /* options: "[ a=b c=d ]" or "[a=b]" */
            if (w && w[0] == '[') {
                const char *close = memchr(w, ']', (size_t)(we - w));
                if (!close)
                    return err_set(err, 0, "%s:%u: an option list \"[\" "
                                   "without \"]\"", name, line);
                q = close + 1;
                w = word(&q, we, &wl);
            }
            if (!w)
                return err_set(err, 0, "%s:%u: a \"deb\" line without a "
                               "URI", name, line);
            if (push_uri_host(w, wl, hosts, name, line, err) < 0)
                return -1;
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

/* deb822: stanzas separated by blank lines; fields "Name: value" with
 * continuation lines starting with white space; '#' comment lines. */
static int parse_deb822(const char *text, size_t len, const char *name,
                        struct strvec *hosts, coco_err *err)
{
    const char *p = text, *end = text + len;
    unsigned line = 0, uris_line = 0;
    bool is_deb = false, enabled = true, in_uris = false;
    struct strvec uris = STRVEC_INIT;
    int ret = 0;
    for (;;) {
        const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
        const char *le = p < end ? (nl ? nl : end) : p;
        bool eof = p >= end;
        line += !eof;
        const char *s = p;
        while (s < le && (*s == ' ' || *s == '\t' || *s == '\r'))
            s++;
        bool blank = s == le;
        if (eof || blank) {
            /* the stanza ends */
            if (is_deb && enabled)
                for (size_t i = 0; i < uris.n && ret == 0; i++)
                    ret = push_uri_host(uris.v[i], strlen(uris.v[i]), hosts,
                                        name, uris_line, err);
            strvec_clear(&uris);
            is_deb = false;
            enabled = true;
            in_uris = false;
            if (eof || ret < 0)
                break;
        } else if (*p == '#') {
            /* a comment line */
        } else if (*p == ' ' || *p == '\t') {
            /* a continuation of the field before */
            if (in_uris) {
                const char *q = p, *w;
                size_t wl;
                while ((w = word(&q, le, &wl)) != NULL)
                    strvec_push_nodup(&uris, xstrndup(w, wl));
            }
        } else {
            const char *colon = memchr(p, ':', (size_t)(le - p));
            if (!colon) {
                ret = err_set(err, 0, "%s:%u: not a \"Field: value\" line",
                              name, line);
                break;
            }
            size_t fl = (size_t)(colon - p);
            const char *q = colon + 1, *w;
            size_t wl;
            in_uris = fl == 4 && strncasecmp(p, "URIs", 4) == 0;
            if (in_uris) {
                uris_line = line;
                while ((w = word(&q, le, &wl)) != NULL)
                    strvec_push_nodup(&uris, xstrndup(w, wl));
            } else if (fl == 5 && strncasecmp(p, "Types", 5) == 0) {
                while ((w = word(&q, le, &wl)) != NULL)
                    if (wl == 3 && strncmp(w, "deb", 3) == 0)
                        is_deb = true;
            } else if (fl == 7 && strncasecmp(p, "Enabled", 7) == 0) {
                w = word(&q, le, &wl);
                if (w && wl == 2 && strncasecmp(w, "no", 2) == 0)
                    enabled = false;
            }
        }
        p = nl ? nl + 1 : end;
    }
    strvec_clear(&uris);
    return ret;
}

int apt_sources_parse(const char *text, size_t len, bool deb822,
                      const char *name, struct strvec *hosts, coco_err *err)
{
    if (memchr(text, '\0', len))
        return err_set(err, 0, "%s: holds a NUL byte; not an apt sources "
                       "file", name);
    return deb822 ? parse_deb822(text, len, name, hosts, err)
                  : parse_oneline(text, len, name, hosts, err);
}

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a > b && strcmp(s + a - b, suf) == 0;
}

static int read_sources(const char *path, bool deb822, bool must,
                        struct strvec *hosts, coco_err *err)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    if (read_file(path, &text, &len, 4u << 20, err) < 0) {
        if (!must && err->errnum == ENOENT) {
            memset(err, 0, sizeof *err);
            return 0;
        }
        return -1;
    }
    return apt_sources_parse(text, len, deb822, path, hosts, err);
}

int apt_mirror_hosts(const char *etc_apt, struct strvec *hosts, coco_err *err)
{
    _cleanup_free_ char *main_list = path_join(etc_apt, "sources.list");
    if (read_sources(main_list, false, false, hosts, err) < 0)
        return -1;
    _cleanup_free_ char *dir = path_join(etc_apt, "sources.list.d");
    DIR *d = opendir(dir);
    if (d) {
        struct strvec names = STRVEC_INIT;
        struct dirent *de;
        while ((de = readdir(d)) != NULL)
            if (de->d_name[0] != '.' && (ends_with(de->d_name, ".list") ||
                                         ends_with(de->d_name, ".sources")))
                strvec_push(&names, de->d_name);
        closedir(d);
        strvec_sort(&names);
        for (size_t i = 0; i < names.n; i++) {
            _cleanup_free_ char *f = path_join(dir, names.v[i]);
            if (read_sources(f, ends_with(names.v[i], ".sources"), false,
                             hosts, err) < 0) {
                strvec_clear(&names);
                return -1;
            }
        }
        strvec_clear(&names);
    }
    if (!hosts->n)
        return err_set(err, 0, "%s: no http or https \"deb\" source in "
                       "sources.list or sources.list.d/*.list|*.sources; "
                       "deb: installs fetch from the host's configured "
                       "mirrors (add one, e.g. http://deb.debian.org/debian)",
                       etc_apt);
    return 0;
}
