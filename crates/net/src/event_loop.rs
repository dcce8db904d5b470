//! The task that owns the swarm.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use futures::channel::oneshot;
use futures::StreamExt;
use libp2p::core::transport::ListenerId;
use libp2p::core::ConnectedPoint;
use libp2p::multiaddr::Protocol;
use libp2p::request_response::{self, OutboundRequestId, ResponseChannel};
use libp2p::swarm::dial_opts::DialOpts;
use libp2p::swarm::{ConnectionId, SwarmEvent};
use libp2p::{gossipsub, identify, mdns, noise, ping, relay, tcp, yamux, Multiaddr, PeerId, Swarm};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

use crate::behaviour::{self, Behaviour, BehaviourEvent};
use crate::discovery::Discovery;
use crate::liveness::Liveness;
use crate::{Command, NetConfig, NetError, NetEvent, PeerInfo, Proto, Reach};

/// Where the answer to an outbound request goes.
pub(crate) type Answer = oneshot::Sender<Result<Vec<u8>, NetError>>;

/// Owns the swarm; driven by [`EventLoop::run`].
pub struct EventLoop {
    pub(crate) swarm: Swarm<Behaviour>,
    pub(crate) disc: Discovery,
    pub(crate) commands: mpsc::UnboundedReceiver<Command>,
    pub(crate) events: mpsc::Sender<NetEvent>,
    pub(crate) pending_requests: HashMap<(Proto, OutboundRequestId), Answer>,
    pub(crate) inbound: HashMap<(Proto, u64), ResponseChannel<Vec<u8>>>,
    pub(crate) next_inbound: u64,
    pub(crate) mdns_peers: HashSet<PeerId>,
    pub(crate) connections: HashMap<PeerId, HashMap<ConnectionId, (Reach, Multiaddr)>>,
    pub(crate) announced: HashMap<PeerId, Reach>,
    pub(crate) relays: Vec<Multiaddr>,
    pub(crate) relay_listeners: HashMap<ListenerId, Multiaddr>,
    pub(crate) listening: Vec<Multiaddr>,
    pub(crate) relay_server: bool,
    pub(crate) liveness: Liveness<ConnectionId>,
    /// The configured listeners, and whether the network is suspended (`lifecycle`).
    pub(crate) listeners: crate::lifecycle::Listeners,
}

pub(crate) fn is_circuit(a: &Multiaddr) -> bool {
    a.iter().any(|p| matches!(p, Protocol::P2pCircuit))
}

/// The peer id an address ends with, if any.
pub fn peer_of(a: &Multiaddr) -> Option<PeerId> {
    a.iter()
        .filter_map(|p| if let Protocol::P2p(id) = p { Some(id) } else { None })
        .last()
}

fn with_p2p(a: &Multiaddr, id: PeerId) -> Multiaddr {
    if peer_of(a) == Some(id) {
        a.clone()
    } else {
        a.clone().with(Protocol::P2p(id))
    }
}

impl EventLoop {
    pub(crate) fn new(
        cfg: NetConfig,
        commands: mpsc::UnboundedReceiver<Command>,
        events: mpsc::Sender<NetEvent>,
    ) -> Result<Self, NetError> {
        let setup = |e: &dyn std::fmt::Display| NetError::Setup(e.to_string());
        let mut swarm = libp2p::SwarmBuilder::with_existing_identity(cfg.keypair.clone())
            .with_tokio()
            .with_tcp(
                tcp::Config::default().nodelay(true),
                noise::Config::new,
                yamux::Config::default,
            )
            .map_err(|e| setup(&e))?
            .with_quic()
            .with_dns()
            .map_err(|e| setup(&e))?
            .with_relay_client(noise::Config::new, yamux::Config::default)
            .map_err(|e| setup(&e))?
            .with_behaviour(|key, relay_client| behaviour::build(key, relay_client, &cfg).map_err(Box::from))
            .map_err(|e| setup(&e))?
            // Every known address of a peer at once: a peer that moved leaves stale addresses
            // (dead relays' circuits, whose QUIC handshakes take 10 s to fail) ahead of the
            // fresh one its rendezvous record gave, and libp2p's default of 8 at a time made
            // the fresh one wait for them.
            .with_swarm_config(|c| {
                c.with_idle_connection_timeout(Duration::from_secs(3600))
                    .with_dial_concurrency_factor(std::num::NonZeroU8::new(32).expect("not zero"))
            })
            .build();
        let mut listeners = crate::lifecycle::Listeners::new(cfg.listen.clone());
        for (i, addr) in cfg.listen.iter().enumerate() {
            let id = swarm
                .listen_on(addr.clone())
                .map_err(|e| NetError::Setup(format!("cannot listen on {addr}: {e}")))?;
            listeners.open.insert(id, i);
        }
        for addr in &cfg.dial {
            if let Err(e) = swarm.dial(addr.clone()) {
                warn!("cannot dial {addr}: {e}");
            }
        }
        let disc = Discovery::new(&cfg);
        let mut el = EventLoop {
            swarm,
            disc,
            commands,
            events,
            pending_requests: HashMap::new(),
            inbound: HashMap::new(),
            next_inbound: 0,
            mdns_peers: HashSet::new(),
            connections: HashMap::new(),
            announced: HashMap::new(),
            relays: cfg.relays.clone(),
            relay_listeners: HashMap::new(),
            listening: Vec::new(),
            relay_server: cfg.relay_server,
            liveness: Liveness::default(),
            listeners,
        };
        el.reserve_relays();
        el.start_dht();
        Ok(el)
    }

    /// Listens on a circuit through every configured relay that has no listener: the relay
    /// client dials the relay and asks for a reservation.
    pub(crate) fn reserve_relays(&mut self) {
        if self.suspended() {
            return;
        }
        let active: HashSet<Multiaddr> = self.relay_listeners.values().cloned().collect();
        for relay in self.relays.clone() {
            if active.contains(&relay) {
                continue;
            }
            let circuit = relay.clone().with(Protocol::P2pCircuit);
            match self.swarm.listen_on(circuit) {
                Ok(id) => {
                    self.relay_listeners.insert(id, relay);
                }
                Err(e) => warn!("cannot listen through relay {relay}: {e}"),
            }
        }
    }

    /// Runs until shut down or every handle is dropped.
    pub async fn run(mut self) {
        let mut maintenance = tokio::time::interval(Duration::from_secs(2));
        maintenance.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                ev = self.swarm.select_next_some() => self.on_swarm(ev).await,
                cmd = self.commands.recv() => match cmd {
                    Some(Command::Shutdown) | None => break,
                    Some(c) => self.on_command(c),
                },
                _ = maintenance.tick() => {
                    for c in self.liveness.silent(Instant::now()) {
                        info!("closing a connection that stopped answering pings");
                        self.swarm.close_connection(c);
                    }
                    self.maintain().await
                }
            }
        }
        debug!("network task stopped");
    }

    /// Sends an event; waits when the node is behind (bounded memory), without borrowing
    /// the loop across the wait.
    pub(crate) fn emit(&self, ev: NetEvent) -> impl std::future::Future<Output = ()> + Send + 'static {
        let tx = self.events.clone();
        async move {
            let _ = tx.send(ev).await;
        }
    }

    pub(crate) fn best(&self, peer: &PeerId) -> Option<(Reach, Multiaddr)> {
        let conns = self.connections.get(peer)?;
        conns
            .values()
            .min_by_key(|(r, _)| match r {
                Reach::Lan => 0,
                Reach::HolePunched | Reach::Direct => 1,
                Reach::Relay => 2,
            })
            .cloned()
    }

    /// The best connection to `peer` changed (or is new): say so if it differs from what
    /// was last said.
    pub(crate) async fn announce_best(&mut self, peer: PeerId) {
        if let Some((best, addr)) = self.best(&peer) {
            if self.announced.get(&peer) != Some(&best) {
                self.announced.insert(peer, best);
                info!("connected {peer} via {}", best.as_str());
                self.emit(NetEvent::Connected(PeerInfo {
                    peer,
                    reach: best,
                    addr,
                }))
                .await;
            }
        }
    }

    /// Marks a connection as made by hole punching.
    pub(crate) async fn hole_punched(&mut self, peer: PeerId, conn: ConnectionId) {
        if let Some((reach, _)) = self.connections.get_mut(&peer).and_then(|c| c.get_mut(&conn)) {
            *reach = Reach::HolePunched;
        }
        self.announce_best(peer).await;
    }

    async fn on_swarm(&mut self, ev: SwarmEvent<BehaviourEvent>) {
        match ev {
            SwarmEvent::NewListenAddr { listener_id, address } => {
                self.listeners.bound(listener_id, &address);
                if self.relay_server && !is_circuit(&address) {
                    // Clients of this relay need addresses to put in their circuit addresses.
                    self.swarm.add_external_address(address.clone());
                }
                let full = with_p2p(&address, *self.swarm.local_peer_id());
                self.listening.push(full.clone());
                info!("listening {full}");
                self.emit(NetEvent::Listening(full)).await;
            }
            SwarmEvent::ExpiredListenAddr { address, .. } => {
                let full = with_p2p(&address, *self.swarm.local_peer_id());
                self.listening.retain(|a| *a != full);
                self.emit(NetEvent::ListenClosed(full)).await;
            }
            SwarmEvent::ListenerClosed {
                listener_id,
                reason,
                addresses,
                ..
            } => {
                self.listeners.open.remove(&listener_id);
                if let Some(relay) = self.relay_listeners.remove(&listener_id) {
                    info!("relay listener via {relay} closed ({reason:?}); will retry");
                    self.disc.relay_closed(&relay);
                }
                for a in addresses {
                    let full = with_p2p(&a, *self.swarm.local_peer_id());
                    self.listening.retain(|x| *x != full);
                    self.emit(NetEvent::ListenClosed(full)).await;
                }
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                connection_id,
                endpoint,
                ..
            } => {
                let addr = match &endpoint {
                    ConnectedPoint::Dialer { address, .. } => address.clone(),
                    ConnectedPoint::Listener { send_back_addr, .. } => send_back_addr.clone(),
                };
                let reach = if is_circuit(&addr) || endpoint.is_relayed() {
                    Reach::Relay
                } else if self.mdns_peers.contains(&peer_id) {
                    Reach::Lan
                } else {
                    Reach::Direct
                };
                if let ConnectedPoint::Dialer { address, .. } = &endpoint {
                    self.disc.dialled(peer_id, address);
                }
                self.connections
                    .entry(peer_id)
                    .or_default()
                    .insert(connection_id, (reach, addr));
                self.announce_best(peer_id).await;
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                connection_id,
                ..
            } => {
                self.liveness.closed(&connection_id);
                if let Some(conns) = self.connections.get_mut(&peer_id) {
                    conns.remove(&connection_id);
                    if conns.is_empty() {
                        self.connections.remove(&peer_id);
                        self.announced.remove(&peer_id);
                        info!("disconnected {peer_id}");
                        self.emit(NetEvent::Disconnected(peer_id)).await;
                    } else {
                        self.announce_best(peer_id).await;
                    }
                }
            }
            SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => {
                if peer_id.is_some_and(|p| self.mdns_peers.contains(&p)) {
                    warn!("dialling {peer_id:?} found on the LAN failed: {error}");
                } else {
                    debug!("dial {peer_id:?} failed: {error}");
                }
                self.emit(NetEvent::DialFailed {
                    peer: peer_id,
                    error: error.to_string(),
                })
                .await;
            }
            SwarmEvent::ExternalAddrConfirmed { address } => {
                info!("others can reach this node at {address}");
                self.publish_status().await;
            }
            SwarmEvent::ExternalAddrExpired { .. } => self.publish_status().await,
            SwarmEvent::Behaviour(b) => self.on_behaviour(b).await,
            _ => {}
        }
    }

    async fn on_behaviour(&mut self, ev: BehaviourEvent) {
        match ev {
            BehaviourEvent::Mdns(mdns::Event::Discovered(list)) => {
                let mut by_peer: HashMap<PeerId, Vec<Multiaddr>> = HashMap::new();
                for (p, a) in list {
                    by_peer.entry(p).or_default().push(a);
                }
                for (peer, addrs) in by_peer {
                    self.mdns_peers.insert(peer);
                    // Already connected (it dialled us first): those direct links are LAN links.
                    if let Some(conns) = self.connections.get_mut(&peer) {
                        for (reach, _) in conns.values_mut() {
                            if *reach == Reach::Direct {
                                *reach = Reach::Lan;
                            }
                        }
                        if let Some((best, addr)) = self.best(&peer) {
                            if self.announced.get(&peer) != Some(&best) {
                                self.announced.insert(peer, best);
                                info!("{peer} is on the LAN");
                                self.emit(NetEvent::Connected(PeerInfo {
                                    peer,
                                    reach: best,
                                    addr,
                                }))
                                .await;
                            }
                        }
                    }
                    if !self.swarm.is_connected(&peer) && !self.suspended() {
                        debug!("mdns found {peer}");
                        // Both sides usually discover each other in the same instant and dial at
                        // once. Dialling from the listening port would turn that into a TCP
                        // simultaneous open in which both sides act as the dialer and both
                        // handshakes fail (and mDNS does not announce the peer again for
                        // minutes): dial from a fresh port, giving two independent connections.
                        let opts = DialOpts::peer_id(peer)
                            .addresses(addrs)
                            .allocate_new_port()
                            .build();
                        if let Err(e) = self.swarm.dial(opts) {
                            warn!("dialling {peer} found on the LAN: {e}");
                        }
                    }
                }
            }
            BehaviourEvent::Ping(ping::Event {
                connection,
                result: Ok(_),
                ..
            }) => self.liveness.answered(connection, Instant::now()),
            BehaviourEvent::Ping(ping::Event {
                peer,
                connection,
                result: Err(e @ (ping::Failure::Timeout | ping::Failure::Other { .. })),
            }) => {
                // A connection that stopped answering (the other side moved, a NAT mapping
                // expired) is closed, so the peer is sought again; libp2p leaves this to us.
                // (A peer that does not speak ping at all is no reason.)
                info!("closing a connection to {peer} that stopped answering: {e}");
                self.swarm.close_connection(connection);
            }
            BehaviourEvent::Mdns(mdns::Event::Expired(list)) => {
                for (p, _) in list {
                    self.mdns_peers.remove(&p);
                }
            }
            BehaviourEvent::Identify(identify::Event::Received { peer_id, info, .. }) => {
                let addrs: Vec<Multiaddr> = info.listen_addrs.into_iter().take(32).collect();
                self.identified(peer_id, &info.protocols, &addrs);
                self.emit(NetEvent::PeerAddrs { peer: peer_id, addrs }).await;
            }
            BehaviourEvent::RelayClient(relay::client::Event::ReservationReqAccepted {
                relay_peer_id,
                renewal,
                ..
            }) => {
                if !renewal {
                    info!("reservation accepted by relay {relay_peer_id}");
                }
                self.disc.reserved(relay_peer_id);
                self.publish_status().await;
            }
            BehaviourEvent::Dcutr(ev) => match ev.result {
                Ok(conn) => {
                    info!("hole punch to {} succeeded", ev.remote_peer_id);
                    self.hole_punched(ev.remote_peer_id, conn).await;
                }
                Err(e) => debug!("hole punch to {} failed: {e}", ev.remote_peer_id),
            },
            BehaviourEvent::Autonat(ev) => self.on_autonat(ev).await,
            BehaviourEvent::Kad(ev) => self.on_kad(ev).await,
            BehaviourEvent::Upnp(ev) => debug!("upnp: {ev:?}"),
            BehaviourEvent::Gossipsub(gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            }) => {
                self.emit(NetEvent::Gossip {
                    source: propagation_source,
                    id: message_id,
                    topic: message.topic.into_string(),
                    data: message.data,
                })
                .await;
            }
            BehaviourEvent::Sync(ev) => self.on_request_response(Proto::Sync, ev).await,
            BehaviourEvent::Blob(ev) => self.on_request_response(Proto::Blob, ev).await,
            BehaviourEvent::Link(ev) => self.on_request_response(Proto::Link, ev).await,
            _ => {}
        }
    }

    /// The swarm's behaviour for one of the request-response protocols.
    pub(crate) fn rr(&mut self, proto: Proto) -> &mut request_response::Behaviour<crate::codec::FrameCodec> {
        match proto {
            Proto::Sync => &mut self.swarm.behaviour_mut().sync,
            Proto::Blob => &mut self.swarm.behaviour_mut().blob,
            Proto::Link => &mut self.swarm.behaviour_mut().link,
        }
    }

    async fn on_request_response(
        &mut self,
        proto: Proto,
        ev: request_response::Event<crate::codec::Inbound, Vec<u8>>,
    ) {
        let name = match proto {
            Proto::Sync => "sync",
            Proto::Blob => "blob",
            Proto::Link => "link",
        };
        match ev {
            request_response::Event::Message { peer, message, .. } => match message {
                request_response::Message::Request {
                    request: crate::codec::Inbound::Oversized(n),
                    ..
                } => {
                    let reason = format!("{name} frame of {n} bytes is over the limit");
                    warn!("dropping peer {peer}: {reason}");
                    let _ = self.swarm.disconnect_peer_id(peer);
                    self.emit(NetEvent::Dropped { peer, reason }).await;
                }
                request_response::Message::Request {
                    request: crate::codec::Inbound::Frame(frame),
                    channel,
                    ..
                } => {
                    let id = self.next_inbound;
                    self.next_inbound += 1;
                    self.inbound.insert((proto, id), channel);
                    self.emit(match proto {
                        Proto::Sync => NetEvent::Request { peer, id, frame },
                        Proto::Blob => NetEvent::BlobRequest { peer, id, frame },
                        Proto::Link => NetEvent::LinkRequest { peer, id, frame },
                    })
                    .await;
                }
                request_response::Message::Response { request_id, response } => {
                    if let Some(tx) = self.pending_requests.remove(&(proto, request_id)) {
                        let _ = tx.send(Ok(response));
                    }
                }
            },
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                if let Some(tx) = self.pending_requests.remove(&(proto, request_id)) {
                    let _ = tx.send(Err(NetError::Request {
                        peer,
                        reason: error.to_string(),
                    }));
                }
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                debug!("inbound {name} request from {peer} failed: {error}");
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }
}
