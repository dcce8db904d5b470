//! What an export wrote, and what checking an archive found.

use serde::{Deserialize, Serialize};

pub use confab_core::archive::{AuthorCount, Report as ArchiveReport};

/// A newsletter's Atom feed written to a file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeedView {
    /// The space id.
    pub space: String,
    /// The file written.
    pub file: String,
    /// Issues in it.
    pub issues: usize,
    /// Corrections whose signed records it carries.
    pub corrections: usize,
    /// Its size in bytes.
    pub bytes: usize,
}

/// A space exported to a folder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportView {
    /// The space id.
    pub space: String,
    /// `chat`, `board` or `news`.
    pub kind: String,
    /// Its name.
    pub name: String,
    /// The folder written.
    pub dir: String,
    /// Records in it.
    pub records: usize,
    /// The files written (relative paths).
    pub files: Vec<String>,
}
