//! Virtual networks for tests: network namespaces, veth links and bridges made by one test and
//! deleted when it ends, also when it fails. Shared by the CLI's and the app's namespace tests.
#![allow(dead_code)]

use std::process::Command;

pub fn sh(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .output()
        .expect("the ip command (iproute2) is installed");
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Namespaces and links made by one test; dropped (deleted) however the test ends.
pub struct Net {
    tag: String,
    namespaces: Vec<String>,
    files: Vec<std::path::PathBuf>,
    /// Daemons run inside the namespaces (miniupnpd), stopped before they are deleted.
    daemons: Vec<std::process::Child>,
}

impl Net {
    pub fn new(test: &str) -> Net {
        let uid = current_uid();
        assert!(
            std::env::var("USER").map(|u| u == "root").unwrap_or(false) || uid == 0,
            "network-namespace tests need root (run the suite as root, as CI does)"
        );
        Net {
            tag: format!("{test}{}", std::process::id() % 100_000),
            namespaces: Vec::new(),
            files: Vec::new(),
            daemons: Vec::new(),
        }
    }

    /// A namespace named for this test, with loopback up.
    pub fn ns(&mut self, name: &str) -> String {
        let full = format!("cf-{}-{name}", self.tag);
        let _ = Command::new("ip").args(["netns", "del", &full]).output();
        sh(&["netns", "add", &full]);
        sh(&["-n", &full, "link", "set", "lo", "up"]);
        self.namespaces.push(full.clone());
        full
    }

    /// Gives processes run in `ns` (by `ip netns exec`) their own resolver configuration
    /// naming `nameserver`, so DNS lookups go where the test can see them.
    pub fn resolver(&mut self, ns: &str, nameserver: &str) {
        let dir = std::path::PathBuf::from(format!("/etc/netns/{ns}"));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("resolv.conf");
        std::fs::write(&file, format!("nameserver {nameserver}\n")).unwrap();
        self.files.push(dir);
    }

    /// A bridge inside a new switch namespace.
    pub fn switch(&mut self, name: &str) -> String {
        let sw = self.ns(name);
        sh(&["-n", &sw, "link", "add", "br0", "type", "bridge"]);
        sh(&["-n", &sw, "link", "set", "br0", "up"]);
        sw
    }

    /// Links host namespace `host` to switch `sw` with address `cidr` on the host side;
    /// returns the host side's interface name.
    pub fn plug(&mut self, host: &str, sw: &str, cidr: &str) -> String {
        let (a, b) = self.veth_names();
        sh(&["link", "add", &a, "type", "veth", "peer", "name", &b]);
        sh(&["link", "set", &a, "netns", host]);
        sh(&["link", "set", &b, "netns", sw]);
        sh(&["-n", host, "addr", "add", cidr, "dev", &a]);
        sh(&["-n", host, "link", "set", &a, "up"]);
        sh(&["-n", sw, "link", "set", &b, "master", "br0"]);
        sh(&["-n", sw, "link", "set", &b, "up"]);
        a
    }

    /// A home network `name` behind its own router: the router's WAN side is plugged into
    /// `internet` (a switch) at `public_cidr`; the home is `{lan}.0/24`, its one host at
    /// `{lan}.2` with a default route through the router at `{lan}.1`. The router does NAT
    /// (`MASQUERADE`; `--random-fully` for a symmetric NAT that picks a new port for every
    /// destination) and drops unsolicited packets from the internet, as home routers do.
    pub fn home(&mut self, name: &str, internet: &str, public_cidr: &str, lan: &str, nat: Nat) -> Home {
        let router = self.ns(&format!("{name}r"));
        let host = self.ns(name);
        let wan = self.plug(&router, internet, public_cidr);
        self.link(&host, &format!("{lan}.2/24"), &router, &format!("{lan}.1/24"));
        sh(&["-n", &host, "route", "add", "default", "via", &format!("{lan}.1")]);
        in_ns(&router, &["sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"]);
        let mut masq = vec![
            "iptables",
            "-t",
            "nat",
            "-A",
            "POSTROUTING",
            "-o",
            &wan,
            "-j",
            "MASQUERADE",
        ];
        if nat == Nat::Symmetric {
            masq.push("--random-fully");
        }
        in_ns(&router, &masq);
        for chain in ["INPUT", "FORWARD"] {
            in_ns(
                &router,
                &[
                    "iptables",
                    "-A",
                    chain,
                    "-i",
                    &wan,
                    "-m",
                    "conntrack",
                    "--ctstate",
                    "NEW,INVALID",
                    "-j",
                    "DROP",
                ],
            );
        }
        Home {
            host,
            router,
            wan,
            addr: format!("{lan}.2"),
        }
    }

    /// A home like [`Net::home`] (endpoint-independent NAT) whose router also runs miniupnpd,
    /// which maps ports for the hosts of the home on request (UPnP IGD and NAT-PMP), writing
    /// its rules into nftables beside the iptables ones. miniupnpd refuses to serve from a
    /// reserved public address (documentation ranges included), and so does rust-libp2p's UPnP:
    /// `public_cidr` must be an ordinary one.
    pub fn upnp_home(&mut self, name: &str, internet: &str, public_cidr: &str, lan: &str) -> Home {
        let home = self.home(name, internet, public_cidr, lan, Nat::EndpointIndependent);
        // What the router forwards to a mapped port gets through the drop of unsolicited packets.
        in_ns(
            &home.router,
            &[
                "iptables",
                "-I",
                "FORWARD",
                "1",
                "-i",
                &home.wan,
                "-m",
                "conntrack",
                "--ctstate",
                "DNAT",
                "-j",
                "ACCEPT",
            ],
        );
        let dir = std::env::temp_dir().join(format!("cf-{}-{name}-upnp", self.tag));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        self.files.push(dir.clone());
        // The chains miniupnpd fills, hooked in with policy accept: the iptables rules above
        // do the filtering.
        let nft = dir.join("miniupnpd.nft");
        std::fs::write(
            &nft,
            "table inet miniupnpd {\n\
             chain forward { type filter hook forward priority 0; policy accept; jump upnp_forward; }\n\
             chain upnp_forward { }\n\
             chain prerouting { type nat hook prerouting priority -100; policy accept; jump upnp_pre; }\n\
             chain upnp_pre { }\n\
             chain postrouting { type nat hook postrouting priority 100; policy accept; jump upnp_post; }\n\
             chain upnp_post { }\n\
             }\n",
        )
        .unwrap();
        in_ns(&home.router, &["nft", "-f", nft.to_str().unwrap()]);
        let lan_if = String::from_utf8(
            Command::new("ip")
                .args([
                    "-n",
                    &home.router,
                    "-o",
                    "-4",
                    "addr",
                    "show",
                    "to",
                    &format!("{lan}.1"),
                ])
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap()
        .split_whitespace()
        .nth(1)
        .expect("the router's LAN interface")
        .to_string();
        let conf = dir.join("miniupnpd.conf");
        std::fs::write(
            &conf,
            format!(
                "ext_ifname={wan}\nlistening_ip={lan_if}\nenable_upnp=yes\nenable_natpmp=yes\n\
                 secure_mode=yes\nuuid=6d1b7c2e-3f4a-4b5c-8d6e-7f8091a2b3c4\n\
                 upnp_table_name=miniupnpd\nupnp_nat_table_name=miniupnpd\n\
                 upnp_forward_chain=upnp_forward\nupnp_nat_chain=upnp_pre\nupnp_nat_postrouting_chain=upnp_post\n\
                 allow 1024-65535 {lan}.0/24 1024-65535\ndeny 0-65535 0.0.0.0/0 0-65535\n",
                wan = home.wan
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.join("miniupnpd.log")).unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", &home.router, "miniupnpd", "-d", "-f"])
            .arg(&conf)
            .arg("-P")
            .arg(dir.join("miniupnpd.pid"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("miniupnpd is installed (scripts/setup.sh installs it)");
        self.daemons.push(child);
        // Ready when it answers SSDP searches.
        for _ in 0..100 {
            let out = Command::new("ip")
                .args(["netns", "exec", &home.router, "ss", "-lun"])
                .output()
                .unwrap();
            if String::from_utf8_lossy(&out.stdout).contains(":1900 ") {
                return home;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!(
            "miniupnpd did not start: {}",
            std::fs::read_to_string(dir.join("miniupnpd.log")).unwrap_or_default()
        );
    }

    /// The log of the miniupnpd running for home `name`.
    pub fn upnp_log(&self, name: &str) -> String {
        let dir = std::env::temp_dir().join(format!("cf-{}-{name}-upnp", self.tag));
        std::fs::read_to_string(dir.join("miniupnpd.log")).unwrap_or_default()
    }

    /// A point-to-point link between two namespaces.
    pub fn link(&mut self, x: &str, x_cidr: &str, y: &str, y_cidr: &str) {
        let (a, b) = self.veth_names();
        sh(&["link", "add", &a, "type", "veth", "peer", "name", &b]);
        sh(&["link", "set", &a, "netns", x]);
        sh(&["link", "set", &b, "netns", y]);
        sh(&["-n", x, "addr", "add", x_cidr, "dev", &a]);
        sh(&["-n", y, "addr", "add", y_cidr, "dev", &b]);
        sh(&["-n", x, "link", "set", &a, "up"]);
        sh(&["-n", y, "link", "set", &b, "up"]);
    }

    /// Addresses and link states of every namespace, for failure messages.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for ns in &self.namespaces {
            for what in [&["-br", "addr"][..], &["-br", "link"][..]] {
                let o = Command::new("ip").args(["-n", ns]).args(what).output();
                if let Ok(o) = o {
                    out.push_str(&format!(
                        "{ns} {}:\n{}",
                        what[1],
                        String::from_utf8_lossy(&o.stdout)
                    ));
                }
            }
        }
        out
    }

    fn veth_names(&mut self) -> (String, String) {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let base = format!("v{}{n}", std::process::id() % 1_000_000);
        (format!("{base}a"), format!("{base}b"))
    }
}

/// How a home router maps ports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nat {
    /// The same public port for every destination (endpoint-independent): hole punching works.
    EndpointIndependent,
    /// A random public port per connection: hole punching fails.
    Symmetric,
}

/// A home network made by [`Net::home`].
pub struct Home {
    /// The namespace of the host in the home.
    pub host: String,
    /// The router's namespace.
    pub router: String,
    /// The router's interface to the internet.
    pub wan: String,
    /// The host's private address.
    pub addr: String,
}

/// Runs a command inside a namespace; it must succeed.
pub fn in_ns(ns: &str, cmd: &[&str]) {
    let out = Command::new("ip")
        .args(["netns", "exec", ns])
        .args(cmd)
        .output()
        .expect("ip netns exec runs");
    assert!(
        out.status.success(),
        "in {ns}: {}: {}",
        cmd.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// This process's uid, read from /proc rather than through libc.
pub fn current_uid() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(u32::MAX)
}

impl Drop for Net {
    fn drop(&mut self) {
        for d in &mut self.daemons {
            let _ = d.kill();
            let _ = d.wait();
        }
        for dir in &self.files {
            let _ = std::fs::remove_dir_all(dir);
        }
        for ns in self.namespaces.iter().rev() {
            let _ = Command::new("ip").args(["netns", "del", ns]).output();
        }
    }
}
