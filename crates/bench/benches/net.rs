//! Network benchmarks: real libp2p nodes on 127.0.0.1 (mDNS off), each with its own SQLite
//! store, in one process.
//!
//! - live latency: one hop, write on A to B's insert event, 1,000 messages one after another;
//! - sustained live ingest: A writes as fast as it can, B stores what gossip brings;
//! - catch-up: 100k records from a node to an empty one, next to the ingest limit measured
//!   in the same run;
//! - spread: a record from one end to all of 20 nodes in a line and in a mesh.
//!
//! `cargo bench -p confab-bench --bench net [-- latency|live-ingest|catch-up|spread]`
//! (CONFAB_BENCH_SCALE=0.1 for a quick run).

use std::sync::Arc;
use std::time::{Duration, Instant};

use confab_bench::{cores, ingest_limit, n, rate, scale};
use confab_core::{Record, RecordId, SpaceId};
use confab_net::Multiaddr;
use confab_node::{Client, NodeConfig, NodeEvent, Phase};
use confab_store::Store;
use tokio::sync::broadcast::error::RecvError;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` probing
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "# Confab network benchmarks: {} cores, scale {}, TCP on 127.0.0.1",
        cores(),
        scale()
    );
    // `-- latency` (or ingest, catch-up, spread) runs one part only.
    let only: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let run = |name: &str| only.is_empty() || only.iter().any(|o| name.contains(o.as_str()));
    rt.block_on(async {
        if run("latency") {
            latency().await;
        }
        if run("live-ingest") {
            live_ingest().await;
        }
        if run("catch-up") {
            catch_up().await;
        }
        if run("spread") {
            spread(Topology::Line).await;
            spread(Topology::Mesh).await;
        }
    });
}

struct Peer {
    _dir: tempfile::TempDir,
    node: Client,
    addr: Multiaddr,
}

fn cfg(dial: Vec<Multiaddr>) -> NodeConfig {
    NodeConfig {
        listen: vec!["/ip4/127.0.0.1/tcp/0".parse().expect("addr")],
        dial,
        mdns: false,
        dht: false,
        upnp: false,
        ..Default::default()
    }
}

/// Opens a fresh data dir without a node (to create or join a space before starting).
async fn open() -> (tempfile::TempDir, Client) {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = Client::open(dir.path()).await.expect("open");
    (dir, c)
}

/// Starts a node on a data dir (the client that opened it must be dropped first).
async fn start(dir: tempfile::TempDir, dial: Vec<Multiaddr>) -> Peer {
    let node = Client::start(dir.path(), cfg(dial)).await.expect("start");
    let deadline = Instant::now() + Duration::from_secs(10);
    let addr = loop {
        if let Some(a) = node.status().await.expect("status").listening.first() {
            let a = if a.contains("/p2p/") {
                a.clone()
            } else {
                format!("{a}/p2p/{}", node.peer_id())
            };
            break a.parse().expect("listen addr");
        }
        assert!(Instant::now() < deadline, "node never listened");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    Peer {
        _dir: dir,
        node,
        addr,
    }
}

/// A space created on the first of `count` fresh nodes and joined by the others (before they
/// start, so nothing but the benchmark's own dials connects them).
async fn group(count: usize, dials: impl Fn(usize, &[Peer]) -> Vec<Multiaddr>) -> (String, Vec<Peer>) {
    let (d0, c0) = open().await;
    let made = c0.create_space("chat", "bench").await.expect("space");
    drop(c0);
    let mut peers = vec![start(d0, vec![]).await];
    for i in 1..count {
        let (d, c) = open().await;
        c.join(&made.ticket).await.expect("join");
        drop(c);
        let dial = dials(i, &peers);
        peers.push(start(d, dial).await);
    }
    (made.space.space, peers)
}

async fn stored(node: &Client, space: &str) -> usize {
    node.chat_list(space).await.expect("list").len()
}

/// Waits until every node has at least `min` peers and gossip has a mesh: a probe record
/// written on the first node reaches all of them.
async fn settle(space: &str, peers: &[Peer], min: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut short = false;
        for p in peers {
            short |= p.node.peers().await.expect("peers").len() < min;
        }
        if !short {
            break;
        }
        assert!(Instant::now() < deadline, "nodes did not connect");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for round in 0.. {
        assert!(Instant::now() < deadline, "gossip mesh never formed");
        let mut rx: Vec<_> = peers[1..]
            .iter()
            .map(|p| p.node.events().expect("events"))
            .collect();
        let id = write(&peers[0].node, space, &format!("probe {round}")).await;
        let all =
            futures::future::join_all(rx.iter_mut().map(|r| wait_for(r, id, Duration::from_secs(2)))).await;
        if all.iter().all(|x| x.is_some()) {
            return;
        }
    }
}

async fn write(node: &Client, space: &str, text: &str) -> RecordId {
    let w = node.chat_send(space, text).await.expect("write");
    RecordId::from_hex(&w.id).expect("a record id")
}

/// Waits for the insert event of record `id` (from the network) and returns when it came.
async fn wait_for(
    rx: &mut tokio::sync::broadcast::Receiver<NodeEvent>,
    id: RecordId,
    within: Duration,
) -> Option<Instant> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Err(_) => return None,
            Ok(Ok(NodeEvent::Inserted {
                records,
                local: false,
            })) => {
                if records.iter().any(|r| r.id == id) {
                    return Some(Instant::now());
                }
            }
            Ok(Ok(_)) | Ok(Err(RecvError::Lagged(_))) => {}
            Ok(Err(RecvError::Closed)) => return None,
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn shutdown(peers: Vec<Peer>) {
    for p in &peers {
        p.node.shutdown().await;
    }
}

async fn latency() {
    let count = n(1_000);
    println!("\n## Live latency, one hop ({count} messages, one at a time)");
    let (space, peers) = group(2, |_, p| vec![p[0].addr.clone()]).await;
    settle(&space, &peers, 1).await;
    let (a, b) = (&peers[0].node, &peers[1].node);
    let mut rx = b.events().expect("events");
    let mut lat = Vec::with_capacity(count);
    let mut lost = 0;
    for i in 0..count {
        let t = Instant::now();
        let id = write(a, &space, &format!("latency {i}")).await;
        match wait_for(&mut rx, id, Duration::from_secs(5)).await {
            Some(at) => lat.push(at - t),
            None => lost += 1,
        }
    }
    lat.sort();
    println!("| write on A → insert event on B | ms |\n|---|---|");
    println!("| p50 | {:.3} (target ≤ 1) |", ms(percentile(&lat, 0.5)));
    println!("| p90 | {:.3} |", ms(percentile(&lat, 0.9)));
    println!("| p99 | {:.3} (target ≤ 5) |", ms(percentile(&lat, 0.99)));
    println!("| max | {:.3} |", ms(*lat.last().expect("samples")));
    if lost > 0 {
        println!("lost: {lost} of {count}");
    }
    shutdown(peers).await;
}

async fn live_ingest() {
    let count = n(50_000);
    let batch = 250;
    println!("\n## Sustained live ingest ({count} chat records over gossip, written in batches of {batch})");
    let (space, peers) = group(2, |_, p| vec![p[0].addr.clone()]).await;
    settle(&space, &peers, 1).await;
    let (a, b) = (peers[0].node.clone(), peers[1].node.clone());
    let before = stored(&b, &space).await;
    let mut rx = b.events().expect("events");
    let counter = tokio::spawn(async move {
        let mut got = 0usize;
        let mut first: Option<Instant> = None;
        let mut last = Instant::now();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        while got < count {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Err(_) | Ok(Err(RecvError::Closed)) => break,
                Ok(Ok(NodeEvent::Inserted {
                    records,
                    local: false,
                })) => {
                    first.get_or_insert_with(Instant::now);
                    got += records.len();
                    last = Instant::now();
                }
                Ok(_) => {}
            }
        }
        (got, first, last)
    });
    let t0 = Instant::now();
    let mut written = 0;
    while written < count {
        let k = batch.min(count - written);
        let text = format!("live ingest batch {written} with a little text");
        a.chat_send_many(&space, &text, k as u32)
            .await
            .expect("write_many");
        written += k;
    }
    let wrote = t0.elapsed();
    let (_got_events, _first, last) = counter.await.expect("counter");
    // Count what is stored rather than events (a lagging event receiver may skip some).
    let stored = stored(&b, &space).await - before;
    let span = last - t0;
    println!("| measure | value |\n|---|---|");
    println!(
        "| A wrote (sign + store + publish) | {:.0} records/s |",
        rate(count, wrote)
    );
    println!(
        "| B stored live, first write to last insert | {:.0} records/s (target ≥ 10,000) |",
        rate(stored as usize, span)
    );
    println!("| delivered live | {stored} of {count} |");
    shutdown(peers).await;
}

async fn catch_up() {
    let count = n(100_000);
    println!("\n## Catch-up: {count} records to an empty node");
    let (da, la) = open().await;
    let made = la.create_space("chat", "catch-up").await.expect("space");
    let space = made.space.space.clone();
    let mut written = 0;
    while written < count {
        let k = 10_000.min(count - written);
        let text = format!("benchmark batch {written} with a little text");
        la.chat_send_many(&space, &text, k as u32).await.expect("write");
        written += k;
    }
    drop(la);
    // The records as stored, for the ingest limit measured in the same run.
    let (recs, space_obj) = {
        let store = Store::open_dir(da.path()).expect("store");
        let id = SpaceId::from_hex(&space).expect("space id");
        let keys = store.sync_keys(id).await.expect("keys");
        let (raws, _) = store
            .records_by_keys(id, keys, usize::MAX)
            .await
            .expect("records");
        let recs: Vec<Record> = raws.iter().map(|r| Record::decode(r).expect("decode")).collect();
        (recs, store.space(id).await.expect("space").expect("joined"))
    };
    let recs: Vec<Record> = recs
        .into_iter()
        .filter(|r| r.kind == confab_core::RecordKind::ChatMessage)
        .collect();
    let size = recs.iter().map(|r| r.encoded().len()).sum::<usize>() / count;
    let limit = tokio::task::spawn_blocking(move || ingest_limit(&space_obj, &recs))
        .await
        .expect("limit");
    let a = start(da, vec![]).await;
    let (db, lb) = open().await;
    lb.join(&made.ticket).await.expect("join");
    drop(lb);
    let b = start(db, vec![]).await;
    let mut rx = b.node.events().expect("events");
    let space_id = SpaceId::from_hex(&space).expect("space id");
    let t0 = Instant::now();
    b.node.dial(&a.addr.to_string()).await.expect("dial");
    let mut progress_events = 0;
    let mut done = None;
    let mut last_stored = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    let mut stats = None;
    while done.is_none() {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Err(_) | Ok(Err(RecvError::Closed)) => panic!("catch-up did not finish"),
            Ok(Ok(NodeEvent::SyncProgress { progress, .. })) if progress.space == space_id => {
                progress_events += 1;
                if progress.phase == Phase::Receiving && progress.done == progress.total {
                    last_stored = Some(Instant::now());
                }
            }
            Ok(Ok(NodeEvent::SyncDone {
                space: s, stats: st, ..
            })) if s == space_id => {
                stats = Some(st);
                done = Some(last_stored.unwrap_or_else(Instant::now));
            }
            Ok(_) => {}
        }
    }
    let took = done.expect("done") - t0;
    assert_eq!(stored(&b.node, &space).await, count, "every record arrived");
    let r = rate(count, took);
    println!("| measure | value |\n|---|---|");
    println!("| record size | {size} bytes |");
    println!("| ingest limit, same run | {limit:.0} records/s |");
    println!(
        "| catch-up, dial to last record stored | {:.2} s = {r:.0} records/s = **{:.0}% of the limit** (target ≥ 50%) |",
        took.as_secs_f64(),
        100.0 * r / limit
    );
    if let Some(s) = stats {
        println!(
            "| round trips / received bytes | {} / {:.1} MiB ({} progress events) |",
            s.round_trips,
            s.bytes_received as f64 / (1024.0 * 1024.0),
            progress_events
        );
    }
    shutdown(vec![a, b]).await;
}

/// Which earlier nodes node i dials.
type Dials = dyn Fn(usize, &[Peer]) -> Vec<Multiaddr>;

#[derive(Clone, Copy, PartialEq)]
enum Topology {
    Line,
    Mesh,
}

async fn spread(topo: Topology) {
    let nodes = 20;
    let samples = n(50).min(50);
    let (label, dials): (&str, Box<Dials>) = match topo {
        // Node i knows only node i-1.
        Topology::Line => ("line", Box::new(|i, p: &[Peer]| vec![p[i - 1].addr.clone()])),
        // Node i dials every node before it: all pairs connected; gossipsub keeps a mesh of ~6.
        Topology::Mesh => (
            "full mesh",
            Box::new(|_, p: &[Peer]| p.iter().map(|x| x.addr.clone()).collect()),
        ),
    };
    println!("\n## Spread to all of {nodes} nodes in a {label} ({samples} records, one at a time)");
    let (space, peers) = group(nodes, dials).await;
    let min = if topo == Topology::Line { 1 } else { nodes - 1 };
    settle(&space, &peers, min).await;
    let peers = Arc::new(peers);
    let mut all = Vec::with_capacity(samples);
    let mut hop_last = Vec::new();
    for i in 0..samples {
        let mut rx: Vec<_> = peers[1..]
            .iter()
            .map(|p| p.node.events().expect("events"))
            .collect();
        let t = Instant::now();
        let id = write(&peers[0].node, &space, &format!("spread {i}")).await;
        let got =
            futures::future::join_all(rx.iter_mut().map(|r| wait_for(r, id, Duration::from_secs(10)))).await;
        let times: Vec<Duration> = got
            .iter()
            .map(|g| g.expect("record reached every node") - t)
            .collect();
        all.push(*times.iter().max().expect("times"));
        hop_last.push(times);
    }
    all.sort();
    let mut first_hop: Vec<Duration> = hop_last.iter().map(|t| t[0]).collect();
    first_hop.sort();
    println!("| write on node 1 → stored on all {nodes} | ms |\n|---|---|");
    println!(
        "| first neighbour, p50 | {:.2} |",
        ms(percentile(&first_hop, 0.5))
    );
    println!("| all nodes, p50 | {:.2} |", ms(percentile(&all, 0.5)));
    println!("| all nodes, p90 | {:.2} |", ms(percentile(&all, 0.9)));
    println!("| all nodes, max | {:.2} |", ms(*all.last().expect("samples")));
    if topo == Topology::Line {
        println!(
            "| per hop (p50 / {} hops) | {:.2} |",
            nodes - 1,
            ms(percentile(&all, 0.5)) / (nodes - 1) as f64
        );
    }
    let peers = Arc::try_unwrap(peers).unwrap_or_else(|_| panic!("peers still shared"));
    shutdown(peers).await;
}
