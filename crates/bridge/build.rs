//! With `PLAYGROUND_EMBED=DIST` (set by `cargo xtask release` and by the tests' build), the built
//! page is carried inside the binary: one file to copy to a lab machine. Without it, nothing is
//! embedded and the page is served from `--dir`.

use std::fmt::Write;
use std::path::Path;

fn main() {
    println!("cargo::rerun-if-env-changed=PLAYGROUND_EMBED");
    let mut out = String::from("/// (path under the page's root, bytes) of every file of the built page carried inside.\npub(crate) static FILES: &[(&str, &[u8])] = &[\n");
    if let Some(dist) = std::env::var_os("PLAYGROUND_EMBED").filter(|d| !d.is_empty()) {
        let dist = Path::new(&dist);
        println!("cargo::rerun-if-changed={}", dist.display());
        let mut files: Vec<_> = std::fs::read_dir(dist).map(|e| e.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()).collect()).unwrap_or_default();
        files.sort();
        assert!(files.iter().any(|p| p.ends_with("index.html")), "PLAYGROUND_EMBED={} holds no index.html: run `cargo xtask dist` first", dist.display());
        for path in files {
            println!("cargo::rerun-if-changed={}", path.display());
            let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            let absolute = std::fs::canonicalize(&path).unwrap_or(path);
            let _ = writeln!(out, "    ({name:?}, include_bytes!({:?})),", absolute.display().to_string());
        }
    }
    out.push_str("];\n");
    let target = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("embedded_page.rs");
    std::fs::write(target, out).expect("OUT_DIR is writable");
}
