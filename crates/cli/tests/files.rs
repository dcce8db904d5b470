//! Files by command and across namespaces: a newsletter issue written in Markdown with two
//! pictures reaches a subscriber that can reach only another subscriber, after the publisher
//! has gone; chat attachments by `chat send --file`, `blob list` and `blob get`. Each test builds
//! its own namespaces (root needed, as in CI).

use std::path::Path;

#[path = "support/net.rs"]
mod net;

use net::Net;
use support_cli::wait;

#[path = "support/cli.rs"]
mod support_cli;

#[path = "support/peer.rs"]
mod peer;

use peer::{cli, create, peer_id, Peer};

/// A PNG of noise (so it does not compress): about 3 bytes a pixel.
fn noisy_png(path: &Path, side: u32, seed: u32) {
    let mut x = seed | 1;
    let img = image::RgbImage::from_fn(side, side, |_, _| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        image::Rgb([x as u8, (x >> 8) as u8, (x >> 16) as u8])
    });
    img.save(path).unwrap();
}

fn blobs(dir: &Path, space: &str) -> Vec<serde_json::Value> {
    cli(dir, &["blob", "list", space]).as_array().unwrap().clone()
}

#[test]
fn newsletter_pictures_reach_a_subscriber_after_the_publisher_has_gone() {
    let mut net = Net::new("files");
    let (p_ns, s1_ns, s2_ns) = (net.ns("p"), net.ns("s1"), net.ns("s2"));
    net.link(&p_ns, "10.214.4.1/24", &s1_ns, "10.214.4.2/24");
    net.link(&s2_ns, "10.214.5.2/24", &s1_ns, "10.214.5.1/24");
    let d = tempfile::tempdir().unwrap();
    let (p, s1, s2) = (d.path().join("p"), d.path().join("s1"), d.path().join("s2"));
    let (space, ticket) = create(&p, "news", "The Weekly");
    cli(&s1, &["space", "join", &ticket]);
    cli(&s2, &["space", "join", &ticket]);

    // An issue in Markdown with two 2 MiB pictures beside it, and some HTML that must not run.
    let issue_dir = d.path().join("issue");
    std::fs::create_dir_all(issue_dir.join("img")).unwrap();
    noisy_png(&issue_dir.join("img/harbour.png"), 840, 1);
    noisy_png(&issue_dir.join("fields.png"), 840, 2);
    let md = "# Spring\n\nThe harbour:\n\n![harbour](img/harbour.png)\n\nand the fields ![fields](fields.png \"Fields\").\n\n<script>alert(1)</script> <a href=\"javascript:alert(2)\">x</a>\n";
    std::fs::write(issue_dir.join("spring.md"), md).unwrap();
    let originals: Vec<Vec<u8>> = ["img/harbour.png", "fields.png"]
        .iter()
        .map(|f| std::fs::read(issue_dir.join(f)).unwrap())
        .collect();
    assert!(
        originals.iter().all(|o| o.len() > 2 << 20),
        "pictures of over 2 MiB"
    );
    cli(
        &p,
        &[
            "news",
            "publish",
            &space,
            "--title",
            "Spring",
            "--markdown",
            issue_dir.join("spring.md").to_str().unwrap(),
        ],
    );
    let listed = cli(&p, &["news", "list", &space]);
    let issue = &listed[0];
    let files = issue["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    let names: Vec<&str> = files.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["harbour.png", "fields.png"]);
    let body = issue["body"].as_str().unwrap();
    for f in files {
        let id = f["blob"].as_str().unwrap();
        assert!(
            body.contains(&format!("]({id}")),
            "link rewritten to {id}: {body}"
        );
        assert!(f["held"].as_bool().unwrap());
    }
    let html = issue["html"].as_str().unwrap();
    assert!(
        html.contains("<h1>Spring</h1>") && html.contains("confab-blob://localhost/"),
        "{html}"
    );
    assert!(
        !html.contains("<script") && !html.contains("javascript:"),
        "{html}"
    );

    let p_id = peer_id(&p);
    let local = ["--no-mdns", "--no-dht", "--no-upnp"];
    let mut pp = Peer::start(
        "publisher",
        &p_ns,
        &p,
        &[&local[..], &["--listen", "/ip4/10.214.4.1/tcp/4201"]].concat(),
    );
    let p_addr = format!("/ip4/10.214.4.1/tcp/4201/p2p/{p_id}");
    let ps1 = Peer::start(
        "s1",
        &s1_ns,
        &s1,
        &[
            &local[..],
            &["--listen", "/ip4/0.0.0.0/tcp/4202", "--dial", &p_addr],
        ]
        .concat(),
    );
    wait(60, "s1 holds the issue's pictures", || {
        let b = blobs(&s1, &space);
        (b.len() == 2 && b.iter().all(|f| f["held"] == true)).then_some(())
    });
    pp.stop();

    let s1_id = peer_id(&s1);
    let ps2 = Peer::start(
        "s2",
        &s2_ns,
        &s2,
        &[
            &local[..],
            &[
                "--listen",
                "/ip4/0.0.0.0/tcp/0",
                "--dial",
                &format!("/ip4/10.214.5.1/tcp/4202/p2p/{s1_id}"),
            ],
        ]
        .concat(),
    );
    wait(60, "s2 has the issue and both pictures", || {
        let b = blobs(&s2, &space);
        (b.len() == 2 && b.iter().all(|f| f["held"] == true)).then_some(())
    });
    let got = blobs(&s2, &space);
    assert!(
        got.iter().all(|b| b["holders"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h == s1_id.as_str())),
        "{got:?}"
    );
    // Byte-identical: the encrypted blobs hash to their ids, and the saved pictures are the
    // publisher's files.
    let out = d.path().join("saved");
    std::fs::create_dir_all(&out).unwrap();
    for (f, want) in files.iter().zip(&originals) {
        let id = f["blob"].as_str().unwrap();
        let stored = std::fs::read(s2.join("blobs").join(format!("{id}.data"))).unwrap();
        assert_eq!(blake3::hash(&stored).to_hex().as_str(), id);
        let saved = cli(&s2, &["blob", "get", &id[..12], "--out", out.to_str().unwrap()]);
        let path = saved["path"].as_str().unwrap();
        assert_eq!(&std::fs::read(path).unwrap(), want, "{path}");
        assert_eq!(blake3::hash(&std::fs::read(path).unwrap()), blake3::hash(want));
    }
    drop((ps1, ps2));
}

#[test]
fn a_download_killed_midway_resumes_from_what_was_verified() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    let (room, ticket) = create(&a, "chat", "room");
    cli(&b, &["space", "join", &ticket]);
    // Under the automatic size: b fetches it as soon as the message arrives.
    let mut x = 99u64;
    let data: Vec<u8> = (0..20 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    std::fs::write(d.path().join("film.bin"), &data).unwrap();
    cli(
        &a,
        &[
            "chat",
            "send",
            &room,
            "--file",
            d.path().join("film.bin").to_str().unwrap(),
        ],
    );
    let blob = cli(&a, &["blob", "list", &room])[0]["blob"]
        .as_str()
        .unwrap()
        .to_string();
    let local = ["--no-mdns", "--no-dht", "--no-upnp"];
    let pa = Peer::start(
        "a",
        "",
        &a,
        &[&local[..], &["--listen", "/ip4/127.0.0.1/tcp/0"]].concat(),
    );
    let a_addr = wait(20, "a listens", || {
        pa.out
            .lock()
            .unwrap()
            .iter()
            .find_map(|l| l.strip_prefix("listening ").map(str::to_string))
    });
    let a_addr = format!("{a_addr}/p2p/{}", peer_id(&a));
    let b_args = [
        &local[..],
        &["--listen", "/ip4/127.0.0.1/tcp/0", "--dial", &a_addr],
    ]
    .concat();
    let mut pb = Peer::start("b", "", &b, &b_args);
    // SIGKILL as soon as some of it is here.
    wait(60, "b fetches part of the file", || {
        pb.err
            .lock()
            .unwrap()
            .iter()
            .any(|l| {
                l.starts_with("file ")
                    && l.split_whitespace()
                        .nth(2)
                        .is_some_and(|h| h.split('/').next().unwrap().parse::<u64>().unwrap() >= 1 << 20)
            })
            .then_some(())
    });
    pb.child.kill().unwrap();
    pb.child.wait().unwrap();
    let partial = b.join("blobs/partial").join(format!("{blob}.data"));
    assert!(
        partial.exists(),
        "the download was still under way when b was killed"
    );

    let pb = Peer::start("b", "", &b, &b_args);
    wait(60, "b holds the file after the restart", || {
        pb.out
            .lock()
            .unwrap()
            .iter()
            .any(|l| *l == format!("file held {blob}"))
            .then_some(())
    });
    let last = pb
        .err
        .lock()
        .unwrap()
        .iter()
        .rev()
        .find(|l| l.starts_with("file ") && l.contains(" resumed "))
        .cloned()
        .unwrap();
    let words: Vec<&str> = last.split_whitespace().collect();
    let after = |k: &str| -> u64 {
        words[words.iter().position(|w| *w == k).unwrap() + 1]
            .parse()
            .unwrap()
    };
    let (resumed, fetched) = (after("resumed"), after("fetched"));
    assert!(resumed >= 1 << 20, "{last}");
    assert_eq!(
        resumed + fetched,
        data.len() as u64,
        "fetched again what was verified: {last}"
    );
    let out = d.path().join("film.out");
    cli(&b, &["blob", "get", &blob, "--out", out.to_str().unwrap()]);
    assert!(std::fs::read(&out).unwrap() == data);
    drop((pa, pb));
}
