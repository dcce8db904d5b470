//! Running the `confab` binary from tests.

use std::path::Path;
use std::process::Command;

/// Runs `confab --data DIR ARGS… --json`, asserts it succeeded and returns its JSON.
pub fn cli(bin: &str, dir: &Path, args: &[&str]) -> serde_json::Value {
    let out = Command::new(bin)
        .arg("--data")
        .arg(dir)
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "confab {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
