# bash completion for crosswalk, the command-line client of crosswalkd.
#
# Install: source this file from ~/.bashrc, or copy it to
# /usr/share/bash-completion/completions/crosswalk.  It completes the
# commands, the actions of org, control, evidence, scope and log, every option
# of each, the fixed values of --format, --color, --status and --result,
# and file names where a file is taken.  tests/cli/test_completion.py
# checks that every command and option `crosswalk help` prints is here.

_crosswalk_opts() {
    # the options of command $1 (and action $2)
    local out="--format --output -o"
    case "$1 $2" in
        "call "*) echo "--help" ;;
        "load "*) echo "--org --framework --batch-size --encoding --replace --dry-run --source-framework --target-framework --catalog --help" ;;
        "export "*) echo "--framework --target-framework --format --output -o --help" ;;
        "coverage "*) echo "--org --framework --as-of --as-recorded --max-hops --detail $out --help" ;;
        "gap "*) echo "--org --target --source --as-of --as-recorded --max-hops $out --help" ;;
        "compare "*) echo "--source --target --max-hops --as-of $out --help" ;;
        "soa "*) echo "--org --as-of --version $out --help" ;;
        "risks "*) echo "--org --as-of --assets $out --help" ;;
        "audit "*) echo "--org --audit --as-of $out --help" ;;
        "findings "*) echo "--org --audit --framework --requirement --as-of $out --help" ;;
        "check "*) echo "--framework $out --help" ;;
        "watch "*) echo "--org --framework --controls --lag --since --json --format --help" ;;
        "log ") echo "--org --since --limit --from --to --before --json --format --help" ;;
        "log list") echo "--org --since --limit --json --format --help" ;;
        "log head") echo "--json --format --help" ;;
        "log verify") echo "--from --to --json --format --help" ;;
        "log compact") echo "--before --json --format --help" ;;
        "expiring "*) echo "--org --within --as-of --framework --json --format --help" ;;
        "readiness "*) echo "--org --framework --date --json --format --help" ;;
        "changes "*) echo "--org --framework --from --to --json --format --help" ;;
        "diff "*) echo "--org --framework --from --to --today-records --json --format --help" ;;
        "period "*) echo "--org --framework --from --to --today-records --json --format --help" ;;
        "version "*) echo "--client --help" ;;
        "org list") echo "$out --help" ;;
        "org get") echo "--org $out --help" ;;
        "org put") echo "--org --name --dry-run --help" ;;
        "org delete") echo "--org --help" ;;
        "control list") echo "--org $out --help" ;;
        "control get") echo "--org --as-of $out --help" ;;
        "control put") echo "--org --title --owner --status --link --file --dry-run --help" ;;
        "control delete") echo "--org --help" ;;
        "evidence list") echo "--org --control $out --help" ;;
        "evidence get") echo "--org $out --help" ;;
        "evidence put") echo "--org --control --collected-at --result --valid-until --kind --title --source --uri --sha256 --file --dry-run --help" ;;
        "evidence delete") echo "--org --help" ;;
        "scope list" | "scope get") echo "--org --framework $out --help" ;;
        "scope put") echo "--org --framework --exclude --include --justification --reason --file --dry-run --help" ;;
        "scope delete") echo "--org --framework --help" ;;
    esac
}

_crosswalk() {
    local cur prev cmd="" action="" i w
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev="${COMP_WORDS[COMP_CWORD-1]}"
    local commands="call load export coverage gap compare soa risks audit findings check watch log expiring readiness changes diff period org control evidence scope version help"
    local globals="--server --token-file --color --no-pager --version --help"
    # the command, and for org/control/evidence/scope the action, skipping
    # the global options and their values
    for ((i = 1; i < COMP_CWORD; i++)); do
        w="${COMP_WORDS[i]}"
        if [[ -z "$cmd" ]]; then
            case "$w" in
                --server | --token-file | --color) ((i++)) ;;
                -*) ;;
                *) cmd="$w" ;;
            esac
        elif [[ -z "$action" && "$cmd" =~ ^(org|control|evidence|scope|log)$ && "$w" != -* ]]; then
            action="$w"
        elif [[ "$w" =~ ^--(org|since|limit|from|to|before|lag|within|framework|as-of)$ ]]; then
            ((i++)) # an option's value is no action
        fi
    done
    case "$prev" in
        --format)
            if [[ "$cmd" == export ]]; then
                COMPREPLY=($(compgen -W "csv oscal" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "table md csv json html" -- "$cur"))
            fi
            return ;;
        --color) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
        --status) COMPREPLY=($(compgen -W "implemented planned not_implemented" -- "$cur")); return ;;
        --result) COMPREPLY=($(compgen -W "pass fail unknown" -- "$cur")); return ;;
        --output | -o | --file | --token-file | --catalog)
            COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --server | --org | --framework | --target | --source | --target-framework | \
            --source-framework | --as-of | --max-hops | --batch-size | --encoding | --name | \
            --title | --owner | --link | --control | --collected-at | --valid-until | --kind | \
            --uri | --sha256 | --justification | --lag | --since | --limit | --from | --to | \
            --before | --within)
            return ;;
    esac
    if [[ -z "$cmd" ]]; then
        if [[ "$cur" == -* ]]; then
            COMPREPLY=($(compgen -W "$globals" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$commands" -- "$cur"))
        fi
        return
    fi
    case "$cmd" in
        help)
            COMPREPLY=($(compgen -W "$commands --help" -- "$cur")); return ;;
        org | control | evidence | scope)
            if [[ -z "$action" ]]; then
                COMPREPLY=($(compgen -W "list get put delete --help" -- "$cur"))
                return
            fi ;;
        log)
            # no action is the list, so its options are offered beside them
            if [[ -z "$action" && "$cur" != -* ]]; then
                COMPREPLY=($(compgen -W "head verify compact" -- "$cur"))
                return
            fi ;;
    esac
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$(_crosswalk_opts "$cmd" "$action")" -- "$cur"))
    elif [[ "$cmd" == load ]]; then
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}

complete -o default -F _crosswalk crosswalk
