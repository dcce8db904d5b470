/// The app's commands. Listing them makes Tauri generate an `allow-…` permission for each, and
/// a command is then callable only where a capability grants it (see capabilities/).
const COMMANDS: &[&str] = &[
    "me",
    "spaces",
    "create_space",
    "join_space",
    "space_ticket",
    "set_muted",
    "space_members",
    "remove_member",
    "chat_list",
    "chat_send",
    "board_list",
    "board_stroke",
    "board_erase",
    "board_live",
    "news_list",
    "news_publish",
    "peers",
    "status",
    "settings_get",
    "settings_set",
    "save_export",
    "profile_set",
    "profile_get",
    "profiles",
    "chat_write",
    "chat_react",
    "chat_edit",
    "chat_delete",
    "chat_window",
    "chat_message",
    "mark_read",
    "reading",
    "search",
    "chat_typing",
    "chat_attach",
    "chat_attach_bytes",
    "file_save",
    "file_open_dialog",
    "open_link",
    "news_publish_files",
    "clipboard_picture",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build step");
}
