//! The NAT scenarios shared by the NAT tests and the NAT benchmark: an "internet" switch with
//! public Confab nodes (DHT servers, relays) and homes behind routers doing NAT. Include after
//! `support/net.rs` (as `net`), `support/cli.rs` (as `support_cli`) and `support/peer.rs` (as
//! `peer`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::net::{Nat, Net};
use super::peer::{cli, create, peer_id, Peer};

/// The internet: a switch and `n` public nodes at 203.0.113.11, .12, … serving the DHT
/// (from the start: they know they are public) and relaying.
pub struct Internet {
    pub sw: String,
    /// The public nodes' namespaces.
    pub hosts: Vec<String>,
    /// Their interfaces to the switch.
    pub ifaces: Vec<String>,
    /// Kept running until the test ends (or stops one).
    pub nodes: Vec<Option<Peer>>,
    pub bootstrap: Vec<String>,
}

pub fn internet(net: &mut Net, d: &Path, n: usize, extra: &[&str]) -> Internet {
    let sw = net.switch("inet");
    let mut hosts = Vec::new();
    let mut ifaces = Vec::new();
    for i in 0..n {
        let ns = net.ns(&format!("pub{i}"));
        let ip = format!("203.0.113.{}", 11 + i);
        ifaces.push(net.plug(&ns, &sw, &format!("{ip}/24")));
        let dir = d.join(format!("pub{i}"));
        let id = peer_id(&dir);
        hosts.push((ns, dir, format!("/ip4/{ip}/tcp/4001/p2p/{id}")));
    }
    let bootstrap: Vec<String> = hosts.iter().map(|h| h.2.clone()).collect();
    let nodes: Vec<Peer> = hosts
        .iter()
        .enumerate()
        .map(|(i, (ns, dir, me))| {
            let mut args = vec![
                "--no-mdns",
                "--no-upnp",
                "--relay-server",
                "--dht-server",
                "--private-network",
                "--listen",
                "/ip4/0.0.0.0/tcp/4001",
                "--listen",
                "/ip4/0.0.0.0/udp/4001/quic-v1",
            ];
            for b in bootstrap.iter().filter(|b| *b != me) {
                args.extend(["--bootstrap", b.as_str()]);
            }
            args.extend(extra);
            Peer::start(&format!("pub{i}"), ns, dir, &args)
        })
        .collect();
    Internet {
        hosts: hosts.iter().map(|h| h.0.clone()).collect(),
        ifaces,
        sw,
        nodes: nodes.into_iter().map(Some).collect(),
        bootstrap,
    }
}

/// A home node with nothing but the bootstrap list.
pub fn home_node(name: &str, ns: &str, dir: &Path, bootstrap: &[String]) -> Peer {
    let mut args = vec!["--no-mdns", "--no-upnp", "--private-network"];
    for b in bootstrap {
        args.extend(["--bootstrap", b.as_str()]);
    }
    Peer::start(name, ns, dir, &args)
}

/// How `dir`'s node reaches `peer`, if connected.
pub fn how(dir: &Path, peer: &str) -> Option<String> {
    cli(dir, &["peers"])
        .as_array()?
        .iter()
        .find(|p| p["peer_id"] == peer)
        .and_then(|p| p["how"].as_str().map(str::to_string))
}

pub fn status(dir: &Path) -> serde_json::Value {
    cli(dir, &["status"])
}

pub struct Homes {
    pub _d: tempfile::TempDir,
    pub a: PathBuf,
    pub b: PathBuf,
}

pub fn dirs() -> Homes {
    let d = tempfile::tempdir().unwrap();
    Homes {
        a: d.path().join("a"),
        b: d.path().join("b"),
        _d: d,
    }
}

/// Two homes behind routers doing `nat`, three public nodes (with `relay_args` on top), A's
/// chat space made offline and joined by B offline, A holding `backlog` messages.
pub struct TwoHomes {
    pub net: Net,
    pub inet: Internet,
    pub _pubdir: tempfile::TempDir,
    pub h: Homes,
    pub a_ns: String,
    pub b_ns: String,
    pub a_router: String,
    pub a_wan: String,
    pub space: String,
    pub a_id: String,
    pub b_id: String,
}

impl Internet {
    /// The namespace of public node `i`.
    pub fn ns(&self, i: usize) -> String {
        self.hosts[i].clone()
    }
}

impl TwoHomes {
    pub fn new(tag: &str, nat: Nat, relay_args: &[&str], backlog: usize) -> TwoHomes {
        let mut net = Net::new(tag);
        let h = dirs();
        let pubdir = tempfile::tempdir().unwrap();
        let inet = internet(&mut net, pubdir.path(), 3, relay_args);
        let home_a = net.home("a", &inet.sw, "203.0.113.21/24", "10.41.1", nat);
        let home_b = net.home("b", &inet.sw, "203.0.113.22/24", "10.41.2", nat);
        // The homes reach the internet only through their routers, and not each other.
        let to_b = std::process::Command::new("ip")
            .args(["netns", "exec", &home_a.host, "ip", "route", "get", &home_b.addr])
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&to_b.stdout).contains("via 10.41.1.1"),
            "a's only way out is its router"
        );
        // A creates the space offline: the ticket carries no address.
        let (space, ticket) = create(&h.a, "chat", "two homes");
        cli(&h.b, &["space", "join", &ticket]);
        if backlog > 0 {
            cli(
                &h.a,
                &["chat", "send", &space, "backlog", "--count", &backlog.to_string()],
            );
        }
        let (a_id, b_id) = (peer_id(&h.a), peer_id(&h.b));
        TwoHomes {
            net,
            inet,
            _pubdir: pubdir,
            h,
            a_ns: home_a.host,
            b_ns: home_b.host,
            a_router: home_a.router,
            a_wan: home_a.wan,
            space,
            a_id,
            b_id,
        }
    }

    pub fn start(&self) -> (Peer, Peer) {
        (
            home_node("a", &self.a_ns, &self.h.a, &self.inet.bootstrap),
            home_node("b", &self.b_ns, &self.h.b, &self.inet.bootstrap),
        )
    }

    /// The namespace of public node `i`.
    pub fn inet_ns(&self, i: usize) -> String {
        self.inet.hosts[i].clone()
    }

    pub fn diagnose(&self, what: &str) -> String {
        format!(
            "{what}\na: {}\nb: {}\n{}",
            status(&self.h.a),
            status(&self.h.b),
            self.net.describe()
        )
    }
}

/// Polls `ok` every 250 ms for `secs` seconds; returns when it held, or fails with what
/// `why` says.
pub fn wait_or(secs: u64, mut ok: impl FnMut() -> bool, why: impl FnOnce() -> String) -> Instant {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if ok() {
            return Instant::now();
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("after {secs} s: {}", why())
}
