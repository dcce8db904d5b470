//! A home router that maps ports on request: `miniupnpd` (UPnP IGD and NAT-PMP, rules in
//! nftables) in a router namespace doing NAT and dropping unsolicited packets, as in `nat.rs`.
//! Needs root, iptables, nftables and miniupnpd (scripts/setup.sh installs them).
//!
//! miniupnpd will not serve from a reserved public address and rust-libp2p's UPnP will not use
//! one, documentation ranges included; so this router's public side is 192.0.3.0/24, an
//! ordinary range, which exists here only inside the test's own namespaces (they have no route
//! out of the machine). The public nodes stay at 203.0.113.x on the same switch.

use std::time::Instant;

#[path = "support/net.rs"]
mod net;

#[path = "support/cli.rs"]
mod support_cli;

#[path = "support/peer.rs"]
mod peer;

#[path = "support/homes.rs"]
mod homes;

use homes::{how, internet, status, wait_or};
use net::Net;
use peer::{cli, create, peer_id, texts, Peer};

const ROUTER_WAN: &str = "192.0.3.21";

#[test]
fn behind_a_upnp_router_a_node_maps_a_port_is_confirmed_public_and_dialled_directly() {
    let mut net = Net::new("upnp");
    let d = tempfile::tempdir().unwrap();
    let inet = internet(&mut net, d.path(), 3, &[]);
    for (ns, iface) in inet.hosts.iter().zip(&inet.ifaces) {
        net::sh(&["-n", ns, "route", "add", "192.0.3.0/24", "dev", iface]);
    }
    let home = net.upnp_home("u", &inet.sw, &format!("{ROUTER_WAN}/24"), "10.61.1");
    net::sh(&[
        "-n",
        &home.router,
        "route",
        "add",
        "203.0.113.0/24",
        "dev",
        &home.wan,
    ]);

    // A node on the internet, to dial the home's node later.
    let xns = net.ns("x");
    let xif = net.plug(&xns, &inet.sw, "203.0.113.40/24");
    net::sh(&["-n", &xns, "route", "add", "192.0.3.0/24", "dev", &xif]);

    // The home's node: the bootstrap list and UPnP on (the suite switches it off elsewhere).
    let u = d.path().join("u");
    let mut args = vec!["--no-mdns", "--private-network"];
    for b in &inet.bootstrap {
        args.extend(["--bootstrap", b.as_str()]);
    }
    let t0 = Instant::now();
    let pu = Peer::start_env("u", &home.host, &u, &args, &[("CONFAB_UPNP", Some("1"))]);
    let mapped = |s: &serde_json::Value| -> Option<String> {
        s["external"].as_array()?.iter().find_map(|a| {
            let a = a.as_str()?;
            a.starts_with(&format!("/ip4/{ROUTER_WAN}/tcp/"))
                .then(|| a.split("/p2p/").next().unwrap().to_string())
        })
    };
    let diagnose = |what: &str| {
        format!(
            "{what}\nstatus: {}\nminiupnpd:\n{}\nnode:\n{}",
            status(&u),
            net.upnp_log("u"),
            pu.log()
        )
    };
    // The router mapped a port, and AutoNAT (the public nodes dialling back) confirmed the
    // node reachable: it serves the DHT and holds no relay reservation.
    wait_or(
        60,
        || {
            let s = status(&u);
            s["reachability"] == "public" && mapped(&s).is_some()
        },
        || diagnose("no port mapped and confirmed"),
    );
    let confirmed = t0.elapsed();
    let s = status(&u);
    let addr = mapped(&s).unwrap();
    let port = addr.rsplit('/').next().unwrap();
    // AutoNAT's verdict names the address it dialled back: the mapped one.
    assert!(
        pu.log().contains(&format!("reachable at {addr}")),
        "AutoNAT did not confirm {addr}:\n{}",
        pu.log()
    );
    wait_or(
        30,
        || {
            let s = status(&u);
            s["dht"]["mode"] == "server" && s["reservations"].as_array().is_some_and(|r| r.is_empty())
        },
        || diagnose("a public node should serve the DHT and need no relay"),
    );
    // The mapping is the router's: a DNAT rule to the node's private address and port.
    let rules = std::process::Command::new("ip")
        .args([
            "netns",
            "exec",
            &home.router,
            "nft",
            "list",
            "table",
            "inet",
            "miniupnpd",
        ])
        .output()
        .unwrap();
    let rules = String::from_utf8_lossy(&rules.stdout).to_string();
    assert!(
        rules.contains(&format!("dnat ip to {}:{port}", home.addr)),
        "the router holds no mapping to {}:{port}:\n{rules}",
        home.addr
    );

    // A node on the internet dials the mapped address: a direct connection, no relay.
    let x = d.path().join("x");
    let u_id = peer_id(&u);
    let dial = format!("{addr}/p2p/{u_id}");
    let _px = Peer::start(
        "x",
        &xns,
        &x,
        &[
            "--no-mdns",
            "--no-dht",
            "--no-upnp",
            "--private-network",
            "--dial",
            &dial,
        ],
    );
    wait_or(
        30,
        || how(&x, &u_id).as_deref() == Some("direct"),
        || diagnose("the internet node did not reach the home node directly"),
    );
    let peers = cli(&x, &["peers"]);
    let p = peers
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["peer_id"] == u_id.as_str())
        .unwrap();
    assert!(
        p["addr"]
            .as_str()
            .unwrap()
            .contains(&format!("/{ROUTER_WAN}/tcp/{port}")),
        "connected through the mapping: {p}"
    );
    // And they talk over it.
    let (room, ticket) = create(&u, "chat", "upnp room");
    cli(&x, &["space", "join", &ticket]);
    cli(&u, &["chat", "send", &room, "through the mapped port"]);
    wait_or(
        30,
        || texts(&x, &room).contains(&"through the mapped port".to_string()),
        || diagnose("the message did not arrive"),
    );
    eprintln!(
        "upnp: port {port} mapped and confirmed public after {} ms",
        confirmed.as_millis()
    );
    drop(pu);
}
