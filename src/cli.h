/* cli.h — command-line parsing kept apart from main() so it can be
 * unit-tested (after minijail0_cli.c), and the command handlers. */
#ifndef COCO_CLI_H
#define COCO_CLI_H

#include "policy.h"

/* Parsed `coco run [--runtime R] [--dry-run] [--] TOOL [ARGS...]`. */
struct run_cmd {
    struct run_flags flags;
    const char *tool;
    char **args;  /* points into argv: everything after TOOL, untouched */
    size_t n_args;
};

/* Parse ARGV (argv[0] is "run") into OUT.  Options are only recognised
 * before TOOL; everything after TOOL belongs to the tool, even "--help".
 * Returns 0, or -1 with a usage message in ERR. */
int cli_parse_run(int argc, char **argv, struct run_cmd *out, coco_err *err);

/* Command handlers: return the process exit code. */
int cmd_run(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_prune(int argc, char **argv);
int cmd_rebuild(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_version(int argc, char **argv);

/* Run TOOL with ARGS as `coco run TOOL ARGS` would (symlink invocation). */
int run_tool(const struct run_cmd *rc);

#endif
