//! Where members of a space meet in a DHT: a key only holders of the space's current key can
//! compute, that changes every [`WINDOW_MS`]. Members announce themselves under the key of the
//! current window and look up the current and the previous one, so a window boundary (or a
//! clock a little behind) loses nobody. A removed member, lacking the current key, can compute
//! neither; an outsider who sees the key learns nothing but that its announcers share a space.

use crate::space::Space;

/// Length of one rendezvous window: a day.
pub const WINDOW_MS: u64 = 24 * 60 * 60 * 1000;

/// The window a moment falls in.
pub fn window_of(now_ms: u64) -> u64 {
    now_ms / WINDOW_MS
}

/// A rendezvous key: 32 bytes, shown as a SHA-256-tagged multihash in the DHT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RendezvousKey(pub [u8; 32]);

impl RendezvousKey {
    /// The key as DHT key bytes: a multihash (code 0x12, 32 bytes), the shape the public DHT
    /// expects provider keys to have.
    pub fn to_multihash_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(34);
        v.extend_from_slice(&[0x12, 0x20]);
        v.extend_from_slice(&self.0);
        v
    }

    /// The key back from multihash bytes, if they are one of ours in shape.
    pub fn from_multihash_bytes(b: &[u8]) -> Option<Self> {
        match b {
            [0x12, 0x20, rest @ ..] if rest.len() == 32 => Some(Self(rest.try_into().ok()?)),
            _ => None,
        }
    }
}

impl Space {
    /// The rendezvous key of window `window`, from the current epoch's key; `None` for a
    /// member that was removed.
    pub fn rendezvous_key(&self, window: u64) -> Option<RendezvousKey> {
        let key = self.current_key()?;
        let mut h = blake3::Hasher::new_derive_key("confab 2026 rendezvous v1");
        h.update(&self.id.0);
        h.update(&key.0);
        h.update(&window.to_le_bytes());
        Some(RendezvousKey(*h.finalize().as_bytes()))
    }

    /// The key to announce under at `now_ms`.
    pub fn announce_key(&self, now_ms: u64) -> Option<RendezvousKey> {
        self.rendezvous_key(window_of(now_ms))
    }

    /// The keys to look up at `now_ms`: the current window's, then the previous one's.
    pub fn lookup_keys(&self, now_ms: u64) -> Vec<RendezvousKey> {
        let w = window_of(now_ms);
        [Some(w), w.checked_sub(1)]
            .into_iter()
            .flatten()
            .filter_map(|w| self.rendezvous_key(w))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::AuthorKey;
    use crate::space::{Epoch, SpaceKind};
    use crate::SpaceKey;

    fn space() -> Space {
        Space::create(SpaceKind::Chat, "Team", AuthorKey([7; 32])).unwrap()
    }

    #[test]
    fn the_key_changes_at_the_window_boundary_and_lookups_cover_both_windows() {
        let s = space();
        let boundary = 20_000 * WINDOW_MS;
        let before = s.announce_key(boundary - 1).unwrap();
        let at = s.announce_key(boundary).unwrap();
        assert_ne!(before, at, "a new window, a new key");
        assert_eq!(
            s.announce_key(boundary + WINDOW_MS - 1).unwrap(),
            at,
            "one key per window"
        );
        // Just after the boundary, someone who announced just before is still found.
        let looked = s.lookup_keys(boundary + 1);
        assert_eq!(looked, vec![at, before]);
        // A day later the oldest window is no longer looked up.
        assert!(!s.lookup_keys(boundary + WINDOW_MS).contains(&before));
        // Other spaces, and the same space with another key, meet elsewhere.
        assert_ne!(space().announce_key(boundary).unwrap(), at);
        assert_eq!(
            RendezvousKey::from_multihash_bytes(&at.to_multihash_bytes()),
            Some(at)
        );
        assert_eq!(RendezvousKey::from_multihash_bytes(&[0x12, 0x20, 1]), None);
    }

    #[test]
    fn a_rotation_moves_the_rendezvous_and_a_removed_member_cannot_follow() {
        let mut member = space();
        let now = 20_000 * WINDOW_MS + 5;
        let old = member.announce_key(now).unwrap();
        let mut removed = member.clone();
        member.epochs.push(Epoch {
            n: 1,
            since: 1,
            key: Some(SpaceKey::random()),
            removed: vec![AuthorKey([9; 32])],
            kept: None,
        });
        removed.epochs.push(Epoch {
            key: None,
            ..member.epochs[0].clone()
        });
        let new = member.announce_key(now).unwrap();
        assert_ne!(old, new);
        assert_eq!(removed.announce_key(now), None);
        assert!(removed.lookup_keys(now).is_empty());
    }
}
