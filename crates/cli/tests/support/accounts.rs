//! What the account tests share: commands with a passphrase, refusals, nodes in namespaces.
//! Include after `support/cli.rs` as `support_cli` and `support/peer.rs` as `peer`.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

use super::peer::{cli, Peer, BIN};

pub const PASS: &str = "a long passphrase";

/// `confab --data DIR ARGS…` with a passphrase in the environment (`None`: none).
pub fn with_pass(dir: &Path, pass: Option<&str>, args: &[&str]) -> Output {
    let mut c = Command::new(BIN);
    c.arg("--data").arg(dir).args(args).env_remove("CONFAB_DATA_DIR");
    match pass {
        Some(p) => c.env("CONFAB_PASSPHRASE", p),
        None => c.env_remove("CONFAB_PASSPHRASE"),
    };
    c.output().expect("confab runs")
}

pub fn ok_json(out: Output, what: &str) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

pub fn refused(out: Output) -> String {
    assert!(
        !out.status.success(),
        "expected a refusal, got {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn node_args(listen: &str, dial: Option<String>) -> Vec<String> {
    let mut a: Vec<String> = ["--no-mdns", "--no-dht", "--no-upnp", "--listen", listen]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if let Some(d) = dial {
        a.push("--dial".into());
        a.push(d);
    }
    a
}

pub fn start(name: &str, ns: &str, dir: &Path, args: &[String]) -> Peer {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    Peer::start(name, ns, dir, &a)
}

/// The chat texts `dir` holds in `space`.
pub fn chat_texts(dir: &Path, space: &str) -> Vec<String> {
    cli(dir, &["chat", "list", space])
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["text"].as_str().map(str::to_string))
        .collect()
}

/// Every file under `dir`, read whole.
pub fn files_under(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(b) = std::fs::read(&p) {
                out.push((p, b));
            }
        }
    }
    out
}
