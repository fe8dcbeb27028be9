/* cmd_install.c — `coco install [--upgrade] TOOL...` and `coco verify
 * [TOOL...]`: a tool's sandboxed install (install.h) on demand, and its
 * files rehashed against their manifest. */
#include <string.h>

#include "cli.h"
#include "install.h"
#include "paths.h"
#include "policy.h"

int cmd_install(int argc, char **argv)
{
    bool upgrade = false;
    int first = 1;
    for (; first < argc && argv[first][0] == '-'; first++) {
        if (strcmp(argv[first], "--upgrade") == 0) {
            upgrade = true;
        } else if (strcmp(argv[first], "--") == 0) {
            first++;
            break;
        } else {
            return coco_fail("install: unknown option \"%s\" (usage: coco "
                             "install [--upgrade] TOOL...)", argv[first]);
        }
    }
    if (first >= argc)
        return coco_fail("usage: coco install [--upgrade] TOOL...");
    int failed = 0;
    for (int i = first; i < argc; i++) {
        const char *tool = argv[i];
        if (!tool_name_valid(tool)) {
            coco_fail("install: \"%s\" is not a valid tool name", tool);
            failed++;
            continue;
        }
        struct run_flags fl = {0};
        struct policy p;
        struct host_ctx ctx;
        if (run_load_policy(tool, &fl, NULL, 0, &p, &ctx) < 0) {
            failed++;
            continue;
        }
        coco_err err = {0};
        const char *why = NULL;
        if (!p.spec || !install_handles(p.spec, &why)) {
            _cleanup_free_ char *e = p.spec ? str_escape(p.spec) : NULL;
            coco_fail("%s: %s%s%s", tool, e ? e : "its config names no "
                      "\"tool\" to install", e ? ": " : "", e ? why : "");
            failed++;
        } else {
            struct install_env ie = INSTALL_ENV_INIT;
            struct install_env old = INSTALL_ENV_INIT;
            coco_err ignore = {0};
            bool had = install_current(tool, &old, &ignore) > 0;
            if (install_ensure(&p, &ctx, upgrade ? INSTALL_UPGRADE
                                                 : INSTALL_REINSTALL,
                               &ie, &err) < 0) {
                err_print(&err);
                failed++;
            } else if (had && old.version && ie.version &&
                       strcmp(old.version, ie.version) != 0) {
                _cleanup_free_ char *o = str_escape(old.version);
                _cleanup_free_ char *n = str_escape(ie.version);
                printf("%s: %s -> %s\n", tool, o, n);
            } else {
                _cleanup_free_ char *n = str_escape(ie.version);
                printf("%s: %s%s\n", tool, n, had ? " (unchanged)" : "");
            }
            install_env_free(&ie);
            install_env_free(&old);
        }
        policy_free(&p);
        host_ctx_release(&ctx);
    }
    return failed ? EXIT_COCO : 0;
}

int cmd_verify(int argc, char **argv)
{
    _cleanup_strvec_ struct strvec tools = STRVEC_INIT;
    coco_err err = {0};
    if (argc > 1) {
        for (int i = 1; i < argc; i++) {
            if (!tool_name_valid(argv[i]))
                return coco_fail("verify: \"%s\" is not a valid tool name",
                                 argv[i]);
            strvec_push(&tools, argv[i]);
        }
    } else {
        _cleanup_free_ char *dir = paths_tools_dir();
        if (config_list(dir, &tools, &err) < 0) {
            err_print(&err);
            return EXIT_COCO;
        }
    }
    int bad = 0, checked = 0;
    for (size_t i = 0; i < tools.n; i++) {
        struct install_env e = INSTALL_ENV_INIT;
        memset(&err, 0, sizeof err);
        int have = install_current(tools.v[i], &e, &err);
        install_env_free(&e);
        if (have < 0) {
            err_print(&err);
            bad++;
            continue;
        }
        if (have == 0) {
            if (argc > 1) {
                coco_fail("verify: %s is not installed by coco", tools.v[i]);
                bad++;
            }
            continue;
        }
        char *changed = NULL;
        int r = install_verify(tools.v[i], &changed, &err);
        checked++;
        if (r < 0) {
            err_print(&err);
            bad++;
        } else if (r > 0) {
            _cleanup_free_ char *ec = str_escape(changed);
            printf("%s: CHANGED: %s\n", tools.v[i], ec);
            bad++;
        } else {
            printf("%s: ok\n", tools.v[i]);
        }
        free(changed);
    }
    if (checked == 0 && argc <= 1)
        printf("no tool is installed by coco yet\n");
    return bad ? EXIT_COCO : 0;
}
