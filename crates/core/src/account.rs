//! People and their devices, sans IO.
//!
//! A person is an **account**: an Ed25519 key whose secret stays on the device that made it (and
//! in its recovery phrase and backups). Each of their devices has a key of its own, which signs
//! that device's records and is its peer id, and a [`DeviceCert`] signed by the account key
//! saying the device is theirs. The account key also signs each [`Revocation`] of a lost
//! device. Only the account key certifies or revokes, so a revoked or stolen device can do
//! neither. An identity from before accounts is an account with one device: its own key, which
//! certifies itself ([`DeviceCert::is_own`]).
//!
//! [`Devices`] is what one node knows of a person's devices: certificates and revocations go
//! in (each checked), and it says whether a device's record counts.

use std::collections::BTreeMap;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::ids::AuthorKey;

const CERT_DOMAIN: &[u8] = b"confab/device-cert/v1\n";
const REVOKE_DOMAIN: &[u8] = b"confab/device-revoke/v1\n";
/// Words in a recovery phrase (BIP-39, 256 bits of entropy).
pub const PHRASE_WORDS: usize = 24;

/// Why an account's statement or phrase was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AccountError {
    /// The bytes are not a certificate or revocation of this version.
    #[error("not a {what}: {why}")]
    Malformed {
        /// What it should have been.
        what: &'static str,
        /// What is wrong.
        why: String,
    },
    /// The signature is not the account's.
    #[error("the {what} is not signed by the account {account}")]
    BadSignature {
        /// Certificate or revocation.
        what: &'static str,
        /// The account it names (short id).
        account: String,
    },
    /// It is about another account.
    #[error("the {what} is for the account {theirs}, not {ours}")]
    OtherAccount {
        /// Certificate or revocation.
        what: &'static str,
        /// Whose it is.
        theirs: String,
        /// Whose was expected.
        ours: String,
    },
    /// A device cannot revoke its own account.
    #[error("the account's own key cannot be revoked (make a new account and move to it)")]
    RevokesAccount,
    /// A recovery phrase that is not one.
    #[error("not a recovery phrase: {0}")]
    Phrase(String),
}

/// A device's certificate: the account says the device is one of its own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCert {
    /// The account (person).
    pub account: AuthorKey,
    /// The device.
    pub device: AuthorKey,
    /// When it was issued (ms since the epoch).
    pub issued_ms: u64,
    /// The account's signature.
    #[serde(with = "sig_bytes")]
    pub sig: [u8; 64],
}

/// A revocation: the account says a device is no longer its own from `at_ms` on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    /// The account.
    pub account: AuthorKey,
    /// The device revoked.
    pub device: AuthorKey,
    /// From when (ms since the epoch): what the device signs from then on does not count.
    pub at_ms: u64,
    /// The account's signature.
    #[serde(with = "sig_bytes")]
    pub sig: [u8; 64],
}

pub(crate) mod sig_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(sig: &[u8; 64], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(sig)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 64], D::Error> {
        let b: &[u8] = Deserialize::deserialize(d)?;
        b.try_into()
            .map_err(|_| serde::de::Error::custom("a signature is 64 bytes"))
    }
}

fn signed(domain: &[u8], account: &AuthorKey, device: &AuthorKey, ms: u64) -> Vec<u8> {
    let mut m = Vec::with_capacity(domain.len() + 72);
    m.extend_from_slice(domain);
    m.extend_from_slice(&account.0);
    m.extend_from_slice(&device.0);
    m.extend_from_slice(&ms.to_le_bytes());
    m
}

fn check(
    what: &'static str,
    account: &AuthorKey,
    message: &[u8],
    sig: &[u8; 64],
) -> Result<(), AccountError> {
    let bad = || AccountError::BadSignature {
        what,
        account: account.short(),
    };
    let key = VerifyingKey::from_bytes(&account.0).map_err(|_| bad())?;
    key.verify_strict(message, &Signature::from_bytes(sig))
        .map_err(|_| bad())
}

fn decode<'a, T: Deserialize<'a>>(what: &'static str, bytes: &'a [u8]) -> Result<T, AccountError> {
    match postcard::take_from_bytes::<T>(bytes) {
        Ok((v, [])) => Ok(v),
        Ok(_) => Err(AccountError::Malformed {
            what,
            why: "bytes after its end".into(),
        }),
        Err(e) => Err(AccountError::Malformed {
            what,
            why: e.to_string(),
        }),
    }
}

impl DeviceCert {
    /// The account certifies `device` at `issued_ms`.
    pub fn issue(account: &SigningKey, device: AuthorKey, issued_ms: u64) -> Self {
        let acc = AuthorKey(account.verifying_key().to_bytes());
        let sig = account
            .sign(&signed(CERT_DOMAIN, &acc, &device, issued_ms))
            .to_bytes();
        DeviceCert {
            account: acc,
            device,
            issued_ms,
            sig,
        }
    }

    /// Checks that the account signed it.
    pub fn verify(&self) -> Result<(), AccountError> {
        check(
            "device certificate",
            &self.account,
            &signed(CERT_DOMAIN, &self.account, &self.device, self.issued_ms),
            &self.sig,
        )
    }

    /// The account's own key as its device (an identity from before accounts).
    pub fn is_own(&self) -> bool {
        self.account == self.device
    }

    /// Its bytes.
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_stdvec(self).expect("a certificate encodes")
    }

    /// From bytes, checked (the signature too).
    pub fn decode(bytes: &[u8]) -> Result<Self, AccountError> {
        let c: DeviceCert = decode("device certificate", bytes)?;
        c.verify()?;
        Ok(c)
    }
}

impl Revocation {
    /// The account revokes `device` from `at_ms` on.
    pub fn issue(account: &SigningKey, device: AuthorKey, at_ms: u64) -> Self {
        let acc = AuthorKey(account.verifying_key().to_bytes());
        let sig = account
            .sign(&signed(REVOKE_DOMAIN, &acc, &device, at_ms))
            .to_bytes();
        Revocation {
            account: acc,
            device,
            at_ms,
            sig,
        }
    }

    /// Checks that the account signed it.
    pub fn verify(&self) -> Result<(), AccountError> {
        check(
            "revocation",
            &self.account,
            &signed(REVOKE_DOMAIN, &self.account, &self.device, self.at_ms),
            &self.sig,
        )
    }

    /// Its bytes.
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_stdvec(self).expect("a revocation encodes")
    }

    /// From bytes, checked (the signature too).
    pub fn decode(bytes: &[u8]) -> Result<Self, AccountError> {
        let r: Revocation = decode("revocation", bytes)?;
        r.verify()?;
        Ok(r)
    }
}

/// Where a device stands with its account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceStatus {
    /// Certified and not revoked.
    Active,
    /// Revoked from this time on (ms).
    Revoked(u64),
    /// No certificate from this account is known for it.
    Unknown,
}

/// What one node knows of one person's devices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Devices {
    account: AuthorKey,
    certs: BTreeMap<AuthorKey, DeviceCert>,
    revoked: BTreeMap<AuthorKey, Revocation>,
}

impl Devices {
    /// A person's devices: the account key is always one (it certifies itself).
    pub fn new(account: AuthorKey) -> Self {
        Devices {
            account,
            certs: BTreeMap::new(),
            revoked: BTreeMap::new(),
        }
    }

    /// The account.
    pub fn account(&self) -> AuthorKey {
        self.account
    }

    /// Adds a certificate: refused unless this account signed it. The earliest of several
    /// certificates of one device is kept.
    pub fn certify(&mut self, cert: &DeviceCert) -> Result<(), AccountError> {
        self.ours("device certificate", &cert.account)?;
        cert.verify()?;
        let keep = self
            .certs
            .get(&cert.device)
            .is_none_or(|c| cert.issued_ms < c.issued_ms);
        if keep {
            self.certs.insert(cert.device, cert.clone());
        }
        Ok(())
    }

    /// Adds a revocation: refused unless this account signed it, and never of the account
    /// key itself. The earliest of several revocations of one device is kept.
    pub fn revoke(&mut self, r: &Revocation) -> Result<(), AccountError> {
        self.ours("revocation", &r.account)?;
        r.verify()?;
        if r.device == self.account {
            return Err(AccountError::RevokesAccount);
        }
        let keep = self.revoked.get(&r.device).is_none_or(|o| r.at_ms < o.at_ms);
        if keep {
            self.revoked.insert(r.device, r.clone());
        }
        Ok(())
    }

    fn ours(&self, what: &'static str, account: &AuthorKey) -> Result<(), AccountError> {
        if *account != self.account {
            return Err(AccountError::OtherAccount {
                what,
                theirs: account.short(),
                ours: self.account.short(),
            });
        }
        Ok(())
    }

    /// Where `device` stands.
    pub fn status(&self, device: &AuthorKey) -> DeviceStatus {
        if let Some(r) = self.revoked.get(device) {
            return DeviceStatus::Revoked(r.at_ms);
        }
        if *device == self.account || self.certs.contains_key(device) {
            DeviceStatus::Active
        } else {
            DeviceStatus::Unknown
        }
    }

    /// Whether a record `device` signed at `ts_ms` counts as this person's.
    pub fn speaks_for(&self, device: &AuthorKey, ts_ms: u64) -> bool {
        match self.status(device) {
            DeviceStatus::Active => true,
            DeviceStatus::Revoked(at) => ts_ms < at,
            DeviceStatus::Unknown => false,
        }
    }

    /// Every device: the account's own first, then by key.
    pub fn list(&self) -> Vec<(AuthorKey, DeviceStatus)> {
        let mut out = vec![(self.account, self.status(&self.account))];
        for d in self.certs.keys().chain(self.revoked.keys()) {
            if !out.iter().any(|(k, _)| k == d) {
                out.push((*d, self.status(d)));
            }
        }
        out
    }
}

/// The recovery phrase of an account secret: 24 English BIP-39 words.
pub fn phrase(secret: &[u8; 32]) -> String {
    bip39::Mnemonic::from_entropy(secret)
        .expect("32 bytes are valid BIP-39 entropy")
        .to_string()
}

/// The account secret a recovery phrase stands for. Case, extra spaces and line breaks do not
/// matter; a wrong word, a word count other than 24, or a failed checksum is refused by name.
pub fn secret_from_phrase(words: &str) -> Result<[u8; 32], AccountError> {
    let normal = words
        .split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>();
    if normal.len() != PHRASE_WORDS {
        return Err(AccountError::Phrase(format!(
            "{} words; a recovery phrase has {PHRASE_WORDS}",
            normal.len()
        )));
    }
    let joined = normal.join(" ");
    let m = bip39::Mnemonic::parse_in_normalized(bip39::Language::English, &joined).map_err(|e| {
        AccountError::Phrase(match e {
            bip39::Error::UnknownWord(i) => {
                format!("word {} ({:?}) is not in the word list", i + 1, normal[i])
            }
            bip39::Error::InvalidChecksum => {
                "the words do not check out (a word is wrong or out of place)".into()
            }
            e => e.to_string(),
        })
    })?;
    let (entropy, len) = m.to_entropy_array();
    entropy[..len]
        .try_into()
        .map_err(|_| AccountError::Phrase("it does not hold 32 bytes".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> SigningKey {
        SigningKey::from_bytes(&[b; 32])
    }

    fn author(k: &SigningKey) -> AuthorKey {
        AuthorKey(k.verifying_key().to_bytes())
    }

    #[test]
    fn an_account_certifies_and_revokes_its_devices_and_no_one_else_can() {
        let (acc, phone, thief) = (key(1), key(2), key(3));
        let mut d = Devices::new(author(&acc));
        assert_eq!(
            d.status(&author(&acc)),
            DeviceStatus::Active,
            "the account is its own device"
        );
        assert_eq!(d.status(&author(&phone)), DeviceStatus::Unknown);

        let cert = DeviceCert::issue(&acc, author(&phone), 1_000);
        assert_eq!(DeviceCert::decode(&cert.encode()).unwrap(), cert);
        d.certify(&cert).unwrap();
        assert!(d.speaks_for(&author(&phone), 5_000));

        // A device cannot certify another, nor revoke: only the account signs.
        let forged = DeviceCert::issue(&phone, author(&thief), 2_000);
        let e = d.certify(&forged).unwrap_err();
        assert!(matches!(e, AccountError::OtherAccount { .. }), "{e}");
        let mut lying = DeviceCert::issue(&thief, author(&thief), 2_000);
        lying.account = author(&acc);
        assert_eq!(
            d.certify(&lying).unwrap_err().to_string(),
            format!(
                "the device certificate is not signed by the account {}",
                author(&acc).short()
            )
        );
        let mut by_phone = Revocation::issue(&phone, author(&acc), 3_000);
        by_phone.account = author(&acc);
        assert!(matches!(
            d.revoke(&by_phone),
            Err(AccountError::BadSignature { .. })
        ));
        assert_eq!(
            d.revoke(&Revocation::issue(&acc, author(&acc), 3_000)),
            Err(AccountError::RevokesAccount)
        );

        // Revoked: what it signed before still counts, nothing from then on.
        let r = Revocation::issue(&acc, author(&phone), 10_000);
        assert_eq!(Revocation::decode(&r.encode()).unwrap(), r);
        d.revoke(&r).unwrap();
        assert_eq!(d.status(&author(&phone)), DeviceStatus::Revoked(10_000));
        assert!(d.speaks_for(&author(&phone), 9_999));
        assert!(!d.speaks_for(&author(&phone), 10_000));
        // A later revocation does not move it forward; an earlier one moves it back.
        d.revoke(&Revocation::issue(&acc, author(&phone), 20_000))
            .unwrap();
        assert_eq!(d.status(&author(&phone)), DeviceStatus::Revoked(10_000));
        d.revoke(&Revocation::issue(&acc, author(&phone), 8_000)).unwrap();
        assert!(!d.speaks_for(&author(&phone), 9_000));
        assert!(!d.speaks_for(&author(&thief), 1));
        assert_eq!(
            d.list(),
            vec![
                (author(&acc), DeviceStatus::Active),
                (author(&phone), DeviceStatus::Revoked(8_000))
            ]
        );
    }

    #[test]
    fn altered_certificates_and_revocations_are_refused() {
        let acc = key(7);
        let cert = DeviceCert::issue(&acc, author(&key(8)), 42).encode();
        let rev = Revocation::issue(&acc, author(&key(8)), 42).encode();
        for (bytes, what) in [(cert, "device certificate"), (rev, "revocation")] {
            for i in 0..bytes.len() {
                let mut b = bytes.clone();
                b[i] ^= 0x01;
                let e = if what == "revocation" {
                    Revocation::decode(&b).map(|_| ()).unwrap_err()
                } else {
                    DeviceCert::decode(&b).map(|_| ()).unwrap_err()
                };
                assert!(e.to_string().contains(what), "byte {i}: {e}");
            }
            let mut long = bytes.clone();
            long.push(0);
            let e = if what == "revocation" {
                Revocation::decode(&long).map(|_| ()).unwrap_err()
            } else {
                DeviceCert::decode(&long).map(|_| ()).unwrap_err()
            };
            assert!(matches!(e, AccountError::Malformed { .. }), "{e}");
        }
    }

    #[test]
    fn a_phrase_gives_back_the_secret_and_wrong_words_are_named() {
        let secret = [0x5au8; 32];
        let p = phrase(&secret);
        assert_eq!(p.split(' ').count(), PHRASE_WORDS);
        assert_eq!(secret_from_phrase(&p).unwrap(), secret);
        // Case, spacing and line breaks do not matter.
        let messy = p.to_uppercase().replace(' ', "  \n ");
        assert_eq!(secret_from_phrase(&messy).unwrap(), secret);
        // A word not in the list, by its place.
        let mut w: Vec<&str> = p.split(' ').collect();
        w[4] = "confabulate";
        let e = secret_from_phrase(&w.join(" ")).unwrap_err().to_string();
        assert!(e.contains("word 5") && e.contains("confabulate"), "{e}");
        // Two words swapped: the checksum fails.
        let mut w: Vec<&str> = p.split(' ').collect();
        let i = (0..PHRASE_WORDS - 1).find(|&i| w[i] != w[i + 1]).unwrap();
        w.swap(i, i + 1);
        let e = secret_from_phrase(&w.join(" ")).unwrap_err().to_string();
        assert!(e.contains("do not check out"), "{e}");
        // Too few.
        let e = secret_from_phrase("abandon ability able")
            .unwrap_err()
            .to_string();
        assert!(e.contains("3 words") && e.contains("24"), "{e}");
    }
}
