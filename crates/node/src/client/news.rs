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
    /// Files to attach to the new body (pictures it links by their names); the issue's own
    /// pictures the new body still links are kept.
    pub files: Vec<std::path::PathBuf>,
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
            files: c.files.iter().map(|p| absolute(p)).collect::<Result<_, _>>()?,
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

/// An issue to publish now, save as a draft, or schedule.
#[derive(Clone, Debug, Default)]
pub struct NewIssue {
    /// Title.
    pub title: String,
    /// Body (Markdown).
    pub body: String,
    /// A Markdown file for the body instead (pictures beside it are attached).
    pub markdown: Option<std::path::PathBuf>,
    /// Save as a draft, kept on this person's devices only.
    pub draft: bool,
    /// Publish at this time (ms since the epoch); a running device of the owner does.
    pub at: Option<u64>,
    /// Files to attach (pictures the body links by their names, and attachments).
    pub files: Vec<std::path::PathBuf>,
}

impl Client {
    /// Publishes an issue now, saves it as a draft, or schedules it; the issue's id, or the
    /// draft's for a draft or a scheduled issue.
    pub async fn news_compose(&self, space: &str, issue: NewIssue) -> Result<WrittenView, NodeError> {
        let (body, base) = match &issue.markdown {
            Some(file) => {
                let body = std::fs::read_to_string(file).map_err(|e| NodeError::io(file, e))?;
                let dir = file
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                (body, Some(absolute(dir)?))
            }
            None => (issue.body, None),
        };
        self.call(NewsPublish {
            space: space.into(),
            title: issue.title,
            body,
            base,
            files: issue
                .files
                .iter()
                .map(|p| absolute(p))
                .collect::<Result<_, _>>()?,
            draft: issue.draft,
            at: issue.at,
        })
        .await
    }

    /// The drafts and scheduled issues of a newsletter (this person's, from any of their
    /// devices), previewed as readers will see them.
    pub async fn news_drafts(&self, space: &str) -> Result<Vec<DraftView>, NodeError> {
        self.call(NewsDrafts { space: space.into() }).await
    }

    /// Publishes a draft now; the issue's id.
    pub async fn news_publish_draft(&self, space: &str, draft: &str) -> Result<WrittenView, NodeError> {
        self.call(NewsPublishDraft {
            space: space.into(),
            draft: draft.into(),
        })
        .await
    }

    /// Throws a draft away, or cancels a scheduled issue.
    pub async fn news_discard(&self, space: &str, draft: &str) -> Result<(), NodeError> {
        self.call(NewsDiscard {
            space: space.into(),
            draft: draft.into(),
        })
        .await
    }
}

impl Client {
    /// A newsletter's settings; with `replies` (`off`, `owner`, `all`), sets who may reply
    /// (owner only).
    pub async fn news_settings(
        &self,
        space: &str,
        replies: Option<&str>,
    ) -> Result<NewsSettingsView, NodeError> {
        self.call(NewsSettings {
            space: space.into(),
            replies: replies.map(str::to_string),
        })
        .await
    }

    /// Replies to an issue, as the newsletter's settings allow (for the owner only: sealed
    /// to the owner).
    pub async fn news_reply(&self, space: &str, issue: &str, text: &str) -> Result<WrittenView, NodeError> {
        self.call(NewsReply {
            space: space.into(),
            issue: issue.into(),
            text: text.into(),
        })
        .await
    }

    /// The replies to an issue, oldest first.
    pub async fn news_replies(&self, space: &str, issue: &str) -> Result<Vec<ReplyView>, NodeError> {
        self.call(NewsReplies {
            space: space.into(),
            issue: issue.into(),
        })
        .await
    }

    /// Removes a reply (its author or the owner).
    pub async fn news_remove_reply(
        &self,
        space: &str,
        issue: &str,
        reply: &str,
    ) -> Result<WrittenView, NodeError> {
        self.call(NewsRemoveReply {
            space: space.into(),
            issue: issue.into(),
            reply: reply.into(),
        })
        .await
    }
}
