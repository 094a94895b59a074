#!/usr/bin/env bash
# `make test`: starts a test Postgres and broker under .plinth/test (free ports), the Python
# environment (Confluent's client, schemathesis, selenium), Debian's Chromium for the browser
# test, builds the plinth binary the end-to-end tests spawn, runs every test (and
# infra/scripts/tests/run_twice.sh, which drives `make run` itself), and stops what it started.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
# shellcheck source=infra/scripts/lib.sh
source infra/scripts/lib.sh

# A build and test run of this workspace needs roughly 10 GiB; a full disk shows up later as a
# Postgres that stops answering, so say it first.
free_kib=$(df -Pk "$root" | awk 'NR == 2 { print $4 }')
if [ "${free_kib:-0}" -lt $((10 * 1024 * 1024)) ]; then
  say "plinth: warning: only $((free_kib / 1024)) MiB free on the disk of $root; the build and tests need about 10 GiB."
fi

infra/scripts/stack.sh up test
trap 'infra/scripts/stack.sh down test' EXIT
# shellcheck source=/dev/null
source .plinth/test/env
PLINTH_PYTHON=$(infra/scripts/python-env.sh | tail -1)
export PLINTH_PYTHON
infra/scripts/chromium.sh
# The broker-outage test runs a private tansu, even when PLINTH_KAFKA_BROKERS names another broker.
PLINTH_TANSU_BIN=$(infra/scripts/tansu.sh path)
export PLINTH_TANSU_BIN

# Databases of earlier runs (each test makes its own).
if bindir=$(postgres_bindir) && [ -x "$bindir/psql" ]; then
  "$bindir/psql" -qAt "$PLINTH_DATABASE_URL" -c "SELECT datname FROM pg_database WHERE datname LIKE 'plinth_test_%'" 2>/dev/null \
    | while read -r db; do "$bindir/psql" -q "$PLINTH_DATABASE_URL" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; done
fi

cargo build -p plinth-cli --bin plinth
export PLINTH_BIN="$root/target/debug/plinth"
status=0
cargo test --workspace --no-fail-fast "$@" || status=$?
# `make run` itself, as a user drives it (only for the whole suite, not a filtered run).
if [ $# -eq 0 ]; then
  infra/scripts/tests/run_twice.sh || status=1
fi
if [ "$status" -ne 0 ]; then
  # When many tests fail at once, the shared infrastructure is the usual cause: say how it is.
  say "--- after the failure: disk, and the test Postgres's last words"
  df -h "$root" >&2 || true
  tail -n 20 .plinth/test/postgres.log >&2 2>/dev/null || true
fi
exit "$status"
