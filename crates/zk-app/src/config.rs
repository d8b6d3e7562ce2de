//! Configuration: defaults in code, then `config.toml`, then `ZK_*` environment variables with `__`
//! for nesting (`ZK_FLOW__EXAM_DATE=2027-04-17`). Parsed and validated once, at start-up.

use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use zk_domain::{Date, FlowConfig, MatchPolicy, Sitting};
use zk_drivers::DriversConfig;

use crate::error::AppError;

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct AppConfig {
    pub site: SiteConfig,
    pub flow: FlowSettings,
    pub drivers: DriversConfig,
    pub matcher: MatcherConfig,
    /// Staff accounts and the artefact key's home.
    pub security: crate::staff::SecurityConfig,
    /// How long each kind of artefact is kept, and how often the purge runs.
    pub retention: crate::retention::RetentionConfig,
    /// The live camera preview and the timed phases around capture.
    pub preview: crate::preview::PreviewConfig,
    /// Sending confirmations to the hub, or to a bundle file when offline.
    pub sync: SyncConfig,
    /// Reading the card with the camera (the chip reader's fallback).
    pub ocr: crate::card_ocr::OcrConfig,
    /// Folder holding `sim/` and `demo/`; found automatically when unset.
    pub assets_dir: Option<PathBuf>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct SiteConfig {
    pub site_id: String,
    pub desk_id: String,
    /// Exam districts (考区, 4 digits) this site confirms; empty = all.
    pub districts: Vec<String>,
    /// The site's offset from UTC in minutes (China Standard Time: 480): where "today" starts in
    /// the staff console's list.
    pub utc_offset_minutes: i32,
}

impl Default for SiteConfig {
    fn default() -> Self {
        SiteConfig {
            site_id: "demo-site".into(),
            desk_id: "desk-01".into(),
            districts: Vec::new(),
            utc_offset_minutes: 480,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct FlowSettings {
    /// The exam date the card must still be valid on (YYYY-MM-DD).
    pub exam_date: String,
    /// The sitting code in admission numbers: two-digit year + 1 (April) or 2 (October).
    pub sitting: String,
    pub max_attempts: u32,
    pub idle_timeout_secs: u64,
    pub idle_warning_secs: u64,
    pub step_timeout_secs: u64,
    pub challenge_len: usize,
    pub record_secs: u32,
    /// Show the signature back for the candidate to accept or redo.
    pub confirm_signature: bool,
    /// Warn when fewer admission serials than this are left.
    pub serial_low_water: u32,
    /// The consent text version the kiosk shows.
    pub consent_version: String,
    /// The instructions and pledge version (`assets/pledge/<version>.*.md`).
    pub pledge_version: String,
}

impl Default for FlowSettings {
    fn default() -> Self {
        FlowSettings {
            exam_date: "2027-04-17".into(),
            sitting: "271".into(),
            max_attempts: 3,
            idle_timeout_secs: 120,
            idle_warning_secs: 30,
            step_timeout_secs: 60,
            challenge_len: 6,
            record_secs: 4,
            confirm_signature: true,
            serial_low_water: 50,
            consent_version: "consent-2027-v1".into(),
            pledge_version: "pledge-2027-v1".into(),
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct MatcherConfig {
    /// `dlib`: the real matcher (rustface + dlib ResNet, zk-vision); `sim`: scripted scores
    /// (tests and demo scripts only: it never looks at a face).
    pub backend: String,
    /// Face distance at or below which the match passes (median of the compared frames).
    pub pass_at_most: f64,
    /// Face distance at or below which staff review it; above fails.
    pub review_at_most: f64,
    pub min_frames: usize,
    /// Where the dlib model files are (`scripts/fetch-models.sh`); default `$ZK_MODELS_DIR`, then
    /// `~/.cache/zikao-kiosk/models`.
    pub models_dir: Option<PathBuf>,
    /// The speech half of liveness with the `dlib` backend: `vad` (Silero VAD + lip sync,
    /// zk-liveness; the model from `scripts/fetch-models.sh` in `models_dir`), `unavailable`
    /// (staff watch every reading) or `sim` (SIMULATED scores from `sim/matcher.json`; demo only).
    pub liveness: String,
    /// Where the thresholds came from (`zk face calibrate` writes it).
    pub calibration: Option<String>,
    /// The guide box the UI draws and the face sizes the liveness clip must keep to.
    pub guide: crate::matcher::GuideConfig,
    /// The optional check that the digits read were the ones shown.
    pub asr: AsrConfig,
}

/// `[matcher.asr]`: the digit recogniser (zk-asr). Only with `liveness = "vad"`. It never
/// rejects on its own: a reading that is not the digits shown retries with new digits, then
/// goes to staff.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AsrConfig {
    /// `none` (default) or `whisper-ct2` (Whisper base; a kiosk built with the cargo feature
    /// `asr-whisper`, the model from `scripts/fetch-asr-model.sh`).
    pub backend: String,
    /// Default: `$ZK_ASR_MODEL_DIR`, then `<models dir>/whisper-base-ct2`.
    pub model_dir: Option<PathBuf>,
    /// CPU threads for decoding (0: all).
    pub threads: usize,
}

impl Default for AsrConfig {
    fn default() -> Self {
        AsrConfig {
            backend: zk_asr::BACKEND_NONE.into(),
            model_dir: None,
            threads: 2,
        }
    }
}

/// `[sync]`: where confirmed records go. The kiosk itself never connects; the desktop shell's sync
/// worker (zk-sync's HTTP transport, on its own store connection) reads this.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncConfig {
    /// The hub, e.g. `https://hub.example.cn:8443`. Empty: an offline desk; staff export bundle
    /// files instead.
    pub hub_url: String,
    /// An extra CA certificate (PEM) to trust for the hub's HTTPS (a site's private CA).
    pub hub_ca: Option<PathBuf>,
    /// The hub's public key (`zk hub pubkey`: `zkhub1:…`), which bundles are encrypted to.
    /// Empty: no export from the console.
    pub hub_public_key: String,
    /// Where the console writes bundle files (a removable disk's mount point). Default: the
    /// store's `exports/` folder.
    pub export_dir: Option<PathBuf>,
    /// Records per batch.
    pub batch_records: usize,
    /// Push this often while records wait (seconds); 0: only when staff press "sync now".
    pub interval_secs: u64,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            hub_url: String::new(),
            hub_ca: None,
            hub_public_key: String::new(),
            export_dir: None,
            batch_records: 200,
            interval_secs: 300,
        }
    }
}

impl SyncConfig {
    /// The hub URL, if one is set.
    pub fn hub(&self) -> Option<&str> {
        Some(self.hub_url.trim()).filter(|url| !url.is_empty())
    }

    pub fn validate(&self) -> Result<(), AppError> {
        if let Some(url) = self.hub() {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(AppError::Config(format!(
                    "sync.hub_url: {url:?} must start with https:// (or http:// behind a TLS proxy)"
                )));
            }
        }
        let key = self.hub_public_key.trim();
        if !key.is_empty() && !key.starts_with("zkhub1:") {
            return Err(AppError::Config(
                "sync.hub_public_key must be the hub's key as `zk hub pubkey` prints it (zkhub1:…)"
                    .into(),
            ));
        }
        if !(1..=1000).contains(&self.batch_records) {
            return Err(AppError::Config(
                "sync.batch_records must be between 1 and 1000".into(),
            ));
        }
        if self.interval_secs != 0 && self.interval_secs < 30 {
            return Err(AppError::Config(
                "sync.interval_secs must be 0 (staff start each sync) or at least 30".into(),
            ));
        }
        Ok(())
    }
}

impl Default for MatcherConfig {
    fn default() -> Self {
        MatcherConfig {
            backend: "dlib".into(),
            pass_at_most: zk_vision::DEFAULT_PASS_AT_MOST,
            review_at_most: zk_vision::DEFAULT_REVIEW_AT_MOST,
            min_frames: 3,
            models_dir: None,
            liveness: "unavailable".into(),
            calibration: None,
            guide: crate::matcher::GuideConfig::default(),
            asr: AsrConfig::default(),
        }
    }
}

impl AppConfig {
    /// Defaults, then the TOML file (if given and present), then `ZK_*` variables.
    pub fn load(path: Option<&Path>) -> Result<AppConfig, AppError> {
        let mut figment = Figment::from(Serialized::defaults(AppConfig::default()));
        if let Some(path) = path {
            if !path.exists() {
                return Err(AppError::Config(format!(
                    "the config file {} does not exist",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file(path));
        }
        let config: AppConfig = figment
            .merge(Env::prefixed("ZK_").split("__"))
            .extract()
            .map_err(|error| AppError::Config(error.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks every value that can be wrong, so a bad config fails at start-up.
    pub fn validate(&self) -> Result<(), AppError> {
        self.flow_config()?;
        self.sitting()?;
        self.match_policy()?;
        self.matcher.guide.validate().map_err(AppError::Config)?;
        self.security.staff_policy()?;
        self.security.key_backend()?;
        self.retention.policy()?;
        self.retention.every()?;
        self.sync.validate()?;
        if !(-720..=840).contains(&self.site.utc_offset_minutes) {
            return Err(AppError::Config(
                "site.utc_offset_minutes must be between -720 and 840".into(),
            ));
        }
        for district in &self.site.districts {
            if district.len() != 4 || !district.bytes().all(|b| b.is_ascii_digit()) {
                return Err(AppError::Config(format!(
                    "site.districts: {district:?} is not a 4-digit exam district code"
                )));
            }
        }
        Ok(())
    }

    pub fn exam_date(&self) -> Result<Date, AppError> {
        Date::parse_from_str(&self.flow.exam_date, "%Y-%m-%d").map_err(|_| {
            AppError::Config(format!(
                "flow.exam_date: {:?} is not a date like 2027-04-17",
                self.flow.exam_date
            ))
        })
    }

    pub fn sitting(&self) -> Result<Sitting, AppError> {
        Sitting::parse(&self.flow.sitting)
            .map_err(|error| AppError::Config(format!("flow.sitting: {error}")))
    }

    pub fn flow_config(&self) -> Result<FlowConfig, AppError> {
        let flow = &self.flow;
        if !(1..=10).contains(&flow.max_attempts) {
            return Err(AppError::Config(
                "flow.max_attempts must be between 1 and 10".into(),
            ));
        }
        if flow.idle_warning_secs < 20 || flow.idle_warning_secs >= flow.idle_timeout_secs {
            return Err(AppError::Config(
                "flow.idle_warning_secs must be at least 20 and less than flow.idle_timeout_secs"
                    .into(),
            ));
        }
        if !(4..=6).contains(&flow.challenge_len) {
            return Err(AppError::Config(
                "flow.challenge_len must be 4, 5 or 6 digits".into(),
            ));
        }
        if !(3..=5).contains(&flow.record_secs) {
            return Err(AppError::Config(
                "flow.record_secs must be 3, 4 or 5 seconds".into(),
            ));
        }
        if flow.step_timeout_secs < 10 {
            return Err(AppError::Config(
                "flow.step_timeout_secs must be at least 10".into(),
            ));
        }
        Ok(FlowConfig {
            exam_date: self.exam_date()?,
            site_districts: self.site.districts.clone(),
            max_attempts: flow.max_attempts,
            idle_timeout: Duration::from_secs(flow.idle_timeout_secs),
            idle_warning: Duration::from_secs(flow.idle_warning_secs),
            step_timeout: Duration::from_secs(flow.step_timeout_secs),
            challenge_len: flow.challenge_len,
            record_secs: flow.record_secs,
            confirm_signature: flow.confirm_signature,
            card_device: if self.ocr.camera_first {
                zk_domain::CardDevice::Camera
            } else {
                zk_domain::CardDevice::Reader
            },
        })
    }

    pub fn match_policy(&self) -> Result<MatchPolicy, AppError> {
        let matcher = &self.matcher;
        let ordered = matcher.pass_at_most.is_finite()
            && matcher.review_at_most.is_finite()
            && 0.0 < matcher.pass_at_most
            && matcher.pass_at_most <= matcher.review_at_most;
        if !ordered {
            return Err(AppError::Config(
                "matcher: need 0 < pass_at_most <= review_at_most".into(),
            ));
        }
        if !matches!(matcher.backend.as_str(), "dlib" | "sim") {
            return Err(AppError::Config(format!(
                "matcher.backend = {:?}: use \"dlib\" (the real matcher) or \"sim\" (scripted scores)",
                matcher.backend
            )));
        }
        if !matches!(matcher.liveness.as_str(), "vad" | "unavailable" | "sim") {
            return Err(AppError::Config(format!(
                "matcher.liveness = {:?}: use \"vad\", \"unavailable\" or \"sim\"",
                matcher.liveness
            )));
        }
        match matcher.asr.backend.as_str() {
            zk_asr::BACKEND_NONE => {}
            zk_asr::BACKEND_WHISPER if matcher.liveness == "vad" => {}
            zk_asr::BACKEND_WHISPER => {
                return Err(AppError::Config(format!(
                    "matcher.asr.backend = \"whisper-ct2\" checks the digits of a judged reading: it needs matcher.liveness = \"vad\" (is {:?})",
                    matcher.liveness
                )))
            }
            other => return Err(zk_asr::AsrError::UnknownBackend(other.into()).into()),
        }
        if matcher.min_frames == 0 {
            return Err(AppError::Config(
                "matcher.min_frames must be at least 1".into(),
            ));
        }
        Ok(MatchPolicy {
            pass_at_most: matcher.pass_at_most,
            review_at_most: matcher.review_at_most,
            min_frames: matcher.min_frames,
            model_version: format!("{}-policy", matcher.backend),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let config = AppConfig::default();
        config.validate().unwrap();
        assert_eq!(config.sitting().unwrap().code(), "271");
    }

    #[test]
    fn file_then_env_override() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "[flow]\nexam_date = \"2026-10-24\"\nsitting = \"262\"\n[site]\ndistricts = [\"4201\"]\n").unwrap();
        let config = AppConfig::load(Some(&path)).unwrap();
        assert_eq!(
            config.exam_date().unwrap(),
            Date::from_ymd_opt(2026, 10, 24).unwrap()
        );
        assert_eq!(config.site.districts, vec!["4201".to_owned()]);
        assert!(matches!(
            AppConfig::load(Some(&dir.path().join("missing.toml"))),
            Err(AppError::Config(_))
        ));
    }

    #[test]
    fn the_example_config_parses_with_security_and_retention() {
        let example =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/config.example.toml");
        let config = AppConfig::load(Some(&example)).unwrap();
        assert_eq!(config.security.max_failed_sign_ins, 5);
        assert_eq!(config.sync.hub(), None, "the example desk is offline");
        assert_eq!(config.sync.interval_secs, 300);
        assert_eq!(
            config.retention.policy().unwrap(),
            zk_domain::RetentionPolicy::default()
        );
        let mut bad = AppConfig::default();
        bad.security.key_store = "vault".into();
        assert!(
            matches!(bad.validate(), Err(AppError::Config(m)) if m.contains("security.key_store"))
        );
        let mut bad = AppConfig::default();
        bad.retention.signature.after_upload_days = 400;
        assert!(
            matches!(bad.validate(), Err(AppError::Config(m)) if m.contains("retention.signature"))
        );
        let mut bad = AppConfig::default();
        bad.security.max_failed_sign_ins = 1;
        assert!(
            matches!(bad.validate(), Err(AppError::Config(m)) if m.contains("max_failed_sign_ins"))
        );
    }

    #[test]
    fn invalid_values_fail_with_the_key_named() {
        let check = |config: AppConfig, key: &str| match config.validate() {
            Err(AppError::Config(message)) => assert!(message.contains(key), "{message}"),
            other => panic!("expected a config error naming {key}, got {other:?}"),
        };
        let mut config = AppConfig::default();
        config.flow.exam_date = "17/04/2027".into();
        check(config, "flow.exam_date");
        let mut config = AppConfig::default();
        config.flow.sitting = "273".into();
        check(config, "flow.sitting");
        let mut config = AppConfig::default();
        config.flow.idle_warning_secs = 10;
        check(config, "idle_warning_secs");
        let mut config = AppConfig::default();
        config.flow.challenge_len = 8;
        check(config, "challenge_len");
        let mut config = AppConfig::default();
        config.matcher.review_at_most = 0.1;
        check(config, "matcher");
        let mut config = AppConfig::default();
        config.site.districts = vec!["42".into()];
        check(config, "site.districts");
        let mut config = AppConfig::default();
        config.matcher.guide.min_face = 0.7;
        check(config, "matcher.guide.min_face");
        let mut config = AppConfig::default();
        config.matcher.guide.width = 1.5;
        check(config, "matcher.guide.width");
        let mut config = AppConfig::default();
        config.sync.hub_url = "hub.example.cn:8443".into();
        check(config, "sync.hub_url");
        let mut config = AppConfig::default();
        config.sync.hub_public_key = "not-a-key".into();
        check(config, "sync.hub_public_key");
        let mut config = AppConfig::default();
        config.sync.interval_secs = 5;
        check(config, "sync.interval_secs");
        let mut config = AppConfig::default();
        config.sync.batch_records = 0;
        check(config, "sync.batch_records");
        let mut config = AppConfig::default();
        config.site.utc_offset_minutes = 900;
        check(config, "site.utc_offset_minutes");
    }
}
