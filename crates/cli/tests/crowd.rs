//! Room kept for members: a node whose connection budget is filled by strangers (600 libp2p
//! identities, as cheap identities or ordinary DHT traffic would) still lets in a member it
//! shares a space with, who chats; the node's connections and memory stay bounded.

use std::path::Path;
use std::time::{Duration, Instant};

use futures::StreamExt;
use libp2p::swarm::SwarmEvent;
use libp2p::{noise, tcp, yamux, Multiaddr};

#[path = "support/cli.rs"]
mod support_cli;

#[path = "support/peer.rs"]
mod peer;

use peer::{cli, create, peer_id, texts, Peer};
use support_cli::wait;

const STRANGERS: usize = 600;
const BUDGET: &str = "64";

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap()
}

fn node(name: &str, dir: &Path, dials: &[String]) -> Peer {
    let mut args = vec![
        "--no-mdns",
        "--no-dht",
        "--no-upnp",
        "--listen",
        "/ip4/127.0.0.1/tcp/0",
    ];
    for d in dials {
        args.extend(["--dial", d.as_str()]);
    }
    Peer::start_env(name, "", dir, &args, &[("CONFAB_MAX_CONNECTIONS", Some(BUDGET))])
}

/// `n` libp2p identities that each dial `addr` and hold whatever connection they get, on one
/// runtime; once every dial has had its answer (at most a minute) and `settle` has passed,
/// returns how many are connected.
fn crowd(addr: Multiaddr, n: usize, settle: Duration) -> (tokio::runtime::Runtime, usize) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let connected = std::sync::Arc::new(std::sync::atomic::AtomicIsize::new(0));
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for _ in 0..n {
        let addr = addr.clone();
        let connected = connected.clone();
        let answered = answered.clone();
        rt.spawn(async move {
            let mut swarm = libp2p::SwarmBuilder::with_new_identity()
                .with_tokio()
                .with_tcp(tcp::Config::default(), noise::Config::new, yamux::Config::default)
                .unwrap()
                .with_behaviour(|_| libp2p::swarm::dummy::Behaviour)
                .unwrap()
                .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(3600)))
                .build();
            swarm.dial(addr).unwrap();
            let mut first = true;
            while let Some(ev) = swarm.next().await {
                let answer = matches!(
                    ev,
                    SwarmEvent::ConnectionEstablished { .. } | SwarmEvent::OutgoingConnectionError { .. }
                );
                if answer && std::mem::take(&mut first) {
                    answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
                match ev {
                    SwarmEvent::OutgoingConnectionError { error, .. } => {
                        eprintln!("a stranger's dial failed: {error}");
                    }
                    SwarmEvent::ConnectionEstablished { .. } => {
                        connected.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                    SwarmEvent::ConnectionClosed { .. } => {
                        connected.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                    }
                    _ => {}
                }
            }
        });
        // A crowd arrives over a few seconds, not in one instant.
        std::thread::sleep(Duration::from_millis(5));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while answered.load(std::sync::atomic::Ordering::SeqCst) < n && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(settle);
    let n = connected.load(std::sync::atomic::Ordering::SeqCst).max(0) as usize;
    (rt, n)
}

#[test]
fn a_member_gets_into_a_node_crowded_by_strangers() {
    let d = tempfile::tempdir().unwrap();
    let (n_dir, m_dir) = (d.path().join("node"), d.path().join("member"));
    let (space, ticket) = create(&n_dir, "chat", "crowded room");
    cli(&m_dir, &["space", "join", &ticket]);
    cli(&m_dir, &["chat", "send", &space, "the member was here before"]);
    let n = node("node", &n_dir, &[]);
    let addr = n.listen_addr(|a| a.contains("/tcp/"), "tcp");
    // The member meets the node once: the node learns who it is.
    let m = node("member", &m_dir, std::slice::from_ref(&addr));
    wait(30, "the node holds the member's message", || {
        texts(&n_dir, &space)
            .contains(&"the member was here before".to_string())
            .then_some(())
    });
    drop(m);
    let before = rss_kib(n.child.id());

    let t0 = Instant::now();
    let (rt, held) = crowd(addr.parse().unwrap(), STRANGERS, Duration::from_secs(2));
    let peers = cli(&n_dir, &["peers"]).as_array().unwrap().len();
    eprintln!(
        "{STRANGERS} strangers in {:.1} s: {held} hold a connection; the node counts {peers} peers",
        t0.elapsed().as_secs_f64()
    );
    assert!(
        held <= 64 && peers <= 64,
        "the budget holds: {held} held, {peers} peers"
    );
    assert!(held >= 32, "strangers are let in while there is room: {held}");

    // The member comes back to a full node, gets in, and chats both ways.
    let m_id = peer_id(&m_dir);
    let m = node("member", &m_dir, std::slice::from_ref(&addr));
    wait(30, "the member is connected to the full node", || {
        cli(&n_dir, &["peers"])
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["peer_id"] == m_id.as_str())
            .then_some(())
    });
    cli(&m_dir, &["chat", "send", &space, "let me in"]);
    cli(&n_dir, &["chat", "send", &space, "come in"]);
    wait(30, "chat both ways", || {
        (texts(&n_dir, &space).contains(&"let me in".to_string())
            && texts(&m_dir, &space).contains(&"come in".to_string()))
        .then_some(())
    });
    // Let in at the first attempt: a refused member sees its connection close at once.
    let n_id = peer_id(&n_dir);
    let log = m.log();
    assert!(
        !log.contains(&format!("disconnected {n_id}")),
        "the member was turned away before it got in:\n{log}"
    );
    let after = rss_kib(n.child.id());
    let peers = cli(&n_dir, &["peers"]).as_array().unwrap().len();
    eprintln!(
        "node memory {} MiB before the crowd, {} MiB after; {peers} peers",
        before / 1024,
        after / 1024
    );
    assert!(peers <= 65, "{peers}");
    assert!(
        after < before + 100 * 1024,
        "memory grew from {before} KiB to {after} KiB with {STRANGERS} strangers at the door"
    );
    drop((m, n));
    rt.shutdown_timeout(Duration::from_secs(2));
}
