//! Reaching across NATs, measured in network namespaces (needs root and iptables; nothing
//! leaves the machine): `cargo bench -p confab-cli --bench nat` (`NAT_BENCH=homes|symmetric|idle`
//! runs one part).
//!
//! - two homes behind endpoint-independent NATs, `RUNS` times (default 10): time from start to
//!   the first message delivered and to the hole-punched connection, and how many runs punched
//!   a hole;
//! - behind symmetric NATs, a catch-up of `CATCHUP` messages (default 2,000) through relays
//!   that cut circuits at 128 KiB / 2 min: its time and the bytes the relays sent;
//! - one node's idle DHT traffic among 20 public nodes for `IDLE_SECS` (default 600): bytes a
//!   minute up and down.

use std::time::{Duration, Instant};

#[path = "../tests/support/net.rs"]
mod net;

#[path = "../tests/support/cli.rs"]
mod support_cli;

#[path = "../tests/support/peer.rs"]
mod peer;

#[path = "../tests/support/homes.rs"]
mod homes;

use homes::{how, internet, TwoHomes};
use net::{Nat, Net};
use peer::{cli, texts};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// Bytes sent and received on every interface of a namespace but loopback.
fn bytes(ns: &str) -> (u64, u64) {
    let out = std::process::Command::new("ip")
        .args(["-n", ns, "-s", "-j", "link"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (mut tx, mut rx) = (0, 0);
    for l in v.as_array().unwrap() {
        if l["ifname"] != "lo" {
            tx += l["stats64"]["tx"]["bytes"].as_u64().unwrap_or(0);
            rx += l["stats64"]["rx"]["bytes"].as_u64().unwrap_or(0);
        }
    }
    (tx, rx)
}

/// Polls `ok` every 100 ms for `secs`: when it held, or `None`.
fn until(secs: u64, mut ok: impl FnMut() -> bool) -> Option<Instant> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if ok() {
            return Some(Instant::now());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

fn two_homes(runs: u64) {
    let (mut first, mut punched) = (Vec::new(), Vec::new());
    for run in 0..runs {
        let s = TwoHomes::new(&format!("bn{run}"), Nat::EndpointIndependent, &[], 0);
        let (h, space) = (&s.h, &s.space);
        cli(&h.a, &["chat", "send", space, "hello"]);
        let t0 = Instant::now();
        let (pa, pb) = s.start();
        let f = until(120, || texts(&h.b, space).iter().any(|t| t == "hello"));
        let p = f.and_then(|_| {
            until(60, || {
                how(&h.a, &s.b_id).as_deref() == Some("holepunched")
                    || how(&h.b, &s.a_id).as_deref() == Some("holepunched")
            })
        });
        let (fs, ps) = (
            f.map(|t| (t - t0).as_secs_f64()),
            p.map(|t| (t - t0).as_secs_f64()),
        );
        println!("run {run}: first message {fs:?} s, hole-punched {ps:?} s");
        first.extend(fs);
        punched.extend(ps);
        drop((pa, pb, s));
    }
    println!(
        "two homes, {runs} runs: first message p50 {:.1} s, max {:.1} s ({} delivered); \
         hole-punched p50 {:.1} s, max {:.1} s; hole punching succeeded {}/{runs}",
        percentile(&first, 0.5),
        percentile(&first, 1.0),
        first.len(),
        percentile(&punched, 0.5),
        percentile(&punched, 1.0),
        punched.len()
    );
}

fn symmetric_catch_up(n: usize) {
    let limits = ["--circuit-bytes", "131072", "--circuit-secs", "120"];
    let s = TwoHomes::new("bsym", Nat::Symmetric, &limits, n);
    let (h, space) = (&s.h, &s.space);
    let relays: Vec<String> = (0..3).map(|i| s.inet_ns(i)).collect();
    let before: u64 = relays.iter().map(|r| bytes(r).0).sum();
    let t0 = Instant::now();
    let (pa, pb) = s.start();
    // Found: the two are connected (through a relay); from then on the catch-up is measured.
    let found = until(120, || how(&h.b, &s.a_id).is_some());
    let t = until(600, || texts(&h.b, space).len() >= n);
    let after: u64 = relays.iter().map(|r| bytes(r).0).sum();
    println!(
        "symmetric NATs: start -> connected {:?} s; {n}-message catch-up through 128 KiB / \
         2 min relays: {:?} s after connecting ({:?} s from start); the relays sent {:.0} KiB \
         in all (relayed and DHT traffic)",
        found.map(|f| (f - t0).as_secs_f64()),
        t.zip(found).map(|(t, f)| (t - f).as_secs_f64()),
        t.map(|t| (t - t0).as_secs_f64()),
        (after - before) as f64 / 1024.0
    );
    drop((pa, pb, s));
}

fn idle_dht(secs: u64) {
    let mut net = Net::new("bidle");
    let d = tempfile::tempdir().unwrap();
    let inet = internet(&mut net, d.path(), 20, &[]);
    // Let the network form first.
    std::thread::sleep(Duration::from_secs(30));
    let ns = inet.ns(0);
    let (tx0, rx0) = bytes(&ns);
    std::thread::sleep(Duration::from_secs(secs));
    let (tx1, rx1) = bytes(&ns);
    let min = secs as f64 / 60.0;
    println!(
        "idle DHT traffic of one node among 20 for {secs} s: {:.1} KiB/min up, {:.1} KiB/min down",
        (tx1 - tx0) as f64 / 1024.0 / min,
        (rx1 - rx0) as f64 / 1024.0 / min
    );
    drop(inet);
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return; // `cargo test --benches` probing
    }
    let which = std::env::var("NAT_BENCH").unwrap_or_else(|_| "all".into());
    if which == "all" || which == "homes" {
        two_homes(env_num("RUNS", 10));
    }
    if which == "all" || which == "symmetric" {
        symmetric_catch_up(env_num("CATCHUP", 2000) as usize);
    }
    if which == "all" || which == "idle" {
        idle_dht(env_num("IDLE_SECS", 600));
    }
}
