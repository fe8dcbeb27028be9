/* fuzz_config.c — libFuzzer target for the config loader (untrusted input:
 * configs come from the store and from other people).
 *
 * Built with -DCOCO_LIBFUZZER by `make fuzz` (clang -fsanitize=fuzzer);
 * otherwise the main() below replays files and directories given on the
 * command line, so `make check` runs the seed corpus on every build. */
#include <dirent.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "engine_args.h"
#include "native.h"
#include "oci.h"
#include "policy.h"
#include "show.h"
#include "sys.h"
#include "fuzz.h"

/* A home and a working directory that exist (mount sources resolve
 * against them) and stay empty: resolution runs as a dry run, which
 * creates nothing. */
static char fuzz_root[64];
static char fuzz_home[96], fuzz_cwd[96];

static void fuzz_dirs(void)
{
    if (fuzz_root[0])
        return;
    snprintf(fuzz_root, sizeof fuzz_root, "/tmp/coco-fuzz-XXXXXX");
    if (!mkdtemp(fuzz_root))
        __builtin_trap();
    snprintf(fuzz_home, sizeof fuzz_home, "%s/home", fuzz_root);
    snprintf(fuzz_cwd, sizeof fuzz_cwd, "%s/home/work", fuzz_root);
    if (mkdir(fuzz_home, 0700) < 0 || mkdir(fuzz_cwd, 0700) < 0)
        __builtin_trap();
}

/* Every refusal is one line. */
static void one_line(const coco_err *err)
{
    if (!err->msg[0] || strchr(err->msg, '\n'))
        __builtin_trap();
}

/* policy_resolve and the backends' describers on a config that loaded:
 * the pure argv builder for podman and docker, show, the native plan. */
static void resolve_and_build(const struct config *c)
{
    /* TOKEN's value cannot be spelled in an image name, a command or a
     * path the validators accept (control characters). */
    static char *env[] = {"PATH=/usr/bin:/bin", "TERM=xterm",
                          "TOKEN=s3cret\x01\x02sentinel", "DISPLAY=:0", NULL};
    static const enum runtime_kind rts[] = {RT_PODMAN, RT_DOCKER, RT_NATIVE};
    fuzz_dirs();
    for (size_t r = 0; r < sizeof rts / sizeof rts[0]; r++) {
        struct host_ctx ctx = {
            .cwd = fuzz_cwd, .home = fuzz_home, .uid = 1000, .gid = 1000,
            .environ = env, .pid = 42, .container_name = "coco-fuzz",
            .podman_bin = "/usr/bin/podman", .docker_bin = "/usr/bin/docker",
        };
        struct run_flags fl = {.runtime = rts[r], .dry_run = true};
        struct policy p;
        coco_err err = {0};
        char *args[] = {"--fix", "a b", NULL};
        if (policy_resolve(c, &ctx, &fl, args, 2, &p, &err) < 0) {
            one_line(&err);
            continue;
        }
        FILE *devnull = fopen("/dev/null", "we");
        if (!devnull)
            __builtin_trap();
        show_policy(&p, devnull);
        if (rts[r] == RT_NATIVE) {
            native_describe(&p, devnull);
        } else {
            struct strvec argv = STRVEC_INIT, eo = STRVEC_INIT, ef = STRVEC_INIT;
            if (oci_build_argv(&p, NULL, &argv, &eo, &ef, &err) == 0) {
                /* The hardened set is always there; no value of an env
                 * variable ever reaches the argv (it shows in ps). */
                bool capdrop = false, nnp = false, ro = false;
                for (size_t i = 0; i < argv.n; i++) {
                    if (!argv.v[i])
                        __builtin_trap();
                    capdrop |= strcmp(argv.v[i], "--cap-drop=ALL") == 0;
                    nnp |= strcmp(argv.v[i],
                                  "--security-opt=no-new-privileges") == 0;
                    ro |= strcmp(argv.v[i], "--read-only") == 0;
                    if (strstr(argv.v[i], "s3cret\x01\x02sentinel"))
                        __builtin_trap();
                }
                if (!capdrop || !nnp || !ro || argv.v[argv.n] != NULL)
                    __builtin_trap();
            } else {
                one_line(&err);
            }
            strvec_clear(&argv);
            strvec_clear(&eo);
            strvec_clear(&ef);
        }
        fclose(devnull);
        for (size_t i = 0; i < p.n_mounts; i++)
            if (!p.mounts[i].missing && p.mounts[i].fd < 0)
                __builtin_trap();
        policy_free(&p);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config c;
    coco_err err = {0};
    if (config_parse((const char *)data, size, "fuzz", "fuzz.json", &c, &err) == 0) {
        /* Exercise what consumers read from a loaded config. */
        for (size_t i = 0; i < c.n_mounts; i++)
            if (!c.mounts[i].src || c.mounts[i].dst[0] != '/')
                __builtin_trap();
        for (size_t i = 0; i < c.n_env; i++)
            if (!env_name_valid(c.env[i].name))
                __builtin_trap();
        /* podman_args holds only allowlisted options, each canonical. */
        for (size_t i = 0; i < c.podman_args.n; i++) {
            const char *v;
            if (!engine_opt_of(c.podman_args.v[i], &v))
                __builtin_trap();
        }
        resolve_and_build(&c);
        config_free(&c);
    } else if (!err.msg[0] || strchr(err.msg, '\n') ||
               strncmp(err.msg, "fuzz.json: ", 11) != 0) {
        /* Every refusal is one line naming the file. */
        __builtin_trap();
    }
    return 0;
}

#ifndef COCO_LIBFUZZER
#include "replay.h"

int main(int argc, char **argv)
{
    int r = fuzz_replay_args(argc, argv);
    if (fuzz_root[0]) {
        /* a dry run created nothing below them */
        if (rmdir(fuzz_cwd) < 0 || rmdir(fuzz_home) < 0 ||
            rmdir(fuzz_root) < 0) {
            perror(fuzz_root);
            r = 1;
        }
    }
    return r ? 1 : 0;
}
#endif
