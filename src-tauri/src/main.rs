// Prevents an extra console window on Windows in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // Logs go to stderr; `RUST_LOG` overrides the default filter.
    confab_node::init_logging();
    confab_app_lib::run()
}
