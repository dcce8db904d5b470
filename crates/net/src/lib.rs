//! Confab on the wire: a libp2p node with TCP and QUIC, Noise, Yamux, identify, ping, mDNS,
//! circuit relay v2 (client, and server when asked), DCUtR, gossipsub for live delivery and a
//! request-response protocol that carries sync frames.
//!
//! One task owns the [`Swarm`](libp2p::Swarm) ([`EventLoop`]); everything else holds a
//! cloneable [`NetHandle`] that sends it commands, and reads [`NetEvent`]s from a channel.
//! This crate moves bytes only: what the bytes mean is the node's business.
#![deny(missing_docs)]

mod behaviour;
mod codec;
mod commands;
mod discovery;
mod event_loop;
pub mod guard;
mod lifecycle;
pub mod liveness;
mod probe;

use std::time::Duration;

pub use codec::{FrameCodec, Inbound};
pub use event_loop::{peer_of, EventLoop};
pub use guard::Limits;
pub use libp2p::gossipsub::{MessageAcceptance, MessageId};
pub use libp2p::{Multiaddr, PeerId};

use futures::channel::oneshot;
use libp2p::identity::Keypair;
use tokio::sync::mpsc;

/// Name of the sync request-response protocol.
pub const SYNC_PROTOCOL: &str = "/confab/sync/1";
/// The file-transfer protocol (blob ranges, holdings).
pub const BLOB_PROTOCOL: &str = "/confab/blob/1";
/// The protocol that links a new device to a person's account.
pub const LINK_PROTOCOL: &str = "/confab/link/1";
/// Largest link-protocol frame (a bundle of spaces and their keys).
pub const LINK_FRAME: usize = 1024 * 1024;
/// The Kademlia protocol: the public IPFS DHT's, so Confab nodes join that network.
pub const KAD_PROTOCOL: &str = "/ipfs/kad/1.0.0";

/// The public DHT's bootstrap peers, as published by the libp2p project. Written only as DNS
/// addresses: a machine that cannot resolve them contacts nothing.
pub const PUBLIC_BOOTSTRAP: &[&str] = &[
    "/dnsaddr/bootstrap.libp2p.io/p2p/QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN",
    "/dnsaddr/bootstrap.libp2p.io/p2p/QmQCU2EcMqAqQPR2i9bChDtGNJchTbq5TbXJJ16u19uLTa",
    "/dnsaddr/bootstrap.libp2p.io/p2p/QmbLHAnMoJPWSCR5Zhtx6BHJX9KiKNN6tpvbUcqanj75Nb",
    "/dnsaddr/bootstrap.libp2p.io/p2p/QmcZf59bWwK5XFi76CZX8cbJ4BhTzzA3gU1ZjYZcYW3dwt",
];

/// How this node takes part in the DHT.
#[derive(Clone, Debug, PartialEq)]
pub struct DhtConfig {
    /// Peers to join through (full addresses ending in `/p2p/<id>`).
    pub bootstrap: Vec<Multiaddr>,
    /// Serve the DHT from the start (a node known to be publicly reachable); otherwise client
    /// mode until AutoNAT finds this node reachable.
    pub server: bool,
}

impl DhtConfig {
    /// The public DHT through its published bootstrap peers.
    pub fn public() -> Self {
        Self {
            bootstrap: PUBLIC_BOOTSTRAP
                .iter()
                .map(|a| a.parse().expect("valid bootstrap address"))
                .collect(),
            server: false,
        }
    }
}

/// How a node is set up.
#[derive(Clone, Debug)]
pub struct NetConfig {
    /// The node's identity.
    pub keypair: Keypair,
    /// Addresses to listen on (TCP and/or QUIC).
    pub listen: Vec<Multiaddr>,
    /// Peers to dial at start.
    pub dial: Vec<Multiaddr>,
    /// Relays to reserve a slot on (full addresses ending in `/p2p/<relay id>`).
    pub relays: Vec<Multiaddr>,
    /// Discover peers on the LAN with mDNS.
    pub mdns: bool,
    /// Serve as a circuit relay for others.
    pub relay_server: bool,
    /// As a relay: how long and how many bytes one relayed connection may carry.
    pub circuit_limits: (Duration, u64),
    /// Largest sync frame in either direction.
    pub max_frame: usize,
    /// Largest gossip message.
    pub max_gossip: usize,
    /// Largest blob-protocol frame in either direction.
    pub max_blob_frame: usize,
    /// How long one blob request may take.
    pub blob_timeout: Duration,
    /// How long a request may take.
    pub request_timeout: Duration,
    /// The DHT, or `None` for none.
    pub dht: Option<DhtConfig>,
    /// Map a port on the home router with UPnP (its gateway search is a multicast).
    pub upnp: bool,
    /// Count private address ranges as reachable when AutoNAT asks (a group whose own network
    /// uses them; the NAT tests).
    pub private_network: bool,
    /// The connection budget (room is kept for members: [`guard`]).
    pub connections: guard::Limits,
    /// Reserve on relays found by identify while not publicly reachable, up to this many in
    /// all (configured relays count).
    pub auto_relays: usize,
}

impl NetConfig {
    /// Defaults for a node with this identity: listen on all interfaces on random TCP and QUIC
    /// ports, mDNS on, no relays.
    pub fn new(keypair: Keypair) -> Self {
        Self {
            keypair,
            listen: vec![
                "/ip4/0.0.0.0/tcp/0".parse().expect("valid multiaddr"),
                "/ip4/0.0.0.0/udp/0/quic-v1".parse().expect("valid multiaddr"),
            ],
            dial: Vec::new(),
            relays: Vec::new(),
            mdns: true,
            relay_server: false,
            circuit_limits: (Duration::from_secs(30 * 60), 256 * 1024 * 1024),
            max_frame: 4 * 1024 * 1024,
            max_gossip: 300 * 1024,
            max_blob_frame: 2 * 1024 * 1024,
            blob_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(60),
            dht: None,
            upnp: false,
            private_network: false,
            connections: guard::Limits::default(),
            auto_relays: 2,
        }
    }
}

/// How a peer is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reach {
    /// Found on the local network by mDNS.
    Lan,
    /// Through a circuit relay.
    Relay,
    /// A direct connection that was dialled or accepted.
    Direct,
    /// A direct connection made by hole punching (DCUtR) from a relayed one.
    HolePunched,
}

impl Reach {
    /// `lan`, `relay`, `direct` or `holepunched`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reach::Lan => "lan",
            Reach::Relay => "relay",
            Reach::Direct => "direct",
            Reach::HolePunched => "holepunched",
        }
    }
}

/// Whether others can dial this node, as AutoNAT found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Reachability {
    /// Not known yet (or no one to ask).
    #[default]
    Unknown,
    /// Reachable at a public address.
    Public,
    /// Behind a NAT or firewall: reached through relays and hole punching.
    Private,
}

impl Reachability {
    /// `unknown`, `public` or `private`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reachability::Unknown => "unknown",
            Reachability::Public => "public",
            Reachability::Private => "private",
        }
    }
}

/// What the network task knows of this node's place in the network.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NetStatus {
    /// Whether others can dial it.
    pub reachability: Reachability,
    /// Relays it holds a reservation on (their addresses).
    pub reservations: Vec<Multiaddr>,
    /// Addresses others were told (confirmed external addresses, relay circuits included).
    pub external: Vec<Multiaddr>,
    /// `None` with the DHT off; else `client` or `server`.
    pub dht_mode: Option<&'static str>,
    /// Peers in the DHT routing table.
    pub dht_peers: usize,
}

/// A connected peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerInfo {
    /// Its id.
    pub peer: PeerId,
    /// The best way it is reached now (direct or LAN beats relay).
    pub reach: Reach,
    /// The remote address of that connection.
    pub addr: Multiaddr,
}

/// Something that happened on the network.
#[derive(Debug)]
pub enum NetEvent {
    /// Listening on an address (`…/p2p/<own id>`), relay circuits included once reserved.
    Listening(Multiaddr),
    /// No longer listening on an address.
    ListenClosed(Multiaddr),
    /// First connection to a peer, or a better one (a hole punch replacing a relay).
    Connected(PeerInfo),
    /// The last connection to a peer closed.
    Disconnected(PeerId),
    /// Addresses a peer says it listens on (from identify).
    PeerAddrs {
        /// The peer.
        peer: PeerId,
        /// Its listen addresses.
        addrs: Vec<Multiaddr>,
    },
    /// A dial failed.
    DialFailed {
        /// The peer, if known.
        peer: Option<PeerId>,
        /// Why.
        error: String,
    },
    /// A gossip message waiting for validation; report it with [`NetHandle::report`].
    Gossip {
        /// The peer it came from.
        source: PeerId,
        /// Its id (a hash of the data).
        id: MessageId,
        /// The topic.
        topic: String,
        /// The data.
        data: Vec<u8>,
    },
    /// Messages published on a topic reached nobody: no connected peer is on it yet.
    Unheard {
        /// The topic.
        topic: String,
    },
    /// A sync request; answer it with [`NetHandle::respond`].
    Request {
        /// The asking peer.
        peer: PeerId,
        /// Pass back to `respond`.
        id: u64,
        /// The frame.
        frame: Vec<u8>,
    },
    /// A blob-protocol request; answer it with [`NetHandle::blob_respond`].
    BlobRequest {
        /// The asking peer.
        peer: PeerId,
        /// Pass back to `blob_respond`.
        id: u64,
        /// The frame.
        frame: Vec<u8>,
    },
    /// A link-protocol request; answer it with [`NetHandle::link_respond`].
    LinkRequest {
        /// The asking peer.
        peer: PeerId,
        /// Pass back to `link_respond`.
        id: u64,
        /// The frame.
        frame: Vec<u8>,
    },
    /// This node's reachability, reservations, external addresses or DHT state changed
    /// (checked every two seconds and after each event that may change them).
    Status(NetStatus),
    /// Peers that announced themselves under a key (they are being dialled).
    Providers {
        /// The key.
        key: Vec<u8>,
        /// Who announced.
        peers: Vec<PeerId>,
    },
    /// A peer broke the protocol and was disconnected.
    Dropped {
        /// The peer.
        peer: PeerId,
        /// Why.
        reason: String,
    },
}

/// Why a network call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum NetError {
    /// The transport could not be built or an address could not be used.
    #[error("network setup: {0}")]
    Setup(String),
    /// A request failed (timeout, connection closed, unsupported protocol…).
    #[error("request to {peer} failed: {reason}")]
    Request {
        /// The peer.
        peer: PeerId,
        /// Why.
        reason: String,
    },
    /// Publishing a gossip message failed.
    #[error("publish failed: {0}")]
    Publish(String),
    /// The event loop has stopped.
    #[error("the network task has stopped")]
    Closed,
}

/// The node's request-response protocols.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Proto {
    Sync,
    Blob,
    Link,
}

pub(crate) enum Command {
    Dial(Multiaddr),
    DialPeer(PeerId, Vec<Multiaddr>),
    Request(Proto, PeerId, Vec<u8>, oneshot::Sender<Result<Vec<u8>, NetError>>),
    Respond(Proto, u64, Vec<u8>),
    Subscribe(String),
    Unsubscribe(String),
    Publish(String, Vec<Vec<u8>>, oneshot::Sender<Result<(), NetError>>),
    Report(MessageId, PeerId, MessageAcceptance),
    Disconnect(PeerId, String),
    Peers(oneshot::Sender<Vec<PeerInfo>>),
    Listening(oneshot::Sender<Vec<Multiaddr>>),
    Status(oneshot::Sender<NetStatus>),
    Provide(Vec<u8>),
    Unprovide(Vec<u8>),
    FindProviders(Vec<u8>),
    Protect(std::collections::HashSet<PeerId>),
    AddBootstrap(Vec<Multiaddr>),
    Suspend,
    Resume,
    Shutdown,
}

/// A cloneable handle to the network task.
#[derive(Clone, Debug)]
pub struct NetHandle {
    tx: mpsc::UnboundedSender<Command>,
    local: PeerId,
}

impl NetHandle {
    fn send(&self, c: Command) -> Result<(), NetError> {
        self.tx.send(c).map_err(|_| NetError::Closed)
    }

    /// This node's peer id.
    pub fn local_peer_id(&self) -> PeerId {
        self.local
    }

    /// Dials an address (with or without `/p2p/<id>`).
    pub fn dial(&self, addr: Multiaddr) -> Result<(), NetError> {
        self.send(Command::Dial(addr))
    }

    /// Dials a peer at any of these addresses, unless already connected.
    pub fn dial_peer(&self, peer: PeerId, addrs: Vec<Multiaddr>) -> Result<(), NetError> {
        self.send(Command::DialPeer(peer, addrs))
    }

    /// Sends a sync frame and waits for the answer.
    pub async fn request(&self, peer: PeerId, frame: Vec<u8>) -> Result<Vec<u8>, NetError> {
        self.start_request(peer, frame).await
    }

    /// Sends a sync frame at once and returns a future of the answer: the request is on its
    /// way whether or not the future is polled yet, so the caller can work meanwhile.
    pub fn start_request(
        &self,
        peer: PeerId,
        frame: Vec<u8>,
    ) -> impl std::future::Future<Output = Result<Vec<u8>, NetError>> + Send + 'static {
        self.start(Proto::Sync, peer, frame)
    }

    fn start(
        &self,
        proto: Proto,
        peer: PeerId,
        frame: Vec<u8>,
    ) -> impl std::future::Future<Output = Result<Vec<u8>, NetError>> + Send + 'static {
        let (tx, rx) = oneshot::channel();
        let sent = self.send(Command::Request(proto, peer, frame, tx));
        async move {
            sent?;
            rx.await.map_err(|_| NetError::Closed)?
        }
    }

    /// Answers a [`NetEvent::Request`].
    pub fn respond(&self, id: u64, frame: Vec<u8>) -> Result<(), NetError> {
        self.send(Command::Respond(Proto::Sync, id, frame))
    }

    /// Sends a blob-protocol request at once and returns a future of the answer.
    pub fn blob_request(
        &self,
        peer: PeerId,
        frame: Vec<u8>,
    ) -> impl std::future::Future<Output = Result<Vec<u8>, NetError>> + Send + 'static {
        self.start(Proto::Blob, peer, frame)
    }

    /// Answers a [`NetEvent::BlobRequest`].
    pub fn blob_respond(&self, id: u64, frame: Vec<u8>) -> Result<(), NetError> {
        self.send(Command::Respond(Proto::Blob, id, frame))
    }

    /// Sends a link-protocol request and waits for the answer.
    pub async fn link_request(&self, peer: PeerId, frame: Vec<u8>) -> Result<Vec<u8>, NetError> {
        self.start(Proto::Link, peer, frame).await
    }

    /// Answers a [`NetEvent::LinkRequest`].
    pub fn link_respond(&self, id: u64, frame: Vec<u8>) -> Result<(), NetError> {
        self.send(Command::Respond(Proto::Link, id, frame))
    }

    /// Joins a gossip topic.
    pub fn subscribe(&self, topic: String) -> Result<(), NetError> {
        self.send(Command::Subscribe(topic))
    }

    /// Leaves a gossip topic.
    pub fn unsubscribe(&self, topic: String) -> Result<(), NetError> {
        self.send(Command::Unsubscribe(topic))
    }

    /// Publishes on a topic. Having no peers on the topic yet is not an error.
    pub async fn publish(&self, topic: String, data: Vec<u8>) -> Result<(), NetError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Publish(topic, vec![data], tx))?;
        rx.await.map_err(|_| NetError::Closed)?
    }

    /// Publishes several messages on a topic in one command to the network task.
    pub async fn publish_many(&self, topic: String, messages: Vec<Vec<u8>>) -> Result<(), NetError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Publish(topic, messages, tx))?;
        rx.await.map_err(|_| NetError::Closed)?
    }

    /// Publishes several messages on a topic without waiting for the network task's answer:
    /// for callers that must never wait on the network task (the node's actor, which the
    /// network task itself may be waiting on to take its events).
    pub fn publish_detached(&self, topic: String, messages: Vec<Vec<u8>>) -> Result<(), NetError> {
        let (tx, _rx) = oneshot::channel();
        self.send(Command::Publish(topic, messages, tx))
    }

    /// Reports the validation result of a gossip message: accepted ones are forwarded,
    /// rejected ones count against the peer that sent them.
    pub fn report(
        &self,
        id: MessageId,
        source: PeerId,
        acceptance: MessageAcceptance,
    ) -> Result<(), NetError> {
        self.send(Command::Report(id, source, acceptance))
    }

    /// Disconnects a peer that misbehaved.
    pub fn disconnect(&self, peer: PeerId, reason: String) -> Result<(), NetError> {
        self.send(Command::Disconnect(peer, reason))
    }

    /// Connected peers and how each is reached.
    pub async fn peers(&self) -> Result<Vec<PeerInfo>, NetError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Peers(tx))?;
        rx.await.map_err(|_| NetError::Closed)
    }

    /// Addresses this node listens on (`…/p2p/<id>`).
    pub async fn listening(&self) -> Result<Vec<Multiaddr>, NetError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Listening(tx))?;
        rx.await.map_err(|_| NetError::Closed)
    }

    /// Reachability, reservations, external addresses and DHT state.
    pub async fn status(&self) -> Result<NetStatus, NetError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Status(tx))?;
        rx.await.map_err(|_| NetError::Closed)
    }

    /// Announces this node in the DHT under `key` (a provider record with its external
    /// addresses), renewed until [`NetHandle::unprovide`]. Nothing happens with the DHT off.
    pub fn provide(&self, key: Vec<u8>) -> Result<(), NetError> {
        self.send(Command::Provide(key))
    }

    /// Stops renewing an announcement.
    pub fn unprovide(&self, key: Vec<u8>) -> Result<(), NetError> {
        self.send(Command::Unprovide(key))
    }

    /// Looks up who announced under `key`: each is dialled, and reported in
    /// [`NetEvent::Providers`].
    pub fn find_providers(&self, key: Vec<u8>) -> Result<(), NetError> {
        self.send(Command::FindProviders(key))
    }

    /// More DHT bootstrap peers (a group's own network, named by a ticket): added to the
    /// routing table and dialled; with the DHT off, just dialled.
    pub fn add_bootstrap(&self, addrs: Vec<Multiaddr>) -> Result<(), NetError> {
        self.send(Command::AddBootstrap(addrs))
    }

    /// The peers that are never refused or closed for lack of room (members).
    pub fn protect(&self, peers: std::collections::HashSet<PeerId>) -> Result<(), NetError> {
        self.send(Command::Protect(peers))
    }

    /// Closes every listener and connection and makes no dial until [`Self::resume`] (the
    /// app was put in the background).
    pub fn suspend(&self) -> Result<(), NetError> {
        self.send(Command::Suspend)
    }

    /// Listens again (on the ports it had, when free), reserves relays and rejoins the DHT:
    /// after [`Self::suspend`], or when the network changed (then only what closed is opened
    /// again).
    pub fn resume(&self) -> Result<(), NetError> {
        self.send(Command::Resume)
    }

    /// Stops the network task.
    pub fn shutdown(&self) {
        let _ = self.send(Command::Shutdown);
    }
}

/// Builds the swarm, starts listening and dialling, and spawns the task that owns it on the
/// current tokio runtime. Events arrive on the returned channel.
pub fn spawn(config: NetConfig) -> Result<(NetHandle, mpsc::Receiver<NetEvent>), NetError> {
    let (tx, rx) = mpsc::unbounded_channel();
    let (ev_tx, ev_rx) = mpsc::channel(4096);
    let local = config.keypair.public().to_peer_id();
    let el = EventLoop::new(config, rx, ev_tx)?;
    tokio::spawn(el.run());
    Ok((NetHandle { tx, local }, ev_rx))
}
