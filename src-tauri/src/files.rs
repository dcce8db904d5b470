//! Files: attaching them to messages (picked, dropped or pasted) and to newsletter issues,
//! saving one where the person says, and opening links in the system's browser. Thin like
//! `commands.rs`: the node attaches, fetches and saves; what is here is the native dialogs and
//! the temporary files a pasted picture needs (the node attaches files by path).

use std::path::{Path, PathBuf};

use confab_node::view::{SavedView, WrittenView};
use serde::Deserialize;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_opener::OpenerExt;

use crate::app::AppState;
use crate::error::UiError;

type Res<T> = Result<T, UiError>;

/// Where pasted pictures wait while they are attached, inside the data dir.
const PASTED_DIR: &str = "pasted";

/// Extensions offered by the picture filter of the open dialog (those the page shows).
const PICTURE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "gif", "webp"];

/// Sends a message with files attached (paths chosen in the open dialog or dropped on the
/// window); the text may be empty.
#[tauri::command]
pub async fn chat_attach(
    state: State<'_, AppState>,
    space: String,
    text: String,
    reply_to: Option<String>,
    mentions: Vec<String>,
    paths: Vec<String>,
) -> Res<WrittenView> {
    let files = paths.into_iter().map(PathBuf::from).collect();
    Ok(state
        .client
        .chat_write_files(&space, &text, reply_to.as_deref(), mentions, files)
        .await?)
}

/// A picture pasted from the clipboard: a name the page made up and the bytes, in base64.
#[derive(Debug, Deserialize)]
pub struct Pasted {
    name: String,
    data: String,
}

/// Sends a message with pasted pictures (and any files by path) attached. Each picture is
/// written to a private temporary directory under the data dir, attached from there and
/// deleted, whether the message went or not.
#[tauri::command]
pub async fn chat_attach_bytes(
    state: State<'_, AppState>,
    space: String,
    text: String,
    reply_to: Option<String>,
    mentions: Vec<String>,
    paths: Vec<String>,
    pasted: Vec<Pasted>,
) -> Res<WrittenView> {
    let root = state.dir.join(PASTED_DIR);
    let (tmp, written) = tauri::async_runtime::spawn_blocking(move || write_pasted(&root, &pasted))
        .await
        .map_err(|e| UiError::new("io", format!("writing a pasted picture: {e}")))??;
    let files = paths.into_iter().map(PathBuf::from).chain(written).collect();
    let sent = state
        .client
        .chat_write_files(&space, &text, reply_to.as_deref(), mentions, files)
        .await;
    drop(tmp);
    Ok(sent?)
}

/// Writes each pasted picture under its own name in a fresh directory (0700) of `root`; the
/// directory goes when the returned handle is dropped.
fn write_pasted(root: &Path, pasted: &[Pasted]) -> Res<(tempfile::TempDir, Vec<PathBuf>)> {
    let io = |p: &Path, e: std::io::Error| UiError::new("io", format!("{}: {e}", p.display()));
    std::fs::create_dir_all(root).map_err(|e| io(root, e))?;
    let mut b = tempfile::Builder::new();
    b.prefix("paste-");
    // Others on the machine do not read what was pasted (tempfile leaves the mode to umask).
    #[cfg(unix)]
    b.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
    let tmp = b.tempdir_in(root).map_err(|e| io(root, e))?;
    let mut out = Vec::with_capacity(pasted.len());
    for (i, p) in pasted.iter().enumerate() {
        confab_core::check_file_name(&p.name).map_err(|e| UiError::invalid(e.to_string()))?;
        let bytes = data_encoding::BASE64
            .decode(p.data.as_bytes())
            .map_err(|e| UiError::invalid(format!("the pasted picture {:?} is not base64: {e}", p.name)))?;
        // One directory per picture: two pasted pictures may carry the same name.
        let dir = tmp.path().join(i.to_string());
        std::fs::create_dir(&dir).map_err(|e| io(&dir, e))?;
        let path = dir.join(&p.name);
        std::fs::write(&path, bytes).map_err(|e| io(&path, e))?;
        out.push(path);
    }
    Ok((tmp, out))
}

/// Removes pasted pictures a crash left behind (called when the app starts).
pub(crate) fn clear_pasted(data_dir: &Path) {
    let dir = data_dir.join(PASTED_DIR);
    if dir.exists() {
        if let Err(e) = std::fs::remove_dir_all(&dir) {
            tracing::warn!("cannot clear {}: {e}", dir.display());
        }
    }
}

/// The name offered in the save dialog: the sender's name with any path separators turned
/// into dashes (the node already refuses such names; the dialog is not the place to learn).
fn suggested_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '-'
            } else {
                c
            }
        })
        .collect();
    if s.trim().is_empty() || s == "." || s == ".." {
        "file".into()
    } else {
        s
    }
}

/// Saves a file of a message or issue where the person chooses in the native save dialog
/// (the file's own name offered); the node fetches it first if it is not here. Null when the
/// dialog is cancelled. The path is always the one chosen, never one the sender named.
#[tauri::command]
pub async fn file_save<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    blob: String,
    name: String,
) -> Res<Option<SavedView>> {
    let dialog = app
        .dialog()
        .file()
        .set_title("Save file")
        .set_file_name(suggested_name(&name));
    let Some(chosen) = crate::welcome::ask_save(&app, dialog).await else {
        return Ok(None);
    };
    // The node would save inside a directory under the sender's name: not what was chosen.
    let path = crate::welcome::chosen_file(chosen)?;
    Ok(Some(state.client.blob_get(&blob, &path, None).await?))
}

/// The native open dialog, for files to attach (several at once); `pictures` offers only
/// the kinds of picture the page shows. The chosen paths, none if cancelled.
#[tauri::command]
pub async fn file_open_dialog<R: Runtime>(app: AppHandle<R>, pictures: Option<bool>) -> Res<Vec<String>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let dialog = app.dialog().file();
    let dialog = if pictures.unwrap_or(false) {
        dialog
            .set_title("Add pictures")
            .add_filter("Pictures", PICTURE_EXTENSIONS)
    } else {
        dialog.set_title("Attach files")
    };
    crate::welcome::on_main(&app, dialog).pick_files(move |p| {
        let _ = tx.send(p);
    });
    let chosen = rx.await.ok().flatten().unwrap_or_default();
    chosen
        .into_iter()
        .map(|p| {
            p.into_path()
                .map(|p| p.display().to_string())
                .map_err(|e| UiError::new("io", format!("a chosen file is not a path: {e}")))
        })
        .collect()
}

/// A link the app may hand to the system: http, https or mailto, nothing else.
pub fn openable(url: &str) -> Option<tauri::Url> {
    let u = tauri::Url::parse(url.trim()).ok()?;
    match u.scheme() {
        "http" | "https" if u.host_str().is_some_and(|h| !h.is_empty()) => Some(u),
        "mailto" => Some(u),
        _ => None,
    }
}

/// Opens a link from an issue in the system's browser (or mail program): the app's window
/// never navigates away from the app.
#[tauri::command]
pub async fn open_link<R: Runtime>(app: AppHandle<R>, url: String) -> Res<()> {
    let u = openable(&url).ok_or_else(|| UiError::invalid("only http, https and mailto links are opened"))?;
    app.opener()
        .open_url(u.as_str(), None::<&str>)
        .map_err(|e| UiError::new("io", format!("opening {u}: {e}")))
}

/// Publishes an issue in Markdown with files attached; a picture the Markdown links by a
/// file's name (`![harbour](harbour.png)`) shows that file.
#[tauri::command]
pub async fn news_publish_files(
    state: State<'_, AppState>,
    space: String,
    title: String,
    body: String,
    paths: Vec<String>,
) -> Res<WrittenView> {
    let files = paths.into_iter().map(PathBuf::from).collect();
    Ok(state
        .client
        .news_publish_files(&space, &title, &body, files)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_and_mail_links_open() {
        for ok in [
            "https://example.org/a?b#c",
            "http://example.org",
            "mailto:someone@example.org",
            " https://example.org ",
        ] {
            assert!(openable(ok).is_some(), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "confab-blob://localhost/00",
            "tauri://localhost/index.html",
            "data:text/html,hi",
            "ftp://example.org",
            "/relative",
            "example.org",
            "",
        ] {
            assert!(openable(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn offered_names_are_names() {
        assert_eq!(suggested_name("report.pdf"), "report.pdf");
        assert_eq!(suggested_name("../etc/passwd"), "..-etc-passwd");
        assert_eq!(suggested_name("a\\b"), "a-b");
        assert_eq!(suggested_name(".."), "file");
        assert_eq!(suggested_name(""), "file");
    }

    #[test]
    fn pasted_pictures_are_written_apart_and_removed() {
        let data = tempfile::tempdir().unwrap();
        let root = data.path().join(PASTED_DIR);
        let png = data_encoding::BASE64.encode(b"\x89PNG not really");
        let pasted = vec![
            Pasted {
                name: "pasted.png".into(),
                data: png.clone(),
            },
            Pasted {
                name: "pasted.png".into(),
                data: png,
            },
        ];
        let (tmp, paths) = write_pasted(&root, &pasted).unwrap();
        assert_eq!(paths.len(), 2);
        assert_ne!(paths[0], paths[1]);
        for p in &paths {
            assert_eq!(p.file_name().unwrap(), "pasted.png");
            assert_eq!(std::fs::read(p).unwrap(), b"\x89PNG not really");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(tmp.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "the directory of pasted pictures is private");
        }
        let dir = tmp.path().to_path_buf();
        drop(tmp);
        assert!(!dir.exists());
        // A name with a path in it, or data that is not base64, is refused.
        let bad = [Pasted {
            name: "../x.png".into(),
            data: String::new(),
        }];
        assert!(write_pasted(&root, &bad).is_err());
        let bad = [Pasted {
            name: "x.png".into(),
            data: "not base64!".into(),
        }];
        assert!(write_pasted(&root, &bad).is_err());
        // Left behind by a crash: cleared at the next start.
        let (left, _) = write_pasted(&root, &pasted[..1]).unwrap();
        let _kept = left.keep();
        clear_pasted(data.path());
        assert!(!root.exists());
    }
}
