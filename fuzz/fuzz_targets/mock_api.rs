#![no_main]
//! See `smtp_fuzz_targets::mock_api`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| smtp_fuzz_targets::mock_api(data));
