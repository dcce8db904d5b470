//! Finding and being found beyond the LAN: the DHT (bootstrap, mode, provider records),
//! AutoNAT's verdict, and relays reserved automatically while this node is not reachable.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use libp2p::multiaddr::Protocol;
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::{autonat, kad, relay, Multiaddr, PeerId, StreamProtocol};
use tracing::{debug, info, warn};

use crate::event_loop::{is_circuit, peer_of, EventLoop};
use crate::{DhtConfig, NetConfig, NetEvent, NetStatus, Reachability, KAD_PROTOCOL};

/// Most relay candidates remembered.
const MAX_CANDIDATES: usize = 32;
/// First wait before joining the DHT again while its routing table is empty.
const REJOIN_FIRST: Duration = Duration::from_secs(10);
/// Longest such wait.
const REJOIN_MAX: Duration = Duration::from_secs(10 * 60);
/// How long a node waits for AutoNAT's verdict before reserving relays anyway.
const UNKNOWN_GRACE: Duration = Duration::from_secs(1);

/// The network task's discovery state.
pub(crate) struct Discovery {
    dht: Option<DhtConfig>,
    private_network: bool,
    auto_relays: usize,
    reachability: Reachability,
    /// Relays seen (identify says they serve hop), with an address to reach each.
    candidates: Vec<(PeerId, Multiaddr)>,
    /// Relays chosen automatically (so they can be let go once this node is public).
    auto: HashSet<Multiaddr>,
    /// Relays whose reservation was accepted.
    reserved: HashSet<PeerId>,
    /// Where each peer was dialled (the address that worked).
    dialled: HashMap<PeerId, Multiaddr>,
    /// Lookups under way: the key, and the providers already dialled for it.
    queries: HashMap<kad::QueryId, (Vec<u8>, HashSet<PeerId>)>,
    ready: bool,
    said: NetStatus,
    started: Instant,
    /// This node relays for others or serves the DHT from the start: it is meant to be public.
    public_role: bool,
    rejoin: (Instant, Duration),
}

fn is_loopback(a: &Multiaddr) -> bool {
    a.iter().any(|p| match p {
        Protocol::Ip4(ip) => ip.is_loopback(),
        Protocol::Ip6(ip) => ip.is_loopback(),
        _ => false,
    })
}

fn is_unspecified(a: &Multiaddr) -> bool {
    a.iter().any(|p| match p {
        Protocol::Ip4(ip) => ip.is_unspecified(),
        Protocol::Ip6(ip) => ip.is_unspecified(),
        _ => false,
    })
}

/// `addr` without a trailing `/p2p/…`.
fn without_p2p(addr: &Multiaddr) -> Multiaddr {
    let mut a = addr.clone();
    if matches!(a.iter().last(), Some(Protocol::P2p(_))) {
        a.pop();
    }
    a
}

impl Discovery {
    pub fn new(cfg: &NetConfig) -> Self {
        Self {
            dht: cfg.dht.clone(),
            private_network: cfg.private_network,
            auto_relays: cfg.auto_relays,
            reachability: Reachability::Unknown,
            candidates: Vec::new(),
            auto: HashSet::new(),
            reserved: HashSet::new(),
            dialled: HashMap::new(),
            queries: HashMap::new(),
            ready: false,
            said: NetStatus::default(),
            started: Instant::now(),
            public_role: cfg.relay_server || cfg.dht.as_ref().is_some_and(|d| d.server),
            rejoin: (Instant::now(), REJOIN_FIRST),
        }
    }

    pub fn dialled(&mut self, peer: PeerId, addr: &Multiaddr) {
        if !is_circuit(addr) {
            self.dialled.insert(peer, without_p2p(addr));
        }
    }

    /// A relay listener closed: the relay is dropped from the candidates (identify adds it
    /// back when it is met again), so another is tried.
    pub fn relay_closed(&mut self, relay: &Multiaddr) {
        self.auto.remove(relay);
        if let Some(p) = peer_of(relay) {
            self.reserved.remove(&p);
            self.candidates.retain(|(c, _)| *c != p);
        }
    }

    pub fn reserved(&mut self, relay: PeerId) {
        self.reserved.insert(relay);
    }
}

impl EventLoop {
    /// Seeds the DHT with the bootstrap peers and dials them (again, with back-off, while the
    /// routing table stays empty).
    pub(crate) fn start_dht(&mut self) {
        let Some(dht) = self.disc.dht.clone() else { return };
        if self.suspended() {
            return;
        }
        for addr in &dht.bootstrap {
            let Some(peer) = peer_of(addr) else {
                warn!("bootstrap address {addr} has no /p2p/<peer id>: skipped");
                continue;
            };
            let bare = without_p2p(addr);
            let b = self.swarm.behaviour_mut();
            if let Some(k) = b.kad.as_mut() {
                k.add_address(&peer, bare.clone());
            }
            // Bootstrap peers are asked whether this node is reachable.
            b.autonat.add_server(peer, Some(bare));
            if !self.swarm.is_connected(&peer) {
                if let Err(e) = self.swarm.dial(addr.clone()) {
                    debug!("dial bootstrap {addr}: {e}");
                }
            }
        }
    }

    /// More bootstrap peers: kept for rejoining, added to the routing table, dialled.
    pub(crate) fn add_bootstrap(&mut self, addrs: Vec<Multiaddr>) {
        match self.disc.dht.as_mut() {
            Some(d) => {
                for a in &addrs {
                    if !d.bootstrap.contains(a) {
                        d.bootstrap.push(a.clone());
                    }
                }
                self.start_dht();
            }
            None => {
                if self.suspended() {
                    return;
                }
                for a in addrs {
                    if let Err(e) = self.swarm.dial(a.clone()) {
                        debug!("dial {a}: {e}");
                    }
                }
            }
        }
    }

    /// Periodic work: configured relays, relays found automatically, the connection budget,
    /// and the DHT's readiness.
    pub(crate) async fn maintain(&mut self) {
        if self.suspended() {
            return;
        }
        let now = Instant::now();
        self.reserve_relays();
        self.reserve_auto_relays();
        self.swarm.behaviour_mut().guard.trim(now);
        let peers = self.dht_peers();
        if self.disc.dht.is_some() && peers == 0 && now >= self.disc.rejoin.0 {
            let wait = self.disc.rejoin.1;
            self.disc.rejoin = (now + wait, (wait * 2).min(REJOIN_MAX));
            self.start_dht();
        }
        self.check_ready(peers);
        self.publish_status().await;
    }

    /// Says what changed in [`NetStatus`], if anything.
    pub(crate) async fn publish_status(&mut self) {
        let s = self.status();
        if s != self.disc.said {
            self.disc.said = s.clone();
            self.emit(NetEvent::Status(s)).await;
        }
    }

    fn dht_peers(&mut self) -> usize {
        match self.swarm.behaviour_mut().kad.as_mut() {
            Some(k) => k.kbuckets().map(|b| b.num_entries()).sum(),
            None => 0,
        }
    }

    fn check_ready(&mut self, peers: usize) {
        let ready = peers > 0;
        if ready != self.disc.ready {
            self.disc.ready = ready;
            if ready {
                info!("joined the DHT ({peers} peers)");
                self.disc.rejoin = (Instant::now(), REJOIN_FIRST);
            }
        }
    }

    /// While not publicly reachable, keeps reservations on relays found by identify, up to
    /// the configured number in all: once AutoNAT says this node is private, or has said
    /// nothing for [`UNKNOWN_GRACE`]. Never for a node meant to be public (a relay, a DHT
    /// server).
    fn reserve_auto_relays(&mut self) {
        let wanted = match self.disc.reachability {
            Reachability::Public => false,
            Reachability::Private => true,
            Reachability::Unknown => self.disc.started.elapsed() >= UNKNOWN_GRACE,
        };
        if !wanted || self.disc.public_role || self.disc.auto_relays == 0 {
            return;
        }
        let active: HashSet<PeerId> = self.relay_listeners.values().filter_map(peer_of).collect();
        let mut have = active.len();
        for (relay, addr) in self.disc.candidates.clone() {
            if have >= self.disc.auto_relays {
                break;
            }
            if active.contains(&relay) {
                continue;
            }
            let full = addr.clone().with(Protocol::P2p(relay));
            match self.swarm.listen_on(full.clone().with(Protocol::P2pCircuit)) {
                Ok(id) => {
                    info!("reserving on relay {full} (found automatically)");
                    self.relay_listeners.insert(id, full.clone());
                    self.disc.auto.insert(full);
                    have += 1;
                }
                Err(e) => debug!("cannot listen through relay {full}: {e}"),
            }
        }
    }

    /// What identify says a peer is: a DHT server, a relay, an AutoNAT server.
    pub(crate) fn identified(&mut self, peer: PeerId, protocols: &[StreamProtocol], addrs: &[Multiaddr]) {
        let local = self.swarm.is_connected(&peer) && self.disc.dialled.get(&peer).is_some_and(is_loopback);
        let usable: Vec<Multiaddr> = addrs
            .iter()
            .filter(|a| !is_unspecified(a) && !is_circuit(a) && (local || !is_loopback(a)))
            .map(without_p2p)
            .collect();
        let has = |p: &str| protocols.iter().any(|x| x.as_ref() == p);
        if let Some(k) = self.swarm.behaviour_mut().kad.as_mut() {
            if has(KAD_PROTOCOL) {
                for a in &usable {
                    k.add_address(&peer, a.clone());
                }
            }
        }
        if has(relay::HOP_PROTOCOL_NAME.as_ref()) && !self.disc.candidates.iter().any(|(p, _)| *p == peer) {
            let addr = self
                .disc
                .dialled
                .get(&peer)
                .cloned()
                .or_else(|| usable.first().cloned());
            if let Some(addr) = addr {
                debug!("{peer} offers relay service at {addr}");
                self.disc.candidates.push((peer, addr));
                self.disc.candidates.truncate(MAX_CANDIDATES);
            }
        }
        if self.disc.private_network && has("/libp2p/autonat/1.0.0") {
            self.swarm.behaviour_mut().autonat.add_server(peer, None);
        }
    }

    pub(crate) async fn on_autonat(&mut self, ev: autonat::Event) {
        let autonat::Event::StatusChanged { new, .. } = ev else {
            return;
        };
        let r = match new {
            autonat::NatStatus::Public(addr) => {
                info!("reachable at {addr}");
                Reachability::Public
            }
            autonat::NatStatus::Private => {
                info!("not reachable from outside: behind a NAT or firewall");
                Reachability::Private
            }
            autonat::NatStatus::Unknown => Reachability::Unknown,
        };
        if r == self.disc.reachability {
            return;
        }
        self.disc.reachability = r;
        let forced = self.disc.dht.as_ref().is_some_and(|d| d.server);
        if let Some(k) = self.swarm.behaviour_mut().kad.as_mut() {
            let serve = forced || r == Reachability::Public;
            k.set_mode(Some(if serve {
                kad::Mode::Server
            } else {
                kad::Mode::Client
            }));
        }
        if r == Reachability::Public {
            // Reachable without them: let the relays found automatically go.
            let auto: Vec<_> = self
                .relay_listeners
                .iter()
                .filter(|(_, a)| self.disc.auto.contains(*a))
                .map(|(id, _)| *id)
                .collect();
            for id in auto {
                self.swarm.remove_listener(id);
            }
        }
        self.publish_status().await;
    }

    pub(crate) async fn on_kad(&mut self, ev: kad::Event) {
        match ev {
            kad::Event::OutboundQueryProgressed {
                id,
                result:
                    kad::QueryResult::GetProviders(Ok(kad::GetProvidersOk::FoundProviders { providers, .. })),
                ..
            } => {
                let me = *self.swarm.local_peer_id();
                let Some((key, dialled)) = self.disc.queries.get_mut(&id) else {
                    return;
                };
                let key = key.clone();
                let peers: Vec<PeerId> = providers.into_iter().filter(|p| *p != me).collect();
                let fresh: Vec<PeerId> = peers.iter().copied().filter(|p| dialled.insert(*p)).collect();
                for p in fresh {
                    if !self.swarm.is_connected(&p) {
                        // The query holds the addresses the provider record carried: dial
                        // now, while it does, once per lookup, and whatever other dial to the
                        // peer is under way (a redial of addresses it had before it moved
                        // can take 10 s to fail).
                        let opts = DialOpts::peer_id(p)
                            .condition(PeerCondition::Disconnected)
                            .build();
                        if let Err(e) = self.swarm.dial(opts) {
                            debug!("dial provider {p}: {e}");
                        }
                    }
                }
                if !peers.is_empty() {
                    self.emit(NetEvent::Providers { key, peers }).await;
                }
            }
            kad::Event::OutboundQueryProgressed {
                id,
                step,
                result,
                stats,
            } => {
                if step.last {
                    self.disc.queries.remove(&id);
                }
                match result {
                    kad::QueryResult::StartProviding(Ok(_)) => debug!(
                        "announced to {} peers in {:?}",
                        stats.num_successes(),
                        stats.duration().unwrap_or_default()
                    ),
                    kad::QueryResult::GetProviders(Ok(_)) if step.last => debug!(
                        "lookup done: {} peers asked in {:?}",
                        stats.num_successes(),
                        stats.duration().unwrap_or_default()
                    ),
                    kad::QueryResult::StartProviding(Err(e)) => debug!("announce: {e}"),
                    kad::QueryResult::Bootstrap(Err(e)) => debug!("DHT bootstrap: {e}"),
                    _ => {}
                }
            }
            kad::Event::RoutingUpdated { .. } if !self.disc.ready => {
                let peers = self.dht_peers();
                self.check_ready(peers);
                self.publish_status().await;
            }
            _ => {}
        }
    }

    pub(crate) fn provide(&mut self, key: Vec<u8>) {
        if let Some(k) = self.swarm.behaviour_mut().kad.as_mut() {
            if let Err(e) = k.start_providing(kad::RecordKey::new(&key)) {
                warn!("cannot announce: {e}");
            }
        }
    }

    pub(crate) fn unprovide(&mut self, key: Vec<u8>) {
        if let Some(k) = self.swarm.behaviour_mut().kad.as_mut() {
            k.stop_providing(&kad::RecordKey::new(&key));
        }
    }

    pub(crate) fn find_providers(&mut self, key: Vec<u8>) {
        if let Some(k) = self.swarm.behaviour_mut().kad.as_mut() {
            let id = k.get_providers(kad::RecordKey::new(&key));
            debug!("looking up a rendezvous key");
            self.disc.queries.insert(id, (key, HashSet::new()));
        }
    }

    pub(crate) fn status(&mut self) -> NetStatus {
        let reservations = self
            .relay_listeners
            .values()
            .filter(|a| peer_of(a).is_some_and(|p| self.disc.reserved.contains(&p)))
            .cloned()
            .collect();
        let dht_mode = self.swarm.behaviour_mut().kad.as_mut().map(|k| match k.mode() {
            kad::Mode::Client => "client",
            kad::Mode::Server => "server",
        });
        NetStatus {
            reachability: self.disc.reachability,
            reservations,
            external: self.swarm.external_addresses().cloned().collect(),
            dht_mode,
            dht_peers: self.dht_peers(),
        }
    }
}
