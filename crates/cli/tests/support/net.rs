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

    /// A bridge inside a new switch namespace.
    pub fn switch(&mut self, name: &str) -> String {
        let sw = self.ns(name);
        sh(&["-n", &sw, "link", "add", "br0", "type", "bridge"]);
        sh(&["-n", &sw, "link", "set", "br0", "up"]);
        sw
    }

    /// Links host namespace `host` to switch `sw` with address `cidr` on the host side.
    pub fn plug(&mut self, host: &str, sw: &str, cidr: &str) {
        let (a, b) = self.veth_names();
        sh(&["link", "add", &a, "type", "veth", "peer", "name", &b]);
        sh(&["link", "set", &a, "netns", host]);
        sh(&["link", "set", &b, "netns", sw]);
        sh(&["-n", host, "addr", "add", cidr, "dev", &a]);
        sh(&["-n", host, "link", "set", &a, "up"]);
        sh(&["-n", sw, "link", "set", &b, "master", "br0"]);
        sh(&["-n", sw, "link", "set", &b, "up"]);
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
        for ns in self.namespaces.iter().rev() {
            let _ = Command::new("ip").args(["netns", "del", ns]).output();
        }
    }
}
