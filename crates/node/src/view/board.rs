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
            moved_by: p.moved.as_ref().map(|(who, _, _)| who.peer_id()),
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
        }
    }
}
