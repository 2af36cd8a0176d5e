#!/usr/bin/env bash
# Installs syd's pinned toolchain into .toolchain/ (git-ignored) and builds libsyd.so.
# Idempotent: when everything is present it only checks versions and takes seconds.
#   Zig   ziglang==0.14.1 from PyPI   -> .toolchain/bin/zig
#   Deno  deno@2.9.6 from npm         -> .toolchain/bin/deno
#   libseccomp-dev from Debian (static libseccomp.a), installed with apt-get when missing.
set -euo pipefail

zig_version=0.14.1
deno_version=2.9.6
libseccomp_a=/usr/lib/x86_64-linux-gnu/libseccomp.a

top=$(cd "$(dirname "$0")/.." && pwd)
tc="$top/.toolchain"
mkdir -p "$tc/bin"

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

[ "$(uname -s)" = Linux ] || die "syd runs on Linux only"
[ "$(uname -m)" = x86_64 ] || die "syd supports x86_64 only for now (this is $(uname -m))"

# Zig from PyPI.
if [ "$("$tc/bin/zig" version 2>/dev/null || true)" != "$zig_version" ]; then
  command -v python3 >/dev/null || die "python3 (with pip) is needed to install Zig from PyPI"
  say "installing Zig $zig_version from PyPI into .toolchain/py"
  rm -rf "$tc/py"
  python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location \
    --root-user-action=ignore --target "$tc/py" "ziglang==$zig_version"
  ln -sfn ../py/ziglang/zig "$tc/bin/zig"
  [ "$("$tc/bin/zig" version)" = "$zig_version" ] || die "Zig $zig_version did not install"
else
  say "Zig $zig_version present"
fi

# Deno from npm.
if ! "$tc/bin/deno" --version 2>/dev/null | grep -q "^deno $deno_version "; then
  command -v npm >/dev/null || die "npm is needed to install Deno from the npm registry"
  say "installing Deno $deno_version from npm into .toolchain/npm"
  rm -rf "$tc/npm"
  mkdir -p "$tc/npm"
  npm install --silent --prefix "$tc/npm" --no-save --no-audit --no-fund --ignore-scripts \
    "deno@$deno_version" "@deno/linux-x64-glibc@$deno_version"
  ln -sfn ../npm/node_modules/@deno/linux-x64-glibc/deno "$tc/bin/deno"
  "$tc/bin/deno" --version | grep -q "^deno $deno_version " || die "Deno $deno_version did not install"
else
  say "Deno $deno_version present"
fi

# libseccomp (static) from Debian.
if [ ! -f "$libseccomp_a" ] || [ ! -f /usr/include/seccomp.h ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing libseccomp-dev from Debian"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libseccomp-dev >/dev/null
  else
    die "libseccomp.a is missing: install Debian's libseccomp-dev (as root: apt-get install libseccomp-dev)"
  fi
else
  say "libseccomp-dev present"
fi

# The project's npm dependencies (pinned by deno.lock) and libsyd.so.
cd "$top"
say "installing npm dependencies (deno install)"
"$tc/bin/deno" install --quiet --frozen
say "building zig-out/lib/libsyd.so"
"$tc/bin/zig" build
say "ready: try ./syd -poff -- uname -a"
