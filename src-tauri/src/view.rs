//! What the UI is sent: plain serialisable shapes of spaces, messages, strokes, issues and
//! node events. Text from peers travels as data; the UI puts it in text nodes, never HTML.

use confab_core::{AuthorKey, Body, Hlc, Space};
use confab_node::{NodeEvent, PeerStatus};
use confab_store::{ChatMessage, Inserted, NewsIssue, Stroke};
use serde::Serialize;

/// A short, stable name for an author: the last six characters of their peer id.
pub fn short_name(a: &AuthorKey) -> String {
    let id = a.peer_id();
    id[id.len().saturating_sub(6)..].to_string()
}

/// An author as shown.
#[derive(Clone, Debug, Serialize)]
pub struct Author {
    /// Full peer id.
    pub id: String,
    /// Short name.
    pub short: String,
    /// True for this node's own identity.
    pub me: bool,
}

impl Author {
    /// Describes `a` as seen by `me`.
    pub fn of(a: &AuthorKey, me: &AuthorKey) -> Self {
        Self {
            id: a.peer_id(),
            short: short_name(a),
            me: a == me,
        }
    }
}

/// A joined space.
#[derive(Clone, Debug, Serialize)]
pub struct SpaceView {
    /// Full id (hex).
    pub id: String,
    /// `chat`, `board` or `news`.
    pub kind: String,
    /// Name.
    pub name: String,
    /// True if this node owns it (may publish, for a newsletter).
    pub mine: bool,
    /// Notifications off.
    pub muted: bool,
    /// The owner removed this member: it no longer receives anything new.
    pub removed: bool,
}

/// A member of a space.
#[derive(Clone, Debug, Serialize)]
pub struct MemberView {
    /// Peer id.
    pub peer: String,
    /// Short name.
    pub short: String,
    /// "owner", "member" or "removed".
    pub role: String,
    /// This node.
    pub me: bool,
    /// Records of theirs held here.
    pub records: u64,
    /// Newest of them (ms).
    pub last_ms: Option<u64>,
}

impl MemberView {
    /// Describes a member.
    pub fn of(m: &confab_store::Member, me: &AuthorKey) -> Self {
        Self {
            peer: m.peer.clone(),
            short: short_name(&m.author),
            role: m.role.to_string(),
            me: m.author == *me,
            records: m.records,
            last_ms: m.last_ms,
        }
    }
}

impl SpaceView {
    /// Describes a space.
    pub fn of(s: &Space, me: &AuthorKey, muted: bool) -> Self {
        Self {
            id: s.id.to_string(),
            kind: s.kind.as_str().to_string(),
            name: s.name.clone(),
            mine: s.owner == *me,
            muted,
            removed: !s.is_current_member(),
        }
    }
}

fn ms(ts: Hlc) -> u64 {
    ts.ms()
}

/// A chat message.
#[derive(Clone, Debug, Serialize)]
pub struct MessageView {
    /// Record id.
    pub id: String,
    /// Author.
    pub author: Author,
    /// Milliseconds since the epoch.
    pub ts: u64,
    /// Text (plain text).
    pub text: String,
}

impl MessageView {
    /// Describes a stored message.
    pub fn of(m: &ChatMessage, me: &AuthorKey) -> Self {
        Self {
            id: m.id.to_string(),
            author: Author::of(&m.author, me),
            ts: ms(m.ts),
            text: m.text.clone(),
        }
    }
}

/// A stroke on the board.
#[derive(Clone, Debug, Serialize)]
pub struct StrokeView {
    /// Record id.
    pub id: String,
    /// Author.
    pub author: Author,
    /// Milliseconds since the epoch.
    pub ts: u64,
    /// Points.
    pub points: Vec<(f32, f32)>,
    /// `#rrggbb`.
    pub color: String,
    /// Width.
    pub width: f32,
}

/// `#rrggbb` for an RGB triple.
pub fn hex_color(c: [u8; 3]) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

impl StrokeView {
    /// Describes a stored stroke.
    pub fn of(s: &Stroke, me: &AuthorKey) -> Self {
        Self {
            id: s.id.to_string(),
            author: Author::of(&s.author, me),
            ts: ms(s.ts),
            points: s.points.clone(),
            color: hex_color(s.color),
            width: s.width,
        }
    }
}

/// A newsletter issue.
#[derive(Clone, Debug, Serialize)]
pub struct IssueView {
    /// Record id.
    pub id: String,
    /// Author (the owner).
    pub author: Author,
    /// Milliseconds since the epoch.
    pub ts: u64,
    /// Title.
    pub title: String,
    /// Body (plain text).
    pub body: String,
    /// For the owner's own issues: how many peers are known to hold it (confirmed by a
    /// completed sync with each); `None` for others' issues.
    pub held_by: Option<usize>,
}

impl IssueView {
    /// Describes a stored issue.
    pub fn of(n: &NewsIssue, me: &AuthorKey) -> Self {
        Self {
            id: n.id.to_string(),
            author: Author::of(&n.author, me),
            ts: ms(n.ts),
            title: n.title.clone(),
            body: n.body.clone(),
            held_by: None,
        }
    }

    /// Adds the holder count for an issue of one's own, given the space's holders and the
    /// time up to which each holds everything.
    pub fn with_holders(mut self, n: &NewsIssue, holders: &[(String, u64)]) -> Self {
        if self.author.me {
            let ts = n.ts.ms();
            self.held_by = Some(holders.iter().filter(|(_, upto)| *upto >= ts).count());
        }
        self
    }
}

/// A stored record, as an event.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RecordView {
    /// A chat message.
    Chat(MessageView),
    /// A stroke.
    Stroke(StrokeView),
    /// An erase of earlier strokes (the UI reloads the board).
    Erase {
        /// Record id.
        id: String,
    },
    /// A newsletter issue.
    News(IssueView),
    /// A member announced itself (the member list changed).
    Member {
        /// Record id.
        id: String,
        /// Who.
        author: Author,
    },
    /// The owner removed members and rotated the key (the member list changed).
    Rotation {
        /// Record id.
        id: String,
    },
}

impl RecordView {
    /// Describes a freshly stored record.
    pub fn of(i: &Inserted, me: &AuthorKey) -> Self {
        let author = Author::of(&i.author, me);
        let (id, ts) = (i.id.to_string(), ms(i.ts));
        match &i.body {
            Body::Chat(c) => RecordView::Chat(MessageView {
                id,
                author,
                ts,
                text: c.text.clone(),
            }),
            Body::Stroke(s) => RecordView::Stroke(StrokeView {
                id,
                author,
                ts,
                points: s.points.clone(),
                color: hex_color(s.color),
                width: s.width,
            }),
            Body::Erase(_) => RecordView::Erase { id },
            Body::Member(_) => RecordView::Member { id, author },
            Body::Rekey(_) => RecordView::Rotation { id },
            Body::News(n) => RecordView::News(IssueView {
                id,
                author,
                ts,
                title: n.title.clone(),
                body: n.body.clone(),
                held_by: None,
            }),
        }
    }
}

/// A node event as the UI receives it on [`crate::EVENT`].
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum UiEvent {
    /// Records were stored in a space.
    Records {
        /// The space.
        space: String,
        /// Written here.
        local: bool,
        /// The records (at most the newest 500 of a batch; more means reload).
        records: Vec<RecordView>,
        /// How many were stored in all.
        count: usize,
    },
    /// A space's key was rotated; `member` is false if this member was the one removed.
    Rotated {
        /// The space.
        space: String,
        /// The new epoch.
        epoch: u32,
        /// Still a member.
        member: bool,
    },
    /// The set of connected peers changed.
    Peers {
        /// Who is connected now.
        peers: Vec<PeerStatus>,
    },
    /// Catch-up progress.
    Sync {
        /// The peer.
        peer: String,
        /// The space.
        space: String,
        /// `reconciling`, `sending`, `receiving`, `done`.
        phase: String,
        /// Done so far.
        done: u64,
        /// Total.
        total: u64,
    },
    /// A listen address.
    Listening {
        /// The address.
        addr: String,
    },
    /// A member's pointer and stroke in progress on a board (never stored).
    Live {
        /// The board.
        space: String,
        /// Who.
        author: Author,
        /// Pointer position, if on the board.
        cursor: Option<(f32, f32)>,
        /// The stroke being drawn, if any.
        stroke: Option<LiveStrokeView>,
    },
    /// A peer was dropped for misbehaving.
    Dropped {
        /// The peer.
        peer: String,
        /// Why.
        reason: String,
    },
}

/// A stroke in progress as the UI draws it.
#[derive(Clone, Debug, Serialize)]
pub struct LiveStrokeView {
    /// Points so far.
    pub points: Vec<(f32, f32)>,
    /// `#rrggbb`.
    pub color: String,
    /// Width.
    pub width: f32,
    /// The eraser rather than the pen.
    pub erasing: bool,
}

/// Most records carried in one event; a bigger batch (a catch-up) tells the UI to reload.
pub const MAX_EVENT_RECORDS: usize = 500;

/// Turns node events into UI events (one per space for record batches).
pub fn ui_events(ev: &NodeEvent, me: &AuthorKey, peers: impl FnOnce() -> Vec<PeerStatus>) -> Vec<UiEvent> {
    match ev {
        NodeEvent::Inserted { records, local } => {
            let mut by_space: Vec<(String, Vec<&Inserted>)> = Vec::new();
            for r in records.iter() {
                let s = r.space.to_string();
                match by_space.iter_mut().find(|(k, _)| *k == s) {
                    Some((_, v)) => v.push(r),
                    None => by_space.push((s, vec![r])),
                }
            }
            by_space
                .into_iter()
                .map(|(space, rs)| {
                    let count = rs.len();
                    let skip = count.saturating_sub(MAX_EVENT_RECORDS);
                    UiEvent::Records {
                        space,
                        local: *local,
                        records: rs[skip..].iter().map(|r| RecordView::of(r, me)).collect(),
                        count,
                    }
                })
                .collect()
        }
        NodeEvent::PeerConnected(_) | NodeEvent::PeerDisconnected(_) => {
            vec![UiEvent::Peers { peers: peers() }]
        }
        NodeEvent::SyncProgress { peer, progress } => vec![UiEvent::Sync {
            peer: peer.clone(),
            space: progress.space.to_string(),
            phase: format!("{:?}", progress.phase).to_lowercase(),
            done: progress.done,
            total: progress.total,
        }],
        NodeEvent::SyncDone { .. } => vec![],
        NodeEvent::Listening(a) => vec![UiEvent::Listening { addr: a.clone() }],
        NodeEvent::Live { space, author, live } => vec![UiEvent::Live {
            space: space.to_string(),
            author: Author::of(author, me),
            cursor: live.cursor,
            stroke: live.stroke.as_ref().map(|s| LiveStrokeView {
                points: s.points.clone(),
                color: hex_color(s.color),
                width: s.width,
                erasing: s.erasing,
            }),
        }],
        NodeEvent::Rotated { space, epoch, member } => vec![UiEvent::Rotated {
            space: space.to_string(),
            epoch: *epoch,
            member: *member,
        }],
        NodeEvent::PeerDropped { peer, reason } => vec![UiEvent::Dropped {
            peer: peer.clone(),
            reason: reason.clone(),
        }],
    }
}
