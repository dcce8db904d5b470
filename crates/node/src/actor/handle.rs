//! The handle to the actor: the commands it takes from the app and the CLI's operations.

use tokio::sync::{broadcast, mpsc, oneshot};

use confab_net::{Multiaddr, PeerId};

use crate::events::NodeEvent;
use crate::view::{DhtView, PeerView, ProgressView, RendezvousView};
use crate::NodeError;

/// Something kept alive until the node shuts down (the data dir's lock, the local socket).
pub(crate) type Held = Box<dyn Send + 'static>;

/// What handles ask of the actor.
pub(crate) enum Command {
    /// The connected peers.
    Peers(oneshot::Sender<Vec<PeerView>>),
    /// Listen addresses, peer count and catch-up progress.
    Status(oneshot::Sender<Status>),
    /// Dial an address (with or without a peer id).
    Dial(Multiaddr),
    /// Dial a peer at any of these addresses.
    DialPeer(PeerId, Vec<Multiaddr>),
    /// DHT bootstrap peers a joined ticket named.
    AddBootstrap(Vec<Multiaddr>),
    /// Publish a frame on a topic (live presence).
    Publish(String, Vec<u8>),
    /// Keep this until shutdown.
    Hold(Held),
    /// Fetch a blob whatever its size; answer when it is here or failed.
    FetchBlob {
        id: confab_blobs::BlobId,
        size: u64,
        space: confab_core::SpaceId,
        done: oneshot::Sender<Result<(), String>>,
    },
    /// The peers known to hold each blob.
    BlobHolders(oneshot::Sender<std::collections::HashMap<confab_blobs::BlobId, Vec<PeerId>>>),
    /// The app's lifecycle (`policy::lifecycle`).
    Lifecycle(crate::policy::lifecycle::Lifecycle),
    /// Stop: the network, then what is held; answer when done.
    Shutdown(oneshot::Sender<()>),
}

/// The running node's view of itself.
pub(crate) struct Status {
    pub listening: Vec<String>,
    pub peers: usize,
    pub progress: Vec<ProgressView>,
    pub reachability: String,
    pub reservations: Vec<String>,
    pub external: Vec<String>,
    pub dht: DhtView,
    pub rendezvous: Vec<RendezvousView>,
}

/// A cloneable handle to the actor.
#[derive(Clone, Debug)]
pub(crate) struct NodeHandle {
    pub(super) cmd: mpsc::UnboundedSender<Command>,
    pub(super) events: broadcast::Sender<NodeEvent>,
    /// The link tickets this device issued (the actor answers new devices from them).
    pub(crate) links: std::sync::Arc<std::sync::Mutex<crate::policy::link::Links>>,
}

impl NodeHandle {
    fn send(&self, c: Command) -> Result<(), NodeError> {
        self.cmd
            .send(c)
            .map_err(|_| NodeError::Network("the node has stopped".into()))
    }

    async fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Command) -> Result<T, NodeError> {
        let (tx, rx) = oneshot::channel();
        self.send(make(tx))?;
        rx.await
            .map_err(|_| NodeError::Network("the node has stopped".into()))
    }

    pub async fn peers(&self) -> Result<Vec<PeerView>, NodeError> {
        self.ask(Command::Peers).await
    }

    pub async fn status(&self) -> Result<Status, NodeError> {
        self.ask(Command::Status).await
    }

    pub fn dial(&self, addr: Multiaddr) -> Result<(), NodeError> {
        self.send(Command::Dial(addr))
    }

    pub fn dial_peer(&self, peer: PeerId, addrs: Vec<Multiaddr>) -> Result<(), NodeError> {
        self.send(Command::DialPeer(peer, addrs))
    }

    pub fn add_bootstrap(&self, addrs: Vec<Multiaddr>) -> Result<(), NodeError> {
        self.send(Command::AddBootstrap(addrs))
    }

    pub fn publish(&self, topic: String, data: Vec<u8>) -> Result<(), NodeError> {
        self.send(Command::Publish(topic, data))
    }

    pub fn hold(&self, thing: Held) -> Result<(), NodeError> {
        self.send(Command::Hold(thing))
    }

    /// Fetches a blob (whatever its size) and waits until it is here, or fails.
    pub async fn fetch_blob(
        &self,
        id: confab_blobs::BlobId,
        size: u64,
        space: confab_core::SpaceId,
    ) -> Result<Result<(), String>, NodeError> {
        self.ask(|done| Command::FetchBlob {
            id,
            size,
            space,
            done,
        })
        .await
    }

    /// The peers known to hold each blob.
    pub async fn blob_holders(
        &self,
    ) -> Result<std::collections::HashMap<confab_blobs::BlobId, Vec<PeerId>>, NodeError> {
        self.ask(Command::BlobHolders).await
    }

    /// Tells the node of a lifecycle event (suspend, resume, a new network).
    pub fn lifecycle(&self, ev: crate::policy::lifecycle::Lifecycle) -> Result<(), NodeError> {
        self.send(Command::Lifecycle(ev))
    }

    pub fn events(&self) -> broadcast::Receiver<NodeEvent> {
        self.events.subscribe()
    }

    /// Stops the node and waits until it has (the lock is released then).
    pub async fn shutdown(&self) {
        let _ = self.ask(Command::Shutdown).await;
    }
}
