#!/usr/bin/env bash
# `make bench`: starts the test infrastructure and runs the benchmarks in release mode.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
infra/scripts/stack.sh up test
trap 'infra/scripts/stack.sh down test' EXIT
# shellcheck source=/dev/null
source .plinth/test/env
cargo bench -p plinth-tests --bench pipeline
# Rebuilding read models from the event store next to per-event transactions.
cargo bench -p plinth-tests --bench replay
# In memory, no infrastructure: the authz view next to casbin.
cargo bench -p plinth-projections-authz --bench check
