//! The sync engine: one initiator session per space, and the responder that serves it.

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, OnceLock};

use confab_core::record::verify_all;
use confab_core::{AuthorKey, SpaceId, SyncKey, Verified};
use confab_store::{InsertReport, Inserted, Refusal, Store, StoreError};
use negentropy::{Id, Negentropy};
use serde_bytes::ByteBuf;

use crate::index::SyncIndex;
use crate::proto::{
    FrameError, Request, Response, LIMITED_BATCH_BYTES, LIMITED_FETCH_KEYS, LIMITED_NEG_FRAME,
    MAX_BATCH_BYTES, MAX_BATCH_RECORDS, MAX_FETCH_KEYS, NEG_FRAME_LIMIT,
};

/// Most reconciliation rounds before a session is abandoned; real sets need a handful.
const MAX_ROUNDS: u32 = 64;
/// The same with the small frames of a limited connection.
const MAX_ROUNDS_LIMITED: u32 = 2048;

/// Carries one request frame to the peer and brings back its response frame.
pub trait Transport {
    /// Sends a request, returns the response. A network transport should send at once rather
    /// than on first poll: the engine prepares the next step while a request is in flight.
    fn call(&mut self, frame: Vec<u8>) -> impl Future<Output = Result<Vec<u8>, SyncError>> + Send;

    /// True if the connection can carry only a little (a relayed circuit that a relay may close
    /// after 128 KiB): sessions then use small frames, so each circuit makes progress and a
    /// catch-up resumes on the next one.
    fn limited(&self) -> bool {
        false
    }
}

/// Why a sync session stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The local store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The transport failed.
    #[error("transport: {0}")]
    Transport(String),
    /// The peer sent a frame that does not decode or breaks a limit.
    #[error("peer sent a bad frame: {0}")]
    Frame(#[from] FrameError),
    /// The peer broke the protocol's rules.
    #[error("peer broke the sync protocol: {0}")]
    Protocol(String),
    /// The peer declined.
    #[error("peer declined: {0}")]
    Refused(String),
    /// Reconciliation failed.
    #[error("reconciliation failed: {0}")]
    Negentropy(String),
}

impl SyncError {
    /// True if the peer misbehaved (and should be dropped), as opposed to a local failure.
    pub fn is_peer_fault(&self) -> bool {
        matches!(
            self,
            SyncError::Frame(_) | SyncError::Protocol(_) | SyncError::Negentropy(_)
        )
    }
}

fn neg_err(e: negentropy::Error) -> SyncError {
    SyncError::Negentropy(e.to_string())
}

/// What a session is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Finding the differences.
    Reconciling,
    /// Sending records the peer lacks.
    Sending,
    /// Receiving records this store lacks.
    Receiving,
    /// Finished.
    Done,
}

/// A progress report, sent after every round trip.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    /// The space.
    pub space: SpaceId,
    /// The phase.
    pub phase: Phase,
    /// Records moved so far in this phase.
    pub done: u64,
    /// Records to move in this phase.
    pub total: u64,
}

/// What a session did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SyncStats {
    /// Reconciliation round trips.
    pub rounds: u32,
    /// All round trips.
    pub round_trips: u32,
    /// Request bytes sent.
    pub bytes_sent: u64,
    /// Response bytes received.
    pub bytes_received: u64,
    /// Records the peer lacked.
    pub have: u64,
    /// Records this store lacked.
    pub need: u64,
    /// Records the peer stored from our pushes.
    pub pushed: u64,
    /// Records the peer refused from our pushes (the rest it stored, or already had).
    pub push_refused: u64,
    /// Records stored here.
    pub received: u64,
    /// Records refused here (bad signature, wrong space, unauthorized, …).
    pub refused: u64,
}

type ObserverFn = dyn Fn(&[Inserted], bool) + Send + Sync;

/// Told of every batch of records this engine stores, and whether they were written here.
#[derive(Default)]
struct Observer(OnceLock<Box<ObserverFn>>);

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "Observer(set)"
        } else {
            "Observer(none)"
        })
    }
}

/// One store's sync engine: initiates sessions and answers them.
#[derive(Clone, Debug)]
pub struct Syncer {
    store: Store,
    index: Arc<SyncIndex>,
    observer: Arc<Observer>,
}

impl Syncer {
    /// An engine over a store, with a fresh index.
    pub fn new(store: Store) -> Self {
        Self {
            store,
            index: Arc::new(SyncIndex::new()),
            observer: Arc::new(Observer::default()),
        }
    }

    /// Calls `f` with every batch of records stored from now on, by any path (live, sync,
    /// pushes answered, local writes), and whether they were written here. One observer per
    /// engine: returns false if one was already set.
    pub fn observe(&self, f: impl Fn(&[Inserted], bool) + Send + Sync + 'static) -> bool {
        self.observer.0.set(Box::new(f)).is_ok()
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The key index.
    pub fn index(&self) -> &Arc<SyncIndex> {
        &self.index
    }

    /// Stores verified records and keeps the index current.
    pub async fn insert(&self, records: Vec<Verified>) -> Result<InsertReport, StoreError> {
        self.store_records(records, false, false).await
    }

    /// Stores records written on this machine; with `outbox`, queues them for the running
    /// node (another process) to announce.
    pub async fn insert_local(
        &self,
        records: Vec<Verified>,
        outbox: bool,
    ) -> Result<InsertReport, StoreError> {
        self.store_records(records, outbox, true).await
    }

    async fn store_records(
        &self,
        records: Vec<Verified>,
        outbox: bool,
        local: bool,
    ) -> Result<InsertReport, StoreError> {
        let report = self.store.insert_local(records, outbox).await?;
        self.stored(&report, local);
        Ok(report)
    }

    /// Keeps the index current and tells the observer, once a batch is stored.
    fn stored(&self, report: &InsertReport, local: bool) {
        self.index
            .note_inserted(report.inserted.iter().map(|i| (&i.space, &i.key)));
        // A rotation may have deleted records dated after it: reload those spaces' keys.
        for s in &report.rekeyed {
            self.index.invalidate(s);
        }
        if !report.inserted.is_empty() {
            if let Some(f) = self.observer.0.get() {
                f(&report.inserted, local);
            }
        }
    }

    /// Decodes and verifies encodings that must belong to `space` (and to `wanted`): the
    /// records to store, and the refusals.
    fn check(
        space: SpaceId,
        encodings: Vec<Vec<u8>>,
        wanted: Option<&HashSet<SyncKey>>,
    ) -> (Vec<Verified>, Vec<(Option<confab_core::RecordId>, Refusal)>) {
        let mut ok = Vec::with_capacity(encodings.len());
        let mut refused = Vec::new();
        for r in verify_all(encodings) {
            match r {
                Ok(v) if v.space != space || wanted.is_some_and(|w| !w.contains(&v.sync_key())) => {
                    refused.push((Some(v.id), Refusal::Unrequested(v.id)))
                }
                Ok(v) => ok.push(v),
                Err(e) => refused.push((None, Refusal::Record(e))),
            }
        }
        (ok, refused)
    }

    /// Decodes, verifies and stores encodings that must belong to `space` (and, if given, to
    /// `wanted`). Anything else is refused and counted.
    pub async fn ingest(
        &self,
        space: SpaceId,
        encodings: Vec<Vec<u8>>,
        wanted: Option<&HashSet<SyncKey>>,
    ) -> Result<InsertReport, StoreError> {
        let (ok, refused) = Self::check(space, encodings, wanted);
        let mut report = self.insert(ok).await?;
        report.refused.extend(refused);
        Ok(report)
    }

    async fn round<T: Transport>(
        &self,
        t: &mut T,
        req: Request,
        stats: &mut SyncStats,
    ) -> Result<Response, SyncError> {
        let frame = req.encode();
        stats.bytes_sent += frame.len() as u64;
        stats.round_trips += 1;
        let reply = t.call(frame).await?;
        stats.bytes_received += reply.len() as u64;
        match Response::decode(&reply)? {
            Response::Refused { reason } => Err(SyncError::Refused(reason)),
            r => Ok(r),
        }
    }

    /// Brings this store and the peer's to the same set of records of `space`: reconciles,
    /// pushes what the peer lacks, fetches what this store lacks (newest first).
    pub async fn sync_space<T: Transport>(
        &self,
        space: SpaceId,
        t: &mut T,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<SyncStats, SyncError> {
        self.session(space, t, progress, true).await
    }

    /// Reconciles and fetches what this store lacks, without pushing: for peers that each run
    /// their own session, so that the receiving side drives (and reports) its catch-up.
    pub async fn pull_space<T: Transport>(
        &self,
        space: SpaceId,
        t: &mut T,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<SyncStats, SyncError> {
        self.session(space, t, progress, false).await
    }

    async fn session<T: Transport>(
        &self,
        space: SpaceId,
        t: &mut T,
        progress: &mut (dyn FnMut(Progress) + Send),
        push: bool,
    ) -> Result<SyncStats, SyncError> {
        let mut stats = SyncStats::default();
        let Some(known) = self.store.space(space).await? else {
            return Err(SyncError::Store(StoreError::UnknownSpace(space.to_string())));
        };
        if !known.is_current_member() {
            return Err(SyncError::Refused(format!(
                "this member was removed from {:?}",
                known.name
            )));
        }
        // Peers know the space by the id of its current epoch (a hash of the current key).
        let wire = known.sync_id();
        let snap = self.index.snapshot(&self.store, space).await?;
        progress(Progress {
            space,
            phase: Phase::Reconciling,
            done: 0,
            total: snap.len() as u64,
        });
        let limited = t.limited();
        let frame_limit = if limited {
            LIMITED_NEG_FRAME
        } else {
            NEG_FRAME_LIMIT
        };
        let max_rounds = if limited { MAX_ROUNDS_LIMITED } else { MAX_ROUNDS };
        let mut neg = Negentropy::owned(snap, frame_limit).map_err(neg_err)?;
        let mut msg = neg.initiate().map_err(neg_err)?;
        let (mut have, mut need): (Vec<Id>, Vec<Id>) = (Vec::new(), Vec::new());
        let newest_first = |ids: &mut Vec<Id>| {
            let mut keys: Vec<SyncKey> = ids.drain(..).map(|id| SyncKey(*id)).collect();
            // Newest first: the key starts with the big-endian timestamp.
            keys.sort_unstable_by(|a, b| b.cmp(a));
            keys.dedup();
            keys
        };
        let mut fetched = 0u64;
        loop {
            stats.rounds += 1;
            if stats.rounds > max_rounds {
                return Err(SyncError::Protocol(format!(
                    "reconciliation did not finish in {max_rounds} rounds"
                )));
            }
            let req = Request::Reconcile {
                space: wire,
                msg: ByteBuf::from(msg),
            };
            let Response::Reconcile { msg: reply } = self.round(t, req, &mut stats).await? else {
                return Err(SyncError::Protocol("expected a reconcile reply".into()));
            };
            let next = neg
                .reconcile_with_ids(&reply, &mut have, &mut need)
                .map_err(neg_err)?;
            if limited && !need.is_empty() && !push {
                // A relayed circuit may be cut after 128 KiB: fetch what this round found
                // before reconciling further, so that every circuit stores something and the
                // next session starts from there.
                let keys = newest_first(&mut need);
                stats.need += keys.len() as u64;
                self.fetch(space, wire, t, &keys, fetched, &mut stats, progress)
                    .await?;
                fetched += keys.len() as u64;
            }
            match next {
                Some(n) => msg = n,
                None => break,
            }
        }
        let have = newest_first(&mut have);
        let need = newest_first(&mut need);
        stats.have = have.len() as u64;
        stats.need += need.len() as u64;

        if push {
            self.push(space, wire, t, &have, &mut stats, progress).await?;
        }
        self.fetch(space, wire, t, &need, fetched, &mut stats, progress)
            .await?;
        progress(Progress {
            space,
            phase: Phase::Done,
            done: stats.received,
            total: stats.need,
        });
        Ok(stats)
    }

    #[allow(clippy::too_many_arguments)]
    async fn push<T: Transport>(
        &self,
        space: SpaceId,
        wire: SpaceId,
        t: &mut T,
        have: &[SyncKey],
        stats: &mut SyncStats,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<(), SyncError> {
        let mut done = 0u64;
        let mut pos = 0;
        while pos < have.len() {
            let (records, consumed) = self
                .store
                .records_by_keys(
                    space,
                    have[pos..].iter().take(MAX_BATCH_RECORDS).copied().collect(),
                    MAX_BATCH_BYTES,
                )
                .await?;
            pos += consumed.max(1);
            if records.is_empty() {
                continue;
            }
            let n = records.len() as u64;
            let req = Request::Push {
                space: wire,
                records: records.into_iter().map(ByteBuf::from).collect(),
            };
            let Response::Pushed { stored, refused } = self.round(t, req, stats).await? else {
                return Err(SyncError::Protocol("expected a push reply".into()));
            };
            stats.pushed += stored as u64;
            stats.push_refused += refused as u64;
            done += n;
            progress(Progress {
                space,
                phase: Phase::Sending,
                done,
                total: have.len() as u64,
            });
        }
        Ok(())
    }

    /// Fetches `need` in batches as a pipeline: while the store thread inserts batch k, batch
    /// k+1 is verified here and the peer reads batch k+2.
    #[allow(clippy::too_many_arguments)]
    async fn fetch<T: Transport>(
        &self,
        space: SpaceId,
        wire: SpaceId,
        t: &mut T,
        need: &[SyncKey],
        done_before: u64,
        stats: &mut SyncStats,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<(), SyncError> {
        if need.is_empty() {
            return Ok(());
        }
        let limited = t.limited();
        let request = |from: usize, stats: &mut SyncStats| {
            let per = if limited {
                LIMITED_FETCH_KEYS
            } else {
                MAX_FETCH_KEYS
            };
            let end = need.len().min(from + per);
            let keys = need[from..end].to_vec();
            let frame = if limited {
                Request::FetchSome {
                    space: wire,
                    keys,
                    max_bytes: LIMITED_BATCH_BYTES,
                }
            } else {
                Request::Fetch { space: wire, keys }
            }
            .encode();
            stats.bytes_sent += frame.len() as u64;
            stats.round_trips += 1;
            (end, frame)
        };
        let (mut end, first) = request(0, stats);
        let mut reply = t.call(first);
        let mut storing: Option<confab_store::Pending<InsertReport>> = None;
        let mut pos = 0;
        loop {
            let frame = reply.await?;
            stats.bytes_received += frame.len() as u64;
            let (records, consumed) = match Response::decode(&frame)? {
                Response::Records { records, consumed } => (records, consumed as usize),
                Response::Refused { reason } => return Err(SyncError::Refused(reason)),
                _ => return Err(SyncError::Protocol("expected records".into())),
            };
            if consumed == 0 || consumed > end - pos || records.len() > consumed {
                return Err(SyncError::Protocol(format!(
                    "fetch of {} keys answered with {} records for {consumed} keys",
                    end - pos,
                    records.len()
                )));
            }
            let wanted: HashSet<SyncKey> = need[pos..pos + consumed].iter().copied().collect();
            pos += consumed;
            let encodings: Vec<Vec<u8>> = records.into_iter().map(ByteBuf::into_vec).collect();
            if pos < need.len() {
                // Ask for the next batch before working on this one.
                let (e, f) = request(pos, stats);
                end = e;
                reply = t.call(f);
                self.store_fetched(space, encodings, &wanted, &mut storing, stats)
                    .await?;
                progress(Progress {
                    space,
                    phase: Phase::Receiving,
                    done: done_before + pos as u64,
                    total: done_before + need.len() as u64,
                });
            } else {
                self.store_fetched(space, encodings, &wanted, &mut storing, stats)
                    .await?;
                progress(Progress {
                    space,
                    phase: Phase::Receiving,
                    done: done_before + pos as u64,
                    total: done_before + need.len() as u64,
                });
                break;
            }
        }
        if let Some(prev) = storing {
            self.finish_fetched(prev.await?, stats);
        }
        Ok(())
    }

    /// Verifies a fetched batch here while the store thread may still be inserting the one
    /// before; then hands this one to the store without waiting for it.
    async fn store_fetched(
        &self,
        space: SpaceId,
        encodings: Vec<Vec<u8>>,
        wanted: &HashSet<SyncKey>,
        storing: &mut Option<confab_store::Pending<InsertReport>>,
        stats: &mut SyncStats,
    ) -> Result<(), SyncError> {
        let (ok, refused) = Self::check(space, encodings, Some(wanted));
        stats.refused += refused.len() as u64;
        if let Some(prev) = storing.take() {
            self.finish_fetched(prev.await?, stats);
        }
        *storing = Some(self.store.insert_local(ok, false));
        Ok(())
    }

    fn finish_fetched(&self, report: InsertReport, stats: &mut SyncStats) {
        self.stored(&report, false);
        stats.received += report.inserted.len() as u64;
        stats.refused += report.refused.len() as u64;
    }

    /// Answers one request frame from an unnamed peer (in-process tests).
    pub async fn respond(&self, frame: &[u8]) -> Result<Vec<u8>, SyncError> {
        self.respond_to(None, false, frame).await
    }

    /// Answers one request frame from `peer` (its public key, known from the authenticated
    /// connection). An `Err` means the peer sent something it should not have (a bad frame, a
    /// broken reconciliation message): the caller drops that peer.
    ///
    /// The request names the space by the sync id of an epoch; a member removed from the
    /// space is refused, and a peer asking by an older epoch's id is served only records dated
    /// up to the rotation that ended that epoch. On a `limited` connection (a relayed circuit)
    /// reconciliation replies are kept small, as the asker's own messages are.
    pub async fn respond_to(
        &self,
        peer: Option<AuthorKey>,
        limited: bool,
        frame: &[u8],
    ) -> Result<Vec<u8>, SyncError> {
        let req = Request::decode(frame)?;
        let wire = match &req {
            Request::Reconcile { space, .. }
            | Request::Fetch { space, .. }
            | Request::FetchSome { space, .. }
            | Request::Push { space, .. } => *space,
        };
        let refuse = |reason: &str| {
            Ok(Response::Refused {
                reason: reason.into(),
            }
            .encode())
        };
        let Some((known, upto)) = self.store.sync_view(wire).await? else {
            return refuse("unknown space");
        };
        if peer.is_some_and(|p| known.removed_since(&p).is_some()) {
            return refuse("you were removed from this space");
        }
        if !known.is_current_member() {
            return refuse("this member was removed from the space");
        }
        let space = known.id;
        let resp = match req {
            Request::Reconcile { msg, .. } => {
                let mut snap = self.index.snapshot(&self.store, space).await?;
                if let Some(t) = upto {
                    snap = snap.upto(t);
                }
                let limit = if limited {
                    LIMITED_NEG_FRAME
                } else {
                    NEG_FRAME_LIMIT
                };
                let mut neg = Negentropy::borrowed(&snap, limit).map_err(neg_err)?;
                let out = neg.reconcile(&msg).map_err(neg_err)?;
                Response::Reconcile {
                    msg: ByteBuf::from(out),
                }
            }
            Request::Fetch { keys, .. } => {
                // Keys dated after an older epoch's end are answered as if unknown.
                let (records, consumed) = self
                    .store
                    .records_by_keys_upto(space, keys, MAX_BATCH_BYTES, upto)
                    .await?;
                Response::Records {
                    records: records.into_iter().map(ByteBuf::from).collect(),
                    consumed: consumed as u32,
                }
            }
            Request::FetchSome { keys, max_bytes, .. } => {
                let budget = (max_bytes as usize).min(MAX_BATCH_BYTES);
                let (records, consumed) = self.store.records_by_keys_upto(space, keys, budget, upto).await?;
                Response::Records {
                    records: records.into_iter().map(ByteBuf::from).collect(),
                    consumed: consumed as u32,
                }
            }
            Request::Push { records, .. } => {
                let report = self
                    .ingest(space, records.into_iter().map(ByteBuf::into_vec).collect(), None)
                    .await?;
                Response::Pushed {
                    stored: report.inserted.len() as u32,
                    refused: report.refused.len() as u32,
                }
            }
        };
        Ok(resp.encode())
    }
}

/// An in-process transport: requests go straight to another engine's responder.
pub struct Loopback<'a> {
    /// The responding engine.
    pub remote: &'a Syncer,
}

impl Transport for Loopback<'_> {
    fn call(&mut self, frame: Vec<u8>) -> impl Future<Output = Result<Vec<u8>, SyncError>> + Send {
        let remote = self.remote;
        async move {
            remote
                .respond(&frame)
                .await
                .map_err(|e| SyncError::Transport(format!("remote failed: {e}")))
        }
    }
}
