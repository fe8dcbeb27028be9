/* run.h — one run of a tool, from its name to its exit status (run.c). */
#ifndef COCO_RUN_H
#define COCO_RUN_H

#include "policy.h"

/* Parsed `coco run [--runtime R] [--dry-run] [--] TOOL [ARGS...]`. */
struct run_cmd {
    struct run_flags flags;
    const char *tool;
    char **args;  /* points into argv: everything after TOOL, untouched */
    size_t n_args;
};

/* Load TOOL's config and resolve it with FLAGS and the user's ARGS into
 * P, with CTX gathered from this process.  Returns 0 (release both with
 * policy_free() and host_ctx_release()), or prints the error and returns
 * -1. */
int run_load_policy(const char *tool, const struct run_flags *flags,
                    char *const *args, size_t n_args, struct policy *p,
                    struct host_ctx *ctx);

/* Run TOOL with ARGS as `coco run TOOL ARGS` would (also a link made by
 * `coco up`); returns coco's exit status. */
int run_tool(const struct run_cmd *rc);

#endif
