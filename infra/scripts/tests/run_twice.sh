#!/usr/bin/env bash
# `make run` as a user drives it, with real processes in a scratch PLINTH_HOME: a run stopped
# with Ctrl-C (SIGINT) and a second run started at once must not reuse the dying broker or
# Postgres: the second waits for the first to stop, then becomes ready. And a broker that
# is alive but does not answer is not reused. Run by `make test`; exits non-zero on failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$root"
# shellcheck source=infra/scripts/lib.sh
source infra/scripts/lib.sh

scratch=$(mktemp -d /tmp/plinth-run-twice.XXXXXX)
chmod 755 "$scratch"
export PLINTH_HOME="$scratch/home"
unset PLINTH_DATABASE_URL PLINTH_KAFKA_BROKERS
gateway=$(free_port); registry=$(free_port)
export PLINTH_BROKER_PORT=$(free_port)
export PLINTH_GATEWAY_LISTEN="127.0.0.1:$gateway" PLINTH_GATEWAY_URL="http://127.0.0.1:$gateway"
export PLINTH_SCHEMA_REGISTRY_LISTEN="127.0.0.1:$registry" PLINTH_SCHEMA_REGISTRY_URL="http://127.0.0.1:$registry"
export PLINTH_MAIL_URL="mailbox:$scratch/mail" PLINTH_AUDIT_SIGNING_KEY_PATH="$scratch/audit.pem"
export PLINTH_CONFIG_DIR="$scratch/no-config"

# Starts a command as a terminal would run a foreground job: its own process group, SIGINT
# handled normally (a background job of a script has it ignored). Ctrl-C is then
# `kill -INT -- -<pid>`, to the whole group, as the terminal sends it.
launch() {
  exec python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.setsid(); os.execvp(sys.argv[1], sys.argv[1:])' "$@"
}
fail() { say "run_twice: FAILED: $*"; for f in "$scratch"/*.log; do say "--- $f"; tail -n 30 "$f" >&2; done; exit 1; }
ready() {
  local i
  for ((i = 0; i < $1 * 2; i++)); do
    curl -fsS "http://127.0.0.1:$gateway/readyz" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  return 1
}
cleanup() {
  for pid in ${a:-} ${b:-}; do kill -INT -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  infra/scripts/stack.sh down run >/dev/null 2>&1 || true
  rm -rf "$scratch"
}
trap cleanup EXIT

say "run_twice: first run"
launch infra/scripts/run.sh >"$scratch/a.log" 2>&1 &
a=$!
ready 240 || fail "the first run never became ready"
broker_pid=$(cat "$PLINTH_HOME/run/tansu.pid")

say "run_twice: Ctrl-C, and a second run at once"
kill -INT -- "-$a"
launch infra/scripts/run.sh >"$scratch/b.log" 2>&1 &
b=$!
ready 240 || fail "the second run never became ready"
grep -q "waiting for it to finish" "$scratch/b.log" || fail "the second run did not wait for the first"
kill -0 "$a" 2>/dev/null && fail "the first run is still there"
[ "$(cat "$PLINTH_HOME/run/tansu.pid")" != "$broker_pid" ] || fail "the dying broker was reused"
kill -0 "$broker_pid" 2>/dev/null && fail "the first run's broker is still alive"
curl -fsS "http://127.0.0.1:$gateway/readyz" >/dev/null || fail "the second run is not ready any more"

say "run_twice: stopping the second run"
kill -INT -- "-$b"
wait "$b" || true
b=""
pid_alive "$PLINTH_HOME/run/tansu.pid" && fail "the broker outlived its run"
port_busy "$PLINTH_BROKER_PORT" && fail "the broker port is still open"

say "run_twice: a broker that is alive but does not answer is not reused"
infra/scripts/stack.sh up run >"$scratch/up1.log" 2>&1 || fail "stack up"
frozen=$(cat "$PLINTH_HOME/run/tansu.pid")
kill -STOP "$frozen"
infra/scripts/stack.sh up run >"$scratch/up2.log" 2>&1 || fail "stack up over a frozen broker"
grep -q "does not answer" "$scratch/up2.log" || fail "the frozen broker was not noticed"
[ "$(cat "$PLINTH_HOME/run/tansu.pid")" != "$frozen" ] || fail "the frozen broker was reused"
broker_answers "$PLINTH_BROKER_PORT" 10 || fail "no broker answers after the restart"
kill -CONT "$frozen" 2>/dev/null || true
infra/scripts/stack.sh down run >/dev/null 2>&1
kill "$frozen" 2>/dev/null || true

say "run_twice: a stale pid file naming another process leaves that process alone"
sleep 300 &
bystander=$!
echo "$bystander" > "$PLINTH_HOME/run/tansu.pid"
infra/scripts/stack.sh up run >"$scratch/up3.log" 2>&1 || fail "stack up over a stale pid file"
kill -0 "$bystander" 2>/dev/null || fail "stack up killed an unrelated process"
broker_answers "$PLINTH_BROKER_PORT" 10 || fail "no broker started"
infra/scripts/stack.sh down run >/dev/null 2>&1
kill -0 "$bystander" 2>/dev/null || fail "stack down killed an unrelated process"
kill "$bystander"
say "run_twice: passed"
