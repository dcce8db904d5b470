//! Exporting a space from the app: the person picks a folder in the native dialog, and the
//! node writes the archive into a new folder inside it named after the space (never over
//! anything). Thin like `commands.rs`: the node does the export.

use std::path::{Path, PathBuf};

use confab_node::view::ExportView;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_dialog::DialogExt;

use crate::app::AppState;
use crate::error::UiError;

/// Exports a space into a new folder inside the one chosen in the native folder dialog.
/// Null when the dialog is cancelled. Refused by name on a phone, whose picker hands back
/// files, not a folder to write an archive of many files into.
#[tauri::command]
#[cfg_attr(mobile, allow(unreachable_code, unused_variables))]
pub async fn space_export<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    space: String,
) -> Result<Option<ExportView>, UiError> {
    #[cfg(mobile)]
    return Err(UiError::new(
        "refused",
        "a space is exported into a folder from the desktop app; phones cannot choose folders yet",
    ));
    let name = state
        .client
        .spaces(None)
        .await?
        .into_iter()
        .find(|s| s.space == space)
        .map(|s| s.name)
        .ok_or_else(|| UiError::new("not_found", "that space is not here"))?;
    let (tx, rx) = tokio::sync::oneshot::channel::<Option<tauri_plugin_dialog::FilePath>>();
    let dialog = app
        .dialog()
        .file()
        .set_title(format!("Export “{name}” into a folder"));
    #[cfg(desktop)]
    crate::welcome::on_main(&app, dialog).pick_folder(move |p| {
        let _ = tx.send(p);
    });
    let Some(chosen) = rx.await.ok().flatten() else {
        return Ok(None);
    };
    let base = chosen
        .into_path()
        .map_err(|e| UiError::new("io", format!("the chosen place is not a path: {e}")))?;
    let out = export_folder(&base, &name);
    Ok(Some(state.client.space_export(&space, &out).await?))
}

/// A folder in `base` that does not exist yet for the export of the space named `name`:
/// `NAME (Confab export)`, then `NAME (Confab export 2)`, … The name keeps letters, digits,
/// spaces and `-_.`; anything else becomes `-`.
pub fn export_folder(base: &Path, name: &str) -> PathBuf {
    let mut safe: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || " -_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(60)
        .collect();
    safe = safe.trim().trim_start_matches('.').to_string();
    if safe.is_empty() {
        safe = "space".into();
    }
    (1..)
        .map(|n| match n {
            1 => base.join(format!("{safe} (Confab export)")),
            n => base.join(format!("{safe} (Confab export {n})")),
        })
        .find(|p| !p.exists())
        .expect("a free name")
}

#[cfg(test)]
mod tests {
    use super::export_folder;

    #[test]
    fn the_export_folder_is_new_and_named_after_the_space() {
        let d = tempfile::tempdir().unwrap();
        let first = export_folder(d.path(), "Team/room: ../../etc");
        assert_eq!(first, d.path().join("Team-room- ..-..-etc (Confab export)"));
        std::fs::create_dir(&first).unwrap();
        assert_eq!(
            export_folder(d.path(), "Team/room: ../../etc"),
            d.path().join("Team-room- ..-..-etc (Confab export 2)")
        );
        assert_eq!(
            export_folder(d.path(), "..."),
            d.path().join("space (Confab export)")
        );
        assert_eq!(
            export_folder(d.path(), "Café ☕"),
            d.path().join("Café - (Confab export)")
        );
    }
}
