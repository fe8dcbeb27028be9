/* paths.h — every place coco keeps or finds its files, in one file: the
 * user's data (configs, the record of links, installs), state (the
 * egress audit log), the directory `up` links into, coco's own binary
 * and the data installed beside it (store, image).  Nothing else reads
 * HOME or an XDG variable to find a path.  Each function returns a
 * newly allocated absolute path (or NULL where it says). */
#ifndef COCO_PATHS_H
#define COCO_PATHS_H

#include <sys/types.h>

/* The user's home: $HOME when it is absolute, else the home /etc/passwd
 * gives the real uid (read by hand: a static binary has no NSS), else
 * NULL. */
char *paths_home(void);

/* coco's data: $XDG_DATA_HOME/coco when that is absolute, else
 * HOME/.local/share/coco ("/" standing in for a missing home). */
char *paths_data_home(void);
/* Tool configs: paths_data_home()/tools. */
char *paths_tools_dir(void);
/* The record of links `coco up` made: paths_data_home()/links. */
char *paths_links_file(void);
/* Per-tool installs (sandboxed installs): paths_data_home()/envs. */
char *paths_envs_dir(void);
/* $XDG_DATA_HOME/coco/runtimes: what install.runtime names (node@22). */
char *paths_runtimes_dir(void);
/* paths_data_home()/cache-shared: /coco/cache of the "isolated": false
 * tools podman and docker run for root (idmap.h). */
char *paths_shared_cache_dir(void);

/* coco's state: $XDG_STATE_HOME/coco when absolute, else
 * HOME/.local/state/coco (the egress audit log lives here). */
char *paths_state_dir(void);

/* Where `coco up` links tools: $COCO_BIN_DIR, else HOME/.local/bin. */
char *paths_bin_dir(void);

/* The running coco binary (/proc/self/exe resolved). */
char *paths_self_exe(void);
/* SUB ("store", "image") of coco's installed data (COCO_DATADIR), else
 * beside the binary in a build tree; NULL when neither exists. */
char *paths_data_find(const char *sub);

/* The home directory /etc/passwd gives UID, or NULL. */
char *paths_passwd_home(uid_t uid);

#endif
