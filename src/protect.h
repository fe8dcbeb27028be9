/* protect.h — host-executed files in the tool's writable mounts.
 *
 * A tool with a writable workspace could write files the host later runs
 * by itself: git hooks and git's config (core.fsmonitor, core.hooksPath),
 * .envrc (direnv), editor tasks, an AI CLI's settings.  Before a run,
 * protect_scan() finds the existing ones (PROTECT_NAMES) in every
 * writable mount, a bounded depth down, walking with descriptors and
 * never following a symlink; the backends make each read-only for the
 * tool (natively a read-only bind, on podman and docker a read-only
 * mount), and bind each directory above one onto itself so the tool
 * cannot rename it away (a mount point cannot be renamed: EBUSY).  After
 * the run, protect_after() scans again: whatever such path the tool
 * created (or replaced) is moved aside to NAME.coco-blocked and named on
 * stderr.  The config's "protect": {"allow": [NAME...]} opts names back
 * in (they stay writable; show marks each as a risk).
 */
#ifndef COCO_PROTECT_H
#define COCO_PROTECT_H

#include <stdio.h>

#include "policy.h"

/* The protected names, as "protect.allow" spells them. */
#define PROTECT_NAMES_TEXT                                                 \
    ".git/hooks, .git/config, .git (a gitdir: file), .gitmodules, .husky, " \
    ".envrc, .vscode, .idea, .claude, .mcp.json"

/* Directories searched below each writable mount's root (the root is
 * depth 0), and at most this many directories in all per mount. */
#define PROTECT_MAX_DEPTH 4
#define PROTECT_MAX_DIRS 20000

/* Directories never descended into (besides the protected ones). */
#define PROTECT_SKIP_DIRS "node_modules"

/* The suffix a created path is moved aside with. */
#define PROTECT_BLOCKED_SUFFIX ".coco-blocked"

/* The index of NAME (".envrc", ".git/config" ...) among the protected
 * names, or -1. */
int protect_kind(const char *name);
/* The name of KIND ("?" for none). */
const char *protect_kind_name(int kind);

/* Find the protected paths in P's writable directory mounts into
 * P->protect (parents first, each with its anchors) and
 * P->protect_roots.  Never fails: what cannot be read is not there for
 * the tool either (P->protect_truncated when a bound was hit). */
void protect_scan(struct policy *p);
void protect_free(struct policy *p);

/* After the run: scan P's roots again and compare with P->protect.
 * Every protected path the tool created or replaced (and the config does
 * not allow) is moved aside to NAME.coco-blocked[.N] and named in one
 * block on ERR_OUT; with P->report, every created or changed one is
 * listed too.  Returns how many were moved aside. */
int protect_after(const struct policy *p, FILE *err_out);

/* For `coco show`: what is protected, and the opt-ins marked as risks.
 * Returns the number of risks printed. */
int protect_describe(const struct policy *p, FILE *out);

#endif
