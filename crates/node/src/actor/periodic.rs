//! The actor's periodic work: what the schedule, the holder rechecks, the rendezvous and the
//! redial policies say is due at each tick.

use std::collections::{BTreeSet, HashSet};
use std::time::Instant;

use confab_core::{RendezvousKey, SpaceId};
use confab_net::PeerId;
use tracing::debug;

use super::Actor;
use crate::policy::redial::Dial;
use crate::policy::rendezvous;
use crate::policy::schedule::Due;
use crate::policy::sessions::Scope;

/// How often a running node looks for scheduled issues that are due.
const ISSUE_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

impl Actor {
    /// What the policies say is due at `now`.
    pub(super) fn tick(&mut self, now: Instant) {
        let away = self.suspended();
        for due in self.schedule.poll(now) {
            match due {
                // In the background nobody is reached for: the resume dials and syncs.
                Due::Resync | Due::Redial if away => {}
                Due::Resync => {
                    let peers: Vec<PeerId> = self.peers.keys().copied().collect();
                    for p in peers {
                        self.request_sync(p, Scope::All);
                    }
                }
                Due::Purge => {
                    self.engine.store().purge_expired().detach();
                }
                Due::Redial => self.redial(now),
            }
        }
        if !away {
            for space in self.pushes.due(now) {
                self.push(space);
            }
        }
        for (peer, space) in self.holders.due(now) {
            if self.peers.contains_key(&peer) {
                self.request_sync(peer, Scope::Some(BTreeSet::from([space])));
            }
        }
        if !away {
            self.meet(now);
        }
        self.tick_blobs(now);
        self.publish_scheduled(now);
        if self.members_changed {
            self.members_changed = false;
            let _ = self.net.protect(self.members.clone());
        }
    }

    /// Once a second, publishes the scheduled issues that are due (see `crate::drafts`), one
    /// look at a time.
    fn publish_scheduled(&mut self, now: Instant) {
        use std::sync::atomic::Ordering;
        if now < self.next_issue_check || self.publishing.swap(true, Ordering::AcqRel) {
            return;
        }
        self.next_issue_check = now + ISSUE_CHECK_EVERY;
        let (engine, busy) = (self.engine.clone(), self.publishing.clone());
        tokio::spawn(async move {
            if let Err(e) = engine.publish_due(confab_core::now_ms()).await {
                tracing::warn!("publishing scheduled issues: {e}");
            }
            busy.store(false, Ordering::Release);
        });
    }

    /// Carries out what the rendezvous policy says is due.
    fn meet(&mut self, now: Instant) {
        let now_ms = confab_core::now_ms();
        let spaces: Vec<(SpaceId, Option<RendezvousKey>, Vec<RendezvousKey>)> = self
            .spaces
            .values()
            .map(|s| (s.id, s.announce_key(now_ms), s.lookup_keys(now_ms)))
            .collect();
        for action in self.rendezvous.poll(now, now_ms, &spaces) {
            match action {
                rendezvous::Action::Announce { space, key } => {
                    debug!("announcing in space {}", space.short());
                    let _ = self.net.provide(key.to_multihash_bytes());
                }
                rendezvous::Action::Withdraw { key } => {
                    let _ = self.net.unprovide(key.to_multihash_bytes());
                }
                rendezvous::Action::Lookup { space, key } => {
                    let bytes = key.to_multihash_bytes();
                    if self.lookups.len() > 4096 {
                        self.lookups.clear();
                    }
                    self.lookups.insert(bytes.clone(), space);
                    let _ = self.net.find_providers(bytes);
                }
            }
        }
    }

    pub(super) fn redial(&mut self, now: Instant) {
        let connected: HashSet<PeerId> = self.peers.keys().copied().collect();
        for d in self
            .redial
            .plan(now, &self.me, &connected, &self.static_dials, &self.book)
        {
            let _ = match d {
                Dial::Peer(p, addrs) => self.net.dial_peer(p, addrs),
                Dial::Addr(a) => self.net.dial(a),
            };
        }
    }
}
