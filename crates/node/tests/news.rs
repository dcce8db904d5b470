//! Newsletter corrections and feeds between nodes on 127.0.0.1: the owner corrects an issue
//! and goes offline; a subscriber who was offline gets the issue and its correction from
//! another subscriber; both see "updated" and every version; a subscriber writes the Atom
//! feed with the owner offline, an Atom parser reads it back and its signatures verify with
//! the publisher's key; a correction by anyone else is refused by name.

use std::time::Duration;

use confab_node::{Correction, NewIssue};

mod common;

use common::{eventually, first_addr, start};

fn fix(title: Option<&str>, body: Option<&str>) -> Correction {
    Correction {
        title: title.map(Into::into),
        body: body.map(Into::into),
        markdown: None,
        files: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correction_reaches_a_subscriber_through_another_with_the_owner_offline() {
    let d = tempfile::tempdir().unwrap();
    let (downer, ds1, ds2) = (d.path().join("o"), d.path().join("s1"), d.path().join("s2"));
    let owner = start(&downer, vec![]).await;
    first_addr(&owner).await;
    let news = owner.create_space("news", "Weekly").await.unwrap().space.space;
    let ticket = owner.ticket(&news).await.unwrap().ticket;
    let s1 = start(&ds1, vec![]).await;
    let s2 = start(&ds2, vec![]).await;
    s1.join(&ticket).await.unwrap();
    s2.join(&ticket).await.unwrap();
    let first = owner
        .news_publish(&news, "Issue 1", "Helo wrold")
        .await
        .unwrap()
        .id;
    let second = owner.news_publish(&news, "Issue 2", "Second").await.unwrap().id;
    for s in [&s1, &s2] {
        eventually(30, "subscribers hold both issues", || async {
            s.news_list(&news).await.unwrap().len() == 2
        })
        .await;
    }
    // s2 goes offline; the owner corrects issue 1 twice (body, then title).
    s2.shutdown().await;
    drop(s2);
    owner
        .news_edit(&news, &first[..10], fix(None, Some("Hello world")))
        .await
        .unwrap();
    let last = owner
        .news_edit(&news, &first, fix(Some("Issue 1 (corrected)"), None))
        .await
        .unwrap()
        .id;
    eventually(30, "s1 holds both corrections", || async {
        s1.news_list(&news).await.unwrap()[0].versions == 3
    })
    .await;
    // The owner goes offline; s2 comes back and meets only s1.
    let owner_peer = owner.id().await.unwrap().account;
    owner.shutdown().await;
    drop(owner);
    let s2 = start(&ds2, vec![first_addr(&s1).await]).await;
    eventually(45, "s2 got the correction from s1", || async {
        s2.news_list(&news).await.unwrap()[0].versions == 3
    })
    .await;
    let list = s2.news_list(&news).await.unwrap();
    let i = &list[0];
    assert_eq!(
        (i.id.as_str(), i.title.as_str(), i.body.as_str()),
        (first.as_str(), "Issue 1 (corrected)", "Hello world")
    );
    assert!(
        i.updated_ms > i.by.ts,
        "updated {} after published {}",
        i.updated_ms,
        i.by.ts
    );
    assert_eq!((list[1].versions, list[1].updated_ms), (1, list[1].by.ts));
    let versions = s2.news_versions(&news, &first).await.unwrap();
    let texts: Vec<(&str, &str)> = versions
        .iter()
        .map(|v| (v.title.as_str(), v.body.as_str()))
        .collect();
    assert_eq!(
        texts,
        [
            ("Issue 1", "Helo wrold"),
            ("Issue 1", "Hello world"),
            ("Issue 1 (corrected)", "Hello world")
        ]
    );
    assert_eq!(versions[2].id, last);

    // A subscriber writes the feed with the owner offline.
    let feed = d.path().join("weekly.xml");
    let made = s2.news_feed(&news, &feed).await.unwrap();
    assert_eq!((made.issues, made.corrections), (2, 2));
    let xml = std::fs::read_to_string(&feed).unwrap();
    // A well-kept Atom parser reads it back: the feed's id, title, entries and their dates.
    let parsed: atom_syndication::Feed = xml.parse().expect("an Atom feed");
    assert_eq!(parsed.title().as_str(), "Weekly");
    assert_eq!(parsed.entries().len(), 2);
    let e = &parsed.entries()[0];
    assert_eq!(e.title().as_str(), "Issue 1 (corrected)");
    assert_eq!(e.id(), format!("urn:confab:record:{first}"));
    assert!(
        e.updated() > e.published().unwrap(),
        "the entry is updated after it was published"
    );
    assert!(e
        .content()
        .and_then(|c| c.value())
        .is_some_and(|v| v.contains("Hello world")));
    assert!(!parsed.authors().is_empty() || e.authors().iter().all(|a| !a.name().is_empty()));
    // Atom's own rules: a feed has an id, a title and an updated date; each entry too.
    assert!(parsed.id().starts_with("urn:confab:space:"));
    for e in parsed.entries() {
        assert!(!e.id().is_empty() && !e.title().is_empty() && !e.authors().is_empty());
    }
    // Its signatures verify, with the publisher's key.
    let report = confab_node::verify_feed_file(&feed, Some(&owner_peer)).unwrap();
    assert_eq!((report.issues, report.corrections), (2, 2));
    let e = confab_node::verify_feed_file(&feed, Some(&s1.id().await.unwrap().account))
        .unwrap_err()
        .to_string();
    assert!(e.contains("not by the publisher"), "{e}");
    // Altered: a flipped byte inside a signed record is found.
    let tampered = d.path().join("tampered.xml");
    let at = xml.find("<confab:signed>").unwrap() + 200;
    let mut bytes = xml.clone().into_bytes();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    std::fs::write(&tampered, &bytes).unwrap();
    assert!(confab_node::verify_feed_file(&tampered, None).is_err());
    // A feed is written to a new file only.
    let e = s2.news_feed(&news, &feed).await.unwrap_err().to_string();
    assert!(e.contains("exists"), "{e}");

    // A correction by anyone but the owner is refused by name, nothing written.
    let e = s1
        .news_edit(&news, &second, fix(Some("mine"), None))
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("only the owner"), "{e}");
    let e = s2
        .news_edit(&news, &second, fix(None, None))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("only the owner") || e.contains("nothing to correct"),
        "{e}"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(s1.news_list(&news).await.unwrap()[1].versions, 1);
    for n in [&s1, &s2] {
        n.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_reply_as_the_owner_allows_and_the_owner_removes_replies() {
    let d = tempfile::tempdir().unwrap();
    let owner = start(&d.path().join("o"), vec![]).await;
    let addr = first_addr(&owner).await;
    let news = owner.create_space("news", "Weekly").await.unwrap().space.space;
    let ticket = owner.ticket(&news).await.unwrap().ticket;
    let s1 = start(&d.path().join("s1"), vec![addr.clone()]).await;
    let s2 = start(&d.path().join("s2"), vec![addr]).await;
    s1.join(&ticket).await.unwrap();
    s2.join(&ticket).await.unwrap();
    let issue = owner.news_publish(&news, "Issue", "text").await.unwrap().id;
    eventually(30, "subscribers hold the issue", || async {
        s1.news_list(&news).await.unwrap().len() == 1 && s2.news_list(&news).await.unwrap().len() == 1
    })
    .await;

    // Replies are off until the owner allows them: refused by name, nothing written.
    let e = s1
        .news_reply(&news, &issue, "hello?")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not allow replies"), "{e}");
    assert_eq!(s1.news_settings(&news, None).await.unwrap().replies, "off");
    let e = s1
        .news_settings(&news, Some("all"))
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("only the owner"), "{e}");
    let e = owner
        .news_settings(&news, Some("everyone"))
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("expected off, owner or all"), "{e}");

    // For all: every reader sees the reply.
    owner.news_settings(&news, Some("all")).await.unwrap();
    eventually(30, "s1 sees replies allowed", || async {
        s1.news_settings(&news, None).await.unwrap().replies == "all"
    })
    .await;
    let open = s1
        .news_reply(&news, &issue[..10], "Great issue")
        .await
        .unwrap()
        .id;
    for n in [&owner, &s2] {
        eventually(30, "the open reply reached the others", || async {
            n.news_replies(&news, &issue)
                .await
                .unwrap()
                .iter()
                .any(|r| r.text.as_deref() == Some("Great issue"))
        })
        .await;
    }

    // For the owner only: sealed to the owner; the owner reads it, s2 (who holds the record)
    // does not see it, its author sees it was sent.
    owner.news_settings(&news, Some("owner")).await.unwrap();
    eventually(30, "s1 sees replies for the owner", || async {
        s1.news_settings(&news, None).await.unwrap().replies == "owner"
    })
    .await;
    let private = s1.news_reply(&news, &issue, "A private note").await.unwrap().id;
    eventually(30, "the owner reads the sealed reply", || async {
        owner
            .news_replies(&news, &issue)
            .await
            .unwrap()
            .iter()
            .any(|r| r.id == private && r.sealed && r.text.as_deref() == Some("A private note"))
    })
    .await;
    eventually(30, "s2 holds the sealed record", || async {
        s2.news_list(&news).await.is_ok() && {
            let db = rusqlite::Connection::open(d.path().join("s2").join("confab.sqlite")).unwrap();
            let id = data_encoding_hex(&private);
            db.query_row("SELECT count(*) FROM records WHERE id = ?1", [id], |r| {
                r.get::<_, i64>(0)
            })
            .unwrap()
                == 1
        }
    })
    .await;
    let seen_by_s2 = s2.news_replies(&news, &issue).await.unwrap();
    assert!(seen_by_s2.iter().all(|r| r.id != private), "{seen_by_s2:?}");
    assert!(seen_by_s2.iter().any(|r| r.id == open), "the open reply stays");
    let mine = s1.news_replies(&news, &issue).await.unwrap();
    assert!(mine
        .iter()
        .any(|r| r.id == private && r.sealed && r.text.is_none()));

    // Removing: not by another reader; by the owner, for everyone.
    let e = s2
        .news_remove_reply(&news, &issue, &open)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("only the reply's author or the owner"), "{e}");
    owner.news_remove_reply(&news, &issue, &open[..12]).await.unwrap();
    for n in [&s1, &s2] {
        eventually(30, "the removed reply is gone", || async {
            n.news_replies(&news, &issue)
                .await
                .unwrap()
                .iter()
                .all(|r| r.id != open)
        })
        .await;
    }

    // Off again: refused by name.
    owner.news_settings(&news, Some("off")).await.unwrap();
    eventually(30, "s2 sees replies off", || async {
        s2.news_settings(&news, None).await.unwrap().replies == "off"
    })
    .await;
    let e = s2
        .news_reply(&news, &issue, "late")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not allow replies"), "{e}");
    for n in [&owner, &s1, &s2] {
        n.shutdown().await;
    }
}

/// A record id (hex) as the bytes the store keys it by.
fn data_encoding_hex(id: &str) -> Vec<u8> {
    (0..id.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&id[i..i + 2], 16).unwrap())
        .collect()
}

fn png(path: &std::path::Path, shade: u8) {
    image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([x as u8, y as u8, shade]))
        .save(path)
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drafts_schedules_and_corrections_carry_pictures() {
    let d = tempfile::tempdir().unwrap();
    let owner = confab_node::Client::open(&d.path().join("o")).await.unwrap();
    let news = owner.create_space("news", "Weekly").await.unwrap().space.space;
    let (quay, boats) = (d.path().join("quay.png"), d.path().join("boats.png"));
    png(&quay, 10);
    png(&boats, 200);
    let issue = owner
        .news_publish_files(&news, "Harbour", "![the quay](quay.png)", vec![quay.clone()])
        .await
        .unwrap()
        .id;
    let first = &owner.news_list(&news).await.unwrap()[0];
    assert_eq!(first.files.len(), 1);
    let quay_blob = first.files[0].blob.clone();
    // A new body that keeps the quay (by its blob id) and adds the boats.
    let body = format!("{}\n\n![boats](boats.png)", first.body);
    let fix = Correction {
        body: Some(body),
        files: vec![boats.clone()],
        ..Default::default()
    };
    owner.news_edit(&news, &issue, fix).await.unwrap();
    let now = &owner.news_list(&news).await.unwrap()[0];
    assert_eq!(now.versions, 2);
    let blobs: Vec<&str> = now.files.iter().map(|f| f.blob.as_str()).collect();
    assert_eq!(blobs.len(), 2, "{blobs:?}");
    assert!(
        blobs.contains(&quay_blob.as_str()),
        "the issue's own picture stays"
    );
    assert_eq!(now.html.matches("<img").count(), 2, "{}", now.html);
    // A draft and a scheduled issue hold their pictures.
    let draft = NewIssue {
        title: "With a picture".into(),
        body: "![boats](boats.png)".into(),
        draft: true,
        files: vec![boats.clone()],
        ..Default::default()
    };
    owner.news_compose(&news, draft).await.unwrap();
    let later = NewIssue {
        title: "Later".into(),
        body: "![quay](quay.png)".into(),
        at: Some(confab_core::now_ms() + 3_600_000),
        files: vec![quay],
        ..Default::default()
    };
    owner.news_compose(&news, later).await.unwrap();
    let drafts = owner.news_drafts(&news).await.unwrap();
    assert_eq!(drafts.len(), 2);
    for dr in &drafts {
        assert_eq!(dr.files.len(), 1, "{dr:?}");
        assert!(dr.html.contains("<img"), "{}", dr.html);
    }
    let published = owner.news_publish_draft(&news, &drafts[0].id).await.unwrap().id;
    let list = owner.news_list(&news).await.unwrap();
    let p = list.iter().find(|i| i.id == published).unwrap();
    assert_eq!(p.files.len(), 1);
    owner.shutdown().await;
}
