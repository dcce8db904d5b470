//! File transfer: `confab run` processes on 127.0.0.1 (mDNS, DHT and UPnP off).
//!
//! - one holder: a file of 200 MiB from one node to another, timed from `confab blob get` to
//!   the receiver's "file held" line (fetched, verified group by group, moved into place),
//!   next to the same number of bytes over one raw libp2p stream (TCP + Noise + Yamux, two
//!   swarms in this process: the transport's own ceiling) and over a plain TCP connection;
//! - three holders: the same from three nodes at once, with the share each served;
//! - the receiver's memory (RSS) while it fetches, above its idle level;
//! - a pasted picture (a 3000 × 2000 PNG screenshot) from the writer's call to the peer's
//!   insert event carrying its preview: two nodes in this process, 20 samples.
//!
//! `cargo build --release --bin confab && cargo bench -p confab-bench --bench transfer`
//! (`CONFAB_BENCH_SCALE=0.1` for 20 MiB; `CONFAB_BIN` names another `confab`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use confab_bench::{cores, scale};
use futures::{AsyncReadExt, AsyncWriteExt, StreamExt};

const MIB: u64 = 1 << 20;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` probing
    }
    let Some(bin) = confab_bench::confab_bin() else {
        println!("transfer: no `confab` binary found: build it first (cargo build --release --bin confab) or set CONFAB_BIN");
        return;
    };
    let size = ((200.0 * scale()).max(4.0) as u64) * MIB;
    println!(
        "# File transfer: {} cores, scale {}, {} MiB, TCP on 127.0.0.1",
        cores(),
        scale(),
        size / MIB
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let tcp = rt.block_on(tcp_copy(size));
    let raw = rt.block_on(raw_stream(size));
    let previews = rt.block_on(preview_latency(20));
    let d = tempfile::tempdir().expect("tempdir");
    let net = Network::new(&bin, d.path(), size);
    let one = net.fetch("b", &["a"]);
    let three = net.fetch("e", &["a", "b", "c"]);
    let mbs = |t: Duration| size as f64 / 1e6 / t.as_secs_f64();
    println!("\n| path | MB/s | vs raw stream |\n|---|---|---|");
    println!(
        "| plain TCP copy (reference) | {:.0} | {:.2} |",
        mbs(tcp),
        raw.as_secs_f64() / tcp.as_secs_f64()
    );
    println!(
        "| one raw libp2p stream (Noise + Yamux) | {:.0} | 1.00 |",
        mbs(raw)
    );
    println!(
        "| Confab, one holder | {:.0} | {:.2} |",
        mbs(one.time),
        raw.as_secs_f64() / one.time.as_secs_f64()
    );
    println!(
        "| Confab, three holders | {:.0} | {:.2} |",
        mbs(three.time),
        raw.as_secs_f64() / three.time.as_secs_f64()
    );
    println!("\nthree holders, share each served: {}", three.shares);
    println!(
        "picture pasted → the peer has the message with its preview (3000 × 2000 PNG, {} samples): median {:.0} ms, max {:.0} ms",
        previews.len(),
        previews[previews.len() / 2].as_secs_f64() * 1e3,
        previews.last().expect("samples").as_secs_f64() * 1e3
    );
    println!(
        "receiver memory while fetching (RSS above idle): one holder {:.1} MiB peak, three holders {:.1} MiB peak (idle {:.1} / {:.1} MiB)",
        one.peak_above_idle_kib as f64 / 1024.0,
        three.peak_above_idle_kib as f64 / 1024.0,
        one.idle_kib as f64 / 1024.0,
        three.idle_kib as f64 / 1024.0
    );
}

/// Two nodes in this process; the writer attaches a screenshot-sized PNG and each sample ends
/// when the peer's insert event carries the message with its preview. Sorted.
async fn preview_latency(samples: usize) -> Vec<Duration> {
    use confab_node::{Client, NodeConfig, NodeEvent};
    let cfg = |dial: Vec<libp2p::Multiaddr>| NodeConfig {
        listen: vec!["/ip4/127.0.0.1/tcp/0".parse().expect("addr")],
        dial,
        mdns: false,
        dht: false,
        upnp: false,
        ..Default::default()
    };
    let (da, db) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let a = Client::start(da.path(), cfg(vec![])).await.expect("a");
    let addr: libp2p::Multiaddr = loop {
        if let Some(l) = a.status().await.expect("status").listening.first() {
            break format!("{l}/p2p/{}", a.peer_id()).parse().expect("addr");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let room = a.create_space("chat", "room").await.expect("room").space.space;
    let ticket = a.ticket(&room).await.expect("ticket").ticket;
    let b = Client::start(db.path(), cfg(vec![addr])).await.expect("b");
    b.join(&ticket).await.expect("join");
    let pic = da.path().join("screenshot.png");
    let mut x = 7u32;
    image::RgbImage::from_fn(3000, 2000, |px, py| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        // Flat areas with some texture, as a screenshot has.
        image::Rgb([
            (px / 40) as u8,
            (py / 30) as u8,
            if x.is_multiple_of(16) { x as u8 } else { 200 },
        ])
    })
    .save(&pic)
    .expect("png");
    let mut events = b.events().expect("events");
    let mut out = Vec::new();
    for i in 0..samples {
        let t = Instant::now();
        a.chat_write_files(&room, &format!("look {i}"), None, vec![], vec![pic.clone()])
            .await
            .expect("send");
        loop {
            match tokio::time::timeout(Duration::from_secs(30), events.recv()).await {
                Ok(Ok(NodeEvent::Inserted { records, .. }))
                    if records.iter().any(|r| match &r.body {
                        confab_core::Body::Chat(c) => {
                            c.text == format!("look {i}")
                                && c.files.first().is_some_and(|f| f.thumb.is_some())
                        }
                        _ => false,
                    }) =>
                {
                    break
                }
                Ok(_) => {}
                Err(_) => panic!("the peer never got picture {i}"),
            }
        }
        out.push(t.elapsed());
    }
    a.shutdown().await;
    b.shutdown().await;
    out.sort();
    out
}

/// Bytes over one loopback TCP connection.
async fn tcp_copy(size: u64) -> Duration {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = l.local_addr().expect("addr");
    let recv = tokio::spawn(async move {
        let (mut s, _) = l.accept().await.expect("accept");
        let mut buf = vec![0u8; 256 * 1024];
        let mut got = 0u64;
        while got < size {
            let n = s.read(&mut buf).await.expect("read");
            assert!(n > 0);
            got += n as u64;
        }
    });
    let t = Instant::now();
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let chunk = vec![7u8; 256 * 1024];
    let mut sent = 0u64;
    while sent < size {
        s.write_all(&chunk).await.expect("write");
        sent += chunk.len() as u64;
    }
    recv.await.expect("receiver");
    t.elapsed()
}

/// Bytes over one libp2p stream between two swarms with Confab's transport (TCP, Noise,
/// Yamux).
async fn raw_stream(size: u64) -> Duration {
    use libp2p::{noise, tcp, yamux, StreamProtocol};
    const P: StreamProtocol = StreamProtocol::new("/bench/raw/1");
    let swarm = || {
        libp2p::SwarmBuilder::with_new_identity()
            .with_tokio()
            .with_tcp(tcp::Config::default(), noise::Config::new, yamux::Config::default)
            .expect("transport")
            .with_behaviour(|_| libp2p_stream::Behaviour::new())
            .expect("behaviour")
            .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(60)))
            .build()
    };
    let (mut a, mut b) = (swarm(), swarm());
    b.listen_on("/ip4/127.0.0.1/tcp/0".parse().expect("addr"))
        .expect("listen");
    let addr = loop {
        if let libp2p::swarm::SwarmEvent::NewListenAddr { address, .. } = b.select_next_some().await {
            break address;
        }
    };
    let b_id = *b.local_peer_id();
    let mut incoming = b.behaviour().new_control().accept(P).expect("accept");
    let mut control = a.behaviour().new_control();
    a.dial(addr).expect("dial");
    tokio::spawn(async move {
        loop {
            a.select_next_some().await;
        }
    });
    tokio::spawn(async move {
        loop {
            b.select_next_some().await;
        }
    });
    let recv = tokio::spawn(async move {
        let (_, mut s) = incoming.next().await.expect("stream");
        let mut buf = vec![0u8; 256 * 1024];
        let mut got = 0u64;
        while got < size {
            let n = s.read(&mut buf).await.expect("read");
            assert!(n > 0);
            got += n as u64;
        }
    });
    // Open once before timing (the connection and the protocol's negotiation).
    let mut s = loop {
        match control.open_stream(b_id, P).await {
            Ok(s) => break s,
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    };
    let t = Instant::now();
    let chunk = vec![7u8; 256 * 1024];
    let mut sent = 0u64;
    while sent < size {
        s.write_all(&chunk).await.expect("write");
        sent += chunk.len() as u64;
    }
    s.flush().await.expect("flush");
    recv.await.expect("receiver");
    t.elapsed()
}

/// A `confab run` process with its output lines and when each came.
struct Node {
    dir: PathBuf,
    child: Child,
    out: Arc<Mutex<Vec<(Instant, String)>>>,
    err: Arc<Mutex<Vec<(Instant, String)>>>,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn lines(r: impl std::io::Read + Send + 'static) -> Arc<Mutex<Vec<(Instant, String)>>> {
    let v = Arc::new(Mutex::new(Vec::new()));
    let w = v.clone();
    std::thread::spawn(move || {
        for l in BufReader::new(r).lines().map_while(Result::ok) {
            w.lock().expect("lines").push((Instant::now(), l));
        }
    });
    v
}

fn cli(bin: &Path, dir: &Path, args: &[&str]) -> serde_json::Value {
    confab_bench::confab_json(bin, dir, args)
}

fn wait<T>(secs: u64, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        if let Some(v) = f() {
            return v;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for {what}");
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

struct Fetched {
    time: Duration,
    shares: String,
    idle_kib: u64,
    peak_above_idle_kib: u64,
}

/// Node `a` shares a file in a room; the others join and fetch only when asked.
struct Network {
    bin: PathBuf,
    root: PathBuf,
    room: String,
    blob: String,
    size: u64,
    running: Mutex<Vec<(String, Node, String)>>,
}

impl Network {
    fn new(bin: &Path, root: &Path, size: u64) -> Network {
        let a = root.join("a");
        let made = cli(bin, &a, &["space", "create", "chat", "room"]);
        let (room, ticket) = (
            made["space"].as_str().expect("space").to_string(),
            made["ticket"].as_str().expect("ticket").to_string(),
        );
        for n in ["b", "c", "e"] {
            let dir = root.join(n);
            std::fs::create_dir_all(&dir).expect("dir");
            // Nothing is fetched unasked, so each fetch is timed from its start.
            std::fs::write(
                dir.join("settings.json"),
                br#"{"files":{"auto_fetch":0,"max_file":1099511627776,"space_quota":1099511627776}}"#,
            )
            .expect("settings");
            cli(bin, &dir, &["space", "join", &ticket]);
        }
        std::fs::write(
            a.join("settings.json"),
            br#"{"files":{"auto_fetch":0,"max_file":1099511627776,"space_quota":1099511627776}}"#,
        )
        .expect("settings");
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let file = root.join("film.bin");
        {
            use std::io::Write;
            let mut w = std::io::BufWriter::new(std::fs::File::create(&file).expect("file"));
            let mut buf = vec![0u8; MIB as usize];
            for _ in 0..size / MIB {
                for b in buf.chunks_mut(8) {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    b.copy_from_slice(&x.to_le_bytes());
                }
                w.write_all(&buf).expect("write");
            }
        }
        let t = Instant::now();
        cli(
            bin,
            &a,
            &["chat", "send", &room, "--file", file.to_str().expect("utf-8")],
        );
        println!(
            "sharing (encrypting and hashing) {} MiB: {:.2} s",
            size / MIB,
            t.elapsed().as_secs_f64()
        );
        let blob = cli(bin, &a, &["blob", "list", &room])[0]["blob"]
            .as_str()
            .expect("blob")
            .to_string();
        let net = Network {
            bin: bin.to_path_buf(),
            root: root.to_path_buf(),
            room,
            blob,
            size,
            running: Mutex::new(Vec::new()),
        };
        net.start("a", &[]);
        net
    }

    /// Starts `name`'s node dialling the running ones; returns its address.
    fn start(&self, name: &str, dial: &[String]) -> String {
        let dir = self.root.join(name);
        let mut cmd = Command::new(&self.bin);
        cmd.arg("--data").arg(&dir).args([
            "run",
            "--no-mdns",
            "--no-dht",
            "--no-upnp",
            "--listen",
            "/ip4/127.0.0.1/tcp/0",
        ]);
        for d in dial {
            cmd.args(["--dial", d]);
        }
        let mut child = cmd
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("confab run");
        let out = lines(child.stdout.take().expect("stdout"));
        let err = lines(child.stderr.take().expect("stderr"));
        let node = Node {
            dir: dir.clone(),
            child,
            out,
            err,
        };
        let listen = wait(30, "listening", || {
            node.out
                .lock()
                .expect("out")
                .iter()
                .find_map(|(_, l)| l.strip_prefix("listening ").map(str::to_string))
        });
        let id = cli(&self.bin, &dir, &["id"])["peer_id"]
            .as_str()
            .expect("id")
            .to_string();
        let addr = format!("{listen}/p2p/{id}");
        self.running
            .lock()
            .expect("running")
            .push((name.to_string(), node, addr.clone()));
        addr
    }

    fn addr(&self, name: &str) -> String {
        self.running
            .lock()
            .expect("running")
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, _, a)| a.clone())
            .expect("running")
    }

    /// `name` fetches the file from the `from` nodes (started first if need be, each fetching
    /// it first itself); the time from the request to the "file held" line.
    fn fetch(&self, name: &str, from: &[&str]) -> Fetched {
        for f in from {
            if !self
                .running
                .lock()
                .expect("running")
                .iter()
                .any(|(n, _, _)| n == f)
            {
                let a = self.addr("a");
                self.start(f, &[a]);
                let out = self.root.join(format!("{f}.out"));
                cli(
                    &self.bin,
                    &self.root.join(f),
                    &[
                        "blob",
                        "get",
                        &self.blob,
                        "--out",
                        out.to_str().expect("utf-8"),
                        "--timeout",
                        "600",
                    ],
                );
                std::fs::remove_file(out).expect("rm");
            }
        }
        // The holders just handed the file to each other: what a holder hands out counts
        // for a while (each piece goes out twice, then askers are sent to those who had it),
        // so wait until it no longer does, as for a file shared a while ago.
        std::thread::sleep(confab_blobs::serve::WINDOW);
        let dials: Vec<String> = from.iter().map(|f| self.addr(f)).collect();
        self.start(name, &dials);
        let (pid, dir, out, err) = {
            let r = self.running.lock().expect("running");
            let (_, n, _) = r.iter().find(|(n, _, _)| n == name).expect("started");
            (n.child.id(), n.dir.clone(), n.out.clone(), n.err.clone())
        };
        // Connected to every holder and settled.
        wait(30, "connected to the holders", || {
            let peers = cli(&self.bin, &dir, &["peers"]);
            (peers.as_array().map_or(0, |a| a.len()) >= from.len()).then_some(())
        });
        std::thread::sleep(Duration::from_millis(500));
        let idle = rss_kib(pid);
        let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let peak = Arc::new(std::sync::atomic::AtomicU64::new(idle));
        let (s, p) = (sampling.clone(), peak.clone());
        let sampler = std::thread::spawn(move || {
            while s.load(std::sync::atomic::Ordering::Relaxed) {
                p.fetch_max(rss_kib(pid), std::sync::atomic::Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        let t = Instant::now();
        let target = self.root.join(format!("{name}.out"));
        let (bin, blob) = (self.bin.clone(), self.blob.clone());
        let getter = std::thread::spawn(move || {
            cli(
                &bin,
                &dir,
                &[
                    "blob",
                    "get",
                    &blob,
                    "--out",
                    target.to_str().expect("utf-8"),
                    "--timeout",
                    "600",
                ],
            );
        });
        let held = format!("file held {}", self.blob);
        let at = wait(600, "the file held", || {
            out.lock()
                .expect("out")
                .iter()
                .find(|(_, l)| *l == held)
                .map(|(t, _)| *t)
        });
        sampling.store(false, std::sync::atomic::Ordering::Relaxed);
        sampler.join().expect("sampler");
        getter.join().expect("getter");
        let shares = err
            .lock()
            .expect("err")
            .iter()
            .find(|(_, l)| l.contains(" from "))
            .map(|(_, l)| {
                l.split(" from ")
                    .nth(1)
                    .unwrap_or("")
                    .split_whitespace()
                    .map(|kv| {
                        let (p, b) = kv.split_once('=').unwrap_or((kv, "0"));
                        format!(
                            "{p} {:.0} %",
                            b.parse::<f64>().unwrap_or(0.0) * 100.0 / self.size as f64
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        let _ = &self.room;
        Fetched {
            time: at.duration_since(t),
            shares,
            idle_kib: idle,
            peak_above_idle_kib: peak
                .load(std::sync::atomic::Ordering::Relaxed)
                .saturating_sub(idle),
        }
    }
}
