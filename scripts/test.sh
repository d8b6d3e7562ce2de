#!/usr/bin/env bash
# Sets up the machine, then runs every check: formatting, clippy with the workspace lints (no
# unwrap/expect/panic on input or I/O) over every target — benchmarks and examples included, so
# they are known to compile without a second, release build — and every test in the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked --no-fail-fast
