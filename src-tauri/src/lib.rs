//! The Confab app shell. The engine lives in `crates/`; this crate only hosts the UI and
//! forwards UI actions to it.

/// Builds the app on any Tauri runtime, so tests can hand it the mock runtime.
pub fn app_builder<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
}

/// Entry point for desktop (`main.rs`) and mobile.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    app_builder(tauri::Builder::default())
        .run(tauri::generate_context!())
        .expect("error while running the Confab app");
}
