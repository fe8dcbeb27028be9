#!/usr/bin/env bash
# What `coco run` costs on top of podman: `coco run eslint --version` (podman
# backend, the test eslint image, no network) against `podman run` with the
# exact argv that `coco run --dry-run` prints, measured paired in one run.
# Goal: within 2 % of podman.
#
#   tests/images/build.sh podman all   # once: builds localhost/coco-eslint:9
#   bench/podman.sh                    # RUNS=30 pairs by default
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
coco=${COCO:-$repo/coco}
runs=${RUNS:-30}
image=localhost/coco-eslint:9
die() { printf 'bench/podman.sh: %s\n' "$*" >&2; exit 1; }

[[ -x $coco ]] || die "$coco is missing: run make first (or set COCO)"
if ! [[ $runs =~ ^[0-9]+$ ]] || ((runs < 3 || runs > 1000)); then
    die "RUNS must be a number from 3 to 1000"
fi
command -v podman >/dev/null || die "podman is not installed"
export CONTAINERS_CONF=${CONTAINERS_CONF:-$repo/tests/images/containers.conf}
podman image exists "$image" ||
    die "$image is missing: run tests/images/build.sh podman all"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/coco-bench.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT

export XDG_DATA_HOME=$tmp/data
tools=$XDG_DATA_HOME/coco/tools
mkdir -p -- "$tools" "$tmp/ws"
chmod 0700 -- "$XDG_DATA_HOME" "$XDG_DATA_HOME/coco" "$tools"
# No "env" key: coco would put those values in its own environment for
# podman to copy (-e NAME), which a bare replay of the argv would lack.
cat >"$tools/eslint.json" <<JSON
{
  "tool": "npm:eslint@9",
  "image": "$image",
  "command": "eslint",
  "mounts": [{ "src": ".", "dst": "/workspace" }],
  "env_passthrough": ["TERM"],
  "network": "none"
}
JSON
chmod 0644 -- "$tools/eslint.json"
cd -- "$tmp/ws"
export COCO_RUNTIME=podman

# The argv coco would run, one argument per line.  stdin and stdout are
# not terminals here, exactly as in the timed runs, so -i/-t match.
mapfile -t argv < <("$coco" run --dry-run eslint --version </dev/null)
((${#argv[@]} > 2)) || die "coco run --dry-run printed no command"
case ${argv[0]##*/} in
podman) ;;
*) die "dry-run does not start with podman: ${argv[0]}" ;;
esac

# coco hands podman the variables that podman itself reads (HOME among
# them) in an env file on descriptor 3, an anonymous memfd.  The replay gets
# a file with the same content on the same descriptor, so both sides make
# podman do the same work.  For this config coco sets HOME and
# XDG_CACHE_HOME (the per-tool volume); `coco show eslint` lists them.
printf '%s\n' '# coco env file' 'HOME=/home/coco' 'XDG_CACHE_HOME=/coco/cache' \
    >"$tmp/envfile"
exec 3<"$tmp/envfile"

# Both must work before they are timed.
out=$("$coco" run eslint --version </dev/null) || die "coco run eslint --version failed"
[[ $out == v9.* ]] || die "unexpected eslint version from coco: $out"
out=$("${argv[@]}" </dev/null) || die "the replayed podman argv failed"
[[ $out == v9.* ]] || die "unexpected eslint version from podman: $out"

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Time one command in nanoseconds, stdin and stdout not terminals.
time_ns() {
    local t0 t1
    t0=$(date +%s%N)
    "$@" </dev/null >/dev/null
    t1=$(date +%s%N)
    echo $((t1 - t0))
}

# Interleaved pairs, the order swapped every other pair: a container start
# takes about a second here and the machine's load drifts over a minute, so
# running all of one side and then all of the other (as hyperfine does)
# measures the drift, not coco.  What is left to see is one process start of
# coco's (well under a millisecond of work before it starts podman) and two
# forks: the guardian and the podman client, which coco waits for.
method="$runs interleaved pairs, order alternating, date +%s%N"
: >"$tmp/podman.ns"
: >"$tmp/coco.ns"
: >"$tmp/diff.ns"
for ((i = 0; i < runs; i++)); do
    if ((i % 2)); then
        c=$(time_ns "$coco" run eslint --version)
        p=$(time_ns "${argv[@]}")
    else
        p=$(time_ns "${argv[@]}")
        c=$(time_ns "$coco" run eslint --version)
    fi
    echo "$p" >>"$tmp/podman.ns"
    echo "$c" >>"$tmp/coco.ns"
    echo $((c - p)) >>"$tmp/diff.ns"
done
base_ns=$(median <"$tmp/podman.ns")
coco_ns=$(median <"$tmp/coco.ns")
diff_ns=$(median <"$tmp/diff.ns")

[[ -n $base_ns && -n $coco_ns ]] || die "no measurements"
awk -v b="$base_ns" -v c="$coco_ns" -v d="$diff_ns" -v m="$method" 'BEGIN {
    printf "podman run (coco'"'"'s argv)      median %8.1f ms\n", b / 1e6
    printf "coco run eslint --version    median %8.1f ms\n", c / 1e6
    printf "paired difference            median %+8.1f ms\n", d / 1e6
    pct = d * 100 / b
    printf "podman.sh: coco run overhead over podman run %+.2f%% (median of paired differences %+.1f ms; medians %.1f vs %.1f ms; goal within 2%%: %s) [%s]\n",
        pct, d / 1e6, c / 1e6, b / 1e6, (pct <= 2 ? "met" : "NOT met"), m
}'
