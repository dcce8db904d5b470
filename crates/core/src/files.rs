//! Files as records carry them: which blob holds one, the key that opens it, its name, type,
//! size and preview, and the limits a peer enforces on them.

use serde::{Deserialize, Serialize};

use crate::body::{invalid, BodyError};

/// Most files one record may carry.
pub const MAX_FILES: usize = 10;
/// Longest file name, in bytes.
pub const MAX_FILE_NAME: usize = 255;
/// Largest file the protocol describes (the node's own cap is a setting, lower).
pub const MAX_FILE_SIZE: u64 = 1 << 40;
/// Largest thumbnail, in bytes.
pub const MAX_THUMB_BYTES: usize = 48 * 1024;
/// Most bytes of thumbnails in one record.
pub const MAX_THUMBS_BYTES: usize = 160 * 1024;

/// A file a record carries: the blob that holds it (encrypted), the key that opens it, and
/// what to show before it is fetched.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileRef {
    /// The BLAKE3 hash of the encrypted bytes.
    pub blob: [u8; 32],
    /// The blob's own key.
    pub key: [u8; 32],
    /// Its size in bytes.
    pub size: u64,
    /// Its name as the sender gave it (a name only: no directories).
    pub name: String,
    /// Its media type (`image/png`, `application/pdf`, …).
    pub mime: String,
    /// A small preview, made by the sender, for images.
    pub thumb: Option<Thumb>,
}

/// A preview image (JPEG or PNG) and the size of the picture it stands for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Thumb {
    /// The full picture's width in pixels.
    pub width: u32,
    /// The full picture's height in pixels.
    pub height: u32,
    /// The preview's encoded bytes.
    pub bytes: Vec<u8>,
}

/// Checks a file's name: a name only (no directory, not `.` or `..`), no control
/// characters, at most [`MAX_FILE_NAME`] bytes.
pub fn check_file_name(name: &str) -> Result<(), BodyError> {
    if name.is_empty() || name == "." || name == ".." {
        return Err(invalid(format!("{name:?} is not a file name")));
    }
    if name.len() > MAX_FILE_NAME {
        return Err(invalid(format!(
            "a file name is at most {MAX_FILE_NAME} bytes; this one has {}",
            name.len()
        )));
    }
    if name.contains(['/', '\\']) {
        return Err(invalid(format!(
            "the file name {name:?} holds a path separator; a name only is allowed"
        )));
    }
    if name.chars().any(|c| c.is_control()) {
        return Err(invalid(format!(
            "the file name {name:?} holds a control character"
        )));
    }
    Ok(())
}

/// Checks the files one record carries: how many, their names, types, sizes and previews.
pub(crate) fn check_files(files: &[FileRef]) -> Result<(), BodyError> {
    if files.len() > MAX_FILES {
        return Err(invalid(format!(
            "{} files in one record; at most {MAX_FILES}",
            files.len()
        )));
    }
    let mut thumbs = 0;
    for f in files {
        check_file_name(&f.name)?;
        let ok_mime = f.mime.len() <= 127
            && f.mime.split_once('/').is_some_and(|(a, b)| {
                !a.is_empty()
                    && !b.is_empty()
                    && f.mime
                        .bytes()
                        .all(|c| c.is_ascii_alphanumeric() || b"/.+-_".contains(&c))
            });
        if !ok_mime {
            return Err(invalid(format!("{:?} is not a media type", f.mime)));
        }
        if f.size > MAX_FILE_SIZE {
            return Err(invalid(format!(
                "file {:?} is {} bytes; the protocol's limit is {MAX_FILE_SIZE}",
                f.name, f.size
            )));
        }
        if let Some(t) = &f.thumb {
            if t.bytes.len() > MAX_THUMB_BYTES {
                return Err(invalid(format!(
                    "the preview of {:?} is {} bytes; at most {MAX_THUMB_BYTES}",
                    f.name,
                    t.bytes.len()
                )));
            }
            thumbs += t.bytes.len();
        }
    }
    if thumbs > MAX_THUMBS_BYTES {
        return Err(invalid(format!(
            "previews of {thumbs} bytes in one record; at most {MAX_THUMBS_BYTES}"
        )));
    }
    Ok(())
}
