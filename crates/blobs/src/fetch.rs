//! The schedule of one download, sans IO: which groups to ask of which holder, what an
//! answer changes, and whom to stop asking. The node feeds it holders and answers and sends
//! the requests it plans; this module never touches a socket or a file.
//!
//! Requests are runs of up to [`REQUEST_GROUPS`] missing groups; each holder has at most
//! [`PER_HOLDER`] in flight, so a fast holder is asked more often and several holders share a
//! blob by their speed. A holder that sends a group that does not verify is dropped for good;
//! one that fails a few times, or says it does not hold what it said it did, is set aside
//! until it is announced again.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

use crate::proto::Has;
use crate::{groups, BlobId, GROUP_BYTES};

/// Groups in one request (1 MiB).
pub const REQUEST_GROUPS: u32 = 64;
/// Requests in flight to one holder.
pub const PER_HOLDER: u32 = 6;
/// Failed requests after which a holder is set aside.
pub const MAX_FAILURES: u32 = 3;
/// How often to ask connected peers what they hold while a download lacks holders.
pub const ASK_EVERY: Duration = Duration::from_secs(2);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Group<P> {
    Missing,
    Asked(P),
    Here,
}

#[derive(Debug)]
struct Holder {
    has: Has,
    inflight: u32,
    failures: u32,
    bad: bool,
    served: u64,
}

/// One request to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ask<P> {
    /// To whom.
    pub peer: P,
    /// First group.
    pub start: u64,
    /// How many.
    pub count: u32,
}

/// How an answer ended, beyond the groups it delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Every group asked for came and verified.
    None,
    /// A group did not verify: the holder is corrupt or lies.
    Corrupt,
    /// The holder says it does not hold them, or sent fewer than asked.
    NotHeld,
    /// The request failed (timeout, connection closed).
    Failed,
}

/// What the node should do after an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum After {
    /// Go on.
    Continue,
    /// Drop this peer: it served bytes that do not verify.
    Drop,
}

/// The schedule of one blob's download.
#[derive(Debug)]
pub struct Download<P> {
    id: BlobId,
    size: u64,
    groups: Vec<Group<P>>,
    here: u64,
    holders: HashMap<P, Holder>,
    last_ask: Option<Instant>,
}

impl<P: Copy + Eq + Hash + Ord> Download<P> {
    /// A download of `size` bytes of which the groups marked in `have` are here already.
    pub fn new(id: BlobId, size: u64, have: &[bool]) -> Self {
        let n = groups(size) as usize;
        let mut gs = vec![Group::Missing; n];
        let mut here = 0;
        for (g, h) in gs.iter_mut().zip(have) {
            if *h {
                *g = Group::Here;
                here += 1;
            }
        }
        Download {
            id,
            size,
            groups: gs,
            here,
            holders: HashMap::new(),
            last_ask: None,
        }
    }

    /// The blob.
    pub fn id(&self) -> BlobId {
        self.id
    }

    /// Its size.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Whether every group is here.
    pub fn complete(&self) -> bool {
        self.here == self.groups.len() as u64
    }

    /// Bytes here so far.
    pub fn bytes_here(&self) -> u64 {
        if self.complete() {
            return self.size;
        }
        let last_short = self.size % GROUP_BYTES;
        let mut b = self.here * GROUP_BYTES;
        if last_short != 0 && matches!(self.groups.last(), Some(Group::Here)) {
            b -= GROUP_BYTES - last_short;
        }
        b
    }

    /// A peer holds (some of) the blob. A holder dropped as corrupt stays dropped.
    pub fn holder(&mut self, peer: P, has: Has) {
        if has == Has::Nothing {
            return;
        }
        let h = self.holders.entry(peer).or_insert(Holder {
            has: Has::Nothing,
            inflight: 0,
            failures: 0,
            bad: false,
            served: 0,
        });
        h.has = has;
        h.failures = 0;
    }

    /// The peers known to hold some of it (and not dropped).
    pub fn holders(&self) -> Vec<P> {
        let mut v: Vec<P> = self
            .holders
            .iter()
            .filter(|(_, h)| !h.bad)
            .map(|(p, _)| *p)
            .collect();
        v.sort();
        v
    }

    /// Groups each holder delivered (verified).
    pub fn served(&self) -> Vec<(P, u64)> {
        let mut v: Vec<(P, u64)> = self.holders.iter().map(|(p, h)| (*p, h.served)).collect();
        v.sort();
        v
    }

    /// A peer is gone: what was asked of it is missing again.
    pub fn lost(&mut self, peer: &P) {
        if let Some(h) = self.holders.get(peer) {
            if h.bad {
                return;
            }
        }
        self.holders.remove(peer);
        for g in self.groups.iter_mut() {
            if *g == Group::Asked(*peer) {
                *g = Group::Missing;
            }
        }
    }

    /// Whether to ask the connected peers what they hold now: no holder can be asked for
    /// what is missing, at most every [`ASK_EVERY`].
    pub fn wants_holders(&mut self, now: Instant) -> bool {
        if self.complete() {
            return false;
        }
        let usable = self.holders.values().any(|h| !h.bad && h.failures < MAX_FAILURES);
        let due = self.last_ask.is_none_or(|t| now.duration_since(t) >= ASK_EVERY);
        if (!usable || self.last_ask.is_none()) && due {
            self.last_ask = Some(now);
            return true;
        }
        false
    }

    /// The requests to send now.
    pub fn asks(&mut self) -> Vec<Ask<P>> {
        let mut out = Vec::new();
        let mut peers: Vec<P> = self
            .holders
            .iter()
            .filter(|(_, h)| !h.bad && h.failures < MAX_FAILURES)
            .map(|(p, _)| *p)
            .collect();
        peers.sort();
        let mut cursor = 0usize;
        loop {
            let mut progressed = false;
            for p in &peers {
                let h = self.holders.get(p).expect("listed");
                if h.inflight >= PER_HOLDER {
                    continue;
                }
                // The first missing group this holder has, from the cursor on.
                let n = self.groups.len();
                let Some(start) = (cursor..n)
                    .chain(0..cursor)
                    .find(|&g| self.groups[g] == Group::Missing && h.has.holds(g as u64))
                else {
                    continue;
                };
                let mut count = 0u32;
                while count < REQUEST_GROUPS
                    && start + (count as usize) < n
                    && self.groups[start + count as usize] == Group::Missing
                    && h.has.holds((start + count as usize) as u64)
                {
                    self.groups[start + count as usize] = Group::Asked(*p);
                    count += 1;
                }
                cursor = start + count as usize;
                self.holders.get_mut(p).expect("listed").inflight += 1;
                out.push(Ask {
                    peer: *p,
                    start: start as u64,
                    count,
                });
                progressed = true;
            }
            if !progressed {
                return out;
            }
        }
    }

    /// An answer to `ask`: the groups it delivered (verified and written) and how it ended.
    pub fn answered(&mut self, ask: &Ask<P>, delivered: &[u64], fault: Fault) -> After {
        for g in delivered {
            if let Some(s) = self.groups.get_mut(*g as usize) {
                if *s != Group::Here {
                    *s = Group::Here;
                    self.here += 1;
                }
            }
        }
        for g in ask.start..ask.start + ask.count as u64 {
            if let Some(s) = self.groups.get_mut(g as usize) {
                if *s == Group::Asked(ask.peer) {
                    *s = Group::Missing;
                }
            }
        }
        let Some(h) = self.holders.get_mut(&ask.peer) else {
            return After::Continue;
        };
        h.inflight = h.inflight.saturating_sub(1);
        h.served += delivered.len() as u64;
        match fault {
            Fault::None => {
                h.failures = 0;
                After::Continue
            }
            Fault::Corrupt => {
                h.bad = true;
                // Whatever else it was asked goes to others.
                for s in self.groups.iter_mut() {
                    if *s == Group::Asked(ask.peer) {
                        *s = Group::Missing;
                    }
                }
                After::Drop
            }
            Fault::NotHeld => {
                h.has = Has::Nothing;
                h.failures = MAX_FAILURES;
                After::Continue
            }
            Fault::Failed => {
                h.failures += 1;
                After::Continue
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> BlobId {
        BlobId([1; 32])
    }

    #[test]
    fn holders_share_by_speed_and_a_corrupt_one_is_dropped() {
        let total = (REQUEST_GROUPS * PER_HOLDER * 6) as u64;
        let size = total * GROUP_BYTES;
        let mut d: Download<u8> = Download::new(id(), size, &[]);
        assert!(d.asks().is_empty(), "no holders, no requests");
        d.holder(1, Has::All);
        d.holder(2, Has::All);
        d.holder(3, Has::All);
        let asks = d.asks();
        assert_eq!(
            asks.len() as u32,
            3 * PER_HOLDER,
            "each of three holders has its fill in flight"
        );
        let mut seen = std::collections::HashSet::new();
        for a in &asks {
            for g in a.start..a.start + a.count as u64 {
                assert!(seen.insert(g), "group {g} asked twice");
            }
        }
        // Holder 3 answers its first request with a corrupt group in the middle.
        let bad = asks.iter().find(|a| a.peer == 3).unwrap().clone();
        let after = d.answered(&bad, &[bad.start, bad.start + 1], Fault::Corrupt);
        assert_eq!(after, After::Drop);
        assert_eq!(d.holders(), vec![1, 2]);
        // Everything else is answered in full by 1 and 2 until done.
        let mut pending: Vec<Ask<u8>> = asks.into_iter().filter(|a| a.peer != 3).collect();
        let mut rounds = 0;
        while !d.complete() {
            rounds += 1;
            assert!(rounds < 1000);
            pending.extend(d.asks());
            let a = pending.remove(0);
            assert_ne!(a.peer, 3, "a dropped holder is never asked again");
            let gs: Vec<u64> = (a.start..a.start + a.count as u64).collect();
            d.answered(&a, &gs, Fault::None);
        }
        assert_eq!(d.bytes_here(), size);
        let served = d.served();
        assert_eq!(served.iter().map(|(_, n)| n).sum::<u64>(), total);
        assert!(
            served.iter().all(|(p, n)| *p == 3 || *n >= total / 4),
            "{served:?}"
        );
    }

    #[test]
    fn partial_holders_are_asked_only_for_what_they_have() {
        let size = 40 * GROUP_BYTES + 5;
        let mut d: Download<u8> = Download::new(id(), size, &[true; 3]);
        assert_eq!(d.bytes_here(), 3 * GROUP_BYTES);
        d.holder(7, Has::Some(vec![(10, 12), (40, 41)]));
        let asks = d.asks();
        assert_eq!(
            asks,
            vec![
                Ask {
                    peer: 7,
                    start: 10,
                    count: 2
                },
                Ask {
                    peer: 7,
                    start: 40,
                    count: 1
                }
            ]
        );
        d.answered(&asks[1], &[40], Fault::None);
        assert_eq!(d.bytes_here(), 3 * GROUP_BYTES + 5);
        // It turns out not to have 10..12: set aside, and the groups are missing again.
        d.answered(&asks[0], &[], Fault::NotHeld);
        assert!(d.asks().is_empty());
        d.lost(&7);
        let now = Instant::now();
        assert!(d.wants_holders(now));
        assert!(!d.wants_holders(now + Duration::from_millis(500)));
        assert!(d.wants_holders(now + ASK_EVERY));
    }

    #[test]
    fn failures_set_a_holder_aside_until_announced_again() {
        let total = (REQUEST_GROUPS * PER_HOLDER * 2) as u64;
        let mut d: Download<u8> = Download::new(id(), total * GROUP_BYTES, &[]);
        d.holder(1, Has::All);
        let asks = d.asks();
        assert_eq!(asks.len() as u32, PER_HOLDER);
        for a in &asks[..MAX_FAILURES as usize] {
            assert_eq!(d.answered(a, &[], Fault::Failed), After::Continue);
        }
        assert!(d.asks().is_empty(), "set aside after {MAX_FAILURES} failures");
        assert!(d.wants_holders(Instant::now()));
        d.holder(1, Has::All);
        assert!(!d.asks().is_empty());
    }
}
