//! One command per UI action. Each parses its input, delegates to the node and maps errors;
//! nothing here knows about SQLite or libp2p.

use confab_core::{
    Body, ChatBody, EraseBody, Live, LiveStroke, NewsBody, RecordId, Space, SpaceKind, StrokeBody,
};
use confab_node::{NodeConfig, PeerStatus, SavedSettings};
use serde::Serialize;
use tauri::State;

use crate::app::{lock, AppState};
use crate::error::UiError;
use crate::view::{IssueView, MemberView, MessageView, SpaceView, StrokeView};

type Res<T> = Result<T, UiError>;

async fn space(state: &AppState, id: &str) -> Res<Space> {
    Ok(state.node.local().space(id.trim()).await?)
}

fn kind(k: &str) -> Res<SpaceKind> {
    k.parse()
        .map_err(|_| UiError::invalid(format!("{k:?} is not a space kind (chat, board, news)")))
}

/// Who this node is.
#[derive(Serialize)]
pub struct Me {
    peer_id: String,
    short: String,
    data_dir: String,
    listening: Vec<String>,
}

#[tauri::command]
pub fn me(state: State<'_, AppState>) -> Me {
    Me {
        peer_id: state.me.peer_id(),
        short: crate::view::short_name(&state.me),
        data_dir: state.dir.display().to_string(),
        listening: state.node.listening(),
    }
}

#[tauri::command]
pub async fn spaces(state: State<'_, AppState>, kind: Option<String>) -> Res<Vec<SpaceView>> {
    let want = kind.as_deref().map(self::kind).transpose()?;
    let muted = lock(&state.muted).clone();
    Ok(state
        .node
        .local()
        .store()
        .spaces()
        .await?
        .iter()
        .filter(|s| want.is_none_or(|k| s.kind == k))
        .map(|s| SpaceView::of(s, &state.me, muted.contains(&s.id)))
        .collect())
}

/// A space and its ticket.
#[derive(Serialize)]
pub struct Created {
    space: SpaceView,
    ticket: String,
}

#[tauri::command]
pub async fn create_space(state: State<'_, AppState>, kind: String, name: String) -> Res<Created> {
    let name = name.trim();
    if name.is_empty() {
        return Err(UiError::invalid("give the space a name"));
    }
    let (s, ticket) = state.node.create_space(self::kind(&kind)?, name).await?;
    Ok(Created {
        space: SpaceView::of(&s, &state.me, false),
        ticket,
    })
}

#[tauri::command]
pub async fn join_space(state: State<'_, AppState>, ticket: String) -> Res<SpaceView> {
    let t = state.node.join(ticket.trim()).await?;
    Ok(SpaceView::of(&t.space, &state.me, false))
}

/// A ticket as text and as a QR code (SVG).
#[derive(Serialize)]
pub struct TicketView {
    ticket: String,
    qr_svg: String,
}

#[tauri::command]
pub async fn space_ticket(state: State<'_, AppState>, space: String) -> Res<TicketView> {
    let s = self::space(&state, &space).await?;
    let ticket = state.node.local().ticket(&s).await?;
    let code = qrcode::QrCode::with_error_correction_level(ticket.as_bytes(), qrcode::EcLevel::L)
        .map_err(|e| UiError::new("node", format!("QR code: {e}")))?;
    let qr_svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    Ok(TicketView { ticket, qr_svg })
}

#[tauri::command]
pub async fn space_members(state: State<'_, AppState>, space: String) -> Res<Vec<MemberView>> {
    let s = self::space(&state, &space).await?;
    let members = state.node.local().members(&s).await?;
    Ok(members.iter().map(|m| MemberView::of(m, &state.me)).collect())
}

/// Removes a member (owner only) and rotates the key; returns the new member list.
#[tauri::command]
pub async fn remove_member(state: State<'_, AppState>, space: String, peer: String) -> Res<Vec<MemberView>> {
    let s = self::space(&state, &space).await?;
    let s = state.node.remove_member(&s, &peer).await?;
    let members = state.node.local().members(&s).await?;
    Ok(members.iter().map(|m| MemberView::of(m, &state.me)).collect())
}

#[tauri::command]
pub async fn set_muted(state: State<'_, AppState>, space: String, muted: bool) -> Res<()> {
    let s = self::space(&state, &space).await?;
    state.node.local().store().set_muted(s.id, muted).await?;
    let mut m = lock(&state.muted);
    if muted {
        m.insert(s.id);
    } else {
        m.remove(&s.id);
    }
    Ok(())
}

#[tauri::command]
pub async fn chat_list(state: State<'_, AppState>, space: String) -> Res<Vec<MessageView>> {
    let s = self::space(&state, &space).await?;
    let msgs = state.node.local().store().chat_messages(s.id).await?;
    Ok(msgs.iter().map(|m| MessageView::of(m, &state.me)).collect())
}

#[tauri::command]
pub async fn chat_send(state: State<'_, AppState>, space: String, text: String) -> Res<String> {
    if text.trim().is_empty() {
        return Err(UiError::invalid("the message is empty"));
    }
    let s = self::space(&state, &space).await?;
    let id = state
        .node
        .write(&s, Body::Chat(ChatBody { text }), vec![])
        .await?;
    Ok(id.to_string())
}

#[tauri::command]
pub async fn board_list(state: State<'_, AppState>, space: String) -> Res<Vec<StrokeView>> {
    let s = self::space(&state, &space).await?;
    let strokes = state.node.local().store().board_strokes(s.id).await?;
    Ok(strokes.iter().map(|x| StrokeView::of(x, &state.me)).collect())
}

fn parse_color(c: &str) -> Res<[u8; 3]> {
    let hex = c.trim().trim_start_matches('#');
    let bytes = data_encoding::HEXLOWER_PERMISSIVE
        .decode(hex.as_bytes())
        .ok()
        .filter(|b| b.len() == 3)
        .ok_or_else(|| UiError::invalid(format!("{c:?} is not a colour like #1a2b3c")))?;
    Ok([bytes[0], bytes[1], bytes[2]])
}

#[tauri::command]
pub async fn board_stroke(
    state: State<'_, AppState>,
    space: String,
    points: Vec<(f32, f32)>,
    color: String,
    width: f32,
) -> Res<String> {
    let s = self::space(&state, &space).await?;
    let body = Body::Stroke(StrokeBody {
        points,
        color: parse_color(&color)?,
        width,
    });
    Ok(state.node.write(&s, body, vec![]).await?.to_string())
}

/// A stroke in progress, as the UI sends it.
#[derive(serde::Deserialize)]
pub struct LiveStrokeArg {
    points: Vec<(f32, f32)>,
    color: String,
    width: f32,
    #[serde(default)]
    erasing: bool,
}

/// Tells the board's other members where this pointer is and what is being drawn. Not stored.
#[tauri::command]
pub async fn board_live(
    state: State<'_, AppState>,
    space: String,
    cursor: Option<(f32, f32)>,
    stroke: Option<LiveStrokeArg>,
) -> Res<()> {
    let s = self::space(&state, &space).await?;
    let stroke = match stroke {
        Some(st) => Some(LiveStroke {
            points: st.points,
            color: parse_color(&st.color)?,
            width: st.width,
            erasing: st.erasing,
        }),
        None => None,
    };
    let live = Live { cursor, stroke };
    live.check().map_err(|e| UiError::invalid(e.to_string()))?;
    Ok(state.node.send_live(&s, &live).await?)
}

#[tauri::command]
pub async fn board_erase(state: State<'_, AppState>, space: String, strokes: Vec<String>) -> Res<String> {
    if strokes.is_empty() {
        return Err(UiError::invalid("nothing to erase"));
    }
    let s = self::space(&state, &space).await?;
    let refs = strokes
        .iter()
        .map(|x| RecordId::from_hex(x).ok_or_else(|| UiError::invalid(format!("{x:?} is not a record id"))))
        .collect::<Res<Vec<_>>>()?;
    Ok(state
        .node
        .write(&s, Body::Erase(EraseBody {}), refs)
        .await?
        .to_string())
}

#[tauri::command]
pub async fn news_list(state: State<'_, AppState>, space: String) -> Res<Vec<IssueView>> {
    let s = self::space(&state, &space).await?;
    let store = state.node.local().store();
    let issues = store.news_issues(s.id).await?;
    let holders = if s.owner == state.me {
        store.holders(s.id).await?
    } else {
        Vec::new()
    };
    Ok(issues
        .iter()
        .map(|n| IssueView::of(n, &state.me).with_holders(n, &holders))
        .collect())
}

#[tauri::command]
pub async fn news_publish(
    state: State<'_, AppState>,
    space: String,
    title: String,
    body: String,
) -> Res<String> {
    if title.trim().is_empty() {
        return Err(UiError::invalid("the issue needs a title"));
    }
    let s = self::space(&state, &space).await?;
    if s.owner != state.me {
        return Err(UiError::new(
            "refused",
            "only the newsletter's owner can publish in it",
        ));
    }
    let body = Body::News(NewsBody { title, body });
    Ok(state.node.write(&s, body, vec![]).await?.to_string())
}

#[tauri::command]
pub fn peers(state: State<'_, AppState>) -> Vec<PeerStatus> {
    state.node.peers()
}

/// Settings as the Settings view shows them.
#[derive(Serialize)]
pub struct SettingsView {
    saved: SavedSettings,
    /// Settings the environment overrides (`CONFAB_*`), which win over saved ones.
    from_env: Vec<String>,
}

fn env_overrides() -> Vec<String> {
    ["CONFAB_LISTEN", "CONFAB_DIAL", "CONFAB_RELAY", "CONFAB_MDNS"]
        .iter()
        .filter(|k| std::env::var_os(k).is_some())
        .map(|k| k.to_string())
        .collect()
}

#[tauri::command]
pub fn settings_get(state: State<'_, AppState>) -> Res<SettingsView> {
    Ok(SettingsView {
        saved: NodeConfig::load(&state.dir)?.to_saved(),
        from_env: env_overrides(),
    })
}

/// Checks and saves settings; peers to dial are dialled at once, the rest applies at the next
/// start.
#[tauri::command]
pub fn settings_set(state: State<'_, AppState>, settings: SavedSettings) -> Res<()> {
    let cfg = NodeConfig::from_saved(&settings)?;
    cfg.save(&state.dir)?;
    for a in cfg.dial {
        state.node.dial(a)?;
    }
    Ok(())
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
