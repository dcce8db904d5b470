//! Newsletter issues are Markdown (CommonMark, with tables and strikethrough). Two jobs here:
//! on publishing, the pictures an issue links by relative path are found so they can be
//! attached, and their links rewritten to the blob that holds each; on showing, the Markdown is
//! rendered to HTML and sanitised — the one place where HTML from a peer reaches the page.
//!
//! The sanitiser (ammonia) keeps a fixed set of formatting tags; raw HTML, scripts, event
//! handlers, styles and every URL scheme but http(s) and mailto in links go. A picture keeps
//! its source only if it names one of the issue's own blobs through the app's blob protocol
//! ([`BLOB_URL`]): no picture is ever loaded from elsewhere (no tracking pixels).

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use pulldown_cmark::{Event, Options, Parser, Tag};

/// Where the app serves a held blob's picture: this, then the blob's id.
pub const BLOB_URL: &str = "confab-blob://localhost/";

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

/// A link to a local file: not a URL with a scheme, not a fragment, not a blob id.
fn is_local(dest: &str) -> bool {
    !dest.is_empty()
        && !dest.starts_with('#')
        && !dest.contains("://")
        && !dest.starts_with("data:")
        && !dest.starts_with("mailto:")
        && !is_blob_id(dest)
}

fn is_blob_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|c| c.is_ascii_hexdigit())
}

/// The pictures an issue links by local path, each once, in order.
pub fn local_images(md: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for ev in Parser::new_ext(md, options()) {
        if let Event::Start(Tag::Image { dest_url, .. }) = ev {
            if is_local(&dest_url) && seen.insert(dest_url.to_string()) {
                out.push(dest_url.to_string());
            }
        }
    }
    out
}

/// The Markdown with each picture link in `to` (local path → blob id) rewritten. A link whose
/// destination cannot be found as written (escaped in the source) is an error naming it.
pub fn rewrite_images(md: &str, to: &HashMap<String, String>) -> Result<String, String> {
    let mut edits: Vec<(Range<usize>, &str)> = Vec::new();
    for (ev, range) in Parser::new_ext(md, options()).into_offset_iter() {
        if let Event::Start(Tag::Image { dest_url, .. }) = ev {
            let Some(id) = to.get(dest_url.as_ref()) else {
                continue;
            };
            let src = &md[range.clone()];
            // The destination follows the alt text: the last place it is written.
            let at = src
                .rfind(dest_url.as_ref())
                .ok_or_else(|| format!("the picture link {dest_url:?} is written in a form that cannot be rewritten; write it plainly"))?;
            let start = range.start + at;
            edits.push((start..start + dest_url.len(), id));
        }
    }
    let mut out = md.to_string();
    edits.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
    for (r, id) in edits {
        out.replace_range(r, id);
    }
    Ok(out)
}

/// The issue as sanitised HTML; pictures that name one of `blobs` point at the blob protocol.
pub fn render(md: &str, blobs: &[String]) -> String {
    let urls = blobs
        .iter()
        .map(|b| (b.clone(), format!("{BLOB_URL}{b}")))
        .collect();
    render_mapped(md, &urls, "confab-blob")
}

/// The issue as sanitised HTML standing alone (an exported page): a picture that names a blob
/// of `pictures` (blob id → `data:` URL) shows that URL; any other picture is left out.
pub fn render_standalone(md: &str, pictures: &HashMap<String, String>) -> String {
    render_mapped(md, pictures, "data")
}

/// Renders and sanitises; a picture's source is kept only if it is one of `urls`' values
/// (reached by its blob id), and `scheme` is allowed for those alone, never in a link.
fn render_mapped(md: &str, urls: &HashMap<String, String>, scheme: &'static str) -> String {
    let mut html = String::with_capacity(md.len() * 3 / 2);
    let events = Parser::new_ext(md, options()).map(|ev| match ev {
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) if urls.contains_key(dest_url.as_ref()) => Event::Start(Tag::Image {
            link_type,
            dest_url: urls[dest_url.as_ref()].clone().into(),
            title,
            id,
        }),
        e => e,
    });
    pulldown_cmark::html::push_html(&mut html, events);
    let allowed: HashSet<String> = urls.values().cloned().collect();
    let own = format!("{scheme}:");
    ammonia::Builder::default()
        .url_schemes(HashSet::from(["http", "https", "mailto", scheme]))
        .url_relative(ammonia::UrlRelative::Deny)
        .attribute_filter(move |el, attr, value| match (el, attr) {
            ("img", "src") => allowed.contains(value).then(|| value.into()),
            ("a", "href") if value.starts_with(&own) => None,
            _ => Some(value.into()),
        })
        .clean(&html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn local_pictures_are_found_and_rewritten() {
        let md = "# Hi\n\n![a cat](img/cat.png \"Cat\") and ![again](img/cat.png)\n\n![web](https://x.org/a.png) ![dog](dog.jpg)\n\n[a link](notes.md)\n";
        assert_eq!(local_images(md), vec!["img/cat.png", "dog.jpg"]);
        let to = HashMap::from([
            ("img/cat.png".to_string(), HEX.to_string()),
            ("dog.jpg".to_string(), "d".repeat(64)),
        ]);
        let out = rewrite_images(md, &to).unwrap();
        assert_eq!(
            out,
            format!("# Hi\n\n![a cat]({HEX} \"Cat\") and ![again]({HEX})\n\n![web](https://x.org/a.png) ![dog]({})\n\n[a link](notes.md)\n", "d".repeat(64))
        );
        assert!(local_images(&out).is_empty());
    }

    #[test]
    fn a_standalone_page_shows_its_own_pictures_only() {
        let png = "data:image/png;base64,iVBORw0KGgo=";
        let md = format!(
            "![cat]({HEX}) ![other]({}) [x](data:text/html,hi) ![y](data:image/png;base64,AAAA)",
            "e".repeat(64)
        );
        let html = render_standalone(&md, &HashMap::from([(HEX.to_string(), png.to_string())]));
        assert!(html.contains(&format!("src=\"{png}\"")), "{html}");
        for gone in ["eeee", "data:text", "AAAA", "href=\"data"] {
            assert!(!html.contains(gone), "{gone} left in {html}");
        }
    }

    #[test]
    fn rendering_keeps_formatting_and_removes_what_could_run() {
        let md = format!(
            "# Title\n\n*em* **strong** `code`\n\n> quote\n\n- one\n- two\n\n```\nfn x() {{}}\n```\n\n[ok](https://example.org) [bad](javascript:alert(1)) [blob](confab-blob://localhost/{HEX})\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n<a href=\"#\" onclick=\"alert(1)\">click</a>\n\n![pic]({HEX}) ![pixel](https://tracker.example/p.gif)\n"
        );
        let html = render(&md, &[HEX.to_string()]);
        for want in [
            "<h1>Title</h1>",
            "<em>em</em>",
            "<strong>strong</strong>",
            "<code>code</code>",
            "<blockquote>",
            "<li>one</li>",
            "<pre><code>",
            "href=\"https://example.org\"",
            "rel=\"noopener noreferrer\"",
        ] {
            assert!(html.contains(want), "{want} missing from {html}");
        }
        assert!(
            html.contains(&format!("src=\"confab-blob://localhost/{HEX}\"")),
            "{html}"
        );
        for gone in [
            "<script",
            "alert(1)</script>",
            "onerror",
            "onclick",
            "javascript:",
            "tracker.example",
            "href=\"confab-blob",
        ] {
            assert!(!html.contains(gone), "{gone} left in {html}");
        }
    }
}
