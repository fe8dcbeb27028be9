/* install.h — coco installs tools itself, sandboxed, the way Nix builds:
 * fetch with network and no third-party code, build with code and no
 * network.  An install is a run with a derived policy through the same
 * backend (LAYOUT.md), into the tool's own directory:
 *
 *   $XDG_DATA_HOME/coco/envs/TOOL/        0700, the user's
 *       current -> v/VERSION-LOCKHASH     switched atomically
 *       v/VERSION-LOCKHASH/root/          the install (read-only in runs)
 *       v/VERSION-LOCKHASH/manifest.json  every path, type, mode, size,
 *                                         mtime, inode, SHA-256
 *       v/VERSION-LOCKHASH/install.json   spec, version, driver, the
 *                                         tree's fingerprint (small: what
 *                                         a run reads)
 *       v/VERSION-LOCKHASH/LOCKFILE       the ecosystem's lock
 *       v/.tmp-XXXXXX/                    an install under way (a killed
 *                                         one leaves only this)
 *       cache/install/                    the installer's downloads
 *       cache/run/                        /coco/cache in the tool's runs
 *       .lock                             flock: one install at a time
 *
 * install/drivers.c holds one row per ecosystem; install/install.c the
 * phases; install/manifest.c and install/sha256.c the integrity layer. */
/* install.h — the integrity layer of coco's own installs (issue 9):
 * SHA-256, and the manifest of an installed tree
 * ($XDG_DATA_HOME/coco/envs/TOOL/v/<version>-<lockhash>/manifest.json,
 * describing root/ beside it).  Pure: it knows nothing of tools,
 * ecosystems or runs; the installer builds and writes a manifest after an
 * install, the run checks it before every run (quick), `coco verify`
 * rehashes (full).
 *
 * The tree is hostile (written by third-party package code): it is walked
 * with openat(O_NOFOLLOW)/fstatat(AT_SYMLINK_NOFOLLOW) and getdents64 on
 * directory descriptors, never following a symlink and never leaving the
 * tree.  The manifest file is hostile too (it lives in the user's data
 * directory): manifest_parse() checks every field.
 *
 * What each check catches:
 *   quick  type, mode, size, mtime, inode, symlink target of every entry;
 *          entries added or removed.  A content change that keeps the size
 *          and restores the mtime (utimensat) in place, same inode, is NOT
 *          caught: that takes the full check.
 *   full   all of the above, plus the SHA-256 of every regular file.
 *
 * Limits: names and symlink targets must be valid UTF-8 (JSON strings);
 * a tree holding any other name is refused by manifest_build() with the
 * path.  Control characters (newlines ...) are stored as they are and
 * escaped (str_escape) in every message.
 */
#ifndef COCO_INSTALL_H
#define COCO_INSTALL_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* ---- SHA-256 (src/install/sha256.c): FIPS 180-4, no external library */
struct sha256 { uint32_t h[8]; uint64_t len; uint8_t buf[64]; size_t n; };
void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* Finish and write the digest to OUT; S must be initialised again before
 * it is reused. */
void sha256_final(struct sha256 *s, uint8_t out[32]);
/* The digest D as 64 lower-case hex digits and a NUL. */
void sha256_hex(const uint8_t d[32], char out[65]);
/* Hash the file open at FD from its start (read(), 64 KiB chunks). */
int sha256_fd(int fd, uint8_t out[32], coco_err *err);

/* ---- the manifest (src/install/manifest.c) --------------------------- */
#define MF_MAX_ENTRIES 200000

enum mf_type { MF_FILE, MF_DIR, MF_SYMLINK };
struct mf_entry {
    char *path;          /* relative to the root, "/"-separated, no "." or
                            ".." components; the root itself is "" */
    enum mf_type type;
    uint32_t mode;       /* st_mode & 07777 */
    uint64_t size;       /* files: bytes; symlinks: target length */
    int64_t mtime_ns;    /* st_mtim, nanoseconds */
    uint64_t ino;        /* st_ino */
    char *target;        /* symlinks only */
    char sha256[65];     /* files only: hex */
};
struct manifest {
    struct mf_entry *e;  /* sorted by path (strcmp) */
    size_t n;
    uint64_t total_size; /* sum of file sizes */
};
/* Walk the tree open at ROOTFD (a directory fd) and describe every entry:
 * openat(O_NOFOLLOW|O_NOATIME-if-allowed)/fstatat(AT_SYMLINK_NOFOLLOW),
 * never following a symlink, never leaving the tree (no "..", no
 * absolute paths), refusing device nodes, fifos and sockets (error naming
 * the path), setuid/setgid files (error), more than MF_MAX_ENTRIES
 * (200000) entries or depth > 64 (error). Hashes every regular file.
 * A file or directory that changes while it is read is an error too. */
int manifest_build(int rootfd, struct manifest *out, coco_err *err);
/* Serialise M as JSON ({"version":1, "entries":[{"path":..,"type":"file",
 * "mode":"0755","size":..,"mtime_ns":..,"ino":..,"sha256":..}, ...]} plus
 * the caller's EXTRA object's keys at the top level, e.g. the installed
 * version) to PATH with write_file_atomic() (temp file + rename), mode
 * 0600. EXTRA may be NULL (a json_t *, jansson).
 * Per type: "dir" has no "size"; "file" has "size" and "sha256";
 * "symlink" has "size" and "target".  "ino" is the 64-bit st_ino as a
 * JSON integer (two's complement: one above 2^63-1 is written negative).
 * EXTRA may not hold "version" or "entries". */
int manifest_write(const struct manifest *m, const char *path,
                   const void *extra, coco_err *err);
/* Parse a manifest file (untrusted: it lives in the user's data dir, but
 * treat it as hostile: bounded size (64 MiB), every field type-checked,
 * paths validated as above, duplicates refused, sorted order checked).
 * The error names the file and what is wrong. *EXTRA_OUT (may be NULL)
 * receives the whole JSON object (caller json_decref()s it).
 * Also refused: unknown keys in an entry, a first entry that is not the
 * root directory "", an entry whose parent is not a directory entry,
 * setuid/setgid modes. */
int manifest_load(const char *path, struct manifest *out, void **extra_out,
                  coco_err *err);
/* Parse from memory (what manifest_load uses; the fuzz target's entry). */
int manifest_parse(const char *text, size_t len, const char *name,
                   struct manifest *out, void **extra_out, coco_err *err);
void manifest_free(struct manifest *m);
/* The cheap check before every run: every entry still exists with the
 * same type, mode, size, mtime, inode (and symlink target), and the tree
 * holds nothing that is not in the manifest. Returns 0 when unchanged,
 * 1 when changed (*CHANGED = malloc'd "path: what changed", e.g.
 * "node_modules/.bin/eslint: size 120 -> 98", or "x/y: not in the
 * manifest", "x: missing"), -1 on error. No hashing. Must take <= 10 ms
 * for ~1,500 files (eslint 9's tree) on this machine: walk with
 * openat/fstatat/getdents64 on directory fds, no path re-resolution from
 * the root per entry.
 * The change reported is the one with the smallest path (so a replaced
 * directory is named rather than its first missing child), except that a
 * directory whose only change is its mtime gives way to any other change
 * ("x/y: missing" rather than "x: mtime ..."); its path is escaped with
 * str_escape(), and " (and N more changes)" follows when there are more.
 * Directory sizes are not compared (they are file-system specific). */
int manifest_check_quick(const struct manifest *m, int rootfd,
                         char **changed, coco_err *err);
/* A tree's fingerprint: SHA-256 over every entry's path, type, mode,
 * size, mtime, inode and symlink target, in path order (not the files'
 * contents).  Of M (as built or loaded), or of the tree at ROOTFD as it
 * is now, walked like manifest_build() but reading no file: equal
 * fingerprints mean manifest_check_quick() would find nothing, without
 * loading the manifest (the check before every run). */
void manifest_fingerprint(const struct manifest *m, char out[65]);
int manifest_tree_fingerprint(int rootfd, char out[65], coco_err *err);

/* Rehash every file as well (`coco verify`): 0 / 1 (with *CHANGED) / -1. */
int manifest_check_full(const struct manifest *m, int rootfd,
                        char **changed, coco_err *err);

/* ---- installs (install/install.c) ------------------------------------ */

/* Where an install is mounted in a run, read-only. */
#define INSTALL_MOUNT "/opt/coco/env"
/* Where an npm: tool's runtime (install.runtime) is, read-only, its bin
 * directory before the tool's on PATH. */
#define RUNTIME_MOUNT "/opt/coco/runtime"
/* The "tool" name under which coco installs a runtime SPEC: not a tool
 * name (':'), kept in $XDG_DATA_HOME/coco/runtimes/SPEC/ with an
 * install's layout and guarantees. */
#define RUNTIME_TOOL_PREFIX "runtime:"

struct policy;
struct host_ctx;

/* A tool's installed environment, ready for a run. */
struct install_env {
    char *dir;        /* host: envs/TOOL/v/VERSION-LOCKHASH */
    char *root;       /* host: DIR/root */
    char *version;    /* the installed version of the tool's package */
    const char *bin;  /* relative to ROOT: the programs ("node_modules/.bin") */
    const char *const *more_bin; /* more of them, after BIN (NULL) */
    /* "NAME=DIR" (DIR relative to ROOT): prepended to NAME in the run
     * unless the config's env sets NAME (deb: LD_LIBRARY_PATH,
     * PYTHONPATH, for what the host lacks) */
    struct strvec run_env;
    char *spec;       /* the spec it was installed from */
    char *range;      /* the version range phase F installed (node@lts:
                         the major the LTS rule picked), or NULL */
    char *runtime_spec; /* install.runtime it was built with, or NULL */
    /* install_ensure(): the runtime (install.runtime) it runs on, ready
     * (its use lock held), or NULL */
    struct install_env *runtime;
    uint64_t files, bytes;
    char tree_sha256[65]; /* manifest_fingerprint() at install */
    /* install_ensure(): a shared lock on the tool's use lock, held for
     * the run (a newer install removes an old version only when no run
     * holds it); closed by install_env_free(). */
    int use_fd;
};
#define INSTALL_ENV_INIT {.use_fd = -1, .run_env = STRVEC_INIT}
void install_env_free(struct install_env *e);

/* True when coco's installer handles SPEC (a config's "tool"); WHY (may
 * be NULL) gets a static reason when not. */
bool install_handles(const char *spec, const char **why);

/* True when a run of P installs its tool and mounts the install: P's
 * spec is one coco's installer handles, and P runs natively, or on
 * podman/docker with an image the config does not name (COCO_IMAGE or
 * the default image supplies the runtime, npm and node; a config that
 * names its own image gets the program from it).  WHY (may be NULL)
 * gets a static reason when not. */
bool install_applies(const struct policy *p, const char **why);

/* True when coco installs SPEC for native runs only (deb:), refusing it
 * on podman and docker. */
bool install_native_only(const char *spec);

/* What installing SPEC does, in words (static), or NULL when coco's
 * installer does not handle it. */
const char *install_plan(const char *spec);

/* Of a config's "tool" (TOOL, or the list TOOLS when it was one), the
 * spec coco installs: the first of TOOLS its installer handles, else
 * TOOL (the first). */
const char *install_pick(const char *tool, const struct strvec *tools);

enum install_mode {
    INSTALL_IF_NEEDED,  /* a run: install when missing or the spec changed */
    INSTALL_REINSTALL,  /* `coco install`: again, from the recorded lock */
    INSTALL_UPGRADE,    /* `coco install --upgrade`: resolve anew */
};

/* Make sure P's tool (P->spec) is installed, installing it (through P's
 * runtime: natively, or in containers of P's image on podman and docker,
 * whose installer must be in the image) when MODE asks; then check the install
 * against its manifest (sizes, mtimes, inodes; FULL: every hash too).
 * Fills OUT.  Progress lines go to stderr; the installers' output to
 * $XDG_STATE_HOME/coco/logs/TOOL-install.log.  -1 with an error naming
 * what failed (a changed file: its path). */
int install_ensure(const struct policy *p, const struct host_ctx *ctx,
                   enum install_mode mode, struct install_env *out,
                   coco_err *err);

/* TOOL's current install, without installing or checking: 1 and OUT
 * filled, 0 when there is none, -1 on error. */
int install_current(const char *tool, struct install_env *out, coco_err *err);

/* Rehash TOOL's install against its manifest (`coco verify`): 0 intact,
 * 1 changed (*CHANGED says where), -1 error. */
int install_verify(const char *tool, char **changed, coco_err *err);

/* What `coco show` says of P's install (P->spec set): installed (version,
 * size, where) or what the next run will install, from where; returns
 * the number of risks it marked (install.allow_scripts). */
int install_describe(const struct policy *p, FILE *o);

/* "tool": "python@3.N" (or python@3, core:python@...): coco installs no
 * Python; the host's DIR/python3.N (DIR NULL: /usr/bin) must be there.
 * 1 and *PATH (malloc'd) when it is, 0 when SPEC is no Python spec, -1
 * with ERR saying what is missing and what the host has. */
int python_host_check(const char *spec, const char *dir, char **path,
                      coco_err *err);

/* Remove TOOL's install and caches (`coco prune TOOL`): 1 removed, 0
 * there was none, -1 error. */
int install_remove(const char *tool, coco_err *err);

#endif
