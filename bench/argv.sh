#!/usr/bin/env bash
# How long coco spends on config + policy + argv before it would start the
# engine: `coco run --dry-run eslint` with the store's eslint config against
# the bare `/bin/true`, measured paired in one run.  Goal: under 2 ms median
# overhead (the bash coco spends about 625 ms on the same job, mostly in jq).
#
#   bench/argv.sh              # hyperfine if installed, else a timed loop
#   COCO=/path/to/coco RUNS=500 ROUNDS=5 bench/argv.sh
#
# Nothing is started but coco itself: --dry-run never runs a container.
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
coco=${COCO:-$repo/coco}
runs=${RUNS:-1000}
die() { printf 'bench/argv.sh: %s\n' "$*" >&2; exit 1; }

[[ -x $coco ]] || die "$coco is missing: run make first (or set COCO)"
if ! [[ $runs =~ ^[0-9]+$ ]] || ((runs < 10 || runs > 100000)); then
    die "RUNS must be a number from 10 to 100000"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/coco-bench.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT

# A private config directory holding the store's eslint config, so the
# measurement never depends on (or touches) the user's own configs.
export XDG_DATA_HOME=$tmp/data
mkdir -p -- "$XDG_DATA_HOME/coco/tools" "$tmp/ws"
chmod 0700 -- "$XDG_DATA_HOME" "$XDG_DATA_HOME/coco" "$XDG_DATA_HOME/coco/tools"
install -m 0644 -- "$repo/store/eslint.json" "$XDG_DATA_HOME/coco/tools/eslint.json"
cd -- "$tmp/ws"
# The podman argv is the job the goal is about (and what the bash coco
# does); COCO_RUNTIME=native measures the native backend's dry run instead.
export COCO_RUNTIME=${COCO_RUNTIME:-podman}

# Fail loudly rather than time an error path.
"$coco" run --dry-run eslint >/dev/null ||
    die "'coco run --dry-run eslint' failed; fix that before timing it"

# median of the numbers on stdin (one per line)
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# The machine's load drifts within seconds, and hyperfine times all runs of
# one command before the next: so the runs go in ROUNDS short rounds, each
# timing both commands back to back, and the result is the median over the
# rounds of each round's medians (and of their differences).
rounds=${ROUNDS:-10}
if ! [[ $rounds =~ ^[0-9]+$ ]] || ((rounds < 1 || rounds > runs)); then
    die "ROUNDS must be a number from 1 to RUNS"
fi
per=$((runs / rounds))
: >"$tmp/true.ns"
: >"$tmp/coco.ns"
: >"$tmp/diff.ns"
if command -v hyperfine >/dev/null && [[ ${BENCH_LOOP:-0} != 1 ]]; then
    method="hyperfine -N, $rounds rounds of $per runs each"
    for ((r = 0; r < rounds; r++)); do
        # -N: no intermediate shell, so the shell's start-up is not
        # measured.  hyperfine splits the command line itself; %q keeps
        # odd paths whole.
        hyperfine -N --warmup 5 --runs "$per" --export-csv "$tmp/r.csv" \
            -n true /bin/true \
            -n coco "$(printf '%q ' "$coco" run --dry-run eslint)" >/dev/null 2>&1 ||
            die "hyperfine failed"
        # CSV: command,mean,stddev,median,user,system,min,max (seconds).
        # Count fields from the end so a comma in a command cannot shift
        # them.
        b=$(awk -F, '$1 == "true" { printf "%d", $(NF - 4) * 1e9 }' "$tmp/r.csv")
        c=$(awk -F, '$1 == "coco" { printf "%d", $(NF - 4) * 1e9 }' "$tmp/r.csv")
        echo "$b" >>"$tmp/true.ns"
        echo "$c" >>"$tmp/coco.ns"
        echo $((c - b)) >>"$tmp/diff.ns"
    done
else
    # Without hyperfine: interleaved pairs timed with date(1), whose own
    # fork costs milliseconds, so only the difference means much here.
    method="date +%s%N loop, $runs interleaved pairs"
    for ((i = 0; i < runs; i++)); do
        t0=$(date +%s%N)
        /bin/true
        t1=$(date +%s%N)
        "$coco" run --dry-run eslint >/dev/null
        t2=$(date +%s%N)
        echo $((t1 - t0)) >>"$tmp/true.ns"
        echo $((t2 - t1)) >>"$tmp/coco.ns"
        echo $((t2 - t1 - (t1 - t0))) >>"$tmp/diff.ns"
    done
fi
base_ns=$(median <"$tmp/true.ns")
coco_ns=$(median <"$tmp/coco.ns")
diff_ns=$(median <"$tmp/diff.ns")

[[ -n $base_ns && -n $coco_ns ]] || die "no measurements"
awk -v b="$base_ns" -v c="$coco_ns" -v d="$diff_ns" -v m="$method" -v rt="$COCO_RUNTIME" 'BEGIN {
    over = d / 1e6
    printf "/bin/true                      median %8.3f ms\n", b / 1e6
    printf "coco run --dry-run eslint      median %8.3f ms (%s)\n", c / 1e6, rt
    printf "argv.sh: coco config+policy+argv overhead %.3f ms (median of paired differences; ratio %.1fx vs /bin/true; goal < 2 ms: %s) [%s]\n",
        over, (b > 0 ? c / b : 0), (over < 2 ? "met" : "NOT met"), m
}'
