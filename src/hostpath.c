/* hostpath.c — see hostpath.h.  Pure string work: nothing here looks at
 * the file system, so `coco get` can judge a config before it exists
 * anywhere but in memory. */
#include "hostpath.h"

#include <string.h>

#define RUNTIME_DIR "$XDG_RUNTIME_DIR/"

const struct hostpath_row hostpath_table[] = {
    /* Container-engine sockets, rootful (both spellings of /run: /var/run
     * is a symlink to it on most systems, but not on all) ... */
    {"/run/docker.sock", HP_ENGINE, "docker"},
    {"/var/run/docker.sock", HP_ENGINE, "docker"},
    {"/run/podman/podman.sock", HP_ENGINE, "podman (rootful)"},
    {"/var/run/podman/podman.sock", HP_ENGINE, "podman (rootful)"},
    {"/run/containerd/containerd.sock", HP_ENGINE, "containerd"},
    {"/var/run/containerd/containerd.sock", HP_ENGINE, "containerd"},
    {"/run/crio/crio.sock", HP_ENGINE, "CRI-O"},
    {"/var/run/crio/crio.sock", HP_ENGINE, "CRI-O"},
    {"/run/buildkit/buildkitd.sock", HP_ENGINE, "buildkitd"},
    {"/var/run/buildkit/buildkitd.sock", HP_ENGINE, "buildkitd"},
    /* ... rootless, under the user's runtime directory.  (Docker
     * Desktop's ~/.docker/run/docker.sock is found by its name; a bind of
     * ~/.docker or of the home is marked, as every credential path is.) */
    {RUNTIME_DIR "podman/podman.sock", HP_ENGINE, "podman (rootless)"},
    {RUNTIME_DIR "docker.sock", HP_ENGINE, "docker (rootless)"},
    {RUNTIME_DIR "buildkit/buildkitd.sock", HP_ENGINE, "buildkitd (rootless)"},
    /* Credentials. */
    {"~/.ssh", HP_SENSITIVE, "ssh keys"},
    {"~/.aws", HP_SENSITIVE, "AWS credentials"},
    {"~/.gnupg", HP_SENSITIVE, "GnuPG keys"},
    {"~/.config/gcloud", HP_SENSITIVE, "Google Cloud credentials"},
    {"~/.kube", HP_SENSITIVE, "Kubernetes credentials"},
    {"~/.docker", HP_SENSITIVE, "docker credentials"},
    {"~/.netrc", HP_SENSITIVE, "passwords for hosts"},
    {"~/.npmrc", HP_SENSITIVE, "npm tokens"},
    {"~/.pypirc", HP_SENSITIVE, "PyPI tokens"},
    {"~/.git-credentials", HP_SENSITIVE, "git passwords"},
    {"~/.config/gh", HP_SENSITIVE, "GitHub tokens"},
    /* coco's own configs and links, and what the host's shell runs. */
    {"~/.local/share/coco", HP_SENSITIVE, "coco's tools and links"},
    {"~/.config/coco", HP_SENSITIVE, "coco's configuration"},
    {"~/.local/bin", HP_SENSITIVE, "programs on your PATH"},
    {"~/.bashrc", HP_SENSITIVE, "what your shell runs"},
    {"~/.profile", HP_SENSITIVE, "what your shell runs"},
    {"~/.zshrc", HP_SENSITIVE, "what your shell runs"},
    /* The system. */
    {"/etc", HP_SENSITIVE, "the system's configuration"},
    {"/root", HP_SENSITIVE, "root's home"},
    {"/var/run", HP_SENSITIVE, "daemons' sockets"},
    {"/run", HP_SENSITIVE, "daemons' sockets"},
    {"/proc", HP_SENSITIVE, "the host's processes"},
    {"/sys", HP_SENSITIVE, "the host's kernel"},
    {"/dev", HP_SENSITIVE, "the host's devices"},
    {"/boot", HP_SENSITIVE, "the host's kernel and boot loader"},
    {"/usr", HP_SENSITIVE, "the host's programs"},
    {"/var/lib", HP_SENSITIVE, "daemons' state"},
};
const size_t hostpath_n = sizeof hostpath_table / sizeof hostpath_table[0];

char *hostpath_row_path(const struct hostpath_row *row, const char *home,
                        const char *runtime_dir)
{
    if (str_has_prefix(row->path, "~/"))
        return home && home[0] == '/' ? path_join(home, row->path + 2) : NULL;
    if (str_has_prefix(row->path, RUNTIME_DIR))
        return runtime_dir && runtime_dir[0] == '/'
                   ? path_join(runtime_dir, row->path + strlen(RUNTIME_DIR))
                   : NULL;
    return xstrdup(row->path);
}

static const char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

bool hostpath_engine_name(const char *path)
{
    const char *name = base_name(path);
    for (size_t i = 0; i < hostpath_n; i++) {
        const struct hostpath_row *r = &hostpath_table[i];
        if (r->kind == HP_ENGINE && strcmp(name, base_name(r->path)) == 0)
            return true;
    }
    return false;
}

const char *hostpath_engine(const char *abs, const char *home,
                            const char *runtime_dir, char *buf, size_t len)
{
    if (hostpath_engine_name(abs))
        return HOSTPATH_ENGINE_IS;
    for (size_t i = 0; i < hostpath_n; i++) {
        const struct hostpath_row *r = &hostpath_table[i];
        if (r->kind != HP_ENGINE)
            continue;
        _cleanup_free_ char *sock = hostpath_row_path(r, home, runtime_dir);
        if (sock && path_is_within(sock, abs)) {
            snprintf(buf, len, "holds the container-engine socket %s, which "
                               "is root on the host", sock);
            return buf;
        }
    }
    return NULL;
}

bool hostpath_sensitive(const char *abs, const char *home)
{
    if (strcmp(abs, "/") == 0 || strcmp(abs, home) == 0 ||
        path_is_within(home, abs))
        return true;
    for (size_t i = 0; i < hostpath_n; i++) {
        /* The runtime directory's rows lie below /run. */
        _cleanup_free_ char *p = hostpath_row_path(&hostpath_table[i], home, NULL);
        if (p && (path_is_within(abs, p) || path_is_within(p, abs)))
            return true;
    }
    return false;
}

char *hostpath_expand(const char *src, const char *home, const char *cwd)
{
    _cleanup_free_ char *joined = NULL;
    if (strcmp(src, "~") == 0)
        joined = xstrdup(home);
    else if (str_has_prefix(src, "~/"))
        joined = path_join(home, src + 2);
    else if (src[0] == '/')
        joined = xstrdup(src);
    else
        joined = path_join(cwd, src);
    return path_normalize(joined);
}
