//! Human and JSON output of the read commands. JSON shapes are stable for scripts.

use serde::Serialize;
use zk_domain::{IdNumber, IdNumberError, Registration, SerialBlock};
use zk_store::{AuditVerification, ConfirmationSummary, RosterCounts, StoreError};

#[derive(Serialize)]
struct RegistrationJson<'a> {
    registration_id: &'a str,
    id_type: &'a str,
    id_number: String,
    name: &'a str,
    sex: &'a str,
    birth_date: String,
    district_code: &'a str,
    major_code: &'a str,
    major_name: &'a str,
    level: &'a str,
    status: &'a str,
}

/// Registrations are shown to the site admin with the ID number redacted.
pub fn print_registrations(rows: &[Registration], counts: &RosterCounts, json: bool) {
    let items: Vec<RegistrationJson> = rows
        .iter()
        .map(|row| RegistrationJson {
            registration_id: &row.registration_id,
            id_type: row.id_type.code(),
            id_number: zk_domain::id_number::redact(&row.id_number),
            name: row.name.expose(),
            sex: row.sex.label_zh(),
            birth_date: row.birth_date.to_string(),
            district_code: &row.district_code,
            major_code: &row.major_code,
            major_name: &row.major_name,
            level: row.level.label_zh(),
            status: row.status.code(),
        })
        .collect();
    if json {
        let value = serde_json::json!({
            "total": counts.total, "registered": counts.registered,
            "confirmed": counts.confirmed, "cancelled": counts.cancelled,
            "rows": items,
        });
        println!("{value}");
        return;
    }
    println!(
        "roster: {} registrations ({} to confirm, {} confirmed, {} cancelled)",
        counts.total, counts.registered, counts.confirmed, counts.cancelled
    );
    for item in items {
        println!(
            "{:<14} {:<18} {:<10} {:<2} {} {} {:<8} {} {:<10}",
            item.registration_id,
            item.id_number,
            item.name,
            item.sex,
            item.birth_date,
            item.district_code,
            item.major_code,
            item.level,
            item.status
        );
    }
}

pub fn print_id_check(result: &Result<IdNumber, IdNumberError>, json: bool) {
    match (result, json) {
        (Ok(number), true) => println!(
            "{}",
            serde_json::json!({
                "valid": true, "number": number.redacted(), "kind": format!("{:?}", number.kind()),
                "birth_date": number.birth_date().to_string(), "sex": number.sex().label_zh(),
                "region_code": number.region_code(),
            })
        ),
        (Ok(number), false) => println!(
            "valid: {} ({:?}), born {}, {}, region {}",
            number.redacted(),
            number.kind(),
            number.birth_date(),
            number.sex().label_zh(),
            number.region_code()
        ),
        (Err(error), true) => println!(
            "{}",
            serde_json::json!({ "valid": false, "error": error.to_string() })
        ),
        (Err(_), false) => {}
    }
}

pub fn print_blocks(blocks: &[SerialBlock], json: bool) {
    if json {
        let items: Vec<_> = blocks
            .iter()
            .map(|b| {
                serde_json::json!({
                    "block_id": b.block_id, "district": b.district, "sitting": b.sitting.code(),
                    "first": b.first, "last": b.last, "next": b.next, "remaining": b.remaining(),
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(items));
        return;
    }
    if blocks.is_empty() {
        println!("no serial blocks; the site admin records one with: zk serials allocate --block-id ID --district 4201 --sitting 271 --first 1 --last 5000");
    }
    for b in blocks {
        println!(
            "{:<16} district {} sitting {}  {:05}–{:05}  next {:05}  remaining {}",
            b.block_id,
            b.district,
            b.sitting.code(),
            b.first,
            b.last,
            b.next,
            b.remaining()
        );
    }
}

pub fn print_confirmations(rows: &[ConfirmationSummary], json: bool) {
    if json {
        match serde_json::to_string(rows) {
            Ok(text) => println!("{text}"),
            Err(error) => eprintln!("zk: cannot render JSON: {error}"),
        }
        return;
    }
    if rows.is_empty() {
        println!("no confirmations yet");
    }
    for row in rows {
        println!("{row}");
    }
}

pub fn print_audit(result: &Result<AuditVerification, StoreError>, json: bool) {
    match (result, json) {
        (Ok(ok), true) => println!(
            "{}",
            serde_json::json!({ "intact": true, "rows": ok.rows, "head": ok.head })
        ),
        (Ok(ok), false) => println!("audit chain intact: {} rows, head {}", ok.rows, ok.head),
        (Err(error), true) => println!(
            "{}",
            serde_json::json!({ "intact": false, "error": error.to_string() })
        ),
        (Err(_), false) => {}
    }
}
