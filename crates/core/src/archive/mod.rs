//! The export of a space: a directory people can read and anyone can check offline. Defined
//! once here, sans IO; the node writes it, `confab verify` reads it.
//!
//! An archive holds no space key (so it cannot serve as an invitation) and these files:
//!
//! - `manifest.json` ([`Manifest`]): the format and version, the space (id, kind, name, owner),
//!   its key rotations without their keys (start, removed members, kept records), who exported
//!   it and when, and every other file with its size and BLAKE3 hash.
//! - `manifest.sig`: the exporter's Ed25519 signature of `"confab/archive/v1\n" ||
//!   manifest.json`, as 128 hex digits. The exporter is a member; its signature vouches for
//!   the readable files, which nobody without the key could check against the records.
//! - `records.jsonl`: one [`SignedEntry`] per line, each record's exact signed bytes in base64
//!   beside its id, kind, author, timestamp and refs written out. The same entries, one per
//!   issue, sit in a newsletter's Atom feed ([`feed_element`], [`feed_entries`]).
//! - `content.json` ([`Content`]): each record as the exporter decrypted it ([`Readable`]),
//!   in the same order, with the same id, kind, author, timestamp and refs.
//! - For reading: `index.html` always, `board.svg` for a board, `feed.xml` and
//!   `issues/*.html` for a newsletter.
//!
//! What `verify` can prove without the key: every record's signature, that each belongs to
//! the space, and every rule of the space that reads only the signed header ([`SpaceRules`]):
//! kinds the space accepts, the owner alone publishing issues and rotating the key, removed
//! members' records, refs; that the readable entries name exactly the signed records; that no
//! file was changed, added or removed since the exporter signed the manifest. What it cannot:
//! that a body says what the readable entry says (the body is sealed with the key), and that
//! the space id belongs to the kind and owner the manifest names (the id is derived from them
//! with the key). A member holding the space's ticket can check both ([`verify_with_key`]).

mod feed;
mod verify;

use std::collections::BTreeMap;

use ed25519_dalek::{Signer, SigningKey};
use serde::{Deserialize, Serialize};

use crate::body::{Body, Rect};
use crate::files::FileRef;
use crate::ids::{AuthorKey, RecordId};
use crate::record::{Record, RecordKind};
use crate::space::{Epoch, Space};

pub use crate::rules::SpaceRules;
pub use feed::{verify_feed, FeedReport};
pub use verify::{verify, verify_with_key, ArchiveError, AuthorCount, Report, MAX_PROBLEMS};

/// What `format` says in every manifest.
pub const FORMAT: &str = "confab-archive";
/// The archive version this build writes and reads.
pub const ARCHIVE_VERSION: u32 = 1;
/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";
/// The file holding the exporter's signature of the manifest.
pub const SIGNATURE: &str = "manifest.sig";
/// The signed entries, one JSON object a line.
pub const RECORDS: &str = "records.jsonl";
/// The readable entries.
pub const CONTENT: &str = "content.json";
/// The readable page every archive has.
pub const INDEX: &str = "index.html";
/// A board's drawing.
pub const BOARD_SVG: &str = "board.svg";
/// A newsletter's Atom feed.
pub const FEED: &str = "feed.xml";
/// The folder of a newsletter's issue pages.
pub const ISSUES_DIR: &str = "issues";
/// The XML namespace of the signed entries in a feed.
pub const FEED_NS: &str = "urn:confab:archive:1";

const SIGN_DOMAIN: &[u8] = b"confab/archive/v1\n";

/// The lower-case name of a record kind in an archive.
pub fn kind_name(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::ChatMessage => "chat_message",
        RecordKind::Stroke => "stroke",
        RecordKind::Erase => "erase",
        RecordKind::NewsIssue => "news_issue",
        RecordKind::Member => "member",
        RecordKind::Rekey => "rekey",
        RecordKind::Profile => "profile",
        RecordKind::Reaction => "reaction",
        RecordKind::Edit => "edit",
        RecordKind::Delete => "delete",
        RecordKind::Picture => "picture",
        RecordKind::Move => "move",
        RecordKind::Revoke => "revoke",
        RecordKind::Joined => "joined",
        RecordKind::Shape => "shape",
        RecordKind::Change => "change",
        RecordKind::Correction => "correction",
        RecordKind::Draft => "draft",
        RecordKind::Reply => "reply",
        RecordKind::NewsSettings => "news_settings",
    }
}

fn hex(b: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(b)
}

/// What the archive is and holds. Every file but this one and its signature is listed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`ARCHIVE_VERSION`].
    pub version: u32,
    /// The space id (64 hex digits).
    pub space: String,
    /// `chat`, `board` or `news`.
    pub kind: String,
    /// The space's name.
    pub name: String,
    /// The owner's peer id.
    pub owner: String,
    /// The key rotations, oldest first, without their keys.
    pub epochs: Vec<EpochEntry>,
    /// The exporter's peer id: its signature is `manifest.sig`.
    pub exporter: String,
    /// When it was exported (ms since the Unix epoch).
    pub exported_ms: u64,
    /// How many records `records.jsonl` holds.
    pub records: usize,
    /// Every other file, sorted by path.
    pub files: Vec<FileEntry>,
}

/// One key rotation as the rules need it: no key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpochEntry {
    /// 1 for the first rotation.
    pub n: u32,
    /// The rotation record's timestamp (HLC).
    pub since: u64,
    /// The members it removed (peer ids).
    pub removed: Vec<String>,
    /// The removed members' records the owner kept (32 hex digits each: id prefixes); absent
    /// when the rotation listed none (the date rule alone applies).
    pub kept: Option<Vec<String>>,
}

impl EpochEntry {
    /// Describes an epoch.
    pub fn of(e: &Epoch) -> Self {
        Self {
            n: e.n,
            since: e.since,
            removed: e.removed.iter().map(|a| a.peer_id()).collect(),
            kept: e.kept.as_ref().map(|k| k.iter().map(|p| hex(p)).collect()),
        }
    }

    /// The epoch as the rules read it (no key), or what is wrong with it.
    pub fn to_epoch(&self) -> Result<Epoch, String> {
        let removed = self
            .removed
            .iter()
            .map(|p| AuthorKey::from_peer_id(p).ok_or_else(|| format!("{p:?} is not a peer id")))
            .collect::<Result<_, _>>()?;
        let kept = match &self.kept {
            None => None,
            Some(k) => {
                let mut v = k
                    .iter()
                    .map(|h| {
                        data_encoding::HEXLOWER
                            .decode(h.as_bytes())
                            .ok()
                            .and_then(|b| <[u8; 16]>::try_from(b).ok())
                            .ok_or_else(|| format!("{h:?} is not 32 hex digits"))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                v.sort_unstable();
                Some(v)
            }
        };
        Ok(Epoch {
            n: self.n,
            since: self.since,
            key: None,
            removed,
            kept,
        })
    }
}

/// A file of the archive and what it held when exported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Relative, `/`-separated.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// BLAKE3 of its bytes (64 hex digits).
    pub blake3: String,
}

impl FileEntry {
    /// Describes a file's bytes.
    pub fn of(path: &str, bytes: &[u8]) -> Self {
        Self {
            path: path.to_string(),
            size: bytes.len() as u64,
            blake3: blake3::hash(bytes).to_hex().to_string(),
        }
    }
}

/// Whether a path may name a file of an archive: relative, `/`-separated, of names made of
/// letters, digits, `.`, `-` and `_`, none of them `.` or `..` or hidden.
pub fn safe_path(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= 255
        && path.split('/').all(|part| {
            !part.is_empty()
                && !part.starts_with('.')
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
        })
}

/// The manifest's bytes and their signature (`manifest.sig`'s text) by the exporter.
pub fn sign_manifest(manifest: &Manifest, key: &SigningKey) -> (Vec<u8>, String) {
    let mut bytes = serde_json::to_vec_pretty(manifest).expect("a manifest serialises");
    bytes.push(b'\n');
    let sig = key.sign(&signing_message(&bytes));
    (bytes, format!("{}\n", hex(&sig.to_bytes())))
}

fn signing_message(manifest: &[u8]) -> Vec<u8> {
    [SIGN_DOMAIN, manifest].concat()
}

/// `records.jsonl` for these records: one signed entry a line.
pub fn records_file<'a>(records: impl IntoIterator<Item = &'a Record>) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        out.extend_from_slice(SignedEntry::of(r).to_line().as_bytes());
        out.push(b'\n');
    }
    out
}

/// Completes an archive of `space` whose other files are `files` (`records` records in
/// `records.jsonl`): adds the manifest that lists them and the exporter's signature of it.
/// The space's keys stay out: the manifest carries its epochs without them.
pub fn finish(
    space: &Space,
    records: usize,
    mut files: BTreeMap<String, Vec<u8>>,
    exporter: &SigningKey,
    exported_ms: u64,
) -> BTreeMap<String, Vec<u8>> {
    files.remove(MANIFEST);
    files.remove(SIGNATURE);
    let manifest = Manifest {
        format: FORMAT.into(),
        version: ARCHIVE_VERSION,
        space: space.id.to_string(),
        kind: space.kind.as_str().into(),
        name: space.name.clone(),
        owner: space.owner.peer_id(),
        epochs: space.epochs.iter().map(EpochEntry::of).collect(),
        exporter: AuthorKey(exporter.verifying_key().to_bytes()).peer_id(),
        exported_ms,
        records,
        files: files.iter().map(|(p, b)| FileEntry::of(p, b)).collect(),
    };
    let (bytes, sig) = sign_manifest(&manifest, exporter);
    files.insert(MANIFEST.into(), bytes);
    files.insert(SIGNATURE.into(), sig.into_bytes());
    files
}

/// A record as an archive keeps it: its exact signed bytes (base64) and, written out for
/// people and tools, what they say. The written-out fields are checked against the bytes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedEntry {
    /// The record id (64 hex digits).
    pub id: String,
    /// Its kind ([`kind_name`]).
    pub kind: String,
    /// The peer id of the device that signed it.
    pub author: String,
    /// The person: their account's peer id (the author's own for a version 1 record).
    pub account: String,
    /// Its timestamp (HLC: milliseconds << 16 | counter).
    pub ts: u64,
    /// The records it names (ids).
    pub refs: Vec<String>,
    /// The signed encoding, base64 (RFC 4648, padded).
    pub record: String,
}

impl SignedEntry {
    /// The entry of a record.
    pub fn of(rec: &Record) -> Self {
        Self {
            id: rec.id.to_string(),
            kind: kind_name(rec.kind).into(),
            author: rec.author.peer_id(),
            account: rec.person().peer_id(),
            ts: rec.ts.0,
            refs: rec.refs.iter().map(RecordId::to_string).collect(),
            record: data_encoding::BASE64.encode(rec.encoded()),
        }
    }

    /// One line of `records.jsonl` (without its newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("an entry serialises")
    }
}

/// The `<confab:signed>` element that carries a signed entry in an Atom feed entry.
pub fn feed_element(entry: &SignedEntry) -> String {
    format!("<confab:signed>{}</confab:signed>", escape(&entry.to_line()))
}

/// The signed entries of a feed's `<confab:signed>` elements, in order.
pub fn feed_entries(xml: &str) -> Result<Vec<SignedEntry>, String> {
    const OPEN: &str = "<confab:signed>";
    const CLOSE: &str = "</confab:signed>";
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(at) = rest.find(OPEN) {
        rest = &rest[at + OPEN.len()..];
        let end = rest
            .find(CLOSE)
            .ok_or_else(|| format!("a {OPEN} element is not closed"))?;
        let json = unescape(&rest[..end])?;
        out.push(serde_json::from_str(&json).map_err(|e| format!("a signed entry does not parse: {e}"))?);
        rest = &rest[end + CLOSE.len()..];
    }
    Ok(out)
}

/// Text made safe for HTML and XML, in content and in quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The inverse of [`escape`]; any other entity is refused.
fn unescape(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let (c, len) = [
            ("&amp;", '&'),
            ("&lt;", '<'),
            ("&gt;", '>'),
            ("&quot;", '"'),
            ("&#39;", '\''),
        ]
        .iter()
        .find(|(e, _)| rest.starts_with(e))
        .map(|(e, c)| (*c, e.len()))
        .ok_or_else(|| "an unknown character entity in a signed entry".to_string())?;
        out.push(c);
        rest = &rest[len..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A date as RFC 3339 in UTC with milliseconds (`2026-12-05T09:30:00.250Z`).
pub fn rfc3339(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

/// Every record as the exporter decrypted it: `content.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Content {
    /// The space id.
    pub space: String,
    /// `chat`, `board` or `news`.
    pub kind: String,
    /// The space's name.
    pub name: String,
    /// One per record of `records.jsonl`, in the same order.
    pub entries: Vec<ContentEntry>,
}

/// One record, readable.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentEntry {
    /// The record id.
    pub id: String,
    /// Its kind.
    pub kind: String,
    /// The peer id of the device that signed it.
    pub author: String,
    /// The person: their account's peer id.
    pub account: String,
    /// Its timestamp (HLC).
    pub ts: u64,
    /// The same instant as RFC 3339 (UTC).
    pub time: String,
    /// The records it names.
    pub refs: Vec<String>,
    /// What the body says.
    pub body: Readable,
}

impl ContentEntry {
    /// The readable entry of a record and its decrypted body.
    pub fn of(rec: &Record, body: &Body) -> Self {
        Self {
            id: rec.id.to_string(),
            kind: kind_name(rec.kind).into(),
            author: rec.author.peer_id(),
            account: rec.person().peer_id(),
            ts: rec.ts.0,
            time: rfc3339(rec.ts.ms()),
            refs: rec.refs.iter().map(RecordId::to_string).collect(),
            body: Readable::of(body),
        }
    }
}

/// A decrypted body, readable. Files are described, never given their keys.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Readable {
    /// A chat message (its one ref, if any, is the message it answers).
    ChatMessage {
        /// Its text.
        text: String,
        /// Members it mentions (peer ids).
        mentions: Vec<String>,
        /// Attached files.
        files: Vec<FileInfo>,
    },
    /// A stroke on a board.
    Stroke {
        /// Its points.
        points: Vec<(f32, f32)>,
        /// `#rrggbb`.
        color: String,
        /// Its width in board units.
        width: f32,
    },
    /// Takes the strokes and pictures it refs off the board.
    Erase {},
    /// A newsletter issue.
    NewsIssue {
        /// Its title.
        title: String,
        /// Its Markdown (pictures are named by their blob's id).
        markdown: String,
        /// Its pictures and attachments.
        files: Vec<FileInfo>,
    },
    /// A member announcing itself.
    Member {},
    /// A key rotation (its key boxes left out).
    Rekey {
        /// The epoch it starts.
        epoch: u32,
        /// Whom it removed (peer ids).
        removed: Vec<String>,
        /// How many of their records the owner kept, if it listed them.
        kept: Option<usize>,
    },
    /// A person's name, colour and picture.
    Profile {
        /// Display name.
        name: String,
        /// `#rrggbb`.
        color: String,
        /// Their picture.
        picture: Option<FileInfo>,
    },
    /// A reaction to the message it refs.
    Reaction {
        /// The emoji.
        emoji: String,
        /// Added (true) or taken back.
        on: bool,
    },
    /// A new text for the message it refs.
    Edit {
        /// The text.
        text: String,
        /// Members it mentions.
        mentions: Vec<String>,
    },
    /// Deletes the message it refs for everyone.
    Delete {
        /// The deleted message's timestamp.
        target_ts: u64,
    },
    /// A picture placed on a board.
    Picture {
        /// The picture.
        file: FileInfo,
        /// Where it was placed.
        rect: Rect,
    },
    /// The picture it refs, moved or resized.
    Move {
        /// Its new place.
        rect: Rect,
    },
    /// A space the person is in (in their own space; its keys are not written out).
    Joined {
        /// The space's kind.
        space_kind: String,
        /// Its name.
        name: String,
        /// Muted.
        muted: bool,
    },
    /// A new version of the newsletter issue it refs.
    Correction {
        /// Its title.
        title: String,
        /// Its Markdown.
        markdown: String,
        /// Its pictures and attachments.
        files: Vec<FileInfo>,
    },
    /// A reader's reply to the issue it refs: its text, or none if sealed to the owner.
    Reply {
        /// The text of a reply for all readers.
        text: Option<String>,
        /// Sealed to the owner (its text is not in the archive).
        sealed: bool,
    },
    /// A newsletter's settings.
    NewsSettings {
        /// `off`, `owner` or `all`.
        replies: String,
    },
    /// A newsletter draft (in the owner's own space, which is never exported).
    Draft {
        /// Its title.
        title: String,
    },
    /// A shape placed on a board.
    Shape {
        /// `rect`, `ellipse`, `line`, `arrow`, `text` or `note`.
        shape: String,
        /// Its top-left corner (a line's start).
        pos: (f32, f32),
        /// Its size (a line's end minus its start).
        size: (f32, f32),
        /// Its text.
        text: String,
        /// `#rrggbb`.
        color: String,
        /// `#rrggbb`, if filled.
        fill: Option<String>,
        /// Line width.
        width: f32,
        /// Font size.
        font: f32,
    },
    /// Properties of the board object it refs, changed.
    Change {
        /// The new values.
        props: Vec<crate::shape::Prop>,
    },
    /// A person's account revoked one of their devices.
    Revoke {
        /// The device (peer id).
        device: String,
        /// From when (ms): what it signs from then on does not count.
        at_ms: u64,
    },
}

fn peers(keys: &[[u8; 32]]) -> Vec<String> {
    keys.iter().map(|k| AuthorKey(*k).peer_id()).collect()
}

impl Readable {
    /// A body, readable.
    pub fn of(body: &Body) -> Self {
        let files = |f: &[FileRef]| f.iter().map(FileInfo::of).collect();
        match body {
            Body::Chat(c) => Readable::ChatMessage {
                text: c.text.clone(),
                mentions: peers(&c.mentions),
                files: files(&c.files),
            },
            Body::Stroke(s) => Readable::Stroke {
                points: s.points.clone(),
                color: s.color.to_string(),
                width: s.width,
            },
            Body::Erase(_) => Readable::Erase {},
            Body::News(n) => Readable::NewsIssue {
                title: n.title.clone(),
                markdown: n.body.clone(),
                files: files(&n.files),
            },
            Body::Member(_) => Readable::Member {},
            Body::Rekey(r) => Readable::Rekey {
                epoch: r.epoch,
                removed: peers(&r.removed),
                kept: r.kept.as_ref().map(Vec::len),
            },
            Body::Profile(p) => Readable::Profile {
                name: p.name.clone(),
                color: p.color.to_string(),
                picture: p.picture.as_ref().map(FileInfo::of),
            },
            Body::Reaction(r) => Readable::Reaction {
                emoji: r.emoji.clone(),
                on: r.on,
            },
            Body::Edit(e) => Readable::Edit {
                text: e.text.clone(),
                mentions: peers(&e.mentions),
            },
            Body::Delete(d) => Readable::Delete {
                target_ts: d.target_ts,
            },
            Body::Picture(p) => Readable::Picture {
                file: FileInfo::of(&p.file),
                rect: p.rect,
            },
            Body::Move(m) => Readable::Move { rect: m.rect },
            Body::Joined(e) => Readable::Joined {
                space_kind: crate::space::SpaceKind::from_code(e.kind)
                    .map_or_else(|| e.kind.to_string(), |k| k.as_str().to_string()),
                name: e.name.clone(),
                muted: e.muted,
            },
            Body::Revoke(r) => Readable::Revoke {
                device: r.device.peer_id(),
                at_ms: r.at_ms,
            },
            Body::Shape(s) => Readable::Shape {
                shape: s.kind.as_str().into(),
                pos: s.pos,
                size: s.size,
                text: s.text.clone(),
                color: s.color.to_string(),
                fill: s.fill.map(|c| c.to_string()),
                width: s.width,
                font: s.font,
            },
            Body::Change(c) => Readable::Change {
                props: c.props.clone(),
            },
            Body::Reply(r) => match r {
                crate::reply::ReplyBody::Open(t) => Readable::Reply {
                    text: Some(t.clone()),
                    sealed: false,
                },
                crate::reply::ReplyBody::Sealed(_) => Readable::Reply {
                    text: None,
                    sealed: true,
                },
            },
            Body::NewsSettings(n) => Readable::NewsSettings {
                replies: n.replies.as_str().into(),
            },
            Body::Draft(d) => Readable::Draft {
                title: d.title.clone(),
            },
            Body::Correction(n) => Readable::Correction {
                title: n.title.clone(),
                markdown: n.body.clone(),
                files: files(&n.files),
            },
        }
    }

    /// The record kind it is the body of.
    pub fn kind(&self) -> RecordKind {
        match self {
            Readable::ChatMessage { .. } => RecordKind::ChatMessage,
            Readable::Stroke { .. } => RecordKind::Stroke,
            Readable::Erase {} => RecordKind::Erase,
            Readable::NewsIssue { .. } => RecordKind::NewsIssue,
            Readable::Member {} => RecordKind::Member,
            Readable::Rekey { .. } => RecordKind::Rekey,
            Readable::Profile { .. } => RecordKind::Profile,
            Readable::Reaction { .. } => RecordKind::Reaction,
            Readable::Edit { .. } => RecordKind::Edit,
            Readable::Delete { .. } => RecordKind::Delete,
            Readable::Picture { .. } => RecordKind::Picture,
            Readable::Move { .. } => RecordKind::Move,
            Readable::Revoke { .. } => RecordKind::Revoke,
            Readable::Joined { .. } => RecordKind::Joined,
            Readable::Shape { .. } => RecordKind::Shape,
            Readable::Change { .. } => RecordKind::Change,
            Readable::Correction { .. } => RecordKind::Correction,
            Readable::Draft { .. } => RecordKind::Draft,
            Readable::Reply { .. } => RecordKind::Reply,
            Readable::NewsSettings { .. } => RecordKind::NewsSettings,
        }
    }
}

/// A file a record carries, described: which blob, its name, size and type, and the
/// sender's preview of a picture. Never its key: the archive opens no blob.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileInfo {
    /// The blob's id (64 hex digits).
    pub blob: String,
    /// Its name as the sender gave it.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its media type.
    pub mime: String,
    /// The sender's preview of a picture, as a `data:` URL (PNG or JPEG), and the picture's
    /// size in pixels.
    pub preview: Option<Preview>,
}

/// A picture's preview.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preview {
    /// The whole picture's width in pixels.
    pub width: u32,
    /// Its height.
    pub height: u32,
    /// `data:image/png;base64,…` or `data:image/jpeg;base64,…`.
    pub url: String,
}

impl FileInfo {
    /// Describes a file, without its key.
    pub fn of(f: &FileRef) -> Self {
        let preview = f.thumb.as_ref().and_then(|t| {
            let mime = if t.bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
                "image/png"
            } else if t.bytes.starts_with(&[0xff, 0xd8, 0xff]) {
                "image/jpeg"
            } else {
                return None;
            };
            Some(Preview {
                width: t.width,
                height: t.height,
                url: format!("data:{mime};base64,{}", data_encoding::BASE64.encode(&t.bytes)),
            })
        });
        Self {
            blob: hex(&f.blob),
            name: f.name.clone(),
            size: f.size,
            mime: f.mime.clone(),
            preview,
        }
    }
}

/// The newest name and colour each person gave in a space, from its profile entries (newest
/// by timestamp wins, as in the app).
pub fn names(entries: &[ContentEntry]) -> BTreeMap<String, (String, String)> {
    let mut best: BTreeMap<String, (u64, String, String)> = BTreeMap::new();
    for e in entries {
        if let Readable::Profile { name, color, .. } = &e.body {
            let newer = best.get(&e.account).is_none_or(|(ts, _, _)| e.ts > *ts);
            if newer {
                best.insert(e.account.clone(), (e.ts, name.clone(), color.clone()));
            }
        }
    }
    best.into_iter().map(|(a, (_, n, c))| (a, (n, c))).collect()
}

#[cfg(test)]
mod tests;
