#!/usr/bin/env bash
# `make run`: starts Postgres and the broker (unless configured), then `plinth dev` (schema
# registry, identity, relay, projector, gateway) until Ctrl-C / SIGTERM, then stops what it
# started. Data stays under $PLINTH_HOME/run (default .plinth/run), so the next run continues
# where this one stopped.
#
# One run at a time: a run holds a lock on $PLINTH_HOME/run.lock until everything it started has
# stopped. Ctrl-C returns make's prompt at once while this script is still stopping the broker
# and Postgres, so a `make run` typed right away waits for that (saying so) instead of reusing a
# dying broker.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
# shellcheck source=infra/scripts/lib.sh
source infra/scripts/lib.sh
home=${PLINTH_HOME:-$root/.plinth}
mkdir -p "$home"

exec 9>"$home/run.lock"
if ! flock -n 9; then
  say "Another 'make run' is still running or stopping (it holds $home/run.lock); waiting for it to finish..."
  flock 9
  say "The previous run has stopped; starting."
fi

say "Building plinth..."
cargo build --quiet -p plinth-cli --bin plinth

# Stop what we started however we end: Ctrl-C, SIGTERM, or a failure half-way.
plinth_pid=""
cleanup() {
  if [ -n "$plinth_pid" ] && kill -0 "$plinth_pid" 2>/dev/null; then
    kill -TERM "$plinth_pid" 2>/dev/null || true
    wait "$plinth_pid" 2>/dev/null || true
  fi
  infra/scripts/stack.sh down run
}
trap cleanup EXIT
trap 'exit 0' INT TERM

infra/scripts/stack.sh up run
# shellcheck source=/dev/null
source "$home/run/env"
export PLINTH_SCHEMA_REGISTRY_URL=${PLINTH_SCHEMA_REGISTRY_URL:-http://127.0.0.1:8081}
export PLINTH_GATEWAY_URL=${PLINTH_GATEWAY_URL:-http://127.0.0.1:8080}
{
  echo "export PLINTH_DATABASE_URL='$PLINTH_DATABASE_URL'"
  echo "export PLINTH_KAFKA_BROKERS='$PLINTH_KAFKA_BROKERS'"
  echo "export PLINTH_SCHEMA_REGISTRY_URL='$PLINTH_SCHEMA_REGISTRY_URL'"
  echo "export PLINTH_GATEWAY_URL='$PLINTH_GATEWAY_URL'"
} > "$home/env"

cat <<MSG

  Plinth is starting:
    gateway          $PLINTH_GATEWAY_URL   (try: curl $PLINTH_GATEWAY_URL/readyz)
    API docs         $PLINTH_GATEWAY_URL/docs   (the contract: $PLINTH_GATEWAY_URL/openapi.json)
    schema registry  $PLINTH_SCHEMA_REGISTRY_URL
    Kafka broker     $PLINTH_KAFKA_BROKERS   (topics: plinth.*)
    PostgreSQL       $PLINTH_DATABASE_URL
    mailbox          .plinth/mail/   (every e-mail sent, as .eml; set PLINTH_MAIL_URL for SMTP)
    first admin      target/debug/plinth admin bootstrap --email you@example.org
    what is stuck    target/debug/plinth status
  These addresses are in $home/env (source it). Logs: below; broker and Postgres logs in $home/run/.
  Stop with Ctrl-C.

MSG
target/debug/plinth dev 9>&- &
plinth_pid=$!
status=0
wait "$plinth_pid" || status=$?
plinth_pid=""
exit "$status"
