#![no_main]
//! See `smtp_fuzz_targets::from_page`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| smtp_fuzz_targets::from_page(data));
