//! Desk ↔ hub sync.
//!
//! - [`wire`]: the versioned (`/v1`) JSON types shared with `zk-hub`; artefacts travel as separate
//!   content-addressed blobs (SHA-256), so a retried batch never re-uploads what the hub has.
//! - [`sign`]: Ed25519 desk keys and request signatures over (method, path, body SHA-256,
//!   timestamp, nonce), checked against a replay window. Pure apart from key files.
//! - [`plan`]: the pure planner: outbox pages → batches, hub answers → outbox updates. No I/O,
//!   no clock.
//! - [`roster`]: registrations ↔ their wire form (pure).
//! - `push`, `pull` and `transport` (feature `http`): the reqwest/rustls client with timeouts,
//!   backoff with jitter, an optional extra CA, and resumption from the last acknowledged row
//!   (push), the last applied roster page (pull) or the persisted serial request, reporting
//!   progress as [`SyncEvent`]s; it never prints.
#![forbid(unsafe_code)]

pub mod bundle;
mod error;
pub mod plan;
pub mod roster;
pub mod sign;
pub mod wire;

#[cfg(feature = "store")]
mod export;
#[cfg(feature = "store")]
mod outbox;
#[cfg(feature = "http")]
mod pull;
#[cfg(feature = "http")]
mod push;
#[cfg(feature = "http")]
mod transport;

pub use bundle::{BundleError, BundleReader, BundleWriter, HubKey, HubPublicKey, Receipt};
pub use error::SyncError;
pub use plan::{AckPlan, Next, OpenBatch, OutboxRecord};
pub use sign::{AuthError, DeskKey, SignedHeaders, DESK_KEY_FILE, REPLAY_WINDOW_MS};

#[cfg(feature = "store")]
pub use export::{apply_receipt, export_bundle, write_atomically, ExportReport, ReceiptReport};
#[cfg(feature = "store")]
pub use outbox::{DeskLedger, DeskOutbox, StoreOutbox};
#[cfg(feature = "http")]
pub use pull::{
    pull_roster, request_serial_block, HeldBack, PullOptions, PullReport, SerialsReport,
};
#[cfg(feature = "http")]
pub use push::{push, PushOptions, PushReport, SyncEvent};
#[cfg(feature = "http")]
pub use transport::{HttpUpstream, RetryPolicy};

#[cfg(test)]
mod tests;
