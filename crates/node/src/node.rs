//! The running node: the data dir's store and sync engine on the libp2p network.
//!
//! Tasks: one reads network events (connections, gossip, sync requests); one validates and
//! stores gossip in batches and tells gossipsub what to forward; one announces records other
//! processes (the CLI) wrote to the same data dir; one redials remembered peers, re-syncs and
//! purges expired records.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use confab_core::record::verify_all;
use confab_core::{AuthorKey, Body, Live, Record, RecordId, RecordKind, Space, SpaceId, SpaceKind, Ticket};
use confab_net::{MessageAcceptance, MessageId, Multiaddr, NetConfig, NetEvent, NetHandle, PeerId, PeerInfo};
use confab_store::Inserted;
use confab_sync::proto::Response;
use confab_sync::{Progress, SyncError, SyncStats, Transport};
use serde::Serialize;
use tokio::sync::{broadcast, mpsc, watch};
use tracing::{debug, info, warn};

use crate::{FloodLimits, Local, NodeConfig, NodeError, SELF_ADDRS_SETTING};

/// File in the data dir listing connected peers while a node runs (read by `confab peers`).
pub const PEERS_FILE: &str = "peers.json";
/// File in the data dir a running node holds locked.
pub const LOCK_FILE: &str = "node.lock";

const GOSSIP_BATCH: usize = 512;
const RESYNC_EVERY: Duration = Duration::from_secs(30);
const OUTBOX_EVERY: Duration = Duration::from_millis(100);
/// After a session that found records a peer lacks, look again this much later…
const RECHECK_AFTER: Duration = Duration::from_secs(2);
/// …at most this many times in a row (then the periodic re-sync takes over).
const RECHECKS: u32 = 3;

/// A connected peer, as written to `peers.json` and shown to people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PeerStatus {
    /// Its peer id.
    pub peer_id: String,
    /// `lan`, `relay` or `direct`.
    pub how: String,
    /// The address of the connection.
    pub addr: String,
}

/// Something the node did that a UI or a log wants to know.
#[derive(Clone, Debug)]
pub enum NodeEvent {
    /// Listening on an address.
    Listening(String),
    /// A peer connected, or is now reached a better way.
    PeerConnected(PeerStatus),
    /// A peer's last connection closed.
    PeerDisconnected(String),
    /// A space's key was rotated (the owner removed someone), or this member was removed.
    Rotated {
        /// The space.
        space: SpaceId,
        /// Its new epoch.
        epoch: u32,
        /// False if this member was removed.
        member: bool,
    },
    /// Records were stored, live (gossip) or written here.
    Inserted {
        /// The records.
        records: Arc<Vec<Inserted>>,
        /// True if written on this machine.
        local: bool,
    },
    /// Catch-up progress with a peer.
    SyncProgress {
        /// The peer.
        peer: String,
        /// Where it stands.
        progress: Progress,
    },
    /// A sync session with a peer over a space moved records.
    SyncDone {
        /// The peer.
        peer: String,
        /// The space.
        space: SpaceId,
        /// What moved.
        stats: SyncStats,
    },
    /// A member's pointer or stroke in progress on a board (never stored).
    Live {
        /// The board.
        space: SpaceId,
        /// Who.
        author: AuthorKey,
        /// What they are doing.
        live: Live,
    },
    /// A peer misbehaved and was dropped.
    PeerDropped {
        /// The peer.
        peer: String,
        /// Why.
        reason: String,
    },
}

struct Gossip {
    source: PeerId,
    id: MessageId,
    topic: String,
    data: Vec<u8>,
}

/// A board's live topic: the space (for its key) and how many frames each author sent in the
/// current second.
struct LiveTopic {
    space: Space,
    second: u64,
    counts: HashMap<AuthorKey, u32>,
}

/// Live frames accepted per author per board per second; more are dropped unforwarded.
/// (Invalid frames, unlike these, count against the forwarding peer's gossip score.)
pub const LIVE_PER_SECOND: u32 = 40;

/// Why a live frame was not passed on.
enum LiveRefusal {
    /// Over the author's rate.
    Rate(String),
    /// Not a valid frame for the board.
    Invalid(String),
}

/// What to do with one more gossip record from a peer.
enum Allow {
    /// Within its allowance.
    Yes,
    /// Over it: drop the record, do not forward it.
    Throttled,
    /// Still sending long after: disconnect.
    Drop,
}

/// One peer's allowance of gossip records in one space.
struct Bucket {
    tokens: f64,
    last: Instant,
    /// Records refused in the current flood: since the bucket was last at least half full.
    over: u32,
}

struct Inner {
    local: Local,
    net: NetHandle,
    events: broadcast::Sender<NodeEvent>,
    peers: Mutex<HashMap<PeerId, PeerInfo>>,
    syncing: Mutex<HashMap<PeerId, bool>>,
    backoff: Mutex<HashMap<PeerId, (u32, Instant)>>,
    topics: Mutex<HashMap<String, SpaceId>>,
    live: Mutex<HashMap<String, LiveTopic>>,
    rechecks: Mutex<HashMap<(PeerId, SpaceId), u32>>,
    flood: FloodLimits,
    buckets: Mutex<HashMap<(PeerId, SpaceId), Bucket>>,
    cooling: Mutex<HashMap<PeerId, Instant>>,
    static_dials: Vec<Multiaddr>,
    listening: Mutex<Vec<String>>,
    stop: watch::Sender<bool>,
    lock: Mutex<Option<std::fs::File>>,
}

/// A running node. Cheap to clone; [`Node::shutdown`] stops it.
#[derive(Clone)]
pub struct Node(Arc<Inner>);

fn lock_data_dir(local: &Local) -> Result<std::fs::File, NodeError> {
    let path = local.dir().join(LOCK_FILE);
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| NodeError::Invalid(format!("{}: {e}", path.display())))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => Err(NodeError::Invalid(format!(
            "a node is already running on {}; stop it first or use another --data dir",
            local.dir().display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(NodeError::Invalid(format!("{}: {e}", path.display()))),
    }
}

/// True if a node holds the data dir's lock.
pub fn node_running(dir: &std::path::Path) -> bool {
    match std::fs::OpenOptions::new().write(true).open(dir.join(LOCK_FILE)) {
        Ok(f) => matches!(f.try_lock(), Err(std::fs::TryLockError::WouldBlock)),
        Err(_) => false,
    }
}

struct NetTransport {
    net: NetHandle,
    peer: PeerId,
    /// Reached only through a relay circuit.
    limited: bool,
}

impl Transport for NetTransport {
    fn call(
        &mut self,
        frame: Vec<u8>,
    ) -> impl std::future::Future<Output = Result<Vec<u8>, SyncError>> + Send {
        let reply = self.net.start_request(self.peer, frame);
        async move { reply.await.map_err(|e| SyncError::Transport(e.to_string())) }
    }

    fn limited(&self) -> bool {
        self.limited
    }
}

impl Node {
    /// Starts a node on an open data dir: takes the data dir's lock, starts the network,
    /// joins the gossip topic of every space and begins dialling.
    pub async fn start(local: Local, cfg: NodeConfig) -> Result<Node, NodeError> {
        let lock = lock_data_dir(&local)?;
        let local = local.for_node();
        let mut netcfg = NetConfig::new(local.identity().keypair().clone());
        if !cfg.listen.is_empty() {
            netcfg.listen = cfg.listen.clone();
        }
        netcfg.dial = cfg.dial.clone();
        netcfg.relays = cfg.relays.clone();
        netcfg.mdns = cfg.mdns;
        netcfg.relay_server = cfg.relay_server;
        netcfg.circuit_limits = (Duration::from_secs(cfg.circuit_limits.0), cfg.circuit_limits.1);
        netcfg.max_frame = confab_sync::proto::MAX_FRAME;
        netcfg.max_gossip = confab_core::record::MAX_RECORD_SIZE + 4096;
        let (net, net_events) = confab_net::spawn(netcfg).map_err(|e| NodeError::Invalid(e.to_string()))?;
        let (events, _) = broadcast::channel(4096);
        let (stop, _) = watch::channel(false);
        let node = Node(Arc::new(Inner {
            local,
            net,
            events,
            peers: Mutex::new(HashMap::new()),
            syncing: Mutex::new(HashMap::new()),
            backoff: Mutex::new(HashMap::new()),
            topics: Mutex::new(HashMap::new()),
            live: Mutex::new(HashMap::new()),
            rechecks: Mutex::new(HashMap::new()),
            flood: cfg.flood,
            buckets: Mutex::new(HashMap::new()),
            cooling: Mutex::new(HashMap::new()),
            static_dials: cfg.dial.clone(),
            listening: Mutex::new(Vec::new()),
            stop,
            lock: Mutex::new(Some(lock)),
        }));
        let sink = node.0.events.clone();
        let (rot_tx, rot_rx) = mpsc::unbounded_channel::<SpaceId>();
        node.local().syncer().observe(move |ins, local| {
            for r in ins.iter().filter(|r| r.kind == RecordKind::Rekey) {
                let _ = rot_tx.send(r.space);
            }
            let _ = sink.send(NodeEvent::Inserted {
                records: Arc::new(ins.to_vec()),
                local,
            });
        });
        node.local().store().set_setting(SELF_ADDRS_SETTING, "[]").await?;
        for space in node.local().store().spaces().await? {
            let _ = node.watch_space(&space);
        }
        let (gossip_tx, gossip_rx) = mpsc::channel(8192);
        tokio::spawn(node.clone().network_events(net_events, gossip_tx));
        tokio::spawn(node.clone().gossip_worker(gossip_rx));
        tokio::spawn(node.clone().outbox_worker());
        tokio::spawn(node.clone().rotation_worker(rot_rx));
        tokio::spawn(node.clone().maintenance());
        Ok(node)
    }

    /// The data dir.
    pub fn local(&self) -> &Local {
        &self.0.local
    }

    /// This node's peer id.
    pub fn peer_id(&self) -> PeerId {
        self.0.net.local_peer_id()
    }

    /// A new receiver of node events.
    pub fn events(&self) -> broadcast::Receiver<NodeEvent> {
        self.0.events.subscribe()
    }

    fn emit(&self, ev: NodeEvent) {
        let _ = self.0.events.send(ev);
    }

    fn stopped(&self) -> watch::Receiver<bool> {
        self.0.stop.subscribe()
    }

    /// Connected peers and how each is reached.
    pub fn peers(&self) -> Vec<PeerStatus> {
        let mut v: Vec<PeerStatus> = lock(&self.0.peers).values().map(status).collect();
        v.sort_by(|a, b| a.peer_id.cmp(&b.peer_id));
        v
    }

    /// Addresses this node listens on, relay circuits included.
    pub fn listening(&self) -> Vec<String> {
        lock(&self.0.listening).clone()
    }

    /// Stops the network and the node's tasks and releases the data dir.
    pub fn shutdown(&self) {
        let _ = self.0.stop.send(true);
        self.0.net.shutdown();
        let _ = std::fs::remove_file(self.peers_file());
        // Closing the file releases the lock: another node may now start on this data dir.
        lock(&self.0.lock).take();
    }

    /// Writes a record in a space and announces it to peers at once.
    pub async fn write(&self, space: &Space, body: Body, refs: Vec<RecordId>) -> Result<RecordId, NodeError> {
        let rec = self.local().write_record(space, body, refs, None).await?;
        self.announce(space, &rec).await;
        Ok(rec.id)
    }

    /// Writes many records in one transaction and announces each to peers (bursts of
    /// strokes, scripted load).
    pub async fn write_many(&self, space: &Space, bodies: Vec<Body>) -> Result<Vec<RecordId>, NodeError> {
        let recs = self.local().write_batch(space, bodies).await?;
        let messages = recs.iter().map(|r| r.encoded().to_vec()).collect();
        if let Err(e) = self.0.net.publish_many(space.topic(), messages).await {
            debug!("publish: {e}");
        }
        Ok(recs.iter().map(|r| r.id).collect())
    }

    /// Dials an address (with or without `/p2p/<peer id>`); the peer is synced with on
    /// connecting like any other.
    pub fn dial(&self, addr: Multiaddr) -> Result<(), NodeError> {
        let r = match confab_net::peer_of(&addr) {
            Some(p) => self.0.net.dial_peer(p, vec![addr]),
            None => self.0.net.dial(addr),
        };
        r.map_err(|e| NodeError::Invalid(e.to_string()))
    }

    async fn announce(&self, space: &Space, rec: &Record) {
        // A rotation record is read by the members of the epoch before it: announce each
        // record on the topic of the key it is sealed with.
        let topic = space.topic_at(rec.ts.0);
        if let Err(e) = self.0.net.publish(topic, rec.encoded().to_vec()).await {
            debug!("publish: {e}");
        }
    }

    /// Creates a space owned by this node; returns it and its ticket.
    pub async fn create_space(&self, kind: SpaceKind, name: &str) -> Result<(Space, String), NodeError> {
        let (space, ticket) = self.local().create_space(kind, name).await?;
        let _ = self.watch_space(&space);
        Ok((space, ticket))
    }

    /// Joins the space a ticket invites into, dials the inviter and syncs with every peer.
    pub async fn join(&self, ticket: &str) -> Result<Ticket, NodeError> {
        // The join record reaches connected peers by the first session's push (`offer`), and
        // peers met later by their own pull on connecting.
        let t = self.local().join(ticket).await?;
        self.on_new_space(&t.space, Some(&t)).await;
        Ok(t)
    }

    /// Subscribes to the space's topics for its current key, leaving those of older keys (a
    /// rotation moves the space to new topics) and all of them once this member is removed.
    /// True if anything changed.
    fn watch_space(&self, space: &Space) -> bool {
        let member = space.is_current_member();
        let topic = space.topic();
        let mut changed = false;
        {
            let mut topics = lock(&self.0.topics);
            let stale: Vec<String> = topics
                .iter()
                .filter(|(t, id)| **id == space.id && (**t != topic || !member))
                .map(|(t, _)| t.clone())
                .collect();
            for t in stale {
                topics.remove(&t);
                let _ = self.0.net.unsubscribe(t);
                changed = true;
            }
            if member && topics.insert(topic.clone(), space.id).is_none() {
                let _ = self.0.net.subscribe(topic);
                changed = true;
            }
        }
        if space.kind == SpaceKind::Board {
            let topic = space.live_topic();
            let mut live = lock(&self.0.live);
            let stale: Vec<String> = live
                .iter()
                .filter(|(t, l)| l.space.id == space.id && (**t != topic || !member))
                .map(|(t, _)| t.clone())
                .collect();
            for t in stale {
                live.remove(&t);
                let _ = self.0.net.unsubscribe(t);
            }
            if member && !live.contains_key(&topic) {
                let fresh = LiveTopic {
                    space: space.clone(),
                    second: 0,
                    counts: HashMap::new(),
                };
                live.insert(topic.clone(), fresh);
                let _ = self.0.net.subscribe(topic);
            }
        }
        changed
    }

    /// After a key rotation reached this store: follow the space to its new topics and fetch
    /// from every peer what the new key opens.
    async fn on_rotation(&self, space_id: SpaceId) {
        let Ok(Some(space)) = self.local().store().space(space_id).await else {
            return;
        };
        if self.watch_space(&space) {
            if space.is_current_member() {
                info!(
                    "space {} ({}) moved to key epoch {}",
                    space.id,
                    space.name,
                    space.epoch()
                );
            } else {
                warn!("this member was removed from space {} ({})", space.id, space.name);
            }
            self.emit(NodeEvent::Rotated {
                space: space.id,
                epoch: space.epoch(),
                member: space.is_current_member(),
            });
        }
        if space.is_current_member() {
            let peers: Vec<PeerId> = lock(&self.0.peers).keys().copied().collect();
            for p in peers {
                tokio::spawn(self.clone().sync_peer(p, Some(vec![space.id])));
            }
        }
    }

    /// Removes a member from a space this node owns and rotates the key (see
    /// [`Local::remove_member`]); the rotation is announced on the old key's topic, where
    /// the remaining members are listening, and the node moves to the new one.
    pub async fn remove_member(&self, space: &Space, peer: &str) -> Result<Space, NodeError> {
        let (rec, updated) = self.local().remove_member(space, peer).await?;
        // Sealed with the old key: announced on the old key's topic, where its members listen.
        self.announce(&updated, &rec).await;
        self.on_rotation(space.id).await;
        Ok(updated)
    }

    /// Sends where this node's pointer is and the stroke it is drawing to the board's members.
    /// Nothing is stored; a finished stroke is written with [`Node::write`] as usual.
    pub async fn send_live(&self, space: &Space, live: &Live) -> Result<(), NodeError> {
        if space.kind != SpaceKind::Board {
            return Err(NodeError::Invalid(format!(
                "live presence is for whiteboards; {:?} is a {} space",
                space.name, space.kind
            )));
        }
        let frame = space
            .seal_live(self.local().identity().signing_key(), live, confab_core::now_ms())
            .map_err(|e| NodeError::Invalid(e.to_string()))?;
        if let Err(e) = self.0.net.publish(space.live_topic(), frame).await {
            // No one else on the board yet: nothing to tell.
            debug!("live publish: {e}");
        }
        Ok(())
    }

    /// Checks a live frame: the board's key, the author's signature, its age and the author's
    /// rate. Returns the event to raise, or why it was refused.
    fn check_live(&self, topic: &str, data: &[u8]) -> Option<Result<NodeEvent, LiveRefusal>> {
        let mut live = lock(&self.0.live);
        let t = live.get_mut(topic)?;
        let now = confab_core::now_ms();
        Some(match t.space.open_live(data, now) {
            Ok((author, frame)) => {
                let second = now / 1000;
                if second != t.second {
                    t.second = second;
                    t.counts.clear();
                }
                let n = t.counts.entry(author).or_insert(0);
                *n += 1;
                if *n > LIVE_PER_SECOND {
                    Err(LiveRefusal::Rate(format!(
                        "more than {LIVE_PER_SECOND} live frames a second"
                    )))
                } else {
                    Ok(NodeEvent::Live {
                        space: t.space.id,
                        author,
                        live: frame,
                    })
                }
            }
            Err(e) => Err(LiveRefusal::Invalid(e.to_string())),
        })
    }

    async fn on_new_space(&self, space: &Space, ticket: Option<&Ticket>) {
        let _ = self.watch_space(space);
        if let Some(t) = ticket {
            let inviter: Option<PeerId> = t.inviter.peer_id().parse().ok();
            let addrs: Vec<Multiaddr> = t.addrs.iter().filter_map(|a| a.parse().ok()).collect();
            if let Some(p) = inviter {
                if p != self.peer_id() && !addrs.is_empty() {
                    let _ = self
                        .local()
                        .store()
                        .add_peer_addrs(p.to_string(), addrs.iter().map(|a| a.to_string()).collect())
                        .await;
                    let _ = self.0.net.dial_peer(p, addrs);
                }
            }
        }
        let peers: Vec<PeerId> = lock(&self.0.peers).keys().copied().collect();
        for p in peers {
            tokio::spawn(self.clone().offer(p, space.id));
        }
    }

    /// A first session in a newly joined space with an already connected peer: fetches what
    /// this node lacks and also pushes what the peer lacks (this node's join record), so the
    /// owner learns of a new member at once rather than at its next re-sync.
    async fn offer(self, peer: PeerId, space: SpaceId) {
        let mut t = self.transport(peer);
        let mut progress = self.progress_to_events(peer);
        match self
            .local()
            .syncer()
            .sync_space(space, &mut t, &mut progress)
            .await
        {
            Ok(stats) => debug!(
                "first sync of {} with {peer}: sent {}, received {}",
                &space.to_string()[..12],
                stats.pushed,
                stats.received
            ),
            Err(e) => {
                debug!("first sync with {peer}: {e}");
                self.ended_early(peer, space);
            }
        }
    }

    /// The sync transport to `peer`, limited if the peer is reached only through a relay.
    fn transport(&self, peer: PeerId) -> NetTransport {
        NetTransport {
            net: self.0.net.clone(),
            peer,
            limited: self.relayed_only(peer),
        }
    }

    /// A progress callback that turns a session's reports into node events.
    fn progress_to_events(&self, peer: PeerId) -> impl FnMut(Progress) + Send + 'static {
        let events = self.0.events.clone();
        let pname = peer.to_string();
        move |p: Progress| {
            let _ = events.send(NodeEvent::SyncProgress {
                peer: pname.clone(),
                progress: p,
            });
        }
    }

    /// A sync session that ended early: tells progress watchers it is over.
    fn ended_early(&self, peer: PeerId, space: SpaceId) {
        self.emit(NodeEvent::SyncProgress {
            peer: peer.to_string(),
            progress: Progress {
                space,
                phase: confab_sync::Phase::Done,
                done: 0,
                total: 0,
            },
        });
    }

    fn peers_file(&self) -> PathBuf {
        self.local().dir().join(PEERS_FILE)
    }

    fn write_peers_file(&self) {
        let json = serde_json::to_string(&self.peers()).unwrap_or_else(|_| "[]".into());
        let tmp = self.local().dir().join(format!("{PEERS_FILE}.tmp"));
        if std::fs::write(&tmp, json).is_ok() {
            let _ = std::fs::rename(&tmp, self.peers_file());
        }
    }

    async fn save_listening(&self) {
        let list = self.listening();
        let json = serde_json::to_string(&list).unwrap_or_else(|_| "[]".into());
        let _ = self.local().store().set_setting(SELF_ADDRS_SETTING, &json).await;
    }

    async fn network_events(self, mut rx: mpsc::Receiver<NetEvent>, gossip: mpsc::Sender<Gossip>) {
        let mut stop = self.stopped();
        loop {
            let ev = tokio::select! {
                ev = rx.recv() => match ev { Some(ev) => ev, None => break },
                _ = stop.changed() => break,
            };
            match ev {
                NetEvent::Listening(a) => {
                    let s = a.to_string();
                    lock(&self.0.listening).push(s.clone());
                    self.save_listening().await;
                    self.emit(NodeEvent::Listening(s));
                }
                NetEvent::ListenClosed(a) => {
                    let s = a.to_string();
                    lock(&self.0.listening).retain(|x| *x != s);
                    self.save_listening().await;
                }
                NetEvent::Connected(info) => {
                    let peer = info.peer;
                    let cooling = lock(&self.0.cooling)
                        .get(&peer)
                        .is_some_and(|t| Instant::now() < *t);
                    if cooling {
                        let _ = self.0.net.disconnect(peer, "cooling off after flooding".into());
                        continue;
                    }
                    let first = lock(&self.0.peers).insert(peer, info.clone()).is_none();
                    lock(&self.0.backoff).remove(&peer);
                    self.write_peers_file();
                    self.emit(NodeEvent::PeerConnected(status(&info)));
                    if first {
                        tokio::spawn(self.clone().sync_peer(peer, None));
                    }
                }
                NetEvent::Disconnected(peer) => {
                    lock(&self.0.buckets).retain(|(p, _), _| *p != peer);
                    lock(&self.0.peers).remove(&peer);
                    self.write_peers_file();
                    self.emit(NodeEvent::PeerDisconnected(peer.to_string()));
                }
                NetEvent::PeerAddrs { peer, addrs } => {
                    let addrs: Vec<String> = addrs
                        .iter()
                        .filter(|a| !a.to_string().contains("/0.0.0.0/"))
                        .map(|a| a.to_string())
                        .collect();
                    if !addrs.is_empty() {
                        let _ = self.local().store().add_peer_addrs(peer.to_string(), addrs).await;
                    }
                }
                NetEvent::DialFailed { peer: Some(peer), .. } => bump(&self.0.backoff, peer),
                NetEvent::DialFailed { peer: None, .. } => {}
                NetEvent::Gossip {
                    source,
                    id,
                    topic,
                    data,
                } => {
                    if let Some(verdict) = self.check_live(&topic, &data) {
                        let acceptance = match verdict {
                            Ok(ev) => {
                                let _ = self.0.events.send(ev);
                                MessageAcceptance::Accept
                            }
                            // Too many: dropped, not held against the sender.
                            Err(LiveRefusal::Rate(why)) => {
                                debug!("live frame from {source}: {why}");
                                MessageAcceptance::Ignore
                            }
                            // Invalid: counts against the sender's gossip score.
                            Err(LiveRefusal::Invalid(why)) => {
                                debug!("live frame from {source}: {why}");
                                MessageAcceptance::Reject
                            }
                        };
                        let _ = self.0.net.report(id, source, acceptance);
                        continue;
                    }
                    if gossip
                        .send(Gossip {
                            source,
                            id,
                            topic,
                            data,
                        })
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
                NetEvent::Request { peer, id, frame } => {
                    tokio::spawn(self.clone().answer(peer, id, frame));
                }
                NetEvent::Dropped { peer, reason } => {
                    self.emit(NodeEvent::PeerDropped {
                        peer: peer.to_string(),
                        reason,
                    });
                }
            }
        }
    }

    async fn answer(self, peer: PeerId, id: u64, frame: Vec<u8>) {
        let author = AuthorKey::from_peer_id(&peer.to_string());
        let limited = self.relayed_only(peer);
        match self.local().syncer().respond_to(author, limited, &frame).await {
            Ok(reply) => {
                let _ = self.0.net.respond(id, reply);
            }
            Err(e) if e.is_peer_fault() => {
                let _ = self.0.net.disconnect(peer, format!("sync request: {e}"));
            }
            Err(e) => {
                warn!("answering {peer}: {e}");
                let reply = Response::Refused {
                    reason: "the peer could not answer".into(),
                }
                .encode();
                let _ = self.0.net.respond(id, reply);
            }
        }
    }

    /// Validates gossip in batches: whatever queued up while the last batch was being stored
    /// goes into the next, so a lone message is stored at once and a flood in bulk.
    async fn gossip_worker(self, mut rx: mpsc::Receiver<Gossip>) {
        let mut stop = self.stopped();
        loop {
            let first = tokio::select! {
                m = rx.recv() => match m { Some(m) => m, None => break },
                _ = stop.changed() => break,
            };
            let mut batch = vec![first];
            while batch.len() < GOSSIP_BATCH {
                match rx.try_recv() {
                    Ok(m) => batch.push(m),
                    Err(_) => break,
                }
            }
            self.ingest_gossip(batch).await;
        }
    }

    async fn ingest_gossip(&self, batch: Vec<Gossip>) {
        let datas: Vec<Vec<u8>> = batch.iter().map(|g| g.data.clone()).collect();
        let checked = match tokio::task::spawn_blocking(move || verify_all(datas)).await {
            Ok(c) => c,
            Err(_) => return,
        };
        let topics = lock(&self.0.topics).clone();
        let mut verdict: Vec<MessageAcceptance> = Vec::with_capacity(batch.len());
        let mut ids: Vec<Option<RecordId>> = Vec::with_capacity(batch.len());
        let mut ok = Vec::new();
        let mut flooders: Vec<(PeerId, SpaceId)> = Vec::new();
        for (g, c) in batch.iter().zip(checked) {
            match c {
                Ok(v) if topics.get(&g.topic) == Some(&v.space) => match self.allow(g.source, v.space) {
                    Allow::Yes => {
                        ids.push(Some(v.id));
                        verdict.push(MessageAcceptance::Accept);
                        ok.push(v);
                    }
                    Allow::Throttled => {
                        ids.push(None);
                        verdict.push(MessageAcceptance::Ignore);
                    }
                    Allow::Drop => {
                        ids.push(None);
                        verdict.push(MessageAcceptance::Ignore);
                        flooders.push((g.source, v.space));
                    }
                },
                Ok(_) => {
                    ids.push(None);
                    verdict.push(MessageAcceptance::Reject);
                }
                Err(e) => {
                    debug!("gossip from {}: {e}", g.source);
                    ids.push(None);
                    verdict.push(MessageAcceptance::Reject);
                }
            }
        }
        for (peer, space) in flooders {
            let secs = self.0.flood.cool_off_secs;
            lock(&self.0.cooling).insert(peer, Instant::now() + Duration::from_secs(secs));
            let why = format!(
                "flooding: over {} records a second into space {} (refused for {secs} s)",
                self.0.flood.per_second,
                &space.to_string()[..12]
            );
            warn!("{peer}: {why}");
            let _ = self.0.net.disconnect(peer, why);
        }
        match self.local().syncer().insert(ok).await {
            Ok(report) => {
                let refused: HashSet<RecordId> = report.refused.iter().filter_map(|(id, _)| *id).collect();
                for (i, id) in ids.iter().enumerate() {
                    if let Some(id) = id {
                        if refused.contains(id) {
                            verdict[i] = MessageAcceptance::Reject;
                        }
                    }
                }
                for (_, why) in &report.refused {
                    debug!("gossip record refused: {why}");
                }
            }
            Err(e) => {
                warn!("storing gossip: {e}");
                verdict.iter_mut().for_each(|v| *v = MessageAcceptance::Ignore);
            }
        }
        for (g, v) in batch.into_iter().zip(verdict) {
            let _ = self.0.net.report(g.id, g.source, v);
        }
    }

    /// True if `peer` is reached only through a relay circuit (no direct connection yet).
    fn relayed_only(&self, peer: PeerId) -> bool {
        lock(&self.0.peers)
            .get(&peer)
            .is_some_and(|i| i.reach == confab_net::Reach::Relay)
    }

    /// Takes one record from `peer`'s allowance in `space`.
    fn allow(&self, peer: PeerId, space: SpaceId) -> Allow {
        let FloodLimits {
            per_second, burst, ..
        } = self.0.flood;
        let now = Instant::now();
        let mut buckets = lock(&self.0.buckets);
        let b = buckets.entry((peer, space)).or_insert(Bucket {
            tokens: burst as f64,
            last: now,
            over: 0,
        });
        let elapsed = now.duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * per_second as f64).min(burst as f64);
        b.last = now;
        // A flood ends when the allowance has half refilled; until then every refused record
        // counts, even if a token trickles in between batches (counting only refusals in a row
        // let a sender pacing itself just above the rate go on for ever).
        if b.tokens >= burst as f64 / 2.0 {
            b.over = 0;
        }
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Allow::Yes
        } else {
            b.over += 1;
            if b.over == burst.max(1) {
                Allow::Drop
            } else {
                Allow::Throttled
            }
        }
    }

    async fn rotation_worker(self, mut rx: mpsc::UnboundedReceiver<SpaceId>) {
        let mut stop = self.stopped();
        loop {
            let space = tokio::select! {
                s = rx.recv() => match s { Some(s) => s, None => break },
                _ = stop.changed() => break,
            };
            self.on_rotation(space).await;
        }
    }

    /// Announces records the CLI wrote to this data dir and picks up spaces it joined.
    async fn outbox_worker(self) {
        let mut stop = self.stopped();
        let mut tick = tokio::time::interval(OUTBOX_EVERY);
        let mut last_version = -1i64;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.changed() => break,
            }
            let store = self.local().store();
            let Ok(v) = store.data_version().await else {
                continue;
            };
            if v == last_version {
                continue;
            }
            last_version = v;
            if let Ok(spaces) = store.spaces().await {
                let known: HashSet<SpaceId> = lock(&self.0.topics).values().copied().collect();
                for s in spaces {
                    if !known.contains(&s.id) && s.is_current_member() {
                        info!("joined space {} ({})", s.id, s.name);
                        self.on_new_space(&s, None).await;
                    } else if !lock(&self.0.topics).contains_key(&s.topic()) {
                        // The CLI rotated its key (or this member learnt it was removed).
                        self.on_rotation(s.id).await;
                    }
                }
            }
            let Ok(queued) = store.take_outbox(1024).await else {
                continue;
            };
            if queued.is_empty() {
                continue;
            }
            let mut by_space: HashMap<SpaceId, Vec<Vec<u8>>> = HashMap::new();
            for (space, raw) in queued {
                by_space.entry(space).or_default().push(raw);
            }
            for (space_id, raws) in by_space {
                let Ok(Some(space)) = store.space(space_id).await else {
                    continue;
                };
                let mut inserted = Vec::new();
                for raw in raws {
                    let Ok(rec) = Record::decode(&raw) else { continue };
                    self.local()
                        .syncer()
                        .index()
                        .note_inserted([(&rec.space, &rec.sync_key())]);
                    self.announce(&space, &rec).await;
                    if let Ok(body) = space.decrypt(&rec) {
                        inserted.push(Inserted::new(&rec, body));
                    }
                }
                self.emit(NodeEvent::Inserted {
                    records: Arc::new(inserted),
                    local: true,
                });
            }
        }
    }

    async fn maintenance(self) {
        let mut stop = self.stopped();
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        let mut last_resync = Instant::now();
        let mut last_purge = Instant::now();
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.changed() => break,
            }
            self.redial().await;
            if last_resync.elapsed() >= RESYNC_EVERY {
                last_resync = Instant::now();
                let peers: Vec<PeerId> = lock(&self.0.peers).keys().copied().collect();
                for p in peers {
                    tokio::spawn(self.clone().sync_peer(p, None));
                }
            }
            if last_purge.elapsed() >= Duration::from_secs(60) {
                last_purge = Instant::now();
                if let Ok(spaces) = self.local().store().purge_expired().await {
                    for s in spaces {
                        self.local().syncer().index().invalidate(&s);
                    }
                }
            }
        }
    }

    async fn redial(&self) {
        let connected: HashSet<PeerId> = lock(&self.0.peers).keys().copied().collect();
        let now = Instant::now();
        let due = |p: &PeerId| lock(&self.0.backoff).get(p).is_none_or(|(_, next)| *next <= now);
        for a in &self.0.static_dials {
            let peer = confab_net::peer_of(a);
            match peer {
                Some(p) if connected.contains(&p) || !due(&p) => {}
                Some(p) => {
                    let _ = self.0.net.dial_peer(p, vec![a.clone()]);
                    bump(&self.0.backoff, p);
                }
                None if connected.is_empty() => {
                    let _ = self.0.net.dial(a.clone());
                }
                None => {}
            }
        }
        let Ok(book) = self.local().store().peer_addrs().await else {
            return;
        };
        for (peer, addrs) in book {
            let Ok(p) = peer.parse::<PeerId>() else { continue };
            if p == self.peer_id() || connected.contains(&p) || !due(&p) {
                continue;
            }
            let addrs: Vec<Multiaddr> = addrs.iter().filter_map(|a| a.parse().ok()).collect();
            if !addrs.is_empty() {
                let _ = self.0.net.dial_peer(p, addrs);
                bump(&self.0.backoff, p);
            }
        }
    }

    /// Reconciles `space` with `peer` again in a few seconds (at most RECHECKS times in a row),
    /// to learn when the peer has fetched what it lacked.
    fn recheck_later(&self, peer: PeerId, space: SpaceId) {
        {
            let mut r = lock(&self.0.rechecks);
            let n = r.entry((peer, space)).or_insert(0);
            if *n >= RECHECKS {
                return;
            }
            *n += 1;
        }
        let node = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(RECHECK_AFTER).await;
            if lock(&node.0.peers).contains_key(&peer) {
                node.sync_peer(peer, Some(vec![space])).await;
            }
        });
    }

    /// Fetches what this node lacks of spaces (all joined ones if `None`) from a peer; one
    /// session per peer at a time, re-run once if asked again meanwhile. Both sides of a
    /// connection run their own pull, so whoever is behind drives and reports its catch-up.
    async fn sync_peer(self, peer: PeerId, spaces: Option<Vec<SpaceId>>) {
        {
            let mut s = lock(&self.0.syncing);
            if let Some(again) = s.get_mut(&peer) {
                *again = true;
                return;
            }
            s.insert(peer, false);
        }
        let mut only = spaces;
        loop {
            let ids: Vec<SpaceId> = match only.take() {
                Some(v) => v,
                None => match self.local().store().spaces().await {
                    Ok(v) => v.into_iter().map(|s| s.id).collect(),
                    Err(_) => Vec::new(),
                },
            };
            let mut t = self.transport(peer);
            for space in ids {
                let mut progress = self.progress_to_events(peer);
                let started = confab_core::now_ms();
                match self
                    .local()
                    .syncer()
                    .pull_space(space, &mut t, &mut progress)
                    .await
                {
                    Ok(stats) => {
                        // Reconciliation showed the peer lacks nothing: it holds everything
                        // this store had when the session began ("held by N peers"). If it
                        // lacks some, it is fetching them itself; look again shortly.
                        if stats.have == 0 {
                            lock(&self.0.rechecks).remove(&(peer, space));
                            let _ = self
                                .local()
                                .store()
                                .add_holder(space, peer.to_string(), started)
                                .await;
                        } else {
                            self.recheck_later(peer, space);
                        }
                        if stats.have + stats.need > 0 {
                            info!(
                                "synced {} with {peer}: sent {}, received {}, refused {}",
                                &space.to_string()[..12],
                                stats.pushed,
                                stats.received,
                                stats.refused
                            );
                            self.emit(NodeEvent::SyncDone {
                                peer: peer.to_string(),
                                space,
                                stats,
                            });
                        }
                    }
                    Err(e) => {
                        self.ended_early(peer, space);
                        if matches!(e, SyncError::Refused(_)) {
                            continue;
                        }
                        if e.is_peer_fault() {
                            let _ = self.0.net.disconnect(peer, format!("sync: {e}"));
                        } else {
                            debug!("sync with {peer}: {e}");
                        }
                        break;
                    }
                }
            }
            let mut s = lock(&self.0.syncing);
            if s.get(&peer) == Some(&true) && lock(&self.0.peers).contains_key(&peer) {
                s.insert(peer, false);
                continue;
            }
            s.remove(&peer);
            break;
        }
    }
}

fn bump(backoff: &Mutex<HashMap<PeerId, (u32, Instant)>>, p: PeerId) {
    let mut b = lock(backoff);
    let e = b.entry(p).or_insert((0, Instant::now()));
    e.0 = (e.0 + 1).min(8);
    e.1 = Instant::now() + Duration::from_secs(1 << e.0).min(Duration::from_secs(300));
}

fn status(info: &PeerInfo) -> PeerStatus {
    PeerStatus {
        peer_id: info.peer.to_string(),
        how: info.reach.as_str().to_string(),
        addr: info.addr.to_string(),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Reads `peers.json` of a data dir: the peers a running node there is connected to. Empty
/// when no node runs.
pub fn read_peers(dir: &std::path::Path) -> Vec<PeerStatus> {
    if !node_running(dir) {
        return Vec::new();
    }
    std::fs::read(dir.join(PEERS_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}
