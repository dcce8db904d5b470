//! A newsletter's Atom feed: a newsletter of 1,000 issues (`CONFAB_BENCH_SCALE` scales it), a
//! tenth of them corrected, written as a feed by `Client::news_feed` (what `confab news feed`
//! and the app's Export button run), and the feed checked again as a reader would
//! (`verify_feed_file`: every signature). Prints the times.
//!
//! `cargo bench -p confab-bench --bench feed`

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
}
