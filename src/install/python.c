/* python.c — "tool": "python@3.X": coco installs no Python; it uses the
 * host's /usr/bin/python3.X (the distribution's), and when that is not
 * there says exactly what is missing and what the host has instead.
 * Never a runtime under $HOME (pyenv, conda): the sandbox does not see
 * it, and it is not the distribution's. */
#include "install_int.h"

#include <ctype.h>
#include <dirent.h>
#include <string.h>
#include <unistd.h>

#define PYTHON_DIR "/usr/bin"

/* "python@3.11", "core:python@3", "python" -> true, *WANT "3.11", "3",
 * "3" (malloc'd). */
static bool python_spec(const char *spec, char **want)
{
    struct tool_spec ts;
    if (!spec || tool_spec_parse(spec, &ts) < 0)
        return false;
    bool is = (!ts.backend || streq(ts.backend, "core")) &&
              (streq(ts.name, "python") || streq(ts.name, "python3"));
    if (is)
        *want = xstrdup(ts.version && !streq(ts.version, "latest")
                            ? ts.version : "3");
    tool_spec_free(&ts);
    return is;
}

/* The python3.N interpreters in DIR, "3.9 3.11" (sorted by N), or "". */
static char *pythons_in(const char *dir)
{
    int have[64] = {0};
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        if (strncmp(n, "python3.", 8) != 0 || !isdigit((unsigned char)n[8]))
            continue;
        char *end;
        long minor = strtol(n + 8, &end, 10);
        if (*end || minor < 0 || minor >= 64)
            continue;
        _cleanup_free_ char *p = path_join(dir, n);
        if (access(p, X_OK) == 0)
            have[minor] = 1;
    }
    if (d)
        closedir(d);
    struct strvec v = STRVEC_INIT;
    for (int i = 0; i < 64; i++)
        if (have[i])
            strvec_pushf(&v, "3.%d", i);
    char *s = strvec_join(&v, ", ");
    strvec_clear(&v);
    return s;
}

int python_host_check(const char *spec, const char *dir, char **path,
                      coco_err *err)
{
    _cleanup_free_ char *want = NULL;
    *path = NULL;
    if (!python_spec(spec, &want))
        return 0;
    if (!dir)
        dir = PYTHON_DIR;
    /* "3" or "3.N" (a patch level is the distribution's business) */
    size_t wl = strlen(want);
    bool ok = want[0] == '3' && (wl == 1 || (want[1] == '.' && wl > 2 &&
                                              wl <= 4 &&
                                              strspn(want + 2, "0123456789")
                                                  == wl - 2));
    _cleanup_free_ char *ew = str_escape(want);
    if (!ok)
        return err_set(err, 0, "python@%s: coco uses the host's Python and "
                       "names it python@3 or python@3.N (say python@3.11, "
                       "not a patch level or a range)", ew);
    _cleanup_free_ char *exe = xasprintf("%s/python%s", dir, want);
    if (access(exe, X_OK) == 0) {
        *path = xstrdup(exe);
        return 1;
    }
    _cleanup_free_ char *have = pythons_in(dir);
    return err_set(err, 0, "python@%s: this host has no %s%s%s%s; coco "
                   "installs no Python: install python%s from your "
                   "distribution, or change the config's \"tool\" to one "
                   "the host has", ew, exe,
                   *have ? " (it has " : "", *have ? have : "",
                   *have ? ")" : "", want);
}
