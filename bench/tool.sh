#!/usr/bin/env bash
# bench/tool.sh — a real tool under coco, measured in one run (paired):
#
#   1. first-run install: `coco install eslint` (the store's config, from
#      an empty data directory: phase F through coco's egress proxy, the
#      lock check, the manifest) vs a plain `npm install eslint@9` into an
#      empty directory, each with its own empty npm cache, alternating,
#      ROUNDS_INSTALL rounds (goal: coco/plain <= 1.3);
#   2. a warm `coco run eslint file.js` (native) vs the very same eslint
#      run bare (`node .../eslint.js file.js` from the installed tree, the
#      same environment), paired, ROUNDS rounds (goal: coco/bare <= 1.1);
#   3. the pre-run integrity check on that tree (bench/verify.sh's quick
#      check; goal <= 10 ms).
#
#   COCO=./coco bench/tool.sh [ROUNDS] [ROUNDS_INSTALL]
#
# Network: the npm registry (both installs fetch eslint 9 and its
# dependencies from it, as a user's first run does), nothing else.
set -euo pipefail

ROUNDS=${1:-40}
ROUNDS_INSTALL=${2:-3}
bench_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$bench_dir/.." && pwd)
COCO=${COCO:-$repo/coco}
[ -x "$COCO" ] || { echo "bench: $COCO not built (make)" >&2; exit 1; }
if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
    echo "bench: needs node and npm on the host" >&2; exit 1
fi

work=$(mktemp -d /tmp/coco-bench-tool.XXXXXX)
trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/pairtime" "$bench_dir/pairtime.c"
export XDG_STATE_HOME=$work/state COCO_STORE=$repo/store
ca=${NODE_EXTRA_CA_CERTS:-${SSL_CERT_FILE:-}}
mkdir -p "$work/proj"
cd "$work/proj"
printf 'export default [{rules: {"no-unused-vars": "error", eqeqeq: "error"}}];\n' \
    >eslint.config.js
# a clean file: both sides exit 0 (the timer stops at any failure)
printf 'export function greet(name) {\n  return name === "world" ? "hello" : "hi";\n}\n' \
    >file.js

ms() { local ns; ns=$(date +%s%N); echo $((ns / 1000000)); }
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }

echo "machine: $(uname -r), $(nproc) cpus, uid $(id -u); coco $COCO"
echo "first-run install of eslint 9 ($ROUNDS_INSTALL alternating rounds, ms)"
: >"$work/t.coco"
: >"$work/t.npm"
for ((i = 0; i < ROUNDS_INSTALL; i++)); do
    data=$work/data.$i
    mkdir -p "$data"
    chmod 0700 "$data"
    XDG_DATA_HOME=$data "$COCO" get eslint >/dev/null
    t0=$(ms)
    XDG_DATA_HOME=$data "$COCO" install eslint >/dev/null 2>"$work/install.err" ||
        { cat "$work/install.err" >&2; exit 1; }
    echo $(($(ms) - t0)) >>"$work/t.coco"
    t0=$(ms)
    npm install --prefix "$work/plain.$i" --cache "$work/npmcache.$i" \
        --no-audit --no-fund --no-update-notifier --loglevel=error \
        ${ca:+--cafile "$ca"} eslint@9 >/dev/null
    echo $(($(ms) - t0)) >>"$work/t.npm"
done
ci=$(median <"$work/t.coco")
ni=$(median <"$work/t.npm")
printf '  coco install eslint (sandboxed, checked)   median %6d\n' "$ci"
printf '  npm install eslint@9 (bare, on the host)   median %6d\n' "$ni"
printf '  coco/plain = %.2f   (goal <= 1.30)\n' "$(echo "$ci / $ni" | bc -l)"

export XDG_DATA_HOME=$work/data.0
root=$XDG_DATA_HOME/coco/envs/eslint/current/root
root=$(cd "$root" && pwd -P)
envi=(/usr/bin/env -i "PATH=/usr/local/bin:/usr/bin:/bin" "HOME=$work"
    "XDG_DATA_HOME=$XDG_DATA_HOME" "XDG_STATE_HOME=$XDG_STATE_HOME"
    "LANG=${LANG:-C.UTF-8}")
printf '%s\n' "${envi[@]}" "$(command -v node)" \
    "$root/node_modules/eslint/bin/eslint.js" file.js >"$work/c.bare"
printf '%s\n' "${envi[@]}" "$COCO" run --runtime native eslint file.js \
    >"$work/c.coco"
echo "warm eslint file.js ($ROUNDS paired rounds, microseconds)"
out=$("$work/pairtime" "$ROUNDS" "$work/c.bare" "$work/c.coco")
read -r bmed bmean <<<"$(sed -n 1p <<<"$out")"
read -r cmed cmean <<<"$(sed -n 2p <<<"$out")"
printf '  eslint bare (node eslint.js)   median %8d  mean %8d\n' "$bmed" "$bmean"
printf '  coco run eslint                median %8d  mean %8d\n' "$cmed" "$cmean"
printf '  coco/bare = %.2f   (goal <= 1.10)\n' "$(echo "$cmed / $bmed" | bc -l)"

echo "pre-run integrity check of that tree (bench/verify.sh)"
"$bench_dir/verify.sh" "$root" 2>&1 | sed 's/^/  /'
