//! Newsletter drafts and scheduled issues: listing them previewed as readers will see them,
//! publishing a draft, throwing one away or cancelling a schedule. Saving and scheduling are
//! `news.publish` with `draft` or `at` (see `news.rs`).

use confab_core::draft::DraftState;
use confab_core::{Body, NewsBody, Record};
use serde::{Deserialize, Serialize};

use super::news::newsletter;
use super::{write_one, Op, Service};
use crate::policy::drafts::Draft;
use crate::view::{DraftView, FileView, WrittenView};
use crate::NodeError;

/// The newsletter's drafts, and the one whose id starts with `want`.
async fn find_draft(svc: &Service, space: &confab_core::Space, want: &str) -> Result<Draft, NodeError> {
    let w = want.trim().to_ascii_lowercase();
    if w.is_empty() || w.len() > 64 || !w.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(NodeError::Invalid(format!("{want:?} is not a draft id")));
    }
    let mut found: Vec<Draft> = svc
        .engine
        .drafts_of(space.id)
        .await?
        .into_iter()
        .filter(|d| d.id.to_string().starts_with(&w))
        .collect();
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(NodeError::NotFound(format!(
            "no draft of {:?} has an id starting with {want:?} (see `confab news drafts`)",
            space.name
        ))),
        n => Err(NodeError::Invalid(format!(
            "{want:?} matches {n} drafts; give more of the id"
        ))),
    }
}

/// What a draft holds: its own text, or a scheduled issue's (opened with the space's key).
fn text_of(space: &confab_core::Space, d: &Draft) -> Option<NewsBody> {
    match &d.body.state {
        DraftState::Editing => Some(NewsBody {
            title: d.body.title.clone(),
            body: d.body.body.clone(),
            files: d.body.files.clone(),
        }),
        DraftState::Scheduled { issue, .. } => Record::decode(issue)
            .ok()
            .and_then(|r| space.decrypt(&r).ok())
            .and_then(|b| match b {
                Body::News(n) => Some(n),
                _ => None,
            }),
        _ => None,
    }
}

/// This person's drafts and scheduled issues of a newsletter.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewsDrafts {
    pub space: String,
}

impl Op for NewsDrafts {
    const METHOD: &'static str = "news.drafts";
    type Output = Vec<DraftView>;
    async fn run(self, svc: &Service) -> Result<Vec<DraftView>, NodeError> {
        let s = newsletter(svc, &self.space).await?;
        let drafts = svc.engine.drafts_of(s.id).await?;
        Ok(drafts
            .iter()
            .filter_map(|d| {
                let text = text_of(&s, d)?;
                let scheduled = match &d.body.state {
                    DraftState::Scheduled { at_ms, issue } => {
                        Some((*at_ms, Record::decode(issue).ok().map(|r| r.id.to_string())))
                    }
                    _ => None,
                };
                let mut files: Vec<FileView> = text.files.iter().map(FileView::of).collect();
                super::files::mark_held(svc, &mut files);
                Some(DraftView {
                    id: d.id.to_string(),
                    title: text.title.clone(),
                    at: scheduled.as_ref().map_or(d.saved.ms(), |(at, _)| *at),
                    scheduled: scheduled.is_some(),
                    issue: scheduled.and_then(|(_, i)| i),
                    saved_ms: d.saved.ms(),
                    html: crate::view::render(&text.body, &text.files),
                    body: text.body,
                    files,
                })
            })
            .collect())
    }
}

/// Publishes a draft now (owner only); the issue's id.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewsPublishDraft {
    pub space: String,
    pub draft: String,
}

impl Op for NewsPublishDraft {
    const METHOD: &'static str = "news.publish_draft";
    type Output = WrittenView;
    async fn run(self, svc: &Service) -> Result<WrittenView, NodeError> {
        let s = super::news::own_newsletter(svc, &self.space).await?;
        let d = find_draft(svc, &s, &self.draft).await?;
        let text = text_of(&s, &d)
            .ok_or_else(|| NodeError::Invalid(format!("the draft {} holds no issue", d.id.short())))?;
        let issue = write_one(svc, &self.space, Body::News(text), vec![]).await?;
        let id = confab_core::RecordId::from_hex(&issue.id).expect("a record id");
        svc.engine
            .close_draft(&d, DraftState::Published { issue: id.0 })
            .await?;
        Ok(issue)
    }
}

/// Throws a draft away, or cancels a scheduled issue.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewsDiscard {
    pub space: String,
    pub draft: String,
}

impl Op for NewsDiscard {
    const METHOD: &'static str = "news.discard";
    type Output = ();
    async fn run(self, svc: &Service) -> Result<(), NodeError> {
        let s = newsletter(svc, &self.space).await?;
        let d = find_draft(svc, &s, &self.draft).await?;
        svc.engine.close_draft(&d, DraftState::Discarded).await
    }
}
