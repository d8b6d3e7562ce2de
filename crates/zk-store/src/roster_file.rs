//! Reading a roster file (CSV or XLSX) into validated [`Registration`]s, or into a list of row
//! errors that say what to fix. No database here: `roster.rs` writes what this returns, and the
//! hub's `zk hub roster import` reads its files through [`read_roster_file`].

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use zk_domain::id_number::redact;
use zk_domain::{
    Date, Ethnicity, IdNumber, IdType, Level, PersonName, Registration, RegistrationStatus, Sex,
};

use crate::error::{RowError, StoreError, MAX_LISTED_ROW_ERRORS};

/// Which reader to use for roster bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RosterFormat {
    Csv,
    Xlsx,
}

impl RosterFormat {
    /// By extension (`.csv`, `.xlsx`), else by content: a ZIP header (`PK\x03\x04`) is XLSX.
    pub fn detect(path: &std::path::Path, bytes: &[u8]) -> RosterFormat {
        let extension = path
            .extension()
            .and_then(|extension| extension.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("csv") | Some("txt") => RosterFormat::Csv,
            Some("xlsx") | Some("xlsm") => RosterFormat::Xlsx,
            _ if bytes.starts_with(b"PK\x03\x04") => RosterFormat::Xlsx,
            _ => RosterFormat::Csv,
        }
    }

    fn label(self) -> &'static str {
        match self {
            RosterFormat::Csv => "CSV",
            RosterFormat::Xlsx => "XLSX",
        }
    }
}

/// Size limits of one import. The defaults are 200 MiB and 2 000 000 data rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportLimits {
    pub max_bytes: u64,
    pub max_rows: usize,
}

impl Default for ImportLimits {
    fn default() -> ImportLimits {
        ImportLimits {
            max_bytes: 200 * 1024 * 1024,
            max_rows: 2_000_000,
        }
    }
}

/// The roster columns, with the header names accepted for each (Chinese first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Field {
    RegistrationId,
    IdType,
    IdNumber,
    Name,
    Sex,
    Ethnicity,
    BirthDate,
    Phone,
    DistrictCode,
    MajorCode,
    MajorName,
    Level,
    Status,
}

impl Field {
    const ALL: [Field; 13] = [
        Field::RegistrationId,
        Field::IdType,
        Field::IdNumber,
        Field::Name,
        Field::Sex,
        Field::Ethnicity,
        Field::BirthDate,
        Field::Phone,
        Field::DistrictCode,
        Field::MajorCode,
        Field::MajorName,
        Field::Level,
        Field::Status,
    ];

    /// Accepted header names, compared after [`normalize_header`]. The first is the canonical one.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::RegistrationId => &["报名号", "registration_id", "报名编号", "registration_no"],
            Field::IdType => &["证件类型", "id_type"],
            Field::IdNumber => &[
                "证件号码",
                "身份证号",
                "身份证号码",
                "证件号",
                "id_number",
                "id_no",
            ],
            Field::Name => &["姓名", "name", "考生姓名"],
            Field::Sex => &["性别", "sex", "gender"],
            Field::Ethnicity => &["民族", "ethnicity", "nation"],
            Field::BirthDate => &["出生日期", "birth_date", "date_of_birth", "birthday"],
            Field::Phone => &["手机号", "手机号码", "phone", "mobile", "联系电话"],
            Field::DistrictCode => &["考区代码", "district_code", "考区"],
            Field::MajorCode => &["专业代码", "major_code"],
            Field::MajorName => &["专业名称", "major_name", "专业"],
            Field::Level => &["层次", "level"],
            Field::Status => &["状态", "status"],
        }
    }

    fn required(self) -> bool {
        !matches!(
            self,
            Field::IdType | Field::Ethnicity | Field::BirthDate | Field::Phone | Field::Status
        )
    }

    /// The `Registration` field name, as `FieldError::field` spells it.
    fn key(self) -> &'static str {
        match self {
            Field::RegistrationId => "registration_id",
            Field::IdType => "id_type",
            Field::IdNumber => "id_number",
            Field::Name => "name",
            Field::Sex => "sex",
            Field::Ethnicity => "ethnicity",
            Field::BirthDate => "birth_date",
            Field::Phone => "phone",
            Field::DistrictCode => "district_code",
            Field::MajorCode => "major_code",
            Field::MajorName => "major_name",
            Field::Level => "level",
            Field::Status => "status",
        }
    }

    fn from_key(key: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|field| field.key() == key)
    }
}

/// Trims, drops a BOM, spaces and a parenthesised note (`出生日期(YYYYMMDD)`), lower-cases ASCII
/// and writes English separators as `_`.
fn normalize_header(text: &str) -> String {
    let text = text.trim_start_matches('\u{feff}');
    let text = text.split(['(', '（']).next().unwrap_or(text);
    text.trim()
        .chars()
        .filter(|c| !matches!(c, '*' | '＊'))
        .map(|c| match c {
            ' ' | '-' | '\u{3000}' => '_',
            _ => c.to_ascii_lowercase(),
        })
        .collect::<String>()
        .trim_matches('_')
        .to_owned()
}

/// Where each field's column is, and the header as the file writes it.
struct Columns {
    positions: HashMap<Field, (usize, String)>,
}

impl Columns {
    fn from_header(header: &[Cow<'_, str>]) -> Result<Columns, StoreError> {
        let mut positions: HashMap<Field, (usize, String)> = HashMap::new();
        let mut duplicates = Vec::new();
        for (index, text) in header.iter().enumerate() {
            let normalized = normalize_header(text);
            let Some(field) = Field::ALL
                .into_iter()
                .find(|field| field.aliases().contains(&normalized.as_str()))
            else {
                continue;
            };
            let written = text.trim().trim_start_matches('\u{feff}').to_owned();
            if let Some((_, first)) = positions.get(&field) {
                duplicates.push(RowError {
                    row: 1,
                    column: written,
                    message: format!(
                        "this column means the same as column {first}; keep only one of them"
                    ),
                });
                continue;
            }
            positions.insert(field, (index, written));
        }
        let missing: Vec<String> = Field::ALL
            .into_iter()
            .filter(|field| field.required() && !positions.contains_key(field))
            .map(|field| format!("{} ({})", field.aliases()[0], field.key()))
            .collect();
        if !missing.is_empty() {
            return Err(StoreError::RosterMissingColumns(missing));
        }
        if !duplicates.is_empty() {
            let total_errors = duplicates.len();
            return Err(StoreError::RosterInvalid {
                errors: duplicates,
                total_errors,
            });
        }
        Ok(Columns { positions })
    }

    /// The column name to show for a field: as written in the file, else the canonical name.
    fn display(&self, field: Field) -> String {
        self.positions
            .get(&field)
            .map(|(_, written)| written.clone())
            .unwrap_or_else(|| field.aliases()[0].to_owned())
    }
}

/// One cell, borrowed from the CSV record or the XLSX range.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Cell<'a> {
    Empty,
    Text(&'a str),
    Int(i64),
    Float(f64),
    Date(Date),
    /// A spreadsheet error value (`#VALUE!`, `#N/A` …).
    Error,
}

impl Cell<'_> {
    fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(text) => text.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as trimmed text; `None` when blank.
    fn text(&self) -> Result<Option<Cow<'_, str>>, &'static str> {
        Ok(match *self {
            Cell::Empty => None,
            Cell::Text(text) => {
                let text = text.trim();
                (!text.is_empty()).then_some(Cow::Borrowed(text))
            }
            Cell::Int(value) => Some(Cow::Owned(value.to_string())),
            Cell::Float(value) if value.fract() == 0.0 && value.abs() < 1e15 => {
                Some(Cow::Owned(format!("{}", value as i64)))
            }
            Cell::Float(value) => Some(Cow::Owned(value.to_string())),
            Cell::Date(date) => Some(Cow::Owned(date.format("%Y-%m-%d").to_string())),
            Cell::Error => {
                return Err(
                    "the cell holds a spreadsheet error (#VALUE!, #N/A …); enter the value itself",
                )
            }
        })
    }
}

/// Accumulates row errors: keeps the first [`MAX_LISTED_ROW_ERRORS`], counts all.
#[derive(Default)]
pub(crate) struct RowErrors {
    pub(crate) listed: Vec<RowError>,
    pub(crate) total: usize,
}

impl RowErrors {
    pub(crate) fn push(&mut self, row: usize, column: String, message: String) {
        self.total += 1;
        if self.listed.len() < MAX_LISTED_ROW_ERRORS {
            self.listed.push(RowError {
                row,
                column,
                message,
            });
        }
    }

    pub(crate) fn into_result(self) -> Result<(), StoreError> {
        if self.total == 0 {
            Ok(())
        } else {
            Err(StoreError::RosterInvalid {
                errors: self.listed,
                total_errors: self.total,
            })
        }
    }
}

/// A registration read from the file, with the row it came from.
pub(crate) struct ParsedRow {
    pub(crate) row: usize,
    pub(crate) registration: Registration,
}

/// The parse result: good rows, plus every problem found (the caller refuses the file if any).
pub(crate) struct ParsedRoster {
    pub(crate) rows: Vec<ParsedRow>,
    pub(crate) errors: RowErrors,
    /// Column name shown for `id_number` problems found later (against the store).
    pub(crate) id_number_column: String,
}

/// Turns rows of cells into registrations; checks each row and duplicates within the file.
struct RowParser {
    columns: Columns,
    rows: Vec<ParsedRow>,
    errors: RowErrors,
    seen_registration: HashMap<String, usize>,
    seen_id_number: HashMap<String, (usize, String)>,
    data_rows: usize,
    max_rows: usize,
}

impl RowParser {
    fn new(header: &[Cow<'_, str>], limits: ImportLimits) -> Result<RowParser, StoreError> {
        Ok(RowParser {
            columns: Columns::from_header(header)?,
            rows: Vec::new(),
            errors: RowErrors::default(),
            seen_registration: HashMap::new(),
            seen_id_number: HashMap::new(),
            data_rows: 0,
            max_rows: limits.max_rows,
        })
    }

    fn cell<'c>(&self, cells: &'c [Cell<'c>], field: Field) -> Cell<'c> {
        self.columns
            .positions
            .get(&field)
            .and_then(|(index, _)| cells.get(*index).copied())
            .unwrap_or(Cell::Empty)
    }

    fn add(&mut self, row: usize, cells: &[Cell<'_>]) -> Result<(), StoreError> {
        if cells.iter().all(Cell::is_blank) {
            return Ok(());
        }
        self.data_rows += 1;
        if self.data_rows > self.max_rows {
            return Err(StoreError::RosterTooManyRows {
                limit: self.max_rows,
            });
        }
        let mut problems: Vec<(Field, String)> = Vec::new();
        // Fields whose value is a placeholder because the cell was bad: validate() must not
        // report a second, confusing error about them.
        let mut placeholders: Vec<Field> = Vec::new();

        let text = |field: Field, problems: &mut Vec<(Field, String)>| -> Option<String> {
            match self.cell(cells, field).text() {
                Ok(value) => value.map(Cow::into_owned),
                Err(message) => {
                    problems.push((field, message.to_owned()));
                    None
                }
            }
        };

        let registration_id = text(Field::RegistrationId, &mut problems).unwrap_or_default();
        if registration_id.chars().count() > 64
            || registration_id
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            problems.push((
                Field::RegistrationId,
                "the registration id must be at most 64 characters without spaces".into(),
            ));
        }

        let id_type = match text(Field::IdType, &mut problems) {
            None => IdType::ResidentCard,
            Some(value) => IdType::parse(&value).unwrap_or_else(|| {
                problems.push((Field::IdType, format!("unknown ID type {value:?}; use 居民身份证, 港澳台居民居住证 or 外国人永久居留身份证 (or resident, hmt_permit, foreign_permanent)")));
                placeholders.push(Field::IdType);
                IdType::ResidentCard
            }),
        };

        let id_number_cell = self.cell(cells, Field::IdNumber);
        let id_number: String = match id_number_cell {
            Cell::Float(value) if value.abs() >= 1e15 => {
                problems.push((Field::IdNumber, "the ID number is stored as a number, so the spreadsheet kept only 15 significant digits; format the column as text and enter the numbers again".into()));
                placeholders.push(Field::IdNumber);
                String::new()
            }
            _ => text(Field::IdNumber, &mut problems)
                .unwrap_or_default()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_uppercase(),
        };
        let parsed_number = IdNumber::parse(&id_number).ok();

        let name = PersonName::new(text(Field::Name, &mut problems).unwrap_or_default());

        let sex = match text(Field::Sex, &mut problems) {
            None => {
                problems.push((Field::Sex, "the sex is empty; use 男 or 女".into()));
                Sex::Unknown
            }
            Some(value) => Sex::parse_label(&value).unwrap_or_else(|| {
                problems.push((
                    Field::Sex,
                    format!("unknown sex {value:?}; use 男 or 女 (or 1/2, M/F)"),
                ));
                Sex::Unknown
            }),
        };

        let ethnicity = match text(Field::Ethnicity, &mut problems) {
            None => None,
            Some(value) => {
                let parsed = Ethnicity::parse(&value);
                if parsed.is_none() {
                    problems.push((Field::Ethnicity, format!("unknown ethnicity {value:?}; use the name printed on the ID card (e.g. 汉 or 汉族) or its two-digit code")));
                }
                parsed
            }
        };

        let birth_from_number = || parsed_number.as_ref().map(IdNumber::birth_date);
        let birth_date = match self.cell(cells, Field::BirthDate) {
            Cell::Date(date) => Some(date),
            Cell::Error => {
                problems.push((Field::BirthDate, "the cell holds a spreadsheet error (#VALUE!, #N/A …); enter the date as YYYYMMDD".into()));
                None
            }
            cell => match cell.text().ok().flatten() {
                None => birth_from_number(),
                Some(value) => {
                    let parsed = parse_date(&value);
                    if parsed.is_none() {
                        problems.push((Field::BirthDate, "the birth date is not a calendar date; write it as YYYYMMDD, YYYY-MM-DD or YYYY/MM/DD".into()));
                    }
                    parsed
                }
            },
        };
        let birth_date = match birth_date {
            Some(date) => date,
            None => {
                let reported = problems.iter().any(|(field, _)| *field == Field::BirthDate);
                if !reported
                    && parsed_number.is_none()
                    && id_type == IdType::ForeignPermanent
                    && id_number.len() == 15
                {
                    problems.push((Field::BirthDate, "the birth date is empty and a 2017 foreign permanent resident number does not contain one; enter it as YYYYMMDD".into()));
                }
                // Otherwise the ID number is bad, and its own error says what to fix.
                placeholders.push(Field::BirthDate);
                Date::default()
            }
        };

        let phone = text(Field::Phone, &mut problems).map(|phone| {
            phone
                .chars()
                .filter(|c| !matches!(c, ' ' | '-'))
                .collect::<String>()
        });

        let district_code = text(Field::DistrictCode, &mut problems).unwrap_or_default();
        let major_code = text(Field::MajorCode, &mut problems).unwrap_or_default();
        let major_name = text(Field::MajorName, &mut problems).unwrap_or_default();

        let level = match text(Field::Level, &mut problems) {
            None => {
                problems.push((Field::Level, "the level is empty; use 专科 or 本科".into()));
                Level::Benke
            }
            Some(value) => Level::parse(&value).unwrap_or_else(|| {
                problems.push((
                    Field::Level,
                    format!("unknown level {value:?}; use 专科 or 本科"),
                ));
                Level::Benke
            }),
        };

        let status = match text(Field::Status, &mut problems) {
            None => RegistrationStatus::Registered,
            Some(value) => RegistrationStatus::parse(&value).unwrap_or_else(|| {
                problems.push((Field::Status, format!("unknown status {value:?}; use 待确认, 已确认 or 已取消 (registered, confirmed, cancelled) or leave it empty")));
                RegistrationStatus::Registered
            }),
        };

        let mut registration = Registration {
            registration_id,
            id_type,
            id_number,
            name,
            sex,
            ethnicity,
            birth_date,
            phone,
            district_code,
            major_code,
            major_name,
            level,
            status,
        };

        if let Err(field_errors) = registration.validate() {
            for field_error in field_errors {
                let field = Field::from_key(field_error.field).unwrap_or(Field::RegistrationId);
                let suppressed = problems.iter().any(|(known, _)| *known == field)
                    || placeholders.contains(&field)
                    || (field == Field::IdNumber && placeholders.contains(&Field::IdType))
                    || (matches!(field, Field::BirthDate | Field::Sex)
                        && placeholders.contains(&Field::IdNumber));
                if !suppressed {
                    problems.push((field, field_error.message));
                }
            }
        }

        // Store the 18-character form (a 15-digit first-generation number is converted).
        if let Some(Ok(number)) = registration.gb11643_number() {
            registration.id_number = number.expose().to_owned();
        }

        // Duplicates within the file, whatever else is wrong with the row.
        if !registration.registration_id.is_empty() {
            if let Some(first_row) = self.seen_registration.get(&registration.registration_id) {
                problems.push((
                    Field::RegistrationId,
                    format!(
                        "registration id {} already appears in row {first_row}; each registration must appear once",
                        registration.registration_id
                    ),
                ));
            } else {
                self.seen_registration
                    .insert(registration.registration_id.clone(), row);
            }
        }
        if !registration.id_number.is_empty() {
            if let Some((first_row, first_registration)) =
                self.seen_id_number.get(&registration.id_number)
            {
                problems.push((
                    Field::IdNumber,
                    format!(
                        "ID number {} already appears in row {first_row} (registration {first_registration}); one person has one registration",
                        redact(&registration.id_number)
                    ),
                ));
            } else {
                self.seen_id_number.insert(
                    registration.id_number.clone(),
                    (row, registration.registration_id.clone()),
                );
            }
        }

        if problems.is_empty() {
            self.rows.push(ParsedRow { row, registration });
        } else {
            problems.sort_by_key(|(field, _)| Field::ALL.iter().position(|known| known == field));
            for (field, message) in problems {
                let message = if field == Field::IdNumber
                    && !registration.id_number.is_empty()
                    && !message.starts_with("ID number ")
                {
                    format!("ID number {}: {message}", redact(&registration.id_number))
                } else {
                    message
                };
                self.errors.push(row, self.columns.display(field), message);
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<ParsedRoster, StoreError> {
        if self.data_rows == 0 {
            return Err(StoreError::RosterEmpty);
        }
        let id_number_column = self.columns.display(Field::IdNumber);
        Ok(ParsedRoster {
            rows: self.rows,
            errors: self.errors,
            id_number_column,
        })
    }
}

/// `YYYYMMDD`, `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYY.MM.DD`; with separators the month and day may
/// have one digit; a trailing time (`1990/3/7 0:00`, `1990-03-07T00:00:00`) is ignored.
pub(crate) fn parse_date(text: &str) -> Option<Date> {
    let text = text.trim();
    let date_part = text.split([' ', 'T']).next().unwrap_or(text);
    if date_part.len() == 8 && date_part.bytes().all(|b| b.is_ascii_digit()) {
        let year = date_part.get(..4)?.parse().ok()?;
        let month = date_part.get(4..6)?.parse().ok()?;
        let day = date_part.get(6..)?.parse().ok()?;
        return Date::from_ymd_opt(year, month, day);
    }
    let mut parts = date_part.split(['-', '/', '.']);
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some()
        || year.len() != 4
        || !(1..=2).contains(&month.len())
        || !(1..=2).contains(&day.len())
    {
        return None;
    }
    Date::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
}

/// Decodes CSV bytes: UTF-8 (BOM optional), else GB18030 (a superset of GBK and GB2312).
pub(crate) fn decode_text(bytes: &[u8]) -> Result<Cow<'_, str>, StoreError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(Cow::Borrowed(text));
    }
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .ok_or(StoreError::RosterEncoding)
}

/// Reads and checks roster bytes without a store: every registration in file order, or the same
/// errors an import into a store reports (bad cells, a registration id or ID number twice in the
/// file). What the store adds on import (an ID number already held by another registration) is
/// left to whoever stores the rows.
pub fn parse_roster(
    bytes: &[u8],
    format: RosterFormat,
    limits: ImportLimits,
) -> Result<Vec<Registration>, StoreError> {
    let parsed = parse(bytes, format, limits)?;
    parsed.errors.into_result()?;
    Ok(parsed
        .rows
        .into_iter()
        .map(|row| row.registration)
        .collect())
}

/// The bytes of a roster file, refused before reading when larger than `limits.max_bytes`.
pub(crate) fn read_limited(path: &Path, limits: ImportLimits) -> Result<Vec<u8>, StoreError> {
    let size = std::fs::metadata(path).map_err(StoreError::io(path))?.len();
    if size > limits.max_bytes {
        return Err(StoreError::RosterTooLarge {
            bytes: size,
            limit: limits.max_bytes,
        });
    }
    std::fs::read(path).map_err(StoreError::io(path))
}

/// [`parse_roster`] on a file; the format comes from the extension, else from the content (see
/// [`RosterFormat::detect`]). Returns the registrations, the format and the file's SHA-256.
pub fn read_roster_file(
    path: &Path,
    limits: ImportLimits,
) -> Result<(Vec<Registration>, RosterFormat, String), StoreError> {
    use sha2::{Digest, Sha256};
    let bytes = read_limited(path, limits)?;
    let format = RosterFormat::detect(path, &bytes);
    let registrations = parse_roster(&bytes, format, limits)?;
    Ok((registrations, format, hex::encode(Sha256::digest(&bytes))))
}

pub(crate) fn parse(
    bytes: &[u8],
    format: RosterFormat,
    limits: ImportLimits,
) -> Result<ParsedRoster, StoreError> {
    if bytes.len() as u64 > limits.max_bytes {
        return Err(StoreError::RosterTooLarge {
            bytes: bytes.len() as u64,
            limit: limits.max_bytes,
        });
    }
    match format {
        RosterFormat::Csv => parse_csv(bytes, limits),
        RosterFormat::Xlsx => parse_xlsx(bytes, limits),
    }
}

fn parse_csv(bytes: &[u8], limits: ImportLimits) -> Result<ParsedRoster, StoreError> {
    let text = decode_text(bytes)?;
    let first_line = text.lines().find(|line| !line.trim().is_empty());
    let delimiter = match first_line {
        Some(line) if line.contains('\t') && !line.contains(',') => b'\t',
        Some(line) if line.contains(';') && !line.contains(',') => b';',
        _ => b',',
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let unreadable = |error: csv::Error| StoreError::RosterUnreadable {
        format: RosterFormat::Csv.label(),
        why: error.to_string(),
    };
    let mut record = csv::StringRecord::new();
    let mut parser: Option<RowParser> = None;
    while reader.read_record(&mut record).map_err(unreadable)? {
        match parser.as_mut() {
            None => {
                if record.iter().all(|field| field.trim().is_empty()) {
                    continue;
                }
                let header: Vec<Cow<'_, str>> = record.iter().map(Cow::Borrowed).collect();
                parser = Some(RowParser::new(&header, limits)?);
            }
            Some(parser) => {
                let row = record
                    .position()
                    .map_or(0, |position| position.line() as usize);
                let cells: Vec<Cell<'_>> = record.iter().map(Cell::Text).collect();
                parser.add(row, &cells)?;
            }
        }
    }
    parser.ok_or(StoreError::RosterEmpty)?.finish()
}

fn parse_xlsx(bytes: &[u8], limits: ImportLimits) -> Result<ParsedRoster, StoreError> {
    use calamine::{Data, Reader, Xlsx};
    let unreadable = |why: String| StoreError::RosterUnreadable {
        format: RosterFormat::Xlsx.label(),
        why,
    };
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
        .map_err(|error: calamine::XlsxError| unreadable(error.to_string()))?;
    let range = match workbook.worksheet_range_at(0) {
        None => return Err(StoreError::RosterEmpty),
        Some(range) => range.map_err(|error| unreadable(error.to_string()))?,
    };
    if range.height() > limits.max_rows.saturating_add(1) {
        return Err(StoreError::RosterTooManyRows {
            limit: limits.max_rows,
        });
    }
    let first_row = range.start().map_or(0, |(row, _)| row as usize);
    let first_column = range.start().map_or(0, |(_, column)| column as usize);
    fn to_cell(data: &Data) -> Cell<'_> {
        match data {
            Data::Empty => Cell::Empty,
            Data::String(text) | Data::DateTimeIso(text) => Cell::Text(text),
            Data::DurationIso(_) | Data::Error(_) => Cell::Error,
            Data::Int(value) => Cell::Int(*value),
            Data::Float(value) => Cell::Float(*value),
            Data::Bool(value) => Cell::Text(if *value { "TRUE" } else { "FALSE" }),
            Data::DateTime(value) if value.is_datetime() => {
                let (year, month, day, ..) = value.to_ymd_hms_milli();
                Date::from_ymd_opt(i32::from(year), u32::from(month), u32::from(day))
                    .map_or(Cell::Error, Cell::Date)
            }
            Data::DateTime(value) => Cell::Float(value.as_f64()),
        }
    }
    let mut parser: Option<RowParser> = None;
    for (index, row) in range.rows().enumerate() {
        // Columns left of the used range are empty: pad so indexes match the sheet.
        let cells: Vec<Cell<'_>> = std::iter::repeat_n(Cell::Empty, first_column)
            .chain(row.iter().map(to_cell))
            .collect();
        match parser.as_mut() {
            None => {
                if cells.iter().all(Cell::is_blank) {
                    continue;
                }
                let header: Vec<Cow<'_, str>> = cells
                    .iter()
                    .map(|cell| cell.text().ok().flatten().unwrap_or_default())
                    .collect();
                parser = Some(RowParser::new(&header, limits)?);
            }
            Some(parser) => parser.add(first_row + index + 1, &cells)?,
        }
    }
    parser.ok_or(StoreError::RosterEmpty)?.finish()
}

#[cfg(test)]
mod tests;
