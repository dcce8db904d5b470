//! The periodic work of a running node: re-syncing every connected peer (so records that did
//! not arrive live are fetched within one period), purging expired records, and asking the
//! redial policy whom to dial.

use std::time::{Duration, Instant};

/// The default re-sync period.
pub const RESYNC_EVERY: Duration = Duration::from_secs(30);
/// How often expired records are purged.
pub const PURGE_EVERY: Duration = Duration::from_secs(60);
/// How often the redial policy is asked whom to dial.
pub const REDIAL_EVERY: Duration = Duration::from_secs(2);

/// Work that is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Due {
    /// Reconcile every space with every connected peer.
    Resync,
    /// Delete expired records.
    Purge,
    /// Dial the peers that are due (see [`crate::policy::redial`]).
    Redial,
}

/// When the periodic work is next due.
#[derive(Debug)]
pub struct Schedule {
    resync_every: Duration,
    next_resync: Instant,
    next_purge: Instant,
    next_redial: Instant,
}

impl Schedule {
    /// A schedule starting at `now`: the first redial at once; re-sync and purge one period
    /// later (connecting syncs by itself).
    pub fn new(resync_every: Duration, now: Instant) -> Self {
        Self {
            resync_every,
            next_resync: now + resync_every,
            next_purge: now + PURGE_EVERY,
            next_redial: now,
        }
    }

    /// What is due at `now`; each is due again one period later.
    pub fn poll(&mut self, now: Instant) -> Vec<Due> {
        let mut out = Vec::new();
        if now >= self.next_resync {
            out.push(Due::Resync);
            self.next_resync = now + self.resync_every;
        }
        if now >= self.next_purge {
            out.push(Due::Purge);
            self.next_purge = now + PURGE_EVERY;
        }
        if now >= self.next_redial {
            out.push(Due::Redial);
            self.next_redial = now + REDIAL_EVERY;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Polled every 2 s for two and a half minutes: re-syncs at 30, 60, 90, 120, 150 s, purges
    /// at 60 and 120 s and a redial plan every poll, no more and no less.
    fn periodic_work_comes_once_a_period(every: Duration) {
        let t0 = Instant::now();
        let mut s = Schedule::new(every, t0);
        let mut resyncs = Vec::new();
        let mut purges = Vec::new();
        let mut redials = 0;
        for tick in 0..=75u64 {
            for d in s.poll(t0 + Duration::from_secs(2 * tick)) {
                match d {
                    Due::Resync => resyncs.push(2 * tick),
                    Due::Purge => purges.push(2 * tick),
                    Due::Redial => redials += 1,
                }
            }
        }
        assert_eq!(resyncs, [30, 60, 90, 120, 150], "re-sync times");
        assert_eq!(purges, [60, 120]);
        assert_eq!(redials, 76, "a redial plan every 2 s");
    }

    #[test]
    fn resync_and_purge_come_once_a_period() {
        periodic_work_comes_once_a_period(RESYNC_EVERY);
    }

    #[test]
    #[should_panic(expected = "re-sync times")]
    fn the_schedule_test_fails_when_resync_runs_every_tick() {
        periodic_work_comes_once_a_period(Duration::ZERO);
    }
}
