//! The actor's handling of network events: connections, addresses, gossip and requests.

use std::time::Instant;

use confab_net::{MessageAcceptance, MessageId, NetEvent, PeerId};
use tracing::{debug, warn};

use super::{peer_view, tasks, Actor, GossipItem};
use crate::engine::SELF_ADDRS_SETTING;
use crate::events::NodeEvent;
use crate::policy::flood::Verdict;
use crate::policy::sessions::Scope;

/// Most addresses kept per peer in the address book.
const ADDRS_PER_PEER: usize = 16;

impl Actor {
    pub(super) fn network(&mut self, ev: NetEvent, now: Instant) {
        match ev {
            NetEvent::Listening(a) => {
                let s = a.to_string();
                self.listening.push(s.clone());
                self.save_listening();
                self.emit(NodeEvent::Listening(s));
            }
            NetEvent::ListenClosed(a) => {
                let s = a.to_string();
                self.listening.retain(|x| *x != s);
                self.save_listening();
            }
            NetEvent::Connected(info) => {
                let peer = info.peer;
                if self.flood.cooling(&peer, now) {
                    let _ = self.net.disconnect(peer, "cooling off after flooding".into());
                    return;
                }
                let first = self.peers.insert(peer, info.clone()).is_none();
                self.redial.connected(&peer);
                self.rendezvous.connected(peer);
                self.emit(NodeEvent::PeerConnected(peer_view(&info)));
                if first {
                    self.request_sync(peer, Scope::All);
                }
            }
            NetEvent::Disconnected(peer) => {
                self.flood.disconnected(&peer, now);
                self.holders.disconnected(&peer);
                self.blobs_lost_peer(&peer);
                self.progress.retain(|(p, _), _| *p != peer);
                let relayed = self
                    .peers
                    .remove(&peer)
                    .is_some_and(|i| i.reach == confab_net::Reach::Relay);
                self.rendezvous.disconnected(&peer, now);
                self.emit(NodeEvent::PeerDisconnected(peer.to_string()));
                // A relay ends circuits at its limits (rust-libp2p's default: 128 KiB or two
                // minutes): a member reached that way is dialled again at once, not after a
                // back-off, and the catch-up goes on over the next circuit.
                if relayed && (self.members.contains(&peer) || self.book.contains_key(&peer)) {
                    self.redial.connected(&peer);
                    self.redial(now);
                }
            }
            NetEvent::PeerAddrs { peer, addrs } => {
                let addrs: Vec<_> = addrs
                    .into_iter()
                    .filter(|a| !a.to_string().contains("/0.0.0.0/"))
                    .collect();
                if addrs.is_empty() || peer == self.me {
                    return;
                }
                if self.members.contains(&peer) || self.book.contains_key(&peer) {
                    self.book_addrs(peer, addrs);
                } else {
                    // Not known to share a space (a DHT peer, a relay, a member whose records
                    // have not arrived yet): held, not remembered, until it turns out to.
                    if self.unbooked.len() >= super::UNBOOKED_MAX {
                        self.unbooked.clear();
                    }
                    self.unbooked.insert(peer, addrs);
                }
            }
            NetEvent::Status(s) => {
                if s.external != self.net_status.external {
                    self.rendezvous.addresses_changed(now);
                }
                self.rendezvous.set_ready(s.dht_peers > 0);
                self.rendezvous.set_addressable(!s.external.is_empty());
                self.net_status = s;
                self.emit(NodeEvent::NetworkChanged);
            }
            NetEvent::Providers { key, peers } => {
                if let Some(space) = self.lookups.get(&key).copied() {
                    debug!("found {} peers in space {}", peers.len(), space.short());
                    for p in &peers {
                        self.members_changed |= self.members.insert(*p);
                    }
                    self.rendezvous.found(space, peers);
                }
            }
            NetEvent::DialFailed { peer: Some(peer), .. } => self.redial.failed(peer, now),
            NetEvent::DialFailed { peer: None, .. } => {}
            NetEvent::Gossip {
                source,
                id,
                topic,
                data,
            } => self.gossip(source, id, &topic, data, now),
            NetEvent::Unheard { topic } => self.unheard(&topic, now),
            NetEvent::Request { peer, id, frame } => {
                let limited = self.relayed_only(peer);
                tokio::spawn(tasks::answer(
                    self.engine.syncer().clone(),
                    self.net.clone(),
                    peer,
                    limited,
                    id,
                    frame,
                ));
            }
            NetEvent::BlobRequest { peer, id, frame } => self.blob_request(peer, id, frame),
            NetEvent::LinkRequest { peer, id, frame } => self.link_request(peer, id, frame),
            NetEvent::Dropped { peer, reason } => {
                self.emit(NodeEvent::PeerDropped {
                    peer: peer.to_string(),
                    reason,
                });
            }
        }
    }

    /// Remembers where a member was reached.
    pub(super) fn book_addrs(&mut self, peer: PeerId, addrs: Vec<confab_net::Multiaddr>) {
        let known = self.book.entry(peer).or_default();
        for a in addrs.iter().rev() {
            known.retain(|k| k != a);
            known.insert(0, a.clone());
        }
        known.truncate(ADDRS_PER_PEER);
        self.engine
            .store()
            .add_peer_addrs(peer.to_string(), addrs.iter().map(|a| a.to_string()).collect())
            .detach();
    }

    /// Remembers this node's addresses for the tickets it makes.
    fn save_listening(&self) {
        let json = serde_json::to_string(&self.listening).expect("strings serialise");
        self.engine
            .store()
            .set_setting(SELF_ADDRS_SETTING, &json)
            .detach();
    }

    /// A gossip message: a live frame is checked here; a record is counted against the
    /// sender's allowance and, if within it, handed to the ingest worker.
    fn gossip(&mut self, source: PeerId, id: MessageId, topic: &str, data: Vec<u8>, now: Instant) {
        if let Some(board) = self.live_topics.get(topic).copied() {
            let acceptance = self.live_frame(board, &data, source);
            let _ = self.net.report(id, source, acceptance);
            return;
        }
        let Some(space) = self.topics.get(topic).copied() else {
            // Left the topic a moment ago.
            let _ = self.net.report(id, source, MessageAcceptance::Ignore);
            return;
        };
        match self.flood.admit(source, space, now) {
            Verdict::Accept => {
                let item = GossipItem {
                    source,
                    id: id.clone(),
                    space,
                    data,
                };
                if self.gossip.try_send(item).is_err() {
                    // The worker is behind: this one comes by sync.
                    let _ = self.net.report(id, source, MessageAcceptance::Ignore);
                }
            }
            Verdict::Throttle => {
                let _ = self.net.report(id, source, MessageAcceptance::Ignore);
            }
            Verdict::Drop => {
                let _ = self.net.report(id, source, MessageAcceptance::Ignore);
                let limits = self.flood.limits();
                let why = format!(
                    "flooding: over {} records a second into space {} (refused for {} s)",
                    limits.per_second,
                    space.short(),
                    limits.cool_off_secs
                );
                warn!("{source}: {why}");
                let _ = self.net.disconnect(source, why);
            }
        }
    }

    /// Checks a live frame: the board's key, the author's signature, its age, then the
    /// author's rate. Too many are dropped without blame; invalid ones count against the
    /// sender's gossip score.
    fn live_frame(&mut self, board: confab_core::SpaceId, data: &[u8], source: PeerId) -> MessageAcceptance {
        let Some(space) = self.spaces.get(&board) else {
            return MessageAcceptance::Ignore;
        };
        let now_ms = confab_core::now_ms();
        match space.open_live(data, now_ms) {
            Ok((author, live)) => {
                if self.live.admit(board, author, now_ms) {
                    self.emit(NodeEvent::Live {
                        space: board,
                        author,
                        live,
                    });
                    MessageAcceptance::Accept
                } else {
                    debug!("live frame from {source}: over the rate of {}", author.short());
                    MessageAcceptance::Ignore
                }
            }
            Err(e) => {
                debug!("live frame from {source}: {e}");
                MessageAcceptance::Reject
            }
        }
    }
}
