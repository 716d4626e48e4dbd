//! Embeds every `exercises/*.json` into the page, so that adding an exercise needs no Rust.
//! (Their validity is tested by `smtp-protocol`'s tests/exercises.rs, which names file and field.)

use std::fmt::Write;
use std::path::Path;

fn main() {
    // Read when the script runs, not when it was compiled: a moved checkout embeds its own files.
    let dir = Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR")).join("exercises");
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().to_string()).filter(|n| n.ends_with(".json")).collect())
        .unwrap_or_default();
    names.sort();
    let mut out = String::from("/// (file name, contents) of every exercise, in file-name order.\npub(crate) static FILES: &[(&str, &str)] = &[\n");
    for name in &names {
        let path = dir.join(name);
        println!("cargo::rerun-if-changed={}", path.display());
        let _ = writeln!(out, "    (\"exercises/{name}\", include_str!({:?})),", path.display().to_string());
    }
    out.push_str("];\n");
    let target = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("exercises.rs");
    std::fs::write(target, out).expect("OUT_DIR is writable");
}
