//! Readers' replies to newsletter issues. The owner chooses, by a settings record, whether
//! readers may reply, and whether replies are for the owner only or for every reader.
//!
//! Every subscriber holds the newsletter's key, so a reply for the owner only is sealed once
//! more, to a reply key the owner's settings publish: an X25519 key derived from the owner's
//! own space key (see `SpaceKind::Personal`), so every device of the owner opens such replies
//! and no subscriber does. The seal is `ephemeral public key (32) || ciphertext || tag`, with
//! the key from BLAKE3 over the Diffie-Hellman secret, both public keys, the newsletter and
//! the issue (a sealed reply cannot be moved under another issue).

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use x25519_dalek::{PublicKey, StaticSecret};

use crate::body::{invalid, BodyError};
use crate::ids::{RecordId, SpaceId};
use crate::key::SpaceKey;

/// Longest reply, in bytes of UTF-8.
pub const MAX_REPLY_TEXT: usize = 8 * 1024;

/// Who may reply to a newsletter's issues, and who reads the replies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Replies {
    /// Nobody replies.
    #[default]
    Off,
    /// Readers reply to the owner only (sealed to the owner's reply key).
    Owner,
    /// Readers reply for every reader.
    All,
}

impl Replies {
    /// `off`, `owner` or `all`.
    pub fn as_str(self) -> &'static str {
        match self {
            Replies::Off => "off",
            Replies::Owner => "owner",
            Replies::All => "all",
        }
    }
}

impl std::str::FromStr for Replies {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "off" => Ok(Replies::Off),
            "owner" => Ok(Replies::Owner),
            "all" => Ok(Replies::All),
            other => Err(format!("replies {other:?}: expected off, owner or all")),
        }
    }
}

/// A newsletter's settings, by its owner; the newest wins.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewsSettingsBody {
    /// Who may reply.
    pub replies: Replies,
    /// The X25519 key replies for the owner only are sealed to.
    pub reply_key: [u8; 32],
}

/// A reader's reply to the issue in the record's one ref: open text (replies for all), or
/// text sealed to the owner's reply key (replies for the owner only).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ReplyBody {
    /// For every reader.
    Open(String),
    /// For the owner only.
    Sealed(Vec<u8>),
}

impl ReplyBody {
    /// Checks its size.
    pub fn check(&self) -> Result<(), BodyError> {
        let n = match self {
            ReplyBody::Open(t) => {
                if t.trim().is_empty() {
                    return Err(invalid("an empty reply"));
                }
                t.len()
            }
            ReplyBody::Sealed(b) => b.len().saturating_sub(SEAL_OVERHEAD),
        };
        if n > MAX_REPLY_TEXT {
            return Err(invalid(format!("a reply of {n} bytes; at most {MAX_REPLY_TEXT}")));
        }
        Ok(())
    }
}

/// Bytes a seal adds to the text: the ephemeral key and the tag.
pub const SEAL_OVERHEAD: usize = 32 + 16;

/// The owner's reply key pair for a newsletter, from the owner's own space key: the same on
/// every device of the owner.
pub fn reply_secret(personal: &SpaceKey, news: &SpaceId) -> StaticSecret {
    let mut h = blake3::Hasher::new_derive_key("confab 2026 newsletter reply key v1");
    h.update(&personal.0);
    h.update(&news.0);
    StaticSecret::from(*h.finalize().as_bytes())
}

/// The public half of [`reply_secret`]: what the owner's settings publish.
pub fn reply_key(personal: &SpaceKey, news: &SpaceId) -> [u8; 32] {
    PublicKey::from(&reply_secret(personal, news)).to_bytes()
}

fn cipher(
    shared: &[u8; 32],
    eph: &[u8; 32],
    to: &[u8; 32],
    news: &SpaceId,
    issue: &RecordId,
) -> XChaCha20Poly1305 {
    let mut h = blake3::Hasher::new_derive_key("confab 2026 sealed reply v1");
    h.update(shared);
    h.update(eph);
    h.update(to);
    h.update(&news.0);
    h.update(&issue.0);
    XChaCha20Poly1305::new(h.finalize().as_bytes().into())
}

/// Seals a reply's text to the owner's reply key; `None` if the key is unusable.
pub fn seal_reply(to: &[u8; 32], news: &SpaceId, issue: &RecordId, text: &str) -> Option<Vec<u8>> {
    let to_pk = PublicKey::from(*to);
    let eph = StaticSecret::from(rand::random::<[u8; 32]>());
    let eph_pub = PublicKey::from(&eph);
    let shared = eph.diffie_hellman(&to_pk);
    if !shared.was_contributory() {
        return None;
    }
    // Every seal has its own key (fresh ephemeral secret), so a fixed nonce is safe.
    let ct = cipher(shared.as_bytes(), eph_pub.as_bytes(), to, news, issue)
        .encrypt(
            XNonce::from_slice(&[0u8; 24]),
            Payload {
                msg: text.as_bytes(),
                aad: &issue.0,
            },
        )
        .ok()?;
    let mut out = eph_pub.as_bytes().to_vec();
    out.extend_from_slice(&ct);
    Some(out)
}

/// Opens a sealed reply with the owner's reply key; `None` if it was not sealed to it (or
/// was altered).
pub fn open_reply(secret: &StaticSecret, news: &SpaceId, issue: &RecordId, sealed: &[u8]) -> Option<String> {
    if sealed.len() < SEAL_OVERHEAD {
        return None;
    }
    let (eph, ct) = sealed.split_at(32);
    let eph: [u8; 32] = eph.try_into().ok()?;
    let shared = secret.diffie_hellman(&PublicKey::from(eph));
    let me = PublicKey::from(secret);
    let pt = cipher(shared.as_bytes(), &eph, me.as_bytes(), news, issue)
        .decrypt(
            XNonce::from_slice(&[0u8; 24]),
            Payload {
                msg: ct,
                aad: &issue.0,
            },
        )
        .ok()?;
    String::from_utf8(pt).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_reply_opens_only_with_the_owners_key_and_under_its_issue() {
        let personal = SpaceKey([3; 32]);
        let news = SpaceId([4; 32]);
        let issue = RecordId([5; 32]);
        let secret = reply_secret(&personal, &news);
        let key = PublicKey::from(&secret).to_bytes();
        let sealed = seal_reply(&key, &news, &issue, "thanks!").unwrap();
        assert_eq!(
            open_reply(&secret, &news, &issue, &sealed).as_deref(),
            Some("thanks!")
        );
        // Another owner, another issue, an altered byte: nothing.
        let other = reply_secret(&SpaceKey([9; 32]), &news);
        assert_eq!(open_reply(&other, &news, &issue, &sealed), None);
        assert_eq!(open_reply(&secret, &news, &RecordId([6; 32]), &sealed), None);
        let mut bad = sealed.clone();
        bad[40] ^= 1;
        assert_eq!(open_reply(&secret, &news, &issue, &bad), None);
        // The same on every device of the owner: derived from the own space's key.
        assert_eq!(PublicKey::from(&reply_secret(&personal, &news)).to_bytes(), key);
    }
}
