/* hostpath.c — see hostpath.h.  Pure string work: nothing here looks at
 * the file system, so `coco get` can judge a config before it exists
 * anywhere but in memory. */
#include "hostpath.h"

#include <string.h>

/* Host paths that hold credentials or control: binding them is allowed
 * (the user may mean it) but `coco show` and `coco get` mark it.
 * Relative to $HOME when they start with "~/". */
static const char *const sensitive_paths[] = {
    "~/.ssh", "~/.aws", "~/.gnupg", "~/.config/gcloud", "~/.kube",
    "~/.docker", "~/.netrc", "~/.npmrc", "~/.pypirc", "~/.git-credentials",
    "~/.config/gh", "~/.local/share/coco", "~/.config/coco", "~/.local/bin",
    "~/.bashrc", "~/.profile", "~/.zshrc",
    "/etc", "/root", "/var/run", "/run", "/proc", "/sys", "/dev", "/boot",
    "/usr", "/var/lib", NULL,
};

bool hostpath_sensitive(const char *src, const char *home)
{
    if (strcmp(src, "/") == 0 || strcmp(src, home) == 0 ||
        path_is_within(home, src))
        return true;
    for (const char *const *s = sensitive_paths; *s; s++) {
        _cleanup_free_ char *p = str_has_prefix(*s, "~/")
                                     ? path_join(home, *s + 2)
                                     : xstrdup(*s);
        if (path_is_within(src, p) || path_is_within(p, src))
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
