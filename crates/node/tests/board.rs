//! Pictures on a whiteboard between two nodes on 127.0.0.1: one places a picture, the other
//! sees it, fetches it and moves it, and the first sees it where it was moved; a picture
//! from bytes; an erase; refusals named before anything is stored.

use std::path::Path;

use confab_core::Rect;
use confab_node::{Client, NodeError};

mod common;

use common::{eventually, start};

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// A board owned by `a`, joined by `b`.
async fn board(a: &Client, b: &Client) -> String {
    let space = a.create_space("board", "sketches").await.unwrap().space.space;
    let ticket = a.ticket(&space).await.unwrap().ticket;
    b.join(&ticket).await.unwrap();
    space
}

fn blob_files(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("blobs"))
        .map(|d| {
            d.filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".data"))
            })
            .count()
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_picture_is_placed_seen_fetched_and_moved_across_nodes() {
    let d = tempfile::tempdir().unwrap();
    let a = start(&d.path().join("a"), vec![]).await;
    let b = start(&d.path().join("b"), vec![]).await;
    let space = board(&a, &b).await;
    let pic = png(900, 600);
    let path = d.path().join("harbour.png");
    std::fs::write(&path, &pic).unwrap();

    // A places it with its corner at (10, 20), at its own size scaled to 480 on its longer side.
    let placed = a
        .board_picture(&space, &path, (10.0, 20.0), None)
        .await
        .unwrap()
        .id;
    let mine = a.board_pictures(&space).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].id, placed);
    assert!(mine[0].file.held && mine[0].by.me);
    assert_eq!(
        (mine[0].file.name.as_str(), mine[0].file.mime.as_str()),
        ("harbour.png", "image/png")
    );
    assert_eq!(mine[0].file.dims, Some((900, 600)));
    assert_eq!(
        mine[0].rect,
        Rect {
            x: 10.0,
            y: 20.0,
            w: 480.0,
            h: 320.0
        }
    );
    assert_eq!(mine[0].moved_by, None);

    // B sees it and fetches it by itself (it is under the automatic size).
    eventually(60, "b holds the picture", || async {
        b.board_pictures(&space)
            .await
            .unwrap()
            .first()
            .is_some_and(|p| p.file.held)
    })
    .await;
    let theirs = b.board_pictures(&space).await.unwrap();
    assert_eq!(theirs[0].id, placed);
    assert_eq!(theirs[0].by.author, a.peer_id());
    assert!(!theirs[0].by.me);
    assert_eq!(theirs[0].rect, mine[0].rect);
    // The picture's file is a file of the board like any other: listed, saved, shown.
    let blobs = b.blob_list(&space).await.unwrap();
    assert_eq!(blobs.len(), 1);
    assert_eq!(blobs[0].blob, theirs[0].file.blob);
    assert!(blobs[0].held);
    let full = b
        .file_picture(&theirs[0].file.blob, false)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((full.mime.as_str(), &full.bytes), ("image/png", &pic));
    let thumb = b.file_picture(&theirs[0].file.blob, true).await.unwrap().unwrap();
    assert!(image::load_from_memory(&thumb.bytes).unwrap().width() <= 320);

    // B moves and resizes it (by a prefix of its id); A sees it there.
    let to = Rect {
        x: -100.0,
        y: 40.5,
        w: 240.0,
        h: 160.0,
    };
    b.board_move(&space, &placed[..12], to).await.unwrap();
    eventually(30, "a sees the move", || async {
        a.board_pictures(&space).await.unwrap()[0].rect == to
    })
    .await;
    let moved = a.board_pictures(&space).await.unwrap();
    assert_eq!(moved[0].moved_by.as_deref(), Some(b.peer_id()));
    assert_eq!(moved[0].id, placed);

    // B places a picture from bytes; A gets it and its file.
    let small = png(64, 48);
    let second = b
        .board_picture_bytes(&space, "pasted.png", &small, (300.0, 0.0), Some((128.0, 96.0)))
        .await
        .unwrap()
        .id;
    eventually(60, "a holds b's picture", || async {
        a.board_pictures(&space)
            .await
            .unwrap()
            .iter()
            .any(|p| p.id == second && p.file.held)
    })
    .await;
    let both = a.board_pictures(&space).await.unwrap();
    assert_eq!(both.len(), 2);
    assert_eq!(
        both[1].rect,
        Rect {
            x: 300.0,
            y: 0.0,
            w: 128.0,
            h: 96.0
        }
    );
    assert_eq!(both[1].file.dims, Some((64, 48)));

    // A erases the first (an erase takes pictures too); B sees only the second.
    a.board_erase(&space, vec![placed.clone()]).await.unwrap();
    eventually(30, "b sees the erase", || async {
        let left = b.board_pictures(&space).await.unwrap();
        left.len() == 1 && left[0].id == second
    })
    .await;
    let err = b.board_move(&space, &placed, to).await.unwrap_err();
    assert!(matches!(err, NodeError::NotFound(_)), "{err}");
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_pictures_are_refused_by_name_and_nothing_is_stored() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("a");
    let a = start(&dir, vec![]).await;
    let space = a.create_space("board", "b").await.unwrap().space.space;
    let room = a.create_space("chat", "room").await.unwrap().space.space;
    let good = d.path().join("ok.png");
    std::fs::write(&good, png(10, 10)).unwrap();
    let text = d.path().join("notes.txt");
    std::fs::write(&text, "hello").unwrap();
    let svg = d.path().join("logo.svg");
    std::fs::write(&svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"/>").unwrap();
    let fake = d.path().join("fake.png");
    std::fs::write(&fake, "not a picture at all").unwrap();

    let cases: Vec<(Result<_, NodeError>, &str)> = vec![
        (
            a.board_picture(&space, &text, (0.0, 0.0), None).await,
            "not a picture the board shows",
        ),
        (
            a.board_picture(&space, &svg, (0.0, 0.0), None).await,
            "not a picture the board shows",
        ),
        (
            a.board_picture(&space, &fake, (0.0, 0.0), None).await,
            "cannot be read as a picture",
        ),
        (
            a.board_picture(&room, &good, (0.0, 0.0), None).await,
            "pictures are placed on whiteboards",
        ),
        (
            a.board_picture(&space, &good, (f32::NAN, 0.0), None).await,
            "not finite",
        ),
        (
            a.board_picture(&space, &good, (0.0, 0.0), Some((0.0, 10.0)))
                .await,
            "not above 0",
        ),
        (
            a.board_picture_bytes(&space, "../up.png", &png(4, 4), (0.0, 0.0), None)
                .await,
            "path separator",
        ),
        (
            a.board_picture(&space, &d.path().join("missing.png"), (0.0, 0.0), None)
                .await,
            "missing.png",
        ),
        (
            a.board_move(
                &space,
                "abcdef",
                Rect {
                    x: 0.0,
                    y: 0.0,
                    w: 1.0,
                    h: 1.0,
                },
            )
            .await,
            "no picture on this board",
        ),
    ];
    for (i, (r, needle)) in cases.into_iter().enumerate() {
        let e = r.unwrap_err().to_string();
        assert!(e.contains(needle), "case {i}: {e:?} lacks {needle:?}");
    }
    assert!(a.board_pictures(&space).await.unwrap().is_empty());
    assert_eq!(blob_files(&dir), 0, "a refused picture leaves no blob behind");
    a.shutdown().await;
}
