#!/usr/bin/env bash
# Runs every test: formatting and lint, type checks, the Zig unit tests, then the Deno unit and
# end-to-end tests (which run real programs under ./syd). Builds the helper programs first.
set -euo pipefail
export NO_COLOR=1 # plain output, so that the summary below can be read
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
zig=.toolchain/bin/zig
deno=.toolchain/bin/deno
[ -x "$zig" ] && [ -x "$deno" ] || { echo "test: run tools/setup.sh first" >&2; exit 1; }

echo "== format and lint"
"$zig" fmt --check build.zig ffi tools/dist
"$deno" fmt --check
"$deno" lint
"$deno" check main.ts lib tests bench tools/dist.ts

echo "== build"
"$zig" build
# The same library with the test-only fault switch (ffi/kernel/fault.zig), for tests/int_test.ts.
"$zig" build -Dfaults=true -p zig-out/faults
# The one-file syd's launcher, for tests/dist_test.ts.
"$zig" build launcher
mkdir -p tests/helpers/bin
for source in tests/helpers/*.c; do
  name=$(basename "$source" .c)
  "$zig" cc -O2 -Wall -Werror -o "tests/helpers/bin/$name" "$source"
done

echo "== zig unit tests"
zig_log=$(mktemp)
trap 'rm -f "$zig_log"' EXIT
"$zig" build test --summary all 2>&1 | tee "$zig_log"
zig_passed=$(grep -oE '[0-9]+/[0-9]+ tests passed' "$zig_log" | tail -n 1 | cut -d/ -f1 || true)

echo "== deno tests (unit and end to end)"
deno_log=$(mktemp)
trap 'rm -f "$zig_log" "$deno_log"' EXIT
# The test files run three at a time (most of their time is spent waiting on the sandboxed
# programs, and every file works in temp dirs of its own): half the time of one at a time.
DENO_JOBS=${DENO_JOBS:-3} "$deno" test --allow-all --quiet --parallel 2>&1 | tee "$deno_log"
deno_passed=$(grep -oE '^ok \| [0-9]+ passed' "$deno_log" | tail -n 1 | grep -oE '[0-9]+' || true)

echo "tests: $((${zig_passed:-0} + ${deno_passed:-0})) passed, 0 failed"
