/* hostpath.h — the one table of host paths that matter to a sandbox:
 * container-engine sockets (a bind of one, or of a directory holding
 * one, is root on the host) and the credential, control and system paths
 * `coco show` and `coco get` mark.  Pure string work on the table: config
 * validation, policy resolution, the podman/docker argv builder and show
 * all ask it, so they cannot disagree about which paths these are.
 * Nothing here looks at the file system. */
#ifndef COCO_HOSTPATH_H
#define COCO_HOSTPATH_H

#include "util.h"

enum hostpath_kind {
    HP_ENGINE,     /* a container-engine socket: refused */
    HP_SENSITIVE,  /* credentials, coco's own files, what the host runs:
                      allowed (the user may mean it), marked */
};

/* One row.  PATH is absolute, or starts with "~/" (below the home
 * directory) or "$XDG_RUNTIME_DIR/" (below the runtime directory, where
 * rootless engines listen). */
struct hostpath_row {
    const char *path;
    enum hostpath_kind kind;
    const char *what;  /* what it is, in a few words (docs, tests) */
};

extern const struct hostpath_row hostpath_table[];
extern const size_t hostpath_n;

/* ROW's path made absolute with HOME and RUNTIME_DIR (either may be NULL:
 * then a row that needs it gives NULL).  Newly allocated. */
char *hostpath_row_path(const struct hostpath_row *row, const char *home,
                        const char *runtime_dir);

/* True when PATH's last component is the name of an engine socket in
 * the table (the docker, podman ... sockets): a socket is found by name
 * wherever it lies, since a copy or a bind of one elsewhere is the same
 * engine.  Works on any path, relative too: config validation asks it
 * before the home and the current directory are known. */
bool hostpath_engine_name(const char *path);
#define HOSTPATH_ENGINE_IS "is a container-engine socket, which is root on the host"

/* Why binding ABS (absolute, lexically normalised) hands the tool a
 * container engine, or NULL: hostpath_engine_name(ABS), or ABS is a
 * directory above one of the engine socket paths.  The reason is written
 * to BUF (of LEN bytes) and reads after the path: "is a container-engine
 * socket, ...", "holds the container-engine socket PATH, ...".  HOME and
 * RUNTIME_DIR as for hostpath_row_path(). */
const char *hostpath_engine(const char *abs, const char *home,
                            const char *runtime_dir, char *buf, size_t len);

/* True when binding ABS hands over something sensitive: "/", the home
 * directory HOME or a directory above it, or a path on, above or below
 * one of the table's rows (engine sockets included). */
bool hostpath_sensitive(const char *abs, const char *home);

/* A config's mount source as an absolute, lexically normalised path:
 * "~" and "~/x" below HOME, an absolute path as it is, anything else
 * (".", "rel") below CWD.  Symlinks are not resolved.  Newly allocated;
 * NULL when no absolute path results (CWD or HOME not absolute). */
char *hostpath_expand(const char *src, const char *home, const char *cwd);

#endif
