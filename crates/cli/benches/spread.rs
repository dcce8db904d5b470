//! The publisher's load: one newsletter issue with pictures (or one chat message with files)
//! to N subscribers, each `confab run` in its own network namespace on one bridge (needs root;
//! nothing leaves the machine). Each subscriber dials the publisher (as its ticket makes it
//! do) and three other subscribers. The figure is the bytes the publisher's link sent for the
//! issue (beyond its idle traffic over the same time) divided by the size (its text
//! and its pictures), and how long until every subscriber held the record and every picture.
//!
//! The nodes' periodic re-sync (every 30 s with every peer) is set to 10 minutes here: it is
//! background traffic that does not grow with what is published, and it would fall into the
//! measured seconds at random.
//!
//! `cargo bench -p confab-cli --bench spread` (`SPREAD_N=10,30,100` subscriber counts;
//! `SPREAD_KIB=100` the text's size; `SPREAD_PICTURES=2` pictures of about
//! `SPREAD_PICTURE_KIB=2048` each; `SPREAD_KIND=news` or `chat`: a chat message of
//! `SPREAD_KIB` (at most 16) with the pictures as files).

use std::path::Path;
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

struct Setup {
    kib: usize,
    pictures: usize,
    picture_kib: usize,
    chat: bool,
}

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
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
    let chat = std::env::var("SPREAD_KIND").is_ok_and(|k| k == "chat");
    let setup = Setup {
        kib: env("SPREAD_KIB", if chat { 16 } else { 100 }),
        pictures: env("SPREAD_PICTURES", 2),
        picture_kib: env("SPREAD_PICTURE_KIB", 2048),
        chat,
    };
    println!(
        "# The publisher's upload for one {} of {} KiB with {} pictures of ~{} KiB, subscribers in namespaces",
        if chat { "chat message" } else { "newsletter issue" },
        setup.kib,
        setup.pictures,
        setup.picture_kib
    );
    println!("\n| subscribers | publisher sent (× issue) | all hold the record after | all hold the pictures after |\n|---|---|---|---|");
    for n in ns {
        let (ratio, record, pictures) = run(n, &setup);
        println!(
            "| {n} | {ratio:.1} | {:.1} s | {:.1} s |",
            record.as_secs_f64(),
            pictures.as_secs_f64()
        );
    }
}

/// A PNG of noise (it does not compress) of about `kib` KiB.
fn noisy_png(path: &Path, kib: usize, seed: u32) -> u64 {
    let side = ((kib * 1024 / 3) as f64).sqrt() as u32 + 1;
    let mut x = seed | 1;
    let img = image::RgbImage::from_fn(side, side, |_, _| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        image::Rgb([x as u8, (x >> 8) as u8, (x >> 16) as u8])
    });
    img.save(path).unwrap();
    std::fs::metadata(path).unwrap().len()
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

fn run(n: usize, setup: &Setup) -> (f64, Duration, Duration) {
    let mut net = Net::new("spread");
    let sw = net.switch("sw");
    let d = tempfile::tempdir().unwrap();
    let p_dir = d.path().join("p");
    let (space, ticket) = create(&p_dir, if setup.chat { "chat" } else { "news" }, "Load");
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
    // The text and the pictures.
    let text_bytes = setup.kib * 1024;
    let files = d.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    let mut size = text_bytes as u64;
    let mut names = Vec::new();
    for i in 0..setup.pictures {
        let name = format!("picture{i}.png");
        size += noisy_png(&files.join(&name), setup.picture_kib, 7 + i as u32);
        names.push(name);
    }
    let mut text: String = (0..text_bytes)
        .map(|i| (b'a' + (i * 7 % 26) as u8) as char)
        .collect();
    if !setup.chat {
        for name in &names {
            text.push_str(&format!("\n\n![{name}]({name})\n"));
        }
        std::fs::write(files.join("issue.md"), &text).unwrap();
    }
    // Every subscriber connected, its first sessions (and their rechecks) done and the gossip
    // meshes settled.
    std::thread::sleep(Duration::from_secs(10 + n as u64 / 5));
    let idle_from = (Instant::now(), tx(&p_ns));
    std::thread::sleep(Duration::from_secs(5));
    let idle_rate = (tx(&p_ns) - idle_from.1) as f64 / idle_from.0.elapsed().as_secs_f64();
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
    let md = files.join("issue.md");
    let paths: Vec<String> = names
        .iter()
        .map(|n| files.join(n).to_str().unwrap().to_string())
        .collect();
    let blobs: Vec<String> = if setup.chat {
        let mut args = vec!["chat", "send", &space, &text];
        for p in &paths {
            args.extend(["--file", p.as_str()]);
        }
        cli(&p_dir, &args);
        let listed = cli(&p_dir, &["chat", "list", &space]);
        listed[0]["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["blob"].as_str().unwrap().to_string())
            .collect()
    } else {
        cli(
            &p_dir,
            &[
                "news",
                "publish",
                &space,
                "--title",
                "Load",
                "--markdown",
                md.to_str().unwrap(),
            ],
        );
        let listed = cli(&p_dir, &["news", "list", &space]);
        listed[0]["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["blob"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(blobs.len(), setup.pictures, "every picture attached");
    let list = if setup.chat { "chat" } else { "news" };
    let mut waiting: Vec<usize> = (0..n).collect();
    let mut record_took = None;
    let mut last = 0usize;
    let mut pictures_took = None;
    let deadline = Instant::now() + Duration::from_secs(180);
    while (record_took.is_none() || pictures_took.is_none()) && Instant::now() < deadline {
        if record_took.is_none() {
            waiting.retain(|i| {
                cli(&subs[*i].0, &[list, "list", &space])
                    .as_array()
                    .is_none_or(|a| a.is_empty())
            });
            if waiting.len() == 1 {
                last = waiting[0];
            }
            if waiting.is_empty() {
                record_took = Some(before.0.elapsed());
            }
        }
        if pictures_took.is_none() {
            let all = subs.iter().all(|(_, p)| {
                let out = p.out.lock().unwrap();
                blobs
                    .iter()
                    .all(|b| out.iter().any(|l| l == &format!("file held {b}")))
            });
            if all {
                pictures_took = Some(before.0.elapsed());
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let missing = subs
        .iter()
        .filter(|(_, p)| {
            let out = p.out.lock().unwrap();
            !blobs
                .iter()
                .all(|b| out.iter().any(|l| l == &format!("file held {b}")))
        })
        .count();
    assert!(
        waiting.is_empty() && missing == 0,
        "{} subscribers never got the record, {missing} never held every picture",
        waiting.len()
    );
    // What the publisher sends in answer to late syncs and late askers counts too.
    std::thread::sleep(Duration::from_secs(5));
    let sent = (tx(&p_ns) - before.1) as f64 - idle_rate * before.0.elapsed().as_secs_f64();
    let by_sync = syncs(&subs)
        .iter()
        .zip(&syncs_before)
        .filter(|(a, b)| a > b)
        .count();
    eprintln!("spread: {by_sync} of {n} subscribers fetched something by sync after the issue was published");
    if record_took.is_some_and(|t| t > Duration::from_secs(10)) {
        let err = subs[last].1.err.lock().unwrap().clone();
        let out = subs[last].1.out.lock().unwrap().clone();
        eprintln!("spread: s{last} was last to get the record; it said:");
        for l in err
            .iter()
            .rev()
            .take(60)
            .rev()
            .chain(out.iter().rev().take(20).rev())
        {
            eprintln!("  {l}");
        }
    }
    let said = |what: &str| -> usize {
        subs.iter()
            .map(|(_, p)| p.err.lock().unwrap().iter().filter(|l| l.contains(what)).count())
            .sum()
    };
    eprintln!(
        "spread: the subscribers logged {} disconnections and {} dropped peers",
        said(" disconnected"),
        said("dropping ")
    );
    // How much of the pictures each subscriber had from the publisher ("file <blob> from
    // <peer>=<bytes> …" on the node's stderr).
    let from_publisher: u64 = subs
        .iter()
        .flat_map(|(_, p)| p.err.lock().unwrap().clone())
        .filter(|l| l.starts_with("file ") && l.contains(" from "))
        .flat_map(|l| {
            l.split(' ')
                .filter_map(|w| w.split_once('='))
                .filter(|(who, _)| p_id.ends_with(who))
                .filter_map(|(_, b)| b.parse::<u64>().ok())
                .collect::<Vec<_>>()
        })
        .sum();
    eprintln!(
        "spread: the subscribers had {from_publisher} bytes of pictures from the publisher; the issue is {size} bytes"
    );
    drop(publisher);
    drop(subs);
    (
        sent / size as f64,
        record_took.expect("checked"),
        pictures_took.expect("checked"),
    )
}
