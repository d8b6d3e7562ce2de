//! Fixtures: valid GB 11643 numbers, roster CSV text, drafts, and a raw connection for tampering.

use std::path::Path;

use zk_domain::{
    ArtefactId, ArtefactKind, CardSource, ConfirmationDraft, Decision, Registration, Score,
    SerialBlock, Sitting, Step, StepOutcome, Timestamp,
};
use zk_store::{RosterFormat, Store};

pub const HEADER_ZH: &str =
    "报名号,证件类型,证件号码,姓名,性别,民族,出生日期,手机号,考区代码,专业代码,专业名称,层次,状态";
pub const HEADER_EN: &str = "registration_id,id_type,id_number,name,sex,ethnicity,birth_date,phone,district_code,major_code,major_name,level,status";

pub fn at(millis: i64) -> Timestamp {
    Timestamp::from_millis(millis)
}

pub fn sitting() -> Sitting {
    Sitting::parse("262").unwrap()
}

/// A valid 18-character resident number for `birth` (YYYYMMDD) and sequence `seq` (odd = male).
pub fn id_number(birth: &str, seq: u32) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let body = format!("420102{birth}{:03}", seq % 1000);
    let sum: u32 = body
        .bytes()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{body}{check}")
}

/// One roster row in `HEADER_ZH` order: registration `r{n}`, district 4201.
pub fn row(n: u32) -> String {
    row_in(n, "4201", "")
}

pub fn row_in(n: u32, district: &str, status: &str) -> String {
    let seq = n % 1000;
    let birth = format!("19{:02}0{}1{}", 80 + n / 1000 % 20, 1 + n % 9, n % 10);
    let sex = if seq % 2 == 1 { "男" } else { "女" };
    format!(
        "r{n:05},居民身份证,{},考生{n},{sex},汉,{birth},138{n:08},{district},C050201,英语,本科,{status}",
        id_number(&birth, seq)
    )
}

pub fn csv(header: &str, rows: &[String]) -> String {
    let mut text = String::from(header);
    for row in rows {
        text.push('\n');
        text.push_str(row);
    }
    text.push('\n');
    text
}

pub fn store_with(rows: &[String]) -> Store {
    let mut store = Store::open_in_memory().unwrap();
    store
        .import_roster_bytes(csv(HEADER_ZH, rows).as_bytes(), RosterFormat::Csv, at(1))
        .unwrap();
    store
}

pub fn add_block(store: &mut Store, block_id: &str, first: u32, last: u32) {
    let block = SerialBlock::new(block_id, "4201", sitting(), first, last).unwrap();
    store.add_serial_block(&block, "admin", at(2)).unwrap();
}

pub fn registration(store: &Store, n: u32) -> Registration {
    store
        .registrations(None, usize::MAX, 0)
        .unwrap()
        .into_iter()
        .find(|registration| registration.registration_id == format!("r{n:05}"))
        .unwrap()
}

pub fn outcome(step: Step, decision: Decision) -> StepOutcome {
    StepOutcome {
        step,
        attempt: 1,
        decision,
        scores: vec![Score::new("face_distance_median", 0.31, 0.4)],
        model_version: "test-v1".into(),
        operator: None,
        note: None,
        at: at(10),
    }
}

pub fn draft(
    registration: &Registration,
    artefacts: Vec<(ArtefactKind, ArtefactId)>,
) -> ConfirmationDraft {
    ConfirmationDraft {
        registration_id: registration.registration_id.clone(),
        id_number: registration.id_number.clone(),
        district_code: registration.district_code.clone(),
        card_source: CardSource::Chip,
        consent_version: Some("consent-2026-1".into()),
        outcomes: [
            Step::Consent,
            Step::IdCard,
            Step::Liveness,
            Step::Photo,
            Step::Pledge,
            Step::Signature,
        ]
        .into_iter()
        .map(|step| outcome(step, Decision::Pass))
        .collect(),
        artefacts,
        declaration: vec![("fever".into(), false), ("travel".into(), true)],
    }
}

/// A second connection to the store's database file, for tampering and for counting rows.
pub fn raw(dir: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join(zk_store::DATABASE_FILE)).unwrap()
}
