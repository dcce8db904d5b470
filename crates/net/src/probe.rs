//! AutoNAT (v1) without relay circuits among the addresses it asks to be dialled back on.
//!
//! rust-libp2p's AutoNAT client sends every listen address in its dial-back request, and the
//! server reads at most 1,024 bytes of it. A node holding reservations on two relays listens on
//! a circuit for each address of each relay (TCP and QUIC, and whatever else the relays
//! announce), about 90 bytes apiece: the request grows past the limit, every server closes the
//! stream, and the node never learns it is reachable — a node behind a router that mapped its
//! port with UPnP stayed "unknown" for good once it had reserved relays. Circuits are useless
//! to AutoNAT anyway (a server never dials one back), so this wrapper keeps them from it.

use std::task::{Context, Poll};

use libp2p::autonat;
use libp2p::core::transport::PortUse;
use libp2p::core::Endpoint;
use libp2p::multiaddr::Protocol;
use libp2p::swarm::{
    ConnectionDenied, ConnectionId, FromSwarm, NetworkBehaviour, THandler, THandlerInEvent, THandlerOutEvent,
    ToSwarm,
};
use libp2p::{Multiaddr, PeerId};

fn is_circuit(a: &Multiaddr) -> bool {
    a.iter().any(|p| matches!(p, Protocol::P2pCircuit))
}

/// [`autonat::Behaviour`], told of every listen address but relay circuits.
pub(crate) struct Probe(pub autonat::Behaviour);

impl Probe {
    /// A peer to ask whether this node is reachable (see [`autonat::Behaviour::add_server`]).
    pub fn add_server(&mut self, peer: PeerId, addr: Option<Multiaddr>) {
        self.0.add_server(peer, addr)
    }
}

impl NetworkBehaviour for Probe {
    type ConnectionHandler = <autonat::Behaviour as NetworkBehaviour>::ConnectionHandler;
    type ToSwarm = autonat::Event;

    fn handle_pending_inbound_connection(
        &mut self,
        id: ConnectionId,
        local: &Multiaddr,
        remote: &Multiaddr,
    ) -> Result<(), ConnectionDenied> {
        self.0.handle_pending_inbound_connection(id, local, remote)
    }

    fn handle_established_inbound_connection(
        &mut self,
        id: ConnectionId,
        peer: PeerId,
        local: &Multiaddr,
        remote: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.0
            .handle_established_inbound_connection(id, peer, local, remote)
    }

    fn handle_pending_outbound_connection(
        &mut self,
        id: ConnectionId,
        peer: Option<PeerId>,
        addresses: &[Multiaddr],
        role: Endpoint,
    ) -> Result<Vec<Multiaddr>, ConnectionDenied> {
        self.0
            .handle_pending_outbound_connection(id, peer, addresses, role)
    }

    fn handle_established_outbound_connection(
        &mut self,
        id: ConnectionId,
        peer: PeerId,
        addr: &Multiaddr,
        role: Endpoint,
        port_use: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.0
            .handle_established_outbound_connection(id, peer, addr, role, port_use)
    }

    fn on_swarm_event(&mut self, event: FromSwarm) {
        match &event {
            FromSwarm::NewListenAddr(e) if is_circuit(e.addr) => {}
            FromSwarm::ExpiredListenAddr(e) if is_circuit(e.addr) => {}
            _ => self.0.on_swarm_event(event),
        }
    }

    fn on_connection_handler_event(&mut self, peer: PeerId, id: ConnectionId, event: THandlerOutEvent<Self>) {
        self.0.on_connection_handler_event(peer, id, event)
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<ToSwarm<Self::ToSwarm, THandlerInEvent<Self>>> {
        self.0.poll(cx)
    }
}
