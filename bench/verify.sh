#!/usr/bin/env bash
# How long the install manifest's checks take on eslint 9's installed
# tree (src/install/manifest.c): the quick check coco runs before every
# run (type, mode, size, mtime, inode, symlink target of every entry;
# goal <= 10 ms) and the full check of `coco verify` (rehashes every file).
# Prints the tree's size, the build time, and the median and minimum of
# each check, warm page cache.
#
#   bench/verify.sh                  # eslint@9 from the npm registry, cached
#   bench/verify.sh DIR              # any other tree
#   RUNS=500 bench/verify.sh
#
# Without DIR, eslint 9 is installed once with `npm install eslint@9
# --ignore-scripts` (no package code runs) into ${COCO_BENCH_CACHE:-
# /var/tmp/coco-bench-verify}; the host's CA bundle is passed with
# --cafile for a TLS-intercepting proxy.  Delete that directory to fetch
# again.
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
runs=${RUNS:-200}
die() { printf 'bench/verify.sh: %s\n' "$*" >&2; exit 1; }
if ! [[ $runs =~ ^[0-9]+$ ]] || ((runs < 1 || runs > 100000)); then
    die "RUNS must be a number from 1 to 100000"
fi

if (($# > 0)); then
    tree=$1
    [[ -d $tree ]] || die "$tree is not a directory"
else
    cache=${COCO_BENCH_CACHE:-/var/tmp/coco-bench-verify}
    tree=$cache/eslint
    if [[ ! -d $tree/node_modules/eslint ]]; then
        command -v npm >/dev/null || die "npm is not installed (apt-get install npm), or pass a DIR"
        cafile=()
        [[ -r /etc/ssl/certs/ca-certificates.crt ]] &&
            cafile=(--cafile /etc/ssl/certs/ca-certificates.crt)
        mkdir -p -- "$tree"
        echo "bench/verify.sh: installing eslint@9 into $tree (--ignore-scripts)" >&2
        npm install eslint@9 --prefix "$tree" --ignore-scripts --no-audit \
            --no-fund "${cafile[@]}" >&2 ||
            die "npm install eslint@9 failed (is the npm registry reachable?)"
    fi
fi

make -s -C "$repo" build/bench/verify_bench
exec "$repo/build/bench/verify_bench" "$tree" "$runs"
