//! The app on Tauri's mock runtime (no display, no D-Bus) with its real node on 127.0.0.1,
//! mDNS off, and commands called the way the page calls them (through the real ACL).
#![allow(dead_code)]

use serde_json::Value;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{Manager, WebviewWindow};

pub struct App {
    pub _dir: tempfile::TempDir,
    pub app: tauri::App<MockRuntime>,
    pub window: WebviewWindow<MockRuntime>,
}

/// The app on a fresh data dir, begun with "Start new" (the node runs).
pub fn app() -> App {
    let a = first_run_app();
    ok(&a.window, "first_run_new", serde_json::json!({}));
    a
}

/// The app on a fresh data dir, at the first-run choice: no node runs yet.
pub fn first_run_app() -> App {
    let dir = tempfile::tempdir().unwrap();
    // Each test runs in its own process under nextest: the environment is this test's own.
    std::env::set_var("CONFAB_DATA_DIR", dir.path().join("app"));
    std::env::set_var("CONFAB_MDNS", "0");
    std::env::set_var("CONFAB_DHT", "0");
    std::env::set_var("CONFAB_UPNP", "0");
    std::env::set_var("CONFAB_LISTEN", "/ip4/127.0.0.1/tcp/0");
    std::env::set_var("HOME", dir.path());
    let mut app = confab_app_lib::app_builder(mock_builder())
        .build(tauri::generate_context!(test = true))
        .expect("app builds");
    // One turn of the event loop runs `setup` (which starts the node if the data dir has an
    // identity) and opens the window of tauri.conf.json. (Deprecated for loops that busy-wait; one turn is all a test needs.)
    #[allow(deprecated)]
    app.run_iteration(|_, _| {});
    let window = app.get_webview_window("main").expect("main window");
    App {
        _dir: dir,
        app,
        window,
    }
}

pub fn call(w: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        w,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|b| b.deserialize::<Value>().unwrap())
}

pub fn ok(w: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Value {
    call(w, cmd, args.clone()).unwrap_or_else(|e| panic!("{cmd} {args}: {e}"))
}

pub fn err(w: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Value {
    match call(w, cmd, args.clone()) {
        Ok(v) => panic!("{cmd} {args} should fail, gave {v}"),
        Err(e) => e,
    }
}
