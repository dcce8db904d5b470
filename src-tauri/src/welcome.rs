//! The first run. Until the data dir holds an identity the app starts no node (starting one
//! would make a new identity) and the page asks the person how to begin: a new account, a
//! restore from a backup file, a link to their other device, or recovery from the phrase. Each
//! choice is one command: the engine does the work on the empty data dir, then the node starts
//! on it and the rest of the app's commands work.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use confab_node::view::{LinkedView, MeView, RestoreView};
use confab_node::NodeError;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime, State};
use tauri_plugin_dialog::{DialogExt, FileDialogBuilder};
use tokio::sync::oneshot;

use crate::app::AppState;
use crate::error::UiError;

type Res<T> = Result<T, UiError>;

/// The event the page gets while a link waits for approval: `{ "code", "device" }`.
pub const LINK_WAITING: &str = "confab://link-waiting";

/// Whether the data dir at `dir` has no identity yet, so the person must choose how to begin.
pub fn needed(dir: &Path) -> bool {
    !dir.join(confab_core::identity::IDENTITY_FILE).exists()
}

/// The first run's state: the data dir, one choice at a time, and how to cancel a link.
pub struct Welcome {
    dir: PathBuf,
    busy: tokio::sync::Mutex<()>,
    cancel: Mutex<Option<oneshot::Sender<()>>>,
}

impl Welcome {
    /// For the data dir `dir`.
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            busy: tokio::sync::Mutex::new(()),
            cancel: Mutex::new(None),
        }
    }
}

/// Whether the page must ask how to begin, and where the data will be kept.
#[derive(Debug, Serialize)]
pub struct FirstRunView {
    /// No node runs yet: the data dir has no identity.
    pub needed: bool,
    /// The data dir.
    pub data_dir: String,
}

/// A native dialog on top of the window it belongs to (phones have one window and no parents).
pub(crate) fn on_main<R: Runtime>(app: &AppHandle<R>, dialog: FileDialogBuilder<R>) -> FileDialogBuilder<R> {
    #[cfg(desktop)]
    if let Some(w) = app.get_webview_window("main") {
        return dialog.set_parent(&w);
    }
    let _ = app;
    dialog
}

/// Shows a save dialog over the main window and waits for the answer: `None` if the person
/// cancelled.
pub(crate) async fn ask_save<R: Runtime>(
    app: &AppHandle<R>,
    dialog: FileDialogBuilder<R>,
) -> Option<tauri_plugin_dialog::FilePath> {
    let (tx, rx) = oneshot::channel();
    on_main(app, dialog).save_file(move |p| {
        let _ = tx.send(p);
    });
    rx.await.ok().flatten()
}

/// A save dialog's answer as a file's path: refused by name if it is no path or a folder.
pub(crate) fn chosen_file(chosen: tauri_plugin_dialog::FilePath) -> Result<PathBuf, UiError> {
    let path = chosen
        .into_path()
        .map_err(|e| UiError::new("io", format!("the chosen place is not a path: {e}")))?;
    if path.is_dir() {
        return Err(UiError::invalid(format!(
            "{} is a folder; choose a file name",
            path.display()
        )));
    }
    Ok(path)
}

#[tauri::command]
pub fn first_run<R: Runtime>(app: AppHandle<R>, welcome: State<'_, Welcome>) -> FirstRunView {
    FirstRunView {
        needed: app.try_state::<AppState>().is_none(),
        data_dir: welcome.dir.display().to_string(),
    }
}

/// Runs one way to begin (`work`, on the empty data dir), then starts the node on the data
/// dir. Refused while another runs, and once the node runs.
async fn choose<R: Runtime, T>(
    app: &AppHandle<R>,
    welcome: &Welcome,
    work: impl Future<Output = Result<T, NodeError>>,
) -> Res<T> {
    let Ok(_busy) = welcome.busy.try_lock() else {
        return Err(UiError::new(
            "refused",
            "another way to begin is under way: wait for it or cancel it",
        ));
    };
    if app.try_state::<AppState>().is_some() {
        return Err(UiError::new(
            "refused",
            format!(
                "Confab already runs with an identity in {}",
                welcome.dir.display()
            ),
        ));
    }
    let out = work.await?;
    let state = AppState::start(app.clone(), &welcome.dir).await?;
    app.manage(state);
    Ok(out)
}

/// Starts new: the node makes a new account on this device.
#[tauri::command]
pub async fn first_run_new<R: Runtime>(app: AppHandle<R>, welcome: State<'_, Welcome>) -> Res<MeView> {
    choose(&app, &welcome, async { Ok(()) }).await?;
    Ok(app.state::<AppState>().client.id().await?)
}

/// The native open dialog for a backup file; its path, or null if cancelled.
#[tauri::command]
pub async fn backup_pick<R: Runtime>(app: AppHandle<R>) -> Res<Option<String>> {
    let (tx, rx) = oneshot::channel();
    on_main(&app, app.dialog().file().set_title("Choose a backup")).pick_file(move |p| {
        let _ = tx.send(p);
    });
    let Some(chosen) = rx.await.ok().flatten() else {
        return Ok(None);
    };
    let path = chosen
        .into_path()
        .map_err(|e| UiError::new("io", format!("the chosen file is not a path: {e}")))?;
    Ok(Some(path.display().to_string()))
}

/// Reads a backup file, refusing at once one that is not a Confab backup (before reading a
/// large file whole).
fn read_backup(path: &Path) -> Res<Vec<u8>> {
    use std::io::Read;
    let io = |e: std::io::Error| UiError::new("io", format!("{}: {e}", path.display()));
    let mut f = std::fs::File::open(path).map_err(io)?;
    let magic = confab_core::backup::MAGIC;
    let mut head = vec![0u8; magic.len()];
    let n = f.read(&mut head).map_err(io)?;
    if n < head.len() || head != magic {
        return Err(UiError::invalid(format!(
            "{} is not a Confab backup (Settings → Back up… makes one)",
            path.display()
        )));
    }
    let mut bytes = head;
    f.read_to_end(&mut bytes).map_err(io)?;
    Ok(bytes)
}

/// Restores a backup into the empty data dir (a new device of the account, with the spaces
/// and what else the backup holds), then starts the node.
#[tauri::command]
pub async fn first_run_restore<R: Runtime>(
    app: AppHandle<R>,
    welcome: State<'_, Welcome>,
    path: String,
    passphrase: String,
) -> Res<RestoreView> {
    let p = PathBuf::from(&path);
    let bytes = tauri::async_runtime::spawn_blocking(move || read_backup(&p))
        .await
        .map_err(|e| UiError::new("io", format!("reading the backup: {e}")))??;
    let dir = welcome.dir.clone();
    choose(
        &app,
        &welcome,
        confab_node::backup::restore(&dir, &bytes, &passphrase),
    )
    .await
}

/// Recovers the account from its 24 words into the empty data dir (no spaces: those come back
/// by ticket or from a backup), then starts the node.
#[tauri::command]
pub async fn first_run_recover<R: Runtime>(
    app: AppHandle<R>,
    welcome: State<'_, Welcome>,
    words: String,
) -> Res<RestoreView> {
    let dir = welcome.dir.clone();
    choose(&app, &welcome, confab_node::backup::recover(&dir, &words)).await
}

/// What the page is told while a link waits for the person's approval on the other device.
#[derive(Clone, Debug, Serialize)]
struct Waiting {
    code: String,
    device: String,
}

/// Links the empty data dir to the account whose device made `ticket`: waits (the page is told
/// the code to approve, as [`LINK_WAITING`]) until the person approves it there, the ticket
/// expires or [`first_run_cancel`] is called; then starts the node.
#[tauri::command]
pub async fn first_run_link<R: Runtime>(
    app: AppHandle<R>,
    welcome: State<'_, Welcome>,
    ticket: String,
) -> Res<LinkedView> {
    let (tx, rx) = oneshot::channel();
    let dir = welcome.dir.clone();
    let emitter = app.clone();
    let work = async move {
        let linking = confab_node::link(&dir, &ticket, move |code, device| {
            let w = Waiting {
                code: code.to_string(),
                device: device.to_string(),
            };
            let _ = emitter.emit(LINK_WAITING, w);
        });
        tokio::select! {
            r = linking => r,
            _ = rx => Err(NodeError::Refused("linking was cancelled; nothing was kept".into())),
        }
    };
    // The sender is set once this choice holds the lock (a second Link is refused meanwhile).
    let cancel = &welcome.cancel;
    let out = choose(&app, &welcome, async {
        *cancel.lock().unwrap_or_else(|e| e.into_inner()) = Some(tx);
        work.await
    })
    .await;
    cancel.lock().unwrap_or_else(|e| e.into_inner()).take();
    out
}

/// Stops a link that waits for approval (nothing is kept; the page offers the choices again).
#[tauri::command]
pub fn first_run_cancel(welcome: State<'_, Welcome>) {
    if let Some(tx) = welcome.cancel.lock().unwrap_or_else(|e| e.into_inner()).take() {
        let _ = tx.send(());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_data_dir_without_an_identity_asks() {
        let d = tempfile::tempdir().unwrap();
        assert!(needed(d.path()));
        assert!(needed(&d.path().join("not yet made")));
        std::fs::write(d.path().join(confab_core::identity::IDENTITY_FILE), b"x").unwrap();
        assert!(!needed(d.path()));
    }

    #[test]
    fn a_file_that_is_not_a_backup_is_refused_by_name() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("holiday.jpg");
        std::fs::write(&p, b"\xff\xd8\xff\xe0 a picture, not a backup").unwrap();
        let e = read_backup(&p).unwrap_err();
        assert!(e.message.contains("holiday.jpg is not a Confab backup"), "{e}");
        std::fs::write(&p, b"conf").unwrap();
        assert!(read_backup(&p).is_err());
        let e = read_backup(&d.path().join("missing")).unwrap_err();
        assert_eq!(e.code, "io");
        let mut ok = confab_core::backup::MAGIC.to_vec();
        ok.extend_from_slice(b"rest");
        std::fs::write(&p, &ok).unwrap();
        assert_eq!(read_backup(&p).unwrap(), ok);
    }
}
