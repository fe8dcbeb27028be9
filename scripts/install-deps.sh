#!/usr/bin/env bash
# Install everything coco needs to build and to run its whole test suite on
# a fresh Debian 12 machine.  Run as root (or through sudo).  Used by
# README's test command and by .ci/run, so both stay the same.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: run as root (sudo bash scripts/install-deps.sh)" >&2
  exit 1
fi

packages=(
  # build
  build-essential pkg-config libjansson-dev libcap-dev libseccomp-dev
  # tests
  libcmocka-dev bats valgrind clang libclang-rt-14-dev shellcheck groff-base
  # container engines: rootful podman with runc (crun fails on hybrid
  # cgroup hosts), catatonit for --init, netavark for image builds
  podman runc catatonit netavark slirp4netns uidmap fuse-overlayfs docker.io
  # offline base images
  mmdebstrap ca-certificates
  # the native backend's tests and benchmarks
  bubblewrap hyperfine iproute2 nodejs curl python3 procps psmisc
  # pipx:/uv: installs build their venv with the host's python3, pip and venv
  python3-pip python3-venv
)

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y "${packages[@]}"

# npm: a nodejs from NodeSource (as on this project's machines) ships npm
# itself and conflicts with Debian's npm package; Debian's nodejs does not.
if ! command -v npm >/dev/null; then
  apt-get install -y npm
fi
