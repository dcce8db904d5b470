//! Spaces (peer groups): a kind, a name, a random key, an owner, and the rules records in the
//! space must follow.

use std::fmt;
use std::str::FromStr;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use ed25519_dalek::SigningKey;

use crate::body::{Body, BodyError};
use crate::hlc::Hlc;
use crate::ids::{AuthorKey, RecordId, SpaceId};
use crate::record::{Draft, Record, RecordError, RecordKind, Verified};

/// Longest space name, in bytes.
pub const MAX_SPACE_NAME: usize = 100;

/// What a space is for; decides which record kinds it accepts and who may write them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SpaceKind {
    /// Chat room: any member posts messages.
    Chat,
    /// Whiteboard: any member draws and erases.
    Board,
    /// Newsletter: only the owner publishes issues.
    News,
}

impl SpaceKind {
    /// Wire code.
    pub fn code(self) -> u8 {
        match self {
            SpaceKind::Chat => 1,
            SpaceKind::Board => 2,
            SpaceKind::News => 3,
        }
    }

    /// The kind for a wire code.
    pub fn from_code(c: u8) -> Option<Self> {
        Some(match c {
            1 => SpaceKind::Chat,
            2 => SpaceKind::Board,
            3 => SpaceKind::News,
            _ => return None,
        })
    }

    /// The lower-case name used in the CLI and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            SpaceKind::Chat => "chat",
            SpaceKind::Board => "board",
            SpaceKind::News => "news",
        }
    }

    /// Whether records of `kind` belong in a space of this kind.
    pub fn accepts(self, kind: RecordKind) -> bool {
        matches!(
            (self, kind),
            (SpaceKind::Chat, RecordKind::ChatMessage)
                | (SpaceKind::Board, RecordKind::Stroke)
                | (SpaceKind::Board, RecordKind::Erase)
                | (SpaceKind::News, RecordKind::NewsIssue)
        )
    }
}

impl fmt::Display for SpaceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SpaceKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "chat" => Ok(SpaceKind::Chat),
            "board" => Ok(SpaceKind::Board),
            "news" => Ok(SpaceKind::News),
            other => Err(format!(
                "unknown space kind {other:?}: expected chat, board or news"
            )),
        }
    }
}

/// The 32-byte symmetric key every member holds; it encrypts bodies and derives the space id.
#[derive(Clone, PartialEq, Eq)]
pub struct SpaceKey(pub [u8; 32]);

impl fmt::Debug for SpaceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SpaceKey(…)")
    }
}

impl SpaceKey {
    /// A fresh random key.
    pub fn random() -> Self {
        Self(rand::random())
    }
}

/// Why a verified record does not belong in a space.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AuthError {
    /// It names another space.
    #[error("record {0} belongs to another space")]
    WrongSpace(RecordId),
    /// Its kind is not accepted by this kind of space.
    #[error("a {space_kind} space does not accept {kind:?} records")]
    WrongKind {
        /// The space's kind.
        space_kind: SpaceKind,
        /// The record's kind.
        kind: RecordKind,
    },
    /// Only the owner may write here.
    #[error(
        "only the owner of newsletter {space_name:?} ({owner}) may publish issues; {author} is not the owner"
    )]
    NotOwner {
        /// The space's name.
        space_name: String,
        /// The owner's peer id.
        owner: String,
        /// The author's peer id.
        author: String,
    },
    /// The body does not decrypt with the space key: the author is not a member.
    #[error("record {0} was not encrypted with this space's key (the author is not a member)")]
    NotMember(RecordId),
    /// The decrypted body is malformed or breaks a limit.
    #[error("record {id}: {err}")]
    BadBody {
        /// The record.
        id: RecordId,
        /// What is wrong.
        err: BodyError,
    },
    /// Refs break the kind's rules.
    #[error("record {0}: {1}")]
    BadRefs(RecordId, &'static str),
}

/// A space as a member knows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Space {
    /// Derived from key, kind and owner.
    pub id: SpaceId,
    /// Its kind.
    pub kind: SpaceKind,
    /// Display name.
    pub name: String,
    /// The shared key.
    pub key: SpaceKey,
    /// The creator; the only publisher of a newsletter.
    pub owner: AuthorKey,
}

/// Checks a space name: 1..=100 bytes, not blank, no control characters.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("space name is empty".into());
    }
    if name.len() > MAX_SPACE_NAME {
        return Err(format!(
            "space name is {} bytes, the limit is {MAX_SPACE_NAME}",
            name.len()
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("space name contains control characters".into());
    }
    Ok(())
}

impl Space {
    /// Derives a space id from its defining parts.
    pub fn derive_id(kind: SpaceKind, key: &SpaceKey, owner: &AuthorKey) -> SpaceId {
        let mut h = blake3::Hasher::new_derive_key("confab 2026 space id v1");
        h.update(&[kind.code()]);
        h.update(&key.0);
        h.update(&owner.0);
        SpaceId(*h.finalize().as_bytes())
    }

    /// A new space with a random key, owned by `owner`.
    pub fn create(kind: SpaceKind, name: &str, owner: AuthorKey) -> Result<Self, String> {
        check_name(name)?;
        Ok(Self::from_parts(
            kind,
            name.to_string(),
            SpaceKey::random(),
            owner,
        ))
    }

    /// Rebuilds a space from its parts (from a ticket or the store).
    pub fn from_parts(kind: SpaceKind, name: String, key: SpaceKey, owner: AuthorKey) -> Self {
        Self {
            id: Self::derive_id(kind, &key, &owner),
            kind,
            name,
            key,
            owner,
        }
    }

    /// The gossip topic name for live delivery: a hash of the key, so it reveals nothing.
    pub fn topic(&self) -> String {
        let t = blake3::derive_key("confab 2026 gossip topic v1", &self.key.0);
        format!("confab/{}", data_encoding::HEXLOWER.encode(&t[..16]))
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&self.key.0).into())
    }

    /// [`Space::seal`] for the caller's own key, returned ready to store: a record signed
    /// here needs no signature check.
    pub fn seal_verified(
        &self,
        signer: &SigningKey,
        body: &Body,
        ts: Hlc,
        expires: Option<u64>,
        refs: Vec<RecordId>,
    ) -> Result<crate::record::Verified, RecordError> {
        let rec = self.seal(signer, body, ts, expires, refs)?;
        debug_assert!(rec.clone().verify().is_ok());
        Ok(crate::record::Verified::signed_here(rec))
    }

    /// Encrypts and signs a body as a new record of this space.
    pub fn seal(
        &self,
        signer: &SigningKey,
        body: &Body,
        ts: Hlc,
        expires: Option<u64>,
        refs: Vec<RecordId>,
    ) -> Result<Record, RecordError> {
        let draft = Draft {
            space: self.id,
            kind: body.kind(),
            ts,
            expires,
            refs,
        };
        let author = AuthorKey(signer.verifying_key().to_bytes());
        let aad = Record::aad(&draft, &author);
        let nonce: [u8; 24] = rand::random();
        let ct = self
            .cipher()
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &body.encode(),
                    aad: &aad,
                },
            )
            .expect("encryption of a bounded body cannot fail");
        Record::sign(draft, nonce, ct, signer)
    }

    /// Decrypts a record's body without checking authorization (for views of stored records).
    pub fn decrypt(&self, rec: &Record) -> Result<Body, AuthError> {
        let pt = self
            .cipher()
            .decrypt(
                XNonce::from_slice(&rec.nonce),
                Payload {
                    msg: &rec.ciphertext,
                    aad: &rec.body_aad(),
                },
            )
            .map_err(|_| AuthError::NotMember(rec.id))?;
        Body::decode(rec.kind, &pt).map_err(|err| AuthError::BadBody { id: rec.id, err })
    }

    /// The space's rules for a verified record: right space, a kind this space accepts, the
    /// owner for newsletters, a body sealed with the space key that decodes within limits.
    pub fn authorize(&self, rec: &Verified) -> Result<Body, AuthError> {
        if rec.space != self.id {
            return Err(AuthError::WrongSpace(rec.id));
        }
        if !self.kind.accepts(rec.kind) {
            return Err(AuthError::WrongKind {
                space_kind: self.kind,
                kind: rec.kind,
            });
        }
        if self.kind == SpaceKind::News && rec.author != self.owner {
            return Err(AuthError::NotOwner {
                space_name: self.name.clone(),
                owner: self.owner.peer_id(),
                author: rec.author.peer_id(),
            });
        }
        match rec.kind {
            RecordKind::Erase if rec.refs.is_empty() => {
                return Err(AuthError::BadRefs(
                    rec.id,
                    "an erase must name at least one stroke",
                ))
            }
            RecordKind::ChatMessage | RecordKind::NewsIssue | RecordKind::Stroke if rec.refs.len() > 16 => {
                return Err(AuthError::BadRefs(
                    rec.id,
                    "at most 16 refs on a message, stroke or issue",
                ))
            }
            _ => {}
        }
        self.decrypt(rec)
    }
}
