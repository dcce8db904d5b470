//! The `net` plugin: on Android it loads Confab's Kotlin plugin `NetPlugin`
//! (`gen/android/app/src/main/java/org/confab/app/NetPlugin.kt`), which holds Wi-Fi's multicast
//! lock while the app runs (mDNS needs it) and raises the plugin event `lifecycle` with
//! `{"kind": "suspended" | "resumed" | "network-changed"}`. The page's `ui/js/lifecycle.js`
//! listens to that event and hands the kind to the node through the `app_lifecycle` command.
//!
//! The plugin has no Rust commands: the page's `registerListener`/`removeListener` calls go
//! straight to the Kotlin side, which Tauri allows through the permissions `build.rs` generates
//! for the inlined plugin [`NAME`] and `capabilities/mobile.json` grants on phones only. On the
//! desktops and on iOS (no native side yet) the plugin does nothing.

use tauri::plugin::{Builder, TauriPlugin};
use tauri::Runtime;

/// The plugin's name: the page reaches it as `plugin:net|…` (build.rs names it too).
pub const NAME: &str = "net";

/// The package and class of the Kotlin plugin, as the Android build compiles it.
#[cfg(target_os = "android")]
const ANDROID_PACKAGE: &str = "org.confab.app";
#[cfg(target_os = "android")]
const ANDROID_CLASS: &str = "NetPlugin";

/// Builds the plugin; on Android its setup loads the Kotlin class into the running activity.
pub fn init<R: Runtime>() -> TauriPlugin<R> {
    Builder::new(NAME)
        .setup(|_app, _api| {
            #[cfg(target_os = "android")]
            _api.register_android_plugin(ANDROID_PACKAGE, ANDROID_CLASS)?;
            Ok(())
        })
        .build()
}
