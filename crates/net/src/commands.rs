//! The network task's commands: what the node asks of the swarm (dial, request, respond,
//! publish, announce, …), each carried out at once; answers go back on the channels the
//! commands bring.

use std::time::Duration;

use libp2p::gossipsub;
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use tracing::{debug, warn};

use crate::event_loop::{peer_of, EventLoop};
use crate::{Command, NetError, NetEvent, PeerInfo};

impl EventLoop {
    pub(crate) fn on_command(&mut self, c: Command) {
        let c = if !self.suspended() {
            c
        } else {
            match c {
                // While suspended nothing reaches out: dials, queries and requests wait for
                // the resume (the node redials then; a request fails at once).
                Command::Dial(_)
                | Command::DialPeer(..)
                | Command::Provide(_)
                | Command::FindProviders(_) => return,
                Command::Request(_, peer, _, reply) => {
                    let _ = reply.send(Err(NetError::Request {
                        peer,
                        reason: "the network is suspended".into(),
                    }));
                    return;
                }
                c => c,
            }
        };
        match c {
            Command::Dial(addr) => {
                if let Some(p) = peer_of(&addr) {
                    if self.swarm.is_connected(&p) || p == *self.swarm.local_peer_id() {
                        return;
                    }
                }
                if let Err(e) = self.swarm.dial(addr.clone()) {
                    debug!("dial {addr}: {e}");
                }
            }
            Command::DialPeer(peer, addrs) => {
                if self.swarm.is_connected(&peer) || peer == *self.swarm.local_peer_id() {
                    return;
                }
                // Not held back by a dial already under way: DCUtR's hole-punching dials to
                // the peer's direct addresses can take 10 s to time out behind a symmetric NAT,
                // while the relay circuit among these addresses connects at once.
                let opts = DialOpts::peer_id(peer)
                    .addresses(addrs)
                    .condition(PeerCondition::Disconnected)
                    .build();
                if let Err(e) = self.swarm.dial(opts) {
                    debug!("dial {peer}: {e}");
                }
            }
            Command::Request(proto, peer, frame, reply) => {
                let id = self
                    .rr(proto)
                    .send_request(&peer, crate::codec::Inbound::Frame(frame));
                self.pending_requests.insert((proto, id), reply);
            }
            Command::Respond(proto, id, frame) => {
                if let Some(ch) = self.inbound.remove(&(proto, id)) {
                    let _ = self.rr(proto).send_response(ch, frame);
                }
            }
            Command::Subscribe(topic) => {
                let t = gossipsub::IdentTopic::new(topic);
                let gs = &mut self.swarm.behaviour_mut().gossipsub;
                if let Err(e) = gs.subscribe(&t) {
                    warn!("subscribe: {e}");
                }
                // rust-libp2p's default topic parameters are placeholders: time in the mesh
                // earns up to +1800 within seconds (a 1 ms quantum), which outweighs any
                // penalty for invalid messages, and the mesh-delivery deficit penalty (20
                // messages per 10 ms window expected) would push honest peers in a quiet room
                // below the graylist once that bonus is gone. Here: a small bonus for time
                // in the mesh and first deliveries (at most +46), no delivery-rate penalty,
                // and -100 × (invalid messages)² decaying by 1 % a second — one bad message is
                // forgiven, two put the sender below the graylist for about a minute.
                let params = gossipsub::TopicScoreParams {
                    topic_weight: 1.0,
                    time_in_mesh_weight: 0.01,
                    time_in_mesh_quantum: Duration::from_secs(1),
                    time_in_mesh_cap: 3600.0,
                    first_message_deliveries_weight: 0.5,
                    first_message_deliveries_decay: 0.9,
                    first_message_deliveries_cap: 20.0,
                    mesh_message_deliveries_weight: 0.0,
                    mesh_failure_penalty_weight: 0.0,
                    invalid_message_deliveries_weight: -100.0,
                    invalid_message_deliveries_decay: 0.99,
                    ..Default::default()
                };
                if let Err(e) = gs.set_topic_params(t, params) {
                    warn!("topic score params: {e}");
                }
            }
            Command::Unsubscribe(topic) => {
                self.swarm
                    .behaviour_mut()
                    .gossipsub
                    .unsubscribe(&gossipsub::IdentTopic::new(topic));
            }
            Command::Publish(topic, messages, reply) => {
                let name = topic.clone();
                let topic = gossipsub::IdentTopic::new(topic);
                let mut result = Ok(());
                let mut unheard = false;
                for data in messages {
                    match self.swarm.behaviour_mut().gossipsub.publish(topic.clone(), data) {
                        // Nobody on the topic yet: the node is told, and pushes it by sync.
                        Err(gossipsub::PublishError::NoPeersSubscribedToTopic) => unheard = true,
                        // Already seen, or the connections are busy: sync delivers it later.
                        Ok(_)
                        | Err(gossipsub::PublishError::Duplicate)
                        | Err(gossipsub::PublishError::AllQueuesFull(_)) => {}
                        Err(e) => result = Err(NetError::Publish(e.to_string())),
                    }
                }
                if let Err(e) = &result {
                    debug!("publish: {e}");
                }
                if unheard {
                    tokio::spawn(self.emit(NetEvent::Unheard { topic: name }));
                }
                let _ = reply.send(result);
            }
            Command::Report(id, source, acceptance) => {
                self.swarm
                    .behaviour_mut()
                    .gossipsub
                    .report_message_validation_result(&id, &source, acceptance);
            }
            Command::Disconnect(peer, reason) => {
                warn!("dropping peer {peer}: {reason}");
                let _ = self.swarm.disconnect_peer_id(peer);
                let _ = self.events.try_send(NetEvent::Dropped { peer, reason });
            }
            Command::Peers(reply) => {
                let list = self
                    .connections
                    .keys()
                    .filter_map(|p| {
                        self.best(p).map(|(reach, addr)| PeerInfo {
                            peer: *p,
                            reach,
                            addr,
                        })
                    })
                    .collect();
                let _ = reply.send(list);
            }
            Command::Listening(reply) => {
                let _ = reply.send(self.listening.clone());
            }
            Command::Status(reply) => {
                let _ = reply.send(self.status());
            }
            Command::Provide(key) => self.provide(key),
            Command::Unprovide(key) => self.unprovide(key),
            Command::FindProviders(key) => self.find_providers(key),
            Command::Protect(peers) => self.swarm.behaviour_mut().guard.rules.protect(peers),
            Command::AddBootstrap(addrs) => self.add_bootstrap(addrs),
            Command::Suspend => self.suspend(),
            Command::Resume => self.resume(),
            Command::Shutdown => {}
        }
    }
}
