//! The actor's answers to peers' blob requests: what to send of a blob (a whole holder hands
//! each piece out a few times, then sends askers to those who had it; a peer fetching the blob
//! too trades freely), what is here of each blob asked about, and telling the peers that are
//! fetching a blob too what is here as it grows.

use std::time::{Duration, Instant};

use confab_blobs::proto::{self, Has, Request, Response};
use confab_blobs::serve::Serve;
use confab_blobs::BlobId;
use confab_net::PeerId;

use super::blobs::BlobReport;
use super::{blob_tasks, Actor, Report};

/// Peers told of a download's progress: those that asked about the blob lately (they are
/// fetching it too), at most this many, for this long, at most this often.
const INTERESTED_MAX: usize = 32;
const INTEREST_FOR: Duration = Duration::from_secs(30);
const INTERESTED_BLOBS: usize = 256;
const PROGRESS_EVERY: Duration = Duration::from_millis(200);

impl Actor {
    /// A peer's blob request. What to send is decided here (how much of a blob is here, and
    /// whether others should be asked instead); the files are read off the actor.
    pub(super) fn blob_request(&mut self, peer: PeerId, id: u64, frame: Vec<u8>) {
        let request = match proto::decode::<Request>(&frame) {
            Ok(r) => r,
            Err(e) => return self.refuse_blob_request(peer, id, format!("blob protocol: {e}")),
        };
        let (net, blobs, reports) = (
            self.net.clone(),
            self.engine.blobs().clone(),
            self.reports.clone(),
        );
        match request {
            Request::Get { blob, start, count } => {
                // A peer fetching the blob too trades what it has freely; only a whole holder
                // (the first of all: the writer) hands each piece out a few times and then
                // sends askers to those who had it.
                let serve = if self.blobs.active.contains_key(&blob) {
                    Serve::Groups(count)
                } else {
                    self.blobs.uploads.ask(peer, blob, start, count, Instant::now())
                };
                match serve {
                    Serve::Busy(hints) => {
                        let hints = hints.iter().map(|p| p.to_bytes()).collect();
                        let _ = net.blob_respond(id, proto::encode(&Response::Busy(hints)));
                    }
                    Serve::Groups(n) => {
                        tokio::task::spawn_blocking(move || {
                            blob_tasks::give(&net, &blobs, &reports, peer, id, blob, start, n)
                        });
                    }
                }
            }
            Request::Have { blobs: asked } if asked.len() <= proto::MAX_ASKED => {
                let now = Instant::now();
                for b in &asked {
                    self.note_interest(*b, peer, now);
                }
                let fetching: Vec<Option<Has>> = asked
                    .iter()
                    .map(|b| self.blobs.active.get(b).map(|a| a.dl.has()))
                    .collect();
                let planned = asked.iter().any(|b| self.blobs.planned(b));
                let reports = self.reports.clone();
                tokio::task::spawn_blocking(move || {
                    if blob_tasks::have(&net, &blobs, id, &asked, fetching) && !planned {
                        // Asked about a blob no record here names: the peer likely holds a
                        // record this node missed (gossip does miss now and then).
                        let _ = reports.send(Report::Blob(BlobReport::Unknown { peer }));
                    }
                });
            }
            Request::Holds { blobs: held } if held.len() <= proto::MAX_ASKED => {
                let _ = net.blob_respond(id, proto::encode(&Response::Ok));
                self.blob_report(BlobReport::Holds { peer, blobs: held }, Instant::now());
            }
            Request::Progress { blob, has } => {
                let _ = net.blob_respond(id, proto::encode(&Response::Ok));
                self.blob_report(
                    BlobReport::Has {
                        peer,
                        id: blob,
                        has: has.bounded(),
                    },
                    Instant::now(),
                );
            }
            Request::Have { .. } | Request::Holds { .. } => self.refuse_blob_request(
                peer,
                id,
                format!("asked about more than {} blobs at once", proto::MAX_ASKED),
            ),
        }
    }

    /// A peer asked about a blob: it is likely fetching it (now, or soon, as this node may).
    fn note_interest(&mut self, id: BlobId, peer: PeerId, now: Instant) {
        let all = &mut self.blobs.interested;
        if !all.contains_key(&id) && all.len() >= INTERESTED_BLOBS {
            all.retain(|_, i| i.values().any(|t| now.duration_since(*t) < INTEREST_FOR));
            if all.len() >= INTERESTED_BLOBS {
                return;
            }
        }
        let i = all.entry(id).or_default();
        i.retain(|_, t| now.duration_since(*t) < INTEREST_FOR);
        if i.len() < INTERESTED_MAX || i.contains_key(&peer) {
            i.insert(peer, now);
        }
    }

    /// Tells the peers fetching a blob too what is here now (at most every
    /// [`PROGRESS_EVERY`]), so that they can take it from here.
    pub(super) fn tell_progress(&mut self, id: BlobId, now: Instant) {
        let Some(a) = self.blobs.active.get_mut(&id) else {
            return;
        };
        if a.told.is_some_and(|t| now.duration_since(t) < PROGRESS_EVERY) {
            return;
        }
        let Some(interested) = self.blobs.interested.get_mut(&id) else {
            return;
        };
        interested.retain(|_, t| now.duration_since(*t) < INTEREST_FOR);
        a.told = Some(now);
        let frame = proto::encode(&Request::Progress {
            blob: id,
            has: a.dl.has(),
        });
        let whole = self.blobs.known.get(&id);
        for peer in interested.keys() {
            if whole.is_some_and(|k| k.contains(peer)) || !self.peers.contains_key(peer) {
                continue;
            }
            let fut = self.net.blob_request(*peer, frame.clone());
            tokio::spawn(async move {
                let _ = fut.await;
            });
        }
    }

    fn refuse_blob_request(&mut self, peer: PeerId, id: u64, why: String) {
        let _ = self
            .net
            .blob_respond(id, proto::encode(&Response::Refused(why.clone())));
        self.blob_report(BlobReport::Garbage { peer, why }, Instant::now());
    }
}
