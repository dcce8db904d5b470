//! The encrypted backup file, sans IO: what a person needs to be themselves again on a new
//! device (the account secret, every space with its keys and epochs, settings, and optionally
//! the records), sealed under a passphrase.
//!
//! Format, version 1 (all integers little-endian):
//!
//! ```text
//! "confab backup\n"  magic, 14 bytes
//! 1                  version, 1 byte
//! m_kib t p          Argon2id cost: memory in KiB, passes, lanes (u32 each)
//! salt               16 bytes
//! check              16 bytes: tells a wrong passphrase from an altered file
//! nonce              24 bytes
//! len                u64: length of what follows
//! sealed contents    XChaCha20-Poly1305 of postcard(Contents); the AAD is every byte above
//! ```
//!
//! The passphrase is stretched with Argon2id (RFC 9106) into a master key; BLAKE3 derives the
//! encryption key and the check value from it. Argon2id and XChaCha20-Poly1305 are the
//! RustCrypto crates (`argon2`, `chacha20poly1305`); the `age` format was the other candidate,
//! but its crate brings a localisation stack and HPKE for a feature used here once.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};

use crate::ids::AuthorKey;
use crate::key::SpaceKey;
use crate::space::{Epoch, Space, SpaceKind};

/// The first bytes of every backup.
pub const MAGIC: &[u8; 14] = b"confab backup\n";
/// The version this build writes and reads.
pub const BACKUP_VERSION: u8 = 1;
/// Shortest passphrase accepted for a new backup, in characters.
pub const MIN_PASSPHRASE: usize = 8;
const HEADER_LEN: usize = 14 + 1 + 12 + 16 + 16 + 24 + 8;
/// The most memory a backup may ask Argon2 for (KiB): 1 GiB.
const MAX_M_KIB: u32 = 1 << 20;
const MAX_T: u32 = 16;
const MAX_P: u32 = 16;

/// Argon2id cost of a backup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cost {
    /// Memory, KiB.
    pub m_kib: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl Cost {
    /// What new backups use: 64 MiB, 3 passes, 1 lane (RFC 9106's second recommendation, with
    /// one lane so a phone derives it as fast as a laptop).
    pub const DEFAULT: Cost = Cost {
        m_kib: 64 * 1024,
        t: 3,
        p: 1,
    };
}

/// Why a backup could not be made or opened. Nothing is changed when one is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BackupError {
    /// The file does not start as a backup does.
    #[error("not a Confab backup (it does not start with \"confab backup\")")]
    NotABackup,
    /// A later version wrote it.
    #[error("backup version {0} is not supported (this build reads version {BACKUP_VERSION})")]
    UnsupportedVersion(u8),
    /// The file ends early.
    #[error("the backup is truncated: {have} bytes of {need}")]
    Truncated {
        /// Bytes present.
        have: u64,
        /// Bytes its header says it has.
        need: u64,
    },
    /// Bytes follow the end the header gives.
    #[error("the backup has {0} bytes after its end (altered)")]
    Trailing(u64),
    /// Its stated cost is out of bounds (an altered header, or not a backup of ours).
    #[error("the backup asks for an Argon2 cost out of bounds (memory {m_kib} KiB, {t} passes, {p} lanes): altered")]
    Cost {
        /// Memory.
        m_kib: u32,
        /// Passes.
        t: u32,
        /// Lanes.
        p: u32,
    },
    /// The passphrase does not open it.
    #[error("wrong passphrase for this backup (or its header was altered)")]
    WrongPassphrase,
    /// The passphrase is right but the contents do not match their seal.
    #[error("the backup was altered: its contents do not match their seal")]
    Altered,
    /// Sealed correctly, yet the contents do not decode (written by a faulty build).
    #[error("the backup's contents do not decode: {0}")]
    Malformed(String),
    /// A new backup's passphrase is too short.
    #[error("the passphrase is {0} characters; use at least {MIN_PASSPHRASE}")]
    WeakPassphrase(usize),
}

/// A key rotation as backed up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochEntry {
    /// Its number.
    pub n: u32,
    /// When it started (HLC).
    pub since: u64,
    /// Its key, if this member was given it.
    pub key: Option<[u8; 32]>,
    /// Whom it removed.
    pub removed: Vec<AuthorKey>,
    /// Their records the owner kept.
    pub kept: Option<Vec<[u8; 16]>>,
}

/// A joined space as backed up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpaceEntry {
    /// Its kind's wire code.
    pub kind: u8,
    /// Its name.
    pub name: String,
    /// Its first key.
    pub key: [u8; 32],
    /// Its owner (a person).
    pub owner: AuthorKey,
    /// Its key rotations.
    pub epochs: Vec<EpochEntry>,
    /// Notifications muted.
    pub muted: bool,
    /// Read up to (HLC).
    pub read_ts: u64,
}

impl SpaceEntry {
    /// A space with this member's settings for it.
    pub fn of(space: &Space, muted: bool, read_ts: u64) -> Self {
        SpaceEntry {
            kind: space.kind.code(),
            name: space.name.clone(),
            key: space.key.0,
            owner: space.owner,
            epochs: space
                .epochs
                .iter()
                .map(|e| EpochEntry {
                    n: e.n,
                    since: e.since,
                    key: e.key.as_ref().map(|k| k.0),
                    removed: e.removed.clone(),
                    kept: e.kept.clone(),
                })
                .collect(),
            muted,
            read_ts,
        }
    }

    /// The space again (its id derived anew from its parts).
    pub fn space(&self) -> Result<Space, BackupError> {
        let kind = SpaceKind::from_code(self.kind)
            .ok_or_else(|| BackupError::Malformed(format!("space kind {} is unknown", self.kind)))?;
        crate::space::check_name(&self.name).map_err(BackupError::Malformed)?;
        let mut s = Space::from_parts(kind, self.name.clone(), SpaceKey(self.key), self.owner);
        for (i, e) in self.epochs.iter().enumerate() {
            if e.n as usize != i + 1 {
                return Err(BackupError::Malformed(format!(
                    "space {:?}: epoch {} where {} belongs",
                    self.name,
                    e.n,
                    i + 1
                )));
            }
            s.epochs.push(Epoch {
                n: e.n,
                since: e.since,
                key: e.key.map(SpaceKey),
                removed: e.removed.clone(),
                kept: e.kept.clone(),
            });
        }
        Ok(s)
    }
}

/// What a backup holds.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contents {
    /// When it was made (ms).
    pub made_ms: u64,
    /// The device that made it.
    pub device: AuthorKey,
    /// The account secret.
    pub account_secret: [u8; 32],
    /// Every joined space.
    pub spaces: Vec<SpaceEntry>,
    /// Settings (name, value): the profile and the like, not what belongs to one device.
    pub settings: Vec<(String, String)>,
    /// The node's configuration file, if it had one.
    pub config: Option<String>,
    /// Records' signed encodings (empty unless asked for).
    pub records: Vec<Vec<u8>>,
}

impl std::fmt::Debug for Contents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contents")
            .field("made_ms", &self.made_ms)
            .field("device", &self.device)
            .field("spaces", &self.spaces.len())
            .field("settings", &self.settings.len())
            .field("records", &self.records.len())
            .finish_non_exhaustive()
    }
}

/// A parsed backup file, not yet opened.
pub struct Sealed<'a> {
    header: &'a [u8],
    cost: Cost,
    salt: [u8; 16],
    check: [u8; 16],
    nonce: [u8; 24],
    body: &'a [u8],
}

/// The keys a passphrase stretches to.
pub struct Keys {
    enc: [u8; 32],
    check: [u8; 16],
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

impl<'a> Sealed<'a> {
    /// Reads the header, refusing what is not a whole backup of this version.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, BackupError> {
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            return Err(BackupError::NotABackup);
        }
        if bytes.len() == MAGIC.len() {
            return Err(BackupError::Truncated {
                have: bytes.len() as u64,
                need: HEADER_LEN as u64,
            });
        }
        if bytes[14] != BACKUP_VERSION {
            return Err(BackupError::UnsupportedVersion(bytes[14]));
        }
        if bytes.len() < HEADER_LEN {
            return Err(BackupError::Truncated {
                have: bytes.len() as u64,
                need: HEADER_LEN as u64,
            });
        }
        let cost = Cost {
            m_kib: u32_at(bytes, 15),
            t: u32_at(bytes, 19),
            p: u32_at(bytes, 23),
        };
        if !(8..=MAX_M_KIB).contains(&cost.m_kib)
            || !(1..=MAX_T).contains(&cost.t)
            || !(1..=MAX_P).contains(&cost.p)
            || cost.m_kib < 8 * cost.p
        {
            return Err(BackupError::Cost {
                m_kib: cost.m_kib,
                t: cost.t,
                p: cost.p,
            });
        }
        let len = u64::from_le_bytes(bytes[HEADER_LEN - 8..HEADER_LEN].try_into().expect("8 bytes"));
        let have = (bytes.len() - HEADER_LEN) as u64;
        if have < len {
            return Err(BackupError::Truncated {
                have: bytes.len() as u64,
                need: (HEADER_LEN as u64).saturating_add(len),
            });
        }
        if have > len {
            return Err(BackupError::Trailing(have - len));
        }
        Ok(Sealed {
            header: &bytes[..HEADER_LEN],
            cost,
            salt: bytes[27..43].try_into().expect("16 bytes"),
            check: bytes[43..59].try_into().expect("16 bytes"),
            nonce: bytes[59..83].try_into().expect("24 bytes"),
            body: &bytes[HEADER_LEN..],
        })
    }

    /// Its Argon2 cost.
    pub fn cost(&self) -> Cost {
        self.cost
    }

    /// Stretches a passphrase with this backup's salt and cost (the slow step).
    pub fn keys(&self, passphrase: &str) -> Keys {
        stretch(passphrase, &self.salt, self.cost)
    }

    /// Opens it with the keys of a passphrase.
    pub fn open(&self, keys: &Keys) -> Result<Contents, BackupError> {
        if keys.check != self.check {
            return Err(BackupError::WrongPassphrase);
        }
        let plain = XChaCha20Poly1305::new((&keys.enc).into())
            .decrypt(
                XNonce::from_slice(&self.nonce),
                Payload {
                    msg: self.body,
                    aad: self.header,
                },
            )
            .map_err(|_| BackupError::Altered)?;
        match postcard::take_from_bytes::<Contents>(&plain) {
            Ok((c, [])) => Ok(c),
            Ok((_, rest)) => Err(BackupError::Malformed(format!(
                "{} bytes after the contents",
                rest.len()
            ))),
            Err(e) => Err(BackupError::Malformed(e.to_string())),
        }
    }
}

fn stretch(passphrase: &str, salt: &[u8; 16], cost: Cost) -> Keys {
    let params =
        argon2::Params::new(cost.m_kib, cost.t, cost.p, Some(32)).expect("cost checked against the bounds");
    let mut master = [0u8; 32];
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, &mut master)
        .expect("a 16-byte salt and a 32-byte output are within Argon2's limits");
    let check = blake3::derive_key("confab 2026 backup check v1", &master);
    Keys {
        enc: blake3::derive_key("confab 2026 backup key v1", &master),
        check: check[..16].try_into().expect("16 of 32 bytes"),
    }
}

/// Seals contents under a passphrase.
pub fn seal(contents: &Contents, passphrase: &str, cost: Cost) -> Result<Vec<u8>, BackupError> {
    let chars = passphrase.chars().count();
    if chars < MIN_PASSPHRASE {
        return Err(BackupError::WeakPassphrase(chars));
    }
    let salt: [u8; 16] = rand::random();
    let nonce: [u8; 24] = rand::random();
    let keys = stretch(passphrase, &salt, cost);
    let plain = postcard::to_stdvec(contents).expect("backup contents encode");
    let mut out = Vec::with_capacity(HEADER_LEN + plain.len() + 16);
    out.extend_from_slice(MAGIC);
    out.push(BACKUP_VERSION);
    for v in [cost.m_kib, cost.t, cost.p] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&salt);
    out.extend_from_slice(&keys.check);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&((plain.len() + 16) as u64).to_le_bytes());
    let sealed = XChaCha20Poly1305::new((&keys.enc).into())
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &plain,
                aad: &out,
            },
        )
        .expect("encryption of a bounded plaintext cannot fail");
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Opens a backup with its passphrase.
pub fn open(bytes: &[u8], passphrase: &str) -> Result<Contents, BackupError> {
    let s = Sealed::parse(bytes)?;
    let keys = s.keys(passphrase);
    s.open(&keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cheap enough to run many times in a test; real backups use [`Cost::DEFAULT`].
    const CHEAP: Cost = Cost {
        m_kib: 64,
        t: 1,
        p: 1,
    };

    fn sample() -> Contents {
        let owner = AuthorKey([3; 32]);
        let mut s = Space::create(SpaceKind::News, "letters", owner).unwrap();
        s.epochs.push(Epoch {
            n: 1,
            since: 77,
            key: Some(SpaceKey([5; 32])),
            removed: vec![AuthorKey([9; 32])],
            kept: Some(vec![[1; 16]]),
        });
        Contents {
            made_ms: 1_000,
            device: owner,
            account_secret: [7; 32],
            spaces: vec![SpaceEntry::of(&s, true, 42)],
            settings: vec![("profile".into(), "{}".into())],
            config: Some("mdns = false\n".into()),
            records: vec![vec![1, 2, 3]],
        }
    }

    #[test]
    fn sealed_and_opened_with_every_space_whole() {
        let c = sample();
        let b = seal(&c, "correct horse", CHEAP).unwrap();
        assert_eq!(&b[..14], MAGIC);
        let back = open(&b, "correct horse").unwrap();
        assert_eq!(back, c);
        let s = back.spaces[0].space().unwrap();
        assert_eq!(s.kind, SpaceKind::News);
        assert_eq!(s.epochs[0].key, Some(SpaceKey([5; 32])));
        assert_eq!(s.id, Space::derive_id(SpaceKind::News, &s.key, &s.owner));
        // Nothing of the secret shows in the file.
        assert!(!b.windows(32).any(|w| w == [7; 32]));
        assert_eq!(seal(&c, "short", CHEAP), Err(BackupError::WeakPassphrase(5)));
    }

    #[test]
    fn wrong_passphrase_truncation_and_every_flipped_byte_are_refused_by_name() {
        let b = seal(&sample(), "correct horse", CHEAP).unwrap();
        assert_eq!(
            open(&b, "correct horsf").unwrap_err(),
            BackupError::WrongPassphrase
        );
        for cut in [0, 10, 14, 15, 50, HEADER_LEN, b.len() - 1] {
            let e = open(&b[..cut], "correct horse").unwrap_err();
            assert!(
                matches!(e, BackupError::Truncated { .. } | BackupError::NotABackup),
                "cut at {cut}: {e}"
            );
        }
        let mut long = b.clone();
        long.push(0);
        assert_eq!(
            open(&long, "correct horse").unwrap_err(),
            BackupError::Trailing(1)
        );
        for i in 0..b.len() {
            let mut x = b.clone();
            x[i] ^= 0x01;
            let e = open(&x, "correct horse").unwrap_err();
            let named = match i {
                0..14 => e == BackupError::NotABackup,
                14 => e == BackupError::UnsupportedVersion(0),
                15..27 => matches!(e, BackupError::Cost { .. } | BackupError::WrongPassphrase),
                27..59 => e == BackupError::WrongPassphrase,
                59..83 => e == BackupError::Altered,
                83..91 => matches!(e, BackupError::Truncated { .. } | BackupError::Trailing(_)),
                _ => e == BackupError::Altered,
            };
            assert!(named, "byte {i}: {e}");
        }
    }

    #[test]
    fn a_header_asking_too_much_is_refused_before_any_work() {
        let mut b = seal(&sample(), "correct horse", CHEAP).unwrap();
        b[15..19].copy_from_slice(&(MAX_M_KIB + 1).to_le_bytes());
        assert!(matches!(Sealed::parse(&b), Err(BackupError::Cost { .. })));
        // A length near 2^64 is a truncated file, not an overflow (found by the fuzzer).
        let mut b = seal(&sample(), "correct horse", CHEAP).unwrap();
        b[HEADER_LEN - 8..HEADER_LEN].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(
            Sealed::parse(&b),
            Err(BackupError::Truncated { need: u64::MAX, .. })
        ));
    }
}
