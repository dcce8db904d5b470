//! The network's part in the app's lifecycle: a phone's app is put in the background (the
//! system takes its sockets), comes back, or finds itself on another network. Suspending
//! closes every listener and connection and makes no dial until resumed; resuming listens
//! again — on the ports it had, so peers that redial the old address find it, else on the
//! configured ones — and reserves relays and rejoins the DHT again (the node redials its
//! peers). A network change while running opens again every listener that closed and
//! reserves relays again; connections the change broke stop answering pings and are closed.

use libp2p::core::transport::ListenerId;
use libp2p::multiaddr::Protocol;
use libp2p::Multiaddr;
use tracing::{info, warn};

use crate::event_loop::EventLoop;

/// The configured listen addresses and what became of them.
#[derive(Debug, Default)]
pub(crate) struct Listeners {
    /// As configured.
    pub config: Vec<Multiaddr>,
    /// Open listeners and the configured address each was opened for (its index).
    pub open: std::collections::HashMap<ListenerId, usize>,
    /// The concrete address a configured address with port 0 was bound to, by index.
    pub bound: std::collections::HashMap<usize, Multiaddr>,
    /// Suspended: nothing listens and nothing is dialled.
    pub suspended: bool,
}

impl Listeners {
    pub fn new(config: Vec<Multiaddr>) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// A listener opened for configured address `index` bound `addr`: remember its port.
    pub fn bound(&mut self, id: ListenerId, addr: &Multiaddr) {
        let Some(&i) = self.open.get(&id) else { return };
        if let Some(port) = port_of(addr) {
            if port_of(&self.config[i]) == Some(0) {
                self.bound.insert(i, with_port(&self.config[i], port));
            }
        }
    }

    /// Where to listen for configured address `i` again: the port it had, then as configured.
    fn choices(&self, i: usize) -> Vec<Multiaddr> {
        let mut out: Vec<Multiaddr> = self.bound.get(&i).cloned().into_iter().collect();
        out.push(self.config[i].clone());
        out
    }
}

/// The TCP or UDP port of an address.
fn port_of(a: &Multiaddr) -> Option<u16> {
    a.iter().find_map(|p| match p {
        Protocol::Tcp(port) | Protocol::Udp(port) => Some(port),
        _ => None,
    })
}

/// `a` with its TCP or UDP port replaced.
fn with_port(a: &Multiaddr, port: u16) -> Multiaddr {
    a.iter()
        .map(|p| match p {
            Protocol::Tcp(_) => Protocol::Tcp(port),
            Protocol::Udp(_) => Protocol::Udp(port),
            p => p,
        })
        .collect()
}

impl EventLoop {
    /// Listens on configured address `i` (the port it had if that is free).
    fn listen_again(&mut self, i: usize) {
        for addr in self.listeners.choices(i) {
            match self.swarm.listen_on(addr.clone()) {
                Ok(id) => {
                    self.listeners.open.insert(id, i);
                    return;
                }
                Err(e) => warn!("cannot listen on {addr} again: {e}"),
            }
        }
    }

    /// Closes every listener and connection; nothing is dialled until [`Self::resume`].
    pub(crate) fn suspend(&mut self) {
        if self.listeners.suspended {
            return;
        }
        info!("network suspended: closing listeners and connections");
        self.listeners.suspended = true;
        let ids: Vec<ListenerId> = self
            .listeners
            .open
            .keys()
            .chain(self.relay_listeners.keys())
            .copied()
            .collect();
        for id in ids {
            self.swarm.remove_listener(id);
        }
        let peers: Vec<libp2p::PeerId> = self.swarm.connected_peers().copied().collect();
        for p in peers {
            let _ = self.swarm.disconnect_peer_id(p);
        }
    }

    /// Listens again and reserves relays and rejoins the DHT again.
    pub(crate) fn resume(&mut self) {
        if self.listeners.suspended {
            info!("network resumed: listening again");
            self.listeners.suspended = false;
        } else {
            info!("network changed: opening closed listeners again");
        }
        let open: std::collections::HashSet<usize> = self.listeners.open.values().copied().collect();
        for i in 0..self.listeners.config.len() {
            if !open.contains(&i) {
                self.listen_again(i);
            }
        }
        self.reserve_relays();
        self.start_dht();
    }

    /// True while suspended: the callers make no dial and no query.
    pub(crate) fn suspended(&self) -> bool {
        self.listeners.suspended
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_zero_address_is_listened_on_again_at_the_port_it_had() {
        let mut l = Listeners::new(vec![
            "/ip4/127.0.0.1/tcp/0".parse().unwrap(),
            "/ip4/0.0.0.0/udp/0/quic-v1".parse().unwrap(),
            "/ip4/127.0.0.1/tcp/4001".parse().unwrap(),
        ]);
        let ids = [ListenerId::next(), ListenerId::next(), ListenerId::next()];
        for (i, id) in ids.iter().enumerate() {
            l.open.insert(*id, i);
        }
        l.bound(ids[0], &"/ip4/127.0.0.1/tcp/41234".parse().unwrap());
        l.bound(ids[1], &"/ip4/10.0.0.2/udp/50000/quic-v1".parse().unwrap());
        l.bound(ids[2], &"/ip4/127.0.0.1/tcp/4001".parse().unwrap());
        // A listener never opened for a configured address is not remembered.
        l.bound(ListenerId::next(), &"/ip4/127.0.0.1/tcp/9".parse().unwrap());
        let s = |v: Vec<Multiaddr>| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
        assert_eq!(
            s(l.choices(0)),
            ["/ip4/127.0.0.1/tcp/41234", "/ip4/127.0.0.1/tcp/0"]
        );
        assert_eq!(
            s(l.choices(1)),
            ["/ip4/0.0.0.0/udp/50000/quic-v1", "/ip4/0.0.0.0/udp/0/quic-v1"]
        );
        assert_eq!(s(l.choices(2)), ["/ip4/127.0.0.1/tcp/4001"]);
    }
}
