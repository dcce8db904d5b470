//! Conversations: replies, mentions, reactions, edits and deletes, windows of a long room,
//! reading state, typing, and search.

use confab_core::{
    AuthorKey, Body, ChatBody, DeleteBody, EditBody, Hlc, Live, ReactionBody, RecordId, RecordKind, Space,
    SpaceKind,
};
use confab_store::{Page, SearchQuery};
use serde::{Deserialize, Serialize};

use super::people::person;
use super::{Op, Service};
use crate::view::{HitView, MessageView, ReactedView, ReadingView, WrittenView};
use crate::NodeError;

/// Where a window of a room is: the newest messages, those before or after a message, those
/// around one, or those from a date on.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageAt {
    /// The newest.
    #[default]
    Newest,
    /// Before this message (an id or a unique prefix), exclusive.
    Before(String),
    /// After this message, exclusive.
    After(String),
    /// Around this message, which is included.
    Around(String),
    /// From the first message at or after this time (ms since the Unix epoch).
    Date(u64),
}

/// Most messages one window may hold.
pub const MAX_WINDOW: u32 = 500;

/// The chat room `space` names (refused by name for other kinds).
async fn room(svc: &Service, space: &str) -> Result<Space, NodeError> {
    let s = svc.space(space).await?;
    if s.kind != SpaceKind::Chat {
        return Err(NodeError::Invalid(format!(
            "{:?} is a {} space; replies, reactions, edits and deletes are for chat rooms",
            s.name, s.kind
        )));
    }
    Ok(s)
}

/// One message of `space` named by its id or a unique prefix: its timestamp and id.
pub(crate) async fn message(svc: &Service, space: &Space, want: &str) -> Result<(Hlc, RecordId), NodeError> {
    let page = super::content::page(svc, space.id, RecordKind::ChatMessage, Some(1), Some(want)).await?;
    Ok(page.before.expect("a page before a message"))
}

/// The author of a held message.
async fn author_of(svc: &Service, space: &Space, id: RecordId) -> Result<Option<AuthorKey>, NodeError> {
    Ok(svc
        .engine
        .store()
        .chat_message(space.id, id)
        .await?
        .filter(|m| m.deleted.is_none())
        .map(|m| m.author))
}

fn mentions(peers: &[String]) -> Result<Vec<[u8; 32]>, NodeError> {
    let mut out: Vec<[u8; 32]> = Vec::new();
    for p in peers {
        let k = person(p)?.0;
        if !out.contains(&k) {
            out.push(k);
        }
    }
    Ok(out)
}

async fn write(svc: &Service, space: &Space, body: Body, refs: Vec<RecordId>) -> Result<RecordId, NodeError> {
    Ok(svc.engine.write(space, vec![(body, refs)]).await?.remove(0))
}

/// Sends a message, maybe replying to one and mentioning members.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChatWrite {
    pub space: String,
    pub text: String,
    #[serde(default)]
    pub reply_to: Option<String>,
    #[serde(default)]
    pub mentions: Vec<String>,
    /// Files to attach (paths on this machine).
    #[serde(default)]
    pub files: Vec<String>,
}

impl Op for ChatWrite {
    const METHOD: &'static str = "chat.write";
    type Output = WrittenView;
    async fn run(self, svc: &Service) -> Result<WrittenView, NodeError> {
        // The engine names a space of another kind (it takes no messages).
        let s = svc.space(&self.space).await?;
        let refs = match &self.reply_to {
            Some(m) => vec![message(svc, &s, m).await?.1],
            None => vec![],
        };
        let mentions = mentions(&self.mentions)?;
        // The text is checked before any file is stored (with files it may be left out).
        if self.files.is_empty() || !self.text.is_empty() {
            Body::Chat(ChatBody {
                text: self.text.clone(),
                mentions: mentions.clone(),
                files: Vec::new(),
            })
            .validate()?;
        }
        let files = super::files::attach(svc, &self.files).await?;
        let body = Body::Chat(ChatBody {
            files,
            text: self.text,
            mentions,
        });
        let id = write(svc, &s, body, refs).await?;
        // Writing in a room reads it.
        if let Some(ts) = svc.engine.store().message_ts(s.id, id).await? {
            svc.engine.store().mark_read(s.id, ts.0).await?;
        }
        Ok(WrittenView { id: id.to_string() })
    }
}

/// Toggles a reaction to a message.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChatReact {
    pub space: String,
    pub msg: String,
    pub emoji: String,
}

impl Op for ChatReact {
    const METHOD: &'static str = "chat.react";
    type Output = ReactedView;
    async fn run(self, svc: &Service) -> Result<ReactedView, NodeError> {
        let s = room(svc, &self.space).await?;
        confab_core::check_reaction(&self.emoji).map_err(|e| NodeError::Invalid(e.to_string()))?;
        let (_, target) = message(svc, &s, &self.msg).await?;
        let shown = svc
            .engine
            .store()
            .chat_message(s.id, target)
            .await?
            .ok_or_else(|| NodeError::NotFound(format!("no message {}", self.msg)))?;
        if shown.deleted.is_some() {
            return Err(NodeError::Invalid(format!("message {} was deleted", self.msg)));
        }
        let me = svc.engine.me();
        let on = !shown
            .reactions
            .iter()
            .any(|(e, who)| *e == self.emoji && who.contains(&me));
        let body = Body::Reaction(ReactionBody {
            emoji: self.emoji,
            on,
        });
        let id = write(svc, &s, body, vec![target]).await?;
        Ok(ReactedView {
            id: id.to_string(),
            on,
        })
    }
}

/// Changes the text of one's own message.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChatEdit {
    pub space: String,
    pub msg: String,
    pub text: String,
    #[serde(default)]
    pub mentions: Vec<String>,
}

impl Op for ChatEdit {
    const METHOD: &'static str = "chat.edit";
    type Output = WrittenView;
    async fn run(self, svc: &Service) -> Result<WrittenView, NodeError> {
        let s = room(svc, &self.space).await?;
        let (_, target) = message(svc, &s, &self.msg).await?;
        let me = svc.engine.me();
        match author_of(svc, &s, target).await? {
            Some(a) if a == me => {}
            Some(a) => {
                return Err(NodeError::Invalid(format!(
                    "message {} is by {}; only its author may edit it",
                    self.msg,
                    a.peer_id()
                )))
            }
            None => return Err(NodeError::Invalid(format!("message {} was deleted", self.msg))),
        }
        let body = Body::Edit(EditBody {
            text: self.text,
            mentions: mentions(&self.mentions)?,
        });
        let id = write(svc, &s, body, vec![target]).await?;
        Ok(WrittenView { id: id.to_string() })
    }
}

/// Deletes a message for everyone: one's own, or any in a room one owns.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChatDelete {
    pub space: String,
    pub msg: String,
}

impl Op for ChatDelete {
    const METHOD: &'static str = "chat.delete";
    type Output = WrittenView;
    async fn run(self, svc: &Service) -> Result<WrittenView, NodeError> {
        let s = room(svc, &self.space).await?;
        let (ts, target) = message(svc, &s, &self.msg).await?;
        let me = svc.engine.me();
        match author_of(svc, &s, target).await? {
            Some(a) if a == me || s.owner == me => {}
            Some(a) => {
                return Err(NodeError::Invalid(format!(
                    "message {} is by {}; only its author or the owner of {:?} may delete it",
                    self.msg,
                    a.peer_id(),
                    s.name
                )))
            }
            None => {
                return Err(NodeError::Invalid(format!(
                    "message {} was deleted already",
                    self.msg
                )))
            }
        }
        let id = write(
            svc,
            &s,
            Body::Delete(DeleteBody { target_ts: ts.0 }),
            vec![target],
        )
        .await?;
        Ok(WrittenView { id: id.to_string() })
    }
}

/// A window of a room's messages, oldest first.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChatWindow {
    pub space: String,
    #[serde(default)]
    pub at: PageAt,
    pub limit: u32,
}

impl Op for ChatWindow {
    const METHOD: &'static str = "chat.window";
    type Output = Vec<MessageView>;
    async fn run(self, svc: &Service) -> Result<Vec<MessageView>, NodeError> {
        if !(1..=MAX_WINDOW).contains(&self.limit) {
            return Err(NodeError::Invalid(format!(
                "a window holds 1 to {MAX_WINDOW} messages, not {}",
                self.limit
            )));
        }
        let s = room(svc, &self.space).await?;
        let store = svc.engine.store();
        let page = |before, after| Page {
            limit: Some(self.limit),
            before,
            after,
        };
        let msgs = match &self.at {
            PageAt::Newest => store.chat_page(s.id, page(None, None)).await?,
            PageAt::Before(m) => {
                store
                    .chat_page(s.id, page(Some(message(svc, &s, m).await?), None))
                    .await?
            }
            PageAt::After(m) => {
                store
                    .chat_page(s.id, page(None, Some(message(svc, &s, m).await?)))
                    .await?
            }
            PageAt::Date(ms) => {
                let from = (Hlc::new(*ms, 0), RecordId([0; 32]));
                let mut after = store.chat_page(s.id, page(None, Some(from))).await?;
                if after.len() < self.limit as usize {
                    // Near the end: fill the window with what comes before.
                    let first = after
                        .first()
                        .map(|m| (m.ts, m.id))
                        .unwrap_or((Hlc(u64::MAX), RecordId([0xff; 32])));
                    let mut before = store
                        .chat_page(
                            s.id,
                            Page {
                                limit: Some(self.limit - after.len() as u32),
                                before: Some(first),
                                after: None,
                            },
                        )
                        .await?;
                    before.append(&mut after);
                    after = before;
                }
                after
            }
            PageAt::Around(m) => {
                let at = message(svc, &s, m).await?;
                let half = (self.limit / 2).max(1);
                let mut out = store
                    .chat_page(
                        s.id,
                        Page {
                            limit: Some(half),
                            before: Some(at),
                            after: None,
                        },
                    )
                    .await?;
                let rest = self.limit.saturating_sub(out.len() as u32).max(1);
                let mut from = store
                    .chat_page(
                        s.id,
                        Page {
                            limit: Some(rest),
                            before: None,
                            after: Some((at.0, at.1.just_below())),
                        },
                    )
                    .await?;
                out.append(&mut from);
                out
            }
        };
        let names = svc.names().await?;
        let me = svc.engine.me();
        let mut views: Vec<MessageView> = msgs.iter().map(|m| MessageView::of(m, &me, &names)).collect();
        for v in &mut views {
            super::files::mark_held(svc, &mut v.files);
        }
        Ok(views)
    }
}

/// One message as it stands now.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChatMessageGet {
    pub space: String,
    pub id: String,
}

impl Op for ChatMessageGet {
    const METHOD: &'static str = "chat.message";
    type Output = Option<MessageView>;
    async fn run(self, svc: &Service) -> Result<Option<MessageView>, NodeError> {
        let s = room(svc, &self.space).await?;
        let Some(id) = RecordId::from_hex(self.id.trim()) else {
            return Err(NodeError::Invalid(format!("{:?} is not a message id", self.id)));
        };
        let names = svc.names().await?;
        let me = svc.engine.me();
        Ok(svc.engine.store().chat_message(s.id, id).await?.map(|m| {
            let mut v = MessageView::of(&m, &me, &names);
            super::files::mark_held(svc, &mut v.files);
            v
        }))
    }
}

/// Marks a room read up to a message (or all of it).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChatMarkRead {
    pub space: String,
    #[serde(default)]
    pub upto: Option<String>,
}

impl Op for ChatMarkRead {
    const METHOD: &'static str = "chat.read";
    type Output = ReadingView;
    async fn run(self, svc: &Service) -> Result<ReadingView, NodeError> {
        let s = room(svc, &self.space).await?;
        let store = svc.engine.store();
        let ts = match &self.upto {
            Some(m) => message(svc, &s, m).await?.0 .0,
            None => store.clock_floor().await?.max(svc.engine.now().0),
        };
        store.mark_read(s.id, ts).await?;
        svc.engine.note_read(&s).await?;
        let r = store.reading(s.id, svc.engine.me()).await?;
        Ok(ReadingView::of(&s.id, &r))
    }
}

/// Where this member stands in a room.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChatReading {
    pub space: String,
}

impl Op for ChatReading {
    const METHOD: &'static str = "chat.reading";
    type Output = ReadingView;
    async fn run(self, svc: &Service) -> Result<ReadingView, NodeError> {
        let s = room(svc, &self.space).await?;
        let r = svc.engine.store().reading(s.id, svc.engine.me()).await?;
        Ok(ReadingView::of(&s.id, &r))
    }
}

/// Tells a room's members that this member is typing. Never stored.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChatTyping {
    pub space: String,
}

impl Op for ChatTyping {
    const METHOD: &'static str = "chat.typing";
    type Output = ();
    async fn run(self, svc: &Service) -> Result<(), NodeError> {
        let s = room(svc, &self.space).await?;
        let live = Live {
            typing: true,
            ..Default::default()
        };
        svc.publish_live(&s, &live, "the typing indicator").await
    }
}

/// Most hits one search returns.
pub const MAX_HITS: u32 = 200;

/// Full-text search over every space this member can read.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Search {
    pub query: String,
    #[serde(default)]
    pub space: Option<String>,
    #[serde(default)]
    pub author: Option<String>,
    #[serde(default)]
    pub limit: Option<u32>,
}

impl Op for Search {
    const METHOD: &'static str = "search";
    type Output = Vec<HitView>;
    async fn run(self, svc: &Service) -> Result<Vec<HitView>, NodeError> {
        let limit = self.limit.unwrap_or(50);
        if !(1..=MAX_HITS).contains(&limit) {
            return Err(NodeError::Invalid(format!(
                "limit must be 1 to {MAX_HITS}, not {limit}"
            )));
        }
        let space = match &self.space {
            Some(s) => Some(svc.space(s).await?.id),
            None => None,
        };
        let author = self.author.as_deref().map(person).transpose()?;
        let store = svc.engine.store();
        let hits = store
            .search(SearchQuery {
                text: self.query.clone(),
                space,
                author,
                limit,
            })
            .await?
            .ok_or_else(|| NodeError::Invalid(format!("{:?} has no words to search for", self.query)))?;
        let spaces = store.spaces().await?;
        let names = svc.names().await?;
        Ok(hits
            .iter()
            .filter_map(|h| {
                let s = spaces.iter().find(|s| s.id == h.space)?;
                Some(HitView::of(h, s, &names))
            })
            .collect())
    }
}
