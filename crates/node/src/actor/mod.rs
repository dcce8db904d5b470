//! The running node as one actor: a single task owns the node's state (peers, topics, the
//! policies, catch-up progress) and selects over four inputs:
//!
//! - network events from the task that owns the libp2p swarm (`confab_net`);
//! - commands from [`NodeHandle`]s (the app's and the CLI's requests that need the network);
//! - the store's change feed (records stored by any path, spaces joined, keys rotated);
//! - a timer, on which the policies say what is due;
//!
//! and reports from the work it hands out (sync sessions, answers to peers, the gossip
//! ingest worker). It never waits on the network task or the store: what it sends them is
//! fire-and-forget, and results come back as messages. The policies are the sans-IO state
//! machines of [`crate::policy`].

mod blob_serve;
mod blob_tasks;
mod blobs;
mod handle;
mod lifecycle;
mod link;
mod network;
mod people;
mod periodic;
mod sync;
mod tasks;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use confab_core::{AuthorKey, RecordKind, RendezvousKey, Role, Space, SpaceId, SpaceKind};
use confab_net::{Multiaddr, NetConfig, NetEvent, NetHandle, NetStatus, PeerId, PeerInfo};
use confab_store::{Change, Inserted, Origin};
use confab_sync::{Progress, SyncError, SyncStats};
use tokio::sync::{broadcast, mpsc};
use tracing::{debug, info, warn};

use crate::config::NodeConfig;
use crate::engine::{Engine, BOOTSTRAP_SETTING, SELF_ADDRS_SETTING, TICKET_BOOTSTRAP_SETTING};
use crate::events::NodeEvent;
use crate::policy::flood::FloodGate;
use crate::policy::holders::Holders;
use crate::policy::live::{LiveGate, LIVE_PER_SECOND};
use crate::policy::redial::Redial;
use crate::policy::rendezvous::Rendezvous;
use crate::policy::schedule::Schedule;
use crate::policy::sessions::{Scope, Sessions};
use crate::view::{DhtView, PeerView, ProgressView, RendezvousView};
use crate::NodeError;

pub(crate) use handle::{Command, Held, NodeHandle, Status};
pub(crate) use tasks::GossipItem;

/// How often the actor asks its policies what is due.
const TICK: Duration = Duration::from_millis(250);
/// A batch of local records larger than this is not announced live: peers fetch it by sync
/// at their own pace. Well under the default flood burst, so a bulk import never gets its
/// writer dropped by its peers.
pub(crate) const ANNOUNCE_MAX: usize = 10_000;

/// What the actor's workers report back.
pub(crate) enum Report {
    /// A sync session's progress.
    Progress { peer: PeerId, progress: Progress },
    /// A pull session over one space ended.
    Synced {
        peer: PeerId,
        space: SpaceId,
        started_ms: u64,
        result: Result<SyncStats, SyncError>,
    },
    /// A peer's session (all its spaces) ended.
    SessionEnded(PeerId),
    /// A first session in a newly joined space (which also pushes) failed.
    OfferFailed { peer: PeerId, space: SpaceId },
    /// Files: see [`blobs::BlobReport`].
    Blob(blobs::BlobReport),
}

/// The actor's state.
struct Actor {
    engine: Engine,
    /// The link tickets this device issued (shared with the handles that issue and approve).
    links: Arc<std::sync::Mutex<crate::policy::link::Links>>,
    net: NetHandle,
    me: PeerId,
    events: broadcast::Sender<NodeEvent>,
    reports: mpsc::UnboundedSender<Report>,
    gossip: mpsc::Sender<GossipItem>,
    /// Joined spaces as they are now.
    spaces: HashMap<SpaceId, Space>,
    /// Record topics subscribed, and their space.
    topics: HashMap<String, SpaceId>,
    /// Live-presence topics of boards, and their space.
    live_topics: HashMap<String, SpaceId>,
    peers: HashMap<PeerId, PeerInfo>,
    listening: Vec<String>,
    /// Where peers were last reached (persisted in the store as it changes).
    book: HashMap<PeerId, Vec<Multiaddr>>,
    static_dials: Vec<(Option<PeerId>, Multiaddr)>,
    flood: FloodGate<PeerId, SpaceId>,
    live: LiveGate<SpaceId, AuthorKey>,
    redial: Redial<PeerId>,
    schedule: Schedule,
    holders: Holders<PeerId, SpaceId>,
    sessions: Sessions<PeerId, SpaceId>,
    /// Records gossip carried to nobody: when to push their space by sync.
    pushes: crate::policy::push::Pushes<SpaceId>,
    /// Catch-up per peer and space: (fetched, to fetch).
    progress: HashMap<(PeerId, SpaceId), (u64, u64)>,
    held: Vec<Held>,
    /// When to announce and look up each space in the DHT.
    rendezvous: Rendezvous<SpaceId, RendezvousKey, PeerId>,
    /// The space each looked-up key belongs to.
    lookups: HashMap<Vec<u8>, SpaceId>,
    /// What the network task last said of reachability, relays and the DHT.
    net_status: NetStatus,
    /// Peers this node shares a space with (kept room for; their addresses are remembered).
    members: HashSet<PeerId>,
    /// The members set changed since the network task was told.
    members_changed: bool,
    /// Scheduled newsletter issues: when this device next looks for due ones, and whether a
    /// look is under way.
    next_issue_check: Instant,
    publishing: Arc<std::sync::atomic::AtomicBool>,
    /// Addresses of peers not (yet) known to be members, until they are (bounded).
    unbooked: HashMap<PeerId, Vec<Multiaddr>>,
    /// Downloads, holders and plans of files.
    blobs: blobs::Blobs,
    /// What is fetched and kept of files.
    file_limits: crate::config::FileLimits,
    /// Suspended by the app's lifecycle, or running.
    lifecycle: crate::policy::lifecycle::State,
}

/// Most peers whose addresses are held until they turn out to be members.
const UNBOOKED_MAX: usize = 1024;

/// Starts the network and the actor on the current tokio runtime.
pub(crate) async fn spawn(engine: Engine, cfg: NodeConfig) -> Result<NodeHandle, NodeError> {
    let mut netcfg = NetConfig::new(engine.identity().keypair().clone());
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
    netcfg.max_blob_frame = confab_blobs::proto::MAX_FRAME;
    netcfg.dht = cfg.dht_config();
    // A group's own network: named by tickets joined (used beside the public DHT unless a list
    // was given explicitly), and put in the tickets this node makes when given explicitly.
    let learnt: Vec<Multiaddr> = engine
        .list_setting(TICKET_BOOTSTRAP_SETTING)
        .await?
        .iter()
        .filter_map(|a| a.parse().ok())
        .collect();
    if cfg.bootstrap.is_empty() && !learnt.is_empty() {
        match netcfg.dht.as_mut() {
            Some(d) => {
                d.bootstrap.splice(0..0, learnt);
            }
            // The public DHT is switched off, not the group's own network.
            None => {
                netcfg.dht = Some(confab_net::DhtConfig {
                    bootstrap: learnt,
                    server: cfg.dht_server,
                })
            }
        }
    }
    let own: Vec<String> = cfg.bootstrap.iter().map(|a| a.to_string()).collect();
    engine
        .store()
        .set_setting(
            BOOTSTRAP_SETTING,
            &serde_json::to_string(&own).expect("strings serialise"),
        )
        .await?;
    netcfg.upnp = cfg.upnp;
    netcfg.private_network = cfg.private_network;
    netcfg.connections = confab_net::Limits::with_max(cfg.max_connections);
    let (net, net_rx) = confab_net::spawn(netcfg).map_err(|e| NodeError::Network(e.to_string()))?;
    let store = engine.store().clone();
    store.set_setting(SELF_ADDRS_SETTING, "[]").await?;
    // The feed first, then the state it updates: nothing committed after this is missed.
    let (feed_tx, feed_rx) = mpsc::unbounded_channel::<Arc<Change>>();
    store
        .subscribe(move |c| {
            let _ = feed_tx.send(c.clone());
        })
        .await?;
    let spaces = store.spaces().await?;
    let mut members: HashSet<PeerId> = HashSet::new();
    for s in &spaces {
        for m in store.members(s.id).await? {
            if m.role != Role::Removed {
                members.extend(m.peer.parse::<PeerId>().ok());
                // A person's other devices are peers of their own.
                let live = m.devices.iter().filter(|d| !s.revoked.contains_key(d));
                members.extend(live.filter_map(|d| d.peer_id().parse::<PeerId>().ok()));
            }
        }
    }
    let book = store
        .peer_addrs()
        .await?
        .into_iter()
        .filter_map(|(p, addrs)| {
            let p: PeerId = p.parse().ok()?;
            Some((p, addrs.iter().filter_map(|a| a.parse().ok()).collect()))
        })
        .collect();
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (events, _) = broadcast::channel(4096);
    let (reports_tx, reports_rx) = mpsc::unbounded_channel();
    let (gossip_tx, gossip_rx) = mpsc::channel(8192);
    tokio::spawn(tasks::gossip_worker(store, net.clone(), gossip_rx));
    let now = Instant::now();
    let links = Arc::new(std::sync::Mutex::new(crate::policy::link::Links::default()));
    let mut actor = Actor {
        me: net.local_peer_id(),
        links: links.clone(),
        engine,
        net,
        events: events.clone(),
        reports: reports_tx,
        gossip: gossip_tx,
        spaces: HashMap::new(),
        topics: HashMap::new(),
        live_topics: HashMap::new(),
        peers: HashMap::new(),
        listening: Vec::new(),
        book,
        static_dials: cfg
            .dial
            .iter()
            .map(|a| (confab_net::peer_of(a), a.clone()))
            .collect(),
        flood: FloodGate::new(cfg.flood),
        live: LiveGate::new(LIVE_PER_SECOND),
        redial: Redial::default(),
        schedule: Schedule::new(cfg.resync, now),
        holders: Holders::default(),
        sessions: Sessions::default(),
        pushes: crate::policy::push::Pushes::new(crate::policy::push::PUSH_GAP),
        progress: HashMap::new(),
        held: Vec::new(),
        rendezvous: Rendezvous::new(now),
        lookups: HashMap::new(),
        net_status: NetStatus::default(),
        members,
        members_changed: true,
        next_issue_check: Instant::now(),
        publishing: Arc::default(),
        unbooked: HashMap::new(),
        blobs: blobs::Blobs::default(),
        file_limits: cfg.files,
        lifecycle: Default::default(),
    };
    for s in spaces {
        actor.watch(s);
    }
    tokio::spawn(actor.run(cmd_rx, net_rx, feed_rx, reports_rx));
    Ok(NodeHandle {
        cmd: cmd_tx,
        events,
        links,
    })
}

impl Actor {
    async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut net: mpsc::Receiver<NetEvent>,
        mut feed: mpsc::UnboundedReceiver<Arc<Change>>,
        mut reports: mpsc::UnboundedReceiver<Report>,
    ) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                c = commands.recv() => match c {
                    Some(Command::Shutdown(done)) => {
                        self.stop();
                        let _ = done.send(());
                        break;
                    }
                    Some(c) => self.command(c),
                    // Every handle is gone: nobody can use or stop the node any more.
                    None => {
                        self.stop();
                        break;
                    }
                },
                Some(ev) = net.recv() => self.network(ev, Instant::now()),
                Some(c) = feed.recv() => self.change(&c),
                Some(r) = reports.recv() => self.report(r, Instant::now()),
                _ = tick.tick() => self.tick(Instant::now()),
            }
        }
    }

    fn emit(&self, ev: NodeEvent) {
        let _ = self.events.send(ev);
    }

    fn stop(&mut self) {
        self.net.shutdown();
        // The local socket goes, then the lock: another node may now start on this data dir.
        while let Some(h) = self.held.pop() {
            drop(h);
        }
        info!("node stopped");
    }

    fn command(&mut self, c: Command) {
        match c {
            Command::Peers(reply) => {
                let _ = reply.send(self.peer_views());
            }
            Command::Status(reply) => {
                let _ = reply.send(self.status());
            }
            Command::Dial(addr) => {
                let r = match confab_net::peer_of(&addr) {
                    Some(p) => self.net.dial_peer(p, vec![addr]),
                    None => self.net.dial(addr),
                };
                if let Err(e) = r {
                    warn!("dial: {e}");
                }
            }
            Command::DialPeer(peer, addrs) => {
                if peer != self.me {
                    let _ = self.net.dial_peer(peer, addrs);
                }
            }
            Command::AddBootstrap(addrs) => {
                let _ = self.net.add_bootstrap(addrs);
            }
            Command::Publish(topic, data) => {
                let _ = self.net.publish_detached(topic, vec![data]);
            }
            Command::Hold(h) => self.held.push(h),
            Command::FetchBlob {
                id,
                size,
                space,
                done,
            } => self.fetch_blob(id, size, space, done),
            Command::BlobHolders(reply) => {
                let _ = reply.send(self.blobs.holders());
            }
            Command::Lifecycle(ev) => self.lifecycle(ev, Instant::now()),
            Command::Shutdown(_) => unreachable!("handled by the loop"),
        }
    }

    fn peer_views(&self) -> Vec<PeerView> {
        let mut v: Vec<PeerView> = self.peers.values().map(peer_view).collect();
        v.sort_by(|a, b| a.peer_id.cmp(&b.peer_id));
        v
    }

    fn status(&self) -> Status {
        let mut per_space: HashMap<SpaceId, (u64, u64)> = HashMap::new();
        for ((_, space), (fetched, total)) in &self.progress {
            let e = per_space.entry(*space).or_default();
            e.0 += fetched;
            e.1 += total;
        }
        let mut progress: Vec<ProgressView> = per_space
            .into_iter()
            .map(|(space, (fetched, total))| ProgressView {
                space: space.to_string(),
                fetched,
                total,
            })
            .collect();
        progress.sort_by(|a, b| a.space.cmp(&b.space));
        let ns = &self.net_status;
        Status {
            listening: self.listening.clone(),
            peers: self.peers.len(),
            progress,
            reachability: ns.reachability.as_str().to_string(),
            reservations: ns.reservations.iter().map(|a| a.to_string()).collect(),
            external: ns.external.iter().map(|a| a.to_string()).collect(),
            dht: DhtView {
                mode: ns.dht_mode.unwrap_or("off").to_string(),
                peers: ns.dht_peers,
            },
            rendezvous: self
                .rendezvous
                .summary()
                .into_iter()
                .map(|r| RendezvousView {
                    space: r.space.to_string(),
                    last_announce_ms: r.last_announce_ms,
                    found: r.found,
                })
                .collect(),
        }
    }

    /// What the store committed.
    fn change(&mut self, c: &Change) {
        match c {
            Change::Stored {
                origin,
                inserted,
                rotated,
                ..
            } => {
                if *origin == Origin::Local {
                    self.announce(inserted);
                    self.offer_joins(inserted);
                } else if *origin == Origin::Pushed {
                    self.pass_on(inserted);
                }
                for r in inserted.iter() {
                    let removed = self.spaces.get(&r.space).is_some_and(|s| {
                        s.role_of(&r.author) == Role::Removed || s.role_of(&r.person) == Role::Removed
                    });
                    if !removed {
                        self.add_member(r.author);
                    }
                }
                for s in rotated {
                    self.on_rotation(s.clone());
                }
                if *origin != Origin::Local {
                    self.written_elsewhere(inserted);
                }
                let files = inserted.iter().any(|r| match &r.body {
                    confab_core::Body::Chat(c) => !c.files.is_empty(),
                    confab_core::Body::News(n) => !n.files.is_empty(),
                    confab_core::Body::Picture(_) => true,
                    confab_core::Body::Profile(p) => p.picture.is_some(),
                    _ => false,
                });
                if files && *origin != Origin::Local {
                    self.plan_blobs(Instant::now());
                }
                if !inserted.is_empty() {
                    self.emit(NodeEvent::Inserted {
                        records: inserted.clone(),
                        local: origin.is_local(),
                    });
                }
            }
            Change::Joined(space) => {
                info!("joined space {} ({})", space.id, space.name);
                self.watch(space.clone());
            }
            Change::Expired(_) | Change::Muted { .. } => {}
        }
    }

    /// Publishes records written here on the topic of the key each is sealed with (a
    /// rotation record is read by the members of the epoch before it).
    pub(super) fn announce(&self, inserted: &[Inserted]) {
        if inserted.len() > ANNOUNCE_MAX {
            debug!(
                "not announcing {} records written at once: peers sync them",
                inserted.len()
            );
            return;
        }
        let mut by_topic: Vec<(String, Vec<Vec<u8>>)> = Vec::new();
        let mut current: HashMap<SpaceId, String> = HashMap::new();
        for r in inserted {
            let Some(space) = self.spaces.get(&r.space) else {
                continue;
            };
            // Almost always the current key's topic: derived once per batch.
            let topic = if space.epochs.last().is_none_or(|e| r.ts.0 > e.since) {
                current.entry(r.space).or_insert_with(|| space.topic()).clone()
            } else {
                space.topic_at(r.ts.0)
            };
            match by_topic.iter_mut().find(|(t, _)| *t == topic) {
                Some((_, v)) => v.push(r.encoded.clone()),
                None => by_topic.push((topic, vec![r.encoded.clone()])),
            }
        }
        for (topic, messages) in by_topic {
            let _ = self.net.publish_detached(topic, messages);
        }
    }

    /// This member's join record, just written (it joined a space by ticket): a first
    /// session with every connected peer that also pushes, so the owner learns of the new
    /// member at once, and its history is fetched. (Announced live too, but the topic was only
    /// just joined: there is no gossip mesh yet.) Peers met later pull it themselves.
    fn offer_joins(&mut self, inserted: &[Inserted]) {
        let joined: BTreeSet<SpaceId> = inserted
            .iter()
            .filter(|r| r.kind == RecordKind::Member)
            .map(|r| r.space)
            .collect();
        let peers: Vec<PeerId> = self.peers.keys().copied().collect();
        for space in joined {
            for p in &peers {
                self.offer(*p, space);
            }
        }
    }

    /// Follows a space: subscribes to the topics of its current key, leaving those of older
    /// keys (a rotation moves the space to new topics) and all of them once this member is
    /// removed. True if anything changed.
    fn watch(&mut self, space: Space) -> bool {
        // Members the owner removed are neither kept room for nor redialled.
        for e in &space.epochs {
            for a in &e.removed {
                if let Ok(p) = a.peer_id().parse::<PeerId>() {
                    self.members_changed |= self.members.remove(&p);
                    self.book.remove(&p);
                }
            }
        }
        let member = space.is_current_member();
        let mut changed = false;
        let topic = space.topic();
        let live = matches!(space.kind, SpaceKind::Board | SpaceKind::Chat).then(|| space.live_topic());
        for (map, want) in [(&mut self.topics, Some(topic)), (&mut self.live_topics, live)] {
            let stale: Vec<String> = map
                .iter()
                .filter(|(t, id)| **id == space.id && (Some(*t) != want.as_ref() || !member))
                .map(|(t, _)| t.clone())
                .collect();
            for t in stale {
                map.remove(&t);
                let _ = self.net.unsubscribe(t);
                changed = true;
            }
            if let Some(t) = want.filter(|_| member) {
                if map.insert(t.clone(), space.id).is_none() {
                    let _ = self.net.subscribe(t);
                    changed = true;
                }
            }
        }
        if !member {
            self.live.forget(&space.id);
        }
        self.spaces.insert(space.id, space);
        changed
    }

    /// A key rotation reached the store: follow the space to its new topics and fetch from
    /// every peer what the new key opens.
    fn on_rotation(&mut self, space: Space) {
        let (id, epoch, member) = (space.id, space.epoch(), space.is_current_member());
        let name = space.name.clone();
        if self.watch(space) {
            if member {
                info!("space {id} ({name}) moved to key epoch {epoch}");
            } else {
                warn!("this member was removed from space {id} ({name})");
            }
            self.emit(NodeEvent::Rotated {
                space: id,
                epoch,
                member,
            });
        }
        if member {
            let peers: Vec<PeerId> = self.peers.keys().copied().collect();
            for p in peers {
                self.request_sync(p, Scope::Some(BTreeSet::from([id])));
            }
        }
    }

    /// `author` writes in one of this node's spaces: a member, kept room for, its addresses
    /// remembered.
    fn add_member(&mut self, author: AuthorKey) {
        let Ok(peer) = author.peer_id().parse::<PeerId>() else {
            return;
        };
        if peer == self.me || !self.members.insert(peer) {
            return;
        }
        self.members_changed = true;
        if let Some(addrs) = self.unbooked.remove(&peer) {
            self.book_addrs(peer, addrs);
        }
    }

    /// True if `peer` is reached only through a relay circuit (no direct connection yet).
    fn relayed_only(&self, peer: PeerId) -> bool {
        self.peers
            .get(&peer)
            .is_some_and(|i| i.reach == confab_net::Reach::Relay)
    }
}

fn peer_view(info: &PeerInfo) -> PeerView {
    PeerView {
        peer_id: info.peer.to_string(),
        how: info.reach.as_str().to_string(),
        addr: info.addr.to_string(),
    }
}
