//! The operations of [`crate::Client`], each written once: the app calls them in process, the
//! `confab` command in process when no node runs and over the local socket when one does. An
//! operation is a serde type (its params on the socket) with a method name and an output
//! view; [`dispatch`] finds one by name.

mod account;
mod archive;
mod board;
mod chat;
mod content;
mod drafts;
mod files;
mod news;
mod node;
mod people;
mod replies;
mod shapes;
mod spaces;

use std::future::Future;

use confab_core::Space;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::actor::NodeHandle;
use crate::engine::Engine;
use crate::NodeError;

pub(crate) use account::*;
pub(crate) use archive::*;
pub use board::DEFAULT_PICTURE_SIDE;
pub(crate) use board::*;
pub use chat::PageAt;
pub(crate) use chat::*;
pub(crate) use content::*;
pub(crate) use drafts::*;
pub(crate) use files::*;
pub use files::{Picture, MAX_BOARD_PICTURE, PICTURE_TYPES};
pub(crate) use news::*;
pub(crate) use node::*;
pub(crate) use people::*;
pub(crate) use replies::*;
pub(crate) use shapes::*;
pub(crate) use spaces::*;

/// What runs operations in this process: the data dir, and the running node if there is one.
#[derive(Clone, Debug)]
pub(crate) struct Service {
    pub engine: Engine,
    pub node: Option<NodeHandle>,
}

impl Service {
    /// The joined space with this id or unique id prefix.
    pub async fn space(&self, id: &str) -> Result<Space, NodeError> {
        self.engine.space(id).await
    }

    /// Seals a live frame (never stored) and sends it to the space's members online.
    pub async fn publish_live(
        &self,
        s: &Space,
        live: &confab_core::Live,
        action: &'static str,
    ) -> Result<(), NodeError> {
        live.check().map_err(|e| NodeError::Invalid(e.to_string()))?;
        let node = self.node(action)?;
        let s = self.engine.current(s).await?;
        let frame = s
            .seal_live(self.engine.identity().signing_key(), live, confab_core::now_ms())
            .map_err(|e| NodeError::Invalid(e.to_string()))?;
        node.publish(s.live_topic(), frame)
    }

    /// The running node, or why the action cannot be done without one.
    pub fn node(&self, action: &'static str) -> Result<&NodeHandle, NodeError> {
        self.node.as_ref().ok_or(NodeError::Offline(action))
    }
}

/// One operation.
pub(crate) trait Op: Serialize + DeserializeOwned + Send + 'static {
    /// Its method name on the local socket.
    const METHOD: &'static str;
    /// What it returns.
    type Output: Serialize + DeserializeOwned + Send + 'static;
    /// Does it.
    fn run(self, svc: &Service) -> impl Future<Output = Result<Self::Output, NodeError>> + Send;
}

async fn run_json<O: Op>(svc: &Service, params: Value) -> Result<Value, NodeError> {
    let params = if params.is_null() {
        Value::Object(Default::default())
    } else {
        params
    };
    let op: O = serde_json::from_value(params)
        .map_err(|e| NodeError::Invalid(format!("bad params for {}: {e}", O::METHOD)))?;
    let out = op.run(svc).await?;
    Ok(serde_json::to_value(out).expect("views serialise"))
}

macro_rules! methods {
    ($($op:ty),* $(,)?) => {
        /// Runs the operation named `method` with JSON params; `None` if there is none.
        pub(crate) async fn dispatch(svc: &Service, method: &str, params: Value) -> Option<Result<Value, NodeError>> {
            match method {
                $(<$op as Op>::METHOD => Some(run_json::<$op>(svc, params).await),)*
                _ => None,
            }
        }

        /// Every method name.
        #[cfg(test)]
        pub(crate) const METHODS: &[&str] = &[$(<$op as Op>::METHOD),*];
    };
}

methods!(
    Id,
    IdentityPhrase,
    BackupCreate,
    DeviceList,
    DeviceRevoke,
    DeviceLinkTicket,
    DeviceApprove,
    Status,
    Peers,
    Dial,
    NodeLifecycle,
    SettingsGet,
    SettingsSet,
    SpaceList,
    SpaceCreate,
    SpaceJoin,
    SpaceTicket,
    SpaceMembers,
    SpaceRemove,
    SpaceMute,
    SpaceHolders,
    SpaceExport,
    ChatSend,
    ChatSendMany,
    ChatList,
    BoardStroke,
    BoardErase,
    BoardList,
    BoardLive,
    BoardPicture,
    BoardPictureBytes,
    BoardMove,
    BoardPictures,
    BoardAdd,
    BoardChange,
    BoardSet,
    BoardDelete,
    BoardRestore,
    BoardObjects,
    BoardObject,
    NewsPublish,
    NewsList,
    NewsEdit,
    NewsVersions,
    NewsFeed,
    NewsDrafts,
    NewsPublishDraft,
    NewsDiscard,
    NewsSettings,
    NewsReply,
    NewsReplies,
    NewsRemoveReply,
    ChatWrite,
    ChatReact,
    ChatEdit,
    ChatDelete,
    ChatWindow,
    ChatMessageGet,
    ChatMarkRead,
    ChatReading,
    ChatTyping,
    Search,
    ProfileSet,
    ProfilePicture,
    ProfileShow,
    ProfileList,
    BlobList,
    BlobGet,
    FilePicture,
);
