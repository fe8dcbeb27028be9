/* cmd_help.c — `coco help`, `coco version`, and where coco finds the data
 * it ships (store/, image/). */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "net.h"

static const char usage[] =
    "Usage: coco <command> [args...]\n"
    "\n"
    "Run untrusted developer tools with only what their config grants.\n"
    "\n"
    "Commands:\n"
    "  run [--runtime R] [--dry-run] [--report] [--] TOOL [ARGS...]\n"
    "                       run TOOL in its sandbox; ARGS go to the tool untouched;\n"
    "                       --report: the hosts it reached and was refused,\n"
    "                       and the host-executed files it created or changed\n"
    "  list [-l]            list configured tools (-l: runtime, network, mounts)\n"
    "  show TOOL            what TOOL can read, write, reach; risky grants marked\n"
    "  get NAME [--force]   install NAME's config from the store\n"
    "  up [--force NAME...]\n"
    "                       link every tool into COCO_BIN_DIR (~/.local/bin);\n"
    "                       --force: also NAMEs that stand in for sudo, ls...\n"
    "  down                 remove the links `up` made\n"
    "  install [--upgrade] TOOL...\n"
    "                       install TOOL's \"tool\" spec now, sandboxed (again from\n"
    "                       its lock; --upgrade: resolve anew); runs install too\n"
    "  verify [TOOL...]     rehash installed tools against their manifests\n"
    "  prune [TOOL]         remove coco's installs and cache volumes (one tool\n"
    "                       or all)\n"
    "  rebuild [--base IMAGE]\n"
    "                       build the default image from coco's Containerfile\n"
    "  help, version\n"
    "\n"
    "Symlink invocation:\n"
    "  TOOL [ARGS...]       after `coco up`, e.g. `eslint .`\n"
    "\n"
    "Runtimes: native (coco's own namespace sandbox), podman, docker.\n"
    "\n"
    "Environment:\n"
    "  COCO_RUNTIME        podman | docker | native (default: native when the\n"
    "                      kernel allows it, else podman, else docker)\n"
    "  COCO_IMAGE          image for tools whose config names none\n"
    "                      (default " COCO_DEFAULT_IMAGE ")\n"
    "  COCO_DEBUG          1 or true: explain what coco does\n"
    "  COCO_ALLOW_NETWORK  1 or true: give every tool network \"full\" (native:\n"
    "                      through coco's egress proxy; never \"host\")\n"
    "  COCO_EXTRA_PORTS    more ports to publish, CSV: 8080:8080,3000:3000\n"
    "  COCO_STORE          store directory or http(s) URL base for `get`\n"
    "  COCO_BIN_DIR        where `up` puts links (default ~/.local/bin)\n"
    "  XDG_DATA_HOME       configs live in $XDG_DATA_HOME/coco/tools/NAME.json\n"
    "                      (default ~/.local/share/coco/tools)\n"
    "\n"
    "Exit status: the tool's own; 124 timeout; 125 coco error (bad config,\n"
    "sandbox setup failed); 126 not executable; 127 not found; 128+N killed by\n"
    "signal N (159: a syscall the seccomp filter forbids).\n"
    "\n"
    "See coco(1) and coco.json(5).\n";

int cmd_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs(usage, stdout);
    return fflush(stdout) == 0 ? 0 : EXIT_COCO;
}

int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("coco %s\n", COCO_VERSION);
    return fflush(stdout) == 0 ? 0 : EXIT_COCO;
}

/* The in-container relay (net/forward.c): hidden, coco's own use. */
int cmd_egress_forward(int argc, char **argv)
{
    return egress_forward_main(argc, argv);
}
