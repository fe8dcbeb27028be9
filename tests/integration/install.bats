#!/usr/bin/env bats
# install.bats — coco's own sandboxed installs (issue 9), attacked and
# judged from the host, as root and as a normal user, native backend.
#
# The fake npm registry of npm_registry.bash is served by the egress
# fixture (egress_net.bash) as http://registry.test:8081/; coco runs under
# with_hosts (the fixture's hosts file and resolver) through `as`.  Each
# config names the registry in its env (NPM_CONFIG_REGISTRY, passed to
# npm) and in allowed_hosts (which phase F adds to its allowlist).
#
# Every test attacks one wall, and each was seen to fail with its wall
# broken in the code (e.g. --ignore-scripts dropped from phase F, phase B
# given phase F's network, the quick manifest check ignored, the install
# mounted read-write, a cache shared between tools, stale .tmp-* kept).
# The real-world eslint test checks that the feature works, and attacks no wall.

bats_require_minimum_version 1.5.0
load helpers

load egress_net
load npm_registry

REG_ENV='"env": {"NPM_CONFIG_REGISTRY": "http://registry.test:8081/"}'

# tool_config NAME JSON: the config NAME, for root and for the user.
tool_config() {
    install_config "$1" "$2"
    printf '%s\n' "$2" >"$UDATA/coco/tools/$1.json"
    chown "$TESTUSER:" "$UDATA/coco/tools/$1.json"
    chmod 0644 "$UDATA/coco/tools/$1.json"
}

# reg_config NAME SPEC COMMAND [MORE-JSON]: a native config installing
# npm:SPEC from the test registry, running COMMAND with the working
# directory on /workspace.
reg_config() {
    tool_config "$1" '{"tool": "npm:'"$2"'", "command": "'"$3"'",
      "runtime": "native", '"$REG_ENV"',
      "allowed_hosts": ['"${REG_HOSTS:-\"registry.test:8081\"}"'],
      "mounts": [{"src": ".", "dst": "/workspace"}]'"${4:+, $4}"'}'
}

# envs_of WHO / home_of WHO / state_of WHO / work_of WHO: host paths.
envs_of() { if [[ $1 == root ]]; then echo "$XDG_DATA_HOME/coco/envs"; else echo "$UDATA/coco/envs"; fi; }
home_of() { if [[ $1 == root ]]; then echo "$HOME"; else echo "$UHOME"; fi; }
state_of() { echo "$(home_of "$1")/.local/state/coco"; }
work_of() { if [[ $1 == root ]]; then echo "$WORK"; else echo "$UWORK"; fi; }

# as_owner WHO CMD...: CMD on the host as WHO (the install's owner).
as_owner() {
    if [[ $1 == root ]]; then
        shift
        "$@"
    else
        shift
        runuser -u "$TESTUSER" -- "$@"
    fi
}

# packument_gets NAME: how often the registry served NAME's packument.
packument_gets() {
    grep -c "got GET /$1 HTTP/1.1" "$EG_DIR/webserv.log" || true
}

# tree_state DIR: every path below DIR with its type, mode, size and
# content hash: what "nothing changed" is judged by.
tree_state() {
    (cd "$1" && find . -printf '%p %y %m %s %l\n' | sort &&
        find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}

# egress_net's setup (the user's dirs, the test client), then the registry
eval "$(declare -f setup | sed '1s/setup/egress_net_setup/')"
setup() {
    egress_net_setup
    npm_registry_require
}

@test "install: the first run installs and runs; the second reuses it; @1.0.0 pins; a changed spec installs anew" {
    local who envs n
    reg_config hello coco-t-hello coco-t-hello
    reg_config hello1 coco-t-hello@1.0.0 coco-t-hello
    for who in root user; do
        envs=$(envs_of "$who")
        run --separate-stderr as "$who" "$COCO" run hello world
        assert_status 0
        assert_line "hello 1.1.0 world"
        [[ $stderr == *"installing npm:coco-t-hello"* ]] || { echo "$stderr"; return 1; }
        [[ -L $envs/hello/current && -f $envs/hello/current/manifest.json ]]
        [[ $(readlink "$envs/hello/current") == v/1.1.0-* ]]
        [[ -x $envs/hello/current/root/node_modules/.bin/coco-t-hello ]]
        if [[ $who == user ]]; then
            [[ $(stat -c %U "$envs/hello/current/root/node_modules/coco-t-hello/package.json") == "$TESTUSER" ]]
        fi
        # the second run: no install, no packument fetched again
        n=$(packument_gets coco-t-hello)
        run --separate-stderr as "$who" "$COCO" run hello again
        assert_status 0
        assert_line "hello 1.1.0 again"
        [[ $stderr != *installing* ]] || { echo "$stderr"; return 1; }
        [[ $(packument_gets coco-t-hello) == "$n" ]]
        # a pinned version
        run --separate-stderr as "$who" "$COCO" run hello1 x
        assert_status 0
        assert_line "hello 1.0.0 x"
        [[ $(readlink "$envs/hello1/current") == v/1.0.0-* ]]
    done
    # the spec changes: the next run installs the new one
    reg_config hello coco-t-hello@1.0.0 coco-t-hello
    for who in root user; do
        envs=$(envs_of "$who")
        run --separate-stderr as "$who" "$COCO" run hello y
        assert_status 0
        assert_line "hello 1.0.0 y"
        [[ $stderr == *"installing npm:coco-t-hello@1.0.0"* ]] || { echo "$stderr"; return 1; }
        # what changes is said before the switch
        [[ $stderr == *"changes: 1 package changed or added, 0 removed: coco-t-hello 1.1.0 -> 1.0.0"* ]] || { echo "$stderr"; return 1; }
        [[ $(readlink "$envs/hello/current") == v/1.0.0-* ]]
        # the old version is gone, nothing half-done is left
        run ls -A "$envs/hello/v"
        [[ ${#lines[@]} -eq 1 && ${lines[0]} == 1.0.0-* ]] || { echo "$output"; return 1; }
    done
}

# no_evil WHO: no EVIL file on the host where coco-t-evildep aims (the
# user's home, /tmp, the data and work directories).
no_evil() {
    local f
    for f in "$(home_of "$1")/EVIL" /tmp/EVIL "$(work_of "$1")/EVIL"; do
        [[ ! -e $f ]] || { echo "found $f: $(cat "$f")"; return 1; }
    done
    run find "$(envs_of "$1")" "$TEST_TMP" -name EVIL
    [[ -z $output ]] || { echo "found: $output"; return 1; }
}

@test "install: phase F runs no package code; a dependency's install script that is not allowed never runs and is named" {
    [[ ! -e /tmp/EVIL ]] || skip "/tmp/EVIL exists on this host already"
    local who envs
    reg_config scripty coco-t-scripty coco-t-scripty
    for who in root user; do
        envs=$(envs_of "$who")
        run --separate-stderr as "$who" "$COCO" run scripty
        assert_status 0
        assert_line "scripty 1.0.0"
        [[ -f $envs/scripty/current/root/node_modules/coco-t-evildep/evil.js ]]
        run find "$envs" -name evildep-ran
        [[ -z $output ]] || { echo "evildep ran: $output"; return 1; }
        no_evil "$who"
        # the notice names the package and the way to allow it
        grep -q 'package coco-t-evildep has an install script; not run (to run it offline, add "install": {"allow_scripts": \["coco-t-evildep"\]}' <<<"$stderr" || {
            echo "stderr: $stderr"
            return 1
        }
        run node -e 'const m = require(process.argv[1]);
            console.log("not-run=" + m.scripts_not_run.join(","));
            console.log("run=" + m.scripts_run.join(","));' "$envs/scripty/current/manifest.json"
        assert_line "not-run=coco-t-evildep"
        assert_line "run=coco-t-scripty"
    done
}

@test "install: phase B runs the tool's own script and the allowed ones, as the user, offline, inside the install only" {
    [[ ! -e /tmp/EVIL ]] || skip "/tmp/EVIL exists on this host already"
    local who envs uid ran
    # the config's own network reaches good.test (phase F's does too):
    # phase B must still have none
    local REG_HOSTS='"registry.test:8081", "good.test"'
    reg_config scripty coco-t-scripty coco-t-scripty
    reg_config evil coco-t-scripty coco-t-scripty '"install": {"allow_scripts": ["coco-t-evildep"]}'
    for who in root user; do
        envs=$(envs_of "$who")
        # root's tools run as nobody (their files are root's on the host)
        if [[ $who == root ]]; then uid=65534; else uid=$(id -u "$TESTUSER"); fi
        run --separate-stderr as "$who" "$COCO" run scripty
        assert_status 0
        ran=$envs/scripty/current/root/node_modules/coco-t-scripty/postinstall-ran
        run cat "$ran"
        assert_line postinstall-ran
        assert_line "uid=$uid"
        assert_line "cwd=/opt/coco/env/node_modules/coco-t-scripty"
        assert_line "net=refused"
        assert_line done
        [[ $(stat -c %U "$ran") == "$(as_owner "$who" id -un)" ]]
        # allowed: evildep ran too, and harmed nothing outside its install
        run --separate-stderr as "$who" "$COCO" run evil
        assert_status 0
        assert_line "scripty 1.0.0"
        [[ $stderr != *"coco-t-evildep has an install script"* ]] || { echo "$stderr"; return 1; }
        run cat "$envs/evil/current/root/node_modules/coco-t-evildep/evildep-ran"
        assert_line "stage=preinstall"
        assert_line "stage=install"
        assert_line "uid=$uid"
        # the download cache the next install trusts: read-only in phase B
        assert_line "cache=denied EROFS /opt/coco/cache/EVIL"
        [[ ! -e $envs/evil/cache/install/EVIL ]]
        run cat "$envs/evil/current/root/node_modules/coco-t-scripty/postinstall-ran"
        assert_line "net=refused"
        no_evil "$who"
    done
}

@test "install: a git dependency asks another host during F: refused, audited, fast; nothing that looks installed is left" {
    local who envs t0
    reg_config gitdep coco-t-gitdep sh
    for who in root user; do
        envs=$(envs_of "$who")
        t0=$SECONDS
        run --separate-stderr as "$who" "$COCO" run gitdep -c 'echo ran'
        ((SECONDS - t0 < 30)) || { echo "took $((SECONDS - t0)) s"; return 1; }
        [[ $status -ne 0 ]]
        refute_line ran
        [[ $stderr == *"egress to github.com port 443 refused (not-allowlisted)"* ]] || { echo "stderr: $stderr"; return 1; }
        [[ $stderr == *"the installer asked for github.com:443, which fetch does not allow"* ]] || { echo "stderr: $stderr"; return 1; }
        [[ ! -e $envs/gitdep/current && ! -L $envs/gitdep/current ]]
        run ls -A "$envs/gitdep/v"
        [[ -z $output ]] || { echo "left: $output"; return 1; }
        run audit_log "$who"
        assert_contains '"tool":"gitdep"'
        assert_contains '"host":"github.com","port":443,"verdict":"deny","reason":"not-allowlisted"'
    done
}

# tamper KIND ROOT: change the installed tree at ROOT as its owner would.
tamper() {
    local r=$2
    case $1 in
    append) echo 'console.log("TAMPERED");' >>"$r/node_modules/coco-t-hello/bin/hello.js" ;;
    chmod) chmod 0777 "$r/node_modules/coco-t-hello/bin/hello.js" ;;
    symlink) rm "$r/node_modules/coco-t-dep/index.js" &&
        ln -s /etc/hostname "$r/node_modules/coco-t-dep/index.js" ;;
    add) printf '#!/bin/sh\necho TAMPERED\n' >"$r/node_modules/.bin/extra" &&
        chmod 0755 "$r/node_modules/.bin/extra" ;;
    esac
}

@test "install: a file changed after the install (content, mode, symlink, added) is refused by name, and nothing runs" {
    local who envs kind path
    reg_config hello coco-t-hello coco-t-hello
    for who in root user; do
        envs=$(envs_of "$who")
        for kind in append chmod symlink add; do
            case $kind in
            append | chmod) path=node_modules/coco-t-hello/bin/hello.js ;;
            symlink) path=node_modules/coco-t-dep/index.js ;;
            add) path=node_modules/.bin/extra ;;
            esac
            rm -rf -- "$envs/hello"
            run as "$who" "$COCO" run hello first
            assert_line "hello 1.1.0 first"
            as_owner "$who" bash -c "$(declare -f tamper); tamper $kind $envs/hello/current/root"
            run --separate-stderr as "$who" "$COCO" run hello second
            [[ $status -eq 125 ]] || { echo "$kind: status $status: $output $stderr"; return 1; }
            [[ -z $output ]] || { echo "$kind: it ran: $output"; return 1; }
            [[ $stderr == *"its install changed since coco made it ($path: "* ]] || {
                echo "$kind: stderr: $stderr"
                return 1
            }
        done
    done
}

@test "install: the tool cannot change its own install during a run" {
    local who envs before
    reg_config hsh coco-t-hello sh
    for who in root user; do
        envs=$(envs_of "$who")
        run as "$who" "$COCO" run hsh -c 'coco-t-hello in'
        assert_status 0
        assert_line "hello 1.1.0 in"
        before=$(tree_state "$envs/hsh/current/root")
        run as "$who" "$COCO" run hsh -c '
            e=/opt/coco/env; b=$e/node_modules/coco-t-hello/bin/hello.js
            echo "console.log(1)" >>"$b" && echo wrote-bin
            chmod 0777 "$b" && echo chmod-bin
            touch "$e/new" && echo added
            mkdir "$e/node_modules/.bin/x" && echo mkdir
            rm -f "$e/node_modules/coco-t-dep/index.js" && echo removed
            mv "$e/package.json" "$e/p.json" && echo moved
            ln -sf /etc/passwd "$e/node_modules/.bin/coco-t-hello" && echo relinked
            touch -d 2001-01-01 "$b" && echo touched
            echo done'
        assert_line done
        for w in wrote-bin chmod-bin added mkdir removed moved relinked touched; do
            refute_line "$w"
        done
        [[ $(tree_state "$envs/hsh/current/root") == "$before" ]]
        run as "$who" "$COCO" run hsh -c 'coco-t-hello again'
        assert_status 0
        assert_line "hello 1.1.0 again"
    done
}

@test "install: tool A, installing (its allowed script) or running, cannot change tool B's install or caches" {
    local who envs before
    reg_config victim coco-t-hello coco-t-hello
    reg_config reacher coco-t-reacher sh '"install": {"allow_scripts": ["coco-t-reacher"]}'
    for who in root user; do
        envs=$(envs_of "$who")
        run as "$who" "$COCO" run victim b
        assert_line "hello 1.1.0 b"
        mkdir -p "$envs/victim/cache/run/npm"
        chown -R "$(as_owner "$who" id -un):" "$envs/victim/cache/run"
        before=$(tree_state "$envs/victim")
        # A's install script tries every path to B it can name
        run --separate-stderr as "$who" "$COCO" run reacher -c '
            d=$1; for p in "$d/victim/REACHED" "$d/victim/cache/REACHED" "$d/victim/cache/run/REACHED" \
                "$d/victim/current/root/REACHED" "$d/victim/current/root/node_modules/.bin/coco-t-hello" \
                /opt/coco/env/../../envs/victim/REACHED /opt/coco/cache/../../victim/REACHED \
                "$HOME/.local/share/coco/envs/victim/REACHED" /coco/cache/../../victim/REACHED \
                /coco/cache/../victim/REACHED /coco/cache/victim/REACHED \
                /coco/cache/victim/cache/run/REACHED /coco/cache/victim/cache/install/REACHED; do
                echo x >>"$p" 2>/dev/null && echo "wrote $p"
            done; echo done' sh "$envs"
        assert_status 0
        assert_line done
        refute_contains wrote
        # it tried (from the host path in its mountinfo, too), and failed
        run cat "$envs/reacher/current/root/node_modules/coco-t-reacher/reacher-ran"
        assert_line done
        assert_contains "$envs/victim/cache/install/REACHED"
        assert_contains "$envs/victim/current/root/REACHED"
        if grep -E '^wrote .*victim' <<<"$output"; then return 1; fi
        assert_line "mount=$envs/reacher/cache/install on /opt/coco/cache"
        [[ $(tree_state "$envs/victim") == "$before" ]] || {
            diff <(echo "$before") <(tree_state "$envs/victim")
            return 1
        }
        run find "$TEST_TMP" -name REACHED -not -path '*/envs/reacher/*'
        [[ -z $output ]] || { echo "found: $output"; return 1; }
        run as "$who" "$COCO" run victim b2
        assert_line "hello 1.1.0 b2"
    done
}

# top_coco TOOL: the pid of the `coco run TOOL` whose parent is not coco.
top_coco() {
    local p
    for p in $(procs_with "run $1"); do
        [[ $(readlink "/proc/$p/exe" 2>/dev/null) == "$COCO" ]] || continue
        [[ $(cat "/proc/$(awk '{print $4}' "/proc/$p/stat")/comm" 2>/dev/null) == coco ]] && continue
        echo "$p"
        return 0
    done
}

@test "install: SIGKILL during phase F leaves nothing that looks installed; the next run installs cleanly" {
    local who envs log pid i
    reg_config killme coco-t-scripty coco-t-scripty
    for who in root user; do
        envs=$(envs_of "$who")
        log=$(state_of "$who")/logs/killme-install.log
        as "$who" "$COCO" run killme >"$TEST_TMP/kill.out" 2>&1 &
        BG_PIDS="${BG_PIDS:-} $!"
        for ((i = 0; i < 200; i++)); do
            grep -q 'phase F' "$log" 2>/dev/null && break
            sleep 0.02
        done
        grep -q 'phase F' "$log"
        pid=$(top_coco killme)
        [[ -n $pid ]]
        kill -KILL "$pid"
        wait
        # its sandbox went with it
        for ((i = 0; i < 100; i++)); do
            [[ -z $(procs_with "$envs/killme/v/.tmp-") ]] && break
            sleep 0.1
        done
        [[ -z $(procs_with "$envs/killme/v/.tmp-") ]]
        [[ ! -e $envs/killme/current && ! -L $envs/killme/current ]]
        run ls -A "$envs/killme/v"
        [[ $output == .tmp-* ]] || { echo "v/: $output"; return 1; }
        run --separate-stderr as "$who" "$COCO" run killme
        assert_status 0
        assert_line "scripty 1.0.0"
        [[ -L $envs/killme/current ]]
        run ls -A "$envs/killme/v"
        [[ ${#lines[@]} -eq 1 && ${lines[0]} == 1.0.0-* ]] || { echo "v/: $output"; return 1; }
    done
}

@test "install: the real world: from an empty data directory, coco get eslint, then coco run eslint lints a project (findings, exit 1)" {
    curl -sS -m 20 -o /dev/null https://registry.npmjs.org/eslint 2>"$TEST_TMP/reach" ||
        skip "the npm registry is not reachable from this host: $(cat "$TEST_TMP/reach")"
    local who dir
    for who in root user; do
        dir=$(work_of "$who")
        printf 'module.exports = [{rules: {"no-unused-vars": "error", "no-undef": "error"}}];\n' >"$dir/eslint.config.js"
        printf 'const unused = 1;\nundefinedThing();\n' >"$dir/bad.js"
        chown "$(as_owner "$who" id -un):" "$dir/eslint.config.js" "$dir/bad.js"
        rm -rf -- "$(envs_of "$who")"
        AS_REAL=1 run as "$who" env COCO_STORE="$REPO_ROOT/store" "$COCO" get eslint
        assert_status 0
        AS_REAL=1 run --separate-stderr as "$who" "$COCO" run eslint bad.js
        [[ $status -eq 1 ]] || { echo "status $status: $output $stderr"; return 1; }
        assert_contains "'unused' is assigned a value but never used"
        assert_contains "'undefinedThing' is not defined"
        [[ $stderr == *"installing npm:eslint@9"* ]] || { echo "$stderr"; return 1; }
        [[ -L $(envs_of "$who")/eslint/current ]]
    done
}

@test "install: the real world: prettier --check and tsc --noEmit through the links coco up made, installed at their first run" {
    curl -sS -m 20 -o /dev/null https://registry.npmjs.org/prettier 2>"$TEST_TMP/reach" ||
        skip "the npm registry is not reachable from this host: $(cat "$TEST_TMP/reach")"
    local who dir bin
    for who in root user; do
        dir=$(work_of "$who")
        bin=$dir/bin
        printf 'const  a = {b:1}\n' >"$dir/ugly.js"
        printf 'const a = { b: 1 };\n' >"$dir/pretty.js"
        printf 'const n: number = "not a number";\nexport {};\n' >"$dir/bad.ts"
        mkdir -p "$bin"
        chown -R "$(as_owner "$who" id -un):" "$dir/ugly.js" "$dir/pretty.js" "$dir/bad.ts" "$bin"
        rm -rf -- "$(envs_of "$who")"
        AS_REAL=1 run as "$who" env COCO_STORE="$REPO_ROOT/store" "$COCO" get prettier
        assert_status 0
        AS_REAL=1 run as "$who" env COCO_STORE="$REPO_ROOT/store" "$COCO" get tsc
        assert_status 0
        AS_REAL=1 run as "$who" env COCO_BIN_DIR="$bin" "$COCO" up
        assert_status 0
        [[ -L $bin/prettier && -L $bin/tsc ]]
        AS_REAL=1 run --separate-stderr as "$who" "$bin/prettier" --check ugly.js pretty.js
        [[ $status -eq 1 ]] || { echo "status $status: $output $stderr"; return 1; }
        [[ "$output$stderr" == *"[warn] ugly.js"* && "$output$stderr" != *"[warn] pretty.js"* ]] || { echo "$output $stderr"; return 1; }
        [[ $stderr == *"installing npm:prettier@3"* ]] || { echo "$stderr"; return 1; }
        AS_REAL=1 run --separate-stderr as "$who" "$bin/tsc" --noEmit bad.ts
        [[ $status -ne 0 ]] || { echo "tsc passed: $output"; return 1; }
        assert_contains "bad.ts(1,7): error TS2322"
        [[ $stderr == *"installing npm:typescript@5"* ]] || { echo "$stderr"; return 1; }
        # the second run installs nothing
        AS_REAL=1 run --separate-stderr as "$who" "$bin/prettier" --check pretty.js
        assert_status 0
        [[ $stderr != *installing* ]] || { echo "$stderr"; return 1; }
    done
}

@test "install: a new install never removes the version a running tool uses; an install directory others may write is refused" {
    local who envs bg old
    for who in root user; do
        envs=$(envs_of "$who")
        reg_config long coco-t-hello@1.0.0 sh
        run as "$who" "$COCO" run long -c 'coco-t-hello warm'
        assert_line "hello 1.0.0 warm"
        old=$(readlink "$envs/long/current")
        # a run that is still using 1.0.0 when 1.1.0 becomes current
        as "$who" "$COCO" run long -c 'sleep 4; coco-t-hello still' >"$TEST_TMP/long.out" 2>&1 &
        bg=$!
        BG_PIDS="${BG_PIDS:-} $bg"
        sleep 1.5
        reg_config long coco-t-hello@1.1.0 sh
        run as "$who" "$COCO" run long -c 'coco-t-hello new'
        assert_line "hello 1.1.0 new"
        [[ $(readlink "$envs/long/current") == v/1.1.0-* ]]
        [[ -d $envs/long/$old/root ]] || { echo "$old was removed under a running tool"; return 1; }
        wait "$bg"
        run cat "$TEST_TMP/long.out"
        assert_line "hello 1.0.0 still"
        # once nobody uses it, the next install removes it
        reg_config long coco-t-hello sh
        run as "$who" "$COCO" install long
        assert_status 0
        [[ ! -e $envs/long/$old ]]
        # the tool's directory writable by others: refused, nothing runs
        chmod 0777 "$envs/long"
        run --separate-stderr as "$who" "$COCO" run long -c 'echo ran'
        assert_status 125
        refute_line ran
        [[ $stderr == *"not a directory of yours that only you may write"* ]] || { echo "$stderr"; return 1; }
        chmod 0700 "$envs/long"
    done
}

@test "install: install.allowed_hosts reaches a registry for the install only; the run keeps network none" {
    local who
    tool_config rnet '{"tool": "npm:coco-t-hello", "command": "sh",
      "runtime": "native", '"$REG_ENV"', "network": "none",
      "install": {"allowed_hosts": ["registry.test:8081"]},
      "mounts": [{"src": ".", "dst": "/workspace"}]}'
    for who in root user; do
        run as "$who" "$COCO" show rnet
        assert_contains "network    none"
        assert_contains "fetch from registry.npmjs.org, registry.test:8081"
        run --separate-stderr as "$who" "$COCO" run rnet -c \
            "coco-t-hello x; $CURL -o /dev/null -w 'reg %{http_code}\n' http://registry.test:8081/coco-t-hello; echo curl=\$?; $CURL -o /dev/null http://registry.npmjs.org/; echo npmjs=\$?"
        assert_line "hello 1.1.0 x"
        [[ $stderr == *"fetching from registry.npmjs.org, registry.test:8081"* ]] || { echo "$stderr"; return 1; }
        # the run: no network at all (no proxy, nothing listens)
        refute_line --partial "reg 200"
        refute_line "curl=0"
        refute_line "npmjs=0"
    done
}

@test "install: coco install again from the lock, coco verify finds a changed file the quick check cannot, prune removes it" {
    local who envs f
    reg_config hv coco-t-hello coco-t-hello
    for who in root user; do
        envs=$(envs_of "$who")
        run --separate-stderr as "$who" "$COCO" install hv
        assert_status 0
        assert_line "hv: 1.1.0"
        run as "$who" "$COCO" verify hv
        assert_status 0
        assert_line "hv: ok"
        # same size, same inode, mtime put back: only the full check sees it
        f=$envs/hv/current/root/node_modules/coco-t-dep/index.js
        as_owner "$who" sh -c 't=$(stat -c %y "$1"); sed -i.bak "s/./X/" "$1" 2>/dev/null || true; rm -f "$1.bak"; touch -d "$t" "$1"' _ "$f" || true
        # sed -i replaces the inode: do it in place instead
        as_owner "$who" sh -c 't=$(stat -c %y "$1"); printf X | dd of="$1" bs=1 count=1 conv=notrunc 2>/dev/null; touch -d "$t" "$1"' _ "$f"
        run as "$who" "$COCO" verify hv
        assert_status 125
        assert_contains "hv: CHANGED: node_modules/coco-t-dep/index.js"
        # coco install puts it back from the recorded lock
        run --separate-stderr as "$who" "$COCO" install hv
        assert_status 0
        [[ $stderr == *"again, from its lock"* ]] || { echo "$stderr"; return 1; }
        run as "$who" "$COCO" verify hv
        assert_status 0
        run as "$who" "$COCO" run hv z
        assert_line "hello 1.1.0 z"
        # a record that does not match its tree is refused too
        as_owner "$who" sed -i 's/"tree_sha256": "[0-9a-f]*"/"tree_sha256": "0000000000000000000000000000000000000000000000000000000000000000"/' "$envs/hv/current/install.json"
        run as "$who" "$COCO" run hv z
        assert_status 125
        assert_contains "does not match its manifest"
        run as "$who" "$COCO" prune hv
        assert_contains "hv: removed its install and caches"
        [[ ! -e $envs/hv ]]
        run as "$who" "$COCO" verify hv
        assert_status 125
        assert_contains "not installed by coco"
    done
}
