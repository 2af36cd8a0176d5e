#!/usr/bin/env bash
# `deno task compile`: builds libsyd.so and compiles syd into one binary, dist/syd, with the
# library embedded (lib/native.ts unpacks it to a memfd at start-up).
#
# deno compile needs the `denort` runtime for this platform. It downloads it unless DENORT_BIN
# names a local copy; on a machine that cannot download it, set DENORT_BIN. DENORT_BIN must be
# denort itself: the full `deno` binary there makes a program that starts Deno's REPL.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
deno=.toolchain/bin/deno
out=${1:-dist/syd}

if [ -n "${DENORT_BIN:-}" ]; then
  [ -x "$DENORT_BIN" ] || { echo "compile: DENORT_BIN=$DENORT_BIN is not an executable file" >&2; exit 1; }
  if [ "$DENORT_BIN" -ef "$deno" ] || [ "$(basename "$DENORT_BIN")" = deno ]; then
    echo "compile: DENORT_BIN points at the full deno binary, which would make a REPL, not syd; use denort" >&2
    exit 1
  fi
  echo "compile: using denort from DENORT_BIN=$DENORT_BIN"
fi

.toolchain/bin/zig build
mkdir -p "$(dirname "$out")"
if ! "$deno" compile --allow-all --quiet --v8-flags=--max-semi-space-size=1,--optimize-for-size --include zig-out/lib/libsyd.so --output "$out" main.ts; then
  cat >&2 <<MSG
compile: deno compile failed. It needs the denort runtime for $(uname -m)-linux: download it
where that is possible, or set DENORT_BIN=/path/to/denort (the one matching Deno $("$deno" --version | head -n 1 | cut -d' ' -f2)).
MSG
  exit 1
fi
echo "compile: wrote $out ($(du -h "$out" | cut -f1)), libsyd.so embedded"
