#!/usr/bin/env bash
# The tansu broker binary, pinned to one version, installed into .plinth/tools when missing.
#   infra/scripts/tansu.sh path    print the binary's path (installing it first if needed)
#
# A build takes about nine minutes on two cores, so a finished build is also kept in the user's
# cache folder ($PLINTH_TOOLS_CACHE, default ~/.cache/plinth/tools) and copied from there into a
# fresh checkout's .plinth/tools.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
# shellcheck source=infra/scripts/lib.sh
source infra/scripts/lib.sh

version=0.6.0
tools="$root/.plinth/tools"
bin="$tools/bin/tansu"
cache="${PLINTH_TOOLS_CACHE:-$HOME/.cache/plinth/tools}/tansu-$version"

installed_version() { [ -x "$1" ] && "$1" --version 2>/dev/null | awk '{print $NF}'; }

ensure() {
  [ "$(installed_version "$bin")" = "$version" ] && return
  mkdir -p "$tools/bin"
  if [ "$(installed_version "$cache/tansu")" = "$version" ]; then
    cp "$cache/tansu" "$bin"
    return
  fi
  command -v cargo >/dev/null || die "cargo is needed to install the tansu broker"
  say "Installing the tansu $version broker into .plinth/tools (about 9 minutes, once)..."
  cargo install tansu --version "$version" --locked --features libsql --root "$tools" >&2 \
    || die "cargo install tansu failed"
  mkdir -p "$cache" && cp "$bin" "$cache/tansu" || true
}

case "${1:-path}" in
  path) ensure; echo "$bin" ;;
  *) die "usage: tansu.sh path" ;;
esac
