//! The integration test binary (one binary keeps link time down).

mod deps;
mod flow;
