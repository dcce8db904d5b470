//! Shapes on a whiteboard between three nodes on 127.0.0.1, one of them offline for a while:
//! concurrent moves, resizes, text edits, recolours, deletes and z-order changes of the same
//! objects converge to the same board on all three; a move and a recolour of one object both
//! survive; a delete stays through a concurrent move until an explicit restore; the board as
//! it was at a past moment.

use std::time::Duration;

use confab_node::view::{NewShape, ObjectEdit, ObjectView};
use confab_node::Client;

mod common;

use common::{first_addr, start};

fn shape(kind: &str, at: (f32, f32), text: Option<&str>) -> NewShape {
    NewShape {
        kind: kind.into(),
        at,
        text: text.map(Into::into),
        ..Default::default()
    }
}

fn edit(object: &str) -> ObjectEdit {
    ObjectEdit {
        object: object.into(),
        ..Default::default()
    }
}

/// What every peer must agree on: each object's id, kind, geometry, text, colours, order
/// and who last changed it (not `me` or whether a file is held, which differ by peer).
fn board_of(v: &[ObjectView]) -> Vec<String> {
    v.iter()
        .map(|o| {
            format!(
                "{} {} {},{} {}x{} {:?} {} {:?} z{} by {} at {}",
                &o.id[..8],
                o.kind,
                o.x,
                o.y,
                o.w,
                o.h,
                o.text,
                o.color,
                o.fill,
                o.z,
                o.updated_by,
                o.updated_ms
            )
        })
        .collect()
}

async fn objects(n: &Client, space: &str) -> Vec<ObjectView> {
    n.board_objects(space, None, false).await.unwrap()
}

/// Waits until all three show the same board, which `ok` accepts; returns it.
async fn converged(nodes: [&Client; 3], space: &str, ok: impl Fn(&[ObjectView]) -> bool) -> Vec<ObjectView> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(45);
    loop {
        let [a, b, c] = nodes;
        let (oa, ob, oc) = (
            objects(a, space).await,
            objects(b, space).await,
            objects(c, space).await,
        );
        if board_of(&oa) == board_of(&ob) && board_of(&ob) == board_of(&oc) && ok(&oa) {
            return oa;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no convergence:\na {:#?}\nb {:#?}\nc {:#?}",
            board_of(&oa),
            board_of(&ob),
            board_of(&oc)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn find<'a>(v: &'a [ObjectView], id: &str) -> Option<&'a ObjectView> {
    v.iter().find(|o| o.id == id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_peers_one_offline_converge_on_concurrent_edits_of_the_same_objects() {
    let d = tempfile::tempdir().unwrap();
    let (da, db, dc) = (d.path().join("a"), d.path().join("b"), d.path().join("c"));
    let a = start(&da, vec![]).await;
    first_addr(&a).await;
    let space = a.create_space("board", "plans").await.unwrap().space.space;
    let ticket = a.ticket(&space).await.unwrap().ticket;
    let b = start(&db, vec![]).await;
    let c = start(&dc, vec![]).await;
    b.join(&ticket).await.unwrap();
    c.join(&ticket).await.unwrap();

    // Every kind of shape, placed by different members.
    let rect = a
        .board_add(&space, shape("rect", (0.0, 0.0), None))
        .await
        .unwrap()
        .id;
    let note = b
        .board_add(&space, shape("note", (300.0, 0.0), Some("buy milk")))
        .await
        .unwrap()
        .id;
    let arrow = c
        .board_add(
            &space,
            NewShape {
                size: Some((120.0, -40.0)),
                ..shape("arrow", (0.0, 200.0), None)
            },
        )
        .await
        .unwrap()
        .id;
    let text = a
        .board_add(&space, shape("text", (0.0, 400.0), Some("Plans")))
        .await
        .unwrap()
        .id;
    let ellipse = b
        .board_add(&space, shape("ellipse", (500.0, 500.0), None))
        .await
        .unwrap()
        .id;
    let first = converged([&a, &b, &c], &space, |v| v.len() == 5).await;
    let n = find(&first, &note).unwrap();
    assert_eq!((n.kind.as_str(), n.text.as_str()), ("note", "buy milk"));
    assert_eq!(n.fill.as_deref(), Some("#fff176"), "a note is yellow by default");
    let ar = find(&first, &arrow).unwrap();
    assert_eq!((ar.w, ar.h), (120.0, -40.0), "an arrow keeps its direction");
    let before = first.iter().map(|o| o.updated_ms).max().unwrap();

    // c goes offline and edits there; a and b edit the same objects meanwhile.
    c.shutdown().await;
    drop(c);
    tokio::time::sleep(Duration::from_millis(20)).await;
    // The move and the recolour of one object (A moves, B recolours).
    a.board_set(
        &space,
        ObjectEdit {
            pos: Some((40.0, 50.0)),
            ..edit(&rect)
        },
    )
    .await
    .unwrap();
    b.board_set(
        &space,
        ObjectEdit {
            color: Some("#d32f2f".into()),
            fill: Some("#ffcdd2".into()),
            ..edit(&rect)
        },
    )
    .await
    .unwrap();
    // A delete and a move of one object: a deletes the ellipse, c (offline) moves it.
    a.board_delete(&space, vec![ellipse.clone()]).await.unwrap();
    // Text edits of the note by two members, resizes of the arrow, z order of the text.
    b.board_set(
        &space,
        ObjectEdit {
            text: Some("buy oat milk".into()),
            ..edit(&note)
        },
    )
    .await
    .unwrap();
    a.board_set(
        &space,
        ObjectEdit {
            z: Some("back".into()),
            ..edit(&text)
        },
    )
    .await
    .unwrap();
    let c = Client::open(&dc).await.unwrap();
    c.board_set(
        &space,
        ObjectEdit {
            size: Some((200.0, 80.0)),
            ..edit(&arrow)
        },
    )
    .await
    .unwrap();
    c.board_set(
        &space,
        ObjectEdit {
            text: Some("buy milk and eggs".into()),
            ..edit(&note)
        },
    )
    .await
    .unwrap();
    c.board_set(
        &space,
        ObjectEdit {
            z: Some("front".into()),
            pos: Some((60.0, 70.0)),
            ..edit(&text)
        },
    )
    .await
    .unwrap();
    c.board_set(
        &space,
        ObjectEdit {
            size: Some((300.0, 200.0)),
            ..edit(&rect)
        },
    )
    .await
    .unwrap();
    c.board_set(
        &space,
        ObjectEdit {
            pos: Some((10.0, 10.0)),
            ..edit(&ellipse)
        },
    )
    .await
    .unwrap();
    c.shutdown().await;
    drop(c);
    let c = start(&dc, vec![first_addr(&a).await, first_addr(&b).await]).await;

    let board = converged([&a, &b, &c], &space, |v| {
        v.iter().all(|o| o.id != ellipse)
            && find(v, &rect).is_some_and(|r| r.w == 300.0)
            && find(v, &arrow).is_some_and(|r| r.w == 200.0)
    })
    .await;
    // Both the move (a) and the recolour (b) and the resize (c, offline) of the rectangle.
    let r = find(&board, &rect).unwrap();
    assert_eq!((r.x, r.y, r.w, r.h), (40.0, 50.0, 300.0, 200.0));
    assert_eq!(
        (r.color.as_str(), r.fill.as_deref()),
        ("#d32f2f", Some("#ffcdd2"))
    );
    // The note's text is one of the two concurrent edits, the same everywhere; c edited last
    // by the clock (it wrote after a and b).
    assert_eq!(find(&board, &note).unwrap().text, "buy milk and eggs");
    // The ellipse stays deleted though c moved it later.
    assert!(find(&board, &ellipse).is_none());
    // The text: c's front wins over a's back (later clock); moved by c.
    let t = find(&board, &text).unwrap();
    assert_eq!((t.x, t.y), (60.0, 70.0));
    assert_eq!(board.last().unwrap().id, text, "in front of everything");
    assert!(board.iter().all(|o| o.updated_ms >= o.by.ts));

    // Restored explicitly, the ellipse is back everywhere, where c moved it.
    b.board_restore(&space, &ellipse, None).await.unwrap();
    let board = converged([&a, &b, &c], &space, |v| find(v, &ellipse).is_some()).await;
    assert_eq!(board.len(), 5);
    let e = find(&board, &ellipse).unwrap();
    assert_eq!((e.x, e.y), (10.0, 10.0));

    // The board as it was before c went offline.
    let then = a.board_objects(&space, Some(before), false).await.unwrap();
    assert_eq!(board_of(&then), board_of(&first));
    // Restore the rectangle as it was then: position, size and colours of that moment.
    a.board_restore(&space, &rect, Some(before)).await.unwrap();
    let board = converged([&a, &b, &c], &space, |v| {
        find(v, &rect).is_some_and(|r| r.x == 0.0)
    })
    .await;
    let r = find(&board, &rect).unwrap();
    let was = find(&first, &rect).unwrap();
    assert_eq!(
        (r.x, r.y, r.w, r.h, &r.color, &r.fill),
        (was.x, was.y, was.w, was.h, &was.color, &was.fill)
    );

    // Refusals by name, nothing written.
    let count = a.board_objects(&space, None, true).await.unwrap().len();
    let e = a
        .board_set(
            &space,
            ObjectEdit {
                font: Some(9999.0),
                ..edit(&text)
            },
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("font size 9999"), "{e}");
    let e = a.board_set(&space, edit(&text)).await.unwrap_err().to_string();
    assert!(e.contains("nothing to change"), "{e}");
    let e = a
        .board_add(&space, shape("hexagon", (0.0, 0.0), None))
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown shape \"hexagon\""), "{e}");
    let e = a
        .board_restore(&space, &text, None)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("is not deleted"), "{e}");
    let e = a
        .board_set(
            &space,
            ObjectEdit {
                z: Some("middle".into()),
                ..edit(&text)
            },
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("expected front or back"), "{e}");
    assert_eq!(a.board_objects(&space, None, true).await.unwrap().len(), count);

    for n in [&a, &b, &c] {
        n.shutdown().await;
    }
}
