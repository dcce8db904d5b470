//! Readers' replies to newsletter issues: the owner's settings (off, to the owner only, for
//! all), replying, the replies to an issue (those for the owner opened on the owner's devices),
//! and removing a reply (its author or the owner).

use confab_core::reply::{
    open_reply, reply_key, reply_secret, seal_reply, NewsSettingsBody, Replies, ReplyBody,
};
use confab_core::{Body, DeleteBody, Hlc};
use serde::{Deserialize, Serialize};

use super::news::{find_issue, newsletter};
use super::{write_one, Op, Service};
use crate::view::{Byline, NewsSettingsView, ReplyView, WrittenView};
use crate::NodeError;

/// The settings in force at `ts` (the newest dated then or before), if any.
fn at(settings: &[(Hlc, NewsSettingsBody)], ts: Hlc) -> Option<&NewsSettingsBody> {
    settings.iter().rev().find(|(t, _)| *t <= ts).map(|(_, s)| s)
}

/// Shows a newsletter's settings; with `replies`, sets them (owner only).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewsSettings {
    pub space: String,
    #[serde(default)]
    pub replies: Option<String>,
}

impl Op for NewsSettings {
    const METHOD: &'static str = "news.settings";
    type Output = NewsSettingsView;
    async fn run(self, svc: &Service) -> Result<NewsSettingsView, NodeError> {
        let s = newsletter(svc, &self.space).await?;
        if let Some(r) = &self.replies {
            let replies: Replies = r.parse().map_err(NodeError::Invalid)?;
            let s = super::news::own_newsletter(svc, &self.space).await?;
            let personal = svc.engine.personal_space().await?.ok_or_else(|| {
                NodeError::Refused("replies for the owner are sealed to a key from your own space, which this device does not hold".into())
            })?;
            let body = NewsSettingsBody {
                replies,
                reply_key: reply_key(&personal.key, &s.id),
            };
            write_one(svc, &self.space, Body::NewsSettings(body), vec![]).await?;
        }
        let newest = svc.engine.store().news_settings(s.id).await?.pop();
        Ok(NewsSettingsView {
            replies: newest.map_or(Replies::Off, |(_, n)| n.replies).as_str().into(),
        })
    }
}

/// Replies to an issue, as the newsletter's settings allow.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewsReply {
    pub space: String,
    pub issue: String,
    pub text: String,
}

impl Op for NewsReply {
    const METHOD: &'static str = "news.reply";
    type Output = WrittenView;
    async fn run(self, svc: &Service) -> Result<WrittenView, NodeError> {
        if self.text.trim().is_empty() {
            return Err(NodeError::Invalid("an empty reply".into()));
        }
        let s = newsletter(svc, &self.space).await?;
        let target = find_issue(svc, &s, &self.issue).await?;
        let settings = svc.engine.store().news_settings(s.id).await?;
        let body = match settings.last().map(|(_, n)| n) {
            None
            | Some(NewsSettingsBody {
                replies: Replies::Off,
                ..
            }) => {
                return Err(NodeError::Refused(format!(
                    "the newsletter {:?} does not allow replies",
                    s.name
                )))
            }
            Some(NewsSettingsBody {
                replies: Replies::All,
                ..
            }) => ReplyBody::Open(self.text),
            Some(n) => ReplyBody::Sealed(
                seal_reply(&n.reply_key, &s.id, &target, &self.text)
                    .ok_or_else(|| NodeError::Invalid("the owner's reply key is not usable".into()))?,
            ),
        };
        Body::Reply(body.clone()).validate()?;
        write_one(svc, &self.space, Body::Reply(body), vec![target]).await
    }
}

/// The replies to an issue that its newsletter's settings allowed when they were written,
/// oldest first: for all, with their text; for the owner, opened on the owner's devices.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewsReplies {
    pub space: String,
    pub issue: String,
}

impl Op for NewsReplies {
    const METHOD: &'static str = "news.replies";
    type Output = Vec<ReplyView>;
    async fn run(self, svc: &Service) -> Result<Vec<ReplyView>, NodeError> {
        let s = newsletter(svc, &self.space).await?;
        let target = find_issue(svc, &s, &self.issue).await?;
        let store = svc.engine.store();
        let settings = store.news_settings(s.id).await?;
        let me = svc.engine.me();
        let secret = if s.owner == me {
            svc.engine
                .personal_space()
                .await?
                .map(|p| reply_secret(&p.key, &s.id))
        } else {
            None
        };
        let mut out = Vec::new();
        for (id, person, device, ts, body) in store.news_replies(s.id, target).await? {
            let allowed = at(&settings, ts).map(|n| n.replies);
            let (text, sealed) = match (&body, allowed) {
                (ReplyBody::Open(t), Some(Replies::All)) => (Some(t.clone()), false),
                // For the owner only: the owner's devices open it; its author sees that it
                // was sent; nobody else sees it.
                (ReplyBody::Sealed(b), Some(Replies::Owner)) if secret.is_some() || person == me => (
                    secret.as_ref().and_then(|k| open_reply(k, &s.id, &target, b)),
                    true,
                ),
                // Written when the settings did not allow it: not shown.
                _ => continue,
            };
            out.push(ReplyView {
                id: id.to_string(),
                by: Byline::of(&person, &device, ts, &me),
                text,
                sealed,
            });
        }
        Ok(out)
    }
}

/// Removes a reply: its author, or the newsletter's owner.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewsRemoveReply {
    pub space: String,
    pub issue: String,
    pub reply: String,
}

impl Op for NewsRemoveReply {
    const METHOD: &'static str = "news.remove_reply";
    type Output = WrittenView;
    async fn run(self, svc: &Service) -> Result<WrittenView, NodeError> {
        let s = newsletter(svc, &self.space).await?;
        let target = find_issue(svc, &s, &self.issue).await?;
        let want = self.reply.trim().to_ascii_lowercase();
        let replies = svc.engine.store().news_replies(s.id, target).await?;
        let found: Vec<_> = replies
            .iter()
            .filter(|r| !want.is_empty() && r.0.to_string().starts_with(&want))
            .collect();
        let [(id, person, _, ts, _)] = found.as_slice() else {
            return Err(NodeError::NotFound(format!(
                "no single reply to that issue has an id starting with {:?} (see `confab news replies`)",
                self.reply
            )));
        };
        let me = svc.engine.me();
        if *person != me && s.owner != me {
            return Err(NodeError::Refused(format!(
                "only the reply's author or the owner of {:?} may remove it",
                s.name
            )));
        }
        write_one(
            svc,
            &self.space,
            Body::Delete(DeleteBody { target_ts: ts.0 }),
            vec![*id],
        )
        .await
    }
}
