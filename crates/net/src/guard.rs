//! Connection admission that keeps room for members.
//!
//! A node has a budget of established connections. Peers the node shares a space with (the
//! node tells the guard who they are: [`Admission::protect`]) are never refused for lack of
//! room and never closed to make room; everyone else (DHT peers, strangers, relay clients) is
//! admitted while there is room, refused when the budget is spent, and closed — longest
//! connected first, never one younger than [`GRACE`] — when a member needs the room or the
//! count passes the high-water mark.
//!
//! [`Admission`] is the sans-IO rule set; [`Guard`] the `NetworkBehaviour` that applies it.

use std::collections::{HashMap, HashSet, VecDeque};
use std::convert::Infallible;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use libp2p::core::transport::PortUse;
use libp2p::core::Endpoint;
use libp2p::swarm::{
    dummy, CloseConnection, ConnectionClosed, ConnectionDenied, ConnectionId, FromSwarm, NetworkBehaviour,
    THandler, THandlerInEvent, THandlerOutEvent, ToSwarm,
};
use libp2p::{Multiaddr, PeerId};

/// A new connection is not closed to make room for this long.
pub const GRACE: Duration = Duration::from_secs(20);

/// The budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Connections to others are refused at this count.
    pub max: usize,
    /// Above this count, others are closed (oldest first) down to it.
    pub high_water: usize,
    /// Most connections to one peer.
    pub per_peer: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max: 512,
            high_water: 448,
            per_peer: 4,
        }
    }
}

impl Limits {
    /// A budget of `max` with the high-water mark at seven eighths of it.
    pub fn with_max(max: usize) -> Self {
        Self {
            max,
            high_water: max - max / 8,
            per_peer: 4,
        }
    }
}

/// Why a connection was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// Every slot is taken and the peer is not a member.
    #[error("connection budget of {0} spent; room is kept for members")]
    Full(usize),
    /// Too many connections to one peer.
    #[error("{0} connections to this peer already")]
    PerPeer(usize),
}

/// The admission rules, at simulated or real time.
#[derive(Debug)]
pub struct Admission {
    limits: Limits,
    protected: HashSet<PeerId>,
    /// Every established connection: its peer and when it was established.
    conns: HashMap<ConnectionId, (PeerId, Instant)>,
    per_peer: HashMap<PeerId, usize>,
    /// Connections already being closed (so they are not counted twice).
    closing: HashSet<ConnectionId>,
}

impl Admission {
    /// No connections yet.
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            protected: HashSet::new(),
            conns: HashMap::new(),
            per_peer: HashMap::new(),
            closing: HashSet::new(),
        }
    }

    /// The peers that are never refused or closed: members of this node's spaces.
    pub fn protect(&mut self, peers: HashSet<PeerId>) {
        self.protected = peers;
    }

    /// Is `peer` protected?
    pub fn is_protected(&self, peer: &PeerId) -> bool {
        self.protected.contains(peer)
    }

    /// Connections open and not being closed.
    pub fn open(&self) -> usize {
        self.conns.len() - self.closing.len()
    }

    /// Should a connection to `peer` be established? A member is let in even when full.
    pub fn admit(&self, peer: &PeerId) -> Result<(), Refused> {
        let n = self.per_peer.get(peer).copied().unwrap_or(0);
        if n >= self.limits.per_peer {
            return Err(Refused::PerPeer(n));
        }
        if self.open() >= self.limits.max && !self.is_protected(peer) {
            return Err(Refused::Full(self.limits.max));
        }
        Ok(())
    }

    /// A connection was established at `now`; returns the connections to close to make room.
    pub fn established(
        &mut self,
        id: ConnectionId,
        peer: PeerId,
        now: Instant,
    ) -> Vec<(PeerId, ConnectionId)> {
        self.conns.insert(id, (peer, now));
        *self.per_peer.entry(peer).or_default() += 1;
        self.trim(now)
    }

    /// A connection closed.
    pub fn closed(&mut self, id: ConnectionId) {
        self.closing.remove(&id);
        if let Some((peer, _)) = self.conns.remove(&id) {
            if let Some(n) = self.per_peer.get_mut(&peer) {
                *n -= 1;
                if *n == 0 {
                    self.per_peer.remove(&peer);
                }
            }
        }
    }

    /// Connections to close at `now`: while over the high-water mark, others' connections
    /// older than [`GRACE`], longest connected first.
    pub fn trim(&mut self, now: Instant) -> Vec<(PeerId, ConnectionId)> {
        let over = self.open().saturating_sub(self.limits.high_water);
        if over == 0 {
            return Vec::new();
        }
        let mut candidates: Vec<(Instant, ConnectionId, PeerId)> = self
            .conns
            .iter()
            .filter(|(id, (peer, since))| {
                !self.closing.contains(id) && !self.protected.contains(peer) && now >= *since + GRACE
            })
            .map(|(id, (peer, since))| (*since, *id, *peer))
            .collect();
        candidates.sort();
        let out: Vec<(PeerId, ConnectionId)> = candidates
            .into_iter()
            .take(over)
            .map(|(_, id, peer)| (peer, id))
            .collect();
        self.closing.extend(out.iter().map(|(_, id)| *id));
        out
    }
}

/// The behaviour that applies [`Admission`] to the swarm.
pub(crate) struct Guard {
    pub rules: Admission,
    to_close: VecDeque<(PeerId, ConnectionId)>,
}

impl Guard {
    pub fn new(limits: Limits) -> Self {
        Self {
            rules: Admission::new(limits),
            to_close: VecDeque::new(),
        }
    }

    /// Closes what the rules say must go now.
    pub fn trim(&mut self, now: Instant) {
        let out = self.rules.trim(now);
        self.to_close.extend(out);
    }

    fn check(&self, peer: &PeerId) -> Result<THandler<Self>, ConnectionDenied> {
        self.rules
            .admit(peer)
            .map(|()| dummy::ConnectionHandler)
            .map_err(ConnectionDenied::new)
    }
}

impl NetworkBehaviour for Guard {
    type ConnectionHandler = dummy::ConnectionHandler;
    type ToSwarm = Infallible;

    fn handle_established_inbound_connection(
        &mut self,
        _: ConnectionId,
        peer: PeerId,
        _: &Multiaddr,
        _: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.check(&peer)
    }

    fn handle_established_outbound_connection(
        &mut self,
        _: ConnectionId,
        peer: PeerId,
        _: &Multiaddr,
        _: Endpoint,
        _: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.check(&peer)
    }

    fn on_swarm_event(&mut self, event: FromSwarm) {
        match event {
            FromSwarm::ConnectionEstablished(e) => {
                let out = self.rules.established(e.connection_id, e.peer_id, Instant::now());
                self.to_close.extend(out);
            }
            FromSwarm::ConnectionClosed(ConnectionClosed { connection_id, .. }) => {
                self.rules.closed(connection_id);
            }
            _ => {}
        }
    }

    fn on_connection_handler_event(&mut self, _: PeerId, _: ConnectionId, ev: THandlerOutEvent<Self>) {
        match ev {}
    }

    fn poll(&mut self, _: &mut Context<'_>) -> Poll<ToSwarm<Self::ToSwarm, THandlerInEvent<Self>>> {
        match self.to_close.pop_front() {
            Some((peer_id, id)) => Poll::Ready(ToSwarm::CloseConnection {
                peer_id,
                connection: CloseConnection::One(id),
            }),
            None => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peers(n: usize) -> Vec<PeerId> {
        (0..n).map(|_| PeerId::random()).collect()
    }

    /// Fills a node with strangers, then a member dials; returns whether it got in and how
    /// many connections were open after.
    fn member_arrives_at_a_full_node(protect: bool) -> (bool, usize) {
        let t0 = Instant::now();
        let mut a = Admission::new(Limits::with_max(64));
        let member = PeerId::random();
        if protect {
            a.protect([member].into());
        }
        let mut next = 0usize;
        let mut refused = 0;
        for (i, p) in peers(600).into_iter().enumerate() {
            let now = t0 + Duration::from_millis(100 * i as u64);
            match a.admit(&p) {
                Ok(()) => {
                    for (_, id) in a.established(ConnectionId::new_unchecked(next), p, now) {
                        a.closed(id);
                    }
                    next += 1;
                }
                Err(Refused::Full(_)) => refused += 1,
                Err(e) => panic!("{e}"),
            }
        }
        assert!(refused > 0 && a.open() <= 64, "the budget holds: {}", a.open());
        let now = t0 + Duration::from_secs(60);
        let got_in = a.admit(&member).is_ok();
        if got_in {
            for (_, id) in a.established(ConnectionId::new_unchecked(next), member, now) {
                a.closed(id);
            }
        }
        (got_in, a.open())
    }

    #[test]
    fn a_member_gets_into_a_full_node_and_strangers_make_room() {
        let (got_in, open) = member_arrives_at_a_full_node(true);
        assert!(got_in, "a member is never refused for lack of room");
        assert!(open <= 57, "strangers closed down to the high-water mark: {open}");
    }

    #[test]
    #[should_panic(expected = "a member is never refused")]
    fn without_protection_the_member_is_locked_out() {
        let (got_in, _) = member_arrives_at_a_full_node(false);
        assert!(got_in, "a member is never refused for lack of room");
    }

    #[test]
    fn members_are_never_closed_and_new_connections_have_grace() {
        let t0 = Instant::now();
        let mut a = Admission::new(Limits {
            max: 10,
            high_water: 4,
            per_peer: 2,
        });
        let members = peers(6);
        a.protect(members.iter().copied().collect());
        for (i, m) in members.iter().enumerate() {
            assert!(a.established(ConnectionId::new_unchecked(i), *m, t0).is_empty());
        }
        let stranger = PeerId::random();
        assert!(
            a.established(ConnectionId::new_unchecked(100), stranger, t0)
                .is_empty(),
            "grace"
        );
        let out = a.trim(t0 + GRACE);
        assert_eq!(out, vec![(stranger, ConnectionId::new_unchecked(100))]);
        assert!(
            a.trim(t0 + GRACE * 2).is_empty(),
            "members stay even above the mark"
        );
        // Per-peer limit.
        a.closed(ConnectionId::new_unchecked(100));
        a.established(ConnectionId::new_unchecked(101), stranger, t0);
        a.established(ConnectionId::new_unchecked(102), stranger, t0);
        assert_eq!(a.admit(&stranger), Err(Refused::PerPeer(2)));
    }
}
