//! Newsletters. (1) The Atom feed: a newsletter of 1,000 issues (`CONFAB_BENCH_SCALE` scales
//! it), a tenth of them corrected, written as a feed by `Client::news_feed` (what `confab news
//! feed` and the app's Export button run), and the feed checked again as a reader would
//! (`verify_feed_file`: every signature). (2) Scheduled issues: the owner's node and a
//! subscriber's on 127.0.0.1, ten issues scheduled half a second apart; how long after its
//! time each reaches the subscriber. Prints the times.
//!
//! `cargo bench -p confab-bench --bench news`

use std::time::{Duration, Instant};

use confab_node::{Client, Correction};

fn body(i: usize) -> String {
    format!(
        "## Issue {i}\n\nThis week: **{i} things** happened. {}\n\n- one\n- two\n- [a link](https://example.org/{i})\n",
        "A sentence of news about the week. ".repeat(20)
    )
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let issues = confab_bench::n(1000);
    let dir = tempfile::tempdir().expect("tempdir");
    let c = Client::open(dir.path()).await.expect("open");
    let news = c.create_space("news", "Weekly").await.expect("space").space.space;
    let t = Instant::now();
    let mut ids = Vec::with_capacity(issues);
    for i in 0..issues {
        ids.push(
            c.news_publish(&news, &format!("Issue {i}"), &body(i))
                .await
                .expect("publish")
                .id,
        );
    }
    let published = t.elapsed();
    for id in ids.iter().step_by(10) {
        let fix = Correction {
            title: Some("Corrected".into()),
            ..Default::default()
        };
        c.news_edit(&news, id, fix).await.expect("edit");
    }
    println!(
        "newsletter: {issues} issues of {} bytes published in {:.1} s, {} corrected",
        body(1).len(),
        published.as_secs_f64(),
        issues.div_ceil(10)
    );
    let mut write = Vec::new();
    let mut check = Vec::new();
    let mut size = 0;
    for run in 0..5 {
        let out = dir.path().join(format!("feed-{run}.xml"));
        let t = Instant::now();
        let f = c.news_feed(&news, &out).await.expect("feed");
        write.push(t.elapsed());
        size = f.bytes;
        let t = Instant::now();
        let r = confab_node::verify_feed_file(&out, None).expect("verify");
        check.push(t.elapsed());
        assert_eq!(r.issues, issues);
    }
    let (w, v) = (median(write), median(check));
    println!(
        "feed export of {issues} issues: {:.0} ms (median of 5), {:.0} µs per issue, {:.1} MiB",
        w.as_secs_f64() * 1e3,
        w.as_secs_f64() * 1e6 / issues as f64,
        size as f64 / (1 << 20) as f64
    );
    println!(
        "feed check (every signature, as a reader): {:.0} ms (median of 5)",
        v.as_secs_f64() * 1e3
    );
    c.shutdown().await;
    schedule_lag().await;
}

fn cfg(dial: Vec<confab_net::Multiaddr>) -> confab_node::NodeConfig {
    confab_node::NodeConfig {
        listen: vec!["/ip4/127.0.0.1/tcp/0".parse().expect("addr")],
        dial,
        mdns: false,
        dht: false,
        upnp: false,
        ..Default::default()
    }
}

async fn schedule_lag() {
    let dir = tempfile::tempdir().expect("tempdir");
    let owner = Client::start(&dir.path().join("o"), cfg(vec![]))
        .await
        .expect("owner");
    let mut addr = None;
    for _ in 0..250 {
        if let Some(a) = owner.status().await.expect("status").listening.first() {
            addr = Some(a.parse().expect("addr"));
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let news = owner
        .create_space("news", "Timed")
        .await
        .expect("space")
        .space
        .space;
    let ticket = owner.ticket(&news).await.expect("ticket").ticket;
    let sub = Client::start(&dir.path().join("s"), cfg(vec![addr.expect("listening")]))
        .await
        .expect("sub");
    sub.join(&ticket).await.expect("join");
    let t0 = confab_core::now_ms() + 3_000;
    let count = 10u64;
    for i in 0..count {
        let issue = confab_node::NewIssue {
            title: format!("At {i}"),
            body: "on time".into(),
            at: Some(t0 + i * 500),
            ..Default::default()
        };
        owner.news_compose(&news, issue).await.expect("schedule");
    }
    let mut lags = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while lags.len() < count as usize && Instant::now() < deadline {
        let now = confab_core::now_ms();
        for i in sub.news_list(&news).await.expect("list") {
            let n: u64 = i.title.trim_start_matches("At ").parse().expect("title");
            if lags.len() <= n as usize && lags.len() == n as usize {
                lags.push(now.saturating_sub(t0 + n * 500));
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    lags.sort();
    println!(
        "scheduled issues ({} of {count} arrived): lag from their time to the subscriber median {} ms, max {} ms",
        lags.len(),
        lags.get(lags.len() / 2).copied().unwrap_or(0),
        lags.last().copied().unwrap_or(0)
    );
    owner.shutdown().await;
    sub.shutdown().await;
}
