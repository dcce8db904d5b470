//! The readable pages of an archive, made from its readable entries alone (what the page
//! shows is what `content.json` says). Every text from a peer is escaped; an issue's HTML is
//! the sanitised rendering of its Markdown; no page loads anything from elsewhere or runs a
//! script (its CSP says so too).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use confab_core::archive::{escape, rfc3339, ContentEntry, FileInfo, Readable};

/// What every page says about the archive.
pub(super) struct Meta<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    pub exporter: &'a str,
    pub exported_ms: u64,
    pub records: usize,
    /// Peer id → (name, colour), from the space's profile records.
    pub names: &'a BTreeMap<String, (String, String)>,
}

impl Meta<'_> {
    /// A person as the page names them: their name, or the end of their peer id.
    pub fn who(&self, peer: &str) -> String {
        match self.names.get(peer) {
            Some((name, _)) => name.clone(),
            None => confab_core::ids::short_peer(peer),
        }
    }

    fn who_html(&self, peer: &str) -> String {
        let colour = self
            .names
            .get(peer)
            .map(|(_, c)| c.as_str())
            .filter(|c| c.len() == 7 && c[1..].bytes().all(|b| b.is_ascii_hexdigit()));
        let style = colour.map_or(String::new(), |c| format!(" style=\"color:{c}\""));
        format!(
            "<b class=\"who\" title=\"{}\"{style}>{}</b>",
            escape(peer),
            escape(&self.who(peer))
        )
    }
}

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:0 auto;padding:1rem;\
color:#1d1d1f;background:#fff}header.top{border-bottom:1px solid #ddd;margin-bottom:1rem}\
.muted,time{color:#666;font-size:.85em}article{padding:.5rem 0;border-bottom:1px solid #eee}\
.text{white-space:pre-wrap;overflow-wrap:anywhere;margin:.25rem 0}.quote{border-left:3px solid #ccc;\
margin:.25rem 0;padding-left:.5rem;color:#555}.files img,.issue img{max-width:100%;height:auto}\
.reactions span{margin-right:.5rem}svg{max-width:100%;height:auto;border:1px solid #ddd}\
code{overflow-wrap:anywhere}@media (prefers-color-scheme:dark){body{color:#eee;background:#161616}\
.muted,time,.quote{color:#aaa}}";

/// A whole page. `up` leads from the page back to the archive's folder (`""` or `"../"`).
pub(super) fn page(title: &str, meta: &Meta<'_>, up: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">\
<title>{title}</title><style>{STYLE}</style></head><body>\n\
<header class=\"top\"><h1>{name}</h1><p class=\"muted\">A {kind} exported from Confab by {by} on {date}: \
{records} signed record{plural}. This folder holds no key: it cannot be used to join the space. \
<a href=\"{up}index.html\">Contents</a> · check it with <code>confab verify</code> on this folder.</p></header>\n\
{body}\n</body></html>\n",
        title = escape(title),
        name = escape(meta.name),
        kind = match meta.kind {
            "chat" => "chat room",
            "board" => "whiteboard",
            _ => "newsletter",
        },
        by = meta.who_html(meta.exporter),
        date = date(meta.exported_ms),
        records = meta.records,
        plural = if meta.records == 1 { "" } else { "s" },
    )
}

/// A time for people, with its exact value for machines.
pub(super) fn date(ms: u64) -> String {
    let iso = rfc3339(ms);
    format!(
        "<time datetime=\"{iso}\">{} {} UTC</time>",
        &iso[..10],
        &iso[11..16]
    )
}

fn size(n: u64) -> String {
    match n {
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} bytes"),
    }
}

/// A record's files: pictures as their sender's preview, every file by name, type and size
/// (the files themselves are not in the archive).
pub(super) fn files(list: &[FileInfo]) -> String {
    if list.is_empty() {
        return String::new();
    }
    let mut out = String::from("<div class=\"files\">");
    for f in list {
        if let Some(p) = &f.preview {
            let _ = write!(
                out,
                "<img src=\"{}\" alt=\"{}\" width=\"{}\" height=\"{}\"><br>",
                escape(&p.url),
                escape(&f.name),
                p.width.min(480),
                if p.width > 480 {
                    (p.height as u64 * 480 / p.width.max(1) as u64) as u32
                } else {
                    p.height
                },
            );
        }
        let _ = write!(
            out,
            "<span class=\"muted\">📎 {} ({}, {})</span><br>",
            escape(&f.name),
            escape(&f.mime),
            size(f.size)
        );
    }
    out.push_str("</div>");
    out
}

/// (message, emoji) → person → (timestamp, on) of their newest reaction.
type Reactions<'a> = BTreeMap<(&'a str, &'a str), BTreeMap<&'a str, (u64, bool)>>;

/// A chat room as it reads now: each message with its newest edit by its author, its
/// reactions, the message it answers, its files; messages deleted for everyone left out.
pub(super) fn chat(entries: &[ContentEntry], owner: &str, meta: &Meta<'_>) -> String {
    let authors: HashMap<&str, &str> = entries
        .iter()
        .filter(|e| matches!(e.body, Readable::ChatMessage { .. }))
        .map(|e| (e.id.as_str(), e.account.as_str()))
        .collect();
    fn target(e: &ContentEntry) -> Option<&str> {
        e.refs.first().map(String::as_str)
    }
    // Newest edit by the message's author; deletes by its author or the owner.
    let mut edits: HashMap<&str, (u64, &str)> = HashMap::new();
    let mut deleted = std::collections::HashSet::new();
    let mut reactions: Reactions<'_> = BTreeMap::new();
    for e in entries {
        let Some(t) = target(e) else { continue };
        let by_author = authors.get(t) == Some(&e.account.as_str());
        match &e.body {
            Readable::Edit { text, .. } if by_author && edits.get(t).is_none_or(|(ts, _)| e.ts > *ts) => {
                edits.insert(t, (e.ts, text));
            }
            Readable::Delete { .. } if by_author || e.account == owner => {
                deleted.insert(t);
            }
            Readable::Reaction { emoji, on } => {
                let who = reactions.entry((t, emoji.as_str())).or_default();
                if who.get(e.account.as_str()).is_none_or(|(ts, _)| e.ts > *ts) {
                    who.insert(&e.account, (e.ts, *on));
                }
            }
            _ => {}
        }
    }
    let text_of = |id: &str| -> Option<&str> {
        edits.get(id).map(|(_, t)| *t).or_else(|| {
            entries.iter().find(|e| e.id == id).and_then(|e| match &e.body {
                Readable::ChatMessage { text, .. } => Some(text.as_str()),
                _ => None,
            })
        })
    };
    let mut out = String::new();
    let mut shown = 0;
    for e in entries {
        let Readable::ChatMessage { text, files: f, .. } = &e.body else {
            continue;
        };
        if deleted.contains(e.id.as_str()) {
            continue;
        }
        shown += 1;
        let _ = write!(
            out,
            "<article id=\"m-{id}\"><div>{who} {when}{edited}</div>",
            id = escape(&e.id),
            who = meta.who_html(&e.account),
            when = date(e.ts >> 16),
            edited = if edits.contains_key(e.id.as_str()) {
                " <span class=\"muted\">(edited)</span>"
            } else {
                ""
            },
        );
        if let Some(t) = target(e) {
            let quoted = match (text_of(t), deleted.contains(t)) {
                (Some(q), false) => {
                    let q: String = q.chars().take(140).collect();
                    format!("{}: {}", escape(&meta.who(authors[t])), escape(&q))
                }
                _ => "a message that is not here".into(),
            };
            let _ = write!(out, "<a class=\"quote\" href=\"#m-{}\">↪ {quoted}</a>", escape(t));
        }
        let text = edits.get(e.id.as_str()).map_or(text.as_str(), |(_, t)| t);
        if !text.is_empty() {
            let _ = write!(out, "<p class=\"text\">{}</p>", escape(text));
        }
        out.push_str(&files(f));
        let mine: Vec<String> = reactions
            .range((e.id.as_str(), "")..)
            .take_while(|((m, _), _)| *m == e.id)
            .filter_map(|((_, emoji), who)| {
                let on: Vec<String> = who
                    .iter()
                    .filter(|(_, (_, on))| *on)
                    .map(|(p, _)| meta.who(p))
                    .collect();
                (!on.is_empty()).then(|| {
                    format!(
                        "<span title=\"{}\">{} {}</span>",
                        escape(&on.join(", ")),
                        escape(emoji),
                        on.len()
                    )
                })
            })
            .collect();
        if !mine.is_empty() {
            let _ = write!(out, "<div class=\"reactions\">{}</div>", mine.concat());
        }
        out.push_str("</article>\n");
    }
    if shown == 0 {
        out.push_str("<p class=\"muted\">No messages.</p>");
    }
    page(meta.name, meta, "", &out)
}
