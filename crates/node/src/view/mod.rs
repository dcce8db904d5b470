//! Every JSON shape Confab shows: the `confab` command's `--json` output, the replies of the
//! local socket and the app's commands and events are these types, serialised. The CLI's
//! fields are the contract in the README; what only the app needs is added beside them (for
//! example `author` is the author's peer id, with `author_short` and `me` next to it).
//! Text from peers travels as data; the UI puts it in text nodes, never HTML.

use confab_core::{AuthorKey, Body, Hlc, Rect, Space};
use confab_store::{Inserted, Member, NewsIssue};
use serde::{Deserialize, Serialize};

use crate::config::SavedSettings;

mod account;
mod archive;
mod board;
mod chat;
mod files;
pub use account::*;
pub use archive::*;
pub use board::*;
pub use chat::*;
pub use files::*;

/// A joined space.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpaceView {
    /// Its id (64 hex digits).
    pub space: String,
    /// `chat`, `board` or `news`.
    pub kind: String,
    /// Its name.
    pub name: String,
    /// This identity owns it (publishes in a newsletter, removes members).
    pub mine: bool,
    /// Notifications off.
    pub muted: bool,
    /// The owner removed this member: it receives nothing written since.
    pub removed: bool,
    /// Messages by others since this member last read the room (at most 1000).
    #[serde(default)]
    pub unread: u32,
    /// Of those, how many mention this member.
    #[serde(default)]
    pub mentions: u32,
}

impl SpaceView {
    /// Describes a space as `me` sees it.
    pub fn of(s: &Space, me: &AuthorKey, muted: bool) -> Self {
        Self {
            space: s.id.to_string(),
            kind: s.kind.as_str().to_string(),
            name: s.name.clone(),
            mine: s.owner == *me,
            muted,
            removed: !s.is_current_member(),
            unread: 0,
            mentions: 0,
        }
    }
}

/// A space just created, with the ticket that invites others.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreatedView {
    /// The space.
    #[serde(flatten)]
    pub space: SpaceView,
    /// Its ticket.
    pub ticket: String,
}

/// A space's ticket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TicketView {
    /// The space's id.
    pub space: String,
    /// The ticket (`CONFAB1…`, or `CONFAB2…` after a rotation).
    pub ticket: String,
}

/// A member of a space.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberView {
    /// Peer id (the person's account).
    pub peer: String,
    /// Peer ids of the person's other devices seen here (linked or restored ones).
    #[serde(default)]
    pub devices: Vec<String>,
    /// Short name.
    pub short: String,
    /// `owner`, `member` or `removed`.
    pub role: String,
    /// This identity.
    pub me: bool,
    /// Records of theirs held here.
    pub records: u64,
    /// Newest of them (ms).
    pub last_ms: Option<u64>,
}

impl MemberView {
    /// Describes a member.
    pub fn of(m: &Member, me: &AuthorKey) -> Self {
        Self {
            peer: m.peer.clone(),
            devices: m.devices.iter().map(|d| d.peer_id()).collect(),
            short: m.author.short(),
            role: m.role.as_str().to_string(),
            me: m.author == *me,
            records: m.records,
            last_ms: m.last_ms,
        }
    }
}

/// A member removed, and the key rotated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RemovedView {
    /// The space.
    pub space: String,
    /// The removed member's peer id.
    pub removed: String,
    /// The space's new epoch.
    pub epoch: u32,
    /// The rotation record's id.
    pub record: String,
}

/// A record written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WrittenView {
    /// Its id.
    pub id: String,
}

/// Many records written in one transaction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WrittenManyView {
    /// How many.
    pub written: usize,
}

/// Who wrote a record and when, as every record view shows it (its fields sit in the view's
/// JSON object itself).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Byline {
    /// The peer id of the device that wrote it.
    pub author: String,
    /// The person: their account's peer id (the same as `author` unless they wrote from a
    /// linked or restored device).
    #[serde(default)]
    pub account: String,
    /// The author's short name.
    pub author_short: String,
    /// Written by this identity.
    pub me: bool,
    /// Milliseconds since the Unix epoch.
    pub ts: u64,
    /// The full hybrid-logical-clock value that orders records.
    pub hlc: u64,
    /// The clock's counter within `ts`'s millisecond: (`ts`, `tick`, `id`) orders records
    /// where `hlc` is too large for a JavaScript number.
    pub tick: u16,
}

impl Byline {
    /// A record by `person` from their `device`, dated `ts`, as `me` (a person) sees it.
    pub fn of(person: &AuthorKey, device: &AuthorKey, ts: Hlc, me: &AuthorKey) -> Self {
        Self {
            author: device.peer_id(),
            account: person.peer_id(),
            author_short: person.short(),
            me: person == me,
            ts: ts.ms(),
            hlc: ts.0,
            tick: ts.counter(),
        }
    }
}

/// A newsletter's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewsSettingsView {
    /// Who may reply: `off`, `owner` or `all`.
    pub replies: String,
}

/// A reader's reply to an issue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplyView {
    /// Record id.
    pub id: String,
    /// Who and when.
    #[serde(flatten)]
    pub by: Byline,
    /// Its text: a reply for all, or one for the owner opened on the owner's devices; null
    /// for a reply sealed to the owner, elsewhere.
    pub text: Option<String>,
    /// Sealed to the owner.
    pub sealed: bool,
}

/// A newsletter draft or scheduled issue, previewed as readers will see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DraftView {
    /// The draft's id.
    pub id: String,
    /// Title.
    pub title: String,
    /// When it is to be published (ms), if scheduled; else when it was last saved.
    pub at: u64,
    /// Scheduled (published by a running device of the owner at `at`).
    pub scheduled: bool,
    /// A scheduled issue's id (what it will be when published).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue: Option<String>,
    /// When it was last saved (ms).
    pub saved_ms: u64,
    /// Body (Markdown).
    pub body: String,
    /// The body as readers will see it (sanitised HTML).
    pub html: String,
    /// Its pictures and attachments.
    pub files: Vec<FileView>,
}

/// A newsletter issue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IssueView {
    /// Record id.
    pub id: String,
    /// Who (the owner) and when.
    #[serde(flatten)]
    pub by: Byline,
    /// Title.
    pub title: String,
    /// Body (Markdown source; images name their blob's id).
    pub body: String,
    /// Its images and attachments.
    #[serde(default)]
    pub files: Vec<FileView>,
    /// The body rendered from Markdown and sanitised (pictures through the blob protocol).
    #[serde(default)]
    pub html: String,
    /// For the owner's own issues: how many peers are known to hold it (confirmed by a
    /// completed sync with each); absent for others' issues.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_by: Option<usize>,
    /// When its newest version was written (ms): `ts` unless it was corrected.
    #[serde(default)]
    pub updated_ms: u64,
    /// How many versions it has (1, and one per correction).
    #[serde(default)]
    pub versions: u32,
}

impl IssueView {
    /// Describes a stored issue; for one's own, how many of `holders` (peer, up to when it
    /// holds everything) hold it.
    pub fn of(n: &NewsIssue, me: &AuthorKey, holders: Option<&[(String, u64)]>) -> Self {
        let by = Byline::of(&n.author, &n.device, n.ts, me);
        let held_by = holders
            .filter(|_| by.me)
            .map(|h| h.iter().filter(|(_, upto)| *upto >= by.ts).count());
        Self {
            id: n.id.to_string(),
            by,
            title: n.title.clone(),
            body: n.body.clone(),
            html: render(&n.body, &n.files),
            files: n.files.iter().map(FileView::of).collect(),
            held_by,
            updated_ms: n.updated.map_or(n.ts.ms(), |(ts, _)| ts.ms()),
            versions: n.versions,
        }
    }
}

/// An issue's Markdown as sanitised HTML, its pictures from its own files.
pub(crate) fn render(md: &str, files: &[confab_core::FileRef]) -> String {
    let blobs: Vec<String> = files
        .iter()
        .map(|f| data_encoding::HEXLOWER.encode(&f.blob))
        .collect();
    crate::markdown::render(md, &blobs)
}

/// A peer known to hold a space's records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolderView {
    /// Its peer id.
    pub peer: String,
    /// It holds every record of the space this node had at this time (ms).
    pub upto_ms: u64,
}

/// A connected peer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerView {
    /// Its peer id.
    pub peer_id: String,
    /// `lan`, `relay` or `direct`.
    pub how: String,
    /// The address of the connection.
    pub addr: String,
}

/// Catch-up in one space: records fetched so far of those found missing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProgressView {
    /// The space.
    pub space: String,
    /// Records fetched so far.
    pub fetched: u64,
    /// Records to fetch.
    pub total: u64,
}

/// The running node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusView {
    /// Peer id.
    pub peer_id: String,
    /// True if a node runs on the data dir.
    pub running: bool,
    /// Addresses it listens on.
    pub listening: Vec<String>,
    /// Connected peers.
    pub peers: usize,
    /// Catch-ups under way, per space.
    pub progress: Vec<ProgressView>,
    /// Whether others can dial this node: `public`, `private` (behind a NAT) or `unknown`.
    pub reachability: String,
    /// Relays this node holds a reservation on.
    pub reservations: Vec<String>,
    /// Addresses others can reach this node at, as confirmed (a port mapped on the router by
    /// UPnP, an address AutoNAT dialled back, relay circuits).
    pub external: Vec<String>,
    /// Its place in the DHT.
    pub dht: DhtView,
    /// Where it announces itself and looks for the members of each space.
    pub rendezvous: Vec<RendezvousView>,
}

/// This node in the DHT.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DhtView {
    /// `off`, `client` (not reachable: asks, does not serve) or `server`.
    pub mode: String,
    /// Peers in its routing table.
    pub peers: usize,
}

/// One space's rendezvous.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RendezvousView {
    /// The space id.
    pub space: String,
    /// When this node last announced itself there (ms since the epoch), if it has.
    pub last_announce_ms: Option<u64>,
    /// Members found there.
    pub found: usize,
}

/// Settings as the Settings view shows them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SettingsView {
    /// What is saved in the data dir.
    pub saved: SavedSettings,
    /// Settings the environment overrides (`CONFAB_*`), which win over saved ones.
    pub from_env: Vec<String>,
}

/// A stored record, as an event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
// Made to be serialised at once and dropped: a box per message would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum RecordView {
    /// A chat message.
    Chat(MessageView),
    /// A stroke.
    Stroke(StrokeView),
    /// An erase of earlier strokes or pictures (the UI reloads the board).
    Erase {
        /// Record id.
        id: String,
    },
    /// A picture placed on a board, where it was placed.
    Picture(PictureView),
    /// A picture moved or resized (the UI reloads the board's pictures: an older move that
    /// arrives late does not win).
    Move {
        /// Record id.
        id: String,
        /// The picture.
        target: String,
        /// Its new place.
        rect: Rect,
    },
    /// A newsletter issue.
    News(IssueView),
    /// A shape placed on a board, as placed (`object`; the shape's own `kind` is inside it).
    Shape {
        /// Record id.
        id: String,
        /// The object.
        object: ObjectView,
    },
    /// A newsletter draft of this person was saved, scheduled, published or thrown away (on
    /// this device or another of theirs).
    Draft {
        /// Record id.
        id: String,
        /// The newsletter.
        news: String,
    },
    /// Properties of the board object `target` changed (the UI fetches it again).
    ObjectChanged {
        /// Record id.
        id: String,
        /// The object.
        target: String,
    },
    /// A member announced itself (the member list changed).
    Member {
        /// Record id.
        id: String,
        /// Who (peer id).
        author: String,
    },
    /// The owner removed members and rotated the key (the member list changed).
    Rotation {
        /// Record id.
        id: String,
    },
    /// Another device of this person joined a space or changed its settings (the space list
    /// changed).
    Joined {
        /// Record id.
        id: String,
        /// The space's name.
        name: String,
    },
    /// A person's account revoked one of their devices (the member list changed).
    Revoked {
        /// Record id.
        id: String,
        /// The person (peer id of the account).
        account: String,
        /// The device revoked.
        device: String,
        /// From when (ms).
        at_ms: u64,
    },
    /// A reaction, edit or delete of message `target` (the UI fetches it again).
    Changed {
        /// Record id.
        id: String,
        /// The message it changes.
        target: String,
    },
    /// Someone's name or colour changed.
    Profile {
        /// Record id.
        id: String,
        /// Whose (peer id).
        author: String,
    },
}

impl RecordView {
    /// Describes a freshly stored record.
    pub fn of(i: &Inserted, me: &AuthorKey, names: &Names) -> Self {
        let id = i.id.to_string();
        let by = || Byline::of(&i.person, &i.author, i.ts, me);
        match &i.body {
            Body::Chat(c) => RecordView::Chat(MessageView::fresh(i, c, me, names)),
            Body::Reaction(_) | Body::Edit(_) | Body::Delete(_) => RecordView::Changed {
                id,
                target: i.refs.first().map(|r| r.to_string()).unwrap_or_default(),
            },
            Body::Profile(_) => RecordView::Profile {
                id,
                author: i.person.peer_id(),
            },
            Body::Stroke(s) => RecordView::Stroke(StrokeView {
                id,
                by: by(),
                points: s.points.clone(),
                color: s.color.to_string(),
                width: s.width,
            }),
            Body::Erase(_) => RecordView::Erase { id },
            Body::Picture(p) => RecordView::Picture(PictureView {
                id,
                by: by(),
                file: FileView::of(&p.file),
                rect: p.rect,
                moved_by: None,
            }),
            Body::Move(m) => RecordView::Move {
                id,
                target: i.refs.first().map(|r| r.to_string()).unwrap_or_default(),
                rect: m.rect,
            },
            Body::Member(_) => RecordView::Member {
                id,
                author: i.person.peer_id(),
            },
            Body::Rekey(_) => RecordView::Rotation { id },
            Body::Joined(e) => RecordView::Joined {
                id,
                name: e.name.clone(),
            },
            Body::Revoke(r) => RecordView::Revoked {
                id,
                account: r.account.peer_id(),
                device: r.device.peer_id(),
                at_ms: r.at_ms,
            },
            Body::Shape(sh) => {
                let mut board = confab_core::Board::new();
                let stamp = confab_core::Stamp {
                    id: i.id,
                    ts: i.ts,
                    person: i.person,
                    device: i.author,
                };
                board.apply(stamp, &i.refs, &Body::Shape(sh.clone()));
                match board.get(&i.id) {
                    Some(o) => RecordView::Shape {
                        id: id.clone(),
                        object: ObjectView::of(&o, me),
                    },
                    None => RecordView::ObjectChanged {
                        target: id.clone(),
                        id,
                    },
                }
            }
            Body::Reply(_) => RecordView::Changed {
                id,
                target: i.refs.first().map(|r| r.to_string()).unwrap_or_default(),
            },
            Body::NewsSettings(_) => RecordView::Changed {
                target: id.clone(),
                id,
            },
            Body::Draft(d) => RecordView::Draft {
                id,
                news: confab_core::SpaceId(d.space).to_string(),
            },
            Body::Correction(_) => RecordView::Changed {
                id,
                target: i.refs.first().map(|r| r.to_string()).unwrap_or_default(),
            },
            Body::Change(_) => RecordView::ObjectChanged {
                id,
                target: i.refs.first().map(|r| r.to_string()).unwrap_or_default(),
            },
            Body::News(n) => RecordView::News(IssueView {
                id,
                by: by(),
                title: n.title.clone(),
                body: n.body.clone(),
                html: render(&n.body, &n.files),
                files: n.files.iter().map(FileView::of).collect(),
                held_by: None,
                updated_ms: i.ts.ms(),
                versions: 1,
            }),
        }
    }
}

/// Something the node did, as the app receives it (`confab://event`) and `confab run` prints
/// it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventView {
    /// Records were stored in a space.
    Records {
        /// The space.
        space: String,
        /// Written here.
        local: bool,
        /// The records (at most the newest [`MAX_EVENT_RECORDS`] of a batch).
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
    /// Reachability, relay reservations or the DHT changed: the status has news.
    Network,
    /// The set of connected peers changed.
    Peers {
        /// Who is connected now.
        peers: Vec<PeerView>,
    },
    /// A file's download moved on.
    FileProgress {
        /// The space whose record names it.
        space: String,
        /// The blob.
        blob: String,
        /// Bytes here, verified.
        have: u64,
        /// Its size.
        size: u64,
        /// Bytes that were here already when the download began.
        resumed: u64,
        /// Bytes fetched since it began.
        fetched: u64,
    },
    /// A file is here, whole and verified.
    FileHeld {
        /// The space whose record names it.
        space: String,
        /// The blob.
        blob: String,
    },
    /// Catch-up progress with a peer in a space.
    Sync {
        /// The peer.
        peer: String,
        /// The space.
        space: String,
        /// `reconciling`, `sending`, `receiving`, `done`.
        phase: String,
        /// Done so far in this phase.
        done: u64,
        /// To do in this phase.
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
        /// Who (peer id).
        author: String,
        /// Their short name.
        author_short: String,
        /// What they are doing.
        #[serde(flatten)]
        live: LiveView,
    },
    /// A member is typing in a chat room (never stored).
    Typing {
        /// The room.
        space: String,
        /// Who (peer id).
        author: String,
        /// What to show for them.
        label: String,
    },
    /// A new device asks to be linked with a ticket made here: approve it with the ticket's
    /// code.
    LinkAsked {
        /// Its peer id.
        device: String,
        /// The code of the ticket it asked with (the new device shows the same).
        code: String,
    },
    /// A peer was dropped for misbehaving.
    Dropped {
        /// The peer.
        peer: String,
        /// Why.
        reason: String,
    },
}

/// Most records carried in one event; a bigger batch (a catch-up) carries its newest ones and
/// its count, and the UI reloads.
pub const MAX_EVENT_RECORDS: usize = 500;
