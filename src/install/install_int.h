/* install_int.h — what install/install.c and install/drivers.c share. */
#ifndef COCO_INSTALL_INT_H
#define COCO_INSTALL_INT_H

#include "config.h"
#include "install.h"

/* Where the installer's own download cache is, inside its sandbox. */
#define INSTALL_CACHE_MOUNT "/opt/coco/cache"

struct net_allow;

/* What a lock may name: phase F's allowlist. */
struct install_lockcheck {
    const struct net_allow *allow;
    size_t n_allow;
};

struct install_driver {
    const char *name;             /* the spec's prefix: "npm" */
    const char *program;          /* what it runs, from the host: "npm" */
    const char *const *hosts;     /* registry hosts (allowed_hosts entries) */
    const char *bin;              /* programs, relative to the root */
    const char *lock;             /* the lock, relative to the root */
    const char *manifest_file;    /* the ecosystem's own, beside the lock */
    const char *const *env;       /* "NAME=value" for both phases */
    const char *const *config_env;/* names the tool's config env may set */
    /* The variable through which the installer trusts extra CAs: set to
     * the host's CA bundle when the host's environment names none (a
     * TLS-intercepting proxy's CA is in the bundle, never in npm's own
     * list, and `--prefix` hides the global npmrc's cafile). */
    const char *ca_var;
    /* Phase F's argv: resolve SPEC, or (FROM_LOCK) the lock in the root. */
    void (*fetch_argv)(const struct tool_spec *ts, bool from_lock,
                       struct strvec *argv);
    /* Phase B's argv: run the install scripts of NAMES, offline. */
    void (*build_argv)(const struct strvec *names, struct strvec *argv);
    /* After phase F: refuse what the lock must not hold; the packages
     * that want install scripts into SCRIPTS. */
    int (*check_lock)(int rootfd, const struct install_lockcheck *lc,
                      struct strvec *scripts, coco_err *err);
    /* The installed version of the spec's package. */
    int (*version)(int rootfd, const struct tool_spec *ts, char **out,
                   coco_err *err);
};

/* npm's lock, package-lock.json's TEXT (LEN bytes, from npm and so from
 * the registry: untrusted), checked against LC: every package a registry
 * tarball on an allowed host with a sha512 integrity, no link, git, file
 * or URL dependency; the names of those with install scripts added to
 * SCRIPTS.  0, or -1 with ERR naming the package. */
int npm_lock_check(const char *text, size_t len,
                   const struct install_lockcheck *lc, struct strvec *scripts,
                   coco_err *err);

extern const struct install_driver install_drivers[];
const struct install_driver *install_driver_for(const char *backend);

#endif
