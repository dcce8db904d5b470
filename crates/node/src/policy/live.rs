//! The live-frame gate: at most a number of live frames (pointers, strokes in progress) per
//! author per board per second are passed on; more are dropped unforwarded, not held against
//! the forwarding peer.

use std::collections::HashMap;
use std::hash::Hash;

/// Live frames accepted per author per board per second.
pub const LIVE_PER_SECOND: u32 = 40;

/// Counts of the current second, per board and author. `S` is the board's id, `A` the author's.
#[derive(Debug)]
pub struct LiveGate<S, A> {
    per_second: u32,
    boards: HashMap<S, (u64, HashMap<A, u32>)>,
}

impl<S: Copy + Eq + Hash, A: Copy + Eq + Hash> LiveGate<S, A> {
    /// A gate passing `per_second` frames per author per board.
    pub fn new(per_second: u32) -> Self {
        Self {
            per_second,
            boards: HashMap::new(),
        }
    }

    /// Counts a frame from `author` on `board` at `now_ms`; true if it may pass.
    pub fn admit(&mut self, board: S, author: A, now_ms: u64) -> bool {
        let second = now_ms / 1000;
        let (at, counts) = self.boards.entry(board).or_insert((second, HashMap::new()));
        if *at != second {
            *at = second;
            counts.clear();
        }
        let n = counts.entry(author).or_insert(0);
        *n = n.saturating_add(1);
        *n <= self.per_second
    }

    /// Forgets a board (left, or this member was removed).
    pub fn forget(&mut self, board: &S) {
        self.boards.remove(board);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 300 frames in one second from one author: 40 pass; the next second 40 more; another
    /// author and another board count on their own.
    fn bursts_are_cut_to_the_rate(per_second: u32) {
        let mut gate: LiveGate<u8, u8> = LiveGate::new(per_second);
        let t = 5_000_000u64;
        let passed = (0..300).filter(|i| gate.admit(1, 1, t + i * 3)).count();
        assert_eq!(passed, LIVE_PER_SECOND as usize, "frames passed in one second");
        let next = (0..300).filter(|i| gate.admit(1, 1, t + 1000 + i)).count();
        assert_eq!(next, LIVE_PER_SECOND as usize);
        assert!(gate.admit(1, 2, t + 1500));
        assert!(gate.admit(2, 1, t + 1500));
    }

    #[test]
    fn a_burst_is_cut_to_the_rate_per_author_and_board() {
        bursts_are_cut_to_the_rate(LIVE_PER_SECOND);
    }

    #[test]
    #[should_panic(expected = "frames passed in one second")]
    fn the_burst_test_fails_without_the_gate() {
        bursts_are_cut_to_the_rate(u32::MAX);
    }
}
