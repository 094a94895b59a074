#!/usr/bin/env bash
# Local infrastructure for Plinth: PostgreSQL from the system's binaries and the tansu broker,
# each started under $PLINTH_HOME/<profile>/ (default .plinth/<profile>) unless configuration
# names one already running.
#
#   infra/scripts/stack.sh up <profile>     start what is missing, write <profile>/env
#   infra/scripts/stack.sh down <profile>   stop what `up` started (data stays)
#
# Profiles: `run` (make run: broker on 9092 or $PLINTH_BROKER_PORT, data kept between runs) and
# `test` (make test: free ports, a separate data folder). Honours PLINTH_DATABASE_URL and
# PLINTH_KAFKA_BROKERS. A Postgres or broker found from an earlier `up` is reused only if it
# answers; one that is still dying is waited for, then started afresh.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
# shellcheck source=infra/scripts/lib.sh
source infra/scripts/lib.sh

action=${1:?usage: stack.sh up|down <profile>}
profile=${2:?usage: stack.sh up|down <profile>}
home=${PLINTH_HOME:-$root/.plinth}
state="$home/$profile"
mkdir -p "$state"

postgres_up() {
  if [ -n "${PLINTH_DATABASE_URL:-}" ]; then
    say "Postgres: using PLINTH_DATABASE_URL from the environment."
    echo "$PLINTH_DATABASE_URL" > "$state/database_url"
    return
  fi
  local bindir data port user
  bindir=$(postgres_bindir) || die "PostgreSQL server binaries (initdb, pg_ctl) not found. Install them: apt-get install postgresql (or set PLINTH_DATABASE_URL to a running server)."
  data="$state/postgres"
  user=$(postgres_os_user)
  if [ "$(id -u)" = 0 ] && ! as_user "$user" test -x "$state"; then
    die "PostgreSQL runs as '$user', who cannot enter $state. Use a checkout that user can traverse (not under a private home folder), or set PLINTH_DATABASE_URL."
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    say "Postgres: creating a cluster in $data"
    mkdir -p "$data"
    chown_for "$user" "$data"
    as_user "$user" "$bindir/initdb" -D "$data" -U plinth --auth=trust --encoding=UTF8 --no-locale >"$state/initdb.log" 2>&1 \
      || die "initdb failed; see $state/initdb.log"
  fi
  port=$(cat "$state/postgres.port" 2>/dev/null || true)
  if as_user "$user" "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    # Running says its pid file; reuse it only if it answers (it may be shutting down).
    if [ -n "$port" ] && postgres_answers "$bindir" "$port" 10; then
      echo "postgres://plinth@127.0.0.1:$port/postgres" > "$state/database_url"
      say "Postgres: postgres://plinth@127.0.0.1:$port/postgres (running already; data in $data)"
      return
    fi
    say "Postgres: the cluster in $data does not answer; waiting for it to stop."
    as_user "$user" "$bindir/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
  fi
  if [ -z "$port" ] || port_busy "$port"; then port=$(free_port); fi
  echo "$port" > "$state/postgres.port"
  local extra=""
  if [ "$profile" = test ]; then extra="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"; fi
  touch "$state/postgres.log"; chown_for "$user" "$state/postgres.log"
  # Its own session: a Ctrl-C meant for `make run` must not stop Postgres under the run.
  as_user "$user" setsid -w "$bindir/pg_ctl" -D "$data" -l "$state/postgres.log" -w -t 60 \
    -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=300 $extra" start >/dev/null 9>&- \
    || die "Postgres did not start; see $state/postgres.log"
  echo "postgres://plinth@127.0.0.1:$port/postgres" > "$state/database_url"
  say "Postgres: postgres://plinth@127.0.0.1:$port/postgres (data in $data)"
}

postgres_down() {
  local bindir user
  [ -f "$state/postgres/PG_VERSION" ] || return 0
  bindir=$(postgres_bindir) || return 0
  user=$(postgres_os_user)
  if as_user "$user" "$bindir/pg_ctl" -D "$state/postgres" status >/dev/null 2>&1; then
    as_user "$user" "$bindir/pg_ctl" -D "$state/postgres" -m fast -w stop >/dev/null && say "Postgres: stopped."
  fi
}

broker_up() {
  if [ -n "${PLINTH_KAFKA_BROKERS:-}" ]; then
    say "Broker: using PLINTH_KAFKA_BROKERS from the environment."
    echo "$PLINTH_KAFKA_BROKERS" > "$state/brokers"
    return
  fi
  local tansu port
  tansu=$(infra/scripts/tansu.sh path)
  if pid_alive "$state/tansu.pid" && ! pid_runs "$state/tansu.pid" "$tansu broker"; then
    say "Broker: $state/tansu.pid names a process that is not our broker; ignoring it."
    rm -f "$state/tansu.pid"
  fi
  if pid_alive "$state/tansu.pid"; then
    port=$(cat "$state/tansu.port")
    # A live pid is reused only if it answers: a broker that is being stopped still has one.
    if broker_answers "$port" 5; then
      echo "127.0.0.1:$port" > "$state/brokers"
      echo "$tansu" > "$state/tansu_bin"
      say "Broker: 127.0.0.1:$port (running already; data in $state/tansu.db)"
      return
    fi
    say "Broker: the one on port $port does not answer; waiting for it to stop."
    stop_pid "$state/tansu.pid" || true
  fi
  if [ "$profile" = run ]; then port=${PLINTH_BROKER_PORT:-9092}; else port=$(free_port); fi
  port_busy "$port" && die "port $port is taken; stop what uses it or set PLINTH_KAFKA_BROKERS"
  echo "$port" > "$state/tansu.port"
  # Tests make their own topics; a fresh file keeps the broker as fast as on the first run.
  if [ "$profile" = test ]; then rm -f "$state"/tansu.db "$state"/tansu.db-*; fi
  start_tansu "$tansu" "$port" "$state" "$state/tansu.log" "$state/tansu.pid"
  echo "127.0.0.1:$port" > "$state/brokers"
  echo "$tansu" > "$state/tansu_bin"
  say "Broker: 127.0.0.1:$port (tansu, data in $state/tansu.db)"
}

broker_down() {
  local tansu
  tansu=$(cat "$state/tansu_bin" 2>/dev/null || echo tansu)
  if pid_alive "$state/tansu.pid" && ! pid_runs "$state/tansu.pid" "$tansu broker"; then
    rm -f "$state/tansu.pid"
    return 0
  fi
  stop_pid "$state/tansu.pid" && say "Broker: stopped." || true
}

write_env() {
  {
    echo "export PLINTH_DATABASE_URL='$(cat "$state/database_url")'"
    echo "export PLINTH_KAFKA_BROKERS='$(cat "$state/brokers")'"
    if [ -f "$state/tansu_bin" ]; then echo "export PLINTH_TANSU_BIN='$(cat "$state/tansu_bin")'"; fi
  } > "$state/env"
}

case "$action" in
  up) postgres_up; broker_up; write_env ;;
  down) broker_down; postgres_down ;;
  *) die "usage: stack.sh up|down <profile>" ;;
esac
