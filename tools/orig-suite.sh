#!/usr/bin/env bash
# Runs the original syd's own test suite (syd-test of 3.59.0) against this project's ./syd and
# writes a summary: pass / fail / skipped, each failure classed as "refused" (it uses a command
# or option this syd does not have: exit 95, "not supported") or "behaviour".
#
#   tools/orig-suite.sh [SELECTOR...]
#
# SELECTOR: a case number, a range N..M, a glob ("[n]ame" is an exact name, "stat_*"), or a plain
# word, matched as a substring of the case names. None: every case.
#
# Environment:
#   ORIG_DIR      where the original is (or is built): ORIG_DIR/bin/syd-test. Default
#                 ${XDG_CACHE_HOME:-$HOME/.cache}/syd-orig-3.59.0; built there with
#                 ../shared/tools/get-original.sh (or GET_ORIGINAL) when missing (~15-20 min).
#   OUT           where logs and the summary go (default: a new directory under /tmp).
#   CASE_TIMEOUT  seconds one case may take (default 120); JOBS  cases run at once (default 1).
#
# Safety: each case runs in its own session (some send SIGKILL to process group 0) inside a
# throw-away directory; cases that act on the host are excluded (EXCLUDED below). Not part of CI:
# the whole suite takes about 20 minutes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
orig=${ORIG_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/syd-orig-3.59.0}
out=${OUT:-$(mktemp -d /tmp/syd-orig-suite.XXXXXX)}
case_timeout=${CASE_TIMEOUT:-120}
jobs=${JOBS:-1}
# pivot_root_default pivots the host's root when syd does not confine it.
EXCLUDED=(pivot_root_default)

if [ ! -x "$orig/bin/syd-test" ]; then
  get=${GET_ORIGINAL:-$root/../shared/tools/get-original.sh}
  [ -x "$get" ] || [ -f "$get" ] || {
    echo "orig-suite: no $orig/bin/syd-test, and no get-original.sh at $get (set ORIG_DIR or GET_ORIGINAL)" >&2
    exit 2
  }
  echo "orig-suite: building the original into $orig (about 15-20 minutes)" >&2
  bash "$get" bin "$orig" >&2
fi
[ -x "$root/syd" ] || { echo "orig-suite: $root/syd is missing" >&2; exit 2; }
"$root/syd" -V >/dev/null # builds libsyd.so once, before cases run in parallel

mkdir -p "$out/logs" "$out/shim" "$out/work"
ln -sf "$root/syd" "$out/shim/syd" # `syd` on PATH is ours; the original's helpers come after it

# The cases: "N name" lines, then the selection.
"$orig/bin/syd-test" -l | sed -n 's/^ *\([0-9][0-9]*\): \(.*\)$/\1 \2/p' > "$out/cases"
select_cases() {
  local number name arg keep
  while read -r number name; do
    for excluded in "${EXCLUDED[@]}"; do [ "$name" = "$excluded" ] && continue 2; done
    keep=$(($# == 0))
    for arg in "$@"; do
      if [[ $arg =~ ^[0-9]+$ ]]; then [ "$number" = "$arg" ] && keep=1
      elif [[ $arg =~ ^([0-9]+)\.\.([0-9]+)$ ]]; then
        [ "$number" -ge "${BASH_REMATCH[1]}" ] && [ "$number" -le "${BASH_REMATCH[2]}" ] && keep=1
      elif [[ $arg == *[\*\?\[]* ]]; then
        # shellcheck disable=SC2053 # a glob on purpose
        [[ $name == $arg ]] && keep=1
      else [[ $name == *"$arg"* ]] && keep=1
      fi
    done
    [ "$keep" = 1 ] && echo "$number $name"
  done < "$out/cases"
  return 0
}
select_cases "$@" > "$out/selected"
total=$(wc -l < "$out/selected")
echo "orig-suite: $total cases, logs in $out/logs" >&2

run_case() { # NUMBER NAME: runs one case in its own session, prints "NUMBER NAME RESULT"
  local number=$1 name=$2 log="$out/logs/$2.log" rc=0 result
  mkdir -p "$out/work/$name"
  PATH="$out/shim:$orig/bin:$PATH" CARGO_BIN_EXE_syd="$root/syd" SYD_TEST_TMPDIR="$out/work/$name" \
    SYD_TEST_SEED=1 setsid timeout -s KILL "$case_timeout" "$orig/bin/syd-test" "$number" \
    > "$log" 2>&1 < /dev/null || rc=$?
  if grep -q "^ok [0-9]* - $name # TODO" "$log" || grep -q "^# ok [0-9]* - $name # SKIP" "$log"; then
    result=skip
  # A case that prints a record it read may leave its "ok" line behind the record's text.
  elif grep -E "ok [0-9]+ - $name\$" "$log" | grep -qv "^not ok"; then
    result=pass
  elif grep -qE "not supported by this syd|that this syd does not support|not supported yet|: not supported" "$log"; then
    result=refused
  elif [ "$rc" = 137 ] && ! grep -q "ok [0-9]* - $name" "$log"; then
    result=timeout
  else
    result=behaviour
  fi
  rm -rf "$out/work/$name"
  echo "$number $name $result"
}
export -f run_case
export out orig root case_timeout

start=$(date +%s)
xargs -P "$jobs" -L 1 bash -c 'run_case "$@"' _ < "$out/selected" | tee "$out/results" |
  awk -v total="$total" '{ n++; c[$3]++; printf "\r%d/%d pass %d refused %d behaviour %d timeout %d skip %d ", n, total, c["pass"], c["refused"], c["behaviour"], c["timeout"], c["skip"] > "/dev/stderr" }'
echo >&2
seconds=$(($(date +%s) - start))

count() { awk -v r="$1" '$3 == r' "$out/results" | wc -l; }
{
  echo "# The original syd's test suite (syd-test 3.59.0) against ./syd ($(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)), $(date -u +%Y-%m-%d)"
  echo "cases $total, in ${seconds}s"
  echo "pass $(count pass)"
  echo "fail $(($(count refused) + $(count behaviour) + $(count timeout))) (refused $(count refused), behaviour $(count behaviour), timeout $(count timeout))"
  echo "skipped $(count skip) (the case itself skips: a feature flag, another kernel, non-root)"
  echo
  echo "## What the refused cases use (first refusal of each case)"
  while read -r _ name result; do
    [ "$result" = refused ] || continue
    grep -m1 -oE '(category "[^"]*"|"[^"]*" is a command|"[^"]*" is not a command|[^ ]*: not supported yet|[^ ]* is not supported yet|unknown profile "[^"]*")' \
      "$out/logs/$name.log" || echo "(other)"
  done < "$out/results" | sort | uniq -c | sort -rn
  echo
  echo "## Behaviour failures"
  awk '$3 == "behaviour" || $3 == "timeout" { print $2 " (" $3 ")" }' "$out/results" | sort
} > "$out/summary.txt"
cat "$out/summary.txt"
echo "orig-suite: summary in $out/summary.txt" >&2
