//! Flood control for records that arrive by gossip: a token bucket per peer and space. Records
//! over the rate are dropped unforwarded (an honest sender's records reach this node later by
//! sync, which this node paces itself); a peer that keeps sending after a further `burst`
//! records over its allowance is disconnected and refused for a cool-off time.
//!
//! The allowance is taken before a record is verified, so a flood costs no signature checks.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

use crate::config::FloodLimits;

/// What to do with one more gossip record from a peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Within its allowance: verify and store it.
    Accept,
    /// Over it: drop the record, do not forward it.
    Throttle,
    /// Still sending long after: disconnect the peer and refuse it for the cool-off time.
    Drop,
}

/// One peer's allowance in one space.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
    /// Records refused in the current flood: since the bucket was last at least half full.
    over: u32,
}

/// The gate for every peer and space. `P` is the peer's id, `S` the space's.
#[derive(Debug)]
pub struct FloodGate<P, S> {
    limits: FloodLimits,
    buckets: HashMap<(P, S), Bucket>,
    cooling: HashMap<P, Instant>,
}

impl<P: Copy + Eq + Hash, S: Copy + Eq + Hash> FloodGate<P, S> {
    /// A gate with these limits.
    pub fn new(limits: FloodLimits) -> Self {
        Self {
            limits,
            buckets: HashMap::new(),
            cooling: HashMap::new(),
        }
    }

    /// The limits the gate applies.
    pub fn limits(&self) -> FloodLimits {
        self.limits
    }

    /// Takes one record from `peer`'s allowance in `space` at time `now`.
    pub fn admit(&mut self, peer: P, space: S, now: Instant) -> Verdict {
        let FloodLimits {
            per_second,
            burst,
            cool_off_secs,
        } = self.limits;
        let b = self.buckets.entry((peer, space)).or_insert(Bucket {
            tokens: burst as f64,
            last: now,
            over: 0,
        });
        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * per_second as f64).min(burst as f64);
        b.last = now;
        // A flood ends when the allowance has half refilled; until then every refused record
        // counts, even if a token trickles in between batches (counting only refusals in a row
        // let a sender pacing itself just above the rate go on for ever).
        if b.tokens >= burst as f64 / 2.0 {
            b.over = 0;
        }
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            return Verdict::Accept;
        }
        b.over += 1;
        if b.over == burst.max(1) {
            self.cooling
                .insert(peer, now + Duration::from_secs(cool_off_secs));
            Verdict::Drop
        } else {
            Verdict::Throttle
        }
    }

    /// True while a peer dropped for flooding is refused.
    pub fn cooling(&self, peer: &P, now: Instant) -> bool {
        self.cooling.get(peer).is_some_and(|until| now < *until)
    }

    /// Forgets a peer's allowances when it disconnects (its cool-off stays), and cool-offs
    /// that are over.
    pub fn disconnected(&mut self, peer: &P, now: Instant) {
        self.buckets.retain(|(p, _), _| p != peer);
        self.cooling.retain(|_, until| *until > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: FloodLimits = FloodLimits {
        per_second: 200,
        burst: 400,
        cool_off_secs: 3,
    };

    /// A flood of 3,000 records at 1,000 a second (a batch every 10 ms): the first `burst`
    /// pass, then records are throttled, the peer is dropped, and refused for the cool-off;
    /// an honest sender at half the rate is never throttled.
    fn floods_are_throttled_then_dropped(limits: FloodLimits) {
        let t0 = Instant::now();
        let mut gate: FloodGate<u8, u8> = FloodGate::new(limits);
        let (mut accepted, mut throttled, mut dropped_at) = (0, 0, None);
        for i in 0..3000u64 {
            let now = t0 + Duration::from_millis(i);
            match gate.admit(1, 7, now) {
                Verdict::Accept => accepted += 1,
                Verdict::Throttle => throttled += 1,
                Verdict::Drop => {
                    dropped_at.get_or_insert(now);
                }
            }
        }
        let dropped_at = dropped_at.expect("the flooding peer was never dropped");
        assert!(accepted < 1000, "{accepted} of 3000 flooded records accepted");
        assert!(throttled > 0);
        assert!(gate.cooling(&1, dropped_at + Duration::from_secs(2)));
        assert!(!gate.cooling(&1, dropped_at + Duration::from_secs(4)));
        // Another peer, and the same peer in another space, have their own allowance.
        assert_eq!(gate.admit(2, 7, t0), Verdict::Accept);
        assert_eq!(gate.admit(1, 8, t0 + Duration::from_secs(3)), Verdict::Accept);
        // An honest sender at 100 a second for a minute is never held back.
        let mut honest: FloodGate<u8, u8> = FloodGate::new(limits);
        for i in 0..6000u64 {
            assert_eq!(
                honest.admit(3, 7, t0 + Duration::from_millis(10 * i)),
                Verdict::Accept
            );
        }
    }

    #[test]
    fn a_flood_is_throttled_then_dropped_and_an_honest_sender_is_not() {
        floods_are_throttled_then_dropped(LIMITS);
    }

    /// The same scenario with the policy disabled (an allowance no flood reaches) fails.
    #[test]
    #[should_panic(expected = "never dropped")]
    fn the_flood_test_fails_without_flood_control() {
        floods_are_throttled_then_dropped(FloodLimits {
            per_second: u32::MAX,
            burst: u32::MAX,
            cool_off_secs: 3,
        });
    }

    #[test]
    fn a_paced_flood_just_over_the_rate_is_still_dropped() {
        // One record every 4 ms (250/s, just over 200/s): tokens trickle in between, but every
        // refusal counts until the allowance half refills, so the sender is dropped.
        let t0 = Instant::now();
        let mut gate: FloodGate<u8, u8> = FloodGate::new(LIMITS);
        let dropped =
            (0..20_000u64).any(|i| gate.admit(1, 1, t0 + Duration::from_millis(4 * i)) == Verdict::Drop);
        assert!(dropped);
    }
}
