//! A newsletter's readable files: a page per issue, a contents page, and an Atom feed whose
//! entries carry each issue's signed entry, so a feed reader's copy can be checked too.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use confab_core::archive::{
    escape, feed_element, rfc3339, ContentEntry, Readable, SignedEntry, FEED_NS, ISSUES_DIR,
};
use confab_core::Record;

use super::html::{date, files, page, Meta};

/// One issue as its newest version has it: its entry, its page's path, its sanitised HTML,
/// and the corrections (oldest first) whose newest gave its text.
struct Issue<'a> {
    entry: &'a ContentEntry,
    title: &'a str,
    files: &'a [confab_core::archive::FileInfo],
    path: String,
    html: String,
    corrections: Vec<&'a ContentEntry>,
}

impl Issue<'_> {
    /// When its newest version was written (ms).
    fn updated(&self) -> u64 {
        self.corrections.last().map_or(self.entry.ts, |c| c.ts) >> 16
    }
}

/// The issues of a newsletter, oldest first, each as its newest correction has it.
fn issues(entries: &[ContentEntry]) -> Vec<Issue<'_>> {
    let mut corrections: HashMap<&str, Vec<&ContentEntry>> = HashMap::new();
    for e in entries {
        if let (Readable::Correction { .. }, Some(target)) = (&e.body, e.refs.first()) {
            corrections.entry(target.as_str()).or_default().push(e);
        }
    }
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
        // Entries are in (ts, id) order, so the last correction is the newest.
        let fixes = corrections.remove(e.id.as_str()).unwrap_or_default();
        let (title, markdown, files) = match fixes.last().map(|c| &c.body) {
            Some(Readable::Correction {
                title,
                markdown,
                files,
            }) => (title, markdown, files),
            _ => (title, markdown, files),
        };
        let pictures: HashMap<String, String> = files
            .iter()
            .filter_map(|f| f.preview.as_ref().map(|p| (f.blob.clone(), p.url.clone())))
            .collect();
        issues.push(Issue {
            entry: e,
            title,
            files,
            path: format!(
                "{ISSUES_DIR}/{:04}-{}.html",
                issues.len() + 1,
                &e.id[..confab_core::ids::SHORT_ID]
            ),
            html: crate::markdown::render_standalone(markdown, &pictures),
            corrections: fixes,
        });
    }
    issues
}

/// The feed alone, with how many issues and corrections it carries.
pub(super) fn feed_only(
    entries: &[ContentEntry],
    records: &HashMap<String, &Record>,
    space: &str,
    meta: &Meta<'_>,
) -> (String, usize, usize) {
    let issues = issues(entries);
    let corrections = issues.iter().map(|i| i.corrections.len()).sum();
    (feed(&issues, records, space, meta), issues.len(), corrections)
}

/// The pages and the feed: (path, bytes) for every issue page, `index.html` and `feed.xml`.
pub(super) fn pages(
    entries: &[ContentEntry],
    records: &HashMap<String, &Record>,
    space: &str,
    meta: &Meta<'_>,
) -> BTreeMap<String, Vec<u8>> {
    let issues = issues(entries);
    let mut out = BTreeMap::new();
    for i in &issues {
        let updated = if i.corrections.is_empty() {
            String::new()
        } else {
            format!(" (updated {})", date(i.updated()))
        };
        let body = format!(
            "<article class=\"issue\"><h2>{}</h2><p>{} {}{}</p>{}{}</article>",
            escape(i.title),
            escape(&meta.who(&i.entry.account)),
            date(i.entry.ts >> 16),
            escape(&updated),
            i.html,
            files(i.files)
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
    let updated = issues
        .iter()
        .map(Issue::updated)
        .max()
        .unwrap_or(meta.exported_ms);
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
<published>{time}</published>\n<updated>{updated}</updated>\n\
<author><name>{author}</name><uri>urn:confab:peer:{peer}</uri></author>\n\
<link rel=\"alternate\" type=\"text/html\" href=\"{path}\"/>\n\
<content type=\"html\">{html}</content>\n",
            id = escape(&i.entry.id),
            title = escape(i.title),
            author = escape(&meta.who(&i.entry.account)),
            peer = escape(&i.entry.account),
            path = escape(&i.path),
            html = escape(&i.html),
            updated = rfc3339(i.updated()),
        );
        // The issue's signed record, then its corrections': a reader checks each.
        let ids = std::iter::once(&i.entry.id).chain(i.corrections.iter().map(|c| &c.id));
        for r in ids.filter_map(|id| records.get(id)) {
            xml.push_str(&feed_element(&SignedEntry::of(r)));
            xml.push('\n');
        }
        xml.push_str("</entry>\n");
    }
    xml.push_str("</feed>\n");
    xml
}
