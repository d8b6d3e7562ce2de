//! The desk's sync worker: pushes confirmed records to the hub (every `[sync] interval_secs`
//! while some wait, and when staff press "sync now"), and writes offline bundle files for
//! desks without a connection. It runs on its own thread with its own store connection (as
//! `zk sync push` does from another process), so a slow or unreachable hub never holds up a
//! candidate's step; zk-sync's planner makes every run resumable and never applies a record
//! twice. Progress goes to the UI as `kiosk://sync-progress`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use zk_app::SyncConfig;
use zk_store::{KeyBackend, Store};
use zk_sync::{
    DeskKey, HttpUpstream, HubPublicKey, PushOptions, RetryPolicy, StoreOutbox, SyncEvent,
    DESK_KEY_FILE,
};

/// What the worker was set up with (from `[sync]`, checked at start-up).
#[derive(Clone, Debug)]
pub struct SyncSettings {
    pub hub_url: Option<String>,
    /// The extra CA certificate's PEM, read at start-up.
    pub hub_ca: Option<Vec<u8>>,
    pub hub_key: Option<HubPublicKey>,
    pub export_dir: PathBuf,
    pub batch_records: usize,
    /// `None`: only when staff ask.
    pub interval: Option<Duration>,
    pub store_dir: PathBuf,
    pub key_backend: KeyBackend,
    /// Names bundle files.
    pub desk_id: String,
    pub retry: RetryPolicy,
}

impl SyncSettings {
    pub fn new(
        config: &SyncConfig,
        store_dir: &Path,
        key_backend: KeyBackend,
        desk_id: &str,
    ) -> anyhow::Result<SyncSettings> {
        let hub_ca = config
            .hub_ca
            .as_ref()
            .map(|path| {
                std::fs::read(path).with_context(|| {
                    format!("sync.hub_ca: cannot read the CA file {}", path.display())
                })
            })
            .transpose()?;
        let key = config.hub_public_key.trim();
        let hub_key = if key.is_empty() {
            None
        } else {
            Some(HubPublicKey::parse(key).context("sync.hub_public_key")?)
        };
        Ok(SyncSettings {
            hub_url: config.hub().map(str::to_owned),
            hub_ca,
            hub_key,
            export_dir: config
                .export_dir
                .clone()
                .unwrap_or_else(|| store_dir.join("exports")),
            batch_records: config.batch_records,
            interval: Some(Duration::from_secs(config.interval_secs))
                .filter(|every| !every.is_zero()),
            store_dir: store_dir.to_path_buf(),
            key_backend,
            desk_id: config_file_name(desk_id),
            retry: RetryPolicy::default(),
        })
    }
}

/// A desk id fit for a file name.
fn config_file_name(desk_id: &str) -> String {
    let name: String = desk_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        "desk".into()
    } else {
        name
    }
}

/// What a run does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyncJob {
    Push,
    Export,
}

/// `kiosk://sync-progress`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncProgressEvent {
    pub job: SyncJob,
    /// `started`, `sending`, `acked`, `retrying`, `finished`, `failed`.
    pub stage: String,
    /// Records acknowledged (push) or written (export) so far.
    pub done: u64,
    /// Records waiting when the run started.
    pub total: u64,
    /// What went wrong (`failed`) or the retry's reason; never personal data.
    pub message: Option<String>,
    /// The bundle file (export, `finished`).
    pub file: Option<String>,
}

/// The last run's result, for the desk status.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncOutcome {
    pub job: SyncJob,
    pub ok: bool,
    pub done: u64,
    /// Milliseconds since the epoch.
    pub at: i64,
    pub message: Option<String>,
    pub file: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    queued: Vec<SyncJob>,
    running: Option<SyncJob>,
    last: Option<SyncOutcome>,
    stop: bool,
}

/// What a run that went through did.
struct Run {
    done: u64,
    total: u64,
    file: Option<String>,
}

/// Why a sync request was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SyncRefusal {
    #[error("no hub is configured for this desk: set [sync] hub_url, or export a bundle file")]
    NoHub,
    #[error("no hub public key is configured: set [sync] hub_public_key (`zk hub pubkey` prints it) to export bundle files")]
    NoHubKey,
}

pub type Emit = Box<dyn Fn(&SyncProgressEvent) + Send + Sync>;

/// The worker's shared half: requests in, state out.
pub struct SyncWorker {
    settings: SyncSettings,
    state: Mutex<State>,
    wake: Condvar,
}

fn lock(mutex: &Mutex<State>) -> MutexGuard<'_, State> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

fn now_ms() -> i64 {
    zk_app::Clock::now(&zk_app::SystemClock).as_millis()
}

/// The status the console shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncWorkerStatus {
    /// The hub's address (scheme, host and port), if one is configured.
    pub hub: Option<String>,
    pub can_export: bool,
    pub running: Option<SyncJob>,
    pub last: Option<SyncOutcome>,
    /// Seconds between automatic pushes (null: only on request).
    pub interval_secs: Option<u64>,
}

impl SyncWorker {
    pub fn new(settings: SyncSettings) -> Arc<SyncWorker> {
        Arc::new(SyncWorker {
            settings,
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
        })
    }

    pub fn settings(&self) -> &SyncSettings {
        &self.settings
    }

    pub fn status(&self) -> SyncWorkerStatus {
        let state = lock(&self.state);
        SyncWorkerStatus {
            hub: self.settings.hub_url.clone(),
            can_export: self.settings.hub_key.is_some(),
            running: state.running.or_else(|| state.queued.first().copied()),
            last: state.last.clone(),
            interval_secs: self.settings.interval.map(|every| every.as_secs()),
        }
    }

    /// Queues `job` (once: asking again while it waits or runs changes nothing).
    pub fn request(&self, job: SyncJob) -> Result<(), SyncRefusal> {
        match job {
            SyncJob::Push if self.settings.hub_url.is_none() => return Err(SyncRefusal::NoHub),
            SyncJob::Export if self.settings.hub_key.is_none() => {
                return Err(SyncRefusal::NoHubKey)
            }
            _ => {}
        }
        let mut state = lock(&self.state);
        if !state.queued.contains(&job) && state.running != Some(job) {
            state.queued.push(job);
        }
        self.wake.notify_all();
        Ok(())
    }

    /// Ends [`SyncWorker::run`] after its current job.
    pub fn stop(&self) {
        lock(&self.state).stop = true;
        self.wake.notify_all();
    }

    /// The worker loop (its own thread): runs queued jobs, and a push every interval while
    /// records wait.
    pub fn run(&self, emit: &Emit) {
        loop {
            let job = {
                let mut state = lock(&self.state);
                loop {
                    if state.stop {
                        return;
                    }
                    if !state.queued.is_empty() {
                        break Some(state.queued.remove(0));
                    }
                    match self.settings.interval {
                        Some(every) => {
                            let (next, timeout) = match self.wake.wait_timeout(state, every) {
                                Ok(woken) => woken,
                                Err(poisoned) => poisoned.into_inner(),
                            };
                            state = next;
                            if timeout.timed_out() && state.queued.is_empty() && !state.stop {
                                break None;
                            }
                        }
                        None => {
                            state = match self.wake.wait(state) {
                                Ok(next) => next,
                                Err(poisoned) => poisoned.into_inner(),
                            };
                        }
                    }
                }
            };
            match job {
                Some(job) => self.run_job(job, emit),
                None if self.settings.hub_url.is_some() && self.waiting().unwrap_or(0) > 0 => {
                    self.run_job(SyncJob::Push, emit)
                }
                None => {}
            }
        }
    }

    /// Records waiting for the hub (opens the store briefly).
    fn waiting(&self) -> anyhow::Result<u64> {
        Ok(self.open_store()?.sync_status()?.unacked)
    }

    fn open_store(&self) -> anyhow::Result<Store> {
        Store::open_with_backend(&self.settings.store_dir, self.settings.key_backend).with_context(
            || {
                format!(
                    "cannot open the store in {}",
                    self.settings.store_dir.display()
                )
            },
        )
    }

    fn desk_key(&self) -> anyhow::Result<DeskKey> {
        Ok(DeskKey::load_or_create(
            &self.settings.store_dir.join(DESK_KEY_FILE),
        )?)
    }

    /// Runs one job now, on the calling thread. The result is recorded before the last event
    /// goes out, so a desk status asked for on that event already shows it.
    pub fn run_job(&self, job: SyncJob, emit: &Emit) {
        lock(&self.state).running = Some(job);
        let result = match job {
            SyncJob::Push => self.push(emit),
            SyncJob::Export => self.export(emit),
        };
        let (outcome, last_event) = match result {
            Ok(run) => {
                tracing::info!(job = ?job, done = run.done, "sync run finished");
                (
                    SyncOutcome {
                        job,
                        ok: true,
                        done: run.done,
                        at: now_ms(),
                        message: None,
                        file: run.file.clone(),
                    },
                    SyncProgressEvent {
                        job,
                        stage: "finished".into(),
                        done: run.done,
                        total: run.total,
                        message: None,
                        file: run.file,
                    },
                )
            }
            Err(error) => {
                let message = format!("{error:#}");
                tracing::warn!(job = ?job, "sync run failed: {message}");
                (
                    SyncOutcome {
                        job,
                        ok: false,
                        done: 0,
                        at: now_ms(),
                        message: Some(message.clone()),
                        file: None,
                    },
                    SyncProgressEvent {
                        job,
                        stage: "failed".into(),
                        done: 0,
                        total: 0,
                        message: Some(message),
                        file: None,
                    },
                )
            }
        };
        {
            let mut state = lock(&self.state);
            state.running = None;
            state.last = Some(outcome);
        }
        emit(&last_event);
    }

    fn push(&self, emit: &Emit) -> anyhow::Result<Run> {
        let hub = self.settings.hub_url.as_deref().ok_or(SyncRefusal::NoHub)?;
        let mut store = self.open_store()?;
        let total = store.sync_status()?.unacked;
        let progress = |stage: &str, done: u64, message: Option<String>| SyncProgressEvent {
            job: SyncJob::Push,
            stage: stage.into(),
            done,
            total,
            message,
            file: None,
        };
        emit(&progress("started", 0, None));
        let key = self.desk_key()?;
        let clock = Arc::new(now_ms);
        let upstream = match &self.settings.hub_ca {
            Some(pem) => HttpUpstream::with_ca(hub, key, clock, self.settings.retry.clone(), pem),
            None => HttpUpstream::new(hub, key, clock, self.settings.retry.clone()),
        }?;
        let options = PushOptions {
            batch_records: self.settings.batch_records,
            max_batches: None,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the sync runtime")?;
        let mut done = 0u64;
        let mut events = |event: SyncEvent| match event {
            SyncEvent::BatchSent { .. } => emit(&progress("sending", done, None)),
            SyncEvent::BatchAcked { acked, .. } => {
                done += acked as u64;
                emit(&progress("acked", done, None));
            }
            SyncEvent::Retrying {
                attempt, reason, ..
            } => emit(&progress(
                "retrying",
                done,
                Some(format!("attempt {attempt}: {reason}")),
            )),
            _ => {}
        };
        let report = runtime.block_on(zk_sync::push(
            &mut StoreOutbox { store: &mut store },
            &upstream,
            &options,
            &mut events,
        ))?;
        Ok(Run {
            done: report.acked,
            total,
            file: None,
        })
    }

    fn export(&self, emit: &Emit) -> anyhow::Result<Run> {
        let hub = self
            .settings
            .hub_key
            .as_ref()
            .ok_or(SyncRefusal::NoHubKey)?;
        let mut store = self.open_store()?;
        let total = store.sync_status()?.unacked;
        let dir = &self.settings.export_dir;
        emit(&SyncProgressEvent {
            job: SyncJob::Export,
            stage: "started".into(),
            done: 0,
            total,
            message: None,
            file: None,
        });
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the export folder {}", dir.display()))?;
        let now = now_ms();
        let path = dir.join(format!("{}-{now}.zkbundle", self.settings.desk_id));
        let key = self.desk_key()?;
        let mut report = None;
        zk_sync::write_atomically(
            &path,
            |writer| {
                let (_, written) = zk_sync::export_bundle(
                    &mut StoreOutbox { store: &mut store },
                    &key,
                    hub,
                    writer,
                    self.settings.batch_records,
                    now,
                )?;
                report = Some(written);
                Ok(())
            },
            |error| anyhow::Error::new(error).context(format!("cannot write {}", path.display())),
        )?;
        Ok(Run {
            done: report.map_or(0, |report| report.records),
            total,
            file: Some(path.display().to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(dir: &Path, hub: Option<&str>, hub_key: bool) -> SyncSettings {
        let config = SyncConfig {
            hub_url: hub.unwrap_or_default().to_owned(),
            hub_public_key: if hub_key {
                zk_sync::HubKey::generate().unwrap().public().to_text()
            } else {
                String::new()
            },
            ..SyncConfig::default()
        };
        SyncSettings::new(&config, dir, KeyBackend::File, "desk 01/a").unwrap()
    }

    #[test]
    fn requests_need_their_config_and_queue_once() {
        let dir = tempfile::tempdir().unwrap();
        let offline = SyncWorker::new(settings(dir.path(), None, false));
        assert_eq!(offline.request(SyncJob::Push), Err(SyncRefusal::NoHub));
        assert_eq!(offline.request(SyncJob::Export), Err(SyncRefusal::NoHubKey));
        let status = offline.status();
        assert_eq!(
            (status.hub, status.can_export, status.running),
            (None, false, None)
        );
        assert_eq!(status.interval_secs, Some(300));
        assert_eq!(offline.settings().export_dir, dir.path().join("exports"));
        assert_eq!(offline.settings().desk_id, "desk_01_a");

        let online = SyncWorker::new(settings(dir.path(), Some("https://hub.example.cn"), true));
        online.request(SyncJob::Push).unwrap();
        online.request(SyncJob::Push).unwrap();
        online.request(SyncJob::Export).unwrap();
        assert_eq!(
            lock(&online.state).queued,
            vec![SyncJob::Push, SyncJob::Export]
        );
        assert_eq!(online.status().running, Some(SyncJob::Push));
    }

    #[test]
    fn a_bad_hub_key_or_ca_file_stops_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let config = SyncConfig {
            hub_public_key: "zkhub1:not-base64".into(),
            ..SyncConfig::default()
        };
        let error = SyncSettings::new(&config, dir.path(), KeyBackend::File, "d").unwrap_err();
        assert!(
            format!("{error:#}").contains("sync.hub_public_key"),
            "{error:#}"
        );
        let config = SyncConfig {
            hub_ca: Some(dir.path().join("missing.pem")),
            ..SyncConfig::default()
        };
        let error = SyncSettings::new(&config, dir.path(), KeyBackend::File, "d").unwrap_err();
        assert!(format!("{error:#}").contains("sync.hub_ca"), "{error:#}");
    }

    #[test]
    fn the_interval_sends_nothing_while_nothing_waits_and_the_worker_stops() {
        let dir = tempfile::tempdir().unwrap();
        // An empty store: nothing waits.
        drop(Store::open_with_backend(dir.path(), KeyBackend::File).unwrap());
        let mut settings = settings(dir.path(), Some("http://127.0.0.1:9"), false);
        settings.interval = Some(Duration::from_millis(20));
        let worker = SyncWorker::new(settings);
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&events);
        let emit: Emit = Box::new(move |event| sink.lock().unwrap().push(event.clone()));
        let running = Arc::clone(&worker);
        let thread = std::thread::spawn(move || running.run(&emit));
        std::thread::sleep(Duration::from_millis(300));
        worker.stop();
        thread.join().unwrap();
        assert!(
            events.lock().unwrap().is_empty(),
            "{:?}",
            events.lock().unwrap()
        );
        assert_eq!(worker.status().last, None);
    }

    #[test]
    fn a_push_with_nothing_waiting_asks_nothing_and_a_failure_is_recorded_with_its_reason() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open_with_backend(dir.path(), KeyBackend::File).unwrap());
        // Nobody listens on port 9: asking the hub anything would fail.
        let worker = SyncWorker::new(settings(dir.path(), Some("http://127.0.0.1:9"), false));
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&events);
        let emit: Emit = Box::new(move |event| sink.lock().unwrap().push(event.clone()));
        worker.run_job(SyncJob::Push, &emit);
        {
            let seen = events.lock().unwrap();
            let stages: Vec<&str> = seen.iter().map(|event| event.stage.as_str()).collect();
            assert_eq!(stages, ["started", "finished"], "{seen:?}");
            assert_eq!((seen[1].done, seen[1].total), (0, 0));
        }
        assert!(worker.status().last.unwrap().ok);

        // A damaged desk key: the run fails, says why, and the status keeps it.
        std::fs::write(dir.path().join(DESK_KEY_FILE), b"not a key").unwrap();
        events.lock().unwrap().clear();
        worker.run_job(SyncJob::Push, &emit);
        let seen = events.lock().unwrap();
        let last = seen.last().unwrap();
        assert_eq!(last.stage, "failed", "{seen:?}");
        assert!(
            last.message
                .as_deref()
                .unwrap()
                .contains("desk signing key"),
            "{last:?}"
        );
        let recorded = worker.status().last.unwrap();
        assert!(!recorded.ok);
        assert_eq!(recorded.message, last.message);
        assert_eq!(worker.status().running, None);
    }
}
