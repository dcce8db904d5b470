//! Files between nodes on 127.0.0.1: an attachment spreads to members automatically and is
//! served by whoever holds it; a holder that serves corrupt groups is caught at the first one
//! and dropped while the download completes from another; an interrupted download resumes
//! from what was verified; refusals are named and store nothing.

use std::path::Path;
use std::time::Duration;

use confab_blobs::proto::{self, Has, Request, Response};
use confab_net::{Multiaddr, NetConfig, NetEvent};
use confab_node::{Client, FileLimits, NodeConfig, NodeEvent};

mod common;

use common::{eventually, first_addr};

async fn addr(node: &Client) -> Multiaddr {
    format!("{}/p2p/{}", first_addr(node).await, node.peer_id())
        .parse()
        .unwrap()
}

fn cfg(auto_fetch: u64) -> NodeConfig {
    NodeConfig {
        files: FileLimits {
            auto_fetch,
            ..FileLimits::default()
        },
        ..common::cfg(vec![])
    }
}

async fn start(dir: &Path, auto_fetch: u64) -> Client {
    Client::start(dir, cfg(auto_fetch)).await.unwrap()
}

/// Bytes that do not compress or repeat.
fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// CRC-32 as PNG chunks use it (so the doctored header is a valid one).
fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xffff_ffffu32;
    for b in bytes {
        c ^= *b as u32;
        for _ in 0..8 {
            c = if c & 1 == 1 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// `a` sends `bytes` as the file `path` into `room`; returns once `b` has the message.
async fn send_file(a: &Client, b: &Client, room: &str, path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
    a.chat_write_files(room, "", None, vec![], vec![path.to_path_buf()])
        .await
        .unwrap();
    eventually(30, "b has the message", || async {
        b.chat_list(room)
            .await
            .unwrap()
            .iter()
            .any(|m| !m.files.is_empty())
    })
    .await;
}

/// A room owned by a fresh node, joined by the others.
async fn room(owner: &Client, others: &[&Client]) -> String {
    addr(owner).await;
    let room = owner.create_space("chat", "room").await.unwrap().space.space;
    let ticket = owner.ticket(&room).await.unwrap().ticket;
    for o in others {
        o.join(&ticket).await.unwrap();
    }
    room
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attachment_spreads_and_is_saved_byte_identical() {
    let d = tempfile::tempdir().unwrap();
    let a = start(&d.path().join("a"), 25 << 20).await;
    let b = start(&d.path().join("b"), 25 << 20).await;
    let room = room(&a, &[&b]).await;
    let doc = noise(3 << 20, 7);
    let pic = png(900, 600);
    std::fs::write(d.path().join("report.bin"), &doc).unwrap();
    std::fs::write(d.path().join("cat.png"), &pic).unwrap();
    let sent = a
        .chat_write_files(
            &room,
            "",
            None,
            vec![],
            vec![d.path().join("report.bin"), d.path().join("cat.png")],
        )
        .await
        .unwrap()
        .id;
    // The sender holds both; the picture has a preview and its size.
    let mine = a.chat_list(&room).await.unwrap();
    let m = mine.iter().find(|m| m.id == sent).unwrap();
    assert_eq!(m.files.len(), 2);
    assert!(m.files.iter().all(|f| f.held));
    assert_eq!(m.files[1].mime, "image/png");
    assert_eq!(m.files[1].dims, Some((900, 600)));
    assert_eq!(m.files[0].size, 3 << 20);

    // b gets the message, then both files without asking (under the automatic size).
    eventually(60, "b holds both files", || async {
        let list = b.blob_list(&room).await.unwrap();
        list.len() == 2 && list.iter().all(|f| f.held)
    })
    .await;
    let list = b.blob_list(&room).await.unwrap();
    assert!(
        list.iter().all(|f| f.holders.contains(&a.peer_id().to_string())),
        "{list:?}"
    );
    let out = d.path().join("saved");
    std::fs::create_dir(&out).unwrap();
    for (f, want) in list.iter().zip([&doc, &pic]) {
        let saved = b.blob_get(&f.blob[..10], &out, Some(5)).await.unwrap();
        assert_eq!(std::fs::read(&saved.path).unwrap(), **want);
        assert_eq!(Path::new(&saved.path).parent().unwrap(), out);
    }
    // The picture shows: the sender's preview, then the whole picture; the other file is no
    // picture.
    let thumb = b.file_picture(&list[1].blob, true).await.unwrap().unwrap();
    assert_eq!(thumb.mime, "image/jpeg");
    assert!(image::load_from_memory(&thumb.bytes).unwrap().width() <= 320);
    let full = b.file_picture(&list[1].blob, false).await.unwrap().unwrap();
    assert_eq!((full.mime.as_str(), &full.bytes), ("image/png", &pic));
    assert!(b.file_picture(&list[0].blob, false).await.unwrap().is_none());
    // Only the encrypted bytes are in b's blob directory.
    for f in &list {
        let stored = std::fs::read(d.path().join("b/blobs").join(format!("{}.data", f.blob))).unwrap();
        assert_eq!(blake3::hash(&stored).to_hex().as_str(), f.blob);
        assert!(stored != doc && stored != pic);
    }
    a.shutdown().await;
    b.shutdown().await;
}

/// A peer that says it holds every blob and answers every range with bytes that do not verify.
async fn rogue(dial: Multiaddr) -> (confab_net::NetHandle, tokio::task::JoinHandle<u32>) {
    let id = confab_core::Identity::generate();
    let mut c = NetConfig::new(id.keypair().clone());
    c.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()];
    c.mdns = false;
    c.dial = vec![dial];
    let (net, mut rx) = confab_net::spawn(c).unwrap();
    let n = net.clone();
    let task = tokio::spawn(async move {
        let mut served = 0;
        while let Some(ev) = rx.recv().await {
            if let NetEvent::BlobRequest { id, frame, .. } = ev {
                let answer = match proto::decode::<Request>(&frame) {
                    Ok(Request::Have { blobs }) => Response::Have(blobs.iter().map(|_| Has::All).collect()),
                    Ok(Request::Get { count, .. }) => {
                        served += 1;
                        Response::Data(noise(count as usize * 16 * 1024 + 2048, served as u64))
                    }
                    _ => Response::Ok,
                };
                let _ = n.blob_respond(id, proto::encode(&answer));
            }
        }
        served
    });
    (net, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_serving_corrupt_groups_is_dropped_and_another_completes() {
    let d = tempfile::tempdir().unwrap();
    let a = start(&d.path().join("a"), 25 << 20).await;
    // b fetches only when asked, so that it knows both holders before it starts.
    let b = start(&d.path().join("b"), 0).await;
    let room = room(&a, &[&b]).await;
    let doc = noise(12 << 20, 11);
    send_file(&a, &b, &room, &d.path().join("big.bin"), &doc).await;
    let (rogue_net, _task) = rogue(addr(&b).await).await;
    let rogue_id = rogue_net.local_peer_id().to_string();
    eventually(20, "the rogue is connected to b", || async {
        b.peers().await.unwrap().iter().any(|p| p.peer_id == rogue_id)
    })
    .await;
    let mut events = b.events().unwrap();
    let blob = b.blob_list(&room).await.unwrap()[0].blob.clone();
    let out = d.path().join("big.out");
    let saved = b.blob_get(&blob, &out, Some(60)).await.unwrap();
    assert_eq!(saved.size, doc.len() as u64);
    assert!(std::fs::read(&out).unwrap() == doc, "saved file differs");
    let mut dropped = None;
    while let Ok(ev) = events.try_recv() {
        if let NodeEvent::PeerDropped { peer, reason } = ev {
            if peer == rogue_id {
                dropped = Some(reason);
            }
        }
    }
    let reason = dropped.expect("the rogue holder was dropped");
    assert!(reason.contains("does not match the blob's hash"), "{reason}");
    // Nothing partial is left, and what is stored verifies.
    let stored = std::fs::read(d.path().join("b/blobs").join(format!("{blob}.data"))).unwrap();
    assert_eq!(blake3::hash(&stored).to_hex().as_str(), blob);
    assert!(std::fs::read_dir(d.path().join("b/blobs/partial"))
        .unwrap()
        .next()
        .is_none());
    rogue_net.shutdown();
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_download_resumes_without_fetching_again() {
    let d = tempfile::tempdir().unwrap();
    let a = start(&d.path().join("a"), 100 << 20).await;
    let a_addr = addr(&a).await;
    let b_dir = d.path().join("b");
    let b = start(&b_dir, 0).await;
    let room = room(&a, &[&b]).await;
    let doc = noise(32 << 20, 3);
    send_file(&a, &b, &room, &d.path().join("video.bin"), &doc).await;
    let blob = b.blob_list(&room).await.unwrap()[0].blob.clone();
    // Start the download, and stop b as soon as part of it is here.
    let mut events = b.events().unwrap();
    let b2 = b.clone();
    let (blob2, out) = (blob.clone(), d.path().join("video.out"));
    let getting = tokio::spawn(async move { b2.blob_get(&blob2, &out, Some(60)).await });
    let mut first = 0;
    while let Ok(ev) = tokio::time::timeout(Duration::from_secs(30), events.recv()).await {
        if let Ok(NodeEvent::BlobProgress { have, size, .. }) = ev {
            if have >= 2 << 20 && have < size {
                first = have;
                break;
            }
        }
    }
    assert!(first > 0, "no progress seen");
    b.shutdown().await;
    drop(b);
    let _ = getting.await;
    // What was verified is still there after the restart; the rest is fetched, nothing twice.
    let b = Client::start(
        &b_dir,
        NodeConfig {
            dial: vec![a_addr],
            ..cfg(100 << 20)
        },
    )
    .await
    .unwrap();
    let mut events = b.events().unwrap();
    let (mut resumed, mut fetched, mut done) = (0, 0, false);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !done {
        let ev = tokio::time::timeout_at(deadline, events.recv())
            .await
            .expect("the download finishes after the restart");
        match ev {
            Ok(NodeEvent::BlobProgress {
                resumed: r,
                fetched: f,
                ..
            }) => {
                resumed = r;
                fetched = f;
            }
            Ok(NodeEvent::BlobHeld { blob: id, .. }) if id.to_string() == blob => done = true,
            _ => {}
        }
    }
    assert!(
        resumed >= first,
        "resumed with {resumed} bytes, {first} were verified before"
    );
    assert_eq!(
        resumed + fetched,
        doc.len() as u64,
        "fetched {fetched} after resuming with {resumed}"
    );
    let saved = b
        .blob_get(&blob, &d.path().join("video.out"), Some(5))
        .await
        .unwrap();
    assert!(std::fs::read(&saved.path).unwrap() == doc);
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_files_are_refused_by_name_and_nothing_is_stored() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("a");
    std::fs::create_dir_all(&dir).unwrap();
    NodeConfig {
        files: FileLimits {
            max_file: 1 << 20,
            ..FileLimits::default()
        },
        ..NodeConfig::default()
    }
    .save(&dir)
    .unwrap();
    let a = Client::open(&dir).await.unwrap();
    let room = a.create_space("chat", "room").await.unwrap().space.space;
    let before = a.chat_list(&room).await.unwrap().len();
    // Over the cap.
    std::fs::write(d.path().join("big.bin"), noise((1 << 20) + 1, 1)).unwrap();
    let e = a
        .chat_write_files(&room, "x", None, vec![], vec![d.path().join("big.bin")])
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("big.bin") && e.contains("over the limit"), "{e}");
    // A decompression bomb: a small PNG that claims 100,000 × 100,000 pixels.
    let mut bomb = png(1, 1);
    bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&bomb[12..29]);
    bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    std::fs::write(d.path().join("bomb.png"), &bomb).unwrap();
    let e = a
        .chat_write_files(&room, "x", None, vec![], vec![d.path().join("bomb.png")])
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("bomb.png") && e.contains("100000×100000"), "{e}");
    // Not a file.
    let e = a
        .chat_write_files(&room, "x", None, vec![], vec![d.path().to_path_buf()])
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a file"), "{e}");
    // Eleven files.
    std::fs::write(d.path().join("s.txt"), b"s").unwrap();
    let e = a
        .chat_write_files(&room, "x", None, vec![], vec![d.path().join("s.txt"); 11])
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("at most 10"), "{e}");
    assert_eq!(a.chat_list(&room).await.unwrap().len(), before);
    let stored: Vec<_> = std::fs::read_dir(dir.join("blobs"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_file())
        .collect();
    assert!(stored.is_empty(), "{stored:?}");
    // Saving: a blob id that is not one, one that names nothing.
    for (bad, needle) in [("xyz", "not a blob id"), ("abcdef", "no file held here")] {
        let e = a.blob_get(bad, d.path(), None).await.unwrap_err().to_string();
        assert!(e.contains(needle), "{bad}: {e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_space_keeps_its_files_within_its_quota() {
    let d = tempfile::tempdir().unwrap();
    let a = start(&d.path().join("a"), 25 << 20).await;
    let b = Client::start(
        &d.path().join("b"),
        NodeConfig {
            files: FileLimits {
                space_quota: 1 << 20,
                ..FileLimits::default()
            },
            ..common::cfg(vec![])
        },
    )
    .await
    .unwrap();
    let room = room(&a, &[&b]).await;
    for (i, name) in ["first.bin", "second.bin"].iter().enumerate() {
        std::fs::write(d.path().join(name), noise(700 << 10, i as u64 + 1)).unwrap();
        a.chat_write_files(&room, name, None, vec![], vec![d.path().join(name)])
            .await
            .unwrap();
        if i == 0 {
            eventually(30, "b holds the first file", || async {
                b.blob_list(&room)
                    .await
                    .unwrap()
                    .iter()
                    .any(|f| f.name == "first.bin" && f.held)
            })
            .await;
        }
    }
    eventually(30, "b has the second message", || async {
        b.blob_list(&room).await.unwrap().len() == 2
    })
    .await;
    // Two looks for files to fetch (every 5 s) later, the second is still not fetched: 700 KiB
    // more would pass the space's 1 MiB.
    tokio::time::sleep(std::time::Duration::from_secs(11)).await;
    let list = b.blob_list(&room).await.unwrap();
    let held: Vec<(&str, bool)> = list.iter().map(|f| (f.name.as_str(), f.held)).collect();
    assert_eq!(held, vec![("first.bin", true), ("second.bin", false)]);
    // Asked for, it is fetched whatever the quota says (the person chose to).
    let second = list[1].blob.clone();
    b.blob_get(&second, &d.path().join("second.out"), Some(20))
        .await
        .unwrap();
    assert!(std::fs::read(d.path().join("second.out")).unwrap() == noise(700 << 10, 2));
    a.shutdown().await;
    b.shutdown().await;
}

/// A node whose unnamed files are collected after a second.
async fn start_collecting(dir: &Path) -> Client {
    Client::start(
        dir,
        NodeConfig {
            files: FileLimits {
                keep_unnamed_secs: 1,
                ..FileLimits::default()
            },
            ..common::cfg(vec![])
        },
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_message_s_file_is_collected_on_every_peer_and_the_others_stay() {
    let d = tempfile::tempdir().unwrap();
    let a = start_collecting(&d.path().join("a")).await;
    let b = start_collecting(&d.path().join("b")).await;
    let room = room(&a, &[&b]).await;
    send_file(&a, &b, &room, &d.path().join("gone.bin"), &noise(300_000, 3)).await;
    send_file(&a, &b, &room, &d.path().join("kept.bin"), &noise(200_000, 4)).await;
    eventually(60, "b holds both files", || async {
        let l = b.blob_list(&room).await.unwrap();
        l.len() == 2 && l.iter().all(|f| f.held)
    })
    .await;
    let list = a.blob_list(&room).await.unwrap();
    let blob_of = |name: &str| list.iter().find(|f| f.name == name).unwrap().blob.clone();
    let (gone, kept) = (blob_of("gone.bin"), blob_of("kept.bin"));
    let msg = a
        .chat_list(&room)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.files.iter().any(|f| f.blob == gone))
        .unwrap()
        .id;
    a.chat_delete(&room, &msg).await.unwrap();
    let stored = |node: &str, blob: &str| {
        d.path()
            .join(node)
            .join("blobs")
            .join(format!("{blob}.data"))
            .exists()
    };
    eventually(
        60,
        "the deleted message's file is gone from both peers",
        || async { !stored("a", &gone) && !stored("b", &gone) },
    )
    .await;
    assert!(
        stored("a", &kept) && stored("b", &kept),
        "a file still named is kept"
    );
    let names: Vec<String> = b
        .blob_list(&room)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(names, ["kept.bin"]);
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_picture_reaches_the_other_member_and_shows_by_its_messages() {
    let d = tempfile::tempdir().unwrap();
    let a = start(&d.path().join("a"), 25 << 20).await;
    let b = start(&d.path().join("b"), 25 << 20).await;
    let room = room(&a, &[&b]).await;
    std::fs::write(d.path().join("me.png"), png(1200, 800)).unwrap();
    let me = d.path().join("me.png").to_str().unwrap().to_string();
    // A name comes first.
    let e = a.profile_picture(Some(&me)).await.unwrap_err().to_string();
    assert!(e.contains("display name"), "{e}");
    a.profile_set("Ada", None).await.unwrap();
    // Not a picture, by name; nothing changes.
    std::fs::write(d.path().join("notes.png"), b"plain text").unwrap();
    let e = a
        .profile_picture(Some(d.path().join("notes.png").to_str().unwrap()))
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("notes.png") && e.contains("not a picture"), "{e}");
    let view = a.profile_picture(Some(&me)).await.unwrap();
    let blob = view.picture.clone().expect("a picture");
    // Cut square and made small: a 256 px JPEG, with its preview in the record.
    let pic = a.file_picture(&blob, false).await.unwrap().unwrap();
    assert_eq!(pic.mime, "image/jpeg");
    let img = image::load_from_memory(&pic.bytes).unwrap();
    assert_eq!((img.width(), img.height()), (256, 256));
    assert!(pic.bytes.len() < 64 * 1024, "{} bytes", pic.bytes.len());
    // b sees it, fetches it by itself, and shows it by a's messages.
    a.chat_send(&room, "hello").await.unwrap();
    eventually(60, "b has a's picture", || async {
        let p = b.profile(Some(a.peer_id())).await.unwrap();
        p.picture.as_deref() == Some(blob.as_str())
            && b.blob_list(&room)
                .await
                .unwrap()
                .iter()
                .any(|f| f.blob == blob && f.held)
    })
    .await;
    let thumb = b.file_picture(&blob, true).await.unwrap().unwrap();
    assert_eq!(image::load_from_memory(&thumb.bytes).unwrap().width(), 64);
    assert_eq!(
        b.file_picture(&blob, false).await.unwrap().unwrap().bytes,
        pic.bytes
    );
    eventually(30, "a's message shows the picture", || async {
        b.chat_list(&room)
            .await
            .unwrap()
            .iter()
            .any(|m| m.text.as_deref() == Some("hello") && m.picture.as_deref() == Some(blob.as_str()))
    })
    .await;
    // The name changes and the picture stays; removed, it goes everywhere.
    assert_eq!(
        a.profile_set("Ada L", None).await.unwrap().picture.as_deref(),
        Some(blob.as_str())
    );
    assert_eq!(a.profile_picture(None).await.unwrap().picture, None);
    eventually(30, "b sees the picture removed", || async {
        b.profile(Some(a.peer_id())).await.unwrap().picture.is_none()
    })
    .await;
    a.shutdown().await;
    b.shutdown().await;
}
