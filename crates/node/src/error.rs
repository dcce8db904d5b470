//! Why a node action failed: one variant per kind of failure, each with a stable code that the
//! app's UI and the local socket report (`NodeError::code`) and a message for people.

use std::path::PathBuf;

use confab_core::body::BodyError;
use confab_core::{IdentityError, RecordError, TicketError};
use confab_store::StoreError;

/// Why a node action failed.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The caller's input is malformed: an unknown space kind, an empty message, a peer id
    /// that is not one, a colour that is not `#rrggbb`…
    #[error("{0}")]
    Invalid(String),
    /// A body breaks a limit of its kind (text too long, too many points…).
    #[error(transparent)]
    Body(#[from] BodyError),
    /// A setting (the settings file, an environment variable, a flag) is malformed.
    #[error("{what}: {why}")]
    Setting {
        /// Which setting.
        what: String,
        /// What is wrong with it.
        why: String,
    },
    /// The ticket is bad.
    #[error(transparent)]
    Ticket(#[from] TicketError),
    /// A record could not be made.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// The space's rules refuse the record or the action (only the owner may…).
    #[error("{0}")]
    Refused(String),
    /// This member was removed from the space: it holds no key written after the removal.
    #[error("you were removed from {space:?}: its owner rotated the key and did not give it to you")]
    Removed {
        /// The space's name.
        space: String,
    },
    /// No such space, member or record.
    #[error("{0}")]
    NotFound(String),
    /// Another process (a `confab` command working without a node) holds the data dir.
    #[error("the data dir {} is in use by another confab process; try again when it is done", dir.display())]
    Locked {
        /// The data dir.
        dir: PathBuf,
    },
    /// A node already runs on the data dir.
    #[error("a node is already running on {}; stop it first or use another --data dir", dir.display())]
    Running {
        /// The data dir.
        dir: PathBuf,
    },
    /// The action needs the network, and no node runs on this data dir.
    #[error("{0} needs a running node (start one with `confab run` or the app)")]
    Offline(&'static str),
    /// The network failed.
    #[error("network: {0}")]
    Network(String),
    /// The database failed.
    #[error(transparent)]
    Store(StoreError),
    /// The identity could not be loaded.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file could not be shared, fetched or saved.
    #[error(transparent)]
    Blob(#[from] confab_blobs::BlobError),
    /// No default data dir on this platform.
    #[error(
        "no home directory to keep data in; pass --data DIR or set {}",
        crate::DATA_DIR_ENV
    )]
    NoDataDir,
    /// The other side of the local socket broke its protocol.
    #[error("local socket: {0}")]
    Protocol(String),
    /// An archive (an exported space) that does not verify: every problem found.
    #[error("{what} is refused:{}", list(problems))]
    Archive {
        /// Which archive.
        what: String,
        /// What is wrong, each named.
        problems: Vec<confab_core::archive::ArchiveError>,
    },
    /// An error the running node reported over the local socket.
    #[error("{message}")]
    Remote {
        /// Its code.
        code: String,
        /// Its message.
        message: String,
    },
}

impl NodeError {
    /// The stable code for this kind of failure: `invalid`, `refused`, `removed`,
    /// `not_found`, `locked`, `offline`, `network`, `io`, `protocol` or `node`.
    pub fn code(&self) -> &str {
        match self {
            NodeError::Invalid(_)
            | NodeError::Body(_)
            | NodeError::Setting { .. }
            | NodeError::Ticket(_)
            | NodeError::Record(_) => "invalid",
            NodeError::Refused(_) | NodeError::Archive { .. } => "refused",
            NodeError::Removed { .. } => "removed",
            NodeError::NotFound(_) => "not_found",
            NodeError::Locked { .. } | NodeError::Running { .. } => "locked",
            NodeError::Offline(_) => "offline",
            NodeError::Network(_) => "network",
            NodeError::Identity(_) | NodeError::Io { .. } | NodeError::NoDataDir => "io",
            NodeError::Protocol(_) => "protocol",
            NodeError::Blob(confab_blobs::BlobError::Io { .. }) => "io",
            NodeError::Blob(confab_blobs::BlobError::NotHeld(_)) => "not_found",
            NodeError::Blob(_) => "invalid",
            NodeError::Store(_) => "node",
            NodeError::Remote { code, .. } => code,
        }
    }

    /// A setting that is wrong.
    pub(crate) fn setting(what: impl Into<String>, why: impl ToString) -> Self {
        NodeError::Setting {
            what: what.into(),
            why: why.to_string(),
        }
    }

    /// A file-system error on `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        NodeError::Io {
            path: path.into(),
            source,
        }
    }
}

fn list(problems: &[confab_core::archive::ArchiveError]) -> String {
    problems.iter().map(|p| format!("\n  - {p}")).collect()
}

impl From<StoreError> for NodeError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::UnknownSpace(_) => NodeError::NotFound(e.to_string()),
            StoreError::AmbiguousSpace { .. } => NodeError::Invalid(e.to_string()),
            StoreError::Refused(r) => NodeError::Refused(r.to_string()),
            StoreError::Io { path, source } => NodeError::Io { path, source },
            other => NodeError::Store(other),
        }
    }
}
