//! When to announce this node under a space's rendezvous key and when to look the key up.
//!
//! - **Announce** a space's current key — once this node has an address others can reach (a
//!   provider record without addresses is of no use to whoever finds it) — when the DHT first
//!   has peers, when the key changes (a
//!   new window, a key rotation), [`SETTLE`] after this node's addresses last changed (so a
//!   burst of new addresses is one announcement), and every [`REANNOUNCE_EVERY`] (a provider
//!   record holds addresses, which grow stale). A key no longer current is withdrawn.
//! - **Look up** a space's keys (current and previous window) on start and on joining, then
//!   with back-off ([`FIRST_BACKOFF`] doubling to [`MAX_BACKOFF`]) while a member it found is
//!   not connected or none was found, and every [`MAX_BACKOFF`] once all are. Losing a peer
//!   found there, or this node's addresses changing, looks again within [`SOON`]; announcing
//!   while someone is missing looks again [`SETTLE`] later.
//! - At most [`LOOKUPS_PER_MINUTE`] lookups a minute in all: the DHT is shared.
//!
//! `S` is a space id, `K` a rendezvous key, `P` a peer id.

use std::collections::{BTreeMap, HashSet};
use std::hash::Hash;
use std::time::{Duration, Instant};

/// How long addresses must be quiet before they are announced.
pub const SETTLE: Duration = Duration::from_secs(2);
/// How often an unchanged announcement is renewed.
pub const REANNOUNCE_EVERY: Duration = Duration::from_secs(6 * 60 * 60);
/// First wait between lookups while someone is missing.
pub const FIRST_BACKOFF: Duration = Duration::from_secs(10);
/// Longest wait between lookups.
pub const MAX_BACKOFF: Duration = Duration::from_secs(10 * 60);
/// How soon a lost peer is looked for.
pub const SOON: Duration = Duration::from_secs(2);
/// Most lookups (of one key each) a minute.
pub const LOOKUPS_PER_MINUTE: u32 = 30;

/// Something to do in the DHT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action<S, K> {
    /// Announce this node (a provider record with its addresses) under `key`.
    Announce {
        /// The space.
        space: S,
        /// Its current rendezvous key.
        key: K,
    },
    /// Stop renewing an announcement.
    Withdraw {
        /// A key no longer current.
        key: K,
    },
    /// Look up who announced under `key`.
    Lookup {
        /// The space.
        space: S,
        /// One of its keys.
        key: K,
    },
}

#[derive(Debug)]
struct SpaceState<K, P> {
    announced: Option<(K, Instant)>,
    /// Milliseconds since the Unix epoch of the last announcement, for the status view.
    announced_ms: Option<u64>,
    next_lookup: Instant,
    backoff: Duration,
    found: HashSet<P>,
}

/// What one space's rendezvous looks like now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary<S> {
    /// The space.
    pub space: S,
    /// When this node last announced itself there (ms since the epoch).
    pub last_announce_ms: Option<u64>,
    /// How many peers were found there.
    pub found: usize,
}

/// The rendezvous schedule of every space.
#[derive(Debug)]
pub struct Rendezvous<S, K, P> {
    spaces: BTreeMap<S, SpaceState<K, P>>,
    connected: HashSet<P>,
    ready: bool,
    addressable: bool,
    addrs_changed: Option<Instant>,
    lookups: (Instant, u32),
    per_minute: u32,
    reannounce: Duration,
}

impl<S: Copy + Ord, K: Copy + Eq, P: Copy + Eq + Hash> Rendezvous<S, K, P> {
    /// An empty schedule at `now`.
    pub fn new(now: Instant) -> Self {
        Self::with_limits(REANNOUNCE_EVERY, LOOKUPS_PER_MINUTE, now)
    }

    /// The same with another renewal period and lookup budget.
    pub fn with_limits(reannounce: Duration, per_minute: u32, now: Instant) -> Self {
        Self {
            per_minute,
            spaces: BTreeMap::new(),
            connected: HashSet::new(),
            ready: false,
            addressable: false,
            addrs_changed: None,
            lookups: (now, 0),
            reannounce,
        }
    }

    /// Whether the DHT has peers to ask (nothing is done until it has).
    pub fn set_ready(&mut self, ready: bool) {
        self.ready = ready;
    }

    /// Whether this node has an address others can reach (confirmed public, mapped by the
    /// router, or a relay circuit): nothing is announced until it has.
    pub fn set_addressable(&mut self, yes: bool) {
        self.addressable = yes;
    }

    /// This node's addresses changed at `now`.
    pub fn addresses_changed(&mut self, now: Instant) {
        self.addrs_changed = Some(now);
        for s in self.spaces.values_mut() {
            s.next_lookup = s.next_lookup.min(now + SOON);
            s.backoff = FIRST_BACKOFF;
        }
    }

    /// A peer connected.
    pub fn connected(&mut self, peer: P) {
        self.connected.insert(peer);
    }

    /// A peer disconnected at `now`: a space where it was found looks again soon.
    pub fn disconnected(&mut self, peer: &P, now: Instant) {
        self.connected.remove(peer);
        for s in self.spaces.values_mut() {
            if s.found.contains(peer) {
                s.next_lookup = s.next_lookup.min(now + SOON);
                s.backoff = FIRST_BACKOFF;
            }
        }
    }

    /// Peers found under one of `space`'s keys.
    pub fn found(&mut self, space: S, peers: impl IntoIterator<Item = P>) {
        if let Some(s) = self.spaces.get_mut(&space) {
            s.found.extend(peers);
        }
    }

    /// Every space's state, for the status view.
    pub fn summary(&self) -> Vec<Summary<S>> {
        self.spaces
            .iter()
            .map(|(space, s)| Summary {
                space: *space,
                last_announce_ms: s.announced_ms,
                found: s.found.len(),
            })
            .collect()
    }

    /// What is due at `now` (`now_ms` for the status view), given every space this node
    /// belongs to with the key to announce under now (`None`: removed, announce nothing) and
    /// the keys to look up.
    pub fn poll(
        &mut self,
        now: Instant,
        now_ms: u64,
        spaces: &[(S, Option<K>, Vec<K>)],
    ) -> Vec<Action<S, K>> {
        let mut out = Vec::new();
        // Spaces left (or removed from) withdraw their announcement.
        let current: std::collections::BTreeSet<S> = spaces.iter().map(|(s, _, _)| *s).collect();
        self.spaces.retain(|id, s| {
            if !current.contains(id) {
                if let Some((key, _)) = s.announced {
                    out.push(Action::Withdraw { key });
                }
            }
            current.contains(id)
        });
        if !self.ready {
            for (space, _, _) in spaces {
                self.entry(*space, now);
            }
            return out;
        }
        let settled = self.addrs_changed.is_none_or(|t| now >= t + SETTLE);
        let addrs_changed = self.addrs_changed;
        if now >= self.lookups.0 + Duration::from_secs(60) {
            self.lookups = (now, 0);
        }
        let reannounce = self.reannounce;
        for (space, announce, lookups) in spaces {
            let connected = &self.connected;
            let mut budget = self.per_minute.saturating_sub(self.lookups.1);
            let s = self.spaces.entry(*space).or_insert_with(|| SpaceState {
                announced: None,
                announced_ms: None,
                next_lookup: now,
                backoff: FIRST_BACKOFF,
                found: HashSet::new(),
            });
            match (s.announced, announce) {
                (Some((old, _)), Some(new)) if old != *new => {
                    out.push(Action::Withdraw { key: old });
                    s.announced = None;
                }
                (Some((old, _)), None) => {
                    out.push(Action::Withdraw { key: old });
                    s.announced = None;
                }
                _ => {}
            }
            let mut announced_now = false;
            if let (Some(key), true) = (announce, self.addressable) {
                let due = match s.announced {
                    None => settled,
                    Some((_, at)) => {
                        now >= at + reannounce || (settled && addrs_changed.is_some_and(|c| c > at))
                    }
                };
                if due {
                    out.push(Action::Announce {
                        space: *space,
                        key: *key,
                    });
                    s.announced = Some((*key, now));
                    s.announced_ms = Some(now_ms);
                    announced_now = true;
                }
            }
            if now >= s.next_lookup && budget as usize >= lookups.len() && !lookups.is_empty() {
                for key in lookups {
                    out.push(Action::Lookup {
                        space: *space,
                        key: *key,
                    });
                }
                budget -= lookups.len() as u32;
                self.lookups.1 = self.per_minute - budget;
                let missing = s.found.is_empty() || s.found.iter().any(|p| !connected.contains(p));
                if missing {
                    s.next_lookup = now + s.backoff;
                    s.backoff = (s.backoff * 2).min(MAX_BACKOFF);
                } else {
                    s.next_lookup = now + MAX_BACKOFF;
                }
            }
            // Members that came up with this node announce about when it does: look for them
            // again once their announcements have had time to land.
            let missing = s.found.is_empty() || s.found.iter().any(|p| !self.connected.contains(p));
            if announced_now && missing {
                s.next_lookup = s.next_lookup.min(now + SETTLE);
            }
        }
        out
    }

    fn entry(&mut self, space: S, now: Instant) {
        self.spaces.entry(space).or_insert_with(|| SpaceState {
            announced: None,
            announced_ms: None,
            next_lookup: now,
            backoff: FIRST_BACKOFF,
            found: HashSet::new(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type R = Rendezvous<u8, u32, u16>;

    /// A schedule whose DHT has peers and whose node has an address to announce.
    fn ready(t0: Instant) -> R {
        let mut r = R::new(t0);
        r.set_ready(true);
        r.set_addressable(true);
        r
    }

    fn lookups(a: &[Action<u8, u32>]) -> Vec<u32> {
        a.iter()
            .filter_map(|x| match x {
                Action::Lookup { key, .. } => Some(*key),
                _ => None,
            })
            .collect()
    }

    fn announces(a: &[Action<u8, u32>]) -> Vec<u32> {
        a.iter()
            .filter_map(|x| match x {
                Action::Announce { key, .. } => Some(*key),
                _ => None,
            })
            .collect()
    }

    /// Drives a node for `secs` seconds at 250 ms ticks; returns when lookups happened.
    fn lookup_times(
        r: &mut R,
        t0: Instant,
        from: u64,
        secs: u64,
        spaces: &[(u8, Option<u32>, Vec<u32>)],
    ) -> Vec<u64> {
        let mut at = Vec::new();
        for q in from * 4..(from + secs) * 4 {
            let now = t0 + Duration::from_millis(q * 250);
            if !lookups(&r.poll(now, 0, spaces)).is_empty() {
                at.push(q / 4);
            }
        }
        at
    }

    #[test]
    fn nothing_happens_until_the_dht_has_peers_then_announce_and_look_up() {
        let t0 = Instant::now();
        let mut r = R::new(t0);
        let spaces = vec![(1, Some(10), vec![10, 9])];
        assert!(r.poll(t0, 0, &spaces).is_empty());
        r.set_ready(true);
        // No address to announce yet: look up only.
        let a = r.poll(t0 + Duration::from_secs(1), 5, &spaces);
        assert_eq!(announces(&a), Vec::<u32>::new());
        assert_eq!(lookups(&a), vec![10, 9], "the current and the previous window");
        // A relay reservation: announced once the addresses settle, and looked up again a
        // little later, when those who came up at the same time have announced too.
        r.set_addressable(true);
        r.addresses_changed(t0 + Duration::from_secs(4));
        let mut announced = Vec::new();
        let mut looked = Vec::new();
        for q in 17..48u64 {
            let now = t0 + Duration::from_millis(q * 250);
            let a = r.poll(now, q, &spaces);
            if !announces(&a).is_empty() {
                announced.push(q);
            }
            if !lookups(&a).is_empty() {
                looked.push(q);
            }
        }
        assert_eq!(announced, vec![24], "2 s after the addresses changed");
        assert_eq!(looked, vec![24, 32], "2 s after the change, 2 s after announcing");
        assert_eq!(r.summary()[0].last_announce_ms, Some(24));
    }

    #[test]
    fn a_new_window_withdraws_the_old_key_and_announces_the_new() {
        let t0 = Instant::now();
        let mut r = ready(t0);
        r.poll(t0, 0, &[(1, Some(10), vec![10, 9])]);
        let a = r.poll(t0 + Duration::from_secs(1), 0, &[(1, Some(11), vec![11, 10])]);
        assert!(a.contains(&Action::Withdraw { key: 10 }));
        assert_eq!(announces(&a), vec![11]);
        // Removed from the space: withdraw, announce nothing.
        let a = r.poll(t0 + Duration::from_secs(2), 0, &[(1, None, vec![])]);
        assert_eq!(a, vec![Action::Withdraw { key: 11 }]);
        // Left the space.
        r.poll(t0 + Duration::from_secs(3), 0, &[(2, Some(20), vec![])]);
        let a = r.poll(t0 + Duration::from_secs(4), 0, &[]);
        assert_eq!(a, vec![Action::Withdraw { key: 20 }]);
    }

    #[test]
    fn address_changes_settle_before_one_announcement() {
        let t0 = Instant::now();
        let mut r = ready(t0);
        let spaces = vec![(1, Some(10), vec![])];
        r.poll(t0, 0, &spaces);
        let mut count = 0;
        for q in 1..40u64 {
            let now = t0 + Duration::from_millis(q * 250);
            if q < 8 {
                r.addresses_changed(now); // a burst of new addresses over 2 s
            }
            count += announces(&r.poll(now, 0, &spaces)).len();
        }
        assert_eq!(count, 1, "one announcement after the burst settles");
        // Renewed after the period even with no change.
        let later = r.poll(t0 + REANNOUNCE_EVERY + Duration::from_secs(10), 0, &spaces);
        assert_eq!(announces(&later), vec![10]);
    }

    #[test]
    fn lookups_back_off_and_lost_peers_are_sought_soon() {
        let t0 = Instant::now();
        let mut r = ready(t0);
        let spaces = vec![(1, Some(10), vec![10])];
        // Nobody found: 0, 2 (after announcing), then backing off: 22, 62, 142, 302 s …
        let at = lookup_times(&mut r, t0, 0, 320, &spaces);
        assert_eq!(at, vec![0, 2, 22, 62, 142, 302], "lookups back off");
        // Found and connected: the next lookup is ten minutes on.
        r.found(1, [7]);
        r.connected(7);
        let at = lookup_times(&mut r, t0, 320, 1600, &spaces);
        assert!(at.len() <= 3, "{at:?}");
        // Lost: looked for within two seconds.
        let lost = t0 + Duration::from_secs(1920);
        r.disconnected(&7, lost);
        let at = lookup_times(&mut r, t0, 1920, 10, &spaces);
        assert_eq!(at.first().copied(), Some(1922), "{at:?}");
    }

    fn lookups_per_minute(per_minute: u32) {
        let t0 = Instant::now();
        let mut r = R::with_limits(REANNOUNCE_EVERY, per_minute, t0);
        r.set_ready(true);
        r.set_addressable(true);
        let spaces: Vec<_> = (0..100u8)
            .map(|s| (s, Some(s as u32), vec![s as u32, 1000 + s as u32]))
            .collect();
        let mut per_minute = Vec::new();
        for minute in 0..4u64 {
            let mut n = 0;
            for q in 0..240u64 {
                let now = t0 + Duration::from_secs(minute * 60) + Duration::from_millis(q * 250);
                n += lookups(&r.poll(now, 0, &spaces)).len();
            }
            per_minute.push(n);
        }
        assert!(
            per_minute.iter().all(|n| *n as u32 <= LOOKUPS_PER_MINUTE),
            "more lookups a minute than the bound: {per_minute:?}"
        );
        assert!(
            per_minute.iter().sum::<usize>() >= 100,
            "every space gets its turn: {per_minute:?}"
        );
    }

    #[test]
    fn lookups_are_bounded_per_minute() {
        lookups_per_minute(LOOKUPS_PER_MINUTE);
    }

    #[test]
    #[should_panic(expected = "more lookups a minute than the bound")]
    fn the_bound_test_fails_without_a_bound() {
        lookups_per_minute(u32::MAX);
    }
}
