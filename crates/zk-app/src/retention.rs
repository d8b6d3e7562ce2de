//! The retention job: the `[retention]` config, and one run — facts from the store, the pure plan
//! (`zk_domain::retention::plan`) for `now`, the store's secure purge. The kiosk runs it at start
//! and once a day from its timer; `zk store purge` runs it by hand (`--dry-run` shows the plan).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use zk_domain::retention::plan;
use zk_domain::{KindRetention, PurgeItem, RetentionPolicy, Timestamp};
use zk_store::{PurgeOutcome, Store};

use crate::error::AppError;

/// Days one kind of artefact is kept.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct KindDays {
    /// After the hub acknowledged the confirmation.
    pub after_upload_days: u64,
    /// After a session ended without a confirmation.
    pub unconfirmed_days: u64,
    /// After capture, whatever happened (never uploaded, session never ended).
    pub max_age_days: u64,
}

impl KindDays {
    fn from_policy(kind: KindRetention) -> KindDays {
        let days = |duration: Duration| duration.as_secs() / (24 * 60 * 60);
        KindDays {
            after_upload_days: days(kind.after_upload),
            unconfirmed_days: days(kind.unconfirmed),
            max_age_days: days(kind.max_age),
        }
    }

    fn to_policy(self) -> KindRetention {
        KindRetention::days(
            self.after_upload_days.min(36_500),
            self.unconfirmed_days.min(36_500),
            self.max_age_days.min(36_500),
        )
    }
}

/// The `[retention]` section of the config.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct RetentionConfig {
    /// Hours between purge runs while the kiosk runs (it also runs at start).
    pub purge_every_hours: u64,
    pub id_photo: KindDays,
    pub liveness_clip: KindDays,
    pub live_frame: KindDays,
    pub registration_photo: KindDays,
    /// The rendered signature and its strokes.
    pub signature: KindDays,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        let policy = RetentionPolicy::default();
        RetentionConfig {
            purge_every_hours: 24,
            id_photo: KindDays::from_policy(policy.id_photo),
            liveness_clip: KindDays::from_policy(policy.liveness_clip),
            live_frame: KindDays::from_policy(policy.live_frame),
            registration_photo: KindDays::from_policy(policy.registration_photo),
            signature: KindDays::from_policy(policy.signature),
        }
    }
}

impl RetentionConfig {
    pub fn policy(&self) -> Result<RetentionPolicy, AppError> {
        let policy = RetentionPolicy {
            id_photo: self.id_photo.to_policy(),
            liveness_clip: self.liveness_clip.to_policy(),
            live_frame: self.live_frame.to_policy(),
            registration_photo: self.registration_photo.to_policy(),
            signature: self.signature.to_policy(),
        };
        policy
            .validate()
            .map_err(|why| AppError::Config(format!("retention.{why}")))?;
        Ok(policy)
    }

    pub fn every(&self) -> Result<Duration, AppError> {
        if !(1..=24 * 7).contains(&self.purge_every_hours) {
            return Err(AppError::Config(
                "retention.purge_every_hours must be between 1 and 168".into(),
            ));
        }
        Ok(Duration::from_secs(self.purge_every_hours * 3600))
    }
}

/// What one retention run planned and (unless a dry run) did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurgeReport {
    pub planned: Vec<PurgeItem>,
    /// `None` for a dry run.
    pub outcome: Option<PurgeOutcome>,
}

impl PurgeReport {
    /// Planned items per `kind:reason`.
    pub fn planned_by_kind_and_reason(&self) -> BTreeMap<String, u64> {
        let mut counts = BTreeMap::new();
        for item in &self.planned {
            *counts
                .entry(format!("{}:{}", item.kind.code(), item.reason.code()))
                .or_default() += 1;
        }
        counts
    }
}

/// Plans the purge for `now` and, unless `dry_run`, carries it out (audited as `actor`).
pub fn run(
    store: &mut Store,
    policy: &RetentionPolicy,
    now: Timestamp,
    actor: &str,
    dry_run: bool,
) -> Result<PurgeReport, AppError> {
    let facts = store.retention_facts()?;
    let planned = plan(policy, &facts, now);
    let outcome = if dry_run {
        None
    } else {
        Some(store.purge(&planned, actor, now)?)
    };
    Ok(PurgeReport { planned, outcome })
}
