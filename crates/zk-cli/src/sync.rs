//! `zk desk …`, `zk sync …` and `zk hub …`: the desk's signing key, pushing the outbox to the hub,
//! and running the hub itself. Each command opens what it needs, calls one library function and
//! prints the result; progress events go to standard error.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Subcommand;
use serde::Serialize;
use zk_hub::{HubDb, HubState};
use zk_store::Store;
use zk_sync::{DeskKey, HttpUpstream, PushOptions, RetryPolicy, StoreOutbox, SyncEvent};

use crate::commands::{CliError, Context};

/// The desk's Ed25519 signing key, beside the store.
pub const DESK_KEY_FILE: &str = "desk-sign.key";

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
        /// The hub, e.g. http://hub.local:8443
        #[arg(long, env = "ZK_HUB")]
        hub: String,
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
}

#[derive(Subcommand)]
pub enum HubCommand {
    /// Run the hub.
    Serve {
        /// sqlite://PATH (embedded default) or postgres://USER@HOST:PORT/DB
        #[arg(long, env = "ZK_HUB_DB")]
        db: String,
        #[arg(long, default_value = "127.0.0.1:8443")]
        listen: String,
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
    /// Allow a desk to push: register its public key (`zk desk pubkey` on the desk).
    EnrolDesk {
        #[arg(long, env = "ZK_HUB_DB")]
        db: String,
        #[arg(long)]
        pubkey: String,
        /// A name for the desk (site, room, desk number).
        #[arg(long, default_value = "desk")]
        name: String,
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
            if json {
                return print_json(&status);
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
        SyncCommand::Push { hub, batch, json } => {
            let (mut store, key_path) = context.open_desk()?;
            let key = DeskKey::load_or_create(&key_path).map_err(failed)?;
            let upstream = HttpUpstream::new(&hub, key, Arc::new(now_ms), RetryPolicy::default())
                .map_err(failed)?;
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
            HubCommand::Serve { db, listen, key } => {
                let db = HubDb::connect(&db).await.map_err(failed)?;
                let orphans = db.release_orphaned_claims().await.map_err(failed)?;
                if orphans > 0 {
                    eprintln!("zk hub: released {orphans} batch claims left by a hub that stopped mid-batch");
                }
                let listener = tokio::net::TcpListener::bind(&listen)
                    .await
                    .map_err(|error| failed(format!("cannot listen on {listen}: {error}")))?;
                let address = listener.local_addr().map_err(failed)?;
                eprintln!("zk hub: serving on http://{address} ({})", db.backend_name());
                let mut state = HubState::with_system_clock(db);
                if let Some(path) = key {
                    let key = zk_sync::HubKey::load(&path).map_err(failed)?;
                    eprintln!("zk hub: accepting bundles for {}", key.public().to_text());
                    state = state.with_bundle_key(Arc::new(key));
                }
                let state = Arc::new(state);
                zk_hub::serve(listener, state, async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await
                .map_err(failed)
            }
            HubCommand::EnrolDesk { db, pubkey, name } => {
                let db = HubDb::connect(&db).await.map_err(failed)?;
                let new = db
                    .enrol_desk(&pubkey, &name, now_ms())
                    .await
                    .map_err(failed)?;
                println!(
                    "{}",
                    if new {
                        "desk enrolled"
                    } else {
                        "desk was already enrolled"
                    }
                );
                Ok(())
            }
            HubCommand::Stats { db, json } => {
                let db = HubDb::connect(&db).await.map_err(failed)?;
                let stats = db.stats().await.map_err(failed)?;
                if json {
                    return print_json(&stats);
                }
                println!(
                    "{} confirmations from {} desks in {} batches; {} blobs ({} bytes); {} conflicts",
                    stats.confirmations,
                    stats.desks,
                    stats.batches,
                    stats.blobs,
                    stats.blob_bytes,
                    stats.conflicts
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
