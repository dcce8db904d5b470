//! A newsletter's readable files: a page per issue, a contents page, and an Atom feed whose
//! entries carry each issue's signed entry, so a feed reader's copy can be checked too.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use confab_core::archive::{
    escape, feed_element, rfc3339, ContentEntry, Readable, SignedEntry, FEED_NS, ISSUES_DIR,
};
use confab_core::Record;

use super::html::{date, files, page, Meta};

/// One issue: its entry, its page's path and its sanitised HTML.
struct Issue<'a> {
    entry: &'a ContentEntry,
    title: &'a str,
    path: String,
    html: String,
}

/// The pages and the feed: (path, bytes) for every issue page, `index.html` and `feed.xml`.
pub(super) fn pages(
    entries: &[ContentEntry],
    records: &HashMap<String, &Record>,
    space: &str,
    meta: &Meta<'_>,
) -> BTreeMap<String, Vec<u8>> {
    let mut issues = Vec::new();
    for e in entries {
        let Readable::NewsIssue {
            title,
            markdown,
            files,
        } = &e.body
        else {
            continue;
        };
        let pictures: HashMap<String, String> = files
            .iter()
            .filter_map(|f| f.preview.as_ref().map(|p| (f.blob.clone(), p.url.clone())))
            .collect();
        issues.push(Issue {
            entry: e,
            title,
            path: format!(
                "{ISSUES_DIR}/{:04}-{}.html",
                issues.len() + 1,
                &e.id[..confab_core::ids::SHORT_ID]
            ),
            html: crate::markdown::render_standalone(markdown, &pictures),
        });
    }
    let mut out = BTreeMap::new();
    for i in &issues {
        let Readable::NewsIssue { files: f, .. } = &i.entry.body else {
            continue;
        };
        let body = format!(
            "<article class=\"issue\"><h2>{}</h2><p>{} {}</p>{}{}</article>",
            escape(i.title),
            escape(&meta.who(&i.entry.account)),
            date(i.entry.ts >> 16),
            i.html,
            files(f)
        );
        out.insert(i.path.clone(), page(i.title, meta, "../", &body).into_bytes());
    }
    let mut list = String::from("<ol reversed>");
    for i in issues.iter().rev() {
        let _ = write!(
            list,
            "<li><a href=\"{}\">{}</a> {}</li>",
            escape(&i.path),
            escape(i.title),
            date(i.entry.ts >> 16)
        );
    }
    list.push_str("</ol><p class=\"muted\">Also as an Atom feed: <a href=\"feed.xml\">feed.xml</a>.</p>");
    if issues.is_empty() {
        list = "<p class=\"muted\">No issues.</p>".into();
    }
    out.insert(
        confab_core::archive::INDEX.into(),
        page(meta.name, meta, "", &list).into_bytes(),
    );
    out.insert(
        confab_core::archive::FEED.into(),
        feed(&issues, records, space, meta).into_bytes(),
    );
    out
}

fn feed(issues: &[Issue<'_>], records: &HashMap<String, &Record>, space: &str, meta: &Meta<'_>) -> String {
    let updated = issues.last().map_or(meta.exported_ms, |i| i.entry.ts >> 16);
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
<feed xmlns=\"http://www.w3.org/2005/Atom\" xmlns:confab=\"{FEED_NS}\">\n\
<id>urn:confab:space:{}</id>\n<title>{}</title>\n<updated>{}</updated>\n\
<generator>Confab</generator>\n<link rel=\"alternate\" type=\"text/html\" href=\"index.html\"/>\n",
        escape(space),
        escape(meta.name),
        rfc3339(updated)
    );
    for i in issues {
        let time = rfc3339(i.entry.ts >> 16);
        let _ = write!(
            xml,
            "<entry>\n<id>urn:confab:record:{id}</id>\n<title>{title}</title>\n\
<published>{time}</published>\n<updated>{time}</updated>\n\
<author><name>{author}</name><uri>urn:confab:peer:{peer}</uri></author>\n\
<link rel=\"alternate\" type=\"text/html\" href=\"{path}\"/>\n\
<content type=\"html\">{html}</content>\n",
            id = escape(&i.entry.id),
            title = escape(i.title),
            author = escape(&meta.who(&i.entry.account)),
            peer = escape(&i.entry.account),
            path = escape(&i.path),
            html = escape(&i.html),
        );
        if let Some(r) = records.get(&i.entry.id) {
            xml.push_str(&feed_element(&SignedEntry::of(r)));
            xml.push('\n');
        }
        xml.push_str("</entry>\n");
    }
    xml.push_str("</feed>\n");
    xml
}
