/* config.h — one tool's JSON config, loaded strictly into typed structs.
 *
 * Every key is a row in one table (config.c): name, JSON type, handler.
 * Unknown keys, wrong types and invalid values are errors of the form
 * "FILE: KEY: reason" (err->msg), which the caller prints as
 * "coco: FILE: KEY: reason" and exits 125.
 */
#ifndef COCO_CONFIG_H
#define COCO_CONFIG_H

#include "util.h"

enum net_mode {
    NET_UNSET = 0,
    NET_NONE,     /* loopback only (the default) */
    NET_ALLOWED,  /* allowed_hosts through the egress proxy */
    NET_FULL,     /* any public address */
    NET_HOST,     /* the host's network, unfiltered */
};
const char *net_mode_name(enum net_mode m);

enum runtime_kind {
    RT_UNSET = 0,
    RT_PODMAN,
    RT_DOCKER,
    RT_NATIVE,
};
const char *runtime_name(enum runtime_kind r);
/* "podman" | "docker" | "native" -> kind; RT_UNSET for anything else. */
enum runtime_kind runtime_parse(const char *s);

/* Mount option flags (the "opts" string is a comma list of these). */
enum {
    MNT_RO = 1u << 0,      /* "ro" */
    MNT_RW = 1u << 1,      /* "rw" (the default; explicit) */
    MNT_Z_SHARED = 1u << 2,  /* "z": SELinux shared relabel (podman/docker) */
    MNT_Z_PRIVATE = 1u << 3, /* "Z": SELinux private relabel */
    MNT_NOEXEC = 1u << 4,  /* "noexec" */
    MNT_NOSUID = 1u << 5,  /* "nosuid" (always applied; accepted for clarity) */
    MNT_NODEV = 1u << 6,   /* "nodev"  (always applied; accepted for clarity) */
};

struct config_mount {
    char *src;      /* as written: "~/x", ".", "rel", "/abs" */
    char *dst;      /* absolute, clean */
    unsigned opts;  /* MNT_* */
};

struct config_env {
    char *name;
    char *value;
};

/* A parsed install spec: "npm:eslint@9" -> backend "npm", name "eslint",
 * version "9"; "node@lts" -> backend NULL, name "node", version "lts". */
struct tool_spec {
    char *backend;  /* NULL for a plain mise tool name */
    char *name;
    char *version;  /* NULL when none given */
};

struct config_limits {
    uint64_t memory;      /* bytes, 0 = unset */
    uint64_t pids;        /* 0 = unset */
    uint64_t cpus_milli;  /* 0 = unset; 1500 = 1.5 CPUs */
    uint64_t timeout_ms;  /* 0 = unset */
    uint64_t output;      /* bytes of stdout+stderr, 0 = unset */
};

struct config {
    char *path;  /* file the config came from (for messages) */
    char *name;  /* tool name: file name without ".json" */

    char *tool;             /* the install spec used, NULL if absent: the
                               first of TOOLS coco's installer handles,
                               else the first */
    struct strvec tools;    /* "tool" as written: one spec or a list */
    struct tool_spec spec;  /* parsed from tool */
    char *command;          /* NULL: defaults to name */
    struct config_mount *mounts;
    size_t n_mounts;
    struct config_env *env;  /* in file order */
    size_t n_env;
    struct strvec env_passthrough;
    struct strvec deps_apt;
    struct strvec deps_mise;
    struct strvec allow_scripts;  /* install.allow_scripts */
    struct strvec install_hosts;  /* install.allowed_hosts, canonical */
    struct strvec protect_allow;  /* protect.allow: names of
                                     PROTECT_NAMES the tool may write */
    char *install_runtime;        /* install.runtime: "node@22", or NULL */
    char *workdir;           /* NULL: "/workspace" */
    enum net_mode network;   /* NET_UNSET when the key is absent */
    struct strvec allowed_hosts;  /* lower-cased */
    struct strvec private_ranges; /* checked "ADDRESS/PREFIX" */
    int isolated;            /* -1 absent, 0 false, 1 true */
    struct strvec ports;     /* validated "[IP:]HOST:CTR[/tcp|/udp]" */
    bool x11;
    struct strvec podman_args;  /* vetted, each "--opt=value" (engine_args.h) */
    char *image;             /* NULL: COCO_IMAGE or the default */
    enum runtime_kind runtime;  /* RT_UNSET when absent */
    struct config_limits limits;
};

/* Parse a config from memory.  NAME is the tool name, PATH is used only in
 * messages.  On error returns -1 with err->msg = "PATH: KEY: reason" and
 * OUT cleared (nothing to free).  On success the caller owns OUT and frees
 * it with config_free(). */
int config_parse(const char *buf, size_t len, const char *name,
                 const char *path, struct config *out, coco_err *err);

/* Open PATH (no symlink following for the last component), refuse it when
 * it is not a regular file, not owned by the effective user (or root), or
 * writable by group or others, or when its directory or one above is
 * (but for a sticky ancestor such as /tmp); then config_parse() it. */
int config_load(const char *path, const char *name, struct config *out,
                coco_err *err);

void config_free(struct config *c);

/* Validators shared with the CLI/env (COCO_EXTRA_PORTS) and the store. */
/* NULL when valid, else a static reason. */
const char *port_spec_check(const char *spec);
const char *host_pattern_check(const char *host);
const char *tool_spec_check(const char *spec);
/* Parse the install spec SPEC into OUT (tool_spec_free() it); -1 when it
 * is not one (OUT zeroed). */
int tool_spec_parse(const char *spec, struct tool_spec *out);
void tool_spec_free(struct tool_spec *ts);
/* True when IMAGE cannot be moved to other code behind coco's back:
 * pinned by digest (NAME@sha256:...) or built on this machine
 * (localhost/...). */
bool image_pinned(const char *image);

/* Tool names (NAME.json files with valid names) in DIR, sorted; a
 * missing DIR is an empty list. */
int config_list(const char *dir, struct strvec *out, coco_err *err);
/* paths_tools_dir()/NAME.json, or NULL with an error for an invalid
 * name. */
char *config_path_for(const char *name, coco_err *err);

#endif
