#!/usr/bin/env bash
# Debian's Chromium and ChromeDriver, for the test that drives the /docs page in a real browser:
# installed with apt when missing (as root, or through sudo). No browser is ever downloaded by a
# test tool.
#
#   infra/scripts/chromium.sh     installs them if needed
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=infra/scripts/lib.sh
source "$root/infra/scripts/lib.sh"

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
command -v apt-get >/dev/null 2>&1 \
  || die "chromium and chromedriver are missing and there is no apt-get: install Debian's chromium and chromium-driver packages"
if [ "$(id -u)" = 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  die "chromium and chromedriver are missing: run apt-get install chromium chromium-driver as root"
fi
say "Installing Debian's chromium and chromium-driver for the browser test..."
"${as_root[@]}" apt-get update -qq >&2 || die "apt-get update failed"
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends \
  chromium chromium-driver >&2 || die "apt-get install chromium chromium-driver failed"
