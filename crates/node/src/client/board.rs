//! The client's pictures on whiteboards: placing them, moving or resizing them, listing them.

use confab_core::Rect;

use super::files::absolute;
use super::Client;
use crate::ops::*;
use crate::view::*;
use crate::NodeError;

impl Client {
    /// Places a picture file (PNG, JPEG, GIF or WebP, at most [`crate::MAX_BOARD_PICTURE`]) on
    /// a board with its top-left corner `at`; `size` in board units, or the picture's own size
    /// scaled to at most [`crate::DEFAULT_PICTURE_SIDE`] on its longer side.
    pub async fn board_picture(
        &self,
        space: &str,
        path: &std::path::Path,
        at: (f32, f32),
        size: Option<(f32, f32)>,
    ) -> Result<WrittenView, NodeError> {
        self.call(BoardPicture {
            space: space.into(),
            path: absolute(path)?,
            at,
            size,
        })
        .await
    }

    /// [`Client::board_picture`] for a picture in memory (pasted or dropped), named `name`
    /// (its extension gives its kind). Through the local socket, only as large as a request
    /// may be ([`crate::MAX_FRAME`]); in process, up to the same limit as a file.
    pub async fn board_picture_bytes(
        &self,
        space: &str,
        name: &str,
        bytes: &[u8],
        at: (f32, f32),
        size: Option<(f32, f32)>,
    ) -> Result<WrittenView, NodeError> {
        self.call(BoardPictureBytes {
            space: space.into(),
            name: name.into(),
            data: data_encoding::BASE64.encode(bytes),
            at,
            size,
        })
        .await
    }

    /// Moves or resizes a picture (its id or a unique prefix) on a board.
    pub async fn board_move(&self, space: &str, picture: &str, rect: Rect) -> Result<WrittenView, NodeError> {
        self.call(BoardMove {
            space: space.into(),
            picture: picture.into(),
            rect,
        })
        .await
    }

    /// The pictures still on a board, oldest placed first, each where it sits now.
    pub async fn board_pictures(&self, space: &str) -> Result<Vec<PictureView>, NodeError> {
        self.call(BoardPictures { space: space.into() }).await
    }

    /// Places a shape (`rect`, `ellipse`, `line`, `arrow`, `text` or `note`) on a board with
    /// its top-left corner (a line's start) `at`; the options left out get the kind's
    /// defaults.
    pub async fn board_add(&self, space: &str, shape: NewShape) -> Result<WrittenView, NodeError> {
        self.call(BoardAdd {
            space: space.into(),
            kind: shape.kind,
            at: shape.at,
            size: shape.size,
            text: shape.text,
            color: shape.color,
            fill: shape.fill,
            width: shape.width,
            font: shape.font,
        })
        .await
    }

    /// Changes properties of one object (a shape, stroke or picture): what `edit` gives.
    pub async fn board_set(&self, space: &str, edit: ObjectEdit) -> Result<WrittenView, NodeError> {
        self.call(BoardSet {
            space: space.into(),
            edit,
        })
        .await
    }

    /// Changes properties of several objects in one transaction.
    pub async fn board_change(
        &self,
        space: &str,
        edits: Vec<ObjectEdit>,
    ) -> Result<WrittenManyView, NodeError> {
        self.call(BoardChange {
            space: space.into(),
            edits,
        })
        .await
    }

    /// Deletes objects (ids or unique prefixes); they stay deleted until restored.
    pub async fn board_delete(
        &self,
        space: &str,
        objects: Vec<String>,
    ) -> Result<WrittenManyView, NodeError> {
        self.call(BoardDelete {
            space: space.into(),
            objects,
        })
        .await
    }

    /// Restores a deleted object; with `as_of` (ms), as it was at that moment.
    pub async fn board_restore(
        &self,
        space: &str,
        object: &str,
        as_of: Option<u64>,
    ) -> Result<WrittenView, NodeError> {
        self.call(BoardRestore {
            space: space.into(),
            object: object.into(),
            as_of,
        })
        .await
    }

    /// The objects on a board, back to front; `as_of` (ms) shows it as it was then;
    /// `deleted` lists deleted objects too.
    pub async fn board_objects(
        &self,
        space: &str,
        as_of: Option<u64>,
        deleted: bool,
    ) -> Result<Vec<ObjectView>, NodeError> {
        self.call(BoardObjects {
            space: space.into(),
            as_of,
            deleted,
        })
        .await
    }

    /// One object by its full id, deleted or not; `None` if its record is not here yet.
    pub async fn board_object(&self, space: &str, id: &str) -> Result<Option<ObjectView>, NodeError> {
        self.call(BoardObject {
            space: space.into(),
            id: id.into(),
        })
        .await
    }
}
