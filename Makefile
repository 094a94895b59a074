# Plinth's entry points. `make run` starts the whole system; `make test` runs every test
# against real Postgres, Kafka-protocol broker and schema registry, all started by the scripts.
.PHONY: run test bench lint fmt stack-up stack-down

run:
	@infra/scripts/run.sh

test:
	@infra/scripts/test.sh

bench:
	@infra/scripts/bench.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all

# The test infrastructure alone (Postgres + broker under .plinth/test), for running single tests:
#   make stack-up && . .plinth/test/env && cargo test -p <crate>
stack-up:
	@infra/scripts/stack.sh up test

stack-down:
	@infra/scripts/stack.sh down test
