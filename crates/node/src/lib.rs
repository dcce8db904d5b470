//! Confab's node: one data dir's identity, store and sync engine on the libp2p network, and
//! the one API — [`Client`] — through which the app and the `confab` command drive it.
//!
//! - [`Client::start`] runs a node in this process: an actor (`actor`) owns its state and
//!   selects over network events, commands, the store's change feed and a timer; its policies
//!   are sans-IO state machines ([`policy`]). It serves the data dir's local socket (`ipc`).
//! - [`Client::open`] is for one command: it talks to the node running on the data dir over
//!   that socket, or opens the data dir itself when none runs.
//! - Every answer is one of the serde types of [`view`]: the CLI's `--json`, the socket's
//!   replies and the app's commands and events share them.
#![deny(missing_docs)]

mod actor;
pub mod backup;
mod client;
pub mod config;
mod devices;
mod drafts;
mod engine;
mod error;
mod events;
mod export;
mod ipc;
mod linking;
mod lock;
mod markdown;
mod media;
mod ops;
mod personal;
pub mod policy;
pub mod view;

#[cfg(test)]
mod tests;

pub use client::{Client, Correction, NewIssue};
pub use confab_store::Inserted;
pub use confab_sync::{Phase, Progress, SyncStats};
pub use config::{FileLimits, FloodLimits, NodeConfig, SavedSettings, SETTINGS_FILE};
pub use error::NodeError;
pub use events::NodeEvent;
pub use export::{verify_archive, verify_feed_file};
pub use ipc::{socket_path, ReplyError, MAX_FRAME, PROTOCOL_VERSION, SOCKET_FILE};
pub use linking::link;
pub use lock::LOCK_FILE;
pub use ops::{PageAt, Picture, DEFAULT_PICTURE_SIDE, MAX_BOARD_PICTURE, PICTURE_TYPES};
pub use policy::lifecycle::Lifecycle;
pub use policy::live::LIVE_PER_SECOND;

use std::path::PathBuf;

/// Environment variable naming the data dir.
pub const DATA_DIR_ENV: &str = "CONFAB_DATA_DIR";

/// The platform's default data dir (`~/.local/share/confab` on Linux).
pub fn default_data_dir() -> Result<PathBuf, NodeError> {
    directories::ProjectDirs::from("org", "Confab", "confab")
        .map(|d| d.data_dir().to_path_buf())
        .ok_or(NodeError::NoDataDir)
}

/// The data dir named by `CONFAB_DATA_DIR`, or the platform's default.
pub fn data_dir_from_env() -> Result<PathBuf, NodeError> {
    match std::env::var_os(DATA_DIR_ENV) {
        Some(d) => Ok(PathBuf::from(d)),
        None => default_data_dir(),
    }
}

/// The log filter used when `RUST_LOG` is not set.
pub const DEFAULT_LOG_FILTER: &str = "info,libp2p_gossipsub=warn,libp2p_mdns=warn,libp2p_swarm=warn";

/// Logs to stderr (coloured on a terminal), filtered by `RUST_LOG` or [`DEFAULT_LOG_FILTER`]:
/// the same for the `confab` binary and the app.
pub fn init_logging() {
    use tracing_subscriber::EnvFilter;
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
}
