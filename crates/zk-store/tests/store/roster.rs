use proptest::prelude::*;
use zk_domain::{RegistrationStatus, Sex};
use zk_store::{ImportLimits, ImportReport, RosterFormat, Store, StoreError};

use crate::common::*;

fn import_csv(store: &mut Store, text: &str) -> Result<ImportReport, StoreError> {
    store.import_roster_bytes(text.as_bytes(), RosterFormat::Csv, at(5))
}

/// What an import must leave untouched when it fails: registrations and the audit log.
fn snapshot(store: &Store) -> (Vec<String>, u64) {
    let rows = store
        .registrations(None, usize::MAX, 0)
        .unwrap()
        .into_iter()
        .map(|r| {
            format!(
                "{} {} {} {:?}",
                r.registration_id,
                r.id_number,
                r.name.expose(),
                r.status
            )
        })
        .collect();
    (rows, store.verify_audit().unwrap().rows)
}

/// Imports `text` into a store that already holds rows 1–3, expects `RosterInvalid` and the store
/// unchanged; returns the `row column: message` lines.
fn refused(text: &str) -> Vec<String> {
    let mut store = store_with(&[row(1), row(2), row(3)]);
    let before = snapshot(&store);
    let error = import_csv(&mut store, text).unwrap_err();
    assert_eq!(
        snapshot(&store),
        before,
        "a refused import changed the store"
    );
    match error {
        StoreError::RosterInvalid {
            errors,
            total_errors,
        } => {
            assert_eq!(total_errors, errors.len());
            errors
                .iter()
                .map(|e| format!("{} {}: {}", e.row, e.column, e.message))
                .collect()
        }
        other => panic!("expected RosterInvalid, got {other:?}"),
    }
}

#[test]
fn imports_utf8_csv_with_chinese_headers() {
    let mut store = Store::open_in_memory().unwrap();
    let report = import_csv(&mut store, &csv(HEADER_ZH, &[row(1), row(2), row(3)])).unwrap();
    assert_eq!(
        report,
        ImportReport {
            rows: 3,
            inserted: 3,
            updated: 0,
            unchanged_confirmed: 0
        }
    );
    let first = registration(&store, 1);
    assert_eq!(first.name.expose(), "考生1");
    assert_eq!(first.sex, Sex::Male);
    assert_eq!(first.district_code, "4201");
    assert_eq!(first.phone.as_deref(), Some("13800000001"));
    let found = store
        .registration_by_id_number(&first.id_number)
        .unwrap()
        .unwrap();
    assert_eq!(found, first);
    assert_eq!(
        store
            .registration_by_id_number(&format!(" {} ", first.id_number.to_lowercase()))
            .unwrap(),
        Some(first)
    );
    assert_eq!(
        store
            .registration_by_id_number("110101199003070011")
            .unwrap(),
        None
    );
    let counts = store.roster_counts().unwrap();
    assert_eq!(
        (counts.total, counts.registered, counts.confirmed),
        (3, 3, 0)
    );
    assert_eq!(store.registrations(None, 2, 1).unwrap().len(), 2);
}

#[test]
fn imports_bom_and_english_headers() {
    let mut store = Store::open_in_memory().unwrap();
    let text = format!("\u{feff}{}", csv(HEADER_EN, &[row(1), row(2)]));
    let report = import_csv(&mut store, &text).unwrap();
    assert_eq!(report.inserted, 2);
    assert_eq!(registration(&store, 2).name.expose(), "考生2");
}

#[test]
fn imports_gbk() {
    let mut store = Store::open_in_memory().unwrap();
    let text = csv(HEADER_ZH, &[row(1), row(2)]);
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the fixture must not be UTF-8"
    );
    let report = store
        .import_roster_bytes(&bytes, RosterFormat::Csv, at(5))
        .unwrap();
    assert_eq!(report.inserted, 2);
    assert_eq!(registration(&store, 1).name.expose(), "考生1");
    assert_eq!(registration(&store, 1).major_name, "英语");
}

#[test]
fn imports_xlsx_with_typed_cells() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let dir = tempfile::tempdir().unwrap();
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    for (column, title) in HEADER_ZH.split(',').enumerate() {
        sheet.write_string(0, column as u16, title).unwrap();
    }
    let fields: Vec<String> = row(7).split(',').map(str::to_owned).collect();
    for (column, value) in fields.iter().enumerate() {
        let column = column as u16;
        match column {
            // Birth date as a real date cell, phone and district as numbers.
            6 => {
                let date = ExcelDateTime::parse_from_str(&format!(
                    "{}-{}-{}",
                    &value[..4],
                    &value[4..6],
                    &value[6..]
                ))
                .unwrap();
                sheet
                    .write_datetime_with_format(1, column, &date, &date_format)
                    .unwrap();
            }
            7 | 8 => {
                sheet
                    .write_number(1, column, value.parse::<f64>().unwrap())
                    .unwrap();
            }
            _ => {
                sheet.write_string(1, column, value).unwrap();
            }
        }
    }
    // A second data row after a blank row: reported row numbers count it.
    for (column, value) in row(8).split(',').enumerate() {
        sheet.write_string(3, column as u16, value).unwrap();
    }
    let path = dir.path().join("roster.xlsx");
    workbook.save(&path).unwrap();

    let mut store = Store::open_in_memory().unwrap();
    let report = store.import_roster_file(&path, at(5)).unwrap();
    assert_eq!(report.inserted, 2);
    let seventh = registration(&store, 7);
    assert_eq!(seventh.phone.as_deref(), Some("13800000007"));
    assert_eq!(seventh.district_code, "4201");

    // Without the extension the ZIP header gives it away.
    let renamed = dir.path().join("roster.dat");
    std::fs::copy(&path, &renamed).unwrap();
    let report = store.import_roster_file(&renamed, at(6)).unwrap();
    assert_eq!(report.updated, 2);

    // The row number in an error is the spreadsheet's.
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (column, title) in HEADER_ZH.split(',').enumerate() {
        sheet.write_string(0, column as u16, title).unwrap();
    }
    for (column, value) in row(9).split(',').enumerate() {
        let value = if column == 2 {
            "420102198001190090"
        } else {
            value
        };
        sheet.write_string(4, column as u16, value).unwrap();
    }
    // An 18-digit number typed as a number loses its last digits.
    for (column, value) in row(10).split(',').enumerate() {
        if column == 2 {
            sheet
                .write_number(5, column as u16, value[..17].parse::<f64>().unwrap() * 10.0)
                .unwrap();
        } else {
            sheet.write_string(5, column as u16, value).unwrap();
        }
    }
    let bad = dir.path().join("bad.xlsx");
    workbook.save(&bad).unwrap();
    match store.import_roster_file(&bad, at(7)) {
        Err(StoreError::RosterInvalid { errors, .. }) => {
            assert_eq!(
                (errors[0].row, errors[0].column.as_str()),
                (5, "证件号码"),
                "{errors:?}"
            );
            assert_eq!(errors[1].row, 6, "{errors:?}");
            assert!(
                errors[1].message.contains("format the column as text"),
                "{errors:?}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_id_number_is_listed_redacted() {
    let mut bad = row(5);
    let good_number = bad.split(',').nth(2).unwrap().to_owned();
    let last = good_number.chars().last().unwrap();
    let wrong_check = if last == '0' { '1' } else { '0' };
    let bad_number = format!("{}{wrong_check}", &good_number[..17]);
    bad = bad.replace(&good_number, &bad_number);
    let lines = refused(&csv(HEADER_ZH, &[row(4), bad]));
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("3 证件号码: ID number 420"),
        "{lines:?}"
    );
    assert!(lines[0].contains("check character"), "{lines:?}");
    assert!(
        !lines[0].contains(&bad_number),
        "the number must be redacted: {lines:?}"
    );
}

#[test]
fn duplicates_within_the_file_are_listed() {
    let duplicate_number = row(4).replace("r00004", "r00099");
    let lines = refused(&csv(HEADER_ZH, &[row(4), row(5), row(5), duplicate_number]));
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines[0].starts_with("4 报名号: registration id r00005 already appears in row 3"),
        "{lines:?}"
    );
    assert!(lines[1].starts_with("4 证件号码: ID number"), "{lines:?}");
    assert!(lines[2].starts_with("5 证件号码: ID number"), "{lines:?}");
    assert!(
        lines[2].contains("already appears in row 2 (registration r00004)"),
        "{lines:?}"
    );
}

#[test]
fn a_number_held_by_another_registration_in_the_store_is_refused() {
    let stolen = row(2).replace("r00002", "r00077");
    let lines = refused(&csv(HEADER_ZH, &[row(4), stolen]));
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("3 证件号码: ID number"), "{lines:?}");
    assert!(
        lines[0].contains("already belongs to registration r00002"),
        "{lines:?}"
    );
}

#[test]
fn file_level_problems_leave_the_store_unchanged() {
    let mut store = store_with(&[row(1)]);
    let before = snapshot(&store);
    let missing_column = csv(
        &HEADER_ZH.replace(",考区代码", ""),
        &[row(2).replacen(",4201", "", 1)],
    );
    match import_csv(&mut store, &missing_column) {
        Err(StoreError::RosterMissingColumns(columns)) => {
            assert_eq!(columns, vec!["考区代码 (district_code)".to_owned()]);
        }
        other => panic!("{other:?}"),
    }
    let undecodable = [
        b"\xff\xfe\xfd".as_slice(),
        csv(HEADER_ZH, &[row(2)]).as_bytes(),
    ]
    .concat();
    assert!(matches!(
        store.import_roster_bytes(&undecodable, RosterFormat::Csv, at(5)),
        Err(StoreError::RosterEncoding)
    ));
    for empty in ["", "\n\n", HEADER_ZH, &format!("{HEADER_ZH}\n,,,\n\n")] {
        assert!(
            matches!(import_csv(&mut store, empty), Err(StoreError::RosterEmpty)),
            "{empty:?}"
        );
    }
    assert!(matches!(
        store.import_roster_bytes(b"", RosterFormat::Xlsx, at(5)),
        Err(StoreError::RosterUnreadable { .. })
    ));
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        store.import_roster_file(&dir.path().join("absent.csv"), at(5)),
        Err(StoreError::Io { .. })
    ));
    assert_eq!(snapshot(&store), before);
}

#[test]
fn limits_are_enforced() {
    let mut store = store_with(&[row(1)]);
    let before = snapshot(&store);
    assert_eq!(store.import_limits(), ImportLimits::default());
    store.set_import_limits(ImportLimits {
        max_bytes: 1 << 20,
        max_rows: 3,
    });
    let four = csv(HEADER_ZH, &[row(2), row(3), row(4), row(5)]);
    match import_csv(&mut store, &four) {
        Err(error @ StoreError::RosterTooManyRows { limit: 3 }) => {
            assert!(error.to_string().contains("split it"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    import_csv(&mut store, &csv(HEADER_ZH, &[row(2), row(3), row(4)])).unwrap();
    store.set_import_limits(ImportLimits {
        max_bytes: 100,
        max_rows: 3,
    });
    assert!(matches!(
        import_csv(&mut store, &four),
        Err(StoreError::RosterTooLarge { limit: 100, .. })
    ));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.csv");
    std::fs::write(&path, &four).unwrap();
    assert!(matches!(
        store.import_roster_file(&path, at(5)),
        Err(StoreError::RosterTooLarge { .. })
    ));
    assert_eq!(snapshot(&store).0.len(), before.0.len() + 3);
}

#[test]
fn at_most_200_errors_are_listed_but_all_are_counted() {
    let rows: Vec<String> = (1..=250)
        .map(|n| row(n).replace(",4201,", ",42,"))
        .collect();
    let mut store = Store::open_in_memory().unwrap();
    match import_csv(&mut store, &csv(HEADER_ZH, &rows)) {
        Err(error @ StoreError::RosterInvalid { .. }) => {
            let text = error.to_string();
            assert!(text.contains("250 problem(s)"), "{text}");
            assert!(text.contains("… and 50 more"), "{text}");
            let StoreError::RosterInvalid {
                errors,
                total_errors,
            } = error
            else {
                unreachable!()
            };
            assert_eq!((errors.len(), total_errors), (200, 250));
            assert_eq!(errors[199].row, 201);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(store.roster_counts().unwrap().total, 0);
}

#[test]
fn reimport_updates_but_keeps_local_confirmations() {
    let mut store = store_with(&[row(1), row(2), row(3)]);
    add_block(&mut store, "b1", 1, 100);
    let confirmed = registration(&store, 2);
    let session = store.begin_session(at(3)).unwrap();
    store
        .confirm(session, &draft(&confirmed, vec![]), sitting(), 5, at(4))
        .unwrap();

    let renamed: Vec<String> = [row(1), row(2), row(3)]
        .iter()
        .map(|r| r.replace(",考生", ",新考生"))
        .chain([row(4), row_in(5, "4202", "已取消")])
        .collect();
    let report = import_csv(&mut store, &csv(HEADER_ZH, &renamed)).unwrap();
    assert_eq!(
        report,
        ImportReport {
            rows: 5,
            inserted: 2,
            updated: 2,
            unchanged_confirmed: 1
        }
    );
    let kept = registration(&store, 2);
    assert_eq!(kept.status, RegistrationStatus::Confirmed);
    assert_eq!(
        kept.name.expose(),
        "考生2",
        "a confirmed registration is left as it was"
    );
    assert_eq!(registration(&store, 1).name.expose(), "新考生1");
    assert_eq!(
        registration(&store, 5).status,
        RegistrationStatus::Cancelled
    );
    let counts = store.roster_counts().unwrap();
    assert_eq!(
        (
            counts.total,
            counts.registered,
            counts.confirmed,
            counts.cancelled
        ),
        (5, 3, 1, 1)
    );
    assert_eq!(
        store
            .registrations(Some(RegistrationStatus::Cancelled), 10, 0)
            .unwrap()
            .len(),
        1
    );
    // The import is in the audit log, with counts and without personal data.
    store.verify_audit().unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Whatever names, majors and phones look like, CSV written by a CSV writer comes back as it was.
    #[test]
    fn csv_round_trip(
        names in proptest::collection::vec("[张王李赵·A-Za-z]{1,6}", 1..20),
        major in "[英语法学,\" ]{1,12}",
        with_phone in any::<bool>(),
    ) {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(HEADER_EN.split(',')).unwrap();
        for (index, name) in names.iter().enumerate() {
            let n = index as u32 + 1;
            let mut fields: Vec<String> = row(n).split(',').map(str::to_owned).collect();
            fields[3] = name.clone();
            fields[10] = major.clone();
            if !with_phone {
                fields[7] = String::new();
            }
            writer.write_record(&fields).unwrap();
        }
        let bytes = writer.into_inner().unwrap();
        let mut store = Store::open_in_memory().unwrap();
        let report = store.import_roster_bytes(&bytes, RosterFormat::Csv, at(1)).unwrap();
        prop_assert_eq!(report.inserted, names.len());
        for (index, name) in names.iter().enumerate() {
            let stored = registration(&store, index as u32 + 1);
            prop_assert_eq!(stored.name.expose(), name.trim());
            prop_assert_eq!(&stored.major_name, major.trim());
            prop_assert_eq!(stored.phone.is_some(), with_phone);
        }
    }
}

#[test]
fn imports_the_demo_roster() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo/roster.csv");
    let mut store = Store::open_in_memory().unwrap();
    let report = store
        .import_roster_file(&path, at(1))
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    assert!(report.inserted >= 3, "{report:?}");
    let again = store.import_roster_file(&path, at(2)).unwrap();
    assert_eq!(again.updated, report.inserted);
}
