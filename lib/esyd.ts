/**
 * `syd --sh`: the `esyd` shell function, this project's own implementation of the original
 * syd's helper of that name, with its subcommand names and behaviour for what this syd supports.
 * Each subcommand is one or more `stat(2)` calls of `/dev/syd/COMMAND` (`[ -c ... ]`), which
 * runs COMMAND as `-m COMMAND` would: exit 0 when done (or when a query is true), 1 otherwise.
 * POSIX sh, bash and zsh: `eval "$(syd --sh)"`. Subcommands of the original for features this
 * syd lacks say so and fail.
 *
 * @module
 */
import { ACTIONS, FD_CATEGORIES, PATH_CATEGORIES } from "./policy/vocab.ts";

/** The original esyd's subcommands for features this syd does not have. */
const UNSUPPORTED = [
  "exec",
  "force",
  "force_add",
  "force_del",
  "force_clr",
  "segvguard_expiry",
  "segvguard_suspension",
  "segvguard_maxcrashes",
  "ghost",
  "panic",
  "stat",
  "load",
  "read_lock",
  "have_force",
  "landlock_abi",
  "kill_mem",
  "nokill_mem",
  "filter_mem",
  "unfilter_mem",
  "kill_pid",
  "nokill_pid",
  "filter_pid",
  "unfilter_pid",
  "pipe_max",
  "xattr_max",
  "test",
];

/** The help text `esyd help` prints. */
function helpText(): string {
  const categories = [...PATH_CATEGORIES, ...FD_CATEGORIES, "net_bind", "net_connect"];
  return `esyd: configure syd from inside its sandbox, through /dev/syd
(each subcommand exits 0 when syd did it, or when a query is true; 1 otherwise)

  api                       print the API version (3), or fail outside syd
  check                     whether the program runs under syd (/dev/syd answers)
  info [JQ-ARGS...]         print the policy in force (JSON; through jq when it is installed)
  lock | unlock | exec_lock | drop_lock
                            set the lock: lock:on, lock:off, lock:exec, lock:drop
  enabled | enable | disable
                            query, turn on, turn off every category (sandbox/all)
  enabled_CAT | enable_CAT | disable_CAT
                            the same for one category (or net, fs, lock, mem, pid)
  allow | disallow [--all] | deny | nodeny [--all] PATH...
                            add or remove allow/all and deny/all rules (absolute paths)
  allow_CAT | disallow_CAT [--all] | deny_CAT | nodeny_CAT [--all] PATTERN...
                            the same for one category; allow_net, deny_net, ... take
                            [--connect] (net/bind by default) and addresses
  addfilter_CAT | rmfilter_CAT [--all] PATTERN...
                            add or remove filter/CAT rules (denied quietly)
  default_CAT ACTION        the category's default action (${ACTIONS.join(", ")})
  CAT_add | CAT_del | CAT_rem ACTION PATTERN...
                            add, remove the last equal, remove every equal ACTION/CAT rule
  kill GLOB...              kill a process that executes a matching path (kill/exec+GLOB)
  ioctl_deny REQUEST        deny an ioctl(2) request (deny/ioctl+REQUEST)
  mem_max SIZE | vm_max SIZE | pid_max COUNT
                            memory and process limits (mem/max, mem/vm_max, pid/max)
  help                      print this text

  --all removes every equal rule (^) instead of the most recent one (-).
  CAT: ${categories.join(", ")}.
  Not supported by this syd: ${UNSUPPORTED.join(", ")}.
`;
}

/**
 * The shell text `syd --sh` prints: the `esyd` function and its `_esyd_*` helpers.
 *
 * @example
 * ```ts
 * esydScript().includes("esyd() {"); // true
 * ```
 */
export function esydScript(): string {
  const pathWords = PATH_CATEGORIES.join("|");
  const otherWords = FD_CATEGORIES.join("|");
  const help = helpText().replace(/'/g, "'\\''");
  return `# esyd: syd's helper shell function (syd --sh). POSIX sh, bash and zsh:
#   eval "$(syd --sh)"; esyd help
# Every call is a stat(2) of /dev/syd/COMMAND: 0 when syd did it (or a query is true), 1 if not.

# _esyd_run COMMAND: asks syd to run one command.
_esyd_run() {
    [ -c "/dev/syd/$1" ]
}

# _esyd_args SUBCOMMAND LEAST MOST COUNT: whether COUNT arguments suit SUBCOMMAND (MOST 0: any).
_esyd_args() {
    if [ "$4" -lt "$2" ] || { [ "$3" -gt 0 ] && [ "$4" -gt "$3" ]; }; then
        if [ "$2" = "$3" ]; then
            echo "esyd: $1 needs $2 argument(s), not $4" >&2
        else
            echo "esyd: $1 needs at least $2 argument(s)" >&2
        fi
        return 1
    fi
}

# _esyd_each PREFIX OPERATOR ABSOLUTE ARG...: runs PREFIX OPERATOR ARG for each ARG; with
# ABSOLUTE 1 every ARG must be an absolute path (nothing is run otherwise).
_esyd_each() {
    _esyd_prefix=$1
    _esyd_op=$2
    _esyd_abs=$3
    shift 3
    if [ "$_esyd_abs" = 1 ]; then
        for _esyd_arg in "$@"; do
            case $_esyd_arg in
            /*) ;;
            *)
                echo "esyd: '$_esyd_arg' is not an absolute path" >&2
                return 1
                ;;
            esac
        done
    fi
    _esyd_status=0
    for _esyd_arg in "$@"; do
        _esyd_run "$_esyd_prefix$_esyd_op$_esyd_arg" || _esyd_status=1
    done
    return $_esyd_status
}

# _esyd_category WORD: prints syd's name of a subcommand's category word (net_bind: net/bind);
# fails for a word that is none.
_esyd_category() {
    case $1 in
    ${pathWords}|${otherWords}|net|fs|all) printf '%s' "$1" ;;
    net_bind | net_connect) printf 'net/%s' "\${1#net_}" ;;
    *) return 1 ;;
    esac
}

# _esyd_is_path WORD: whether the category's rules are absolute path patterns.
_esyd_is_path() {
    case $1 in
    ${pathWords}|all) return 0 ;;
    *) return 1 ;;
    esac
}

esyd() {
    _esyd_sub=\${1-}
    [ $# -gt 0 ] && shift
    case $_esyd_sub in
    help | '')
        printf '%s' '${help}'
        ;;
    api)
        [ -c /dev/syd ] || return 1
        printf '%d' 3
        ;;
    check)
        [ -c /dev/syd ]
        ;;
    info)
        [ -c /dev/syd ] || return 1
        if command -v jq >/dev/null 2>&1; then
            jq "$@" </dev/syd
        else
            cat /dev/syd
        fi
        ;;
    lock) _esyd_run lock:on ;;
    unlock) _esyd_run lock:off ;;
    exec_lock) _esyd_run lock:exec ;;
    drop_lock) _esyd_run lock:drop ;;
    enabled | enabled_path) _esyd_run 'sandbox/all?' ;;
    enable | enable_path) _esyd_run sandbox/all:on ;;
    disable | disable_path) _esyd_run sandbox/all:off ;;
    kill)
        _esyd_args "$_esyd_sub" 1 0 $# || return 1
        _esyd_each kill/exec + 1 "$@"
        ;;
    ioctl_deny)
        _esyd_args "$_esyd_sub" 1 1 $# || return 1
        _esyd_run "deny/ioctl+$1"
        ;;
    mem_max | vm_max | pid_max)
        _esyd_args "$_esyd_sub" 1 1 $# || return 1
        case $_esyd_sub in
        mem_max) _esyd_run "mem/max:$1" ;;
        vm_max) _esyd_run "mem/vm_max:$1" ;;
        pid_max) _esyd_run "pid/max:$1" ;;
        esac
        ;;
    ${UNSUPPORTED.join(" | ")})
        echo "esyd: $_esyd_sub is not supported by this syd" >&2
        return 1
        ;;
    enabled_* | enable_* | disable_*)
        _esyd_word=\${_esyd_sub#*_}
        case $_esyd_word in
        lock | mem | pid) _esyd_cat=$_esyd_word ;;
        *)
            _esyd_cat=$(_esyd_category "$_esyd_word") || {
                echo "esyd: $_esyd_sub: no category '$_esyd_word'" >&2
                return 1
            }
            ;;
        esac
        case $_esyd_sub in
        enabled_*) _esyd_run "sandbox/$_esyd_cat?" ;;
        enable_*) _esyd_run "sandbox/$_esyd_cat:on" ;;
        *) _esyd_run "sandbox/$_esyd_cat:off" ;;
        esac
        ;;
    default_*)
        _esyd_args "$_esyd_sub" 1 1 $# || return 1
        _esyd_cat=$(_esyd_category "\${_esyd_sub#default_}") || {
            echo "esyd: $_esyd_sub: no category '\${_esyd_sub#default_}'" >&2
            return 1
        }
        _esyd_run "default/$_esyd_cat:$1"
        ;;
    allow | allow_path | deny | deny_path | disallow | disallow_path | nodeny | nodeny_path | \\
        allow_* | deny_* | disallow_* | nodeny_* | addfilter_* | rmfilter_*)
        case $_esyd_sub in
        *_path | allow | deny | disallow | nodeny) _esyd_word=all ;;
        *) _esyd_word=\${_esyd_sub#*_} ;;
        esac
        case $_esyd_sub in
        allow*) _esyd_action=allow _esyd_op=+ ;;
        deny*) _esyd_action=deny _esyd_op=+ ;;
        disallow*) _esyd_action=allow _esyd_op=- ;;
        nodeny*) _esyd_action=deny _esyd_op=- ;;
        addfilter*) _esyd_action=filter _esyd_op=+ ;;
        *) _esyd_action=filter _esyd_op=- ;;
        esac
        if [ "$_esyd_op" = - ] && [ "\${1-}" = --all ]; then
            _esyd_op='^'
            shift
        fi
        if [ "$_esyd_word" = net ]; then
            _esyd_word=net_bind
            if [ "\${1-}" = --connect ]; then
                _esyd_word=net_connect
                shift
            fi
        fi
        _esyd_cat=$(_esyd_category "$_esyd_word") || {
            echo "esyd: $_esyd_sub: no category '$_esyd_word'" >&2
            return 1
        }
        _esyd_args "$_esyd_sub" 1 0 $# || return 1
        if _esyd_is_path "$_esyd_word"; then
            _esyd_each "$_esyd_action/$_esyd_cat" "$_esyd_op" 1 "$@"
        else
            _esyd_each "$_esyd_action/$_esyd_cat" "$_esyd_op" 0 "$@"
        fi
        ;;
    *_add | *_del | *_rem)
        _esyd_args "$_esyd_sub" 2 0 $# || return 1
        _esyd_cat=$(_esyd_category "\${_esyd_sub%_*}") || {
            echo "esyd: $_esyd_sub: no category '\${_esyd_sub%_*}'" >&2
            return 1
        }
        case $_esyd_sub in
        *_add) _esyd_op=+ ;;
        *_del) _esyd_op=- ;;
        *) _esyd_op='^' ;;
        esac
        _esyd_action=$1
        shift
        _esyd_each "$_esyd_action/$_esyd_cat" "$_esyd_op" 0 "$@"
        ;;
    *)
        echo "esyd: no subcommand '$_esyd_sub' (esyd help lists them)" >&2
        return 1
        ;;
    esac
}
`;
}
