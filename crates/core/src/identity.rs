//! The node's long-term Ed25519 identity: one key signs records and authenticates the libp2p
//! node, so a record's author is the peer id a user sees.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;

use crate::ids::AuthorKey;

/// File name of the identity key inside a data dir.
pub const IDENTITY_FILE: &str = "identity.key";

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
}

/// A node identity: the libp2p keypair and the same key for signing records.
#[derive(Clone)]
pub struct Identity {
    keypair: libp2p_identity::Keypair,
    signing: SigningKey,
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
        Ok(Self {
            keypair,
            signing: SigningKey::from_bytes(&secret),
        })
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
                Self::from_keypair(kp).map_err(|reason| IdentityError::Invalid {
                    path: path.clone(),
                    reason,
                })
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
    fn garbage_identity_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(IDENTITY_FILE), b"not a key").unwrap();
        let err = Identity::load_or_create(dir.path()).unwrap_err();
        assert!(err.to_string().contains("not a valid Ed25519 key"), "{err}");
    }
}
