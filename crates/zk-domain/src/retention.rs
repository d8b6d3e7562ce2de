//! Retention: which stored artefacts (photos, clips, signatures) are due for deletion at `now`.
//! Pure: the store supplies the facts, the app the time; the store deletes what the plan lists.
//!
//! Per artefact kind (PIPL Art. 19: the shortest time necessary):
//! - **after upload**: once the hub has acknowledged the confirmation the artefact belongs to, it
//!   is kept `after_upload` longer (for the site's own checks) and then deleted;
//! - **unconfirmed**: an artefact of a session that ended without a confirmation (rejected,
//!   cancelled, abandoned) has nothing to be uploaded for; it goes `unconfirmed` after the end;
//! - **maximum age**: whatever happened, nothing is kept longer than `max_age` after capture, even
//!   if it was never uploaded.

use std::time::Duration;

use crate::confirmation::{ArtefactId, ArtefactKind};
use crate::time::Timestamp;

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// How long one kind of artefact is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KindRetention {
    pub after_upload: Duration,
    pub unconfirmed: Duration,
    pub max_age: Duration,
}

impl KindRetention {
    pub const fn days(after_upload: u64, unconfirmed: u64, max_age: u64) -> KindRetention {
        KindRetention {
            after_upload: Duration::from_secs(after_upload * 24 * 60 * 60),
            unconfirmed: Duration::from_secs(unconfirmed * 24 * 60 * 60),
            max_age: Duration::from_secs(max_age * 24 * 60 * 60),
        }
    }
}

/// The retention policy: one [`KindRetention`] per [`ArtefactKind`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetentionPolicy {
    pub id_photo: KindRetention,
    /// The liveness clip (video frames and audio).
    pub liveness_clip: KindRetention,
    pub live_frame: KindRetention,
    pub registration_photo: KindRetention,
    /// The rendered signature and its strokes.
    pub signature: KindRetention,
}

impl Default for RetentionPolicy {
    /// Short for biometrics, longer for what the exam authority keeps using (the registration
    /// photo goes on the exam notice and the diploma; the hub holds its copy after upload).
    fn default() -> Self {
        RetentionPolicy {
            id_photo: KindRetention::days(7, 7, 90),
            liveness_clip: KindRetention::days(7, 7, 90),
            live_frame: KindRetention::days(7, 7, 90),
            registration_photo: KindRetention::days(30, 7, 180),
            signature: KindRetention::days(30, 7, 180),
        }
    }
}

impl RetentionPolicy {
    pub fn for_kind(&self, kind: ArtefactKind) -> KindRetention {
        match kind {
            ArtefactKind::IdPhoto => self.id_photo,
            ArtefactKind::LivenessClip => self.liveness_clip,
            ArtefactKind::LiveFrame => self.live_frame,
            ArtefactKind::RegistrationPhoto => self.registration_photo,
            ArtefactKind::SignatureImage | ArtefactKind::SignatureStrokes => self.signature,
        }
    }

    /// Refuses a policy that keeps nothing at all or keeps an uploaded artefact longer than the
    /// hard maximum. Names the offending kind.
    pub fn validate(&self) -> Result<(), String> {
        for (name, kind) in [
            ("id_photo", self.id_photo),
            ("liveness_clip", self.liveness_clip),
            ("live_frame", self.live_frame),
            ("registration_photo", self.registration_photo),
            ("signature", self.signature),
        ] {
            if kind.max_age < DAY {
                return Err(format!("{name}: max_age must be at least one day"));
            }
            if kind.after_upload > kind.max_age || kind.unconfirmed > kind.max_age {
                return Err(format!(
                    "{name}: after_upload and unconfirmed must not exceed max_age"
                ));
            }
        }
        Ok(())
    }
}

/// What the store knows about one artefact that still has its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArtefactFacts {
    pub id: ArtefactId,
    pub kind: ArtefactKind,
    pub created_at: Timestamp,
    /// When its session ended, if it has.
    pub session_ended_at: Option<Timestamp>,
    /// Whether the session ended with a confirmation.
    pub confirmed: bool,
    /// When the hub acknowledged that confirmation, if it has.
    pub uploaded_at: Option<Timestamp>,
}

/// Why an artefact is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PurgeReason {
    AfterUpload,
    Unconfirmed,
    MaxAge,
}

impl PurgeReason {
    pub fn code(self) -> &'static str {
        match self {
            PurgeReason::AfterUpload => "after_upload",
            PurgeReason::Unconfirmed => "unconfirmed",
            PurgeReason::MaxAge => "max_age",
        }
    }
}

/// One artefact to delete, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurgeItem {
    pub id: ArtefactId,
    pub kind: ArtefactKind,
    pub reason: PurgeReason,
}

/// Whether `facts` is due at `now`, and why (the maximum age wins when several apply).
pub fn due(policy: &RetentionPolicy, facts: &ArtefactFacts, now: Timestamp) -> Option<PurgeReason> {
    let rule = policy.for_kind(facts.kind);
    if now >= facts.created_at.plus(rule.max_age) {
        return Some(PurgeReason::MaxAge);
    }
    if let Some(uploaded_at) = facts.uploaded_at {
        if now >= uploaded_at.plus(rule.after_upload) {
            return Some(PurgeReason::AfterUpload);
        }
    }
    if let (Some(ended_at), false) = (facts.session_ended_at, facts.confirmed) {
        if now >= ended_at.plus(rule.unconfirmed) {
            return Some(PurgeReason::Unconfirmed);
        }
    }
    None
}

/// Every artefact of `facts` due at `now`, in the order given.
pub fn plan(policy: &RetentionPolicy, facts: &[ArtefactFacts], now: Timestamp) -> Vec<PurgeItem> {
    facts
        .iter()
        .filter_map(|facts| {
            due(policy, facts, now).map(|reason| PurgeItem {
                id: facts.id.clone(),
                kind: facts.kind,
                reason,
            })
        })
        .collect()
}

/// Whether the daily purge is due: never run yet, or `every` has passed since the last run (a
/// clock set back counts as due, so a wrong clock cannot postpone deletion forever).
pub fn purge_due(last_run: Option<Timestamp>, now: Timestamp, every: Duration) -> bool {
    match last_run {
        None => true,
        Some(last) => now < last || now.since(last) >= every,
    }
}

#[cfg(test)]
mod tests;
