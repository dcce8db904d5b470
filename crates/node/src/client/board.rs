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
}
