//! Newsletter drafts and scheduled issues between nodes on 127.0.0.1: a draft follows its
//! owner to their linked device and never reaches a subscriber; a draft is published; a
//! scheduled issue is not published before its time, is published by a running device of
//! the owner while the laptop that scheduled it is off, reaches the subscriber by TIME + 30 s,
//! and stays one issue when the laptop comes back; refusals by name.

use std::path::Path;
use std::time::Duration;

use confab_node::{Client, NewIssue};

mod common;

use common::{eventually, first_addr, start};

fn drafts_in(dir: &Path) -> i64 {
    let db = rusqlite::Connection::open(dir.join("confab.sqlite")).unwrap();
    db.query_row("SELECT count(*) FROM records WHERE kind = 18", [], |r| r.get(0))
        .unwrap()
}

fn issue(title: &str, body: &str) -> NewIssue {
    NewIssue {
        title: title.into(),
        body: body.into(),
        ..Default::default()
    }
}

async fn titles(c: &Client, news: &str) -> Vec<String> {
    c.news_list(news)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.title)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drafts_stay_with_the_owner_and_a_scheduled_issue_is_published_once_at_its_time() {
    let d = tempfile::tempdir().unwrap();
    let (dl, dserver, ds) = (
        d.path().join("laptop"),
        d.path().join("server"),
        d.path().join("sub"),
    );
    let laptop = start(&dl, vec![]).await;
    first_addr(&laptop).await;
    let news = laptop.create_space("news", "Weekly").await.unwrap().space.space;
    let ticket = laptop.ticket(&news).await.unwrap().ticket;
    let sub = start(&ds, vec![]).await;
    sub.join(&ticket).await.unwrap();

    // A draft, previewed as readers will see it.
    let draft = laptop
        .news_compose(
            &news,
            NewIssue {
                draft: true,
                ..issue("Not yet", "**bold** plans")
            },
        )
        .await
        .unwrap()
        .id;
    let drafts = laptop.news_drafts(&news).await.unwrap();
    assert_eq!(drafts.len(), 1);
    assert_eq!(
        (drafts[0].id.as_str(), drafts[0].title.as_str()),
        (draft.as_str(), "Not yet")
    );
    assert!(
        drafts[0].html.contains("<strong>bold</strong>"),
        "{}",
        drafts[0].html
    );
    assert!(!drafts[0].scheduled);

    // The owner's always-on machine: a device linked to the laptop's account by a link
    // ticket (it holds no account secret; it is given the owner's own space when linked).
    let t = laptop.link_ticket(Some(120)).await.unwrap();
    let (dir, ticket) = (dserver.clone(), t.ticket.clone());
    let linking = tokio::spawn(async move { confab_node::link(&dir, &ticket, |_, _| {}).await });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while let Err(e) = laptop.approve_device(&t.code).await {
        assert!(tokio::time::Instant::now() < deadline, "never approved: {e}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    linking.await.unwrap().unwrap();
    assert!(
        !dserver.join("account.key").exists(),
        "a linked device holds no account secret"
    );
    let server = start(&dserver, vec![first_addr(&laptop).await, first_addr(&sub).await]).await;
    eventually(45, "the draft reached the owner's other device", || async {
        server
            .news_drafts(&news)
            .await
            .is_ok_and(|d| d.len() == 1 && d[0].title == "Not yet")
    })
    .await;

    // Published from the draft: the subscriber gets the issue; the draft is gone everywhere.
    laptop.news_publish_draft(&news, &draft[..10]).await.unwrap();
    eventually(30, "the subscriber has the published draft", || async {
        titles(&sub, &news).await == ["Not yet"]
    })
    .await;
    assert!(laptop.news_drafts(&news).await.unwrap().is_empty());
    eventually(30, "the server saw it published", || async {
        server.news_drafts(&news).await.unwrap().is_empty()
    })
    .await;

    // Scheduled from the laptop a few seconds ahead.
    let at = confab_core::now_ms() + 4_000;
    let scheduled = laptop
        .news_compose(
            &news,
            NewIssue {
                at: Some(at),
                ..issue("On time", "scheduled")
            },
        )
        .await
        .unwrap()
        .id;
    let listed = laptop.news_drafts(&news).await.unwrap();
    assert!(listed[0].scheduled && listed[0].at == at && listed[0].title == "On time");
    let issue_id = listed[0].issue.clone().unwrap();
    eventually(30, "the server holds the schedule", || async {
        server
            .news_drafts(&news)
            .await
            .unwrap()
            .iter()
            .any(|d| d.id == scheduled)
    })
    .await;
    // The laptop is switched off before the time; the server publishes.
    laptop.shutdown().await;
    drop(laptop);
    let early = titles(&sub, &news).await;
    assert!(
        confab_core::now_ms() < at,
        "the test machine was too slow to look before the time"
    );
    assert_eq!(early, ["Not yet"], "nothing is published before its time");
    let deadline = tokio::time::Instant::now() + Duration::from_millis(at + 30_000 - confab_core::now_ms());
    let got = loop {
        let list = sub.news_list(&news).await.unwrap();
        if let Some(i) = list.iter().find(|i| i.title == "On time") {
            break (i.id.clone(), confab_core::now_ms());
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not published by TIME + 30 s: the server has {:?}, drafts {:?}",
            titles(&server, &news).await,
            server.news_drafts(&news).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(got.0, issue_id, "the issue signed when it was scheduled");
    assert!(got.1 >= at, "published at {} before its time {at}", got.1);
    eprintln!(
        "scheduled issue seen by the subscriber {} ms after its time",
        got.1 - at
    );
    let published = sub.news_list(&news).await.unwrap();
    let on_time = published.iter().find(|i| i.title == "On time").unwrap();
    assert_eq!(on_time.by.ts, at, "dated at its time");

    // The laptop comes back after the time: still exactly one issue.
    let laptop = start(&dl, vec![first_addr(&server).await, first_addr(&sub).await]).await;
    eventually(30, "the laptop sees the schedule done", || async {
        laptop.news_drafts(&news).await.unwrap().is_empty() && titles(&laptop, &news).await.len() == 2
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    for (who, n) in [("laptop", &laptop), ("server", &server), ("subscriber", &sub)] {
        assert_eq!(titles(n, &news).await, ["Not yet", "On time"], "{who}");
    }

    // The subscriber never held a draft; the owner's devices did.
    assert_eq!(drafts_in(&ds), 0, "a draft reached the subscriber");
    assert!(drafts_in(&dl) >= 4 && drafts_in(&dserver) >= 4);

    // Refusals by name.
    let e = sub
        .news_compose(
            &news,
            NewIssue {
                draft: true,
                ..issue("mine", "x")
            },
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("only the owner"), "{e}");
    let e = laptop
        .news_compose(
            &news,
            NewIssue {
                draft: true,
                at: Some(at + 60_000),
                ..issue("both", "x")
            },
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("draft or scheduled, not both"), "{e}");
    let e = laptop
        .news_publish_draft(&news, "beef")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("no draft"), "{e}");
    // A schedule cancelled is never published.
    let later = laptop
        .news_compose(
            &news,
            NewIssue {
                at: Some(confab_core::now_ms() + 1_500),
                ..issue("Cancelled", "x")
            },
        )
        .await
        .unwrap()
        .id;
    laptop.news_discard(&news, &later).await.unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(!titles(&laptop, &news).await.contains(&"Cancelled".to_string()));
    for n in [&laptop, &server, &sub] {
        n.shutdown().await;
    }
}
