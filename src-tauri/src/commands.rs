//! One command per UI action. Each takes its arguments, calls the node's [`Client`] and maps
//! its error; the shapes are the node's view types (`confab_node::view`), the same the CLI
//! prints. Nothing here knows about SQLite or libp2p.
//!
//! [`Client`]: confab_node::Client

use confab_node::view::{
    CreatedView, IssueView, LiveStrokeView, LiveView, MeView, MemberView, MessageView, PeerView,
    SettingsView, SpaceView, StatusView, StrokeView, TicketView, WrittenView,
};
use confab_node::SavedSettings;
use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_dialog::DialogExt;

use crate::app::AppState;
use crate::error::UiError;
use crate::platform;

type Res<T> = Result<T, UiError>;

#[tauri::command]
pub async fn me(state: State<'_, AppState>) -> Res<MeView> {
    Ok(state.client.id().await?)
}

#[tauri::command]
pub async fn spaces(state: State<'_, AppState>, kind: Option<String>) -> Res<Vec<SpaceView>> {
    Ok(state.client.spaces(kind.as_deref()).await?)
}

#[tauri::command]
pub async fn create_space(state: State<'_, AppState>, kind: String, name: String) -> Res<CreatedView> {
    Ok(state.client.create_space(&kind, &name).await?)
}

#[tauri::command]
pub async fn join_space(state: State<'_, AppState>, ticket: String) -> Res<SpaceView> {
    Ok(state.client.join(&ticket).await?)
}

/// A ticket, and the same as a QR code (SVG) for the invite panel.
#[derive(Serialize)]
pub struct TicketWithQr {
    #[serde(flatten)]
    ticket: TicketView,
    qr_svg: String,
}

#[tauri::command]
pub async fn space_ticket(state: State<'_, AppState>, space: String) -> Res<TicketWithQr> {
    let ticket = state.client.ticket(&space).await?;
    let qr_svg = qr_svg(&ticket.ticket)?;
    Ok(TicketWithQr { ticket, qr_svg })
}

/// `text` as a QR code, an SVG document at least 240 pixels wide with its quiet zone.
pub(crate) fn qr_svg(text: &str) -> Res<String> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::L)
        .map_err(|e| UiError::new("node", format!("QR code: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build())
}

#[tauri::command]
pub async fn space_members(state: State<'_, AppState>, space: String) -> Res<Vec<MemberView>> {
    Ok(state.client.members(&space).await?)
}

/// Removes a member (owner only) and rotates the key; returns the new member list.
#[tauri::command]
pub async fn remove_member(state: State<'_, AppState>, space: String, peer: String) -> Res<Vec<MemberView>> {
    state.client.remove_member(&space, &peer).await?;
    Ok(state.client.members(&space).await?)
}

#[tauri::command]
pub async fn set_muted(state: State<'_, AppState>, space: String, muted: bool) -> Res<SpaceView> {
    Ok(state.client.set_muted(&space, muted).await?)
}

#[tauri::command]
pub async fn chat_list(state: State<'_, AppState>, space: String) -> Res<Vec<MessageView>> {
    Ok(state.client.chat_list(&space).await?)
}

#[tauri::command]
pub async fn chat_send(state: State<'_, AppState>, space: String, text: String) -> Res<WrittenView> {
    Ok(state.client.chat_send(&space, &text).await?)
}

#[tauri::command]
pub async fn board_list(state: State<'_, AppState>, space: String) -> Res<Vec<StrokeView>> {
    Ok(state.client.board_list(&space).await?)
}

#[tauri::command]
pub async fn board_stroke(
    state: State<'_, AppState>,
    space: String,
    points: Vec<(f32, f32)>,
    color: String,
    width: f32,
) -> Res<WrittenView> {
    Ok(state.client.board_stroke(&space, points, &color, width).await?)
}

/// Tells the board's other members where this pointer is, what is being drawn, which part of
/// the board is in view and what is selected. Not stored.
#[tauri::command]
pub async fn board_live(
    state: State<'_, AppState>,
    space: String,
    cursor: Option<(f32, f32)>,
    stroke: Option<LiveStrokeView>,
    view: Option<(f32, f32, f32, f32)>,
    selection: Option<Vec<String>>,
) -> Res<()> {
    let live = LiveView {
        cursor,
        stroke,
        view,
        selection: selection.unwrap_or_default(),
    };
    Ok(state.client.board_presence(&space, live).await?)
}

#[tauri::command]
pub async fn board_erase(
    state: State<'_, AppState>,
    space: String,
    strokes: Vec<String>,
) -> Res<WrittenView> {
    Ok(state.client.board_erase(&space, strokes).await?)
}

#[tauri::command]
/// A newsletter's issues, oldest first: the `limit` newest before `before` (an issue id),
/// or every one without a limit.
pub async fn news_list(
    state: State<'_, AppState>,
    space: String,
    limit: Option<u32>,
    before: Option<String>,
) -> Res<Vec<IssueView>> {
    Ok(state.client.news_page(&space, limit, before.as_deref()).await?)
}

#[tauri::command]
pub async fn news_publish(
    state: State<'_, AppState>,
    space: String,
    title: String,
    body: String,
) -> Res<WrittenView> {
    Ok(state.client.news_publish(&space, &title, &body).await?)
}

#[tauri::command]
pub async fn peers(state: State<'_, AppState>) -> Res<Vec<PeerView>> {
    Ok(state.client.peers().await?)
}

/// This node's reachability, relay reservations, DHT state and rendezvous per space.
#[tauri::command]
pub async fn status(state: State<'_, AppState>) -> Res<StatusView> {
    Ok(state.client.status().await?)
}

#[tauri::command]
pub async fn settings_get(state: State<'_, AppState>) -> Res<SettingsView> {
    Ok(state.client.settings().await?)
}

/// Checks and saves settings; peers to dial are dialled at once, the rest applies at the next
/// start.
#[tauri::command]
pub async fn settings_set(state: State<'_, AppState>, settings: SavedSettings) -> Res<()> {
    Ok(state.client.set_settings(settings).await?)
}

/// Saves an exported board (PNG or SVG, base64) where the person chooses in the save dialog
/// (a phone's file picker), the board's name offered; returns where it went, null if the
/// dialog was cancelled. The name and the data are checked before the dialog opens.
#[tauri::command]
pub async fn save_export<R: Runtime>(app: AppHandle<R>, name: String, base64: String) -> Res<Option<String>> {
    let (offered, bytes) = export_contents(&name, &base64)?;
    let (what, ext) = if offered.ends_with(".png") {
        ("PNG picture", "png")
    } else {
        ("SVG drawing", "svg")
    };
    let dialog = app
        .dialog()
        .file()
        .set_title("Export board")
        .add_filter(what, &[ext])
        .set_file_name(&offered);
    let Some(chosen) = crate::welcome::ask_save(&app, dialog).await else {
        return Ok(None);
    };
    let place = platform::CURRENT.export_place(chosen)?;
    let written = tauri::async_runtime::spawn_blocking(move || platform::write_export(&app, &place, &bytes))
        .await
        .map_err(|e| UiError::new("io", format!("writing the export: {e}")))??;
    Ok(Some(written))
}

/// An export's name as the save dialog offers it (letters, digits and `-_.`, anything else a
/// dash, no leading dot) and its bytes; refused by name unless a `.png` or `.svg` in base64.
pub(crate) fn export_contents(name: &str, base64: &str) -> Res<(String, Vec<u8>)> {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let safe = safe.trim_start_matches('.').to_string();
    if !(safe.ends_with(".png") || safe.ends_with(".svg")) || safe.len() <= 4 {
        return Err(UiError::invalid("exports are .png or .svg files"));
    }
    let bytes = data_encoding::BASE64
        .decode(base64.as_bytes())
        .map_err(|e| UiError::invalid(format!("export data is not base64: {e}")))?;
    Ok((safe, bytes))
}

/// Tells the node of the app's lifecycle, for the Android plugin or the page: `suspended`,
/// `resumed` or `network-changed` (anything else is refused by name). Nothing to tell before
/// the node has started (the first-run page), nor of a pause or return Tauri's run events
/// already reported (`platform::LifecycleRelay`).
#[tauri::command]
pub async fn app_lifecycle<R: Runtime>(app: AppHandle<R>, kind: String) -> Res<()> {
    let event = platform::lifecycle_named(&kind)?;
    let relay = app.try_state::<platform::LifecycleRelay>();
    let Some(event) = relay.map_or(Some(event), |r| r.from_command(event)) else {
        return Ok(());
    };
    let Some(state) = app.try_state::<AppState>() else {
        return Ok(());
    };
    Ok(state.client.lifecycle(event).await?)
}

#[cfg(test)]
mod tests {
    use super::export_contents;

    #[test]
    fn an_export_is_offered_under_a_plain_name() {
        let (name, bytes) = export_contents("../../escape.png", "AAAA").unwrap();
        assert_eq!(name, "-..-escape.png");
        assert_eq!(bytes, [0, 0, 0]);
        assert_eq!(
            export_contents("Harbour board.svg", "").unwrap().0,
            "Harbour-board.svg"
        );
        assert_eq!(export_contents("Café.png", "").unwrap().0, "Café.png");
        for bad in ["board.exe", "board.png.sh", ".png", "..svg", ""] {
            let e = export_contents(bad, "AAAA").unwrap_err();
            assert!(e.message.contains(".png or .svg"), "{bad}: {e}");
        }
        let e = export_contents("b.png", "%%%").unwrap_err();
        assert!(e.message.contains("base64"), "{e}");
    }
}
