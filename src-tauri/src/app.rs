//! The app's state: the node running in this process, and the task that turns its events
//! into UI events and notifications.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use confab_core::AuthorKey;
use confab_node::view::EventView;
use confab_node::{Client, NodeConfig};
#[cfg(desktop)]
use tauri::Manager;
use tauri::{AppHandle, Emitter, Runtime};
use tokio::sync::broadcast::error::RecvError;

use crate::error::UiError;
use crate::notify::{notification_for, show};

/// The event name node events reach the UI under.
pub const EVENT: &str = "confab://event";

/// What the commands work with.
pub struct AppState {
    pub(crate) client: Client,
    pub(crate) dir: PathBuf,
}

impl AppState {
    /// Starts the node on the data dir with the saved settings and the environment's (on an
    /// empty data dir this makes a new identity: see `welcome.rs` for when that happens).
    pub async fn start<R: Runtime>(app: AppHandle<R>, dir: &Path) -> Result<Self, UiError> {
        let cfg = NodeConfig::load(dir)?.with_env()?;
        let client = Client::start(dir, cfg).await?;
        // The node holds the data dir's lock now: no other app is attaching from it.
        crate::files::clear_pasted(dir);
        tauri::async_runtime::spawn(pump(app, client.clone(), dir.to_path_buf()));
        Ok(Self {
            client,
            dir: dir.to_path_buf(),
        })
    }
}

/// Forwards node events to the UI and raises notifications.
async fn pump<R: Runtime>(app: AppHandle<R>, client: Client, dir: PathBuf) {
    let Ok(mut rx) = client.events() else { return };
    let Some(me) = AuthorKey::from_peer_id(client.peer_id()) else {
        return;
    };
    let mut names = client.names().await.unwrap_or_default();
    loop {
        let ev = match rx.recv().await {
            Ok(ev) => ev,
            Err(RecvError::Lagged(n)) => {
                tracing::debug!("UI event pump lagged by {n}");
                let _ = app.emit(EVENT, serde_json::json!({ "type": "reload" }));
                continue;
            }
            Err(RecvError::Closed) => break,
        };
        let peers = match &ev {
            confab_node::NodeEvent::PeerConnected(_) | confab_node::NodeEvent::PeerDisconnected(_) => {
                client.peers().await.unwrap_or_default()
            }
            _ => Vec::new(),
        };
        if ev.changes_names() {
            names = client.names().await.unwrap_or(names);
        }
        for view in ev.views(&me, &names, || peers) {
            let _ = app.emit(EVENT, &view);
            if let EventView::Records {
                space,
                local,
                records,
                count,
            } = &view
            {
                notify(&app, &client, &dir, space, *local, records, *count).await;
            }
        }
    }
}

async fn notify<R: Runtime>(
    app: &AppHandle<R>,
    client: &Client,
    dir: &Path,
    space: &str,
    local: bool,
    records: &[confab_node::view::RecordView],
    count: usize,
) {
    if local {
        return;
    }
    // Names and mutes as they are now (a store read, at the pace of others' messages).
    let spaces: HashMap<String, (String, bool)> = client
        .spaces(None)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|s| (s.space, (s.name, s.muted)))
        .collect();
    let Some((name, muted)) = spaces.get(space) else {
        return;
    };
    if let Some(note) = notification_for(name, *muted, records, count) {
        let app = app.clone();
        let dir = dir.to_path_buf();
        tauri::async_runtime::spawn_blocking(move || show(&app, &dir, &note));
    }
}

/// Brings the main window to the front (after a notification is clicked).
#[cfg(desktop)]
pub(crate) fn focus_main<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
    }
}
