//! The Confab app shell: hosts the UI in `ui/` and forwards its actions to the node in
//! `crates/` through [`confab_node::Client`]. Commands are thin; node events stream to the UI
//! as `confab://event` and raise notifications; the node hears of the app's lifecycle and is
//! shut down when the app exits. What differs on a phone is decided in `platform.rs`.

mod account;
mod app;
mod board;
mod clipboard;
mod commands;
mod error;
mod export;
mod files;
mod mobile;
mod news;
mod notify;
mod platform;
mod protocol;
mod shapes;
mod talk;
mod welcome;

pub use app::{AppState, EVENT};
pub use error::UiError;
pub use files::openable;
pub use notify::{notification_for, Note};
pub use platform::{
    lifecycle_named, ExportPlace, LifecycleRelay, NotifyBackend, NotifyPermission, NotifyStep, Platform,
};
pub use protocol::SCHEME as BLOB_SCHEME;
pub use welcome::LINK_WAITING;

use tauri::{Manager, RunEvent};

/// Builds the app on any Tauri runtime, so tests can hand it the mock runtime. The node
/// starts in `setup` with the data dir of `CONFAB_DATA_DIR` (or the platform's: see
/// [`Platform::data_dir`]) and the
/// saved settings with `CONFAB_LISTEN`, `CONFAB_DIAL`, `CONFAB_RELAY`, `CONFAB_MDNS` on top —
/// unless the data dir has no identity yet: then the page asks how to begin (`welcome.rs`)
/// and the node starts once the person has chosen.
/// Pictures reach the page through the `confab-blob` protocol; the window never navigates
/// away from the app (links go to the system's browser through `open_link`).
pub fn app_builder<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    // A phone's notifications, and the file system plugin that writes where its picker says
    // (`platform.rs`): from Rust only, like the dialogs.
    #[cfg(mobile)]
    let builder = builder
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_fs::init());
    protocol::register(builder)
        // The native dialogs and the system's opener, used from Rust only: the page gets no
        // permission of these plugins, and the opener injects no script of its own.
        .plugin(tauri_plugin_dialog::init())
        .plugin(
            tauri_plugin_opener::Builder::new()
                .open_js_links_on_click(false)
                .build(),
        )
        .plugin(
            tauri::plugin::Builder::<R, ()>::new("stay-in-app")
                .on_navigation(|_, url| stays_in_app(url))
                .build(),
        )
        // Android's multicast lock and its network and lifecycle reports (`mobile.rs`).
        .plugin(mobile::init())
        .invoke_handler(tauri::generate_handler![
            commands::me,
            commands::spaces,
            commands::create_space,
            commands::join_space,
            commands::space_ticket,
            commands::set_muted,
            commands::space_members,
            commands::remove_member,
            export::space_export,
            commands::chat_list,
            commands::chat_send,
            commands::board_list,
            commands::board_stroke,
            commands::board_erase,
            commands::board_live,
            board::board_pictures,
            board::board_picture,
            board::board_picture_bytes,
            board::board_move,
            board::picture_data,
            shapes::board_add,
            shapes::board_change,
            shapes::board_delete,
            shapes::board_restore,
            shapes::board_objects,
            shapes::board_object,
            commands::news_list,
            commands::news_publish,
            news::news_compose,
            news::news_drafts,
            news::news_publish_draft,
            news::news_discard,
            news::news_edit,
            news::news_versions,
            news::news_settings,
            news::news_reply,
            news::news_replies,
            news::news_remove_reply,
            news::news_feed_export,
            commands::peers,
            commands::status,
            commands::settings_get,
            commands::settings_set,
            commands::save_export,
            commands::app_lifecycle,
            talk::profile_set,
            talk::profile_picture,
            talk::identity_phrase,
            talk::profile_get,
            talk::profiles,
            talk::chat_write,
            talk::chat_react,
            talk::chat_edit,
            talk::chat_delete,
            talk::chat_window,
            talk::chat_message,
            talk::mark_read,
            talk::reading,
            talk::search,
            talk::chat_typing,
            files::chat_attach,
            files::chat_attach_bytes,
            files::file_save,
            files::file_open_dialog,
            files::open_link,
            files::news_publish_files,
            clipboard::clipboard_picture,
            welcome::first_run,
            welcome::first_run_new,
            welcome::first_run_restore,
            welcome::first_run_recover,
            welcome::first_run_link,
            welcome::first_run_cancel,
            welcome::backup_pick,
            account::backup_create,
            account::devices,
            account::device_revoke,
            account::link_ticket,
            account::device_approve,
        ])
        .setup(|app| {
            let dir = platform::CURRENT.data_dir(std::env::var_os(confab_node::DATA_DIR_ENV), || {
                app.path().app_data_dir()
            })?;
            if welcome::needed(&dir) {
                tracing::info!("no identity in {} yet: the page asks how to begin", dir.display());
            } else {
                let state = tauri::async_runtime::block_on(AppState::start(app.handle().clone(), &dir))?;
                app.manage(state);
            }
            app.manage(welcome::Welcome::new(dir));
            app.manage(platform::LifecycleRelay::default());
            Ok(())
        })
}

/// Where the window may go: the app's own pages (`tauri://localhost`, or
/// `http(s)://tauri.localhost` on Windows and Android) and nowhere else.
pub fn stays_in_app(url: &tauri::Url) -> bool {
    match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => url.host_str() == Some("tauri.localhost"),
        _ => false,
    }
}

/// What the app does on its run events: a phone's pause and return reach the node (it lets go
/// of the network, then listens and dials again: [`platform::lifecycle_of`]); when the app
/// exits, the node is shut down cleanly (its socket removed, its lock released) before the
/// process ends.
pub fn on_run_event<R: tauri::Runtime>(app: &tauri::AppHandle<R>, event: &RunEvent) {
    let change = platform::lifecycle_of(event)
        .and_then(|c| app.try_state::<platform::LifecycleRelay>()?.from_run_event(c));
    if let Some(change) = change {
        if let Some(state) = app.try_state::<AppState>() {
            let client = state.client.clone();
            tauri::async_runtime::spawn(async move {
                if let Err(e) = client.lifecycle(change).await {
                    tracing::warn!("the node did not take the app's {change:?}: {e}");
                }
            });
        }
    }
    if let RunEvent::Exit = event {
        if let Some(state) = app.try_state::<AppState>() {
            tauri::async_runtime::block_on(state.client.shutdown());
            tracing::info!("the app closed its node on {}", state.dir.display());
        }
    }
}

/// SIGTERM (a session ending, `kill`), SIGINT (Ctrl-C where it was started) and SIGHUP end the
/// app the way closing its window does, so its node is shut down cleanly.
fn exit_on_signals<R: tauri::Runtime>(app: tauri::AppHandle<R>) {
    #[cfg(unix)]
    tauri::async_runtime::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
            signal(SignalKind::hangup()),
        ) else {
            tracing::warn!("cannot listen for signals: the node is not closed on SIGTERM");
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
            _ = hup.recv() => {}
        }
        tracing::info!("a signal asked the app to exit");
        app.exit(0);
    });
    #[cfg(not(unix))]
    let _ = app;
}

/// Entry point for desktop (`main.rs`) and mobile. Starts the logs (stderr, logcat or the
/// unified log: [`platform::init_logging`]).
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    platform::init_logging();
    let app = app_builder(tauri::Builder::default())
        .build(tauri::generate_context!())
        .expect("error while building the Confab app");
    exit_on_signals(app.handle().clone());
    app.run(|app, event| on_run_event(app, &event));
}

#[cfg(test)]
mod tests {
    use super::stays_in_app;

    #[test]
    fn the_window_stays_on_the_apps_pages() {
        for ok in [
            "tauri://localhost/",
            "tauri://localhost/index.html#x",
            "http://tauri.localhost/",
            "https://tauri.localhost/index.html",
        ] {
            assert!(stays_in_app(&ok.parse().unwrap()), "{ok}");
        }
        for away in [
            "https://example.org/",
            "http://localhost:8080/",
            "confab-blob://localhost/00",
            "tauri://evil.example/",
            "file:///etc/passwd",
            "about:blank",
            "data:text/html,hi",
        ] {
            assert!(!stays_in_app(&away.parse().unwrap()), "{away}");
        }
    }
}
