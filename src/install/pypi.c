/* pypi.c — the pipx: and uv: driver: a Python program from PyPI (or the
 * index the config names) into a virtual environment of its own, from
 * binary wheels only, so no package code ever runs at install.
 *
 * F  python3 -m pip download --only-binary=:all: --dest ROOT/.wheels REQ
 *        (or --require-hashes --no-deps -r ROOT/pypi-lock.txt from the
 *        recorded lock).  pip resolves the dependencies and downloads
 *        wheels; --only-binary means an sdist (whose setup.py is code) is
 *        never fetched, let alone built.  Egress: pypi.org and
 *        files.pythonhosted.org only (plus install.allowed_hosts for an
 *        index of one's own, PIP_INDEX_URL in the config's env).
 * coco  every file pip left is a wheel (NAME-VER[-BUILD]-PY-ABI-PLAT.whl)
 *        or the install stops; their SHA-256 (computed here) become the
 *        lock, pypi-lock.txt, in pip's own hash-checking syntax:
 *        "name==version --hash=sha256:HEX" per line, sorted.
 * B  python3 -m venv --without-pip ROOT, then
 *    python3 -m pip --python ROOT/bin/python install --no-index
 *        --find-links ROOT/.wheels --require-hashes --no-deps -r LOCK
 *    no network; installing a wheel unpacks files and writes entry-point
 *    scripts: no code of the package runs.  coco then removes .wheels.
 *
 * The environment is built on, and stays tied to, the host's
 * /usr/bin/python3 (the venv's python links to it): native runs only.
 * pipx: and uv: name the same install (uv is not needed on the host). */
#include "install_int.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys.h"

#define PYPI_WHEELS ".wheels"
#define PYPI_WHEELS_MOUNT INSTALL_MOUNT "/" PYPI_WHEELS
#define PYPI_LOCK_MOUNT INSTALL_MOUNT "/" PYPI_LOCK
#define PYPI_MAX_WHEELS 4096

/* ---- names ------------------------------------------------------------- */

char *pypi_normalize(const char *name, size_t len)
{
    /* PEP 503: lowercase, runs of - _ . become one - */
    char *out = xmalloc(len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (c == '-' || c == '_' || c == '.') {
            if (o == 0 || out[o - 1] != '-')
                out[o++] = '-';
        } else {
            out[o++] = (char)tolower((unsigned char)c);
        }
    }
    out[o] = '\0';
    return out;
}

/* A distribution name as PEP 508 allows it: letters, digits and - _ .,
 * beginning and ending with a letter or digit; at most 128 bytes. */
bool pypi_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > 128 || !isalnum((unsigned char)s[0]) ||
        !isalnum((unsigned char)s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && (!s[i] || !strchr("-_.", s[i])))
            return false;
    return true;
}

/* A PEP 440 version as it appears in a wheel's name or a lock: starts
 * with a digit, then letters, digits and . ! + _ (a wheel writes '-' as
 * '_'); at most 64 bytes. */
static bool version_ok(const char *s, size_t n)
{
    if (n == 0 || n > 64 || !isdigit((unsigned char)s[0]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && (!s[i] || !strchr(".!+_", s[i])))
            return false;
    return true;
}

static bool tag_ok(const char *s, size_t n)
{
    if (n == 0 || n > 200)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && (!s[i] || !strchr("._", s[i])))
            return false;
    return true;
}

int pypi_wheel_parse(const char *file, char **name, char **version)
{
    size_t len = strlen(file);
    if (len < 5 || len > 255 || strcmp(file + len - 4, ".whl") != 0)
        return -1;
    len -= 4;
    /* NAME-VERSION(-BUILD)?-PY-ABI-PLATFORM */
    const char *part[7];
    size_t plen[7], n = 0;
    const char *p = file, *end = file + len;
    while (p <= end && n < 7) {
        const char *dash = memchr(p, '-', (size_t)(end - p));
        const char *stop = dash ? dash : end;
        part[n] = p;
        plen[n++] = (size_t)(stop - p);
        if (!dash)
            break;
        p = dash + 1;
    }
    if (p > end || n < 5 || n > 6 || memchr(p, '-', (size_t)(end - p)))
        return -1;
    if (!pypi_name_ok(part[0], plen[0]) || !version_ok(part[1], plen[1]))
        return -1;
    for (size_t i = 2; i < n; i++)
        if (!tag_ok(part[i], plen[i]))
            return -1;
    if (n == 6 && !isdigit((unsigned char)part[2][0]))
        return -1;  /* a build tag starts with a digit */
    *name = pypi_normalize(part[0], plen[0]);
    *version = xstrndup(part[1], plen[1]);
    return 0;
}

/* ---- the lock ---------------------------------------------------------- */

void pypi_lock_free(struct pypi_pin *pins, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(pins[i].name);
        free(pins[i].version);
    }
    free(pins);
}

int pypi_lock_parse(const char *text, size_t len, struct pypi_pin **out,
                    size_t *n_out, coco_err *err)
{
    struct pypi_pin *pins = NULL;
    size_t n = 0, lineno = 0;
    const char *p = text, *end = text + len;
    *out = NULL;
    *n_out = 0;
    if (memchr(text, '\0', len))
        return err_set(err, 0, PYPI_LOCK ": holds a NUL byte; not a lock "
                       "coco wrote");
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        size_t ll = (size_t)(le - p);
        lineno++;
        if (ll == 0 || p[0] == '#') {
            p = le + (nl != NULL);
            continue;
        }
        /* NAME==VERSION --hash=sha256:HEX */
        /* the text is not NUL-terminated: search the line only */
        const char *eq = memmem(p, ll, "==", 2);
        const char *sp = memchr(p, ' ', ll);
        static const char hp[] = " --hash=sha256:";
        bool ok = eq && sp && eq < sp && eq < le &&
                  (size_t)(le - sp) == sizeof hp - 1 + 64 &&
                  memcmp(sp, hp, sizeof hp - 1) == 0;
        const char *hex = ok ? sp + sizeof hp - 1 : NULL;
        ok = ok && pypi_name_ok(p, (size_t)(eq - p)) &&
             version_ok(eq + 2, (size_t)(sp - eq - 2));
        for (size_t i = 0; ok && i < 64; i++)
            ok = (hex[i] >= '0' && hex[i] <= '9') ||
                 (hex[i] >= 'a' && hex[i] <= 'f');
        if (ok) {
            _cleanup_free_ char *nm = pypi_normalize(p, (size_t)(eq - p));
            ok = strlen(nm) == (size_t)(eq - p) &&
                 strncmp(nm, p, (size_t)(eq - p)) == 0;
        }
        if (!ok || n == PYPI_MAX_WHEELS) {
            pypi_lock_free(pins, n);
            return err_set(err, 0, PYPI_LOCK ": line %zu is not "
                           "\"name==version --hash=sha256:HEX\" as coco "
                           "writes it", lineno);
        }
        pins = xrealloc(pins, (n + 1) * sizeof *pins);
        pins[n].name = xstrndup(p, (size_t)(eq - p));
        pins[n].version = xstrndup(eq + 2, (size_t)(sp - eq - 2));
        memcpy(pins[n].sha256, hex, 64);
        pins[n].sha256[64] = '\0';
        for (size_t i = 0; i < n; i++)
            if (strcmp(pins[i].name, pins[n].name) == 0) {
                _cleanup_free_ char *e = str_escape(pins[n].name);
                pypi_lock_free(pins, n + 1);
                return err_set(err, 0, PYPI_LOCK ": %s is pinned twice", e);
            }
        n++;
        p = le + (nl != NULL);
    }
    if (!n)
        return err_set(err, 0, PYPI_LOCK ": pins no package");
    *out = pins;
    *n_out = n;
    return 0;
}

static int lock_load(int dirfd, struct pypi_pin **pins, size_t *n,
                     bool *absent, coco_err *err)
{
    if (absent)
        *absent = false;
    _cleanup_close_ int fd = openat(dirfd, PYPI_LOCK, O_RDONLY | O_NOFOLLOW |
                                    O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT && absent)
            *absent = true;
        return err_set(err, errno, PYPI_LOCK ": cannot open it");
    }
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    if (read_fd(fd, PYPI_LOCK, &text, &len, 4u << 20, err) < 0)
        return -1;
    return pypi_lock_parse(text, len, pins, n, err);
}

/* ---- the driver's row -------------------------------------------------- */

int pypi_fetch_argv(const struct tool_spec *ts, int rootfd, bool from_lock,
                    struct strvec *argv, coco_err *err)
{
    if (!pypi_name_ok(ts->name, strlen(ts->name))) {
        _cleanup_free_ char *e = str_escape(ts->name);
        return err_set(err, 0, "\"%s\" is not a Python package name "
                       "(letters, digits and - _ .)", e);
    }
    if (mkdirat(rootfd, PYPI_WHEELS, 0755) < 0)
        return err_set(err, errno, "install: create " PYPI_WHEELS);
    strvec_push(argv, PYPI_PYTHON);
    strvec_push(argv, "-m");
    strvec_push(argv, "pip");
    strvec_push(argv, "download");
    strvec_push(argv, "--only-binary=:all:");
    strvec_push(argv, "--dest=" PYPI_WHEELS_MOUNT);
    if (from_lock) {
        strvec_push(argv, "--require-hashes");
        strvec_push(argv, "--no-deps");
        strvec_push(argv, "--requirement=" PYPI_LOCK_MOUNT);
        return 0;
    }
    /* "pipx:black@24" is black==24.*, "@24.8.0" exactly that; the
     * requirement is one argument, after every option */
    const char *v = ts->version;
    strvec_push(argv, "--");
    if (!v || streq(v, "latest")) {
        strvec_push(argv, ts->name);
    } else {
        size_t dots = 0;
        for (const char *c = v; *c; c++)
            dots += *c == '.';
        if (!version_ok(v, strlen(v)))
            return err_set(err, 0, "\"%s\" is not a version", v);
        strvec_pushf(argv, dots >= 2 ? "%s==%s" : "%s==%s.*", ts->name, v);
    }
    return 0;
}

void pypi_pre_build_argv(struct strvec *argv)
{
    strvec_push(argv, PYPI_PYTHON);
    strvec_push(argv, "-m");
    strvec_push(argv, "venv");
    strvec_push(argv, "--without-pip");
    strvec_push(argv, INSTALL_MOUNT);
}

void pypi_build_argv(const struct strvec *names, struct strvec *argv)
{
    (void)names;  /* wheels have no install scripts */
    strvec_push(argv, PYPI_PYTHON);
    strvec_push(argv, "-m");
    strvec_push(argv, "pip");
    strvec_push(argv, "--python=" INSTALL_MOUNT "/bin/python");
    strvec_push(argv, "install");
    strvec_push(argv, "--no-index");
    strvec_push(argv, "--no-cache-dir");
    strvec_push(argv, "--find-links=" PYPI_WHEELS_MOUNT);
    strvec_push(argv, "--only-binary=:all:");
    strvec_push(argv, "--require-hashes");
    strvec_push(argv, "--no-deps");
    strvec_push(argv, "--requirement=" PYPI_LOCK_MOUNT);
}

static int cmp_pin(const void *a, const void *b)
{
    return strcmp(((const struct pypi_pin *)a)->name,
                  ((const struct pypi_pin *)b)->name);
}

int pypi_check_lock(int rootfd, int cachefd,
                    const struct install_lockcheck *lc,
                    struct strvec *scripts, coco_err *err)
{
    (void)cachefd;
    (void)lc;       /* phase F's allowlist was the index's hosts */
    (void)scripts;  /* a wheel has no install script */
    int wfd = openat(rootfd, PYPI_WHEELS, O_RDONLY | O_DIRECTORY |
                     O_NOFOLLOW | O_CLOEXEC);
    if (wfd < 0)
        return err_set(err, errno, "install: open " PYPI_WHEELS);
    DIR *d = fdopendir(wfd);
    if (!d) {
        close(wfd);
        return err_set(err, errno, "install: read " PYPI_WHEELS);
    }
    struct pypi_pin *got = NULL, *want = NULL;
    size_t n = 0, n_want = 0;
    int ret = -1;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (streq(de->d_name, ".") || streq(de->d_name, ".."))
            continue;
        _cleanup_free_ char *ef = str_escape(de->d_name);
        char *name = NULL, *version = NULL;
        struct stat st;
        if (n == PYPI_MAX_WHEELS) {
            err_set(err, 0, "pip downloaded more than %d files",
                    PYPI_MAX_WHEELS);
            goto out;
        }
        if (pypi_wheel_parse(de->d_name, &name, &version) < 0) {
            err_set(err, 0, "pip downloaded %s, which is not a wheel: coco "
                    "installs binary wheels only (building from source "
                    "runs the package's code)", ef);
            goto out;
        }
        got = xrealloc(got, (n + 1) * sizeof *got);
        got[n].name = name;
        got[n].version = version;
        n++;
        _cleanup_close_ int fd = openat(dirfd(d), de->d_name, O_RDONLY |
                                        O_NOFOLLOW | O_CLOEXEC);
        uint8_t h[32];
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
            sha256_fd(fd, h, err) < 0) {
            if (!err->msg[0])
                err_set(err, errno, "%s: not a file coco can read", ef);
            goto out;
        }
        sha256_hex(h, got[n - 1].sha256);
        for (size_t i = 0; i + 1 < n; i++)
            if (streq(got[i].name, name)) {
                _cleanup_free_ char *e = str_escape(name);
                err_set(err, 0, "pip downloaded two wheels of %s", e);
                goto out;
            }
    }
    if (!n) {
        err_set(err, 0, "pip downloaded no wheel");
        goto out;
    }
    qsort(got, n, sizeof *got, cmp_pin);
    bool absent;
    coco_err lerr = {0};
    if (lock_load(rootfd, &want, &n_want, &absent, &lerr) < 0 && !absent) {
        *err = lerr;
        goto out;
    }
    if (want) {
        /* a reinstall: exactly the recorded wheels, byte for byte (pip
         * checked the hashes too; this is the second look) */
        qsort(want, n_want, sizeof *want, cmp_pin);
        bool same = n == n_want;
        for (size_t i = 0; same && i < n; i++)
            same = streq(got[i].name, want[i].name) &&
                   streq(got[i].version, want[i].version) &&
                   streq(got[i].sha256, want[i].sha256);
        if (!same) {
            err_set(err, 0, "pip downloaded other wheels than the lock "
                    "names; --upgrade resolves anew");
            goto out;
        }
    } else {
        _cleanup_strvec_ struct strvec lines = STRVEC_INIT;
        strvec_push(&lines, "# coco: binary wheels only; pip install "
                    "--require-hashes");
        for (size_t i = 0; i < n; i++)
            strvec_pushf(&lines, "%s==%s --hash=sha256:%s", got[i].name,
                         got[i].version, got[i].sha256);
        strvec_push(&lines, "");
        _cleanup_free_ char *text = strvec_join(&lines, "\n");
        _cleanup_close_ int fd = openat(rootfd, PYPI_LOCK, O_WRONLY |
                                        O_CREAT | O_EXCL | O_NOFOLLOW |
                                        O_CLOEXEC, 0644);
        bool ok = fd >= 0 && write_all_fd(fd, text, strlen(text)) == 0;
        if (!ok) {
            err_set(err, errno, "install: write " PYPI_LOCK);
            goto out;
        }
    }
    ret = 0;
out:
    closedir(d);
    pypi_lock_free(got, n);
    pypi_lock_free(want, n_want);
    return ret;
}

int pypi_version(int rootfd, const struct tool_spec *ts, char **out,
                 coco_err *err)
{
    struct pypi_pin *pins;
    size_t n;
    if (lock_load(rootfd, &pins, &n, NULL, err) < 0)
        return -1;
    _cleanup_free_ char *want = pypi_normalize(ts->name, strlen(ts->name));
    *out = NULL;
    for (size_t i = 0; i < n && !*out; i++)
        if (streq(pins[i].name, want))
            *out = xstrdup(pins[i].version);
    pypi_lock_free(pins, n);
    if (!*out)
        return err_set(err, 0, PYPI_LOCK ": no version of %s (pip did not "
                       "download it)", want);
    return 0;
}

int pypi_lock_list(int dirfd, struct strvec *out, coco_err *err)
{
    struct pypi_pin *pins;
    size_t n;
    if (lock_load(dirfd, &pins, &n, NULL, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        strvec_pushf(out, "%s %s", pins[i].name, pins[i].version);
    pypi_lock_free(pins, n);
    strvec_sort(out);
    return 0;
}

int pypi_finish(int rootfd, coco_err *err)
{
    /* the wheels are installed: the tree keeps the venv, not two copies */
    if (remove_tree_at(rootfd, PYPI_WHEELS) < 0)
        return err_set(err, errno, "install: remove " PYPI_WHEELS);
    return 0;
}

int pypi_prepare(int rootfd, int cachefd, bool from_lock, coco_err *err)
{
    (void)rootfd;
    (void)cachefd;
    (void)from_lock;
    if (access(PYPI_PYTHON, X_OK) < 0)
        return err_set(err, errno, "this host has no " PYPI_PYTHON " to "
                       "build the environment on (Debian: apt-get install "
                       "python3 python3-pip python3-venv)");
    return 0;
}
