//! Pushes N confirmations (each with a 30 KB photo, a 15 KB ID photo and a 4 KB signature image)
//! from a desk's file store to a hub on 127.0.0.1, and reports records/s. Target: 10 000 in ≤ 60 s.
//!
//! The hub runs in a child process (this binary again, `ZK_BENCH_ROLE=hub`), so the peak resident
//! memory of the desk and of the hub are measured apart, each over the push only (the kernel's
//! high-water mark is reset through `/proc/self/clear_refs` when the push starts).
//!
//! `cargo bench -p zk-hub --bench push` — ZK_BENCH_RECORDS (default 10000), ZK_BENCH_DB
//! (`sqlite`, the default, or `postgres`: a throwaway cluster as in the tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

use common::{Desk, RunningHub, Sizes};

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|line| line.starts_with(field))
                .and_then(|line| line.split_whitespace().nth(1).map(str::to_owned))
        })
        .and_then(|value| value.parse().ok())
        .unwrap_or(0)
}

/// Resets VmHWM to the current RSS (Linux ≥ 4.0).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The child: serves `ZK_BENCH_HUB_DB`, enrols the desk key, prints its URL, waits for a line on
/// stdin, then prints the record count and its peak RSS.
fn hub_role() {
    let db_url = std::env::var("ZK_BENCH_HUB_DB").unwrap();
    let desk_key = std::env::var("ZK_BENCH_DESK_KEY").unwrap();
    runtime().block_on(async {
        let hub = RunningHub::start(&db_url).await;
        hub.db
            .enrol_desk(&desk_key, "bench-desk", None, common::now_ms())
            .await
            .unwrap();
        reset_peak_rss();
        println!("{}", hub.url);
        std::io::stdout().flush().unwrap();
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).unwrap();
        let peak = status_kib("VmHWM:");
        let stats = hub.db.stats().await.unwrap();
        println!("{} {}", stats.confirmations, peak);
        std::io::stdout().flush().unwrap();
        hub.stop().await;
    });
}

fn main() {
    if std::env::var("ZK_BENCH_ROLE").as_deref() == Ok("hub") {
        hub_role();
        return;
    }
    let records: usize = std::env::var("ZK_BENCH_RECORDS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(10_000);
    let backend = std::env::var("ZK_BENCH_DB").unwrap_or_else(|_| "sqlite".into());
    let runtime = runtime();
    let sizes = Sizes {
        photo: 30 * 1024,
        id_photo: 15 * 1024,
        signature: 4 * 1024,
    };
    let started = Instant::now();
    let mut desk = Desk::new("bench-desk", records, ("BENCH", 1, 99_999));
    desk.confirm_many(0..records, sizes);
    eprintln!(
        "setup: {records} confirmations committed on the desk in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    runtime.block_on(async {
        let hub_dir = tempfile::tempdir().unwrap();
        let db_url = match backend.as_str() {
            "postgres" => common::postgres_url().await,
            _ => common::sqlite_url(&hub_dir),
        };
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env("ZK_BENCH_ROLE", "hub")
            .env("ZK_BENCH_HUB_DB", &db_url)
            .env("ZK_BENCH_DESK_KEY", desk.key().public_hex())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut hub_out = BufReader::new(child.stdout.take().unwrap());
        let mut url = String::new();
        hub_out.read_line(&mut url).unwrap();
        let url = url.trim().to_owned();
        assert!(url.starts_with("http://"), "the hub did not start: {url:?}");

        reset_peak_rss();
        let rss_before = status_kib("VmRSS:");
        let started = Instant::now();
        let report = desk.push(&url).await.unwrap();
        let elapsed = started.elapsed().as_secs_f64();
        let desk_peak = status_kib("VmHWM:");

        let mut hub_in = child.stdin.take().unwrap();
        writeln!(hub_in, "stop").unwrap();
        let mut answer = String::new();
        hub_out.read_line(&mut answer).unwrap();
        let mut fields = answer.split_whitespace().map(|f| f.parse::<u64>().unwrap());
        let (hub_confirmations, hub_peak) = (fields.next().unwrap(), fields.next().unwrap());
        assert!(child.wait().unwrap().success());

        assert_eq!(report.acked as usize, records);
        assert_eq!(hub_confirmations as usize, records);
        assert_eq!(desk.unacked(), 0);
        println!(
            "push {backend}: {records} confirmations, {} blobs ({:.1} MB) in {elapsed:.1} s = {:.0} records/s; \
             {} batches; peak RSS during the push: desk {} MiB (was {} MiB before), hub {} MiB",
            report.blobs_uploaded,
            report.blob_bytes as f64 / 1e6,
            records as f64 / elapsed,
            report.batches,
            desk_peak / 1024,
            rss_before / 1024,
            hub_peak / 1024
        );
    });
}
