#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Replays the committed fuzz corpora (`drivers/fuzz/corpus/<target>/`) and crash reproducers
//! (`drivers/fuzz/regressions/<target>/`, when present) through the fuzz targets' own checks, so
//! the seeds and every crash found stay regression tests on stable without a fuzzer.
//!
//! The checks are `drivers/fuzz/src/lib.rs`, included here as a module; the fuzz targets call the
//! same functions. A missing or empty corpus directory fails the test; the regressions
//! directories are optional (a target without a known crash has none).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

#[path = "../fuzz/src/lib.rs"]
mod fuzz_checks;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The regular files of `dir`, sorted; `None` when `dir` does not exist.
fn files(dir: &Path) -> Option<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).ok()?;
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("read a corpus directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    Some(files)
}

/// Runs `check` on every file and fails naming every input that panicked.
fn replay_files(target: &str, files: &[PathBuf], check: fn(&[u8])) {
    let mut failures = Vec::new();
    for path in files {
        let input = std::fs::read(path)
            .unwrap_or_else(|error| panic!("cannot read fuzz input {}: {error}", path.display()));
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| check(&input))) {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(non-string panic)")
                .to_owned();
            failures.push(format!("{}: {message}", path.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} {target} inputs fail (reproduce one with \
         `cargo +nightly fuzz run {target} <file>` in drivers/):\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

/// The target's corpus, which must exist and hold files.
fn replay_corpus(target: &str, check: fn(&[u8])) {
    let corpus = fuzz_dir().join("corpus").join(target);
    let files = files(&corpus).unwrap_or_else(|| {
        panic!(
            "fixture missing: fuzz corpus directory {} (generate seeds with \
             `cargo run --example make_seeds` in drivers/fuzz)",
            corpus.display()
        )
    });
    assert!(
        !files.is_empty(),
        "fixture missing: fuzz corpus directory {} is empty",
        corpus.display()
    );
    replay_files(target, &files, check);
}

/// The target's crash reproducers (`regressions/<target>/`), if it has any.
fn replay_regressions(target: &str, check: fn(&[u8])) {
    let dir = fuzz_dir().join("regressions").join(target);
    replay_files(target, &files(&dir).unwrap_or_default(), check);
}

#[test]
fn frame_decoder_corpus_replays() {
    replay_corpus("frame_decoder", fuzz_checks::frame_decoder);
}

#[test]
fn text_decoder_corpus_replays() {
    replay_corpus("text_decoder", fuzz_checks::text_decoder);
}

#[test]
fn frame_decoder_regressions_replay() {
    replay_regressions("frame_decoder", fuzz_checks::frame_decoder);
}

#[test]
fn text_decoder_regressions_replay() {
    replay_regressions("text_decoder", fuzz_checks::text_decoder);
}

#[test]
fn chunk_sizes_cover_the_stream() {
    for control in [0u8, 1, 2, 37, 255] {
        for len in [0usize, 1, 5, 300] {
            let sizes = fuzz_checks::chunk_sizes(control, len);
            assert_eq!(
                sizes.iter().sum::<usize>(),
                len,
                "control {control}, len {len}"
            );
            let max = if control == 0 {
                len
            } else {
                usize::from(control)
            };
            assert!(sizes.iter().all(|&size| size <= max), "control {control}");
            assert!(
                len == 0 || sizes.iter().all(|&size| size > 0),
                "control {control}"
            );
        }
    }
}
