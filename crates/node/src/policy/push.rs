//! Pushing what gossip did not carry. A record written here that no peer heard by gossip (no
//! connected peer was on its topic yet: the moments after a key rotation or a join, before
//! the peers' subscriptions arrive) is pushed by sync to the connected peers at once, rather
//! than waiting up to a re-sync period for them to pull it. At most one push round per space
//! per `gap`; a record unheard within the gap is owed one more round when the gap ends, so the
//! last write of a burst is always pushed.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

/// The shortest time between two push rounds of one space.
pub const PUSH_GAP: Duration = Duration::from_secs(2);

/// The push rounds of each space. `S` is the space's id.
#[derive(Debug)]
pub struct Pushes<S> {
    gap: Duration,
    last: HashMap<S, Instant>,
    owed: BTreeSet<S>,
}

impl<S: Copy + Ord + std::hash::Hash> Pushes<S> {
    /// Rounds at least `gap` apart per space.
    pub fn new(gap: Duration) -> Self {
        Self {
            gap,
            last: HashMap::new(),
            owed: BTreeSet::new(),
        }
    }

    /// A record of `space` reached nobody by gossip at `now`: true to push the space now;
    /// false if a round ran within the gap (one more is then owed, see [`Pushes::due`]).
    pub fn unheard(&mut self, space: S, now: Instant) -> bool {
        match self.last.get(&space) {
            Some(&at) if now.saturating_duration_since(at) < self.gap => {
                self.owed.insert(space);
                false
            }
            _ => {
                self.last.insert(space, now);
                self.owed.remove(&space);
                true
            }
        }
    }

    /// The spaces whose owed round is due at `now`; forgets rounds older than the gap.
    pub fn due(&mut self, now: Instant) -> Vec<S> {
        let gap = self.gap;
        let ready = |at: Option<&Instant>| at.is_none_or(|&at| now.saturating_duration_since(at) >= gap);
        let due: Vec<S> = self
            .owed
            .iter()
            .copied()
            .filter(|s| ready(self.last.get(s)))
            .collect();
        for s in &due {
            self.owed.remove(s);
            self.last.insert(*s, now);
        }
        self.last
            .retain(|s, at| self.owed.contains(s) || now.saturating_duration_since(*at) < gap);
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A burst of unheard writes over five seconds, ticking every half second: one round at
    /// once, then one per gap while writes keep coming, and one after the last write.
    fn rounds_of_a_burst(gap: Duration) -> Vec<u64> {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut p: Pushes<u8> = Pushes::new(gap);
        let mut rounds = Vec::new();
        for step in 0..20u64 {
            let now = ms(step * 250);
            // Writes every 250 ms for the first 4.75 s; the tick every 500 ms.
            if p.unheard(1, now) {
                rounds.push(step * 250);
            }
            if step % 2 == 0 && !p.due(now).is_empty() {
                rounds.push(step * 250);
            }
        }
        for step in 20..40u64 {
            if step % 2 == 0 && !p.due(ms(step * 250)).is_empty() {
                rounds.push(step * 250);
            }
        }
        rounds
    }

    #[test]
    fn a_burst_is_pushed_once_a_gap_and_after_its_last_write() {
        assert_eq!(rounds_of_a_burst(PUSH_GAP), [0, 2000, 4000, 6000]);
    }

    #[test]
    #[should_panic(expected = "left")]
    fn the_burst_test_fails_when_every_write_is_pushed() {
        assert_eq!(rounds_of_a_burst(Duration::ZERO), [0, 2000, 4000, 6000]);
    }

    #[test]
    fn spaces_are_apart_and_nothing_is_owed_after_a_quiet_gap() {
        let t0 = Instant::now();
        let mut p: Pushes<u8> = Pushes::new(PUSH_GAP);
        assert!(p.unheard(1, t0));
        assert!(p.unheard(2, t0), "another space has its own gap");
        assert!(p.due(t0 + Duration::from_secs(1)).is_empty(), "nothing owed");
        assert!(p.unheard(1, t0 + Duration::from_secs(3)), "the gap is over");
        assert!(!p.unheard(1, t0 + Duration::from_secs(4)));
        assert!(
            p.due(t0 + Duration::from_millis(4_500)).is_empty(),
            "owed, not yet due"
        );
        assert_eq!(p.due(t0 + Duration::from_secs(5)), [1]);
        assert!(p.due(t0 + Duration::from_secs(10)).is_empty(), "paid once");
        assert!(p.last.is_empty(), "old rounds are forgotten");
    }
}
