//! One sync session per peer at a time: a request while one runs is remembered and served by
//! one more session when it ends (if the peer is still connected), so bursts of reasons to
//! sync (a connection, a rotation, a re-sync, a recheck) cost one session, not one each.

use std::collections::{BTreeSet, HashMap};
use std::hash::Hash;

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
}

impl<P: Copy + Eq + Hash, S: Ord + Clone> Default for Sessions<P, S> {
    fn default() -> Self {
        Self {
            running: HashMap::new(),
            serial: true,
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

    /// The session with `peer` ended: returns what to start next, if anything was asked for
    /// meanwhile and the peer is still connected.
    pub fn ended(&mut self, peer: P, connected: bool) -> Option<Scope<S>> {
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
            running: HashMap::new(),
            serial: false,
        });
    }
}
