// Prevents an extra console window on Windows in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // Logs (stderr; `RUST_LOG` overrides the default filter) start in `run`, on phones too.
    software_rendering();
    confab_app_lib::run()
}

/// Without a GPU (no `/dev/dri`), WebKitGTK's default DMA-BUF renderer costs about 60 ms per
/// repaint whatever the page draws, so the whiteboard pans at 6–14 frames a second; its
/// shared-memory renderer gives 59–62 (docs/BENCHMARKS.md (l)). Chosen here unless the
/// environment already says, or `CONFAB_KEEP_RENDERER` is set (the window tests set it:
/// WebDriver's screenshots never return under the shared-memory renderer).
fn software_rendering() {
    #[cfg(target_os = "linux")]
    {
        const VAR: &str = "WEBKIT_DISABLE_DMABUF_RENDERER";
        let decided = std::env::var_os(VAR).is_some() || std::env::var_os("CONFAB_KEEP_RENDERER").is_some();
        if !decided && !std::path::Path::new("/dev/dri").exists() {
            // SAFETY: at the top of main, before any thread is started.
            unsafe { std::env::set_var(VAR, "1") };
        }
    }
}
