#!/usr/bin/env bash
# Sets up the machine, then runs every check: formatting, clippy with the workspace lints (no
# unwrap/expect/panic on input or I/O), and every test in the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
echo "== benches compile"
cargo bench --workspace --locked --no-run -q
