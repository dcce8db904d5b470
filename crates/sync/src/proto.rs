//! The sync protocol's messages and their bounded, versioned encoding.

use confab_core::{SpaceId, SyncKey};
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

/// libp2p protocol name; the digit is the wire version.
pub const PROTOCOL: &str = "/confab/sync/1";
/// Largest frame either side sends or accepts.
pub const MAX_FRAME: usize = 4 * 1024 * 1024;
/// Negentropy's own frame limit, so reconciliation messages fit comfortably in a frame.
pub const NEG_FRAME_LIMIT: u64 = 512 * 1024;
/// Most keys in one fetch request.
pub const MAX_FETCH_KEYS: usize = 8192;
/// Byte budget of the records in one batch (a response or a push).
pub const MAX_BATCH_BYTES: usize = 2 * 1024 * 1024;
/// Most records in one batch.
pub const MAX_BATCH_RECORDS: usize = 8192;

/// Negentropy frame limit on a limited connection (a relayed circuit, which a relay may cap at
/// 128 KiB in all, as rust-libp2p's default relay does).
pub const LIMITED_NEG_FRAME: u64 = 16 * 1024;
/// Keys per fetch request on a limited connection.
pub const LIMITED_FETCH_KEYS: usize = 256;
/// Byte budget of one fetched batch on a limited connection.
pub const LIMITED_BATCH_BYTES: u32 = 24 * 1024;

/// What the initiator of a sync asks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// One negentropy round for a space.
    Reconcile {
        /// The space.
        space: SpaceId,
        /// Negentropy message.
        msg: ByteBuf,
    },
    /// Send me the records with these keys.
    Fetch {
        /// The space.
        space: SpaceId,
        /// Keys, in the order the initiator wants them (newest first).
        keys: Vec<SyncKey>,
    },
    /// Here are records you lack.
    Push {
        /// The space.
        space: SpaceId,
        /// Signed encodings.
        records: Vec<ByteBuf>,
    },
    /// Like `Fetch`, with a smaller byte budget for the answer (limited connections).
    FetchSome {
        /// The space.
        space: SpaceId,
        /// Keys, in the order wanted.
        keys: Vec<SyncKey>,
        /// Most bytes of records in the answer (at least one record is sent).
        max_bytes: u32,
    },
}

/// What the responder answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Response {
    /// Negentropy's reply.
    Reconcile {
        /// Negentropy message.
        msg: ByteBuf,
    },
    /// Records for a fetch.
    Records {
        /// Signed encodings.
        records: Vec<ByteBuf>,
        /// How many of the requested keys were handled (found or not); the rest did not fit.
        consumed: u32,
    },
    /// Result of a push.
    Pushed {
        /// Newly stored.
        stored: u32,
        /// Refused.
        refused: u32,
    },
    /// The request was understood but cannot be served (e.g. a space the responder lacks).
    Refused {
        /// Why.
        reason: String,
    },
}

/// Why a frame could not be decoded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FrameError {
    /// Over [`MAX_FRAME`].
    #[error("frame of {0} bytes is over the {MAX_FRAME}-byte limit")]
    TooLarge(usize),
    /// Not a message of this protocol.
    #[error("frame does not decode: {0}")]
    Malformed(String),
    /// Over a count limit.
    #[error("frame breaks a limit: {0}")]
    OverLimit(&'static str),
}

fn decode<'a, T: Deserialize<'a>>(b: &'a [u8]) -> Result<T, FrameError> {
    if b.len() > MAX_FRAME {
        return Err(FrameError::TooLarge(b.len()));
    }
    match postcard::take_from_bytes::<T>(b) {
        Ok((v, [])) => Ok(v),
        Ok((_, rest)) => Err(FrameError::Malformed(format!("{} trailing bytes", rest.len()))),
        Err(e) => Err(FrameError::Malformed(e.to_string())),
    }
}

impl Request {
    /// Encodes the request.
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_stdvec(self).expect("requests encode")
    }

    /// Decodes and bounds-checks a request frame.
    pub fn decode(b: &[u8]) -> Result<Self, FrameError> {
        let r: Request = decode(b)?;
        match &r {
            Request::Fetch { keys, .. } | Request::FetchSome { keys, .. } if keys.len() > MAX_FETCH_KEYS => {
                Err(FrameError::OverLimit("too many keys"))
            }
            Request::Push { records, .. } if records.len() > MAX_BATCH_RECORDS => {
                Err(FrameError::OverLimit("too many records"))
            }
            _ => Ok(r),
        }
    }
}

impl Response {
    /// Encodes the response.
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_stdvec(self).expect("responses encode")
    }

    /// Decodes and bounds-checks a response frame.
    pub fn decode(b: &[u8]) -> Result<Self, FrameError> {
        let r: Response = decode(b)?;
        match &r {
            Response::Records { records, .. } if records.len() > MAX_BATCH_RECORDS => {
                Err(FrameError::OverLimit("too many records"))
            }
            _ => Ok(r),
        }
    }
}
