#![no_main]
//! See `smtp_fuzz_targets::from_watcher`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| smtp_fuzz_targets::from_watcher(data));
