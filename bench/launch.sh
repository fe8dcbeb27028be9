#!/usr/bin/env bash
# bench/launch.sh — launch overhead of coco's native sandbox, measured in one
# run against the bare command and against bubblewrap with a comparable
# policy, in paired rounds (bare, coco, bwrap back to back, N rounds) so
# that machine noise hits all three alike.  Prints medians, means and the
# ratios; then what egress (allowed_hosts: listeners and the proxy) adds
# to a launch; then the same for a real tool (node -e 0) when node
# exists; then the supervisor's (coco's own) RSS while a tool runs.
#
#   COCO=./coco bench/launch.sh [ROUNDS]
#
# With STATIC=1 it also links the objects in build/ statically (glibc,
# jansson, libseccomp, libcap archives) into a temporary coco and adds it
# to the paired rounds: dynamic loading and relocation are a large share
# of coco's launch time on this machine.
#
# Network: none (everything runs in new network namespaces or locally).
set -euo pipefail

ROUNDS=${1:-200}
bench_dir=$(cd "$(dirname "$0")" && pwd)
COCO=${COCO:-$(cd "$(dirname "$0")/.." && pwd)/coco}
BWRAP=${BWRAP:-$(command -v bwrap || true)}
[ -x "$COCO" ] || { echo "bench: $COCO not built (make)" >&2; exit 1; }

work=$(mktemp -d /tmp/coco-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/data/coco/tools" "$work/ws"
export XDG_DATA_HOME="$work/data"
cfg() {  # cfg NAME COMMAND
    printf '{"command": "%s", "runtime": "native", "network": "none",\n' "$2" \
        >"$work/data/coco/tools/$1.json"
    printf ' "mounts": [{"src": ".", "dst": "/workspace"}]}\n' \
        >>"$work/data/coco/tools/$1.json"
    chmod 0644 "$work/data/coco/tools/$1.json"
}
static_coco=
if [[ ${STATIC:-} == 1 ]]; then
    root=$(cd "$(dirname "$0")/.." && pwd)
    mkdir -p "$work/static"
    # shellcheck disable=SC2046
    if cc -static -o "$work/static/coco" "$root/build/coco.o" \
        "$root"/build/src/*.o "$root"/build/src/native/*.o \
        $(pkg-config --libs --static jansson libcap libseccomp) 2>/dev/null; then
        static_coco=$work/static/coco
    else
        echo "bench: static link failed; skipping the static variant" >&2
    fi
fi
cfg true /bin/true
cfg node node
# The same with egress: init makes the listeners, coco forks the proxy.
# No packet is sent: /bin/true connects nowhere.
printf '{"command": "/bin/true", "runtime": "native",
 "allowed_hosts": ["registry.npmjs.org"],
 "mounts": [{"src": ".", "dst": "/workspace"}]}\n' \
    >"$work/data/coco/tools/trueeg.json"
chmod 0644 "$work/data/coco/tools/trueeg.json"
cd "$work/ws"

bwrap_argv=("$BWRAP" --unshare-all --die-with-parent --new-session --clearenv
    --setenv PATH /usr/bin:/bin --ro-bind /usr /usr --ro-bind /etc /etc)
for d in bin sbin lib lib64 lib32; do
    if [ -L "/$d" ]; then bwrap_argv+=(--symlink "$(readlink "/$d")" "/$d")
    elif [ -d "/$d" ]; then bwrap_argv+=(--ro-bind "/$d" "/$d"); fi
done
bwrap_argv+=(--tmpfs /home/coco --tmpfs /tmp --proc /proc --dev /dev
    --bind "$work/ws" /workspace --chdir /workspace --cap-drop ALL)

# The timer: bench/pairtime.c, a tiny C program compiled here, so that the
# harness adds a fork+exec+wait and nothing else (a bash loop adds
# milliseconds of its own to every sample, which flattens the ratios).
# `pairtime N CMDFILE...` runs the commands of each file (one argument
# per line) in turn, N rounds, and prints one line per command: median
# and mean microseconds.
cc -O2 -o "$work/pairtime" "$bench_dir/pairtime.c" || { echo "bench: cannot compile the timer" >&2; exit 1; }

paired() {  # paired LABEL CMD-A... -- CMD-B... [-- CMD-C...]
    local label=$1; shift
    local -a files=() names=()
    local n=0 f
    f=$work/cmd$n; : >"$f"
    for a in "$@" --; do
        if [ "$a" = -- ]; then
            files+=("$f"); names+=("$(tr '\n' ' ' <"$f")")
            n=$((n + 1)); f=$work/cmd$n; : >"$f"
        else
            # absolute program path: posix_spawn does not search PATH
            if [ ! -s "$f" ] && [[ $a != /* ]]; then a=$(command -v "$a"); fi
            printf '%s\n' "$a" >>"$f"
        fi
    done
    echo "$label ($ROUNDS paired rounds, microseconds)"
    local out
    out=$("$work/pairtime" "$ROUNDS" "${files[@]}") || exit 1
    local j=0 base=
    while read -r med mean; do
        [ -z "$base" ] && base=$med
        printf '  %-58.58s median %7d  mean %7d  x%.2f of first\n' \
            "${names[j]}" "$med" "$mean" "$(echo "$med / $base" | bc -l)"
        eval "med$j=$med"
        j=$((j + 1))
    done <<<"$out"
}

echo "machine: $(uname -r), $(nproc) cpus, uid $(id -u); coco $COCO"
if [ -n "$BWRAP" ] && [ -n "$static_coco" ]; then
    paired "launch: /bin/true" /bin/true -- "$COCO" run --runtime native true \
        -- "${bwrap_argv[@]}" /bin/true -- "$static_coco" run --runtime native true
    printf '  coco/bwrap = %.2f   static coco/bwrap = %.2f   (goal <= 0.80)\n' \
        "$(echo "$med1 / $med2" | bc -l)" "$(echo "$med3 / $med2" | bc -l)"
elif [ -n "$BWRAP" ]; then
    paired "launch: /bin/true" /bin/true -- "$COCO" run --runtime native true \
        -- "${bwrap_argv[@]}" /bin/true
    printf '  coco/bwrap = %.2f   (goal <= 0.80)\n' \
        "$(echo "$med1 / $med2" | bc -l)"
else
    paired "launch: /bin/true" /bin/true -- "$COCO" run --runtime native true
    echo "  (bwrap not installed: no comparison)"
fi
paired "egress: /bin/true with allowed_hosts vs network none" \
    "$COCO" run --runtime native true -- "$COCO" run --runtime native trueeg
printf '  egress adds %.2f ms   (goal <= 1 ms)\n' \
    "$(echo "($med1 - $med0) / 1000" | bc -l)"
if command -v node >/dev/null; then
    ROUNDS=$(( ROUNDS / 4 > 10 ? ROUNDS / 4 : 10 ))
    # Same environment on both sides: the host's (NODE_EXTRA_CA_CERTS,
    # NODE_OPTIONS ...) would slow the bare node down, and coco clears it.
    clean=(env -i "PATH=/usr/local/bin:/usr/bin:/bin" "HOME=$work"
        "XDG_DATA_HOME=$XDG_DATA_HOME" "LANG=${LANG:-C.UTF-8}")
    paired "real tool: node -e 0 (both under env -i)" "${clean[@]}" node -e 0 \
        -- "${clean[@]}" "$COCO" run --runtime native node -e 0
    printf '  coco/bare = %.2f   (goal <= 1.10)\n' "$(echo "$med1 / $med0" | bc -l)"
fi

# Supervisor memory: coco's own RSS while the tool sleeps.
cfg sleep /bin/sleep
"$COCO" run --runtime native sleep 2 &
cpid=$!
sleep 1
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$cpid/status" 2>/dev/null || echo '?')
wait "$cpid" || true
echo "supervisor RSS while the tool runs: ${rss} KiB (goal <= 2048 KiB)"
if [ -n "$static_coco" ]; then
    "$static_coco" run --runtime native sleep 2 &
    cpid=$!
    sleep 1
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$cpid/status" 2>/dev/null || echo '?')
    wait "$cpid" || true
    echo "static coco's RSS while the tool runs: ${rss} KiB"
fi
