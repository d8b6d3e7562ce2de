//! zk-vision with the real models on the dev face set (`../shared/data/faces`, `pairs.csv`).
//! A missing fixture or model fails the test with what to do (run scripts/fetch-models.sh);
//! nothing is skipped.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod clips;
mod inputs;
mod models;
mod pairs;
mod photo;
mod support;
