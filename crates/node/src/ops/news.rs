//! Newsletters: publishing an issue, correcting it (a new version, by the owner), its
//! versions, the list of issues, and the Atom feed anyone holding the newsletter can write.

use confab_core::{Body, NewsBody, RecordId, RecordKind, SpaceKind};
use serde::{Deserialize, Serialize};

use super::{page, write_one, Op, Service};
use crate::view::{FeedView, IssueView, WrittenView};
use crate::NodeError;

/// Publishes a newsletter issue (owner only).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewsPublish {
    pub space: String,
    pub title: String,
    /// Markdown.
    pub body: String,
    /// The directory pictures linked by relative path are found in (that of the Markdown
    /// file); without it, such links are an error.
    #[serde(default)]
    pub base: Option<String>,
    /// Further files to attach (paths on this machine).
    #[serde(default)]
    pub files: Vec<String>,
    /// Save it as a draft (on this person's devices only) instead of publishing it.
    #[serde(default)]
    pub draft: bool,
    /// Publish it at this time (ms since the epoch) instead of now: a running device of the
    /// owner publishes it then.
    #[serde(default)]
    pub at: Option<u64>,
}

impl Op for NewsPublish {
    const METHOD: &'static str = "news.publish";
    type Output = WrittenView;
    async fn run(self, svc: &Service) -> Result<WrittenView, NodeError> {
        let space = self.space.clone();
        let (draft, at) = (self.draft, self.at);
        if draft && at.is_some() {
            return Err(NodeError::Invalid(
                "an issue is saved as a draft or scheduled, not both".into(),
            ));
        }
        let body = self.prepare(svc).await?;
        let s = svc.space(&space).await?;
        let id = match at {
            _ if draft => svc.engine.save_draft(&s, &body, None).await?,
            Some(ms) if ms > confab_core::now_ms() => svc.engine.schedule(&s, body, ms, None).await?.0,
            _ => return write_one(svc, &space, Body::News(body), vec![]).await,
        };
        Ok(WrittenView { id: id.to_string() })
    }
}

/// The space, if it is a newsletter.
pub(super) async fn newsletter(svc: &Service, space: &str) -> Result<confab_core::Space, NodeError> {
    let s = svc.space(space).await?;
    if s.kind != SpaceKind::News {
        return Err(NodeError::Invalid(format!(
            "{:?} is a {} space, not a newsletter",
            s.name, s.kind
        )));
    }
    Ok(s)
}

/// The newsletter, if this person owns it: refused before any picture is stored.
pub(super) async fn own_newsletter(svc: &Service, space: &str) -> Result<confab_core::Space, NodeError> {
    let s = svc.space(space).await?;
    if s.kind != SpaceKind::News {
        return Err(NodeError::Invalid(format!(
            "a {} space does not take {:?} records",
            s.kind,
            RecordKind::NewsIssue
        )));
    }
    let me = svc.engine.me();
    if s.owner != me {
        return Err(NodeError::Refused(
            confab_core::AuthError::NotOwner {
                space_name: s.name.clone(),
                owner: s.owner.peer_id(),
                author: me.peer_id(),
            }
            .to_string(),
        ));
    }
    Ok(s)
}

impl NewsPublish {
    /// The issue's body: its pictures attached and their links rewritten to their blobs.
    pub(super) async fn prepare(self, svc: &Service) -> Result<NewsBody, NodeError> {
        own_newsletter(svc, &self.space).await?;
        // The title and body are checked before any picture is stored.
        Body::News(NewsBody {
            title: self.title.clone(),
            body: self.body.clone(),
            files: Vec::new(),
        })
        .validate()?;
        // A picture linked by path is one of the files given (by its name) or, publishing from
        // a Markdown file, a file beside it.
        let local = crate::markdown::local_images(&self.body);
        let mut paths: Vec<String> = self.files.clone();
        let mut linked: Vec<(String, usize)> = Vec::new();
        for l in &local {
            let given = self.files.iter().position(|f| {
                std::path::Path::new(f).file_name().and_then(|n| n.to_str()) == Some(l.as_str())
            });
            let at = match (given, &self.base) {
                (Some(i), _) => i,
                (None, Some(base)) => {
                    let p = std::path::Path::new(base).join(l);
                    if !p.is_file() {
                        return Err(NodeError::Invalid(format!(
                            "the picture {l:?} the issue links is not a file at {}",
                            p.display()
                        )));
                    }
                    paths.push(p.display().to_string());
                    paths.len() - 1
                }
                (None, None) => {
                    return Err(NodeError::Invalid(format!(
                        "the issue links the picture {l:?}, which is not among the files attached"
                    )))
                }
            };
            linked.push((l.clone(), at));
        }
        let files = super::files::attach(svc, &paths).await?;
        let to: std::collections::HashMap<String, String> = linked
            .iter()
            .map(|(l, i)| (l.clone(), data_encoding::HEXLOWER.encode(&files[*i].blob)))
            .collect();
        let body = crate::markdown::rewrite_images(&self.body, &to).map_err(NodeError::Invalid)?;
        Ok(NewsBody {
            files,
            title: self.title,
            body,
        })
    }
}

/// A newsletter's issues, oldest first; the owner sees how many peers hold each of its own.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewsList {
    pub space: String,
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub before: Option<String>,
}

impl Op for NewsList {
    const METHOD: &'static str = "news.list";
    type Output = Vec<IssueView>;
    async fn run(self, svc: &Service) -> Result<Vec<IssueView>, NodeError> {
        let s = svc.space(&self.space).await?;
        let me = svc.engine.me();
        let store = svc.engine.store();
        let page = page(
            svc,
            s.id,
            RecordKind::NewsIssue,
            self.limit,
            self.before.as_deref(),
        )
        .await?;
        let issues = store.news_page(s.id, page).await?;
        let holders = if s.owner == me {
            Some(store.holders(s.id).await?)
        } else {
            None
        };
        Ok(issues
            .iter()
            .map(|n| {
                let mut v = IssueView::of(n, &me, holders.as_deref());
                super::files::mark_held(svc, &mut v.files);
                v
            })
            .collect())
    }
}

/// A new version of a published issue (owner only): the title, the body or both; what is not
/// given stays as the newest version has it (files too, unless the body is given anew).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewsEdit {
    pub space: String,
    /// The issue's id or a unique prefix.
    pub issue: String,
    #[serde(default)]
    pub title: Option<String>,
    /// Markdown.
    #[serde(default)]
    pub body: Option<String>,
    /// As for [`NewsPublish`].
    #[serde(default)]
    pub base: Option<String>,
    #[serde(default)]
    pub files: Vec<String>,
}

/// The issue with this id or unique prefix.
pub(super) async fn find_issue(
    svc: &Service,
    s: &confab_core::Space,
    want: &str,
) -> Result<RecordId, NodeError> {
    let w = want.trim().to_ascii_lowercase();
    if w.is_empty() || w.len() > 64 || !w.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(NodeError::Invalid(format!("{want:?} is not an issue id")));
    }
    let found = svc
        .engine
        .store()
        .ids_with_prefix(s.id, RecordKind::NewsIssue, w)
        .await?;
    match found.as_slice() {
        [(_, id)] => Ok(*id),
        [] => Err(NodeError::NotFound(format!(
            "no issue of {:?} has an id starting with {want:?} (see `confab news list`)",
            s.name
        ))),
        _ => Err(NodeError::Invalid(format!(
            "{want:?} names more than one issue; give more of the id"
        ))),
    }
}

impl Op for NewsEdit {
    const METHOD: &'static str = "news.edit";
    type Output = WrittenView;
    async fn run(self, svc: &Service) -> Result<WrittenView, NodeError> {
        let s = own_newsletter(svc, &self.space).await?;
        if self.title.is_none() && self.body.is_none() {
            return Err(NodeError::Invalid(
                "nothing to correct: give a new title, a new body or both".into(),
            ));
        }
        let issue = find_issue(svc, &s, &self.issue).await?;
        let newest = svc
            .engine
            .store()
            .news_versions(s.id, issue)
            .await?
            .pop()
            .ok_or_else(|| NodeError::NotFound(format!("the issue {} is not here", issue.short())))?;
        let body = match self.body {
            Some(body) => {
                let mut fixed = NewsPublish {
                    space: self.space.clone(),
                    title: self.title.unwrap_or(newest.title),
                    body,
                    base: self.base,
                    files: self.files,
                    draft: false,
                    at: None,
                }
                .prepare(svc)
                .await?;
                // The issue's own pictures and attachments the new body still links stay.
                for f in newest.files {
                    let hex = data_encoding::HEXLOWER.encode(&f.blob);
                    if fixed.body.contains(&hex) && !fixed.files.iter().any(|g| g.blob == f.blob) {
                        fixed.files.push(f);
                    }
                }
                fixed
            }
            None => NewsBody {
                title: self.title.unwrap_or(newest.title),
                body: newest.body,
                files: newest.files,
            },
        };
        write_one(svc, &self.space, Body::Correction(body), vec![issue]).await
    }
}

/// Every version of an issue, oldest first: as published, then each correction.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewsVersions {
    pub space: String,
    pub issue: String,
}

impl Op for NewsVersions {
    const METHOD: &'static str = "news.versions";
    type Output = Vec<IssueView>;
    async fn run(self, svc: &Service) -> Result<Vec<IssueView>, NodeError> {
        let s = newsletter(svc, &self.space).await?;
        let issue = find_issue(svc, &s, &self.issue).await?;
        let me = svc.engine.me();
        let versions = svc.engine.store().news_versions(s.id, issue).await?;
        Ok(versions
            .iter()
            .map(|n| {
                let mut v = IssueView::of(n, &me, None);
                super::files::mark_held(svc, &mut v.files);
                v
            })
            .collect())
    }
}

/// Writes the newsletter's Atom feed to `out` (an absolute path to a new file): every issue
/// as its newest version, each entry carrying the signed records of the issue and its
/// corrections. Any member can write it, the owner offline or not.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewsFeed {
    pub space: String,
    pub out: String,
}

impl Op for NewsFeed {
    const METHOD: &'static str = "news.feed";
    type Output = FeedView;
    async fn run(self, svc: &Service) -> Result<FeedView, NodeError> {
        crate::export::feed(svc, &self.space, std::path::Path::new(&self.out)).await
    }
}
