//! Whom to dial, and when: the peers given on the command line and every peer in the address
//! book that is not connected, each with an exponential back-off (1 s doubling to 5 min) after
//! each attempt that did not end in a connection.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::time::{Duration, Instant};

/// Longest wait between attempts at one peer.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// One dial to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dial<P, A> {
    /// A known peer at any of these addresses.
    Peer(P, Vec<A>),
    /// An address whose peer is not known (a `--dial` without `/p2p/…`).
    Addr(A),
}

/// The back-off of every peer ever dialled. `P` is a peer id, `A` an address.
#[derive(Debug)]
pub struct Redial<P> {
    /// Attempts since the last connection, and when the next may be made.
    backoff: HashMap<P, (u32, Instant)>,
    max: Duration,
}

impl<P: Copy + Eq + Hash> Default for Redial<P> {
    fn default() -> Self {
        Self::new(MAX_BACKOFF)
    }
}

impl<P: Copy + Eq + Hash> Redial<P> {
    /// Back-off capped at `max`.
    pub fn new(max: Duration) -> Self {
        Self {
            backoff: HashMap::new(),
            max,
        }
    }

    /// True if `peer` may be dialled at `now`.
    pub fn due(&self, peer: &P, now: Instant) -> bool {
        self.backoff.get(peer).is_none_or(|(_, next)| *next <= now)
    }

    /// An attempt at `peer` was made (or failed) at `now`: wait longer before the next.
    pub fn attempted(&mut self, peer: P, now: Instant) {
        let e = self.backoff.entry(peer).or_insert((0, now));
        e.0 = (e.0 + 1).min(16);
        e.1 = now + Duration::from_secs(1 << e.0.min(9)).min(self.max);
    }

    /// A dial to `peer` failed at `now`. Dials this policy planned were counted when planned;
    /// a failed dial it did not plan (a ticket's inviter, a LAN discovery) starts a back-off.
    pub fn failed(&mut self, peer: P, now: Instant) {
        if !self.backoff.contains_key(&peer) {
            self.attempted(peer, now);
        }
    }

    /// Every back-off is forgotten: the next plan dials every peer (the app came back, or
    /// the network changed, so earlier failures say nothing any more).
    pub fn reset(&mut self) {
        self.backoff.clear();
    }

    /// `peer` connected: its next loss is retried at once.
    pub fn connected(&mut self, peer: &P) {
        self.backoff.remove(peer);
    }

    /// The dials due at `now`: every static address and every peer of the address book that
    /// is not connected and not waiting out its back-off. Addresses without a peer id are
    /// dialled only while nothing at all is connected. Each dial counts as an attempt.
    pub fn plan<A: Clone>(
        &mut self,
        now: Instant,
        me: &P,
        connected: &HashSet<P>,
        static_dials: &[(Option<P>, A)],
        book: &HashMap<P, Vec<A>>,
    ) -> Vec<Dial<P, A>> {
        let mut out = Vec::new();
        for (peer, addr) in static_dials {
            match peer {
                Some(p) if connected.contains(p) || !self.due(p, now) => {}
                Some(p) => {
                    out.push(Dial::Peer(*p, vec![addr.clone()]));
                    self.attempted(*p, now);
                }
                None if connected.is_empty() => out.push(Dial::Addr(addr.clone())),
                None => {}
            }
        }
        for (p, addrs) in book {
            let planned = out.iter().any(|d| matches!(d, Dial::Peer(q, _) if q == p));
            if p == me || planned || connected.contains(p) || !self.due(p, now) || addrs.is_empty() {
                continue;
            }
            out.push(Dial::Peer(*p, addrs.clone()));
            self.attempted(*p, now);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A peer that never answers is dialled after 0, 2, 6, 14, 30, … s (the wait doubles), not
    /// every tick; once connected it is not dialled; after it leaves it is dialled at once.
    fn unreachable_peers_are_dialled_ever_less_often(max: Duration) {
        let t0 = Instant::now();
        let mut r: Redial<u8> = Redial::new(max);
        let book: HashMap<u8, Vec<&str>> = [(2, vec!["/ip4/10.0.0.2/tcp/1"])].into();
        let mut connected = HashSet::new();
        let mut dialled_at = Vec::new();
        // One plan every 2 s for 2 minutes (the actor's tick).
        for tick in 0..60u64 {
            let now = t0 + Duration::from_secs(2 * tick);
            if !r.plan(now, &0, &connected, &[], &book).is_empty() {
                dialled_at.push(2 * tick);
            }
        }
        assert_eq!(dialled_at, [0, 2, 6, 14, 30, 62], "dial times with back-off");
        let now = t0 + Duration::from_secs(200);
        connected.insert(2);
        r.connected(&2);
        assert!(r.plan(now, &0, &connected, &[], &book).is_empty());
        connected.clear();
        assert_eq!(
            r.plan(now, &0, &connected, &[], &book),
            vec![Dial::Peer(2, vec!["/ip4/10.0.0.2/tcp/1"])]
        );
        // Never oneself; an address without a peer id only while alone.
        let me: HashMap<u8, Vec<&str>> = [(0, vec!["/ip4/127.0.0.1/tcp/1"])].into();
        assert!(r.plan(now, &0, &connected, &[], &me).is_empty());
        let anon = [(None, "/ip4/10.0.0.9/tcp/1")];
        assert_eq!(r.plan(now, &0, &connected, &anon, &HashMap::new()).len(), 1);
        connected.insert(5);
        assert!(r.plan(now, &0, &connected, &anon, &HashMap::new()).is_empty());
    }

    #[test]
    fn unreachable_peers_are_dialled_with_back_off() {
        unreachable_peers_are_dialled_ever_less_often(MAX_BACKOFF);
    }

    #[test]
    #[should_panic(expected = "dial times with back-off")]
    fn the_back_off_test_fails_without_back_off() {
        unreachable_peers_are_dialled_ever_less_often(Duration::ZERO);
    }

    #[test]
    fn the_wait_is_capped() {
        let t0 = Instant::now();
        let mut r: Redial<u8> = Redial::default();
        for _ in 0..20 {
            r.attempted(1, t0);
        }
        assert!(!r.due(&1, t0 + Duration::from_secs(299)));
        assert!(r.due(&1, t0 + MAX_BACKOFF));
    }
}
