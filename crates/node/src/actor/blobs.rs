//! The actor's files: which blobs to fetch (those named by held records, up to the automatic
//! size and the space's quota, or asked for), the downloads under way (each a
//! [`Download`] schedule fed with holders and answers), answers to peers' blob requests,
//! and the garbage collection of blobs no record names any more.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use confab_blobs::fetch::{After, Ask, AskHolders, Download, Fault};
use confab_blobs::proto::{self, Has, Request, Response};
use confab_blobs::serve::Uploads;
use confab_blobs::{BlobId, Held};
use confab_core::SpaceId;
use confab_net::PeerId;
use tokio::sync::oneshot;
use tracing::{debug, info, warn};

use super::{blob_tasks, Actor, Report};
use crate::events::NodeEvent;

/// A peer asking about blobs no record here names is synced with at most this often.
const UNKNOWN_SYNC_EVERY: Duration = Duration::from_secs(10);
/// Bytes fetched between two syncs of a download to disk.
const SYNC_EVERY_BYTES: u64 = 32 << 20;
/// Downloads under way at once; the rest wait their turn.
const ACTIVE_MAX: usize = 4;
/// How often to look for blobs to fetch and garbage to collect.
const PLAN_EVERY: Duration = Duration::from_secs(5);
/// How often blobs no record names are looked for.
const GC_EVERY: Duration = Duration::from_secs(60);
/// Peers asked at once what they hold.
const ASK_PEERS: usize = 32;
/// Peers asked what they hold while a download goes on.
const REFRESH_PEERS: usize = 8;
/// Holders remembered per blob.
const KNOWN_MAX: usize = 64;

/// What the blob work reports back to the actor.
pub(crate) enum BlobReport {
    /// Blobs named by held records that should be here and are not.
    Wanted(Vec<(BlobId, u64, SpaceId)>),
    /// A download was set up: what is here already.
    Begun {
        id: BlobId,
        space: SpaceId,
        held: Result<Held, String>,
    },
    /// A peer's answer about its holdings.
    Has { peer: PeerId, id: BlobId, has: Has },
    /// A peer says it now holds these blobs.
    Holds { peer: PeerId, blobs: Vec<BlobId> },
    /// An answer to a range request, ingested.
    Answer {
        id: BlobId,
        ask: Ask<PeerId>,
        delivered: Vec<u64>,
        fault: Fault,
        why: Option<String>,
        /// Peers a busy holder named as having had the groups.
        hints: Vec<PeerId>,
    },
    /// A download's partial file was synced to disk.
    Synced { id: BlobId },
    /// A peer asked about a blob that is neither here nor to be fetched.
    Unknown { peer: PeerId },
    /// Groups were sent to a peer that asked.
    Gave {
        peer: PeerId,
        id: BlobId,
        start: u64,
        count: u32,
    },
    /// A download's last check and move into place.
    Finished {
        id: BlobId,
        result: Result<bool, String>,
    },
    /// A peer sent something that is not a blob message.
    Garbage { peer: PeerId, why: String },
}

/// One download.
pub(super) struct Active {
    pub(super) dl: Download<PeerId>,
    space: SpaceId,
    /// Bytes that were here when it began (a resumed download).
    resumed: u64,
    /// Bytes fetched since it began (verified groups delivered).
    fetched: u64,
    finishing: bool,
    /// When the peers that are fetching it too were last told what is here.
    pub(super) told: Option<Instant>,
    /// Bytes fetched since the partial file was last synced to disk, and whether a sync runs.
    unsynced: u64,
    syncing: bool,
}

/// The actor's blob state.
#[derive(Default)]
pub(crate) struct Blobs {
    pub(super) active: HashMap<BlobId, Active>,
    starting: HashSet<BlobId>,
    queue: VecDeque<(BlobId, u64, SpaceId)>,
    waiters: HashMap<BlobId, Vec<oneshot::Sender<Result<(), String>>>>,
    pub(super) known: HashMap<BlobId, BTreeSet<PeerId>>,
    planning: bool,
    last_plan: Option<Instant>,
    last_gc: Option<Instant>,
    /// What was handed out to whom, so that many askers share the upload.
    pub(super) uploads: Uploads<PeerId>,
    /// Turns the few peers asked what they hold while a download goes on.
    rotor: usize,
    /// When this node last synced with a peer because it asked about an unknown blob.
    synced_for_unknown: HashMap<PeerId, Instant>,
    /// Peers that asked about a blob, and when (see `blob_serve::INTEREST_FOR`).
    pub(super) interested: HashMap<BlobId, HashMap<PeerId, Instant>>,
}

impl Blobs {
    /// Whether a blob is being fetched, or is to be.
    pub(super) fn planned(&self, id: &BlobId) -> bool {
        self.active.contains_key(id) || self.starting.contains(id) || self.queue.iter().any(|q| q.0 == *id)
    }

    /// Peers known to hold each blob whole (announced, or answered so).
    pub fn holders(&self) -> HashMap<BlobId, Vec<PeerId>> {
        let mut out: HashMap<BlobId, Vec<PeerId>> = self
            .known
            .iter()
            .map(|(b, ps)| (*b, ps.iter().copied().collect()))
            .collect();
        for (b, a) in &self.active {
            let e = out.entry(*b).or_default();
            for p in a.dl.holders() {
                if !e.contains(&p) {
                    e.push(p);
                }
            }
        }
        out
    }
}

impl Actor {
    /// Asks for a blob to be fetched (whatever its size); `done` hears when it is here.
    pub(super) fn fetch_blob(
        &mut self,
        id: BlobId,
        size: u64,
        space: SpaceId,
        done: oneshot::Sender<Result<(), String>>,
    ) {
        self.blobs.waiters.entry(id).or_default().push(done);
        if !self.blobs.active.contains_key(&id) && !self.blobs.starting.contains(&id) {
            self.begin_blob(id, size, space);
        }
    }

    fn begin_blob(&mut self, id: BlobId, size: u64, space: SpaceId) {
        self.blobs.starting.insert(id);
        let blobs = self.engine.blobs().clone();
        let reports = self.reports.clone();
        tokio::task::spawn_blocking(move || {
            let held = blobs.begin(&id, size).map_err(|e| e.to_string());
            let _ = reports.send(Report::Blob(BlobReport::Begun { id, space, held }));
        });
    }

    /// What is due for files at `now`: a plan, holders to ask, requests to send.
    pub(super) fn tick_blobs(&mut self, now: Instant) {
        let due = self
            .blobs
            .last_plan
            .is_none_or(|t| now.duration_since(t) >= PLAN_EVERY);
        if due && !self.blobs.planning {
            self.plan_blobs(now);
        }
        let ids: Vec<BlobId> = self.blobs.active.keys().copied().collect();
        for id in ids {
            self.pump(id, now);
        }
    }

    /// Looks (off the actor) for blobs to fetch, and collects garbage.
    pub(super) fn plan_blobs(&mut self, now: Instant) {
        self.blobs.planning = true;
        self.blobs.last_plan = Some(now);
        let store = self.engine.store().clone();
        let blobs = self.engine.blobs().clone();
        let limits = self.file_limits;
        let reports = self.reports.clone();
        // A blob no record names is kept a while (a file just attached is named only once its
        // record is written); garbage is looked for at least that often.
        let grace = Duration::from_secs(limits.keep_unnamed_secs);
        let gc = self
            .blobs
            .last_gc
            .is_none_or(|t| now.duration_since(t) >= GC_EVERY.min(grace));
        if gc {
            self.blobs.last_gc = Some(now);
        }
        tokio::spawn(async move {
            let wanted = match store.named_blobs().await {
                Ok(named) => tokio::task::spawn_blocking(move || {
                    blob_tasks::plan(&blobs, named, limits, gc.then_some(grace))
                })
                .await
                .unwrap_or_default(),
                Err(e) => {
                    warn!("files: {e}");
                    Vec::new()
                }
            };
            let _ = reports.send(Report::Blob(BlobReport::Wanted(wanted)));
        });
    }

    /// Sends what a download's schedule says is due.
    fn pump(&mut self, id: BlobId, now: Instant) {
        let Some(a) = self.blobs.active.get_mut(&id) else {
            return;
        };
        if a.finishing {
            return;
        }
        if let Some(which) = a.dl.wants_holders(now) {
            let frame = proto::encode(&Request::Have { blobs: vec![id] });
            let peers: Vec<PeerId> = match which {
                AskHolders::All => self.peers.keys().take(ASK_PEERS).copied().collect(),
                AskHolders::Few => {
                    // Peers not known to hold it whole, a different few each time.
                    let known = self.blobs.known.get(&id);
                    let mut v: Vec<PeerId> = self
                        .peers
                        .keys()
                        .filter(|p| !known.is_some_and(|k| k.contains(p)))
                        .copied()
                        .collect();
                    v.sort();
                    self.blobs.rotor = self.blobs.rotor.wrapping_add(REFRESH_PEERS);
                    if !v.is_empty() {
                        let at = self.blobs.rotor % v.len();
                        v.rotate_left(at);
                    }
                    v.truncate(REFRESH_PEERS);
                    v
                }
            };
            for peer in peers {
                let (net, reports, frame) = (self.net.clone(), self.reports.clone(), frame.clone());
                tokio::spawn(async move {
                    let has = match net.blob_request(peer, frame).await {
                        Ok(b) => match proto::decode::<Response>(&b) {
                            Ok(Response::Have(mut v)) if v.len() == 1 => v.remove(0).bounded(),
                            _ => Has::Nothing,
                        },
                        Err(_) => Has::Nothing,
                    };
                    let _ = reports.send(Report::Blob(BlobReport::Has { peer, id, has }));
                });
            }
        }
        let Some(a) = self.blobs.active.get_mut(&id) else {
            return;
        };
        let size = a.dl.size();
        for ask in a.dl.asks(now) {
            tokio::spawn(blob_tasks::get(
                self.net.clone(),
                self.engine.blobs().clone(),
                self.reports.clone(),
                id,
                size,
                ask,
            ));
        }
    }

    pub(super) fn blob_report(&mut self, r: BlobReport, now: Instant) {
        match r {
            BlobReport::Wanted(wanted) => {
                self.blobs.planning = false;
                for w in wanted {
                    let busy = self.blobs.active.contains_key(&w.0)
                        || self.blobs.starting.contains(&w.0)
                        || self.blobs.queue.iter().any(|q| q.0 == w.0);
                    if !busy {
                        self.blobs.queue.push_back(w);
                    }
                }
                self.start_queued();
            }
            BlobReport::Begun { id, space, held } => {
                self.blobs.starting.remove(&id);
                match held {
                    Ok(Held::Complete { .. }) => {
                        self.emit(NodeEvent::BlobHeld {
                            blob: id,
                            space,
                            sources: Vec::new(),
                        });
                        self.blob_done(id, Ok(()));
                    }
                    Ok(Held::Partial { size, have }) => {
                        let mut dl = Download::new(id, size, &have);
                        dl.start_at(start_for(&self.me, &id));
                        let resumed = dl.bytes_here();
                        if resumed > 0 {
                            info!("resuming blob {} with {resumed} of {size} bytes here", id.short());
                        }
                        let mut a = Active {
                            dl,
                            space,
                            resumed,
                            fetched: 0,
                            finishing: false,
                            told: None,
                            unsynced: 0,
                            syncing: false,
                        };
                        for p in self.blobs.known.get(&id).into_iter().flatten() {
                            if self.peers.contains_key(p) {
                                a.dl.holder(*p, Has::All);
                            }
                        }
                        self.blobs.active.insert(id, a);
                        self.check_complete(id);
                        self.pump(id, now);
                    }
                    Ok(Held::Absent) => self.blob_done(id, Err("the blob could not be set up".into())),
                    Err(e) => {
                        warn!("blob {}: {e}", id.short());
                        self.blob_done(id, Err(e));
                    }
                }
            }
            BlobReport::Has { peer, id, has } => {
                if has == Has::All {
                    self.know_holder(id, peer);
                }
                if let Some(a) = self.blobs.active.get_mut(&id) {
                    a.dl.holder(peer, has);
                    self.pump(id, now);
                }
            }
            BlobReport::Holds { peer, blobs } => {
                for id in blobs {
                    self.know_holder(id, peer);
                    if let Some(a) = self.blobs.active.get_mut(&id) {
                        a.dl.holder(peer, Has::All);
                        self.pump(id, now);
                    }
                }
            }
            BlobReport::Answer {
                id,
                ask,
                delivered,
                fault,
                why,
                hints,
            } => {
                let Some(a) = self.blobs.active.get_mut(&id) else {
                    return;
                };
                for h in hints {
                    if h != self.me && h != ask.peer && self.peers.contains_key(&h) {
                        a.dl.hint(h, ask.start, ask.start + ask.count as u64);
                    }
                }
                if a.dl.answered(&ask, &delivered, fault, now) == After::Drop {
                    let reason = why.unwrap_or_else(|| format!("served blob {} corrupt", id.short()));
                    warn!("dropping {}: {reason}", ask.peer);
                    if let Some(k) = self.blobs.known.get_mut(&id) {
                        k.remove(&ask.peer);
                    }
                    let _ = self.net.disconnect(ask.peer, reason.clone());
                    self.emit(NodeEvent::PeerDropped {
                        peer: ask.peer.to_string(),
                        reason,
                    });
                } else if let Some(why) = why {
                    debug!("blob {} from {}: {why}", id.short(), ask.peer);
                }
                if !delivered.is_empty() {
                    let a = self.blobs.active.get_mut(&id).expect("active");
                    let size = a.dl.size();
                    let got = delivered
                        .iter()
                        .map(|g| (size - g * confab_blobs::GROUP_BYTES).min(confab_blobs::GROUP_BYTES))
                        .sum::<u64>();
                    a.fetched += got;
                    a.unsynced += got;
                    if a.unsynced >= SYNC_EVERY_BYTES && !a.syncing && !a.dl.complete() {
                        // On disk as it comes, so that the last sync is short.
                        a.unsynced = 0;
                        a.syncing = true;
                        let (blobs, reports) = (self.engine.blobs().clone(), self.reports.clone());
                        tokio::task::spawn_blocking(move || {
                            if let Err(e) = blobs.sync_partial(&id, size) {
                                debug!("blob {}: {e}", id.short());
                            }
                            let _ = reports.send(Report::Blob(BlobReport::Synced { id }));
                        });
                    }
                    self.tell_progress(id, now);
                    let a = &self.blobs.active[&id];
                    self.emit(NodeEvent::BlobProgress {
                        blob: id,
                        space: a.space,
                        have: a.dl.bytes_here(),
                        size: a.dl.size(),
                        resumed: a.resumed,
                        fetched: a.fetched,
                    });
                }
                self.check_complete(id);
                self.pump(id, now);
            }
            BlobReport::Finished { id, result } => {
                let Some(a) = self.blobs.active.remove(&id) else {
                    return;
                };
                self.blobs.interested.remove(&id);
                match result {
                    Ok(true) => {
                        info!("blob {} is here ({} bytes)", id.short(), a.dl.size());
                        let sources = a
                            .dl
                            .served()
                            .into_iter()
                            .filter(|(_, g)| *g > 0)
                            .map(|(p, g)| (p.to_string(), (g * confab_blobs::GROUP_BYTES).min(a.dl.size())))
                            .collect();
                        self.emit(NodeEvent::BlobHeld {
                            blob: id,
                            space: a.space,
                            sources,
                        });
                        self.blob_done(id, Ok(()));
                        self.announce_holding(id);
                    }
                    Ok(false) => {
                        // Cannot happen unless the disk lost what was written: begin again.
                        warn!("blob {}: not whole after all; fetching it again", id.short());
                        self.begin_blob(id, a.dl.size(), a.space);
                    }
                    Err(e) => {
                        warn!("blob {}: {e}", id.short());
                        self.blob_done(id, Err(e));
                    }
                }
                self.start_queued();
            }
            BlobReport::Unknown { peer } => {
                // At most once in a while per peer: reconcile with it, which brings the record
                // that names the blob if this node missed it.
                let due = self
                    .blobs
                    .synced_for_unknown
                    .get(&peer)
                    .is_none_or(|t| now.duration_since(*t) >= UNKNOWN_SYNC_EVERY);
                if due && self.peers.contains_key(&peer) {
                    self.blobs
                        .synced_for_unknown
                        .retain(|_, t| now.duration_since(*t) < UNKNOWN_SYNC_EVERY);
                    self.blobs.synced_for_unknown.insert(peer, now);
                    debug!("{peer} asked about a blob no record here names: syncing with it");
                    self.request_sync(peer, crate::policy::sessions::Scope::All);
                }
            }
            BlobReport::Synced { id } => {
                if let Some(a) = self.blobs.active.get_mut(&id) {
                    a.syncing = false;
                }
            }
            BlobReport::Gave {
                peer,
                id,
                start,
                count,
            } => self.blobs.uploads.gave(peer, id, start, count, now),
            BlobReport::Garbage { peer, why } => {
                warn!("dropping {peer}: {why}");
                let _ = self.net.disconnect(peer, why.clone());
                self.emit(NodeEvent::PeerDropped {
                    peer: peer.to_string(),
                    reason: why,
                });
            }
        }
    }

    fn know_holder(&mut self, id: BlobId, peer: PeerId) {
        let k = self.blobs.known.entry(id).or_default();
        if k.len() < KNOWN_MAX {
            k.insert(peer);
        }
    }

    fn start_queued(&mut self) {
        while self.blobs.active.len() + self.blobs.starting.len() < ACTIVE_MAX {
            let Some((id, size, space)) = self.blobs.queue.pop_front() else {
                return;
            };
            if !self.blobs.active.contains_key(&id) && !self.blobs.starting.contains(&id) {
                self.begin_blob(id, size, space);
            }
        }
    }

    fn check_complete(&mut self, id: BlobId) {
        let Some(a) = self.blobs.active.get_mut(&id) else {
            return;
        };
        if a.dl.complete() && !a.finishing {
            a.finishing = true;
            let size = a.dl.size();
            let blobs = self.engine.blobs().clone();
            let reports = self.reports.clone();
            tokio::task::spawn_blocking(move || {
                let result = blobs.finish(&id, size).map_err(|e| e.to_string());
                let _ = reports.send(Report::Blob(BlobReport::Finished { id, result }));
            });
        }
    }

    fn blob_done(&mut self, id: BlobId, result: Result<(), String>) {
        for w in self.blobs.waiters.remove(&id).unwrap_or_default() {
            let _ = w.send(result.clone());
        }
    }

    /// Tells the connected peers this node holds a blob now (they may be waiting for one).
    fn announce_holding(&self, id: BlobId) {
        let frame = proto::encode(&Request::Holds { blobs: vec![id] });
        for peer in self.peers.keys().take(ASK_PEERS) {
            let fut = self.net.blob_request(*peer, frame.clone());
            tokio::spawn(async move {
                let _ = fut.await;
            });
        }
    }

    /// A peer lost: what was asked of it goes to others.
    pub(super) fn blobs_lost_peer(&mut self, peer: &PeerId) {
        for a in self.blobs.active.values_mut() {
            a.dl.lost(peer);
        }
    }
}

/// Where this node starts fetching a blob: a place of its own, so that peers fetching the
/// same blob at once first get different parts of it (which they then trade).
fn start_for(me: &PeerId, id: &BlobId) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    me.to_bytes().hash(&mut h);
    id.0.hash(&mut h);
    h.finish()
}
