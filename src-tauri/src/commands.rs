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
use tauri::State;

use crate::app::AppState;
use crate::error::UiError;

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

/// Saves an exported board (PNG or SVG, base64) in the Downloads folder; returns the path.
#[tauri::command]
pub fn save_export(name: String, base64: String) -> Res<String> {
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
    if !(safe.ends_with(".png") || safe.ends_with(".svg")) {
        return Err(UiError::invalid("exports are .png or .svg files"));
    }
    let bytes = data_encoding::BASE64
        .decode(base64.as_bytes())
        .map_err(|e| UiError::invalid(format!("export data is not base64: {e}")))?;
    let dir = directories::UserDirs::new()
        .and_then(|u| u.download_dir().map(|d| d.to_path_buf()))
        .or_else(|| directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf()))
        .ok_or_else(|| UiError::new("io", "no Downloads or home folder to save in"))?;
    std::fs::create_dir_all(&dir).map_err(|e| UiError::new("io", format!("{}: {e}", dir.display())))?;
    let path = dir.join(safe);
    std::fs::write(&path, bytes).map_err(|e| UiError::new("io", format!("{}: {e}", path.display())))?;
    Ok(path.display().to_string())
}
