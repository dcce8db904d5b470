//! What differs between a desktop and a phone, decided in one place: [`CURRENT`], from
//! `cfg!(mobile)`. Each difference is a method of [`Platform`] that tests can call with either
//! variant: which notification backend shows a note, where the data dir is, what the save
//! dialog's answer is written through, and which run events reach the node's lifecycle.
//! The code that only builds on one side (notify-rust, Tauri's notification and file-system
//! plugins, logcat, the unified log) sits behind `cfg(desktop)` / `cfg(mobile)` next to the
//! decision that picks it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use confab_node::Lifecycle;
use tauri::plugin::PermissionState;
use tauri::{AppHandle, RunEvent, Runtime};
use tauri_plugin_dialog::FilePath;

use crate::error::UiError;

/// The two kinds of place the app runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    /// Linux, macOS, Windows: a window among others, D-Bus or the system's notifications, the
    /// data dir of `directories`, files saved by path.
    Desktop,
    /// Android and iOS: one full-screen window the system pauses, notifications through
    /// Tauri's plugin after asking, the app's own data dir, files saved through the picker.
    Mobile,
}

/// The platform this build runs on.
pub const CURRENT: Platform = if cfg!(mobile) {
    Platform::Mobile
} else {
    Platform::Desktop
};

/// What shows a notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotifyBackend {
    /// notify-rust: the notification daemon over D-Bus on Linux (clicks bring the window to
    /// the front), the system's own on macOS and Windows.
    NotifyRust,
    /// `tauri-plugin-notification`, once the person has allowed it ([`NotifyPermission`]).
    Plugin,
}

/// Where an export chosen in the save dialog is written.
#[derive(Clone, Debug)]
pub enum ExportPlace {
    /// A path on the file system, written directly.
    File(PathBuf),
    /// What a phone's picker handed back (an Android `content://` URI, an iOS file URL under
    /// a security scope), opened through `tauri-plugin-fs`, which knows how.
    Picked(FilePath),
}

impl Platform {
    /// The notification backend.
    pub fn notifications(self) -> NotifyBackend {
        match self {
            Platform::Desktop => NotifyBackend::NotifyRust,
            Platform::Mobile => NotifyBackend::Plugin,
        }
    }

    /// The data dir: `CONFAB_DATA_DIR` (`env`) wherever it is set; otherwise the platform's
    /// default on a desktop (as the `confab` binary finds it), and the app's data dir from
    /// Tauri's path resolver (`app_data`) on a phone, where there is no `$HOME` to go by.
    pub fn data_dir(
        self,
        env: Option<OsString>,
        app_data: impl FnOnce() -> tauri::Result<PathBuf>,
    ) -> Result<PathBuf, UiError> {
        if let Some(dir) = env {
            return Ok(PathBuf::from(dir));
        }
        match self {
            Platform::Desktop => Ok(confab_node::default_data_dir()?),
            Platform::Mobile => {
                app_data().map_err(|e| UiError::new("io", format!("the app has no data folder: {e}")))
            }
        }
    }

    /// Where the save dialog's answer is written: a desktop's dialog gives a path (a folder
    /// is refused by name); a phone's picker gives whatever its system uses, kept as it is.
    pub fn export_place(self, chosen: FilePath) -> Result<ExportPlace, UiError> {
        match self {
            Platform::Desktop => {
                let path = chosen
                    .into_path()
                    .map_err(|e| UiError::new("io", format!("the chosen place is not a path: {e}")))?;
                if path.is_dir() {
                    return Err(UiError::invalid(format!(
                        "{} is a folder; choose a file name",
                        path.display()
                    )));
                }
                Ok(ExportPlace::File(path))
            }
            Platform::Mobile => Ok(ExportPlace::Picked(chosen)),
        }
    }
}

/// Writes an export where the save dialog said; returns where, for the page to show.
pub fn write_export<R: Runtime>(
    app: &AppHandle<R>,
    place: &ExportPlace,
    bytes: &[u8],
) -> Result<String, UiError> {
    match place {
        ExportPlace::File(path) => {
            let _ = app;
            std::fs::write(path, bytes)
                .map_err(|e| UiError::new("io", format!("{}: {e}", path.display())))?;
            Ok(path.display().to_string())
        }
        ExportPlace::Picked(chosen) => write_picked(app, chosen, bytes),
    }
}

#[cfg(mobile)]
fn write_picked<R: Runtime>(app: &AppHandle<R>, chosen: &FilePath, bytes: &[u8]) -> Result<String, UiError> {
    use std::io::Write;
    use tauri_plugin_fs::{FsExt, OpenOptions};

    let io = |e: std::io::Error| UiError::new("io", format!("{chosen}: {e}"));
    let mut opts = OpenOptions::new();
    opts.read(false).write(true).create(true).truncate(true);
    let mut file = app.fs().open(chosen.clone(), opts).map_err(io)?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(io)?;
    drop(file);
    // iOS lends a picked file URL for as long as the app says it is using it.
    #[cfg(target_os = "ios")]
    if let Err(e) = app.fs().stop_accessing_security_scoped_resource(chosen.clone()) {
        tracing::debug!("{chosen}: {e}");
    }
    Ok(chosen.to_string())
}

#[cfg(not(mobile))]
fn write_picked<R: Runtime>(_: &AppHandle<R>, chosen: &FilePath, _: &[u8]) -> Result<String, UiError> {
    Err(UiError::new(
        "io",
        format!("{chosen}: a desktop build writes exports by path only"),
    ))
}

/// What to do with a notification on a phone, given the system's permission and whether the
/// person already said no here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotifyStep {
    /// Allowed: show it.
    Show,
    /// Never asked (or the system may ask again, and the person has not said no here): ask,
    /// then show it if allowed.
    Ask,
    /// Refused: drop it, without asking again.
    Drop,
}

/// The person's answer to "may Confab notify you?", remembered in the data dir: a "no" is
/// kept (a file), so the question is asked once, at the first notification, and not at each
/// start; a "yes" lives in the system, which the app reads each time (the person may change
/// it in the system's settings, either way).
#[derive(Clone, Debug)]
pub struct NotifyPermission {
    declined: PathBuf,
}

/// The file in the data dir that says the person declined notifications.
pub const NOTIFICATIONS_DECLINED: &str = "notifications-declined";

impl NotifyPermission {
    /// The answer remembered in `data_dir`.
    pub fn new(data_dir: &Path) -> Self {
        Self {
            declined: data_dir.join(NOTIFICATIONS_DECLINED),
        }
    }

    /// What to do now that the system says `system`.
    pub fn step(&self, system: PermissionState) -> NotifyStep {
        match system {
            PermissionState::Granted => {
                // Allowed in the system's settings since: the old "no" no longer holds.
                let _ = std::fs::remove_file(&self.declined);
                NotifyStep::Show
            }
            PermissionState::Denied => NotifyStep::Drop,
            PermissionState::Prompt | PermissionState::PromptWithRationale => {
                if self.declined.exists() {
                    NotifyStep::Drop
                } else {
                    NotifyStep::Ask
                }
            }
        }
    }

    /// Remembers the answer to the question; true if notifications may be shown.
    pub fn answered(&self, answer: PermissionState) -> bool {
        if answer == PermissionState::Granted {
            let _ = std::fs::remove_file(&self.declined);
            return true;
        }
        if let Err(e) = std::fs::write(&self.declined, b"") {
            tracing::warn!(
                "cannot remember that notifications were declined: {}: {e}",
                self.declined.display()
            );
        }
        false
    }
}

/// The lifecycle change a run event means for the node: on a phone the system pauses the app
/// when it leaves the screen (`Suspended`: Android's `onPause`, iOS's
/// `applicationWillResignActive`) and brings it back (`Resumed`). Desktops have no such
/// events; `RunEvent::Resumed` is the event loop waking, not the app coming back.
pub fn lifecycle_of(event: &RunEvent) -> Option<Lifecycle> {
    match event {
        #[cfg(mobile)]
        RunEvent::WindowEvent {
            event: tauri::WindowEvent::Suspended,
            ..
        } => Some(Lifecycle::Suspended),
        #[cfg(mobile)]
        RunEvent::WindowEvent {
            event: tauri::WindowEvent::Resumed,
            ..
        } => Some(Lifecycle::Resumed),
        _ => None,
    }
}

/// Passes the app's lifecycle changes to the node from two sources without doubling them:
/// Tauri's run events ([`lifecycle_of`]) and the `app_lifecycle` command (the Android plugin's
/// reports through the page). Once the run events have reported a pause or a return, they are
/// the word on those two (direct, in order, not held up by a paused page); the command still
/// brings network changes, and pauses and returns where the run events say nothing.
#[derive(Debug, Default)]
pub struct LifecycleRelay {
    run_events_report: std::sync::atomic::AtomicBool,
}

impl LifecycleRelay {
    /// A change from a run event: always passed on.
    pub fn from_run_event(&self, change: Lifecycle) -> Option<Lifecycle> {
        self.run_events_report
            .store(true, std::sync::atomic::Ordering::Relaxed);
        Some(change)
    }

    /// A change from the command: passed on unless the run events already report it.
    pub fn from_command(&self, change: Lifecycle) -> Option<Lifecycle> {
        let covered = self.run_events_report.load(std::sync::atomic::Ordering::Relaxed);
        match change {
            Lifecycle::NetworkChanged => Some(change),
            Lifecycle::Suspended | Lifecycle::Resumed if covered => None,
            Lifecycle::Suspended | Lifecycle::Resumed => Some(change),
        }
    }
}

/// The lifecycle change named by the page or the Android plugin: `suspended`, `resumed` or
/// `network-changed`.
pub fn lifecycle_named(kind: &str) -> Result<Lifecycle, UiError> {
    kind.parse().map_err(UiError::invalid)
}

/// Starts the app's logs, once: stderr on a desktop (as the `confab` binary, coloured on a
/// terminal), logcat on Android (tag `confab`), the unified log on iOS (subsystem
/// `org.confab.app`); `RUST_LOG` overrides [`confab_node::DEFAULT_LOG_FILTER`] everywhere.
pub fn init_logging() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(desktop)]
        confab_node::init_logging();
        #[cfg(mobile)]
        mobile_logging();
    });
}

#[cfg(mobile)]
fn mobile_logging() {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(confab_node::DEFAULT_LOG_FILTER));
    #[cfg(target_os = "android")]
    let started = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(paranoid_android::AndroidLogMakeWriter::new("confab".to_string()))
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .try_init();
    #[cfg(target_os = "ios")]
    let started = {
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        tracing_subscriber::registry()
            .with(filter)
            .with(tracing_oslog::OsLogger::new("org.confab.app", "default"))
            .try_init()
    };
    if let Err(e) = started {
        eprintln!("confab: logs not started: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_picks_its_platform() {
        assert_eq!(
            CURRENT,
            if cfg!(mobile) {
                Platform::Mobile
            } else {
                Platform::Desktop
            }
        );
        assert_eq!(cfg!(desktop), CURRENT == Platform::Desktop);
    }

    #[test]
    fn phones_notify_through_the_plugin_desktops_through_notify_rust() {
        assert_eq!(Platform::Mobile.notifications(), NotifyBackend::Plugin);
        assert_eq!(Platform::Desktop.notifications(), NotifyBackend::NotifyRust);
    }

    #[test]
    fn the_data_dir_of_each_platform() {
        let app_data = || Ok(PathBuf::from("/data/user/0/org.confab.app"));
        // A phone: Tauri's path resolver, not $HOME.
        assert_eq!(
            Platform::Mobile.data_dir(None, app_data).unwrap(),
            PathBuf::from("/data/user/0/org.confab.app")
        );
        // A desktop: the platform default the `confab` binary uses; the resolver is not asked.
        let asked = std::cell::Cell::new(false);
        let desktop = Platform::Desktop
            .data_dir(None, || {
                asked.set(true);
                Ok(PathBuf::from("/elsewhere"))
            })
            .unwrap();
        assert_eq!(desktop, confab_node::default_data_dir().unwrap());
        assert!(!asked.get());
        // CONFAB_DATA_DIR wins on both.
        for p in [Platform::Desktop, Platform::Mobile] {
            assert_eq!(
                p.data_dir(Some("/tmp/c".into()), app_data).unwrap(),
                PathBuf::from("/tmp/c")
            );
        }
        // A phone whose resolver fails says so.
        let e = Platform::Mobile
            .data_dir(None, || Err(tauri::Error::UnknownPath))
            .unwrap_err();
        assert!(e.message.contains("data folder"), "{e}");
    }

    #[test]
    fn the_data_dir_of_a_mock_app_on_a_phone_is_its_app_data_dir() {
        use tauri::Manager;
        let app = tauri::test::mock_app();
        let dir = Platform::Mobile
            .data_dir(None, || app.path().app_data_dir())
            .unwrap();
        assert_eq!(dir, app.path().app_data_dir().unwrap());
        assert_ne!(Some(dir), confab_node::default_data_dir().ok());
    }

    #[test]
    fn exports_go_by_path_on_desktops_and_through_the_picker_on_phones() {
        let uri: FilePath =
            "content://com.android.externalstorage.documents/document/primary%3ADownload%2Fboard.png"
                .parse()
                .unwrap();
        match Platform::Mobile.export_place(uri.clone()).unwrap() {
            ExportPlace::Picked(FilePath::Url(u)) => assert_eq!(u.to_string(), uri.to_string()),
            other => panic!("a phone writes {other:?} by path"),
        }
        // A file URL (iOS) stays a URL too: the file system plugin opens it under its scope.
        let file_url: FilePath = "file:///private/var/mobile/board.png".parse().unwrap();
        assert!(matches!(
            Platform::Mobile.export_place(file_url).unwrap(),
            ExportPlace::Picked(FilePath::Url(_))
        ));
        let e = Platform::Desktop.export_place(uri).unwrap_err();
        assert!(e.message.contains("not a path"), "{e}");

        let d = tempfile::tempdir().unwrap();
        let file = d.path().join("board.png");
        match Platform::Desktop
            .export_place(FilePath::Path(file.clone()))
            .unwrap()
        {
            ExportPlace::File(p) => assert_eq!(p, file),
            other => panic!("a desktop writes {other:?} through the picker"),
        }
        let e = Platform::Desktop
            .export_place(FilePath::Path(d.path().to_path_buf()))
            .unwrap_err();
        assert!(e.message.contains("is a folder"), "{e}");

        // Written where chosen, over what was there (the dialog asked).
        let app = tauri::test::mock_app();
        std::fs::write(&file, b"old").unwrap();
        let shown = write_export(app.handle(), &ExportPlace::File(file.clone()), b"\x89PNG").unwrap();
        assert_eq!(shown, file.display().to_string());
        assert_eq!(std::fs::read(&file).unwrap(), b"\x89PNG");
        // A picker's answer on a desktop build: refused by name, nothing written.
        let picked = ExportPlace::Picked("content://x/y.png".parse().unwrap());
        #[cfg(desktop)]
        assert!(write_export(app.handle(), &picked, b"x")
            .unwrap_err()
            .message
            .contains("content://x/y.png"));
        let _ = picked;
    }

    #[test]
    fn a_phone_asks_once_and_remembers_a_no() {
        let d = tempfile::tempdir().unwrap();
        let p = NotifyPermission::new(d.path());
        assert_eq!(p.step(PermissionState::Prompt), NotifyStep::Ask);
        assert!(!p.answered(PermissionState::Denied));
        // Remembered, in the data dir: no asking at the next notification nor the next start.
        assert_eq!(p.step(PermissionState::PromptWithRationale), NotifyStep::Drop);
        let again = NotifyPermission::new(d.path());
        assert_eq!(again.step(PermissionState::Prompt), NotifyStep::Drop);
        assert_eq!(again.step(PermissionState::Denied), NotifyStep::Drop);
        // Allowed later in the system's settings: shown, and the old "no" forgotten.
        assert_eq!(again.step(PermissionState::Granted), NotifyStep::Show);
        assert!(!d.path().join(NOTIFICATIONS_DECLINED).exists());
        assert_eq!(again.step(PermissionState::Prompt), NotifyStep::Ask);
        assert!(again.answered(PermissionState::Granted));
        assert!(!d.path().join(NOTIFICATIONS_DECLINED).exists());
    }

    #[test]
    fn lifecycle_changes_by_name_and_by_run_event() {
        assert_eq!(lifecycle_named("suspended").unwrap(), Lifecycle::Suspended);
        assert_eq!(lifecycle_named("resumed").unwrap(), Lifecycle::Resumed);
        assert_eq!(
            lifecycle_named("network-changed").unwrap(),
            Lifecycle::NetworkChanged
        );
        for bad in ["paused", "Resumed", "", "network_changed"] {
            let e = lifecycle_named(bad).unwrap_err();
            assert_eq!(e.code, "invalid");
            assert!(e.message.contains(&format!("{bad:?}")), "{e}");
        }
        // The event loop waking is not the app coming back; exiting is handled apart.
        assert_eq!(lifecycle_of(&RunEvent::Resumed), None);
        assert_eq!(lifecycle_of(&RunEvent::Exit), None);
    }

    #[test]
    fn a_pause_reported_twice_reaches_the_node_once() {
        use Lifecycle::*;
        let relay = LifecycleRelay::default();
        // Before the run events say anything (Android skips the first onResume), the
        // plugin's reports go through.
        assert_eq!(relay.from_command(Resumed), Some(Resumed));
        assert_eq!(relay.from_command(Suspended), Some(Suspended));
        // Then the run events report a pause and a return: the plugin's own reports of the
        // same (possibly late, from a paused page) are dropped; network changes still pass.
        assert_eq!(relay.from_run_event(Suspended), Some(Suspended));
        assert_eq!(relay.from_run_event(Resumed), Some(Resumed));
        assert_eq!(relay.from_command(Suspended), None);
        assert_eq!(relay.from_command(Resumed), None);
        assert_eq!(relay.from_command(NetworkChanged), Some(NetworkChanged));
        assert_eq!(relay.from_run_event(Suspended), Some(Suspended));
    }
}
