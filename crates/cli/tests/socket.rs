//! The `confab` command and a running node: every command goes to the node over the local
//! socket in its data dir; bad frames get clear errors and the node keeps serving; a node
//! killed with SIGKILL leaves a socket the next command clears; another user is refused. Nodes
//! on 127.0.0.1 with mDNS off.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

#[path = "support/net.rs"]
mod net;
#[path = "support/cli.rs"]
mod support_cli;

use support_cli::wait;

const BIN: &str = env!("CARGO_BIN_EXE_confab");

fn confab(dir: &Path, args: &[&str]) -> Output {
    support_cli::run(BIN, dir, args)
}

fn cli(dir: &Path, args: &[&str]) -> Value {
    support_cli::cli(BIN, dir, args)
}

fn fails(dir: &Path, args: &[&str]) -> String {
    let out = confab(dir, args);
    assert!(!out.status.success(), "{args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `confab run` on 127.0.0.1; stopped with SIGTERM when dropped.
struct Node {
    child: Child,
    out: support_cli::Lines,
    err: support_cli::Lines,
}

impl Node {
    fn start(dir: &Path, dial: Option<&str>) -> Node {
        let mut cmd = Command::new(BIN);
        cmd.arg("--data")
            .arg(dir)
            .args(support_cli::RUN_LOCAL)
            .env_remove("CONFAB_DIAL")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(d) = dial {
            cmd.args(["--dial", d]);
        }
        let mut child = cmd.spawn().expect("confab run starts");
        let (out, err) = support_cli::collect(&mut child);
        let node = Node { child, out, err };
        wait(20, "the node's socket", || {
            dir.join("confab.sock").exists().then_some(())
        });
        node
    }

    fn addr(&self) -> String {
        wait(20, "a listen address", || {
            self.out
                .lock()
                .unwrap()
                .iter()
                .find_map(|l| l.strip_prefix("listening ").map(str::to_string))
        })
    }

    fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn stop(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(s)) = self.child.try_wait() {
                return s;
            }
            if Instant::now() > deadline {
                self.kill9();
                panic!("the node did not stop on SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.stop();
        }
        if std::thread::panicking() {
            eprintln!("--- node log ---\n{}", self.err.lock().unwrap().join("\n"));
        }
    }
}

/// A data dir with a chat room (made before any node runs on it); the room's id.
fn room(dir: &Path) -> String {
    cli(dir, &["space", "create", "chat", "room"])["space"]
        .as_str()
        .unwrap()
        .to_string()
}

fn texts(dir: &Path, space: &str) -> Vec<String> {
    support_cli::texts(BIN, dir, space)
}

#[test]
fn every_command_goes_to_the_running_node() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    let na = Node::start(&a, None);
    let nb = Node::start(&b, Some(&na.addr()));
    // The data dirs are the nodes' now: a command that opened one directly would wait for the
    // lock and fail; these succeed only through the sockets.
    let status = cli(&a, &["status"]);
    assert_eq!(status["running"], true, "{status}");
    assert!(!status["listening"].as_array().unwrap().is_empty(), "{status}");
    let b_id = cli(&b, &["id"])["peer_id"].as_str().unwrap().to_string();
    wait(20, "a lists b among its peers", || {
        cli(&a, &["peers"])
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["peer_id"] == b_id.as_str() && p["how"] == "direct")
            .then_some(())
    });
    assert_eq!(cli(&a, &["status"])["peers"], 1);

    let chat = cli(&a, &["space", "create", "chat", "room"]);
    let (room, ticket) = (chat["space"].as_str().unwrap(), chat["ticket"].as_str().unwrap());
    assert_eq!(cli(&b, &["space", "join", ticket])["space"], room);
    // Written through a's node, announced by it at once: b has it live.
    cli(&a, &["chat", "send", room, "via the socket"]);
    wait(10, "b has a's message", || {
        (texts(&b, room) == ["via the socket"]).then_some(())
    });
    cli(&b, &["chat", "send", room, "and back"]);
    assert_eq!(
        cli(&a, &["chat", "send", room, "batch", "--count", "50"])["written"],
        50
    );
    wait(10, "every message on both", || {
        (texts(&a, room).len() == 52 && texts(&b, room).len() == 52).then_some(())
    });

    let board = cli(&a, &["space", "create", "board", "sketch"]);
    let bid = board["space"].as_str().unwrap();
    cli(&b, &["space", "join", board["ticket"].as_str().unwrap()]);
    let s1 = cli(
        &a,
        &[
            "board", "stroke", bid, "--points", "0,0 5,5", "--color", "#112233",
        ],
    );
    cli(&a, &["board", "stroke", bid, "--points", "9,9"]);
    cli(&a, &["board", "erase", bid, &s1["id"].as_str().unwrap()[..12]]);
    wait(10, "b has the board as a has it", || {
        let strokes = cli(&b, &["board", "list", bid]);
        (strokes.as_array().unwrap().len() == 1).then_some(())
    });

    let news = cli(&a, &["space", "create", "news", "weekly"]);
    let nid = news["space"].as_str().unwrap();
    cli(&b, &["space", "join", news["ticket"].as_str().unwrap()]);
    cli(&a, &["news", "publish", nid, "--title", "One", "--body", "first"]);
    let err = fails(&b, &["news", "publish", nid, "--title", "Fake", "--body", "x"]);
    assert!(err.contains("only the owner"), "{err}");
    wait(10, "b has the issue", || {
        (cli(&b, &["news", "list", nid])[0]["title"] == "One").then_some(())
    });

    // Members and removal, through the owner's node.
    wait(20, "a knows b as a member", || {
        (cli(&a, &["space", "members", room]).as_array().unwrap().len() == 2).then_some(())
    });
    let removed = cli(&a, &["space", "remove", room, &b_id]);
    assert_eq!(removed["epoch"], 1, "{removed}");
    wait(20, "b learns it was removed", || {
        cli(&b, &["space", "list"])
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["space"] == room && s["removed"] == true)
            .then_some(())
    });
    let err = fails(&b, &["chat", "send", room, "still here?"]);
    assert!(err.contains("you were removed"), "{err}");
    assert!(cli(&a, &["space", "ticket", room])["ticket"]
        .as_str()
        .unwrap()
        .starts_with("CONFAB2"));
    drop((na, nb));
}

#[test]
fn a_second_cli_writes_while_the_node_runs() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a");
    let room = room(&a);
    let mut node = Node::start(&a, None);
    // Two commands at once, one writing in bulk and one a message at a time, while the node
    // itself runs: each goes to the node, which is the only writer of the data dir.
    let bulk = Command::new(BIN)
        .arg("--data")
        .arg(&a)
        .args(["chat", "send", &room, "bulk", "--count", "300", "--json"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    for i in 0..20 {
        cli(&a, &["chat", "send", &room, &format!("single {i}")]);
    }
    let out = bulk.wait_with_output().unwrap();
    assert!(out.status.success());
    let msgs = texts(&a, &room);
    assert_eq!(msgs.len(), 320);
    assert!(node.stop().success());
    let db = rusqlite::Connection::open(a.join("confab.sqlite")).unwrap();
    let ok: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
    let rows: i64 = db
        .query_row("SELECT count(*) FROM records WHERE kind = 1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 320);
    // A clean stop removes the socket; the next command opens the data dir itself.
    assert!(!a.join("confab.sock").exists());
    assert_eq!(cli(&a, &["status"])["running"], false);
}

#[test]
fn a_node_killed_with_sigkill_leaves_a_socket_the_next_command_clears() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a");
    let room = room(&a);
    let mut node = Node::start(&a, None);
    cli(&a, &["chat", "send", &room, "before the kill"]);
    node.kill9();
    assert!(
        a.join("confab.sock").exists(),
        "a killed node cannot remove its socket"
    );
    // The lock died with the node: the command removes the stale socket and works directly.
    let out = confab(&a, &["chat", "send", &room, "after the kill", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!a.join("confab.sock").exists());
    assert_eq!(texts(&a, &room), ["before the kill", "after the kill"]);
    // And a node starts again on it.
    let _node = Node::start(&a, None);
    assert_eq!(cli(&a, &["status"])["running"], true);
    assert_eq!(texts(&a, &room).len(), 2);
}

/// One raw frame to the socket: a 4-byte big-endian length and the bytes.
fn send_frame(s: &mut UnixStream, bytes: &[u8]) {
    s.write_all(&(bytes.len() as u32).to_be_bytes()).unwrap();
    s.write_all(bytes).unwrap();
}

fn read_frame(s: &mut UnixStream) -> Option<Value> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len).ok()?;
    let mut buf = vec![0u8; u32::from_be_bytes(len) as usize];
    s.read_exact(&mut buf).ok()?;
    Some(serde_json::from_slice(&buf).expect("a JSON reply"))
}

fn connect(dir: &Path) -> UnixStream {
    let s = UnixStream::connect(dir.join("confab.sock")).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

fn call(s: &mut UnixStream, req: Value) -> Value {
    send_frame(s, &serde_json::to_vec(&req).unwrap());
    read_frame(s).expect("a reply")
}

#[test]
fn bad_frames_get_clear_errors_and_the_node_keeps_serving() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a");
    let _node = Node::start(&a, None);
    let mut s = connect(&a);
    let ok = call(&mut s, json!({"v": 1, "id": 1, "method": "status", "params": {}}));
    assert_eq!(ok["id"], 1);
    assert_eq!(ok["result"]["running"], true, "{ok}");

    send_frame(&mut s, b"{ this is not json");
    let r = read_frame(&mut s).unwrap();
    assert_eq!(r["error"]["code"], "bad_request", "{r}");
    assert!(
        r["error"]["message"].as_str().unwrap().contains("not JSON"),
        "{r}"
    );

    let r = call(
        &mut s,
        json!({"v": 1, "id": 2, "method": "chat.frobnicate", "params": {}}),
    );
    assert_eq!(r["id"], 2);
    assert_eq!(r["error"]["code"], "unknown_method", "{r}");
    assert!(r["error"]["message"]
        .as_str()
        .unwrap()
        .contains("chat.frobnicate"));

    let r = call(&mut s, json!({"v": 2, "id": 3, "method": "status"}));
    assert_eq!(r["error"]["code"], "bad_version", "{r}");
    assert!(
        r["error"]["message"].as_str().unwrap().contains("version 2"),
        "{r}"
    );

    let r = call(
        &mut s,
        json!({"v": 1, "id": 4, "method": "chat.send", "params": {"space": 7}}),
    );
    assert_eq!(r["error"]["code"], "invalid", "{r}");
    assert!(
        r["error"]["message"].as_str().unwrap().contains("chat.send"),
        "{r}"
    );
    let r = call(
        &mut s,
        json!({"v": 1, "id": 5, "method": "chat.list", "params": {"space": "ffff"}}),
    );
    assert_eq!(r["error"]["code"], "not_found", "{r}");

    // The same connection still serves.
    let r = call(&mut s, json!({"v": 1, "id": 6, "method": "id"}));
    assert!(
        r["result"]["peer_id"].as_str().unwrap().starts_with("12D3KooW"),
        "{r}"
    );

    // A frame over 1 MiB: refused by name, and that connection is closed.
    s.write_all(&(2u32 * 1024 * 1024).to_be_bytes()).unwrap();
    let _ = s.write_all(&vec![b' '; 64 * 1024]);
    let r = read_frame(&mut s).expect("an error before the close");
    assert_eq!(r["error"]["code"], "too_large", "{r}");
    assert!(
        read_frame(&mut s).is_none(),
        "the connection stays open after an oversized frame"
    );

    // The node serves new connections and the command line as before.
    let mut s = connect(&a);
    let r = call(&mut s, json!({"v": 1, "id": "x", "method": "peers"}));
    assert_eq!(r["id"], "x");
    assert_eq!(r["result"], json!([]));
    assert_eq!(cli(&a, &["status"])["running"], true);
}

/// The uid of `nobody`.
fn nobody() -> u32 {
    std::fs::read_to_string("/etc/passwd")
        .unwrap()
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.first() == Some(&"nobody")).then(|| f[2].parse().unwrap())
        })
        .expect("a nobody user")
}

/// Runs the `confab` command as `nobody` (a copy of the binary it may execute).
fn as_nobody(bin: &Path, dir: &Path, args: &[&str]) -> Output {
    use std::os::unix::process::CommandExt;
    let uid = nobody();
    Command::new(bin)
        .arg("--data")
        .arg(dir)
        .args(args)
        .env_clear()
        .uid(uid)
        .gid(uid)
        .output()
        .expect("confab runs as nobody")
}

#[test]
fn another_user_is_refused_by_the_socket_mode_and_by_the_uid_check() {
    use std::os::unix::fs::PermissionsExt;
    if net::current_uid() != 0 {
        panic!("this test needs root (run the suite as root, as CI does)");
    }
    let d = tempfile::tempdir().unwrap();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let bin: PathBuf = d.path().join("confab");
    std::fs::copy(BIN, &bin).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let a = d.path().join("a");
    let _node = Node::start(&a, None);
    // The data dir opened to others for the test (it is 0700): only the socket's own mode
    // and the node's uid check stand in the way now.
    std::fs::set_permissions(&a, std::fs::Permissions::from_mode(0o711)).unwrap();
    let mode = std::fs::metadata(a.join("confab.sock"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the socket is the owner's only");
    let out = as_nobody(&bin, &a, &["status", "--json"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("confab.sock") && err.contains("ermission denied"),
        "{err}"
    );
    assert!(out.stdout.is_empty());

    // Even with the socket opened to all, the node refuses a connection from another uid.
    std::fs::set_permissions(a.join("confab.sock"), std::fs::Permissions::from_mode(0o666)).unwrap();
    let out = as_nobody(&bin, &a, &["status", "--json"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("belongs to another user"), "{err}");
    assert!(out.stdout.is_empty());
    // Its owner is still served.
    assert_eq!(cli(&a, &["status"])["running"], true);
}
