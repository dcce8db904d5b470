//! "Held by N peers": after a sync session in which reconciliation shows a peer lacks none of
//! this node's records of a space, the peer holds everything the space had when the session
//! began. When it lacked some it is fetching them itself (each side pulls), so the node looks
//! again a little later, a few times in a row, then leaves it to the periodic re-sync. A peer
//! reached only through a relay is not looked at again: every look reconciles over a circuit
//! that the relay may cut after 128 KiB, which its catch-up needs more.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// How long after a session that found the peer lacking to look again.
pub const RECHECK_AFTER: Duration = Duration::from_secs(2);
/// How many times in a row to look again.
pub const RECHECKS: u32 = 3;

/// What a finished session means for the peer's standing as a holder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It holds every record this node had when the session began (ms): note it.
    Holds(u64),
    /// It lacked some: look again at this time.
    RecheckAt(Instant),
    /// It lacked some and was looked at often enough: the periodic re-sync takes over.
    Wait,
}

/// Rechecks in progress per peer and space. `P` is a peer id, `S` a space id.
#[derive(Debug)]
pub struct Holders<P, S> {
    rechecks: HashMap<(P, S), (u32, Option<Instant>)>,
    limit: u32,
}

impl<P: Copy + Eq + Hash, S: Copy + Eq + Hash> Default for Holders<P, S> {
    fn default() -> Self {
        Self::new(RECHECKS)
    }
}

impl<P: Copy + Eq + Hash, S: Copy + Eq + Hash> Holders<P, S> {
    /// At most `limit` rechecks in a row.
    pub fn new(limit: u32) -> Self {
        Self {
            rechecks: HashMap::new(),
            limit,
        }
    }

    /// A session over `space` with `peer` that began at `started_ms` ended at `now`; `lacked`
    /// is how many of this node's records reconciliation found the peer lacking; `limited` says
    /// the peer is reached only through a relay circuit.
    pub fn session_done(
        &mut self,
        peer: P,
        space: S,
        lacked: u64,
        started_ms: u64,
        limited: bool,
        now: Instant,
    ) -> Outcome {
        if lacked == 0 {
            self.rechecks.remove(&(peer, space));
            return Outcome::Holds(started_ms);
        }
        if limited {
            self.rechecks.remove(&(peer, space));
            return Outcome::Wait;
        }
        let e = self.rechecks.entry((peer, space)).or_insert((0, None));
        if e.0 >= self.limit {
            e.1 = None;
            return Outcome::Wait;
        }
        e.0 += 1;
        let at = now + RECHECK_AFTER;
        e.1 = Some(at);
        Outcome::RecheckAt(at)
    }

    /// The rechecks due at `now` (each only once).
    pub fn due(&mut self, now: Instant) -> Vec<(P, S)> {
        let mut out = Vec::new();
        for (k, (_, at)) in self.rechecks.iter_mut() {
            if at.is_some_and(|t| t <= now) {
                *at = None;
                out.push(*k);
            }
        }
        out
    }

    /// Forgets a peer that disconnected.
    pub fn disconnected(&mut self, peer: &P) {
        self.rechecks.retain(|(p, _), _| p != peer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A subscriber that lacks the newest issue is looked at again 2 s later; when it has
    /// fetched it, it is noted as a holder of everything up to the session's start; one that
    /// never catches up is looked at three times, then left to the periodic re-sync.
    fn a_fetching_peer_is_looked_at_again_then_noted(limit: u32) {
        let t0 = Instant::now();
        let mut h: Holders<u8, u8> = Holders::new(limit);
        let at = match h.session_done(1, 9, 1, 1_000, false, t0) {
            Outcome::RecheckAt(at) => at,
            other => panic!("a lacking peer should be looked at again, got {other:?}"),
        };
        assert_eq!(at, t0 + RECHECK_AFTER);
        assert!(h.due(t0 + Duration::from_secs(1)).is_empty());
        assert_eq!(h.due(at), vec![(1, 9)]);
        assert!(h.due(at).is_empty(), "a recheck is due once");
        assert_eq!(h.session_done(1, 9, 0, 3_000, false, at), Outcome::Holds(3_000));
        // Never catching up: three rechecks, then wait.
        let outcomes: Vec<Outcome> = (0..5)
            .map(|i| h.session_done(2, 9, 5, 0, false, t0 + Duration::from_secs(3 * i)))
            .collect();
        assert!(matches!(outcomes[2], Outcome::RecheckAt(_)));
        assert_eq!(outcomes[3], Outcome::Wait);
        assert_eq!(outcomes[4], Outcome::Wait);
        h.disconnected(&2);
        assert!(matches!(
            h.session_done(2, 9, 5, 0, false, t0),
            Outcome::RecheckAt(_)
        ));
        // Reached through a relay: not looked at again; a holder all the same.
        assert_eq!(h.session_done(3, 9, 5, 0, true, t0), Outcome::Wait);
        assert!(h.due(t0 + RECHECK_AFTER).iter().all(|(p, _)| *p != 3));
        assert_eq!(h.session_done(3, 9, 0, 7, true, t0), Outcome::Holds(7));
    }

    #[test]
    fn a_fetching_peer_is_rechecked_then_noted_as_holder() {
        a_fetching_peer_is_looked_at_again_then_noted(RECHECKS);
    }

    #[test]
    #[should_panic(expected = "should be looked at again")]
    fn the_holder_test_fails_without_rechecks() {
        a_fetching_peer_is_looked_at_again_then_noted(0);
    }
}
