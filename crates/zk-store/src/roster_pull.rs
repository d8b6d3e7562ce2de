//! The roster as pulled from the hub: pages of registrations applied in one transaction each,
//! with the site's cursor, so a pull resumes where it stopped. Confirmations made here always win:
//! a registration confirmed at this desk is never rewritten by the hub.

use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use zk_domain::{Registration, Timestamp};

use crate::error::StoreError;
use crate::roster::{load_registration, write_registration};
use crate::{audit, seal, Store};

/// What applying one page (or a whole pull) did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RosterPullOutcome {
    /// Registrations new to this store.
    pub inserted: u64,
    /// Registrations rewritten from the hub.
    pub updated: u64,
    /// Registrations confirmed at this desk, left exactly as they are (status and confirmation).
    pub kept_confirmed: u64,
    /// Registration ids confirmed here whose ID number or name the hub now gives differently: not
    /// applied, for the site admin to look into.
    pub identity_changes: Vec<String>,
    /// Registration ids not applied, with the reason (an invalid row, or an ID number another
    /// registration holds here).
    pub refused: Vec<(String, String)>,
}

impl RosterPullOutcome {
    /// Adds another page's outcome.
    pub fn absorb(&mut self, other: RosterPullOutcome) {
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.kept_confirmed += other.kept_confirmed;
        self.identity_changes.extend(other.identity_changes);
        self.refused.extend(other.refused);
    }
}

/// Where the pull of one site stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RosterPullState {
    pub site: String,
    /// The hub revision up to which this desk has applied the roster.
    pub cursor: i64,
    /// Rows received from this site so far.
    pub rows: u64,
    /// Milliseconds since the epoch of the last page.
    pub pulled_at: i64,
}

/// The registration ids not applied (identity changes first), at most 20, for the audit row.
fn held_back(outcome: &RosterPullOutcome) -> String {
    let ids: Vec<&str> = outcome
        .identity_changes
        .iter()
        .map(String::as_str)
        .chain(outcome.refused.iter().map(|(id, _)| id.as_str()))
        .collect();
    let mut text = ids.iter().take(20).copied().collect::<Vec<_>>().join(",");
    if ids.len() > 20 {
        text.push_str(",…");
    }
    text
}

impl Store {
    /// The hub revision up to which `site`'s roster is applied here (0: nothing yet).
    pub fn roster_cursor(&self, site: &str) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT cursor FROM roster_pull WHERE site = ?1",
                [site],
                |row| row.get(0),
            )
            .optional()
            .map_err(StoreError::db("reading the roster cursor"))?
            .unwrap_or(0))
    }

    /// Every site pulled from, by site.
    pub fn roster_pulls(&self) -> Result<Vec<RosterPullState>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached("SELECT site, cursor, rows, pulled_at FROM roster_pull ORDER BY site")
            .map_err(StoreError::db("reading the roster cursors"))?;
        let rows = statement
            .query_map([], |row| {
                Ok(RosterPullState {
                    site: row.get(0)?,
                    cursor: row.get(1)?,
                    rows: u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0),
                    pulled_at: row.get(3)?,
                })
            })
            .map_err(StoreError::db("reading the roster cursors"))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(StoreError::db("reading the roster cursors"))
    }

    /// Applies one page of `site`'s roster from the hub and moves the site's cursor to `cursor`,
    /// in one durable, audited transaction. `unreadable` lists rows the caller could not turn
    /// into registrations (id, reason): they are reported and audited like refused rows.
    ///
    /// A registration confirmed at this desk is left as it is; if the hub gives it another ID
    /// number or name, that is reported in `identity_changes`. A row whose ID number another
    /// registration here holds is refused (after the rest of the page, which may free it).
    pub fn apply_roster_page(
        &mut self,
        site: &str,
        registrations: &[Registration],
        unreadable: Vec<(String, String)>,
        cursor: i64,
        now: Timestamp,
    ) -> Result<RosterPullOutcome, StoreError> {
        self.with_full_sync(|store| {
            store.apply_roster_page_now(site, registrations, unreadable, cursor, now)
        })
    }

    fn apply_roster_page_now(
        &mut self,
        site: &str,
        registrations: &[Registration],
        unreadable: Vec<(String, String)>,
        cursor: i64,
        now: Timestamp,
    ) -> Result<RosterPullOutcome, StoreError> {
        let received = registrations.len() + unreadable.len();
        let mut outcome = RosterPullOutcome {
            refused: unreadable,
            ..RosterPullOutcome::default()
        };
        let tx = self
            .conn
            .transaction()
            .map_err(StoreError::db("starting to apply the roster page"))?;
        crate::require_current_key(&tx, &self.key)?;
        let from: i64 = tx
            .query_row(
                "SELECT cursor FROM roster_pull WHERE site = ?1",
                [site],
                |row| row.get(0),
            )
            .optional()
            .map_err(StoreError::db("reading the roster cursor"))?
            .unwrap_or(0);
        let mut waiting: Vec<(&Registration, String, bool)> = Vec::new();
        for registration in registrations {
            if let Err(errors) = registration.validate() {
                let fields: Vec<&str> = errors.iter().map(|error| error.field).collect();
                outcome.refused.push((
                    registration.registration_id.clone(),
                    format!("invalid {}", fields.join(", ")),
                ));
                continue;
            }
            let confirmed_here: Option<bool> = tx
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM confirmations c WHERE c.registration_id = r.registration_id) \
                     FROM roster r WHERE r.registration_id = ?1",
                )
                .and_then(|mut statement| {
                    statement
                        .query_row([&registration.registration_id], |row| row.get(0))
                        .optional()
                })
                .map_err(StoreError::db("checking the roster"))?;
            if confirmed_here == Some(true) {
                let held = load_registration(&tx, &self.key, &registration.registration_id)?;
                let same_person = held.is_some_and(|held| {
                    held.id_number == registration.id_number
                        && held.name.matches(&registration.name)
                });
                if same_person {
                    outcome.kept_confirmed += 1;
                } else {
                    outcome
                        .identity_changes
                        .push(registration.registration_id.clone());
                }
                continue;
            }
            let lookup = seal::lookup_code(&self.key, &registration.id_number)?;
            waiting.push((registration, lookup, confirmed_here.is_some()));
        }
        // Rows whose ID number another registration holds wait until the rest of the page is
        // written (the page may move that number away); then they are refused.
        for last_round in [false, true] {
            let mut blocked = Vec::new();
            for (registration, lookup, exists) in waiting {
                let owner: Option<String> = tx
                    .prepare_cached("SELECT registration_id FROM roster WHERE id_number = ?1")
                    .and_then(|mut statement| {
                        statement.query_row([&lookup], |row| row.get(0)).optional()
                    })
                    .map_err(StoreError::db("checking the roster"))?;
                match owner {
                    Some(owner) if owner != registration.registration_id => {
                        if last_round {
                            outcome.refused.push((
                                registration.registration_id.clone(),
                                format!(
                                    "its ID number belongs to registration {owner} in this store"
                                ),
                            ));
                        } else {
                            blocked.push((registration, lookup, exists));
                        }
                    }
                    _ => {
                        write_registration(&tx, &self.key, registration, &lookup, exists, now)?;
                        if exists {
                            outcome.updated += 1;
                        } else {
                            outcome.inserted += 1;
                        }
                    }
                }
            }
            waiting = blocked;
        }
        let to = cursor.max(from);
        tx.execute(
            "INSERT INTO roster_pull (site, cursor, rows, pulled_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (site) DO UPDATE SET cursor = excluded.cursor, rows = rows + excluded.rows, \
             pulled_at = excluded.pulled_at",
            params![
                site,
                to,
                i64::try_from(received).unwrap_or(i64::MAX),
                now.as_millis()
            ],
        )
        .map_err(StoreError::db("recording the roster cursor"))?;
        audit::append(
            &tx,
            "sync",
            "roster.pull",
            &format!(
                "site={site} cursor_from={from} cursor_to={to} inserted={} updated={} kept_confirmed={} identity_changes={} refused={} held_back={}",
                outcome.inserted,
                outcome.updated,
                outcome.kept_confirmed,
                outcome.identity_changes.len(),
                outcome.refused.len(),
                held_back(&outcome)
            ),
            now,
        )?;
        tx.commit()
            .map_err(StoreError::db("committing the roster page"))?;
        tracing::info!(
            site,
            cursor = to,
            inserted = outcome.inserted,
            updated = outcome.updated,
            kept_confirmed = outcome.kept_confirmed,
            identity_changes = outcome.identity_changes.len(),
            refused = outcome.refused.len(),
            "roster page applied"
        );
        Ok(outcome)
    }
}
