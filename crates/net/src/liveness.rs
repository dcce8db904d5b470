//! Which connections stopped answering pings. libp2p's ping handler keeps the first failure on
//! a connection to itself (for peers that open a new stream per ping), so a connection whose
//! other end vanished — a home router that changed its public address, a phone that left the
//! Wi-Fi — is reported only after two intervals and two timeouts, close to a minute. This
//! tracker closes it after [`SILENT_FOR`] without an answer instead, so the peer is sought
//! again (through the rendezvous) while the user still remembers why they were waiting.
//!
//! Only connections that have answered once are watched: a peer that does not speak ping is no
//! reason to close anything. Sans-IO: the event loop feeds it pongs and the time.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// How often each connection is pinged.
pub const PING_EVERY: Duration = Duration::from_secs(5);
/// How long a connection that answered before may go without answering: three pings.
pub const SILENT_FOR: Duration = Duration::from_secs(16);

/// The last answer on each watched connection. `C` is a connection id.
#[derive(Debug)]
pub struct Liveness<C> {
    last: HashMap<C, Instant>,
    silent_for: Duration,
}

impl<C: Copy + Eq + Hash> Default for Liveness<C> {
    fn default() -> Self {
        Self::new(SILENT_FOR)
    }
}

impl<C: Copy + Eq + Hash> Liveness<C> {
    /// Connections are given up after `silent_for` without an answer.
    pub fn new(silent_for: Duration) -> Self {
        Self {
            last: HashMap::new(),
            silent_for,
        }
    }

    /// A ping on `conn` was answered at `now`.
    pub fn answered(&mut self, conn: C, now: Instant) {
        self.last.insert(conn, now);
    }

    /// `conn` closed.
    pub fn closed(&mut self, conn: &C) {
        self.last.remove(conn);
    }

    /// The connections silent for too long at `now`, to be closed: each is reported once.
    pub fn silent(&mut self, now: Instant) -> Vec<C> {
        let limit = self.silent_for;
        let gone: Vec<C> = self
            .last
            .iter()
            .filter(|(_, t)| now.saturating_duration_since(**t) > limit)
            .map(|(c, _)| *c)
            .collect();
        for c in &gone {
            self.last.remove(c);
        }
        gone
    }

    /// How many connections are watched.
    pub fn len(&self) -> usize {
        self.last.len()
    }

    /// True if none is.
    pub fn is_empty(&self) -> bool {
        self.last.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Connection 1 answers every ping; 2 stops answering at 10 s; 3 never answered. Checked
    /// every 2 s for a minute: 2 is given up once, between 26 and 28 s; 1 and 3 never.
    fn a_silent_connection_is_given_up_once(silent_for: Duration) {
        let t0 = Instant::now();
        let mut l: Liveness<u8> = Liveness::new(silent_for);
        let mut given_up = Vec::new();
        for s in (0..=60u64).step_by(2) {
            let now = t0 + Duration::from_secs(s);
            if s % 5 == 0 || s % 5 == 1 {
                l.answered(1, now);
            }
            if s <= 10 {
                l.answered(2, now);
            }
            for c in l.silent(now) {
                given_up.push((c, s));
            }
        }
        assert_eq!(given_up.len(), 1, "given up: {given_up:?}");
        assert_eq!(given_up[0].0, 2, "given up: {given_up:?}");
        assert!((26..=28).contains(&given_up[0].1), "given up: {given_up:?}");
        assert_eq!(l.len(), 1);
        l.closed(&1);
        assert!(l.is_empty());
    }

    #[test]
    fn a_connection_that_stops_answering_is_given_up_within_bounds() {
        a_silent_connection_is_given_up_once(SILENT_FOR);
    }

    #[test]
    #[should_panic(expected = "given up")]
    fn the_liveness_test_fails_when_nothing_is_ever_silent() {
        a_silent_connection_is_given_up_once(Duration::MAX);
    }
}
