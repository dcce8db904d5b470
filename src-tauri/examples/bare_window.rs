//! A bare Tauri window showing a one-line page: the yardstick the app's memory and start-up
//! figures are compared with (`scripts/footprint.sh`, docs/BENCHMARKS.md). Same Tauri, same
//! WebKitGTK, no Confab.

use tauri::{WebviewUrl, WebviewWindowBuilder};

const PAGE: &str = "data:text/html,<!doctype html><title>bare</title><body><p>bare window</p>\
<script>document.body.dataset.ready='true'</script></body>";

fn main() {
    let mut ctx = tauri::generate_context!();
    // Not the app's window with the app's UI: one window of our own below.
    ctx.config_mut().app.windows.clear();
    tauri::Builder::default()
        .setup(|app| {
            let url = PAGE.parse().expect("a data: URL");
            WebviewWindowBuilder::new(app, "main", WebviewUrl::External(url))
                .title("bare")
                .inner_size(1100.0, 760.0)
                .build()?;
            Ok(())
        })
        .run(ctx)
        .expect("running the bare window");
}
