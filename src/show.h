/* show.h — what coco prints for a user to review: `coco show TOOL`,
 * `coco run --dry-run` and the grants `coco get` lists before it saves a
 * config.  Every string from a config, the environment or the command
 * line is printed escaped (str_escape): this is the review a user gets,
 * and a newline or an escape sequence must not forge or hide a line. */
#ifndef COCO_SHOW_H
#define COCO_SHOW_H

#include <stdio.h>

#include "policy.h"

/* The resolved policy in plain words, risks marked with "!", and the
 * backend's own description (coco show). */
void show_policy(const struct policy *p, FILE *out);

/* What a run would start, on stdout (coco run --dry-run): the native
 * sandbox's plan, or the podman/docker command line one argument per
 * line.  Returns the exit code (0, or 125 after printing the error). */
int show_dry_run(const struct policy *p);

/* The "NAME grants:" screen of `coco get` for config C, before it is
 * saved: every config string escaped, so OUT holds no control character
 * but '\n'.  A mount whose source, expanded lexically with HOME and CWD,
 * is a sensitive host path (hostpath_sensitive) is marked with '!';
 * nothing on the file system is looked at. */
void show_config(const struct config *c, const char *home, const char *cwd,
                 FILE *out);

#endif
