//! Blobs: file contents kept outside SQLite, one file per blob in the data dir.
//!
//! A blob is a file encrypted with a key of its own (ChaCha20, a fresh random key per blob, so
//! the nonce is fixed), and it is named by the BLAKE3 hash of the encrypted bytes. The key and
//! the hash travel inside a signed, encrypted record; whoever holds the bytes (a member, or a
//! peer that only relays) can check them against the hash without being able to read them.
//!
//! Every transfer is verified as it streams: BLAKE3's tree (the `bao-tree` crate, 16 KiB chunk
//! groups) lets a receiver check each group against the hash before it is written, so a
//! corrupt or malicious group is caught at once and never stored. A download is done by
//! ranges from any holders, several at once ([`fetch::Download`], a sans-IO schedule), and
//! resumes after a restart from what was verified ([`BlobStore::begin`]).
#![deny(missing_docs)]

mod crypt;
pub mod fetch;
pub mod proto;
pub mod serve;
mod store;

use std::fmt;
use std::str::FromStr;

pub use crypt::BlobKey;
pub use store::{BlobStore, Held, Imported, Ingested};

/// Bytes in a chunk group: the unit that is verified, requested and stored.
pub const GROUP_BYTES: u64 = 16 * 1024;
/// log2 of the 1 KiB BLAKE3 chunks in a group.
pub(crate) const GROUP_LOG: u8 = 4;
/// Most groups one request asks for (1 MiB).
pub const MAX_REQUEST_GROUPS: u32 = 64;

/// The tree geometry of a blob of `size` bytes.
pub(crate) fn tree(size: u64) -> bao_tree::BaoTree {
    bao_tree::BaoTree::new(size, bao_tree::BlockSize::from_chunk_log(GROUP_LOG))
}

/// Groups in a blob of `size` bytes.
pub fn groups(size: u64) -> u64 {
    size.div_ceil(GROUP_BYTES)
}

/// A blob's name: the BLAKE3 hash of its encrypted bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct BlobId(pub [u8; 32]);

impl BlobId {
    /// The first 8 hex digits, for logs.
    pub fn short(&self) -> String {
        self.to_string()[..8].to_string()
    }

    pub(crate) fn hash(&self) -> blake3::Hash {
        blake3::Hash::from_bytes(self.0)
    }
}

impl fmt::Display for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&data_encoding::HEXLOWER.encode(&self.0))
    }
}

impl fmt::Debug for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobId({})", self.short())
    }
}

impl FromStr for BlobId {
    type Err = BlobError;
    fn from_str(s: &str) -> Result<Self, BlobError> {
        let bytes = data_encoding::HEXLOWER_PERMISSIVE
            .decode(s.as_bytes())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| BlobError::Invalid(format!("{s:?} is not a blob id (64 hex digits)")))?;
        Ok(BlobId(bytes))
    }
}

/// Why a blob operation failed.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// Reading or writing the blob's files failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
    /// Bytes that do not match the blob's hash: from a holder that is corrupt or lies, or a
    /// blob bigger or smaller than announced. Nothing of it was stored.
    #[error("blob {blob}: {what} at byte {at} does not match the blob's hash (corrupt, or not the size announced); nothing of it was stored")]
    Corrupt {
        /// The blob.
        blob: String,
        /// Group or tree node.
        what: &'static str,
        /// Where, in bytes from the start.
        at: u64,
    },
    /// The blob is larger than allowed.
    #[error("{what} is {size} bytes, over the limit of {max} bytes")]
    TooLarge {
        /// What it is (a file's name).
        what: String,
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// The blob is not held (completely) here.
    #[error("blob {0} is not held here")]
    NotHeld(String),
    /// A bad argument.
    #[error("{0}")]
    Invalid(String),
}

pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> BlobError {
    let what = what.into();
    move |source| BlobError::Io { what, source }
}
