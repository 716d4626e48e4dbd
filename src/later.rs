//! The page is downloaded in parts: what the console needs to answer comes first, the rest (each
//! tab's view, the other two modes, the reading of a saved session) is split off at a
//! `#[wasm_split]` function, which `cargo xtask dist` cuts out of the wasm, and which the browser
//! fetches the first time it is called. Natively (the model's tests) such a function is an
//! ordinary call.

use wasm_split_helpers::SplitLoaderError;

/// A part of the page that could not be downloaded (the network went away before it was needed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Missing;

impl From<SplitLoaderError> for Missing {
    fn from(_: SplitLoaderError) -> Self {
        Missing
    }
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the server this page came from did not send it")
    }
}
