//! Pushes N confirmations (each with a 30 KB photo, a 15 KB ID photo and a 4 KB signature image)
//! from a desk's file store to a hub on 127.0.0.1, and reports records/s. Target: 10 000 in ≤ 60 s.
//!
//! `cargo bench -p zk-hub --bench push` — ZK_BENCH_RECORDS (default 10000), ZK_BENCH_DB
//! (`sqlite`, the default, or `postgres`: a throwaway cluster as in the tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use common::{Desk, RunningHub, Sizes};

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|line| line.starts_with("VmHWM:"))
                .and_then(|line| line.split_whitespace().nth(1).map(str::to_owned))
        })
        .and_then(|value| value.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let records: usize = std::env::var("ZK_BENCH_RECORDS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(10_000);
    let backend = std::env::var("ZK_BENCH_DB").unwrap_or_else(|_| "sqlite".into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
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
        let hub = RunningHub::start(&db_url).await;
        hub.enrol(&desk).await;
        let started = Instant::now();
        let report = desk.push(&hub.url).await.unwrap();
        let elapsed = started.elapsed().as_secs_f64();
        let stats = hub.db.stats().await.unwrap();
        assert_eq!(report.acked as usize, records);
        assert_eq!(stats.confirmations as usize, records);
        assert_eq!(desk.unacked(), 0);
        println!(
            "push {backend}: {records} confirmations, {} blobs ({:.1} MB) in {elapsed:.1} s = {:.0} records/s; \
             {} batches; peak RSS of desk + hub (one process) {} MiB",
            report.blobs_uploaded,
            report.blob_bytes as f64 / 1e6,
            records as f64 / elapsed,
            report.batches,
            peak_rss_kib() / 1024
        );
        hub.stop().await;
    });
}
