//! The node's long-term identity. One Ed25519 key, the **device** key, signs records and
//! authenticates the libp2p node, so a record's author is the peer id a user sees. The person
//! is an **account** ([`crate::account`]): for an identity made on this device the device key is
//! the account's own key; a device restored from a backup or recovered from the phrase has a
//! fresh device key and its certificate from the account (`device.cert`), and the account
//! secret beside it (`account.key`); a linked device will hold the certificate only.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;

use crate::account::DeviceCert;
use crate::ids::AuthorKey;

/// File name of the identity (device) key inside a data dir.
pub const IDENTITY_FILE: &str = "identity.key";
/// File name of the device's certificate from its account, when the device is not the account.
pub const CERT_FILE: &str = "device.cert";
/// File name of the account secret, on a device other than the account's own key that holds
/// it (restored or recovered).
pub const ACCOUNT_FILE: &str = "account.key";

/// Why an identity could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The file could not be read or written.
    #[error("identity file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file holds something other than an Ed25519 libp2p key.
    #[error(
        "identity file {path} is not a valid Ed25519 key ({reason}); move it away to create a new identity"
    )]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A new identity was asked for where one exists.
    #[error("{0} already holds an identity; restore or recover into an empty data dir")]
    Exists(PathBuf),
}

/// Who signs a record: a device key, with its certificate from its account when the device is
/// not the account's own key.
#[derive(Clone, Copy, Debug)]
pub struct Signer<'a> {
    /// The device key.
    pub key: &'a SigningKey,
    /// Its certificate (`None`: the key is its account's own).
    pub cert: Option<&'a DeviceCert>,
}

impl Signer<'_> {
    /// The record version it writes.
    pub fn version(&self) -> u8 {
        match self.cert {
            Some(c) if !c.is_own() => crate::record::RECORD_VERSION_CERTIFIED,
            _ => crate::record::RECORD_VERSION,
        }
    }
}

impl<'a> From<&'a SigningKey> for Signer<'a> {
    fn from(key: &'a SigningKey) -> Self {
        Signer { key, cert: None }
    }
}

impl<'a> From<&'a Identity> for Signer<'a> {
    fn from(id: &'a Identity) -> Self {
        id.signer()
    }
}

/// A node identity: the libp2p keypair and the same key for signing records.
#[derive(Clone)]
pub struct Identity {
    keypair: libp2p_identity::Keypair,
    signing: SigningKey,
    /// The account's certificate of this device (`None`: the device is the account's own key).
    cert: Option<DeviceCert>,
    /// The account secret, when this device holds it.
    account_secret: Option<SigningKey>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Identity({})", self.peer_id())
    }
}

impl Identity {
    /// A fresh random identity.
    pub fn generate() -> Self {
        Self::from_keypair(libp2p_identity::Keypair::generate_ed25519())
            .expect("a generated ed25519 keypair is ed25519")
    }

    fn from_keypair(keypair: libp2p_identity::Keypair) -> Result<Self, String> {
        let ed = keypair
            .clone()
            .try_into_ed25519()
            .map_err(|_| "the key is not Ed25519".to_string())?;
        let secret: [u8; 32] = ed
            .secret()
            .as_ref()
            .try_into()
            .map_err(|_| "the secret is not 32 bytes".to_string())?;
        let signing = SigningKey::from_bytes(&secret);
        Ok(Self {
            keypair,
            account_secret: Some(signing.clone()),
            signing,
            cert: None,
        })
    }

    /// Reads the certificate and account secret beside the device key, if there are any.
    fn load_account(mut self, dir: &Path) -> Result<Self, IdentityError> {
        let invalid = |path: PathBuf, reason: String| IdentityError::Invalid { path, reason };
        let cert_path = dir.join(CERT_FILE);
        let acc_path = dir.join(ACCOUNT_FILE);
        let read = |path: &Path| match fs::read(path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(IdentityError::Io {
                path: path.to_path_buf(),
                source,
            }),
        };
        let Some(cert) = read(&cert_path)? else {
            if acc_path.exists() {
                return Err(invalid(
                    acc_path,
                    format!("an account secret without its device certificate {CERT_FILE}"),
                ));
            }
            return Ok(self);
        };
        let cert = DeviceCert::decode(&cert).map_err(|e| invalid(cert_path.clone(), e.to_string()))?;
        if cert.device != self.author() {
            return Err(invalid(
                cert_path,
                format!("it certifies {}, not this device", cert.device.peer_id()),
            ));
        }
        self.account_secret = match read(&acc_path)? {
            None => None,
            Some(b) => {
                restrict_permissions(&acc_path).map_err(|source| IdentityError::Io {
                    path: acc_path.clone(),
                    source,
                })?;
                let secret: [u8; 32] = b
                    .as_slice()
                    .try_into()
                    .map_err(|_| invalid(acc_path.clone(), format!("{} bytes, not 32", b.len())))?;
                let key = SigningKey::from_bytes(&secret);
                if key.verifying_key().to_bytes() != cert.account.0 {
                    return Err(invalid(
                        acc_path,
                        "it is not the secret of the account that certified this device".into(),
                    ));
                }
                Some(key)
            }
        };
        self.cert = Some(cert);
        Ok(self)
    }

    /// Makes a new device of an account in `dir`, which must hold no identity: a fresh device
    /// key certified by `account` at `now_ms`, stored with the certificate and the account
    /// secret. Restoring a backup and recovering from the phrase both come here, so an account
    /// never runs under the id of a device that may still exist.
    pub fn create_device(dir: &Path, account: &SigningKey, now_ms: u64) -> Result<Self, IdentityError> {
        let path = dir.join(IDENTITY_FILE);
        if path.exists() {
            return Err(IdentityError::Exists(dir.to_path_buf()));
        }
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| IdentityError::Io { path, source }
        };
        fs::create_dir_all(dir).map_err(io(dir))?;
        let mut id = Self::generate();
        let cert = DeviceCert::issue(account, id.author(), now_ms);
        // The device key last: its presence is what makes the data dir hold an identity.
        let acc_path = dir.join(ACCOUNT_FILE);
        write_private(&acc_path, &account.to_bytes()).map_err(io(&acc_path))?;
        let cert_path = dir.join(CERT_FILE);
        write_private(&cert_path, &cert.encode()).map_err(io(&cert_path))?;
        let bytes = id.keypair.to_protobuf_encoding().expect("ed25519 keys encode");
        let tmp = dir.join(format!("{IDENTITY_FILE}.tmp"));
        write_private(&tmp, &bytes).map_err(io(&tmp))?;
        fs::rename(&tmp, &path).map_err(io(&path))?;
        id.cert = Some(cert);
        id.account_secret = Some(account.clone());
        Ok(id)
    }

    /// Stores this (freshly generated) device key in `dir`, which must hold no identity, as a
    /// linked device of the account that issued `cert`: the certificate beside it, and no
    /// account secret.
    pub fn save_linked(mut self, dir: &Path, cert: DeviceCert) -> Result<Self, IdentityError> {
        let path = dir.join(IDENTITY_FILE);
        if path.exists() {
            return Err(IdentityError::Exists(dir.to_path_buf()));
        }
        if cert.device != self.author() || cert.verify().is_err() {
            return Err(IdentityError::Invalid {
                path: dir.join(CERT_FILE),
                reason: "the certificate is not the account's, for this device".into(),
            });
        }
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| IdentityError::Io { path, source }
        };
        fs::create_dir_all(dir).map_err(io(dir))?;
        let cert_path = dir.join(CERT_FILE);
        write_private(&cert_path, &cert.encode()).map_err(io(&cert_path))?;
        let bytes = self.keypair.to_protobuf_encoding().expect("ed25519 keys encode");
        let tmp = dir.join(format!("{IDENTITY_FILE}.tmp"));
        write_private(&tmp, &bytes).map_err(io(&tmp))?;
        fs::rename(&tmp, &path).map_err(io(&path))?;
        self.cert = Some(cert);
        self.account_secret = None;
        Ok(self)
    }

    /// The person: the account this device belongs to.
    pub fn account(&self) -> AuthorKey {
        self.cert.as_ref().map_or_else(|| self.author(), |c| c.account)
    }

    /// The account secret, if this device holds it (it does unless it was linked).
    pub fn account_secret(&self) -> Option<&SigningKey> {
        self.account_secret.as_ref()
    }

    /// The account's certificate of this device; `None` when the device is the account's key.
    pub fn cert(&self) -> Option<&DeviceCert> {
        self.cert.as_ref()
    }

    /// What signs this device's records.
    pub fn signer(&self) -> Signer<'_> {
        Signer {
            key: &self.signing,
            cert: self.cert.as_ref(),
        }
    }

    /// Loads the identity from `dir/identity.key`, creating it (mode 0600) if absent.
    pub fn load_or_create(dir: &Path) -> Result<Self, IdentityError> {
        let path = dir.join(IDENTITY_FILE);
        let io = |source| IdentityError::Io {
            path: path.clone(),
            source,
        };
        match fs::read(&path) {
            Ok(bytes) => {
                let kp = libp2p_identity::Keypair::from_protobuf_encoding(&bytes).map_err(|e| {
                    IdentityError::Invalid {
                        path: path.clone(),
                        reason: e.to_string(),
                    }
                })?;
                restrict_permissions(&path).map_err(io)?;
                Self::from_keypair(kp)
                    .map_err(|reason| IdentityError::Invalid {
                        path: path.clone(),
                        reason,
                    })?
                    .load_account(dir)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                fs::create_dir_all(dir).map_err(io)?;
                let id = Self::generate();
                let bytes = id.keypair.to_protobuf_encoding().expect("ed25519 keys encode");
                let tmp = dir.join(format!("{IDENTITY_FILE}.tmp"));
                write_private(&tmp, &bytes).map_err(io)?;
                fs::rename(&tmp, &path).map_err(io)?;
                Ok(id)
            }
            Err(e) => Err(io(e)),
        }
    }

    /// The libp2p keypair, for the network node.
    pub fn keypair(&self) -> &libp2p_identity::Keypair {
        &self.keypair
    }

    /// The record-signing key.
    pub fn signing_key(&self) -> &SigningKey {
        &self.signing
    }

    /// The public key that records name as their author.
    pub fn author(&self) -> AuthorKey {
        AuthorKey(self.signing.verifying_key().to_bytes())
    }

    /// The libp2p peer id as text.
    pub fn peer_id(&self) -> String {
        self.keypair.public().to_peer_id().to_string()
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(unix)]
fn restrict_permissions(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(path)?.permissions().mode();
    if mode & 0o077 != 0 {
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict_permissions(_: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_private_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let a = Identity::load_or_create(dir.path()).unwrap();
        let b = Identity::load_or_create(dir.path()).unwrap();
        assert_eq!(a.peer_id(), b.peer_id());
        assert_eq!(a.author().peer_id(), a.peer_id());
        assert_eq!(AuthorKey::from_peer_id(&a.peer_id()), Some(a.author()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join(IDENTITY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_new_device_of_an_account_is_certified_and_loads_again() {
        let dir = tempfile::tempdir().unwrap();
        let old = Identity::generate();
        let account = old.account_secret().unwrap().clone();
        assert_eq!(
            old.account(),
            old.author(),
            "made here: the device is the account"
        );
        let new = Identity::create_device(dir.path(), &account, 1_000).unwrap();
        assert_ne!(new.author(), old.author(), "a fresh device key");
        assert_eq!(new.account(), old.account());
        assert_eq!(new.signer().version(), 2);
        let again = Identity::load_or_create(dir.path()).unwrap();
        assert_eq!(again.author(), new.author());
        assert_eq!(again.account(), old.account());
        assert_eq!(again.cert(), new.cert());
        assert!(again.account_secret().is_some());
        // Never over an identity that exists.
        let e = Identity::create_device(dir.path(), &account, 2_000).unwrap_err();
        assert!(matches!(e, IdentityError::Exists(_)), "{e}");
        // Another account's secret beside the certificate is refused by name.
        fs::write(dir.path().join(ACCOUNT_FILE), [9u8; 32]).unwrap();
        let e = Identity::load_or_create(dir.path()).unwrap_err().to_string();
        assert!(e.contains(ACCOUNT_FILE) && e.contains("not the secret"), "{e}");
        // A certificate of another device.
        fs::remove_file(dir.path().join(ACCOUNT_FILE)).unwrap();
        let other = DeviceCert::issue(&account, old.author(), 5);
        fs::write(dir.path().join(CERT_FILE), other.encode()).unwrap();
        let e = Identity::load_or_create(dir.path()).unwrap_err().to_string();
        assert!(e.contains(CERT_FILE) && e.contains("not this device"), "{e}");
    }

    #[test]
    fn garbage_identity_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(IDENTITY_FILE), b"not a key").unwrap();
        let err = Identity::load_or_create(dir.path()).unwrap_err();
        assert!(err.to_string().contains("not a valid Ed25519 key"), "{err}");
    }
}
