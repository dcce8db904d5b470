//! Tests of the node that reach inside it (the engine behind a client), with real nodes on
//! 127.0.0.1 and mDNS off. The tests that need only the public API are in `tests/`.

mod removal;

use std::path::Path;
use std::time::Duration;

use confab_core::{Space, SpaceId};
use confab_net::Multiaddr;

use crate::engine::Engine;
use crate::{Client, NodeConfig};

pub(crate) fn cfg(dial: Vec<Multiaddr>) -> NodeConfig {
    NodeConfig {
        listen: vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()],
        dial,
        mdns: false,
        dht: false,
        upnp: false,
        ..Default::default()
    }
}

pub(crate) async fn start(dir: &Path, dial: Vec<Multiaddr>) -> Client {
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

/// The engine behind an in-process client.
pub(crate) fn engine(c: &Client) -> &Engine {
    &c.service().engine
}

/// A space as the client's store has it now.
pub(crate) async fn space(c: &Client, id: SpaceId) -> Space {
    engine(c).store().space(id).await.unwrap().unwrap()
}

/// Polls until `f` holds, for at most `secs` seconds.
pub(crate) async fn eventually<F, Fut>(secs: u64, what: &str, mut f: F)
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

pub(crate) async fn texts(c: &Client, space: &str) -> Vec<String> {
    c.chat_list(space)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|m| m.text)
        .collect()
}

#[tokio::test]
async fn every_method_is_dispatched_by_name_and_unknown_ones_are_not() {
    let d = tempfile::tempdir().unwrap();
    let c = Client::open(d.path()).await.unwrap();
    let svc = c.service();
    let mut seen = std::collections::HashSet::new();
    for m in crate::ops::METHODS {
        assert!(seen.insert(m), "{m} is listed twice");
        // Params of the wrong shape are refused by name; the method itself is found.
        let r = crate::ops::dispatch(svc, m, serde_json::json!({"no such field": 1})).await;
        let err = r.unwrap_or_else(|| panic!("{m} was not dispatched")).unwrap_err();
        assert!(err.to_string().contains(m), "{m}: {err}");
    }
    assert!(
        crate::ops::dispatch(svc, "chat.frobnicate", serde_json::Value::Null)
            .await
            .is_none()
    );
}
