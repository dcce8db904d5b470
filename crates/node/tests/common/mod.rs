//! What the node's integration tests share: nodes on 127.0.0.1 with mDNS, the DHT and UPnP off,
//! their first listen address, and bounded waits.
#![allow(dead_code)]

use std::time::Duration;

use confab_net::Multiaddr;
use confab_node::{Client, NodeConfig};

pub fn cfg(dial: Vec<Multiaddr>) -> NodeConfig {
    NodeConfig {
        listen: vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()],
        dial,
        mdns: false,
        dht: false,
        upnp: false,
        ..Default::default()
    }
}

pub async fn start(dir: &std::path::Path, dial: Vec<Multiaddr>) -> Client {
    let c = Client::start(dir, cfg(dial)).await.unwrap();
    // Tickets carry the node's addresses: return once it listens, or a ticket made at once
    // names no address and its joiners never find the node (a race seen in CI).
    for _ in 0..250 {
        if !c.status().await.unwrap().listening.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    c
}

/// The node's first listen address, once it listens.
pub async fn first_addr(node: &Client) -> Multiaddr {
    for _ in 0..100 {
        if let Some(a) = node.status().await.unwrap().listening.first() {
            return a.parse().unwrap();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("node never listened");
}

/// Polls until `f` holds, for at most `secs` seconds.
pub async fn eventually<F, Fut>(secs: u64, what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < deadline {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for {what}");
}
