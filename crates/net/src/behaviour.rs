//! The composed libp2p behaviour.

use std::time::Duration;

use libp2p::identity::Keypair;
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::swarm::NetworkBehaviour;
use libp2p::{
    autonat, connection_limits, dcutr, gossipsub, identify, kad, mdns, ping, relay, request_response, upnp,
    StreamProtocol,
};

use crate::codec::FrameCodec;
use crate::guard::Guard;
use crate::{NetConfig, NetError, BLOB_PROTOCOL, KAD_PROTOCOL, LINK_FRAME, LINK_PROTOCOL, SYNC_PROTOCOL};

#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    pub limits: connection_limits::Behaviour,
    pub guard: Guard,
    pub relay_client: relay::client::Behaviour,
    pub relay_server: Toggle<relay::Behaviour>,
    pub dcutr: dcutr::Behaviour,
    pub identify: identify::Behaviour,
    pub ping: ping::Behaviour,
    pub mdns: Toggle<mdns::tokio::Behaviour>,
    pub kad: Toggle<kad::Behaviour<kad::store::MemoryStore>>,
    pub autonat: crate::probe::Probe,
    pub upnp: Toggle<upnp::tokio::Behaviour>,
    pub gossipsub: gossipsub::Behaviour,
    pub sync: request_response::Behaviour<FrameCodec>,
    pub blob: request_response::Behaviour<FrameCodec>,
    pub link: request_response::Behaviour<FrameCodec>,
}

/// Gossip message ids are a hash of the content: the same record is the same message whoever
/// forwards it, and messages carry no author or sequence number (anonymous mode).
fn message_id(m: &gossipsub::Message) -> gossipsub::MessageId {
    gossipsub::MessageId::from(blake3::hash(&m.data).as_bytes()[..20].to_vec())
}

pub(crate) fn build(
    key: &Keypair,
    relay_client: relay::client::Behaviour,
    cfg: &NetConfig,
) -> Result<Behaviour, NetError> {
    let peer_id = key.public().to_peer_id();
    // Established connections are the guard's business (room kept for members); this only
    // bounds handshakes in flight.
    let limits = connection_limits::ConnectionLimits::default().with_max_pending_incoming(Some(128));

    let gossip_cfg = gossipsub::ConfigBuilder::default()
        .validation_mode(gossipsub::ValidationMode::Anonymous)
        .validate_messages()
        .message_id_fn(message_id)
        .max_transmit_size(cfg.max_gossip)
        .heartbeat_interval(Duration::from_millis(500))
        // A record written here goes to the mesh (two or three peers), not to every
        // peer in the topic: members pass it on, so the writer's upload stays flat however
        // many read it (flood publishing made a newsletter's publisher send each issue once
        // per subscriber). Peers outside the mesh hear of it in the next heartbeat's IHAVE,
        // and sync fills any gap. IHAVE goes to two peers outside the mesh a heartbeat (not a
        // quarter of all peers): each may ask the writer for the record, which in a large
        // audience made the writer's upload grow with it again.
        .gossip_lazy(2)
        .gossip_factor(0.0)
        .flood_publish(false)
        .mesh_n(3)
        .mesh_n_low(2)
        .mesh_n_high(3)
        .mesh_outbound_min(1)
        // A record waits to be passed on rather than being dropped after a second when the
        // connection is busy (files going the same way): with a small mesh, a forward dropped
        // is a member that waits for IHAVE or sync.
        .forward_queue_duration(Duration::from_secs(10))
        .publish_queue_duration(Duration::from_secs(10))
        .build()
        .map_err(|e| NetError::Setup(format!("gossipsub config: {e}")))?;
    let mut gossipsub = gossipsub::Behaviour::new(gossipsub::MessageAuthenticity::Anonymous, gossip_cfg)
        .map_err(|e| NetError::Setup(format!("gossipsub: {e}")))?;
    // Scoring is off unless asked for: turn it on so peers that send invalid records lose
    // standing (topic weights are set per topic on subscribe).
    gossipsub
        .with_peer_score(
            gossipsub::PeerScoreParams {
                // The default penalises more than ten peers behind one IP address. Members of a
                // space are invited, and many of them legitimately share an address: every
                // peer reached through the same relay, every node on one machine.
                ip_colocation_factor_weight: 0.0,
                ..Default::default()
            },
            gossipsub::PeerScoreThresholds::default(),
        )
        .map_err(|e| NetError::Setup(format!("gossipsub scoring: {e}")))?;

    let relay_server = cfg.relay_server.then(|| {
        relay::Behaviour::new(
            peer_id,
            relay::Config {
                max_reservations: 256,
                max_reservations_per_peer: 4,
                reservation_duration: Duration::from_secs(60 * 60),
                max_circuits: 64,
                max_circuits_per_peer: 8,
                // Catch-up over a relay moves megabytes: by default 30 minutes and 256 MiB, far
                // above rust-libp2p's defaults (2 minutes, 128 KiB). Sync copes with those too
                // (small frames on relayed connections, resumed on the next circuit).
                max_circuit_duration: cfg.circuit_limits.0,
                max_circuit_bytes: cfg.circuit_limits.1,
                ..Default::default()
            },
        )
    });
    let mdns = if cfg.mdns {
        let mc = mdns::Config {
            query_interval: Duration::from_secs(15),
            ..Default::default()
        };
        Some(mdns::tokio::Behaviour::new(mc, peer_id).map_err(|e| NetError::Setup(format!("mdns: {e}")))?)
    } else {
        None
    };
    let kad = cfg.dht.as_ref().map(|dht| {
        let mut kc = kad::Config::new(StreamProtocol::new(KAD_PROTOCOL));
        // Provider records hold addresses, which go stale: renewed by the node's rendezvous
        // policy (every few hours and on every address change), kept by others for a day.
        kc.set_provider_record_ttl(Some(Duration::from_secs(24 * 60 * 60)))
            .set_provider_publication_interval(Some(Duration::from_secs(12 * 60 * 60)))
            .set_query_timeout(Duration::from_secs(30))
            .set_periodic_bootstrap_interval(Some(Duration::from_secs(5 * 60)));
        // What this node keeps for others: a few thousand provider keys, twenty providers
        // each, a thousand small records (Confab itself stores none).
        let store = kad::store::MemoryStore::with_config(
            peer_id,
            kad::store::MemoryStoreConfig {
                max_records: 1024,
                max_value_bytes: 16 * 1024,
                max_providers_per_key: 20,
                max_provided_keys: 4096,
            },
        );
        let mut k = kad::Behaviour::with_config(peer_id, store, kc);
        // Client until AutoNAT says this node is reachable (or it is told it is): the mode
        // follows reachability, not any confirmed address (a relay circuit is one too).
        k.set_mode(Some(if dht.server {
            kad::Mode::Server
        } else {
            kad::Mode::Client
        }));
        k
    });
    let autonat = crate::probe::Probe(autonat::Behaviour::new(
        peer_id,
        autonat::Config {
            only_global_ips: !cfg.private_network,
            boot_delay: Duration::from_secs(5),
            retry_interval: Duration::from_secs(60),
            throttle_server_period: Duration::from_secs(30),
            // Answer few probes: 3 a second in all, 2 a second from one peer.
            throttle_clients_global_max: 3,
            throttle_clients_peer_max: 2,
            throttle_clients_period: Duration::from_secs(1),
            ..Default::default()
        },
    ));
    let upnp = cfg.upnp.then(upnp::tokio::Behaviour::default);
    let sync = request_response::Behaviour::with_codec(
        FrameCodec::new(cfg.max_frame),
        [(
            StreamProtocol::new(SYNC_PROTOCOL),
            request_response::ProtocolSupport::Full,
        )],
        request_response::Config::default()
            .with_request_timeout(cfg.request_timeout)
            .with_max_concurrent_streams(64),
    );
    // File transfer: a request per run of chunk groups, several in flight to each holder.
    let blob = request_response::Behaviour::with_codec(
        FrameCodec::new(cfg.max_blob_frame),
        [(
            StreamProtocol::new(BLOB_PROTOCOL),
            request_response::ProtocolSupport::Full,
        )],
        request_response::Config::default()
            .with_request_timeout(cfg.blob_timeout)
            .with_max_concurrent_streams(128),
    );
    // Linking a new device of a person: a few small frames, answered at once (the new device
    // asks again until the person approves it).
    let link = request_response::Behaviour::with_codec(
        FrameCodec::new(LINK_FRAME),
        [(
            StreamProtocol::new(LINK_PROTOCOL),
            request_response::ProtocolSupport::Full,
        )],
        request_response::Config::default()
            .with_request_timeout(Duration::from_secs(15))
            .with_max_concurrent_streams(8),
    );
    Ok(Behaviour {
        limits: connection_limits::Behaviour::new(limits),
        guard: Guard::new(cfg.connections),
        relay_client,
        relay_server: Toggle::from(relay_server),
        dcutr: dcutr::Behaviour::new(peer_id),
        identify: identify::Behaviour::new(
            identify::Config::new("/confab/1.0.0".into(), key.public())
                .with_agent_version(format!("confab/{}", env!("CARGO_PKG_VERSION"))),
        ),
        // A ping every 5 s; a connection that stops answering is closed after 16 s (see
        // `liveness`), or by the ping handler's own 20 s timeout.
        ping: ping::Behaviour::new(
            ping::Config::new()
                .with_interval(crate::liveness::PING_EVERY)
                .with_timeout(Duration::from_secs(20)),
        ),
        mdns: Toggle::from(mdns),
        kad: Toggle::from(kad),
        autonat,
        upnp: Toggle::from(upnp),
        gossipsub,
        sync,
        blob,
        link,
    })
}
