/* hostpath.h — facts about host paths that need no file system: which
 * ones are sensitive to hand to a tool, and what a config's mount source
 * names.  `coco show` (on the resolved policy) and `coco get` (on a config
 * not saved yet) judge mounts with the same rule. */
#ifndef COCO_HOSTPATH_H
#define COCO_HOSTPATH_H

#include "util.h"

/* True when binding ABS_PATH (absolute, normalised) hands over something
 * sensitive: "/", the home directory HOME or a directory above it, or a
 * path on, above or below one of the credential and system paths in
 * hostpath.c (~/.ssh, /etc ...). */
bool hostpath_sensitive(const char *abs_path, const char *home);

/* A config's mount source as an absolute, lexically normalised path:
 * "~" and "~/x" below HOME, an absolute path as it is, anything else
 * (".", "rel") below CWD.  Symlinks are not resolved.  Newly allocated;
 * NULL when no absolute path results (CWD or HOME not absolute). */
char *hostpath_expand(const char *src, const char *home, const char *cwd);

#endif
