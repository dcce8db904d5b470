//! What people write: chat messages, strokes and erases, newsletter issues, live presence.

use confab_core::{
    Body, ChatBody, Color, EraseBody, Live, LiveStroke, RecordId, RecordKind, SpaceId, SpaceKind, StrokeBody,
};
use confab_store::Page;
use serde::{Deserialize, Serialize};

use super::{Op, Service};
use crate::view::{LiveStrokeView, MessageView, StrokeView, WrittenManyView, WrittenView};
use crate::NodeError;

fn color(c: &str) -> Result<Color, NodeError> {
    c.parse()
        .map_err(|e: confab_core::color::ColorError| NodeError::Invalid(e.to_string()))
}

pub(super) async fn write_one(
    svc: &Service,
    space: &str,
    body: Body,
    refs: Vec<RecordId>,
) -> Result<WrittenView, NodeError> {
    let s = svc.space(space).await?;
    let rec = svc.engine.write(&s, vec![(body, refs)]).await?.remove(0);
    Ok(WrittenView { id: rec.to_string() })
}

/// Sends a chat message.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChatSend {
    pub space: String,
    pub text: String,
}

impl Op for ChatSend {
    const METHOD: &'static str = "chat.send";
    type Output = WrittenView;
    async fn run(self, svc: &Service) -> Result<WrittenView, NodeError> {
        write_one(
            svc,
            &self.space,
            Body::Chat(ChatBody {
                files: Vec::new(),
                mentions: vec![],
                text: self.text,
            }),
            vec![],
        )
        .await
    }
}

/// Sends `count` messages "TEXT #1" … in one transaction (scripting and load tests).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChatSendMany {
    pub space: String,
    pub text: String,
    pub count: u32,
}

impl Op for ChatSendMany {
    const METHOD: &'static str = "chat.send_many";
    type Output = WrittenManyView;
    async fn run(self, svc: &Service) -> Result<WrittenManyView, NodeError> {
        let s = svc.space(&self.space).await?;
        let drafts = (1..=self.count)
            .map(|i| {
                let text = format!("{} #{i}", self.text);
                (
                    Body::Chat(ChatBody {
                        files: Vec::new(),
                        mentions: vec![],
                        text,
                    }),
                    vec![],
                )
            })
            .collect();
        let written = svc.engine.write(&s, drafts).await?.len();
        Ok(WrittenManyView { written })
    }
}

/// A room's messages, oldest first: every one, or the `limit` newest before `before` (a
/// message id or a unique prefix of it, exclusive).
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChatList {
    pub space: String,
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub before: Option<String>,
}

impl Op for ChatList {
    const METHOD: &'static str = "chat.list";
    type Output = Vec<MessageView>;
    async fn run(self, svc: &Service) -> Result<Vec<MessageView>, NodeError> {
        let s = svc.space(&self.space).await?;
        let me = svc.engine.me();
        let page = page(
            svc,
            s.id,
            RecordKind::ChatMessage,
            self.limit,
            self.before.as_deref(),
        )
        .await?;
        let msgs = svc.engine.store().chat_page(s.id, page).await?;
        let names = svc.names().await?;
        let mut views: Vec<MessageView> = msgs.iter().map(|m| MessageView::of(m, &me, &names)).collect();
        for v in &mut views {
            super::files::mark_held(svc, &mut v.files);
        }
        Ok(views)
    }
}

/// The page a listing asked for: `limit` at least 1; `before` one record of `kind` in the
/// space, named by its id or a unique prefix.
pub(crate) async fn page(
    svc: &Service,
    space: SpaceId,
    kind: RecordKind,
    limit: Option<u32>,
    before: Option<&str>,
) -> Result<Page, NodeError> {
    if limit == Some(0) {
        return Err(NodeError::Invalid("limit must be at least 1".into()));
    }
    let what = if kind == RecordKind::NewsIssue {
        "issue"
    } else {
        "message"
    };
    let before = match before {
        None => None,
        Some(want) => {
            let w = want.trim().to_ascii_lowercase();
            if w.is_empty() || w.len() > 64 || !w.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(NodeError::Invalid(format!("{want:?} is not a {what} id")));
            }
            match svc
                .engine
                .store()
                .ids_with_prefix(space, kind, w)
                .await?
                .as_slice()
            {
                [one] => Some(*one),
                [] => {
                    return Err(NodeError::NotFound(format!(
                        "no {what} here has an id starting with {want:?}"
                    )))
                }
                _ => {
                    return Err(NodeError::Invalid(format!(
                        "{want:?} matches more than one {what}; give more of the id"
                    )))
                }
            }
        }
    };
    Ok(Page {
        limit,
        before,
        after: None,
    })
}

/// Draws a stroke.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BoardStroke {
    pub space: String,
    pub points: Vec<(f32, f32)>,
    pub color: String,
    pub width: f32,
}

impl Op for BoardStroke {
    const METHOD: &'static str = "board.stroke";
    type Output = WrittenView;
    async fn run(self, svc: &Service) -> Result<WrittenView, NodeError> {
        let body = Body::Stroke(StrokeBody {
            points: self.points,
            color: color(&self.color)?,
            width: self.width,
        });
        write_one(svc, &self.space, body, vec![]).await
    }
}

/// Erases strokes and pictures, named by id or unique id prefix.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BoardErase {
    pub space: String,
    pub strokes: Vec<String>,
}

impl Op for BoardErase {
    const METHOD: &'static str = "board.erase";
    type Output = WrittenView;
    async fn run(self, svc: &Service) -> Result<WrittenView, NodeError> {
        if self.strokes.is_empty() {
            return Err(NodeError::Invalid(
                "nothing to erase: name at least one stroke or picture".into(),
            ));
        }
        let s = svc.space(&self.space).await?;
        let on_board: Vec<RecordId> = svc
            .engine
            .store()
            .board(s.id, None)
            .await?
            .objects()
            .iter()
            .map(|o| o.id)
            .collect();
        let mut targets = Vec::with_capacity(self.strokes.len());
        for want in &self.strokes {
            let w = want.trim().to_ascii_lowercase();
            if w.is_empty() || !w.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(NodeError::Invalid(format!(
                    "{want:?} is not a stroke or picture id"
                )));
            }
            let found: Vec<RecordId> = on_board
                .iter()
                .filter(|id| id.to_string().starts_with(&w))
                .copied()
                .collect();
            match found.as_slice() {
                [one] => targets.push(*one),
                [] => {
                    return Err(NodeError::NotFound(format!(
                        "no stroke or picture on this board has an id starting with {want:?} (see `confab board list`)"
                    )))
                }
                many => {
                    return Err(NodeError::Invalid(format!(
                        "{want:?} matches {} strokes and pictures; give more of the id",
                        many.len()
                    )))
                }
            }
        }
        write_one(svc, &self.space, Body::Erase(EraseBody {}), targets).await
    }
}

/// The strokes still on a board, oldest first.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BoardList {
    pub space: String,
}

impl Op for BoardList {
    const METHOD: &'static str = "board.list";
    type Output = Vec<StrokeView>;
    async fn run(self, svc: &Service) -> Result<Vec<StrokeView>, NodeError> {
        let s = svc.space(&self.space).await?;
        let me = svc.engine.me();
        let strokes = svc.engine.store().board_strokes(s.id).await?;
        Ok(strokes.iter().map(|x| StrokeView::of(x, &me)).collect())
    }
}

/// Tells a board's members where this pointer is and what is being drawn. Never stored.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BoardLive {
    pub space: String,
    #[serde(default)]
    pub cursor: Option<(f32, f32)>,
    #[serde(default)]
    pub stroke: Option<LiveStrokeView>,
    /// The part of the board this member sees: left, top, width, height.
    #[serde(default)]
    pub view: Option<(f32, f32, f32, f32)>,
    /// The ids of the objects this member has selected.
    #[serde(default)]
    pub selection: Vec<String>,
}

impl Op for BoardLive {
    const METHOD: &'static str = "board.live";
    type Output = ();
    async fn run(self, svc: &Service) -> Result<(), NodeError> {
        let s = svc.space(&self.space).await?;
        if s.kind != SpaceKind::Board {
            return Err(NodeError::Invalid(format!(
                "live presence is for whiteboards; {:?} is a {} space",
                s.name, s.kind
            )));
        }
        let stroke = match self.stroke {
            Some(st) => Some(LiveStroke {
                points: st.points,
                color: color(&st.color)?,
                width: st.width,
                erasing: st.erasing,
            }),
            None => None,
        };
        let selection = self
            .selection
            .iter()
            .take(confab_core::live::MAX_LIVE_SELECTION)
            .map(|id| {
                RecordId::from_hex(id)
                    .map(|r| r.0)
                    .ok_or_else(|| NodeError::Invalid(format!("{id:?} is not an object id")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let live = Live {
            cursor: self.cursor,
            stroke,
            typing: false,
            view: self.view,
            selection,
        };
        svc.publish_live(&s, &live, "live presence").await
    }
}
