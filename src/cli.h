/* cli.h — command-line parsing kept apart from main() so it can be
 * unit-tested (after minijail0_cli.c), and the command handlers. */
#ifndef COCO_CLI_H
#define COCO_CLI_H

#include "run.h"

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
int cmd_install(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_rebuild(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_egress_forward(int argc, char **argv);

#endif
