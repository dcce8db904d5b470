//! Tickets: one copy-pasteable string that invites someone into a space.
//!
//! `CONFAB1` + base32 (RFC 4648, no padding) of `postcard(fields) || inviter signature`.
//! Upper-case base32 is QR-code alphanumeric, so the same string makes a compact QR code.
//! The signature lets a joiner tell a damaged or edited ticket from a good one; the space id
//! binds kind, key and owner, so re-signing an edited ticket only ever names another space.

use ed25519_dalek::{Signer, SigningKey};
use serde::{Deserialize, Serialize};

use crate::ids::AuthorKey;
use crate::space::{check_name, Space, SpaceKey, SpaceKind};

/// The text every ticket starts with; the digit is the ticket version.
pub const TICKET_PREFIX: &str = "CONFAB";
/// Ticket version written by this build.
pub const TICKET_VERSION: u8 = 1;
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
    #[error("ticket version {0} is not supported (this build reads version {TICKET_VERSION})")]
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

/// A parsed, verified ticket.
#[derive(Clone, Debug, PartialEq)]
pub struct Ticket {
    /// The space it invites into.
    pub space: Space,
    /// Who signed the invitation.
    pub inviter: AuthorKey,
    /// Addresses (multiaddrs) where the inviter could be reached.
    pub addrs: Vec<String>,
}

impl Ticket {
    /// Encodes and signs a ticket for `space`, reachable at `addrs`.
    pub fn encode(space: &Space, addrs: &[String], signer: &SigningKey) -> String {
        let addrs: Vec<String> = addrs
            .iter()
            .filter(|a| a.len() <= MAX_ADDR_LEN)
            .take(MAX_TICKET_ADDRS)
            .cloned()
            .collect();
        let fields = Fields {
            kind: space.kind.code(),
            name: space.name.clone(),
            key: space.key.0,
            owner: space.owner.0,
            inviter: signer.verifying_key().to_bytes(),
            addrs,
        };
        let mut bytes = postcard::to_stdvec(&fields).expect("ticket encodes");
        let mut msg = DOMAIN.to_vec();
        msg.extend_from_slice(&bytes);
        bytes.extend_from_slice(&signer.sign(&msg).to_bytes());
        format!(
            "{TICKET_PREFIX}{TICKET_VERSION}{}",
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
        if digits != TICKET_VERSION.to_string() {
            return Err(TicketError::UnsupportedVersion(digits));
        }
        let b32 = &rest[digits.len()..];
        let bytes = data_encoding::BASE32_NOPAD
            .decode(b32.as_bytes())
            .map_err(|e| TicketError::BadEncoding(e.to_string()))?;
        if bytes.len() < 64 + 97 {
            return Err(TicketError::BadContents(format!("only {} bytes", bytes.len())));
        }
        let (body, sig) = bytes.split_at(bytes.len() - 64);
        let (f, extra) =
            postcard::take_from_bytes::<Fields>(body).map_err(|e| TicketError::BadContents(e.to_string()))?;
        if !extra.is_empty() {
            return Err(TicketError::BadContents("trailing bytes".into()));
        }
        let mut msg = DOMAIN.to_vec();
        msg.extend_from_slice(body);
        if !crate::record::verify_signature(&f.inviter, &msg, sig) {
            return Err(TicketError::BadSignature);
        }
        let kind = SpaceKind::from_code(f.kind)
            .ok_or_else(|| TicketError::BadContents(format!("unknown space kind {}", f.kind)))?;
        check_name(&f.name).map_err(TicketError::BadContents)?;
        if f.addrs.len() > MAX_TICKET_ADDRS || f.addrs.iter().any(|a| a.len() > MAX_ADDR_LEN) {
            return Err(TicketError::BadContents("too many or too long addresses".into()));
        }
        Ok(Ticket {
            space: Space::from_parts(kind, f.name, SpaceKey(f.key), AuthorKey(f.owner)),
            inviter: AuthorKey(f.inviter),
            addrs: f.addrs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Identity;

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
            Ticket::parse("CONFAB2AAAA"),
            Err(TicketError::UnsupportedVersion(_))
        ));
        assert!(matches!(
            Ticket::parse("CONFAB1!!!"),
            Err(TicketError::BadEncoding(_))
        ));
        assert!(Ticket::parse(&t[..t.len() - 10]).is_err());
    }
}
