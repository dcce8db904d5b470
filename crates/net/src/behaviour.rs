//! The composed libp2p behaviour.

use std::time::Duration;

use libp2p::identity::Keypair;
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::swarm::NetworkBehaviour;
use libp2p::{
    connection_limits, dcutr, gossipsub, identify, mdns, ping, relay, request_response, StreamProtocol,
};

use crate::codec::FrameCodec;
use crate::{NetConfig, NetError, SYNC_PROTOCOL};

#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    pub limits: connection_limits::Behaviour,
    pub relay_client: relay::client::Behaviour,
    pub relay_server: Toggle<relay::Behaviour>,
    pub dcutr: dcutr::Behaviour,
    pub identify: identify::Behaviour,
    pub ping: ping::Behaviour,
    pub mdns: Toggle<mdns::tokio::Behaviour>,
    pub gossipsub: gossipsub::Behaviour,
    pub sync: request_response::Behaviour<FrameCodec>,
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
    let limits = connection_limits::ConnectionLimits::default()
        .with_max_pending_incoming(Some(128))
        .with_max_established(Some(512))
        .with_max_established_per_peer(Some(4));

    let gossip_cfg = gossipsub::ConfigBuilder::default()
        .validation_mode(gossipsub::ValidationMode::Anonymous)
        .validate_messages()
        .message_id_fn(message_id)
        .max_transmit_size(cfg.max_gossip)
        .heartbeat_interval(Duration::from_millis(500))
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
    Ok(Behaviour {
        limits: connection_limits::Behaviour::new(limits),
        relay_client,
        relay_server: Toggle::from(relay_server),
        dcutr: dcutr::Behaviour::new(peer_id),
        identify: identify::Behaviour::new(
            identify::Config::new("/confab/1.0.0".into(), key.public())
                .with_agent_version(format!("confab/{}", env!("CARGO_PKG_VERSION"))),
        ),
        ping: ping::Behaviour::new(ping::Config::new()),
        mdns: Toggle::from(mdns),
        gossipsub,
        sync,
    })
}
