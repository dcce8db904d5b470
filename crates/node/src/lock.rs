//! The data dir's lock: the one process that holds it is the only writer of the data dir (a
//! running node, or a `confab` command working directly when no node runs).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

use crate::NodeError;

/// File in the data dir that the writer holds locked.
pub const LOCK_FILE: &str = "node.lock";

/// A held lock on a data dir; dropping it releases the lock.
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    /// Takes the lock if it is free; `None` if another process holds it.
    pub fn try_acquire(dir: &Path) -> Result<Option<DirLock>, NodeError> {
        let path = dir.join(LOCK_FILE);
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| NodeError::io(&path, e))?;
        match f.try_lock() {
            Ok(()) => Ok(Some(DirLock { _file: f })),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(e)) => Err(NodeError::io(&path, e)),
        }
    }
}
