//! Fixed-size identifiers and their text forms.

use std::fmt;

use serde::{Deserialize, Serialize};

fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

/// Hex digits of a short record or space id, wherever one is shown (lists, logs, errors).
pub const SHORT_ID: usize = 12;
/// Characters of a short peer name: the end of the peer id (every Ed25519 peer id starts with
/// the same `12D3KooW`).
pub const SHORT_PEER: usize = 6;

/// The last [`SHORT_PEER`] characters of a peer id string.
pub fn short_peer(peer_id: &str) -> String {
    let start = peer_id
        .char_indices()
        .rev()
        .nth(SHORT_PEER - 1)
        .map_or(0, |(i, _)| i);
    peer_id[start..].to_string()
}

fn short_hex(bytes: &[u8]) -> String {
    hex(&bytes[..SHORT_ID / 2])
}

/// BLAKE3 hash of a record's signed encoding: two peers holding the same id hold the same bytes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RecordId(pub [u8; 32]);

impl RecordId {
    /// The id just below this one in byte order, so that a range "after" it starts with it.
    pub fn just_below(&self) -> Self {
        let mut b = self.0;
        for x in b.iter_mut().rev() {
            if *x > 0 {
                *x -= 1;
                break;
            }
            *x = 0xff;
        }
        Self(b)
    }

    /// Hashes a signed encoding.
    pub fn of(bytes: &[u8]) -> Self {
        Self(*blake3::hash(bytes).as_bytes())
    }

    /// Parses 64 hex digits.
    pub fn from_hex(s: &str) -> Option<Self> {
        let v = data_encoding::HEXLOWER_PERMISSIVE.decode(s.as_bytes()).ok()?;
        Some(Self(v.try_into().ok()?))
    }

    /// The first [`SHORT_ID`] hex digits.
    pub fn short(&self) -> String {
        short_hex(&self.0)
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

impl fmt::Debug for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordId({})", self.short())
    }
}

/// A space's id, derived from its key, kind and owner, so it reveals nothing without the ticket
/// and a forged ticket that swaps the owner or kind names a different space.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SpaceId(pub [u8; 32]);

impl SpaceId {
    /// Parses 64 hex digits.
    pub fn from_hex(s: &str) -> Option<Self> {
        let v = data_encoding::HEXLOWER_PERMISSIVE.decode(s.as_bytes()).ok()?;
        Some(Self(v.try_into().ok()?))
    }

    /// The first [`SHORT_ID`] hex digits.
    pub fn short(&self) -> String {
        short_hex(&self.0)
    }
}

impl fmt::Display for SpaceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

impl fmt::Debug for SpaceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpaceId({})", self.short())
    }
}

/// An author's Ed25519 public key: the same key as the node's libp2p identity.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AuthorKey(pub [u8; 32]);

impl AuthorKey {
    /// The libp2p peer id (`12D3KooW…`) for this key, or the hex key if it is not a valid point.
    pub fn peer_id(&self) -> String {
        match libp2p_identity::ed25519::PublicKey::try_from_bytes(&self.0) {
            Ok(pk) => libp2p_identity::PublicKey::from(pk).to_peer_id().to_string(),
            Err(_) => hex(&self.0),
        }
    }

    /// The last [`SHORT_PEER`] characters of the peer id: a short name people can tell apart.
    pub fn short(&self) -> String {
        short_peer(&self.peer_id())
    }

    /// Parses a peer id string back into the Ed25519 key it embeds.
    pub fn from_peer_id(s: &str) -> Option<Self> {
        let peer: libp2p_identity::PeerId = s.parse().ok()?;
        let mh: &libp2p_identity::PeerId = &peer;
        let digest = mh.as_ref().digest();
        let pk = libp2p_identity::PublicKey::try_decode_protobuf(digest).ok()?;
        let ed = pk.try_into_ed25519().ok()?;
        Some(Self(ed.to_bytes()))
    }
}

impl fmt::Display for AuthorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.peer_id())
    }
}

impl fmt::Debug for AuthorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuthorKey({})", short_hex(&self.0))
    }
}

/// The key a record is reconciled by: its timestamp (big-endian) followed by the first 24 bytes
/// of its id. Sorting keys sorts by (ts, id), and a peer that learns it lacks a key also learns
/// how new that record is, so it can fetch newest first without another round trip.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SyncKey(pub [u8; 32]);

impl SyncKey {
    /// The key of the record with this timestamp and id.
    pub fn new(ts: u64, id: &RecordId) -> Self {
        let mut k = [0u8; 32];
        k[..8].copy_from_slice(&ts.to_be_bytes());
        k[8..].copy_from_slice(&id.0[..24]);
        Self(k)
    }

    /// The timestamp part.
    pub fn ts(&self) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.0[..8]);
        u64::from_be_bytes(b)
    }

    /// The id prefix part.
    pub fn id_prefix(&self) -> &[u8] {
        &self.0[8..]
    }

    /// True if this key names the record with the given timestamp and id.
    pub fn matches(&self, ts: u64, id: &RecordId) -> bool {
        *self == Self::new(ts, id)
    }
}

impl fmt::Debug for SyncKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SyncKey({}:{})", self.ts(), &hex(self.id_prefix())[..8])
    }
}

#[cfg(test)]
mod tests {
    use super::RecordId;

    #[test]
    fn just_below_borrows_across_bytes() {
        let mut a = [0u8; 32];
        a[31] = 5;
        assert_eq!(RecordId(a).just_below().0[31], 4);
        let mut b = [0u8; 32];
        b[30] = 1;
        let below = RecordId(b).just_below().0;
        assert_eq!((below[30], below[31]), (0, 0xff));
        assert!(RecordId(b).just_below().0 < b);
    }
}
