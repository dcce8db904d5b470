//! Printing: one JSON value with `--json`, readable lines without.

use confab_core::RecordId;
use confab_store::{ChatMessage, NewsIssue, Stroke};
use serde_json::{json, Value};

/// Prints `value` as JSON, or the text `human` builds.
pub fn emit(json: bool, value: &Value, human: impl FnOnce() -> String) {
    if json {
        println!("{value}");
    } else {
        let text = human();
        if !text.is_empty() {
            println!("{text}");
        }
    }
}

fn short(id: &RecordId) -> String {
    id.to_string()[..12].to_string()
}

fn short_peer(p: &str) -> &str {
    &p[p.len().saturating_sub(8)..]
}

pub fn chat_json(msgs: &[ChatMessage]) -> Value {
    json!(msgs
        .iter()
        .map(|m| json!({
            "id": m.id.to_string(),
            "author": m.author.peer_id(),
            "ts": m.ts.ms(),
            "hlc": m.ts.0,
            "text": m.text,
        }))
        .collect::<Vec<_>>())
}

pub fn chat_text(msgs: &[ChatMessage]) -> String {
    msgs.iter()
        .map(|m| format!("{} {}: {}", m.ts.ms(), short_peer(&m.author.peer_id()), m.text))
        .collect::<Vec<_>>()
        .join("\n")
}

fn hex_color(c: [u8; 3]) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

pub fn strokes_json(strokes: &[Stroke]) -> Value {
    json!(strokes
        .iter()
        .map(|s| json!({
            "id": s.id.to_string(),
            "author": s.author.peer_id(),
            "ts": s.ts.ms(),
            "hlc": s.ts.0,
            "points": s.points.iter().map(|(x, y)| json!([x, y])).collect::<Vec<_>>(),
            "color": hex_color(s.color),
            "width": s.width,
        }))
        .collect::<Vec<_>>())
}

pub fn strokes_text(strokes: &[Stroke]) -> String {
    strokes
        .iter()
        .map(|s| {
            format!(
                "{} {} {} points, {} width {}",
                short(&s.id),
                short_peer(&s.author.peer_id()),
                s.points.len(),
                hex_color(s.color),
                s.width
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn news_json(issues: &[NewsIssue]) -> Value {
    json!(issues
        .iter()
        .map(|n| json!({
            "id": n.id.to_string(),
            "author": n.author.peer_id(),
            "ts": n.ts.ms(),
            "hlc": n.ts.0,
            "title": n.title,
            "body": n.body,
        }))
        .collect::<Vec<_>>())
}

pub fn news_text(issues: &[NewsIssue]) -> String {
    issues
        .iter()
        .map(|n| format!("# {}\n{}\n", n.title, n.body))
        .collect::<Vec<_>>()
        .join("\n")
}
