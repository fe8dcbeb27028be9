/* cgroup.c — memory, pids and CPU limits for the sandbox.
 *
 * Preference order, per limit: cgroup v2 when the hierarchy has the
 * controller enabled for coco's cgroup; cgroup v1 (memory, pids, cpu
 * hierarchies, as on this project's machines and CI); else an rlimit
 * (RLIMIT_AS for memory, RLIMIT_NPROC for pids, nothing for CPU).
 * `coco show` reports which one applied.
 *
 * The parent creates one cgroup per run (coco-PID under coco's own
 * cgroup, so limits nest under whatever limits coco already has), moves
 * init into it before init may proceed, and removes it after the run.
 * A run killed with SIGKILL cannot clean up, so each run also removes
 * coco-PID cgroups whose PID is gone.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>

#include "native_int.h"
#include "sys.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

const char *limit_how_name(enum limit_how h)
{
    switch (h) {
    case LIM_CGROUP2: return "cgroup v2";
    case LIM_CGROUP1: return "cgroup v1";
    case LIM_RLIMIT: return "rlimit";
    case LIM_NONE: break;
    }
    return "not enforced";
}

/* Our cgroup path for CONTROLLER ("" = the v2 line) from /proc/self/cgroup. */
static char *self_cgroup(const char *controller)
{
    /* Read once per run: probe and setup ask for several controllers. */
    static char cached[4096];
    static ssize_t cached_n = -1;
    char buf[4096];
    if (cached_n < 0) {
        int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return NULL;
        cached_n = read(fd, cached, sizeof cached - 1);
        close(fd);
        if (cached_n <= 0) {
            cached_n = -1;
            return NULL;
        }
        cached[cached_n] = '\0';
    }
    memcpy(buf, cached, (size_t)cached_n + 1);
    for (char *line = buf, *nl; line && *line; line = nl) {
        nl = strchr(line, '\n');
        if (nl)
            *nl++ = '\0';
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = '\0';
        const char *ctrls = c1 + 1;
        if (!*controller) {
            if (!*ctrls && strcmp(line, "0") == 0)
                return xstrdup(c2 + 1);
            continue;
        }
        /* "cpu,cpuacct" style lists */
        _cleanup_free_ char *copy = xstrdup(ctrls);
        char *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t;
             t = strtok_r(NULL, ",", &save))
            if (strcmp(t, controller) == 0)
                return xstrdup(c2 + 1);
    }
    return NULL;
}

static int write_file(const char *dir, const char *file, const char *val)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return write_string(path, val);
}

static bool has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)); p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ' ||
                                            p[n] == '\n'))
            return true;
    return false;
}

/* The v2 mount point if it is usable for memory+pids, else NULL. */
static const char *v2_root(void)
{
    static const char *const cands[] = {"/sys/fs/cgroup",
                                        "/sys/fs/cgroup/unified"};
    for (size_t i = 0; i < 2; i++) {
        struct statfs sf;
        if (statfs(cands[i], &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
            return cands[i];
    }
    return NULL;
}

/* Directory of our cgroup in hierarchy ROOT for CONTROLLER; NULL if it is
 * not there or not writable by us. */
static char *cg_parent_dir(const char *root, const char *controller)
{
    _cleanup_free_ char *self = self_cgroup(controller);
    if (!self)
        return NULL;
    char *dir = path_join(root, self);
    if (access(dir, W_OK) < 0) {
        free(dir);
        return NULL;
    }
    return dir;
}

static bool v2_has(const char *dir, const char *ctrl)
{
    char path[4096], buf[512];
    snprintf(path, sizeof path, "%s/cgroup.subtree_control", dir);
    return read_small(path, buf, sizeof buf) > 0 && has_word(buf, ctrl);
}

static const char *v1_mounts[] = {"/sys/fs/cgroup/memory",
                                  "/sys/fs/cgroup/pids",
                                  "/sys/fs/cgroup/cpu"};
static const char *v1_names[] = {"memory", "pids", "cpu"};

/* Remove coco-PID cgroups left by runs that were killed with SIGKILL. */
static void reap_stale(const char *parent)
{
    DIR *d = opendir(parent);
    struct dirent *e;
    if (!d)
        return;
    while ((e = readdir(d))) {
        uint64_t pid;
        if (!str_has_prefix(e->d_name, "coco-") ||
            parse_uint(e->d_name + 5, INT32_MAX, &pid) < 0)
            continue;
        if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
            unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
    }
    closedir(d);
}

static char *make_cg(const char *parent, coco_err *err)
{
    char name[32];
    snprintf(name, sizeof name, "coco-%d", (int)getpid());
    char *dir = path_join(parent, name);
    reap_stale(parent);
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        err_set(err, errno, "create cgroup %s", dir);
        free(dir);
        return NULL;
    }
    return dir;
}

void cgroup_probe(const struct policy_limits *l, struct cgroup_run *cg)
{
    (void)l;
    *cg = (struct cgroup_run){.memory = LIM_RLIMIT, .pids = LIM_RLIMIT,
                              .cpus = LIM_NONE};
    const char *v2 = v2_root();
    if (v2) {
        _cleanup_free_ char *dir = cg_parent_dir(v2, "");
        if (dir && v2_has(dir, "memory") && v2_has(dir, "pids")) {
            cg->memory = cg->pids = LIM_CGROUP2;
            cg->cpus = v2_has(dir, "cpu") ? LIM_CGROUP2 : LIM_NONE;
            return;
        }
    }
    enum limit_how *how[3] = {&cg->memory, &cg->pids, &cg->cpus};
    for (size_t i = 0; i < 3; i++) {
        _cleanup_free_ char *dir = cg_parent_dir(v1_mounts[i], v1_names[i]);
        if (dir)
            *how[i] = LIM_CGROUP1;
    }
}

int cgroup_setup(const struct policy_limits *l, struct cgroup_run *cg,
                 coco_err *err)
{
    char val[64];

    cgroup_probe(l, cg);
    if (cg->memory == LIM_CGROUP2) {
        _cleanup_free_ char *parent = cg_parent_dir(v2_root(), "");
        char *dir = parent ? make_cg(parent, err) : NULL;
        if (!dir)
            return -1;
        cg->paths[cg->n++] = dir;
        snprintf(val, sizeof val, "%llu", (unsigned long long)l->memory);
        if (write_file(dir, "memory.max", val) < 0)
            return err_set(err, errno, "%s/memory.max", dir);
        /* No swap: the memory limit would otherwise only slow a hog. */
        write_file(dir, "memory.swap.max", "0");
        snprintf(val, sizeof val, "%llu", (unsigned long long)l->pids);
        if (write_file(dir, "pids.max", val) < 0)
            return err_set(err, errno, "%s/pids.max", dir);
        if (cg->cpus == LIM_CGROUP2 && l->cpus_milli) {
            snprintf(val, sizeof val, "%llu 100000",
                     (unsigned long long)l->cpus_milli * 100);
            if (write_file(dir, "cpu.max", val) < 0)
                return err_set(err, errno, "%s/cpu.max", dir);
        }
        if (!l->cpus_milli)
            cg->cpus = LIM_NONE;
        return 0;
    }

    enum limit_how *how[3] = {&cg->memory, &cg->pids, &cg->cpus};
    for (size_t i = 0; i < 3; i++) {
        if (*how[i] != LIM_CGROUP1)
            continue;
        if (i == 2 && !l->cpus_milli) {
            *how[i] = LIM_NONE;
            continue;
        }
        _cleanup_free_ char *parent = cg_parent_dir(v1_mounts[i], v1_names[i]);
        char *dir = parent ? make_cg(parent, err) : NULL;
        if (!dir)
            return -1;
        cg->paths[cg->n++] = dir;
        int r = 0;
        switch (i) {
        case 0:
            snprintf(val, sizeof val, "%llu", (unsigned long long)l->memory);
            r = write_file(dir, "memory.limit_in_bytes", val);
            /* memory+swap too, where swap accounting exists (the file
             * is absent otherwise): a hog must not spill into swap. */
            if (r == 0)
                (void)write_file(dir, "memory.memsw.limit_in_bytes", val);
            break;
        case 1:
            snprintf(val, sizeof val, "%llu", (unsigned long long)l->pids);
            r = write_file(dir, "pids.max", val);
            break;
        case 2:
            snprintf(val, sizeof val, "%llu",
                     (unsigned long long)l->cpus_milli * 100);
            r = write_file(dir, "cpu.cfs_period_us", "100000");
            if (r == 0)
                r = write_file(dir, "cpu.cfs_quota_us", val);
            break;
        }
        if (r < 0)
            return err_set(err, errno, "write limit in cgroup %s", dir);
    }
    return 0;
}

int cgroup_enter(struct cgroup_run *cg, pid_t pid, coco_err *err)
{
    char val[32];
    snprintf(val, sizeof val, "%d", (int)pid);
    for (size_t i = 0; i < cg->n; i++)
        if (write_file(cg->paths[i], "cgroup.procs", val) < 0)
            return err_set(err, errno, "move the sandbox into cgroup %s",
                           cg->paths[i]);
    return 0;
}

void cgroup_cleanup(struct cgroup_run *cg)
{
    for (size_t i = 0; i < cg->n; i++) {
        /* The pid namespace is gone once init has been reaped, but the
         * kernel may still be finishing the last exits: retry briefly. */
        for (int tries = 0; tries < 200; tries++) {
            if (rmdir(cg->paths[i]) == 0 || errno != EBUSY)
                break;
            nanosleep(&(struct timespec){0, 1000000}, NULL);
        }
        free(cg->paths[i]);
        cg->paths[i] = NULL;
    }
    cg->n = 0;
}

int rlimits_apply(const struct policy_limits *l, const struct cgroup_run *cg,
                  coco_err *err)
{
    struct rlimit rl;

    if (cg->memory == LIM_RLIMIT && l->memory) {
        /* Address space, not resident memory: the closest rlimit. */
        rl = (struct rlimit){l->memory, l->memory};
        if (setrlimit(RLIMIT_AS, &rl) < 0)
            return err_set(err, errno, "setrlimit(RLIMIT_AS)");
    }
    if (cg->pids == LIM_RLIMIT && l->pids) {
        /* Counted per user in the sandbox's user namespace. */
        rl = (struct rlimit){l->pids, l->pids};
        if (setrlimit(RLIMIT_NPROC, &rl) < 0)
            return err_set(err, errno, "setrlimit(RLIMIT_NPROC)");
    }
    /* No core files of a tool that may hold tokens in memory. */
    rl = (struct rlimit){0, 0};
    setrlimit(RLIMIT_CORE, &rl);
    return 0;
}
