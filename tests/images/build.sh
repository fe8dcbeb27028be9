#!/usr/bin/env bash
# Build the images the test suite and the demo need, offline except for the
# Debian mirror and the npm registry:
#
#   localhost/coco-base:bookworm  Debian minbase from mmdebstrap, imported
#   localhost/coco-eslint:9       the base + node + eslint 9
#   localhost/coco-node:18        the base + node + npm, no tool (what coco
#                                 installs eslint into on an engine)
#
# Usage: tests/images/build.sh [podman|docker] [base|eslint|node|all]
#
# The rootfs tar is cached under ${COCO_TEST_CACHE:-/var/cache/coco-test} so
# that podman and docker import the same bytes and a second run needs no
# mirror.  Each step is skipped when its image already exists; set
# COCO_REBUILD=1 to build again.  Every command is an argv array: no string
# is ever handed to a shell.
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
engine=${1:-podman}
what=${2:-all}
cache=${COCO_TEST_CACHE:-/var/cache/coco-test}
base_tag=localhost/coco-base:bookworm
eslint_tag=localhost/coco-eslint:9
node_tag=localhost/coco-node:18
suite=bookworm
tarball=$cache/$suite-minbase.tar

die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }
say() { printf 'build.sh: %s\n' "$*" >&2; }

case $engine in
podman)
    # podman 4.3 on this kind of host needs runc, cgroupfs and the file
    # events logger; an explicit CONTAINERS_CONF from the caller wins.
    export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/containers.conf}
    ;;
docker)
    # The classic builder: this host has no buildx plugin, and BuildKit
    # without it refuses to build.
    export DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-0}
    ;;
*) die "unknown engine '$engine' (use podman or docker)" ;;
esac
case $what in
base | eslint | node | all) ;;
*) die "unknown step '$what' (use base, eslint, node or all)" ;;
esac
command -v "$engine" >/dev/null || die "$engine is not installed"

image_exists() {
    if [[ $engine == podman ]]; then
        podman image exists "$1"
    else
        docker image inspect "$1" >/dev/null 2>&1
    fi
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/coco-images.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT

# Time a step and say how long it took (the numbers go into DEVELOPERS.md).
timed() {
    local label=$1 start end
    shift
    start=$(date +%s)
    "$@"
    end=$(date +%s)
    say "$label took $((end - start))s"
}

make_rootfs() {
    command -v mmdebstrap >/dev/null || die "mmdebstrap is not installed (apt-get install mmdebstrap)"
    mkdir -p -- "$cache"
    # Write beside the cache, then rename: a crash never leaves a truncated
    # tar that a later run would import.
    # --format=tar: mmdebstrap otherwise guesses the format from the
    # file name's extension.
    local part=$cache/.partial-$$.tar
    # mmdebstrap hands apt "cat >&N" for its first free descriptor N, and
    # dash cannot redirect descriptors above 9: under bats (which holds
    # several open) that failed with "Bad fd number".  Close everything
    # above stderr for mmdebstrap.
    (
        for fd in /proc/self/fd/*; do
            fd=${fd##*/}
            if [[ $fd =~ ^[0-9]+$ ]] && ((fd > 2)); then
                eval "exec $fd>&-" 2>/dev/null || true
            fi
        done
        exec mmdebstrap --variant=minbase --format=tar --include=ca-certificates \
            "$suite" "$part" http://deb.debian.org/debian
    )
    mv -f -- "$part" "$tarball"
}

build_base() {
    if [[ ${COCO_REBUILD:-0} != 1 ]] && image_exists "$base_tag"; then
        say "$base_tag exists, skipping"
        return 0
    fi
    if [[ -s $tarball ]]; then
        say "using cached $tarball"
    else
        timed "mmdebstrap ($suite minbase)" make_rootfs
    fi
    # A rootfs tar carries no config: give it the PATH and a shell so FROM
    # and plain runs behave like an ordinary Debian image.
    timed "$engine import" "$engine" import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["/bin/bash"]' \
        "$tarball" "$base_tag"
}

# build_from DIR TAG: the Containerfile in tests/images/DIR on the base,
# as TAG.
build_from() {
    local dir=$1 tag=$2
    if [[ ${COCO_REBUILD:-0} != 1 ]] && image_exists "$tag"; then
        say "$tag exists, skipping"
        return 0
    fi
    image_exists "$base_tag" || die "$base_tag is missing: run '$0 $engine base' first"
    # Build from a temporary copy of the context so the host's extra CA
    # certificates reach the image without ever landing in the work tree.
    local ctx=$tmp/$dir crt
    cp -R -- "$here/$dir" "$ctx"
    shopt -s nullglob
    for crt in /usr/local/share/ca-certificates/*.crt; do
        cp -- "$crt" "$ctx/extra-ca/"
    done
    shopt -u nullglob
    local -a args=(build --build-arg "BASE=$base_tag" -t "$tag"
        -f "$ctx/Containerfile")
    if [[ $engine == podman ]]; then
        # The base is local and there is no registry: never try to pull.
        args+=(--pull=never)
    else
        # The test suite's dockerd runs with --bridge=none (it must not
        # touch the host's firewall), so RUN steps get no network unless
        # they share the host's.  Only this build does; containers that coco
        # starts never get it.
        args+=(--network=host)
    fi
    args+=("$ctx")
    timed "$engine build $tag" "$engine" "${args[@]}"
}

build_eslint() { build_from eslint "$eslint_tag"; }
build_node() { build_from node "$node_tag"; }

case $what in
base) build_base ;;
eslint) build_eslint ;;
node) build_node ;;
all)
    build_base
    build_eslint
    build_node
    ;;
esac
say "done ($engine, $what)"
