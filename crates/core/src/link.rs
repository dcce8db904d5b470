//! Linking a new device to a person's account, sans IO: the one-time link ticket, the messages
//! of `/confab/link/1`, and the bundle the account's device sends once the person approves.
//!
//! The account's device shows a ticket (its peer id and addresses, a random secret, an expiry)
//! and a six-digit code derived from the secret. The new device dials it over Noise (which
//! proves each side's peer id) and asks with its device key and a proof that it holds the
//! secret; the first device to ask binds the ticket. The person approves by typing the code on
//! the account's device, which answers with the device's certificate and the person's spaces,
//! sealed with a key derived from the secret (end to end, on top of Noise, so a relay in the
//! path learns nothing). The account secret never leaves the account's device.

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};

use crate::account::DeviceCert;
use crate::backup::SpaceEntry;
use crate::ids::AuthorKey;

/// The text every link ticket starts with.
pub const LINK_PREFIX: &str = "CONFABLINK";
/// Encoding version of tickets and messages.
pub const LINK_VERSION: u8 = 1;
/// How long a ticket lasts unless asked otherwise.
pub const DEFAULT_TTL_SECS: u64 = 600;
/// The longest a ticket may last.
pub const MAX_TTL_SECS: u64 = 24 * 3600;
/// Most addresses a ticket carries.
pub const MAX_ADDRS: usize = 16;

/// Why a link ticket or message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Not a link ticket.
    #[error("not a link ticket (it does not start with {LINK_PREFIX})")]
    NotATicket,
    /// A later version's.
    #[error("link ticket version {0} is not supported (this build reads version {LINK_VERSION})")]
    UnsupportedVersion(u8),
    /// The bytes do not decode.
    #[error("the link {what} does not decode: {why}")]
    Malformed {
        /// Ticket or message.
        what: &'static str,
        /// What is wrong.
        why: String,
    },
    /// Past its expiry.
    #[error("the link ticket expired {0} s ago; make a new one on your other device")]
    Expired(u64),
    /// The bundle does not open with the ticket's secret.
    #[error("the linking answer does not open with the ticket's secret (altered, or another ticket's)")]
    Sealed,
    /// The certificate in the bundle is not what was asked for.
    #[error("the certificate received is not for this device from the ticket's account: {0}")]
    WrongCert(String),
}

/// A one-time, expiring invitation to link a device to an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkTicket {
    /// The person's account.
    pub account: AuthorKey,
    /// The account's device to dial (its peer id).
    pub peer: AuthorKey,
    /// Where it listens (multiaddrs).
    pub addrs: Vec<String>,
    /// The one-time secret.
    pub secret: [u8; 32],
    /// When it expires (ms).
    pub expires_ms: u64,
}

fn malformed(what: &'static str, why: impl ToString) -> LinkError {
    LinkError::Malformed {
        what,
        why: why.to_string(),
    }
}

impl LinkTicket {
    /// A new ticket with a fresh random secret.
    pub fn new(account: AuthorKey, peer: AuthorKey, addrs: Vec<String>, expires_ms: u64) -> Self {
        LinkTicket {
            account,
            peer,
            addrs,
            secret: rand::random(),
            expires_ms,
        }
    }

    /// Its text: the prefix, the version, then base32 of the encoding.
    pub fn encode(&self) -> String {
        let bytes = postcard::to_stdvec(self).expect("a ticket encodes");
        format!(
            "{LINK_PREFIX}{LINK_VERSION}{}",
            data_encoding::BASE32_NOPAD.encode(&bytes)
        )
    }

    /// Reads a ticket's text (spaces and line breaks ignored, letters in either case). Expiry
    /// is checked apart, against the clock ([`LinkTicket::check_time`]).
    pub fn parse(text: &str) -> Result<Self, LinkError> {
        let t: String = text.split_whitespace().collect::<String>().to_uppercase();
        let rest = t.strip_prefix(LINK_PREFIX).ok_or(LinkError::NotATicket)?;
        let mut chars = rest.chars();
        let v = chars
            .next()
            .and_then(|c| c.to_digit(10))
            .ok_or(LinkError::NotATicket)? as u8;
        if v != LINK_VERSION {
            return Err(LinkError::UnsupportedVersion(v));
        }
        let bytes = data_encoding::BASE32_NOPAD
            .decode(chars.as_str().as_bytes())
            .map_err(|e| malformed("ticket", e))?;
        let t: LinkTicket = match postcard::take_from_bytes(&bytes) {
            Ok((t, [])) => t,
            Ok(_) => return Err(malformed("ticket", "bytes after its end")),
            Err(e) => return Err(malformed("ticket", e)),
        };
        if t.addrs.len() > MAX_ADDRS || t.addrs.iter().any(|a| a.len() > 512) {
            return Err(malformed("ticket", "too many or too long addresses"));
        }
        Ok(t)
    }

    /// Refuses an expired ticket.
    pub fn check_time(&self, now_ms: u64) -> Result<(), LinkError> {
        if now_ms >= self.expires_ms {
            return Err(LinkError::Expired((now_ms - self.expires_ms) / 1000));
        }
        Ok(())
    }

    /// Names the ticket without revealing its secret.
    pub fn id(&self) -> [u8; 16] {
        ticket_id(&self.secret)
    }

    /// The six-digit code the person approves it with.
    pub fn code(&self) -> String {
        code(&self.secret)
    }

    /// What the new device sends: its key and proof that it holds the secret.
    pub fn ask(&self, device: AuthorKey) -> LinkRequest {
        LinkRequest::Ask {
            ticket: self.id(),
            device,
            proof: proof(&self.secret, &device),
        }
    }

    /// Opens the account device's answer and checks the certificate it carries.
    pub fn open(&self, device: AuthorKey, nonce: &[u8; 24], sealed: &[u8]) -> Result<LinkBundle, LinkError> {
        let plain = XChaCha20Poly1305::new((&bundle_key(&self.secret)).into())
            .decrypt(XNonce::from_slice(nonce), sealed)
            .map_err(|_| LinkError::Sealed)?;
        let b: LinkBundle = match postcard::take_from_bytes(&plain) {
            Ok((b, [])) => b,
            Ok(_) => return Err(malformed("bundle", "bytes after its end")),
            Err(e) => return Err(malformed("bundle", e)),
        };
        b.cert.verify().map_err(|e| LinkError::WrongCert(e.to_string()))?;
        if b.cert.account != self.account || b.cert.device != device {
            return Err(LinkError::WrongCert(format!(
                "it certifies {} for {}",
                b.cert.device.short(),
                b.cert.account.short()
            )));
        }
        Ok(b)
    }
}

/// The id of the ticket with this secret.
pub fn ticket_id(secret: &[u8; 32]) -> [u8; 16] {
    blake3::derive_key("confab 2026 link ticket id v1", secret)[..16]
        .try_into()
        .expect("16 of 32 bytes")
}

/// The six-digit approval code of the ticket with this secret.
pub fn code(secret: &[u8; 32]) -> String {
    let h = blake3::derive_key("confab 2026 link code v1", secret);
    let n = u32::from_le_bytes(h[..4].try_into().expect("4 bytes")) % 1_000_000;
    format!("{n:06}")
}

/// Proof that whoever asks for `device` holds the secret.
pub fn proof(secret: &[u8; 32], device: &AuthorKey) -> [u8; 32] {
    let k = blake3::derive_key("confab 2026 link proof v1", secret);
    *blake3::keyed_hash(&k, &device.0).as_bytes()
}

fn bundle_key(secret: &[u8; 32]) -> [u8; 32] {
    blake3::derive_key("confab 2026 link bundle v1", secret)
}

/// Seals a bundle for the holder of the ticket's secret.
pub fn seal_bundle(secret: &[u8; 32], bundle: &LinkBundle) -> ([u8; 24], Vec<u8>) {
    let nonce: [u8; 24] = rand::random();
    let plain = postcard::to_stdvec(bundle).expect("a bundle encodes");
    let sealed = XChaCha20Poly1305::new((&bundle_key(secret)).into())
        .encrypt(XNonce::from_slice(&nonce), plain.as_slice())
        .expect("encryption of a bounded plaintext cannot fail");
    (nonce, sealed)
}

/// What the new device sends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkRequest {
    /// Asks to be linked (sent again until answered).
    Ask {
        /// The ticket's id.
        ticket: [u8; 16],
        /// The new device's key (its peer id; Noise proved it).
        device: AuthorKey,
        /// Keyed hash of the device key under the ticket's secret.
        proof: [u8; 32],
    },
}

/// What the account's device answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkResponse {
    /// Waiting for the person to approve (ask again).
    Pending,
    /// Approved: the bundle, sealed with the ticket's secret.
    Approved {
        /// Its nonce.
        nonce: [u8; 24],
        /// The sealed [`LinkBundle`].
        sealed: Vec<u8>,
    },
    /// Refused, with the reason.
    Refused(String),
}

/// What a linked device receives: its certificate and the person's spaces and settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkBundle {
    /// The account's certificate of the new device.
    pub cert: DeviceCert,
    /// The person's spaces, with their keys.
    pub spaces: Vec<SpaceEntry>,
    /// The person's settings (profile and the like).
    pub settings: Vec<(String, String)>,
}

/// Encodes a link message.
pub fn encode<T: Serialize>(m: &T) -> Vec<u8> {
    let mut out = vec![LINK_VERSION];
    out.extend(postcard::to_stdvec(m).expect("link messages encode"));
    out
}

/// Decodes a link message of this version.
pub fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, LinkError> {
    let (&v, rest) = bytes.split_first().ok_or_else(|| malformed("message", "empty"))?;
    if v != LINK_VERSION {
        return Err(LinkError::UnsupportedVersion(v));
    }
    match postcard::take_from_bytes(rest) {
        Ok((m, [])) => Ok(m),
        Ok(_) => Err(malformed("message", "bytes after its end")),
        Err(e) => Err(malformed("message", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    fn ticket() -> (SigningKey, LinkTicket) {
        let acc = SigningKey::from_bytes(&[4; 32]);
        let t = LinkTicket {
            account: AuthorKey(acc.verifying_key().to_bytes()),
            peer: AuthorKey(acc.verifying_key().to_bytes()),
            addrs: vec!["/ip4/10.0.0.1/tcp/4001".into()],
            secret: [9; 32],
            expires_ms: 10_000,
        };
        (acc, t)
    }

    #[test]
    fn a_ticket_reads_back_and_refuses_what_is_not_one() {
        let (_, t) = ticket();
        let text = t.encode();
        assert_eq!(LinkTicket::parse(&text).unwrap(), t);
        assert_eq!(LinkTicket::parse(&text.to_lowercase()).unwrap(), t);
        assert_eq!(t.code().len(), 6);
        assert_eq!(LinkTicket::parse("CONFAB1ABC"), Err(LinkError::NotATicket));
        assert_eq!(
            LinkTicket::parse(&text.replacen("CONFABLINK1", "CONFABLINK2", 1)),
            Err(LinkError::UnsupportedVersion(2))
        );
        assert!(matches!(
            LinkTicket::parse(&text[..text.len() - 5]),
            Err(LinkError::Malformed { .. })
        ));
        assert_eq!(t.check_time(9_999), Ok(()));
        assert_eq!(t.check_time(12_000), Err(LinkError::Expired(2)));
    }

    #[test]
    fn the_bundle_opens_only_with_the_secret_and_for_this_device() {
        let (acc, t) = ticket();
        let device = AuthorKey([7; 32]);
        let bundle = LinkBundle {
            cert: DeviceCert::issue(&acc, device, 5),
            spaces: vec![],
            settings: vec![("profile".into(), "x".into())],
        };
        let (nonce, sealed) = seal_bundle(&t.secret, &bundle);
        assert_eq!(t.open(device, &nonce, &sealed).unwrap(), bundle);
        let mut other = t.clone();
        other.secret[0] ^= 1;
        assert_eq!(other.open(device, &nonce, &sealed), Err(LinkError::Sealed));
        let e = t.open(AuthorKey([8; 32]), &nonce, &sealed).unwrap_err();
        assert!(matches!(e, LinkError::WrongCert(_)), "{e}");
        // A certificate signed by someone else.
        let thief = SigningKey::from_bytes(&[5; 32]);
        let mut forged = DeviceCert::issue(&thief, device, 5);
        forged.account = t.account;
        let (n2, s2) = seal_bundle(
            &t.secret,
            &LinkBundle {
                cert: forged,
                ..bundle.clone()
            },
        );
        let e = t.open(device, &n2, &s2).unwrap_err().to_string();
        assert!(e.contains("not signed by the account"), "{e}");
        let m = encode(&t.ask(device));
        assert_eq!(decode::<LinkRequest>(&m).unwrap(), t.ask(device));
        assert!(decode::<LinkRequest>(&m[..m.len() - 1]).is_err());
    }
}
