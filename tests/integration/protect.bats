#!/usr/bin/env bats
# protect.bats — protected host-executed files on the native backend, as
# root and as a normal user (podman.bats and docker.bats run the same
# attack on the engines).  A hostile tool with a writable workspace
# writes what the host runs next: git hooks, git config, a new .git after
# moving the real one away, .envrc, .vscode/tasks.json, .mcp.json.
# Judged from the host: the existing ones are unchanged, the created ones
# are moved aside to NAME.coco-blocked and named on stderr, the tool's
# exit code is kept.  Also: protect.allow, a .git file's gitdir:, a
# symlink pointing out of the workspace, --report and coco show.

bats_require_minimum_version 1.5.0
load helpers

TESTUSER=${COCO_TEST_USER:-cocotest}

setup_file() {
    if [[ $(id -u) -ne 0 ]]; then
        export PROTECT_SKIP="these tests create a user and run as root"
        return 0
    fi
    if ! command -v git >/dev/null; then
        export PROTECT_SKIP="git is not installed"
        return 0
    fi
    if ! id "$TESTUSER" >/dev/null 2>&1; then
        useradd -m "$TESTUSER" || export PROTECT_SKIP="useradd $TESTUSER failed"
    fi
}

setup() {
    [[ -z ${PROTECT_SKIP:-} ]] || skip "$PROTECT_SKIP"
    common_setup
    export COCO_RUNTIME=native
    user_dirs
    # the hostile tool: /bin/sh running the fixture's script
    sh_config sh
}

teardown() {
    common_teardown
}

# sh_config NAME [EXTRA-JSON]: /bin/sh with the workspace, for root and
# for the test user.
sh_config() {
    local json='{"command": "/bin/sh", "runtime": "native",
  "mounts": [{"src": ".", "dst": "/workspace"}]'"${2:+, $2}"'}'
    install_config "$1" "$json"
    printf '%s\n' "$json" >"$UDATA/coco/tools/$1.json"
    chown "$TESTUSER:" "$UDATA/coco/tools/$1.json"
    chmod 0644 "$UDATA/coco/tools/$1.json"
}

# as_user CMD...: CMD as the test user in its workspace, its own configs.
as_user() {
    (cd "$UWORK" && runuser -u "$TESTUSER" -- env -i PATH=/usr/bin:/bin \
        HOME="$UHOME" XDG_DATA_HOME="$UDATA" TERM=dumb "$@")
}

@test "protect: native as root: hooks, config and .envrc stay, .git cannot be moved away, created files are moved aside" {
    protect_fixture "$WORK"
    # the attack works without coco (so the test can fail)
    cp -a "$WORK" "$TEST_TMP/bare"
    (cd "$TEST_TMP/bare" && sh protect_attack.sh >/dev/null 2>&1) || true
    [[ -e $TEST_TMP/bare/.git.old && -f $TEST_TMP/bare/.envrc ]]
    run "$COCO" run sh protect_attack.sh
    protect_assert_held "$WORK"
    assert_contains "the tool created files your host would run"
}

@test "protect: native as a normal user: the same attack is held" {
    protect_fixture "$UWORK"
    chown -R "$TESTUSER:" "$UWORK"
    run as_user "$COCO" run sh protect_attack.sh
    protect_assert_held "$UWORK"
    # what was moved aside still belongs to the user
    [[ $(stat -c %U "$UWORK/.envrc.coco-blocked") == "$TESTUSER" ]]
}

@test "protect: --report lists what the tool created; nothing created, nothing moved" {
    git init -q "$WORK"
    run "$COCO" run --report sh -c 'printf x >.envrc; exit 3'
    assert_status 3
    assert_contains "host-executed files report:"
    assert_contains "created, moved aside to .envrc.coco-blocked  $WORK/.envrc"
    [[ -f $WORK/.envrc.coco-blocked && ! -e $WORK/.envrc ]]
    run "$COCO" run --report sh -c 'printf x >notes.txt'
    assert_status 0
    assert_contains "host-executed files report: none created or changed"
    refute_contains "moved aside"
}

@test "protect: protect.allow makes .git/config writable (and only it); show marks it as a risk" {
    git init -q "$WORK"
    sh_config gitc '"protect": {"allow": [".git/config"]}'
    run "$COCO" show gitc
    assert_status 0
    assert_contains "! read+write  $WORK/.git/config"
    assert_contains "read-only   $WORK/.git/hooks"
    assert_contains "! RISK: protect.allow \".git/config\""
    run "$COCO" show sh
    assert_contains "read-only   $WORK/.git/config"
    refute_contains "RISK: protect.allow"
    run "$COCO" run --report gitc -c 'git config user.name coco-test && touch .git/hooks/pre-push'
    assert_status 1
    [[ $(git -C "$WORK" config user.name) == coco-test ]]
    [[ ! -e $WORK/.git/hooks/pre-push ]]
    # git writes its config anew (a lock file renamed over it)
    assert_contains "replaced (allowed by the config)  $WORK/.git/config"
    # as the user too
    git init -q "$UWORK"
    chown -R "$TESTUSER:" "$UWORK"
    run as_user "$COCO" run gitc -c 'git config user.name coco-user'
    assert_status 0
    grep -q "name = coco-user" "$UWORK/.git/config"
}

@test "protect: protect.allow takes only protected names" {
    sh_config bad '"protect": {"allow": [".bashrc"]}'
    run "$COCO" show bad
    assert_coco_error "bad.json: protect.allow[0]" '".bashrc": not a protected path' ".git/config"
    sh_config bad2 '"protect": {"deny": []}'
    run "$COCO" show bad2
    assert_coco_error "bad2.json: protect.deny: unknown key"
}

@test "protect: a .git file's gitdir: (a submodule) is protected, and so is the .git file" {
    # a submodule's layout: sub/.git says where its git directory is
    git init -q "$WORK"
    mkdir -p "$WORK/sub" "$WORK/.git/modules/sub/hooks"
    printf '[core]\n\tbare = false\n' >"$WORK/.git/modules/sub/config"
    printf 'gitdir: ../.git/modules/sub\n' >"$WORK/sub/.git"
    cp "$WORK/.git/modules/sub/config" "$TEST_TMP/subconfig"
    for who in root user; do
        run_as=()
        dir=$WORK
        if [[ $who == user ]]; then
            rm -rf "$UWORK" && cp -a "$WORK" "$UWORK" && chown -R "$TESTUSER:" "$UWORK"
            run_as=(as_user)
            dir=$UWORK
        fi
        run "${run_as[@]}" "$COCO" run sh -c '
            printf "[core]\n\tfsmonitor = pwned\n" >>sub/../.git/modules/sub/config && echo ATTACK-CONFIG
            printf "#!/bin/sh\n" >.git/modules/sub/hooks/post-checkout && echo ATTACK-HOOK
            printf "gitdir: /tmp/evil\n" >sub/.git && echo ATTACK-GITFILE
            mv .git/modules .git/m2 && echo ATTACK-MOVED
            exit 5'
        assert_status 5
        refute_contains ATTACK-CONFIG
        refute_contains ATTACK-HOOK
        refute_contains ATTACK-GITFILE
        refute_contains ATTACK-MOVED
        cmp "$TEST_TMP/subconfig" "$dir/.git/modules/sub/config"
        [[ $(cat "$dir/sub/.git") == "gitdir: ../.git/modules/sub" ]]
        [[ -z $(ls -A "$dir/.git/modules/sub/hooks") ]]
    done
}

@test "protect: a symlink .envrc pointing out of the workspace is not followed" {
    mkdir -p "$TEST_TMP/outside"
    printf 'export HOST=1\n' >"$TEST_TMP/outside/envrc"
    ln -s "$TEST_TMP/outside/envrc" "$WORK/.envrc"
    run "$COCO" run sh -c 'printf "echo pwned\n" >>.envrc; rm .envrc && printf "echo pwned\n" >.envrc && echo replaced; exit 6'
    assert_status 6
    assert_contains replaced
    # the target outside was neither written nor bound nor moved
    [[ $(cat "$TEST_TMP/outside/envrc") == "export HOST=1" ]]
    [[ -f $TEST_TMP/outside/envrc && ! -e $TEST_TMP/outside/envrc.coco-blocked ]]
    # the tool's replacement is moved aside
    [[ ! -e $WORK/.envrc && $(cat "$WORK/.envrc.coco-blocked") == "echo pwned" ]]
    assert_contains "replaced $WORK/.envrc -> $WORK/.envrc.coco-blocked"
    ln -s "$TEST_TMP/outside/envrc" "$WORK/.envrc"
    run "$COCO" show sh
    assert_contains "compared    $WORK/.envrc (a symlink: replacing it is caught after the run"
    refute_contains "$TEST_TMP/outside/envrc"
}

@test "protect: an existing NAME.coco-blocked is never overwritten" {
    printf 'old\n' >"$WORK/.envrc.coco-blocked"
    run "$COCO" run sh -c 'printf new >.envrc'
    assert_status 0
    [[ $(cat "$WORK/.envrc.coco-blocked") == old ]]
    [[ $(cat "$WORK/.envrc.coco-blocked.1") == new ]]
}

@test "protect: a symlink .envrc pointing into the workspace protects what it names" {
    for who in root user; do
        run_as=()
        dir=$WORK
        if [[ $who == user ]]; then
            run_as=(as_user)
            dir=$UWORK
        fi
        mkdir -p "$dir/scripts"
        printf 'export TRUSTED=1\n' >"$dir/scripts/env.sh"
        ln -s scripts/env.sh "$dir/.envrc"
        [[ $who == user ]] && chown -R "$TESTUSER:" "$UWORK"
        run "${run_as[@]}" "$COCO" run sh -c '
            printf "echo pwned\n" >>.envrc && echo ATTACK-LINK
            printf "echo pwned\n" >>scripts/env.sh && echo ATTACK-TARGET
            exit 4'
        assert_status 4
        refute_contains ATTACK-LINK
        refute_contains ATTACK-TARGET
        [[ $(cat "$dir/scripts/env.sh") == "export TRUSTED=1" ]]
        [[ -L $dir/.envrc ]]
    done
    run "$COCO" show sh
    assert_contains "read-only   $WORK/scripts/env.sh (what a protected symlink names)"
}

# Every protected name: the files, then the directories (protect.h's list).
PROTECTED_FILES=(.git/config .gitmodules .envrc .mcp.json)
PROTECTED_DIRS=(.git/hooks .husky .vscode .idea .claude)

@test "protect: each protected name, existing, cannot be written, removed or moved (root and user)" {
    for who in root user; do
        run_as=()
        dir=$WORK
        if [[ $who == user ]]; then
            run_as=(as_user)
            dir=$UWORK
        fi
        mkdir -p "$dir/.git"
        for f in "${PROTECTED_FILES[@]}"; do printf 'trusted\n' >"$dir/$f"; done
        for d in "${PROTECTED_DIRS[@]}"; do
            mkdir -p "$dir/$d"
            printf 'trusted\n' >"$dir/$d/keep"
        done
        [[ $who == user ]] && chown -R "$TESTUSER:" "$UWORK"
        # the attack works on the host (so the test can fail)
        cp -a "$dir" "$TEST_TMP/bare-$who"
        (cd "$TEST_TMP/bare-$who" && printf 'pwned\n' >>.envrc && mkdir -p .husky && printf x >.husky/pre-commit)
        grep -q pwned "$TEST_TMP/bare-$who/.envrc"
        run "${run_as[@]}" "$COCO" run sh -c '
            for f in .git/config .gitmodules .envrc .mcp.json; do
                printf "pwned\n" >>"$f" && echo "ATTACK wrote $f"
                rm -f "$f" && echo "ATTACK removed $f"
                mv "$f" "$f.x" && echo "ATTACK moved $f"
            done
            for d in .git/hooks .husky .vscode .idea .claude; do
                printf "pwned\n" >"$d/pre-commit" && echo "ATTACK wrote $d"
                rm -rf "$d" && echo "ATTACK removed $d"
                mv "$d" "$d.x" && echo "ATTACK moved $d"
            done
            exit 9'
        assert_status 9
        refute_contains ATTACK
        for f in "${PROTECTED_FILES[@]}"; do
            [[ $(cat "$dir/$f") == trusted && ! -e $dir/$f.x ]] || {
                echo "$who: $f changed" >&2
                return 1
            }
        done
        for d in "${PROTECTED_DIRS[@]}"; do
            [[ $(ls -A "$dir/$d") == keep && ! -e $dir/$d.x ]] || {
                echo "$who: $d changed: $(ls -A "$dir/$d")" >&2
                return 1
            }
        done
    done
}

@test "protect: each protected name the tool creates is moved aside and named (root and user)" {
    for who in root user; do
        run_as=()
        dir=$WORK
        if [[ $who == user ]]; then
            run_as=(as_user)
            dir=$UWORK
            chown -R "$TESTUSER:" "$UWORK"
        fi
        run "${run_as[@]}" "$COCO" run sh -c '
            mkdir -p .git
            for f in .git/config .gitmodules .envrc .mcp.json; do printf "pwned\n" >"$f"; done
            for d in .git/hooks .husky .vscode .idea .claude; do
                mkdir -p "$d" && printf "pwned\n" >"$d/pre-commit"
            done
            exit 8'
        assert_status 8
        for p in "${PROTECTED_FILES[@]}" "${PROTECTED_DIRS[@]}"; do
            [[ ! -e $dir/$p && -e $dir/$p.coco-blocked ]] || {
                echo "$who: $p was not moved aside" >&2
                return 1
            }
            assert_contains "created $dir/$p -> $dir/$p.coco-blocked"
        done
    done
}
