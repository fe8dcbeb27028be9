#!/usr/bin/env bats
# docs.bats — the man pages and the bash completion stay true of the code.
#
# The lists are taken from the real binary (`$COCO help`, `--dry-run`
# output) and from the source tables (the key table in src/config.c, the
# podman_args allowlist in src/engine_args.c), so adding a command, an
# environment variable, a config key, an allowed podman option or a
# hardened engine flag without documenting it fails here.

load helpers

MAN1=$REPO_ROOT/man/coco.1
MAN5=$REPO_ROOT/man/coco.json.5
COMPLETION=$REPO_ROOT/completions/coco.bash
CONFIG_C=$REPO_ROOT/src/config.c
ENGINE_ARGS_C=$REPO_ROOT/src/engine_args.c

setup() { common_setup; }
teardown() { common_teardown; }

# render PAGE: the page as plain text on stdout, one long line per
# paragraph line (no hyphenation in our pages, 250 columns so option
# strings and reasons are not wrapped).  Without groff, a crude
# de-roffing of the source, so the content checks still run.
render() {
    if command -v groff >/dev/null; then
        groff -t -man -Tascii -P-bcu -rLL=250n "$1" 2>/dev/null
    else
        # section headings at column 0, everything else indented
        sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/\\e/\\/g' \
            -e 's/\\&//g' -e 's/\\(em/-/g' \
            -e '/^\.SH /{s/^\.SH *//;s/"//g;b' -e '}' \
            -e '/^\.\\"/d' -e 's/^\.[A-Za-z][A-Za-z]* *//' -e 's/^/ /' "$1"
    fi
}

# section TEXT NAME: the lines of section NAME (a line in capitals at
# column 0) up to the next section.
section() {
    awk -v want="$2" '
        /^[A-Z][A-Z .]*$/ { on = ($0 == want); next }
        on { print }' <<<"$1"
}

# The commands `coco help` lists: the first word of each "  cmd ..." line
# in the Commands block ("  help, version" gives both).
help_commands() {
    "$COCO" help | awk '
        /^Commands:/ { on = 1; next }
        on && /^$/ { on = 0 }
        on && /^  [a-z]/ {
            for (i = 1; i <= NF; i++) {
                w = $i
                more = sub(/,$/, "", w)
                print w
                if (!more) break
            }
        }'
}

# Environment variables named in `coco help`.
help_env_vars() {
    "$COCO" help | grep -oE '\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b' | sort -u
}

# Rows of the config key table: {"name", key_fn, "doc"}.
config_keys() {
    sed -n 's/^[[:space:]]*{"\([a-z_0-9]*\)", key_.*/\1/p' "$CONFIG_C"
}

# complete_words WORD...: run _coco as bash would for the command line
# WORD... (the last word is the one being completed) and print COMPREPLY,
# one per line.  Runs in the test's environment and directory.
complete_words() {
    bash --norc --noprofile -c '
        source "$1" || exit 1
        shift
        COMP_WORDS=("$@")
        COMP_CWORD=$(($# - 1))
        COMP_LINE="$*"
        COMP_POINT=${#COMP_LINE}
        _coco || exit 1
        printf "%s\n" "${COMPREPLY[@]}"' _ "$COMPLETION" "$@"
}

@test "docs: the help lists the commands these checks rely on" {
    mapfile -t cmds < <(help_commands)
    echo "commands: ${cmds[*]}"
    # A parsing failure must not make the checks below pass vacuously.
    [ "${#cmds[@]}" -ge 10 ]
    for c in run list show get up down prune rebuild help version; do
        printf '%s\n' "${cmds[@]}" | grep -qx -- "$c"
    done
}

@test "coco.1: every command of coco help is in SYNOPSIS and COMMANDS" {
    text=$(render "$MAN1")
    synopsis=$(section "$text" SYNOPSIS)
    commands=$(section "$text" COMMANDS)
    [ -n "$synopsis" ]
    [ -n "$commands" ]
    missing=()
    while read -r c; do
        grep -qE -- "^ *coco $c( |\$)" <<<"$synopsis" || missing+=("SYNOPSIS:$c")
        grep -qE -- "^ *$c( |,|\$)" <<<"$commands" || missing+=("COMMANDS:$c")
    done < <(help_commands)
    echo "missing: ${missing[*]}"
    [ "${#missing[@]}" -eq 0 ]
}

@test "coco.1: SYNOPSIS shows each command's options as coco help does" {
    text=$(render "$MAN1")
    synopsis=$(section "$text" SYNOPSIS)
    # "  run [--runtime R] ..." in the help -> "coco run [--runtime R] ..."
    while read -r line; do
        echo "help: $line"
        grep -qF -- "coco $line" <<<"$synopsis"
    done < <("$COCO" help | awk '/^Commands:/{on=1;next} on&&/^$/{on=0}
        on && /^  [a-z]/ && !/^  help,/ {
            sub(/^  /, ""); sub(/  +[a-z].*$/, ""); print }')
}

@test "coco.1: every environment variable of coco help is in ENVIRONMENT" {
    mapfile -t vars < <(help_env_vars)
    echo "variables: ${vars[*]}"
    [ "${#vars[@]}" -ge 8 ]
    env_section=$(section "$(render "$MAN1")" ENVIRONMENT)
    missing=()
    for v in "${vars[@]}"; do
        grep -qE -- "^ *$v( |\$)" <<<"$env_section" || missing+=("$v")
    done
    echo "missing: ${missing[*]}"
    [ "${#missing[@]}" -eq 0 ]
}

@test "coco.1: every exit status of coco help is in EXIT STATUS" {
    mapfile -t codes < <("$COCO" help | grep -oE '\b1[0-9]{2}\b' | sort -u)
    echo "codes: ${codes[*]}"
    [ "${#codes[@]}" -ge 5 ]
    exit_section=$(section "$(render "$MAN1")" "EXIT STATUS")
    for c in "${codes[@]}"; do
        grep -qw -- "$c" <<<"$exit_section"
    done
}

@test "coco.1: the hardened podman and docker flags of --dry-run are documented" {
    install_config lint '{
      "command": "eslint",
      "mounts": [{ "src": ".", "dst": "/workspace", "opts": "ro" }],
      "env": { "NODE_ENV": "production" },
      "network": "full",
      "ports": ["127.0.0.1:8080:8080"],
      "limits": { "memory": "1g", "pids": 64, "cpus": "1.5" }
    }'
    text=$(render "$MAN1")
    for engine in podman docker; do
        run "$COCO" run --runtime "$engine" --dry-run lint
        [ "$status" -eq 0 ]
        [ "${#lines[@]}" -gt 10 ]
        for a in "${lines[@]:1}"; do
            [[ $a == -* ]] || continue
            if [[ $a =~ ^--[a-z-]+=[A-Za-z-]+$ ]]; then
                # a fixed setting (--cap-drop=ALL): documented as it is
                want=$a
            else
                want=${a%%=*}
            fi
            grep -qF -- "$want" <<<"$text" || {
                echo "$engine: $a ($want) is not in coco.1"
                false
            }
        done
    done
}

@test "coco.1: the native seccomp table and forwarded signals are documented" {
    seccomp_c=$REPO_ROOT/src/native/seccomp.c
    init_c=$REPO_ROOT/src/native/init.c
    [[ -f $seccomp_c && -f $init_c ]] || skip "the native backend's sources are not in this tree"
    runtimes=$(section "$(render "$MAN1")" RUNTIMES)
    mapfile -t calls < <(sed -n 's/^[[:space:]]*{"\([a-z0-9_]*\)", E[A-Z]*, SC_.*/\1/p' "$seccomp_c" | sort -u)
    mapfile -t ioctls < <(grep -oE 'SC_IOCTL1, [A-Z0-9_]+' "$seccomp_c" | sed 's/.* //' | sort -u)
    mapfile -t signals < <(sed -n '/init_forwarded\[\] = {/,/};/p' "$init_c" | grep -oE 'SIG[A-Z0-9]+' | sort -u)
    echo "calls: ${#calls[@]}, ioctls: ${ioctls[*]}, signals: ${signals[*]}"
    [ "${#calls[@]}" -ge 20 ]
    [ "${#ioctls[@]}" -ge 1 ]
    [ "${#signals[@]}" -ge 5 ]
    missing=()
    for w in "${calls[@]}" "${ioctls[@]}" "${signals[@]}"; do
        grep -qw -- "$w" <<<"$runtimes" || missing+=("$w")
    done
    echo "missing: ${missing[*]}"
    [ "${#missing[@]}" -eq 0 ]
}

@test "coco.json.5: every key of the config key table is documented" {
    mapfile -t keys < <(config_keys)
    echo "keys: ${keys[*]}"
    [ "${#keys[@]}" -ge 16 ]
    keys_section=$(section "$(render "$MAN5")" KEYS)
    [ -n "$keys_section" ]
    missing=()
    for k in "${keys[@]}"; do
        grep -qE -- "^ *$k( |\$)" <<<"$keys_section" || missing+=("$k")
    done
    echo "missing: ${missing[*]}"
    [ "${#missing[@]}" -eq 0 ]
}

# Rows of the podman_args allowlist, one per line: "NAME;ALIAS;ENGINES;
# VALUE", ENGINES as the man page writes them.
engine_opts_rows() {
    local re='^[[:space:]]*\{"(--[a-z-]+)", (NULL|"(-[a-z])"), ([A-Z_ |]+), check_[a-z_]+, "([^"]*)",'
    local row engines
    while IFS= read -r row; do
        [[ $row =~ $re ]] || continue
        engines=${BASH_REMATCH[4]}
        engines=${engines//ENG_PODMAN/podman}
        engines=${engines//ENG_DOCKER/docker}
        engines=${engines// | /, }
        engines=${engines% }
        printf '%s;%s;%s;%s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[3]}" \
            "$engines" "${BASH_REMATCH[5]}"
    done < <(awk '/^const struct engine_opt engine_opts\[\]/,/^};/' "$ENGINE_ARGS_C")
}

@test "coco.json.5: every podman_args allowlist row is in the table with its engines and value" {
    mapfile -t rows < <(engine_opts_rows)
    printf 'row: %s\n' "${rows[@]}"
    [ "${#rows[@]}" -ge 5 ]
    page=$(render "$MAN5")
    missing=()
    local name alias engines value want
    for r in "${rows[@]}"; do
        IFS=';' read -r name alias engines value <<<"$r"
        # "--label, -l   podman, docker   KEY=VALUE   ..."
        want=$name
        [[ -z $alias ]] || want+=", $alias"
        grep -qE -- "^ +${want} +${engines} +${value//[|]/[|]}( |\$)" <<<"$page" ||
            missing+=("$want $engines $value")
    done
    printf 'missing: %s\n' "${missing[@]}"
    [ "${#missing[@]}" -eq 0 ]
    # and nothing in the table that the code does not allow
    run grep -cE -- '^ +--[a-z-]+(, -[a-z])? +(podman|docker|podman, docker) {2,}' <<<"$page"
    echo "table rows: $output"
    [ "$output" -eq "${#rows[@]}" ]
}

@test "coco.json.5: the example configs load and resolve" {
    text=$(render "$MAN5")
    examples=$(section "$text" EXAMPLES)
    mkdir -p "$CONFIG_DIR"
    # Each example is a JSON object indented in the EXAMPLES section.
    n=$(awk -v dir="$CONFIG_DIR" '
        /^ *\{$/ && !on { on = 1; depth = 0; n++; f = dir "/example" n ".json" }
        on {
            print > f
            depth += gsub(/\{/, "{") - gsub(/\}/, "}")
            if (depth == 0) { on = 0; close(f) }
        }
        END { print n + 0 }' <<<"$examples")
    [ "$n" -ge 2 ]
    chmod 0644 "$CONFIG_DIR"/example*.json
    for ((i = 1; i <= n; i++)); do
        run "$COCO" show "example$i"
        echo "example$i: $output"
        [ "$status" -eq 0 ]
    done
}

@test "groff renders coco.1 and coco.json.5 without warnings" {
    command -v groff >/dev/null || skip "groff is not installed (apt-get install groff)"
    for page in "$MAN1" "$MAN5"; do
        warnings=$(groff -t -man -Tutf8 -ww "$page" 2>&1 >/dev/null)
        echo "$page: $warnings"
        [ -z "$warnings" ]
        # and it is a page at all: NAME and a title line
        groff -man -Tascii -P-bcu "$page" 2>/dev/null | grep -qx 'NAME'
    done
}

@test "completion: the file loads in bash and registers _coco for coco" {
    run bash --norc --noprofile -c 'source "$1" && complete -p coco' _ "$COMPLETION"
    [ "$status" -eq 0 ]
    [ "$output" = "complete -F _coco coco" ]
}

@test "completion: shellcheck finds nothing" {
    command -v shellcheck >/dev/null || skip "shellcheck is not installed"
    run shellcheck -s bash "$COMPLETION"
    echo "$output"
    [ "$status" -eq 0 ]
}

@test "completion: coco ru<TAB> completes to run" {
    run complete_words coco ru
    [ "$status" -eq 0 ]
    [ "$output" = "run" ]
}

@test "completion: coco <TAB> offers exactly the commands of coco help" {
    grep -q -- '_coco_commands=' "$COMPLETION"
    want=$(help_commands | sort)
    run complete_words coco ""
    [ "$status" -eq 0 ]
    got=$(sort <<<"$output")
    echo "help: $want"
    echo "completion: $got"
    [ "$got" = "$want" ]
}

@test "completion: run, show and prune offer the tools coco list prints" {
    install_config eslint '{ "command": "eslint" }'
    install_config prettier '{ "command": "prettier" }'
    install_config ruff '{ "command": "ruff" }'
    listed=$("$COCO" list)
    [ "$(wc -l <<<"$listed")" -eq 3 ]
    for cmd in run show prune; do
        run complete_words coco "$cmd" ""
        [ "$status" -eq 0 ]
        [ "$(sort <<<"$output")" = "$listed" ]
    done
    run complete_words coco run pr
    [ "$output" = "prettier" ]
    # Without XDG_DATA_HOME, coco and the completion both use ~/.local/share.
    mkdir -p "$HOME/.local/share/coco/tools"
    printf '{ "command": "x" }\n' >"$HOME/.local/share/coco/tools/homeonly.json"
    chmod 0644 "$HOME/.local/share/coco/tools/homeonly.json"
    listed=$(env -u XDG_DATA_HOME "$COCO" list)
    [ "$listed" = "homeonly" ]
    # shellcheck disable=SC2016 # expanded by the inner bash
    run env -u XDG_DATA_HOME bash --norc --noprofile -c '
        source "$1"; COMP_WORDS=(coco run ""); COMP_CWORD=2; _coco
        printf "%s\n" "${COMPREPLY[@]}"' _ "$COMPLETION"
    [ "$output" = "homeonly" ]
}

@test "completion: run offers --runtime values that coco accepts, before the tool" {
    install_config lint '{ "command": "eslint" }'
    run complete_words coco run --runtime ""
    [ "$status" -eq 0 ]
    [ "$(sort <<<"$output" | tr '\n' ' ')" = "docker native podman " ]
    for rt in ${output}; do
        run "$COCO" run --runtime "$rt" --dry-run lint
        [[ $output != *"is not a runtime"* ]]
    done
    run complete_words coco run --runtime p
    [ "$output" = "podman" ]
    # '=' is a word break by default: "--runtime" "=" "d"
    run complete_words coco run --runtime = d
    [ "$output" = "docker" ]
    run complete_words coco run --runtime=n
    [ "$output" = "--runtime=native" ]
    run complete_words coco run --d
    [ "$output" = "--dry-run" ]
    run complete_words coco run --runtime podman --dry-run l
    [ "$output" = "lint" ]
}

@test "completion: after the tool, its arguments complete as files" {
    install_config lint '{ "command": "eslint" }'
    touch "$WORK/lintme.js" "$WORK/other.txt"
    mkdir "$WORK/--dry-run-is-a-file-here"
    run complete_words coco run lint li
    [ "$output" = "lintme.js" ]
    # options after TOOL belong to the tool, not to coco
    run complete_words coco run lint --fix li
    [ "$output" = "lintme.js" ]
    run complete_words coco run --runtime podman -- lint oth
    [ "$output" = "other.txt" ]
    run complete_words coco run lint --dry
    [ "$output" = "--dry-run-is-a-file-here" ]
}

@test "completion: get offers the store's names, list offers -l" {
    store=$TEST_TMP/store
    mkdir -p "$store"
    printf '{}\n' >"$store/ruff.json"
    printf '{}\n' >"$store/rg.json"
    printf '{}\n' >"$store/eslint.json"
    COCO_STORE=$store run complete_words coco get r
    [ "$(sort <<<"$output" | tr '\n' ' ')" = "rg ruff " ]
    COCO_STORE=$store run complete_words coco get ruff --f
    [ "$output" = "--force" ]
    # a URL store cannot be listed: nothing rather than the wrong store
    COCO_STORE=https://example.invalid/store run complete_words coco get r
    [ -z "$output" ]
    run complete_words coco list ""
    [ "$output" = "-l" ]
}

# issue 6 item 14
@test "completion: up offers --force, then the tools" {
    install_config eslint '{ "command": "eslint" }'
    install_config sudo '{ "command": "true" }'
    run complete_words coco up ""
    [ "$output" = "--force" ]
    run complete_words coco up --force s
    [ "$output" = "sudo" ]
    run complete_words coco up --force sudo e
    [ "$output" = "eslint" ]
}

# Issue 10: the conformance list cannot drift.  Every behaviour (a
# conf_NAME function of conformance.bash) runs in each backend's file, in
# an @test of its own named "conformance BACKEND: ...", and README's
# table "What each backend guarantees" has a row naming it.
@test "conformance: every behaviour runs on every backend and has a row in README's table" {
    local dir=$REPO_ROOT/tests/integration f b backend n missing=()
    mapfile -t behaviours < <(sed -n 's/^conf_\([a-z0-9_]*\)() {$/\1/p' "$dir/conformance.bash")
    echo "behaviours: ${behaviours[*]}"
    [ "${#behaviours[@]}" -ge 19 ]
    local files=("$dir"/conformance-*.bats)
    [ "${#files[@]}" -eq 5 ]
    for f in "${files[@]}"; do
        backend=${f##*/conformance-}
        backend=${backend%.bats}
        n=$(grep -c "^@test \"conformance $backend: " "$f")
        [[ $n -eq ${#behaviours[@]} ]] || missing+=("$f: $n tests, not ${#behaviours[@]}")
        for b in "${behaviours[@]}"; do
            [[ $(grep -c "^    conf_$b\$" "$f") -eq 1 ]] || missing+=("$f: conf_$b")
        done
    done
    table=$(sed -n '/^## What each backend guarantees/,/^## /p' "$REPO_ROOT/README.md")
    for b in "${behaviours[@]}"; do
        grep -q "^| .*(\`$b\`) |" <<<"$table" || missing+=("README: $b")
    done
    echo "missing: ${missing[*]}"
    [ "${#missing[@]}" -eq 0 ]
}
