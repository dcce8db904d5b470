//! Pictures on a whiteboard: placing one (from a file or from bytes), moving or resizing it,
//! and listing where each sits now. Strokes and erases are in `content.rs`.

use std::path::PathBuf;

use confab_core::{Body, MoveBody, PictureBody, RecordId, Rect, SpaceKind};
use serde::{Deserialize, Serialize};

use super::files::{attach_picture, mark_held, Source};
use super::{write_one, Op, Service};
use crate::view::{PictureView, WrittenView};
use crate::NodeError;

/// The longer side of a picture placed without a size, in board units (a smaller picture
/// keeps its own size in pixels).
pub const DEFAULT_PICTURE_SIDE: f32 = 480.0;

/// The space, if it is a board: refused before any picture is stored.
async fn board(svc: &Service, space: &str) -> Result<confab_core::Space, NodeError> {
    let s = svc.space(space).await?;
    if s.kind != SpaceKind::Board {
        return Err(NodeError::Invalid(format!(
            "pictures are placed on whiteboards; {:?} is a {} space",
            s.name, s.kind
        )));
    }
    Ok(s)
}

/// Places a picture: `at` is its top-left corner; `size` its width and height in board
/// units, or its own size in pixels scaled to at most [`DEFAULT_PICTURE_SIDE`].
async fn place(
    svc: &Service,
    space: &str,
    src: Source,
    at: (f32, f32),
    size: Option<(f32, f32)>,
) -> Result<WrittenView, NodeError> {
    let s = board(svc, space).await?;
    let (w, h) = size.unwrap_or((1.0, 1.0));
    Rect {
        x: at.0,
        y: at.1,
        w,
        h,
    }
    .check()?;
    let file = attach_picture(svc, src).await?;
    let (w, h) = match (size, &file.thumb) {
        (Some(wh), _) => wh,
        (None, Some(t)) => {
            let (pw, ph) = (t.width.max(1) as f32, t.height.max(1) as f32);
            let longer = pw.max(ph);
            if longer <= DEFAULT_PICTURE_SIDE {
                (pw, ph)
            } else {
                // Whole board units; a side never rounds to nothing.
                let side = |v: f32| (v * DEFAULT_PICTURE_SIDE / longer).round().max(1.0);
                (side(pw), side(ph))
            }
        }
        (None, None) => (DEFAULT_PICTURE_SIDE, DEFAULT_PICTURE_SIDE),
    };
    let rect = Rect {
        x: at.0,
        y: at.1,
        w,
        h,
    };
    write_one(
        svc,
        &s.id.to_string(),
        Body::Picture(PictureBody { file, rect }),
        vec![],
    )
    .await
}

/// Places a picture file (PNG, JPEG, GIF or WebP) on a board.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BoardPicture {
    pub space: String,
    /// An absolute path.
    pub path: String,
    /// The top-left corner, in board units.
    pub at: (f32, f32),
    /// Width and height; the picture's own (scaled down) if absent.
    #[serde(default)]
    pub size: Option<(f32, f32)>,
}

impl Op for BoardPicture {
    const METHOD: &'static str = "board.picture";
    type Output = WrittenView;
    async fn run(self, svc: &Service) -> Result<WrittenView, NodeError> {
        let src = Source::Path(PathBuf::from(&self.path));
        place(svc, &self.space, src, self.at, self.size).await
    }
}

/// Places a picture given as bytes (pasted or dropped in the app) on a board.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BoardPictureBytes {
    pub space: String,
    /// Its name (its extension gives its kind).
    pub name: String,
    /// The picture, in base64.
    pub data: String,
    /// The top-left corner, in board units.
    pub at: (f32, f32),
    /// Width and height; the picture's own (scaled down) if absent.
    #[serde(default)]
    pub size: Option<(f32, f32)>,
}

impl Op for BoardPictureBytes {
    const METHOD: &'static str = "board.picture_bytes";
    type Output = WrittenView;
    async fn run(self, svc: &Service) -> Result<WrittenView, NodeError> {
        let bytes = data_encoding::BASE64
            .decode(self.data.as_bytes())
            .map_err(|e| NodeError::Invalid(format!("the picture {:?} is not base64: {e}", self.name)))?;
        let src = Source::Bytes {
            name: self.name,
            bytes,
        };
        place(svc, &self.space, src, self.at, self.size).await
    }
}

/// The one picture on the board whose id starts with `want`.
pub(crate) fn find_picture(on_board: &[PictureView], want: &str) -> Result<RecordId, NodeError> {
    let w = want.trim().to_ascii_lowercase();
    if w.is_empty() || w.len() > 64 || !w.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(NodeError::Invalid(format!("{want:?} is not a picture id")));
    }
    let found: Vec<&PictureView> = on_board.iter().filter(|p| p.id.starts_with(&w)).collect();
    match found.as_slice() {
        [one] => RecordId::from_hex(&one.id)
            .ok_or_else(|| NodeError::Invalid(format!("{:?} is not a record id", one.id))),
        [] => Err(NodeError::NotFound(format!(
            "no picture on this board has an id starting with {want:?} (see `confab board pictures`)"
        ))),
        many => Err(NodeError::Invalid(format!(
            "{want:?} matches {} pictures; give more of the id",
            many.len()
        ))),
    }
}

/// Moves or resizes a picture on a board (any member may).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BoardMove {
    pub space: String,
    /// The picture's id or a unique prefix of it.
    pub picture: String,
    /// Its new place.
    pub rect: Rect,
}

impl Op for BoardMove {
    const METHOD: &'static str = "board.move";
    type Output = WrittenView;
    async fn run(self, svc: &Service) -> Result<WrittenView, NodeError> {
        self.rect.check()?;
        let s = board(svc, &self.space).await?;
        let on_board = pictures(svc, &s).await?;
        let id = find_picture(&on_board, &self.picture)?;
        write_one(
            svc,
            &s.id.to_string(),
            Body::Move(MoveBody { rect: self.rect }),
            vec![id],
        )
        .await
    }
}

async fn pictures(svc: &Service, s: &confab_core::Space) -> Result<Vec<PictureView>, NodeError> {
    let me = svc.engine.me();
    let pics = svc.engine.store().board_pictures(s.id).await?;
    Ok(pics
        .iter()
        .map(|p| {
            let mut v = PictureView::of(p, &me);
            mark_held(svc, std::slice::from_mut(&mut v.file));
            v
        })
        .collect())
}

/// The pictures still on a board, oldest placed first, each where it sits now.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BoardPictures {
    pub space: String,
}

impl Op for BoardPictures {
    const METHOD: &'static str = "board.pictures";
    type Output = Vec<PictureView>;
    async fn run(self, svc: &Service) -> Result<Vec<PictureView>, NodeError> {
        let s = svc.space(&self.space).await?;
        pictures(svc, &s).await
    }
}
