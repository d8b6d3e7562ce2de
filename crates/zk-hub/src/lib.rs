//! The upstream hub: desks push their confirmations here.
//!
//! - [`HubDb`]: the hub's store through sqlx's Any driver — PostgreSQL in production, SQLite as
//!   the embedded default; one schema, one set of queries (`$n` parameters work on both).
//! - [`router`]/[`serve`]: the axum server. Every request is signed by an enrolled desk
//!   (`zk_sync::sign`); `POST /v1/batches` is idempotent per `Idempotency-Key`; blobs are
//!   content-addressed; conflicting records are kept and flagged, never dropped. Down: each
//!   site's roster, paged by revision (a desk reads only its own site's), and serial blocks
//!   allocated per desk, idempotent per `Idempotency-Key`, never overlapping.
//! - [`serve_tls`]: the same over HTTPS (rustls, ring), from PEM files ([`load_tls_config`]).
#![forbid(unsafe_code)]

mod bundle;
mod db;
mod error;
mod server;
mod tls;

pub use bundle::import_bundle;
pub use db::{ConflictRow, Enrolment, HubDb, HubStats, RosterImport, SerialAllocation};
pub use error::HubError;
pub use server::{router, serve, Clock, HubState};
pub use tls::{load_tls_config, serve_tls};
