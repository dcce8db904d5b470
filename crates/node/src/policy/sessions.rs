//! One sync session per peer at a time: a request while one runs is remembered and served by
//! one more session when it ends (if the peer is still connected), so bursts of reasons to
//! sync (a connection, a rotation, a re-sync, a recheck) cost one session, not one each.
//!
//! A session whose connection closed under it while the peer stays connected (a relay cut one
//! circuit of two) is tried again at once over what remains, a few times a minute at most, so
//! a peer whose requests keep failing is not asked in a loop.

use std::collections::{BTreeSet, HashMap};
use std::hash::Hash;
use std::time::{Duration, Instant};

/// Most sessions tried again after transport failures, per peer and window.
pub const RETRIES: u32 = 4;
/// The window those are counted in.
pub const RETRY_WINDOW: Duration = Duration::from_secs(30);

/// Which spaces a session covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope<S: Ord> {
    /// Every joined space.
    All,
    /// These.
    Some(BTreeSet<S>),
}

impl<S: Ord + Clone> Scope<S> {
    fn merge(self, other: Scope<S>) -> Scope<S> {
        match (self, other) {
            (Scope::Some(mut a), Scope::Some(b)) => {
                a.extend(b);
                Scope::Some(a)
            }
            _ => Scope::All,
        }
    }
}

/// The sessions running, and what was asked for meanwhile. `P` is a peer id, `S` a space id.
#[derive(Debug)]
pub struct Sessions<P, S: Ord> {
    running: HashMap<P, Option<Scope<S>>>,
    serial: bool,
    /// Per peer: when its retry window began and how many retries it holds.
    retries: HashMap<P, (Instant, u32)>,
    retry_limit: u32,
}

impl<P: Copy + Eq + Hash, S: Ord + Clone> Default for Sessions<P, S> {
    fn default() -> Self {
        Self {
            running: HashMap::new(),
            serial: true,
            retries: HashMap::new(),
            retry_limit: RETRIES,
        }
    }
}

impl<P: Copy + Eq + Hash, S: Ord + Clone> Sessions<P, S> {
    /// Asks for a session with `peer` over `scope`: returns the scope to start now, or `None`
    /// if one is running (it will be served when that ends).
    pub fn request(&mut self, peer: P, scope: Scope<S>) -> Option<Scope<S>> {
        match self.running.get_mut(&peer) {
            Some(waiting) if self.serial => {
                *waiting = Some(match waiting.take() {
                    Some(w) => w.merge(scope),
                    None => scope,
                });
                None
            }
            _ => {
                self.running.insert(peer, None);
                Some(scope)
            }
        }
    }

    /// A session with `peer` failed at `now` because its connection closed, while the peer is
    /// still connected: asks for another over `scope` (as [`Self::request`] does) unless the
    /// peer had its retries for this window, in which case the periodic re-sync serves it.
    pub fn retry(&mut self, peer: P, scope: Scope<S>, now: Instant) -> Option<Scope<S>> {
        let e = self.retries.entry(peer).or_insert((now, 0));
        if now.duration_since(e.0) >= RETRY_WINDOW {
            *e = (now, 0);
        }
        if e.1 >= self.retry_limit {
            return None;
        }
        e.1 += 1;
        self.request(peer, scope)
    }

    /// The session with `peer` ended: returns what to start next, if anything was asked for
    /// meanwhile and the peer is still connected.
    pub fn ended(&mut self, peer: P, connected: bool) -> Option<Scope<S>> {
        if !connected {
            self.retries.remove(&peer);
        }
        match self.running.remove(&peer) {
            Some(Some(next)) if connected => {
                self.running.insert(peer, None);
                Some(next)
            }
            _ => None,
        }
    }

    /// True while a session with `peer` runs.
    pub fn running(&self, peer: &P) -> bool {
        self.running.contains_key(peer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some(s: &[u8]) -> Scope<u8> {
        Scope::Some(s.iter().copied().collect())
    }

    /// Five reasons to sync while a session runs cost one more session, covering all of them.
    fn requests_while_running_cost_one_more_session(sessions: &mut Sessions<u8, u8>) {
        assert_eq!(sessions.request(1, some(&[1])), Some(some(&[1])));
        let started_meanwhile = [some(&[2]), some(&[3]), some(&[2]), some(&[4]), some(&[3])]
            .into_iter()
            .filter_map(|s| sessions.request(1, s))
            .count();
        assert_eq!(started_meanwhile, 0, "sessions started while one ran");
        assert_eq!(sessions.ended(1, true), Some(some(&[2, 3, 4])));
        assert_eq!(sessions.ended(1, true), None);
        assert!(!sessions.running(&1));
        // `All` absorbs the rest; a peer that left gets nothing more.
        sessions.request(2, some(&[1]));
        sessions.request(2, Scope::All);
        sessions.request(2, some(&[5]));
        assert_eq!(sessions.ended(2, true), Some(Scope::All));
        sessions.request(2, some(&[1]));
        assert_eq!(sessions.ended(2, false), None);
        assert!(!sessions.running(&2));
    }

    #[test]
    fn one_session_per_peer_at_a_time() {
        requests_while_running_cost_one_more_session(&mut Sessions::default());
    }

    #[test]
    #[should_panic(expected = "sessions started while one ran")]
    fn the_session_test_fails_when_sessions_are_not_serialised() {
        requests_while_running_cost_one_more_session(&mut Sessions {
            serial: false,
            ..Sessions::default()
        });
    }

    /// A session that fails while the peer stays connected is tried again after it ends, four
    /// times in a window at most; the count starts again in the next window or once the peer
    /// has left.
    fn failures_are_retried_a_few_times(sessions: &mut Sessions<u8, u8>) {
        let t0 = Instant::now();
        let mut retried = 0;
        for i in 0..10u64 {
            let now = t0 + Duration::from_secs(i);
            assert_eq!(sessions.request(1, Scope::All), Some(Scope::All));
            // The session fails; asked again while it is still running, it starts when it ends.
            assert_eq!(sessions.retry(1, Scope::All, now), None);
            if sessions.ended(1, true).is_some() {
                retried += 1;
                sessions.ended(1, true);
            }
        }
        assert_eq!(retried, RETRIES, "retries within one window");
        // The next window, or a peer that came back, may be retried again.
        sessions.request(1, Scope::All);
        sessions.retry(1, Scope::All, t0 + RETRY_WINDOW);
        assert_eq!(sessions.ended(1, true), Some(Scope::All));
        sessions.ended(1, false);
        sessions.request(1, Scope::All);
        sessions.retry(1, Scope::All, t0 + RETRY_WINDOW);
        assert_eq!(sessions.ended(1, true), Some(Scope::All));
    }

    #[test]
    fn failed_sessions_are_retried_within_bounds() {
        failures_are_retried_a_few_times(&mut Sessions::default());
    }

    #[test]
    #[should_panic(expected = "retries within one window")]
    fn the_retry_test_fails_without_a_bound() {
        failures_are_retried_a_few_times(&mut Sessions {
            retry_limit: u32::MAX,
            ..Sessions::default()
        });
    }
}
