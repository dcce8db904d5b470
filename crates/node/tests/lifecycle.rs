//! The app's lifecycle on a desktop: the node's network suspended (what a phone does to an
//! app in the background) and resumed, as the mobile app asks through `Client::lifecycle` —
//! here through the local socket, as `confab lifecycle` does. While suspended nothing is
//! connected and nothing arrives; on resume the node listens where it listened, the peers
//! reconnect and each catches up what the other wrote meanwhile.

use std::time::Duration;

use confab_node::{Client, Lifecycle};

mod common;

use common::{eventually, first_addr, start};

async fn texts(node: &Client, space: &str) -> Vec<String> {
    node.chat_list(space)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|m| m.text)
        .collect()
}

async fn connected(a: &Client, b: &Client) -> bool {
    !a.peers().await.unwrap().is_empty() && !b.peers().await.unwrap().is_empty()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suspended_and_resumed_peers_reconnect_and_catch_up() {
    let d = tempfile::tempdir().unwrap();
    let a_dir = d.path().join("a");
    let a = start(&a_dir, vec![]).await;
    let room = a.create_space("chat", "room").await.unwrap().space.space;
    let b = start(&d.path().join("b"), vec![]).await;
    b.join(&a.ticket(&room).await.unwrap().ticket).await.unwrap();
    eventually(10, "a and b connected", || connected(&a, &b)).await;
    // Peers that have met: each has the other's message, and has had time to learn where the
    // other listens (identify; b dialled a, so a knows b's listening address only from it). A
    // node suspended the instant it connected knows no address to dial on resume.
    a.chat_send(&room, "hello from a").await.unwrap();
    b.chat_send(&room, "hello from b").await.unwrap();
    for n in [&a, &b] {
        eventually(10, "both greetings on both nodes", || async {
            texts(n, &room).await.len() == 2
        })
        .await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = first_addr(&a).await;

    // The app goes to the background: over the local socket, as `confab lifecycle` does.
    let remote = Client::open(&a_dir).await.unwrap();
    assert!(remote.is_running());
    remote.lifecycle(Lifecycle::Suspended).await.unwrap();
    eventually(10, "both sides see the connection gone", || async {
        a.peers().await.unwrap().is_empty() && b.peers().await.unwrap().is_empty()
    })
    .await;
    eventually(5, "a listens nowhere", || async {
        a.status().await.unwrap().listening.is_empty()
    })
    .await;
    for i in 0..3 {
        b.chat_send(&room, &format!("while a was away {i}"))
            .await
            .unwrap();
    }
    a.chat_send(&room, "written in the background").await.unwrap();
    // b redials a (its back-off starts at 1 s) and a dials nobody: nothing connects, nothing
    // arrives, for as long as a stays suspended.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(a.peers().await.unwrap().is_empty(), "a connected while suspended");
    assert!(b.peers().await.unwrap().is_empty(), "b reached a suspended node");
    assert_eq!(texts(&a, &room).await.len(), 3, "a got something while suspended");
    // Told twice, or of a new network while away: still suspended.
    remote.lifecycle(Lifecycle::Suspended).await.unwrap();
    remote.lifecycle(Lifecycle::NetworkChanged).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(a.peers().await.unwrap().is_empty());

    // Back in the foreground: a listens where it did, both reconnect and catch up.
    remote.lifecycle(Lifecycle::Resumed).await.unwrap();
    eventually(10, "a listens again", || async {
        !a.status().await.unwrap().listening.is_empty()
    })
    .await;
    assert_eq!(first_addr(&a).await, before, "a listens on the port it had");
    eventually(10, "a and b reconnected", || connected(&a, &b)).await;
    eventually(10, "a caught up with b", || async {
        texts(&a, &room).await.len() == 6
    })
    .await;
    eventually(10, "b caught up with a", || async {
        texts(&b, &room)
            .await
            .contains(&"written in the background".to_string())
    })
    .await;

    // A new network while running keeps what still works: live delivery goes on.
    remote.lifecycle(Lifecycle::NetworkChanged).await.unwrap();
    b.chat_send(&room, "after the network changed").await.unwrap();
    eventually(10, "live delivery after the network change", || async {
        texts(&a, &room)
            .await
            .contains(&"after the network changed".to_string())
    })
    .await;
    assert!(connected(&a, &b).await);
    drop(remote);
    a.shutdown().await;
    b.shutdown().await;
}
