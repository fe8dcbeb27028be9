#!/usr/bin/env bash
# tests/run.sh — the one test driver.  The Makefile calls it as
#
#   COCO=/abs/path/to/coco O=build tests/run.sh all|unit|fuzz|integration|valgrind
#
# unit         every $O/tests/unit/test_* (cmocka), counted per test case
# fuzz         every $O/tests/fuzz/*-replay over tests/fuzz/corpus/NAME/,
#              one test per corpus file
# integration  bats --tap over tests/integration/*.bats, one test per case
# valgrind     the unit binaries and the fuzz replays under memcheck, plus
#              coco itself on its fast paths (help, version, list, show,
#              run --dry-run, bad configs, hostile names)
# all          all of the above (valgrind is skipped for sanitizer builds,
#              where memcheck cannot run)
#
# Each suite prints its own result line; the very last line of the output
# is always "N passed, N failed" (plus ", N skipped" when something was
# skipped), and the exit status is non-zero when anything failed.  A suite
# whose directory is empty counts nothing and does not fail.
set -uo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd -- "$root" || exit 125

: "${O:=build}"
case $O in
/*) ;;
*) O=$root/$O ;;
esac
: "${COCO:=$root/coco}"
export COCO O
# The integration helpers find the static test helpers here.
export COCO_TEST_HELPERS=$O/tests/helpers

# cmocka prints the format we parse below only in its standard mode.
unset CMOCKA_MESSAGE_OUTPUT CMOCKA_XML_FILE

total_pass=0
total_fail=0
total_skip=0
failures=()

work=$(mktemp -d "${TMPDIR:-/tmp}/coco-run.XXXXXX") || exit 125
trap 'rm -rf -- "$work"' EXIT

# Record one suite's counts and print its result line.
tally() {
    local suite=$1 pass=$2 fail=$3 skip=$4
    total_pass=$((total_pass + pass))
    total_fail=$((total_fail + fail))
    total_skip=$((total_skip + skip))
    if ((skip > 0)); then
        printf '== %s: %d passed, %d failed, %d skipped\n' "$suite" "$pass" "$fail" "$skip"
    else
        printf '== %s: %d passed, %d failed\n' "$suite" "$pass" "$fail"
    fi
}

# Executable regular files matching a glob, sorted, into the array named $1.
list_bins() {
    local -n out=$1
    local f
    out=()
    shopt -s nullglob
    for f in $2; do
        [[ -f $f && -x $f ]] && out+=("$f")
    done
    shopt -u nullglob
}

# Count one cmocka binary's results from its output (stdout and stderr
# merged: the two streams interleave unpredictably through a pipe, so only
# the order-independent summary lines are trusted).  Prints "PASS FAIL SKIP".
cmocka_counts() {
    local log=$1 rc=$2
    awk -v rc="$rc" '
        /^\[==========\] .*Running [0-9]+ test\(s\)\./ {
            for (i = 1; i <= NF; i++) if ($i == "Running") { running += $(i + 1) }
            groups++
        }
        /^\[  PASSED  \] [0-9]+ test\(s\)\./ { pass += $4; summaries++ }
        /^\[  FAILED  \] [0-9]+ test\(s\), listed below:/ { fail += $4 }
        /^\[  SKIPPED \] [0-9]+ test\(s\), listed below:/ { skip += $4 }
        /^\[       OK \] / { ok_lines++ }
        /^\[  FAILED  \] / && !/test\(s\)/ { failed_lines++ }
        END {
            if (summaries == 0) {
                # No summary at all (crash before the end, or a non-standard
                # output mode): fall back to the per-test lines.
                pass = ok_lines; fail = failed_lines
            }
            # Tests announced but never reported: the binary died in them.
            missing = running - pass - fail - skip
            if (missing > 0) fail += missing
            # A non-zero exit with no failure counted is still a failure
            # (crash in teardown, a sanitizer report, a bad group setup).
            if (rc != 0 && fail == 0) fail = 1
            if (rc == 0 && groups == 0 && pass == 0) fail = 1
            printf "%d %d %d\n", pass, fail, skip
        }' "$log"
}

suite_unit() {
    local -a bins
    local bin name log rc p f s pass=0 fail=0 skip=0
    list_bins bins "$O/tests/unit/test_*"
    if ((${#bins[@]} == 0)); then
        echo "unit: no test binaries in $O/tests/unit"
    fi
    for bin in "${bins[@]}"; do
        name=${bin##*/}
        log=$work/unit-$name.log
        "$bin" >"$log" 2>&1
        rc=$?
        read -r p f s < <(cmocka_counts "$log" "$rc")
        printf 'unit: %-28s %3d passed, %d failed, %d skipped (exit %d)\n' \
            "$name" "$p" "$f" "$s" "$rc"
        if ((f > 0)); then
            sed 's/^/    /' "$log"
            failures+=("unit: $name")
        fi
        # A skip says why, on a line of its own.
        if ((s > 0)); then
            grep '^# skip' "$log" | sed 's/^/    /' || true
        fi
        pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
    done
    tally unit "$pass" "$fail" "$skip"
}

# The corpus directory of a replay binary: fuzz_config-replay -> config.
corpus_of() {
    local name=${1##*/}
    name=${name%-replay}
    name=${name#fuzz_}
    printf '%s\n' "$root/tests/fuzz/corpus/$name"
}

# Run every corpus file through one replay binary.  Prints "PASS FAIL SKIP" on the last line; the names
# of failing inputs go to stderr.
replay_corpus() {
    local bin=$1
    local dir file rc pass=0 fail=0 skip=0
    local -a files
    dir=$(corpus_of "$bin")
    shopt -s nullglob dotglob
    files=("$dir"/*)
    shopt -u nullglob dotglob
    if ((${#files[@]} == 0)); then
        echo "fuzz: ${bin##*/}: skipped: no corpus in $dir" >&2
        echo "0 0 1"
        return
    fi
    for file in "${files[@]}"; do
        [[ -f $file ]] || continue
        # A replay that hangs is a finding too; bound each input.
        timeout 120 "$bin" "$file" >"$work/replay.log" 2>&1
        rc=$?
        if ((rc == 0)); then
            pass=$((pass + 1))
        else
            fail=$((fail + 1))
            echo "fuzz: ${bin##*/} ${file#"$root"/}: exit $rc" >&2
            sed 's/^/    /' "$work/replay.log" | head -n 40 >&2
        fi
    done
    echo "$pass $fail $skip"
}

suite_fuzz() {
    local -a bins
    local bin p f s pass=0 fail=0 skip=0
    list_bins bins "$O/tests/fuzz/*-replay"
    if ((${#bins[@]} == 0)); then
        echo "fuzz: no replay binaries in $O/tests/fuzz"
    fi
    for bin in "${bins[@]}"; do
        read -r p f s < <(replay_corpus "$bin")
        printf 'fuzz: %-28s %3d passed, %d failed (corpus %s)\n' "${bin##*/}" \
            "$p" "$f" "$(corpus_of "$bin")"
        ((f > 0)) && failures+=("fuzz: ${bin##*/}")
        pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
    done
    tally fuzz "$pass" "$fail" "$skip"
}

suite_integration() {
    local -a files
    local log rc planned pass fail skip
    shopt -s nullglob
    files=("$root"/tests/integration/*.bats)
    shopt -u nullglob
    if ((${#files[@]} == 0)); then
        echo "integration: no .bats files in tests/integration"
        tally integration 0 0 0
        return
    fi
    if ! command -v bats >/dev/null; then
        echo "integration: bats is not installed (apt-get install bats)"
        failures+=("integration: bats missing")
        tally integration 0 1 0
        return
    fi
    log=$work/integration.tap
    # Stream the TAP so a long podman build shows progress.
    bats --tap "${files[@]}" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    read -r planned pass fail skip < <(awk '
        /^1\.\.[0-9]+/ { split($0, a, "\\.\\."); planned += a[2]; next }
        /^not ok / { fail++; next }
        /^ok [0-9]+.* # [Ss][Kk][Ii][Pp]/ { skip++; next }
        /^ok / { pass++; next }
        END { printf "%d %d %d %d\n", planned, pass, fail, skip }' "$log")
    # Show every skip with its reason in one place.
    grep -E '^ok [0-9]+.* # [Ss][Kk][Ii][Pp]' "$log" | sed 's/^ok [0-9]* /integration: skipped: /'
    grep -E '^not ok ' "$log" | sed 's/^not ok [0-9]* /integration: FAILED: /'
    # Cases bats planned but never reported (it died): failures.
    if ((pass + fail + skip < planned)); then
        echo "integration: bats reported $((pass + fail + skip)) of $planned planned tests"
        fail=$((fail + planned - pass - fail - skip))
    fi
    if ((rc != 0 && fail == 0)); then
        echo "integration: bats exited $rc without a failing test"
        fail=1
    fi
    ((fail > 0)) && failures+=("integration")
    tally integration "$pass" "$fail" "$skip"
}

# True when BIN was built with AddressSanitizer (memcheck cannot run it).
is_asan() {
    grep -qa '__asan_init' "$1" 2>/dev/null
}

suite_valgrind() {
    local pass=0 fail=0 skip=0
    if ! command -v valgrind >/dev/null; then
        echo "valgrind: skipped: valgrind is not installed"
        tally valgrind 0 0 1
        return
    fi
    if is_asan "$COCO"; then
        echo "valgrind: skipped: $COCO is a sanitizer build (run make check-valgrind)"
        tally valgrind 0 0 1
        return
    fi
    local -a vg=(valgrind -q --error-exitcode=99 --leak-check=full
        --errors-for-leak-kinds=definite --show-leak-kinds=definite
        --track-fds=no)
    local -a bins
    local bin rc log p f s

    list_bins bins "$O/tests/unit/test_*"
    for bin in "${bins[@]}"; do
        log=$work/vg-${bin##*/}.log
        "${vg[@]}" "$bin" >"$log" 2>&1
        rc=$?
        if ((rc == 0)); then
            pass=$((pass + 1))
            printf 'valgrind: %-28s ok\n' "${bin##*/}"
        else
            fail=$((fail + 1))
            printf 'valgrind: %-28s FAILED (exit %d%s)\n' "${bin##*/}" "$rc" \
                "$( ((rc == 99)) && echo ', memcheck errors')"
            grep -E '^==[0-9]+==|FAILED|ERROR' "$log" | head -n 60 | sed 's/^/    /'
            failures+=("valgrind: ${bin##*/}")
        fi
    done

    # The replay main() takes a directory: one memcheck process walks the
    # whole corpus (one valgrind start per file would take minutes).
    local dir
    list_bins bins "$O/tests/fuzz/*-replay"
    for bin in "${bins[@]}"; do
        dir=$(corpus_of "$bin")
        if [[ ! -d $dir ]] || [[ -z $(ls -A "$dir") ]]; then
            skip=$((skip + 1))
            printf 'valgrind: %-28s skipped: no corpus in %s\n' "${bin##*/}" "$dir"
            continue
        fi
        log=$work/vg-${bin##*/}.log
        "${vg[@]}" "$bin" "$dir" >"$log" 2>&1
        rc=$?
        if ((rc == 0)); then
            pass=$((pass + 1))
            printf 'valgrind: %-28s ok (%s)\n' "${bin##*/}" "$(tail -n 1 "$log")"
        else
            fail=$((fail + 1))
            printf 'valgrind: %-28s FAILED (exit %d%s)\n' "${bin##*/}" "$rc" \
                "$( ((rc == 99)) && echo ', memcheck errors')"
            grep -E '^==[0-9]+==' "$log" | head -n 60 | sed 's/^/    /'
            failures+=("valgrind: ${bin##*/}")
        fi
    done

    # coco itself on the paths that never start a container.  memcheck
    # cannot see into a static binary (glibc's own malloc and startup are
    # linked in), so this uses the dynamic build of the same objects.
    local COCO=${COCO_DYNAMIC:-$COCO}
    if [[ ! -x $COCO ]]; then
        echo "valgrind: $COCO is missing"
        fail=$((fail + 1))
        failures+=("valgrind: coco missing")
        tally valgrind "$pass" "$fail" "$skip"
        return
    fi
    local h=$work/vg-home
    mkdir -p "$h/data/coco/tools" "$h/fakebin" "$h/bin" "$h/work"
    # A stand-in engine: the dry run only needs to find one on PATH.
    printf '#!/bin/sh\nexit 0\n' >"$h/fakebin/podman"
    cp "$h/fakebin/podman" "$h/fakebin/docker"
    chmod 0755 "$h/fakebin/podman" "$h/fakebin/docker"
    cat >"$h/data/coco/tools/lint.json" <<'EOF'
{
  "command": "eslint",
  "image": "localhost/coco-eslint:9",
  "mounts": [{ "src": ".", "dst": "/workspace" },
             { "src": "~/cache", "dst": "/cache", "opts": "ro" }],
  "env": { "NODE_ENV": "production" },
  "env_passthrough": ["TERM"],
  "network": "none",
  "limits": { "memory": "512m", "pids": 64, "cpus": "1.5", "timeout": "10m" }
}
EOF
    # The same tool without an image, for the native runtime (which
    # refuses a config naming an image it would ignore).
    sed '/"image"/d' "$h/data/coco/tools/lint.json" >"$h/data/coco/tools/nlint.json"
    # Broken configs live in their own data directory, so that `list -l`
    # over the good one has nothing to complain about.
    mkdir -p "$h/bad/coco/tools" "$h/cache"
    printf '{ "command": "x", "no_such_key": 1 }\n' >"$h/bad/coco/tools/badkey.json"
    printf '{ "command": "x",\n  "mounts": [ }\n' >"$h/bad/coco/tools/badjson.json"
    chmod 0644 "$h"/data/coco/tools/*.json "$h"/bad/coco/tools/*.json
    # expected-exit|data-directory|arguments...
    local -a cases=(
        "0|data|help"
        "0|data|--help"
        "0|data|version"
        "0|data|list"
        "0|data|list -l"
        "0|data|show lint"
        "0|data|run --dry-run lint --fix src"
        "0|data|run --runtime podman --dry-run lint --fix src"
        "0|data|run --runtime docker --dry-run lint ."
        "0|data|run --runtime native --dry-run nlint ."
        "125|data|run --runtime native --dry-run lint ."
        "125|data|run --dry-run missing"
        "125|data|run --runtime bogus lint"
        "125|data|get ../x"
        "125|bad|run --dry-run badkey"
        "125|bad|run --dry-run badjson"
        "125|bad|show badkey"
        "125|bad|list -l"
    )
    local c want data args
    for c in "${cases[@]}"; do
        want=${c%%|*}
        data=${c#*|}
        data=${data%%|*}
        read -r -a args <<<"${c#*|*|}"
        (cd "$h/work" && HOME=$h XDG_DATA_HOME=$h/$data COCO_BIN_DIR=$h/bin \
            PATH=$h/fakebin:$PATH COCO_STORE=$h/nostore \
            "${vg[@]}" "$COCO" "${args[@]}") >"$work/vg-coco.log" 2>&1
        rc=$?
        if ((rc == want)); then
            pass=$((pass + 1))
            printf 'valgrind: coco %-40s ok (exit %d)\n' "${args[*]}" "$rc"
        else
            fail=$((fail + 1))
            printf 'valgrind: coco %-40s FAILED: exit %d, expected %d%s\n' "${args[*]}" \
                "$rc" "$want" "$( ((rc == 99)) && echo ' (memcheck errors)')"
            head -n 60 "$work/vg-coco.log" | sed 's/^/    /'
            failures+=("valgrind: coco ${args[*]}")
        fi
    done
    tally valgrind "$pass" "$fail" "$skip"
}

usage() {
    echo "usage: COCO=/abs/coco O=build tests/run.sh all|unit|fuzz|integration|valgrind" >&2
    exit 2
}

(($# == 1)) || usage
case $1 in
unit) suite_unit ;;
fuzz) suite_fuzz ;;
integration) suite_integration ;;
valgrind) suite_valgrind ;;
all)
    suite_unit
    suite_fuzz
    if is_asan "$COCO"; then
        echo "valgrind: skipped: sanitizer build"
    else
        suite_valgrind
    fi
    suite_integration
    ;;
*) usage ;;
esac

if ((${#failures[@]} > 0)); then
    printf 'failed: %s\n' "${failures[@]}"
fi
if ((total_skip > 0)); then
    printf '%d passed, %d failed, %d skipped\n' "$total_pass" "$total_fail" "$total_skip"
else
    printf '%d passed, %d failed\n' "$total_pass" "$total_fail"
fi
((total_fail == 0))
