//! The `confab-blob` protocol: how the page shows the pictures of messages and issues without
//! ever holding their bytes in JavaScript. `confab-blob://localhost/<blob>` is the whole
//! picture once it is here, `confab-blob://localhost/thumb/<blob>` the sender's preview
//! (`http://confab-blob.localhost/…` on Windows and Android). Only pictures the node agrees to
//! show are served (PNG, JPEG, GIF, WebP; never SVG), with their own media type and no
//! sniffing; anything else is a 404. The CSP lets `img-src` load from here and nothing else
//! does. The app's own pages may read what they load (CORS, for them alone): the whiteboard
//! draws pictures on a canvas it exports.

use tauri::http::{header, Method, Request, Response, StatusCode};
use tauri::{Manager, Runtime};

use crate::app::AppState;

/// The scheme's name.
pub const SCHEME: &str = "confab-blob";

/// What a request asks for.
#[derive(Debug, PartialEq, Eq)]
pub struct Wanted {
    /// The blob's id: 64 lowercase hex digits.
    pub blob: String,
    /// The sender's preview rather than the whole picture.
    pub thumb: bool,
}

/// Reads a request's path: `/<blob>` or `/thumb/<blob>`; `None` for anything else.
pub fn parse(path: &str) -> Option<Wanted> {
    let rest = path.strip_prefix('/')?;
    let (thumb, blob) = match rest.strip_prefix("thumb/") {
        Some(b) => (true, b),
        None => (false, rest),
    };
    let hex = blob.len() == 64 && blob.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'));
    hex.then(|| Wanted {
        blob: blob.to_string(),
        thumb,
    })
}

/// The `Access-Control-Allow-Origin` for a request from `origin`: that origin if it is one of
/// the app's own pages, so that a picture drawn on a canvas leaves it exportable; none for
/// anything else.
pub fn allowed_origin(origin: Option<&str>) -> Option<String> {
    let o = origin?.trim();
    let url = tauri::Url::parse(o).ok()?;
    // An origin is a scheme and a host, nothing after them.
    let bare = format!("{}://{}", url.scheme(), url.host_str()?);
    (crate::stays_in_app(&url) && url.port().is_none() && o == bare).then_some(bare)
}

/// Registers the protocol on the builder; each request is answered from the async runtime.
pub fn register<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.register_asynchronous_uri_scheme_protocol(SCHEME, |ctx, request, responder| {
        let app = ctx.app_handle().clone();
        tauri::async_runtime::spawn(async move {
            responder.respond(serve(&app, &request).await);
        });
    })
}

fn status(code: StatusCode) -> Response<Vec<u8>> {
    let mut r = Response::new(Vec::new());
    *r.status_mut() = code;
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    r
}

async fn serve<R: Runtime>(app: &tauri::AppHandle<R>, request: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    if request.method() != Method::GET {
        return status(StatusCode::METHOD_NOT_ALLOWED);
    }
    let Some(wanted) = parse(request.uri().path()) else {
        return status(StatusCode::NOT_FOUND);
    };
    // Asked before the node is up (the page loads while it starts): nothing yet.
    let Some(state) = app.try_state::<AppState>() else {
        return status(StatusCode::SERVICE_UNAVAILABLE);
    };
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok());
    let cors = allowed_origin(origin);
    match state.client.file_picture(&wanted.blob, wanted.thumb).await {
        Ok(Some(p)) if confab_node::PICTURE_TYPES.contains(&p.mime.as_str()) => {
            let mut r = Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, p.mime)
                .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
                // A blob's id is the hash of its bytes: what is served under it never changes.
                .header(header::CACHE_CONTROL, "max-age=31536000, immutable")
                .header(header::VARY, "Origin");
            if let Some(o) = cors {
                r = r.header(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
            }
            r.body(p.bytes)
                .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR))
        }
        Ok(_) => status(StatusCode::NOT_FOUND),
        Err(e) => {
            tracing::warn!("{SCHEME}: {}: {e}", wanted.blob);
            status(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn paths_name_a_blob_or_its_preview() {
        assert_eq!(
            parse(&format!("/{HEX}")),
            Some(Wanted {
                blob: HEX.into(),
                thumb: false
            })
        );
        assert_eq!(
            parse(&format!("/thumb/{HEX}")),
            Some(Wanted {
                blob: HEX.into(),
                thumb: true
            })
        );
        for bad in [
            "/".to_string(),
            HEX.to_string(),
            format!("/{}", &HEX[1..]),
            format!("/{}", HEX.to_uppercase()),
            format!("/thumb/{HEX}/x"),
            format!("/../{HEX}"),
            format!("/full/{HEX}"),
            format!("/thumb%2F{HEX}"),
        ] {
            assert_eq!(parse(&bad), None, "{bad}");
        }
    }

    #[test]
    fn only_the_apps_own_pages_may_read_pictures() {
        for own in [
            "tauri://localhost",
            "http://tauri.localhost",
            "https://tauri.localhost",
        ] {
            assert_eq!(allowed_origin(Some(own)).as_deref(), Some(own));
        }
        for other in [
            None,
            Some("null"),
            Some(""),
            Some("https://example.org"),
            Some("tauri://evil.example"),
            Some("http://localhost:1430"),
            Some("tauri://localhost/index.html"),
            Some("confab-blob://localhost"),
        ] {
            assert_eq!(allowed_origin(other), None, "{other:?}");
        }
    }
}
