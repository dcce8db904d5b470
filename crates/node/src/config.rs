//! Node settings, from the command line or the environment (`CONFAB_LISTEN`, `CONFAB_DIAL`,
//! `CONFAB_RELAY`, `CONFAB_BOOTSTRAP` comma-separated, `CONFAB_MDNS=0`, `CONFAB_DHT=0`,
//! `CONFAB_UPNP=0`, `CONFAB_DHT_SERVER=1`, `CONFAB_PRIVATE_NETWORK=1`, `CONFAB_MAX_CONNECTIONS`,
//! `CONFAB_RESYNC_SECS`),
//! shared by `confab run` and the app.

use std::path::Path;
use std::time::Duration;

use confab_net::Multiaddr;
use serde::{Deserialize, Serialize};

use crate::NodeError;

/// File in the data dir holding saved settings (written by the app's Settings view).
pub const SETTINGS_FILE: &str = "settings.json";

/// The environment variables that override saved settings.
pub const ENV_SETTINGS: &[&str] = &[
    "CONFAB_LISTEN",
    "CONFAB_DIAL",
    "CONFAB_RELAY",
    "CONFAB_MDNS",
    "CONFAB_BOOTSTRAP",
    "CONFAB_DHT",
    "CONFAB_DHT_SERVER",
    "CONFAB_UPNP",
    "CONFAB_PRIVATE_NETWORK",
    "CONFAB_MAX_CONNECTIONS",
    "CONFAB_RESYNC_SECS",
];

/// The saved form of [`NodeConfig`]: addresses as text, so the file is readable and editable.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SavedSettings {
    /// Addresses to listen on.
    pub listen: Vec<String>,
    /// Peers to dial.
    pub dial: Vec<String>,
    /// Relays to reserve circuits on.
    pub relays: Vec<String>,
    /// mDNS on the LAN (absent means on).
    pub mdns: Option<bool>,
    /// Serve as a relay.
    pub relay_server: bool,
    /// DHT bootstrap peers replacing the public DHT's (empty: the public DHT).
    pub bootstrap: Vec<String>,
    /// The DHT (absent means on).
    pub dht: Option<bool>,
    /// UPnP port mapping on the home router (absent means on).
    pub upnp: Option<bool>,
    /// Limits on files (absent: the defaults).
    pub files: Option<FileLimits>,
}

/// What this node fetches, accepts and keeps of files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileLimits {
    /// Files up to this size (bytes) are fetched as soon as their record arrives, so that
    /// every member can serve them; larger ones when asked for.
    pub auto_fetch: u64,
    /// No file over this size is sent or fetched.
    pub max_file: u64,
    /// Most bytes of files kept per space.
    pub space_quota: u64,
    /// How long a file no record names any more (deleted, expired, removed with a rotation,
    /// or attached and never sent) is kept before it is deleted, in seconds.
    pub keep_unnamed_secs: u64,
}

impl Default for FileLimits {
    fn default() -> Self {
        FileLimits {
            auto_fetch: 25 * 1024 * 1024,
            max_file: 100 * 1024 * 1024,
            space_quota: 2 * 1024 * 1024 * 1024,
            keep_unnamed_secs: 10 * 60,
        }
    }
}

/// How a node connects.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeConfig {
    /// Addresses to listen on; empty means all interfaces on random TCP and QUIC ports.
    pub listen: Vec<Multiaddr>,
    /// Peers to dial.
    pub dial: Vec<Multiaddr>,
    /// Relays to reserve circuits on.
    pub relays: Vec<Multiaddr>,
    /// mDNS discovery on the LAN.
    pub mdns: bool,
    /// Act as a relay for others.
    pub relay_server: bool,
    /// DHT bootstrap peers; empty: the public DHT's.
    pub bootstrap: Vec<Multiaddr>,
    /// Join the DHT. A bootstrap list given explicitly turns it on whatever this says.
    pub dht: bool,
    /// Serve the DHT from the start (a node known to be publicly reachable).
    pub dht_server: bool,
    /// Map a port on the home router with UPnP.
    pub upnp: bool,
    /// Count private address ranges as reachable (a group whose own network uses them).
    pub private_network: bool,
    /// Most established connections; members of this node's spaces get in even past it, and
    /// others are closed to make room for them.
    pub max_connections: usize,
    /// How many records one peer may send by gossip into one space.
    pub flood: FloodLimits,
    /// As a relay: most seconds and bytes one relayed connection may carry.
    pub circuit_limits: (u64, u64),
    /// How often every space is reconciled with every connected peer.
    pub resync: Duration,
    /// What is fetched, accepted and kept of files.
    pub files: FileLimits,
}

/// A token bucket per peer and space for records arriving by gossip. Records over the rate are
/// dropped unforwarded (an honest sender's reach this node later by sync, which this node
/// paces itself); a peer that keeps sending after a further `burst` records over its allowance
/// is disconnected and refused for [`FloodLimits::cool_off_secs`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FloodLimits {
    /// Sustained records per second.
    pub per_second: u32,
    /// Records that may arrive at once.
    pub burst: u32,
    /// How long a peer dropped for flooding is refused.
    pub cool_off_secs: u64,
}

impl Default for FloodLimits {
    /// Far above any person's typing or drawing, and above a bulk import of 50,000 records
    /// at full speed; a flood of hundreds of thousands trips it.
    fn default() -> Self {
        Self {
            per_second: 10_000,
            burst: 50_000,
            cool_off_secs: 60,
        }
    }
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            listen: Vec::new(),
            dial: Vec::new(),
            relays: Vec::new(),
            mdns: true,
            relay_server: false,
            bootstrap: Vec::new(),
            dht: true,
            dht_server: false,
            upnp: true,
            private_network: false,
            max_connections: 512,
            flood: FloodLimits::default(),
            circuit_limits: DEFAULT_CIRCUIT_LIMITS,
            resync: crate::policy::schedule::RESYNC_EVERY,
            files: FileLimits::default(),
        }
    }
}

/// A Confab relay's limits per relayed connection: 30 minutes and 256 MiB.
pub const DEFAULT_CIRCUIT_LIMITS: (u64, u64) = (30 * 60, 256 * 1024 * 1024);

/// Parses one multiaddr, naming the setting it came from when it is wrong.
pub fn parse_addr(what: &str, s: &str) -> Result<Multiaddr, NodeError> {
    s.trim()
        .parse()
        .map_err(|e| NodeError::setting(what, format!("{s:?} is not a multiaddr ({e})")))
}

fn parse_list(what: &str, s: &str) -> Result<Vec<Multiaddr>, NodeError> {
    s.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| parse_addr(what, p))
        .collect()
}

impl NodeConfig {
    /// Settings from the environment, on top of the defaults.
    pub fn from_env() -> Result<Self, NodeError> {
        Self::from_vars(|k| std::env::var(k).ok())
    }

    /// Settings from a variable lookup (testable without touching the process environment).
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Self, NodeError> {
        Self::default().with_vars(get)
    }

    /// These settings with the environment's on top (what `confab run` and the app start with).
    pub fn with_env(self) -> Result<Self, NodeError> {
        self.with_vars(|k| std::env::var(k).ok())
    }

    /// Settings saved in a data dir, or the defaults if none were saved. A damaged file is an
    /// error naming it, never silently replaced.
    pub fn load(dir: &Path) -> Result<Self, NodeError> {
        let path = dir.join(SETTINGS_FILE);
        let saved: SavedSettings = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| NodeError::setting(path.display().to_string(), e))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => SavedSettings::default(),
            Err(e) => return Err(NodeError::io(path, e)),
        };
        Self::from_saved(&saved)
    }

    /// Checks saved settings and turns them into a config; errors name the bad field.
    pub fn from_saved(saved: &SavedSettings) -> Result<Self, NodeError> {
        let list = |what: &str, v: &[String]| -> Result<Vec<Multiaddr>, NodeError> {
            v.iter()
                .filter(|a| !a.trim().is_empty())
                .map(|a| parse_addr(what, a))
                .collect()
        };
        Ok(Self {
            listen: list("listen", &saved.listen)?,
            dial: list("dial", &saved.dial)?,
            relays: list("relays", &saved.relays)?,
            mdns: saved.mdns.unwrap_or(true),
            relay_server: saved.relay_server,
            bootstrap: list("bootstrap", &saved.bootstrap)?,
            dht: saved.dht.unwrap_or(true),
            upnp: saved.upnp.unwrap_or(true),
            files: saved.files.unwrap_or_default(),
            ..Self::default()
        })
    }

    /// The saved form.
    pub fn to_saved(&self) -> SavedSettings {
        let text = |v: &[Multiaddr]| v.iter().map(|a| a.to_string()).collect();
        SavedSettings {
            listen: text(&self.listen),
            dial: text(&self.dial),
            relays: text(&self.relays),
            mdns: Some(self.mdns),
            relay_server: self.relay_server,
            bootstrap: text(&self.bootstrap),
            dht: Some(self.dht),
            upnp: Some(self.upnp),
            files: (self.files != FileLimits::default()).then_some(self.files),
        }
    }

    /// Saves the settings in a data dir (written whole, then renamed into place).
    pub fn save(&self, dir: &Path) -> Result<(), NodeError> {
        let path = dir.join(SETTINGS_FILE);
        let tmp = dir.join(format!("{SETTINGS_FILE}.tmp"));
        let json = serde_json::to_vec_pretty(&self.to_saved()).expect("settings serialise");
        std::fs::write(&tmp, json).map_err(|e| NodeError::io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| NodeError::io(&path, e))
    }

    fn with_vars(self, get: impl Fn(&str) -> Option<String>) -> Result<Self, NodeError> {
        let mut c = self;
        if let Some(v) = get("CONFAB_LISTEN") {
            c.listen = parse_list("CONFAB_LISTEN", &v)?;
        }
        if let Some(v) = get("CONFAB_DIAL") {
            c.dial = parse_list("CONFAB_DIAL", &v)?;
        }
        if let Some(v) = get("CONFAB_RELAY") {
            c.relays = parse_list("CONFAB_RELAY", &v)?;
        }
        if let Some(v) = get("CONFAB_BOOTSTRAP") {
            c.bootstrap = parse_list("CONFAB_BOOTSTRAP", &v)?;
        }
        let switch = |name: &str, current: bool| -> Result<bool, NodeError> {
            match get(name) {
                None => Ok(current),
                Some(v) => match v.trim() {
                    "0" | "false" | "off" | "no" => Ok(false),
                    "1" | "true" | "on" | "yes" | "" => Ok(true),
                    other => Err(NodeError::setting(name, format!("{other:?} is not 0 or 1"))),
                },
            }
        };
        c.mdns = switch("CONFAB_MDNS", c.mdns)?;
        c.dht = switch("CONFAB_DHT", c.dht)?;
        c.dht_server = switch("CONFAB_DHT_SERVER", c.dht_server)?;
        c.upnp = switch("CONFAB_UPNP", c.upnp)?;
        c.private_network = switch("CONFAB_PRIVATE_NETWORK", c.private_network)?;
        if let Some(v) = get("CONFAB_MAX_CONNECTIONS") {
            match v.trim().parse::<usize>() {
                Ok(n) if n >= 16 => c.max_connections = n,
                _ => {
                    return Err(NodeError::setting(
                        "CONFAB_MAX_CONNECTIONS",
                        format!("{v:?} is not a whole number of at least 16"),
                    ))
                }
            }
        }
        if let Some(v) = get("CONFAB_RESYNC_SECS") {
            match v.trim().parse::<u64>() {
                Ok(n) if n > 0 => c.resync = Duration::from_secs(n),
                _ => {
                    return Err(NodeError::setting(
                        "CONFAB_RESYNC_SECS",
                        format!("{v:?} is not a whole number of seconds above 0"),
                    ))
                }
            }
        }
        Ok(c)
    }

    /// The DHT this node joins, if any: the bootstrap list given (which wins over a switch
    /// that turns the DHT off), else the public DHT unless switched off.
    pub fn dht_config(&self) -> Option<confab_net::DhtConfig> {
        if !self.bootstrap.is_empty() {
            Some(confab_net::DhtConfig {
                bootstrap: self.bootstrap.clone(),
                server: self.dht_server,
            })
        } else if self.dht {
            Some(confab_net::DhtConfig {
                server: self.dht_server,
                ..confab_net::DhtConfig::public()
            })
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_vars() {
        let c = NodeConfig::from_vars(|k| match k {
            "CONFAB_LISTEN" => Some("/ip4/127.0.0.1/tcp/0, /ip4/127.0.0.1/udp/0/quic-v1".into()),
            "CONFAB_MDNS" => Some("0".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.listen.len(), 2);
        assert!(!c.mdns);
        let e =
            NodeConfig::from_vars(|k| (k == "CONFAB_DIAL").then(|| "not-an-addr".to_string())).unwrap_err();
        assert!(e.to_string().contains("CONFAB_DIAL"), "{e}");
        let e = NodeConfig::from_vars(|k| (k == "CONFAB_MDNS").then(|| "maybe".to_string())).unwrap_err();
        assert!(e.to_string().contains("CONFAB_MDNS"), "{e}");
        let c = NodeConfig::from_vars(|k| (k == "CONFAB_RESYNC_SECS").then(|| "5".to_string())).unwrap();
        assert_eq!(c.resync, Duration::from_secs(5));
        let e = NodeConfig::from_vars(|k| (k == "CONFAB_RESYNC_SECS").then(|| "0".to_string())).unwrap_err();
        assert!(e.to_string().contains("CONFAB_RESYNC_SECS"), "{e}");
    }

    #[test]
    fn the_dht_is_public_by_default_off_when_asked_and_a_bootstrap_list_wins() {
        let public = NodeConfig::from_vars(|_| None).unwrap().dht_config().unwrap();
        assert!(!public.bootstrap.is_empty() && !public.server);
        assert!(
            public
                .bootstrap
                .iter()
                .all(|a| a.to_string().starts_with("/dnsaddr/")),
            "the built-in list names hosts, never raw addresses"
        );
        let off = NodeConfig::from_vars(|k| (k == "CONFAB_DHT").then(|| "0".into())).unwrap();
        assert_eq!(off.dht_config(), None);
        let own = format!("/ip4/198.51.100.7/tcp/4001/p2p/{}", confab_net::PeerId::random());
        let mine = NodeConfig::from_vars(|k| match k {
            "CONFAB_DHT" => Some("0".into()),
            "CONFAB_BOOTSTRAP" => Some(own.clone()),
            "CONFAB_DHT_SERVER" => Some("1".into()),
            _ => None,
        })
        .unwrap()
        .dht_config()
        .unwrap();
        assert_eq!(mine.bootstrap, vec![own.parse().unwrap()]);
        assert!(mine.server);
        let e = NodeConfig::from_vars(|k| (k == "CONFAB_UPNP").then(|| "perhaps".into())).unwrap_err();
        assert!(e.to_string().contains("CONFAB_UPNP"), "{e}");
    }

    #[test]
    fn saved_settings_round_trip_and_bad_files_are_named() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(NodeConfig::load(d.path()).unwrap(), NodeConfig::default());
        let c = NodeConfig {
            listen: vec!["/ip4/127.0.0.1/tcp/4001".parse().unwrap()],
            dial: vec!["/ip4/10.0.0.2/tcp/4001".parse().unwrap()],
            mdns: false,
            relay_server: true,
            ..Default::default()
        };
        c.save(d.path()).unwrap();
        assert_eq!(NodeConfig::load(d.path()).unwrap(), c);
        // The environment goes on top of what was saved.
        let e = c
            .clone()
            .with_vars(|k| (k == "CONFAB_MDNS").then(|| "1".into()))
            .unwrap();
        assert!(e.mdns && e.relay_server);
        std::fs::write(d.path().join(SETTINGS_FILE), b"{not json").unwrap();
        let err = NodeConfig::load(d.path()).unwrap_err().to_string();
        assert!(err.contains(SETTINGS_FILE), "{err}");
        let bad = SavedSettings {
            dial: vec!["nonsense".into()],
            ..Default::default()
        };
        let err = NodeConfig::from_saved(&bad).unwrap_err().to_string();
        assert!(err.contains("dial") && err.contains("nonsense"), "{err}");
    }
}
