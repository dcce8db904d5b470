//! Boards as the views show them: strokes, pictures where they sit now, and what members draw
//! live.

use confab_core::{AuthorKey, Live, Rect};
use confab_store::{Picture, Stroke};
use serde::{Deserialize, Serialize};

use super::{Byline, FileView};

/// A stroke on a board.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StrokeView {
    /// Record id.
    pub id: String,
    /// Who and when.
    #[serde(flatten)]
    pub by: Byline,
    /// Points.
    pub points: Vec<(f32, f32)>,
    /// `#rrggbb`.
    pub color: String,
    /// Width.
    pub width: f32,
}

impl StrokeView {
    /// Describes a stored stroke.
    pub fn of(s: &Stroke, me: &AuthorKey) -> Self {
        Self {
            id: s.id.to_string(),
            by: Byline::of(&s.author, &s.device, s.ts, me),
            points: s.points.clone(),
            color: s.color.to_string(),
            width: s.width,
        }
    }
}

/// A picture on a board, where it sits now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PictureView {
    /// The picture's record id.
    pub id: String,
    /// Who placed it and when.
    #[serde(flatten)]
    pub by: Byline,
    /// The file: `blob`, `name`, `size`, `mime`, `held`, `dims` (the picture's pixels).
    #[serde(flatten)]
    pub file: FileView,
    /// Where it sits now, in board units: `x`, `y` (top-left corner), `w`, `h`.
    pub rect: Rect,
    /// Who moved or resized it last (peer id); absent if it sits where it was placed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_by: Option<String>,
}

impl PictureView {
    /// Describes a picture on a board (`held` is filled in by whoever can look at the blobs).
    pub fn of(p: &Picture, me: &AuthorKey) -> Self {
        Self {
            id: p.id.to_string(),
            by: Byline::of(&p.author, &p.device, p.ts, me),
            file: FileView::of(&p.file),
            rect: p.rect,
            moved_by: p.moved.as_ref().map(|(who, _)| who.peer_id()),
        }
    }
}

/// A stroke in progress, as the UI draws it (and sends it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LiveStrokeView {
    /// Points so far.
    pub points: Vec<(f32, f32)>,
    /// `#rrggbb`.
    pub color: String,
    /// Width.
    pub width: f32,
    /// The eraser rather than the pen.
    #[serde(default)]
    pub erasing: bool,
}

/// A member's pointer and stroke in progress on a board.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LiveView {
    /// Pointer position, if on the board.
    pub cursor: Option<(f32, f32)>,
    /// The stroke being drawn, if any.
    pub stroke: Option<LiveStrokeView>,
    /// The part of the board they see (left, top, width, height), if they said.
    #[serde(default)]
    pub view: Option<(f32, f32, f32, f32)>,
    /// The objects they have selected (ids).
    #[serde(default)]
    pub selection: Vec<String>,
}

impl LiveView {
    /// Describes a live frame.
    pub fn of(live: &Live) -> Self {
        Self {
            cursor: live.cursor,
            stroke: live.stroke.as_ref().map(|s| LiveStrokeView {
                points: s.points.clone(),
                color: s.color.to_string(),
                width: s.width,
                erasing: s.erasing,
            }),
            view: live.view,
            selection: live
                .selection
                .iter()
                .map(|id| confab_core::RecordId(*id).to_string())
                .collect(),
        }
    }
}

/// An object on a board as it is now (or was, for a view of the past): a shape, a stroke or
/// a picture, with every property and who placed and last changed it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ObjectView {
    /// The id of the record that placed it.
    pub id: String,
    /// `rect`, `ellipse`, `line`, `arrow`, `text`, `note`, `stroke` or `picture`.
    pub kind: String,
    /// Left edge (a line's start).
    pub x: f32,
    /// Top edge (a line's start).
    pub y: f32,
    /// Width (a line's end minus its start).
    pub w: f32,
    /// Height (a line's end minus its start).
    pub h: f32,
    /// Its text (empty when it has none).
    pub text: String,
    /// Outline, line or text colour, `#rrggbb`.
    pub color: String,
    /// Fill colour, `#rrggbb`, or null.
    pub fill: Option<String>,
    /// Line width.
    pub width: f32,
    /// Font size.
    pub font: f32,
    /// Stacking order: higher in front.
    pub z: f64,
    /// Who placed it and when (`author` is the device, `account` the person, `ts` ms).
    #[serde(flatten)]
    pub by: Byline,
    /// When it was last placed or changed (ms).
    pub updated_ms: u64,
    /// Who last changed it (the person's peer id).
    pub updated_by: String,
    /// Deleted and not restored (only listed when deleted objects are asked for).
    pub deleted: bool,
    /// A stroke's points where the stroke is now.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub points: Vec<(f32, f32)>,
    /// A picture's file: `blob`, `name`, `size`, `mime`, `held`, `dims`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<FileView>,
}

impl ObjectView {
    /// Describes a merged board object (`held` of a picture's file is filled in by whoever
    /// can look at the blobs).
    pub fn of(o: &confab_core::Object, me: &AuthorKey) -> Self {
        Self::with_names(o, me, &mut PeerNames::default())
    }

    /// [`ObjectView::of`] for many objects: each key's peer id is written out once (a board
    /// of 10,000 objects has a few authors, and base58 is most of the cost).
    pub fn with_names(o: &confab_core::Object, me: &AuthorKey, names: &mut PeerNames) -> Self {
        let (kind, file) = match &o.content {
            confab_core::Content::Picture(f) => ("picture".to_string(), Some(FileView::of(f))),
            c => (c.kind_str().to_string(), None),
        };
        Self {
            id: o.id.to_string(),
            kind,
            x: o.pos.0,
            y: o.pos.1,
            w: o.size.0,
            h: o.size.1,
            text: o.text.clone(),
            color: o.color.to_string(),
            fill: o.fill.map(|c| c.to_string()),
            width: o.width,
            font: o.font,
            z: o.z,
            by: Byline {
                author: names.peer(&o.device),
                account: names.peer(&o.author),
                author_short: names.short(&o.author),
                me: o.author == *me,
                ts: o.created.ms(),
                hlc: o.created.0,
                tick: o.created.counter(),
            },
            updated_ms: o.updated.0.ms(),
            updated_by: names.peer(&o.updated.1),
            deleted: o.deleted,
            points: o.points(),
            file,
        }
    }
}

/// Changes to one board object, as the app and `confab board set` give them: each field
/// given is set, the others are left as they are.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectEdit {
    /// The object's id or a unique prefix of it.
    pub object: String,
    /// New top-left corner (a line's start).
    #[serde(default)]
    pub pos: Option<(f32, f32)>,
    /// New width and height (a line's end minus its start).
    #[serde(default)]
    pub size: Option<(f32, f32)>,
    /// New text.
    #[serde(default)]
    pub text: Option<String>,
    /// New colour, `#rrggbb`.
    #[serde(default)]
    pub color: Option<String>,
    /// New fill, `#rrggbb`, or `none`.
    #[serde(default)]
    pub fill: Option<String>,
    /// New line width.
    #[serde(default)]
    pub width: Option<f32>,
    /// New font size.
    #[serde(default)]
    pub font: Option<f32>,
    /// `front` or `back`: in front of or behind everything on the board.
    #[serde(default)]
    pub z: Option<String>,
}

/// A shape to place (see `Client::board_add`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewShape {
    /// `rect`, `ellipse`, `line`, `arrow`, `text` or `note`.
    pub kind: String,
    /// Top-left corner (a line's start).
    pub at: (f32, f32),
    /// Width and height (a line's end minus its start).
    #[serde(default)]
    pub size: Option<(f32, f32)>,
    /// Its text.
    #[serde(default)]
    pub text: Option<String>,
    /// `#rrggbb`.
    #[serde(default)]
    pub color: Option<String>,
    /// `#rrggbb` or `none`.
    #[serde(default)]
    pub fill: Option<String>,
    /// Line width.
    #[serde(default)]
    pub width: Option<f32>,
    /// Font size.
    #[serde(default)]
    pub font: Option<f32>,
}

/// Peer ids and short names already written out, by key.
#[derive(Debug, Default)]
pub struct PeerNames(std::collections::HashMap<AuthorKey, (String, String)>);

impl PeerNames {
    fn entry(&mut self, k: &AuthorKey) -> &(String, String) {
        self.0.entry(*k).or_insert_with(|| (k.peer_id(), k.short()))
    }

    /// The key's peer id.
    pub fn peer(&mut self, k: &AuthorKey) -> String {
        self.entry(k).0.clone()
    }

    /// The key's short name.
    pub fn short(&mut self, k: &AuthorKey) -> String {
        self.entry(k).1.clone()
    }
}
