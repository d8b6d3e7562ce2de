//! `zk desk …`, `zk sync …` and `zk hub …`: the desk's signing key, pushing the outbox to the hub,
//! pulling the site's roster and serial blocks from it, and running the hub itself. Each command opens what it needs, calls one library function and
//! prints the result; progress events go to standard error.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Subcommand;
use serde::Serialize;
use zk_hub::{Enrolment, HubDb, HubState};
use zk_store::{ImportLimits, Store};
use zk_sync::wire::SerialBlockRequest;
use zk_sync::{
    DeskKey, HttpUpstream, PullOptions, PushOptions, RetryPolicy, StoreOutbox, SyncEvent,
};

use crate::commands::{CliError, Context};

pub use zk_sync::DESK_KEY_FILE;

#[derive(Subcommand)]
pub enum DeskCommand {
    /// Print this desk's public key (give it to the hub admin: `zk hub enrol-desk --pubkey KEY`).
    Pubkey {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum SyncCommand {
    /// Confirmations, how many the hub has not acknowledged yet, and any batch awaiting its answer.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Send every unacknowledged confirmation (and its photos and signature) to the hub.
    Push {
        /// The hub, e.g. https://hub.local:8443
        #[arg(long, env = "ZK_HUB")]
        hub: String,
        /// Also trust this CA certificate (PEM) for the hub's HTTPS (a site's private CA).
        #[arg(long, env = "ZK_HUB_CA")]
        ca: Option<PathBuf>,
        /// Records per batch.
        #[arg(long, default_value_t = 200)]
        batch: usize,
        #[arg(long)]
        json: bool,
    },
    /// Write every unacknowledged confirmation (with photos and signature) into one bundle file,
    /// signed by this desk and encrypted to the hub, for sites without a connection.
    Export {
        #[arg(long)]
        out: PathBuf,
        /// The hub's public key (`zk hub pubkey` prints it): zkhub1:…
        #[arg(long, env = "ZK_HUB_KEY")]
        hub_key: String,
        /// Records per batch inside the bundle.
        #[arg(long, default_value_t = 500)]
        batch: usize,
        #[arg(long)]
        json: bool,
    },
    /// Apply the receipt the hub gave for an imported bundle: the records it holds are marked
    /// acknowledged here.
    ApplyReceipt {
        receipt: PathBuf,
        /// The hub's public key (checks the receipt's signature).
        #[arg(long, env = "ZK_HUB_KEY")]
        hub_key: String,
        #[arg(long)]
        json: bool,
    },
    /// Bring the local roster up to date with the hub's roster of this desk's site (resumable).
    /// Registrations confirmed here are never changed; an ID number or name the hub changed on
    /// one of them is reported, not applied.
    Pull {
        #[arg(long, env = "ZK_HUB")]
        hub: String,
        #[arg(long, env = "ZK_HUB_CA")]
        ca: Option<PathBuf>,
        /// The site (default: the one the hub has this desk enrolled at).
        #[arg(long)]
        site: Option<String>,
        /// Rows per page (1–1000).
        #[arg(long, default_value_t = 500)]
        page: u32,
        #[arg(long)]
        json: bool,
    },
    /// Ask the hub for a block of admission serials and record it (a lost answer is asked again
    /// under the same key: one block, never two).
    Serials {
        #[arg(long, env = "ZK_HUB")]
        hub: String,
        #[arg(long, env = "ZK_HUB_CA")]
        ca: Option<PathBuf>,
        /// Exam district: city (2) + county (2), e.g. 4201.
        #[arg(long)]
        district: String,
        /// Sitting: two-digit year + 1 (April) or 2 (October), e.g. 271.
        #[arg(long)]
        sitting: String,
        /// How many serials.
        #[arg(long)]
        size: u32,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum HubCommand {
    /// Run the hub (HTTPS with --tls-cert and --tls-key, else plain HTTP behind a TLS proxy).
    Serve {
        /// sqlite://PATH (embedded default) or postgres://USER@HOST:PORT/DB
        #[arg(long, env = "ZK_HUB_DB")]
        db: String,
        #[arg(long, default_value = "127.0.0.1:8443")]
        listen: String,
        /// The hub's certificate chain (PEM, leaf first).
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The certificate's private key (PEM).
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// The hub key file (`zk hub keygen`): enables bundle upload (`POST /v1/bundles`).
        #[arg(long, env = "ZK_HUB_KEY_FILE")]
        key: Option<PathBuf>,
    },
    /// Make the hub's key file (signs receipts, opens bundles); prints the public key for desks.
    Keygen {
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Print the public key of a hub key file (desks export bundles to it).
    Pubkey {
        #[arg(long, env = "ZK_HUB_KEY_FILE")]
        key: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Import a desk's offline bundle; writes the signed receipt for `zk sync apply-receipt`.
    Import {
        #[arg(long, env = "ZK_HUB_DB")]
        db: String,
        #[arg(long, env = "ZK_HUB_KEY_FILE")]
        key: PathBuf,
        bundle: PathBuf,
        /// Where to write the receipt (default: BUNDLE.receipt.json).
        #[arg(long)]
        receipt: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Allow a desk to sync: register its public key (`zk desk pubkey` on the desk), at a site
    /// (the only roster it may pull). Again with another --site moves the desk there.
    EnrolDesk {
        #[arg(long, env = "ZK_HUB_DB")]
        db: String,
        #[arg(long)]
        pubkey: String,
        /// The site the desk belongs to (letters, digits, '-', '_', '.').
        #[arg(long)]
        site: Option<String>,
        /// A name for the desk (site, room, desk number).
        #[arg(long, default_value = "desk")]
        name: String,
    },
    /// Each site's roster, which desks of that site pull.
    #[command(subcommand)]
    Roster(HubRosterCommand),
    /// Serial blocks allocated to desks, by district, sitting and first serial.
    Serials {
        #[arg(long, env = "ZK_HUB_DB")]
        db: String,
        #[arg(long)]
        json: bool,
    },
    /// Counts: confirmations, desks, batches, blobs, conflicts.
    Stats {
        #[arg(long, env = "ZK_HUB_DB")]
        db: String,
        #[arg(long)]
        json: bool,
    },
    /// Records flagged for an admin: one candidate confirmed twice, one admission number used
    /// twice, or one confirmation sent with two contents. Both records are kept.
    Conflicts {
        #[arg(long, env = "ZK_HUB_DB")]
        db: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum HubRosterCommand {
    /// Import a site's roster (CSV UTF-8/GBK or XLSX, the desk's `zk roster import` format); all
    /// rows or none. Changed rows reach the site's desks at their next `zk sync pull`.
    Import {
        #[arg(long, env = "ZK_HUB_DB")]
        db: String,
        #[arg(long)]
        site: String,
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn failed(error: impl std::fmt::Display) -> CliError {
    CliError::Failed(error.to_string())
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| failed(format!("cannot start the async runtime: {error}")))
}

pub(crate) fn now_ms() -> i64 {
    use zk_app::Clock;
    zk_app::SystemClock.now().as_millis()
}

pub(crate) fn print_json(value: &impl Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string(value).map_err(failed)?;
    println!("{text}");
    Ok(())
}

impl Context {
    pub(crate) fn open_desk(&self) -> Result<(Store, PathBuf), CliError> {
        let config = self.config()?;
        let dir = self.store_dir()?;
        std::fs::create_dir_all(&dir).map_err(|source| CliError::StoreDir {
            path: dir.clone(),
            source,
        })?;
        let store = Store::open_with_backend(&dir, config.security.key_backend()?)?;
        Ok((store, dir.join(DESK_KEY_FILE)))
    }

    /// The hub client: this desk's key, the system clock, and the extra CA if given.
    fn upstream(
        &self,
        hub: &str,
        ca: Option<&Path>,
        key_path: &Path,
    ) -> Result<HttpUpstream, CliError> {
        let key = DeskKey::load_or_create(key_path).map_err(failed)?;
        match ca {
            Some(ca) => {
                let pem = std::fs::read(ca).map_err(|error| {
                    failed(format!("cannot read the CA file {}: {error}", ca.display()))
                })?;
                HttpUpstream::with_ca(hub, key, Arc::new(now_ms), RetryPolicy::default(), &pem)
            }
            None => HttpUpstream::new(hub, key, Arc::new(now_ms), RetryPolicy::default()),
        }
        .map_err(failed)
    }

    fn desk_key(&self) -> Result<DeskKey, CliError> {
        let dir = self.store_dir()?;
        std::fs::create_dir_all(&dir).map_err(|source| CliError::StoreDir {
            path: dir.clone(),
            source,
        })?;
        DeskKey::load_or_create(&dir.join(DESK_KEY_FILE)).map_err(failed)
    }
}

pub fn desk(context: &Context, command: DeskCommand) -> Result<(), CliError> {
    match command {
        DeskCommand::Pubkey { json } => {
            let key = context.desk_key()?;
            if json {
                print_json(&serde_json::json!({ "pubkey": key.public_hex() }))
            } else {
                println!("{}", key.public_hex());
                Ok(())
            }
        }
    }
}

pub fn sync(context: &Context, command: SyncCommand) -> Result<(), CliError> {
    match command {
        SyncCommand::Status { json } => {
            let (store, _) = context.open_desk()?;
            let status = store.sync_status()?;
            let pulls = store.roster_pulls()?;
            let open_serials = store.open_serial_request()?;
            if json {
                let mut value = serde_json::to_value(&status).map_err(failed)?;
                if let Some(object) = value.as_object_mut() {
                    object.insert(
                        "roster_pulls".into(),
                        serde_json::to_value(&pulls).map_err(failed)?,
                    );
                    object.insert(
                        "open_serial_request".into(),
                        serde_json::to_value(open_serials.as_ref().map(|open| &open.key))
                            .map_err(failed)?,
                    );
                }
                return print_json(&value);
            }
            for pull in &pulls {
                println!(
                    "roster of site {}: {} rows received, up to hub revision {}",
                    pull.site, pull.rows, pull.cursor
                );
            }
            if let Some(open) = &open_serials {
                println!(
                    "a request for {} serials (district {} sitting {}) awaits the hub's answer: `zk sync serials` asks again",
                    open.size,
                    open.district,
                    open.sitting.code()
                );
            }
            println!(
                "{} confirmations, {} acknowledged by the hub, {} to send",
                status.confirmations, status.acked, status.unacked
            );
            if let Some(key) = &status.open_batch {
                println!(
                    "batch {key} ({} records) was sent and awaits the hub's answer: `zk sync push` resends it",
                    status.open_batch_records
                );
            }
            Ok(())
        }
        SyncCommand::Export {
            out,
            hub_key,
            batch,
            json,
        } => crate::bundle::export(context, &out, &hub_key, batch, json),
        SyncCommand::ApplyReceipt {
            receipt,
            hub_key,
            json,
        } => crate::bundle::apply_receipt(context, &receipt, &hub_key, json),
        SyncCommand::Push {
            hub,
            ca,
            batch,
            json,
        } => {
            let (mut store, key_path) = context.open_desk()?;
            let upstream = context.upstream(&hub, ca.as_deref(), &key_path)?;
            let options = PushOptions {
                batch_records: batch,
                max_batches: None,
            };
            let mut events = |event: SyncEvent| {
                match event {
                SyncEvent::BatchAcked {
                    key,
                    acked,
                    conflicts,
                    rejected,
                } => eprintln!(
                    "batch {key}: {acked} acknowledged ({conflicts} flagged as conflicts), {rejected} not taken"
                ),
                SyncEvent::Retrying {
                    path,
                    attempt,
                    delay_ms,
                    reason,
                } => eprintln!("{path}: attempt {attempt} failed ({reason}); retrying in {delay_ms} ms"),
                _ => {}
            }
            };
            let report = runtime()?
                .block_on(zk_sync::push(
                    &mut StoreOutbox { store: &mut store },
                    &upstream,
                    &options,
                    &mut events,
                ))
                .map_err(failed)?;
            let status = store.sync_status()?;
            if json {
                return print_json(&serde_json::json!({ "report": report, "status": status }));
            }
            println!(
                "pushed {} records in {} batches ({} new at the hub, {} already there, {} conflicts, {} not taken); {} blobs uploaded; {} left to send",
                report.records_sent,
                report.batches,
                report.stored,
                report.duplicates,
                report.conflicts,
                report.rejected,
                report.blobs_uploaded,
                status.unacked
            );
            Ok(())
        }
        SyncCommand::Pull {
            hub,
            ca,
            site,
            page,
            json,
        } => {
            let (mut store, key_path) = context.open_desk()?;
            let upstream = context.upstream(&hub, ca.as_deref(), &key_path)?;
            let options = PullOptions {
                site,
                page_rows: page,
                max_pages: None,
            };
            let report = runtime()?
                .block_on(zk_sync::pull_roster(
                    &mut store,
                    &upstream,
                    &options,
                    &mut print_retries,
                ))
                .map_err(failed)?;
            if json {
                return print_json(&report);
            }
            println!(
                "site {}: {} rows in {} pages ({} new, {} updated, {} confirmed here kept as they are); now at hub revision {}",
                report.site,
                report.rows,
                report.pages,
                report.inserted,
                report.updated,
                report.kept_confirmed,
                report.cursor
            );
            for held in &report.held_back {
                println!("not applied: {}: {}", held.registration_id, held.reason);
            }
            Ok(())
        }
        SyncCommand::Serials {
            hub,
            ca,
            district,
            sitting,
            size,
            json,
        } => {
            let (mut store, key_path) = context.open_desk()?;
            let upstream = context.upstream(&hub, ca.as_deref(), &key_path)?;
            let request = SerialBlockRequest {
                district,
                sitting,
                size,
            };
            request.check().map_err(CliError::Usage)?;
            let report = runtime()?
                .block_on(zk_sync::request_serial_block(
                    &mut store,
                    &upstream,
                    &request,
                    "hub",
                    &mut print_retries,
                ))
                .map_err(failed)?;
            if json {
                return print_json(&report);
            }
            if let Some(earlier) = &report.finished_earlier {
                println!(
                    "an earlier request's block {} (serials {:05}–{:05}) was recorded first",
                    earlier.block_id, earlier.first, earlier.last
                );
            }
            let block = &report.block;
            println!(
                "block {} for district {} sitting {}: serials {:05}–{:05} recorded{}",
                block.block_id,
                block.district,
                block.sitting,
                block.first,
                block.last,
                if report.resumed {
                    " (the answer to an earlier request with the same key)"
                } else {
                    ""
                }
            );
            Ok(())
        }
    }
}

/// Reports retries on standard error; other progress stays quiet.
fn print_retries(event: SyncEvent) {
    if let SyncEvent::Retrying {
        path,
        attempt,
        delay_ms,
        reason,
    } = event
    {
        eprintln!("{path}: attempt {attempt} failed ({reason}); retrying in {delay_ms} ms");
    }
}

pub fn hub(command: HubCommand) -> Result<(), CliError> {
    let runtime = runtime()?;
    runtime.block_on(async move {
        match command {
            HubCommand::Keygen { out, json } => crate::bundle::keygen(&out, json),
            HubCommand::Pubkey { key, json } => crate::bundle::pubkey(&key, json),
            HubCommand::Import {
                db,
                key,
                bundle,
                receipt,
                json,
            } => crate::bundle::import(&db, &key, &bundle, receipt, json).await,
            HubCommand::Serve {
                db,
                listen,
                tls_cert,
                tls_key,
                key,
            } => {
                let tls = match (&tls_cert, &tls_key) {
                    (Some(cert), Some(key)) => {
                        Some(zk_hub::load_tls_config(cert, key).map_err(failed)?)
                    }
                    _ => None,
                };
                let db = HubDb::connect(&db).await.map_err(failed)?;
                let orphans = db.release_orphaned_claims().await.map_err(failed)?;
                if orphans > 0 {
                    eprintln!("zk hub: released {orphans} batch claims left by a hub that stopped mid-batch");
                }
                let listener = tokio::net::TcpListener::bind(&listen)
                    .await
                    .map_err(|error| failed(format!("cannot listen on {listen}: {error}")))?;
                let address = listener.local_addr().map_err(failed)?;
                let scheme = if tls.is_some() { "https" } else { "http" };
                eprintln!(
                    "zk hub: serving on {scheme}://{address} ({})",
                    db.backend_name()
                );
                let mut state = HubState::with_system_clock(db);
                if let Some(path) = key {
                    let key = zk_sync::HubKey::load(&path).map_err(failed)?;
                    eprintln!("zk hub: accepting bundles for {}", key.public().to_text());
                    state = state.with_bundle_key(Arc::new(key));
                }
                let state = Arc::new(state);
                let shutdown = async {
                    let _ = tokio::signal::ctrl_c().await;
                };
                match tls {
                    Some(config) => zk_hub::serve_tls(listener, config, state, shutdown).await,
                    None => zk_hub::serve(listener, state, shutdown).await,
                }
                .map_err(failed)
            }
            HubCommand::EnrolDesk {
                db,
                pubkey,
                site,
                name,
            } => {
                let db = HubDb::connect(&db).await.map_err(failed)?;
                let enrolment = db
                    .enrol_desk(&pubkey, &name, site.as_deref(), now_ms())
                    .await
                    .map_err(failed)?;
                let at = site.map(|site| format!(" at site {site}")).unwrap_or_default();
                println!(
                    "{}",
                    match enrolment {
                        Enrolment::Enrolled => format!("desk enrolled{at}"),
                        Enrolment::SiteChanged => format!("desk moved{at}"),
                        Enrolment::AlreadyEnrolled => format!("desk was already enrolled{at}"),
                    }
                );
                Ok(())
            }
            HubCommand::Roster(HubRosterCommand::Import {
                db,
                site,
                file,
                json,
            }) => {
                let (registrations, format, sha256) =
                    zk_store::read_roster_file(&file, ImportLimits::default())?;
                let entries: Vec<_> = registrations
                    .iter()
                    .map(zk_sync::roster::entry_of)
                    .collect();
                let db = HubDb::connect(&db).await.map_err(failed)?;
                let report = db
                    .import_roster(&site, &entries, now_ms())
                    .await
                    .map_err(failed)?;
                if json {
                    return print_json(&report);
                }
                println!(
                    "site {}: imported {} rows from {} ({format:?}, sha256 {}…): {} new, {} changed, {} unchanged; hub revision {}",
                    report.site,
                    report.rows,
                    file.display(),
                    sha256.get(..16).unwrap_or(&sha256),
                    report.inserted,
                    report.updated,
                    report.unchanged,
                    report.revision
                );
                Ok(())
            }
            HubCommand::Serials { db, json } => {
                let db = HubDb::connect(&db).await.map_err(failed)?;
                let allocations = db.serial_allocations().await.map_err(failed)?;
                if json {
                    return print_json(&allocations);
                }
                if allocations.is_empty() {
                    println!("no serial blocks allocated");
                }
                for block in allocations {
                    println!(
                        "{} district {} sitting {}: {:05}–{:05} to {} ({}…)",
                        block.block_id,
                        block.district,
                        block.sitting,
                        block.first,
                        block.last,
                        block.desk_name,
                        block.desk.get(..16).unwrap_or(&block.desk)
                    );
                }
                Ok(())
            }
            HubCommand::Stats { db, json } => {
                let db = HubDb::connect(&db).await.map_err(failed)?;
                let stats = db.stats().await.map_err(failed)?;
                if json {
                    return print_json(&stats);
                }
                println!(
                    "{} confirmations from {} desks in {} batches; {} blobs ({} bytes); {} conflicts; {} roster rows; {} serial blocks",
                    stats.confirmations,
                    stats.desks,
                    stats.batches,
                    stats.blobs,
                    stats.blob_bytes,
                    stats.conflicts,
                    stats.roster_rows,
                    stats.serial_blocks
                );
                Ok(())
            }
            HubCommand::Conflicts { db, json } => {
                let db = HubDb::connect(&db).await.map_err(failed)?;
                let conflicts = db.conflicts().await.map_err(failed)?;
                if json {
                    return print_json(&conflicts);
                }
                if conflicts.is_empty() {
                    println!("no conflicts");
                }
                for conflict in conflicts {
                    println!(
                        "#{} {} {} vs {} (desk {}…): {}",
                        conflict.id,
                        conflict.kind,
                        conflict.confirmation_id,
                        conflict.other_confirmation_id,
                        conflict.desk.get(..16).unwrap_or(&conflict.desk),
                        conflict.detail
                    );
                }
                Ok(())
            }
        }
    })
}
