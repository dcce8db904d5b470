//! Pictures on whiteboards: placing one from a file (picked in the open dialog or dropped on
//! the window) or from bytes (pasted, or dropped from a page), moving or resizing it, listing
//! them, and a picture's bytes for an SVG export that stands alone. Thin like `commands.rs`:
//! the node does the work.

use confab_core::Rect;
use confab_node::view::{PictureView, WrittenView};
use serde::Serialize;
use tauri::State;

use crate::app::AppState;
use crate::error::UiError;

type Res<T> = Result<T, UiError>;

/// The pictures still on a board, each where it sits now.
#[tauri::command]
pub async fn board_pictures(state: State<'_, AppState>, space: String) -> Res<Vec<PictureView>> {
    Ok(state.client.board_pictures(&space).await?)
}

/// Places a picture file on a board: `at` its top-left corner, `size` its width and height
/// in board units (its own size, scaled down, if absent).
#[tauri::command]
pub async fn board_picture(
    state: State<'_, AppState>,
    space: String,
    path: String,
    at: (f32, f32),
    size: Option<(f32, f32)>,
) -> Res<WrittenView> {
    Ok(state
        .client
        .board_picture(&space, std::path::Path::new(&path), at, size)
        .await?)
}

/// Places a picture given as bytes (base64) under `name` on a board.
#[tauri::command]
pub async fn board_picture_bytes(
    state: State<'_, AppState>,
    space: String,
    name: String,
    data: String,
    at: (f32, f32),
    size: Option<(f32, f32)>,
) -> Res<WrittenView> {
    let bytes = data_encoding::BASE64
        .decode(data.as_bytes())
        .map_err(|e| UiError::invalid(format!("the picture {name:?} is not base64: {e}")))?;
    Ok(state
        .client
        .board_picture_bytes(&space, &name, &bytes, at, size)
        .await?)
}

/// Moves or resizes a picture on a board.
#[tauri::command]
pub async fn board_move(
    state: State<'_, AppState>,
    space: String,
    picture: String,
    rect: Rect,
) -> Res<WrittenView> {
    Ok(state.client.board_move(&space, &picture, rect).await?)
}

/// A picture's bytes, for an export that carries its pictures.
#[derive(Debug, Serialize)]
pub struct PictureData {
    /// `image/png`, …
    mime: String,
    /// The picture, in base64.
    data: String,
}

/// The whole picture in a blob once it is here, else the sender's preview (`thumb`: the
/// preview only); null when there is neither.
#[tauri::command]
pub async fn picture_data(state: State<'_, AppState>, blob: String, thumb: bool) -> Res<Option<PictureData>> {
    let mut got = None;
    if !thumb {
        got = state.client.file_picture(&blob, false).await?;
    }
    if got.is_none() {
        got = state.client.file_picture(&blob, true).await?;
    }
    Ok(got.map(|p| PictureData {
        mime: p.mime,
        data: data_encoding::BASE64.encode(&p.bytes),
    }))
}
