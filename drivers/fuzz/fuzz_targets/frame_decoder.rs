#![no_main]

use libfuzzer_sys::fuzz_target;

// The logic lives in the library so `drivers/tests/fuzz_corpus.rs` replays the corpus through it.
fuzz_target!(|data: &[u8]| zk_drivers_fuzz::frame_decoder(data));
