//! The roster in the store: importing a file in one transaction, and reading registrations.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zk_domain::id_number::redact;
use zk_domain::{
    Date, Ethnicity, IdNumber, IdType, Level, PersonName, Registration, RegistrationStatus, Sex,
    Timestamp,
};

use crate::error::StoreError;
use crate::key::ArtefactKey;
use crate::roster_file::{self, ImportLimits, RosterFormat};
use crate::{audit, seal, Store};

/// What an import did. `rows` = `inserted + updated + unchanged_confirmed`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Data rows read from the file (blank rows are not counted).
    pub rows: usize,
    /// Registrations new to this store.
    pub inserted: usize,
    /// Registrations already in the store, rewritten from the file.
    pub updated: usize,
    /// Registrations confirmed at this desk: kept as they are, whatever the file says.
    pub unchanged_confirmed: usize,
}

/// Registrations by status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RosterCounts {
    pub total: u64,
    pub registered: u64,
    pub confirmed: u64,
    pub cancelled: u64,
}

const SELECT_REGISTRATION: &str =
    "SELECT registration_id, id_type, id_number, name, sex, ethnicity, birth_date, phone, \
     district_code, major_code, major_name, level, status, sealed FROM roster";

/// Placeholders in the plaintext columns of a sealed row (the columns are never dropped).
const NAME_PLACEHOLDER: &str = "*";
const BIRTH_PLACEHOLDER: &str = "0000-00-00";
const SEAL_DOMAIN: &str = "roster";

/// The personal fields of a registration, sealed together in `roster.sealed`.
#[derive(Serialize, Deserialize)]
struct SealedFields {
    id_number: String,
    name: String,
    birth_date: String,
    phone: Option<String>,
    ethnicity: Option<i64>,
}

impl SealedFields {
    fn of(registration: &Registration) -> SealedFields {
        SealedFields {
            id_number: registration.id_number.clone(),
            name: registration.name.expose().to_owned(),
            birth_date: registration.birth_date.format("%Y-%m-%d").to_string(),
            phone: registration.phone.clone(),
            ethnicity: registration.ethnicity.map(|e| i64::from(e.code())),
        }
    }

    fn seal(&self, key: &ArtefactKey, registration_id: &str) -> Result<Vec<u8>, StoreError> {
        let json = zeroize::Zeroizing::new(serde_json::to_vec(self).map_err(|error| {
            StoreError::corrupt(format!("a registration cannot be sealed: {error}"))
        })?);
        seal::seal_bytes(key, SEAL_DOMAIN, registration_id, &json)
    }

    fn open(
        key: &ArtefactKey,
        registration_id: &str,
        sealed: &[u8],
    ) -> Result<SealedFields, StoreError> {
        let json =
            zeroize::Zeroizing::new(seal::open_bytes(key, SEAL_DOMAIN, registration_id, sealed)?);
        serde_json::from_slice(&json).map_err(|_| {
            StoreError::corrupt(format!(
                "registration {registration_id} has unreadable sealed fields"
            ))
        })
    }
}

fn registration_from_row(row: &Row<'_>, key: &ArtefactKey) -> Result<Registration, StoreError> {
    let text = |index: usize| -> Result<String, StoreError> {
        row.get(index)
            .map_err(StoreError::db("reading a registration"))
    };
    let registration_id = text(0)?;
    let bad = |what: &str| {
        StoreError::corrupt(format!(
            "registration {registration_id} has an unreadable {what}"
        ))
    };
    let sealed: Option<Vec<u8>> = row
        .get(13)
        .map_err(StoreError::db("reading a registration"))?;
    let fields = match sealed {
        Some(sealed) => SealedFields::open(key, &registration_id, &sealed)?,
        // Written before 0002 and not sealed yet (sealing runs when the store opens).
        None => SealedFields {
            id_number: text(2)?,
            name: text(3)?,
            birth_date: text(6)?,
            phone: row
                .get(7)
                .map_err(StoreError::db("reading a registration"))?,
            ethnicity: row
                .get(5)
                .map_err(StoreError::db("reading a registration"))?,
        },
    };
    let ethnicity = match fields.ethnicity {
        None => None,
        Some(code) => Some(Ethnicity::from_code(
            u8::try_from(code).map_err(|_| bad("ethnicity"))?,
        )),
    };
    Ok(Registration {
        id_type: IdType::parse(&text(1)?).ok_or_else(|| bad("ID type"))?,
        sex: Sex::from_code(&text(4)?).ok_or_else(|| bad("sex"))?,
        ethnicity,
        birth_date: Date::parse_from_str(&fields.birth_date, "%Y-%m-%d")
            .map_err(|_| bad("birth date"))?,
        id_number: fields.id_number,
        name: PersonName::new(fields.name),
        phone: fields.phone,
        district_code: text(8)?,
        major_code: text(9)?,
        major_name: text(10)?,
        level: Level::parse(&text(11)?).ok_or_else(|| bad("level"))?,
        status: RegistrationStatus::parse(&text(12)?).ok_or_else(|| bad("status"))?,
        registration_id,
    })
}

pub(crate) fn load_registration(
    conn: &Connection,
    key: &ArtefactKey,
    registration_id: &str,
) -> Result<Option<Registration>, StoreError> {
    find_registration(conn, key, "registration_id", registration_id)
}

/// The registration whose unique `column` (`registration_id`, or `id_number` holding the lookup
/// code) equals `value`.
fn find_registration(
    conn: &Connection,
    key: &ArtefactKey,
    column: &'static str,
    value: &str,
) -> Result<Option<Registration>, StoreError> {
    let mut statement = conn
        .prepare_cached(&format!("{SELECT_REGISTRATION} WHERE {column} = ?1"))
        .map_err(StoreError::db("looking up a registration"))?;
    let mut rows = statement
        .query([value])
        .map_err(StoreError::db("looking up a registration"))?;
    match rows
        .next()
        .map_err(StoreError::db("looking up a registration"))?
    {
        Some(row) => registration_from_row(row, key).map(Some),
        None => Ok(None),
    }
}

/// Writes `registration` (its personal fields sealed, `lookup` its ID number's lookup code) as a
/// new row, or over the existing row with its id when `exists`, inside the caller's transaction.
pub(crate) fn write_registration(
    conn: &Connection,
    key: &ArtefactKey,
    registration: &Registration,
    lookup: &str,
    exists: bool,
    now: Timestamp,
) -> Result<(), StoreError> {
    let sealed = SealedFields::of(registration).seal(key, &registration.registration_id)?;
    let values = params![
        registration.registration_id,
        registration.id_type.code(),
        lookup,
        NAME_PLACEHOLDER,
        registration.sex.code(),
        Option::<i64>::None,
        BIRTH_PLACEHOLDER,
        Option::<String>::None,
        registration.district_code,
        registration.major_code,
        registration.major_name,
        registration.level.code(),
        registration.status.code(),
        now.as_millis(),
        sealed,
    ];
    let sql = if exists {
        "UPDATE roster SET id_type = ?2, id_number = ?3, name = ?4, sex = ?5, ethnicity = ?6, \
         birth_date = ?7, phone = ?8, district_code = ?9, major_code = ?10, major_name = ?11, \
         level = ?12, status = ?13, updated_at = ?14, sealed = ?15 WHERE registration_id = ?1"
    } else {
        "INSERT INTO roster (registration_id, id_type, id_number, name, sex, ethnicity, birth_date, phone, \
         district_code, major_code, major_name, level, status, imported_at, updated_at, sealed) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14, ?15)"
    };
    conn.prepare_cached(sql)
        .and_then(|mut statement| statement.execute(values))
        .map_err(StoreError::db("writing a registration"))?;
    Ok(())
}

/// Normalises a number as typed or read: no whitespace, upper-case, 15-digit numbers converted.
fn normalize_id_number(id_number: &str) -> String {
    let compact: String = id_number
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    match IdNumber::parse(&compact) {
        Ok(number) => number.expose().to_owned(),
        Err(_) => compact,
    }
}

impl Store {
    /// Imports a roster file. The format comes from the extension (`.csv`, `.xlsx`), else from the
    /// content (a ZIP header means XLSX). All or nothing: on any error the store is unchanged.
    pub fn import_roster_file(
        &mut self,
        path: &Path,
        now: Timestamp,
    ) -> Result<ImportReport, StoreError> {
        self.import_roster_file_as(path, "admin", now)
    }

    /// [`Store::import_roster_file`] audited as `actor` (the signed-in admin's id).
    pub fn import_roster_file_as(
        &mut self,
        path: &Path,
        actor: &str,
        now: Timestamp,
    ) -> Result<ImportReport, StoreError> {
        let bytes = roster_file::read_limited(path, self.import_limits)?;
        let format = RosterFormat::detect(path, &bytes);
        self.import_roster_bytes_as(&bytes, format, actor, now)
    }

    /// Imports roster bytes (see [`Store::import_roster_file`]). Rows are upserted by registration
    /// id; a registration confirmed at this desk is never changed (it stays confirmed).
    pub fn import_roster_bytes(
        &mut self,
        bytes: &[u8],
        format: RosterFormat,
        now: Timestamp,
    ) -> Result<ImportReport, StoreError> {
        self.import_roster_bytes_as(bytes, format, "admin", now)
    }

    /// [`Store::import_roster_bytes`] audited as `actor` (the signed-in admin's id).
    pub fn import_roster_bytes_as(
        &mut self,
        bytes: &[u8],
        format: RosterFormat,
        actor: &str,
        now: Timestamp,
    ) -> Result<ImportReport, StoreError> {
        self.with_full_sync(|store| store.import_now(bytes, format, actor, now))
    }

    fn import_now(
        &mut self,
        bytes: &[u8],
        format: RosterFormat,
        actor: &str,
        now: Timestamp,
    ) -> Result<ImportReport, StoreError> {
        let parsed = roster_file::parse(bytes, format, self.import_limits)?;
        let mut errors = parsed.errors;
        let mut report = ImportReport {
            rows: parsed.rows.len(),
            ..ImportReport::default()
        };
        let tx = self
            .conn
            .transaction()
            .map_err(StoreError::db("starting the roster import"))?;
        crate::require_current_key(&tx, &self.key)?;
        {
            let mut existing_by_id = tx
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM confirmations c WHERE c.registration_id = r.registration_id) \
                     FROM roster r WHERE r.registration_id = ?1",
                )
                .map_err(StoreError::db("checking the roster"))?;
            let mut owner_of_number = tx
                .prepare_cached("SELECT registration_id FROM roster WHERE id_number = ?1")
                .map_err(StoreError::db("checking the roster"))?;
            for parsed_row in &parsed.rows {
                let registration = &parsed_row.registration;
                let locally_confirmed: Option<bool> = existing_by_id
                    .query_row([&registration.registration_id], |row| row.get(0))
                    .optional()
                    .map_err(StoreError::db("checking the roster"))?;
                if locally_confirmed == Some(true) {
                    report.unchanged_confirmed += 1;
                    continue;
                }
                let lookup = seal::lookup_code(&self.key, &registration.id_number)?;
                let owner: Option<String> = owner_of_number
                    .query_row([&lookup], |row| row.get(0))
                    .optional()
                    .map_err(StoreError::db("checking the roster"))?;
                if let Some(owner) = owner.filter(|owner| *owner != registration.registration_id) {
                    errors.push(
                        parsed_row.row,
                        parsed.id_number_column.clone(),
                        format!(
                            "ID number {} already belongs to registration {owner} in this store; one person has one registration, so correct the number or the registration id",
                            redact(&registration.id_number)
                        ),
                    );
                    continue;
                }
                if errors.total > 0 {
                    // The import will be refused: only look for further problems.
                    continue;
                }
                write_registration(
                    &tx,
                    &self.key,
                    registration,
                    &lookup,
                    locally_confirmed.is_some(),
                    now,
                )?;
                if locally_confirmed.is_some() {
                    report.updated += 1;
                } else {
                    report.inserted += 1;
                }
            }
        }
        errors.into_result()?;
        let digest = hex::encode(Sha256::digest(bytes));
        audit::append(
            &tx,
            actor,
            "roster.import",
            &format!(
                "format={:?} rows={} inserted={} updated={} unchanged_confirmed={} sha256={digest}",
                format, report.rows, report.inserted, report.updated, report.unchanged_confirmed
            ),
            now,
        )?;
        tx.commit()
            .map_err(StoreError::db("committing the roster import"))?;
        tracing::info!(
            rows = report.rows,
            inserted = report.inserted,
            updated = report.updated,
            unchanged_confirmed = report.unchanged_confirmed,
            "roster imported"
        );
        Ok(report)
    }

    /// The registration for an ID number (as typed or read from a card: spaces, lower-case `x`
    /// and 15-digit numbers are accepted).
    pub fn registration_by_id_number(
        &self,
        id_number: &str,
    ) -> Result<Option<Registration>, StoreError> {
        let code = seal::lookup_code(&self.key, &normalize_id_number(id_number))?;
        find_registration(&self.conn, &self.key, "id_number", &code)
    }

    /// The registration with this registration id (报名号).
    pub fn registration(&self, registration_id: &str) -> Result<Option<Registration>, StoreError> {
        load_registration(&self.conn, &self.key, registration_id)
    }

    /// Registrations ordered by registration id, optionally of one status.
    pub fn registrations(
        &self,
        status: Option<RegistrationStatus>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Registration>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached(&format!(
                "{SELECT_REGISTRATION} WHERE (?1 IS NULL OR status = ?1) ORDER BY registration_id LIMIT ?2 OFFSET ?3"
            ))
            .map_err(StoreError::db("listing registrations"))?;
        let mut rows = statement
            .query(params![
                status.map(RegistrationStatus::code),
                clamp(limit),
                clamp(offset)
            ])
            .map_err(StoreError::db("listing registrations"))?;
        let mut registrations = Vec::new();
        while let Some(row) = rows
            .next()
            .map_err(StoreError::db("listing registrations"))?
        {
            registrations.push(registration_from_row(row, &self.key)?);
        }
        Ok(registrations)
    }

    pub fn roster_counts(&self) -> Result<RosterCounts, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached("SELECT status, COUNT(*) FROM roster GROUP BY status")
            .map_err(StoreError::db("counting registrations"))?;
        let mut rows = statement
            .query([])
            .map_err(StoreError::db("counting registrations"))?;
        let mut counts = RosterCounts::default();
        while let Some(row) = rows
            .next()
            .map_err(StoreError::db("counting registrations"))?
        {
            let status: String = row
                .get(0)
                .map_err(StoreError::db("counting registrations"))?;
            let count: i64 = row
                .get(1)
                .map_err(StoreError::db("counting registrations"))?;
            let count = u64::try_from(count).unwrap_or(0);
            match RegistrationStatus::parse(&status) {
                Some(RegistrationStatus::Registered) => counts.registered += count,
                Some(RegistrationStatus::Confirmed) => counts.confirmed += count,
                Some(RegistrationStatus::Cancelled) => counts.cancelled += count,
                None => return Err(StoreError::corrupt("a registration has an unknown status")),
            }
            counts.total += count;
        }
        Ok(counts)
    }

    /// Limits of later imports (size and rows); see [`ImportLimits`].
    pub fn set_import_limits(&mut self, limits: ImportLimits) {
        self.import_limits = limits;
    }

    pub fn import_limits(&self) -> ImportLimits {
        self.import_limits
    }
}

/// Seals every roster row written before 0002 (plaintext columns → `sealed` + lookup code and
/// placeholders), inside the caller's transaction. Returns how many rows it sealed.
pub(crate) fn seal_plain_rows(conn: &Connection, key: &ArtefactKey) -> Result<usize, StoreError> {
    let plain: Vec<Registration> = {
        let mut statement = conn
            .prepare(&format!("{SELECT_REGISTRATION} WHERE sealed IS NULL"))
            .map_err(StoreError::db("sealing the roster"))?;
        let mut rows = statement
            .query([])
            .map_err(StoreError::db("sealing the roster"))?;
        let mut plain = Vec::new();
        while let Some(row) = rows.next().map_err(StoreError::db("sealing the roster"))? {
            plain.push(registration_from_row(row, key)?);
        }
        plain
    };
    for registration in &plain {
        let sealed = SealedFields::of(registration).seal(key, &registration.registration_id)?;
        conn.execute(
            "UPDATE roster SET id_number = ?2, name = ?3, birth_date = ?4, phone = NULL, ethnicity = NULL, sealed = ?5 \
             WHERE registration_id = ?1",
            params![
                registration.registration_id,
                seal::lookup_code(key, &registration.id_number)?,
                NAME_PLACEHOLDER,
                BIRTH_PLACEHOLDER,
                sealed
            ],
        )
        .map_err(StoreError::db("sealing the roster"))?;
    }
    Ok(plain.len())
}

/// Re-seals every roster row from `old` to `new` (key rotation), inside the caller's transaction.
pub(crate) fn reseal_rows(
    conn: &Connection,
    old: &ArtefactKey,
    new: &ArtefactKey,
) -> Result<usize, StoreError> {
    let registrations: Vec<Registration> = {
        let mut statement = conn
            .prepare(SELECT_REGISTRATION)
            .map_err(StoreError::db("re-sealing the roster"))?;
        let mut rows = statement
            .query([])
            .map_err(StoreError::db("re-sealing the roster"))?;
        let mut all = Vec::new();
        while let Some(row) = rows
            .next()
            .map_err(StoreError::db("re-sealing the roster"))?
        {
            all.push(registration_from_row(row, old)?);
        }
        all
    };
    for registration in &registrations {
        conn.execute(
            "UPDATE roster SET id_number = ?2, sealed = ?3 WHERE registration_id = ?1",
            params![
                registration.registration_id,
                seal::lookup_code(new, &registration.id_number)?,
                SealedFields::of(registration).seal(new, &registration.registration_id)?
            ],
        )
        .map_err(StoreError::db("re-sealing the roster"))?;
    }
    Ok(registrations.len())
}

/// `LIMIT`/`OFFSET` values: SQLite takes i64.
pub(crate) fn clamp(value: usize) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
