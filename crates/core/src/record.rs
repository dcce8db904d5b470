//! Records: the signed, encrypted, content-addressed unit of everything Confab stores and syncs.
//!
//! Wire form, version 1: `postcard(Header, body_ciphertext) || signature(64)`. Version 2, written
//! by a device that is not its account's own key (a linked or restored device), carries the
//! author's [`DeviceCert`] between the header and the body: `postcard(Header, Stamp,
//! body_ciphertext) || signature(64)`, so that every peer can tell, from the record alone, which
//! person wrote it ([`Verified::person`]). The signature covers a domain tag and everything
//! before it; the id is BLAKE3 of the whole encoding. Decoding re-encodes and compares, so each
//! record has exactly one valid encoding and one id.

use std::ops::Deref;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::account::DeviceCert;
use crate::hlc::Hlc;
use crate::ids::{AuthorKey, RecordId, SpaceId, SyncKey};

/// Encoding version of a record by an account's own key (every identity from before accounts).
pub const RECORD_VERSION: u8 = 1;
/// Encoding version of a record by a certified device: it carries the certificate.
pub const RECORD_VERSION_CERTIFIED: u8 = 2;
/// Largest accepted signed encoding.
pub const MAX_RECORD_SIZE: usize = 256 * 1024;
/// Most refs one record may carry.
pub const MAX_REFS: usize = 512;
/// Timestamps further than this ahead of the local clock are refused.
pub const MAX_FUTURE_MS: u64 = 10 * 60 * 1000;
/// Length of an Ed25519 signature.
pub const SIG_LEN: usize = 64;

const SIGN_DOMAIN: &[u8] = b"confab/record/v1\n";

/// What a record is. Which kinds a space accepts depends on the space's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum RecordKind {
    /// A chat message.
    ChatMessage = 1,
    /// A whiteboard stroke.
    Stroke = 2,
    /// Erases the strokes it refs.
    Erase = 3,
    /// A newsletter issue.
    NewsIssue = 4,
    /// A member announcing itself in a space.
    Member = 5,
    /// The owner removing members and rotating the space key.
    Rekey = 6,
    /// A person's display name and colour.
    Profile = 7,
    /// An emoji reaction to a message.
    Reaction = 8,
    /// A new text for a message, by its author.
    Edit = 9,
    /// A message deleted for everyone.
    Delete = 10,
    /// A picture placed on a whiteboard.
    Picture = 11,
    /// Moves or resizes the picture it refs.
    Move = 12,
    /// A person's account revokes one of their devices.
    Revoke = 13,
    /// In a person's own space: a space they are in, with its keys and their settings for it.
    Joined = 14,
    /// A shape placed on a whiteboard.
    Shape = 15,
    /// Changes properties of the board object it refs.
    Change = 16,
    /// A new version of the newsletter issue it refs, by the owner.
    Correction = 17,
    /// In a person's own space: a newsletter draft or scheduled issue (refs the draft it
    /// saves again, if not the first save).
    Draft = 18,
    /// A reader's reply to the newsletter issue it refs.
    Reply = 19,
    /// A newsletter's settings, by its owner (who may reply).
    NewsSettings = 20,
}

impl RecordKind {
    /// The kind for its wire code.
    pub fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            1 => Self::ChatMessage,
            2 => Self::Stroke,
            3 => Self::Erase,
            4 => Self::NewsIssue,
            5 => Self::Member,
            6 => Self::Rekey,
            7 => Self::Profile,
            8 => Self::Reaction,
            9 => Self::Edit,
            10 => Self::Delete,
            11 => Self::Picture,
            12 => Self::Move,
            13 => Self::Revoke,
            14 => Self::Joined,
            15 => Self::Shape,
            16 => Self::Change,
            17 => Self::Correction,
            18 => Self::Draft,
            19 => Self::Reply,
            20 => Self::NewsSettings,
            _ => return None,
        })
    }

    /// Its wire code.
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// Why a record was refused. Every refusal names its reason; nothing refused is stored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RecordError {
    /// Over the size cap.
    #[error("record is {0} bytes, the limit is {MAX_RECORD_SIZE}")]
    TooLarge(usize),
    /// Too short to hold a header and a signature.
    #[error("record is truncated ({0} bytes)")]
    Truncated(usize),
    /// The bytes do not decode.
    #[error("record does not decode: {0}")]
    Malformed(String),
    /// Written by a newer version.
    #[error("record version {0} is not supported (this build reads versions {RECORD_VERSION} and {RECORD_VERSION_CERTIFIED})")]
    UnsupportedVersion(u8),
    /// A kind this version does not know (a later version's), in a record its author did
    /// sign: to be ignored, not held against whoever passed it on.
    #[error("record kind {0} is unknown to this version")]
    UnknownKind(u8),
    /// Too many refs.
    #[error("record has {0} refs, the limit is {MAX_REFS}")]
    TooManyRefs(usize),
    /// Decodes, but is not the one canonical encoding of its contents.
    #[error("record is not canonically encoded")]
    NonCanonical,
    /// The author field is not an Ed25519 public key.
    #[error("record author is not a valid Ed25519 key")]
    BadAuthorKey,
    /// The signature does not verify under the author's key.
    #[error("record {0} has a bad signature")]
    BadSignature(RecordId),
    /// The device certificate it carries is not its account's signature.
    #[error("record {0} carries a device certificate its account did not sign")]
    BadCertificate(RecordId),
    /// A certificate of a device by itself: such a device writes version 1 records.
    #[error("record {0} carries a certificate of its own author by itself")]
    SelfCertified(RecordId),
    /// Its timestamp is too far in the future.
    #[error("record {id} is dated {ahead_ms} ms in the future (limit {MAX_FUTURE_MS} ms)")]
    FromTheFuture {
        /// The record.
        id: RecordId,
        /// How far ahead of the local clock.
        ahead_ms: u64,
    },
    /// It has expired.
    #[error("record {0} has expired")]
    Expired(RecordId),
}

#[derive(Serialize, Deserialize)]
struct Header {
    v: u8,
    space: [u8; 32],
    kind: u8,
    author: [u8; 32],
    ts: u64,
    expires: Option<u64>,
    refs: Vec<[u8; 32]>,
    nonce: [u8; 24],
}

#[derive(Serialize, Deserialize)]
struct Unsigned {
    header: Header,
    body: Vec<u8>,
}

/// The device certificate in a version 2 record (the device is the author).
#[derive(Serialize, Deserialize)]
struct Stamp {
    account: [u8; 32],
    issued: u64,
    #[serde(with = "crate::account::sig_bytes")]
    sig: [u8; 64],
}

#[derive(Serialize, Deserialize)]
struct Unsigned2 {
    header: Header,
    stamp: Stamp,
    body: Vec<u8>,
}

/// The encoding of a record's signed part, from borrowed parts (the same bytes as
/// [`Unsigned`] or [`Unsigned2`]).
fn encode_unsigned(header: &Header, stamp: Option<&Stamp>, body: &[u8]) -> Vec<u8> {
    #[derive(Serialize)]
    struct V1<'a> {
        header: &'a Header,
        body: &'a [u8],
    }
    #[derive(Serialize)]
    struct V2<'a> {
        header: &'a Header,
        stamp: &'a Stamp,
        body: &'a [u8],
    }
    match stamp {
        None => postcard::to_stdvec(&V1 { header, body }),
        Some(stamp) => postcard::to_stdvec(&V2 { header, stamp, body }),
    }
    .expect("record encodes")
}

/// A decoded record whose structure is valid. Its signature is not yet checked: see
/// [`Record::verify`], which yields a [`Verified`].
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// BLAKE3 of the signed encoding.
    pub id: RecordId,
    /// The space it belongs to.
    pub space: SpaceId,
    /// What it is.
    pub kind: RecordKind,
    /// Who signed it.
    pub author: AuthorKey,
    /// When, by the author's hybrid logical clock.
    pub ts: Hlc,
    /// Wall-clock milliseconds after which it is deleted and never served.
    pub expires: Option<u64>,
    /// Records it refers to (an erase names the strokes and pictures it removes).
    pub refs: Vec<RecordId>,
    /// AEAD nonce of the body.
    pub nonce: [u8; 24],
    /// The body, encrypted with the space key.
    pub ciphertext: Vec<u8>,
    /// The author's certificate from its account (version 2); `None` when the author is an
    /// account's own key (version 1). Checked by [`Record::verify`].
    pub cert: Option<DeviceCert>,
    raw: Vec<u8>,
}

/// Fields of a record about to be signed.
#[derive(Clone, Debug)]
pub struct Draft {
    /// Its space.
    pub space: SpaceId,
    /// Its kind.
    pub kind: RecordKind,
    /// Its timestamp.
    pub ts: Hlc,
    /// Optional expiry, wall-clock ms.
    pub expires: Option<u64>,
    /// Refs.
    pub refs: Vec<RecordId>,
}

impl Record {
    /// Additional authenticated data for the body's AEAD: everything in the header but the
    /// nonce, so a body cannot be moved to another record.
    pub(crate) fn aad(draft: &Draft, author: &AuthorKey, version: u8) -> Vec<u8> {
        let refs: Vec<[u8; 32]> = draft.refs.iter().map(|r| r.0).collect();
        postcard::to_stdvec(&(
            version,
            draft.space.0,
            draft.kind.code(),
            author.0,
            draft.ts.0,
            draft.expires,
            refs,
        ))
        .expect("header encodes")
    }

    /// The AAD of this record's body.
    pub fn body_aad(&self) -> Vec<u8> {
        Self::aad(
            &Draft {
                space: self.space,
                kind: self.kind,
                ts: self.ts,
                expires: self.expires,
                refs: self.refs.clone(),
            },
            &self.author,
            self.version(),
        )
    }

    /// Its encoding version: 2 when it carries a device certificate.
    pub fn version(&self) -> u8 {
        version_for(self.cert.as_ref())
    }

    /// The person who wrote it: the account of its device certificate, or the author itself
    /// (an account's own key). Only a [`Verified`] record's person is proven.
    pub fn person(&self) -> AuthorKey {
        self.cert.as_ref().map_or(self.author, |c| c.account)
    }

    /// Signs a draft whose body is already encrypted (with the AAD of [`Record::aad`] for
    /// the version `cert` implies). `cert`, the signer's certificate from its account, makes a
    /// version 2 record; it must certify `key`.
    pub fn sign(
        draft: Draft,
        nonce: [u8; 24],
        ciphertext: Vec<u8>,
        key: &SigningKey,
        cert: Option<&DeviceCert>,
    ) -> Result<Record, RecordError> {
        if draft.refs.len() > MAX_REFS {
            return Err(RecordError::TooManyRefs(draft.refs.len()));
        }
        let author = AuthorKey(key.verifying_key().to_bytes());
        let cert = cert.filter(|c| !c.is_own()).cloned();
        if let Some(c) = &cert {
            if c.device != author {
                return Err(RecordError::Malformed(format!(
                    "the certificate is for the device {}, not the signer {}",
                    c.device.short(),
                    author.short()
                )));
            }
        }
        let header = Header {
            v: version_for(cert.as_ref()),
            space: draft.space.0,
            kind: draft.kind.code(),
            author: author.0,
            ts: draft.ts.0,
            expires: draft.expires,
            refs: draft.refs.iter().map(|r| r.0).collect(),
            nonce,
        };
        let stamp = cert.as_ref().map(|c| Stamp {
            account: c.account.0,
            issued: c.issued_ms,
            sig: c.sig,
        });
        let mut raw = encode_unsigned(&header, stamp.as_ref(), &ciphertext);
        let sig = key.sign(&signing_message(&raw));
        raw.extend_from_slice(&sig.to_bytes());
        if raw.len() > MAX_RECORD_SIZE {
            return Err(RecordError::TooLarge(raw.len()));
        }
        Ok(Record {
            id: RecordId::of(&raw),
            space: draft.space,
            kind: draft.kind,
            author,
            ts: draft.ts,
            expires: draft.expires,
            refs: draft.refs,
            nonce,
            ciphertext,
            cert,
            raw,
        })
    }

    /// Decodes a signed encoding, checking size, structure, version, kind and canonical form.
    pub fn decode(bytes: &[u8]) -> Result<Record, RecordError> {
        if bytes.len() > MAX_RECORD_SIZE {
            return Err(RecordError::TooLarge(bytes.len()));
        }
        if bytes.len() < SIG_LEN + 100 {
            return Err(RecordError::Truncated(bytes.len()));
        }
        let (signed, sig) = bytes.split_at(bytes.len() - SIG_LEN);
        // The version byte leads the encoding: refuse newer versions before reading further.
        let (header, stamp, body, rest) = match signed[0] {
            RECORD_VERSION => {
                let (u, rest) = postcard::take_from_bytes::<Unsigned>(signed)
                    .map_err(|e| RecordError::Malformed(e.to_string()))?;
                (u.header, None, u.body, rest)
            }
            RECORD_VERSION_CERTIFIED => {
                let (u, rest) = postcard::take_from_bytes::<Unsigned2>(signed)
                    .map_err(|e| RecordError::Malformed(e.to_string()))?;
                (u.header, Some(u.stamp), u.body, rest)
            }
            v => return Err(RecordError::UnsupportedVersion(v)),
        };
        if !rest.is_empty() {
            return Err(RecordError::Malformed(format!(
                "{} bytes after the body",
                rest.len()
            )));
        }
        if header.refs.len() > MAX_REFS {
            return Err(RecordError::TooManyRefs(header.refs.len()));
        }
        if encode_unsigned(&header, stamp.as_ref(), &body) != signed {
            return Err(RecordError::NonCanonical);
        }
        let Some(kind) = RecordKind::from_code(header.kind) else {
            // A later version's kind: said only of a record its author signed, so that garbage
            // cannot pass itself off as news from the future.
            return Err(
                if verify_signature(&header.author, &signing_message(signed), sig) {
                    RecordError::UnknownKind(header.kind)
                } else {
                    RecordError::BadSignature(RecordId::of(bytes))
                },
            );
        };
        let author = AuthorKey(header.author);
        let cert = stamp.map(|s| DeviceCert {
            account: AuthorKey(s.account),
            device: author,
            issued_ms: s.issued,
            sig: s.sig,
        });
        Ok(Record {
            id: RecordId::of(bytes),
            space: SpaceId(header.space),
            kind,
            author,
            ts: Hlc(header.ts),
            expires: header.expires,
            refs: header.refs.into_iter().map(RecordId).collect(),
            nonce: header.nonce,
            ciphertext: body,
            cert,
            raw: bytes.to_vec(),
        })
    }

    /// The signed encoding.
    pub fn encoded(&self) -> &[u8] {
        &self.raw
    }

    /// Consumes the record, returning its signed encoding.
    pub fn into_encoded(self) -> Vec<u8> {
        self.raw
    }

    /// The key it is reconciled by.
    pub fn sync_key(&self) -> SyncKey {
        SyncKey::new(self.ts.0, &self.id)
    }

    /// The signature bytes.
    pub fn signature(&self) -> [u8; SIG_LEN] {
        let mut s = [0u8; SIG_LEN];
        s.copy_from_slice(&self.raw[self.raw.len() - SIG_LEN..]);
        s
    }

    /// The exact bytes the author signed (domain tag and encoding without the signature).
    pub fn signed_message(&self) -> Vec<u8> {
        signing_message(&self.raw[..self.raw.len() - SIG_LEN])
    }

    /// Checks the signature under the author's key with [`verify_signature`] (strict
    /// Ed25519): the one rule for every record, whatever path it arrives by, so every peer
    /// agrees on which records are valid.
    pub fn verify(self) -> Result<Verified, RecordError> {
        let key = VerifyingKey::from_bytes(&self.author.0).map_err(|_| RecordError::BadAuthorKey)?;
        if key.is_weak() {
            return Err(RecordError::BadAuthorKey);
        }
        if !verify_signature(&self.author.0, &self.signed_message(), &self.signature()) {
            return Err(RecordError::BadSignature(self.id));
        }
        if let Some(c) = &self.cert {
            if c.is_own() {
                return Err(RecordError::SelfCertified(self.id));
            }
            if c.verify().is_err() {
                return Err(RecordError::BadCertificate(self.id));
            }
        }
        Ok(Verified(self))
    }

    /// Time checks that depend on the local clock: not too far in the future, not expired.
    pub fn check_time(&self, now_ms: u64) -> Result<(), RecordError> {
        let ms = self.ts.ms();
        if ms > now_ms + MAX_FUTURE_MS {
            return Err(RecordError::FromTheFuture {
                id: self.id,
                ahead_ms: ms - now_ms,
            });
        }
        if matches!(self.expires, Some(e) if e <= now_ms) {
            return Err(RecordError::Expired(self.id));
        }
        Ok(())
    }
}

/// Re-signs `encoding`, a record `key` signed, as a record of kind `code` — one this version may
/// not know: what a peer of a later version sends. For tests of mixed versions.
#[doc(hidden)]
pub fn resign_with_kind(encoding: &[u8], code: u8, key: &SigningKey) -> Vec<u8> {
    let (signed, _) = encoding.split_at(encoding.len() - SIG_LEN);
    let mut raw = if signed[0] == RECORD_VERSION {
        let mut u: Unsigned = postcard::from_bytes(signed).expect("a record this process made");
        u.header.kind = code;
        encode_unsigned(&u.header, None, &u.body)
    } else {
        let mut u: Unsigned2 = postcard::from_bytes(signed).expect("a record this process made");
        u.header.kind = code;
        encode_unsigned(&u.header, Some(&u.stamp), &u.body)
    };
    let sig = key.sign(&signing_message(&raw));
    raw.extend_from_slice(&sig.to_bytes());
    raw
}

fn version_for(cert: Option<&DeviceCert>) -> u8 {
    if cert.is_some() {
        RECORD_VERSION_CERTIFIED
    } else {
        RECORD_VERSION
    }
}

fn signing_message(signed: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(SIGN_DOMAIN.len() + signed.len());
    m.extend_from_slice(SIGN_DOMAIN);
    m.extend_from_slice(signed);
    m
}

/// A record whose signature has been checked. Only [`Record::verify`], [`verify_all`] and
/// [`crate::Space::seal_verified`] (our own fresh records) make one, so code that takes a
/// `Verified` cannot skip the check.
#[derive(Clone, Debug, PartialEq)]
pub struct Verified(Record);

impl Deref for Verified {
    type Target = Record;
    fn deref(&self) -> &Record {
        &self.0
    }
}

impl Verified {
    /// A record this process just signed with its own key: the signature holds by
    /// construction, so checking it again would only spend time.
    pub(crate) fn signed_here(rec: Record) -> Self {
        Verified(rec)
    }

    /// The record.
    pub fn into_inner(self) -> Record {
        self.0
    }

    /// The person who wrote it, proven: its device certificate's account, or its author when
    /// the author is an account's own key.
    pub fn person(&self) -> AuthorKey {
        self.0.person()
    }
}

/// Strict Ed25519 verification (RFC 8032 with the checks of `verify_strict`: S below the group
/// order, neither R nor the key of small order, the cofactorless equation). Records, live
/// frames and tickets all use it; it passes the Wycheproof Ed25519 vectors
/// (`tests/wycheproof.rs`). A signature that is not 64 bytes is refused.
pub fn verify_signature(key: &[u8; 32], msg: &[u8], sig: &[u8]) -> bool {
    let Ok(sig) = <[u8; SIG_LEN]>::try_from(sig) else {
        return false;
    };
    let Ok(key) = VerifyingKey::from_bytes(key) else {
        return false;
    };
    key.verify_strict(msg, &Signature::from_bytes(&sig)).is_ok()
}

pub use crate::batch::verify_all;
