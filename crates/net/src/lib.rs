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
mod event_loop;

use std::time::Duration;

pub use codec::{FrameCodec, Inbound};
pub use event_loop::{peer_of, EventLoop};
pub use libp2p::gossipsub::{MessageAcceptance, MessageId};
pub use libp2p::{Multiaddr, PeerId};

use futures::channel::oneshot;
use libp2p::identity::Keypair;
use tokio::sync::mpsc;

/// Name of the sync request-response protocol.
pub const SYNC_PROTOCOL: &str = "/confab/sync/1";

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
    /// How long a request may take.
    pub request_timeout: Duration,
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
            request_timeout: Duration::from_secs(60),
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
    /// A direct connection (dialled, or upgraded from a relayed one by hole punching).
    Direct,
}

impl Reach {
    /// `lan`, `relay` or `direct`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reach::Lan => "lan",
            Reach::Relay => "relay",
            Reach::Direct => "direct",
        }
    }
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
    /// A sync request; answer it with [`NetHandle::respond`].
    Request {
        /// The asking peer.
        peer: PeerId,
        /// Pass back to `respond`.
        id: u64,
        /// The frame.
        frame: Vec<u8>,
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

pub(crate) enum Command {
    Dial(Multiaddr),
    DialPeer(PeerId, Vec<Multiaddr>),
    Request(PeerId, Vec<u8>, oneshot::Sender<Result<Vec<u8>, NetError>>),
    Respond(u64, Vec<u8>),
    Subscribe(String),
    Unsubscribe(String),
    Publish(String, Vec<Vec<u8>>, oneshot::Sender<Result<(), NetError>>),
    Report(MessageId, PeerId, MessageAcceptance),
    Disconnect(PeerId, String),
    Peers(oneshot::Sender<Vec<PeerInfo>>),
    Listening(oneshot::Sender<Vec<Multiaddr>>),
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
        let (tx, rx) = oneshot::channel();
        let sent = self.send(Command::Request(peer, frame, tx));
        async move {
            sent?;
            rx.await.map_err(|_| NetError::Closed)?
        }
    }

    /// Answers a [`NetEvent::Request`].
    pub fn respond(&self, id: u64, frame: Vec<u8>) -> Result<(), NetError> {
        self.send(Command::Respond(id, frame))
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
