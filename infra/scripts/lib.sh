# Shared helpers for Plinth's local infrastructure scripts (sourced, not run).

say() { printf '%s\n' "$*" >&2; }
die() { printf 'plinth: %s\n' "$*" >&2; exit 1; }

# A TCP port nobody listens on right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

port_busy() {
  python3 -c 'import socket,sys; s=socket.socket(); sys.exit(0 if s.connect_ex(("127.0.0.1",int(sys.argv[1])))==0 else 1)' "$1"
}

wait_port() {
  local port=$1 seconds=${2:-30} i
  for ((i = 0; i < seconds * 10; i++)); do
    port_busy "$port" && return 0
    sleep 0.1
  done
  return 1
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# pid_runs PIDFILE WORD: whether the pid in PIDFILE is alive and its command line holds WORD
# (after a reboot or a crash, the pid may have been reused by an unrelated process).
pid_runs() {
  pid_alive "$1" && tr '\0' ' ' <"/proc/$(cat "$1")/cmdline" 2>/dev/null | grep -qF -- "$2"
}

stop_pid() {
  local file=$1 pid i
  pid_alive "$file" || { rm -f "$file"; return 1; }
  pid=$(cat "$file")
  kill "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$file"
}

postgres_bindir() {
  local dir
  if command -v pg_config >/dev/null 2>&1; then
    dir=$(pg_config --bindir)
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
  fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
  done
  return 1
}

# Postgres refuses to run as root: use the `postgres` account, or create `plinth` for it.
postgres_os_user() {
  if [ "$(id -u)" != 0 ]; then id -un; return; fi
  if id postgres >/dev/null 2>&1; then echo postgres; return; fi
  id plinth >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin plinth
  echo plinth
}

as_user() {
  local user=$1; shift
  if [ "$(id -un)" = "$user" ]; then "$@"; else runuser -u "$user" -- "$@"; fi
}

chown_for() { [ "$(id -u)" = 0 ] && chown -R "$1" "$2" || true; }

# start_tansu BIN PORT DIR LOG PIDFILE: a tansu broker on 127.0.0.1:PORT with its SQLite file
# DIR/tansu.db. tansu resolves sqlite:// paths against its working directory, so it runs in DIR.
# The broker runs in its own session, so a Ctrl-C meant for `make run` reaches only
# `plinth dev`, and the run stops the broker after it; nor does it inherit the run's lock (file
# descriptor 9).
start_tansu() {
  local bin=$1 port=$2 dir=$3 log=$4 pidfile=$5
  (cd "$dir" && exec setsid "$bin" broker \
    --listener-url "tcp://127.0.0.1:$port" \
    --advertised-listener-url "tcp://127.0.0.1:$port" \
    --storage-engine "sqlite://tansu.db" >"$log" 2>&1 9>&-) &
  echo $! > "$pidfile"
  wait_port "$port" 60 || die "the broker did not open port $port; see $log"
  python3 "$(dirname "${BASH_SOURCE[0]}")/tansu_index.py" "$dir/tansu.db" \
    || die "cannot add the header index to $dir/tansu.db"
}

# broker_answers PORT SECONDS: whether a Kafka-protocol broker on PORT answers an ApiVersions
# request within SECONDS (an open port alone may belong to one that is shutting down).
broker_answers() {
  python3 - "$1" "$2" <<'PY'
import socket, struct, sys, time
port, seconds = int(sys.argv[1]), float(sys.argv[2])
deadline = time.time() + seconds
request = struct.pack(">hhih", 18, 0, 1, -1)  # ApiVersions v0, correlation id 1, no client id
while time.time() < deadline:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.settimeout(max(0.1, deadline - time.time()))
            s.sendall(struct.pack(">i", len(request)) + request)
            size = struct.unpack(">i", s.recv(4))[0]
            if size > 0:
                sys.exit(0)
    except OSError:
        time.sleep(0.2)
sys.exit(1)
PY
}

# postgres_answers BINDIR PORT SECONDS: whether Postgres on PORT accepts connections.
postgres_answers() {
  local bindir=$1 port=$2 seconds=$3 i
  for ((i = 0; i < seconds * 5; i++)); do
    "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" && return 0
    sleep 0.2
  done
  return 1
}
