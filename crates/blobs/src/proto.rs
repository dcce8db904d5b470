//! The blob protocol's messages (postcard, one request and one response per stream).

use serde::{Deserialize, Serialize};

use crate::{BlobId, GROUP_BYTES, MAX_REQUEST_GROUPS};

/// The protocol's name on libp2p.
pub const PROTOCOL: &str = "/confab/blob/1";
/// Largest frame either way: a full request's groups and their tree hashes.
pub const MAX_FRAME: usize = MAX_REQUEST_GROUPS as usize * GROUP_BYTES as usize + 64 * 1024;
/// Most blobs one question about holdings may name.
pub const MAX_ASKED: usize = 256;
/// Most runs of groups one peer's holdings are read as (the rest are not counted).
pub const MAX_RUNS: usize = 4096;

/// What a peer asks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// `count` groups of a blob from group `start`, with the tree hashes that verify them.
    Get {
        /// The blob.
        blob: BlobId,
        /// First group.
        start: u64,
        /// How many (1..=[`MAX_REQUEST_GROUPS`]).
        count: u32,
    },
    /// How much of each of these blobs the peer holds.
    Have {
        /// The blobs.
        blobs: Vec<BlobId>,
    },
    /// The asker now holds these blobs whole (it can be asked for them).
    Holds {
        /// The blobs.
        blobs: Vec<BlobId>,
    },
    /// What the asker holds of a blob it is fetching, sent to peers that asked it about that
    /// blob (they are fetching it too, and can take these groups from it).
    Progress {
        /// The blob.
        blob: BlobId,
        /// What is here.
        has: Has,
    },
}

/// How much of a blob a peer holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Has {
    /// None of it.
    Nothing,
    /// All of it.
    All,
    /// These runs of groups (start, end exclusive).
    Some(Vec<(u64, u64)>),
}

impl Has {
    /// From a list of the groups held.
    pub fn from_groups(have: &[bool]) -> Has {
        if have.iter().all(|h| *h) {
            return Has::All;
        }
        let mut runs = Vec::new();
        let mut i = 0;
        while i < have.len() {
            if have[i] {
                let s = i;
                while i < have.len() && have[i] {
                    i += 1;
                }
                runs.push((s as u64, i as u64));
            } else {
                i += 1;
            }
        }
        if runs.is_empty() {
            Has::Nothing
        } else {
            Has::Some(runs)
        }
    }

    /// At most [`MAX_RUNS`] runs of it (what a peer says it holds, bounded).
    pub fn bounded(self) -> Has {
        match self {
            Has::Some(mut runs) => {
                runs.truncate(MAX_RUNS);
                Has::Some(runs)
            }
            h => h,
        }
    }

    /// Whether group `g` is held.
    pub fn holds(&self, g: u64) -> bool {
        match self {
            Has::Nothing => false,
            Has::All => true,
            Has::Some(runs) => runs.iter().any(|(s, e)| (*s..*e).contains(&g)),
        }
    }
}

/// What a peer answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Response {
    /// The encoded groups asked for (as bytes: postcard would take a plain `Vec<u8>` a byte
    /// at a time).
    Data(#[serde(with = "serde_bytes")] Vec<u8>),
    /// The groups asked for are not (all) held here.
    NotHeld,
    /// For each blob asked about, in order.
    Have(Vec<Has>),
    /// Noted.
    Ok,
    /// The request was malformed.
    Refused(String),
    /// The groups asked for were handed out enough for now: ask these peers (peer ids as
    /// bytes), who had them from here, or ask again later.
    Busy(Vec<Vec<u8>>),
}

/// The bytes of a [`Response::Data`] frame, borrowed from it (no copy of a megabyte for
/// each answer); `None` if the frame is another response.
pub fn data_of(frame: &[u8]) -> Option<&[u8]> {
    #[derive(Deserialize)]
    enum Borrowed<'a> {
        Data(#[serde(borrow, with = "serde_bytes")] &'a [u8]),
    }
    // Data is the first variant: its tag is 0, and postcard stops at the variant it reads.
    if frame.first() != Some(&0) {
        return None;
    }
    match postcard::take_from_bytes::<Borrowed<'_>>(frame) {
        Ok((Borrowed::Data(d), [])) => Some(d),
        _ => None,
    }
}

/// Encodes a message.
pub fn encode<T: Serialize>(m: &T) -> Vec<u8> {
    postcard::to_stdvec(m).expect("messages encode")
}

/// Decodes a message, refusing trailing bytes.
pub fn decode<'a, T: Deserialize<'a>>(b: &'a [u8]) -> Result<T, String> {
    match postcard::take_from_bytes::<T>(b) {
        Ok((v, [])) => Ok(v),
        Ok(_) => Err("trailing bytes after a blob message".into()),
        Err(e) => Err(format!("not a blob message: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_is_read_in_place_and_other_answers_are_not_data() {
        let f = encode(&Response::Data(vec![1, 2, 3]));
        assert_eq!(data_of(&f), Some(&[1u8, 2, 3][..]));
        assert_eq!(decode::<Response>(&f).unwrap(), Response::Data(vec![1, 2, 3]));
        assert_eq!(data_of(&encode(&Response::NotHeld)), None);
        assert_eq!(data_of(&encode(&Response::Refused("x".into()))), None);
        let mut long = f.clone();
        long.push(0);
        assert_eq!(data_of(&long), None);
    }
}
