//! A picture on the system clipboard, for a paste the page cannot see. WebKitGTK delivers a
//! `paste` event whose `clipboardData` holds no items when the clipboard holds only image data
//! (WebKit bugs 218519 and 320303: seen here with 2.50, reported with 2.52), so on Linux the page asks
//! here when a paste brought no file and no text. The picture's bytes are the clipboard's own
//! (PNG, JPEG, GIF or WebP as the program that copied it offered them), read from GTK's
//! clipboard on the main thread with its asynchronous requests: nothing blocks the window.
//! Elsewhere the web view hands the page the picture itself and this finds nothing.

use serde::Serialize;
use tauri::{AppHandle, Runtime};

use crate::error::UiError;

/// Media types read from the clipboard, best first (those the page shows).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub const PICTURE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// A picture from the clipboard: its media type, size and bytes (base64).
#[derive(Debug, Serialize)]
pub struct ClipboardPicture {
    mime: String,
    size: usize,
    data: String,
}

/// The first of `offered` (a clipboard's targets) that is a picture the page shows.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub fn best_type<'a>(offered: impl IntoIterator<Item = &'a str>) -> Option<&'static str> {
    let offered: Vec<&str> = offered.into_iter().collect();
    PICTURE_TYPES.iter().copied().find(|t| offered.contains(t))
}

/// The picture on the system clipboard, or null if it holds none.
#[tauri::command]
pub async fn clipboard_picture<R: Runtime>(app: AppHandle<R>) -> Result<Option<ClipboardPicture>, UiError> {
    Ok(read(&app).await?.map(|(mime, bytes)| ClipboardPicture {
        mime: mime.to_string(),
        size: bytes.len(),
        data: data_encoding::BASE64.encode(&bytes),
    }))
}

#[cfg(target_os = "linux")]
async fn read<R: Runtime>(app: &AppHandle<R>) -> Result<Option<(&'static str, Vec<u8>)>, UiError> {
    use gtk::gdk;

    let (tx, rx) = tokio::sync::oneshot::channel();
    app.run_on_main_thread(move || {
        let clipboard = gtk::Clipboard::get(&gdk::SELECTION_CLIPBOARD);
        clipboard.request_contents(&gdk::Atom::intern("TARGETS"), move |clipboard, targets| {
            let names: Vec<String> = targets
                .targets()
                .unwrap_or_default()
                .into_iter()
                .map(|a| a.name().to_string())
                .collect();
            let Some(mime) = best_type(names.iter().map(String::as_str)) else {
                let _ = tx.send(None);
                return;
            };
            clipboard.request_contents(&gdk::Atom::intern(mime), move |_, data| {
                let bytes = data.data();
                let _ = tx.send((!bytes.is_empty()).then_some((mime, bytes)));
            });
        });
    })
    .map_err(|e| UiError::new("node", format!("reading the clipboard: {e}")))?;
    // The owner of the clipboard answers, or GTK gives up on it (after its own timeout).
    match tokio::time::timeout(std::time::Duration::from_secs(10), rx).await {
        Ok(got) => Ok(got.unwrap_or(None)),
        Err(_) => Err(UiError::new(
            "io",
            "the program holding the clipboard did not answer",
        )),
    }
}

#[cfg(not(target_os = "linux"))]
async fn read<R: Runtime>(_: &AppHandle<R>) -> Result<Option<(&'static str, Vec<u8>)>, UiError> {
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_best_picture_type_offered() {
        let offered = ["TARGETS", "TIMESTAMP", "image/bmp", "image/jpeg", "image/png"];
        assert_eq!(best_type(offered), Some("image/png"));
        assert_eq!(best_type(["image/webp", "text/plain"]), Some("image/webp"));
        assert_eq!(best_type(["image/svg+xml", "image/bmp", "UTF8_STRING"]), None);
        assert_eq!(best_type([]), None);
    }
}
