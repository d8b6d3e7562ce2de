//! Candidate sessions and every decision taken in them (attempts), with scores as JSON.

use std::fmt;

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use zk_domain::{Decision, ReasonCode, Score, Step, StepOutcome, Timestamp};

use crate::error::StoreError;
use crate::{audit, seal, Store};

/// One candidate's session at the kiosk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(pub i64);

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A score as stored: non-finite values (NaN, ±∞) become `null` in JSON and NaN when read back.
#[derive(Serialize, Deserialize)]
pub(crate) struct ScoreJson {
    pub(crate) name: String,
    pub(crate) value: Option<f64>,
    pub(crate) threshold: Option<f64>,
}

impl ScoreJson {
    pub(crate) fn from_score(score: &Score) -> ScoreJson {
        let finite = |value: f64| value.is_finite().then_some(value);
        ScoreJson {
            name: score.name.clone(),
            value: finite(score.value),
            threshold: finite(score.threshold),
        }
    }

    fn into_score(self) -> Score {
        Score {
            name: self.name,
            value: self.value.unwrap_or(f64::NAN),
            threshold: self.threshold.unwrap_or(f64::NAN),
        }
    }
}

pub(crate) fn scores_json(scores: &[Score]) -> Result<String, StoreError> {
    let scores: Vec<ScoreJson> = scores.iter().map(ScoreJson::from_score).collect();
    serde_json::to_string(&scores)
        .map_err(|error| StoreError::corrupt(format!("scores cannot be written: {error}")))
}

/// A session's consent decision: which text version (and the SHA-256 of the texts shown) was
/// accepted or declined, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentRecord {
    pub accepted: bool,
    pub version: String,
    pub text_sha256: String,
    pub at: Timestamp,
}

/// The associated-data row id of a sealed staff note.
pub(crate) fn note_row(session: SessionId, at: Timestamp) -> String {
    format!("{}:{}", session.0, at.as_millis())
}

/// Fails unless `session` exists and has not ended.
pub(crate) fn require_open(conn: &Connection, session: SessionId) -> Result<(), StoreError> {
    let ended: Option<Option<i64>> = conn
        .prepare_cached("SELECT ended_at FROM sessions WHERE id = ?1")
        .and_then(|mut statement| {
            statement
                .query_row([session.0], |row| row.get(0))
                .optional()
        })
        .map_err(StoreError::db("looking up a session"))?;
    match ended {
        None => Err(StoreError::UnknownSession { session: session.0 }),
        Some(Some(_)) => Err(StoreError::SessionClosed { session: session.0 }),
        Some(None) => Ok(()),
    }
}

impl Store {
    pub fn begin_session(&mut self, now: Timestamp) -> Result<SessionId, StoreError> {
        self.conn
            .prepare_cached("INSERT INTO sessions (started_at) VALUES (?1)")
            .and_then(|mut statement| statement.insert([now.as_millis()]))
            .map(SessionId)
            .map_err(StoreError::db("starting a session"))
    }

    /// Ends a session with an outcome code (`confirmed`, a reason code …). Ending it again with the
    /// same outcome changes nothing; with another outcome it is [`StoreError::SessionClosed`].
    pub fn end_session(
        &mut self,
        session: SessionId,
        outcome: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let current: Option<(Option<i64>, Option<String>, i64)> = self
            .conn
            .query_row(
                "SELECT ended_at, outcome, started_at FROM sessions WHERE id = ?1",
                [session.0],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()
            .map_err(StoreError::db("looking up a session"))?;
        match current {
            None => Err(StoreError::UnknownSession { session: session.0 }),
            Some((Some(_), Some(previous), _)) if previous == outcome => Ok(()),
            Some((Some(_), _, _)) => Err(StoreError::SessionClosed { session: session.0 }),
            Some((None, _, started_at)) => {
                let ended_at = now.as_millis().max(started_at);
                self.conn
                    .execute(
                        "UPDATE sessions SET ended_at = ?2, outcome = ?3 WHERE id = ?1",
                        params![session.0, ended_at, outcome],
                    )
                    .map_err(StoreError::db("ending a session"))?;
                Ok(())
            }
        }
    }

    /// Records the candidate's consent decision for a session: the text version (and the SHA-256
    /// of the texts shown) accepted or declined, and when. Audited. A second decision for the same
    /// session replaces the first (the candidate may go back); both are in the audit log.
    pub fn record_consent(
        &mut self,
        session: SessionId,
        accepted: bool,
        version: &str,
        text_sha256: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let decision = if accepted { "accepted" } else { "declined" };
        self.with_full_sync(|store| {
            let tx = store
                .conn
                .transaction()
                .map_err(StoreError::db("recording consent"))?;
            require_open(&tx, session)?;
            tx.execute(
                "UPDATE sessions SET consent = ?2, consent_version = ?3, consent_text_sha256 = ?4, consent_at = ?5 WHERE id = ?1",
                params![session.0, decision, version, text_sha256, now.as_millis()],
            )
            .map_err(StoreError::db("recording consent"))?;
            audit::append(
                &tx,
                "candidate",
                &format!("consent.{decision}"),
                &format!("session={} version={version} text_sha256={text_sha256}", session.0),
                now,
            )?;
            tx.commit().map_err(StoreError::db("recording consent"))
        })
    }

    /// The consent record of a session, if the candidate has decided.
    pub fn consent(&self, session: SessionId) -> Result<Option<ConsentRecord>, StoreError> {
        type Row = (Option<String>, Option<String>, Option<String>, Option<i64>);
        let row: Option<Row> = self
            .conn
            .query_row(
                "SELECT consent, consent_version, consent_text_sha256, consent_at FROM sessions WHERE id = ?1",
                [session.0],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .optional()
            .map_err(StoreError::db("reading consent"))?;
        match row {
            None => Err(StoreError::UnknownSession { session: session.0 }),
            Some((Some(decision), Some(version), Some(text_sha256), Some(at))) => {
                Ok(Some(ConsentRecord {
                    accepted: decision == "accepted",
                    version,
                    text_sha256,
                    at: Timestamp::from_millis(at),
                }))
            }
            Some(_) => Ok(None),
        }
    }

    /// Stores one decision with its scores, and audits it (without the note, which may name the
    /// candidate; the note is sealed).
    pub fn record_outcome(
        &mut self,
        session: SessionId,
        outcome: &StepOutcome,
    ) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction()
            .map_err(StoreError::db("starting to record an outcome"))?;
        crate::require_current_key(&tx, &self.key)?;
        require_open(&tx, session)?;
        let scores = scores_json(&outcome.scores)?;
        // A staff note is free text and may name the candidate: sealed, bound to session + time.
        let note = outcome
            .note
            .as_deref()
            .map(|note| {
                seal::seal_text(
                    &self.key,
                    "attempt.note",
                    &note_row(session, outcome.at),
                    note,
                )
            })
            .transpose()?;
        tx.prepare_cached(
            "INSERT INTO attempts (session_id, step, attempt, decision, reason, scores, model_version, operator, note, at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                session.0,
                outcome.step.code(),
                outcome.attempt,
                outcome.decision.code(),
                outcome.decision.reason().map(ReasonCode::code),
                scores,
                outcome.model_version,
                outcome.operator,
                note,
                outcome.at.as_millis()
            ])
        })
        .map_err(StoreError::db("recording an outcome"))?;
        // Every decision is audited: staff ones as `staff.decision` by the operator, automatic
        // ones as `decision` by the kiosk (the model version says which matcher). No note.
        let (actor, action) = match &outcome.operator {
            Some(operator) => (operator.as_str(), "staff.decision"),
            None => ("kiosk", "decision"),
        };
        audit::append(
            &tx,
            actor,
            action,
            &format!(
                "session={} step={} attempt={} decision={} reason={} model={}",
                session.0,
                outcome.step.code(),
                outcome.attempt,
                outcome.decision.code(),
                outcome.decision.reason().map_or("-", ReasonCode::code),
                outcome.model_version
            ),
            outcome.at,
        )?;
        tx.commit().map_err(StoreError::db("committing an outcome"))
    }

    /// Every decision of a session, in the order recorded.
    pub fn attempts(&self, session: SessionId) -> Result<Vec<StepOutcome>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT step, attempt, decision, reason, scores, model_version, operator, note, at \
                 FROM attempts WHERE session_id = ?1 ORDER BY id",
            )
            .map_err(StoreError::db("reading attempts"))?;
        let mut rows = statement
            .query([session.0])
            .map_err(StoreError::db("reading attempts"))?;
        let mut outcomes = Vec::new();
        while let Some(row) = rows.next().map_err(StoreError::db("reading attempts"))? {
            let get_text = |index: usize| -> Result<String, StoreError> {
                row.get(index).map_err(StoreError::db("reading attempts"))
            };
            let step = get_text(0)?;
            let step = Step::from_code(&step)
                .ok_or_else(|| StoreError::corrupt(format!("unknown step {step:?} in attempts")))?;
            let attempt: u32 = row.get(1).map_err(StoreError::db("reading attempts"))?;
            let reason: Option<String> = row.get(3).map_err(StoreError::db("reading attempts"))?;
            let reason = match reason {
                None => None,
                Some(code) => Some(ReasonCode::from_code(&code).ok_or_else(|| {
                    StoreError::corrupt(format!("unknown reason code {code:?} in attempts"))
                })?),
            };
            let decision = match (get_text(2)?.as_str(), reason) {
                ("pass", None) => Decision::Pass,
                ("fail", Some(reason)) => Decision::Fail(reason),
                ("review", Some(reason)) => Decision::Review(reason),
                (other, _) => {
                    return Err(StoreError::corrupt(format!(
                        "decision {other:?} in attempts does not fit its reason"
                    )))
                }
            };
            let scores: Vec<ScoreJson> = serde_json::from_str(&get_text(4)?)
                .map_err(|error| StoreError::corrupt(format!("unreadable scores: {error}")))?;
            outcomes.push(StepOutcome {
                step,
                attempt,
                decision,
                scores: scores.into_iter().map(ScoreJson::into_score).collect(),
                model_version: get_text(5)?,
                operator: row.get(6).map_err(StoreError::db("reading attempts"))?,
                note: {
                    let at: i64 = row.get(8).map_err(StoreError::db("reading attempts"))?;
                    let stored: Option<String> =
                        row.get(7).map_err(StoreError::db("reading attempts"))?;
                    stored
                        .map(|note| {
                            seal::open_text(
                                &self.key,
                                "attempt.note",
                                &note_row(session, Timestamp::from_millis(at)),
                                &note,
                            )
                        })
                        .transpose()?
                },
                at: Timestamp::from_millis(row.get(8).map_err(StoreError::db("reading attempts"))?),
            });
        }
        Ok(outcomes)
    }
}

/// One candidate session for the staff console's list of the day: when, how it ended, and the
/// confirmation it made, if any. No personal fields: staff see the registration number.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SessionSummary {
    pub session: i64,
    /// Milliseconds since the Unix epoch (UTC).
    pub started_at: i64,
    pub ended_at: Option<i64>,
    /// `confirmed`, a reason code, or `None` while the session runs.
    pub outcome: Option<String>,
    pub registration_id: Option<String>,
    pub admission_number: Option<String>,
    /// Whether the hub has acknowledged the confirmation.
    pub synced: bool,
}

impl Store {
    /// Sessions started at or after `since`, newest first, at most `limit`.
    pub fn sessions_since(
        &self,
        since: Timestamp,
        limit: usize,
    ) -> Result<Vec<SessionSummary>, StoreError> {
        let limit = i64::try_from(limit.min(10_000)).unwrap_or(10_000);
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT s.id, s.started_at, s.ended_at, s.outcome, c.registration_id, \
                 c.admission_number, o.acked_at IS NOT NULL \
                 FROM sessions s \
                 LEFT JOIN confirmations c ON c.session_id = s.id \
                 LEFT JOIN outbox o ON o.confirmation_id = c.id \
                 WHERE s.started_at >= ?1 ORDER BY s.started_at DESC, s.id DESC LIMIT ?2",
            )
            .map_err(StoreError::db("listing sessions"))?;
        let rows = statement
            .query_map(params![since.as_millis(), limit], |row| {
                Ok(SessionSummary {
                    session: row.get(0)?,
                    started_at: row.get(1)?,
                    ended_at: row.get(2)?,
                    outcome: row.get(3)?,
                    registration_id: row.get(4)?,
                    admission_number: row.get(5)?,
                    synced: row.get::<_, Option<bool>>(6)?.unwrap_or(false),
                })
            })
            .map_err(StoreError::db("listing sessions"))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(StoreError::db("listing sessions"))
    }
}
