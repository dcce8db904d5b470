//! The local socket: how a `confab` command asks the node running on its data dir to do
//! something. The transport is per platform, the protocol the same:
//!
//! - Unix (`unix`): `confab.sock` in the data dir, a Unix domain socket of mode 0600 whose
//!   server also checks that the connecting process runs as the node's own user
//!   (`SO_PEERCRED`).
//! - Windows (`windows`): a named pipe, `\\.\pipe\confab-<hash>-<random>` (the hash is of
//!   the canonical data dir's path, so a person can tell which data dir a pipe serves; the
//!   random part is new at each start), whose name the node writes into `confab.pipe` in the
//!   data dir. A command reads the name from there. Pipe names are one namespace for the whole
//!   machine and anyone may list them, but nobody can create the node's pipe before it does:
//!   its name is not known in advance, and the node creates it as the first instance
//!   (`FILE_FLAG_FIRST_PIPE_INSTANCE`), so it fails rather than share a name. Clients on other
//!   machines are refused (`PIPE_REJECT_REMOTE_CLIENTS`). Who may connect is the pipe's
//!   default security: full access for the node's own user (its owner), Administrators and
//!   LocalSystem; other users may only open it for reading, which lets them send no request.
//!
//! Frames are a 4-byte big-endian length and a JSON object of at most 1 MiB (tokio-util's
//! length-delimited codec). A request is `{"v": 1, "id", "method", "params"}`; the reply is
//! `{"v": 1, "id", "result"}` or `{"v": 1, "id", "error": {"code", "message"}}`. A result
//! whose reply would not fit in one frame (a long chat history) comes as frames
//! `{"v": 1, "id", "part": "…"}` carrying consecutive pieces of the result's JSON text, then
//! `{"v": 1, "id", "parts": n}`. Methods and their params are the operations of
//! [`crate::Client`] (see `ops`), which run exactly as they do in the app, through the same
//! checks.

#[cfg(any(windows, test))]
mod pipe_name;
#[cfg(unix)]
mod unix;
#[cfg(windows)]
mod windows;

#[cfg(unix)]
use self::unix as transport;
#[cfg(windows)]
use self::windows as transport;

use std::path::{Path, PathBuf};

use futures::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::codec::{Framed, LengthDelimitedCodec};
use tracing::{debug, warn};

use crate::ops::{dispatch, Service};
use crate::NodeError;

/// The socket's file name in the data dir.
#[cfg(not(windows))]
pub const SOCKET_FILE: &str = "confab.sock";
/// The file in the data dir that names the node's pipe (Windows has no sockets in files).
#[cfg(windows)]
pub const SOCKET_FILE: &str = "confab.pipe";
/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u64 = 1;
/// Largest frame in either direction.
pub const MAX_FRAME: usize = 1024 * 1024;

/// A request frame.
#[derive(Debug, Serialize, Deserialize)]
pub struct Request {
    /// Protocol version.
    pub v: u64,
    /// Echoed in the reply.
    #[serde(default)]
    pub id: Value,
    /// The operation.
    pub method: String,
    /// Its arguments.
    #[serde(default)]
    pub params: Value,
}

/// A failure, as the socket reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplyError {
    /// Stable code: the node's error codes, or `bad_request`, `bad_version`,
    /// `unknown_method`, `too_large`, `forbidden` for the socket's own.
    pub code: String,
    /// For people.
    pub message: String,
}

/// A reply frame.
#[derive(Debug, Serialize, Deserialize)]
pub struct Reply {
    /// Protocol version.
    pub v: u64,
    /// The request's id.
    pub id: Value,
    /// The result, on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// The failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ReplyError>,
    /// A piece of a result too large for one frame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    /// The last frame of a result sent in pieces: how many there were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parts: Option<u64>,
}

impl Reply {
    fn new(id: Value) -> Self {
        Self {
            v: PROTOCOL_VERSION,
            id,
            result: None,
            error: None,
            part: None,
            parts: None,
        }
    }

    fn error(id: Value, code: &str, message: impl Into<String>) -> Self {
        Self {
            error: Some(ReplyError {
                code: code.into(),
                message: message.into(),
            }),
            ..Self::new(id)
        }
    }

    fn encode(&self) -> bytes::Bytes {
        serde_json::to_vec(self).expect("replies serialise").into()
    }
}

/// Text of a large result per part: even escaped at worst (six bytes a character), a part's
/// frame stays under [`MAX_FRAME`].
const PART_BYTES: usize = MAX_FRAME / 8;

/// The frames of a reply: one, or a result's JSON text in parts and a closing frame.
fn frames(reply: Reply) -> Vec<bytes::Bytes> {
    let whole = reply.encode();
    if whole.len() <= MAX_FRAME {
        return vec![whole];
    }
    let text = serde_json::to_string(&reply.result).expect("results serialise");
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while !rest.is_empty() {
        let mut cut = rest.len().min(PART_BYTES);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (piece, tail) = rest.split_at(cut);
        out.push(
            Reply {
                part: Some(piece.to_string()),
                ..Reply::new(reply.id.clone())
            }
            .encode(),
        );
        rest = tail;
    }
    let n = out.len() as u64;
    out.push(
        Reply {
            parts: Some(n),
            ..Reply::new(reply.id)
        }
        .encode(),
    );
    out
}

fn codec() -> LengthDelimitedCodec {
    LengthDelimitedCodec::builder()
        .length_field_length(4)
        .big_endian()
        .max_frame_length(MAX_FRAME)
        .new_codec()
}

/// The socket's path in a data dir: on Windows, the file naming the node's pipe. It exists
/// while a node serves the data dir (or after one was killed).
pub fn socket_path(dir: &Path) -> PathBuf {
    dir.join(SOCKET_FILE)
}

/// The serving socket; dropping it stops accepting and removes the file.
pub(crate) struct Server {
    task: tokio::task::JoinHandle<()>,
    path: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Serves `svc` on the data dir's socket (replacing a stale one: the caller holds the lock).
pub(crate) fn serve(dir: &Path, svc: Service) -> Result<Server, NodeError> {
    transport::serve(dir, svc)
}

/// One client's requests, answered in order. `refused` says why this client may not use the
/// node: its first request is answered with that, then the connection is closed.
async fn connection<S>(stream: S, svc: Service, refused: Option<String>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut framed = Framed::new(stream, codec());
    while let Some(frame) = framed.next().await {
        let reply = match (frame, &refused) {
            // Another user: its first request is answered with the refusal, then it is gone.
            (_, Some(why)) => {
                warn!("local socket: {why}");
                let _ = framed
                    .send(Reply::error(Value::Null, "forbidden", why.clone()).encode())
                    .await;
                return;
            }
            (Ok(bytes), None) => handle(&svc, &bytes).await,
            (Err(e), None) => {
                // The stream cannot be read past a frame over the limit: say so and close.
                debug!("local socket: {e}");
                let r = Reply::error(
                    Value::Null,
                    "too_large",
                    format!("frame refused: {e} (at most {MAX_FRAME} bytes)"),
                );
                let _ = framed.send(r.encode()).await;
                return;
            }
        };
        for f in frames(reply) {
            if framed.send(f).await.is_err() {
                return;
            }
        }
    }
}

async fn handle(svc: &Service, bytes: &[u8]) -> Reply {
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            return Reply::error(
                Value::Null,
                "bad_request",
                format!("the request is not JSON: {e}"),
            )
        }
    };
    let id = value.get("id").cloned().unwrap_or(Value::Null);
    match value.get("v").and_then(Value::as_u64) {
        Some(PROTOCOL_VERSION) => {}
        other => {
            let v = other.map_or("missing".to_string(), |v| v.to_string());
            return Reply::error(
                id,
                "bad_version",
                format!("protocol version {v} is not spoken here (this node speaks {PROTOCOL_VERSION})"),
            );
        }
    }
    let req: Request = match serde_json::from_value(value) {
        Ok(r) => r,
        Err(e) => return Reply::error(id, "bad_request", format!("the request is malformed: {e}")),
    };
    match dispatch(svc, &req.method, req.params).await {
        None => Reply::error(
            id,
            "unknown_method",
            format!("there is no method {:?}", req.method),
        ),
        Some(Ok(result)) => Reply {
            result: Some(result),
            ..Reply::new(id)
        },
        Some(Err(e)) => Reply::error(id, e.code(), e.to_string()),
    }
}

/// Connects to the node serving a data dir; `None` if none answers (no socket, or a stale
/// one left by a node that was killed).
pub(crate) async fn connect(dir: &Path) -> Result<Option<Connection>, NodeError> {
    Ok(transport::connect(dir).await?.map(|s| Connection {
        framed: Framed::new(s, codec()),
        next_id: 1,
    }))
}

/// A connection to the node serving a data dir.
pub(crate) struct Connection {
    framed: Framed<transport::Stream, LengthDelimitedCodec>,
    next_id: u64,
}

impl Connection {
    /// Calls a method and waits for its result.
    pub async fn call(&mut self, method: &str, params: Value) -> Result<Value, NodeError> {
        let id = self.next_id;
        self.next_id += 1;
        let req = Request {
            v: PROTOCOL_VERSION,
            id: id.into(),
            method: method.into(),
            params,
        };
        let bytes = serde_json::to_vec(&req).map_err(|e| NodeError::Protocol(e.to_string()))?;
        if bytes.len() > MAX_FRAME {
            return Err(NodeError::Invalid(format!(
                "the request is {} bytes, more than the local socket's limit of {MAX_FRAME}",
                bytes.len()
            )));
        }
        let gone = |e: std::io::Error| NodeError::Protocol(format!("the node closed the connection: {e}"));
        self.framed.send(bytes::Bytes::from(bytes)).await.map_err(gone)?;
        let mut text = String::new();
        let mut pieces = 0u64;
        loop {
            let frame = match self.framed.next().await {
                Some(f) => f.map_err(gone)?,
                None => return Err(NodeError::Protocol("the node closed the connection".into())),
            };
            let reply: Reply = serde_json::from_slice(&frame)
                .map_err(|e| NodeError::Protocol(format!("a reply that is not JSON: {e}")))?;
            if let Some(e) = reply.error {
                return Err(NodeError::Remote {
                    code: e.code,
                    message: e.message,
                });
            }
            if reply.id != id {
                return Err(NodeError::Protocol(format!(
                    "a reply to request {} instead of {id}",
                    reply.id
                )));
            }
            if let Some(piece) = reply.part {
                text.push_str(&piece);
                pieces += 1;
                continue;
            }
            return match reply.parts {
                Some(n) if n == pieces => serde_json::from_str(&text)
                    .map_err(|e| NodeError::Protocol(format!("a result in parts that is not JSON: {e}"))),
                Some(n) => Err(NodeError::Protocol(format!("{pieces} parts of a result of {n}"))),
                None => Ok(reply.result.unwrap_or(Value::Null)),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_result_goes_in_parts_that_fit_a_frame_and_join_up() {
        // Three megabytes of text that escaping inflates: quotes, control characters, and
        // multi-byte characters that a cut must not split.
        let texts: Vec<String> = (0..30_000)
            .map(|i| format!("message {i} \"quoted\" \u{1} é€𝄞 {}", "x".repeat(60)))
            .collect();
        let result = serde_json::to_value(&texts).unwrap();
        let reply = Reply {
            result: Some(result.clone()),
            ..Reply::new(7.into())
        };
        let fs = frames(reply);
        assert!(fs.len() > 3, "{} frames", fs.len());
        assert!(fs.iter().all(|f| f.len() <= MAX_FRAME));
        let mut text = String::new();
        for f in &fs[..fs.len() - 1] {
            let r: Reply = serde_json::from_slice(f).unwrap();
            assert_eq!(r.id, Value::from(7));
            text.push_str(&r.part.unwrap());
        }
        let last: Reply = serde_json::from_slice(fs.last().unwrap()).unwrap();
        assert_eq!(last.parts, Some(fs.len() as u64 - 1));
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), result);
        // A small result is one frame.
        let small = Reply {
            result: Some(serde_json::json!({"id": "x"})),
            ..Reply::new(1.into())
        };
        assert_eq!(frames(small).len(), 1);
    }
}
