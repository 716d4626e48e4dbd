#![no_main]
//! See `smtp_fuzz_targets::exercise`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| smtp_fuzz_targets::exercise(data));
