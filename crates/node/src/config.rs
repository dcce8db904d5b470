//! Node settings, from the command line or the environment (`CONFAB_LISTEN`, `CONFAB_DIAL`,
//! `CONFAB_RELAY` comma-separated, `CONFAB_MDNS=0`), shared by `confab run` and the app.

use confab_net::Multiaddr;

use crate::NodeError;

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
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            listen: Vec::new(),
            dial: Vec::new(),
            relays: Vec::new(),
            mdns: true,
            relay_server: false,
        }
    }
}

/// Parses one multiaddr, naming the setting it came from when it is wrong.
pub fn parse_addr(what: &str, s: &str) -> Result<Multiaddr, NodeError> {
    s.trim()
        .parse()
        .map_err(|e| NodeError::Invalid(format!("{what}: {s:?} is not a multiaddr ({e})")))
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
        let mut c = Self::default();
        if let Some(v) = get("CONFAB_LISTEN") {
            c.listen = parse_list("CONFAB_LISTEN", &v)?;
        }
        if let Some(v) = get("CONFAB_DIAL") {
            c.dial = parse_list("CONFAB_DIAL", &v)?;
        }
        if let Some(v) = get("CONFAB_RELAY") {
            c.relays = parse_list("CONFAB_RELAY", &v)?;
        }
        if let Some(v) = get("CONFAB_MDNS") {
            c.mdns = match v.trim() {
                "0" | "false" | "off" | "no" => false,
                "1" | "true" | "on" | "yes" | "" => true,
                other => {
                    return Err(NodeError::Invalid(format!(
                        "CONFAB_MDNS: {other:?} is not 0 or 1"
                    )))
                }
            };
        }
        Ok(c)
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
    }
}
