//! The actor's files: which blobs to fetch (those named by held records, up to the automatic
//! size and the space's quota, or asked for), the downloads under way (each a
//! [`Download`] schedule fed with holders and answers), answers to peers' blob requests,
//! and the garbage collection of blobs no record names any more.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use confab_blobs::fetch::{After, Ask, Download, Fault};
use confab_blobs::proto::{self, Has, Request, Response};
use confab_blobs::{BlobError, BlobId, BlobStore, Held};
use confab_core::SpaceId;
use confab_net::{NetHandle, PeerId};
use tokio::sync::oneshot;
use tracing::{debug, info, warn};

use super::{Actor, Report};
use crate::config::FileLimits;
use crate::events::NodeEvent;

/// Downloads under way at once; the rest wait their turn.
const ACTIVE_MAX: usize = 4;
/// How often to look for blobs to fetch and garbage to collect.
const PLAN_EVERY: Duration = Duration::from_secs(5);
/// How often blobs no record names are looked for.
const GC_EVERY: Duration = Duration::from_secs(60);
/// A blob no record names is kept this long (a file just attached is named only once its
/// record is written).
const GRACE: Duration = Duration::from_secs(10 * 60);
/// Peers asked at once what they hold.
const ASK_PEERS: usize = 32;
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
struct Active {
    dl: Download<PeerId>,
    space: SpaceId,
    /// Bytes that were here when it began (a resumed download).
    resumed: u64,
    /// Bytes fetched since it began (verified groups delivered).
    fetched: u64,
    finishing: bool,
}

/// The actor's blob state.
#[derive(Default)]
pub(crate) struct Blobs {
    active: HashMap<BlobId, Active>,
    starting: HashSet<BlobId>,
    queue: VecDeque<(BlobId, u64, SpaceId)>,
    waiters: HashMap<BlobId, Vec<oneshot::Sender<Result<(), String>>>>,
    known: HashMap<BlobId, BTreeSet<PeerId>>,
    planning: bool,
    last_plan: Option<Instant>,
    last_gc: Option<Instant>,
}

impl Blobs {
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
        let gc = self
            .blobs
            .last_gc
            .is_none_or(|t| now.duration_since(t) >= GC_EVERY);
        if gc {
            self.blobs.last_gc = Some(now);
        }
        tokio::spawn(async move {
            let wanted = match store.named_blobs().await {
                Ok(named) => tokio::task::spawn_blocking(move || plan(&blobs, named, limits, gc))
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
        if a.dl.wants_holders(now) {
            let frame = proto::encode(&Request::Have { blobs: vec![id] });
            for peer in self.peers.keys().take(ASK_PEERS) {
                let (net, reports, frame, peer) =
                    (self.net.clone(), self.reports.clone(), frame.clone(), *peer);
                tokio::spawn(async move {
                    let has = match net.blob_request(peer, frame).await {
                        Ok(b) => match proto::decode::<Response>(&b) {
                            Ok(Response::Have(mut v)) if v.len() == 1 => v.remove(0),
                            _ => Has::Nothing,
                        },
                        Err(_) => Has::Nothing,
                    };
                    let _ = reports.send(Report::Blob(BlobReport::Has { peer, id, has }));
                });
            }
        }
        let size = a.dl.size();
        for ask in a.dl.asks() {
            tokio::spawn(get(
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
                        let dl = Download::new(id, size, &have);
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
            } => {
                let Some(a) = self.blobs.active.get_mut(&id) else {
                    return;
                };
                if a.dl.answered(&ask, &delivered, fault) == After::Drop {
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
                    a.fetched += delivered
                        .iter()
                        .map(|g| (size - g * confab_blobs::GROUP_BYTES).min(confab_blobs::GROUP_BYTES))
                        .sum::<u64>();
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

    /// A peer's blob request: answered off the actor.
    pub(super) fn blob_request(&mut self, peer: PeerId, id: u64, frame: Vec<u8>) {
        let (net, blobs, reports) = (
            self.net.clone(),
            self.engine.blobs().clone(),
            self.reports.clone(),
        );
        tokio::task::spawn_blocking(move || {
            let response = match proto::decode::<Request>(&frame) {
                Ok(Request::Get { blob, start, count }) => match blobs.encode(&blob, start, count) {
                    Ok(Some(data)) => Response::Data(data),
                    Ok(None) => Response::NotHeld,
                    Err(e) => Response::Refused(e.to_string()),
                },
                Ok(Request::Have { blobs: asked }) if asked.len() <= proto::MAX_ASKED => Response::Have(
                    asked
                        .iter()
                        .map(|b| {
                            if blobs.is_complete(b) {
                                Has::All
                            } else {
                                Has::Nothing
                            }
                        })
                        .collect(),
                ),
                Ok(Request::Holds { blobs: held }) if held.len() <= proto::MAX_ASKED => {
                    let _ = reports.send(Report::Blob(BlobReport::Holds { peer, blobs: held }));
                    Response::Ok
                }
                Ok(_) => {
                    let why = format!("asked about more than {} blobs at once", proto::MAX_ASKED);
                    let _ = reports.send(Report::Blob(BlobReport::Garbage {
                        peer,
                        why: why.clone(),
                    }));
                    Response::Refused(why)
                }
                Err(e) => {
                    let _ = reports.send(Report::Blob(BlobReport::Garbage {
                        peer,
                        why: format!("blob protocol: {e}"),
                    }));
                    Response::Refused(e)
                }
            };
            let _ = net.blob_respond(id, proto::encode(&response));
        });
    }
}

/// The blobs named by records that should be here and are not: each at most the automatic
/// size, while its space's files stay within the quota. With `gc`, garbage goes on the way.
fn plan(
    blobs: &BlobStore,
    named: Vec<([u8; 32], u64, SpaceId)>,
    limits: FileLimits,
    gc: bool,
) -> Vec<(BlobId, u64, SpaceId)> {
    if gc {
        let keep: HashSet<BlobId> = named.iter().map(|(b, _, _)| BlobId(*b)).collect();
        match blobs.collect_garbage(&keep, GRACE) {
            Ok(gone) if !gone.is_empty() => info!("deleted {} blobs no record names any more", gone.len()),
            Ok(_) => {}
            Err(e) => warn!("collecting blob garbage: {e}"),
        }
    }
    let mut used: HashMap<SpaceId, u64> = HashMap::new();
    let mut missing = Vec::new();
    for (b, size, space) in named {
        let id = BlobId(b);
        if blobs.is_complete(&id) {
            *used.entry(space).or_default() += size;
        } else if size <= limits.auto_fetch.min(limits.max_file) {
            missing.push((id, size, space));
        }
    }
    let mut wanted = Vec::new();
    for (id, size, space) in missing {
        let u = used.entry(space).or_default();
        if *u + size <= limits.space_quota {
            *u += size;
            wanted.push((id, size, space));
        } else {
            debug!(
                "blob {} would take space {} over its quota",
                id.short(),
                space.short()
            );
        }
    }
    wanted
}

/// Asks a holder for a run of groups and writes what verifies.
async fn get(
    net: NetHandle,
    blobs: BlobStore,
    reports: tokio::sync::mpsc::UnboundedSender<Report>,
    id: BlobId,
    size: u64,
    ask: Ask<PeerId>,
) {
    let frame = proto::encode(&Request::Get {
        blob: id,
        start: ask.start,
        count: ask.count,
    });
    let expected = (confab_blobs::groups(size).max(1) - ask.start).min(ask.count as u64) as usize;
    let (delivered, fault, why) = match net.blob_request(ask.peer, frame).await {
        Err(e) => (Vec::new(), Fault::Failed, Some(e.to_string())),
        Ok(frame) if proto::data_of(&frame).is_some() => {
            let (start, count) = (ask.start, ask.count);
            let r = tokio::task::spawn_blocking(move || {
                let enc = proto::data_of(&frame).expect("checked");
                blobs.ingest(&id, size, start, count, enc)
            })
            .await;
            match r {
                Ok(Ok(got)) => {
                    let (fault, why) = match got.failure {
                        None if got.groups.len() >= expected => (Fault::None, None),
                        None => (Fault::NotHeld, Some("fewer groups than asked".into())),
                        Some(e @ BlobError::Corrupt { .. }) => (Fault::Corrupt, Some(e.to_string())),
                        Some(BlobError::Io { what, source }) => {
                            (Fault::Failed, Some(format!("{what}: {source}")))
                        }
                        Some(e) => (Fault::NotHeld, Some(e.to_string())),
                    };
                    (got.groups, fault, why)
                }
                Ok(Err(e)) => (Vec::new(), Fault::Failed, Some(e.to_string())),
                Err(e) => (Vec::new(), Fault::Failed, Some(e.to_string())),
            }
        }
        Ok(frame) => match proto::decode::<Response>(&frame) {
            Ok(Response::NotHeld) => (Vec::new(), Fault::NotHeld, None),
            Ok(Response::Refused(why)) => (Vec::new(), Fault::NotHeld, Some(why)),
            Ok(_) => (
                Vec::new(),
                Fault::Corrupt,
                Some("answered a range request with something else".into()),
            ),
            Err(e) => (Vec::new(), Fault::Corrupt, Some(format!("blob protocol: {e}"))),
        },
    };
    let _ = reports.send(Report::Blob(BlobReport::Answer {
        id,
        ask,
        delivered,
        fault,
        why,
    }));
}
