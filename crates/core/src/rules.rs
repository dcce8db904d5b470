//! The rules of a space that read only a record's signed header, not its body: the part of
//! [`crate::Space::authorize`] that holds without the key, so an archive can be checked by
//! anyone. The rules name people (accounts): the owner writes from any of their devices, and a
//! removal names a person (all their devices) or one device.

use std::collections::BTreeMap;

use crate::ids::{AuthorKey, SpaceId};
use crate::record::{RecordKind, Verified};
use crate::space::{AuthError, Epoch, Space, SpaceKind};

/// A space as its header rules see it: no key.
#[derive(Clone, Copy, Debug)]
pub struct SpaceRules<'a> {
    /// The space id records must name.
    pub id: SpaceId,
    /// Its kind: which record kinds it takes.
    pub kind: SpaceKind,
    /// Its name (for messages).
    pub name: &'a str,
    /// The owner: the only one who publishes issues and rotates the key.
    pub owner: AuthorKey,
    /// Its key rotations: whom each removed, and their records kept.
    pub epochs: &'a [Epoch],
    /// Devices their accounts revoked (device → from when, ms), as far as known.
    pub revoked: Option<&'a BTreeMap<AuthorKey, u64>>,
}

impl<'a> SpaceRules<'a> {
    /// The header rules of a space.
    pub fn of(space: &'a Space) -> Self {
        Self {
            id: space.id,
            kind: space.kind,
            name: &space.name,
            owner: space.owner,
            epochs: &space.epochs,
            revoked: Some(&space.revoked),
        }
    }

    /// Checks a verified record's header: right space, a kind the space accepts, a removed
    /// member's record dated before its removal and among those the owner kept, the owner
    /// alone rotating the key and publishing issues, refs as many as the kind allows.
    pub fn check(&self, rec: &Verified) -> Result<(), AuthError> {
        if rec.space != self.id {
            return Err(AuthError::WrongSpace(rec.id));
        }
        if !self.kind.accepts(rec.kind) {
            return Err(AuthError::WrongKind {
                space_kind: self.kind,
                kind: rec.kind,
            });
        }
        let person = rec.person();
        if let Some(&at) = self.revoked.and_then(|r| r.get(&rec.author)) {
            if rec.author != person && rec.ts.ms() >= at {
                return Err(AuthError::Revoked {
                    id: rec.id,
                    device: rec.author.peer_id(),
                    account: person.peer_id(),
                });
            }
        }
        let removal = |who: &AuthorKey| self.epochs.iter().find(|e| e.removed.contains(who));
        if let Some(e) = removal(&rec.author).or_else(|| removal(&person)) {
            if rec.ts.0 > e.since {
                return Err(AuthError::Removed {
                    id: rec.id,
                    space_name: self.name.to_string(),
                    author: rec.author.peer_id(),
                });
            }
            if let Some(kept) = &e.kept {
                let prefix: [u8; 16] = rec.id.0[..16].try_into().expect("16 of 32 bytes");
                if kept.binary_search(&prefix).is_err() {
                    return Err(AuthError::NotKept {
                        id: rec.id,
                        space_name: self.name.to_string(),
                        author: rec.author.peer_id(),
                    });
                }
            }
        }
        if rec.kind == RecordKind::Rekey && person != self.owner {
            return Err(AuthError::OwnerOnly {
                space_name: self.name.to_string(),
                owner: self.owner.peer_id(),
                author: rec.author.peer_id(),
            });
        }
        if self.kind == SpaceKind::News
            && matches!(
                rec.kind,
                RecordKind::NewsIssue | RecordKind::Correction | RecordKind::NewsSettings
            )
            && person != self.owner
        {
            return Err(AuthError::NotOwner {
                space_name: self.name.to_string(),
                owner: self.owner.peer_id(),
                author: rec.author.peer_id(),
            });
        }
        let n = rec.refs.len();
        let bad = match rec.kind {
            RecordKind::Erase if n == 0 => Some("an erase must name at least one stroke or picture"),
            RecordKind::Reaction | RecordKind::Edit | RecordKind::Delete if n != 1 => {
                Some("a reaction, edit or delete names exactly one message")
            }
            RecordKind::ChatMessage if n > 1 => Some("a message replies to at most one message"),
            RecordKind::Profile if n > 0 => Some("a profile names no records"),
            RecordKind::Picture if n > 0 => Some("a picture names no records"),
            RecordKind::Move if n != 1 => Some("a move names exactly one picture"),
            RecordKind::Shape if n > 0 => Some("a shape names no records"),
            RecordKind::Change if n != 1 => Some("a change names exactly one object"),
            RecordKind::Correction if n != 1 => Some("a correction names exactly one issue"),
            RecordKind::Draft if n > 1 => Some("a draft names at most the draft it saves again"),
            RecordKind::Reply if n != 1 => Some("a reply names exactly one issue"),
            RecordKind::NewsSettings if n > 0 => Some("settings name no records"),
            RecordKind::Revoke if n > 0 => Some("a revocation names no records"),
            RecordKind::Joined if n > 0 => Some("a joined space names no records"),
            RecordKind::NewsIssue | RecordKind::Stroke if n > 16 => {
                Some("at most 16 refs on a message, stroke or issue")
            }
            _ => None,
        };
        match bad {
            Some(why) => Err(AuthError::BadRefs(rec.id, why)),
            None => Ok(()),
        }
    }
}
