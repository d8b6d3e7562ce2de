//! Store benchmarks (targets from DESIGN.md / the store brief):
//! 1. importing a 100 000-row roster (CSV bytes with valid GB 11643 numbers): ≤ 5 s;
//! 2. confirmation commits on a WAL file store in a temp dir (begin session + 3 outcomes +
//!    confirm): ≥ 200 per second.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use zk_domain::{
    CardSource, ConfirmationDraft, Decision, Score, SerialBlock, Sitting, Step, StepOutcome,
    Timestamp,
};
use zk_store::{RosterFormat, Store};

const IMPORT_ROWS: usize = 100_000;
const CONFIRM_POOL: usize = 20_000;

/// A valid resident number: region, birth date (YYYYMMDD) and 3-digit sequence.
fn id_number(region: &str, birth: &str, seq: usize) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let body = format!("{region}{birth}{seq:03}");
    let sum: u32 = body
        .bytes()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    let check = char::from(b"10X98765432"[(sum % 11) as usize]);
    format!("{body}{check}")
}

/// `rows` registrations as roster CSV, and `(registration_id, id_number)` for each.
fn roster(rows: usize) -> (Vec<u8>, Vec<(String, String)>) {
    let start = chrono::NaiveDate::from_ymd_opt(1980, 1, 1).unwrap();
    let mut text = String::from(
        "报名号,证件类型,证件号码,姓名,性别,民族,出生日期,手机号,考区代码,专业代码,专业名称,层次,状态\n",
    );
    let mut ids = Vec::with_capacity(rows);
    for index in 0..rows {
        let birth = start + chrono::Days::new((index / 999) as u64);
        let birth = birth.format("%Y%m%d").to_string();
        let seq = index % 999 + 1;
        let number = id_number("420102", &birth, seq);
        let sex = if seq % 2 == 1 { "男" } else { "女" };
        let registration_id = format!("2624201{index:06}");
        text.push_str(&format!(
            "{registration_id},居民身份证,{number},考生{index},{sex},汉,{birth},139{index:08},4201,C050201,英语,本科,\n"
        ));
        ids.push((registration_id, number));
    }
    (text.into_bytes(), ids)
}

fn import(c: &mut Criterion) {
    let (bytes, _) = roster(IMPORT_ROWS);
    let mut group = c.benchmark_group("roster_import");
    group.throughput(Throughput::Elements(IMPORT_ROWS as u64));
    group.bench_function("csv_100k_rows_file_store", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let store = Store::open(dir.path()).unwrap();
                (dir, store)
            },
            |(dir, mut store)| {
                let report = store
                    .import_roster_bytes(&bytes, RosterFormat::Csv, Timestamp::from_millis(1))
                    .unwrap();
                assert_eq!(report.inserted, IMPORT_ROWS);
                (dir, store)
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

struct ConfirmBench {
    _dir: tempfile::TempDir,
    store: Store,
    ids: Vec<(String, String)>,
    next: usize,
}

fn fresh_confirm_store(sitting: Sitting) -> ConfirmBench {
    let (bytes, ids) = roster(CONFIRM_POOL);
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store
        .import_roster_bytes(&bytes, RosterFormat::Csv, Timestamp::from_millis(1))
        .unwrap();
    let block = SerialBlock::new("bench", "4201", sitting, 1, 99_999).unwrap();
    store
        .add_serial_block(&block, "bench", Timestamp::from_millis(2))
        .unwrap();
    ConfirmBench {
        _dir: dir,
        store,
        ids,
        next: 0,
    }
}

fn outcome(step: Step, now: Timestamp) -> StepOutcome {
    StepOutcome {
        step,
        attempt: 1,
        decision: Decision::Pass,
        scores: vec![
            Score::new("face_distance_median", 0.31, 0.4),
            Score::new("usable_frames", 12.0, 5.0),
        ],
        model_version: "bench-v1".into(),
        operator: None,
        note: None,
        at: now,
    }
}

fn confirm(c: &mut Criterion) {
    let sitting = Sitting::parse("262").unwrap();
    let mut state = fresh_confirm_store(sitting);
    let mut group = c.benchmark_group("confirm");
    group.throughput(Throughput::Elements(1));
    group.bench_function("session_3_outcomes_commit_wal_file", |b| {
        b.iter_custom(|iterations| {
            if state.next + iterations as usize > state.ids.len() {
                state = fresh_confirm_store(sitting);
            }
            let started = Instant::now();
            for _ in 0..iterations {
                let (registration_id, id_number) = state.ids[state.next].clone();
                state.next += 1;
                let now = Timestamp::from_millis(1_700_000_000_000 + state.next as i64);
                let session = state.store.begin_session(now).unwrap();
                let outcomes: Vec<StepOutcome> = [Step::IdCard, Step::Liveness, Step::Photo]
                    .into_iter()
                    .map(|step| outcome(step, now))
                    .collect();
                for outcome in &outcomes {
                    state.store.record_outcome(session, outcome).unwrap();
                }
                let draft = ConfirmationDraft {
                    registration_id,
                    id_number,
                    district_code: "4201".into(),
                    card_source: CardSource::Chip,
                    consent_version: Some("v1".into()),
                    outcomes,
                    artefacts: Vec::new(),
                    declaration: vec![("fever".into(), false)],
                };
                state
                    .store
                    .confirm(session, &draft, sitting, 100, now)
                    .unwrap();
            }
            started.elapsed()
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    targets = import, confirm
}
criterion_main!(benches);
