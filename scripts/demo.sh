#!/usr/bin/env bash
# The README's main job, end to end, on a fresh Debian 12 machine as root:
# install the build and runtime dependencies, build coco, build a base image
# offline and an eslint 9 image from it, then lint a file with a real error
# through `coco run eslint` -- no network, no capabilities, read-only root.
#
#   sudo scripts/demo.sh            # everything
#   COCO_DEMO_NO_APT=1 scripts/demo.sh   # dependencies already installed
#
# It leaves nothing behind but the images (localhost/coco-base:bookworm,
# localhost/coco-eslint:9) and the rootfs tar in /var/cache/coco-test.
set -euo pipefail

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
        libjansson-dev libcap-dev libseccomp-dev \
        podman runc catatonit netavark mmdebstrap
fi

say "building coco"
make -C "$repo"
coco=$repo/coco
[[ -x $coco ]] || die "make did not produce $coco"

# podman 4.3 without systemd on cgroup v1: runc, cgroupfs, file events
# logger.  coco execs podman with this environment, so it applies there too.
export CONTAINERS_CONF=${CONTAINERS_CONF:-$repo/tests/images/containers.conf}

say "building images offline (mmdebstrap + podman import, then eslint 9)"
"$repo/tests/images/build.sh" podman all

demo=$(mktemp -d "${TMPDIR:-/tmp}/coco-demo.XXXXXX")
trap 'rm -rf -- "$demo"' EXIT

# The config names its image and the podman runtime: this demo is about
# the container backend (coco's native sandbox would run the host's eslint).
# A private config directory, so the demo never touches the user's own
# configs.  coco refuses a config that is not the user's or that group or
# others may write, hence the explicit modes.
export XDG_DATA_HOME=$demo/data
tools=$XDG_DATA_HOME/coco/tools
mkdir -p -- "$tools"
chmod 0700 -- "$XDG_DATA_HOME" "$XDG_DATA_HOME/coco" "$tools"
umask 022
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
say "what coco would run: coco run --dry-run eslint bad.js"
"$coco" run --dry-run eslint bad.js

say "coco run eslint bad.js"
rc=0
"$coco" run eslint bad.js || rc=$?

say "eslint exited $rc"
# eslint exits 1 when it found problems; coco passes the tool's own exit
# code through.  Anything else means the demo did not do its job.
if [[ $rc == 1 ]]; then
    echo "coco ran eslint 9 in a sandbox without network; it found the errors above."
else
    die "expected eslint to exit 1 (lint errors found), got $rc"
fi
