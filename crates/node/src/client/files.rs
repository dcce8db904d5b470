//! The client's files: attaching them to messages and issues, listing and saving them, and
//! the pictures the app shows.

use std::path::{Path, PathBuf};

use super::Client;
use crate::ops::*;
use crate::view::*;
use crate::NodeError;

impl Client {
    /// Sends a message with files attached (paths on this machine; relative ones are taken
    /// from this process's directory).
    pub async fn chat_write_files(
        &self,
        space: &str,
        text: &str,
        reply_to: Option<&str>,
        mentions: Vec<String>,
        files: Vec<std::path::PathBuf>,
    ) -> Result<WrittenView, NodeError> {
        self.call(ChatWrite {
            space: space.into(),
            text: text.into(),
            reply_to: reply_to.map(str::to_string),
            mentions,
            files: files.iter().map(|p| absolute(p)).collect::<Result<_, _>>()?,
        })
        .await
    }

    /// A picture to show (`thumb`: the sender's preview), or `None` if there is none yet.
    pub async fn file_picture(&self, blob: &str, thumb: bool) -> Result<Option<Picture>, NodeError> {
        self.call(FilePicture {
            blob: blob.into(),
            thumb,
        })
        .await
    }

    /// The files of a space, each blob once.
    pub async fn blob_list(&self, space: &str) -> Result<Vec<BlobView>, NodeError> {
        self.call(BlobList { space: space.into() }).await
    }

    /// Saves a file (by blob id or unique prefix) at `out`, or in `out` under its name if
    /// `out` is a directory; a running node fetches it first if needed.
    pub async fn blob_get(
        &self,
        blob: &str,
        out: &std::path::Path,
        timeout_secs: Option<u64>,
    ) -> Result<SavedView, NodeError> {
        self.call(BlobGet {
            blob: blob.into(),
            out: absolute(out)?,
            timeout_secs,
        })
        .await
    }

    /// Publishes an issue in Markdown with files attached (paths on this machine); a picture
    /// the Markdown links by a file's name (`![](cat.png)`) shows that file.
    pub async fn news_publish_files(
        &self,
        space: &str,
        title: &str,
        body: &str,
        files: Vec<PathBuf>,
    ) -> Result<WrittenView, NodeError> {
        self.call(NewsPublish {
            space: space.into(),
            title: title.into(),
            body: body.into(),
            base: None,
            files: files.iter().map(|p| absolute(p)).collect::<Result<_, _>>()?,
            draft: false,
            at: None,
        })
        .await
    }

    /// Publishes an issue written in a Markdown file; the pictures it links by relative path
    /// are attached and their links rewritten to their blobs.
    pub async fn news_publish_markdown(
        &self,
        space: &str,
        title: &str,
        file: &Path,
    ) -> Result<WrittenView, NodeError> {
        let body = std::fs::read_to_string(file).map_err(|e| NodeError::io(file, e))?;
        let base = absolute(
            file.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new(".")),
        )?;
        self.call(NewsPublish {
            space: space.into(),
            title: title.into(),
            body,
            base: Some(base),
            files: Vec::new(),
            draft: false,
            at: None,
        })
        .await
    }
}

/// A path as an absolute one (the running node may have another working directory).
pub(super) fn absolute(p: &std::path::Path) -> Result<String, NodeError> {
    let abs = std::path::absolute(p).map_err(|e| NodeError::io(p, e))?;
    abs.to_str()
        .map(str::to_string)
        .ok_or_else(|| NodeError::Invalid(format!("{} is not valid UTF-8", p.display())))
}
