//! The chat's richer commands: names, replies, reactions, edits and deletes, a window on a long
//! history, the reader's place and search. Thin like `commands.rs`: each calls the node's
//! [`Client`] and maps its error.
//!
//! [`Client`]: confab_node::Client

use confab_node::view::{HitView, MessageView, ProfileView, ReactedView, ReadingView, WrittenView};
use confab_node::PageAt;
use tauri::State;

use crate::app::AppState;
use crate::error::UiError;

type Res<T> = Result<T, UiError>;

/// Sets this identity's display name and colour (`#rrggbb`).
#[tauri::command]
pub async fn profile_set(
    state: State<'_, AppState>,
    name: String,
    color: Option<String>,
) -> Res<ProfileView> {
    Ok(state.client.profile_set(&name, color.as_deref()).await?)
}

/// Sets this identity's picture from a picture file (cut square and made small), or removes
/// it (`path` null).
#[tauri::command]
pub async fn profile_picture(state: State<'_, AppState>, path: Option<String>) -> Res<ProfileView> {
    Ok(state.client.profile_picture(path.as_deref()).await?)
}

/// The account's recovery phrase, once the person confirmed they want to see it.
#[tauri::command]
pub async fn identity_phrase(
    state: State<'_, AppState>,
    confirmed: bool,
) -> Res<confab_node::view::PhraseView> {
    Ok(state.client.identity_phrase(confirmed).await?)
}

/// A peer's profile (this identity's without `peer`).
#[tauri::command]
pub async fn profile_get(state: State<'_, AppState>, peer: Option<String>) -> Res<ProfileView> {
    Ok(state.client.profile(peer.as_deref()).await?)
}

/// Every known profile.
#[tauri::command]
pub async fn profiles(state: State<'_, AppState>) -> Res<Vec<ProfileView>> {
    Ok(state.client.profiles().await?)
}

/// Writes a message, perhaps a reply, naming the peers it mentions.
#[tauri::command]
pub async fn chat_write(
    state: State<'_, AppState>,
    space: String,
    text: String,
    reply_to: Option<String>,
    mentions: Vec<String>,
) -> Res<WrittenView> {
    Ok(state
        .client
        .chat_write(&space, &text, reply_to.as_deref(), mentions)
        .await?)
}

/// Toggles this identity's reaction `emoji` on a message.
#[tauri::command]
pub async fn chat_react(
    state: State<'_, AppState>,
    space: String,
    msg: String,
    emoji: String,
) -> Res<ReactedView> {
    Ok(state.client.chat_react(&space, &msg, &emoji).await?)
}

/// Replaces the text of an own message.
#[tauri::command]
pub async fn chat_edit(
    state: State<'_, AppState>,
    space: String,
    msg: String,
    text: String,
    mentions: Vec<String>,
) -> Res<WrittenView> {
    Ok(state.client.chat_edit(&space, &msg, &text, mentions).await?)
}

/// Deletes an own message (or, for the space's owner, anyone's).
#[tauri::command]
pub async fn chat_delete(state: State<'_, AppState>, space: String, msg: String) -> Res<WrittenView> {
    Ok(state.client.chat_delete(&space, &msg).await?)
}

/// Where a page of history is: at most one of the four may be given; none is the newest.
fn page_at(
    before: Option<String>,
    after: Option<String>,
    around: Option<String>,
    at_ms: Option<u64>,
) -> Res<PageAt> {
    let given = [
        before.is_some(),
        after.is_some(),
        around.is_some(),
        at_ms.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if given > 1 {
        return Err(UiError::invalid(
            "a page is before, after or around one message, or at a date: one of them",
        ));
    }
    Ok(match (before, after, around, at_ms) {
        (Some(id), ..) => PageAt::Before(id),
        (_, Some(id), ..) => PageAt::After(id),
        (_, _, Some(id), _) => PageAt::Around(id),
        (_, _, _, Some(ms)) => PageAt::Date(ms),
        _ => PageAt::Newest,
    })
}

/// A page of at most `limit` messages, oldest first.
#[tauri::command]
pub async fn chat_window(
    state: State<'_, AppState>,
    space: String,
    limit: u32,
    before: Option<String>,
    after: Option<String>,
    around: Option<String>,
    at_ms: Option<u64>,
) -> Res<Vec<MessageView>> {
    let at = page_at(before, after, around, at_ms)?;
    Ok(state.client.chat_window(&space, at, limit).await?)
}

/// One message as it is now (reactions, edits, deletion), or null if unknown.
#[tauri::command]
pub async fn chat_message(state: State<'_, AppState>, space: String, id: String) -> Res<Option<MessageView>> {
    Ok(state.client.chat_message(&space, &id).await?)
}

/// Marks a space read up to a message (everything without `upto`).
#[tauri::command]
pub async fn mark_read(state: State<'_, AppState>, space: String, upto: Option<String>) -> Res<ReadingView> {
    Ok(state.client.mark_read(&space, upto.as_deref()).await?)
}

/// The reader's place in a space: the first unread message and how many are unread.
#[tauri::command]
pub async fn reading(state: State<'_, AppState>, space: String) -> Res<ReadingView> {
    Ok(state.client.reading(&space).await?)
}

/// Full-text search over messages and issues, perhaps in one space or by one author.
#[tauri::command]
pub async fn search(
    state: State<'_, AppState>,
    query: String,
    space: Option<String>,
    author: Option<String>,
    limit: Option<u32>,
) -> Res<Vec<HitView>> {
    Ok(state
        .client
        .search(&query, space.as_deref(), author.as_deref(), limit)
        .await?)
}

/// Tells the room's members that this identity is typing (live, never stored).
#[tauri::command]
pub async fn chat_typing(state: State<'_, AppState>, space: String) -> Res<()> {
    Ok(state.client.chat_typing(&space).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_place_at_most() {
        assert!(matches!(page_at(None, None, None, None), Ok(PageAt::Newest)));
        assert!(matches!(page_at(Some("a".into()), None, None, None), Ok(PageAt::Before(id)) if id == "a"));
        assert!(matches!(page_at(None, Some("b".into()), None, None), Ok(PageAt::After(id)) if id == "b"));
        assert!(matches!(page_at(None, None, Some("c".into()), None), Ok(PageAt::Around(id)) if id == "c"));
        assert!(matches!(page_at(None, None, None, Some(5)), Ok(PageAt::Date(5))));
        assert!(page_at(Some("a".into()), None, None, Some(5)).is_err());
    }
}
