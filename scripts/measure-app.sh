#!/usr/bin/env bash
# Cold start and memory of the kiosk app (release build, simulated devices) under Xvfb. Prints:
#   - cold start: process start → the UI's first call (the app logs it), on a new store (the first
#     start seeds the demo roster, keys and accounts) and again on that store, RUNS times each;
#   - memory of the app's process tree (zikao-kiosk and WebKit's web and network processes), RSS
#     and PSS (shared pages divided among the processes that map them): idle after start, and the
#     peak while the real-window test drives a whole candidate and a staff review through it.
# Needs scripts/setup.sh done (tauri-driver, WebKitWebDriver, Xvfb). Not part of the test command:
# the numbers go in the closing notes and ARCHITECTURE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${ZK_MEASURE_INNER:-}" ]; then
    target="${CARGO_TARGET_DIR:-$PWD/target}"
    bash scripts/build-ui.sh
    cargo build --release -q -p zk-shell
    export ZK_MEASURE_INNER=1 ZK_KIOSK_APP="$target/release/zikao-kiosk"
    exec xvfb-run -a -s "-screen 0 1080x1920x24" bash "$0" "$@"
fi

app="$ZK_KIOSK_APP"
runs="${RUNS:-3}"
export ZK_ASSETS="$PWD/assets"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The pids of $1 and every descendant.
tree() {
    ps -e -o pid=,ppid= | awk -v root="$1" '
        { parent[$1] = $2; pids[NR] = $1 }
        END {
            keep[root] = 1; changed = 1
            while (changed) {
                changed = 0
                for (i in pids) { p = pids[i]; if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; changed = 1 } }
            }
            for (p in keep) print p
        }'
}

# "RSS_KiB PSS_KiB" summed over the tree of $1.
tree_memory() {
    local rss=0 pss=0 pid line
    for pid in $(tree "$1"); do
        [ -r "/proc/$pid/smaps_rollup" ] || continue
        while read -r line; do
            case "$line" in
                Rss:*) rss=$((rss + $(echo "$line" | awk '{print $2}'))) ;;
                Pss:*) pss=$((pss + $(echo "$line" | awk '{print $2}'))) ;;
            esac
        done < <(grep -E '^(Rss|Pss):' "/proc/$pid/smaps_rollup" 2>/dev/null || true)
    done
    echo "$rss $pss"
}

mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

# Starts the app on store $1 (log $2), waits for the UI's first call; sets ELAPSED (ms) and PID.
start_app() {
    local store="$1" log="$2"
    ZK_LOG=info "$app" --windowed --store "$store" > /dev/null 2> "$log" &
    local pid=$! waited=0
    until grep -q "the UI is up" "$log" 2>/dev/null; do
        sleep 0.1
        waited=$((waited + 1))
        if [ "$waited" -gt 900 ] || ! kill -0 "$pid" 2>/dev/null; then
            echo "measure: the app did not come up; its log:" >&2
            cat "$log" >&2
            kill "$pid" 2>/dev/null || true
            exit 1
        fi
    done
    ELAPSED="$(grep "the UI is up" "$log" | sed 's/\x1b\[[0-9;]*m//g' | grep -o 'elapsed_ms=[0-9]*' | head -1 | cut -d= -f2)"
    PID="$pid"
    if [ -z "$ELAPSED" ]; then
        echo "measure: no elapsed_ms in the app's log line:" >&2
        grep "the UI is up" "$log" >&2
        exit 1
    fi
}

stop_app() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

echo "== cold start (process start → the UI's first call), release, Xvfb =="
for run in $(seq 1 "$runs"); do
    store="$work/store-$run"
    start_app "$store" "$work/first-$run.log"
    first="$ELAPSED"
    sleep 5
    read -r rss pss < <(tree_memory "$PID")
    stop_app "$PID"
    start_app "$store" "$work/again-$run.log"
    again="$ELAPSED"
    stop_app "$PID"
    echo "run $run: new store ${first} ms, same store again ${again} ms; idle 5 s after start: RSS $(mib "$rss") MiB, PSS $(mib "$pss") MiB"
done

echo "== memory while the real-window test drives a candidate and a staff review =="
peak_rss=0
peak_pss=0
samples="$work/samples"
(
    while true; do
        for pid in $(pgrep -x zikao-kiosk || true); do
            tree_memory "$pid"
        done
        sleep 0.5
    done
) > "$samples" &
sampler=$!
mkdir -p ui/test-results/window
tauri-driver --port 4444 --native-port 4445 > "$work/tauri-driver.log" 2>&1 &
driver=$!
status=0
node --test --test-concurrency=1 ui/e2e-window/ > "$work/window.log" 2>&1 || status=$?
kill -TERM "$driver" 2>/dev/null || true
wait "$driver" 2>/dev/null || true
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
if [ "$status" -ne 0 ]; then
    echo "measure: the window test failed; its output:" >&2
    cat "$work/window.log" >&2
    exit 1
fi
while read -r rss pss; do
    [ "$rss" -gt "$peak_rss" ] && peak_rss="$rss"
    [ "$pss" -gt "$peak_pss" ] && peak_pss="$pss"
done < "$samples"
echo "peak over $(wc -l < "$samples") samples: RSS $(mib "$peak_rss") MiB, PSS $(mib "$peak_pss") MiB"
