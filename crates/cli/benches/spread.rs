//! The publisher's load: one newsletter issue to N subscribers, each `confab run` in its own
//! network namespace on one bridge (needs root; nothing leaves the machine). Each subscriber
//! dials the publisher (as its ticket makes it do) and three other subscribers. The figure is
//! the bytes the publisher's link sent for the issue (beyond its idle traffic over the same
//! time) divided by the size, and how long until every subscriber held it.
//!
//! The nodes' periodic re-sync (every 30 s with every peer) is set to 10 minutes here: it is
//! background traffic that does not grow with what is published, and it would fall into the
//! measured seconds at random.
//!
//! `cargo bench -p confab-cli --bench spread` (`SPREAD_N=10,30,100` subscriber counts;
//! `SPREAD_KIB=100` issue size).

use std::time::{Duration, Instant};

#[path = "../tests/support/net.rs"]
mod net;

#[path = "../tests/support/cli.rs"]
mod support_cli;

#[path = "../tests/support/peer.rs"]
mod peer;

use net::Net;
use peer::{cli, create, peer_id, Peer};

/// Bytes a namespace's links sent.
fn tx(ns: &str) -> u64 {
    let out = std::process::Command::new("ip")
        .args(["-n", ns, "-s", "-j", "link"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .filter(|l| l["ifname"] != "lo")
        .map(|l| l["stats64"]["tx"]["bytes"].as_u64().unwrap_or(0))
        .sum()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let ns: Vec<usize> = std::env::var("SPREAD_N")
        .unwrap_or_else(|_| "10,30,100".into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    let kib: usize = std::env::var("SPREAD_KIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    println!("# The publisher's upload for one {kib} KiB newsletter issue, subscribers in namespaces");
    println!("\n| subscribers | publisher sent (× issue) | all hold it after |\n|---|---|---|");
    for n in ns {
        let (ratio, took) = run(n, kib * 1024);
        println!("| {n} | {ratio:.1} | {:.1} s |", took.as_secs_f64());
    }
}

/// A node with mDNS off whose periodic re-sync (every 30 s with every peer: background
/// traffic, not the cost) does not fall in the measured minute.
fn start(name: &str, ns: &str, dir: &std::path::Path, listen: &str, dials: &[String]) -> Peer {
    let mut args = vec!["--no-mdns", "--no-dht", "--no-upnp", "--listen", listen];
    for d in dials {
        args.extend(["--dial", d.as_str()]);
    }
    Peer::start_env(name, ns, dir, &args, &[("CONFAB_RESYNC_SECS", Some("600"))])
}

fn run(n: usize, size: usize) -> (f64, Duration) {
    let mut net = Net::new("spread");
    let sw = net.switch("sw");
    let d = tempfile::tempdir().unwrap();
    let p_dir = d.path().join("p");
    let (space, ticket) = create(&p_dir, "news", "Load");
    let p_ns = net.ns("p");
    net.plug(&p_ns, &sw, "10.215.0.1/16");
    let p_id = peer_id(&p_dir);
    let p_addr = format!("/ip4/10.215.0.1/tcp/4300/p2p/{p_id}");
    let publisher = start("publisher", &p_ns, &p_dir, "/ip4/10.215.0.1/tcp/4300", &[]);
    let mut subs: Vec<(std::path::PathBuf, Peer)> = Vec::new();
    let mut addrs: Vec<String> = Vec::new();
    let mut x = 0x2545_f491u64;
    for i in 0..n {
        let dir = d.path().join(format!("s{i}"));
        cli(&dir, &["space", "join", &ticket]);
        let ns = net.ns(&format!("s{i}"));
        let ip = format!("10.215.{}.{}", 1 + i / 250, 1 + i % 250);
        net.plug(&ns, &sw, &format!("{ip}/16"));
        let mut dials = vec![p_addr.clone()];
        for _ in 0..3.min(addrs.len()) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let a = &addrs[(x % addrs.len() as u64) as usize];
            if !dials.contains(a) {
                dials.push(a.clone());
            }
        }
        let id = peer_id(&dir);
        let peer = Peer::start_at(
            &format!("s{i}"),
            &ns,
            &dir,
            &format!("/ip4/{ip}/tcp/4300"),
            &dials,
        );
        addrs.push(format!("/ip4/{ip}/tcp/4300/p2p/{id}"));
        subs.push((dir, peer));
    }
    // Every subscriber connected, its first sessions (and their rechecks) done and the gossip
    // meshes settled.
    std::thread::sleep(Duration::from_secs(10 + n as u64 / 5));
    let idle_from = (Instant::now(), tx(&p_ns));
    std::thread::sleep(Duration::from_secs(5));
    let idle_rate = (tx(&p_ns) - idle_from.1) as f64 / idle_from.0.elapsed().as_secs_f64();
    let body: String = (0..size).map(|i| (b'a' + (i * 7 % 26) as u8) as char).collect();
    let syncs = |subs: &[(std::path::PathBuf, Peer)]| -> Vec<usize> {
        subs.iter()
            .map(|(_, p)| {
                p.err
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|l| l.starts_with("sync ") && l.contains("receiving"))
                    .count()
            })
            .collect()
    };
    let syncs_before = syncs(&subs);
    let before = (Instant::now(), tx(&p_ns));
    cli(
        &p_dir,
        &["news", "publish", &space, "--title", "Load", "--body", &body],
    );
    let mut waiting: Vec<usize> = (0..n).collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !waiting.is_empty() && Instant::now() < deadline {
        waiting.retain(|i| {
            cli(&subs[*i].0, &["news", "list", &space])
                .as_array()
                .is_none_or(|a| a.is_empty())
        });
        if !waiting.is_empty() {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    assert!(
        waiting.is_empty(),
        "{} subscribers never got the issue",
        waiting.len()
    );
    let took = before.0.elapsed();
    // What the publisher sends in answer to late syncs counts too.
    std::thread::sleep(Duration::from_secs(5));
    let sent = (tx(&p_ns) - before.1) as f64 - idle_rate * before.0.elapsed().as_secs_f64();
    let by_sync = syncs(&subs)
        .iter()
        .zip(&syncs_before)
        .filter(|(a, b)| a > b)
        .count();
    eprintln!("spread: {by_sync} of {n} subscribers fetched something by sync after the issue was published");
    drop(publisher);
    drop(subs);
    (sent / size as f64, took)
}
