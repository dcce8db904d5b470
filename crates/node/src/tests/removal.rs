//! Removing a member: the new key reaches the others only; the removed member's forged and
//! backdated records are refused by name by the engines of those who stayed; a sync request
//! from its identity is refused; an old ticket's id is served only what is dated before.

use std::time::Duration;

use confab_core::{Body, ChatBody, Hlc, SpaceId};
use confab_store::Origin;
use confab_sync::proto::Request;

use super::{engine, eventually, space, start, texts};
use crate::Client;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_removes_a_member_and_the_new_key_reaches_the_others_only() {
    let d = tempfile::tempdir().unwrap();
    let a = start(&d.path().join("a"), vec![]).await;
    let room = a.create_space("chat", "room").await.unwrap().space.space;
    let id = SpaceId::from_hex(&room).unwrap();
    let ticket = a.ticket(&room).await.unwrap().ticket;
    let b = start(&d.path().join("b"), vec![]).await;
    let m = start(&d.path().join("m"), vec![]).await;
    b.join(&ticket).await.unwrap();
    m.join(&ticket).await.unwrap();
    let say = |n: &Client, text: &str| {
        let (n, text, room) = (n.clone(), text.to_string(), room.clone());
        async move { n.chat_send(&room, &text).await }
    };
    say(&a, "before").await.unwrap();
    // The owner learns both members from their join records.
    eventually(40, "a knows b and m as members", || async {
        a.members(&room).await.unwrap().len() == 3
    })
    .await;
    for n in [&b, &m] {
        eventually(10, "the first message everywhere", || async {
            texts(n, &room).await == ["before"]
        })
        .await;
    }

    let m_peer = m.peer_id().to_string();
    // Only the owner removes, and only members.
    let err = b.remove_member(&room, a.peer_id()).await.unwrap_err();
    assert!(err.to_string().contains("only the owner"), "{err}");
    let err = a.remove_member(&room, "12D3KooWnotapeer").await.unwrap_err();
    assert!(err.to_string().contains("not a peer id"), "{err}");
    let updated = a.remove_member(&room, &m_peer).await.unwrap();
    assert_eq!(updated.epoch, 1);
    let err = a.remove_member(&room, &m_peer).await.unwrap_err();
    assert!(err.to_string().contains("already removed"), "{err}");
    let roles: Vec<(String, String)> = a
        .members(&room)
        .await
        .unwrap()
        .into_iter()
        .map(|x| (x.peer, x.role))
        .collect();
    assert!(
        roles.contains(&(a.peer_id().to_string(), "owner".into())),
        "{roles:?}"
    );
    assert!(
        roles.contains(&(b.peer_id().to_string(), "member".into())),
        "{roles:?}"
    );
    assert!(roles.contains(&(m_peer.clone(), "removed".into())), "{roles:?}");

    // b receives the new key; m learns it was removed and holds no key for the new epoch.
    eventually(40, "b holds the new key", || async {
        let s = space(&b, id).await;
        s.epoch() == 1 && s.is_current_member()
    })
    .await;
    let b_room = space(&b, id).await;
    let a_room = space(&a, id).await;
    assert_eq!(b_room.current_key(), a_room.current_key());

    say(&a, "after, from a").await.unwrap();
    say(&b, "after, from b").await.unwrap();
    for n in [&a, &b] {
        eventually(20, "both new messages on a and b", || async {
            texts(n, &room).await.len() == 3
        })
        .await;
    }
    eventually(40, "m learns it was removed", || async {
        let s = space(&m, id).await;
        s.epoch() == 1 && !s.is_current_member()
    })
    .await;
    let err = say(&m, "still here?").await.unwrap_err();
    assert!(err.to_string().contains("you were removed"), "{err}");
    // m stays connected and keeps trying; nothing written after the removal reaches it.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(texts(&m, &room).await, ["before"]);

    // A record m forges with the old key, dated now, is refused by name wherever it lands.
    let old = confab_core::Ticket::parse(&ticket).unwrap().space;
    let forged = old
        .seal_verified(
            engine(&m).identity().signing_key(),
            &Body::Chat(ChatBody {
                files: Vec::new(),
                mentions: vec![],
                text: "forged".into(),
            }),
            Hlc::new(confab_core::now_ms(), 0),
            None,
            vec![],
        )
        .unwrap();
    // So is one it backdates to before the removal: the rotation lists the records of m's
    // that the owner kept (its join record), and nothing else of m's is taken.
    let backdated = old
        .seal_verified(
            engine(&m).identity().signing_key(),
            &Body::Chat(ChatBody {
                files: Vec::new(),
                mentions: vec![],
                text: "backdated".into(),
            }),
            Hlc::new(confab_core::now_ms() - 3_600_000, 0),
            None,
            vec![],
        )
        .unwrap();
    for n in [&a, &b] {
        let report = engine(n)
            .store()
            .insert(vec![forged.clone(), backdated.clone()], Origin::Gossip)
            .await
            .unwrap();
        assert!(report.inserted.is_empty());
        let why = report.refused[0].1.to_string();
        assert!(why.contains("was removed"), "{why}");
        let why = report.refused[1].1.to_string();
        assert!(why.contains("not among the records the owner kept"), "{why}");
    }
    // And a sync request from m's identity, by the old id, is refused.
    let req = Request::Fetch {
        space: id,
        keys: vec![],
    }
    .encode();
    let reply = engine(&a)
        .syncer()
        .respond_to(Some(engine(&m).device()), false, &req)
        .await
        .unwrap();
    let reply = confab_sync::proto::Response::decode(&reply).unwrap();
    assert!(format!("{reply:?}").contains("removed"), "{reply:?}");

    // Anyone asking by the old epoch's id (the old ticket) is served only what is dated up
    // to the rotation: the first message, the join records and the rotation itself.
    let keys = engine(&a).store().sync_keys(id).await.unwrap();
    let since = a_room.epochs[0].since;
    let old_view = keys.iter().filter(|k| k.ts() <= since).count();
    assert!(old_view < keys.len(), "records after the rotation exist");
    let req = Request::Fetch {
        space: id,
        keys: keys.clone(),
    }
    .encode();
    let reply = engine(&a).syncer().respond_to(None, false, &req).await.unwrap();
    match confab_sync::proto::Response::decode(&reply).unwrap() {
        confab_sync::proto::Response::Records { records, .. } => {
            assert_eq!(records.len(), old_view, "served past the old epoch's end");
            for r in records {
                assert!(confab_core::Record::decode(&r).unwrap().ts.0 <= since);
            }
        }
        other => panic!("{other:?}"),
    }
    // By the new id, everything.
    let req = Request::Fetch {
        space: a_room.sync_id(),
        keys: keys.clone(),
    }
    .encode();
    let reply = engine(&a).syncer().respond_to(None, false, &req).await.unwrap();
    match confab_sync::proto::Response::decode(&reply).unwrap() {
        confab_sync::proto::Response::Records { records, .. } => assert_eq!(records.len(), keys.len()),
        other => panic!("{other:?}"),
    }

    // A newcomer invited after the removal reads both epochs.
    let ticket2 = a.ticket(&room).await.unwrap().ticket;
    assert!(ticket2.starts_with("CONFAB2"));
    let c = start(&d.path().join("c"), vec![]).await;
    c.join(&ticket2).await.unwrap();
    eventually(20, "c reads both epochs", || async {
        texts(&c, &room).await.len() == 3
    })
    .await;
    for n in [a, b, m, c] {
        n.shutdown().await;
    }
}
