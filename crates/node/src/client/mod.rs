//! [`Client`]: the one door to Confab for the app, the `confab` command, tests and benchmarks.

mod account;
mod archive;
mod board;
mod files;
mod news;

pub use news::{Correction, NewIssue};

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::broadcast;
use tracing::warn;

use crate::config::{NodeConfig, SavedSettings};
use crate::engine::{create_private_dir, Engine};
use crate::events::NodeEvent;
use crate::lock::DirLock;
use crate::ops::*;
use crate::view::*;
use crate::{actor, ipc, NodeError};

/// How long to wait for a data dir that another process holds (a `confab` command working
/// directly finishes in well under this; a node that is starting binds its socket).
const LOCK_WAIT: Duration = Duration::from_secs(15);
/// How long [`Client::start`] waits for the node's first listen address.
const LISTEN_WAIT: Duration = Duration::from_secs(5);

/// Confab on one data dir. [`Client::start`] runs a node in this process (the app, `confab
/// run`); [`Client::open`] reaches the node running on the data dir over its local socket, or,
/// when none runs, opens the data dir itself and holds its lock until dropped. Every operation
/// runs the same code either way. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Client {
    backend: Backend,
    peer_id: String,
}

#[derive(Clone, Debug)]
enum Backend {
    /// In this process: a running node, or the data dir opened directly under its lock.
    Local {
        svc: Box<Service>,
        _lock: Option<Arc<DirLock>>,
    },
    /// The node running on this data dir, over its local socket.
    Remote { dir: PathBuf },
}

impl Client {
    /// Starts a node on a data dir in this process: takes the data dir's lock (waiting a
    /// little if a `confab` command holds it), starts the network and serves the local socket.
    /// Refused if a node already runs on it. Returns once the node listens (or after 5 s): a
    /// ticket made at once then names an address to reach it by.
    pub async fn start(dir: &Path, cfg: NodeConfig) -> Result<Client, NodeError> {
        let listens = !cfg.listen.is_empty();
        create_private_dir(dir)?;
        let deadline = Instant::now() + LOCK_WAIT;
        let lock = loop {
            if let Some(l) = DirLock::try_acquire(dir)? {
                break l;
            }
            if ipc::connect(dir).await?.is_some() {
                return Err(NodeError::Running { dir: dir.into() });
            }
            if Instant::now() >= deadline {
                return Err(NodeError::Locked { dir: dir.into() });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let engine = Engine::open(dir).await?;
        let node = actor::spawn(engine.clone(), cfg).await?;
        // Held by the node until it stops: released last.
        node.hold(Box::new(lock))?;
        let svc = Service {
            engine,
            node: Some(node.clone()),
        };
        match ipc::serve(dir, svc.clone()) {
            Ok(server) => node.hold(Box::new(server))?,
            Err(e) => warn!("local socket: {e}; `confab` commands cannot reach this node"),
        }
        let deadline = Instant::now() + LISTEN_WAIT;
        while listens && node.status().await?.listening.is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(Client {
            peer_id: svc.engine.device().peer_id(),
            backend: Backend::Local {
                svc: Box::new(svc),
                _lock: None,
            },
        })
    }

    /// Opens a data dir for one command: the running node's, over its socket, if one runs;
    /// otherwise the data dir itself, whose lock this client holds until it is dropped (so a
    /// node cannot start in the middle of a write and miss it). A socket left by a node that
    /// was killed is removed.
    pub async fn open(dir: &Path) -> Result<Client, NodeError> {
        create_private_dir(dir)?;
        let deadline = Instant::now() + LOCK_WAIT;
        loop {
            if let Some(mut c) = ipc::connect(dir).await? {
                let me: MeView = from_json(c.call(Id::METHOD, Value::Null).await?)?;
                return Ok(Client {
                    backend: Backend::Remote { dir: dir.into() },
                    peer_id: me.peer_id,
                });
            }
            if let Some(lock) = DirLock::try_acquire(dir)? {
                let _ = std::fs::remove_file(ipc::socket_path(dir));
                let engine = Engine::open(dir).await?;
                return Ok(Client {
                    peer_id: engine.device().peer_id(),
                    backend: Backend::Local {
                        svc: Box::new(Service { engine, node: None }),
                        _lock: Some(Arc::new(lock)),
                    },
                });
            }
            if Instant::now() >= deadline {
                return Err(NodeError::Locked { dir: dir.into() });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// This identity's peer id.
    pub fn peer_id(&self) -> &str {
        &self.peer_id
    }

    /// True if a node runs on the data dir (in this process or another).
    pub fn is_running(&self) -> bool {
        match &self.backend {
            Backend::Local { svc, .. } => svc.node.is_some(),
            Backend::Remote { .. } => true,
        }
    }

    /// True if this client talks to a node in another process.
    pub fn is_remote(&self) -> bool {
        matches!(self.backend, Backend::Remote { .. })
    }

    /// Events of the node running in this process.
    pub fn events(&self) -> Result<broadcast::Receiver<NodeEvent>, NodeError> {
        match &self.backend {
            Backend::Local { svc, .. } => Ok(svc.node("node events")?.events()),
            Backend::Remote { .. } => Err(NodeError::Invalid(
                "node events reach only the process the node runs in".into(),
            )),
        }
    }

    /// Stops the node running in this process and waits until it has: the network is shut,
    /// the local socket removed and the data dir's lock released. Nothing for other clients.
    pub async fn shutdown(&self) {
        if let Backend::Local { svc, .. } = &self.backend {
            if let Some(node) = &svc.node {
                node.shutdown().await;
            }
        }
    }

    async fn call<O: Op>(&self, op: O) -> Result<O::Output, NodeError> {
        match &self.backend {
            Backend::Local { svc, .. } => op.run(svc).await,
            Backend::Remote { dir } => {
                let mut c = ipc::connect(dir).await?.ok_or_else(|| {
                    NodeError::Protocol(format!("the node on {} has stopped", dir.display()))
                })?;
                let params = serde_json::to_value(&op).expect("params serialise");
                from_json(c.call(O::METHOD, params).await?)
            }
        }
    }

    /// This identity and where the node listens.
    pub async fn id(&self) -> Result<MeView, NodeError> {
        self.call(Id {}).await
    }

    /// The running node: addresses, peers, catch-up progress (`running: false` if none runs).
    pub async fn status(&self) -> Result<StatusView, NodeError> {
        self.call(Status {}).await
    }

    /// Connected peers and how each is reached.
    pub async fn peers(&self) -> Result<Vec<PeerView>, NodeError> {
        self.call(Peers {}).await
    }

    /// Dials an address (with or without `/p2p/<peer id>`).
    pub async fn dial(&self, addr: &str) -> Result<(), NodeError> {
        self.call(Dial { addr: addr.into() }).await
    }

    /// Tells the node of the app's lifecycle: [`Lifecycle::Suspended`] closes its listeners and
    /// connections and stops dialling; [`Lifecycle::Resumed`] and
    /// [`Lifecycle::NetworkChanged`] listen again and dial every known peer at once, and the
    /// first session with each catches up.
    pub async fn lifecycle(&self, event: crate::Lifecycle) -> Result<(), NodeError> {
        self.call(NodeLifecycle { event }).await
    }

    /// The saved settings and which the environment overrides.
    pub async fn settings(&self) -> Result<SettingsView, NodeError> {
        self.call(SettingsGet {}).await
    }

    /// Checks and saves settings; peers to dial are dialled at once.
    pub async fn set_settings(&self, settings: SavedSettings) -> Result<(), NodeError> {
        self.call(SettingsSet { settings }).await
    }

    /// Joined spaces (of one kind: `chat`, `board`, `news`), oldest joined first.
    pub async fn spaces(&self, kind: Option<&str>) -> Result<Vec<SpaceView>, NodeError> {
        self.call(SpaceList {
            kind: kind.map(str::to_string),
        })
        .await
    }

    /// Creates a space owned by this identity.
    pub async fn create_space(&self, kind: &str, name: &str) -> Result<CreatedView, NodeError> {
        self.call(SpaceCreate {
            kind: kind.into(),
            name: name.into(),
        })
        .await
    }

    /// Joins the space a ticket invites into and dials the inviter.
    pub async fn join(&self, ticket: &str) -> Result<SpaceView, NodeError> {
        self.call(SpaceJoin {
            ticket: ticket.into(),
        })
        .await
    }

    /// A joined space's ticket. `space` is an id or unique id prefix, here and below.
    pub async fn ticket(&self, space: &str) -> Result<TicketView, NodeError> {
        self.call(SpaceTicket { space: space.into() }).await
    }

    /// A space's members.
    pub async fn members(&self, space: &str) -> Result<Vec<MemberView>, NodeError> {
        self.call(SpaceMembers { space: space.into() }).await
    }

    /// Removes a member (owner only) and rotates the space's key.
    pub async fn remove_member(&self, space: &str, peer: &str) -> Result<RemovedView, NodeError> {
        self.call(SpaceRemove {
            space: space.into(),
            peer: peer.into(),
        })
        .await
    }

    /// Mutes or unmutes a space's notifications.
    pub async fn set_muted(&self, space: &str, muted: bool) -> Result<SpaceView, NodeError> {
        self.call(SpaceMute {
            space: space.into(),
            muted,
        })
        .await
    }

    /// The peers known to hold a space's records.
    pub async fn holders(&self, space: &str) -> Result<Vec<HolderView>, NodeError> {
        self.call(SpaceHolders { space: space.into() }).await
    }

    /// Sends a chat message.
    pub async fn chat_send(&self, space: &str, text: &str) -> Result<WrittenView, NodeError> {
        self.call(ChatSend {
            space: space.into(),
            text: text.into(),
        })
        .await
    }

    /// Sends `count` messages "TEXT #1" … in one transaction (scripting and load tests).
    pub async fn chat_send_many(
        &self,
        space: &str,
        text: &str,
        count: u32,
    ) -> Result<WrittenManyView, NodeError> {
        self.call(ChatSendMany {
            space: space.into(),
            text: text.into(),
            count,
        })
        .await
    }

    /// Sets this person's display name (and colour, `#rrggbb`) in every space they are in.
    pub async fn profile_set(&self, name: &str, color: Option<&str>) -> Result<ProfileView, NodeError> {
        self.call(ProfileSet {
            name: name.into(),
            color: color.map(str::to_string),
        })
        .await
    }

    /// Sets this person's picture from a picture file (cut square, made small), or removes
    /// it (`None`), in every space they are in.
    pub async fn profile_picture(&self, path: Option<&str>) -> Result<ProfileView, NodeError> {
        self.call(ProfilePicture {
            path: path.map(str::to_string),
        })
        .await
    }

    /// A person's profile: this person's, or the peer's with this id.
    pub async fn profile(&self, peer: Option<&str>) -> Result<ProfileView, NodeError> {
        self.call(ProfileShow {
            peer: peer.map(str::to_string),
        })
        .await
    }

    /// Display names as this node knows them now (for event views).
    pub async fn names(&self) -> Result<Names, NodeError> {
        Ok(Names::from_views(&self.profiles().await?))
    }

    /// Every profile this node knows.
    pub async fn profiles(&self) -> Result<Vec<ProfileView>, NodeError> {
        self.call(ProfileList {}).await
    }

    /// Sends a message, maybe replying to one (an id or unique prefix) and mentioning members
    /// (peer ids).
    pub async fn chat_write(
        &self,
        space: &str,
        text: &str,
        reply_to: Option<&str>,
        mentions: Vec<String>,
    ) -> Result<WrittenView, NodeError> {
        self.chat_write_files(space, text, reply_to, mentions, Vec::new())
            .await
    }

    /// Toggles this person's reaction to a message.
    pub async fn chat_react(&self, space: &str, msg: &str, emoji: &str) -> Result<ReactedView, NodeError> {
        self.call(ChatReact {
            space: space.into(),
            msg: msg.into(),
            emoji: emoji.into(),
        })
        .await
    }

    /// Changes the text of one's own message.
    pub async fn chat_edit(
        &self,
        space: &str,
        msg: &str,
        text: &str,
        mentions: Vec<String>,
    ) -> Result<WrittenView, NodeError> {
        self.call(ChatEdit {
            space: space.into(),
            msg: msg.into(),
            text: text.into(),
            mentions,
        })
        .await
    }

    /// Deletes a message for everyone (one's own, or any in a room one owns).
    pub async fn chat_delete(&self, space: &str, msg: &str) -> Result<WrittenView, NodeError> {
        self.call(ChatDelete {
            space: space.into(),
            msg: msg.into(),
        })
        .await
    }

    /// A window of at most `limit` messages of a room, oldest first.
    pub async fn chat_window(
        &self,
        space: &str,
        at: PageAt,
        limit: u32,
    ) -> Result<Vec<MessageView>, NodeError> {
        self.call(ChatWindow {
            space: space.into(),
            at,
            limit,
        })
        .await
    }

    /// One message as it stands now (`None` if this room never held it).
    pub async fn chat_message(&self, space: &str, id: &str) -> Result<Option<MessageView>, NodeError> {
        self.call(ChatMessageGet {
            space: space.into(),
            id: id.into(),
        })
        .await
    }

    /// Marks a room read up to a message (all of it if `None`).
    pub async fn mark_read(&self, space: &str, upto: Option<&str>) -> Result<ReadingView, NodeError> {
        self.call(ChatMarkRead {
            space: space.into(),
            upto: upto.map(str::to_string),
        })
        .await
    }

    /// Where this member stands in a room: unread messages and mentions.
    pub async fn reading(&self, space: &str) -> Result<ReadingView, NodeError> {
        self.call(ChatReading { space: space.into() }).await
    }

    /// Tells a room's members online that this member is typing.
    pub async fn chat_typing(&self, space: &str) -> Result<(), NodeError> {
        self.call(ChatTyping { space: space.into() }).await
    }

    /// Full-text search over every space this member can read, best first.
    pub async fn search(
        &self,
        query: &str,
        space: Option<&str>,
        author: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Vec<HitView>, NodeError> {
        self.call(Search {
            query: query.into(),
            space: space.map(str::to_string),
            author: author.map(str::to_string),
            limit,
        })
        .await
    }

    /// A room's messages, oldest first.
    pub async fn chat_list(&self, space: &str) -> Result<Vec<MessageView>, NodeError> {
        self.chat_page(space, None, None).await
    }

    /// The `limit` newest messages of a room before `before` (a message id or unique prefix,
    /// exclusive; from the newest if `None`), oldest first; every one without a limit.
    pub async fn chat_page(
        &self,
        space: &str,
        limit: Option<u32>,
        before: Option<&str>,
    ) -> Result<Vec<MessageView>, NodeError> {
        self.call(ChatList {
            space: space.into(),
            limit,
            before: before.map(str::to_string),
        })
        .await
    }

    /// Draws a stroke; `color` is `#rrggbb`.
    pub async fn board_stroke(
        &self,
        space: &str,
        points: Vec<(f32, f32)>,
        color: &str,
        width: f32,
    ) -> Result<WrittenView, NodeError> {
        self.call(BoardStroke {
            space: space.into(),
            points,
            color: color.into(),
            width,
        })
        .await
    }

    /// Erases strokes and pictures named by id or unique id prefix.
    pub async fn board_erase(&self, space: &str, strokes: Vec<String>) -> Result<WrittenView, NodeError> {
        self.call(BoardErase {
            space: space.into(),
            strokes,
        })
        .await
    }

    /// The strokes still on a board (its pictures: [`Client::board_pictures`]).
    pub async fn board_list(&self, space: &str) -> Result<Vec<StrokeView>, NodeError> {
        self.call(BoardList { space: space.into() }).await
    }

    /// Tells a board's members where this pointer is and what is being drawn (never stored).
    pub async fn board_live(
        &self,
        space: &str,
        cursor: Option<(f32, f32)>,
        stroke: Option<LiveStrokeView>,
    ) -> Result<(), NodeError> {
        self.board_presence(
            space,
            LiveView {
                cursor,
                stroke,
                view: None,
                selection: Vec::new(),
            },
        )
        .await
    }

    /// [`Client::board_live`] with everything a member shows the others: the pointer, the
    /// stroke in progress, the part of the board in view (so they can follow it) and the
    /// objects selected. Not stored.
    pub async fn board_presence(&self, space: &str, live: LiveView) -> Result<(), NodeError> {
        self.call(BoardLive {
            space: space.into(),
            cursor: live.cursor,
            stroke: live.stroke,
            view: live.view,
            selection: live.selection,
        })
        .await
    }

    /// Publishes a newsletter issue (owner only).
    pub async fn news_publish(&self, space: &str, title: &str, body: &str) -> Result<WrittenView, NodeError> {
        self.call(NewsPublish {
            space: space.into(),
            title: title.into(),
            body: body.into(),
            base: None,
            files: Vec::new(),
            draft: false,
            at: None,
        })
        .await
    }

    /// A newsletter's issues, oldest first.
    pub async fn news_list(&self, space: &str) -> Result<Vec<IssueView>, NodeError> {
        self.news_page(space, None, None).await
    }

    /// [`Client::chat_page`] for a newsletter's issues.
    pub async fn news_page(
        &self,
        space: &str,
        limit: Option<u32>,
        before: Option<&str>,
    ) -> Result<Vec<IssueView>, NodeError> {
        self.call(NewsList {
            space: space.into(),
            limit,
            before: before.map(str::to_string),
        })
        .await
    }

    /// The service behind an in-process client (the crate's own tests reach the engine).
    #[cfg(test)]
    pub(crate) fn service(&self) -> &Service {
        match &self.backend {
            Backend::Local { svc, .. } => svc,
            Backend::Remote { .. } => panic!("a remote client has no service here"),
        }
    }
}

fn from_json<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, NodeError> {
    serde_json::from_value(v).map_err(|e| NodeError::Protocol(format!("an answer of the wrong shape: {e}")))
}
