/* cmd_run.c — `coco run`, `coco show`, `coco list`: the command lines;
 * one run's sequence is run.c's. */
#include <errno.h>
#include <string.h>

#include "cli.h"
#include "install.h"
#include "paths.h"
#include "run.h"
#include "show.h"

int cli_parse_run(int argc, char **argv, struct run_cmd *out, coco_err *err)
{
    memset(out, 0, sizeof *out);
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || a[1] == '\0')
            break;
        const char *val = NULL;
        if (strcmp(a, "--runtime") == 0) {
            if (i + 1 >= argc)
                return err_set(err, 0, "run: --runtime needs a value (podman, "
                                       "docker or native)");
            val = argv[++i];
        } else if (str_has_prefix(a, "--runtime=")) {
            val = a + strlen("--runtime=");
        } else if (strcmp(a, "--dry-run") == 0 || strcmp(a, "-n") == 0) {
            out->flags.dry_run = true;
            continue;
        } else if (strcmp(a, "--report") == 0) {
            out->flags.report = true;
            continue;
        } else {
            return err_set(err, 0, "run: unknown option \"%s\" (options go "
                                   "before the tool name; `coco help` lists "
                                   "them)", a);
        }
        out->flags.runtime = runtime_parse(val);
        if (out->flags.runtime == RT_UNSET)
            return err_set(err, 0, "run: --runtime: \"%s\" is not a runtime "
                                   "(use podman, docker or native)", val);
    }
    if (i >= argc)
        return err_set(err, 0, "run: which tool? usage: coco run [--runtime "
                               "podman|docker|native] [--dry-run] [--report] [--] TOOL "
                               "[ARGS...]");
    out->tool = argv[i];
    out->args = argv + i + 1;
    out->n_args = (size_t)(argc - i - 1);
    return 0;
}

int cmd_run(int argc, char **argv)
{
    struct run_cmd rc;
    coco_err err = {0};
    if (cli_parse_run(argc, argv, &rc, &err) < 0) {
        err_print(&err);
        return EXIT_COCO;
    }
    return run_tool(&rc);
}

int cmd_show(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        coco_fail("usage: coco show TOOL");
        return EXIT_COCO;
    }
    struct run_flags flags = {.show = true, .dry_run = true};
    struct policy p;
    struct host_ctx ctx;
    if (run_load_policy(argv[1], &flags, NULL, 0, &p, &ctx) < 0)
        return EXIT_COCO;
    show_policy(&p, stdout);
    policy_free(&p);
    host_ctx_release(&ctx);
    return fflush(stdout) == 0 ? 0 : EXIT_COCO;
}

int cmd_list(int argc, char **argv)
{
    bool lng = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-l") == 0 || strcmp(argv[i], "--long") == 0) {
            lng = true;
        } else {
            coco_fail("list: unknown argument \"%s\" (usage: coco "
                            "list [-l])", argv[i]);
            return EXIT_COCO;
        }
    }
    coco_err err = {0};
    _cleanup_free_ char *dir = paths_tools_dir();
    _cleanup_strvec_ struct strvec names = STRVEC_INIT;
    if (config_list(dir, &names, &err) < 0) {
        err_print(&err);
        return EXIT_COCO;
    }
    int bad = 0;
    /* Names are valid tool names; every config string is printed
     * escaped, one line per tool whatever the config holds. */
    _cleanup_strvec_ struct strvec keep = STRVEC_INIT;
#define E(s) str_escape_keep(&keep, (s))
    for (size_t i = 0; i < names.n; i++) {
        if (!lng) {
            printf("%s\n", names.v[i]);
            continue;
        }
        _cleanup_free_ char *path = xasprintf("%s/%s.json", dir, names.v[i]);
        struct config c;
        if (config_load(path, names.v[i], &c, &err) < 0) {
            printf("%s  INVALID: %s\n", names.v[i], err.msg);
            bad++;
            continue;
        }
        const char *net = c.network == NET_UNSET ? "none" : net_mode_name(c.network);
        printf("%s  runtime=%s network=%s", names.v[i],
               c.runtime == RT_UNSET ? "default" : runtime_name(c.runtime), net);
        if (c.allowed_hosts.n) {
            printf(" hosts=");
            for (size_t h = 0; h < c.allowed_hosts.n; h++)
                printf("%s%s", h ? "," : "", E(c.allowed_hosts.v[h]));
        }
        printf(" mounts=");
        if (!c.n_mounts)
            printf("none");
        for (size_t m = 0; m < c.n_mounts; m++)
            printf("%s%s:%s%s", m ? "," : "", E(c.mounts[m].src), E(c.mounts[m].dst),
                   c.mounts[m].opts & MNT_RO ? ":ro" : "");
        if (c.tool) {
            struct install_env ie = INSTALL_ENV_INIT;
            coco_err ierr = {0};
            int have = install_handles(c.tool, NULL)
                           ? install_current(names.v[i], &ie, &ierr) : 0;
            if (have > 0 && streq(ie.spec, c.tool))
                printf(" installed=%s(%.1fMiB)", E(ie.version),
                       (double)ie.bytes / (1024.0 * 1024.0));
            else if (install_handles(c.tool, NULL))
                printf(" install=%s(at-first-run)", E(c.tool));
            else
                printf(" install=%s(from-host-or-image)", E(c.tool));
            install_env_free(&ie);
        }
        printf("\n");
        config_free(&c);
    }
#undef E
    if (fflush(stdout) != 0)
        return EXIT_COCO;
    return bad ? EXIT_COCO : 0;
}
