//! Running the `confab` binary from tests.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `confab run` on 127.0.0.1 with nothing beyond it: no mDNS, no DHT, no UPnP.
pub const RUN_LOCAL: &[&str] = &[
    "run",
    "--no-mdns",
    "--no-dht",
    "--no-upnp",
    "--listen",
    "/ip4/127.0.0.1/tcp/0",
];

/// The texts of a chat space's messages, oldest first.
pub fn texts(bin: &str, dir: &Path, space: &str) -> Vec<String> {
    cli(bin, dir, &["chat", "list", space])
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_string())
        .collect()
}

/// Lines a process printed, collected as they come.
pub type Lines = Arc<Mutex<Vec<String>>>;

/// Collects a child's stdout and stderr (both piped) line by line on two threads.
pub fn collect(child: &mut Child) -> (Lines, Lines) {
    let out: Lines = Arc::new(Mutex::new(Vec::new()));
    let err: Lines = Arc::new(Mutex::new(Vec::new()));
    for (stream, sink) in [
        (
            Box::new(child.stdout.take().expect("piped stdout")) as Box<dyn std::io::Read + Send>,
            out.clone(),
        ),
        (Box::new(child.stderr.take().expect("piped stderr")), err.clone()),
    ] {
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
    }
    (out, err)
}

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

/// Runs `confab --data DIR ARGS…` (without `CONFAB_DATA_DIR` from the environment).
pub fn run(bin: &str, dir: &Path, args: &[&str]) -> Output {
    Command::new(bin)
        .arg("--data")
        .arg(dir)
        .args(args)
        .env_remove("CONFAB_DATA_DIR")
        .output()
        .expect("confab runs")
}

/// Polls `f` every 50 ms for at most `secs` seconds.
pub fn wait<T>(secs: u64, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {secs} s waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
