//! The app's state: the running node, and the task that turns its events into UI events and
//! desktop notifications.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use confab_core::{AuthorKey, SpaceId};
use confab_node::{Local, Node, NodeConfig, NodeEvent, DATA_DIR_ENV};
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::broadcast::error::RecvError;

use crate::error::UiError;
use crate::notify::{notification_for, show};
use crate::view::ui_events;

/// The event name node events reach the UI under.
pub const EVENT: &str = "confab://event";

/// What the commands work with.
pub struct AppState {
    pub(crate) node: Node,
    pub(crate) me: AuthorKey,
    pub(crate) dir: PathBuf,
    pub(crate) muted: Arc<Mutex<HashSet<SpaceId>>>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl AppState {
    /// Opens the data dir and starts the node with the saved settings and the environment's.
    pub async fn start<R: Runtime>(app: AppHandle<R>) -> Result<Self, UiError> {
        let dir = match std::env::var_os(DATA_DIR_ENV) {
            Some(d) => PathBuf::from(d),
            None => confab_node::default_data_dir()?,
        };
        let local = Local::open(&dir).await?;
        let cfg = NodeConfig::load(&dir)?.with_env()?;
        let me = local.identity().author();
        let muted: HashSet<SpaceId> = local.store().muted_spaces().await?.into_iter().collect();
        let node = Node::start(local, cfg).await?;
        let state = Self {
            node: node.clone(),
            me,
            dir,
            muted: Arc::new(Mutex::new(muted)),
        };
        tauri::async_runtime::spawn(pump(app, node, me, state.muted.clone()));
        Ok(state)
    }
}

/// Forwards node events to the UI and raises notifications.
async fn pump<R: Runtime>(app: AppHandle<R>, node: Node, me: AuthorKey, muted: Arc<Mutex<HashSet<SpaceId>>>) {
    let mut rx = node.events();
    let mut names: HashMap<SpaceId, String> = HashMap::new();
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
        for ui in ui_events(&ev, &me, || node.peers()) {
            let _ = app.emit(EVENT, ui);
        }
        if let NodeEvent::Inserted { records, local } = &ev {
            if !*local && records.iter().any(|r| !names.contains_key(&r.space)) {
                if let Ok(spaces) = node.local().store().spaces().await {
                    names = spaces.into_iter().map(|s| (s.id, s.name)).collect();
                }
            }
            let muted = lock(&muted).clone();
            for note in notification_for(records, *local, &me, &names, &muted) {
                let app = app.clone();
                tauri::async_runtime::spawn_blocking(move || {
                    show(&note, move || focus_main(&app));
                });
            }
        }
    }
}

/// Brings the main window to the front (after a notification is clicked).
pub(crate) fn focus_main<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
    }
}
