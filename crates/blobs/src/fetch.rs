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

/// Most groups in one request (1 MiB).
pub const REQUEST_GROUPS: u32 = 64;
/// Fewest groups in one request (a small blob is still asked for in a few pieces, so that
/// peers fetching it at once can pass pieces on to each other while they fetch).
pub const REQUEST_GROUPS_MIN: u32 = 4;
/// Requests in flight to one holder.
pub const PER_HOLDER: u32 = 6;
/// Failed requests after which a holder is set aside.
pub const MAX_FAILURES: u32 = 3;
/// How often to ask connected peers what they hold while a download lacks holders.
pub const ASK_EVERY: Duration = Duration::from_secs(2);
/// How often to ask a few peers what they hold while a download goes on (others fetching
/// the same blob have parts of it to give).
pub const REFRESH_EVERY: Duration = Duration::from_secs(1);
/// After a holder said it was busy, a few peers are asked what they hold this soon (they may
/// have what it would not give).
pub const REFRESH_AFTER_BUSY: Duration = Duration::from_millis(250);
/// How long a holder that said it is busy is left alone.
pub const BUSY_WAIT: Duration = crate::serve::PATIENCE;

/// Groups per request for a blob of `groups` groups: an eighth of it, within
/// [`REQUEST_GROUPS_MIN`]..=[`REQUEST_GROUPS`].
pub fn request_groups(groups: u64) -> u32 {
    (groups / 8).clamp(REQUEST_GROUPS_MIN as u64, REQUEST_GROUPS as u64) as u32
}

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
    /// Runs of groups it said it was too busy to give, and until when to leave them.
    busy: Vec<(u64, u64, Instant)>,
}

impl Holder {
    /// Whether group `g` may be asked of it at `now`.
    fn can(&self, g: u64, now: Instant) -> bool {
        self.has.holds(g)
            && !self
                .busy
                .iter()
                .any(|(s, e, t)| (*s..*e).contains(&g) && *t > now)
    }

    /// Whether it said lately that it was busy.
    fn busy_at(&self, now: Instant) -> bool {
        self.busy.iter().any(|(_, _, t)| *t > now)
    }
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
    /// The holder has handed these groups out enough for now (see [`crate::serve`]).
    Busy,
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
    cursor: usize,
    run: u32,
    /// A holder said it was busy since peers were last asked what they hold.
    refused: bool,
}

/// Which peers to ask what they hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AskHolders {
    /// Every connected peer: no holder can be asked for what is missing.
    All,
    /// A few: the download goes on, and others fetching it may have parts to give.
    Few,
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
            cursor: 0,
            run: request_groups(n as u64),
            refused: false,
        }
    }

    /// Starts asking from group `g` (peers fetching a blob at once start at different places,
    /// so that what each gets first is something the others lack).
    pub fn start_at(&mut self, g: u64) {
        self.cursor = (g % self.groups.len().max(1) as u64) as usize;
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

    /// What is here, for a peer that asks.
    pub fn has(&self) -> Has {
        let here: Vec<bool> = self.groups.iter().map(|g| *g == Group::Here).collect();
        Has::from_groups(&here)
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
            busy: Vec::new(),
        });
        h.has = has;
        h.failures = 0;
    }

    /// A peer was named as having had groups `start..end` (by a busy holder): it may be
    /// asked for them, along with what else it is known to hold.
    pub fn hint(&mut self, peer: P, start: u64, end: u64) {
        match self.holders.get_mut(&peer) {
            Some(h) if h.bad || h.has == Has::All => {}
            Some(h) => {
                let mut have: Vec<bool> = (0..self.groups.len() as u64).map(|g| h.has.holds(g)).collect();
                for g in start..end.min(have.len() as u64) {
                    have[g as usize] = true;
                }
                h.has = Has::from_groups(&have);
                h.failures = 0;
            }
            None => self.holder(peer, Has::Some(vec![(start, end.min(self.groups.len() as u64))])),
        }
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

    /// Whether to ask peers what they hold now: all of them when no holder can be asked for
    /// what is missing (at most every [`ASK_EVERY`]), a few every [`REFRESH_EVERY`] while it
    /// goes on.
    pub fn wants_holders(&mut self, now: Instant) -> Option<AskHolders> {
        if self.complete() {
            return None;
        }
        let since = self.last_ask.map(|t| now.saturating_duration_since(t));
        let usable = self
            .holders
            .values()
            .any(|h| !h.bad && h.failures < MAX_FAILURES && !h.busy_at(now));
        if since.is_none() || (!usable && since >= Some(ASK_EVERY)) {
            self.last_ask = Some(now);
            self.refused = false;
            return Some(AskHolders::All);
        }
        if since >= Some(REFRESH_EVERY) || (self.refused && since >= Some(REFRESH_AFTER_BUSY)) {
            self.last_ask = Some(now);
            self.refused = false;
            return Some(AskHolders::Few);
        }
        None
    }

    /// The requests to send now. What a holder said it was too busy to give is not asked of
    /// it for [`BUSY_WAIT`], and such a holder is asked after the others.
    pub fn asks(&mut self, now: Instant) -> Vec<Ask<P>> {
        let mut out = Vec::new();
        for h in self.holders.values_mut() {
            h.busy.retain(|(_, _, t)| *t > now);
        }
        let mut peers: Vec<(bool, P)> = self
            .holders
            .iter()
            .filter(|(_, h)| !h.bad && h.failures < MAX_FAILURES)
            .map(|(p, h)| (!h.busy.is_empty(), *p))
            .collect();
        peers.sort();
        let n = self.groups.len();
        loop {
            let mut progressed = false;
            for (_, p) in &peers {
                let h = self.holders.get(p).expect("listed");
                if h.inflight >= PER_HOLDER {
                    continue;
                }
                // The first missing group this holder has, from the cursor on.
                let cursor = self.cursor.min(n);
                let Some(start) = (cursor..n)
                    .chain(0..cursor)
                    .find(|&g| self.groups[g] == Group::Missing && h.can(g as u64, now))
                else {
                    continue;
                };
                let mut count = 0u32;
                while count < self.run
                    && start + (count as usize) < n
                    && self.groups[start + count as usize] == Group::Missing
                    && h.can((start + count as usize) as u64, now)
                {
                    self.groups[start + count as usize] = Group::Asked(*p);
                    count += 1;
                }
                self.cursor = (start + count as usize) % n.max(1);
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
    pub fn answered(&mut self, ask: &Ask<P>, delivered: &[u64], fault: Fault, now: Instant) -> After {
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
            Fault::Busy => {
                self.refused = true;
                h.busy
                    .push((ask.start, ask.start + ask.count as u64, now + BUSY_WAIT));
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
            Fault::NotHeld if h.has == Has::All => {
                h.has = Has::Nothing;
                h.failures = MAX_FAILURES;
                After::Continue
            }
            Fault::NotHeld => {
                // A peer that is fetching it too: it lacks these (yet).
                let n = self.groups.len() as u64;
                let got: Vec<bool> = (0..n)
                    .map(|g| {
                        h.has.holds(g) && !(ask.start..ask.start + ask.count as u64).contains(&g)
                            || delivered.contains(&g)
                    })
                    .collect();
                h.has = Has::from_groups(&got);
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
        let t0 = Instant::now();
        let mut d: Download<u8> = Download::new(id(), size, &[]);
        assert!(d.asks(t0).is_empty(), "no holders, no requests");
        d.holder(1, Has::All);
        d.holder(2, Has::All);
        d.holder(3, Has::All);
        let asks = d.asks(t0);
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
        let after = d.answered(&bad, &[bad.start, bad.start + 1], Fault::Corrupt, t0);
        assert_eq!(after, After::Drop);
        assert_eq!(d.holders(), vec![1, 2]);
        // Everything else is answered in full by 1 and 2 until done.
        let mut pending: Vec<Ask<u8>> = asks.into_iter().filter(|a| a.peer != 3).collect();
        let mut rounds = 0;
        while !d.complete() {
            rounds += 1;
            assert!(rounds < 1000);
            pending.extend(d.asks(t0));
            let a = pending.remove(0);
            assert_ne!(a.peer, 3, "a dropped holder is never asked again");
            let gs: Vec<u64> = (a.start..a.start + a.count as u64).collect();
            d.answered(&a, &gs, Fault::None, t0);
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
        let t0 = Instant::now();
        let mut d: Download<u8> = Download::new(id(), size, &[true; 3]);
        assert_eq!(d.bytes_here(), 3 * GROUP_BYTES);
        d.holder(7, Has::Some(vec![(10, 12), (40, 41)]));
        let asks = d.asks(t0);
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
        d.answered(&asks[1], &[40], Fault::None, t0);
        assert_eq!(d.bytes_here(), 3 * GROUP_BYTES + 5);
        // It turns out not to have 10..12 (yet): they are missing again, and not asked of it.
        d.answered(&asks[0], &[], Fault::NotHeld, t0);
        assert!(d.asks(t0).is_empty());
        d.lost(&7);
        let now = t0;
        assert_eq!(d.wants_holders(now), Some(AskHolders::All));
        assert_eq!(d.wants_holders(now + Duration::from_millis(500)), None);
        assert_eq!(d.wants_holders(now + ASK_EVERY), Some(AskHolders::All));
    }

    #[test]
    fn failures_set_a_holder_aside_until_announced_again() {
        let total = (REQUEST_GROUPS * PER_HOLDER * 2) as u64;
        let t0 = Instant::now();
        let mut d: Download<u8> = Download::new(id(), total * GROUP_BYTES, &[]);
        d.holder(1, Has::All);
        let asks = d.asks(t0);
        assert_eq!(asks.len() as u32, PER_HOLDER);
        for a in &asks[..MAX_FAILURES as usize] {
            assert_eq!(d.answered(a, &[], Fault::Failed, t0), After::Continue);
        }
        assert!(d.asks(t0).is_empty(), "set aside after {MAX_FAILURES} failures");
        assert_eq!(d.wants_holders(t0), Some(AskHolders::All));
        d.holder(1, Has::All);
        assert!(!d.asks(t0).is_empty());
    }

    #[test]
    fn a_busy_holder_waits_and_the_peers_it_names_are_asked() {
        let groups = 128u64;
        let t0 = Instant::now();
        let mut d: Download<u8> = Download::new(id(), groups * GROUP_BYTES, &[]);
        assert_eq!(request_groups(groups), 16, "a 2 MiB blob is asked for in eighths");
        d.start_at(70);
        d.holder(1, Has::All);
        let asks = d.asks(t0);
        assert_eq!(asks[0].start, 70, "starts where it was told");
        assert_eq!(asks.len() as u32, PER_HOLDER);
        // The first run: busy, and peers 5 and 6 had it.
        assert_eq!(d.answered(&asks[0], &[], Fault::Busy, t0), After::Continue);
        d.hint(5, 70, 86);
        d.hint(6, 70, 86);
        let next = d.asks(t0);
        assert!(
            next.iter()
                .all(|a| a.peer != 1 || a.start >= 86 || a.start + a.count as u64 <= 70),
            "what a busy holder refused is not asked of it again: {next:?}"
        );
        let next: Vec<_> = next.into_iter().filter(|a| a.peer != 1).collect();
        assert_eq!(next.len(), 1, "{next:?}");
        assert_eq!((next[0].start, next[0].count), (70, 16));
        // Peer 5 did not have it yet: it is no longer asked for it; peer 6 is.
        d.answered(&next[0], &[], Fault::NotHeld, t0);
        let again = d.asks(t0);
        assert_eq!(again.len(), 1);
        assert_ne!(again[0].peer, next[0].peer);
        d.answered(&again[0], &(70..86).collect::<Vec<_>>(), Fault::None, t0);
        // The rest is asked of the busy holder as it answers.
        for a in &asks[1..] {
            d.answered(
                a,
                &(a.start..a.start + a.count as u64).collect::<Vec<_>>(),
                Fault::None,
                t0,
            );
        }
        let rest = d.asks(t0);
        assert!(!rest.is_empty() && rest.iter().all(|a| a.peer == 1), "{rest:?}");
        // A download that goes on asks a few peers what they have, every second, and soon
        // after a holder said it was busy.
        assert_eq!(d.wants_holders(t0), Some(AskHolders::All));
        let mut e: Download<u8> = Download::new(id(), groups * GROUP_BYTES, &[]);
        e.holder(1, Has::All);
        assert_eq!(e.wants_holders(t0), Some(AskHolders::All));
        let busy = e.asks(t0);
        e.answered(&busy[0], &[], Fault::Busy, t0);
        assert_eq!(e.wants_holders(t0 + REFRESH_AFTER_BUSY / 2), None);
        assert_eq!(e.wants_holders(t0 + REFRESH_AFTER_BUSY), Some(AskHolders::Few));
        assert_eq!(d.wants_holders(t0 + REFRESH_EVERY / 2), None);
        assert_eq!(d.wants_holders(t0 + REFRESH_EVERY), Some(AskHolders::Few));
    }
}
