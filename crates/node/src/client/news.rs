//! The client's newsletter corrections, versions and feed.

use std::path::Path;

use super::files::absolute;
use super::Client;
use crate::ops::*;
use crate::view::*;
use crate::NodeError;

/// What a correction changes: the title, the body (Markdown text, or a Markdown file whose
/// pictures beside it are attached), or both.
#[derive(Clone, Debug, Default)]
pub struct Correction {
    /// A new title.
    pub title: Option<String>,
    /// A new body.
    pub body: Option<String>,
    /// A new body from this Markdown file (wins over `body`).
    pub markdown: Option<std::path::PathBuf>,
}

impl Client {
    /// Corrects a published issue (owner only): a new version that subscribers see with
    /// "updated", earlier versions kept.
    pub async fn news_edit(&self, space: &str, issue: &str, c: Correction) -> Result<WrittenView, NodeError> {
        let (body, base) = match (&c.markdown, c.body) {
            (Some(file), _) => {
                let body = std::fs::read_to_string(file).map_err(|e| NodeError::io(file, e))?;
                let dir = file
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                (Some(body), Some(absolute(dir)?))
            }
            (None, body) => (body, None),
        };
        self.call(NewsEdit {
            space: space.into(),
            issue: issue.into(),
            title: c.title,
            body,
            base,
            files: Vec::new(),
        })
        .await
    }

    /// Every version of an issue, oldest first: as published, then each correction.
    pub async fn news_versions(&self, space: &str, issue: &str) -> Result<Vec<IssueView>, NodeError> {
        self.call(NewsVersions {
            space: space.into(),
            issue: issue.into(),
        })
        .await
    }

    /// Writes the newsletter's Atom feed to a new file; any member can, the owner offline.
    pub async fn news_feed(&self, space: &str, out: &Path) -> Result<FeedView, NodeError> {
        self.call(NewsFeed {
            space: space.into(),
            out: absolute(out)?,
        })
        .await
    }
}
