//! The sync engine: one initiator session per space, and the responder that serves it.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;

use confab_core::{Phase, SpaceId, SyncKey};
use confab_store::{split_checked, InsertReport, Origin, Store, StoreError};
use negentropy::{Id, Negentropy};
use serde_bytes::ByteBuf;

use crate::index::SyncIndex;
use crate::ingest;
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

pub(crate) fn neg_err(e: negentropy::Error) -> SyncError {
    SyncError::Negentropy(e.to_string())
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

/// One store's sync engine: initiates sessions and answers them. Its index of keys follows
/// the store's change feed, so every insert, by any path, is in the next session's snapshot.
#[derive(Clone, Debug)]
pub struct Syncer {
    pub(crate) store: Store,
    pub(crate) index: Arc<SyncIndex>,
}

impl Syncer {
    /// An engine over a store, with a fresh index subscribed to the store's changes.
    pub fn new(store: Store) -> Self {
        let index = Arc::new(SyncIndex::new());
        let follower = index.clone();
        // Queued before any later call on this store, so no commit after this line is missed.
        store.subscribe(move |c| follower.apply(c)).detach();
        Self { store, index }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The key index.
    pub fn index(&self) -> &Arc<SyncIndex> {
        &self.index
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
        // How many records will move is not known until reconciliation ends: none yet.
        progress(Progress {
            space,
            phase: Phase::Reconciling,
            done: 0,
            total: 0,
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
                self.store_fetched(space, encodings, wanted, &mut storing, stats)
                    .await?;
                progress(Progress {
                    space,
                    phase: Phase::Receiving,
                    done: done_before + pos as u64,
                    total: done_before + need.len() as u64,
                });
            } else {
                self.store_fetched(space, encodings, wanted, &mut storing, stats)
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
            finish_fetched(prev.await?, stats);
        }
        Ok(())
    }

    /// Verifies a fetched batch (on a blocking thread) while the store thread may still be
    /// inserting the one before; then hands this one to the store without waiting for it.
    async fn store_fetched(
        &self,
        space: SpaceId,
        encodings: Vec<Vec<u8>>,
        wanted: HashSet<SyncKey>,
        storing: &mut Option<confab_store::Pending<InsertReport>>,
        stats: &mut SyncStats,
    ) -> Result<(), SyncError> {
        let (ok, refused) = split_checked(ingest::verify(encodings, Some(space), Some(wanted)).await);
        stats.refused += refused.len() as u64;
        if let Some(prev) = storing.take() {
            finish_fetched(prev.await?, stats);
        }
        *storing = Some(self.store.insert(ok, Origin::Sync));
        Ok(())
    }
}

fn finish_fetched(report: InsertReport, stats: &mut SyncStats) {
    stats.received += report.inserted.len() as u64;
    stats.refused += report.refused.len() as u64;
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
