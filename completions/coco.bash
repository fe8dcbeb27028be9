# bash completion for coco(1)                                -*- shell-script -*-
#
# Installed by `make install` as
# $(PREFIX)/share/bash-completion/completions/coco; or source it from
# ~/.bashrc.  It needs nothing from the bash-completion package, and it
# never runs coco: it only lists file names, so completing cannot start a
# tool or read a config's content.
#
#   coco <TAB>                     commands
#   coco run [--runtime R] [--dry-run] [--report] [--] TOOL ARGS...
#                                  options and runtimes before TOOL, tool
#                                  names from the config directory, then
#                                  file names for the tool's arguments
#   coco show|prune TOOL           tool names
#   coco install [--upgrade] TOOL...  --upgrade, then tool names
#   coco verify [TOOL...]          tool names
#   coco up [--force NAME...]      --force, then tool names
#   coco get NAME [--force]        names in the local store
#   coco list [-l]                 -l
#   coco rebuild [--base IMAGE]    --base

_coco_commands=(run list show get up down install verify prune rebuild help version)
_coco_runtimes=(native podman docker)

# Print the names of NAME.json files in directory $1, one per line.
_coco_json_names() {
    local dir=$1 f
    [[ -d $dir ]] || return 0
    for f in "$dir"/*.json; do
        [[ -f $f ]] || continue
        f=${f##*/}
        printf '%s\n' "${f%.json}"
    done
}

# Configured tools: the directory coco reads configs from.  coco uses
# XDG_DATA_HOME only when it is an absolute path.
_coco_tools() {
    local data=${XDG_DATA_HOME:-}
    [[ $data == /* ]] || data=$HOME/.local/share
    _coco_json_names "$data/coco/tools"
}

# Names `coco get` can fetch: the COCO_STORE directory (a URL store cannot
# be listed), else the installed store.  Nothing when neither exists.
_coco_store() {
    local store=${COCO_STORE:-}
    if [[ -n $store ]]; then
        [[ $store == /* && -d $store ]] && _coco_json_names "$store"
        return 0
    fi
    _coco_json_names /usr/local/share/coco/store
}

# COMPREPLY from the words on stdin that start with $1.
_coco_reply() {
    local cur=$1 w
    COMPREPLY=()
    while IFS= read -r w; do
        [[ -n $w && $w == "$cur"* ]] && COMPREPLY+=("$w")
    done
}

# File names for the tool's own arguments: readline's default completion
# when we run inside a completion, else (a test, or an old bash) compgen.
_coco_files() {
    local cur=$1
    COMPREPLY=()
    if ! compopt -o default 2>/dev/null; then
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    fi
}

_coco_run() {
    local cur=$1 i=$2 w
    local -a words=("${COMP_WORDS[@]}")
    local cword=$COMP_CWORD

    # A value for --runtime: "--runtime R", "--runtime=R" kept whole, or
    # "--runtime" "=" "R" when '=' is in COMP_WORDBREAKS (the default).
    if [[ ${words[cword - 1]} == --runtime ]]; then
        [[ $cur == = ]] && cur=
        _coco_reply "$cur" < <(printf '%s\n' "${_coco_runtimes[@]}")
        return 0
    fi
    if [[ ${words[cword - 1]} == = && ${words[cword - 2]} == --runtime ]]; then
        _coco_reply "$cur" < <(printf '%s\n' "${_coco_runtimes[@]}")
        return 0
    fi
    if [[ $cur == --runtime=* ]]; then
        _coco_reply "$cur" < <(printf -- '--runtime=%s\n' "${_coco_runtimes[@]}")
        return 0
    fi

    # Walk the words before the cursor as cli_parse_run() does: options
    # only until TOOL (or after "--"), then everything is the tool's.
    local dashdash=0
    for ((; i < cword; i++)); do
        w=${words[i]}
        if ((dashdash)); then
            _coco_files "$cur"
            return 0
        fi
        case $w in
        --) dashdash=1 ;;
        --runtime)
            if [[ ${words[i + 1]:-} == = ]]; then
                i=$((i + 2))
            else
                i=$((i + 1))
            fi
            ;;
        --runtime=* | --dry-run | -n | --report) ;;
        -?*) ;;
        *)
            # TOOL is behind the cursor: complete its arguments.
            _coco_files "$cur"
            return 0
            ;;
        esac
    done

    if [[ $cur == -* ]] && ((!dashdash)); then
        _coco_reply "$cur" < <(printf -- '%s\n' --runtime --dry-run --report --)
        return 0
    fi
    _coco_reply "$cur" < <(_coco_tools)
}

_coco() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local cword=$COMP_CWORD
    COMPREPLY=()

    if ((cword == 1)); then
        if [[ $cur == -* ]]; then
            _coco_reply "$cur" < <(printf -- '%s\n' --help --version)
        else
            _coco_reply "$cur" < <(printf '%s\n' "${_coco_commands[@]}")
        fi
        return 0
    fi

    local cmd=${COMP_WORDS[1]}
    case $cmd in
    run)
        _coco_run "$cur" 2
        ;;
    show | prune)
        ((cword == 2)) && _coco_reply "$cur" < <(_coco_tools)
        ;;
    install)
        if [[ $cur == -* ]]; then
            _coco_reply "$cur" < <(printf -- '%s\n' --upgrade)
        else
            _coco_reply "$cur" < <(_coco_tools)
        fi
        ;;
    verify)
        _coco_reply "$cur" < <(_coco_tools)
        ;;
    get)
        if [[ $cur == -* ]]; then
            _coco_reply "$cur" < <(printf -- '%s\n' --force)
        else
            local w have=0
            for w in "${COMP_WORDS[@]:2:cword-2}"; do
                [[ $w == -* ]] || have=1
            done
            ((have)) || _coco_reply "$cur" < <(_coco_store)
        fi
        ;;
    list)
        ((cword == 2)) && _coco_reply "$cur" < <(printf -- '%s\n' -l)
        ;;
    up)
        if ((cword == 2)); then
            _coco_reply "$cur" < <(printf -- '%s\n' --force)
        elif [[ ${COMP_WORDS[2]} == --force ]]; then
            _coco_reply "$cur" < <(_coco_tools)
        fi
        ;;
    rebuild)
        ((cword == 2)) && _coco_reply "$cur" < <(printf -- '%s\n' --base)
        ;;
    esac
    return 0
}

complete -F _coco coco
