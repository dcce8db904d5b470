//! Linking a new device to this person's account (`confab_core::link` has the ticket and the
//! messages, [`crate::policy::link`] the tickets' states). On the account's device, with its
//! node running: a ticket is made, and a device that asked with it is approved by the ticket's
//! code. On the new device, from an empty data dir: [`link`] dials the account's device, asks
//! until the person approves, and keeps the certificate and the spaces it is sent.

use std::path::Path;
use std::time::Duration;

use confab_core::account::DeviceCert;
use confab_core::link::{self, LinkBundle, LinkResponse, LinkTicket};
use confab_core::{now_ms, Identity};

use crate::actor::NodeHandle;
use crate::engine::Engine;
use crate::view::{DeviceView, LinkTicketView, LinkedView};
use crate::NodeError;

/// How often the new device asks again while it waits for approval.
const ASK_EVERY: Duration = Duration::from_secs(1);
/// How long the new device tries to reach the account's device before it gives up.
const REACH_FOR: Duration = Duration::from_secs(60);

/// Makes a one-time link ticket valid for `ttl_secs` (default ten minutes).
pub(crate) async fn ticket(
    engine: &Engine,
    node: &NodeHandle,
    ttl_secs: Option<u64>,
) -> Result<LinkTicketView, NodeError> {
    let id = engine.identity();
    if id.account_secret().is_none() {
        return Err(NodeError::Refused(format!(
            "this device does not hold the secret of the account {}: link new devices from the device that does",
            id.account().peer_id()
        )));
    }
    let ttl = ttl_secs.unwrap_or(link::DEFAULT_TTL_SECS);
    if ttl == 0 || ttl > link::MAX_TTL_SECS {
        return Err(NodeError::Invalid(format!(
            "--ttl {ttl}: a link ticket lasts 1 to {} seconds",
            link::MAX_TTL_SECS
        )));
    }
    let mut addrs = engine.self_addrs().await?;
    if addrs.is_empty() {
        addrs = node.status().await?.listening;
    }
    addrs.retain(|a| !a.contains("/0.0.0.0/") && !a.contains("/::/"));
    addrs.truncate(link::MAX_ADDRS);
    if addrs.is_empty() {
        return Err(NodeError::Refused(
            "this node has no address to put in a link ticket yet; try again once it listens".into(),
        ));
    }
    let now = now_ms();
    let t = LinkTicket::new(id.account(), id.author(), addrs, now + ttl * 1000);
    let code = node
        .links
        .lock()
        .expect("the link tickets' lock is never poisoned")
        .issue(t.secret, now, t.expires_ms);
    Ok(LinkTicketView {
        ticket: t.encode(),
        code,
        expires_ms: t.expires_ms,
    })
}

/// Approves the device that asked with the ticket of `code`: certifies it and answers it with
/// the person's spaces and settings.
pub(crate) async fn approve(engine: &Engine, node: &NodeHandle, code: &str) -> Result<DeviceView, NodeError> {
    let Some(secret) = engine.identity().account_secret().cloned() else {
        return Err(NodeError::Refused(
            "this device does not hold the account secret: approve on the device that made the ticket".into(),
        ));
    };
    let claim = node
        .links
        .lock()
        .expect("the link tickets' lock is never poisoned")
        .approve(code, now_ms())
        .map_err(|e| NodeError::Refused(e.to_string()))?;
    let cert = DeviceCert::issue(&secret, claim.device, now_ms());
    engine.store().add_device(cert.clone()).await?;
    let (spaces, settings) = crate::backup::personal(engine).await?;
    let bundle = LinkBundle {
        cert: cert.clone(),
        spaces,
        settings,
    };
    let (nonce, sealed) = link::seal_bundle(&claim.secret, &bundle);
    if sealed.len() + 64 > confab_net::LINK_FRAME {
        return Err(NodeError::Refused(format!(
            "this person is in too many spaces to send in one link answer ({} bytes)",
            sealed.len()
        )));
    }
    node.links
        .lock()
        .expect("the link tickets' lock is never poisoned")
        .approved(&claim, LinkResponse::Approved { nonce, sealed });
    Ok(DeviceView {
        device: claim.device.peer_id(),
        me: false,
        account: false,
        linked_ms: Some(cert.issued_ms),
        revoked: None,
    })
}

/// On a new device: links the empty data dir `dir` to the account whose device made the
/// ticket. `waiting` is told once the ticket is claimed (with the code to approve and this
/// device's id). Waits until the person approves, the ticket expires or it is refused.
pub async fn link(
    dir: &Path,
    ticket_text: &str,
    waiting: impl Fn(&str, &str),
) -> Result<LinkedView, NodeError> {
    crate::backup::check_empty(dir)?;
    let t = LinkTicket::parse(ticket_text).map_err(|e| NodeError::Invalid(e.to_string()))?;
    t.check_time(now_ms())
        .map_err(|e| NodeError::Refused(e.to_string()))?;
    let device = Identity::generate();
    let peer: confab_net::PeerId = t
        .peer
        .peer_id()
        .parse()
        .map_err(|_| NodeError::Invalid("the ticket's peer is not a peer id".into()))?;
    let mut cfg = confab_net::NetConfig::new(device.keypair().clone());
    cfg.listen = vec!["/ip4/0.0.0.0/tcp/0".parse().expect("a valid multiaddr")];
    cfg.mdns = false;
    cfg.dht = None;
    cfg.upnp = false;
    cfg.auto_relays = 0;
    let (net, mut events) = confab_net::spawn(cfg).map_err(|e| NodeError::Invalid(e.to_string()))?;
    // Drain the network's events: nothing here needs them.
    let drain = tokio::spawn(async move { while events.recv().await.is_some() {} });
    let addrs: Vec<confab_net::Multiaddr> = t.addrs.iter().filter_map(|a| a.parse().ok()).collect();
    let result = ask_until_answered(&net, peer, &t, &device, addrs, &waiting).await;
    net.shutdown();
    drain.abort();
    let bundle = result?;
    let me = device.save_linked(dir, bundle.cert.clone())?;
    let engine = Engine::open(dir).await?;
    let spaces = crate::backup::take_in(&engine, &bundle.spaces, &bundle.settings).await?;
    // The account's device is the first peer this one knows: dialled again when it runs.
    engine
        .store()
        .add_peer_addrs(t.peer.peer_id(), t.addrs.clone())
        .await?;
    Ok(LinkedView {
        account: me.account().peer_id(),
        device: me.author().peer_id(),
        spaces,
    })
}

async fn ask_until_answered(
    net: &confab_net::NetHandle,
    peer: confab_net::PeerId,
    t: &LinkTicket,
    device: &Identity,
    addrs: Vec<confab_net::Multiaddr>,
    waiting: &impl Fn(&str, &str),
) -> Result<LinkBundle, NodeError> {
    let ask = link::encode(&t.ask(device.author()));
    let mut told = false;
    let mut last_error = String::from("no answer yet");
    let started = std::time::Instant::now();
    loop {
        if t.check_time(now_ms()).is_err() {
            return Err(NodeError::Refused(format!(
                "the link ticket expired before it was approved (last: {last_error})"
            )));
        }
        if !told && started.elapsed() > REACH_FOR {
            return Err(NodeError::Refused(format!(
                "could not reach your other device at {} for {} s: {last_error}",
                t.addrs.join(", "),
                REACH_FOR.as_secs()
            )));
        }
        let _ = net.dial_peer(peer, addrs.clone());
        match tokio::time::timeout(Duration::from_secs(10), net.link_request(peer, ask.clone())).await {
            Ok(Ok(frame)) => match link::decode::<LinkResponse>(&frame) {
                Ok(LinkResponse::Pending) => {
                    if !told {
                        waiting(&t.code(), &device.peer_id());
                        told = true;
                    }
                }
                Ok(LinkResponse::Approved { nonce, sealed }) => {
                    return t
                        .open(device.author(), &nonce, &sealed)
                        .map_err(|e| NodeError::Refused(e.to_string()))
                }
                Ok(LinkResponse::Refused(why)) => {
                    return Err(NodeError::Refused(format!("the account's device refused: {why}")))
                }
                Err(e) => last_error = e.to_string(),
            },
            Ok(Err(e)) => last_error = e.to_string(),
            Err(_) => last_error = "the request timed out".into(),
        }
        tokio::time::sleep(ASK_EVERY).await;
    }
}
