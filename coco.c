/* coco — run untrusted developer tools with only what their config grants.
 *
 * main() looks the command up in a table and calls it (after crun and
 * git); the handlers live in src/cmd_*.c, the real work in src/.
 * Invoked through a symlink whose name is not "coco" (made by `coco up`),
 * it runs the tool of that name.
 */
#include <string.h>
#include <strings.h>

#include "cli.h"

static const struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
} commands[] = {
    {"run", cmd_run},
    {"list", cmd_list},
    {"show", cmd_show},
    {"get", cmd_get},
    {"up", cmd_up},
    {"down", cmd_down},
    {"prune", cmd_prune},
    {"install", cmd_install},
    {"verify", cmd_verify},
    {"rebuild", cmd_rebuild},
    {"help", cmd_help},
    {"--help", cmd_help},
    {"-h", cmd_help},
    {"version", cmd_version},
    {"--version", cmd_version},
    /* Internal, not in `coco help`: the container's entrypoint under
     * podman and docker with egress (net/forward.c). */
    {"_egress-forward", cmd_egress_forward},
};

int main(int argc, char **argv)
{
    const char *me = argc > 0 && argv[0] ? argv[0] : "coco";
    const char *base = strrchr(me, '/');
    base = base ? base + 1 : me;

    const char *dbg = getenv("COCO_DEBUG");
    coco_debug = dbg && (strcmp(dbg, "1") == 0 || strcasecmp(dbg, "true") == 0);

    if (strcmp(base, "coco") != 0 && *base) {
        /* Symlink invocation: `eslint .` runs the eslint tool; every
         * argument belongs to the tool. */
        struct run_cmd rc = {.tool = base, .args = argv + 1,
                             .n_args = argc > 1 ? (size_t)argc - 1 : 0};
        return run_tool(&rc);
    }
    if (argc < 2) {
        cmd_help(0, NULL);
        return EXIT_COCO;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(commands[i].name, argv[1]) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    return coco_fail("unknown command \"%s\"; `coco help` lists the commands",
                     argv[1]);
}
