//! The actor's sync sessions: starting them (one per peer at a time), what their reports mean
//! for progress, holders and misbehaving peers, and pushing what gossip carried to nobody.

use std::time::Instant;

use confab_core::SpaceId;
use confab_net::PeerId;
use confab_store::Inserted;
use confab_sync::{Phase, Progress, SyncError, SyncStats};
use tracing::{debug, info};

use super::{tasks, Actor, Report};
use crate::events::NodeEvent;
use crate::policy::holders::Outcome;
use crate::policy::sessions::Scope;

/// Records pushed to this node are passed on by gossip if written within this long.
const PASS_ON_WITHIN_MS: u64 = 5 * 60 * 1000;

impl Actor {
    /// What the workers report.
    pub(super) fn report(&mut self, r: Report, now: Instant) {
        match r {
            Report::Progress { peer, progress } => {
                let key = (peer, progress.space);
                match progress.phase {
                    Phase::Receiving => {
                        self.progress.insert(key, (progress.done, progress.total));
                    }
                    Phase::Done => {
                        self.progress.remove(&key);
                    }
                    Phase::Reconciling | Phase::Sending => {}
                }
                self.emit(NodeEvent::SyncProgress {
                    peer: peer.to_string(),
                    progress,
                });
            }
            Report::Synced {
                peer,
                space,
                started_ms,
                result,
            } => self.synced(peer, space, started_ms, result, now),
            Report::SessionEnded(peer) => {
                let connected = self.peers.contains_key(&peer);
                if let Some(next) = self.sessions.ended(peer, connected) {
                    self.start_session(peer, next);
                }
            }
            Report::OfferFailed { peer, space } => self.ended_early(peer, space),
            Report::Blob(b) => self.blob_report(b, now),
        }
    }

    fn synced(
        &mut self,
        peer: PeerId,
        space: SpaceId,
        started_ms: u64,
        result: Result<SyncStats, SyncError>,
        now: Instant,
    ) {
        let limited = self.relayed_only(peer);
        match result {
            Ok(stats) => {
                // Reconciliation showed what the peer lacks: if nothing, it holds everything
                // this store had when the session began ("held by N peers").
                if let Outcome::Holds(upto) = self
                    .holders
                    .session_done(peer, space, stats.have, started_ms, limited, now)
                {
                    self.engine
                        .store()
                        .add_holder(space, peer.to_string(), upto)
                        .detach();
                }
                if stats.have + stats.need > 0 {
                    // A peer that lacks records fetches them itself: worth a line only when
                    // something arrived here.
                    if stats.received + stats.refused > 0 {
                        info!(
                            "synced {} with {peer}: received {}, refused {}",
                            space.short(),
                            stats.received,
                            stats.refused
                        );
                    } else {
                        debug!("{peer} lacks {} records of {}", stats.have, space.short());
                    }
                    self.emit(NodeEvent::SyncDone {
                        peer: peer.to_string(),
                        space,
                        stats,
                    });
                }
            }
            Err(e) => {
                self.ended_early(peer, space);
                if matches!(e, SyncError::Transport(_)) && self.peers.contains_key(&peer) {
                    // The connection closed under the session (a relay cut its circuit) while
                    // another stays up: go on over that one as soon as this session ends.
                    if let Some(scope) = self.sessions.retry(peer, Scope::All, now) {
                        self.start_session(peer, scope);
                    }
                }
                if e.is_peer_fault() {
                    let _ = self.net.disconnect(peer, format!("sync: {e}"));
                } else {
                    debug!("sync of {} with {peer}: {e}", space.short());
                }
            }
        }
    }

    /// A sync session that ended early: progress watchers learn it is over.
    pub(super) fn ended_early(&mut self, peer: PeerId, space: SpaceId) {
        self.progress.remove(&(peer, space));
        self.emit(NodeEvent::SyncProgress {
            peer: peer.to_string(),
            progress: Progress {
                space,
                phase: Phase::Done,
                done: 0,
                total: 0,
            },
        });
    }

    /// Asks for a sync session with `peer`; one runs per peer at a time.
    pub(super) fn request_sync(&mut self, peer: PeerId, scope: Scope<SpaceId>) {
        if let Some(s) = self.sessions.request(peer, scope) {
            self.start_session(peer, s);
        }
    }

    fn start_session(&mut self, peer: PeerId, scope: Scope<SpaceId>) {
        // Every joined space as the store has it when the session starts: a space joined a
        // moment ago may not have reached the actor through the feed yet.
        let spaces: Option<Vec<SpaceId>> = match scope {
            Scope::All => None,
            Scope::Some(set) => Some(set.into_iter().collect()),
        };
        let limited = self.relayed_only(peer);
        tokio::spawn(tasks::pull_session(
            self.engine.syncer().clone(),
            self.net.clone(),
            peer,
            limited,
            spaces,
            self.reports.clone(),
        ));
    }

    /// Records published on `topic` reached no peer: their space is pushed by sync to the
    /// connected peers now, or when the push policy allows.
    pub(super) fn unheard(&mut self, topic: &str, now: Instant) {
        let Some(space) = self.topics.get(topic).copied() else {
            return;
        };
        if !self.suspended() && self.pushes.unheard(space, now) {
            self.push(space);
        }
    }

    /// Pushes `space` to the connected peers known to share a space with this node (not to
    /// relays and DHT peers): members take what they lack, others refuse.
    pub(super) fn push(&mut self, space: SpaceId) {
        if !self.spaces.contains_key(&space) {
            return;
        }
        let peers: Vec<PeerId> = self
            .peers
            .keys()
            .filter(|p| self.members.contains(p))
            .copied()
            .collect();
        if !peers.is_empty() {
            debug!(
                "gossip reached nobody in {}: pushing it to {} peers",
                space.short(),
                peers.len()
            );
        }
        for p in peers {
            self.offer(p, space);
        }
    }

    /// Records pushed to this node, because gossip did not carry them to the writer's peers:
    /// the recent ones are passed on by gossip, so this node's other peers have them now and
    /// not at their re-sync (an old backlog is left to the re-sync).
    pub(super) fn pass_on(&self, inserted: &[Inserted]) {
        let floor = confab_core::now_ms().saturating_sub(PASS_ON_WITHIN_MS);
        let recent: Vec<Inserted> = inserted.iter().filter(|r| r.ts.ms() >= floor).cloned().collect();
        self.announce(&recent);
    }

    /// A first session in a newly joined space with a connected peer, pushing as well.
    pub(super) fn offer(&mut self, peer: PeerId, space: SpaceId) {
        let limited = self.relayed_only(peer);
        tokio::spawn(tasks::offer_session(
            self.engine.syncer().clone(),
            self.net.clone(),
            peer,
            limited,
            space,
            self.reports.clone(),
        ));
    }
}
