//! `confab chat send` as a process into a running node, until the peer's insert event: the
//! path a script takes. Node A is `confab run` (a process); peer B is a node in this process,
//! connected to A on 127.0.0.1 with mDNS off; each sample runs the `confab` command once and
//! ends when B stores the message.
//!
//! `cargo build --release --bin confab && cargo bench -p confab-bench --bench cli`
//! (`CONFAB_BIN` names the binary if it is not next to this benchmark's build;
//! `CONFAB_BIN_BEFORE` adds a row for another build of `confab`, for example one from before
//! the CLI spoke to the running node over its socket; `CONFAB_BENCH_SCALE=0.1` for a quick run).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use confab_bench::{cores, n, scale};
use confab_node::{Client, NodeConfig, NodeEvent};
use tokio::sync::broadcast::error::RecvError;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` probing
    }
    let Some(bin) = confab_bench::confab_bin() else {
        println!("cli: no `confab` binary found: build it first (cargo build --release --bin confab) or set CONFAB_BIN");
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let sends = n(200);
    println!(
        "# `confab chat send` into a running node: {} cores, scale {}, {sends} sends each",
        cores(),
        scale()
    );
    println!("\n| path | p50 ms | p90 ms | p99 ms | max ms |\n|---|---|---|---|---|");
    let mut rows = vec![("this build", bin)];
    if let Some(before) = std::env::var_os("CONFAB_BIN_BEFORE") {
        rows.push(("CONFAB_BIN_BEFORE", PathBuf::from(before)));
    }
    for (label, bin) in rows {
        let mut lat = rt.block_on(measure(&bin, sends));
        lat.sort();
        println!(
            "| {label} ({}) | {:.1} | {:.1} | {:.1} | {:.1} |",
            bin.display(),
            ms(pct(&lat, 0.5)),
            ms(pct(&lat, 0.9)),
            ms(pct(&lat, 0.99)),
            ms(*lat.last().expect("samples"))
        );
    }
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn confab(bin: &Path, dir: &Path, args: &[&str]) -> serde_json::Value {
    confab_bench::confab_json(bin, dir, args)
}

struct Run(Child);

impl Drop for Run {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// When each record id arrived at B.
type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

async fn arrived(arrivals: &Arrivals, id: &str, within: Duration) -> Option<Instant> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(t) = arrivals.lock().expect("lock").get(id) {
            return Some(*t);
        }
        if Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
}

async fn measure(bin: &Path, sends: usize) -> Vec<Duration> {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let made = confab(bin, &a, &["space", "create", "chat", "bench"]);
    let space = made["space"].as_str().expect("space").to_string();
    Client::open(&b)
        .await
        .expect("open b")
        .join(made["ticket"].as_str().expect("ticket"))
        .await
        .expect("join");
    let cfg = NodeConfig {
        listen: vec!["/ip4/127.0.0.1/tcp/0".parse().expect("addr")],
        mdns: false,
        dht: false,
        upnp: false,
        ..Default::default()
    };
    let node_b = Client::start(&b, cfg).await.expect("start b");
    let b_addr = loop {
        if let Some(a) = node_b.status().await.expect("status").listening.first() {
            break a.clone();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let arrivals: Arrivals = Arc::default();
    let mut rx = node_b.events().expect("events");
    let sink = arrivals.clone();
    let collector = tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(NodeEvent::Inserted {
                    records,
                    local: false,
                }) => {
                    let now = Instant::now();
                    let mut m = sink.lock().expect("lock");
                    for r in records.iter() {
                        m.insert(r.id.to_string(), now);
                    }
                }
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => break,
            }
        }
    });
    let _run = Run(Command::new(bin)
        .arg("--data")
        .arg(&a)
        .args([
            "run",
            "--no-mdns",
            "--no-dht",
            "--no-upnp",
            "--listen",
            "/ip4/127.0.0.1/tcp/0",
            "--dial",
            &b_addr,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("confab run"));
    // Connected, and the gossip mesh formed: a probe reaches B within a second, three times.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut quick = 0;
    while quick < 3 {
        assert!(Instant::now() < deadline, "A's messages never reached B live");
        let w = confab(bin, &a, &["chat", "send", &space, "probe"]);
        let id = w["id"].as_str().expect("id").to_string();
        quick = match arrived(&arrivals, &id, Duration::from_secs(1)).await {
            Some(_) => quick + 1,
            None => 0,
        };
    }
    let mut lat = Vec::with_capacity(sends);
    for i in 0..sends {
        let t = Instant::now();
        let w = confab(bin, &a, &["chat", "send", &space, &format!("from a script {i}")]);
        let id = w["id"].as_str().expect("id").to_string();
        let at = arrived(&arrivals, &id, Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("message {i} never reached B"));
        lat.push(at - t);
    }
    node_b.shutdown().await;
    collector.abort();
    lat
}
