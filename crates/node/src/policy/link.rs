//! The link tickets an account's device has issued, sans IO: the first device that proves it
//! holds a ticket's secret claims it; the person approves a claim by its code; the approved
//! device is answered with its bundle until the ticket expires, and nobody else ever is.

use std::collections::HashMap;

use confab_core::link::{self, LinkResponse};
use confab_core::AuthorKey;

/// Most tickets open at once (older ones are dropped first).
pub const MAX_OPEN: usize = 16;

#[derive(Clone, Debug, PartialEq)]
enum State {
    Open,
    Claimed(AuthorKey),
    Approved(AuthorKey, LinkResponse),
}

#[derive(Clone, Debug)]
struct Entry {
    secret: [u8; 32],
    code: String,
    issued_ms: u64,
    expires_ms: u64,
    state: State,
}

/// A claim waiting for the person's approval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    /// The ticket's secret (to seal the bundle with).
    pub secret: [u8; 32],
    /// The device that claimed it.
    pub device: AuthorKey,
}

/// Why an approval was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApproveError {
    /// No open ticket has this code.
    #[error("no link ticket has the code {0} (made on this device, not expired)")]
    UnknownCode(String),
    /// Its ticket expired.
    #[error("the link ticket with the code {0} expired; make a new one")]
    Expired(String),
    /// No device has asked with it yet.
    #[error("no device has asked with the ticket of code {0} yet: run `confab device link TICKET` on the new device first")]
    Unclaimed(String),
    /// Already approved.
    #[error("the ticket of code {0} was already approved")]
    Approved(String),
}

/// The tickets this device issued.
#[derive(Debug, Default)]
pub struct Links {
    tickets: HashMap<[u8; 16], Entry>,
}

impl Links {
    /// Issues a ticket with `secret`, valid until `expires_ms`; returns its code.
    pub fn issue(&mut self, secret: [u8; 32], now_ms: u64, expires_ms: u64) -> String {
        self.forget_expired(now_ms);
        while self.tickets.len() >= MAX_OPEN {
            let oldest = *self
                .tickets
                .iter()
                .min_by_key(|(_, e)| e.issued_ms)
                .map(|(k, _)| k)
                .expect("not empty");
            self.tickets.remove(&oldest);
        }
        let code = link::code(&secret);
        self.tickets.insert(
            link::ticket_id(&secret),
            Entry {
                secret,
                code: code.clone(),
                issued_ms: now_ms,
                expires_ms,
                state: State::Open,
            },
        );
        code
    }

    fn forget_expired(&mut self, now_ms: u64) {
        self.tickets.retain(|_, e| e.expires_ms > now_ms);
    }

    /// A device asks with a ticket; `peer` is who Noise says is asking.
    pub fn ask(
        &mut self,
        peer: AuthorKey,
        ticket: [u8; 16],
        device: AuthorKey,
        proof: [u8; 32],
        now_ms: u64,
    ) -> LinkResponse {
        let refuse = |why: &str| LinkResponse::Refused(why.to_string());
        if peer != device {
            return refuse("the device key asked for is not the connection's");
        }
        let Some(e) = self.tickets.get_mut(&ticket) else {
            return refuse("unknown link ticket (already used, expired, or made on another device)");
        };
        if now_ms >= e.expires_ms {
            return refuse("the link ticket expired; make a new one");
        }
        if link::proof(&e.secret, &device) != proof {
            return refuse("the proof does not match the ticket's secret");
        }
        match &e.state {
            State::Open => {
                e.state = State::Claimed(device);
                LinkResponse::Pending
            }
            State::Claimed(d) if *d == device => LinkResponse::Pending,
            State::Approved(d, resp) if *d == device => resp.clone(),
            _ => refuse("the link ticket was already used by another device"),
        }
    }

    /// The person approves the claim on the ticket with `code`: the claim, to certify.
    pub fn approve(&mut self, code: &str, now_ms: u64) -> Result<Claim, ApproveError> {
        let code = code.trim().to_string();
        let e = self
            .tickets
            .values()
            .find(|e| e.code == code)
            .ok_or_else(|| ApproveError::UnknownCode(code.clone()))?;
        if now_ms >= e.expires_ms {
            return Err(ApproveError::Expired(code));
        }
        match &e.state {
            State::Open => Err(ApproveError::Unclaimed(code)),
            State::Approved(..) => Err(ApproveError::Approved(code)),
            State::Claimed(d) => Ok(Claim {
                secret: e.secret,
                device: *d,
            }),
        }
    }

    /// Records the answer for an approved claim: the device gets it when it asks again.
    pub fn approved(&mut self, claim: &Claim, response: LinkResponse) {
        if let Some(e) = self.tickets.get_mut(&link::ticket_id(&claim.secret)) {
            if e.state == State::Claimed(claim.device) {
                e.state = State::Approved(claim.device, response);
            }
        }
    }

    /// Claims waiting for approval: (code, device).
    pub fn waiting(&self, now_ms: u64) -> Vec<(String, AuthorKey)> {
        let mut v: Vec<(String, AuthorKey)> = self
            .tickets
            .values()
            .filter(|e| e.expires_ms > now_ms)
            .filter_map(|e| match e.state {
                State::Claimed(d) => Some((e.code.clone(), d)),
                _ => None,
            })
            .collect();
        v.sort();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(l: &mut Links, secret: &[u8; 32], device: AuthorKey, now: u64) -> LinkResponse {
        l.ask(
            device,
            link::ticket_id(secret),
            device,
            link::proof(secret, &device),
            now,
        )
    }

    #[test]
    fn the_first_device_claims_the_person_approves_and_no_one_else_gets_in() {
        let mut l = Links::default();
        let secret = [3u8; 32];
        let code = l.issue(secret, 0, 60_000);
        let (phone, thief) = (AuthorKey([1; 32]), AuthorKey([2; 32]));
        assert_eq!(l.approve(&code, 1), Err(ApproveError::Unclaimed(code.clone())));
        // Without the secret: refused, and the ticket stays open.
        let r = l.ask(thief, link::ticket_id(&secret), thief, [0; 32], 1);
        assert!(
            matches!(r, LinkResponse::Refused(ref w) if w.contains("proof")),
            "{r:?}"
        );
        // Asking for a key other than the connection's.
        let r = l.ask(
            thief,
            link::ticket_id(&secret),
            phone,
            link::proof(&secret, &phone),
            1,
        );
        assert!(
            matches!(r, LinkResponse::Refused(ref w) if w.contains("connection")),
            "{r:?}"
        );
        assert_eq!(ask(&mut l, &secret, phone, 2), LinkResponse::Pending);
        assert_eq!(ask(&mut l, &secret, phone, 3), LinkResponse::Pending);
        assert_eq!(l.waiting(3), vec![(code.clone(), phone)]);
        let r = ask(&mut l, &secret, thief, 4);
        assert!(
            matches!(r, LinkResponse::Refused(ref w) if w.contains("another device")),
            "{r:?}"
        );
        assert_eq!(
            l.approve("000000", 5),
            Err(ApproveError::UnknownCode("000000".into()))
        );
        let claim = l.approve(&format!(" {code}\n"), 5).unwrap();
        assert_eq!(claim.device, phone);
        let answer = LinkResponse::Approved {
            nonce: [0; 24],
            sealed: vec![1, 2, 3],
        };
        l.approved(&claim, answer.clone());
        assert_eq!(
            ask(&mut l, &secret, phone, 6),
            answer,
            "asked again, answered again"
        );
        assert_eq!(l.approve(&code, 7), Err(ApproveError::Approved(code.clone())));
        assert!(matches!(ask(&mut l, &secret, thief, 8), LinkResponse::Refused(_)));
        // Expired: refused, then forgotten.
        assert!(
            matches!(ask(&mut l, &secret, phone, 60_000), LinkResponse::Refused(ref w) if w.contains("expired"))
        );
        l.issue([4; 32], 70_000, 80_000);
        let r = ask(&mut l, &secret, phone, 70_001);
        assert!(
            matches!(r, LinkResponse::Refused(ref w) if w.contains("unknown")),
            "{r:?}"
        );
    }

    #[test]
    fn an_expired_ticket_cannot_be_approved_and_old_ones_make_room() {
        let mut l = Links::default();
        let code = l.issue([5; 32], 0, 100);
        let d = AuthorKey([1; 32]);
        assert_eq!(ask(&mut l, &[5; 32], d, 50), LinkResponse::Pending);
        assert_eq!(l.approve(&code, 100), Err(ApproveError::Expired(code)));
        for i in 0..(MAX_OPEN as u8 + 4) {
            l.issue([10 + i; 32], 200 + i as u64, 10_000);
        }
        assert_eq!(l.tickets.len(), MAX_OPEN);
    }
}
