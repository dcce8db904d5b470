//! Tickets: one copy-pasteable string that invites someone into a space.
//!
//! `CONFAB1` + base32 (RFC 4648, no padding) of `postcard(fields) || inviter signature`.
//! Upper-case base32 is QR-code alphanumeric, so the same string makes a compact QR code.
//! The signature lets a joiner tell a damaged or edited ticket from a good one; the space id
//! binds kind, key and owner, so re-signing an edited ticket only ever names another space.

use ed25519_dalek::{Signer, SigningKey};
use serde::{Deserialize, Serialize};

use crate::ids::AuthorKey;
use crate::space::{check_name, Epoch, Space, SpaceKey, SpaceKind, MAX_EPOCHS};

/// The text every ticket starts with; the digit is the ticket version.
pub const TICKET_PREFIX: &str = "CONFAB";
/// Ticket version written by this build for a space whose key was never rotated.
pub const TICKET_VERSION: u8 = 1;
/// Ticket version for a space with key rotations: it also carries each epoch's start and key.
pub const TICKET_VERSION_EPOCHS: u8 = 2;
/// Ticket version made while the inviter's node uses its group's own DHT bootstrap nodes: it
/// carries the epochs (possibly none) and that list, so the invitee finds the same network.
pub const TICKET_VERSION_BOOTSTRAP: u8 = 3;
/// Most addresses a ticket carries.
pub const MAX_TICKET_ADDRS: usize = 16;
/// Longest address text.
pub const MAX_ADDR_LEN: usize = 512;
const DOMAIN: &[u8] = b"confab/ticket/v1\n";

/// Why a ticket was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TicketError {
    /// Does not look like a ticket at all.
    #[error("not a Confab ticket: it must start with \"CONFAB1\"")]
    NotATicket,
    /// A newer ticket version.
    #[error("ticket version {0} is not supported (this build reads versions 1 to 3)")]
    UnsupportedVersion(String),
    /// Not valid base32.
    #[error("ticket is damaged: {0}")]
    BadEncoding(String),
    /// Decodes, but the fields are wrong.
    #[error("ticket is damaged: {0}")]
    BadContents(String),
    /// The signature does not match the contents.
    #[error("ticket signature does not match its contents: it was altered or damaged")]
    BadSignature,
}

#[derive(Serialize, Deserialize)]
struct Fields {
    kind: u8,
    name: String,
    key: [u8; 32],
    owner: [u8; 32],
    inviter: [u8; 32],
    addrs: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct FieldsV2 {
    base: Fields,
    /// (start timestamp, key) of epochs 1, 2, …
    epochs: Vec<(u64, [u8; 32])>,
}

#[derive(Serialize, Deserialize)]
struct FieldsV3 {
    base: Fields,
    epochs: Vec<(u64, [u8; 32])>,
    /// DHT bootstrap peers (multiaddrs).
    bootstrap: Vec<String>,
}

/// A parsed, verified ticket.
#[derive(Clone, Debug, PartialEq)]
pub struct Ticket {
    /// The space it invites into.
    pub space: Space,
    /// Who signed the invitation.
    pub inviter: AuthorKey,
    /// Addresses (multiaddrs) where the inviter could be reached.
    pub addrs: Vec<String>,
    /// The DHT bootstrap peers the inviter's group uses (empty: the public DHT).
    pub bootstrap: Vec<String>,
}

fn bounded(addrs: &[String]) -> Vec<String> {
    addrs
        .iter()
        .filter(|a| a.len() <= MAX_ADDR_LEN)
        .take(MAX_TICKET_ADDRS)
        .cloned()
        .collect()
}

impl Ticket {
    /// Encodes and signs a ticket for `space`, reachable at `addrs`. A space whose key was
    /// rotated gets a version-2 ticket carrying every epoch's key the signer holds (a removed
    /// member's ticket stops at the last key it was given).
    pub fn encode(space: &Space, addrs: &[String], signer: &SigningKey) -> String {
        Self::encode_with(space, addrs, &[], signer)
    }

    /// [`Ticket::encode`] naming the DHT bootstrap peers the group uses: with any, a version-3
    /// ticket.
    pub fn encode_with(space: &Space, addrs: &[String], bootstrap: &[String], signer: &SigningKey) -> String {
        let addrs = bounded(addrs);
        let bootstrap = bounded(bootstrap);
        let fields = Fields {
            kind: space.kind.code(),
            name: space.name.clone(),
            key: space.key.0,
            owner: space.owner.0,
            inviter: signer.verifying_key().to_bytes(),
            addrs,
        };
        let epochs: Vec<(u64, [u8; 32])> = space
            .epochs
            .iter()
            .map_while(|e| e.key.as_ref().map(|k| (e.since, k.0)))
            .collect();
        let (version, bytes) = if !bootstrap.is_empty() {
            (
                TICKET_VERSION_BOOTSTRAP,
                postcard::to_stdvec(&FieldsV3 {
                    base: fields,
                    epochs,
                    bootstrap,
                }),
            )
        } else if epochs.is_empty() {
            (TICKET_VERSION, postcard::to_stdvec(&fields))
        } else {
            (
                TICKET_VERSION_EPOCHS,
                postcard::to_stdvec(&FieldsV2 { base: fields, epochs }),
            )
        };
        let mut bytes = bytes.expect("ticket encodes");
        let mut msg = DOMAIN.to_vec();
        if version != TICKET_VERSION {
            msg.push(version);
        }
        msg.extend_from_slice(&bytes);
        bytes.extend_from_slice(&signer.sign(&msg).to_bytes());
        format!(
            "{TICKET_PREFIX}{version}{}",
            data_encoding::BASE32_NOPAD.encode(&bytes)
        )
    }

    /// Parses and verifies a ticket. Surrounding whitespace and letter case are ignored.
    pub fn parse(text: &str) -> Result<Ticket, TicketError> {
        let t = text.trim().to_ascii_uppercase();
        let rest = t.strip_prefix(TICKET_PREFIX).ok_or(TicketError::NotATicket)?;
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        if digits.is_empty() {
            return Err(TicketError::NotATicket);
        }
        let version = match digits.parse::<u8>() {
            Ok(v @ (TICKET_VERSION | TICKET_VERSION_EPOCHS | TICKET_VERSION_BOOTSTRAP)) => v,
            _ => return Err(TicketError::UnsupportedVersion(digits)),
        };
        let b32 = &rest[digits.len()..];
        let bytes = data_encoding::BASE32_NOPAD
            .decode(b32.as_bytes())
            .map_err(|e| TicketError::BadEncoding(e.to_string()))?;
        if bytes.len() < 64 + 97 {
            return Err(TicketError::BadContents(format!("only {} bytes", bytes.len())));
        }
        let (body, sig) = bytes.split_at(bytes.len() - 64);
        let bad = |e: postcard::Error| TicketError::BadContents(e.to_string());
        let (f, epochs, bootstrap, extra) = match version {
            TICKET_VERSION => {
                let (f, extra) = postcard::take_from_bytes::<Fields>(body).map_err(bad)?;
                (f, Vec::new(), Vec::new(), extra)
            }
            TICKET_VERSION_EPOCHS => {
                let (f, extra) = postcard::take_from_bytes::<FieldsV2>(body).map_err(bad)?;
                (f.base, f.epochs, Vec::new(), extra)
            }
            _ => {
                let (f, extra) = postcard::take_from_bytes::<FieldsV3>(body).map_err(bad)?;
                if f.bootstrap.is_empty() {
                    return Err(TicketError::BadContents(
                        "a version-3 ticket names no bootstrap peers".into(),
                    ));
                }
                (f.base, f.epochs, f.bootstrap, extra)
            }
        };
        if !extra.is_empty() {
            return Err(TicketError::BadContents("trailing bytes".into()));
        }
        if epochs.len() > MAX_EPOCHS || (version == TICKET_VERSION_EPOCHS && epochs.is_empty()) {
            return Err(TicketError::BadContents(format!(
                "{} key epochs; 1..={MAX_EPOCHS} in a version-2 ticket",
                epochs.len()
            )));
        }
        if !epochs.windows(2).all(|w| w[0].0 < w[1].0) {
            return Err(TicketError::BadContents("key epochs out of order".into()));
        }
        let mut msg = DOMAIN.to_vec();
        if version != TICKET_VERSION {
            msg.push(version);
        }
        msg.extend_from_slice(body);
        if !crate::record::verify_signature(&f.inviter, &msg, sig) {
            return Err(TicketError::BadSignature);
        }
        let kind = SpaceKind::from_code(f.kind)
            .ok_or_else(|| TicketError::BadContents(format!("unknown space kind {}", f.kind)))?;
        check_name(&f.name).map_err(TicketError::BadContents)?;
        let too_many = |v: &[String]| v.len() > MAX_TICKET_ADDRS || v.iter().any(|a| a.len() > MAX_ADDR_LEN);
        if too_many(&f.addrs) || too_many(&bootstrap) {
            return Err(TicketError::BadContents("too many or too long addresses".into()));
        }
        let mut space = Space::from_parts(kind, f.name, SpaceKey(f.key), AuthorKey(f.owner));
        space.epochs = epochs
            .into_iter()
            .zip(1u32..)
            .map(|((since, key), n)| Epoch {
                n,
                since,
                key: Some(SpaceKey(key)),
                removed: Vec::new(),
                kept: None,
            })
            .collect();
        Ok(Ticket {
            space,
            inviter: AuthorKey(f.inviter),
            addrs: f.addrs,
            bootstrap,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Identity;

    #[test]
    fn a_ticket_carries_the_groups_bootstrap_peers() {
        let id = Identity::generate();
        let space = Space::create(SpaceKind::Chat, "Team", id.author()).unwrap();
        let boot = vec!["/ip4/198.51.100.7/tcp/4001/p2p/12D3KooWA".to_string()];
        let t = Ticket::encode_with(&space, &[], &boot, id.signing_key());
        assert!(t.starts_with("CONFAB3"), "{t}");
        let p = Ticket::parse(&t).unwrap();
        assert_eq!((p.space, p.bootstrap, p.addrs), (space.clone(), boot, vec![]));
        // Relabelled as an older version it no longer parses or verifies.
        for v in ["CONFAB1", "CONFAB2"] {
            assert!(Ticket::parse(&t.replacen("CONFAB3", v, 1)).is_err());
        }
        // Without a list, the old versions.
        assert!(Ticket::encode_with(&space, &[], &[], id.signing_key()).starts_with("CONFAB1"));
    }

    #[test]
    fn roundtrip_and_tamper() {
        let id = Identity::generate();
        let space = Space::create(SpaceKind::News, "Weekly", id.author()).unwrap();
        let addrs = vec!["/ip4/127.0.0.1/tcp/4001".to_string()];
        let t = Ticket::encode(&space, &addrs, id.signing_key());
        assert!(t.starts_with("CONFAB1"));
        let p = Ticket::parse(&format!("  {}\n", t.to_lowercase())).unwrap();
        assert_eq!(p.space, space);
        assert_eq!(p.addrs, addrs);
        assert_eq!(p.inviter, id.author());

        // Flip one character anywhere in the payload: always a clear error, never a space.
        let chars: Vec<char> = t.chars().collect();
        for i in 7..chars.len() {
            let mut c = chars.clone();
            c[i] = if c[i] == 'A' { 'B' } else { 'A' };
            let s: String = c.into_iter().collect();
            assert!(Ticket::parse(&s).is_err(), "tampered at {i} accepted");
        }
        assert_eq!(Ticket::parse("hello"), Err(TicketError::NotATicket));
        assert!(matches!(
            Ticket::parse("CONFAB4AAAA"),
            Err(TicketError::UnsupportedVersion(_))
        ));
        assert!(matches!(
            Ticket::parse("CONFAB1!!!"),
            Err(TicketError::BadEncoding(_))
        ));
        assert!(Ticket::parse(&t[..t.len() - 10]).is_err());
    }

    #[test]
    fn a_rotated_space_gets_a_version_2_ticket_with_its_keys() {
        let id = Identity::generate();
        let mut space = Space::create(SpaceKind::Chat, "Room", id.author()).unwrap();
        let other = Identity::generate();
        let (body, key) = space.make_rekey(&[other.author()], &[id.author()], &[]).unwrap();
        let opened = space.open_rekey(&body, id.signing_key());
        assert_eq!(opened.as_ref(), Some(&key));
        space.apply_rekey(1_000 << 16, &body, opened).unwrap();
        let t = Ticket::encode(&space, &[], id.signing_key());
        assert!(t.starts_with("CONFAB2"), "{t}");
        let p = Ticket::parse(&t).unwrap();
        assert_eq!(p.space.id, space.id);
        assert_eq!(p.space.current_key(), Some(&key));
        assert_eq!(p.space.sync_id(), space.sync_id());
        assert_ne!(p.space.sync_id(), space.id);
        // The version is signed: relabelling a version-2 ticket as version 1 fails.
        let relabelled = format!("CONFAB1{}", &t[7..]);
        assert!(Ticket::parse(&relabelled).is_err());
        // A removed member's ticket stops at the last key it holds: version 1 again.
        let mut removed_view = space.clone();
        removed_view.epochs[0].key = None;
        assert!(Ticket::encode(&removed_view, &[], other.signing_key()).starts_with("CONFAB1"));
    }
}
