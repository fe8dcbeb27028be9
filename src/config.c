/* config.c — load one tool's JSON config strictly.
 *
 * One table of keys (after redis config.c): each row names the key, the
 * JSON type it must have and the handler that validates and stores it.
 * Unknown keys and wrong types fall out of the table; every message has
 * the form "FILE: KEY: reason" so the user knows what to fix where.
 */
#include "config.h"
#include "engine_args.h"
#include "hostpath.h"
#include "net.h"
#include "paths.h"
#include "protect.h"
#include "sys.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>

#define CONFIG_MAX_BYTES (1u << 20) /* a tool config is a few hundred bytes */

const char *net_mode_name(enum net_mode m)
{
    switch (m) {
    case NET_NONE: return "none";
    case NET_ALLOWED: return "allowed_hosts";
    case NET_FULL: return "full";
    case NET_HOST: return "host";
    default: return "unset";
    }
}

const char *runtime_name(enum runtime_kind r)
{
    switch (r) {
    case RT_PODMAN: return "podman";
    case RT_DOCKER: return "docker";
    case RT_NATIVE: return "native";
    default: return "unset";
    }
}

enum runtime_kind runtime_parse(const char *s)
{
    if (streq(s, "podman"))
        return RT_PODMAN;
    if (streq(s, "docker"))
        return RT_DOCKER;
    if (streq(s, "native"))
        return RT_NATIVE;
    return RT_UNSET;
}

/* ---- value validators (shared with policy and store) ---- */

static bool all_digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

static bool port_number(const char *s, size_t n)
{
    if (!all_digits(s, n) || n > 5 || (n > 1 && s[0] == '0'))
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (unsigned)(s[i] - '0');
    return v >= 1 && v <= 65535;
}

const char *port_spec_check(const char *spec)
{
    /* [IP:]HOSTPORT:CONTAINERPORT[/tcp|/udp] — publishing is explicit on
     * both sides so a config never exposes a random host port. */
    char buf[128];
    if (strlen(spec) >= sizeof buf)
        return "too long";
    strcpy(buf, spec);
    char *proto = strchr(buf, '/');
    if (proto) {
        *proto++ = '\0';
        if (strcmp(proto, "tcp") && strcmp(proto, "udp"))
            return "protocol must be /tcp or /udp";
    }
    char *parts[4];
    int n = 0;
    for (char *p = buf, *c; n < 4; p = c + 1) {
        parts[n++] = p;
        c = strchr(p, ':');
        if (!c)
            break;
        *c = '\0';
    }
    if (n < 2 || n > 3)
        return "expected HOSTPORT:CONTAINERPORT or IP:HOSTPORT:CONTAINERPORT";
    if (n == 3) {
        struct in_addr a;
        if (inet_pton(AF_INET, parts[0], &a) != 1)
            return "host address must be an IPv4 address like 127.0.0.1";
    }
    for (int i = n - 2; i < n; i++)
        if (!port_number(parts[i], strlen(parts[i])))
            return "ports must be numbers from 1 to 65535";
    return NULL;
}

const char *host_pattern_check(const char *host)
{
    size_t len = strlen(host);
    if (len == 0)
        return "empty host name";
    if (len > 253)
        return "host name longer than 253 characters";
    const char *p = host;
    bool wild = str_has_prefix(p, "*.");
    if (wild) {
        p += 2;
        if (!*p)
            return "wildcard needs a domain after \"*.\"";
    }
    if (strchr(p, '*'))
        return "a wildcard is only allowed as the whole first label (\"*.example.org\")";
    /* Every spelling of an address (127.1, 0x7f000001 ...) is one. */
    struct net_addr a;
    if (net_addr_parse(p, &a) != 0)
        return "IP addresses are not allowed; name the host";
    const char *why = net_name_check(p);
    if (why)
        return why;
    if (wild && !strchr(p, '.'))
        return "wildcard must cover a domain with at least two labels "
               "(\"*.example.org\", not \"*.org\")";
    return NULL;
}

static bool spec_chars(const char *s, size_t n, const char *extra)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || strchr(extra, s[i])))
            return false;
    return true;
}

/* Backends mise understands (and coco's install phase will drive). */
static const char *const spec_backends[] = {
    "npm", "pipx", "cargo", "go", "gem", "ubi", "aqua", "github", "core",
    "asdf", "vfox", "spm", "dotnet", "deb", "uv", NULL,
};

static int spec_split(const char *spec, struct tool_spec *out,
                      const char **reason)
{
    const char *colon = strchr(spec, ':');
    const char *name = spec;
    memset(out, 0, sizeof *out);
    if (colon) {
        size_t bl = (size_t)(colon - spec);
        bool known = false;
        for (const char *const *b = spec_backends; *b; b++)
            if (strlen(*b) == bl && strncmp(*b, spec, bl) == 0)
                known = true;
        if (!known) {
            *reason = "unknown backend before ':' (use npm, deb, pipx, uv, cargo, "
                      "go, gem, ubi, aqua, github, core, asdf, vfox, spm, "
                      "dotnet)";
            return -1;
        }
        name = colon + 1;
    }
    /* The version separator is the last '@' that is not the first
     * character ("npm:@scope/pkg@9"). */
    const char *at = strrchr(name, '@');
    if (at == name)
        at = NULL;
    size_t nl = at ? (size_t)(at - name) : strlen(name);
    if (!spec_chars(name, nl, "@/._+-") || strstr(name, "..") ||
        (nl && (name[nl - 1] == '/')) || name[0] == '/' || name[0] == '-') {
        *reason = "package name may hold only letters, digits and @/._+- "
                  "(no \"..\", no leading '/' or '-')";
        return -1;
    }
    if (at && !spec_chars(at + 1, strlen(at + 1), "._+-")) {
        *reason = "version after '@' may hold only letters, digits and ._+-";
        return -1;
    }
    if (colon && colon - spec == 3 && strncmp(spec, "deb", 3) == 0) {
        /* Debian policy: [a-z0-9][a-z0-9.+-]+ */
        bool ok = nl >= 2 && (islower((unsigned char)name[0]) ||
                              isdigit((unsigned char)name[0]));
        for (size_t i = 0; ok && i < nl; i++)
            ok = islower((unsigned char)name[i]) ||
                 isdigit((unsigned char)name[i]) || strchr(".+-", name[i]);
        if (!ok) {
            *reason = "a Debian package name is lower-case letters, digits "
                      "and .+- (at least two, starting with a letter or "
                      "digit): deb:ripgrep, deb:fd-find";
            return -1;
        }
    }
    if (out) {
        out->backend = colon ? xstrndup(spec, (size_t)(colon - spec)) : NULL;
        out->name = xstrndup(name, nl);
        out->version = at ? xstrdup(at + 1) : NULL;
    }
    return 0;
}

int tool_spec_parse(const char *spec, struct tool_spec *out)
{
    const char *why;
    if (!spec || strlen(spec) > 256 || spec_split(spec, out, &why) < 0) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    return 0;
}

void tool_spec_free(struct tool_spec *ts)
{
    free(ts->backend);
    free(ts->name);
    free(ts->version);
    memset(ts, 0, sizeof *ts);
}

const char *tool_spec_check(const char *spec)
{
    struct tool_spec ts;
    const char *reason = NULL;
    if (strlen(spec) > 256)
        return "longer than 256 characters";
    if (spec_split(spec, &ts, &reason) < 0)
        return reason;
    free(ts.backend);
    free(ts.name);
    free(ts.version);
    return NULL;
}

/* ---- the key table ---- */

struct parse_ctx {
    const char *path;
    struct config *cfg;
    coco_err *err;
};

#define KEY_ERR(ctx, key, ...)                                              \
    (err_prefix((err_set((ctx)->err, 0, __VA_ARGS__), (ctx)->err), "%s: %s", \
                (ctx)->path, (key)))

typedef int (*key_fn)(struct parse_ctx *ctx, const char *key, json_t *v);

static const char *json_type_word(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE: case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "?";
}

/* A string with no embedded NUL, not empty unless allowed. */
static int get_string(struct parse_ctx *ctx, const char *key, json_t *v,
                      bool allow_empty, const char **out)
{
    if (!json_is_string(v))
        return KEY_ERR(ctx, key, "must be a string, not %s", json_type_word(v));
    const char *s = json_string_value(v);
    if (strlen(s) != json_string_length(v))
        return KEY_ERR(ctx, key, "must not contain a NUL character");
    if (!allow_empty && !*s)
        return KEY_ERR(ctx, key, "must not be empty");
    *out = s;
    return 0;
}

static int get_string_array(struct parse_ctx *ctx, const char *key, json_t *v,
                            struct strvec *out,
                            const char *(*check)(const char *))
{
    if (!json_is_array(v))
        return KEY_ERR(ctx, key, "must be an array of strings, not %s",
                       json_type_word(v));
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        char ekey[128];
        snprintf(ekey, sizeof ekey, "%s[%zu]", key, i);
        const char *s;
        if (get_string(ctx, ekey, e, false, &s) < 0)
            return -1;
        if (check) {
            const char *why = check(s);
            if (why)
                return KEY_ERR(ctx, ekey, "\"%s\": %s", s, why);
        }
        strvec_push(out, s);
    }
    return 0;
}

/* "tool": one spec, or a list of specs tried in order: the first one
 * coco's installer handles is the tool's spec (else the first), and
 * nothing falls back by bare name from one ecosystem to another. */
static int key_tool(struct parse_ctx *ctx, const char *key, json_t *v)
{
    const char *s, *why = NULL;
    struct config *c = ctx->cfg;
    if (json_is_array(v)) {
        size_t n = json_array_size(v), i;
        json_t *e;
        if (n == 0 || n > 8)
            return KEY_ERR(ctx, key, "a list of 1 to 8 install specs "
                           "tried in order ([\"cargo:ripgrep\", "
                           "\"deb:ripgrep\"]), not %zu", n);
        json_array_foreach(v, i, e) {
            char ikey[64];
            snprintf(ikey, sizeof ikey, "%s[%zu]", key, i);
            struct tool_spec ts;
            if (!json_is_string(e))
                return KEY_ERR(ctx, ikey, "must be a string (an install "
                               "spec such as \"deb:ripgrep\"), not %s",
                               json_type_word(e));
            s = json_string_value(e);
            if (strlen(s) > 256)
                return KEY_ERR(ctx, ikey, "longer than 256 characters");
            if (spec_split(s, &ts, &why) < 0)
                return KEY_ERR(ctx, ikey, "\"%s\": %s", s, why);
            bool bare = ts.backend == NULL;
            tool_spec_free(&ts);
            if (bare)
                return KEY_ERR(ctx, ikey, "\"%s\": in a list every spec "
                               "names its ecosystem (\"deb:%s\", "
                               "\"npm:%s\" ...): coco never falls back "
                               "from one ecosystem to another by a bare "
                               "name", s, s, s);
            if (strvec_contains(&c->tools, s))
                return KEY_ERR(ctx, ikey, "\"%s\" is already in the list",
                               s);
            strvec_push(&c->tools, s);
        }
        /* the first for now; which one coco installs is the policy's
         * choice (policy_resolve: the first its installer handles) */
        spec_split(c->tools.v[0], &c->spec, &why);
        c->tool = xstrdup(c->tools.v[0]);
        return 0;
    }
    if (!json_is_string(v))
        return KEY_ERR(ctx, key, "must be an install spec (\"deb:ripgrep\") "
                       "or a list of them tried in order, not %s",
                       json_type_word(v));
    if (get_string(ctx, key, v, false, &s) < 0)
        return -1;
    if (strlen(s) > 256)
        return KEY_ERR(ctx, key, "longer than 256 characters");
    if (spec_split(s, &c->spec, &why) < 0)
        return KEY_ERR(ctx, key, "\"%s\": %s", s, why);
    c->tool = xstrdup(s);
    strvec_push(&c->tools, s);
    return 0;
}

static int key_command(struct parse_ctx *ctx, const char *key, json_t *v)
{
    const char *s;
    if (get_string(ctx, key, v, false, &s) < 0)
        return -1;
    for (const char *p = s; *p; p++)
        if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
            return KEY_ERR(ctx, key,
                           "\"%s\" is one program name or path, without "
                           "spaces (arguments are not split from it)", s);
    ctx->cfg->command = xstrdup(s);
    return 0;
}

static const struct {
    const char *name;
    unsigned flag;
} mount_opts[] = {
    {"ro", MNT_RO}, {"rw", MNT_RW}, {"z", MNT_Z_SHARED}, {"Z", MNT_Z_PRIVATE},
    {"noexec", MNT_NOEXEC}, {"nosuid", MNT_NOSUID}, {"nodev", MNT_NODEV},
};

static int parse_mount_opts(struct parse_ctx *ctx, const char *key,
                            const char *s, unsigned *out)
{
    unsigned flags = 0;
    _cleanup_free_ char *copy = xstrdup(s);
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        unsigned f = 0;
        for (size_t i = 0; i < sizeof mount_opts / sizeof *mount_opts; i++)
            if (strcmp(mount_opts[i].name, t) == 0)
                f = mount_opts[i].flag;
        if (!f)
            return KEY_ERR(ctx, key,
                           "unknown mount option \"%s\" (use ro, rw, z, Z, "
                           "noexec, nosuid, nodev)", t);
        flags |= f;
    }
    if ((flags & MNT_RO) && (flags & MNT_RW))
        return KEY_ERR(ctx, key, "\"ro\" and \"rw\" contradict each other");
    if ((flags & MNT_Z_SHARED) && (flags & MNT_Z_PRIVATE))
        return KEY_ERR(ctx, key, "\"z\" and \"Z\" contradict each other");
    *out = flags;
    return 0;
}

/* Destinations a bind must not cover: the container's own root and the
 * kernel interfaces the runtime sets up. */
static const char *const forbidden_dsts[] = {"/", "/proc", "/sys", "/dev", NULL};

static int key_mounts(struct parse_ctx *ctx, const char *key, json_t *v)
{
    if (!json_is_array(v))
        return KEY_ERR(ctx, key, "must be an array of {src, dst, opts} objects, "
                                 "not %s", json_type_word(v));
    size_t n = json_array_size(v);
    ctx->cfg->mounts = xcalloc(n, sizeof *ctx->cfg->mounts);
    size_t i;
    json_t *m;
    json_array_foreach(v, i, m) {
        char mkey[64];
        snprintf(mkey, sizeof mkey, "%s[%zu]", key, i);
        if (!json_is_object(m))
            return KEY_ERR(ctx, mkey, "must be an object with src and dst, not %s",
                           json_type_word(m));
        /* Claim the slot first so config_free sees whatever is stored. */
        struct config_mount *cm = &ctx->cfg->mounts[ctx->cfg->n_mounts++];
        const char *k;
        json_t *f;
        json_object_foreach(m, k, f) {
            char fkey[96];
            snprintf(fkey, sizeof fkey, "%s.%s", mkey, k);
            const char *s;
            if (strcmp(k, "src") && strcmp(k, "dst") && strcmp(k, "opts"))
                return KEY_ERR(ctx, fkey, "unknown key (a mount has src, dst, opts)");
            if (get_string(ctx, fkey, f, strcmp(k, "opts") == 0, &s) < 0)
                return -1;
            /* A path with a newline or an escape sequence in it is no
             * path anybody means, and it would print as something else
             * than it is. */
            for (const char *c = s; *c; c++)
                if ((unsigned char)*c < 0x20 || *c == 0x7f)
                    return KEY_ERR(ctx, fkey, "\"%s\" holds a control "
                                   "character; write the path without it", s);
            if (strcmp(k, "src") == 0) {
                /* What the text alone tells, an engine socket's name,
                 * is refused at load, so `coco get` never saves such a
                 * config; a directory above a socket is the policy's to
                 * find (it knows the home and the runtime directory). */
                if (hostpath_engine_name(s))
                    return KEY_ERR(ctx, fkey, "%s " HOSTPATH_ENGINE_IS
                                   "; refusing", s);
                cm->src = xstrdup(s);
            } else if (strcmp(k, "dst") == 0) {
                if (!path_is_clean_absolute(s))
                    return KEY_ERR(ctx, fkey,
                                   "\"%s\" must be an absolute path without "
                                   "\".\" or \"..\" components", s);
                _cleanup_free_ char *norm = path_normalize(s);
                for (const char *const *fd = forbidden_dsts; *fd; fd++)
                    if (strcmp(*fd, "/") == 0 ? strcmp(norm, "/") == 0
                                              : path_is_within(norm, *fd))
                        return KEY_ERR(ctx, fkey,
                                       "\"%s\" would cover %s inside the "
                                       "sandbox; choose another destination",
                                       s, *fd);
                cm->dst = steal_pointer(&norm);
            } else if (parse_mount_opts(ctx, fkey, s, &cm->opts) < 0) {
                return -1;
            }
        }
        if (!cm->src || !cm->dst)
            return KEY_ERR(ctx, mkey, "needs both \"src\" and \"dst\"");
        for (size_t j = 0; j + 1 < ctx->cfg->n_mounts; j++)
            if (strcmp(ctx->cfg->mounts[j].dst, cm->dst) == 0)
                return KEY_ERR(ctx, mkey, "destination \"%s\" is already used by "
                                          "%s[%zu]", cm->dst, key, j);
    }
    return 0;
}

static int key_env(struct parse_ctx *ctx, const char *key, json_t *v)
{
    if (!json_is_object(v))
        return KEY_ERR(ctx, key, "must be an object of NAME: \"value\", not %s",
                       json_type_word(v));
    size_t n = json_object_size(v);
    ctx->cfg->env = xcalloc(n, sizeof *ctx->cfg->env);
    const char *k;
    json_t *val;
    json_object_foreach(v, k, val) {
        char ekey[300];
        snprintf(ekey, sizeof ekey, "%s.%s", key, k);
        if (!env_name_valid(k))
            return KEY_ERR(ctx, ekey, "\"%s\" is not a valid variable name "
                                      "(letters, digits, '_'; not starting "
                                      "with a digit)", k);
        const char *s;
        if (!json_is_string(val))
            return KEY_ERR(ctx, ekey, "must be a string, not %s (write numbers "
                                      "as \"1\")", json_type_word(val));
        if (get_string(ctx, ekey, val, true, &s) < 0)
            return -1;
        struct config_env *e = &ctx->cfg->env[ctx->cfg->n_env++];
        e->name = xstrdup(k);
        e->value = xstrdup(s);
    }
    return 0;
}

static const char *env_name_check(const char *s)
{
    return env_name_valid(s) ? NULL
                             : "not a valid variable name (letters, digits, "
                               "'_'; not starting with a digit)";
}

static int key_env_passthrough(struct parse_ctx *ctx, const char *key, json_t *v)
{
    return get_string_array(ctx, key, v, &ctx->cfg->env_passthrough,
                            env_name_check);
}

static const char *apt_name_check(const char *s)
{
    if (!isalnum((unsigned char)s[0]))
        return "not a Debian package name";
    for (const char *p = s; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) ||
              strchr("+-.", *p)))
            return "not a Debian package name (lower case, digits, + - .)";
    return NULL;
}

/* A key whose value is an object of its own keys ("install": {...}):
 * each member handled by its row of SUB (NULL-terminated), as "KEY.NAME";
 * EXAMPLE shows the shape when V is not an object. */
struct subkey {
    const char *name;
    key_fn fn;
};

static int get_subkeys(struct parse_ctx *ctx, const char *key, json_t *v,
                       const char *example, const struct subkey *sub)
{
    if (!json_is_object(v))
        return KEY_ERR(ctx, key, "must be an object %s, not %s", example,
                       json_type_word(v));
    const char *k;
    json_t *f;
    json_object_foreach(v, k, f) {
        char dkey[96];
        snprintf(dkey, sizeof dkey, "%s.%s", key, k);
        const struct subkey *r = sub;
        while (r->name && strcmp(r->name, k) != 0)
            r++;
        if (r->fn) {
            if (r->fn(ctx, dkey, f) < 0)
                return -1;
            continue;
        }
        char names[128] = "";
        for (r = sub; r->name; r++)
            snprintf(names + strlen(names), sizeof names - strlen(names),
                     "%s%s", r == sub ? "" : ", ", r->name);
        return KEY_ERR(ctx, dkey, "unknown key (%s has %s)", key, names);
    }
    return 0;
}

static int dep_apt(struct parse_ctx *ctx, const char *key, json_t *v)
{
    return get_string_array(ctx, key, v, &ctx->cfg->deps_apt, apt_name_check);
}

static int dep_mise(struct parse_ctx *ctx, const char *key, json_t *v)
{
    return get_string_array(ctx, key, v, &ctx->cfg->deps_mise,
                            tool_spec_check);
}

static int key_dependencies(struct parse_ctx *ctx, const char *key, json_t *v)
{
    static const struct subkey sub[] = {
        {"apt", dep_apt}, {"mise", dep_mise}, {NULL, NULL}};
    return get_subkeys(ctx, key, v, "{\"apt\": [...], \"mise\": [...]}",
                       sub);
}

static int key_workdir(struct parse_ctx *ctx, const char *key, json_t *v)
{
    const char *s;
    if (get_string(ctx, key, v, false, &s) < 0)
        return -1;
    if (!path_is_clean_absolute(s))
        return KEY_ERR(ctx, key, "\"%s\" must be an absolute path without \".\" "
                                 "or \"..\" components", s);
    ctx->cfg->workdir = path_normalize(s);
    return 0;
}

static int key_network(struct parse_ctx *ctx, const char *key, json_t *v)
{
    const char *s;
    if (get_string(ctx, key, v, false, &s) < 0)
        return -1;
    if (strcmp(s, "none") == 0)
        ctx->cfg->network = NET_NONE;
    else if (strcmp(s, "full") == 0)
        ctx->cfg->network = NET_FULL;
    else if (strcmp(s, "host") == 0)
        ctx->cfg->network = NET_HOST;
    else
        return KEY_ERR(ctx, key, "\"%s\" is not a network mode (use none, full, "
                                 "host, or list allowed_hosts)", s);
    return 0;
}

static const char *allowed_host_check(const char *s)
{
    struct net_allow e;
    return net_allow_parse(s, &e);
}

/* An array of allowed_hosts entries ("allowed_hosts",
 * "install.allowed_hosts") into HOSTS, each checked, then kept in its
 * canonical form (net_allow_format: lower case, no trailing dot, IDNA
 * A-labels): the form the proxy matches, `coco show` prints and a
 * changed config compares by. */
static int get_hosts(struct parse_ctx *ctx, const char *key, json_t *v,
                     struct strvec *hosts)
{
    if (get_string_array(ctx, key, v, hosts, allowed_host_check) < 0)
        return -1;
    for (size_t i = 0; i < hosts->n; i++) {
        struct net_allow e;
        char buf[300];
        if (net_allow_parse(hosts->v[i], &e))
            return KEY_ERR(ctx, key, "internal: entry %zu changed", i);
        net_allow_format(&e, buf, sizeof buf);
        free(hosts->v[i]);
        hosts->v[i] = xstrdup(buf);
    }
    return 0;
}

static int key_allowed_hosts(struct parse_ctx *ctx, const char *key, json_t *v)
{
    return get_hosts(ctx, key, v, &ctx->cfg->allowed_hosts);
}

/* A package an install may run the scripts of: a registry package name
 * ("esbuild", "@scope/name"). */
static const char *script_pkg_check(const char *s)
{
    struct tool_spec ts;
    const char *why = NULL;
    if (strlen(s) > 214)
        return "longer than 214 characters (npm's limit)";
    if (strchr(s, ':'))
        return "a package name, without an ecosystem prefix";
    if (spec_split(s, &ts, &why) < 0)
        return why;
    bool versioned = ts.version != NULL;
    tool_spec_free(&ts);
    return versioned ? "a package name, without a version" : NULL;
}

static int inst_allow_scripts(struct parse_ctx *ctx, const char *key,
                              json_t *v)
{
    return get_string_array(ctx, key, v, &ctx->cfg->allow_scripts,
                            script_pkg_check);
}

static int inst_allowed_hosts(struct parse_ctx *ctx, const char *key,
                              json_t *v)
{
    return get_hosts(ctx, key, v, &ctx->cfg->install_hosts);
}

static int inst_runtime(struct parse_ctx *ctx, const char *key, json_t *v)
{
    const char *s;
    if (get_string(ctx, key, v, false, &s) < 0)
        return -1;
    struct tool_spec ts;
    bool node = strlen(s) <= 256 && tool_spec_parse(s, &ts) == 0 &&
                (!ts.backend || strcmp(ts.backend, "core") == 0) &&
                strcmp(ts.name, "node") == 0;
    if (strlen(s) <= 256)
        tool_spec_free(&ts);
    if (!node) {
        char es[300];
        str_escape_buf(s, es, sizeof es);
        return KEY_ERR(ctx, key, "\"%s\" is not a Node.js spec; name one "
                       "like \"node@22\" or \"node@lts\" (the runtime an "
                       "npm: tool runs on)", es);
    }
    free(ctx->cfg->install_runtime);
    ctx->cfg->install_runtime = xstrdup(s);
    return 0;
}

static int key_install(struct parse_ctx *ctx, const char *key, json_t *v)
{
    static const struct subkey sub[] = {
        {"allow_scripts", inst_allow_scripts},
        {"allowed_hosts", inst_allowed_hosts},
        {"runtime", inst_runtime},
        {NULL, NULL},
    };
    return get_subkeys(ctx, key, v, "{\"allow_scripts\": [...]}", sub);
}

/* A name "protect.allow" may hold: one of the protected host-executed
 * paths (protect.h). */
static const char *protect_name_check(const char *s)
{
    if (protect_kind(s) < 0)
        return "not a protected path (use one of " PROTECT_NAMES_TEXT ")";
    return NULL;
}

static int protect_allow(struct parse_ctx *ctx, const char *key, json_t *v)
{
    return get_string_array(ctx, key, v, &ctx->cfg->protect_allow,
                            protect_name_check);
}

static int key_protect(struct parse_ctx *ctx, const char *key, json_t *v)
{
    static const struct subkey sub[] = {{"allow", protect_allow},
                                        {NULL, NULL}};
    return get_subkeys(ctx, key, v, "{\"allow\": [\".git/config\"]}", sub);
}

static const char *private_range_check(const char *s)
{
    static char buf[256];
    struct net_cidr c;
    const char *why;
    if (net_cidr_parse(s, &c, &why) < 0)
        return why;
    return net_private_range_check(&c, buf, sizeof buf);
}

static int key_private_ranges(struct parse_ctx *ctx, const char *key,
                              json_t *v)
{
    return get_string_array(ctx, key, v, &ctx->cfg->private_ranges,
                            private_range_check);
}

static int key_isolated(struct parse_ctx *ctx, const char *key, json_t *v)
{
    if (!json_is_boolean(v))
        return KEY_ERR(ctx, key, "must be true or false, not %s", json_type_word(v));
    ctx->cfg->isolated = json_is_true(v);
    return 0;
}

static int key_ports(struct parse_ctx *ctx, const char *key, json_t *v)
{
    return get_string_array(ctx, key, v, &ctx->cfg->ports, port_spec_check);
}

static int key_x11(struct parse_ctx *ctx, const char *key, json_t *v)
{
    if (!json_is_boolean(v))
        return KEY_ERR(ctx, key, "must be true or false, not %s", json_type_word(v));
    ctx->cfg->x11 = json_is_true(v);
    return 0;
}

/* An allowlist (engine_args.c): the config keeps each option in its
 * canonical "--opt=value" form, which is what the engine gets. */
static int key_podman_args(struct parse_ctx *ctx, const char *key, json_t *v)
{
    _cleanup_strvec_ struct strvec raw = STRVEC_INIT;
    if (get_string_array(ctx, key, v, &raw, NULL) < 0)
        return -1;
    size_t bad;
    if (engine_args_vet(raw.v, raw.n, &ctx->cfg->podman_args, &bad,
                        ctx->err) < 0)
        return err_prefix(ctx->err, "%s: %s[%zu]", ctx->path, key, bad);
    return 0;
}

static int key_image(struct parse_ctx *ctx, const char *key, json_t *v)
{
    const char *s;
    if (get_string(ctx, key, v, false, &s) < 0)
        return -1;
    /* An image reference: registry/name[:tag][@sha256:digest]. */
    if (s[0] == '-' || strlen(s) > 512)
        return KEY_ERR(ctx, key, "\"%s\" is not an image reference", s);
    for (const char *p = s; *p; p++)
        if (!(isalnum((unsigned char)*p) || strchr("/:@._-", *p)))
            return KEY_ERR(ctx, key, "\"%s\" is not an image reference "
                                     "(letters, digits and / : @ . _ -)", s);
    ctx->cfg->image = xstrdup(s);
    return 0;
}

static int key_runtime(struct parse_ctx *ctx, const char *key, json_t *v)
{
    const char *s;
    if (get_string(ctx, key, v, false, &s) < 0)
        return -1;
    ctx->cfg->runtime = runtime_parse(s);
    if (ctx->cfg->runtime == RT_UNSET)
        return KEY_ERR(ctx, key, "\"%s\" is not a runtime (use podman, docker "
                                 "or native)", s);
    return 0;
}

/* limits.* values may be strings with units or plain numbers. */
static int limit_value(struct parse_ctx *ctx, const char *key, json_t *v,
                       int (*parse)(const char *, uint64_t *), const char *hint,
                       uint64_t *out)
{
    char buf[64];
    const char *s;
    if (json_is_integer(v)) {
        if (json_integer_value(v) <= 0)
            return KEY_ERR(ctx, key, "must be greater than 0");
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
        s = buf;
    } else if (json_is_string(v)) {
        if (get_string(ctx, key, v, false, &s) < 0)
            return -1;
    } else {
        return KEY_ERR(ctx, key, "must be a string like %s, not %s", hint,
                       json_type_word(v));
    }
    if (parse(s, out) < 0 || *out == 0)
        return KEY_ERR(ctx, key, "\"%s\" is not valid (write it like %s)", s, hint);
    return 0;
}

static int parse_pids(const char *s, uint64_t *out)
{
    return parse_uint(s, 4194304, out);
}

static int key_limits(struct parse_ctx *ctx, const char *key, json_t *v)
{
    if (!json_is_object(v))
        return KEY_ERR(ctx, key, "must be an object {memory, pids, cpus, "
                                 "timeout, output}, not %s", json_type_word(v));
    struct config_limits *l = &ctx->cfg->limits;
    const char *k;
    json_t *f;
    json_object_foreach(v, k, f) {
        char lkey[96];
        snprintf(lkey, sizeof lkey, "%s.%s", key, k);
        int r;
        if (strcmp(k, "memory") == 0) {
            r = limit_value(ctx, lkey, f, parse_size, "\"512m\" or \"2g\"", &l->memory);
            if (r == 0 && l->memory < (6u << 20))
                return KEY_ERR(ctx, lkey, "below 6m; no tool starts in that");
        } else if (strcmp(k, "pids") == 0) {
            if (!json_is_integer(f))
                return KEY_ERR(ctx, lkey, "must be an integer, not %s",
                               json_type_word(f));
            r = limit_value(ctx, lkey, f, parse_pids, "256", &l->pids);
        } else if (strcmp(k, "cpus") == 0) {
            if (json_is_real(f)) {
                char buf[64];
                snprintf(buf, sizeof buf, "%.3f", json_real_value(f));
                if (parse_cpus(buf, &l->cpus_milli) < 0)
                    return KEY_ERR(ctx, lkey, "%s is not a CPU count like \"1.5\"",
                                   buf);
                r = 0;
            } else {
                r = limit_value(ctx, lkey, f, parse_cpus, "\"1.5\"", &l->cpus_milli);
            }
        } else if (strcmp(k, "timeout") == 0) {
            r = limit_value(ctx, lkey, f, parse_duration, "\"30s\" or \"10m\"",
                            &l->timeout_ms);
        } else if (strcmp(k, "output") == 0) {
            r = limit_value(ctx, lkey, f, parse_size, "\"100m\"", &l->output);
        } else {
            return KEY_ERR(ctx, lkey, "unknown key (limits has memory, pids, cpus, "
                                      "timeout, output)");
        }
        if (r < 0)
            return -1;
    }
    return 0;
}

static const struct key_row {
    const char *name;
    key_fn fn;
    const char *doc; /* one line, for coco help config and the man page */
} key_table[] = {
    {"tool", key_tool, "install spec (npm:eslint@9, deb:ripgrep, node@lts) "
                       "or a list tried in order"},
    {"command", key_command, "program to run (default: the tool name)"},
    {"mounts", key_mounts, "[{src, dst, opts}] bind mounts"},
    {"env", key_env, "{NAME: value} set in the sandbox"},
    {"env_passthrough", key_env_passthrough, "[NAME] copied from the host"},
    {"dependencies", key_dependencies, "{apt: [...], mise: [...]}"},
    {"install", key_install,
     "{allow_scripts: [package], allowed_hosts: [host], runtime: "
     "\"node@22\"} how coco installs the tool"},
    {"workdir", key_workdir, "working directory (default /workspace)"},
    {"network", key_network, "none | full | host (default none)"},
    {"allowed_hosts", key_allowed_hosts, "[host] egress allowlist"},
    {"private_ranges", key_private_ranges,
     "[\"10.20.0.0/16\"] private ranges egress may reach (risky)"},
    {"isolated", key_isolated, "per-tool volume (default true)"},
    {"ports", key_ports, "[\"HOST:CTR\"] ports to publish"},
    {"x11", key_x11, "share the X11 display (risky)"},
    {"podman_args", key_podman_args, "extra podman/docker options (an allowlist)"},
    {"image", key_image, "container image"},
    {"runtime", key_runtime, "podman | docker | native"},
    {"limits", key_limits, "{memory, pids, cpus, timeout, output}"},
    {"protect", key_protect, "{allow: [\".git/config\"]} protected "
                             "host-executed paths the tool may write (risky)"},
};

static int parse_root(struct parse_ctx *ctx, json_t *root)
{
    if (!json_is_object(root))
        return err_set(ctx->err, 0, "%s: the config must be a JSON object, not %s",
                       ctx->path, json_type_word(root));
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v) {
        const struct key_row *row = NULL;
        for (size_t i = 0; i < sizeof key_table / sizeof *key_table; i++)
            if (strcmp(key_table[i].name, k) == 0)
                row = &key_table[i];
        if (!row)
            return err_set(ctx->err, 0,
                           "%s: %s: unknown key (see `man 5 coco.json` for the "
                           "keys a config can hold)", ctx->path, k);
        if (row->fn(ctx, k, v) < 0)
            return -1;
    }
    struct config *c = ctx->cfg;
    if (c->network != NET_UNSET && c->allowed_hosts.n > 0)
        return err_set(ctx->err, 0,
                       "%s: network: \"%s\" and allowed_hosts contradict each "
                       "other; keep one", ctx->path, net_mode_name(c->network));
    if (c->allowed_hosts.n > 0)
        c->network = NET_ALLOWED;
    if (c->install_runtime) {
        struct tool_spec ts;
        const char *t = c->tool;
        bool npm = false;
        for (size_t i = 0; i < c->tools.n && !npm; i++) {
            npm = tool_spec_parse(c->tools.v[i], &ts) == 0 &&
                  ts.backend && strcmp(ts.backend, "npm") == 0;
            tool_spec_free(&ts);
        }
        if (!npm && t && tool_spec_parse(t, &ts) == 0) {
            npm = ts.backend && strcmp(ts.backend, "npm") == 0;
            tool_spec_free(&ts);
        }
        if (!npm)
            return err_set(ctx->err, 0,
                           "%s: install.runtime: only an npm: tool runs on "
                           "a runtime coco installs; make \"tool\" an npm: "
                           "spec or drop install.runtime", ctx->path);
    }
    if (c->private_ranges.n > 0 && c->network != NET_ALLOWED &&
        c->network != NET_FULL)
        return err_set(ctx->err, 0,
                       "%s: private_ranges: only opens ranges to egress "
                       "through coco's proxy; list allowed_hosts or set "
                       "\"network\": \"full\"", ctx->path);
    if (c->ports.n > 0 && (c->network == NET_NONE || c->network == NET_UNSET))
        return err_set(ctx->err, 0,
                       "%s: ports: publishing ports needs a network; set "
                       "\"network\" to \"full\" or \"host\"", ctx->path);
    if (c->ports.n > 0 && c->network == NET_HOST)
        return err_set(ctx->err, 0,
                       "%s: ports: with \"network\": \"host\" the tool already "
                       "listens on the host; drop ports", ctx->path);
    return 0;
}

int config_parse(const char *buf, size_t len, const char *name,
                 const char *path, struct config *out, coco_err *err)
{
    memset(out, 0, sizeof *out);
    out->isolated = -1;
    if (!tool_name_valid(name))
        return err_set(err, 0, "%s: \"%s\" is not a valid tool name (letters, "
                               "digits, . _ + -; at most 64)", path, name);
    if (len > CONFIG_MAX_BYTES)
        return err_set(err, 0, "%s: larger than 1 MiB; not a tool config", path);
    json_error_t jerr;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return err_set(err, 0, "%s: line %d column %d: invalid JSON: %s", path,
                       jerr.line, jerr.column, jerr.text);
    out->path = xstrdup(path);
    out->name = xstrdup(name);
    struct parse_ctx ctx = {path, out, err};
    int r = parse_root(&ctx, root);
    json_decref(root);
    if (r < 0) {
        config_free(out);
        return -1;
    }
    return 0;
}

/* Like ssh's StrictModes for the directories a config lies in: whoever
 * can write to the tools directory or to any directory above it can
 * replace the config (rename the directory away and put their own in
 * its place).  Each must be owned by the user or root and not writable
 * by group or others, except that an ancestor with the sticky bit (/tmp)
 * is fine: there, only the owner of our entry can rename or remove it.
 * The tools directory itself gets no such exception: others could still
 * add configs to it.  The walk is over the real path (symbolic links
 * resolved), and on success *REAL_PATH is PATH's file in that real
 * directory, so that the file opened is the one below the directories
 * checked, whatever a link on the way points to later. */
static int config_dir_check(const char *path, char **real_path, coco_err *err)
{
    const char *slash = strrchr(path, '/');
    _cleanup_free_ char *dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
    if (!*dir) {
        free(dir);
        dir = xstrdup("/");
    }
    _cleanup_free_ char *real = realpath(dir, NULL);
    if (!real) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0; /* no such config: opening PATH says so */
        return err_set(err, errno, "%s: %s", path, dir);
    }
    *real_path = path_join(real, slash ? slash + 1 : path);
    uid_t me = geteuid();
    for (bool tools_dir = true;; tools_dir = false) {
        struct stat st;
        if (lstat(real, &st) < 0)
            return err_set(err, errno, "%s: %s", path, real);
        if (!S_ISDIR(st.st_mode))
            return err_set(err, 0, "%s: %s changed while coco checked it; "
                                   "try again", path, real);
        if (st.st_uid != me && st.st_uid != 0)
            return err_set(err, 0, "%s: the directory %s is owned by uid %u, "
                                   "not by you (uid %u) or root, who could "
                                   "replace the config; keep configs in a "
                                   "directory of your own (XDG_DATA_HOME)",
                           path, real, (unsigned)st.st_uid, (unsigned)me);
        if ((st.st_mode & (S_IWGRP | S_IWOTH)) &&
            (tools_dir || !(st.st_mode & S_ISVTX)))
            return err_set(err, 0, "%s: the directory %s is writable by group "
                                   "or others (mode %04o), who could replace "
                                   "the config; run `chmod go-w %s`", path,
                           real, (unsigned)(st.st_mode & 07777), real);
        if (strcmp(real, "/") == 0)
            return 0;
        char *up = strrchr(real, '/');
        up[up == real ? 1 : 0] = '\0';
    }
}

int config_load(const char *path, const char *name, struct config *out,
                coco_err *err)
{
    memset(out, 0, sizeof *out);
    _cleanup_free_ char *real_path = NULL;
    if (config_dir_check(path, &real_path, err) < 0)
        return -1;
    _cleanup_close_ int fd = open(real_path ? real_path : path,
                                  O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT)
            return err_set(err, 0, "%s: no such config; `coco list` shows the "
                                   "tools, `coco get %s` fetches one from the "
                                   "store", path, name);
        if (errno == ELOOP)
            return err_set(err, 0, "%s: is a symbolic link; coco reads only "
                                   "regular files it can trust", path);
        return err_set(err, errno, "%s", path);
    }
    struct stat st;
    if (fstat(fd, &st) < 0)
        return err_set(err, errno, "%s", path);
    if (!S_ISREG(st.st_mode))
        return err_set(err, 0, "%s: not a regular file", path);
    /* Like ssh's StrictModes: a config others can change is a config an
     * attacker can use to widen a tool's sandbox. */
    uid_t me = geteuid();
    if (st.st_uid != me && st.st_uid != 0)
        return err_set(err, 0, "%s: owned by uid %u, not by you (uid %u); "
                               "refusing a config someone else controls",
                       path, (unsigned)st.st_uid, (unsigned)me);
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return err_set(err, 0, "%s: writable by group or others (mode %04o); "
                               "run `chmod go-w %s`", path,
                       (unsigned)(st.st_mode & 07777), path);
    if (st.st_size > CONFIG_MAX_BYTES)
        return err_set(err, 0, "%s: larger than 1 MiB; not a tool config", path);
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    if (read_fd(fd, path, &buf, &len, CONFIG_MAX_BYTES, err) < 0)
        return -1;
    return config_parse(buf, len, name, path, out, err);
}

void config_free(struct config *c)
{
    free(c->path);
    free(c->name);
    free(c->tool);
    strvec_clear(&c->tools);
    free(c->spec.backend);
    free(c->spec.name);
    free(c->spec.version);
    free(c->command);
    for (size_t i = 0; i < c->n_mounts; i++) {
        free(c->mounts[i].src);
        free(c->mounts[i].dst);
    }
    free(c->mounts);
    for (size_t i = 0; i < c->n_env; i++) {
        free(c->env[i].name);
        free(c->env[i].value);
    }
    free(c->env);
    strvec_clear(&c->env_passthrough);
    strvec_clear(&c->deps_apt);
    strvec_clear(&c->deps_mise);
    strvec_clear(&c->allow_scripts);
    strvec_clear(&c->install_hosts);
    strvec_clear(&c->protect_allow);
    free(c->install_runtime);
    free(c->workdir);
    strvec_clear(&c->allowed_hosts);
    strvec_clear(&c->private_ranges);
    strvec_clear(&c->ports);
    strvec_clear(&c->podman_args);
    free(c->image);
    memset(c, 0, sizeof *c);
    c->isolated = -1;
}

bool image_pinned(const char *image)
{
    return strstr(image, "@sha256:") || str_has_prefix(image, "localhost/");
}

int config_list(const char *dir, struct strvec *out, coco_err *err)
{
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        return err_set(err, errno, "%s", dir);
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !str_has_suffix(e->d_name, ".json"))
            continue;
        _cleanup_free_ char *name = xstrndup(e->d_name, strlen(e->d_name) - 5);
        if (tool_name_valid(name))
            strvec_push(out, name);
    }
    closedir(d);
    strvec_sort(out);
    return 0;
}

char *config_path_for(const char *name, coco_err *err)
{
    if (!tool_name_valid(name)) {
        err_set(err, 0, "\"%s\": not a valid tool name (letters, digits, . _ + -; "
                        "no '/' or \"..\")", name);
        return NULL;
    }
    _cleanup_free_ char *dir = paths_tools_dir();
    return xasprintf("%s/%s.json", dir, name);
}
