//! The node itself: who it is, how it is doing, its peers and its settings.

use serde::{Deserialize, Serialize};

use super::{Op, Service};
use crate::config::{parse_addr, NodeConfig, SavedSettings, ENV_SETTINGS};
use crate::view::{DhtView, MeView, PeerView, SettingsView, StatusView};
use crate::NodeError;

/// This node's identity and listen addresses.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Id {}

impl Op for Id {
    const METHOD: &'static str = "id";
    type Output = MeView;
    async fn run(self, svc: &Service) -> Result<MeView, NodeError> {
        let me = svc.engine.device();
        let listening = match &svc.node {
            Some(n) => n.status().await?.listening,
            None => Vec::new(),
        };
        Ok(MeView {
            account: svc.engine.me().peer_id(),
            peer_id: me.peer_id(),
            holds_account: svc.engine.identity().account_secret().is_some(),
            short: me.short(),
            data_dir: svc.engine.dir().display().to_string(),
            listening,
        })
    }
}

/// The running node: addresses, peers, catch-up progress.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Status {}

impl Op for Status {
    const METHOD: &'static str = "status";
    type Output = StatusView;
    async fn run(self, svc: &Service) -> Result<StatusView, NodeError> {
        let peer_id = svc.engine.device().peer_id();
        Ok(match &svc.node {
            Some(n) => {
                let s = n.status().await?;
                StatusView {
                    peer_id,
                    running: true,
                    listening: s.listening,
                    peers: s.peers,
                    progress: s.progress,
                    reachability: s.reachability,
                    reservations: s.reservations,
                    external: s.external,
                    dht: s.dht,
                    rendezvous: s.rendezvous,
                }
            }
            None => StatusView {
                peer_id,
                running: false,
                listening: Vec::new(),
                peers: 0,
                progress: Vec::new(),
                reachability: "unknown".into(),
                reservations: Vec::new(),
                external: Vec::new(),
                dht: DhtView {
                    mode: "off".into(),
                    peers: 0,
                },
                rendezvous: Vec::new(),
            },
        })
    }
}

/// The connected peers (none when no node runs).
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Peers {}

impl Op for Peers {
    const METHOD: &'static str = "peers";
    type Output = Vec<PeerView>;
    async fn run(self, svc: &Service) -> Result<Vec<PeerView>, NodeError> {
        match &svc.node {
            Some(n) => n.peers().await,
            None => Ok(Vec::new()),
        }
    }
}

/// Dials an address (with or without `/p2p/<peer id>`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Dial {
    pub addr: String,
}

impl Op for Dial {
    const METHOD: &'static str = "dial";
    type Output = ();
    async fn run(self, svc: &Service) -> Result<(), NodeError> {
        let addr = parse_addr("dial", &self.addr)?;
        svc.node("dialling")?.dial(addr)
    }
}

/// A lifecycle event from the app: suspended (backgrounded), resumed, or the network changed.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NodeLifecycle {
    pub event: crate::Lifecycle,
}

impl Op for NodeLifecycle {
    const METHOD: &'static str = "node.lifecycle";
    type Output = ();
    async fn run(self, svc: &Service) -> Result<(), NodeError> {
        svc.node("changing the network's state")?.lifecycle(self.event)
    }
}

/// The saved settings, and which the environment overrides.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SettingsGet {}

impl Op for SettingsGet {
    const METHOD: &'static str = "settings.get";
    type Output = SettingsView;
    async fn run(self, svc: &Service) -> Result<SettingsView, NodeError> {
        Ok(SettingsView {
            saved: NodeConfig::load(svc.engine.dir())?.to_saved(),
            from_env: ENV_SETTINGS
                .iter()
                .filter(|k| std::env::var_os(k).is_some())
                .map(|k| k.to_string())
                .collect(),
        })
    }
}

/// Checks and saves settings; peers to dial are dialled at once (if a node runs), the rest
/// applies at the next start.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SettingsSet {
    pub settings: SavedSettings,
}

impl Op for SettingsSet {
    const METHOD: &'static str = "settings.set";
    type Output = ();
    async fn run(self, svc: &Service) -> Result<(), NodeError> {
        let cfg = NodeConfig::from_saved(&self.settings)?;
        cfg.save(svc.engine.dir())?;
        if let Some(node) = &svc.node {
            for a in cfg.dial {
                node.dial(a)?;
            }
        }
        Ok(())
    }
}

/// The recovery phrase of this person's account: its secret as 24 words. Anyone with them is
/// this person, so the caller asks for confirmation first (`confirmed` must be true).
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IdentityPhrase {
    /// The person confirmed they want to see it.
    #[serde(default)]
    pub confirmed: bool,
}

impl Op for IdentityPhrase {
    const METHOD: &'static str = "identity.phrase";
    type Output = crate::view::PhraseView;
    async fn run(self, svc: &Service) -> Result<crate::view::PhraseView, NodeError> {
        if !self.confirmed {
            return Err(NodeError::Invalid(
                "the recovery phrase is shown only once asked for and confirmed: anyone with its words is you".into(),
            ));
        }
        let id = svc.engine.identity();
        let Some(secret) = id.account_secret() else {
            return Err(NodeError::Refused(format!(
                "this device does not hold the secret of the account {}: show the phrase on the device that does",
                id.account().peer_id()
            )));
        };
        Ok(crate::view::PhraseView {
            account: id.account().peer_id(),
            words: confab_core::account::phrase(&secret.to_bytes()),
        })
    }
}
