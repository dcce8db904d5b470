//! The local socket on Windows: a named pipe whose name the node writes into `confab.pipe` in
//! the data dir (see the module above for who may connect).

use std::path::Path;
use std::time::{Duration, Instant};

use tokio::net::windows::named_pipe::{ClientOptions, NamedPipeClient, NamedPipeServer, ServerOptions};
use tracing::warn;

use super::{connection, pipe_name, socket_path, Server};
use crate::ops::Service;
use crate::NodeError;

/// A client's end of the pipe.
pub(super) type Stream = NamedPipeClient;

/// `ERROR_PIPE_BUSY`: every instance of the pipe is taken; one is free again shortly.
const ERROR_PIPE_BUSY: i32 = 231;

/// How long a command waits for a busy pipe to have a free instance.
const BUSY_WAIT: Duration = Duration::from_secs(5);

/// One instance of the pipe, ready for a client. The first fails if a pipe of that name
/// exists already (`first_pipe_instance`): the node never shares its name with another
/// process.
fn instance(name: &str, first: bool) -> std::io::Result<NamedPipeServer> {
    ServerOptions::new()
        .first_pipe_instance(first)
        .reject_remote_clients(true)
        .create(name)
}

/// Creates a fresh pipe, records its name in the data dir (replacing a stale record: the
/// caller holds the lock), and serves `svc` on it.
pub(super) fn serve(dir: &Path, svc: Service) -> Result<Server, NodeError> {
    let name = pipe_name::fresh(dir);
    let first = instance(&name, true).map_err(|e| NodeError::io(&name, e))?;
    let path = socket_path(dir);
    pipe_name::write(&path, &name)?;
    let task = tokio::spawn(accept(first, name, svc));
    Ok(Server { task, path })
}

/// Waits for a client on one instance while none other is free: as soon as one connects (or
/// connecting fails), the next instance is created before that one is handed over, so the
/// pipe's name stays held by the node.
async fn accept(mut server: NamedPipeServer, name: String, svc: Service) {
    loop {
        let connected = server.connect().await;
        let next = loop {
            match instance(&name, false) {
                Ok(s) => break s,
                Err(e) => {
                    warn!("local pipe {name}: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        };
        let current = std::mem::replace(&mut server, next);
        match connected {
            // Other users can open the pipe only for reading (its default security): whoever
            // can send a request is the node's own user, an administrator or the system.
            Ok(()) => {
                tokio::spawn(connection(current, svc.clone(), None));
            }
            Err(e) => warn!("local pipe {name}: {e}"),
        }
    }
}

/// Connects to the pipe the data dir's `confab.pipe` names; `None` if there is no such file,
/// or it names a pipe that is gone (its node was killed).
pub(super) async fn connect(dir: &Path) -> Result<Option<NamedPipeClient>, NodeError> {
    let Some(name) = pipe_name::read(&socket_path(dir))? else {
        return Ok(None);
    };
    let deadline = Instant::now() + BUSY_WAIT;
    loop {
        match ClientOptions::new().open(&name) {
            Ok(c) => return Ok(Some(c)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) if e.raw_os_error() == Some(ERROR_PIPE_BUSY) && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => return Err(NodeError::io(&name, e)),
        }
    }
}
