//! Conversations between nodes on 127.0.0.1: three peers, one of them offline while the
//! others reply, react, edit, delete and rename, converge on the same conversation; deletes
//! are real on every peer, and a fresh peer never receives what was deleted.

use std::path::Path;
use std::time::Duration;

use confab_net::Multiaddr;
use confab_node::view::MessageView;
use confab_node::{Client, NodeConfig};

mod common;

use common::{eventually, first_addr};

fn cfg(dial: Vec<Multiaddr>) -> NodeConfig {
    NodeConfig {
        resync: Duration::from_secs(3),
        ..common::cfg(dial)
    }
}

async fn start(dir: &Path, dial: Vec<Multiaddr>) -> Client {
    Client::start(dir, cfg(dial)).await.unwrap()
}

/// The node's address with its peer id, to dial.
async fn addr(node: &Client) -> Multiaddr {
    format!("{}/p2p/{}", first_addr(node).await, node.peer_id())
        .parse()
        .unwrap()
}

/// What a person sees of a room: who wrote what (latest text), reactions, replies. Deleted
/// messages are compared apart: a peer that never held one has no place to show it.
fn seen(list: &[MessageView]) -> Vec<String> {
    list.iter()
        .filter(|m| !m.deleted)
        .map(|m| {
            format!(
                "{} {:?} edited={} deleted={} by_owner={} reply={:?} reactions={:?}",
                m.label, m.text, m.edited, m.deleted, m.removed_by_owner, m.reply_to, m.reactions
            )
        })
        .collect()
}

fn row_count(dir: &Path, id: &str) -> i64 {
    let c = rusqlite::Connection::open(dir.join("confab.sqlite")).unwrap();
    let id = confab_core::RecordId::from_hex(id).unwrap().0;
    c.query_row("SELECT count(*) FROM records WHERE id = ?1", [id], |r| r.get(0))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_peers_one_offline_converge_and_deletes_are_real() {
    if std::env::var_os("RUST_LOG").is_some() {
        confab_node::init_logging();
    }
    let d = tempfile::tempdir().unwrap();
    let (da, db, dc, dd) = (
        d.path().join("a"),
        d.path().join("b"),
        d.path().join("c"),
        d.path().join("d"),
    );
    let a = start(&da, vec![]).await;
    // The ticket carries a's address: wait until a listens.
    addr(&a).await;
    let room = a.create_space("chat", "room").await.unwrap().space.space;
    let ticket = a.ticket(&room).await.unwrap().ticket;
    let b = start(&db, vec![]).await;
    let c = start(&dc, vec![]).await;
    b.join(&ticket).await.unwrap();
    c.join(&ticket).await.unwrap();
    a.profile_set("Ann", None).await.unwrap();
    b.profile_set("Bo", None).await.unwrap();
    c.profile_set("Cy", None).await.unwrap();

    let hello = a.chat_send(&room, "helo all").await.unwrap().id;
    let bo = b.chat_send(&room, "bo's spam").await.unwrap().id;
    let cy = c.chat_write(&room, "cy's draft", None, vec![]).await.unwrap().id;
    for (name, n) in [("a", &a), ("b", &b), ("c", &c)] {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let (m, p) = (n.chat_list(&room).await.unwrap(), n.profiles().await.unwrap());
            if m.len() == 3 && p.len() == 3 {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{name} has {} messages, profiles {:?}, peers {:?}",
                m.len(),
                p,
                n.peers().await.unwrap()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // Typing travels in live frames (never stored) to the room's members online.
    let mut events = b.events().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    'typing: loop {
        a.chat_typing(&room).await.unwrap();
        let until = tokio::time::Instant::now() + Duration::from_millis(500);
        while let Ok(Ok(ev)) = tokio::time::timeout_at(until, events.recv()).await {
            if let confab_node::NodeEvent::Live { author, live, .. } = ev {
                if live.typing && author.peer_id() == a.peer_id() {
                    break 'typing;
                }
            }
        }
        assert!(tokio::time::Instant::now() < deadline, "b never saw a typing");
    }
    let before = b.chat_list(&room).await.unwrap().len();
    assert_eq!(before, 3, "typing stores nothing");

    // Only the author edits; only the author or the owner deletes; refused by name.
    let e = b
        .chat_edit(&room, &hello, "mine now", vec![])
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("only its author may edit"), "{e}");
    let e = b.chat_delete(&room, &hello).await.unwrap_err().to_string();
    assert!(e.contains("only its author or the owner"), "{e}");

    // c goes offline; a and b go on.
    c.shutdown().await;
    drop(c);
    a.chat_edit(&room, &hello, "hello all", vec![]).await.unwrap();
    let reply = b
        .chat_write(&room, "hi Ann", Some(&hello), vec![a.peer_id().to_string()])
        .await
        .unwrap()
        .id;
    eventually(30, "a has b's reply", || async {
        a.chat_message(&room, &reply).await.unwrap().is_some()
    })
    .await;
    a.chat_react(&room, &reply, "👍").await.unwrap();
    b.chat_react(&room, &hello, "🎉").await.unwrap();
    b.chat_react(&room, &hello, "❤️").await.unwrap();
    b.chat_react(&room, &hello, "❤️").await.unwrap();
    a.chat_delete(&room, &bo).await.unwrap();
    b.profile_set("Bob", None).await.unwrap();
    let gone = b.chat_send(&room, "oops, secret").await.unwrap().id;
    b.chat_delete(&room, &gone).await.unwrap();

    // Meanwhile c, offline, edits its own message.
    let c = Client::open(&dc).await.unwrap();
    c.chat_edit(&room, &cy, "cy's final", vec![]).await.unwrap();
    c.shutdown().await;
    drop(c);
    let c = start(&dc, vec![addr(&a).await, addr(&b).await]).await;

    let want = {
        let mut w = None;
        for _ in 0..300 {
            let (la, lb, lc) = (
                seen(&a.chat_list(&room).await.unwrap()),
                seen(&b.chat_list(&room).await.unwrap()),
                seen(&c.chat_list(&room).await.unwrap()),
            );
            if la == lb && lb == lc && la.len() == 3 && la.iter().any(|m| m.contains("cy's final")) {
                w = Some(la);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        match w {
            Some(w) => w,
            None => panic!(
                "no convergence:\na {:#?}\nb {:#?}\nc {:#?}",
                seen(&a.chat_list(&room).await.unwrap()),
                seen(&b.chat_list(&room).await.unwrap()),
                seen(&c.chat_list(&room).await.unwrap())
            ),
        }
    };
    // Messages written within the same millisecond on different nodes may sort either way.
    let mut sorted = want.clone();
    sorted.sort();
    let mut expected = vec![
            r#"Ann Some("hello all") edited=true deleted=false by_owner=false reply=None reactions={"🎉": ["#.to_string()
                + &format!("\"{}\"]}}", b.peer_id()),
            "Cy Some(\"cy's final\") edited=true deleted=false by_owner=false reply=None reactions={}".to_string(),
            format!(
                "Bob Some(\"hi Ann\") edited=false deleted=false by_owner=false reply=Some({hello:?}) reactions={{\"👍\": [\"{}\"]}}",
                a.peer_id()
            ),
        ];
    expected.sort();
    assert_eq!(sorted, expected);
    // Where a message was held, it is shown deleted, by whom it was deleted.
    for n in [&a, &b, &c] {
        let list = n.chat_list(&room).await.unwrap();
        let m = list
            .iter()
            .find(|m| m.id == bo)
            .expect("bo's message keeps its place");
        assert_eq!((m.deleted, m.removed_by_owner, &m.text), (true, true, &None));
    }
    for n in [&a, &b] {
        let last = n.chat_list(&room).await.unwrap().pop().unwrap();
        assert_eq!(
            (last.id.as_str(), last.deleted, last.text),
            (gone.as_str(), true, None)
        );
    }
    let mine = a.chat_list(&room).await.unwrap();
    assert!(
        mine.iter().any(|m| m.id == reply && m.mentions_me),
        "b's reply mentions a"
    );

    // Deletes are real: no peer holds the rows, and a fresh peer gets the tombstones only.
    for dir in [&da, &db, &dc] {
        assert_eq!(row_count(dir, &gone), 0);
        assert_eq!(row_count(dir, &bo), 0);
    }
    let fresh = start(&dd, vec![addr(&b).await]).await;
    fresh.join(&ticket).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let now = seen(&fresh.chat_list(&room).await.unwrap());
        if now == want {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the fresh peer sees {now:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(row_count(&dd, &gone), 0);
    assert_eq!(row_count(&dd, &bo), 0);
    assert!(fresh.search("secret", None, None, None).await.unwrap().is_empty());
    assert_eq!(fresh.search("final", None, None, None).await.unwrap().len(), 1);
    for n in [a, b, c, fresh] {
        n.shutdown().await;
    }
}
