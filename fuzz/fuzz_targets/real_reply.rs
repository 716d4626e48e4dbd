#![no_main]
//! See `smtp_fuzz_targets::real_reply`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| smtp_fuzz_targets::real_reply(data));
