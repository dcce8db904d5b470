//! Objects on whiteboards: placing shapes, changing any object (move, resize, recolour, text,
//! z order), deleting and restoring, and the board now or as it was. Thin like `commands.rs`:
//! the node does the work.

use confab_node::view::{NewShape, ObjectEdit, ObjectView, WrittenManyView, WrittenView};
use tauri::State;

use crate::app::AppState;
use crate::error::UiError;

type Res<T> = Result<T, UiError>;

/// Places a shape: `rect`, `ellipse`, `line`, `arrow`, `text` or `note`.
#[tauri::command]
pub async fn board_add(state: State<'_, AppState>, space: String, shape: NewShape) -> Res<WrittenView> {
    Ok(state.client.board_add(&space, shape).await?)
}

/// Changes properties of objects, all in one transaction.
#[tauri::command]
pub async fn board_change(
    state: State<'_, AppState>,
    space: String,
    edits: Vec<ObjectEdit>,
) -> Res<WrittenManyView> {
    Ok(state.client.board_change(&space, edits).await?)
}

/// Deletes objects (restorable).
#[tauri::command]
pub async fn board_delete(
    state: State<'_, AppState>,
    space: String,
    objects: Vec<String>,
) -> Res<WrittenManyView> {
    Ok(state.client.board_delete(&space, objects).await?)
}

/// Restores a deleted object; with `as_of` (ms), as it was then.
#[tauri::command]
pub async fn board_restore(
    state: State<'_, AppState>,
    space: String,
    object: String,
    as_of: Option<u64>,
) -> Res<WrittenView> {
    Ok(state.client.board_restore(&space, &object, as_of).await?)
}

/// The objects on a board, back to front; `as_of` (ms) shows it as it was then; `deleted`
/// lists deleted ones too.
#[tauri::command]
pub async fn board_objects(
    state: State<'_, AppState>,
    space: String,
    as_of: Option<u64>,
    deleted: Option<bool>,
) -> Res<Vec<ObjectView>> {
    Ok(state
        .client
        .board_objects(&space, as_of, deleted.unwrap_or(false))
        .await?)
}

/// One object by its full id (deleted or not), or null if it is not here yet.
#[tauri::command]
pub async fn board_object(state: State<'_, AppState>, space: String, id: String) -> Res<Option<ObjectView>> {
    Ok(state.client.board_object(&space, &id).await?)
}
