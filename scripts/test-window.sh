#!/usr/bin/env bash
# The end-to-end test in a real window: the built kiosk app (debug) under Xvfb, driven through
# WebDriver (tauri-driver → Debian's WebKitWebDriver) by ui/e2e-window/. A whole candidate with
# the simulators (ID card → digits → photo → pledge → signature → admission number) and one staff
# review; a screenshot of every step goes to ui/test-results/window/. Needs the app built first
# (scripts/test.sh does it) and runs one test at a time on fixed ports 4444/4445.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-$PWD/target}"
app="$target/debug/zikao-kiosk"
if [ ! -x "$app" ]; then
    echo "test-window: $app is missing; build it first (cargo build -p zk-shell)" >&2
    exit 1
fi
export ZK_KIOSK_APP="$app"
export ZK_ASSETS="$PWD/assets"
mkdir -p ui/test-results/window
xvfb-run -a -s "-screen 0 1080x1920x24" bash -c '
    set -euo pipefail
    tauri-driver --port 4444 --native-port 4445 > ui/test-results/window/tauri-driver.log 2>&1 &
    driver=$!
    # SIGTERM, not SIGKILL: tauri-driver then stops WebKitWebDriver too.
    trap "kill -TERM $driver 2>/dev/null; wait $driver 2>/dev/null || true" EXIT
    node --test --test-concurrency=1 ui/e2e-window/
'
