#![no_main]
//! See `smtp_fuzz_targets::auth`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| smtp_fuzz_targets::auth(data));
