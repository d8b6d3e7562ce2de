//! The atomic commit: registration check, admission number, confirmation, status, outbox row and
//! audit row in one transaction.

use std::fmt;

use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use zk_domain::admission::{issue, AdmissionError};
use zk_domain::{
    AdmissionNumber, ConfirmationDraft, ReasonCode, RegistrationStatus, Sitting, Timestamp,
};

use crate::error::StoreError;
use crate::key::random_id;
use crate::roster::{clamp, load_registration};
use crate::serials::load_blocks;
use crate::session::{require_open, ScoreJson, SessionId};
use crate::{audit, seal, Store};

/// What [`Store::confirm`] committed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfirmationReceipt {
    pub confirmation_id: String,
    pub admission_number: AdmissionNumber,
    /// Serials left for this district and sitting.
    pub remaining_serials: u32,
    /// Below the low-water mark: ask the hub or the site admin for another block.
    pub running_low: bool,
}

/// One confirmation as listed for staff and admins (no ID number, no name).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConfirmationSummary {
    pub confirmation_id: String,
    pub registration_id: String,
    pub admission_number: String,
    pub session: i64,
    pub card_source: String,
    pub consent_version: Option<String>,
    /// Milliseconds since the Unix epoch (UTC).
    pub confirmed_at: i64,
    /// Whether the hub has acknowledged it.
    pub synced: bool,
}

impl fmt::Display for ConfirmationSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let when = chrono::DateTime::from_timestamp_millis(self.confirmed_at).map_or_else(
            || self.confirmed_at.to_string(),
            |time| time.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        );
        write!(
            f,
            "{when}  {}  registration {}  card {}  {}  {}",
            self.admission_number,
            self.registration_id,
            self.card_source,
            if self.synced { "synced" } else { "pending" },
            self.confirmation_id
        )
    }
}

#[derive(Serialize)]
struct OutcomeJson<'a> {
    step: &'static str,
    attempt: u32,
    decision: &'static str,
    reason: Option<&'static str>,
    scores: Vec<ScoreJson>,
    model_version: &'a str,
    operator: Option<&'a str>,
    note: Option<&'a str>,
    at: i64,
}

#[derive(Serialize)]
struct AnswerJson<'a> {
    question: &'a str,
    answer: bool,
}

#[derive(Serialize)]
struct ArtefactJson {
    kind: &'static str,
    id: String,
    sha256: String,
    size: i64,
}

/// The outbox payload: everything the hub needs to record the confirmation. Version 1.
#[derive(Serialize)]
struct PayloadJson<'a> {
    version: u32,
    confirmation_id: &'a str,
    registration_id: &'a str,
    id_number: &'a str,
    admission_number: String,
    district_code: &'a str,
    sitting: String,
    block_id: &'a str,
    session: i64,
    card_source: &'static str,
    consent_version: Option<&'a str>,
    declaration: &'a [AnswerJson<'a>],
    outcomes: &'a [OutcomeJson<'a>],
    artefacts: Vec<ArtefactJson>,
    confirmed_at: i64,
}

fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|error| {
        StoreError::corrupt(format!("the confirmation cannot be written: {error}"))
    })
}

fn serial_error(error: AdmissionError, district: &str, sitting: Sitting) -> StoreError {
    let message = error.to_string();
    match error {
        AdmissionError::Exhausted { .. } => StoreError::SerialsExhausted {
            district: district.to_owned(),
            sitting: sitting.code(),
            message,
        },
        _ => StoreError::NoSerial {
            district: district.to_owned(),
            sitting: sitting.code(),
            message,
        },
    }
}

impl Store {
    /// Confirms `draft.registration_id` in one transaction: issues the next admission number from
    /// this desk's blocks, advances the block, writes the confirmation and its artefact links, marks
    /// the registration confirmed, queues the outbox row and appends the audit row. Any failure
    /// leaves the store as it was.
    pub fn confirm(
        &mut self,
        session: SessionId,
        draft: &ConfirmationDraft,
        sitting: Sitting,
        low_water: u32,
        now: Timestamp,
    ) -> Result<ConfirmationReceipt, StoreError> {
        self.with_full_sync(|store| store.confirm_now(session, draft, sitting, low_water, now))
    }

    fn confirm_now(
        &mut self,
        session: SessionId,
        draft: &ConfirmationDraft,
        sitting: Sitting,
        low_water: u32,
        now: Timestamp,
    ) -> Result<ConfirmationReceipt, StoreError> {
        let tx = self
            .conn
            .transaction()
            .map_err(StoreError::db("starting the confirmation"))?;
        crate::require_current_key(&tx, &self.key)?;
        require_open(&tx, session)?;
        let registration =
            load_registration(&tx, &self.key, &draft.registration_id)?.ok_or_else(|| {
                StoreError::NoRegistration {
                    registration_id: draft.registration_id.clone(),
                }
            })?;
        match registration.status {
            RegistrationStatus::Confirmed => return Err(StoreError::AlreadyConfirmed),
            RegistrationStatus::Cancelled => {
                return Err(StoreError::RegistrationCancelled {
                    registration_id: registration.registration_id,
                })
            }
            RegistrationStatus::Registered => {}
        }
        let mismatch = |field| StoreError::DraftMismatch {
            registration_id: registration.registration_id.clone(),
            field,
        };
        let draft_number: String = draft
            .id_number
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if !draft_number.eq_ignore_ascii_case(&registration.id_number) {
            return Err(mismatch("the ID number"));
        }
        if draft.district_code != registration.district_code {
            return Err(mismatch("the exam district"));
        }
        let already: Option<i64> = tx
            .query_row(
                "SELECT 1 FROM confirmations WHERE registration_id = ?1",
                [&registration.registration_id],
                |row| row.get(0),
            )
            .optional()
            .map_err(StoreError::db("checking earlier confirmations"))?;
        if already.is_some() {
            return Err(StoreError::AlreadyConfirmed);
        }

        let district = registration.district_code.as_str();
        let blocks = load_blocks(&tx, Some((district, sitting)))?;
        let issued = issue(&blocks, district, sitting, low_water)
            .map_err(|error| serial_error(error, district, sitting))?;
        let advanced = tx
            .prepare_cached(
                "UPDATE serial_blocks SET next = next + 1 WHERE block_id = ?1 AND next = ?2 AND next <= last",
            )
            .and_then(|mut statement| statement.execute(params![issued.block_id, issued.number.serial]))
            .map_err(StoreError::db("advancing the serial block"))?;
        if advanced != 1 {
            return Err(StoreError::corrupt(format!(
                "serial block {} changed while issuing",
                issued.block_id
            )));
        }
        let admission_number = issued.number.to_string();
        let number_taken: Option<String> = tx
            .query_row(
                "SELECT id FROM confirmations WHERE admission_number = ?1",
                [&admission_number],
                |row| row.get(0),
            )
            .optional()
            .map_err(StoreError::db("checking the admission number"))?;
        if number_taken.is_some() {
            return Err(StoreError::AdmissionNumberInUse {
                number: admission_number,
            });
        }

        // Artefacts: each must be this session's and still hold its data.
        let mut artefacts = Vec::with_capacity(draft.artefacts.len());
        {
            let mut lookup = tx
                .prepare_cached(
                    "SELECT session_id, kind, sha256, size, purged_at IS NOT NULL FROM artefacts WHERE id = ?1",
                )
                .map_err(StoreError::db("checking artefacts"))?;
            for (kind, id) in &draft.artefacts {
                let found: Option<(i64, String, String, i64, bool)> = lookup
                    .query_row([&id.0], |row| {
                        Ok((
                            row.get(0)?,
                            row.get(1)?,
                            row.get(2)?,
                            row.get(3)?,
                            row.get(4)?,
                        ))
                    })
                    .optional()
                    .map_err(StoreError::db("checking artefacts"))?;
                let (owner, stored_kind, sha256, size, purged) =
                    found.ok_or_else(|| StoreError::UnknownArtefact { id: id.0.clone() })?;
                if owner != session.0 {
                    return Err(StoreError::ArtefactNotInSession { id: id.0.clone() });
                }
                if purged {
                    return Err(StoreError::ArtefactPurged { id: id.0.clone() });
                }
                if stored_kind != kind.code() {
                    return Err(StoreError::ArtefactCorrupt { id: id.0.clone() });
                }
                artefacts.push(ArtefactJson {
                    kind: kind.code(),
                    id: id.0.clone(),
                    sha256,
                    size,
                });
            }
        }

        let confirmation_id = random_id()?;
        let outcomes: Vec<OutcomeJson<'_>> = draft
            .outcomes
            .iter()
            .map(|outcome| OutcomeJson {
                step: outcome.step.code(),
                attempt: outcome.attempt,
                decision: outcome.decision.code(),
                reason: outcome.decision.reason().map(ReasonCode::code),
                scores: outcome.scores.iter().map(ScoreJson::from_score).collect(),
                model_version: &outcome.model_version,
                operator: outcome.operator.as_deref(),
                note: outcome.note.as_deref(),
                at: outcome.at.as_millis(),
            })
            .collect();
        let declaration: Vec<AnswerJson<'_>> = draft
            .declaration
            .iter()
            .map(|(question, answer)| AnswerJson {
                question,
                answer: *answer,
            })
            .collect();
        // Notes and declaration answers may be personal: sealed like the payload.
        let outcomes_json = seal::seal_json(
            &self.key,
            "confirmation.outcomes",
            &confirmation_id,
            &to_json(&outcomes)?,
        )?;
        let declaration_json = seal::seal_json(
            &self.key,
            "confirmation.declaration",
            &confirmation_id,
            &to_json(&declaration)?,
        )?;
        tx.prepare_cached(
            "INSERT INTO confirmations (id, registration_id, admission_number, block_id, session_id, card_source, \
             consent_version, declaration, outcomes, confirmed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                confirmation_id,
                registration.registration_id,
                admission_number,
                issued.block_id,
                session.0,
                draft.card_source.code(),
                draft.consent_version,
                declaration_json,
                outcomes_json,
                now.as_millis()
            ])
        })
        .map_err(StoreError::db("writing the confirmation"))?;
        {
            let mut link = tx
                .prepare_cached(
                    "INSERT INTO confirmation_artefacts (confirmation_id, artefact_id, kind) VALUES (?1, ?2, ?3)",
                )
                .map_err(StoreError::db("linking artefacts"))?;
            for artefact in &artefacts {
                link.execute(params![confirmation_id, artefact.id, artefact.kind])
                    .map_err(StoreError::db("linking artefacts"))?;
            }
        }
        tx.prepare_cached(
            "UPDATE roster SET status = 'confirmed', updated_at = ?2 WHERE registration_id = ?1 AND status = 'registered'",
        )
        .and_then(|mut statement| {
            statement.execute(params![registration.registration_id, now.as_millis()])
        })
        .map_err(StoreError::db("marking the registration confirmed"))?;

        let payload = to_json(&PayloadJson {
            version: 1,
            confirmation_id: &confirmation_id,
            registration_id: &registration.registration_id,
            id_number: &registration.id_number,
            admission_number: admission_number.clone(),
            district_code: district,
            sitting: sitting.code(),
            block_id: &issued.block_id,
            session: session.0,
            card_source: draft.card_source.code(),
            consent_version: draft.consent_version.as_deref(),
            declaration: &declaration,
            outcomes: &outcomes,
            artefacts,
            confirmed_at: now.as_millis(),
        })?;
        // The payload carries the ID number (the hub needs it): sealed until sync reads it.
        let payload = seal::seal_json(&self.key, "outbox", &confirmation_id, &payload)?;
        tx.prepare_cached(
            "INSERT INTO outbox (confirmation_id, payload, created_at) VALUES (?1, ?2, ?3)",
        )
        .and_then(|mut statement| {
            statement.execute(params![confirmation_id, payload, now.as_millis()])
        })
        .map_err(StoreError::db("queueing the confirmation for sync"))?;
        audit::append(
            &tx,
            "kiosk",
            "confirm",
            &format!(
                "confirmation={confirmation_id} admission_number={admission_number} registration={} session={} block={}",
                registration.registration_id, session.0, issued.block_id
            ),
            now,
        )?;
        tx.commit()
            .map_err(StoreError::db("committing the confirmation"))?;
        tracing::info!(
            confirmation_id = %confirmation_id,
            remaining = issued.remaining,
            running_low = issued.running_low,
            "confirmation committed"
        );
        Ok(ConfirmationReceipt {
            confirmation_id,
            admission_number: issued.number,
            remaining_serials: issued.remaining,
            running_low: issued.running_low,
        })
    }

    /// Confirmations, newest first.
    pub fn confirmations(
        &self,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<ConfirmationSummary>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT c.id, c.registration_id, c.admission_number, c.session_id, c.card_source, c.consent_version, \
                 c.confirmed_at, o.acked_at IS NOT NULL \
                 FROM confirmations c LEFT JOIN outbox o ON o.confirmation_id = c.id \
                 ORDER BY c.confirmed_at DESC, c.rowid DESC LIMIT ?1 OFFSET ?2",
            )
            .map_err(StoreError::db("listing confirmations"))?;
        let rows = statement
            .query_map(params![clamp(limit), clamp(offset)], |row| {
                Ok(ConfirmationSummary {
                    confirmation_id: row.get(0)?,
                    registration_id: row.get(1)?,
                    admission_number: row.get(2)?,
                    session: row.get(3)?,
                    card_source: row.get(4)?,
                    consent_version: row.get(5)?,
                    confirmed_at: row.get(6)?,
                    synced: row.get(7)?,
                })
            })
            .map_err(StoreError::db("listing confirmations"))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(StoreError::db("listing confirmations"))
    }
}
