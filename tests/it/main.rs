//! The integration test binary (one binary keeps link time down).

// Test code: a failed expectation should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod card_camera;
mod deps;
mod flow;
mod security;
