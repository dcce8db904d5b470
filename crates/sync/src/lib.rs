//! Transport-free synchronisation of Confab stores.
//!
//! Two peers that share a space reconcile the (ts, id) sets of its records with range-based
//! set reconciliation (the `negentropy` protocol), then move what each lacks in bounded
//! batches, newest first, verified and inserted one transaction per batch.
//!
//! The engine speaks in byte frames through a [`Transport`]: the network crate carries them
//! over libp2p, tests carry them in-process with [`Loopback`].
#![deny(missing_docs)]

mod engine;
mod index;
pub mod ingest;
pub mod proto;
mod respond;

pub use confab_core::Phase;
pub use engine::{Loopback, Progress, SyncError, SyncStats, Syncer, Transport};
pub use index::{Snapshot, SyncIndex};
