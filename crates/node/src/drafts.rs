//! Newsletter drafts and scheduled issues on this device: saving them into the person's own
//! space (so they reach the person's other devices and no one else), scheduling an issue
//! (signed now, dated at its time), and publishing the scheduled issues that are due — which
//! any running device of the owner does, each sending the same signed record.

use confab_core::draft::{DraftBody, DraftState};
use confab_core::{Body, Hlc, NewsBody, Record, RecordId, Space, SpaceId};
use confab_store::Origin;
use tracing::{info, warn};

use crate::engine::Engine;
use crate::policy::drafts::{self, Draft};
use crate::NodeError;

impl Engine {
    /// This person's own space, where drafts live; refused by name on a device without it.
    async fn drafts_space(&self) -> Result<Space, NodeError> {
        self.personal_space().await?.ok_or_else(|| {
            NodeError::Refused(
                "drafts and scheduled issues live in your own space, which this device does not hold \
                 (link it from your account's device)"
                    .into(),
            )
        })
    }

    /// Every draft of this person, each as its newest save has it.
    pub(crate) async fn all_drafts(&self) -> Result<Vec<Draft>, NodeError> {
        let Some(personal) = self.personal_space().await? else {
            return Ok(Vec::new());
        };
        Ok(drafts::fold(&self.store().drafts(personal.id).await?))
    }

    /// The drafts and scheduled issues of one newsletter (not those published or thrown away).
    pub(crate) async fn drafts_of(&self, news: SpaceId) -> Result<Vec<Draft>, NodeError> {
        let mut all = self.all_drafts().await?;
        all.retain(|d| {
            d.body.space == news.0
                && matches!(d.body.state, DraftState::Editing | DraftState::Scheduled { .. })
        });
        Ok(all)
    }

    /// Saves a draft of an issue (a new draft, or a new save of `of`); returns the draft's id.
    pub(crate) async fn save_draft(
        &self,
        news: &Space,
        issue: &NewsBody,
        of: Option<RecordId>,
    ) -> Result<RecordId, NodeError> {
        let body = DraftBody::editing(news.id.0, issue);
        self.save(body, of).await
    }

    /// Writes one save of a draft; the draft's id (the first save's).
    async fn save(&self, body: DraftBody, of: Option<RecordId>) -> Result<RecordId, NodeError> {
        let personal = self.drafts_space().await?;
        let refs = of.into_iter().collect();
        let id = self
            .write(&personal, vec![(Body::Draft(body), refs)])
            .await?
            .remove(0);
        Ok(of.unwrap_or(id))
    }

    /// Schedules an issue for `at_ms`: the issue record is signed and sealed now, dated then,
    /// and kept in the person's own space until a device of theirs publishes it. Returns the
    /// draft's id and the issue's.
    pub(crate) async fn schedule(
        &self,
        news: &Space,
        issue: NewsBody,
        at_ms: u64,
        of: Option<RecordId>,
    ) -> Result<(RecordId, RecordId), NodeError> {
        let news = self.current(news).await?;
        let me = self.identity().clone();
        let body = Body::News(issue);
        let sealed = news.seal_verified(&me, &body, Hlc::new(at_ms, 0), None, vec![])?;
        // The space's rules, checked now rather than at the time it is due.
        news.authorize(&sealed)
            .map_err(|e| NodeError::Refused(e.to_string()))?;
        let issue_id = sealed.id;
        let draft = DraftBody {
            space: news.id.0,
            title: String::new(),
            body: String::new(),
            files: Vec::new(),
            state: DraftState::Scheduled {
                at_ms,
                issue: sealed.encoded().to_vec(),
            },
        };
        Ok((self.save(draft, of).await?, issue_id))
    }

    /// Marks a draft published as `issue`, or thrown away.
    pub(crate) async fn close_draft(&self, draft: &Draft, state: DraftState) -> Result<(), NodeError> {
        let body = DraftBody {
            space: draft.body.space,
            title: String::new(),
            body: String::new(),
            files: Vec::new(),
            state,
        };
        self.save(body, Some(draft.id)).await.map(|_| ())
    }

    /// Publishes the scheduled issues due at `now_ms` (see [`drafts::due`]); how many.
    pub(crate) async fn publish_due(&self, now_ms: u64) -> Result<usize, NodeError> {
        let all = self.all_drafts().await?;
        let mut done = 0;
        for (id, at, raw) in drafts::due(&all, now_ms) {
            let Some(draft) = all.iter().find(|d| d.id == id) else {
                continue;
            };
            let rec = Record::decode(&raw).and_then(Record::verify)?;
            let issue = rec.id;
            let report = self.store().insert(vec![rec], Origin::Local).await?;
            match report.refused.into_iter().next() {
                None => {
                    info!("published the issue {} scheduled for {at} ms", issue.short());
                    self.close_draft(draft, DraftState::Published { issue: issue.0 })
                        .await?;
                    done += 1;
                }
                Some((_, why)) => {
                    // Its key was rotated meanwhile, or the owner left: back among the drafts,
                    // with its text, for the owner to publish again.
                    warn!("the issue scheduled for {at} ms was refused ({why}); it is a draft again");
                    let news = SpaceId(draft.body.space);
                    let text = match self.store().space(news).await? {
                        Some(s) => Record::decode(&raw)
                            .ok()
                            .and_then(|r| s.decrypt(&r).ok())
                            .and_then(|b| match b {
                                Body::News(n) => Some(n),
                                _ => None,
                            }),
                        None => None,
                    };
                    match text {
                        Some(n) => {
                            self.save(DraftBody::editing(news.0, &n), Some(draft.id)).await?;
                        }
                        None => self.close_draft(draft, DraftState::Discarded).await?,
                    }
                }
            }
        }
        Ok(done)
    }
}
