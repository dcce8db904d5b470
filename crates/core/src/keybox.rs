//! Key boxes: a space key sealed to one member, so a key rotation reaches the members who
//! remain and nobody else.
//!
//! A member's identity is an Ed25519 key; its X25519 form (the birationally equivalent
//! Montgomery point, and the clamped scalar of the same secret) is used for one
//! Diffie-Hellman with a fresh ephemeral key per box. The shared secret, both public keys and a
//! context (space id and epoch) derive a one-time XChaCha20-Poly1305 key with BLAKE3; the box
//! is `ephemeral public key || ciphertext of the 32-byte space key || tag`. Using one key pair
//! for both signing and this KEM is the construction analysed in "On using the same key pair
//! for Ed25519 and an X25519 based KEM" (Thormarker, 2021), which ed25519-dalek's
//! `to_montgomery` / `to_scalar_bytes` exist for.
//!
//! Written here rather than taken from `crypto_box`: that crate's sealed box pulls an older
//! curve25519-dalek and XSalsa20 into a tree that already has x25519-dalek 3, BLAKE3 and
//! XChaCha20-Poly1305; the composition is the standard ECIES shape over those.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use x25519_dalek::{PublicKey, StaticSecret};

use crate::ids::AuthorKey;
use crate::key::SpaceKey;

/// Length of a sealed box: ephemeral key, encrypted space key, tag.
pub const BOX_LEN: usize = 32 + 32 + 16;

/// A space key sealed to one member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyBox {
    /// The member (Ed25519 public key) who can open it.
    pub member: [u8; 32],
    /// The ephemeral X25519 public key.
    pub eph: [u8; 32],
    /// The sealed space key.
    pub ct: [u8; 32],
    /// Its authentication tag.
    pub tag: [u8; 16],
}

fn box_cipher(shared: &[u8; 32], eph: &[u8; 32], member_x: &[u8; 32], context: &[u8]) -> XChaCha20Poly1305 {
    let mut h = blake3::Hasher::new_derive_key("confab 2026 key box v1");
    h.update(shared);
    h.update(eph);
    h.update(member_x);
    h.update(context);
    XChaCha20Poly1305::new(h.finalize().as_bytes().into())
}

/// Seals `key` to `member`. `context` binds the box to its use (space and epoch), so a box
/// cannot be replayed into another rotation. `None` if `member` is not a usable public key.
pub fn seal(member: &AuthorKey, key: &SpaceKey, context: &[u8]) -> Option<KeyBox> {
    let vk = VerifyingKey::from_bytes(&member.0).ok()?;
    if vk.is_weak() {
        return None;
    }
    let member_x = PublicKey::from(vk.to_montgomery().to_bytes());
    let eph = StaticSecret::from(rand::random::<[u8; 32]>());
    let eph_pub = PublicKey::from(&eph);
    let shared = eph.diffie_hellman(&member_x);
    if !shared.was_contributory() {
        return None;
    }
    // Each box has its own key (fresh ephemeral secret), so a fixed nonce is safe.
    let ct = box_cipher(
        shared.as_bytes(),
        eph_pub.as_bytes(),
        member_x.as_bytes(),
        context,
    )
    .encrypt(
        XNonce::from_slice(&[0u8; 24]),
        Payload {
            msg: &key.0,
            aad: &member.0,
        },
    )
    .expect("sealing 32 bytes cannot fail");
    let (c, t) = ct.split_at(32);
    Some(KeyBox {
        member: member.0,
        eph: *eph_pub.as_bytes(),
        ct: c.try_into().ok()?,
        tag: t.try_into().ok()?,
    })
}

/// Opens a box sealed to the holder of `signer`. `None` if it is not for this key, was made
/// for another context or was altered.
pub fn open(signer: &SigningKey, b: &KeyBox, context: &[u8]) -> Option<SpaceKey> {
    if b.member != signer.verifying_key().to_bytes() {
        return None;
    }
    let secret = StaticSecret::from(signer.to_scalar_bytes());
    let member_x = PublicKey::from(&secret);
    let eph = b.eph;
    let shared = secret.diffie_hellman(&PublicKey::from(eph));
    if !shared.was_contributory() {
        return None;
    }
    let mut msg = [0u8; 48];
    msg[..32].copy_from_slice(&b.ct);
    msg[32..].copy_from_slice(&b.tag);
    let pt = box_cipher(shared.as_bytes(), &eph, member_x.as_bytes(), context)
        .decrypt(
            XNonce::from_slice(&[0u8; 24]),
            Payload {
                msg: &msg,
                aad: &b.member,
            },
        )
        .ok()?;
    Some(SpaceKey(pt.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Identity;

    #[test]
    fn only_the_member_opens_its_box_and_only_in_its_context() {
        let alice = Identity::generate();
        let bob = Identity::generate();
        let key = SpaceKey::random();
        let b = seal(&alice.author(), &key, b"space/1").unwrap();
        assert_eq!(open(alice.signing_key(), &b, b"space/1"), Some(key.clone()));
        assert_eq!(open(bob.signing_key(), &b, b"space/1"), None, "another member");
        assert_eq!(open(alice.signing_key(), &b, b"space/2"), None, "another context");
        // Readdressed to Bob: still only Alice's secret could have opened it, and the member
        // is bound as associated data, so it fails for both.
        let mut moved = b.clone();
        moved.member = bob.author().0;
        assert_eq!(open(bob.signing_key(), &moved, b"space/1"), None);
        for i in 0..BOX_LEN {
            let mut t = b.clone();
            match i {
                0..32 => t.eph[i] ^= 1,
                32..64 => t.ct[i - 32] ^= 1,
                _ => t.tag[i - 64] ^= 1,
            }
            assert_eq!(
                open(alice.signing_key(), &t, b"space/1"),
                None,
                "flipped byte {i}"
            );
        }
        // Two boxes of the same key to the same member differ (fresh ephemeral key).
        let b2 = seal(&alice.author(), &key, b"space/1").unwrap();
        assert_ne!(b.eph, b2.eph);
        // A small-order key (the identity point) gets no box.
        let mut ident = [0u8; 32];
        ident[0] = 1;
        assert!(seal(&AuthorKey(ident), &key, b"x").is_none());
    }
}
