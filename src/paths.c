/* paths.c — see paths.h. */
#include "paths.h"

#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

#ifndef COCO_DATADIR
#define COCO_DATADIR "/usr/local/share/coco"
#endif

/* Read by hand rather than with getpwuid(): coco links statically
 * (launch time), and glibc's NSS cannot be loaded into a static
 * binary. */
char *paths_passwd_home(uid_t uid)
{
    _cleanup_fclose_ FILE *f = fopen("/etc/passwd", "re");
    if (!f)
        return NULL;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        char *fields[7], *s = line;
        int n = 0;
        /* strsep keeps empty fields (an empty password field is common). */
        while (n < 7 && (fields[n] = strsep(&s, ":\n")) != NULL)
            n++;
        uint64_t u;
        if (n >= 6 && parse_uint(fields[2], UINT32_MAX, &u) == 0 &&
            (uid_t)u == uid && fields[5][0] == '/')
            return xstrdup(fields[5]);
    }
    return NULL;
}

char *paths_home(void)
{
    const char *h = getenv("HOME");
    if (h && h[0] == '/')
        return xstrdup(h);
    return paths_passwd_home(getuid());
}

/* $VAR/coco when VAR is absolute, else HOME/FALLBACK/coco. */
static char *xdg_dir(const char *var, const char *fallback)
{
    const char *x = getenv(var);
    if (x && x[0] == '/')
        return path_join(x, "coco");
    _cleanup_free_ char *home = paths_home();
    _cleanup_free_ char *base = path_join(home ? home : "/", fallback);
    return path_join(base, "coco");
}

char *paths_data_home(void)
{
    return xdg_dir("XDG_DATA_HOME", ".local/share");
}

static char *data_sub(const char *sub)
{
    _cleanup_free_ char *d = paths_data_home();
    return path_join(d, sub);
}

char *paths_tools_dir(void) { return data_sub("tools"); }
char *paths_links_file(void) { return data_sub("links"); }
char *paths_envs_dir(void) { return data_sub("envs"); }
char *paths_runtimes_dir(void) { return data_sub("runtimes"); }
char *paths_shared_cache_dir(void) { return data_sub("cache-shared"); }

char *paths_state_dir(void)
{
    return xdg_dir("XDG_STATE_HOME", ".local/state");
}

char *paths_bin_dir(void)
{
    const char *d = getenv("COCO_BIN_DIR");
    if (d && *d)
        return xstrdup(d);
    _cleanup_free_ char *home = paths_home();
    return path_join(home ? home : "/", ".local/bin");
}

char *paths_self_exe(void)
{
    char *p = realpath("/proc/self/exe", NULL);
    return p ? p : xstrdup("/proc/self/exe");
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

char *paths_data_find(const char *sub)
{
    /* Installed data first, then the build tree the binary runs from. */
    char *p = path_join(COCO_DATADIR, sub);
    if (is_dir(p))
        return p;
    free(p);
    _cleanup_free_ char *exe = paths_self_exe();
    char *slash = strrchr(exe, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    p = path_join(*exe ? exe : "/", sub);
    if (is_dir(p))
        return p;
    free(p);
    /* build-asan/coco sits one level below the tree. */
    slash = strrchr(exe, '/');
    if (slash) {
        *slash = '\0';
        p = path_join(*exe ? exe : "/", sub);
        if (is_dir(p))
            return p;
        free(p);
    }
    return NULL;
}
