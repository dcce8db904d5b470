//! How a holder shares the upload of a blob with its audience, sans IO.
//!
//! When many peers want the same blob at once (a newsletter's pictures, just published), the
//! first holder must not send it to each of them: that would make its upload grow with the
//! audience. So every holder hands each group out at most [`COPIES`] times within
//! [`WINDOW`]; a peer that asks for more is told "busy" and given the peers that had those
//! groups from here, who serve them on. A peer that has no one else to ask comes back after
//! [`PATIENCE`] and is served then, so a peer that can reach only this holder is slowed, never
//! stuck.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

use crate::BlobId;

/// Times each group is handed out within [`WINDOW`] before askers are sent elsewhere.
pub const COPIES: usize = 2;
/// How long a group's copies count.
pub const WINDOW: Duration = Duration::from_secs(10);
/// A peer refused that asks again after this long is served.
pub const PATIENCE: Duration = Duration::from_secs(3);
/// Blobs not asked for this long are forgotten.
const IDLE: Duration = Duration::from_secs(60);
/// Peers named in one busy answer.
pub const MAX_HINTS: usize = 8;

/// What to do with a request for a run of groups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Serve<P> {
    /// Send the first `n` groups asked for (`n` ≥ 1).
    Groups(u32),
    /// Send nothing: these peers had the first group from here.
    Busy(Vec<P>),
}

#[derive(Debug)]
struct Given<P> {
    peer: P,
    at: Instant,
}

#[derive(Debug)]
struct Spread<P> {
    /// Who had each group from here, and when (only groups that were sent).
    given: HashMap<u64, Vec<Given<P>>>,
    refused: HashMap<P, Instant>,
    last: Instant,
}

/// The upload policy of one node: per blob, who had which group from here and when.
#[derive(Debug)]
pub struct Uploads<P> {
    blobs: HashMap<BlobId, Spread<P>>,
}

impl<P> Default for Uploads<P> {
    fn default() -> Self {
        Uploads {
            blobs: HashMap::new(),
        }
    }
}

impl<P: Copy + Eq + Hash + Ord> Uploads<P> {
    /// A request from `peer` for `count` groups of `blob` from `start`: how many of them to
    /// send. Nothing is counted until they are sent ([`Self::gave`]).
    pub fn ask(&mut self, peer: P, blob: BlobId, start: u64, count: u32, now: Instant) -> Serve<P> {
        self.blobs
            .retain(|_, s| now.saturating_duration_since(s.last) < IDLE);
        let Some(s) = self.blobs.get_mut(&blob) else {
            return Serve::Groups(count.max(1));
        };
        s.refused
            .retain(|_, t| now.saturating_duration_since(*t) < WINDOW);
        let patient = s
            .refused
            .get(&peer)
            .is_some_and(|t| now.saturating_duration_since(*t) >= PATIENCE);
        let mut n = 0u32;
        for g in start..start.saturating_add(count as u64) {
            let free = match s.given.get_mut(&g) {
                None => true,
                Some(c) => {
                    c.retain(|x| now.saturating_duration_since(x.at) < WINDOW);
                    c.len() < COPIES || c.iter().any(|x| x.peer == peer)
                }
            };
            if !free && !patient {
                break;
            }
            n += 1;
        }
        if n == 0 {
            s.refused.entry(peer).or_insert(now);
            let mut hint: Vec<P> = s.given[&start].iter().map(|x| x.peer).collect();
            hint.sort();
            hint.dedup();
            hint.truncate(MAX_HINTS);
            return Serve::Busy(hint);
        }
        if patient {
            s.refused.remove(&peer);
        }
        Serve::Groups(n)
    }

    /// `n` groups from `start` were sent to `peer`.
    pub fn gave(&mut self, peer: P, blob: BlobId, start: u64, n: u32, now: Instant) {
        let s = self.blobs.entry(blob).or_insert_with(|| Spread {
            given: HashMap::new(),
            refused: HashMap::new(),
            last: now,
        });
        s.last = now;
        for g in start..start.saturating_add(n as u64) {
            let c = s.given.entry(g).or_default();
            c.retain(|x| now.saturating_duration_since(x.at) < WINDOW);
            if !c.iter().any(|x| x.peer == peer) {
                c.push(Given { peer, at: now });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Asks and, when told to, sends.
    fn get(u: &mut Uploads<u8>, peer: u8, b: BlobId, start: u64, count: u32, t: Instant) -> Serve<u8> {
        let s = u.ask(peer, b, start, count, t);
        if let Serve::Groups(n) = s {
            u.gave(peer, b, start, n, t);
        }
        s
    }

    #[test]
    fn each_group_goes_out_twice_then_askers_are_sent_to_those_who_had_it() {
        let mut u: Uploads<u8> = Uploads::default();
        let b = BlobId([3; 32]);
        let t = Instant::now();
        assert_eq!(get(&mut u, 1, b, 0, 50, t), Serve::Groups(50));
        assert_eq!(get(&mut u, 2, b, 20, 50, t), Serve::Groups(50));
        // Groups 20..50 went out twice: peer 3 gets 0..20 and no more.
        assert_eq!(get(&mut u, 3, b, 0, 50, t), Serve::Groups(20));
        assert_eq!(get(&mut u, 4, b, 25, 10, t), Serve::Busy(vec![1, 2]));
        // The same peer asking again (a lost answer) is served.
        assert_eq!(get(&mut u, 1, b, 25, 10, t), Serve::Groups(10));
        // Untouched groups are free.
        assert_eq!(get(&mut u, 4, b, 70, 30, t), Serve::Groups(30));
    }

    #[test]
    fn a_patient_peer_is_served_and_copies_expire() {
        let mut u: Uploads<u8> = Uploads::default();
        let b = BlobId([4; 32]);
        let t = Instant::now();
        get(&mut u, 1, b, 0, 10, t);
        get(&mut u, 2, b, 0, 10, t);
        assert_eq!(get(&mut u, 3, b, 0, 10, t), Serve::Busy(vec![1, 2]));
        assert!(matches!(
            get(&mut u, 3, b, 0, 10, t + PATIENCE / 2),
            Serve::Busy(_)
        ));
        assert_eq!(get(&mut u, 3, b, 0, 10, t + PATIENCE), Serve::Groups(10));
        assert!(matches!(get(&mut u, 4, b, 0, 10, t + PATIENCE), Serve::Busy(_)));
        // Out of the window, copies no longer count.
        assert_eq!(get(&mut u, 4, b, 0, 10, t + WINDOW + PATIENCE), Serve::Groups(10));
        // An idle blob is forgotten.
        get(&mut u, 5, BlobId([5; 32]), 0, 1, t + WINDOW * 10);
        assert_eq!(u.blobs.len(), 1);
    }

    #[test]
    fn asking_alone_keeps_nothing() {
        let mut u: Uploads<u8> = Uploads::default();
        for i in 0..1000u64 {
            assert_eq!(
                u.ask(1, BlobId([6; 32]), i << 40, 64, Instant::now()),
                Serve::Groups(64)
            );
        }
        assert!(u.blobs.is_empty(), "what was never sent is not remembered");
    }
}
