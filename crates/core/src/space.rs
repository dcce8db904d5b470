//! Spaces (peer groups): a kind, a name, a random key, an owner, and the rules records in the
//! space must follow.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::body::{Body, BodyError};
use crate::hlc::Hlc;
use crate::identity::Signer;
use crate::ids::{AuthorKey, RecordId, SpaceId};
pub use crate::key::SpaceKey;
use crate::record::{Draft, Record, RecordError, RecordKind, Verified};

/// Longest space name, in bytes.
pub const MAX_SPACE_NAME: usize = 100;

/// What a space is for; decides which record kinds it accepts and who may write them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SpaceKind {
    /// Chat room: any member posts messages.
    Chat,
    /// Whiteboard: any member draws, places pictures, moves them and erases.
    Board,
    /// Newsletter: only the owner publishes issues.
    News,
    /// A person's own space, whose only members are their devices: which spaces they are in
    /// (with the keys), mutes, their profile. Never listed among the spaces people see.
    Personal,
}

impl SpaceKind {
    /// Wire code.
    pub fn code(self) -> u8 {
        match self {
            SpaceKind::Chat => 1,
            SpaceKind::Board => 2,
            SpaceKind::News => 3,
            SpaceKind::Personal => 4,
        }
    }

    /// The kind for a wire code.
    pub fn from_code(c: u8) -> Option<Self> {
        Some(match c {
            1 => SpaceKind::Chat,
            2 => SpaceKind::Board,
            3 => SpaceKind::News,
            4 => SpaceKind::Personal,
            _ => return None,
        })
    }

    /// The lower-case name used in the CLI and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            SpaceKind::Chat => "chat",
            SpaceKind::Board => "board",
            SpaceKind::News => "news",
            SpaceKind::Personal => "personal",
        }
    }

    /// Whether records of `kind` belong in a space of this kind.
    pub fn accepts(self, kind: RecordKind) -> bool {
        matches!(
            (self, kind),
            (_, RecordKind::Member)
                | (_, RecordKind::Rekey)
                | (_, RecordKind::Profile)
                | (_, RecordKind::Revoke)
                | (SpaceKind::Chat, RecordKind::Reaction)
                | (SpaceKind::Chat, RecordKind::Edit)
                | (SpaceKind::Chat, RecordKind::Delete)
                | (SpaceKind::Chat, RecordKind::ChatMessage)
                | (SpaceKind::Board, RecordKind::Stroke)
                | (SpaceKind::Board, RecordKind::Erase)
                | (SpaceKind::Board, RecordKind::Picture)
                | (SpaceKind::Board, RecordKind::Move)
                | (SpaceKind::Board, RecordKind::Shape)
                | (SpaceKind::Board, RecordKind::Change)
                | (SpaceKind::News, RecordKind::NewsIssue)
                | (SpaceKind::News, RecordKind::Correction)
                | (SpaceKind::News, RecordKind::Reply)
                | (SpaceKind::News, RecordKind::NewsSettings)
                | (SpaceKind::News, RecordKind::Delete)
                | (SpaceKind::Personal, RecordKind::Joined)
                | (SpaceKind::Personal, RecordKind::Draft)
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
            "personal" => Ok(SpaceKind::Personal),
            other => Err(format!(
                "unknown space kind {other:?}: expected chat, board or news"
            )),
        }
    }
}

/// A person's standing in a space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Created it; the only one who publishes in a newsletter and removes members.
    Owner,
    /// Joined by ticket (or wrote in it).
    Member,
    /// Removed by the owner: holds no key written after the removal.
    Removed,
}

impl Role {
    /// `owner`, `member` or `removed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Member => "member",
            Role::Removed => "removed",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
        "only the owner of newsletter {space_name:?} ({owner}) may publish and correct issues; {author} is not the owner"
    )]
    NotOwner {
        /// The space's name.
        space_name: String,
        /// The owner's peer id.
        owner: String,
        /// The author's peer id.
        author: String,
    },
    /// Only the owner removes members and rotates the key.
    #[error("only the owner of {space_name:?} ({owner}) may remove members; {author} is not the owner")]
    OwnerOnly {
        /// The space's name.
        space_name: String,
        /// The owner's peer id.
        owner: String,
        /// The author's peer id.
        author: String,
    },
    /// The author was removed from the space before this record's date.
    #[error("{author} was removed from {space_name:?}; record {id} is dated after the removal")]
    Removed {
        /// The record.
        id: RecordId,
        /// The space's name.
        space_name: String,
        /// The author's peer id.
        author: String,
    },
    /// A removed member's record that the owner did not keep at the removal.
    #[error("record {id} by {author}, who was removed from {space_name:?}, is not among the records the owner kept")]
    NotKept {
        /// The record.
        id: RecordId,
        /// The space's name.
        space_name: String,
        /// The author's peer id.
        author: String,
    },
    /// The record is dated in an epoch whose key this member was not given.
    #[error("record {id} is sealed with the key of epoch {epoch}, which this member was not given")]
    NoKey {
        /// The record.
        id: RecordId,
        /// The epoch.
        epoch: u32,
    },
    /// The author's device was revoked by its account before this record's date.
    #[error(
        "record {id} is by the device {device}, which its account {account} revoked before the record's date"
    )]
    Revoked {
        /// The record.
        id: RecordId,
        /// The device (peer id).
        device: String,
        /// Its account (peer id).
        account: String,
    },
    /// A revocation written by someone other than the account it speaks for.
    #[error(
        "record {id}: a revocation of a device of {account} written by {author}, who is not that person"
    )]
    RevokesOthers {
        /// The record.
        id: RecordId,
        /// The account the revocation is signed by.
        account: String,
        /// The person who wrote the record.
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

/// Most key rotations one space can have.
pub const MAX_EPOCHS: usize = 64;

/// One key rotation, as a member knows it. Epoch 0 is the space's first key ([`Space::key`]);
/// a rotation starts epoch n at the timestamp of the owner's rotation record, and every record
/// dated after that is sealed with the new key.
#[derive(Clone, Debug, PartialEq)]
pub struct Epoch {
    /// 1 for the first rotation.
    pub n: u32,
    /// The rotation record's timestamp (HLC): records dated after it use this key.
    pub since: u64,
    /// The key, if this member was given it; `None` if it was removed (or, joining from a
    /// ticket, learnt of the rotation before its key).
    pub key: Option<SpaceKey>,
    /// The members this rotation removed.
    pub removed: Vec<AuthorKey>,
    /// Their records the owner kept (sorted id prefixes); `None`: no list, the date rule only.
    /// Empty until the rotation record itself is stored (a ticket carries keys, not this).
    pub kept: Option<Vec<[u8; 16]>>,
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
    /// Key rotations, oldest first (empty until the owner removes someone).
    pub epochs: Vec<Epoch>,
    /// Devices their accounts revoked, as this member knows (device → from when, ms). A
    /// revocation speaks for its account everywhere, so every space holds the same list.
    pub revoked: BTreeMap<AuthorKey, u64>,
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

    /// The personal space of the account whose secret this is: every device that holds the
    /// secret derives the same one; a linked device is given it.
    pub fn personal(account: &ed25519_dalek::SigningKey) -> Self {
        let key = blake3::derive_key("confab 2026 personal space key v1", &account.to_bytes());
        Self::from_parts(
            SpaceKind::Personal,
            "your devices".into(),
            SpaceKey(key),
            AuthorKey(account.verifying_key().to_bytes()),
        )
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
            epochs: Vec::new(),
            revoked: BTreeMap::new(),
        }
    }

    /// The current epoch (0 until the first rotation).
    pub fn epoch(&self) -> u32 {
        self.epochs.len() as u32
    }

    /// The key records written now are sealed with; `None` if this member was removed.
    pub fn current_key(&self) -> Option<&SpaceKey> {
        match self.epochs.last() {
            Some(e) => e.key.as_ref(),
            None => Some(&self.key),
        }
    }

    /// True if this member holds the current key (it was not removed).
    pub fn is_current_member(&self) -> bool {
        self.current_key().is_some()
    }

    /// The key for records dated `ts`: the epoch whose window holds it. A rotation record
    /// itself is dated at its epoch's start and belongs to the epoch before, so the members of
    /// that epoch can read it.
    pub fn key_at(&self, ts: u64) -> Result<&SpaceKey, u32> {
        for e in self.epochs.iter().rev() {
            if e.since < ts {
                return e.key.as_ref().ok_or(e.n);
            }
        }
        Ok(&self.key)
    }

    /// When `author` was removed (the rotation's timestamp), if it was.
    pub fn removed_since(&self, author: &AuthorKey) -> Option<u64> {
        self.removed_by(author).map(|e| e.since)
    }

    /// The standing of `author` in this space.
    pub fn role_of(&self, author: &AuthorKey) -> Role {
        if *author == self.owner {
            Role::Owner
        } else if self.removed_by(author).is_some() {
            Role::Removed
        } else {
            Role::Member
        }
    }

    /// The rotation that removed `author`, if one did.
    pub fn removed_by(&self, author: &AuthorKey) -> Option<&Epoch> {
        self.epochs.iter().find(|e| e.removed.contains(author))
    }

    /// The id peers name this space by when they sync epoch `n`: the space id for epoch 0, a
    /// hash of the key after, so only holders of that epoch's key can ask for it.
    pub fn sync_id_of(&self, n: u32) -> Option<SpaceId> {
        if n == 0 {
            return Some(self.id);
        }
        let key = self.epochs.get(n as usize - 1)?.key.as_ref()?;
        let mut h = blake3::Hasher::new_derive_key("confab 2026 epoch sync id v1");
        h.update(&self.id.0);
        h.update(&key.0);
        Some(SpaceId(*h.finalize().as_bytes()))
    }

    /// The id this member syncs the space by: its newest epoch whose key it holds.
    pub fn sync_id(&self) -> SpaceId {
        (0..=self.epoch())
            .rev()
            .find_map(|n| self.sync_id_of(n))
            .unwrap_or(self.id)
    }

    /// Which epoch a sync id names and the newest timestamp a peer asking by it may be served:
    /// all records for the current epoch; for an older epoch only records dated up to the
    /// rotation that ended it (the rotation record included), so a member that has not yet
    /// heard of a rotation learns of it, and a removed member still holding the old key gets
    /// nothing written after.
    pub fn resolve_sync_id(&self, id: &SpaceId) -> Option<(u32, Option<u64>)> {
        (0..=self.epoch()).find_map(|n| {
            (self.sync_id_of(n).as_ref() == Some(id))
                .then(|| (n, self.epochs.get(n as usize).map(|e| e.since)))
        })
    }

    /// The gossip topic name for live delivery: a hash of the current key, so it reveals
    /// nothing and changes when the key is rotated.
    pub fn topic(&self) -> String {
        self.topic_at(u64::MAX)
    }

    /// The gossip topic of the key records dated `ts` are sealed with: a rotation record is
    /// announced where the members of the epoch before it listen.
    pub fn topic_at(&self, ts: u64) -> String {
        let key = self.key_at(ts).unwrap_or(&self.key);
        let t = blake3::derive_key("confab 2026 gossip topic v1", &key.0);
        format!("confab/{}", data_encoding::HEXLOWER.encode(&t[..16]))
    }

    fn cipher_at(&self, rec: &Record) -> Result<XChaCha20Poly1305, AuthError> {
        let key = self
            .key_at(rec.ts.0)
            .map_err(|epoch| AuthError::NoKey { id: rec.id, epoch })?;
        Ok(XChaCha20Poly1305::new((&key.0).into()))
    }

    /// [`Space::seal`] for the caller's own key, returned ready to store: a record signed
    /// here needs no signature check.
    pub fn seal_verified<'a>(
        &self,
        signer: impl Into<Signer<'a>>,
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
    pub fn seal<'a>(
        &self,
        signer: impl Into<Signer<'a>>,
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
        let signer = signer.into();
        let author = AuthorKey(signer.key.verifying_key().to_bytes());
        let aad = Record::aad(&draft, &author, signer.version());
        let nonce: [u8; 24] = rand::random();
        let key = self.key_at(ts.0).map_err(|epoch| {
            RecordError::Malformed(format!(
                "this member does not hold the key of epoch {epoch} of {:?} (it was removed)",
                self.name
            ))
        })?;
        let ct = XChaCha20Poly1305::new((&key.0).into())
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &body.encode(),
                    aad: &aad,
                },
            )
            .expect("encryption of a bounded body cannot fail");
        Record::sign(draft, nonce, ct, signer.key, signer.cert)
    }

    /// Decrypts a record's body without checking authorization (for views of stored records).
    pub fn decrypt(&self, rec: &Record) -> Result<Body, AuthError> {
        let pt = self
            .cipher_at(rec)?
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
        crate::rules::SpaceRules::of(self).check(rec)?;
        let person = rec.person();
        let body = self.decrypt(rec)?;
        if let Body::Revoke(r) = &body {
            if r.account != person {
                return Err(AuthError::RevokesOthers {
                    id: rec.id,
                    account: r.account.peer_id(),
                    author: person.peer_id(),
                });
            }
        }
        Ok(body)
    }

    /// Learns that an account revoked a device (the earliest time wins); true if it changed.
    pub fn note_revoked(&mut self, device: AuthorKey, at_ms: u64) -> bool {
        match self.revoked.get(&device) {
            Some(&t) if t <= at_ms => false,
            _ => {
                self.revoked.insert(device, at_ms);
                true
            }
        }
    }
}
