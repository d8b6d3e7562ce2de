#!/usr/bin/env bash
# Sets up the machine, then runs every check: the UI's type check, unit tests (vitest) and layout
# tests in headless Chromium; formatting, clippy with the workspace lints (no unwrap/expect/panic
# on input or I/O) over every target — benchmarks and examples included, so they are known to
# compile without a second, release build — and every test in the workspace, the Tauri shell's on
# the mock runtime included.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== ui: build, type check, unit tests, layout tests in headless Chromium"
bash scripts/build-ui.sh
(cd ui && npm run --silent typecheck && npm test --silent && npm run --silent test:web)

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked --no-fail-fast
echo "== the optional Whisper digit recogniser (zk-asr feature whisper; CTranslate2 builds from source once, about 20 min cold)"
bash scripts/fetch-asr-model.sh
# A target folder of its own: building one package with a feature unifies its dependencies'
# features differently from the workspace build, which would otherwise rebuild them back and forth.
asr_target="${CARGO_TARGET_DIR:-$PWD/target}-asr"
CARGO_TARGET_DIR="$asr_target" cargo clippy -p zk-asr --features whisper --all-targets --locked -- -D warnings
CARGO_TARGET_DIR="$asr_target" cargo test -p zk-asr --features whisper --locked -- --nocapture
echo "== the app in a real window (Xvfb, tauri-driver, WebKitWebDriver)"
cargo build --workspace --bins --locked
bash scripts/test-window.sh
