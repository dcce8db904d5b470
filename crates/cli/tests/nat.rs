//! Peers behind real NATs: an "internet" namespace (a bridge) with publicly reachable Confab
//! nodes that serve the DHT and relay, and homes behind router namespaces doing NAT with
//! iptables and dropping unsolicited packets as home routers do. The homes' nodes are given
//! only the bootstrap list: no relay, no peer to dial, mDNS off. Every namespace is deleted
//! when a test ends, also when it fails; nothing leaves the machine (the "public" addresses
//! are documentation ranges inside these namespaces). Needs root and iptables.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[path = "support/net.rs"]
mod net;

#[path = "support/cli.rs"]
mod support_cli;

#[path = "support/peer.rs"]
mod peer;

#[path = "support/homes.rs"]
mod homes;

use homes::{home_node, how, internet, status, wait_or, TwoHomes};
use net::{Nat, Net};
use peer::{cli, create, peer_id, texts, Peer};

#[test]
fn two_homes_find_each_other_by_rendezvous_and_punch_a_hole() {
    let s = TwoHomes::new("nat", Nat::EndpointIndependent, &[], 0);
    let (h, space) = (&s.h, &s.space);
    cli(&h.a, &["chat", "send", space, "hello from home a"]);
    let t0 = Instant::now();
    let (pa, pb) = s.start();
    let first = wait_or(
        90,
        || texts(&h.b, space).contains(&"hello from home a".to_string()),
        || s.diagnose("a's message did not reach b"),
    );
    cli(&h.b, &["chat", "send", space, "hello from home b"]);
    wait_or(
        30,
        || texts(&h.a, space).contains(&"hello from home b".to_string()),
        || s.diagnose("b's reply did not reach a"),
    );
    let punched = wait_or(
        60,
        || {
            how(&h.a, &s.b_id).as_deref() == Some("holepunched")
                || how(&h.b, &s.a_id).as_deref() == Some("holepunched")
        },
        || s.diagnose("the relayed connection was not upgraded by hole punching"),
    );
    eprintln!(
        "two homes: first message after {} ms, hole-punched connection after {} ms",
        (first - t0).as_millis(),
        (punched - t0).as_millis()
    );
    // One found the other at the rendezvous (the other may have been dialled first).
    let room_of = |st: &serde_json::Value| rendezvous_of(st, space);
    let found: u64 = [&h.a, &h.b]
        .iter()
        .map(|d| room_of(&status(d))["found"].as_u64().unwrap_or(0))
        .sum();
    assert!(found >= 1, "{}", s.diagnose("nobody was found at the rendezvous"));
    for dir in [&h.a, &h.b] {
        let st = status(dir);
        // AutoNAT says private once a probe's dial-back has failed (it may not have concluded
        // yet): a node behind a NAT never says it is public.
        assert_ne!(st["reachability"], "public", "{st}");
        assert_eq!(st["dht"]["mode"], "client", "{st}");
        assert!(st["dht"]["peers"].as_u64().unwrap() >= 1, "{st}");
        let r = &room_of(&st);
        assert_eq!(r["space"].as_str(), Some(&space[..]), "{st}");
        assert!(r["last_announce_ms"].as_u64().is_some(), "{st}");
        assert!(
            !st["reservations"].as_array().unwrap().is_empty(),
            "a node behind a NAT reserves on relays it found: {st}"
        );
    }
    drop((pa, pb));
}

#[test]
fn behind_symmetric_nats_peers_stay_on_limited_relays_and_catch_up() {
    // Relays with rust-libp2p's default limits, as public relays have: 128 KiB and 2 minutes
    // per relayed connection.
    const N: usize = 1000;
    let limits = ["--circuit-bytes", "131072", "--circuit-secs", "120"];
    let s = TwoHomes::new("sym", Nat::Symmetric, &limits, N);
    let (h, space) = (&s.h, &s.space);
    let t0 = Instant::now();
    let (pa, pb) = s.start();
    let caught_up = wait_or(
        240,
        || texts(&h.b, space).len() >= N,
        || {
            s.diagnose(&format!(
                "b did not catch up: {} of {N}",
                texts(&h.b, space).len()
            ))
        },
    );
    cli(
        &h.b,
        &["chat", "send", space, "hello from behind a symmetric NAT"],
    );
    cli(&h.a, &["chat", "send", space, "hello back"]);
    wait_or(
        60,
        || {
            texts(&h.a, space)
                .iter()
                .any(|t| t == "hello from behind a symmetric NAT")
                && texts(&h.b, space).iter().any(|t| t == "hello back")
        },
        || s.diagnose("chat did not go both ways"),
    );
    // Hole punching cannot get through: every connection between them is relayed.
    assert_eq!(
        how(&h.a, &s.b_id).as_deref(),
        Some("relay"),
        "{}",
        s.diagnose("a reaches b")
    );
    assert_eq!(
        how(&h.b, &s.a_id).as_deref(),
        Some("relay"),
        "{}",
        s.diagnose("b reaches a")
    );
    for p in [&pa, &pb] {
        let log = p.log();
        assert!(
            !log.lines()
                .any(|l| l.contains("hole punch to") && l.contains("succeeded")),
            "no hole punch gets through a symmetric NAT:\n{log}"
        );
    }
    eprintln!(
        "symmetric NATs: {N}-message catch-up through limited relays after {} ms",
        (caught_up - t0).as_millis()
    );
    drop((pa, pb));
}

#[test]
fn after_an_address_change_a_peer_is_found_again_through_the_rendezvous() {
    let mut s = TwoHomes::new("move", Nat::EndpointIndependent, &[], 0);
    let (pa, pb) = s.start();
    let h = &s.h;
    wait_or(
        90,
        || how(&h.b, &s.a_id).is_some() && how(&h.a, &s.b_id).is_some(),
        || s.diagnose("a and b did not meet"),
    );
    let st = status(&h.a);
    // A moves: its router gets a new public address (every mapping through the old one is
    // gone), and the relays it held reservations on go away, so nothing B remembers works.
    let gone: Vec<usize> = st["reservations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| {
            let r = r.as_str()?;
            (11..14)
                .find(|i| r.contains(&format!("/203.0.113.{i}/")))
                .map(|i| i - 11)
        })
        .collect();
    assert!(
        !gone.is_empty() && gone.len() < 3,
        "a holds one or two reservations: {st}"
    );
    for i in &gone {
        s.inet.nodes[*i] = None;
    }
    let t0 = Instant::now();
    net::sh(&[
        "-n",
        &s.a_router,
        "addr",
        "del",
        "203.0.113.21/24",
        "dev",
        &s.a_wan,
    ]);
    net::sh(&[
        "-n",
        &s.a_router,
        "addr",
        "add",
        "203.0.113.31/24",
        "dev",
        &s.a_wan,
    ]);
    let old: Vec<String> = st["reservations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .collect();
    wait_or(
        120,
        || {
            let b_peers = cli(&h.b, &["peers"]);
            let via_new = b_peers.as_array().unwrap().iter().any(|p| {
                p["peer_id"] == s.a_id.as_str()
                    && !old
                        .iter()
                        .any(|o| p["addr"].as_str().unwrap_or("").contains(o.as_str()))
                    && !p["addr"].as_str().unwrap_or("").contains("203.0.113.21")
            });
            via_new
        },
        || s.diagnose("b did not find a again after it moved"),
    );
    let found = t0.elapsed();
    cli(&h.b, &["chat", "send", &s.space, "found you"]);
    wait_or(
        30,
        || texts(&h.a, &s.space).contains(&"found you".to_string()),
        || s.diagnose("chat after the move"),
    );
    eprintln!("address change: b reached a again after {} ms", found.as_millis());
    drop((pa, pb));
}

#[test]
fn a_ticket_made_on_a_groups_own_network_brings_the_invitee_there() {
    let s = TwoHomes::new("own", Nat::EndpointIndependent, &[], 0);
    let h = &s.h;
    // A runs on the group's own bootstrap nodes; the ticket it makes names them.
    let pa = home_node("a", &s.a_ns, &h.a, &s.inet.bootstrap);
    wait_or(
        30,
        || status(&h.a)["dht"]["peers"].as_u64() >= Some(1),
        || s.diagnose("a joined no DHT"),
    );
    let (room, ticket) = create(&h.a, "chat", "group room");
    assert!(ticket.starts_with("CONFAB3"), "{ticket}");
    cli(&h.a, &["chat", "send", &room, "welcome to our network"]);
    // B is given nothing but the ticket (and the suite's CONFAB_DHT=0: the public DHT is off,
    // the group's own network is not).
    cli(&h.b, &["space", "join", &ticket]);
    let pb = Peer::start(
        "b",
        &s.b_ns,
        &h.b,
        &["--no-mdns", "--no-upnp", "--private-network"],
    );
    wait_or(
        90,
        || texts(&h.b, &room).contains(&"welcome to our network".to_string()),
        || s.diagnose("b did not reach a through the network its ticket named"),
    );
    assert!(status(&h.b)["dht"]["peers"].as_u64() >= Some(1));
    drop((pa, pb));
}

#[test]
fn a_removed_member_finds_nothing_announced_after_its_removal() {
    let mut net = Net::new("rmv");
    let pubdir = tempfile::tempdir().unwrap();
    let inet = internet(&mut net, pubdir.path(), 3, &[]);
    let d = tempfile::tempdir().unwrap();
    let names = ["owner", "b", "m"];
    let dirs: Vec<PathBuf> = names.iter().map(|n| d.path().join(n)).collect();
    let hosts: Vec<String> = names
        .iter()
        .zip(41..)
        .map(|(n, i)| {
            let ns = net.ns(n);
            net.plug(&ns, &inet.sw, &format!("203.0.113.{i}/24"));
            ns
        })
        .collect();
    let (o, b, m) = (&dirs[0], &dirs[1], &dirs[2]);
    let (space, ticket) = create(o, "chat", "until removed");
    cli(b, &["space", "join", &ticket]);
    cli(m, &["space", "join", &ticket]);
    let start = |i: usize| {
        let mut args = vec!["--no-mdns", "--no-upnp", "--private-network"];
        for x in &inet.bootstrap {
            args.extend(["--bootstrap", x.as_str()]);
        }
        Peer::start(names[i], &hosts[i], &dirs[i], &args)
    };
    let mut nodes: Vec<Option<Peer>> = (0..3).map(|i| Some(start(i))).collect();
    let ids: Vec<String> = dirs.iter().map(|x| peer_id(x)).collect();
    let diagnose = |what: &str| {
        let st: Vec<String> = dirs.iter().map(|x| status(x).to_string()).collect();
        format!("{what}\n{}", st.join("\n"))
    };
    // They find each other by rendezvous alone (the space was made offline).
    wait_or(
        90,
        || how(o, &ids[1]).is_some() && how(o, &ids[2]).is_some() && how(b, &ids[2]).is_some(),
        || diagnose("the three did not meet"),
    );
    // The owner has m's join record (by sync) before it can remove m.
    wait_or(
        30,
        || {
            cli(o, &["space", "members", &space])
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["peer"] == ids[2].as_str())
        },
        || diagnose("the owner never learnt that m joined"),
    );
    cli(o, &["space", "remove", &space, &ids[2]]);
    let removed_at = now_ms();
    wait_or(
        30,
        || {
            cli(b, &["space", "members", &space])
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["peer"] == ids[2].as_str() && x["role"] == "removed")
        },
        || diagnose("b did not learn of the removal"),
    );
    let announced = |dir: &Path| {
        rendezvous_of(&status(dir), &space)["last_announce_ms"]
            .as_u64()
            .unwrap_or(0)
    };
    // Owner and b move to the new key's rendezvous.
    wait_or(
        30,
        || announced(o) > removed_at && announced(b) > removed_at,
        || diagnose("owner and b did not announce under the new key"),
    );
    // Everyone restarts: owner and b on new ports, so nothing m remembers reaches them.
    for n in nodes.iter_mut() {
        *n = None;
    }
    nodes[0] = Some(start(0));
    nodes[1] = Some(start(1));
    wait_or(
        90,
        || how(b, &ids[0]).is_some(),
        || diagnose("b did not find the owner again"),
    );
    nodes[2] = Some(start(2));
    cli(o, &["chat", "send", &space, "after the removal"]);
    wait_or(
        30,
        || texts(b, &space).contains(&"after the removal".to_string()),
        || diagnose("b did not get the owner's message"),
    );
    std::thread::sleep(Duration::from_secs(30));
    // m may meet the others as DHT peers (the DHT is one network); it cannot compute the
    // space's rendezvous key, announces nothing, finds no one there, and gets nothing.
    let st = status(m);
    let r = &rendezvous_of(&st, &space);
    assert!(
        r["last_announce_ms"].as_u64().is_none_or(|t| t <= removed_at),
        "{st}"
    );
    assert_eq!(r["found"], 0, "{st}");
    assert!(
        !texts(m, &space).contains(&"after the removal".to_string()),
        "{}",
        diagnose("m got a message written after its removal")
    );
    drop((nodes, inet.nodes));
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Packets leaving namespace `ns` counted by rule `n` of its OUTPUT chain.
fn packets(ns: &str, n: usize) -> u64 {
    let out = std::process::Command::new("ip")
        .args([
            "netns",
            "exec",
            ns,
            "iptables",
            "-L",
            "OUTPUT",
            "-v",
            "-x",
            "-n",
            "--line-numbers",
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| {
            let mut f = l.split_whitespace();
            (f.next()? == n.to_string()).then(|| f.next()?.parse().ok())?
        })
        .expect("the rule's counter")
}

#[test]
fn with_the_dht_off_a_node_contacts_only_the_peer_it_was_told_to_dial() {
    let mut net = Net::new("quiet");
    let (x, y) = (net.ns("x"), net.ns("y"));
    net.link(&x, "10.42.0.1/24", &y, "10.42.0.2/24");
    net::sh(&["-n", &x, "route", "add", "default", "via", "10.42.0.2"]);
    // Whatever x would resolve or dial goes to y, where the test sees it (and where it ends:
    // y routes nowhere).
    net.resolver(&x, "10.42.0.2");
    // x's outgoing packets: (1) loopback, (2) the peer it is told to dial, (3) anything else.
    net::in_ns(&x, &["iptables", "-A", "OUTPUT", "-o", "lo", "-j", "ACCEPT"]);
    net::in_ns(
        &x,
        &[
            "iptables",
            "-A",
            "OUTPUT",
            "-d",
            "10.42.0.2",
            "-p",
            "tcp",
            "--dport",
            "4001",
            "-j",
            "ACCEPT",
        ],
    );
    net::in_ns(&x, &["iptables", "-A", "OUTPUT", "-j", "ACCEPT"]);
    let d = tempfile::tempdir().unwrap();
    let (told, node) = (d.path().join("told"), d.path().join("node"));
    let _p = Peer::start(
        "told",
        &y,
        &told,
        &[
            "--no-mdns",
            "--no-dht",
            "--no-upnp",
            "--listen",
            "/ip4/10.42.0.2/tcp/4001",
        ],
    );
    let dial = format!("/ip4/10.42.0.2/tcp/4001/p2p/{}", peer_id(&told));
    let told_id = peer_id(&told);
    let run = |dht: &str| -> (u64, u64) {
        net::in_ns(&x, &["iptables", "-Z", "OUTPUT"]);
        let p = Peer::start_env(
            "node",
            &x,
            &node,
            &["--no-mdns", "--no-upnp", "--dial", &dial],
            &[("CONFAB_DHT", Some(dht))],
        );
        wait_or(
            20,
            || how(&node, &told_id).is_some(),
            || {
                format!(
                    "the node did not reach the peer it was told to dial:\n{}",
                    p.log()
                )
            },
        );
        std::thread::sleep(Duration::from_secs(8));
        drop(p);
        (packets(&x, 2), packets(&x, 3))
    };
    let (to_peer, other) = run("0");
    assert!(to_peer > 0, "the counters count");
    assert_eq!(
        other, 0,
        "with CONFAB_DHT=0 the node sent {other} packets to anyone but its peer"
    );
    // The same node with the DHT on tries to resolve the public bootstrap peers' names: the
    // counter would see it.
    let (_, other) = run("1");
    assert!(
        other > 0,
        "with the DHT on the node looks for the public DHT (seen {other} packets)"
    );
    eprintln!("DHT off: 0 packets beyond the peer; DHT on: {other} packets elsewhere in 8 s");
}

/// A node's rendezvous entry for one space (each node also meets its own devices at its
/// personal space's).
fn rendezvous_of(st: &serde_json::Value, space: &str) -> serde_json::Value {
    st["rendezvous"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["space"].as_str() == Some(space))
        .cloned()
        .unwrap_or_default()
}
