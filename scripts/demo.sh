#!/usr/bin/env bash
# The README's main job, end to end, on a fresh Debian 12 machine as root:
# install the dependencies, build coco, `coco get eslint`, `coco up`, and
# `eslint bad.js`: coco installs eslint 9 itself, sandboxed, and lints a file
# with a real error through `coco run eslint` on the default backend (coco's
# native sandbox where the kernel allows it): no network, no capabilities,
# only the project directory visible.
#
#   bash scripts/demo.sh            # the default backend
#   bash scripts/demo.sh --podman   # the same lint in a podman container,
#                                   # on images built offline (a few minutes)
#   COCO_DEMO_NO_APT=1 bash scripts/demo.sh   # dependencies already there
#
# Nothing of eslint is left on the host: coco installs it into the demo's
# own data directory (removed at the end).  With --podman it leaves the
# images localhost/coco-base:bookworm and localhost/coco-eslint:9.
set -euo pipefail

backend=default
case ${1:-} in
    "") ;;
    --podman) backend=podman ;;
    *) printf 'usage: demo.sh [--podman]\n' >&2; exit 2 ;;
esac

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() { printf 'demo.sh: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) == 0 ]] || die "run as root: it installs packages and runs rootful podman"

if [[ ${COCO_DEMO_NO_APT:-0} != 1 ]]; then
    say "installing build and runtime dependencies"
    # No recommends, so name what podman only recommends: catatonit is the
    # init behind coco's --init; netavark gives image builds their network.
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        build-essential pkg-config ca-certificates \
        libjansson-dev libcap-dev libseccomp-dev nodejs
    # A NodeSource nodejs ships npm and conflicts with Debian's npm package.
    command -v npm >/dev/null ||
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends npm
    if [[ $backend == podman ]]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
            podman runc catatonit netavark mmdebstrap
    fi
fi

say "building coco"
make -C "$repo"
coco=$repo/coco
[[ -x $coco ]] || die "make did not produce $coco"

demo=$(mktemp -d "${TMPDIR:-/tmp}/coco-demo.XXXXXX")
trap 'rm -rf -- "$demo"' EXIT
# A private config directory, so the demo never touches the user's own
# configs.  coco refuses a config that is not the user's or that group or
# others may write, hence the explicit modes.
export XDG_DATA_HOME=$demo/data XDG_STATE_HOME=$demo/state
tools=$XDG_DATA_HOME/coco/tools
mkdir -p -- "$tools"
chmod 0700 -- "$XDG_DATA_HOME" "$XDG_DATA_HOME/coco" "$tools"
umask 022
export COCO_STORE=$repo/store

if [[ $backend == default ]]; then
    # Nothing is installed on the host: coco installs eslint itself, at its
    # first run, in its own sandbox (fetch from the npm registry with no
    # package code running, then build with no network).
    say "coco get eslint (the store's config: the project directory, no network)"
    "$coco" get eslint
    bin=$demo/bin
    mkdir -p -- "$bin"
    export COCO_BIN_DIR=$bin PATH=$bin:$PATH
    say "coco up (links eslint into $bin)"
    "$coco" up
else
    # podman 4.3 without systemd on cgroup v1: runc, cgroupfs, file events
    # logger.  coco execs podman with this environment, so it applies there.
    export CONTAINERS_CONF=${CONTAINERS_CONF:-$repo/tests/images/containers.conf}
    say "building images offline (mmdebstrap + podman import, then eslint 9)"
    "$repo/tests/images/build.sh" podman all
    cat >"$tools/eslint.json" <<'JSON'
{
  "tool": "npm:eslint@9",
  "image": "localhost/coco-eslint:9",
  "runtime": "podman",
  "command": "eslint",
  "mounts": [{ "src": ".", "dst": "/workspace" }],
  "env_passthrough": ["TERM", "NO_COLOR"],
  "network": "none"
}
JSON
    chmod 0644 -- "$tools/eslint.json"
fi

say "a project with a lint error"
project=$demo/project
mkdir -p -- "$project"
# eslint.config.js is CommonJS: there is no package.json saying "module".
cat >"$project/eslint.config.js" <<'JS'
module.exports = [
  {
    files: ["**/*.js"],
    rules: {
      "no-unused-vars": "error",
      "no-undef": "error",
      eqeqeq: "error",
    },
  },
];
JS
cat >"$project/bad.js" <<'JS'
function greet(name) {
  const unused = 42;
  if (name == "world") {
    return "hello " + nme;
  }
  return "hi";
}
JS
cat -n -- "$project/bad.js"

cd -- "$project"
say "what eslint may touch: coco show eslint"
"$coco" show eslint

say "what coco would run: coco run --dry-run eslint bad.js"
"$coco" run --dry-run eslint bad.js

if [[ $backend == default ]]; then
    say "eslint bad.js (the link coco up made: the first run installs eslint 9)"
    rc=0
    eslint bad.js || rc=$?
else
    say "coco run eslint bad.js"
    rc=0
    "$coco" run eslint bad.js || rc=$?
fi

say "eslint exited $rc"
# eslint exits 1 when it found problems; coco passes the tool's own exit
# code through.  Anything else means the demo did not do its job.
if [[ $rc == 1 ]]; then
    echo "coco ran eslint 9 in a sandbox ($("$coco" show eslint | sed -n 's/^runtime *//p')) without network; it found the errors above."
else
    die "expected eslint to exit 1 (lint errors found), got $rc"
fi
