//! A bare Tauri window showing a one-line page: the yardstick the app's memory and start-up
//! figures are compared with (`scripts/footprint.sh`, docs/BENCHMARKS.md). Same Tauri, same
//! WebKitGTK, no Confab.

use tauri::http::Response;
use tauri::{WebviewUrl, WebviewWindowBuilder};

const PAGE: &str = "<!doctype html><title>bare</title><body><p>bare window</p>\
<script>document.body.dataset.ready='true'</script></body>";

fn main() {
    let mut ctx = tauri::generate_context!();
    // Not the app's window with the app's UI: one window of our own below, whose page comes
    // from a protocol of its own.
    ctx.config_mut().app.windows.clear();
    tauri::Builder::default()
        .register_uri_scheme_protocol("bare", |_ctx, _req| {
            Response::builder()
                .header("Content-Type", "text/html")
                .body(PAGE.as_bytes().to_vec())
                .expect("a static response")
        })
        .setup(|app| {
            let url = "bare://localhost/".parse().expect("a URL");
            WebviewWindowBuilder::new(app, "main", WebviewUrl::CustomProtocol(url))
                .title("bare")
                .inner_size(1100.0, 760.0)
                .build()?;
            Ok(())
        })
        .run(ctx)
        .expect("running the bare window");
}
