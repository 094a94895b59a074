#!/usr/bin/env bash
# A Python virtualenv for the tests that drive Plinth with Confluent's own Python client
# (schema registry, Avro serializers), fuzz its API with schemathesis, and drive the /docs page
# in Chromium with selenium. Idempotent: creates .plinth/venv when missing, installs the
# pinned packages once, and skips pip when a marker records the same requirement set.
#
#   infra/scripts/python-env.sh     prints the venv's python (absolute path) as its last line
#
# Everything else goes to stderr so callers can use `$(infra/scripts/python-env.sh | tail -1)`.
# confluent-kafka's `[schemaregistry]` extra does not resolve on every package index, so its
# serializer dependencies are listed by name.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
# shellcheck source=infra/scripts/lib.sh
source infra/scripts/lib.sh

venv="$root/.plinth/venv"
python="$venv/bin/python"
marker="$venv/.plinth-requirements"

requirements=(
  "confluent-kafka==2.16.1"
  "fastavro==1.13.1"
  "httpx==0.28.1"
  "attrs==26.1.0"
  "cachetools==8.0.2"
  "authlib==1.9.10"
  "certifi==2026.10.19.post1"
  "aiosmtpd==1.4.6"
  "schemathesis==4.32.5"
  "selenium==4.51.0"
)
wanted=$(printf '%s\n' "${requirements[@]}")

if [ ! -x "$python" ]; then
  command -v python3 >/dev/null 2>&1 || die "python3 not found. Install it: apt-get install python3 python3-venv"
  say "Python: creating a virtualenv in .plinth/venv"
  python3 -m venv "$venv" >&2 || die "python3 -m venv failed. Install venv support: apt-get install python3-venv"
fi

if [ -f "$marker" ] && [ "$(cat "$marker")" = "$wanted" ]; then
  say "Python: requirements already installed in .plinth/venv"
else
  say "Python: installing ${requirements[*]}"
  "$python" -m pip install --quiet --disable-pip-version-check "${requirements[@]}" >&2 \
    || die "pip install failed (see above)"
  "$python" -c 'import confluent_kafka.schema_registry.avro, fastavro, aiosmtpd, schemathesis, selenium' >&2 \
    || die "the installed packages do not import; see above"
  printf '%s\n' "$wanted" > "$marker"
fi

echo "$python"
