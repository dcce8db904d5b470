//! The local socket on Unix: `confab.sock` in the data dir, mode 0600, and a server that
//! refuses connections from processes of another user (`SO_PEERCRED`).

use std::path::Path;

use tokio::net::{UnixListener, UnixStream};
use tracing::warn;

use super::{connection, socket_path, Server, SOCKET_FILE};
use crate::ops::Service;
use crate::NodeError;

/// A client's end of the socket.
pub(super) type Stream = UnixStream;

/// Binds the data dir's socket (replacing a stale one: the caller holds the lock) with mode
/// 0600, and serves `svc` on it.
pub(super) fn serve(dir: &Path, svc: Service) -> Result<Server, NodeError> {
    use std::os::unix::fs::PermissionsExt;
    let path = socket_path(dir);
    // Bound under a temporary name, made private, then moved into place: there is no moment
    // at which another user could connect.
    let tmp = dir.join(format!(".{SOCKET_FILE}.{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let listener = UnixListener::bind(&tmp).map_err(|e| NodeError::io(&tmp, e))?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| NodeError::io(&tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| NodeError::io(&path, e))?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    let task = tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    let refused = refusal(&stream, uid);
                    tokio::spawn(connection(stream, svc.clone(), refused));
                }
                Err(e) => {
                    warn!("local socket: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
        }
    });
    Ok(Server { task, path })
}

/// Why a connection is refused: its process runs as another user than the node (`uid`), or
/// its user cannot be told.
fn refusal(stream: &UnixStream, uid: u32) -> Option<String> {
    let peer_uid = stream.peer_cred().map(|c| c.uid()).ok();
    (peer_uid != Some(uid)).then(|| {
        format!(
            "the node belongs to another user (uid {uid}); connections from uid {} are refused",
            peer_uid.map_or("unknown".to_string(), |u| u.to_string())
        )
    })
}

/// Connects to the data dir's socket; `None` if there is none, or a stale one.
pub(super) async fn connect(dir: &Path) -> Result<Option<UnixStream>, NodeError> {
    let path = socket_path(dir);
    match UnixStream::connect(&path).await {
        Ok(s) => Ok(Some(s)),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(NodeError::io(path, e)),
    }
}
