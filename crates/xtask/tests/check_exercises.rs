//! `cargo xtask check-exercises DIR` as a teacher runs it: a good folder checks out; a broken
//! file is named with its field, and the command fails.

use std::path::Path;
use std::process::Command;

fn folder(name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("check-exercises-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (file, text) in files {
        std::fs::write(dir.join(file), text).unwrap();
    }
    dir
}

#[test]
fn a_broken_exercise_file_is_named_with_its_field() {
    let good = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../exercises/01-by-hand.json")).unwrap();
    let dir = folder("good", &[("01-by-hand.json", &good)]);
    let out = Command::new(env!("CARGO_BIN_EXE_xtask")).arg("check-exercises").arg(&dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 exercise file(s)"));

    let broken = r#"{"id":"x","title":"t","goal":"g","background":"b","profile":"postfix","steps":[{"text":"s","check":{"kind":"replyy"}}],"solution":[]}"#;
    // A check that tests less than its step says: its near miss completes it.
    let lax = good.replace(",\n        \"address\": \"alice@playground.test\"", "");
    assert_ne!(lax, good);
    let dir = folder("broken", &[("01-lax.json", &lax), ("02-broken.json", broken)]);
    let out = Command::new(env!("CARGO_BIN_EXE_xtask")).arg("check-exercises").arg(&dir).output().unwrap();
    let errors = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(errors.contains("02-broken.json: field `steps[0].check.kind`"), "{errors}");
    assert!(errors.contains("01-lax.json: near_misses[0] completes the exercise"), "{errors}");
    let _ = std::fs::remove_dir_all(&dir);
}
