//! The upstream hub: desks push their confirmations here.
//!
//! - [`HubDb`]: the hub's store through sqlx's Any driver — PostgreSQL in production, SQLite as
//!   the embedded default; one schema, one set of queries (`$n` parameters work on both).
//! - [`router`]/[`serve`]: the axum server. Every request is signed by an enrolled desk
//!   (`zk_sync::sign`); `POST /v1/batches` is idempotent per `Idempotency-Key`; blobs are
//!   content-addressed; conflicting records are kept and flagged, never dropped.
#![forbid(unsafe_code)]

mod bundle;
mod db;
mod error;
mod server;

pub use bundle::import_bundle;
pub use db::{ConflictRow, HubDb, HubStats};
pub use error::HubError;
pub use server::{router, serve, Clock, HubState};
