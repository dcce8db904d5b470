//! Newsletters beyond publishing: drafts and scheduled issues, corrections and their versions,
//! the owner's reply settings and readers' replies, and the Atom feed saved where the person
//! chooses. Thin like `commands.rs`: the node does the work.

use std::path::{Path, PathBuf};

use confab_node::view::{DraftView, FeedView, IssueView, NewsSettingsView, ReplyView, WrittenView};
use confab_node::{Correction, NewIssue};
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_dialog::DialogExt;

use crate::app::AppState;
use crate::error::UiError;

type Res<T> = Result<T, UiError>;

/// Publishes an issue now, saves it as a draft (`draft`), or schedules it (`at`, ms since the
/// epoch): the issue's id, or the draft's for a draft or a scheduled issue.
#[tauri::command]
pub async fn news_compose(
    state: State<'_, AppState>,
    space: String,
    title: String,
    body: String,
    draft: Option<bool>,
    at: Option<u64>,
    files: Option<Vec<String>>,
) -> Res<WrittenView> {
    let issue = NewIssue {
        title,
        body,
        markdown: None,
        draft: draft.unwrap_or(false),
        at,
        files: files.unwrap_or_default().into_iter().map(Into::into).collect(),
    };
    Ok(state.client.news_compose(&space, issue).await?)
}

/// This person's drafts and scheduled issues of a newsletter, with their preview.
#[tauri::command]
pub async fn news_drafts(state: State<'_, AppState>, space: String) -> Res<Vec<DraftView>> {
    Ok(state.client.news_drafts(&space).await?)
}

/// Publishes a draft (or a scheduled issue) now: the issue's id.
#[tauri::command]
pub async fn news_publish_draft(
    state: State<'_, AppState>,
    space: String,
    draft: String,
) -> Res<WrittenView> {
    Ok(state.client.news_publish_draft(&space, &draft).await?)
}

/// Throws a draft away, or cancels a scheduled issue.
#[tauri::command]
pub async fn news_discard(state: State<'_, AppState>, space: String, draft: String) -> Res<()> {
    Ok(state.client.news_discard(&space, &draft).await?)
}

/// Corrects a published issue (its owner): a new title, a new body, or both; `files` are
/// attached to a new body (the issue's pictures it still links stay).
#[tauri::command]
pub async fn news_edit(
    state: State<'_, AppState>,
    space: String,
    issue: String,
    title: Option<String>,
    body: Option<String>,
    files: Option<Vec<String>>,
) -> Res<WrittenView> {
    let c = Correction {
        title,
        body,
        markdown: None,
        files: files.unwrap_or_default().into_iter().map(Into::into).collect(),
    };
    Ok(state.client.news_edit(&space, &issue, c).await?)
}

/// Every version of an issue, oldest first.
#[tauri::command]
pub async fn news_versions(state: State<'_, AppState>, space: String, issue: String) -> Res<Vec<IssueView>> {
    Ok(state.client.news_versions(&space, &issue).await?)
}

/// A newsletter's settings; with `replies` (`off`, `owner`, `all`) the owner sets them.
#[tauri::command]
pub async fn news_settings(
    state: State<'_, AppState>,
    space: String,
    replies: Option<String>,
) -> Res<NewsSettingsView> {
    Ok(state.client.news_settings(&space, replies.as_deref()).await?)
}

/// Replies to an issue as the newsletter's settings allow.
#[tauri::command]
pub async fn news_reply(
    state: State<'_, AppState>,
    space: String,
    issue: String,
    text: String,
) -> Res<WrittenView> {
    Ok(state.client.news_reply(&space, &issue, &text).await?)
}

/// The replies to an issue, oldest first.
#[tauri::command]
pub async fn news_replies(state: State<'_, AppState>, space: String, issue: String) -> Res<Vec<ReplyView>> {
    Ok(state.client.news_replies(&space, &issue).await?)
}

/// Removes a reply (the owner, or the reply's author).
#[tauri::command]
pub async fn news_remove_reply(
    state: State<'_, AppState>,
    space: String,
    issue: String,
    reply: String,
) -> Res<WrittenView> {
    Ok(state.client.news_remove_reply(&space, &issue, &reply).await?)
}

/// Saves the newsletter's Atom feed where the person chooses in the native save dialog (any
/// member may, the owner offline). Null when the dialog is cancelled.
#[tauri::command]
pub async fn news_feed_export<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    space: String,
) -> Res<Option<FeedView>> {
    let name = state
        .client
        .spaces(None)
        .await?
        .into_iter()
        .find(|s| s.space == space)
        .map(|s| s.name)
        .ok_or_else(|| UiError::new("not_found", "that newsletter is not here"))?;
    let dialog = app
        .dialog()
        .file()
        .set_title("Export feed")
        .add_filter("Atom feed", &["xml", "atom"])
        .set_file_name(feed_name(&name));
    let Some(chosen) = crate::welcome::ask_save(&app, dialog).await else {
        return Ok(None);
    };
    let path = crate::welcome::chosen_file(chosen)?;
    if !path.exists() {
        return Ok(Some(state.client.news_feed(&space, &path).await?));
    }
    // The node writes only new files; the dialog has asked before replacing this one, so the
    // feed is written beside it and then takes its place.
    let fresh = beside(&path);
    let mut view = state.client.news_feed(&space, &fresh).await?;
    if let Err(e) = std::fs::rename(&fresh, &path) {
        let _ = std::fs::remove_file(&fresh);
        return Err(UiError::new("io", format!("{}: {e}", path.display())));
    }
    view.file = path.display().to_string();
    Ok(Some(view))
}

/// The file name the save dialog offers: the newsletter's name, kept to letters, digits,
/// spaces and `-_.`, then `.xml`.
pub fn feed_name(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || " -_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(60)
        .collect();
    let safe = safe.trim().trim_start_matches('.');
    if safe.is_empty() {
        "feed.xml".into()
    } else {
        format!("{safe}.xml")
    }
}

/// A name beside `path` that does not exist yet, for writing before replacing it.
fn beside(path: &Path) -> PathBuf {
    let base = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    (1..)
        .map(|n| path.with_file_name(format!(".{base}.new-{n}")))
        .find(|p| !p.exists())
        .expect("a free name")
}

#[cfg(test)]
mod tests {
    use super::{beside, feed_name};

    #[test]
    fn the_feed_is_offered_under_the_newsletters_name() {
        assert_eq!(feed_name("Harbour news"), "Harbour news.xml");
        assert_eq!(feed_name("../etc/passwd"), "-etc-passwd.xml");
        assert_eq!(feed_name("..."), "feed.xml");
        assert_eq!(feed_name("Café ☕"), "Café -.xml");
    }

    #[test]
    fn a_replaced_feed_is_written_beside_it_first() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("news.xml");
        assert_eq!(beside(&f), d.path().join(".news.xml.new-1"));
        std::fs::write(d.path().join(".news.xml.new-1"), b"x").unwrap();
        assert_eq!(beside(&f), d.path().join(".news.xml.new-2"));
    }
}
