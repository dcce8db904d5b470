//! Files as the views show them: those a record carries, a space's blobs, a file saved.

use serde::{Deserialize, Serialize};

/// A file a message or issue carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileView {
    /// The blob's id (64 hex digits).
    pub blob: String,
    /// Its name.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its media type.
    pub mime: String,
    /// Complete and verified here.
    pub held: bool,
    /// For pictures with a preview: the full picture's width and height.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dims: Option<(u32, u32)>,
}

impl FileView {
    /// Describes a file reference (`held` is filled in by whoever can look at the blobs).
    pub fn of(f: &confab_core::FileRef) -> Self {
        FileView {
            blob: data_encoding::HEXLOWER.encode(&f.blob),
            name: f.name.clone(),
            size: f.size,
            mime: f.mime.clone(),
            held: false,
            dims: f.thumb.as_ref().map(|t| (t.width, t.height)),
        }
    }
}

/// A blob of a space (`confab blob list`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobView {
    /// Its id (64 hex digits).
    pub blob: String,
    /// The name of the (first) file stored in it.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its media type.
    pub mime: String,
    /// Complete and verified here.
    pub held: bool,
    /// Peer ids known to hold it whole.
    pub holders: Vec<String>,
}

/// A file saved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedView {
    /// The blob.
    pub blob: String,
    /// The file's name as sent.
    pub name: String,
    /// Bytes written.
    pub size: u64,
    /// Where.
    pub path: String,
}
