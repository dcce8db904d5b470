//! Hybrid logical clock: wall-clock milliseconds in the high 48 bits and a counter in the low 16,
//! so timestamps order events across peers without trusting any clock too far.

use std::sync::Mutex;

/// A hybrid logical clock timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hlc(pub u64);

impl Hlc {
    /// Builds a timestamp from wall milliseconds and a counter.
    pub fn new(ms: u64, counter: u16) -> Self {
        Self((ms << 16) | counter as u64)
    }

    /// The wall-clock milliseconds part.
    pub fn ms(&self) -> u64 {
        self.0 >> 16
    }

    /// The counter that orders timestamps within one millisecond.
    pub fn counter(&self) -> u16 {
        (self.0 & 0xffff) as u16
    }
}

/// Issues strictly increasing timestamps that never run behind timestamps already seen.
#[derive(Debug, Default)]
pub struct Clock {
    last: Mutex<u64>,
}

impl Clock {
    /// A clock that will never issue a timestamp at or below `floor`.
    pub fn with_floor(floor: u64) -> Self {
        Self {
            last: Mutex::new(floor),
        }
    }

    /// The next timestamp: the wall clock if it moved on, else one tick after the last.
    pub fn now(&self) -> Hlc {
        let wall = Hlc::new(crate::now_ms(), 0).0;
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        *last = if wall > *last { wall } else { *last + 1 };
        Hlc(*last)
    }

    /// Moves the clock past a timestamp received from a peer. Callers refuse timestamps too far
    /// in the future before they get here, so one bad peer cannot drag the clock ahead.
    pub fn observe(&self, seen: Hlc) {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if seen.0 > *last {
            *last = seen.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strictly_increasing_and_follows_observed() {
        let c = Clock::default();
        let a = c.now();
        let b = c.now();
        assert!(b > a);
        let far = Hlc::new(a.ms() + 5_000, 7);
        c.observe(far);
        let d = c.now();
        assert!(d > far);
        assert_eq!(d.ms(), far.ms());
    }
}
