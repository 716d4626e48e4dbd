//! `cargo xtask dist`: the release build of the page into `dist/`.
//!
//! wasm (profile `wasm-release`) → JS glue by `wasm-bindgen-cli-support` (same version as the
//! `wasm-bindgen` in Cargo.lock) → `wasm-opt -Oz` from the npm package `binaryen` → content-hashed
//! names, `index.html` pointing at them, and `.gz` / `.br` copies that `smtp-bridge` serves.

use crate::env::{self, run as exec};
use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The version of `wasm-bindgen-cli-support` this binary was built with (see Cargo.toml).
const BINDGEN_VERSION: &str = "0.2.130";
const APP: &str = "smtp-playground";
const GLUE: &str = "smtp-playground";
/// The script that loads the page's split parts (written by `wasm_split_cli_support`).
const LOADER: &str = "split";
/// Where `index.html` receives the stylesheet, preload and start-up tags.
const HEAD_MARKER: &str = "<!-- xtask:head -->";

/// The release build: what users and CI get.
pub(crate) fn run() -> Result<PathBuf> {
    // A broken exercise file stops the build: the page would show it broken to every student.
    crate::exercises::check(&env::root().join("exercises"))?;
    build(false)
}

/// `dev`: incremental, no LTO, no wasm-opt, no compression — for working on the page.
pub(crate) fn build(dev: bool) -> Result<PathBuf> {
    let started = Instant::now();
    let root = env::root();
    env::ensure_wasm_target()?;
    check_bindgen_version(&root)?;
    env::ensure_npm_packages()?;

    let built = wasm_and_glue(&root, Artifact::Page, dev)?;

    let dist = root.join("dist");
    let _ = fs::remove_dir_all(&dist);
    fs::create_dir_all(&dist)?;
    let wasm_name = write_hashed(&dist, &fs::read(&built.wasm)?, GLUE, "wasm")?;
    let js_name = built.glue_name.clone();
    fs::copy(&built.glue, dist.join(&js_name))?;
    for (served, path) in &built.later {
        fs::copy(path, dist.join(served))?;
    }

    let mut styles = Vec::new();
    for entry in sorted_entries(&root.join("www"))? {
        let name = entry.file_name().unwrap().to_string_lossy().to_string();
        let bytes = fs::read(&entry)?;
        match name.rsplit_once('.') {
            Some((stem, "css")) => styles.push(write_hashed(&dist, &bytes, stem, "css")?),
            _ => fs::write(dist.join(&name), bytes)?,
        }
    }

    let template = fs::read_to_string(root.join("index.html"))?;
    if !template.contains(HEAD_MARKER) {
        bail!("index.html has no `{HEAD_MARKER}` line for the build to fill in");
    }
    let mut head = String::new();
    for css in &styles {
        head.push_str(&format!("<link rel=\"stylesheet\" href=\"./{css}\">\n"));
    }
    head.push_str(&format!(
        "<link rel=\"modulepreload\" href=\"./{js_name}\">\n\
         <link rel=\"preload\" href=\"./{wasm_name}\" as=\"fetch\" type=\"application/wasm\" crossorigin>\n\
         <script type=\"module\">import init from './{js_name}'; init({{ module_or_path: './{wasm_name}' }});</script>"
    ));
    fs::write(dist.join("index.html"), template.replace(HEAD_MARKER, &head))?;

    if dev {
        println!("xtask: dev build (not optimised, not compressed) — for `cargo xtask serve --dev`");
    } else {
        compress_and_report(&dist)?;
    }
    println!("xtask: dist ready in {:.1} s", started.elapsed().as_secs_f64());
    Ok(dist)
}

/// What to build for wasm32: the page, or an example of the root package (the size floors that
/// `cargo xtask bench` measures).
pub(crate) enum Artifact<'a> {
    Page,
    Example(&'a str),
}

/// One wasm32 build, ready to serve: the module the page starts with and its JS glue, and for the
/// page, the parts split off at its `#[wasm_split]` functions with the script that loads them.
pub(crate) struct Built {
    pub wasm: PathBuf,
    pub glue: PathBuf,
    /// What the browser fetches when a part is first needed: `(file name to serve, path)`.
    pub later: Vec<(String, PathBuf)>,
    /// The name the glue must be served under (the loader imports it by that name).
    pub glue_name: String,
}

/// Builds `artifact` for wasm32 as the page is built (profile, split, JS glue, and unless `dev`,
/// `wasm-opt -Oz` on every part).
pub(crate) fn wasm_and_glue(root: &Path, artifact: Artifact<'_>, dev: bool) -> Result<Built> {
    let profile = if dev { "wasm-dev" } else { "wasm-release" };
    let mut cargo = env::cargo();
    cargo.args(["build", "--quiet", "--package", APP, "--target", "wasm32-unknown-unknown", "--profile", profile]);
    let (wasm, name, split) = match artifact {
        Artifact::Page => {
            cargo.args(["--bin", APP]);
            (env::target_dir().join(format!("wasm32-unknown-unknown/{profile}/{APP}.wasm")), GLUE, true)
        }
        Artifact::Example(example) => {
            cargo.args(["--example", example]);
            (env::target_dir().join(format!("wasm32-unknown-unknown/{profile}/examples/{example}.wasm")), example, false)
        }
    };
    exec(&mut cargo)?;

    let glue_dir = env::target_dir().join("xtask/bindgen").join(name);
    let _ = fs::remove_dir_all(&glue_dir);
    fs::create_dir_all(&glue_dir)?;
    let input = fs::read(&wasm).with_context(|| format!("reading {}", wasm.display()))?;
    // Every file of one build carries the same hash: the glue and the loader import each other
    // by name, so neither name can hash the other's bytes.
    let hash = short_hash(&input);
    let glue_name = format!("{name}-{hash}.js");

    let (main_wasm, mut later) = if split {
        split_page(&input, &glue_dir, name, &hash, &glue_name)?
    } else {
        // Nothing to split: drop the relocations kept for the splitter, which wasm-opt cannot
        // read past (it would leave the module unoptimised).
        let plain = glue_dir.join(format!("{name}_plain.wasm"));
        fs::write(&plain, without_sections(&input, |name| name == b"linking" || name.starts_with(b"reloc."))?)?;
        (plain, Vec::new())
    };

    // XTASK_PROFILING=1 keeps function names, so that a browser profile is readable.
    let profiling = std::env::var_os("XTASK_PROFILING").is_some();
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&main_wasm)
        .out_name(name)
        .web(true)?
        // The crate's default (true) differs from the CLI's: without this, `init()` never
        // fetches the wasm by itself.
        .omit_default_module_path(false)
        // The split parts link against the main module's own (LLD's) exports, by their names.
        .keep_lld_exports(split)
        .demangle(!split)
        .remove_name_section(!profiling)
        .remove_producers_section(true)
        .generate(&glue_dir)
        .context("wasm-bindgen could not generate the JS glue")?;

    let bg = glue_dir.join(format!("{name}_bg.wasm"));
    let optimized = glue_dir.join(format!("{name}_opt.wasm"));
    optimize(root, &bg, &optimized, dev, profiling)?;
    for (served, part) in later.iter_mut() {
        if served.ends_with(".wasm") {
            let out = part.with_extension("opt.wasm");
            if !profiling {
                // The splitter keeps a name section whose newer subsections wasm-opt warns about.
                fs::write(&*part, without_sections(&fs::read(&*part)?, |name| name == b"name")?)?;
            }
            optimize(root, part, &out, dev, profiling)?;
            *part = out;
        }
    }
    Ok(Built { wasm: optimized, glue: glue_dir.join(format!("{name}.js")), later, glue_name })
}

/// Splits the page's wasm (`input`) at its `#[wasm_split]` functions with
/// `wasm_split_cli_support`: the main module for wasm-bindgen, and what is served later (each part
/// under a name carrying the build's `hash`, and the loader that fetches them, which imports the
/// glue as `glue_name`).
fn split_page(input: &[u8], glue_dir: &Path, name: &str, hash: &str, glue_name: &str) -> Result<(PathBuf, Vec<(String, PathBuf)>)> {
    let parts_dir = glue_dir.join("parts");
    let main_wasm = glue_dir.join(format!("{name}_split.wasm"));
    let loader_name = format!("{LOADER}-{hash}.js");
    let link_name = format!("./{loader_name}");
    let main_module = format!("./{glue_name}");
    let split = wasm_split_cli_support::transform({
        let mut options = wasm_split_cli_support::Options::new(input);
        options.output_dir = &parts_dir;
        options.main_out_path = &main_wasm;
        options.link_name = &link_name;
        options.main_module = &main_module;
        options
    })
    .map_err(|e| anyhow::anyhow!("{e:?}"))
    .context("splitting the page's wasm at its #[wasm_split] functions (wasm_split_cli_support)")?;
    // The loader fetches each part by its file name: give those names the build's hash too, so
    // that they are cached as immutable like the rest.
    let mut loader = fs::read_to_string(parts_dir.join(&loader_name))?;
    let mut later = Vec::new();
    for part in &split.split_modules {
        let stem = part.file_stem().context("a split part without a name")?.to_string_lossy().to_string();
        let served = format!("{stem}-{hash}.wasm");
        loader = loader.replace(&format!("\"./{stem}.wasm\""), &format!("\"./{served}\""));
        later.push((served, part.clone()));
    }
    let loader_path = glue_dir.join(&loader_name);
    fs::write(&loader_path, loader)?;
    later.push((loader_name, loader_path));
    Ok((main_wasm, later))
}

/// `wasm` without the custom sections whose name `drop` picks.
fn without_sections(wasm: &[u8], drop: impl Fn(&[u8]) -> bool) -> Result<Vec<u8>> {
    fn leb(bytes: &[u8], at: &mut usize) -> Result<usize> {
        let (mut value, mut shift) = (0usize, 0);
        loop {
            let byte = *bytes.get(*at).context("a truncated wasm module")?;
            *at += 1;
            value |= usize::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
            shift += 7;
        }
    }
    let mut out = wasm.get(..8).context("not a wasm module")?.to_vec();
    let mut at = 8;
    while at < wasm.len() {
        let start = at;
        let id = wasm[at];
        at += 1;
        let size = leb(wasm, &mut at)?;
        let end = at + size;
        let body = wasm.get(at..end).context("a truncated wasm section")?;
        let dropped = id == 0 && {
            let mut name_at = 0;
            let len = leb(body, &mut name_at)?;
            drop(body.get(name_at..name_at + len).unwrap_or_default())
        };
        if !dropped {
            out.extend_from_slice(&wasm[start..end]);
        }
        at = end;
    }
    Ok(out)
}

/// `wasm-opt -Oz` from the npm package `binaryen` (a copy when `dev`).
fn optimize(root: &Path, input: &Path, output: &Path, dev: bool, profiling: bool) -> Result<()> {
    if dev {
        fs::copy(input, output)?;
        return Ok(());
    }
    exec(
        Command::new(root.join("node_modules/.bin/wasm-opt"))
            .arg(input)
            .args(if profiling { &["-Oz", "--debuginfo"][..] } else { &["-Oz", "--strip-debug", "--strip-producers"][..] })
            .args(WASM_FEATURES)
            .arg("-o")
            .arg(output),
    )
    .with_context(|| format!("wasm-opt (npm package binaryen) failed on {}", input.display()))
}

/// Whether `name`, a file of `dist/`, is a part fetched after the console answers (a split part
/// or a chunk shared by several), not part of the first download.
pub(crate) fn is_later_part(name: &str) -> bool {
    name.ends_with(".wasm") && (name.starts_with("split_") || name.starts_with("chunk_"))
}

fn short_hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().take(5).map(|b| format!("{b:02x}")).collect()
}

/// Features that rustc's wasm32 target enables by default, so wasm-opt may keep using them.
const WASM_FEATURES: &[&str] =
    &["--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext", "--enable-mutable-globals", "--enable-reference-types", "--enable-multivalue"];

fn check_bindgen_version(root: &Path) -> Result<()> {
    let lock = fs::read_to_string(root.join("Cargo.lock")).context("Cargo.lock is missing")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            let version = lines.next().unwrap_or_default().trim_start_matches("version = ").trim_matches('"');
            if version != BINDGEN_VERSION {
                bail!(
                    "Cargo.lock has wasm-bindgen {version} but xtask uses wasm-bindgen-cli-support {BINDGEN_VERSION}: \
                     pin both to the same version in Cargo.toml and crates/xtask/Cargo.toml"
                );
            }
            return Ok(());
        }
    }
    bail!("Cargo.lock has no wasm-bindgen entry")
}

fn write_hashed(dist: &Path, bytes: &[u8], stem: &str, ext: &str) -> Result<String> {
    let name = format!("{stem}-{}.{ext}", short_hash(bytes));
    fs::write(dist.join(&name), bytes)?;
    Ok(name)
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut entries: Vec<PathBuf> =
        fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect();
    entries.sort();
    Ok(entries)
}

fn compress_and_report(dist: &Path) -> Result<()> {
    println!("{:<36} {:>10} {:>10} {:>10}", "file", "raw", "gzip", "brotli");
    let (mut raw_total, mut gz_total, mut br_total) = (0, 0, 0);
    for file in sorted_entries(dist)? {
        let bytes = fs::read(&file)?;
        let gz = gzip(&bytes)?;
        let mut br = Vec::new();
        {
            let mut writer = brotli::CompressorWriter::new(&mut br, 4096, 11, 22);
            writer.write_all(&bytes)?;
        }
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        fs::write(dist.join(format!("{name}.gz")), &gz)?;
        fs::write(dist.join(format!("{name}.br")), &br)?;
        println!("{:<36} {:>10} {:>10} {:>10}", name, kb(bytes.len()), kb(gz.len()), kb(br.len()));
        raw_total += bytes.len();
        gz_total += gz.len();
        br_total += br.len();
    }
    println!("{:<36} {:>10} {:>10} {:>10}", "total", kb(raw_total), kb(gz_total), kb(br_total));
    Ok(())
}

/// `bytes` gzipped at the best level (what `smtp-bridge` serves, and what size goals count).
pub(crate) fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes)?;
    Ok(gz.finish()?)
}

fn kb(bytes: usize) -> String {
    format!("{:.1} KB", bytes as f64 / 1000.0)
}
