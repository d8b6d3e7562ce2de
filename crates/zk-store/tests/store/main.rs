//! zk-store through its public API. Tampering goes through a separate rusqlite connection to the
//! database file, as an attacker with file access would.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod artefacts;
mod audit;
mod common;
mod confirm;
mod hub;
mod roster;
mod security;
mod sessions;
